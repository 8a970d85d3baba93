/* vn_http.c -- a loopback HTTP listener on libmicrohttpd's internal thread. */
#include "vn_http.h"
#include "vn_error.h"
#include "vn_log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Idle or slow clients (a slowloris, a thousand idle connections) must not make /healthz
 * unreachable, or an orchestrator kills a healthy daemon: room for many connections on epoll,
 * and a client that sends nothing for a few seconds is dropped (docs/limits.md). */
#define HTTP_MAX_CONNECTIONS 1000
#define HTTP_TIMEOUT_S 3

struct vn_http {
    struct MHD_Daemon *mhd;
    vn_http_handler_fn handler;
    void *user;
    uint16_t port;
};

int vn_http_parse_listen(const char *value, int *ipv6, uint16_t *port)
{
    const char *p;
    if (strncmp(value, "127.0.0.1:", 10) == 0) {
        *ipv6 = 0;
        p = value + 10;
    } else if (strncmp(value, "[::1]:", 6) == 0) {
        *ipv6 = 1;
        p = value + 6;
    } else {
        return VN_E_CONFIG;
    }
    char *end;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535)
        return VN_E_CONFIG;
    *port = (uint16_t)v;
    return 0;
}

static enum MHD_Result s_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_len, void **state)
{
    vn_http_t *self = cls;
    /* First call per request: headers only. Bodies are never read: only GET and HEAD exist. */
    if (!*state) {
        *state = self;
        return MHD_YES;
    }
    vn_http_reply_t reply = {.status = 404, .content_type = "text/plain; charset=utf-8"};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        reply.status = 405;
        reply.body = strdup("only GET and HEAD\n");
    } else if (*upload_len) {
        reply.status = 400;
        reply.body = strdup("no request body expected\n");
        *upload_len = 0;
    } else {
        self->handler(self->user, url, &reply);
    }
    if (!reply.body) {
        reply.body = strdup(reply.status == 404 ? "not found\n" : "\n");
    }
    if (reply.body && !reply.len)
        reply.len = strlen(reply.body);
    struct MHD_Response *resp =
        reply.body ? MHD_create_response_from_buffer(reply.len, reply.body, MHD_RESPMEM_MUST_FREE)
                   : NULL;
    if (!resp) {
        free(reply.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", reply.content_type);
    MHD_add_response_header(resp, "Cache-Control",
                            reply.cache_control ? reply.cache_control : "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)reply.status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void s_write_address(const vn_http_t *self, int ipv6, const char *dir)
{
    char path[1200], tmp[1210];
    const char *host = ipv6 ? "[::1]" : "127.0.0.1";
    snprintf(path, sizeof path, "%s/metrics-address", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "http://%s:%u\n", host, self->port);
    if (fclose(f) == 0)
        rename(tmp, path);
    vn_info("event=http-listening address=http://%s:%u", host, self->port);
}

vn_http_t *vn_http_start(const char *listen, const char *dir, vn_http_handler_fn handler,
                         void *user, char *err, size_t errlen)
{
    int ipv6;
    uint16_t port;
    if (vn_http_parse_listen(listen, &ipv6, &port) != 0) {
        snprintf(err, errlen, "%s: not a loopback address (127.0.0.1:PORT or [::1]:PORT)", listen);
        return NULL;
    }
    vn_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->handler = handler;
    self->user = user;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin6.sin6_addr = in6addr_loopback;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | (ipv6 ? MHD_USE_IPv6 : 0);
    self->mhd = MHD_start_daemon(
        flags, port, NULL, NULL, s_answer, self, MHD_OPTION_SOCK_ADDR,
        ipv6 ? (struct sockaddr *)&sin6 : (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
        MHD_OPTION_END);
    if (!self->mhd) {
        snprintf(err, errlen, "cannot listen for HTTP on %s (port in use?)", listen);
        free(self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    s_write_address(self, ipv6, dir);
    return self;
}

void vn_http_destroy(vn_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    MHD_stop_daemon((*self_p)->mhd);
    free(*self_p);
    *self_p = NULL;
}

