/* signal_list.c -- the main thread's side of signals and matches: an organisation's own signals
 * and the matches it takes part in, read-only and paged (at most LIST_MAX a page, and never more
 * than LIST_BYTES); changes go to the storage thread. */
#include "broker.h"
#include "signals.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define LIST_DEFAULT 100
#define LIST_MAX 500
#define LIST_BYTES (512 * 1024)  /* a page never exceeds this, whatever its records hold */

static uint32_t s_limit(uint32_t asked)
{
    return asked == 0 ? LIST_DEFAULT : asked > LIST_MAX ? LIST_MAX : asked;
}

void broker__signal_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                         const Vn__SignalRequest *req)
{
    Vn__SignalResponse resp = VN__SIGNAL_RESPONSE__INIT;
    resp.request_id = req->request_id;
    const Vn__SignalList *l = req->list;
    uint32_t limit = s_limit(l ? l->limit : 0);
    Vn__SignalRecord **recs = calloc(limit, sizeof *recs);
    size_t n = 0, bytes = 0;
    char next[VN_ID_LEN + 1] = "";
    MDB_txn *txn;
    if (recs && vn_store_begin(b->db, 1, &txn) == 0) {
        vn_sigdb_t d;
        vn_sigdb_init(&d, b->db, txn);
        MDB_cursor *cur;
        /* By youth: the live signals on it (an index range); else all of the caller's own. */
        int by_youth = l && l->youth_pseudonym.len == 32;
        uint8_t start[VN_ORG_MAX + 1 + VN_ID_LEN + 32];
        size_t prefix = by_youth ? VN_SIGDB_PSEUD_PREFIX : strlen(org) + 1;
        if (by_youth) /* the youth's entries in the subject index (signals.h) */
            vn_sigdb_pseud_prefix(start, l->youth_pseudonym.data, VN_SIGDB_YOUTH);
        else
            memcpy(start, org, prefix);
        size_t after = l && l->after && strlen(l->after) == VN_ID_LEN ? VN_ID_LEN : 0;
        memcpy(start + prefix, after ? l->after : "", after);
        MDB_val k = {prefix + after, start}, v;
        mdb_cursor_open(txn, by_youth ? d.by_pseud : d.owner, &cur);
        int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (mrc == 0 && after && k.mv_size == prefix + VN_ID_LEN &&
            memcmp(k.mv_data, start, prefix + VN_ID_LEN) == 0)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT); /* strictly after */
        for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != prefix + VN_ID_LEN || memcmp(k.mv_data, start, prefix) != 0)
                break;
            char id[VN_ID_LEN + 1];
            memcpy(id, (char *)k.mv_data + prefix, VN_ID_LEN);
            id[VN_ID_LEN] = '\0';
            if (n == limit || bytes > LIST_BYTES) {
                snprintf(next, sizeof next, "%s", recs[n - 1]->id);
                break;
            }
            Vn__SignalRecord *r;
            if (vn_sigdb_get(&d, id, &r) != 0)
                continue;
            if (strcmp(r->owner, org) != 0) {
                vn__signal_record__free_unpacked(r, NULL);
                continue; /* only the caller's own */
            }
            bytes += vn__signal_record__get_packed_size(r);
            recs[n++] = r;
        }
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
    }
    resp.n_records = n;
    resp.records = recs;
    resp.next = next;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE;
    m.signal_response = &resp;
    broker__send_wire(b, routing, routing_len, &m);
    for (size_t i = 0; i < n; i++)
        vn__signal_record__free_unpacked(recs[i], NULL);
    free(recs);
}

void broker__match_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                        const Vn__MatchRequest *req)
{
    Vn__MatchResponse resp = VN__MATCH_RESPONSE__INIT;
    resp.request_id = req->request_id;
    int show = req->op_case == VN__MATCH_REQUEST__OP_SHOW;
    uint32_t limit = show ? 1 : s_limit(req->list ? req->list->limit : 0);
    /* Matches are big (up to VN_MATCH_MAX participants): grown as found, not sized by the limit. */
    size_t cap = 1;
    vn_match_t *ms = malloc(cap * sizeof *ms);
    vn_match_wire_t *ws = NULL;
    Vn__MatchInfo **infos = NULL;
    size_t n = 0, bytes = 0;
    char next[VN_ID_LEN + 1] = "";
    MDB_txn *txn;
    if (ms && vn_store_begin(b->db, 1, &txn) == 0) {
        vn_sigdb_t d;
        vn_sigdb_init(&d, b->db, txn);
        if (show) {
            if (req->show && strlen(req->show) == VN_ID_LEN &&
                vn_sigdb_match_get(&d, req->show, &ms[0]) == 0 && vn_match_orgs(&ms[0]) >= 2 &&
                vn_match_has_org(&ms[0], org, 0))
                n = 1;
            else {
                resp.code = "not-in-match";
                resp.reason = "you take part in no match with this id";
                resp.reason_nl = "u neemt geen deel aan een match met dit id";
            }
        } else {
            MDB_cursor *cur;
            uint8_t start[VN_ORG_MAX + 1 + VN_ID_LEN];
            size_t prefix = strlen(org) + 1;
            const char *a = req->list ? req->list->after : NULL;
            size_t after = a && strlen(a) == VN_ID_LEN ? VN_ID_LEN : 0;
            memcpy(start, org, prefix);
            memcpy(start + prefix, after ? a : "", after);
            MDB_val k = {prefix + after, start}, v;
            mdb_cursor_open(txn, d.match_org, &cur);
            int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            if (mrc == 0 && after && k.mv_size == prefix + VN_ID_LEN &&
                memcmp(k.mv_data, start, prefix + VN_ID_LEN) == 0)
                mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
                if (k.mv_size != prefix + VN_ID_LEN || memcmp(k.mv_data, org, prefix) != 0)
                    break;
                char id[VN_ID_LEN + 1];
                memcpy(id, (char *)k.mv_data + prefix, VN_ID_LEN);
                id[VN_ID_LEN] = '\0';
                if (n == limit || bytes > LIST_BYTES) {
                    snprintf(next, sizeof next, "%s", ms[n - 1].id);
                    break;
                }
                if (n == cap) {
                    vn_match_t *more = realloc(ms, 2 * cap * sizeof *more);
                    if (!more)
                        break;
                    ms = more;
                    cap *= 2;
                }
                if (vn_sigdb_match_get(&d, id, &ms[n]) != 0 || vn_match_orgs(&ms[n]) < 2)
                    continue;
                bytes += 64 + ms[n].n * 160;
                n++;
            }
            mdb_cursor_close(cur);
        }
        mdb_txn_abort(txn);
    }
    ws = n ? calloc(n, sizeof *ws) : NULL;
    infos = n ? calloc(n, sizeof *infos) : NULL;
    if (n && (!ws || !infos))
        n = 0;
    for (size_t i = 0; i < n; i++) {
        vn_match_to_wire(&ms[i], &ws[i]);
        infos[i] = &ws[i].info;
    }
    resp.n_matches = n;
    resp.matches = infos;
    resp.next = next;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE;
    m.match_response = &resp;
    broker__send_wire(b, routing, routing_len, &m);
    free(ms);
    free(ws);
    free(infos);
}

void broker__signal_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                            const char *org, const uint8_t *msg, size_t len)
{
    zmq_send(b->to_storage, "G", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, routing, routing_len, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, msg, len, 0);
}
