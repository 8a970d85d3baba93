/* agent.h -- the agent's state, shared by its modules (one job per file). */
#ifndef VN_AGENT_H
#define VN_AGENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"
#include "vn_api_limits.h"
#include "vn_apiclient.h"
#include "vn_config.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_prom.h"
#include "vn_store.h"
#include "wire.pb-c.h"

#define ROUTING_MAX 256
#define AGENT_CREDIT 256                 /* deliveries in flight from the broker */
#define AGENT_MAX_CONTENT VN_API_MAX_CONTENT /* largest notification content (vn_api_limits.h) */
#define AGENT_MEDIA_TYPE_MAX 127         /* a content media type, e.g. application/pdf */
#define RESEND_MS 5000 /* [agent] resend_seconds' default */
/* Messages to the broker held while its connection's queue is full (broker_out.c): at most
 * this many, and this many bytes; past that they are dropped (and resent from the outbox). */
#define AGENT_HELD_OUT_MAX 50000
#define AGENT_HELD_OUT_BYTES ((size_t)64 << 20)
/* Answers queued for one local API caller that reads them late (ZMQ_SNDHWM of the API socket):
 * libzmq's default of 1,000, less while the reader's progress is reported late, dropped answers
 * of a client with as many requests in flight without a word. Past this one an answer is
 * dropped, logged and counted (agent__api_send). */
#define AGENT_API_QUEUED_ANSWERS 10000
#define AGENT_HTTP_ENDPOINT "inproc://vn-agent-http-api" /* the HTTP API's way into the local API */
#define AGENT_HTTP_ROUTING_LEN 24        /* its connections' routing ids: http_secret, counter */

/* Agent databases, in opening order.
 *   META       "dir" -> SignedDirectory; "oseq", "iseq" -> be64 counters
 *   OUTBOX     oseq(be64) -> msgid(16) envelope        (until the broker's receipt)
 *   OUTBOX_IDS msgid -> oseq
 *   RESULTS    msgid -> ApiSubmitResult                (each submit's outcome: QUEUED when stored,
 *                                                       then the broker's answer; outcome.c)
 *   INBOX      iseq(be64) -> sealed ApiNotification    (until the IT system acks; inbox_seal.c)
 *   INBOX_IDS  msgid -> iseq, or 0 once acked          (deduplication, kept)
 *   CLIENT_REFS client_ref -> msgid(16) || hash(32)    (idempotency keys, outcome.c; a match:ID
 *               fan-out's: zero(16) || hash(32) || n(1) || n x (msgid(16) || org(65)))
 *   SIGNALS    signal id -> ApiSignalInfo              (our own signals and their local cases)
 *   MATCHES    match id -> MatchInfo                   (matches we take part in, as last told)
 *   CARDS_OUT  match id NUL signal id NUL org -> be64  (contact cards sent: when)
 *   CARDS_IN   match id NUL sender NUL signal id -> ContactCard (contact cards received)
 *   PSEUDONYMS keyed hash(16) of a BSN -> pseudonym(32) (pseudonym.c: the service's answers,
 *                                                       so a subject seen before costs nothing)
 *   HELD       hseq(be64) -> msgid(16) sealed submit   (submits waiting for the pseudonym service,
 *                                                       sealed at rest; held.c)
 *   META also: "vocab" -> SignedVocabulary */
enum { ADB_META, ADB_OUTBOX, ADB_OUTBOX_IDS, ADB_RESULTS, ADB_INBOX, ADB_INBOX_IDS,
       ADB_CLIENT_REFS, ADB_SIGNALS, ADB_MATCHES, ADB_CARDS_OUT, ADB_CARDS_IN, ADB_PSEUDONYMS,
       ADB_HELD, ADB_INBOX_SENDER };

