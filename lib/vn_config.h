/* vn_config.h -- the broker's and the agent's configuration files (INI), validated as a whole. */
#ifndef VN_CONFIG_H
#define VN_CONFIG_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

/* [metrics]: the loopback HTTP endpoint and when the status page warns. Both daemons. */
typedef struct {
    char listen[64];               /* listen = 127.0.0.1:PORT | [::1]:PORT | off (default off) */
    int storage_warn_percent;      /* storage_warn_percent = 80 */
    uint64_t queue_warn_seconds;   /* queue_warn_minutes = 60 (broker; 0: at once) */
    uint64_t disconnect_warn_seconds; /* disconnect_warn_minutes = 15 (0: at once) */
} vn_metrics_config_t;

/* [witness]: checkpoint cosigning (c2sp.org/tlog-witness). Both daemons. */
typedef struct {
    char witnesses[1024];          /* witnesses = org ids, comma-separated (broker: whom to ask;
                                    * agent: whose cosignatures count). Default none. */
    int quorum;                    /* quorum = 0: cosignatures needed for a final receipt (agent)
                                    * or for a round to count as reached (broker) */
    int cosign;                    /* cosign = yes: this agent cosigns when asked (agent only) */
} vn_witness_config_t;

/* [limits]: what one organisation may cost the broker (docs/limits.md). 0 turns a limit off. */
typedef struct {
    uint32_t refusal_audit_rate;   /* refusal_audit_rate = 10: audited refusals per second per org */
    uint32_t refusal_audit_burst;  /* refusal_audit_burst = 200; beyond: one SUPPRESSED record */
    uint32_t suppress_window;      /* suppress_window_seconds = 60: what one SUPPRESSED record spans */
    uint32_t submit_rate;          /* submit_rate = 10000: submissions per second per org */
    uint32_t submit_burst;         /* submit_burst = 20000 */
    uint32_t submit_in_flight;     /* submit_in_flight = 4096: unanswered submissions per org */
    uint32_t submit_in_flight_mb;  /* submit_in_flight_mb = 64: their envelopes' MiB per org */
    uint32_t request_rate;         /* request_rate = 500: consent, signal, match, list, proof and
                                    * directory requests per second per org */
    uint32_t request_burst;        /* request_burst = 5000 */
    uint32_t queue_share_percent;  /* queue_share_percent = 25: of max_queue_per_recipient, what
                                    * one sender may hold in one recipient's queue */
    uint32_t handshake_rate;       /* handshake_rate = 2: admitted CURVE handshakes per second per
                                    * org (each new session resends what is unacked) */
    uint32_t handshake_burst;      /* handshake_burst = 30 */
} vn_limits_config_t;

typedef struct {
    char endpoint[256];     /* [broker] endpoint = tcp://127.0.0.1:7700 (port * picks a free one) */
    char data[1024];        /* [broker] data = directory of the LMDB store */
    char keys[1024];        /* [broker] keys = the broker's .secret file */
    char policy[1024];      /* [broker] policy = the policy file (config/policy.conf) */
    char vocabulary[1024];  /* [broker] vocabulary = config/vocabulary.conf ("": signals refused) */
    size_t map_size;        /* [broker] map_size_mb = 1024 */
    size_t max_envelope;    /* [broker] max_envelope_kb = 1024 */
    uint64_t max_ttl;       /* [broker] max_ttl_days = 30 */
    int workers;            /* [broker] workers = 2 (signature-checking threads) */
    int log_level;          /* [broker] log_level = info */
    uint64_t max_queue_depth; /* [broker] max_queue_per_recipient = 100000 (0: no limit) */
    uint64_t max_queue_age; /* [broker] max_queue_age_hours = 168 (0: no limit), in seconds */
    uint64_t refuse_v1_from; /* [pseudonyms] refuse_v1_after = YYYY-MM-DD: v1 pseudonyms refused
                              * from the next midnight UTC (unix seconds; 0: accepted) */
    vn_metrics_config_t metrics;
    vn_witness_config_t witness;
    vn_limits_config_t limits;
} vn_broker_config_t;

/* [http_api]: the agent's HTTP/JSON API for agency IT systems (docs/api.md). */
typedef struct {
    char listen[128];       /* listen = HOST:PORT | [V6]:PORT | off (default off); a non-loopback
                             * address requires tls_cert and tls_key */
    int loopback;           /* listen is a loopback address */
    char tls_cert[1024];    /* tls_cert = PEM certificate chain (HTTPS) */
    char tls_key[1024];     /* tls_key = its PEM private key (mode 0600) */
    char tls_client_ca[1024]; /* tls_client_ca = PEM CA certificates: a TLS client certificate
                             * they issued, whose CN is a registered API client, authenticates
                             * as that client (docs/api.md) */
    char clients[1024];     /* clients = the API clients file (default DATA/api-clients) */
    int max_connections;    /* max_connections = 64 (each may hold one long-poll) */
} vn_http_api_config_t;

typedef struct {
    char keys[1024];        /* [agent] keys = this organisation's .secret file */
    char data[1024];        /* [agent] data = directory of the outbox/inbox store */
    char api[256];          /* [agent] api = ipc:///run/vangnet/agent.sock (or tcp://127.0.0.1:PORT) */
    char pseudonym_key[1024]; /* [agent] pseudonym_key = the network pseudonym key file */
    uint64_t default_ttl;   /* [agent] default_ttl_hours = 72 */
    size_t map_size;        /* [agent] map_size_mb = 512 */
    uint64_t resend_ms;     /* [agent] resend_seconds = 5: an unanswered notification's resend */
    int log_level;          /* [agent] log_level = info */
    char broker_endpoint[256]; /* [broker] endpoint = tcp://127.0.0.1:7700 */
    char broker_public[1024];  /* [broker] public = the broker's .public file (pinned keys) */
    char previous_keys[1024];  /* [agent] previous_keys = the key set before a rotation (optional) */
    char api_clients[1024];    /* [agent] api_clients = NAME HASH lines; required for a tcp:// api */
    char pseudonymd_endpoint[256]; /* [pseudonymd] endpoint = tcp://HOST:PORT of the pseudonym service */
    char pseudonymd_public[1024];  /* [pseudonymd] public = its pseudonymd.public file (pinned keys) */
    int pseudonymd_timeout_ms;     /* [pseudonymd] timeout_ms = 3000 */
    vn_metrics_config_t metrics;
    vn_witness_config_t witness;
    vn_http_api_config_t http_api;
} vn_agent_config_t;

/* The [limits] defaults (docs/limits.md). */
void vn_limits_config_defaults(vn_limits_config_t *l);

/* The [metrics] defaults (also what `broker status --data` warns by, without a file). */
void vn_metrics_config_defaults(vn_metrics_config_t *m);

/* Parse an [http_api] listen value: "A.B.C.D:PORT" or "[V6]:PORT" (PORT 0 picks a free one).
 * Fills the address as text (without brackets), whether it is loopback, and the port. 0 or -1. */
int vn_http_api_parse_listen(const char *value, char *addr, size_t addr_len, int *ipv6,
                             int *loopback, uint16_t *port) VN_MUST_USE;

/* 0, or VN_E_CONFIG with err saying file, line and reason. */
int vn_broker_config_load(const char *path, vn_broker_config_t *cfg, char *err, size_t errlen)
    VN_MUST_USE;
int vn_agent_config_load(const char *path, vn_agent_config_t *cfg, char *err, size_t errlen)
    VN_MUST_USE;

#endif
