/* vn_config.c -- INI configuration: unknown keys and bad values are errors, with the line. */
#include "vn_config.h"
#include "vn_error.h"
#include "vn_http.h"
#include "vn_log.h"
#include "vn_util.h"

#include <arpa/inet.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    void *cfg;
    int agent;
    char err[256];
} s_ctx_t;

static int s_copy(char *dst, size_t len, const char *value)
{
    if (!value[0] || strlen(value) >= len)
        return 0;
    snprintf(dst, len, "%s", value);
    return 1;
}

static int s_number(const char *value, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(value, &end, 10);
    if (!value[0] || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int s_level(const char *value, int *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(value, names[i]) == 0) {
            *out = i;
            return 1;
        }
    return 0;
}

/* Endpoints: only ipc:// and loopback TCP are allowed where noted. */
static int s_endpoint(char *dst, size_t len, const char *value, int local_only)
{
    int ipc = strncmp(value, "ipc://", 6) == 0;
    int loop = strncmp(value, "tcp://127.0.0.1:", 16) == 0 || strncmp(value, "tcp://[::1]:", 12) == 0;
    int tcp = strncmp(value, "tcp://", 6) == 0;
    if (local_only ? !(ipc || loop) : !tcp)
        return 0;
    if (tcp) { /* a port zmq would not bind or reach as given: 1..65535, or * for any free one */
        const char *colon = strrchr(value + 6, ':');
        long long port;
        if (!colon || (strcmp(colon + 1, "*") != 0 && !s_number(colon + 1, 1, 65535, &port)))
            return 0;
    }
    return s_copy(dst, len, value);
}

static int s_metrics_key(vn_metrics_config_t *m, const char *name, const char *value, int broker)
{
    long long n;
    int ipv6;
    uint16_t port;
    if (strcmp(name, "listen") == 0) {
        if (strcmp(value, "off") == 0) {
            m->listen[0] = '\0';
            return 1;
        }
        return vn_http_parse_listen(value, &ipv6, &port) == 0 &&
               s_copy(m->listen, sizeof m->listen, value);
    }
    if (strcmp(name, "storage_warn_percent") == 0 && s_number(value, 1, 100, &n)) {
        m->storage_warn_percent = (int)n;
        return 1;
    }
    if (broker && strcmp(name, "queue_warn_minutes") == 0 && s_number(value, 0, 525600, &n)) {
        m->queue_warn_seconds = (uint64_t)n * 60;
        return 1;
    }
    if (strcmp(name, "disconnect_warn_minutes") == 0 && s_number(value, 0, 525600, &n)) {
        m->disconnect_warn_seconds = (uint64_t)n * 60;
        return 1;
    }
    return 0;
}

void vn_metrics_config_defaults(vn_metrics_config_t *m)
{
    memset(m, 0, sizeof *m); /* listen: off */
    m->storage_warn_percent = 80;
    m->queue_warn_seconds = 3600;
    m->disconnect_warn_seconds = 900;
}

/* [witness] keys; agent: whether cosign is allowed. Org ids are checked when they are used. */
static int s_witness_key(vn_witness_config_t *w, const char *name, const char *value, int agent)
{
    long long n;
    if (strcmp(name, "witnesses") == 0)
        return strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-, ") == strlen(value) &&
               (!value[0] ? (w->witnesses[0] = 0, 1) : s_copy(w->witnesses, sizeof w->witnesses, value));
    if (strcmp(name, "quorum") == 0 && s_number(value, 0, 64, &n)) {
        w->quorum = (int)n;
        return 1;
    }
    if (agent && strcmp(name, "cosign") == 0 && (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)) {
        w->cosign = value[0] == 'y';
        return 1;
    }
    return 0;
}

/* [limits] keys: every one a whole number; 0 turns that limit off. */
static int s_limits_key(vn_limits_config_t *l, const char *name, const char *value)
{
    static const struct {
        const char *name;
        size_t off;
        long long max;
    } keys[] = {
        {"refusal_audit_rate", offsetof(vn_limits_config_t, refusal_audit_rate), 1000000},
        {"refusal_audit_burst", offsetof(vn_limits_config_t, refusal_audit_burst), 100000000},
        {"suppress_window_seconds", offsetof(vn_limits_config_t, suppress_window), 86400},
        {"submit_rate", offsetof(vn_limits_config_t, submit_rate), 10000000},
        {"submit_burst", offsetof(vn_limits_config_t, submit_burst), 100000000},
        {"submit_in_flight", offsetof(vn_limits_config_t, submit_in_flight), 1000000},
        {"submit_in_flight_mb", offsetof(vn_limits_config_t, submit_in_flight_mb), 1048576},
        {"request_rate", offsetof(vn_limits_config_t, request_rate), 10000000},
        {"request_burst", offsetof(vn_limits_config_t, request_burst), 100000000},
        {"queue_share_percent", offsetof(vn_limits_config_t, queue_share_percent), 100},
        {"handshake_rate", offsetof(vn_limits_config_t, handshake_rate), 100000},
        {"handshake_burst", offsetof(vn_limits_config_t, handshake_burst), 1000000},
    };
    long long n;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(name, keys[i].name) == 0) {
            if (!s_number(value, 0, keys[i].max, &n))
                return 0;
            *(uint32_t *)(void *)((char *)l + keys[i].off) = (uint32_t)n;
            return 1;
        }
    return 0;
}