/* An API request waiting for something: a submit for its receipt, a fetch for mail. */
typedef struct {
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t msgid[VN_MSGID_BYTES];   /* submit and outcome waiters */
    uint8_t client_ref[64];
    size_t client_ref_len;
    int repeated;        /* an outcome query or a repeated client_ref: no new message */
    int as_outcome;      /* answer as ApiResponse.outcome (a query), not .submit */
    uint32_t max;        /* fetch waiters: how many, after which inbox position */
    uint64_t after_seq;
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

/* link.c: the agent's link to the broker (the diagram is there). */
typedef enum { AGENT_LINK_DOWN, AGENT_LINK_UP, AGENT_LINK_REVOKED, AGENT_LINK_REPLACED } agent_link_t;
typedef enum {
    AGENT_LINK_EV_HANDSHAKE_OK,     /* the CURVE handshake succeeded */
    AGENT_LINK_EV_DISCONNECTED,     /* the connection closed */
    AGENT_LINK_EV_RETRYING,         /* nothing answered a connect; libzmq retries */
    AGENT_LINK_EV_HANDSHAKE_FAILED, /* not admitted, or a protocol error */
    AGENT_LINK_EV_REVOKED,          /* the broker or the signed directory revoked us */
    AGENT_LINK_EV_REPLACED,         /* another agent with our keys took over the session */
} agent_link_event_t;

typedef struct agent {
    vn_agent_config_t cfg;
    vn_keyset_t *keys;
    vn_keyset_t *prev_keys;  /* before a key rotation, to open what was sealed to them (or NULL) */
    vn_pubkeys_t broker;
    uint8_t *pseudonym_key;  /* sodium_malloc'd, 32 bytes: the v1 network key, or (with a
                              * pseudonym service) a local key derived from our own keys */
    int pseudonyms_v1;       /* no [pseudonymd]: v1 keyed-hash pseudonyms (legacy) */
    /* the pseudonym service (pseudonym.c); main thread only */
    void *pseudonymd;        /* CURVE DEALER to it, or NULL (calls that wait: signals, consents) */
    void *pseudonymd_async;  /* a second one for the submit path's requests (pseudonym_async.c) */
    struct pseud_async *pa;  /* the submit path's request in flight (pseudonym_async.c) */
    struct hold *hold;       /* submits waiting for a pseudonym (held.c) */
    _Atomic uint64_t pseud_waiting; /* of them, those waiting in memory for an evaluation */
    uint8_t pseud_oprf_pk[32]; /* its pinned VOPRF public key */
    char pseud_curve_pk[VN_Z85_KEY]; /* and its pinned CURVE key */
    uint8_t *pseud_cache_key;  /* sodium_malloc'd, 32 bytes: keys the cache's BSN hashes */
    uint64_t pseud_next_id;
    _Atomic uint64_t pseud_evaluated, pseud_cached, pseud_failed, pseud_refused;
    vn_store_t *db;
    void *ctx, *dealer, *monitor, *api, *zap;
    vn_api_client_t *api_clients; /* api_clients file: who may call a tcp:// API */
    size_t n_api_clients;
    char api_caller[256];       /* the caller of the request being handled */
    agent_link_t link;       /* changed only by agent__link_event (link.c) */
    _Atomic int connected;   /* link == UP, for the HTTP thread (set by agent__link_event) */
    const char *disconnect_reason; /* static string: why not UP (status) */
    uint64_t unreachable_logged_ms; /* last "broker unreachable" warning (rate limit) */
    Vn__Directory *dir;
    MDB_txn *txn;            /* the open batch transaction, if any */
    int batch_error;         /* a write in the batch failed: the whole batch is abandoned */
    outgoing_t *out;
    size_t n_out, cap_out;
    /* outbox_sign.c: this turn's sealed notifications, signed together just before the commit */
    struct to_sign *to_sign;
    size_t n_to_sign, cap_to_sign;
    struct vn_batch_cache *batch_roots; /* inbox.c: senders' batch signatures verified */
    struct vn_wrap_batch *wrap_batch;   /* outbox.c: this turn's ephemeral keys per recipient,
                                         * wiped when the turn is signed (outbox_sign.c) */
    struct vn_unwrap_cache *unwrap_cache; /* inbox.c: X25519 results per sender's batch key */
    _Atomic uint64_t n_batch_signatures, n_batch_signed; /* batches signed, envelopes in them */
    waiter_t *submits, *fetches, *consents;
    size_t n_submits, n_fetches, n_consents;
    uint64_t resend_mark, next_resend_ms;
    uint64_t resend_ms;      /* [agent] resend_seconds: how long an unanswered notification waits */
    int resend_active;       /* a resend round is under way (outbox.c)... */
    uint64_t resend_next, resend_limit, resend_count; /* ...from this oseq, up to that one */
    struct held_out *held_out; /* messages to the broker waiting for room (broker_out.c) */
    _Atomic uint64_t broker_out_held, broker_out_dropped;
    uint64_t broker_out_dropped_logged_ms;
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
    int inbox_grew;                   /* items stored in the inbox this turn (not yet committed) */
    /* store_guard.c (main thread): the store's fill, and whether deliveries wait at the broker */
    _Atomic int store_full;           /* 1: the broker was told to hold our deliveries */
    int store_commit_full;            /* the last commit failed for want of space */
    uint64_t store_live, store_size;  /* bytes in use (live pages) and the map size */
    uint64_t store_pending;           /* estimated bytes of this turn's deliveries */
    uint64_t store_checked_ms;
    _Atomic uint64_t n_sent, n_received, n_resent;
    /* Items stored in the inbox of any kind (notifications, notices, match notices, contact
     * cards): what webhooks watch, so a match notice alone is announced too. */
    _Atomic uint64_t n_inbox_items;
    _Atomic uint64_t connection_changed; /* seconds: when connected last changed */
    _Atomic uint64_t last_receipt;       /* seconds: the broker's last receipt */
    _Atomic uint64_t consistency_failures;
    /* answers to the local API that could not be queued (agent__api_send): the caller reads
     * too slowly (its queue is full), or it went away before its answer */
    _Atomic uint64_t api_dropped_slow, api_dropped_gone;
    uint64_t api_dropped_logged_ms; /* the last warning about a slow caller (rate limit) */
    _Atomic int storage_ok;
    _Atomic uint64_t n_commits;    /* batch commits that wrote something (batch.c) */
    vn_histogram_t commit_latency; /* and how long each took, its fsyncs included */
    uint64_t started;
    struct vn_http *http;
    struct http_api *http_api;   /* the HTTP/JSON API (http_api.c), or NULL */
    uint8_t http_secret[16];     /* prefix of the HTTP API's routing ids: only it may name a client */
    const char *api_client;      /* the API client of the request being handled ("" if none) */
    /* signals and matches (signal.c, match.c, match_send.c, vocab.c); main thread only */
    struct signal_waiter *signal_waiters;   /* signal and match requests waiting for the broker */
    size_t n_signal_waiters;
    struct match_group *groups;             /* match:ID fan-outs waiting for their receipts */
    size_t n_groups;
    struct held_notice *held;               /* match notices naming a signal still being added */
    size_t n_held;
    struct vn_vocab *vocab;                 /* the verified signed vocabulary, or NULL */
    char config_path[1024];  /* for SIGHUP: log level */
} agent_t;

/* link.c: apply ev (the one transition function); returns the new state. Entering REVOKED or
 * REPLACED disconnects from the broker. */
agent_link_t agent__link_event(agent_t *a, agent_link_event_t ev);
const char *agent__link_name(agent_link_t st);

/* agent.c */
int agent_init(agent_t *a, const vn_agent_config_t *cfg, char *err, size_t errlen);
void agent_run(agent_t *a, volatile int *stop, volatile int *reload);
/* Record a change of the broker connection (for metrics and the status page). */
void agent_fini(agent_t *a);
/* --check-config: every key file the configuration names, without starting. 0 or -1. */
int agent_check_config(const vn_agent_config_t *cfg, const char *path);
int agent__send_broker(agent_t *a, Vn__WireMessage *m);
/* broker_out.c: send data (malloc'd; taken) to the broker, or hold it in order while the
 * connection's queue is full. 0 when sent or held; -errno when dropped. */
int agent__broker_out(agent_t *a, uint8_t *data, size_t len);
void agent__broker_out_flush(agent_t *a);            /* send held ones while there is room */
size_t agent__broker_out_waiting(const agent_t *a);  /* how many are held */
void agent__broker_out_clear(agent_t *a);            /* the connection went: drop them */
void agent__broker_out_fini(agent_t *a);
/* store_guard.c: re-read the store's fill (at most every 500 ms unless force) and tell the broker
 * when it crosses 90 % (full) or falls below 75 % (room again) */
void agent__store_check(agent_t *a, int force);
/* store_guard.c: 1 if a delivery of `bytes` may be stored this turn, 0 if the store is full */
int agent__store_room(agent_t *a, size_t bytes);
/* store_guard.c: the turn's commit returned rc */
void agent__store_committed(agent_t *a, int rc);
/* store_guard.c: after each hello: a full store says so again */
void agent__store_after_hello(agent_t *a);

/* batch.c: one write transaction per loop turn; replies leave after the commit */
MDB_txn *agent__txn(agent_t *a);
/* Writes into the batch transaction. A failed write fails the whole batch at agent__commit (so
 * nothing half-written is ever acknowledged); a missing key to delete is not a failure. */
int agent__put(agent_t *a, MDB_txn *txn, int db, MDB_val *k, MDB_val *v);
int agent__del(agent_t *a, MDB_txn *txn, int db, MDB_val *k);
void agent__after_commit(agent_t *a, int to_api, const uint8_t *routing, size_t routing_len,
                         uint8_t *data, size_t len);
/* A transaction to answer a read from. With nothing of this turn written or queued yet, a
 * read-only one on what earlier commits made durable, so the answer can go at once (*durable 1);
 * else this turn's batch, whose uncommitted changes the answer may show, so it waits for the
 * commit. agent__read_end sends resp accordingly and ends a read-only transaction. */
MDB_txn *agent__read_begin(agent_t *a, int *durable);
void agent__read_end(agent_t *a, MDB_txn *txn, int durable, const uint8_t *routing,
                     size_t routing_len, Vn__ApiResponse *resp);
void agent__reply_after_commit(agent_t *a, const uint8_t *routing, size_t routing_len,
                               Vn__ApiResponse *resp);
/* Answer at once, not after the commit: for verdicts already durable at the broker. */
void agent__reply_now(agent_t *a, const uint8_t *routing, size_t routing_len,
                      Vn__ApiResponse *resp);
/* Send one packed answer to the local API caller routing names; one that cannot be queued (the
 * caller's queue is full, or it is gone) is counted, and a full queue logged. 0 or -1. */
int agent__api_send(agent_t *a, const uint8_t *routing, size_t routing_len, const uint8_t *data,
                    size_t len);
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
void agent__resend_continue(agent_t *a); /* a round paused for room on the connection */
void agent__on_receipt(agent_t *a, const Vn__Receipt *r);
void agent__on_refusal(agent_t *a, const Vn__Refusal *r);

/* outbox_sign.c: a sealed notification waits for this turn's signature (it owns s); all of the
 * turn's are signed at agent__commit, one batch signature for up to VN_BATCH_MAX of them, and
 * stored in the outbox under oseq and sent after the commit. */
int agent__outbox_sign_later(agent_t *a, struct vn_sealed *s, uint64_t oseq,
                             const uint8_t msgid[VN_MSGID_BYTES]) VN_MUST_USE;
void agent__outbox_sign_pending(agent_t *a);
void agent__outbox_sign_fini(agent_t *a);

/* outcome.c: stored outcomes, client_ref idempotency, outcome queries */
int agent__result_put(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES],
                      const Vn__ApiSubmitResult *r);
