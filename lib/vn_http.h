/* vn_http.h -- the daemons' loopback HTTP endpoint (libmicrohttpd): /metrics, /healthz, /readyz,
 * /status. Answers are built on libmicrohttpd's own thread, so handlers read only thread-safe state. */
#ifndef VN_HTTP_H
#define VN_HTTP_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vn_http vn_http_t;

/* What a handler answers: status code, body (malloc'd, taken over) and its content type. */
typedef struct vn_http_reply {
    int status;
    char *body;
    size_t len;
    const char *content_type;
    const char *cache_control;   /* NULL: "no-store" */
} vn_http_reply_t;

/* Called for every GET or HEAD; path without the query string. */
typedef void (*vn_http_handler_fn)(void *user, const char *path, vn_http_reply_t *reply);

/* Parse "127.0.0.1:PORT" or "[::1]:PORT" (PORT 0 picks a free one). Loopback only: this endpoint
 * has no authentication. 0, or VN_E_CONFIG. */
int vn_http_parse_listen(const char *value, int *ipv6, uint16_t *port) VN_MUST_USE;
/* Listen on a loopback address and write "http://ADDRESS:PORT" to DIR/metrics-address (atomically),
 * so tools and tests find a port-0 listener. NULL with err set on failure. */
vn_http_t *vn_http_start(const char *listen, const char *dir, vn_http_handler_fn handler,
                         void *user, char *err, size_t errlen);
void vn_http_destroy(vn_http_t **self_p);

#endif
