/* broker.h -- the broker's state, shared by its modules (one job per file). */
#ifndef VN_BROKER_H
#define VN_BROKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.pb-c.h"
#include "vn_config.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_policy.h"
#include "vn_prom.h"
#include "vn_registry.h"
#include "vn_store.h"
#include "vn_store_warm.h"
#include "vn_util.h"
#include "wire.pb-c.h"

#define ROUTING_MAX 256
#define BATCH_MAX 1024

/* The in-process endpoints between the broker's threads (defined once, here). */
#define BROKER_JOBS_EP "inproc://vn-jobs"            /* main -> workers: envelopes to check */
#define BROKER_STORE_IN_EP "inproc://vn-store-in"    /* workers and main -> storage thread */
#define BROKER_STORE_OUT_EP "inproc://vn-store-out"  /* storage thread -> main */

/* inflight.c: ids (16 bytes) sent to a session and not yet acknowledged (main thread only). */
typedef struct {
    uint8_t (*ids)[16];     /* open addressing, cap slots */
    uint8_t *used;          /* one bit per slot */
    uint32_t cap, n;        /* slots (a power of two, or 0) and ids held */
} inflight_t;
/* 0 added, 1 already there, -1 out of memory */
int broker__inflight_add(inflight_t *f, const uint8_t id[16]);
/* 1 if id was there (now removed), else 0 */
int broker__inflight_take(inflight_t *f, const uint8_t id[16]);
void broker__inflight_clear(inflight_t *f);
void broker__inflight_free(inflight_t *f);

/* session.c: the states of an agent's session and what changes them (the diagram is there). */
typedef enum { SESSION_GONE, SESSION_OPEN, SESSION_HELD } session_state_t;
typedef enum {
    SESSION_EV_OPENED,     /* a hello on a connection other than the session's */
    SESSION_EV_LOST,       /* the peer is gone (a send failed, the monitor saw it close) */
    SESSION_EV_REVOKED,    /* its organisation was revoked */
    SESSION_EV_STORE_FULL, /* its agent says its store is full */
    SESSION_EV_STORE_ROOM, /* its agent says it has room again */
} session_event_t;

/* An agent's session. The organisation comes from the ZAP User-Id, never from the routing id. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    session_state_t state;  /* changed only by broker__session_event */
    uint32_t credit;        /* deliveries it can still take before acking: credit_max - sent.n */
    uint32_t credit_max;    /* what its hello asked for: acks never raise credit above it */
    inflight_t sent;        /* what this session was sent and has not acked: only an ack of one
                             * of these returns a credit, whatever became of it at the broker */
    uint64_t last_qseq;     /* highest queue position sent in this session */
    uint64_t store_used, store_size; /* what its agent last said of its store (bytes) */
    uint64_t since;         /* when it last connected or was found gone (seconds) */
} session_t;

/* Refusals counted by their stable code, for the metrics (codes are a small fixed set). */
#define REFUSAL_CODES_MAX 64
typedef struct {
    char code[48];
    uint64_t n;
} refusal_count_t;

/* Per-recipient queue depth, kept by the storage thread to enforce the queue limits. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    uint64_t depth;
} queue_depth_t;

typedef enum {
    ITEM_ACCEPT, ITEM_REFUSE, ITEM_ACK, ITEM_NOTICE_ACK,
    ITEM_CONSENT,   /* a consent registration or withdrawal (ConsentRequest bytes in payload) */
    ITEM_WITHHOLD,  /* a delivery whose justification no longer holds (its ACCEPTED seq in seq) */
    ITEM_RESENT,    /* a resent message id, answered with its original outcome (outcome.c) */
    ITEM_SESSION_REPLACED, /* a second agent with the organisation's keys took over (audited) */
    ITEM_SIGNAL,    /* a signal registration or withdrawal, or a match request (WireMessage) */
    ITEM_AUDIT_MINE, /* an organisation's read of its own audit records (WireMessage; audited) */
} item_kind_t;