/* msgid's stored outcome (the caller frees it), or NULL. */
Vn__ApiSubmitResult *agent__result_get(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES]);
void agent__answer_result(agent_t *a, const uint8_t *routing, size_t routing_len,
                          Vn__ApiSubmitResult *r, int as_outcome);
/* 1 if the submit's client_ref was used before (answered here: the first outcome, or
 * client-ref-conflict), 0 if the submit is new. */
int agent__client_ref_check(agent_t *a, const uint8_t *routing, size_t routing_len,
                            const Vn__ApiSubmit *s);
/* Bind the submit's client_ref (if any) to msgid in this turn's transaction. */
int agent__client_ref_bind(agent_t *a, const Vn__ApiSubmit *s, const uint8_t msgid[VN_MSGID_BYTES]);
/* The same for a match:ID fan-out: once, to its n participants, each entry AGENT_GROUP_ENTRY
 * bytes (message id, zero when refused here; organisation id, NUL-padded). */
#define AGENT_GROUP_ENTRY (VN_MSGID_BYTES + 65)
int agent__client_ref_bind_group(agent_t *a, const Vn__ApiSubmit *s, const uint8_t *entries,
                                 size_t n);
void agent__outcome_query(agent_t *a, const uint8_t *routing, size_t routing_len,
                          const Vn__ApiOutcomeQuery *q);
