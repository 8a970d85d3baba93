/* http_api.c -- the agent's HTTP/JSON API server (libmicrohttpd, a thread per connection): TLS,
 * bearer-token authentication of named API clients, the URL rules (no citizen number in a path or
 * query), the headers every answer carries, and the in-process connection into the local API. */
#include "http_api.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define HTTP_IDLE_TIMEOUT_S 60

typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
} s_upload_t;

agent_t *http__agent(http_api_t *api) { return api->a; }

const char *http__param(const http_req_t *r, const char *key)
{
    for (int i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

static void *s_socket(http_api_t *api)
{
    agent_t *a = api->a;
    void *s = zmq_socket(a->ctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    uint8_t id[AGENT_HTTP_ROUTING_LEN];
    memcpy(id, a->http_secret, 16);
    vn_put_be64(id + 16, atomic_fetch_add(&api->next_conn, 1));
    int linger = 0;
    zmq_setsockopt(s, ZMQ_ROUTING_ID, id, sizeof id);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, AGENT_HTTP_ENDPOINT) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

int http__call(http_req_t *r, Vn__ApiRequest *req, uint32_t timeout_ms, Vn__ApiResponse **resp,
               http_reply_t *reply)
{
    *resp = NULL;
    req->version = VN_API_VERSION;
    req->api_client = r->client;
    uint8_t *buf;
    size_t len;
    if (vn_api_request_pack(req, &buf, &len) != 0) {
        http__problem_code(reply, "internal-error", "the request could not be encoded", NULL);
        return -1;
    }
    http_conn_t *c = r->conn;
    if (!c->sock)
        c->sock = s_socket(r->api);
    int sent = c->sock && zmq_send(c->sock, "", 0, ZMQ_SNDMORE) == 0 &&
               zmq_send(c->sock, buf, len, 0) == (int)len;
    free(buf);
    zmq_pollitem_t item = {c->sock, 0, ZMQ_POLLIN, 0};
    if (!sent || zmq_poll(&item, 1, (long)timeout_ms) != 1) {
        /* A late answer must not be taken for the next request's: start a fresh connection. */
        if (c->sock)
            zmq_close(c->sock);
        c->sock = NULL;
        reply->retry_after = 1;
        http__problem_code(reply, "agent-busy", "the agent did not answer in time", NULL);
        return -1;
    }
    zmq_msg_t frames[2];
    int n = 0, more = 1;
    for (; n < 2 && more; n++) {
        zmq_msg_init(&frames[n]);
        if (zmq_msg_recv(&frames[n], c->sock, 0) < 0)
            break;
        more = zmq_msg_more(&frames[n]);
    }
    int rc = -1;
    if (n == 2 && !more && zmq_msg_size(&frames[0]) == 0 &&
        vn_api_response_unpack(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), resp) == 0)
        rc = 0;
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
    if (rc != 0) {
        http__problem_code(reply, "internal-error", "the agent's answer could not be read", NULL);
        return -1;
    }
    if ((*resp)->body_case == VN__API_RESPONSE__BODY_ERROR) {
        const Vn__ApiError *e = (*resp)->error;
        http__problem_code(reply, e->code, e->message, e->message_nl);
        vn__api_response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return -1;
    }
    return 0;
}

/* Reread the clients file when it changed (revocation takes effect on the next request). */
static void s_clients_refresh(http_api_t *api)
{
    struct stat st;
    const char *path = api->a->cfg.http_api.clients;
    int exists = stat(path, &st) == 0;
    /* ctime: changes with every write, rename over it and chmod */
    long long sec = exists ? (long long)st.st_ctim.tv_sec : -1;
    long long nsec = exists ? (long long)st.st_ctim.tv_nsec : -1;
    long long size = exists ? (long long)st.st_size : -1, ino = exists ? (long long)st.st_ino : -1;
    if (api->clients_stamp.sec == sec && api->clients_stamp.nsec == nsec &&
        api->clients_stamp.size == size && api->clients_stamp.ino == ino)
        return;
    vn_http_client_t *list = NULL;
    size_t n = 0;
    char err[256] = "";
    int rc = vn_http_clients_load(path, &list, &n, err, sizeof err);
    free(api->clients);
    api->clients = rc == 0 ? list : NULL;
    api->n_clients = rc == 0 ? n : 0;
    snprintf(api->clients_error, sizeof api->clients_error, "%s", rc == 0 ? "" : err);
    if (rc != 0)
        vn_error("event=api-clients-unreadable error=\"%s\" action=\"no API client is admitted "
                 "until the file is fixed\"", err);
    api->clients_stamp.sec = sec;
    api->clients_stamp.nsec = nsec;
    api->clients_stamp.size = size;
    api->clients_stamp.ino = ino;
}

/* A TLS client certificate instead of a token: it must verify against tls_client_ca and name a
 * registered, unrevoked API client, whose scopes it then has (revoking the client revokes it). */
static int s_authenticate_cert(http_api_t *api, struct MHD_Connection *mc, http_req_t *r,
                               http_reply_t *reply)
{
    char name[VN_HTTP_CLIENT_NAME_MAX + 1];
    const char *why = NULL;
    const vn_http_client_t *c = NULL;
    pthread_mutex_lock(&api->lock);
    if (http__client_cert_name(mc, name, sizeof name, &why) == 0) {
        s_clients_refresh(api);
        for (size_t i = 0; i < api->n_clients && !c; i++)
            if (strcmp(api->clients[i].name, name) == 0 && !api->clients[i].revoked)
                c = &api->clients[i];
        if (c) {
            snprintf(r->client, sizeof r->client, "%s", c->name);
            r->scopes = c->scopes;
        } else {
            why = "the client certificate names no registered API client";
        }
    }
    pthread_mutex_unlock(&api->lock);
    if (!c) {
        vn_warn("event=api-auth-failed reason=\"%s\"", why);
        http__problem_code(reply, "unauthenticated",
                           "this request needs an API client's token (Authorization: Bearer "
                           "TOKEN) or a client certificate the agent trusts",
                           "dit verzoek vraagt het token van een API-client (Authorization: "
                           "Bearer TOKEN) of een clientcertificaat dat de agent vertrouwt");
        return -1;
    }
    reply->www_authenticate = 0;
    return 0;
}

/* 0 with r->client and r->scopes set, or -1 with a 401 in reply. */
static int s_authenticate(http_api_t *api, struct MHD_Connection *mc, http_req_t *r,
                          http_reply_t *reply)
{
    const char *h = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    reply->www_authenticate = 1;
    if (!h && api->tls_trust)
        return s_authenticate_cert(api, mc, r, reply);
    if (!h) {
        http__problem_code(reply, "unauthenticated",
                           "this request needs an API client's token: Authorization: Bearer TOKEN",
                           "dit verzoek vraagt het token van een API-client: Authorization: "
                           "Bearer TOKEN");
        return -1;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) == 0 ||
        strlen(h + 7) >= VN_HTTP_TOKEN_MAX) {
        http__problem_code(reply, "unauthenticated", "the Authorization header is not Bearer TOKEN",
                           "de Authorization-header is niet Bearer TOKEN");
        return -1;
    }
    const char *token = h + 7;
    pthread_mutex_lock(&api->lock);
    s_clients_refresh(api);
    const vn_http_client_t *c = vn_http_clients_match(api->clients, api->n_clients, token,
                                                    strlen(token));
    if (c) {
        snprintf(r->client, sizeof r->client, "%s", c->name);
        r->scopes = c->scopes;
    }
    pthread_mutex_unlock(&api->lock);
    if (!c) {
        vn_warn("event=api-auth-failed reason=unknown-or-revoked-token");
        http__problem_code(reply, "unauthenticated", "the token is unknown or was revoked",
                           "het token is onbekend of ingetrokken");
        return -1;
    }
    reply->www_authenticate = 0;
    return 0;
}

/* 1 if s holds a run of 8 or 9 digits that passes the elfproef: a citizen number. */
static int s_looks_like_bsn(const char *s)
{
    for (const char *p = s; *p;) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        size_t n = strspn(p, "0123456789");
        if (n == 8 || n == 9) {
            char bsn[10];
            snprintf(bsn, sizeof bsn, "%s%.*s", n == 8 ? "0" : "", (int)n, p);
            if (vn_bsn_validate(bsn) == 0)
                return 1;
        }
        p += n;
    }
    return 0;
}