void vn_limits_config_defaults(vn_limits_config_t *l)
{
    l->refusal_audit_rate = 10;
    l->refusal_audit_burst = 200;
    l->suppress_window = 60;
    l->submit_rate = 10000;
    l->submit_burst = 20000;
    l->submit_in_flight = 4096;
    l->submit_in_flight_mb = 64;
    l->request_rate = 500;
    l->request_burst = 5000;
    l->queue_share_percent = 25;
    l->handshake_rate = 2;
    l->handshake_burst = 30;
}

static int s_broker_key(vn_broker_config_t *c, const char *section, const char *name,
                        const char *value)
{
    long long n;
    if (strcmp(section, "limits") == 0)
        return s_limits_key(&c->limits, name, value);
    if (strcmp(section, "metrics") == 0)
        return s_metrics_key(&c->metrics, name, value, 1);
    if (strcmp(section, "witness") == 0)
        return s_witness_key(&c->witness, name, value, 0);
    if (strcmp(section, "pseudonyms") == 0) {
        uint64_t day;
        if (strcmp(name, "refuse_v1_after") != 0 || vn_date_parse(value, &day) != 0)
            return 0;
        c->refuse_v1_from = day + 86400; /* the whole named day still accepts them */
        return 1;
    }
    if (strcmp(section, "broker") != 0)
        return 0;
    if (strcmp(name, "endpoint") == 0) return s_endpoint(c->endpoint, sizeof c->endpoint, value, 0);
    if (strcmp(name, "data") == 0) return s_copy(c->data, sizeof c->data, value);
    if (strcmp(name, "keys") == 0) return s_copy(c->keys, sizeof c->keys, value);
    if (strcmp(name, "policy") == 0) return s_copy(c->policy, sizeof c->policy, value);
    if (strcmp(name, "vocabulary") == 0) return s_copy(c->vocabulary, sizeof c->vocabulary, value);
    if (strcmp(name, "log_level") == 0) return s_level(value, &c->log_level);
    if (strcmp(name, "map_size_mb") == 0 && s_number(value, 1, 1 << 20, &n)) {
        c->map_size = (size_t)n << 20;
        return 1;
    }
    if (strcmp(name, "max_envelope_kb") == 0 && s_number(value, 1, 64 * 1024, &n)) {
        c->max_envelope = (size_t)n << 10;
        return 1;
    }
    if (strcmp(name, "max_ttl_days") == 0 && s_number(value, 1, 3650, &n)) {
        c->max_ttl = (uint64_t)n * 86400;
        return 1;
    }
    if (strcmp(name, "workers") == 0 && s_number(value, 1, 64, &n)) {
        c->workers = (int)n;
        return 1;
    }
    if (strcmp(name, "max_queue_per_recipient") == 0 && s_number(value, 0, 1LL << 40, &n)) {
        c->max_queue_depth = (uint64_t)n;
        return 1;
    }
    if (strcmp(name, "max_queue_age_hours") == 0 && s_number(value, 0, 24 * 3650, &n)) {
        c->max_queue_age = (uint64_t)n * 3600;
        return 1;
    }
    return 0;
}