/* Answer everyone waiting for msgid's outcome with r (after this turn's commit). */
void agent__outcome_settled(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES],
                            Vn__ApiSubmitResult *r);
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

/* inbox_sender.c: the inbox by sender, kept in the batch transaction */
int agent__inbox_sender_put(agent_t *a, MDB_txn *txn, const char *sender, const uint8_t iseq8[8]);
int agent__inbox_sender_del(agent_t *a, MDB_txn *txn, const uint8_t iseq8[8]);
/* 1 and *iseq: sender's first inbox entry after position after; 0 if none */
int agent__inbox_sender_next(agent_t *a, MDB_txn *txn, const char *sender, uint64_t after,
                             uint64_t *iseq);
/* at open, once: index an inbox from before the index */
int agent__inbox_sender_build(agent_t *a);

/* consent.c */
void agent__consent(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiConsent *c);
void agent__on_consent_response(agent_t *a, const Vn__ConsentResponse *resp);
void agent__consent_timeouts(agent_t *a, uint64_t now_ms);

/* outbox.c: validate, seal (content format 1), store durably and queue one envelope to `to`.
 * 0 with msgid set, or an error with *code and msg for the IT system. */
int agent__seal_and_queue(agent_t *a, const Vn__ApiSubmit *s, char *const *to, size_t n_to,
                          const char *match_id, uint8_t msgid[VN_MSGID_BYTES], const char **code, char *msg,
                          size_t msg_len);