/* One piece of work for the next group commit. */
typedef struct {
    item_kind_t kind;
    char org[VN_ORG_MAX + 1];
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t *payload;       /* owned; ACCEPT and REFUSE: the envelope (when there was one);
                             * CONSENT: a ConsentRequest; SIGNAL, AUDIT_MINE: a WireMessage */
    size_t payload_len;
    char code[96];          /* REFUSE, WITHHOLD, failed ACK: stable reason code */
    char reason[700];       /* REFUSE: English, newline, Dutch; WITHHOLD, failed ACK: English */
    int review;             /* ACCEPT: the policy flagged it for review (audited review=1) */
    int resent;             /* ACCEPT: the worker found this sender's message id used before:
                             * the commit answers the original outcome (outcome.c) */
    uint8_t msgid[VN_MSGID_BYTES]; /* ACK, ACCEPT: message id; NOTICE_ACK: notice id */
    uint64_t seq;           /* ACCEPT: the new ACCEPTED record (0 for a resent message);
                             * WITHHOLD: the ACCEPTED record of the delivery withheld */
    uint8_t hash[32];       /* ACCEPT: SHA-256 of that record */
    uint64_t latency_us;    /* ACK: from acceptance to the recipient's durable ack */
    int delivered;          /* ACK: it removed a waiting delivery (counted as delivered) */
    int in_flight;          /* ACCEPT/REFUSE: a submission counted in the sender's in-flight
                             * budget; the main thread hears when it is answered (budget.c) */
    uint64_t in_flight_bytes; /* ... with its envelope's size, as the main thread counted it */
    int audit_budget;       /* REFUSE: 0 not yet asked, 1 audited, 2 suppressed (budget.c);
                             * kept so a commit retried after storage-full asks only once */
    /* filled by the commit */
    uint8_t *reply;         /* packed WireMessage to send back, owned */
    size_t reply_len;
} item_t;

/* Threads: the main thread owns the sockets to agents, the sessions and the in-memory registry;
 * workers check signatures; the storage thread owns the batch and every LMDB write transaction,
 * so receiving and verifying go on while a group commit waits for its fsync. */
struct broker_budget; /* budget.c */
typedef struct broker_budget broker_budget_t;
struct broker_shares; /* queue_share.c */

typedef struct broker {
    vn_broker_config_t cfg;
    vn_keyset_t *keys;
    vn_store_t *db;
    vn_store_warmer_t *warmer; /* touches the store's pages once after start (vn_store_warm.h) */
    void *ctx, *router, *zap, *jobs;
    void *to_storage;       /* main -> storage: acks and refusals */
    void *from_storage;     /* storage -> main: replies to send, credits, pump requests */
    pthread_t *workers;
    int n_workers;
    struct vn_batch_cache *batch_roots; /* workers.c: batch signatures verified (any worker) */
    atomic_int workers_stop;
    pthread_t storage;
    int storage_started;
    atomic_int storage_stop;
    void *storage_out;      /* the storage thread's end of from_storage */
    void *storage_in;       /* the storage thread's PULL end of to_storage; only it reads */
    vn_org_t *orgs;
    size_t n_orgs;
    uint64_t registry_gen;
    vn_policy_t *policy;    /* swapped on SIGHUP under policy_lock; workers read it */
    pthread_rwlock_t policy_lock;
    uint8_t *directory;     /* packed WireMessage with the signed directory */
    size_t directory_len;
    session_t *sessions;    /* main thread writes; the HTTP thread reads under sessions_lock */
    size_t n_sessions;
    pthread_mutex_t sessions_lock;
    void *monitor;          /* the router's disconnect events: probe which session went */
    int pump_needed, probe_needed;
    /* owned by the storage thread */
    item_t batch[BATCH_MAX];
    size_t n_batch;
    queue_depth_t *depths;
    size_t n_depths;
    int depths_valid;
    /* metrics: written by the storage thread, read by the HTTP thread */
    _Atomic uint64_t n_accepted, n_refused, n_delivered, n_expired, n_commits;
    _Atomic int storage_ok;
    refusal_count_t refusals[REFUSAL_CODES_MAX];
    size_t n_refusal_codes;
    pthread_mutex_t refusals_lock;
    vn_histogram_t commit_latency, delivery_latency;
    vn_histogram_t cosign_latency; /* checkpoint signed -> [witness] quorum cosignatures (witness.c) */
    uint64_t started;       /* seconds since the epoch */
    struct vn_http *http;
    struct broker_witness *witness; /* witness.c: cosignature rounds and the published checkpoint */
    char config_path[1024]; /* for SIGHUP: log level */
    /* signals (signals.c): the vocabulary is swapped under policy_lock like the policy */
    struct vn_vocab *vocab;
    uint8_t *vocab_msg;     /* packed WireMessage with the signed vocabulary (main thread) */
    size_t vocab_msg_len;
    int64_t clock_offset;   /* seconds added to the clock for signal lifetimes (tests only) */
    broker_budget_t *budget; /* budget.c: per-organisation limits; its own lock, any thread */
    struct broker_shares *shares; /* queue_share.c (storage thread): per-sender queue counts */
    /* store_reserve.c (storage thread): pages in use as read for the group commit reserve_group */
    uint64_t reserve_live, reserve_group;
    int reserve_known, reserve_refusing;
} broker_t;

