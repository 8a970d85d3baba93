/* deliver.c -- sessions with credit-based flow control, and delivery from the durable queue with
 * the consent re-checked at delivery (main thread). */
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

#define DEFAULT_CREDIT 64
#define MAX_CREDIT 4096

session_t *broker__session(broker_t *b, const char *org)
{
    for (size_t i = 0; i < b->n_sessions; i++)
        if (strcmp(b->sessions[i].org, org) == 0)
            return &b->sessions[i];
    return NULL;
}

static session_t *s_session_add(broker_t *b, const char *org)
{
    session_t *s = broker__session(b, org);
    if (s)
        return s;
    pthread_mutex_lock(&b->sessions_lock); /* the status page copies the array */
    session_t *more = realloc(b->sessions, (b->n_sessions + 1) * sizeof *more);
    if (more) {
        b->sessions = more;
        s = more + b->n_sessions++;
        memset(s, 0, sizeof *s);
        memcpy(s->org, org, strnlen(org, VN_ORG_MAX));
    }
    pthread_mutex_unlock(&b->sessions_lock);
    return s;
}

void broker__session_state(broker_t *b, session_t *s, int connected, const char *why)
{
    pthread_mutex_lock(&b->sessions_lock);
    s->connected = connected;
    s->since = vn_now();
    pthread_mutex_unlock(&b->sessions_lock);
    if (!connected)
        vn_info("event=session-lost org=%s reason=%s", s->org, why);
}

void broker__probe_sessions(broker_t *b)
{
    for (size_t i = 0; i < b->n_sessions; i++) {
        session_t *s = &b->sessions[i];
        /* The directory is harmless to resend: an agent ignores a generation it has. */
        if (s->connected && broker__send(b, s->routing, s->routing_len, b->directory,
                                         b->directory_len) == -EHOSTUNREACH)
            broker__session_state(b, s, 0, "peer-gone");
    }
}

void broker__hello(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                   const Vn__Hello *hello)
{
    session_t *s = s_session_add(b, org);
    if (!s)
        return;
    if (s->connected && (s->routing_len != routing_len ||
                         memcmp(s->routing, routing, routing_len) != 0)) {
        /* The rule for a second agent with the same keys: the newest session takes over (an
         * agent restarted after a crash is not locked out by its own dead connection), and the
         * previous one is told, so it stops and says so instead of claiming to be connected. */
        Vn__Refusal r = VN__REFUSAL__INIT;
        r.code = "session-replaced";
        r.reason = "another agent with this organisation's keys connected; this one must stop";
        r.reason_nl = "een andere agent met de sleutels van deze organisatie is verbonden";
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_REFUSAL;
        m.refusal = &r;
        broker__send_wire(b, s->routing, s->routing_len, &m);
        vn_warn("event=session-replaced org=%s action=\"previous agent told to stop\"", org);
        broker__session_replaced_request(b, org);
    }
    /* A repeated hello on the same connection: what was sent is still in that connection's
     * socket; sending it all again would only pile copies up in the broker's memory. */
    int same = s->connected && s->routing_len == routing_len &&
               memcmp(s->routing, routing, routing_len) == 0;
    memcpy(s->routing, routing, routing_len);
    s->routing_len = routing_len;
    broker__session_state(b, s, 1, "");
    uint32_t credit = hello->credit == 0 ? DEFAULT_CREDIT
                      : hello->credit > MAX_CREDIT ? MAX_CREDIT : hello->credit;
    if (!same) {
        s->credit = s->credit_max = credit;
        s->last_qseq = 0; /* everything unacked is sent again in this session */
        broker__inflight_clear(&s->sent);
        s->store_full = 0; /* a full agent says so again right after its hello */
    }
    vn_info("event=session-open org=%s credit=%u", org, s->credit);
    if (hello->directory_generation != b->registry_gen)
        broker__send(b, routing, routing_len, b->directory, b->directory_len);
    broker__vocab_send(b, routing, routing_len, hello->vocabulary_revision);
    b->pump_needed = 1;
}

void broker__session_acked(broker_t *b, const char *org, const uint8_t id[16])
{
    session_t *s = broker__session(b, org);
    if (!s || !broker__inflight_take(&s->sent, id))
        return; /* never sent in this session, or acked already: no credit */
    if (s->credit < s->credit_max)
        s->credit++;
    b->pump_needed = 1;
}

void broker__session_store_state(broker_t *b, const char *org, const Vn__AgentStoreState *st)
{
    session_t *s = broker__session(b, org);
    if (!s || !s->connected)
        return;
    pthread_mutex_lock(&b->sessions_lock); /* the status page reads these */
    int was = s->store_full;
    s->store_full = st->full;
    s->store_used = st->used_bytes;
    s->store_size = st->size_bytes;
    pthread_mutex_unlock(&b->sessions_lock);
    if (st->full && !was) {
        vn_warn("event=agent-store-full org=%s used=%llu size=%llu "
                "action=\"holding its deliveries\"",
                org, (unsigned long long)st->used_bytes, (unsigned long long)st->size_bytes);
    } else if (!st->full && was) {
        /* What it was sent while full it may have dropped: everything unacked goes again (it
         * deduplicates by message id), with the hello's full credit. */
        s->credit = s->credit_max;
        s->last_qseq = 0;
        broker__inflight_clear(&s->sent);
        b->pump_needed = 1;
        vn_info("event=agent-store-space-returned org=%s used=%llu size=%llu", org,
                (unsigned long long)st->used_bytes, (unsigned long long)st->size_bytes);
    }
}

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
    while (s->credit > 0 && s->connected && !s->store_full && vn_queue_iter_next(&q, &e) == 1) {
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
            if (vn_envelope_parse(ev.mv_data, ev.mv_size, &p) != 0 || p.hdr->message_id.len != 16) {
                vn_error("event=queue-entry-damaged org=%s qseq=%llu", s->org,
                         (unsigned long long)e.qseq);
                s->last_qseq = e.qseq;
                continue; /* it was checked when accepted: the store is damaged */
            }
            memcpy(id, p.hdr->message_id.data, 16);
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
            broker__session_state(b, s, 0, "peer-gone");
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
        if (b->sessions[i].connected && b->sessions[i].credit > 0 && !b->sessions[i].store_full)
            s_pump_session(b, txn, &b->sessions[i]);
    mdb_txn_abort(txn);
}
