/* vn_status.c -- warnings in a daemon's status object: one line each, for an operator to act on. */
#include "vn_status.h"

#include <stdarg.h>
#include <stdio.h>

void vn_status_warn(json_object *status, const char *fmt, ...)
{
    json_object *arr;
    if (!json_object_object_get_ex(status, "warnings", &arr)) {
        arr = json_object_new_array();
        json_object_object_add(status, "warnings", arr);
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    json_object_array_add(arr, json_object_new_string(line));
}
