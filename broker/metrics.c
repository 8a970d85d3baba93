/* metrics.c -- the broker's loopback HTTP endpoint: Prometheus metrics, liveness, readiness and a
 * JSON status page. Runs on libmicrohttpd's thread: it reads the store in its own read transaction,
 * counters through atomics, and sessions under sessions_lock. No personal data: organisation ids
 * and reason codes only. */
#include "broker.h"
#include "vn_batch.h"
#include "vn_broker_stats.h"
#include "vn_http.h"
#include "vn_log.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char org[VN_ORG_MAX + 1];
    int connected;
    int store_full;         /* its agent said its store is full */
    uint64_t since;
} s_conn_t;

/* A copy of the sessions, so the HTTP thread never holds the lock while it writes. */
static s_conn_t *s_connections(broker_t *b, size_t *n)
{
    pthread_mutex_lock(&b->sessions_lock);
    s_conn_t *out = calloc(b->n_sessions + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < b->n_sessions; i++) {
        memcpy(out[i].org, b->sessions[i].org, sizeof out[i].org);
        out[i].connected = b->sessions[i].state != SESSION_GONE;
        out[i].since = b->sessions[i].since;
        out[i].store_full = b->sessions[i].state == SESSION_HELD;
        *n = i + 1;
    }
    pthread_mutex_unlock(&b->sessions_lock);
    return out;
}

void broker__count_refusal(broker_t *b, const char *code)
{
    pthread_mutex_lock(&b->refusals_lock);
    size_t i = 0;
    while (i < b->n_refusal_codes && strcmp(b->refusals[i].code, code) != 0)
        i++;
    if (i == b->n_refusal_codes && i < REFUSAL_CODES_MAX) {
        snprintf(b->refusals[i].code, sizeof b->refusals[i].code, "%s", code);
        b->n_refusal_codes++;
    }
    if (i < REFUSAL_CODES_MAX)
        b->refusals[i].n++;
    pthread_mutex_unlock(&b->refusals_lock);
}

static int s_queue_limit_reached(const broker_t *b, const vn_queue_stat_t *q)
{
    return broker__queue_depth_over(b, q->queued) || broker__queue_age_over(b, q->oldest_seconds);
}

