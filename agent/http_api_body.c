/* http_api_body.c -- strict reading of JSON request bodies (known members only, bounded strings
 * and numbers, RFC 3339 UTC times) and the checks every route makes (scope, query parameters). */
#include "http_api.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- body members ---- */

/* 0 if every member of o is in allowed (NULL-terminated), else a problem naming the first not. */
int http__members(json_object *o, const char *const *allowed, http_reply_t *reply)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char d[200];
            snprintf(d, sizeof d, "unknown member '%.64s'", key);
            http__problem_code(reply, "unknown-member", d, NULL);
            return -1;
        }
    }
    return 0;
}

int http__bad(http_reply_t *reply, const char *key, const char *what)
{
    char d[200];
    snprintf(d, sizeof d, "'%s' %s", key, what);
    http__problem_code(reply, "invalid-field", d, NULL);
    return -1;
}

/* A string member (borrowed from o): 0, 1 when absent and optional, -1 with a problem. */
int http__str(json_object *o, const char *key, int required, size_t max, const char **out,
                 http_reply_t *reply)
{
    json_object *v;
    *out = "";
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return required ? http__bad(reply, key, "is required") : 1;
    if (!json_object_is_type(v, json_type_string))
        return http__bad(reply, key, "must be a string");
    size_t len = (size_t)json_object_get_string_len(v);
    if (len > max || (required && len == 0) || strlen(json_object_get_string(v)) != len) {
        char what[64];
        snprintf(what, sizeof what, "must be 1 to %zu characters", max);
        return http__bad(reply, key, what);
    }
    *out = json_object_get_string(v);
    return 0;
}

/* An array of strings: *out points into o (the caller frees only the array). */
int http__strs(json_object *o, const char *key, int required, size_t max_n, size_t max_len,
                  char ***out, size_t *n, http_reply_t *reply)
{
    json_object *v;
    *out = NULL;
    *n = 0;
    if (!json_object_object_get_ex(o, key, &v))
        return required ? http__bad(reply, key, "is required") : 1;
    if (!json_object_is_type(v, json_type_array))
        return http__bad(reply, key, "must be an array of strings");
    size_t len = json_object_array_length(v);
    if (len > max_n || (required && len == 0)) {
        char what[64];
        snprintf(what, sizeof what, "must hold 1 to %zu strings", max_n);
        return http__bad(reply, key, what);
    }
    char **list = calloc(len ? len : 1, sizeof *list);
    if (!list)
        return http__bad(reply, key, "is too large");
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string) ||
            (size_t)json_object_get_string_len(e) > max_len || json_object_get_string_len(e) == 0) {
            free(list);
            return http__bad(reply, key, "must hold non-empty strings");
        }
        list[i] = (char *)json_object_get_string(e);
    }
    *out = list;
    *n = len;
    return 0;
}

int http__int(json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *out,
                 http_reply_t *reply)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return 1;
    if (!json_object_is_type(v, json_type_int))
        return http__bad(reply, key, "must be a whole number");
    int64_t x = json_object_get_int64(v);
    if (x < lo || x > hi) {
        char what[80];
        snprintf(what, sizeof what, "must be %lld to %lld", (long long)lo, (long long)hi);
        return http__bad(reply, key, what);
    }
    *out = x;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC, as the API writes them) into unix seconds. */
int http__time_member(json_object *o, const char *key, int required, uint64_t *out,
                      http_reply_t *reply)
{
    const char *s;
    int rc = http__str(o, key, required, 32, &s, reply);
    if (rc != 0)
        return rc;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || strcmp(end, "Z") != 0)
        return http__bad(reply, key, "must be an RFC 3339 UTC date-time, e.g. 2026-06-30T00:00:00Z");
    int mon = tm.tm_mon, mday = tm.tm_mday;
    time_t t = timegm(&tm);
    struct tm back;
    if (t < 0 || !gmtime_r(&t, &back) || back.tm_mon != mon || back.tm_mday != mday)
        return http__bad(reply, key, "is not a real date");
    *out = (uint64_t)t;
    return 0;
}

/* ---- helpers ---- */

int http__need(const http_req_t *r, unsigned scope, const char *name, http_reply_t *reply)
{
    if (r->scopes & scope)
        return 0;
    char d[160], nl[160];
    snprintf(d, sizeof d, "API client %s lacks the scope '%s'", r->client, name);
    snprintf(nl, sizeof nl, "API-client %s heeft de scope '%s' niet", r->client, name);
    http__problem_code(reply, "forbidden", d, nl);
    return -1;
}

int http__no_params(const http_req_t *r, http_reply_t *reply)
{
    if (r->n_params == 0)
        return 0;
    char d[120];
    snprintf(d, sizeof d, "unknown query parameter '%s'", r->params[0].key);
    http__problem_code(reply, "invalid-parameter", d, NULL);
    return -1;
}

void http__list(http_reply_t *reply, int status, json_object *items, const char *extra_key,
                   json_object *extra)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    if (extra_key)
        json_object_object_add(o, extra_key, extra);
    http__json(reply, status, o);
}

int http__date_member(json_object *o, const char *key, int required, uint64_t *out,
                      http_reply_t *reply)
{
    const char *s;
    int rc = http__str(o, key, required, 16, &s, reply);
    if (rc != 0)
        return rc;
    if (vn_date_parse(s, out) != 0)
        return http__bad(reply, key, "must be a real calendar date YYYY-MM-DD");
    return 0;
}