/* 1 if s is an id vangnet assigns: 32 lowercase hexadecimal digits (messages, webhooks), or a
 * letter (c consents, S signals, M matches) and 16 or 32 of them. Ids are partly random: their
 * digit runs are not citizen numbers. */
static int s_is_id(const char *s)
{
    const char *hex = "0123456789abcdef";
    size_t n = strspn(s, hex);
    if (s[n] == '\0' && n == 32) /* checked first: a message id may itself start with a-f */
        return 1;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return 0;
    n = strspn(s + 1, hex);
    return s[1 + n] == '\0' && (n == 16 || n == 32);
}

/* A path segment that is a resource id is exempt (s_is_id). */
static int s_path_has_bsn(const char *path)
{
    char seg[256];
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        snprintf(seg, sizeof seg, "%.*s", (int)(n < sizeof seg - 1 ? n : sizeof seg - 1), p);
        if (n >= sizeof seg ? s_looks_like_bsn(p) : !s_is_id(seg) && s_looks_like_bsn(seg))
            return 1;
        p += n;
    }
    return 0;
}

typedef struct {
    http_req_t *r;
    int overflow, bsn, repeated;
} s_args_t;

static enum MHD_Result s_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    s_args_t *args = cls;
    if (s_looks_like_bsn(key) || (value && !s_is_id(value) && s_looks_like_bsn(value)))
        args->bsn = 1;
    http_req_t *r = args->r;
    if (r->n_params >= HTTP_API_QUERY_MAX || strlen(key) >= sizeof r->params[0].key ||
        (value && strlen(value) >= sizeof r->params[0].value)) {
        args->overflow = 1;
        return MHD_YES;
    }
    if (http__param(r, key))
        args->repeated = 1;
    snprintf(r->params[r->n_params].key, sizeof r->params[0].key, "%s", key);
    snprintf(r->params[r->n_params].value, sizeof r->params[0].value, "%s", value ? value : "");
    r->n_params++;
    return MHD_YES;
}

