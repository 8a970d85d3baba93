/* batch.c -- the agent's group commit: work of one loop turn shares a transaction and one fsync;
 * acks to the broker and answers to IT systems leave only after it is durable. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

MDB_txn *agent__txn(agent_t *a)
{
    if (!a->txn && vn_store_begin(a->db, 0, &a->txn) != 0)
        a->txn = NULL;
    return a->txn;
}

MDB_txn *agent__read_begin(agent_t *a, int *durable)
{
    *durable = 0;
    if (a->txn || a->n_out)
        return agent__txn(a);
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return agent__txn(a);
    *durable = 1;
    return txn;
}

void agent__read_end(agent_t *a, MDB_txn *txn, int durable, const uint8_t *routing,
                     size_t routing_len, Vn__ApiResponse *resp)
{
    if (durable) {
        mdb_txn_abort(txn);
        agent__reply_now(a, routing, routing_len, resp);
    } else
        agent__reply_after_commit(a, routing, routing_len, resp);
}

int agent__put(agent_t *a, MDB_txn *txn, int db, MDB_val *k, MDB_val *v)
{
    int rc = mdb_put(txn, vn_store_dbi(a->db, db), k, v, 0);
    if (rc != 0 && !a->batch_error)
        a->batch_error = vn_store_error(rc);
    return rc ? vn_store_error(rc) : 0;
}

int agent__del(agent_t *a, MDB_txn *txn, int db, MDB_val *k)
{
    int rc = mdb_del(txn, vn_store_dbi(a->db, db), k, NULL);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0 && !a->batch_error)
        a->batch_error = vn_store_error(rc);
    return rc ? vn_store_error(rc) : 0;
}

void agent__after_commit(agent_t *a, int to_api, const uint8_t *routing, size_t routing_len,
                         uint8_t *data, size_t len)
{
    if (a->n_out == a->cap_out) {
        size_t cap = a->cap_out ? 2 * a->cap_out : 64;
        outgoing_t *more = realloc(a->out, cap * sizeof *more);
        if (!more) {
            free(data);
            return;
        }
        a->out = more;
        a->cap_out = cap;
    }
    outgoing_t *o = &a->out[a->n_out++];
    o->to_api = to_api;
    o->routing_len = routing_len;
    if (routing_len)
        memcpy(o->routing, routing, routing_len);
    o->data = data;
    o->len = len;
}

void agent__reply_after_commit(agent_t *a, const uint8_t *routing, size_t routing_len,
                               Vn__ApiResponse *resp)
{
    uint8_t *buf;
    size_t len;
    if (vn_api_response_pack(resp, &buf, &len) == 0)
        agent__after_commit(a, 1, routing, routing_len, buf, len);
}

int agent__api_send(agent_t *a, const uint8_t *routing, size_t routing_len, const uint8_t *data,
                    size_t len)
{
    /* The API socket is ROUTER_MANDATORY: the routing frame fails when the answer cannot be
     * queued, instead of the whole answer vanishing. Then nothing else of it is sent. */
    if (zmq_send(a->api, routing, routing_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN) {
            uint64_t n = atomic_fetch_add(&a->api_dropped_slow, 1) + 1, now = vn_monotonic_ms();
            if (now - a->api_dropped_logged_ms >= 1000) {
                a->api_dropped_logged_ms = now;
                vn_warn("event=api-answer-dropped reason=caller-slow queued=%d dropped_total=%llu "
                        "note=\"the caller reads its answers too slowly; it can ask for an "
                        "outcome by client_ref\"", AGENT_API_QUEUED_ANSWERS,
                        (unsigned long long)n);
            }
        } else {
            atomic_fetch_add(&a->api_dropped_gone, 1);
            vn_debug("event=api-answer-dropped reason=caller-gone");
        }
        return -1;
    }
    zmq_send(a->api, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT); /* queued with the first frame */
    zmq_send(a->api, data, len, ZMQ_DONTWAIT);
    return 0;
}

void agent__reply_now(agent_t *a, const uint8_t *routing, size_t routing_len,
                      Vn__ApiResponse *resp)
{
    uint8_t *buf;
    size_t len;
    if (vn_api_response_pack(resp, &buf, &len) != 0)
        return;
    (void)agent__api_send(a, routing, routing_len, buf, len);
    free(buf);
}

void agent__commit(agent_t *a)
{
    agent__outbox_sign_pending(a); /* the turn's notifications, signed together, then stored */
    if (a->txn) {
        int rc = a->batch_error;
        if (rc != 0) {
            mdb_txn_abort(a->txn);
            vn_error("event=batch-write-failed error=\"%s\" action=abandoned", vn_strerror(rc));
        } else {
            uint64_t t0 = vn_now_us();
            rc = vn_store_commit(a->txn);
            if (rc == 0) {
                atomic_fetch_add(&a->n_commits, 1);
                vn_histogram_observe_us(&a->commit_latency, vn_now_us() - t0);
            }
        }
        a->txn = NULL;
        a->batch_error = 0;
        a->storage_ok = rc == 0;
        agent__store_committed(a, rc);
        if (rc != 0) {
            /* Nothing was stored, so nothing is acknowledged: the broker redelivers and the
             * IT system hears the error. */
            vn_error("event=commit-failed error=\"%s\"", vn_strerror(rc));
            for (size_t i = 0; i < a->n_out; i++)
                free(a->out[i].data);
            size_t n = a->n_out;
            outgoing_t *failed = a->out;
            a->out = NULL;
            a->n_out = a->cap_out = 0;
            for (size_t i = 0; i < n; i++)
                if (failed[i].to_api)
                    agent__api_error(a, failed[i].routing, failed[i].routing_len,
                                     rc == VN_E_STORE_FULL ? "storage-full" : "storage-error",
                                     vn_strerror(rc));
            free(failed);
            a->inbox_grew = 0;
            return;
        }
    }
    for (size_t i = 0; i < a->n_out; i++) {
        outgoing_t *o = &a->out[i];
        if (o->to_api) {
            (void)agent__api_send(a, o->routing, o->routing_len, o->data, o->len);
            free(o->data);
        } else if (a->connected) {
            (void)agent__broker_out(a, o->data, o->len); /* takes it */
        } else {
            free(o->data); /* the reconnect resends the outbox */
        }
    }
    a->n_out = 0;
    if (a->inbox_grew) {
        a->n_inbox_items += (uint64_t)a->inbox_grew; /* durable now: webhooks may announce them */
        a->inbox_grew = 0;
        agent__fetch_wake(a, 0);
    }
}

int agent__next_counter(agent_t *a, const char *name, uint64_t *out)
{
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return VN_E_STORE;
    int rc = vn_meta_get_u64(txn, vn_store_dbi(a->db, ADB_META), name, out);
    return rc ? rc : vn_meta_put_u64(txn, vn_store_dbi(a->db, ADB_META), name, ++*out);
}

waiter_t *agent__waiter_add(waiter_t **list, size_t *n, const uint8_t *routing, size_t routing_len)
{
    waiter_t *more = realloc(*list, (*n + 1) * sizeof *more);
    if (!more)
        return NULL;
    *list = more;
    waiter_t *w = more + (*n)++;
    memset(w, 0, sizeof *w);
    memcpy(w->routing, routing, routing_len);
    w->routing_len = routing_len;
    return w;
}
