/* vn_broker_stats.c -- gather the broker's health figures from its store, and warn. */
#include "vn_broker_stats.h"
#include "vn_audit.h"
#include "vn_checkpoint.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
#include "vn_queue.h"
#include "vn_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t vn_broker_queue_oldest_seconds(MDB_txn *txn, vn_store_t *db, const char *org,
                                        uint64_t now)
{
    vn_queue_iter_t it;
    vn_queue_entry_t e;
    uint64_t age = 0;
    if (vn_queue_iter_open(txn, db, org, 0, &it) != 0)
        return 0;
    while (vn_queue_iter_next(&it, &e) == 1) {
        if (e.kind != VN_QUEUE_DELIVERY)
            continue; /* a notice: its time is not in the queue entry */
        uint64_t t = vn_audit_time_us(txn, db, e.seq) / 1000000u;
        age = t && now > t ? now - t : 0;
        break;
    }
    vn_queue_iter_close(&it);
    return age;
}

/* Queue depth per recipient and the oldest waiting delivery's age. */
static int s_queues(MDB_txn *txn, vn_store_t *db, vn_broker_stats_t *st, uint64_t now)
{
    vn_queue_iter_t it;
    vn_queue_entry_t e;
    int rc = vn_queue_iter_open(txn, db, NULL, 0, &it);
    size_t cap = 0;
    while (rc == 0 && (rc = vn_queue_iter_next(&it, &e)) == 1) {
        rc = 0;
        vn_queue_stat_t *q = st->n_queues ? &st->queues[st->n_queues - 1] : NULL;
        if (!q || strcmp(q->org, e.org) != 0) {
            if (st->n_queues == cap) {
                cap = cap ? cap * 2 : 16;
                vn_queue_stat_t *more = realloc(st->queues, cap * sizeof *more);
                if (!more) {
                    rc = -ENOMEM;
                    break;
                }
                st->queues = more;
            }
            q = &st->queues[st->n_queues++];
            memset(q, 0, sizeof *q);
            memcpy(q->org, e.org, sizeof q->org);
            q->oldest_seconds = vn_broker_queue_oldest_seconds(txn, db, q->org, now);
        }
        q->queued++;
    }
    vn_queue_iter_close(&it);
    return rc;
}

int vn_broker_stats_read(vn_store_t *db, vn_broker_stats_t *st)
{
    memset(st, 0, sizeof *st);
    MDB_txn *txn;
    int rc = vn_store_begin(db, 1, &txn);
    if (rc != 0)
        return rc;
    if (vn_audit_size(txn, db, &st->records) != 0)
        st->records = 0; /* a damaged head: the other figures are still worth showing */
    uint8_t *cpbuf = NULL;
    size_t cplen;
    vn_checkpoint_t cp;
    uint64_t signed_us = 0;
    if (vn_audit_checkpoint_at(txn, db, 0, &cpbuf, &cplen, &signed_us, NULL) == 0 &&
        vn_checkpoint_open(cpbuf, cplen, NULL, NULL, &cp) == 0) {
        st->checkpoint_size = cp.size;
        st->checkpoint_time = signed_us / 1000000u;
    }
    free(cpbuf);
    if ((rc = vn_registry_load(txn, db, &st->orgs, &st->n_orgs)) == 0) {
        for (size_t i = 0; i < st->n_orgs; i++)
            st->revoked += st->orgs[i].revoked;
        rc = s_queues(txn, db, st, vn_now());
    }
    MDB_stat envs;
    if (rc == 0 && mdb_stat(txn, vn_store_dbi(db, BDB_ENVELOPES), &envs) == 0)
        st->envelopes = envs.ms_entries;
    mdb_txn_abort(txn);
    vn_store_usage(db, &st->store_used, &st->store_size);
    if (rc != 0)
        vn_broker_stats_clear(st);
    return rc;
}

void vn_broker_stats_clear(vn_broker_stats_t *st)
{
    free(st->orgs);
    free(st->queues);
    memset(st, 0, sizeof *st);
}

static json_object *s_u64(uint64_t v)
{
    return json_object_new_int64((int64_t)v);
}

json_object *vn_broker_stats_json(const vn_broker_stats_t *st, const vn_metrics_config_t *warn)
{
    uint64_t now = vn_now();
    json_object *o = json_object_new_object();
    json_object_object_add(o, "component", json_object_new_string("broker"));
    json_object_object_add(o, "warnings", json_object_new_array());
    json_object *audit = json_object_new_object();
    json_object_object_add(audit, "records", s_u64(st->records));
    json_object_object_add(audit, "checkpoint_size", s_u64(st->checkpoint_size));
    json_object_object_add(audit, "checkpoint_age_seconds",
                           json_object_new_int64(st->checkpoint_time
                                                     ? (int64_t)(now - st->checkpoint_time)
                                                     : -1));
    json_object_object_add(o, "audit", audit);
    json_object *orgs = json_object_new_array();
    for (size_t i = 0; i < st->n_orgs; i++) {
        json_object *org = json_object_new_object();
        json_object_object_add(org, "id", json_object_new_string(st->orgs[i].pub.org));
        json_object_object_add(org, "sector", json_object_new_string(st->orgs[i].pub.sector));
        json_object_object_add(org, "revoked", json_object_new_boolean(st->orgs[i].revoked));
        json_object_array_add(orgs, org);
    }
    json_object_object_add(o, "organisations", orgs);
    json_object *qs = json_object_new_array();
    for (size_t i = 0; i < st->n_queues; i++) {
        const vn_queue_stat_t *q = &st->queues[i];
        json_object *jq = json_object_new_object();
        json_object_object_add(jq, "recipient", json_object_new_string(q->org));
        json_object_object_add(jq, "queued", s_u64(q->queued));
        json_object_object_add(jq, "oldest_seconds", s_u64(q->oldest_seconds));
        json_object_array_add(qs, jq);
        if (q->oldest_seconds > warn->queue_warn_seconds)
            vn_status_warn(o, "%s has had deliveries waiting for %llu minutes: is its agent down?",
                           q->org, (unsigned long long)(q->oldest_seconds / 60));
    }
    json_object_object_add(o, "queues", qs);
    double pct = st->store_size ? 100.0 * (double)st->store_used / (double)st->store_size : 0;
    json_object *store = json_object_new_object();
    json_object_object_add(store, "used_bytes", s_u64(st->store_used));
    json_object_object_add(store, "size_bytes", s_u64(st->store_size));
    json_object_object_add(store, "used_percent", json_object_new_double(pct));
    json_object_object_add(store, "envelopes", s_u64(st->envelopes));
    json_object_object_add(o, "store", store);
    if (pct >= warn->storage_warn_percent)
        vn_status_warn(o, "store %.0f%% full: raise map_size_mb before submissions are refused",
                       pct);
    if (st->records > st->checkpoint_size &&
        (st->checkpoint_time == 0 || now > st->checkpoint_time + 60))
        vn_status_warn(o, "%llu audit records not covered by a signed checkpoint for over a "
                          "minute: is the broker running?",
                       (unsigned long long)(st->records - st->checkpoint_size));
    return o;
}
