/* metrics.c -- the agent's loopback HTTP endpoint: Prometheus metrics, liveness, readiness (store
 * writable, broker connected) and a JSON status page. Runs on libmicrohttpd's thread: it reads the
 * store in its own read transaction and the agent's state through atomics. */
#include "agent.h"
#include "vn_batch.h"
#include "vn_status.h"
#include "vn_http.h"
#include "vn_prom.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t outbox, inbox, held, used, size;
} s_store_t;

static int s_store(agent_t *a, s_store_t *st)
{
    memset(st, 0, sizeof *st);
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return -1;
    MDB_stat ms;
    if (mdb_stat(txn, vn_store_dbi(a->db, ADB_OUTBOX), &ms) == 0)
        st->outbox = ms.ms_entries;
    if (mdb_stat(txn, vn_store_dbi(a->db, ADB_INBOX), &ms) == 0)
        st->inbox = ms.ms_entries;
    if (mdb_stat(txn, vn_store_dbi(a->db, ADB_HELD), &ms) == 0)
        st->held = ms.ms_entries;
    mdb_txn_abort(txn);
    vn_store_usage(a->db, &st->used, &st->size);
    return 0;
}

static int s_readiness(agent_t *a, char *why, size_t len)
{
    if (!vn_store_ready(a->db, a->cfg.data, atomic_load(&a->storage_ok), why, len))
        return 0;
    if (atomic_load(&a->connected))
        return 1;
    snprintf(why, len, "broker not connected");
    return 0;
}