/* The same for a submit that was held for its pseudonym: sealed under its given id, its stored
 * outcome (QUEUED since it was held) and client_ref binding kept. */
int agent__seal_and_queue_held(agent_t *a, const Vn__ApiSubmit *s,
                               const uint8_t msgid[VN_MSGID_BYTES],
                               const char **code, char *msg, size_t msg_len);
/* Everything about a submit but its pseudonym: NULL, or a code with msg. */
const char *agent__submit_validate(agent_t *a, const Vn__ApiSubmit *s, char *msg, size_t msg_len);
/* inbox.c: append n to the inbox under id (in this turn's transaction). */
int agent__inbox_store(agent_t *a, const uint8_t id[16], Vn__ApiNotification *n);
/* 1 if id is in the inbox's deduplication index, 0 if new, <0 on error. */
int agent__inbox_seen(agent_t *a, const uint8_t id[16]);

/* signal.c: the IT system's signals, forwarded to the broker; the local case of each kept here */
void agent__signal(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSignal *s);
void agent__on_signal_response(agent_t *a, const Vn__SignalResponse *resp);
/* Our stored signal id (NULL: none); free with vn__api_signal_info__free_unpacked. */
Vn__ApiSignalInfo *agent__signal_get(agent_t *a, const char *id);
/* Answer signal and match requests and fan-outs the broker left unanswered past their time. */
void agent__signal_timeouts(agent_t *a, uint64_t now_ms);

/* match.c: match requests, match notices into the inbox, the matches we take part in */
void agent__match(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiMatch *m);
void agent__on_match_response(agent_t *a, const Vn__MatchResponse *resp);
/* audit_mine.c: the privacy officer's delegated query for this organisation's audit records */
void agent__audit_mine(agent_t *a, const uint8_t *routing, size_t routing_len,
                       const Vn__ApiAuditMine *q);