int vn_http_api_parse_listen(const char *value, char *addr, size_t addr_len, int *ipv6,
                             int *loopback, uint16_t *port)
{
    const char *colon = strrchr(value, ':');
    if (!colon || colon == value)
        return -1;
    size_t hlen = (size_t)(colon - value);
    const char *host = value;
    *ipv6 = value[0] == '[';
    if (*ipv6) {
        if (hlen < 3 || value[hlen - 1] != ']')
            return -1;
        host++;
        hlen -= 2;
    }
    if (hlen >= addr_len || hlen >= 64)
        return -1;
    memcpy(addr, host, hlen);
    addr[hlen] = '\0';
    unsigned char bin[16];
    if (inet_pton(*ipv6 ? AF_INET6 : AF_INET, addr, bin) != 1)
        return -1;
    long long p;
    if (!s_number(colon + 1, 0, 65535, &p))
        return -1;
    *port = (uint16_t)p;
    static const unsigned char v6_loop[16] = {[15] = 1};
    *loopback = *ipv6 ? memcmp(bin, v6_loop, 16) == 0 : bin[0] == 127;
    return 0;
}

static int s_http_api_key(vn_http_api_config_t *h, const char *name, const char *value)
{
    long long n;
    if (strcmp(name, "listen") == 0) {
        char addr[64];
        int ipv6;
        uint16_t port;
        if (strcmp(value, "off") == 0) {
            h->listen[0] = '\0';
            return 1;
        }
        return vn_http_api_parse_listen(value, addr, sizeof addr, &ipv6, &h->loopback, &port) == 0 &&
               s_copy(h->listen, sizeof h->listen, value);
    }
    if (strcmp(name, "tls_cert") == 0) return s_copy(h->tls_cert, sizeof h->tls_cert, value);
    if (strcmp(name, "tls_key") == 0) return s_copy(h->tls_key, sizeof h->tls_key, value);
    if (strcmp(name, "tls_client_ca") == 0)
        return s_copy(h->tls_client_ca, sizeof h->tls_client_ca, value);
    if (strcmp(name, "clients") == 0) return s_copy(h->clients, sizeof h->clients, value);
    if (strcmp(name, "max_connections") == 0 && s_number(value, 1, 1024, &n)) {
        h->max_connections = (int)n;
        return 1;
    }
    return 0;
}