/* broker.c */
int broker_init(broker_t *b, const vn_broker_config_t *cfg, char *err, size_t errlen);
void broker_run(broker_t *b, volatile int *stop, volatile int *reload);
void broker_fini(broker_t *b);
/* --check-config: the key set, the policy file and the data directory, without starting. 0 or -1
 * (having printed why). */
int broker_check_config(const vn_broker_config_t *cfg, const char *path);
int broker__send(broker_t *b, const uint8_t *routing, size_t routing_len, const uint8_t *data,
                 size_t len);
int broker__send_wire(broker_t *b, const uint8_t *routing, size_t routing_len,
                      Vn__WireMessage *msg);

/* registry.c: in-memory view of the organisation registry, reloaded when it changes */
int broker__registry_refresh(broker_t *b, int force);
const vn_org_t *broker__org(const broker_t *b, const char *id);

/* policy_env.c: the policy's lookups, from one read transaction */
typedef struct {
    broker_t *b;
    MDB_txn *txn;
    Vn__OrgEntry *orgs[VN_MAX_RECIPIENTS + 2];
    int n_orgs;
    Vn__ConsentRecord *consent;
    Vn__AuditRecord *reply;
} broker_env_t;
void broker__env_init(broker_env_t *e, broker_t *b, MDB_txn *txn, vn_policy_env_t *out);
void broker__env_clear(broker_env_t *e);
/* A registered organisation's entry, looked up once per envelope check (cached in e). NULL if
 * unknown. Borrowed until broker__env_clear. */
const Vn__OrgEntry *broker__env_org(broker_env_t *e, const char *org);
/* Load (or reload) the policy file; on error the running policy stays. */
int broker__policy_load(broker_t *b, char *err, size_t errlen);

/* proofs.c: receipts with checkpoint and inclusion proof; consistency proofs for agents */
int broker__receipt_with_proof(MDB_txn *txn, broker_t *b, item_t *it, const uint8_t *checkpoint,
                               size_t checkpoint_len, uint64_t tree_size);
void broker__consistency(broker_t *b, const uint8_t *routing, size_t routing_len,
                         const Vn__ConsistencyRequest *req);

/* witness.c: asking the agents named in [witness] to cosign checkpoints (main thread), and the
 * checkpoint published with the cosignatures of the last round */
int broker__witness_init(broker_t *b);
void broker__witness_fini(broker_t *b);
/* Start a round for the newest checkpoint if none is running and it grew; end one that timed out. */
void broker__witness_tick(broker_t *b);
void broker__on_cosign(broker_t *b, const char *org, const Vn__CosignResponse *r);
/* The checkpoint to publish (note with cosignatures, caller frees) and its size. Any thread. */
int broker__published_checkpoint(MDB_txn *txn, broker_t *b, char **note, size_t *len,
                                 uint64_t *size);

