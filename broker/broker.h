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
#include "vn_registry.h"
#include "vn_store.h"
#include "wire.pb-c.h"

#define ROUTING_MAX 256
#define BATCH_MAX 1024

/* A connected agent. The organisation comes from the ZAP User-Id, never from the routing id. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    int connected;
    uint32_t credit;        /* deliveries it can still take before acking */
    uint64_t last_qseq;     /* highest queue position sent in this session */
} session_t;

typedef enum { ITEM_ACCEPT, ITEM_REFUSE, ITEM_ACK, ITEM_NOTICE_ACK } item_kind_t;

/* One piece of work for the next group commit. */
typedef struct {
    item_kind_t kind;
    char org[VN_ORG_MAX + 1];
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t *envelope;      /* owned; ACCEPT, and REFUSE when there was one */
    size_t envelope_len;
    char code[64];          /* REFUSE: stable reason code */
    char reason[256];       /* REFUSE: human message */
    uint8_t id[16];         /* ACK: message id; NOTICE_ACK: notice id */
    /* filled by the commit */
    uint8_t *reply;         /* packed WireMessage to send back, owned */
    size_t reply_len;
} item_t;

typedef struct broker {
    vn_broker_config_t cfg;
    vn_keyset_t *keys;
    vn_store_t *db;
    void *ctx, *router, *zap, *jobs, *results;
    pthread_t *workers;
    int n_workers;
    atomic_int workers_stop;
    vn_org_t *orgs;
    size_t n_orgs;
    uint64_t registry_gen;
    uint8_t *directory;     /* packed WireMessage with the signed directory */
    size_t directory_len;
    session_t *sessions;
    size_t n_sessions;
    item_t batch[BATCH_MAX];
    size_t n_batch;
    int pump_needed;
    uint64_t n_accepted, n_refused, n_delivered, n_expired, n_commits;
} broker_t;

/* broker.c */
int broker_init(broker_t *b, const vn_broker_config_t *cfg, char *err, size_t errlen);
void broker_run(broker_t *b, volatile int *stop, volatile int *reload);
void broker_fini(broker_t *b);
int broker__send(broker_t *b, const uint8_t *routing, size_t routing_len, const uint8_t *data,
                 size_t len);
int broker__send_wire(broker_t *b, const uint8_t *routing, size_t routing_len,
                      Vn__WireMessage *msg);

/* registry.c: in-memory view of the organisation registry, reloaded when it changes */
int broker__registry_refresh(broker_t *b, int force);
const vn_org_t *broker__org(const broker_t *b, const char *id);

/* zap.c */
void broker__zap_handle(broker_t *b);

/* verify.c: signature-checking worker threads */
int broker__workers_start(broker_t *b);
void broker__workers_stop(broker_t *b);

/* commit.c: one LMDB transaction and one fsync for everything that arrived together */
void broker__batch_commit(broker_t *b);
void broker__refuse(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                    const char *code, const char *reason, const uint8_t *envelope, size_t len);

/* store helpers (commit.c), used by delivery and expiry */
int broker__enqueue(MDB_txn *txn, broker_t *b, const char *org, uint8_t kind, const uint8_t id[16],
                    const uint8_t *payload, size_t payload_len);
int broker__stored_envelope(MDB_txn *txn, broker_t *b, const uint8_t msgid[16], vn_parsed_t *p,
                            uint64_t *accepted_seq);
int broker__release(MDB_txn *txn, broker_t *b, const vn_parsed_t *p);
int broker__audit_outcome(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *actor,
                          const char *recipient, Vn__AuditRecord__Event event, const char *outcome,
                          const char *reason, uint64_t *seq);

/* deliver.c */
session_t *broker__session(broker_t *b, const char *org);
void broker__hello(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                   const Vn__Hello *hello);
void broker__pump(broker_t *b);
void broker__expire(broker_t *b);

#endif