static int s_agent_key(vn_agent_config_t *c, const char *section, const char *name,
                       const char *value)
{
    long long n;
    if (strcmp(section, "metrics") == 0)
        return s_metrics_key(&c->metrics, name, value, 0);
    if (strcmp(section, "witness") == 0)
        return s_witness_key(&c->witness, name, value, 1);
    if (strcmp(section, "http_api") == 0)
        return s_http_api_key(&c->http_api, name, value);
    if (strcmp(section, "agent") == 0) {
        if (strcmp(name, "keys") == 0) return s_copy(c->keys, sizeof c->keys, value);
        if (strcmp(name, "data") == 0) return s_copy(c->data, sizeof c->data, value);
        if (strcmp(name, "api") == 0) return s_endpoint(c->api, sizeof c->api, value, 1);
        if (strcmp(name, "pseudonym_key") == 0)
            return s_copy(c->pseudonym_key, sizeof c->pseudonym_key, value);
        if (strcmp(name, "log_level") == 0) return s_level(value, &c->log_level);
        if (strcmp(name, "previous_keys") == 0)
            return s_copy(c->previous_keys, sizeof c->previous_keys, value);
        if (strcmp(name, "api_clients") == 0)
            return s_copy(c->api_clients, sizeof c->api_clients, value);
        if (strcmp(name, "default_ttl_hours") == 0 && s_number(value, 1, 24 * 365, &n)) {
            c->default_ttl = (uint64_t)n * 3600;
            return 1;
        }
        if (strcmp(name, "map_size_mb") == 0 && s_number(value, 1, 1 << 20, &n)) {
            c->map_size = (size_t)n << 20;
            return 1;
        }
        if (strcmp(name, "resend_seconds") == 0 && s_number(value, 1, 3600, &n)) {
            c->resend_ms = (uint64_t)n * 1000;
            return 1;
        }
    } else if (strcmp(section, "pseudonymd") == 0) {
        if (strcmp(name, "endpoint") == 0)
            return s_endpoint(c->pseudonymd_endpoint, sizeof c->pseudonymd_endpoint, value, 0);
        if (strcmp(name, "public") == 0)
            return s_copy(c->pseudonymd_public, sizeof c->pseudonymd_public, value);
        if (strcmp(name, "timeout_ms") == 0 && s_number(value, 100, 60000, &n)) {
            c->pseudonymd_timeout_ms = (int)n;
            return 1;
        }
    } else if (strcmp(section, "broker") == 0) {
        if (strcmp(name, "endpoint") == 0)
            return s_endpoint(c->broker_endpoint, sizeof c->broker_endpoint, value, 0);
        if (strcmp(name, "public") == 0) return s_copy(c->broker_public, sizeof c->broker_public, value);
    }
    return 0;
}

/* Every key, by section, with what a valid value looks like: an error says which it was. */
typedef struct {
    const char *section, *name, *expect;
    int broker, agent;
} s_key_t;