/* tiles.c: GET /log/checkpoint and /log/tile/... (c2sp.org/tlog-tiles); 1 if path was ours */
struct vn_http_reply;
int broker__tiles_answer(broker_t *b, const char *path, struct vn_http_reply *reply);

/* metrics.c: /metrics, /healthz, /readyz and /status on the loopback HTTP endpoint */
int broker__http_start(broker_t *b, char *err, size_t errlen);
void broker__count_refusal(broker_t *b, const char *code);

/* queue_limits.c (storage thread): per-recipient depth, and refusing when a recipient's queue is
 * over its size or age limit */
void broker__depth_add(broker_t *b, const char *org, int64_t delta);
void broker__depth_invalidate(broker_t *b);
/* Whether a queue of this depth, or whose oldest delivery is this old, is at its limit. */
int broker__queue_depth_over(const broker_t *b, uint64_t depth);
int broker__queue_age_over(const broker_t *b, uint64_t oldest_seconds);
/* 0 if every recipient of p may take one more, else 1 with code and reason set. */
int broker__queue_check(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, char *code,
                        size_t code_len, char *reason, size_t reason_len);

/* budget.c: what one organisation may cost (the [limits] section, docs/limits.md). Any thread. */
typedef enum { BUDGET_SUBMIT, BUDGET_REQUEST, BUDGET_HANDSHAKE } broker_budget_kind_t;
int broker__budget_init(broker_t *b);
void broker__budget_fini(broker_t *b);
/* Main thread, before doing work for org: NULL if within budget (a submit then counts as in
 * flight, with its envelope's bytes, until broker__budget_submit_done), else the refusal code
 * ("rate-limited", "too-many-in-flight"). bytes: a submit's envelope size, else 0. */
const char *broker__budget_admit(broker_t *b, const char *org, broker_budget_kind_t kind,
                                 size_t bytes);
void broker__budget_submit_done(broker_t *b, const char *org, size_t bytes);
/* Main thread: a request that cost more than one unit of work (a list that scanned many records)
 * takes that many more tokens from org's request budget. */
void broker__budget_charge(broker_t *b, const char *org, double tokens);
/* Before auditing a refusal of org's: 1 to audit it, 0 when org is over its audit budget (the
 * refusal is counted into the SUPPRESSED record for (org, code) and must be answered unaudited). */
int broker__budget_audit(broker_t *b, const char *org, const char *code);
/* Storage thread, in a write transaction: append the SUPPRESSED records whose window has ended
 * (all of them when all is set). The number written, or a vangnet error. */
int broker__budget_flush(MDB_txn *txn, broker_t *b, int all);
void broker__budget_metrics(broker_t *b, vn_prom_t *p);
struct json_object;
void broker__budget_status(broker_t *b, struct json_object *status);

/* queue_share.c (storage thread): how much of each recipient's queue each sender holds */
void broker__share_add(broker_t *b, const char *sender, const char *recipient, int64_t delta,
                       uint64_t bytes);
/* The queued delivery of envelope seq to recipient is gone: count it off its sender. */
void broker__share_unqueued(MDB_txn *txn, broker_t *b, const char *recipient, uint64_t seq);
void broker__share_invalidate(broker_t *b);
/* 0 if sender may queue one more (p, its stored form env_len bytes) for every recipient of p,
 * within its share of each queue and of the store, else 1 with code and reason set. */
int broker__share_check(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, size_t env_len,
                        char *code, size_t code_len, char *reason, size_t reason_len);
void broker__share_fini(broker_t *b);

/* store_reserve.c: 1 (code, reason set) when a submission of adding bytes would take the store
 * into the part kept for acks, rejections and expiry. */
int broker__reserve_check(broker_t *b, size_t adding, char *code, size_t code_len, char *reason,
                          size_t reason_len);

