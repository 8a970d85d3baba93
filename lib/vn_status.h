/* vn_status.h -- the JSON status object both daemons serve (and the CLI prints): its warnings list. */
#ifndef VN_STATUS_H
#define VN_STATUS_H

#include <json-c/json.h>

/* Append one warning line to status["warnings"] (created if missing). */
void vn_status_warn(json_object *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