static void s_metrics(broker_t *b, vn_http_reply_t *reply)
{
    vn_broker_stats_t st;
    int stats_ok = vn_broker_stats_read(b->db, &st) == 0;
    vn_prom_t p = {0};
    uint64_t now = vn_now();
    vn_prom_metric(&p, "vangnet_broker_notifications_accepted_total", "counter",
                   "Notifications accepted, audited and queued for their recipients.",
                   (double)atomic_load(&b->n_accepted));
    vn_prom_family(&p, "vangnet_broker_notifications_refused_total", "counter",
                   "Submissions refused (and audited), by stable reason code.");
    pthread_mutex_lock(&b->refusals_lock);
    for (size_t i = 0; i < b->n_refusal_codes; i++)
        vn_prom_sample(&p, "vangnet_broker_notifications_refused_total", "code",
                       b->refusals[i].code, (double)b->refusals[i].n);
    if (!b->n_refusal_codes)
        vn_prom_sample(&p, "vangnet_broker_notifications_refused_total", "code", "none", 0);
    pthread_mutex_unlock(&b->refusals_lock);
    vn_prom_metric(&p, "vangnet_broker_deliveries_total", "counter",
                   "Deliveries acknowledged by the recipient's agent after its own commit.",
                   (double)atomic_load(&b->n_delivered));
    vn_prom_metric(&p, "vangnet_broker_deliveries_expired_total", "counter",
                   "Deliveries dropped undelivered when their envelope expired (sender told).",
                   (double)atomic_load(&b->n_expired));
    vn_prom_metric(&p, "vangnet_broker_batch_verifications_saved_total", "counter",
                   "Submissions whose sender's batch signature was verified before (cached): "
                   "Ed25519 verifications not repeated.",
                   b->batch_roots ? (double)vn_batch_cache_hits(b->batch_roots) : 0);
    vn_prom_metric(&p, "vangnet_broker_commits_total", "counter", "Group commits (one fsync each).",
                   (double)atomic_load(&b->n_commits));
    vn_prom_histogram(&p, "vangnet_broker_commit_duration_seconds",
                      "Time to commit one group (LMDB commit with fsync).", &b->commit_latency);
    vn_prom_histogram(&p, "vangnet_broker_cosign_latency_seconds",
                      "From signing a checkpoint to holding the [witness] quorum of cosignatures.",
                      &b->cosign_latency);
    vn_prom_histogram(&p, "vangnet_broker_delivery_latency_seconds",
                      "From acceptance to the recipient agent's durable acknowledgement.",
                      &b->delivery_latency);

    size_t n_conn = 0, connected = 0;
    s_conn_t *conn = s_connections(b, &n_conn);
    vn_prom_family(&p, "vangnet_broker_agent_connected", "gauge",
                   "1 while the organisation's agent has a session, 0 after it went away.");
    for (size_t i = 0; i < n_conn; i++) {
        vn_prom_sample(&p, "vangnet_broker_agent_connected", "org", conn[i].org, conn[i].connected);
        connected += (size_t)conn[i].connected;
    }
    vn_prom_family(&p, "vangnet_broker_agent_store_full", "gauge",
                   "1 while the organisation's agent says its store is full (its deliveries wait "
                   "here, vangnet_broker_queue_depth).");
    for (size_t i = 0; i < n_conn; i++)
        vn_prom_sample(&p, "vangnet_broker_agent_store_full", "org", conn[i].org,
                       conn[i].store_full);
    free(conn);
    vn_prom_metric(&p, "vangnet_broker_agents_connected", "gauge",
                   "Agents with a session now.", (double)connected);

    if (stats_ok) {
        vn_prom_family(&p, "vangnet_broker_queue_depth", "gauge",
                       "Deliveries and notices waiting for each recipient organisation.");
        for (size_t i = 0; i < st.n_queues; i++)
            vn_prom_sample(&p, "vangnet_broker_queue_depth", "recipient", st.queues[i].org,
                           (double)st.queues[i].queued);
        vn_prom_family(&p, "vangnet_broker_queue_oldest_age_seconds", "gauge",
                       "Age of the oldest delivery waiting for each recipient organisation.");
        for (size_t i = 0; i < st.n_queues; i++)
            vn_prom_sample(&p, "vangnet_broker_queue_oldest_age_seconds", "recipient",
                           st.queues[i].org, (double)st.queues[i].oldest_seconds);
        vn_prom_family(&p, "vangnet_broker_queue_limit_reached", "gauge",
                       "1 while a recipient's queue is at its size or age limit: new "
                       "notifications to it are refused (recipient-queue-full).");
        for (size_t i = 0; i < st.n_queues; i++)
            vn_prom_sample(&p, "vangnet_broker_queue_limit_reached", "recipient",
                           st.queues[i].org, s_queue_limit_reached(b, &st.queues[i]));
        vn_prom_family(&p, "vangnet_broker_organisations", "gauge",
                       "Registered organisations, by state.");
        vn_prom_sample(&p, "vangnet_broker_organisations", "state", "active",
                       (double)(st.n_orgs - st.revoked));
        vn_prom_sample(&p, "vangnet_broker_organisations", "state", "revoked", (double)st.revoked);
        vn_prom_metric(&p, "vangnet_broker_audit_records", "gauge", "Records in the audit log.",
                       (double)st.records);
        vn_prom_metric(&p, "vangnet_broker_audit_checkpoint_size", "gauge",
                       "Records covered by the newest signed checkpoint.",
                       (double)st.checkpoint_size);
        vn_prom_metric(&p, "vangnet_broker_audit_checkpoint_age_seconds", "gauge",
                       "Age of the newest signed checkpoint (-1: none yet).",
                       st.checkpoint_time ? (double)(now - st.checkpoint_time) : -1);
        vn_prom_metric(&p, "vangnet_broker_stored_envelopes", "gauge",
                       "Encrypted envelopes held for delivery.",
                       (double)st.envelopes);
        vn_prom_metric(&p, "vangnet_broker_store_used_bytes", "gauge",
                       "LMDB map in use.", (double)st.store_used);
        vn_prom_metric(&p, "vangnet_broker_store_size_bytes", "gauge",
                       "LMDB map size (map_size_mb).",
                       (double)st.store_size);
        vn_prom_metric(&p, "vangnet_broker_store_used_ratio", "gauge",
                       "LMDB map in use, as a fraction.",
                       st.store_size ? (double)st.store_used / (double)st.store_size : 0);
        vn_broker_stats_clear(&st);
    }
    broker__budget_metrics(b, &p);
    vn_prom_metric(&p, "vangnet_broker_storage_ok", "gauge",
                   "0 after a failed commit, until one succeeds.",
                   atomic_load(&b->storage_ok));
    vn_prom_metric(&p, "vangnet_broker_start_time_seconds", "gauge",
                   "When this broker process started.",
                   (double)b->started);
    vn_prom_family(&p, "vangnet_build_info", "gauge", "Version of this vangnet program.");
    vn_prom_printf(&p, "vangnet_build_info{component=\"broker\",version=\"%s\"} 1\n", VN_VERSION);
    reply->body = vn_prom_take(&p, &reply->len);
    reply->status = reply->body ? 200 : 500;
    reply->content_type = VN_PROM_CONTENT_TYPE;
}