/* admit.c: 1 if a refusal with this code was decided after the envelope's signature verified
 * (its header is the sender's own and may be audited), 0 if it did not authenticate (only a
 * digest of what was sent is audited). */
int broker__refusal_authenticated(const char *code);

/* zap.c */
void broker__zap_handle(broker_t *b);
/* Log the summary of refused handshakes whose window ended (main thread, once a second). */
void broker__zap_tick(void);

/* workers.c: the threads that run the admission checks */
int broker__workers_start(broker_t *b);
void broker__workers_stop(broker_t *b);

/* admit.c: every reason a submission is refused, in order (see its first comment).
 * Worker thread: may the authenticated org submit this envelope? Empty code: accept, with
 * *flags the ADMIT_* below; else code and "English\nDutch" reason (*flags 0). */
#define ADMIT_REVIEW 1u /* accepted, flagged for review by the policy */
#define ADMIT_RESENT 2u /* a message id this sender used before: the commit answers its outcome */
void broker__admit(broker_t *b, const char *org, const uint8_t *buf, size_t len, char *code,
                   size_t code_len, char *reason, size_t reason_len, unsigned *flags);
/* Storage thread, in the commit's transaction: the checks that need the current store (the queue
 * limits). 0 to accept, else 1 with code and reason set. */
/* audit_mine.c: an organisation's privacy officer reads the records about it (docs/pseudonyms.md).
 * Main thread: hand the request (a packed WireMessage) to the storage thread. */
void broker__audit_mine_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                                const char *org, const uint8_t *msg, size_t len);
/* Storage thread, in the commit's transaction: answer one page and audit the read. 0 or error. */
int broker__audit_mine_apply(MDB_txn *txn, broker_t *b, item_t *it);
/* Storage failing: answer storage-error. */
int broker__audit_mine_unstored(item_t *it);
/* pseudonym_version.c: 1 (code and reasons set: pseudonym-v1-retired) if a subject pseudonym of
 * version (0 or 1: v1) is refused at now under [pseudonyms] refuse_v1_after, else 0. */
int broker__pseudonym_version_refused(const broker_t *b, uint32_t version, uint64_t now,
                                      char *code, size_t code_len, char *en, size_t en_len,
                                      char *nl, size_t nl_len);
int broker__admit_at_commit(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, size_t env_len,
                            char *code, size_t code_len, char *reason, size_t reason_len);

/* commit.c (storage thread): one LMDB transaction and one fsync for everything that arrived
 * together; replies, credits and pump requests go to the main thread after the commit */
void broker__batch_commit(broker_t *b);
item_t *broker__batch_add(broker_t *b, item_kind_t kind, const char *org, const uint8_t *routing,
                          size_t routing_len);

/* storage.c: the storage thread and the messages between it and the main thread */
int broker__storage_start(broker_t *b);
void broker__storage_stop(broker_t *b);
/* main thread: post a refusal to the storage thread, which audits and answers it (the refusal
 * is not stored when this returns) */
void broker__post_refusal(broker_t *b, const char *org, const uint8_t *routing,
                          size_t routing_len, const char *code, const char *reason,
                          const uint8_t *envelope, size_t len);
/* main thread: have the storage thread apply a consent registration or withdrawal */
void broker__consent_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                             const char *org, const Vn__ConsentRequest *req);
/* main thread: have the storage thread withhold a delivery (audited, sender told) */
void broker__withhold_request(broker_t *b, const char *org, uint64_t seq, const char *code,
                              const char *reason);
/* main thread: post a delivery or notice ack to the storage thread, which applies it in its
 * next group commit */
void broker__post_ack(broker_t *b, item_kind_t kind, const char *org,
                      const uint8_t id[VN_MSGID_BYTES]);
/* session.c: an agent acked id (delivery, notice or match notice): a credit back if it was sent
 * to it in this session and not acked yet */
