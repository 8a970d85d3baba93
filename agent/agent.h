/* agent.h -- the agent's state, shared by its modules (one job per file). */
#ifndef VN_AGENT_H
#define VN_AGENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"
#include "vn_apiclient.h"
#include "vn_config.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_store.h"
#include "wire.pb-c.h"

#define ROUTING_MAX 256
#define AGENT_CREDIT 256                 /* deliveries in flight from the broker */
#define AGENT_MAX_CONTENT (512 * 1024)   /* largest notification content accepted from IT systems */
#define RESEND_MS 5000

/* Agent databases, in opening order.
 *   META       "dir" -> SignedDirectory; "oseq", "iseq" -> be64 counters
 *   OUTBOX     oseq(be64) -> msgid(16) envelope        (until the broker's receipt)
 *   OUTBOX_IDS msgid -> oseq
 *   RESULTS    msgid -> ApiSubmitResult                (each submit's outcome: QUEUED when stored,
 *                                                       then the broker's answer; outcome.c)
 *   INBOX      iseq(be64) -> sealed ApiNotification    (until the IT system acks; inbox_seal.c)
 *   INBOX_IDS  msgid -> iseq, or 0 once acked          (deduplication, kept)
 *   CLIENT_REFS client_ref -> msgid(16) || hash(32)    (idempotency keys, outcome.c) */
enum { ADB_META, ADB_OUTBOX, ADB_OUTBOX_IDS, ADB_RESULTS, ADB_INBOX, ADB_INBOX_IDS,
       ADB_CLIENT_REFS };

/* An API request waiting for something: a submit for its receipt, a fetch for mail. */
typedef struct {
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t msgid[16];   /* submit and outcome waiters */
    uint8_t client_ref[64];
    size_t client_ref_len;
    int repeated;        /* an outcome query or a repeated client_ref: no new message */
    int as_outcome;      /* answer as ApiResponse.outcome (a query), not .submit */
    uint32_t max;        /* fetch waiters */
    uint64_t deadline_ms;
} waiter_t;

/* A message to send once the current transaction is durable. */
typedef struct {
    int to_api;
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t *data;
    size_t len;
} outgoing_t;

typedef struct agent {
    vn_agent_config_t cfg;
    vn_keyset_t *keys;
    vn_keyset_t *prev_keys;  /* before a key rotation, to open what was sealed to them (or NULL) */
    vn_pubkeys_t broker;
    uint8_t *pseudonym_key;  /* sodium_malloc'd, 32 bytes */
    vn_store_t *db;
    void *ctx, *dealer, *monitor, *api, *zap;
    vn_api_client_t *api_clients; /* api_clients file: who may call a tcp:// API */
    size_t n_api_clients;
    char api_caller[256];       /* the caller of the request being handled */
    _Atomic int connected;   /* read by the HTTP thread, like the other _Atomic fields */
    const char *disconnect_reason; /* static string: why not connected (status) */
    uint64_t unreachable_logged_ms; /* last "broker unreachable" warning (rate limit) */
    int revoked;
    int session_replaced;    /* another agent took over our session at the broker */
    Vn__Directory *dir;
    MDB_txn *txn;            /* the open batch transaction, if any */
    outgoing_t *out;
    size_t n_out, cap_out;
    waiter_t *submits, *fetches, *consents;
    size_t n_submits, n_fetches, n_consents;
    uint64_t resend_mark, next_resend_ms;
    _Atomic uint64_t final_size; /* receipts up to here are final: held and quorum-cosigned (auditor.c) */
    uint64_t quorum_size;    /* the newest checkpoint seen with a quorum of cosignatures (witness.c) */
    uint8_t quorum_root[32];
    int final_check;         /* a consistency request from quorum_size is out (auditor.c) */
    _Atomic uint64_t witness_size; /* the last checkpoint this agent cosigned (witness.c) */
    uint8_t witness_root[32];
    uint64_t cp_size;        /* the newest broker checkpoint verified (auditor.c) */
    uint8_t cp_root[32];
    int consistency_pending;
    _Atomic int log_inconsistent;
    char alarm_reason[160];  /* the last alarm raised (auditor.c) */
    uint8_t *seen_cp;        /* the last signed checkpoint whose signature was verified */
    size_t seen_cp_len;
    uint64_t seen_cp_size;
    uint8_t seen_cp_root[32];
    int inbox_grew;
    _Atomic uint64_t n_sent, n_received, n_resent;
    _Atomic uint64_t connection_changed; /* seconds: when connected last changed */
    _Atomic uint64_t last_receipt;       /* seconds: the broker's last receipt */
    _Atomic uint64_t consistency_failures;
    _Atomic int storage_ok;
    uint64_t started;
    struct vn_http *http;
    char config_path[1024];  /* for SIGHUP: log level */
} agent_t;

/* agent.c */
int agent_init(agent_t *a, const vn_agent_config_t *cfg, char *err, size_t errlen);
void agent_run(agent_t *a, volatile int *stop, volatile int *reload);
/* Record a change of the broker connection (for metrics and the status page). */
void agent__set_connected(agent_t *a, int connected);
void agent_fini(agent_t *a);
/* --check-config: every key file the configuration names, without starting. 0 or -1. */
int agent_check_config(const vn_agent_config_t *cfg, const char *path);
int agent__send_broker(agent_t *a, Vn__WireMessage *m);