static const s_key_t s_keys[] = {
    {"broker", "endpoint", "tcp://HOST:PORT with PORT 1..65535 (agents: the broker's; broker: "
               "where to listen, PORT may be *)", 1, 1},
    {"broker", "data", "a directory path", 1, 0},
    {"broker", "keys", "the broker's .secret file", 1, 0},
    {"broker", "policy", "the policy file", 1, 0},
    {"broker", "vocabulary", "the vocabulary file (config/vocabulary.conf)", 1, 0},
    {"broker", "map_size_mb", "a whole number of MiB, 1..1048576", 1, 0},
    {"broker", "max_envelope_kb", "a whole number of KiB, 1..65536", 1, 0},
    {"broker", "max_ttl_days", "a whole number of days, 1..3650", 1, 0},
    {"broker", "workers", "a whole number, 1..64", 1, 0},
    {"broker", "log_level", "error, warn, info or debug", 1, 0},
    {"broker", "max_queue_per_recipient", "a whole number (0: no limit)", 1, 0},
    {"broker", "max_queue_age_hours", "a whole number of hours, 0..87600 (0: no limit)", 1, 0},
    {"pseudonyms", "refuse_v1_after", "a date YYYY-MM-DD (UTC; v1 pseudonyms are refused from the "
     "day after)", 1, 0},
    {"broker", "public", "the broker's .public file", 0, 1},
    {"agent", "keys", "this organisation's .secret file", 0, 1},
    {"agent", "data", "a directory path", 0, 1},
    {"agent", "api", "ipc://PATH or tcp://127.0.0.1:PORT (local only)", 0, 1},
    {"agent", "pseudonym_key", "the network pseudonym key file (v1, before the pseudonym service)", 0, 1},
    {"pseudonymd", "endpoint", "tcp://HOST:PORT of the pseudonym service", 0, 1},
    {"pseudonymd", "public", "the pseudonym service's pseudonymd.public file", 0, 1},
    {"pseudonymd", "timeout_ms", "a whole number of milliseconds, 100..60000", 0, 1},
    {"agent", "default_ttl_hours", "a whole number of hours, 1..8760", 0, 1},
    {"agent", "map_size_mb", "a whole number of MiB, 1..1048576", 0, 1},
    {"agent", "resend_seconds", "a whole number of seconds, 1..3600", 0, 1},
    {"agent", "log_level", "error, warn, info or debug", 0, 1},
    {"agent", "previous_keys", "the .secret file before the last key rotation", 0, 1},
    {"witness", "witnesses", "organisation ids, comma-separated", 1, 1},
    {"witness", "quorum", "a whole number of cosignatures, 0..64", 1, 1},
    {"witness", "cosign", "yes or no", 0, 1},
    {"agent", "api_clients", "the file of TCP API clients (vangnet api-client add)", 0, 1},
    {"metrics", "listen", "127.0.0.1:PORT, [::1]:PORT or off (loopback only)", 1, 1},
    {"http_api", "listen", "ADDRESS:PORT, [IPV6]:PORT or off", 0, 1},
    {"http_api", "tls_cert", "a PEM certificate file", 0, 1},
    {"http_api", "tls_key", "a PEM private key file", 0, 1},
    {"http_api", "tls_client_ca", "a PEM file of the CA certificates that issue client certificates", 0, 1},
    {"http_api", "clients", "the API clients file (vangnet api-client add)", 0, 1},
    {"http_api", "max_connections", "a whole number, 1..1024", 0, 1},
    {"limits", "refusal_audit_rate", "a whole number of refusals per second, 0..1000000 (0: no limit)", 1, 0},
    {"limits", "refusal_audit_burst", "a whole number, 0..100000000", 1, 0},
    {"limits", "suppress_window_seconds", "a whole number of seconds, 0..86400", 1, 0},
    {"limits", "submit_rate", "a whole number per second, 0..10000000 (0: no limit)", 1, 0},
    {"limits", "submit_burst", "a whole number, 0..100000000", 1, 0},
    {"limits", "submit_in_flight", "a whole number, 0..1000000 (0: no limit)", 1, 0},
    {"limits", "submit_in_flight_mb", "a whole number of MiB, 0..1048576 (0: no limit)", 1, 0},
    {"limits", "request_rate", "a whole number per second, 0..10000000 (0: no limit)", 1, 0},
    {"limits", "request_burst", "a whole number, 0..100000000", 1, 0},
    {"limits", "queue_share_percent", "a whole number, 0..100 (0: no per-sender share)", 1, 0},
    {"limits", "handshake_rate", "a whole number, 0..100000 (0: no limit)", 1, 0},
    {"limits", "handshake_burst", "a whole number, 0..1000000", 1, 0},
    {"metrics", "storage_warn_percent", "a whole number, 1..100", 1, 1},
    {"metrics", "queue_warn_minutes", "a whole number of minutes, 0..525600 (0: at once)", 1, 0},
    {"metrics", "disconnect_warn_minutes", "a whole number of minutes, 0..525600 (0: at once)", 1, 1},
};

static const s_key_t *s_known(const char *section, const char *name, int agent)
{
    for (size_t i = 0; i < sizeof s_keys / sizeof s_keys[0]; i++)
        if (strcmp(s_keys[i].section, section) == 0 && strcmp(s_keys[i].name, name) == 0 &&
            (agent ? s_keys[i].agent : s_keys[i].broker))
            return &s_keys[i];
    return NULL;
}

static int s_handler(void *user, const char *section, const char *name, const char *value)
{
    s_ctx_t *ctx = user;
    if (ctx->err[0])
        return 0; /* keep the first error: inih reports the first failing line */
    int ok = ctx->agent ? s_agent_key(ctx->cfg, section, name, value)
                        : s_broker_key(ctx->cfg, section, name, value);
    const s_key_t *key = ok ? NULL : s_known(section, name, ctx->agent);
    if (key)
        snprintf(ctx->err, sizeof ctx->err, "[%s] %s = %s: invalid value, expected %s", section,
                 name, value, key->expect);
    else if (!ok)
        snprintf(ctx->err, sizeof ctx->err, "[%s] %s: unknown key (see the annotated example "
                 "config/%s.conf)", section, name, ctx->agent ? "agent" : "broker");
    return ok;
}

static int s_load(const char *path, s_ctx_t *ctx, char *err, size_t errlen)
{
    int line = ini_parse(path, s_handler, ctx);
    if (line < 0) {
        snprintf(err, errlen, "%s: cannot read configuration", path);
        return VN_E_CONFIG;
    }
    if (line > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, ctx->err[0] ? ctx->err : "syntax error");
        return VN_E_CONFIG;
    }
    return 0;
}