void broker__session_acked(broker_t *b, const char *org, const uint8_t id[16]);
/* session.c: the agent's store is full (HELD) or has room again (OPEN, everything resent) */
void broker__session_store_state(broker_t *b, const char *org, const Vn__AgentStoreState *st);
/* main thread: a recipient's agent could not open a delivery (code e.g. "undecryptable"): the
 * delivery ends audited DELIVERY_FAILED and the sender is told */
void broker__post_ack_failed(broker_t *b, const char *org, const uint8_t id[VN_MSGID_BYTES],
                             const char *code, const char *reason);
/* main thread: have the storage thread audit that a second agent took over org's session */
void broker__session_replaced_request(broker_t *b, const char *org);
/* main thread: act on what the storage thread sent (replies, credits, pump requests) */
void broker__storage_replies(broker_t *b);

/* queue.c (storage thread, inside its write transaction): store and forward. 0 or a vangnet error. */
/* Store an accepted envelope (ENVELOPES), queue a delivery to each recipient, index its expiry. */
int broker__store_accepted(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq,
                           const uint8_t *envelope, size_t len);
int broker__queue_delivery(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq);
int broker__queue_notice(MDB_txn *txn, broker_t *b, const char *org, const uint8_t id[16],
                         const uint8_t *notice, size_t len);
/* Drop a queued delivery / notice; *found = 0 when it was not queued (a repeated ack). */
int broker__unqueue_delivery(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq, int *found);
int broker__unqueue_notice(MDB_txn *txn, broker_t *b, const char *org, const uint8_t id[16],
                           int *found);
/* 1 if org still waits for envelope seq. */
int broker__pending(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq);
/* Drop envelope seq (and its expiry entry) once no recipient waits for it. */
int broker__release(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq);
/* The envelope accepted under audit record seq, parsed / raw (borrowed until txn ends). */
int broker__stored_envelope(MDB_txn *txn, broker_t *b, uint64_t seq, vn_parsed_t *p);
int broker__stored_envelope_raw(MDB_txn *txn, broker_t *b, uint64_t seq, MDB_val *env);
/* The sequence number of msgid's ACCEPTED record, from its receipt. VN_E_NOT_FOUND if never accepted. */
int broker__accepted_seq(MDB_txn *txn, broker_t *b, const uint8_t msgid[VN_MSGID_BYTES],
                         uint64_t *seq);

/* outcome.c (storage thread): one outcome per (sender, message id), in the commit's transaction */
/* 0 for a refusal that is no verdict (storage-full, storage-error: the agent retries). */
int broker__refusal_final(const char *code);
/* org's earlier outcome for msgid: 1 with *reply the packed original Receipt (duplicate set) or
 * Refusal (the caller frees it), 0 if none, 2 if another organisation's message has this id, <0 on
 * a store error. */
int broker__outcome_find(MDB_txn *txn, broker_t *b, const char *org,
                         const uint8_t msgid[VN_MSGID_BYTES],
                         uint8_t **reply, size_t *reply_len);
/* 1 if org has an outcome for msgid (a worker's read transaction suffices). */
int broker__outcome_known(MDB_txn *txn, broker_t *b, const char *org,
                          const uint8_t msgid[VN_MSGID_BYTES]);
/* Keep a final refusal of org's message (no-op for the others). */
int broker__outcome_put_refusal(MDB_txn *txn, broker_t *b, const char *org, const Vn__Refusal *r);

/* records.c: audit records about a disclosure */
/* Header fields of an envelope copied into an audit record (borrowed from the parsed header). */
typedef struct {
    Vn__AuditJustification just[VN_MAX_JUSTIFICATION];
    Vn__AuditJustification *ptrs[VN_MAX_JUSTIFICATION];
    uint8_t content_hash[32];
} broker_audit_fields_t;
void broker__audit_from_header(Vn__AuditRecord *rec, broker_audit_fields_t *f,
                               const vn_parsed_t *p);
/* Append a DELIVERED, EXPIRED or WITHHELD record for one recipient of a stored envelope. */
int broker__audit_outcome(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *actor,
                          const char *recipient, Vn__AuditRecord__Event event, const char *outcome,
                          const char *reason, uint64_t *seq);