static int s_readiness(broker_t *b, char *why, size_t len)
{
    return vn_store_ready(b->db, b->cfg.data, atomic_load(&b->storage_ok), why, len);
}

static void s_status(broker_t *b, vn_http_reply_t *reply)
{
    vn_broker_stats_t st;
    if (vn_broker_stats_read(b->db, &st) != 0) {
        reply->status = 503;
        reply->body = strdup("{\"error\":\"store unreadable\"}\n");
        return;
    }
    json_object *o = vn_broker_stats_json(&st, &b->cfg.metrics);
    uint64_t now = vn_now();
    size_t n_conn = 0;
    s_conn_t *conn = s_connections(b, &n_conn);
    json_object *orgs;
    json_object_object_get_ex(o, "organisations", &orgs);
    for (size_t i = 0; i < json_object_array_length(orgs); i++) {
        json_object *org = json_object_array_get_idx(orgs, i), *id;
        json_object_object_get_ex(org, "id", &id);
        const s_conn_t *c = NULL;
        for (size_t j = 0; j < n_conn && !c; j++)
            if (strcmp(conn[j].org, json_object_get_string(id)) == 0)
                c = &conn[j];
        json_object_object_add(org, "connected", json_object_new_boolean(c && c->connected));
        json_object_object_add(org, "agent_store_full", json_object_new_boolean(c && c->store_full));
        if (c && c->store_full) {
            uint64_t held = 0;
            for (size_t q = 0; q < st.n_queues; q++)
                if (strcmp(st.queues[q].org, json_object_get_string(id)) == 0)
                    held = st.queues[q].queued;
            vn_status_warn(o, "%s's agent says its store is full: %llu deliveries held here until "
                           "it has room", json_object_get_string(id), (unsigned long long)held);
        }
        if (c)
            json_object_object_add(org, "since_seconds",
                                   json_object_new_int64((int64_t)(now - c->since)));
        if (c && !c->connected && now - c->since > b->cfg.metrics.disconnect_warn_seconds)
            vn_status_warn(o, "%s's agent has been disconnected for %llu minutes",
                           json_object_get_string(id), (unsigned long long)(now - c->since) / 60);
    }
    free(conn);
    for (size_t i = 0; i < st.n_queues; i++)
        if (s_queue_limit_reached(b, &st.queues[i]))
            vn_status_warn(o, "%s's queue is at its limit: new notifications to it are refused",
                           st.queues[i].org);
    broker__budget_status(b, o);
    char why[128];
    if (!s_readiness(b, why, sizeof why))
        vn_status_warn(o, "not ready: %s", why);
    json_object *counters = json_object_new_object();
    json_object_object_add(counters, "accepted",
                           json_object_new_int64((int64_t)atomic_load(&b->n_accepted)));
    json_object_object_add(counters, "refused",
                           json_object_new_int64((int64_t)atomic_load(&b->n_refused)));
    json_object_object_add(counters, "delivered",
                           json_object_new_int64((int64_t)atomic_load(&b->n_delivered)));
    json_object_object_add(counters, "expired",
                           json_object_new_int64((int64_t)atomic_load(&b->n_expired)));
    json_object_object_add(o, "counters", counters);
    json_object_object_add(o, "version", json_object_new_string(VN_VERSION));
    json_object_object_add(o, "uptime_seconds", json_object_new_int64((int64_t)(now - b->started)));
    reply->body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
    reply->status = reply->body ? 200 : 500;
    reply->content_type = "application/json";
    json_object_put(o);
    vn_broker_stats_clear(&st);
}

static void s_handle(void *user, const char *path, vn_http_reply_t *reply)
{
    broker_t *b = user;
    char why[128];
    if (strcmp(path, "/metrics") == 0) {
        s_metrics(b, reply);
    } else if (strcmp(path, "/healthz") == 0) {
        reply->status = 200;
        reply->body = strdup("ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        int ready = s_readiness(b, why, sizeof why);
        reply->status = ready ? 200 : 503;
        reply->body = vn_strdup_printf("%s\n", ready ? "ready" : why);
    } else if (strcmp(path, "/status") == 0) {
        s_status(b, reply);
    } else {
        broker__tiles_answer(b, path, reply);
    }
}

int broker__http_start(broker_t *b, char *err, size_t errlen)
{
    if (!b->cfg.metrics.listen[0])
        return 0;
    b->http = vn_http_start(b->cfg.metrics.listen, b->cfg.data, s_handle, b, err, errlen);
    return b->http ? 0 : -1;
}
