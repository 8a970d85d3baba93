/* http_api.h -- the HTTP/JSON API's internals, shared by its files (http_api*.c). Each resource
 * translates into the local-API request it wraps (api.proto) and goes to the agent's own loop over
 * an in-process ZeroMQ connection, so ipc and HTTP callers share one implementation. */
#ifndef VN_AGENT_HTTP_API_H
#define VN_AGENT_HTTP_API_H

#include "agent.h"
#include "vn_http_clients.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>

#define HTTP_API_VERSION VN_HTTP_API_VERSION /* the API-Version header and info.version */
#define HTTP_API_WAIT_MAX 30              /* seconds a GET /v1/inbox?wait= may hold */
#define HTTP_API_LIMIT_MAX 100            /* inbox items per page */
#define HTTP_API_QUERY_MAX 8              /* query parameters per request */
/* The one size limit: content of at most AGENT_MAX_CONTENT bytes (base64 in JSON). A body that
 * could not hold a valid request under it is refused without being read further. */
#define HTTP_API_BODY_MAX ((AGENT_MAX_CONTENT / 3 + 1) * 4 + 64 * 1024)

/* One HTTP connection's way into the local API: a DEALER, made on first use. */
typedef struct http_conn {
    void *sock;
} http_conn_t;
struct http_webhooks;

/* The API's state. Its threads read the agent only through cfg, keys, http_secret and atomics. */
typedef struct http_api {
    agent_t *a;
    struct MHD_Daemon *mhd;
    uint16_t port;
    _Atomic uint64_t next_conn;       /* routing id counter */
    pthread_mutex_t lock;             /* clients, below */
    vn_http_client_t *clients;
    size_t n_clients;
    char clients_error[256];          /* why the clients file could not be read ("" if it could) */
    struct { long long sec, nsec, size, ino; } clients_stamp;
    char *tls_cert, *tls_key, *tls_trust; /* tls_trust: CA certificates for client certificates */
    struct http_webhooks *webhooks;
} http_api_t;

typedef struct {
    char key[32];
    char value[160];
} http_param_t;

/* One request, as the routes see it. */
typedef struct {
    http_api_t *api;
    http_conn_t *conn;
    const char *method;
    const char *path;           /* decoded, without the query string */
    const char *content_type;   /* the Content-Type header, or NULL */
    const char *body;           /* NUL-terminated; NULL when there was none */
    size_t body_len;
    http_param_t params[HTTP_API_QUERY_MAX];
    int n_params;
    char client[VN_HTTP_CLIENT_NAME_MAX + 1]; /* the authenticated API client ("" if none) */
    unsigned scopes;
} http_req_t;

/* One answer. body is malloc'd and taken over. */
typedef struct {
    int status;
    char *body;
    size_t len;
    const char *content_type;
    char location[192];
    int cors;                   /* Access-Control-Allow-Origin: * (the OpenAPI document) */
    int www_authenticate;       /* a 401: say how to authenticate */
    int retry_after;            /* seconds, for 503 */
} http_reply_t;

/* http_api.c */
agent_t *http__agent(http_api_t *api);
/* Send req to the agent's loop and wait at most timeout_ms for its answer. 0 with *resp (the
 * caller frees it with vn__api_response__free_unpacked), or -1 with a problem in reply. */
int http__call(http_req_t *r, Vn__ApiRequest *req, uint32_t timeout_ms, Vn__ApiResponse **resp,
               http_reply_t *reply);
/* The query parameter's value, or NULL. */
const char *http__param(const http_req_t *r, const char *key);

/* http_api_routes.c: every resource */
void http__route(http_req_t *r, http_reply_t *reply);
struct MHD_Connection;
/* http_api_tls.c: the API client a verified TLS client certificate names (its CN) into name.
 * 0, or -1 with why saying what was missing or wrong. */
int http__client_cert_name(struct MHD_Connection *mc, char *name, size_t len, const char **why);

/* http_api_problem.c: RFC 9457 problem details with vangnet's stable code, English and Dutch */
void http__problem(http_reply_t *reply, int status, const char *code, const char *detail,
                   const char *detail_nl);