static void s_headers(http_api_t *api, struct MHD_Response *resp, const http_reply_t *reply)
{
    MHD_add_response_header(resp, "API-Version", HTTP_API_VERSION);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'; sandbox");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (api->tls_cert)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (reply->cors) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "API-Version");
    }
    if (reply->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"vangnet-agent\"");
    if (reply->location[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, reply->location);
    if (reply->retry_after) {
        char v[16];
        snprintf(v, sizeof v, "%d", reply->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
}

static int s_public(const char *method, const char *path)
{
    return (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
            strcmp(method, "OPTIONS") == 0) &&
           (strcmp(path, "/v1/openapi.json") == 0 || strcmp(path, "/v1/health") == 0);
}

static void s_handle(http_api_t *api, struct MHD_Connection *mc, http_conn_t *conn,
                     const char *url, const char *method, s_upload_t *up, http_reply_t *reply)
{
    http_req_t r = {.api = api, .conn = conn, .method = method, .path = url};
    r.content_type = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    s_args_t args = {.r = &r};
    MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, s_arg, &args);
    if (args.bsn || s_path_has_bsn(url)) {
        /* Before anything else, and never logged: URLs end up in proxies' and servers' logs. */
        http__problem_code(reply, "bsn-in-url",
                           "a citizen number must not appear in a path or query string: send it "
                           "in a POST body (for example POST /v1/consents/_search)",
                           "een burgerservicenummer hoort niet in een pad of querystring: stuur "
                           "het in de body van een POST (bijvoorbeeld POST /v1/consents/_search)");
        return;
    }
    if (args.overflow || args.repeated) {
        http__problem_code(reply, "invalid-parameter",
                           args.repeated ? "a query parameter is given twice"
                                         : "too many or too long query parameters", NULL);
        return;
    }
    if (!s_public(method, url) && s_authenticate(api, mc, &r, reply) != 0)
        return;
    if (up->too_large) {
        char d[160], nl[160];
        snprintf(d, sizeof d, "the request body exceeds what content of at most %d bytes needs",
                 AGENT_MAX_CONTENT);
        snprintf(nl, sizeof nl, "de body is groter dan inhoud van hoogstens %d bytes vraagt",
                 AGENT_MAX_CONTENT);
        http__problem_code(reply, "too-large", d, nl);
        return;
    }
    if (up->body) {
        r.body = up->body;
        r.body_len = up->len;
    }
    http__route(&r, reply);
}

static enum MHD_Result s_answer(void *cls, struct MHD_Connection *mc, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_len, void **state)
{
    (void)version;
    http_api_t *api = cls;
    s_upload_t *up = *state;
    if (!up) {
        if (!(up = calloc(1, sizeof *up)))
            return MHD_NO;
        *state = up;
        return MHD_YES;
    }
    if (*upload_len) {
        if (!up->too_large && up->len + *upload_len > HTTP_API_BODY_MAX) {
            up->too_large = 1;
            free(up->body);
            up->body = NULL;
            up->len = up->cap = 0;
        }
        if (!up->too_large) {
            if (up->len + *upload_len + 1 > up->cap) {
                size_t cap = up->cap ? up->cap : 4096;
                while (cap < up->len + *upload_len + 1)
                    cap *= 2;
                char *more = realloc(up->body, cap);
                if (!more)
                    return MHD_NO;
                up->body = more;
                up->cap = cap;
            }
            memcpy(up->body + up->len, upload, *upload_len);
            up->len += *upload_len;
            up->body[up->len] = '\0';
        }
        *upload_len = 0;
        return MHD_YES;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http_conn_t *conn = ci ? ci->socket_context : NULL;
    http_reply_t reply = {.status = 500, .content_type = "application/json"};
    if (!conn)
        http__problem_code(&reply, "internal-error", "connection state missing", NULL);
    else
        s_handle(api, mc, conn, url, method, up, &reply);
    if (!reply.body)
        reply.body = strdup("");
    if (reply.body && !reply.len)
        reply.len = strlen(reply.body);
    struct MHD_Response *resp =
        reply.body ? MHD_create_response_from_buffer(reply.len, reply.body, MHD_RESPMEM_MUST_FREE)
                   : NULL;
    if (!resp) {
        free(reply.body);
        return MHD_NO;
    }
    s_headers(api, resp, &reply);
    enum MHD_Result rc = MHD_queue_response(mc, (unsigned)reply.status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void s_completed(void *cls, struct MHD_Connection *mc, void **state,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)mc, (void)toe;
    s_upload_t *up = *state;
    if (up) {
        free(up->body);
        free(up);
    }
    *state = NULL;
}

static void s_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe)
{
    (void)cls, (void)mc;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(http_conn_t));
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_conn_t *c = *socket_context;
        if (c && c->sock)
            zmq_close(c->sock);
        free(c);
        *socket_context = NULL;
    }
}