void agent__on_audit_mine_response(agent_t *a, const Vn__AuditMineResponse *resp);
/* policy_query.c: the bases this organisation may use, asked of the broker */
void agent__policy_query(agent_t *a, const uint8_t *routing, size_t routing_len);
void agent__on_policy_response(agent_t *a, const Vn__PolicyResponse *resp);
void agent__on_match_notice(agent_t *a, const Vn__MatchNotice *n);
/* Process notices held back while a signal of ours was still being registered. */
void agent__match_release_held(agent_t *a, int all);
/* The match as we last heard of it, or NULL; free with vn__match_info__free_unpacked. */
Vn__MatchInfo *agent__match_get(agent_t *a, const char *id);
/* Our own cases in match m: *out is an array of n cases; free with agent__cases_free. */
int agent__cases_for_match(agent_t *a, const Vn__MatchInfo *m, Vn__ApiLocalCase ***out, size_t *n);
void agent__cases_free(Vn__ApiLocalCase **cases, size_t n);

/* match_send.c: contact cards after a match, and match:ID as a recipient */
void agent__send_contact_cards(agent_t *a, const Vn__MatchInfo *m, char *const *own, size_t n_own);
void agent__store_contact_card(agent_t *a, const char *sender, const Vn__ContactCard *card);
void agent__match_submit(agent_t *a, const uint8_t *routing, size_t routing_len,
                         const Vn__ApiSubmit *s);
/* A repeat of a match:ID submit under its client_ref: its participants' stored outcomes (entries
 * as outcome.c keeps them), waiting up to wait_ms for those still queued. */
void agent__match_repeat(agent_t *a, const uint8_t *routing, size_t routing_len,
                         const uint8_t *client_ref, size_t client_ref_len, const uint8_t *entries,
                         size_t n, uint32_t wait_ms, int as_outcome);
int agent__match_submit_settled(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES],
                                const Vn__ApiSubmitResult *r);
void agent__match_submit_timeouts(agent_t *a, uint64_t now_ms);
void agent__match_fini(agent_t *a);

/* vocab.c: the broker-signed vocabulary */
void agent__vocab_load(agent_t *a);
void agent__on_vocabulary(agent_t *a, const Vn__SignedVocabulary *sv);
/* 1 if term of kind ("signal-category", "category") may be used: the vocabulary lists it, or it
 * lists no term of that kind (or none is held yet: the broker still checks signal categories). */
int agent__vocab_allows(const agent_t *a, const char *kind, const char *term);
void agent__vocab(agent_t *a, const uint8_t *routing, size_t routing_len);

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

/* content.c: the media type sealed in front of the content */
int agent__media_type_valid(const char *mt);
/* Frame data with its media type into *out (malloc'd; NULL when it goes as it is). 0 or error. */
int agent__content_frame(const char *media_type, const uint8_t *data, size_t len, uint8_t **out,
                         size_t *out_len);
/* The frame's length (0: none) and its media type into mt ("" when none). */
size_t agent__content_unframe(const uint8_t *c, size_t len, char mt[AGENT_MEDIA_TYPE_MAX + 1]);

/* http_api.c: the HTTP/JSON API, a client of the local API on AGENT_HTTP_ENDPOINT */
int agent__http_api_start(agent_t *a, char *err, size_t errlen);
void agent__http_api_stop(agent_t *a);

/* api_auth.c: the ZAP handler that authenticates local API callers */
int agent__api_auth_load(agent_t *a, char *err, size_t errlen);
int agent__api_auth_init(agent_t *a, char *err, size_t errlen);
void agent__api_auth_handle(agent_t *a);

