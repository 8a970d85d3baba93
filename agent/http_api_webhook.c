/* http_api_webhook.c -- notified pull: IT systems register webhook URLs; when notifications
 * arrive the agent POSTs each a small HMAC-SHA256-signed notice (how many items wait, never
 * content or a citizen number), retrying with exponential backoff until one is taken. */
#include "http_api.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WEBHOOKS_MAX 8
#define URL_MAX 512
#define POLL_MS 250
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 60000
#define POST_TIMEOUT_MS 5000

typedef struct {
    char id[33];
    char url[URL_MAX + 1];
    uint8_t secret[32];
    uint64_t created;
    char client[VN_HTTP_CLIENT_NAME_MAX + 1];
    /* delivery state (memory only) */
    uint64_t owed_received;       /* the received count a notice is owed for (0: none owed) */
    uint64_t next_ms;
    uint32_t backoff_ms;
    uint32_t attempts;
} s_hook_t;

struct http_webhooks {
    http_api_t *api;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    s_hook_t hooks[WEBHOOKS_MAX];
    size_t n;
    char path[1100];
    uint64_t seen_received;        /* the agent's received count at the last look */
    int first;
};

static int s_save(struct http_webhooks *w)
{
    char tmp[1110];
    snprintf(tmp, sizeof tmp, "%s.tmp", w->path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -errno;
    }
    fprintf(f, "# vangnet webhooks: ID URL SECRET CREATED CLIENT (managed through /v1/webhooks)\n");
    for (size_t i = 0; i < w->n; i++) {
        char hex[65];
        fprintf(f, "%s %s %s %llu %s\n", w->hooks[i].id, w->hooks[i].url,
                vn_hex(hex, w->hooks[i].secret, 32), (unsigned long long)w->hooks[i].created,
                w->hooks[i].client);
        sodium_memzero(hex, sizeof hex);
    }
    int rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -errno;
    fclose(f);
    if (rc == 0 && rename(tmp, w->path) != 0)
        rc = -errno;
    return rc;
}

static int s_load(struct http_webhooks *w, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    int rc = vn_read_file(w->path, 1 << 20, &data, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", w->path, vn_strerror(rc));
        return rc;
    }
    char *text = realloc(data, len + 1), *save = NULL;
    if (!text) {
        free(data);
        return -ENOMEM;
    }
    text[len] = '\0';
    int line = 0;
    for (char *l = strtok_r(text, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
        line++;
        if (l[0] == '#')
            continue;
        char id[64], url[URL_MAX + 2], secret[80], client[80];
        unsigned long long created;
        s_hook_t *h = &w->hooks[w->n];
        if (w->n >= WEBHOOKS_MAX ||
            sscanf(l, "%63s %513s %79s %llu %79s", id, url, secret, &created, client) != 5 ||
            strlen(id) != 32 || strlen(url) > URL_MAX || strlen(client) > VN_HTTP_CLIENT_NAME_MAX ||
            vn_unhex(h->secret, 32, secret) != 0) {
            snprintf(err, errlen, "%s:%d: not ID URL SECRET CREATED CLIENT", w->path, line);
            rc = VN_E_CONFIG;
        } else {
            snprintf(h->id, sizeof h->id, "%s", id);
            snprintf(h->url, sizeof h->url, "%s", url);
            snprintf(h->client, sizeof h->client, "%s", client);
            h->created = created;
            w->n++;
        }
        sodium_memzero(secret, sizeof secret);
    }
    sodium_memzero(text, len);
    free(text);
    return rc;
}

static size_t s_discard(char *p, size_t size, size_t n, void *user)
{
    (void)p, (void)user;
    return size * n;
}

/* POST one signed notice. 0 when the receiver answered 2xx. */
static int s_post(const s_hook_t *h, const char *org, uint64_t pending, char *why, size_t why_len)
{
    uint8_t nid[16];
    char nid_hex[33], t[32], body[512], header[160], sig_hdr[200], mac_hex[65];
    randombytes_buf(nid, sizeof nid);
    vn_hex(nid_hex, nid, 16);
    uint64_t now = vn_now();
    snprintf(body, sizeof body,
             "{\"type\":\"inbox\",\"id\":\"%s\",\"org\":\"%s\",\"pending\":%llu,\"sent\":\"%s\"}",
             nid_hex, org, (unsigned long long)pending, http__time(now, t));
    /* signed: "TIMESTAMP.BODY", so a captured notice cannot be replayed with a new time */
    char ts[24];
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)now);
    crypto_auth_hmacsha256_state st;
    uint8_t mac[32];
    crypto_auth_hmacsha256_init(&st, h->secret, 32);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    snprintf(sig_hdr, sizeof sig_hdr, "Vangnet-Signature: t=%s,v1=%s", ts, vn_hex(mac_hex, mac, 32));
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, why_len, "curl unavailable");
        return -1;
    }
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, sig_hdr);
    snprintf(header, sizeof header, "Vangnet-Notice-Id: %s", nid_hex);
    hdrs = curl_slist_append(hdrs, header);
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        snprintf(why, why_len, "%s", curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        snprintf(why, why_len, "HTTP %ld", status);
    return rc == CURLE_OK && status >= 200 && status <= 299 ? 0 : -1;
}