static char *s_read_pem(const char *path, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    int rc = vn_read_file(path, 1 << 20, &data, &len);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return NULL;
    }
    char *text = realloc(data, len + 1);
    if (!text) {
        free(data);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

int agent__http_api_start(agent_t *a, char *err, size_t errlen)
{
    const vn_http_api_config_t *hc = &a->cfg.http_api;
    if (!hc->listen[0])
        return 0;
    http_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return -ENOMEM;
    api->a = a;
    pthread_mutex_init(&api->lock, NULL);
    api->clients_stamp.sec = -2; /* force the first read */
    a->http_api = api;
    char addr[64];
    int ipv6, loopback;
    uint16_t port;
    if (vn_http_api_parse_listen(hc->listen, addr, sizeof addr, &ipv6, &loopback, &port) != 0) {
        snprintf(err, errlen, "[http_api] listen = %s: not ADDRESS:PORT", hc->listen);
        return VN_E_CONFIG;
    }
    struct sockaddr_in sin = {0};
    struct sockaddr_in6 sin6 = {0};
    struct sockaddr *sa;
    if (ipv6) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        inet_pton(AF_INET6, addr, &sin6.sin6_addr);
        sa = (struct sockaddr *)&sin6;
    } else {
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        inet_pton(AF_INET, addr, &sin.sin_addr);
        sa = (struct sockaddr *)&sin;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     (ipv6 ? MHD_USE_IPv6 : 0);
    if (hc->tls_cert[0]) {
        if (!(api->tls_cert = s_read_pem(hc->tls_cert, err, errlen)) ||
            !(api->tls_key = s_read_pem(hc->tls_key, err, errlen)) ||
            (hc->tls_client_ca[0] && !(api->tls_trust = s_read_pem(hc->tls_client_ca, err, errlen))))
            return VN_E_CONFIG;
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->tls_key},
        /* With a trust list, libmicrohttpd asks every client for a certificate (optional). */
        {api->tls_trust ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, api->tls_trust},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
    if (http__webhooks_start(api, err, errlen) != 0)
        return VN_E_CONFIG;
    api->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, s_answer, api, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)hc->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, api,
        MHD_OPTION_NOTIFY_CONNECTION, s_connection, api,
        MHD_OPTION_ARRAY, api->tls_cert ? tls : none, MHD_OPTION_END);
    if (!api->mhd) {
        snprintf(err, errlen, "[http_api] cannot listen on %s%s", hc->listen,
                 api->tls_cert ? " (or the TLS certificate and key do not load)" : "");
        return VN_E_CONFIG;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);
    api->port = di ? di->port : port;
    /* Tools and tests find a port-0 listener here, as with metrics-address. */
    char path[1100], text[200];
    snprintf(path, sizeof path, "%s/http-api-address", a->cfg.data);
    snprintf(text, sizeof text, "%s://%s%s%s:%u\n", api->tls_cert ? "https" : "http",
             ipv6 ? "[" : "", addr, ipv6 ? "]" : "", api->port);
    char tmp[1110];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    if (vn_write_file_new(tmp, 0644, text, strlen(text)) != 0 || rename(tmp, path) != 0)
        vn_warn("event=http-api-address-unwritten path=%s", path);
    vn_info("event=http-api-listening address=%.*s clients=%s", (int)strlen(text) - 1, text,
            hc->clients);
    return 0;
}

void agent__http_api_stop(agent_t *a)
{
    http_api_t *api = a->http_api;
    if (!api)
        return;
    http__webhooks_stop(api);
    if (api->mhd)
        MHD_stop_daemon(api->mhd); /* joins the connection threads, which close their sockets */
    free(api->clients);
    free(api->tls_cert);
    free(api->tls_key);
    free(api->tls_trust);
    pthread_mutex_destroy(&api->lock);
    free(api);
    a->http_api = NULL;
}