/* consent.c */
int broker__consent_apply(MDB_txn *txn, broker_t *b, item_t *it);
/* consent_relying.c: the envelopes relying on a consent (storage thread; built once at open) */
int broker__relying_put(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq);
int broker__relying_del(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq);
/* withhold every queued delivery of an envelope relying on consent id */
int broker__relying_withhold(MDB_txn *txn, broker_t *b, const char *id);
int broker__relying_build(broker_t *b);
/* consent_check.c: NULL if r is a valid registration, else a refusal code (reason filled) */
const char *broker__consent_invalid(const Vn__ConsentRecord *r, char *reason, size_t len);
/* consent_list.c: the owner index entry of a consent being registered (same transaction) */
int broker__consent_index_put(MDB_txn *txn, broker_t *b, const Vn__ConsentRecord *r);
/* consent_list.c: at open, rebuild the owner index if it does not hold every consent */
int broker__consent_index_build(broker_t *b);
/* policy_summary.c: the rules the policy holds, for an agent's GET /v1/policy (main thread) */
void broker__policy_summary(broker_t *b, const uint8_t *routing, size_t routing_len,
                            const Vn__PolicyRequest *req);
/* consent_list.c: one page (at most 100 records, 256 KiB) of the caller's consents (main thread) */
void broker__consent_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                          const Vn__ConsentRequest *req);

/* signals.c: signals and matches (storage thread applies, main thread lists) */
uint64_t broker__signal_now(const broker_t *b);
int broker__signal_apply(MDB_txn *txn, broker_t *b, item_t *it);
/* The store refused the group commit: answer the item's request with storage-error (unaudited). */
int broker__signal_unstored(item_t *it);
int broker__signals_tick(broker_t *b);
int broker__in_match(broker_t *b, MDB_txn *txn, const char *match_id, const char *org);
/* signal_list.c (main thread): lists, and requests that change something to the storage thread */
void broker__signal_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                         const Vn__SignalRequest *req);
void broker__match_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                        const Vn__MatchRequest *req);
void broker__signal_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                            const char *org, const uint8_t *msg, size_t len);
/* vocabulary.c: load and sign the vocabulary (start and SIGHUP); send it after a Hello */
int broker__vocab_load(broker_t *b, char *err, size_t errlen);
void broker__vocab_send(broker_t *b, const uint8_t *routing, size_t routing_len,
                        uint64_t agent_revision);

/* expiry.c (storage thread): deliveries that will not happen, audited, the sender told */
/* Queue a notice for the sender that recipient did not get p (audit record seq says why). */
int broker__notify_sender(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *recipient,
                          const char *code, const char *reason, uint64_t seq);
/* Withhold org's delivery of seq: its justification no longer holds. */
int broker__withhold(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq, const char *code,
                     const char *reason);
/* Drop expired deliveries; returns how many, or <0 */
int broker__expire(broker_t *b);

/* session.c (main thread): sessions */
session_t *broker__session(broker_t *b, const char *org);
/* The one transition function: apply ev to s (why: for the log), under sessions_lock for the
 * status page; entering OPEN resets credit and what is in flight and asks for a pump. */
void broker__session_event(broker_t *b, session_t *s, session_event_t ev, const char *why);
const char *broker__session_state_name(session_state_t st);
/* Tell s's connection why it must stop: a Refusal with code and no message id (nl may be NULL). */
void broker__session_tell(broker_t *b, const session_t *s, const char *code, const char *en,
                          const char *nl);
/* 1 if deliveries may be sent to s now: OPEN with credit left. */
int broker__session_sendable(const session_t *s);
/* Find sessions whose peer went away: ROUTER_MANDATORY fails a send to a gone peer. */
void broker__probe_sessions(broker_t *b);
void broker__hello(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                   const Vn__Hello *hello);
/* deliver.c (main thread): send what waits to every sendable session */
void broker__pump(broker_t *b);

#endif