/* The agent's inbox count and its counter of stored items (notifications, notices, match
 * notices), through the local API like any request. */
static int s_look(struct http_webhooks *w, http_conn_t *conn, uint64_t *pending, uint64_t *received)
{
    http_req_t r = {.api = w->api, .conn = conn, .method = "GET", .path = "/v1/status"};
    snprintf(r.client, sizeof r.client, "webhooks");
    http_reply_t reply = {0};
    Vn__ApiStatus st = VN__API_STATUS__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_STATUS;
    req.status = &st;
    Vn__ApiResponse *resp;
    if (http__call(&r, &req, 5000, &resp, &reply) != 0) {
        free(reply.body);
        return -1;
    }
    int rc = resp->body_case == VN__API_RESPONSE__BODY_STATUS ? 0 : -1;
    if (rc == 0) {
        *pending = resp->status->inbox_pending;
        *received = resp->status->inbox_items;
    }
    vn__api_response__free_unpacked(resp, NULL);
    return rc;
}

static void *s_run(void *arg)
{
    struct http_webhooks *w = arg;
    http_conn_t *conn = calloc(1, sizeof *conn);
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += POLL_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        if (w->stop || w->n == 0 || !conn)
            continue;
        pthread_mutex_unlock(&w->lock);
        uint64_t pending = 0, received = 0;
        int ok = s_look(w, conn, &pending, &received) == 0;
        pthread_mutex_lock(&w->lock);
        if (!ok)
            continue;
        /* Owe a notice when something arrived since the last look (or, after a start, when
         * something waits): one notice covers everything that arrived until it is taken. */
        int arrived = received != w->seen_received || (w->first && pending > 0);
        w->seen_received = received;
        w->first = 0;
        uint64_t now = vn_monotonic_ms();
        for (size_t i = 0; i < w->n; i++) {
            s_hook_t *h = &w->hooks[i];
            if (arrived && pending > 0 && !h->owed_received) {
                h->owed_received = received ? received : 1;
                h->next_ms = now;
                h->backoff_ms = BACKOFF_FIRST_MS;
                h->attempts = 0;
            }
            if (!h->owed_received || h->next_ms > now)
                continue;
            if (pending == 0) { /* fetched meanwhile: nothing left to tell */
                h->owed_received = 0;
                continue;
            }
            s_hook_t copy = *h;
            pthread_mutex_unlock(&w->lock);
            char why[128] = "";
            int sent = s_post(&copy, w->api->a->keys->pub.org, pending, why, sizeof why) == 0;
            pthread_mutex_lock(&w->lock);
            int gone = i >= w->n || strcmp(w->hooks[i].id, copy.id) != 0;
            sodium_memzero(&copy, sizeof copy);
            if (gone)
                break; /* deleted meanwhile */
            h->attempts++;
            if (sent) {
                vn_info("event=webhook-notified webhook=%s pending=%llu attempts=%u", h->id,
                        (unsigned long long)pending, h->attempts);
                h->owed_received = 0;
            } else {
                vn_warn("event=webhook-failed webhook=%s attempt=%u error=\"%s\" retry_ms=%u",
                        h->id, h->attempts, why, h->backoff_ms);
                h->next_ms = vn_monotonic_ms() + h->backoff_ms;
                h->backoff_ms = h->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : h->backoff_ms * 2;
            }
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (conn && conn->sock)
        zmq_close(conn->sock);
    free(conn);
    return NULL;
}

int http__webhooks_start(http_api_t *api, char *err, size_t errlen)
{
    struct http_webhooks *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->api = api;
    w->first = 1;
    api->webhooks = w;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    snprintf(w->path, sizeof w->path, "%s/webhooks", api->a->cfg.data);
    int rc = s_load(w, err, errlen);
    if (rc != 0)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (pthread_create(&w->thread, NULL, s_run, w) != 0) {
        snprintf(err, errlen, "cannot start the webhook thread");
        return -1;
    }
    w->started = 1;
    return 0;
}

void http__webhooks_stop(http_api_t *api)
{
    struct http_webhooks *w = api->webhooks;
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        curl_global_cleanup();
    }
    sodium_memzero(w->hooks, sizeof w->hooks);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
    api->webhooks = NULL;
}