/* batch.c: one write transaction per loop turn; replies leave after the commit */
MDB_txn *agent__txn(agent_t *a);
void agent__after_commit(agent_t *a, int to_api, const uint8_t *routing, size_t routing_len,
                         uint8_t *data, size_t len);
void agent__reply_after_commit(agent_t *a, const uint8_t *routing, size_t routing_len,
                               Vn__ApiResponse *resp);
void agent__commit(agent_t *a);
int agent__next_counter(agent_t *a, const char *name, uint64_t *out);
waiter_t *agent__waiter_add(waiter_t **list, size_t *n, const uint8_t *routing, size_t routing_len);

/* directory.c */
int agent__directory_load(agent_t *a);
int agent__directory_update(agent_t *a, const Vn__SignedDirectory *sd);
const Vn__OrgEntry *agent__directory_find(const agent_t *a, const char *org);

/* outbox.c */
void agent__submit(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSubmit *s);
void agent__resend(agent_t *a, int all);
void agent__on_receipt(agent_t *a, const Vn__Receipt *r);
void agent__on_refusal(agent_t *a, const Vn__Refusal *r);

/* outcome.c: stored outcomes, client_ref idempotency, outcome queries */
int agent__result_put(agent_t *a, const uint8_t msgid[16], const Vn__ApiSubmitResult *r);
/* msgid's stored outcome (the caller frees it), or NULL. */
Vn__ApiSubmitResult *agent__result_get(agent_t *a, const uint8_t msgid[16]);
void agent__answer_result(agent_t *a, const uint8_t *routing, size_t routing_len,
                          Vn__ApiSubmitResult *r, int as_outcome);
/* 1 if the submit's client_ref was used before (answered here: the first outcome, or
 * client-ref-conflict), 0 if the submit is new. */
int agent__client_ref_check(agent_t *a, const uint8_t *routing, size_t routing_len,
                            const Vn__ApiSubmit *s);
/* Bind the submit's client_ref (if any) to msgid in this turn's transaction. */
int agent__client_ref_bind(agent_t *a, const Vn__ApiSubmit *s, const uint8_t msgid[16]);
void agent__outcome_query(agent_t *a, const uint8_t *routing, size_t routing_len,
                          const Vn__ApiOutcomeQuery *q);
/* Answer everyone waiting for msgid's outcome with r (after this turn's commit). */
void agent__outcome_settled(agent_t *a, const uint8_t msgid[16], Vn__ApiSubmitResult *r);
void agent__submit_timeouts(agent_t *a, uint64_t now_ms);

/* inbox.c */
void agent__on_deliver(agent_t *a, const Vn__Deliver *d);
void agent__on_notice(agent_t *a, const Vn__Notice *n);
int agent__inbox_notice(agent_t *a, const uint8_t id[16], const uint8_t about[16],
                        const char *recipient, const char *code, const char *reason);
void agent__fetch(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiFetch *f);
void agent__fetch_wake(agent_t *a, uint64_t now_ms);
void agent__ack(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiAck *ack);

/* inbox_seal.c: inbox values encrypted at rest (key8: the entry's inbox key, bound to it) */
int agent__inbox_seal(agent_t *a, const uint8_t key8[8], const uint8_t *plain, size_t len,
                      uint8_t **out, size_t *out_len);
/* The notification stored under key8, or NULL if it does not open (the caller frees it). */
Vn__ApiNotification *agent__inbox_open(agent_t *a, const uint8_t key8[8], const uint8_t *sealed,
                                       size_t len);

/* Seal inbox entries stored unsealed by an older agent; how many, or an error. */
int agent__inbox_migrate(agent_t *a);

/* consent.c */
void agent__consent(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiConsent *c);
void agent__on_consent_response(agent_t *a, const Vn__ConsentResponse *resp);
void agent__consent_timeouts(agent_t *a, uint64_t now_ms);

/* auditor.c */
void agent__auditor_load(agent_t *a);
void agent__audit_receipt(agent_t *a, const Vn__Receipt *r);
void agent__on_consistency(agent_t *a, const Vn__ConsistencyResponse *resp);
/* A verified checkpoint (size, root) to adopt, or to check for consistency with the held one. */
void agent__audit_offer(agent_t *a, const ProtobufCBinaryData *signed_cp, uint64_t size,
                        const uint8_t root[32]);
/* Raise the audit-log alarm (logged, kept across restarts, shown in the status). */
void agent__audit_alarm(agent_t *a, const char *why);

/* witness.c: cosigning the broker's checkpoints (c2sp.org/tlog-witness) and counting the
 * cosignatures of the witnesses this agent trusts ([witness] witnesses, quorum) */
void agent__witness_load(agent_t *a);
void agent__on_cosign_request(agent_t *a, const Vn__CosignRequest *req);
void agent__on_cosigned_checkpoint(agent_t *a, const Vn__CosignedCheckpoint *cc);

/* metrics.c: /metrics, /healthz, /readyz and /status on the loopback HTTP endpoint */
int agent__http_start(agent_t *a, char *err, size_t errlen);

/* api_auth.c: the ZAP handler that authenticates local API callers */
int agent__api_auth_load(agent_t *a, char *err, size_t errlen);
int agent__api_auth_init(agent_t *a, char *err, size_t errlen);
void agent__api_auth_handle(agent_t *a);

/* api.c */
void agent__api_handle(agent_t *a);
void agent__api_error(agent_t *a, const uint8_t *routing, size_t routing_len, const char *code,
                      const char *message);

#endif