static void s_metrics(agent_t *a, const s_store_t *st, vn_http_reply_t *reply)
{
    vn_prom_t p = {0};
    vn_prom_metric(&p, "vangnet_agent_outbox_depth", "gauge",
                   "Notifications stored here and waiting for the broker's receipt.",
                   (double)st->outbox);
    vn_prom_metric(&p, "vangnet_agent_pseudonym_held", "gauge",
                   "Submits held until the pseudonym service answers (never sent without a "
                   "pseudonym).", (double)st->held);
    vn_prom_metric(&p, "vangnet_agent_pseudonym_waiting", "gauge",
                   "Submits about new subjects waiting (in memory) for an evaluation in flight.",
                   (double)atomic_load(&a->pseud_waiting));
    vn_prom_metric(&p, "vangnet_agent_inbox_depth", "gauge",
                   "Notifications received and waiting for the IT system's acknowledgement.",
                   (double)st->inbox);
    vn_prom_metric(&p, "vangnet_agent_broker_connected", "gauge",
                   "1 while the CURVE session with the broker is up.", atomic_load(&a->connected));
    vn_prom_metric(&p, "vangnet_agent_broker_connection_changed_seconds", "gauge",
                   "When the broker connection last came up or went down (unix time).",
                   (double)atomic_load(&a->connection_changed));
    vn_prom_metric(&p, "vangnet_agent_last_receipt_seconds", "gauge",
                   "When the broker last issued a receipt for one of ours (unix time, 0: never).",
                   (double)atomic_load(&a->last_receipt));
    vn_prom_metric(&p, "vangnet_agent_notifications_sent_total", "counter",
                   "Notifications sent to the broker by this process (each once; resends apart).",
                   (double)atomic_load(&a->n_sent));
    vn_prom_metric(&p, "vangnet_agent_batch_signatures_total", "counter",
                   "Signatures made over a batch of notifications sealed in one turn (one "
                   "Ed25519 each instead of one per notification).",
                   (double)atomic_load(&a->n_batch_signatures));
    vn_prom_metric(&p, "vangnet_agent_batch_signed_total", "counter",
                   "Notifications sent under a batch signature.",
                   (double)atomic_load(&a->n_batch_signed));
    vn_prom_metric(&p, "vangnet_agent_batch_verifications_saved_total", "counter",
                   "Deliveries whose sender's batch signature was verified before (cached).",
                   (double)vn_batch_cache_hits(a->batch_roots));
    vn_prom_metric(&p, "vangnet_agent_wraps_shared_total", "counter",
                   "Content keys wrapped under the ephemeral key this turn already made for the "
                   "same recipient (one X25519 key agreement saved each; docs/envelope.md).",
                   (double)vn_wrap_batch_shared(a->wrap_batch));
    vn_prom_metric(&p, "vangnet_agent_unwraps_cached_total", "counter",
                   "Deliveries whose key wrapping opened with a remembered key agreement (a "
                   "sender's batch key seen before).",
                   (double)vn_unwrap_cache_hits(a->unwrap_cache));
    vn_prom_family(&p, "vangnet_agent_api_replies_dropped_total", "counter",
                   "Answers to local API callers that could not be queued: the caller read too "
                   "slowly (caller-slow, also logged) or went away first (caller-gone).");
    vn_prom_sample(&p, "vangnet_agent_api_replies_dropped_total", "reason", "caller-slow",
                   (double)atomic_load(&a->api_dropped_slow));
    vn_prom_sample(&p, "vangnet_agent_api_replies_dropped_total", "reason", "caller-gone",
                   (double)atomic_load(&a->api_dropped_gone));
    vn_prom_metric(&p, "vangnet_agent_broker_sends_held_total", "counter",
                   "Messages to the broker held in order because its connection's queue was "
                   "full, and sent as soon as it took messages again.",
                   (double)atomic_load(&a->broker_out_held));
    vn_prom_metric(&p, "vangnet_agent_broker_sends_dropped_total", "counter",
                   "Messages to the broker dropped because too many were held (also logged); "
                   "notifications among them are resent from the outbox.",
                   (double)atomic_load(&a->broker_out_dropped));
    vn_prom_metric(&p, "vangnet_agent_resends_total", "counter",
                   "Retransmissions of notifications the broker had not answered yet.",
                   (double)atomic_load(&a->n_resent));
    vn_prom_metric(&p, "vangnet_agent_pseudonyms_evaluated_total", "counter",
                   "Pseudonyms evaluated by the pseudonym service, proof verified.",
                   (double)atomic_load(&a->pseud_evaluated));
    vn_prom_metric(&p, "vangnet_agent_pseudonyms_cached_total", "counter",
                   "Pseudonyms served from the agent's cache (no evaluation).",
                   (double)atomic_load(&a->pseud_cached));
    vn_prom_metric(&p, "vangnet_agent_pseudonym_failures_total", "counter",
                   "Pseudonyms not obtained: the service unreachable, refusing or unverified.",
                   (double)atomic_load(&a->pseud_failed));
    vn_prom_metric(&p, "vangnet_agent_pseudonyms_refused_total", "counter",
                   "Pseudonyms the service refused (over the organisation's daily budget).",
                   (double)atomic_load(&a->pseud_refused));
    vn_prom_metric(&p, "vangnet_agent_notifications_received_total", "counter",
                   "Notifications received from the broker by this process.",
                   (double)atomic_load(&a->n_received));
    vn_prom_metric(&p, "vangnet_agent_receipts_final_size", "gauge",
                   "Receipts for audit records up to this sequence number are final (held "
                   "checkpoint with the [witness] quorum of cosignatures).",
                   (double)atomic_load(&a->final_size));
    vn_prom_metric(&p, "vangnet_agent_witness_cosigned_size", "gauge",
                   "Size of the last broker checkpoint this agent cosigned as a witness.",
                   (double)atomic_load(&a->witness_size));
    vn_prom_metric(&p, "vangnet_agent_checkpoint_consistency_failures_total", "counter",
                   "Times the broker's audit log contradicted a checkpoint it had signed.",
                   (double)atomic_load(&a->consistency_failures));
    vn_prom_metric(&p, "vangnet_agent_audit_log_inconsistent", "gauge",
                   "1 once an audit log alarm was raised (kept across restarts).",
                   atomic_load(&a->log_inconsistent));
    vn_prom_metric(&p, "vangnet_agent_store_used_bytes", "gauge", "LMDB map in use.",
                   (double)st->used);
    vn_prom_metric(&p, "vangnet_agent_store_size_bytes", "gauge", "LMDB map size (map_size_mb).",
                   (double)st->size);
    vn_prom_metric(&p, "vangnet_agent_store_used_ratio", "gauge", "LMDB map in use, as a fraction.",
                   st->size ? (double)st->used / (double)st->size : 0);
    vn_prom_metric(&p, "vangnet_agent_store_full", "gauge",
                   "1 while the store is too full to take deliveries (the broker holds them).",
                   atomic_load(&a->store_full));
    vn_prom_metric(&p, "vangnet_agent_commits_total", "counter",
                   "Batch commits of the agent's store (one fsync each).",
                   (double)atomic_load(&a->n_commits));
    vn_prom_histogram(&p, "vangnet_agent_commit_duration_seconds",
                      "Time to commit one batch (LMDB commit with fsync).", &a->commit_latency);
    vn_prom_metric(&p, "vangnet_agent_storage_ok", "gauge",
                   "0 after a failed commit, until one succeeds.",
                   atomic_load(&a->storage_ok));
    vn_prom_metric(&p, "vangnet_agent_start_time_seconds", "gauge",
                   "When this agent process started.",
                   (double)a->started);
    vn_prom_family(&p, "vangnet_build_info", "gauge", "Version of this vangnet program.");
    vn_prom_printf(&p, "vangnet_build_info{component=\"agent\",version=\"%s\"} 1\n", VN_VERSION);
    reply->body = vn_prom_take(&p, &reply->len);
    reply->status = reply->body ? 200 : 500;
    reply->content_type = VN_PROM_CONTENT_TYPE;
}