static json_object *s_hook_json(const s_hook_t *h)
{
    char t[32];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(h->id));
    json_object_object_add(o, "url", json_object_new_string(h->url));
    json_object_object_add(o, "created", json_object_new_string(http__time(h->created, t)));
    json_object_object_add(o, "apiClient", json_object_new_string(h->client));
    return o;
}

static int s_url_valid(const char *u)
{
    size_t n = strlen(u);
    if (n > URL_MAX || !(strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            return 0;
    const char *host = strstr(u, "://") + 3;
    return host[0] && host[0] != '/' && !strchr(host, '@') ? 1 : 0;
}

static void s_add(http_req_t *r, http_reply_t *reply)
{
    struct http_webhooks *w = r->api->webhooks;
    json_object *o = http__parse_body(r, reply), *url;
    if (!o)
        return;
    int only_url = json_object_object_length(o) == 1;
    if (!json_object_object_get_ex(o, "url", &url) || !only_url) {
        http__problem_code(reply, only_url ? "invalid-field" : "unknown-member",
                           "the body is {\"url\": \"https://...\"} and nothing else", NULL);
    } else if (!json_object_is_type(url, json_type_string) ||
               !s_url_valid(json_object_get_string(url))) {
        http__problem_code(reply, "invalid-field",
                           "'url' must be an http:// or https:// URL of at most 512 characters, "
                           "without user information", NULL);
    } else {
        pthread_mutex_lock(&w->lock);
        if (w->n >= WEBHOOKS_MAX) {
            pthread_mutex_unlock(&w->lock);
            char d[80];
            snprintf(d, sizeof d, "at most %d webhooks; delete one first", WEBHOOKS_MAX);
            http__problem_code(reply, "too-many-webhooks", d, NULL);
            json_object_put(o);
            return;
        }
        s_hook_t *h = &w->hooks[w->n];
        memset(h, 0, sizeof *h);
        uint8_t id[16];
        randombytes_buf(id, sizeof id);
        vn_hex(h->id, id, 16);
        snprintf(h->url, sizeof h->url, "%s", json_object_get_string(url));
        randombytes_buf(h->secret, sizeof h->secret);
        h->created = vn_now();
        snprintf(h->client, sizeof h->client, "%s", r->client);
        w->n++;
        int rc = s_save(w);
        if (rc != 0) {
            w->n--;
            pthread_mutex_unlock(&w->lock);
            http__problem_code(reply, "storage-error", "the webhook could not be stored", NULL);
            json_object_put(o);
            return;
        }
        json_object *j = s_hook_json(h);
        char secret[65];
        /* shown once, like an API token: the receiver verifies notices with it */
        json_object_object_add(j, "secret", json_object_new_string(vn_hex(secret, h->secret, 32)));
        sodium_memzero(secret, sizeof secret);
        snprintf(reply->location, sizeof reply->location, "/v1/webhooks/%s", h->id);
        pthread_mutex_unlock(&w->lock);
        vn_info("event=webhook-registered webhook=%s api_client=%s", h->id, r->client);
        http__json(reply, 201, j);
    }
    json_object_put(o);
}

void http__webhooks_route(http_req_t *r, http_reply_t *reply)
{
    struct http_webhooks *w = r->api->webhooks;
    const char *rest = r->path + strlen("/v1/webhooks");
    if (!rest[0] && strcmp(r->method, "POST") == 0) {
        s_add(r, reply);
    } else if (!rest[0] && (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)) {
        json_object *items = json_object_new_array();
        pthread_mutex_lock(&w->lock);
        for (size_t i = 0; i < w->n; i++)
            json_object_array_add(items, s_hook_json(&w->hooks[i]));
        pthread_mutex_unlock(&w->lock);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "items", items);
        http__json(reply, 200, o);
    } else if (rest[0] == '/' && !strchr(rest + 1, '/') && strcmp(r->method, "DELETE") == 0) {
        pthread_mutex_lock(&w->lock);
        size_t i = 0;
        while (i < w->n && strcmp(w->hooks[i].id, rest + 1) != 0)
            i++;
        if (i == w->n) {
            pthread_mutex_unlock(&w->lock);
            http__problem_code(reply, "not-found", "no webhook with that id",
                               "geen webhook met dat kenmerk");
            return;
        }
        sodium_memzero(&w->hooks[i], sizeof w->hooks[i]);
        w->hooks[i] = w->hooks[--w->n];
        int rc = s_save(w);
        pthread_mutex_unlock(&w->lock);
        if (rc != 0) {
            http__problem_code(reply, "storage-error", "the change could not be stored", NULL);
            return;
        }
        reply->status = 204;
    } else {
        http__problem_code(reply, rest[0] && (rest[0] != '/' || strchr(rest + 1, '/'))
                                      ? "not-found" : "method-not-allowed",
                           "see /v1/openapi.json for the resources and their methods", NULL);
    }
}