int vn_broker_config_load(const char *path, vn_broker_config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "tcp://127.0.0.1:7700");
    cfg->map_size = (size_t)1 << 30;
    cfg->max_envelope = 1 << 20;
    cfg->max_ttl = 30 * 86400;
    cfg->workers = 2;
    cfg->log_level = VN_LOG_INFO;
    cfg->max_queue_depth = 100000;
    cfg->max_queue_age = 168 * 3600;
    vn_metrics_config_defaults(&cfg->metrics);
    vn_limits_config_defaults(&cfg->limits);
    s_ctx_t ctx = {.cfg = cfg};
    int rc = s_load(path, &ctx, err, errlen);
    if (rc == 0 && (!cfg->data[0] || !cfg->keys[0] || !cfg->policy[0])) {
        snprintf(err, errlen, "%s: [broker] needs data = DIR, keys = FILE.secret and policy = FILE",
                 path);
        rc = VN_E_CONFIG;
    }
    return rc;
}

int vn_agent_config_load(const char *path, vn_agent_config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->default_ttl = 72 * 3600;
    cfg->map_size = (size_t)512 << 20;
    cfg->resend_ms = 5000; /* the agent's RESEND_MS */
    cfg->log_level = VN_LOG_INFO;
    cfg->witness.cosign = 1;
    vn_metrics_config_defaults(&cfg->metrics);
    cfg->http_api.max_connections = 64;
    cfg->pseudonymd_timeout_ms = 3000;
    s_ctx_t ctx = {.cfg = cfg, .agent = 1};
    int rc = s_load(path, &ctx, err, errlen);
    if (rc == 0 && (!cfg->keys[0] || !cfg->data[0] || !cfg->api[0] ||
                    !cfg->broker_endpoint[0] || !cfg->broker_public[0])) {
        snprintf(err, errlen, "%s: needs [agent] keys, data, api and [broker] endpoint, public",
                 path);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && !cfg->pseudonym_key[0] && !cfg->pseudonymd_endpoint[0]) {
        snprintf(err, errlen, "%s: needs [pseudonymd] endpoint and public (the pseudonym service, "
                 "docs/pseudonyms.md), or the legacy [agent] pseudonym_key", path);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && !cfg->pseudonymd_endpoint[0] != !cfg->pseudonymd_public[0]) {
        snprintf(err, errlen, "%s: [pseudonymd] endpoint and public go together", path);
        rc = VN_E_CONFIG;
    }
    vn_http_api_config_t *h = &cfg->http_api;
    if (rc == 0 && h->listen[0] && !h->loopback && (!h->tls_cert[0] || !h->tls_key[0])) {
        snprintf(err, errlen,
                 "%s: [http_api] listen = %s is not a loopback address: it needs tls_cert and "
                 "tls_key (tokens must not cross a network in the clear)", path, h->listen);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && !h->tls_cert[0] != !h->tls_key[0]) {
        snprintf(err, errlen, "%s: [http_api] tls_cert and tls_key go together", path);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && h->tls_client_ca[0] && !h->tls_cert[0]) {
        snprintf(err, errlen, "%s: [http_api] tls_client_ca needs tls_cert and tls_key (client "
                 "certificates are a TLS feature)", path);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && !h->clients[0] &&
        snprintf(h->clients, sizeof h->clients, "%s/api-clients", cfg->data) >= (int)sizeof h->clients) {
        snprintf(err, errlen, "%s: [agent] data path too long", path);
        rc = VN_E_CONFIG;
    }
    if (rc == 0 && strncmp(cfg->api, "tcp://", 6) == 0 && !cfg->api_clients[0]) {
        /* Any local user can reach a TCP port: only callers with a credential may use it. */
        snprintf(err, errlen, "%s: [agent] api = %s needs api_clients = FILE (the credentials "
                 "that may call it; vangnet api-client add)", path, cfg->api);
        rc = VN_E_CONFIG;
    }
    return rc;
}