static void s_status(agent_t *a, const s_store_t *st, vn_http_reply_t *reply)
{
    uint64_t now = vn_now(), changed = atomic_load(&a->connection_changed);
    uint64_t last = atomic_load(&a->last_receipt);
    int connected = atomic_load(&a->connected);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "component", json_object_new_string("agent"));
    json_object_object_add(o, "org", json_object_new_string(a->keys->pub.org));
    json_object_object_add(o, "version", json_object_new_string(VN_VERSION));
    json_object_object_add(o, "uptime_seconds", json_object_new_int64((int64_t)(now - a->started)));
    json_object_object_add(o, "warnings", json_object_new_array());
    json_object *broker = json_object_new_object();
    json_object_object_add(broker, "endpoint", json_object_new_string(a->cfg.broker_endpoint));
    json_object_object_add(broker, "connected", json_object_new_boolean(connected));
    json_object_object_add(broker, "since_seconds", json_object_new_int64((int64_t)(now - changed)));
    json_object_object_add(broker, "last_receipt_age_seconds",
                           json_object_new_int64(last ? (int64_t)(now - last) : -1));
    json_object_object_add(o, "broker", broker);
    json_object_object_add(o, "outbox", json_object_new_int64((int64_t)st->outbox));
    json_object_object_add(o, "held", json_object_new_int64((int64_t)st->held));
    json_object_object_add(o, "inbox", json_object_new_int64((int64_t)st->inbox));
    json_object_object_add(o, "receipts_final_through",
                           json_object_new_int64((int64_t)atomic_load(&a->final_size)));
    json_object_object_add(o, "witness_cosigned_size",
                           json_object_new_int64((int64_t)atomic_load(&a->witness_size)));
    json_object_object_add(o, "audit_log", json_object_new_string(atomic_load(&a->log_inconsistent)
                                                                      ? "INCONSISTENT"
                                                                      : "consistent"));
    double pct = st->size ? 100.0 * (double)st->used / (double)st->size : 0;
    json_object *store = json_object_new_object();
    json_object_object_add(store, "used_bytes", json_object_new_int64((int64_t)st->used));
    json_object_object_add(store, "size_bytes", json_object_new_int64((int64_t)st->size));
    json_object_object_add(store, "used_percent", json_object_new_double(pct));
    json_object_object_add(store, "full", json_object_new_boolean(atomic_load(&a->store_full)));
    json_object_object_add(o, "store", store);
    if (atomic_load(&a->store_full))
        vn_status_warn(o, "store full: deliveries wait at the broker until acks from the IT "
                       "system free space (below 75%%)");
    if (!connected && now - changed > a->cfg.metrics.disconnect_warn_seconds)
        vn_status_warn(o, "not connected to the broker for %llu minutes",
                       (unsigned long long)(now - changed) / 60);
    if (pct >= a->cfg.metrics.storage_warn_percent)
        vn_status_warn(o, "store %.0f%% full: raise map_size_mb", pct);
    if (atomic_load(&a->log_inconsistent))
        vn_status_warn(o, "AUDIT LOG ALARM: the broker's log contradicts a checkpoint it signed");
    char why[128];
    if (!s_readiness(a, why, sizeof why))
        vn_status_warn(o, "not ready: %s", why);
    reply->body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
    reply->status = reply->body ? 200 : 500;
    reply->content_type = "application/json";
    json_object_put(o);
}

static void s_handle(void *user, const char *path, vn_http_reply_t *reply)
{
    agent_t *a = user;
    s_store_t st;
    char why[128];
    if (strcmp(path, "/healthz") == 0) {
        reply->status = 200;
        reply->body = strdup("ok\n");
        return;
    }
    int store_ok = s_store(a, &st) == 0;
    if (strcmp(path, "/readyz") == 0) {
        int ready = store_ok && s_readiness(a, why, sizeof why);
        reply->status = ready ? 200 : 503;
        reply->body = vn_strdup_printf("%s\n", ready ? "ready" : store_ok ? why : "store unreadable");
    } else if (!store_ok && (strcmp(path, "/metrics") == 0 || strcmp(path, "/status") == 0)) {
        reply->status = 503;
        reply->body = strdup("store unreadable\n");
    } else if (strcmp(path, "/metrics") == 0) {
        s_metrics(a, &st, reply);
    } else if (strcmp(path, "/status") == 0) {
        s_status(a, &st, reply);
    }
}

int agent__http_start(agent_t *a, char *err, size_t errlen)
{
    if (!a->cfg.metrics.listen[0])
        return 0;
    a->http = vn_http_start(a->cfg.metrics.listen, a->cfg.data, s_handle, a, err, errlen);
    return a->http ? 0 : -1;
}
