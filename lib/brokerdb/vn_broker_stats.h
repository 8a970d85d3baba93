/* vn_broker_stats.h -- the broker's health as operators see it: audit log and checkpoint, registry,
 * queues per recipient, store use, and the warnings an operator must act on. Read from the store
 * (by the running broker's HTTP thread, or by the CLI on a stopped one), rendered as JSON. */
#ifndef VN_BROKER_STATS_H
#define VN_BROKER_STATS_H

#include "vn_error.h"

#include <json-c/json.h>
#include <stdint.h>

#include "vn_config.h"
#include "vn_registry.h"
#include "vn_status.h"
#include "vn_store.h"

typedef struct {
    char org[VN_ORG_MAX + 1];
    uint64_t queued;
    uint64_t oldest_seconds; /* age of the oldest waiting delivery (its ACCEPTED record) */
} vn_queue_stat_t;

typedef struct {
    uint64_t records, checkpoint_size, checkpoint_time;
    vn_org_t *orgs;
    size_t n_orgs, revoked;
    vn_queue_stat_t *queues;
    size_t n_queues;
    uint64_t envelopes;
    uint64_t store_used, store_size;
} vn_broker_stats_t;

/* Age in seconds of org's oldest waiting delivery (its ACCEPTED record's time); 0 if none waits. */
uint64_t vn_broker_queue_oldest_seconds(MDB_txn *txn, vn_store_t *db, const char *org,
                                        uint64_t now);

/* Read everything in one read transaction. 0 or a vangnet error. */
int vn_broker_stats_read(vn_store_t *db, vn_broker_stats_t *st) VN_MUST_USE;
void vn_broker_stats_clear(vn_broker_stats_t *st);
/* The status object ({"component":"broker", "audit", "organisations", "queues", "store",
 * "warnings"}); the caller adds live fields (connections, counters) and owns the result. */
json_object *vn_broker_stats_json(const vn_broker_stats_t *st, const vn_metrics_config_t *warn);

#endif