/* pseudonym.c: a subject's pseudonym, from the cache or the pseudonym service (VOPRF) */
int agent__pseudonym_init(agent_t *a, char *err, size_t errlen);
void agent__pseudonym_fini(agent_t *a);
/* The pseudonyms of n BSNs (one request to the service for those not cached), for purpose.
 * 0; otherwise *code for the IT system and msg say why ("invalid-bsn", "pseudonym-unavailable":
 * the service did not answer in time, "pseudonym-refused": it refused (over budget),
 * "pseudonym-unverified": its proof did not verify under the pinned key), and nothing is stored. */
int agent__pseudonyms(agent_t *a, const char *purpose, const char *const *bsns, size_t n,
                      uint8_t (*out)[32], const char **code, char *msg, size_t msg_len);
int agent__pseudonym(agent_t *a, const char *purpose, const char *bsn, uint8_t out[32],
                     const char **code, char *msg, size_t msg_len);
/* (Re)open *sock as a CURVE DEALER to the service. 0 or VN_E_CONFIG with err. */
int agent__pseudonym_open(agent_t *a, void **sock, char *err, size_t errlen);
/* 1 and out set if bsn's pseudonym is in the cache (this turn's writes included), else 0. */
int agent__pseudonym_cache_get(agent_t *a, const char *bsn, uint8_t out[32]);
void agent__pseudonym_cache_put(agent_t *a, const char *bsn, const uint8_t p[32]);
/* Check the service's answer for n BSNs (blinds, blinded: what was sent) and finalise into out.
 * 0, or *code ("pseudonym-refused", "pseudonym-unverified") and msg. */
int agent__pseudonym_answer(agent_t *a, const uint8_t *reply, size_t len,
                            const char *const *bsns, size_t n, const uint8_t (*blinds)[32],
                            const uint8_t (*blinded)[32], uint8_t (*out)[32], const char **code,
                            char *msg, size_t msg_len);

/* pseudonym_async.c: one evaluation in flight for the submit path, driven by the loop's turns */
int agent__pseud_async_init(agent_t *a);
void agent__pseud_async_fini(agent_t *a);
int agent__pseud_async_busy(const agent_t *a);
/* Blind bsns (n <= AGENT_ASYNC_BATCH, each 9 digits) and send them as one request. 0 or error. */
int agent__pseud_async_start(agent_t *a, const char *purpose, char (*bsns)[10], size_t n);
/* Advance the request: 0 still waiting (or none), 1 answered and every pseudonym cached in this
 * turn's transaction, -1 failed with *code ("pseudonym-unavailable", "pseudonym-refused",
 * "pseudonym-unverified") and msg. */
int agent__pseud_async_step(agent_t *a, const char **code, char *msg, size_t msg_len);
#define AGENT_ASYNC_BATCH 256 /* BSNs in one request of the submit path */

/* held.c: submits about a subject without a cached pseudonym wait for one evaluation in common;
 * while the service cannot answer they are held durably (queued, pseudonym-unavailable) and sent
 * once it answers again, never without a pseudonym */
int agent__hold_init(agent_t *a);
void agent__hold_fini(agent_t *a);
/* 1 if s needs an evaluation first (v2, a subject, no cached pseudonym). */
int agent__hold_wants(agent_t *a, const Vn__ApiSubmit *s);
/* Take s (which agent__hold_wants) to wait for its pseudonym, answering the caller when it goes. */
void agent__hold_park(agent_t *a, const uint8_t *routing, size_t routing_len,
                      const Vn__ApiSubmit *s);
/* Once per loop turn: advance the evaluation, send what it answered, hold what it could not. */
void agent__hold_turn(agent_t *a, uint64_t now_ms);
/* Stopping: hold durably what waits in memory. */
void agent__hold_flush(agent_t *a);
/* Submits held now (durably, waiting for the service). */
uint64_t agent__hold_count(agent_t *a);

/* api.c */
void agent__api_handle(agent_t *a);
void agent__api_error(agent_t *a, const uint8_t *routing, size_t routing_len, const char *code,
                      const char *message);
/* Same, with the message in Dutch (the broker's reason_nl; "" when there is none). */
void agent__api_error_nl(agent_t *a, const uint8_t *routing, size_t routing_len, const char *code,
                         const char *message, const char *message_nl);

#endif
