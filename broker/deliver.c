/* deliver.c -- delivery from the durable queue to a session within its credit, with the consent
 * and the sender's registration re-checked at delivery (main thread). Sessions are session.c. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_queue.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 0 if a consent-based envelope may no longer go to recipient (verdict says why), else 1. */
static int s_still_justified(broker_t *b, MDB_txn *txn, const char *recipient,
                             const vn_parsed_t *p, vn_verdict_t *verdict)
{
    int ok = 1;
    if (strcmp(p->hdr->basis, "consent") == 0) {
        broker_env_t e;
        vn_policy_env_t penv;
        broker__env_init(&e, b, txn, &penv);
        const char *sector = penv.sector_of(&e, recipient);
        ok = vn_policy_consent_still_valid(p->hdr, recipient, sector, &penv, vn_now(), verdict) == 0;
        broker__env_clear(&e);
    }
    return ok;
}

/* 1 if the envelope's sender has been revoked (the registry as the main thread holds it). */
static int s_sender_revoked(broker_t *b, const vn_parsed_t *p)
{
    const vn_org_t *o = broker__org(b, p->hdr->sender);
    return o && o->revoked;
}

/* Send queue entries of one session while it has credit. */
static void s_pump_session(broker_t *b, MDB_txn *txn, session_t *s)
{
    vn_queue_iter_t q;
    vn_queue_entry_t e;
    if (vn_queue_iter_open(txn, b->db, s->org, s->last_qseq + 1, &q) != 0)
        return;
    while (broker__session_sendable(s) && vn_queue_iter_next(&q, &e) == 1) {
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        Vn__Deliver d = VN__DELIVER__INIT;
        Vn__Notice *notice = NULL;
        Vn__MatchNotice *match_notice = NULL;
        uint8_t id[16]; /* what its ack will name */
        if (e.kind == VN_QUEUE_DELIVERY) {
            MDB_val ev;
            vn_parsed_t p;
            if (broker__stored_envelope_raw(txn, b, e.seq, &ev) != 0)
                continue; /* released under us; the ack bookkeeping will catch up */
            if (vn_envelope_parse(ev.mv_data, ev.mv_size, &p) != 0 ||
                p.hdr->message_id.len != VN_MSGID_BYTES) {
                vn_error("event=queue-entry-damaged org=%s qseq=%llu", s->org,
                         (unsigned long long)e.qseq);
                s->last_qseq = e.qseq;
                continue; /* it was checked when accepted: the store is damaged */
            }
            memcpy(id, p.hdr->message_id.data, VN_MSGID_BYTES);
            vn_verdict_t verdict;
            int revoked = s_sender_revoked(b, &p);
            int justified = revoked || s_still_justified(b, txn, s->org, &p, &verdict);
            vn_parsed_clear(&p);
            if (revoked) {
                /* Accepted before its sender was revoked: not delivered as if nothing happened. */
                broker__withhold_request(b, s->org, e.seq, "sender-revoked",
                                         "the sender's organisation was revoked after this was "
                                         "accepted; it is withheld");
                s->last_qseq = e.qseq;
                continue;
            }
            if (!justified) {
                /* Checked again at delivery: a withdrawn or expired consent stops it here. */
                broker__withhold_request(b, s->org, e.seq, verdict.code, verdict.reason_en);
                s->last_qseq = e.qseq;
                continue;
            }
            d.audit_seq = e.seq;
            d.envelope = (ProtobufCBinaryData){ev.mv_size, ev.mv_data};
            m.body_case = VN__WIRE_MESSAGE__BODY_DELIVER;
            m.deliver = &d;
        } else if (e.kind == VN_QUEUE_NOTICE &&
                   (notice = vn__notice__unpack(NULL, e.notice_len, e.notice)) &&
                   notice->notice_id.len == 16) {
            m.body_case = VN__WIRE_MESSAGE__BODY_NOTICE;
            m.notice = notice;
            memcpy(id, notice->notice_id.data, 16);
        } else if (e.kind == VN_QUEUE_MATCH_NOTICE &&
                   (match_notice = vn__match_notice__unpack(NULL, e.notice_len, e.notice)) &&
                   match_notice->notice_id.len == 16) {
            m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_NOTICE; /* signals.c queued it */
            m.match_notice = match_notice;
            memcpy(id, match_notice->notice_id.data, 16);
        } else {
            if (notice)
                vn__notice__free_unpacked(notice, NULL);
            if (match_notice)
                vn__match_notice__free_unpacked(match_notice, NULL);
            vn_error("event=queue-entry-damaged org=%s qseq=%llu", s->org,
                     (unsigned long long)e.qseq);
            continue;
        }
        int src = broker__send_wire(b, s->routing, s->routing_len, &m);
        if (notice)
            vn__notice__free_unpacked(notice, NULL);
        if (match_notice)
            vn__match_notice__free_unpacked(match_notice, NULL);
        if (src == -EAGAIN) {
            /* Its outbound queue is full: keep it connected, try again on the next pump. */
            b->pump_needed = 1;
            break;
        }
        if (src != 0) {
            /* Peer gone (ROUTER_MANDATORY): it stays queued and is sent after its next hello. */
            broker__session_event(b, s, SESSION_EV_LOST, "peer-gone");
            break;
        }
        /* In flight until its ack; the same id twice (never expected) costs one credit. */
        if (broker__inflight_add(&s->sent, id) != 1)
            s->credit--; /* out of memory (-1): the credit is lost until the next hello */
        s->last_qseq = e.qseq;
    }
    vn_queue_iter_close(&q);
}

void broker__pump(broker_t *b)
{
    b->pump_needed = 0;
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) != 0)
        return;
    for (size_t i = 0; i < b->n_sessions; i++)
        if (broker__session_sendable(&b->sessions[i]))
            s_pump_session(b, txn, &b->sessions[i]);
    mdb_txn_abort(txn);
}