/* The problem for a code from the agent or the broker: its HTTP status and titles by table. */
void http__problem_code(http_reply_t *reply, const char *code, const char *detail,
                        const char *detail_nl);
/* Same, with extra members (taken over) merged into the problem object. */
void http__problem_with(http_reply_t *reply, const char *code, const char *detail,
                        const char *detail_nl, json_object *extra);
void http__json(http_reply_t *reply, int status, json_object *o); /* takes o */

/* http_api_json.c: the JSON shapes (one schema with the CLI's --json) and strict parsing */
char *http__time(uint64_t unix_seconds, char out[32]); /* RFC 3339, UTC, "Z" */
json_object *http__notification_json(const Vn__ApiNotification *n);
json_object *http__submit_result_json(const Vn__ApiSubmitResult *r);
json_object *http__consent_json(const Vn__ApiConsentRecord *c);
json_object *http__status_json(const Vn__ApiStatusResult *s);
json_object *http__org_json(const Vn__ApiDirectoryEntry *e);
/* One of our signals joined with its local case; its state (active, inactive, withdrawn) at now. */
json_object *http__signal_json(const Vn__ApiSignalInfo *info, uint64_t now);
json_object *http__match_json(const Vn__MatchInfo *m);         /* the broker's view */
json_object *http__match_view_json(const Vn__ApiMatchView *v); /* with our cases and cards */
json_object *http__case_json(const Vn__ApiLocalCase *c);
json_object *http__card_json(const Vn__ContactCard *c, const char *sender);
json_object *http__vocabulary_json(const Vn__ApiVocabResult *r);
json_object *http__policy_json(const Vn__ApiPolicyResult *r);
/* Parse a JSON body strictly (objects only, no unknown members): NULL with a problem in reply. */
json_object *http__parse_body(const http_req_t *r, http_reply_t *reply);
/* The inbox paging cursor: letters only, so no cursor can look like a citizen number. */
void http__cursor_format(uint64_t seq, char out[24]);
int http__cursor_parse(const char *text, uint64_t *seq);

/* http_api_body.c: strict body members and the checks every route makes. Each returns 0 when
 * the member is there and valid, 1 when it is absent and optional, -1 with a problem in reply.
 * Strings are borrowed from o; http__strs' array is the caller's to free (its strings are o's). */
int http__members(json_object *o, const char *const *allowed, http_reply_t *reply);
int http__bad(http_reply_t *reply, const char *key, const char *what); /* -1, invalid-field */
int http__str(json_object *o, const char *key, int required, size_t max, const char **out,
              http_reply_t *reply);
int http__strs(json_object *o, const char *key, int required, size_t max_n, size_t max_len,
               char ***out, size_t *n, http_reply_t *reply);
int http__int(json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *out,
              http_reply_t *reply);
int http__time_member(json_object *o, const char *key, int required, uint64_t *out,
                      http_reply_t *reply); /* "YYYY-MM-DDTHH:MM:SSZ" */
int http__date_member(json_object *o, const char *key, int required, uint64_t *out,
                      http_reply_t *reply); /* "YYYY-MM-DD", UTC midnight */
int http__need(const http_req_t *r, unsigned scope, const char *name, http_reply_t *reply);
int http__no_params(const http_req_t *r, http_reply_t *reply);
/* {"items": items, extra_key: extra} (extra_key may be NULL); takes items and extra. */
void http__list(http_reply_t *reply, int status, json_object *items, const char *extra_key,
                json_object *extra);

/* http_api_signals.c: signals, matches and the vocabulary (the shared picture); rest is the path
 * after /v1/signals or /v1/matches */
void http__signals_route(http_req_t *r, const char *rest, http_reply_t *reply);
void http__matches_route(http_req_t *r, const char *rest, http_reply_t *reply);
void http__vocabulary(http_req_t *r, http_reply_t *reply);
void http__policy(http_req_t *r, http_reply_t *reply); /* the bases we may use */

/* http_api_webhook.c: notified pull */
int http__webhooks_start(http_api_t *api, char *err, size_t errlen);
void http__webhooks_stop(http_api_t *api);
void http__webhooks_route(http_req_t *r, http_reply_t *reply);

#endif
