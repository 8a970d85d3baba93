/* deliver.c -- sessions with credit-based flow control, delivery from the durable queue, expiry. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
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
    memcpy(s->routing, routing, routing_len);
    s->routing_len = routing_len;
    broker__session_state(b, s, 1, "");
    s->credit = hello->credit == 0 ? DEFAULT_CREDIT
                : hello->credit > MAX_CREDIT ? MAX_CREDIT : hello->credit;
    s->last_qseq = 0; /* everything unacked is sent again in this session */
    vn_info("event=session-open org=%s credit=%u", org, s->credit);
    if (hello->directory_generation != b->registry_gen)
        broker__send(b, routing, routing_len, b->directory, b->directory_len);
    b->pump_needed = 1;
}

/* 0 if a consent-based envelope may no longer go to recipient (verdict says why), else 1. */
static int s_still_justified(broker_t *b, MDB_txn *txn, const char *recipient, const uint8_t *env,
                             size_t len, vn_verdict_t *verdict)
{
    vn_parsed_t p;
    if (vn_envelope_parse(env, len, &p) != 0)
        return 1;
    int ok = 1;
    if (strcmp(p.hdr->basis, "consent") == 0) {
        broker_env_t e;
        vn_policy_env_t penv;
        broker__env_init(&e, b, txn, &penv);
        const char *sector = penv.sector_of(&e, recipient);
        ok = vn_policy_consent_still_valid(p.hdr, recipient, sector, &penv, vn_now(), verdict) == 0;
        broker__env_clear(&e);
    }
    vn_parsed_clear(&p);
    return ok;
}

/* Send queue entries of one session while it has credit. */
static void s_pump_session(broker_t *b, MDB_txn *txn, session_t *s)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, vn_store_dbi(b->db, BDB_QUEUE), &cur) != 0)
        return;
    size_t prefix = strlen(s->org) + 1;
    uint8_t start[VN_ORG_MAX + 1 + 8];
    memcpy(start, s->org, prefix);
    vn_put_be64(start + prefix, s->last_qseq + 1);
    MDB_val k = {prefix + 8, start}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0 && s->credit > 0 && s->connected; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != prefix + 8 || memcmp(k.mv_data, s->org, prefix) != 0 || v.mv_size < 1)
            break;
        uint64_t qseq = vn_get_be64((uint8_t *)k.mv_data + prefix);
        const uint8_t *val = v.mv_data;
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        Vn__Deliver d = VN__DELIVER__INIT;
        Vn__Notice *notice = NULL;
        if (val[0] == 'D' && v.mv_size == 9) {
            MDB_val ek = {8, (void *)(val + 1)}, ev;
            if (mdb_get(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &ek, &ev) != 0)
                continue; /* released under us; the ack bookkeeping will catch up */
            vn_verdict_t verdict;
            if (!s_still_justified(b, txn, s->org, ev.mv_data, ev.mv_size, &verdict)) {
                /* Checked again at delivery: a withdrawn or expired consent stops it here. */
                broker__withhold_request(b, s->org, vn_get_be64(val + 1), verdict.code,
                                         verdict.reason_en);
                s->last_qseq = qseq;
                continue;
            }
            d.audit_seq = vn_get_be64(val + 1);
            d.envelope = (ProtobufCBinaryData){ev.mv_size, ev.mv_data};
            m.body_case = VN__WIRE_MESSAGE__BODY_DELIVER;
            m.deliver = &d;
        } else if (val[0] == 'N' && (notice = vn__notice__unpack(NULL, v.mv_size - 1, val + 1))) {
            m.body_case = VN__WIRE_MESSAGE__BODY_NOTICE;
            m.notice = notice;
        } else {
            vn_error("event=queue-entry-damaged org=%s qseq=%llu", s->org,
                     (unsigned long long)qseq);
            continue;
        }
        int src = broker__send_wire(b, s->routing, s->routing_len, &m);
        if (notice)
            vn__notice__free_unpacked(notice, NULL);
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
        s->credit--;
        s->last_qseq = qseq;
    }
    mdb_cursor_close(cur);
}

void broker__pump(broker_t *b)
{
    b->pump_needed = 0;
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) != 0)
        return;
    for (size_t i = 0; i < b->n_sessions; i++)
        if (b->sessions[i].connected && b->sessions[i].credit > 0)
            s_pump_session(b, txn, &b->sessions[i]);
    mdb_txn_abort(txn);
}

/* Queue a notice for the sender that one recipient did not get msgid. */
int broker__notify_sender(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *recipient,
                          const char *code, const char *reason, uint64_t seq)
{
    uint8_t notice_id[16], buf[1024];
    randombytes_buf(notice_id, sizeof notice_id);
    Vn__Notice n = VN__NOTICE__INIT;
    n.notice_id = (ProtobufCBinaryData){16, notice_id};
    n.message_id = p->hdr->message_id;
    n.recipient = (char *)recipient;
    n.code = (char *)code;
    n.reason = (char *)reason;
    n.audit_seq = seq;
    if (vn__notice__get_packed_size(&n) > sizeof buf)
        return VN_E_TOO_LARGE;
    size_t len = vn__notice__pack(&n, buf);
    return broker__enqueue(txn, b, p->hdr->sender, 'N', notice_id, 16, buf, len);
}

/* Drop every queued copy of an envelope that expired, with an EXPIRED record and a notice each. */
static int s_expire_one(MDB_txn *txn, broker_t *b, uint64_t seq, int *n_expired)
{
    vn_parsed_t p;
    int rc = broker__stored_envelope(txn, b, seq, &p);
    if (rc != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    for (size_t i = 0; rc == 0 && i < p.hdr->n_recipients; i++) {
        const char *r = p.hdr->recipients[i];
        int found;
        if ((rc = broker__unqueue_delivery(txn, b, r, seq, &found)) != 0 || !found)
            continue; /* this recipient has it already */
        uint64_t audit_seq;
        const char *reason = "not delivered before it expired";
        rc = broker__audit_outcome(txn, b, &p, b->keys->pub.org, r,
                                   VN__AUDIT_RECORD__EVENT__EXPIRED, "expired", reason, &audit_seq);
        if (rc == 0)
            rc = broker__notify_sender(txn, b, &p, r, "expired", reason, audit_seq);
        (*n_expired)++;
    }
    if (rc == 0)
        rc = broker__release(txn, b, &p, seq);
    vn_parsed_clear(&p);
    return rc;
}

int broker__expire(broker_t *b)
{
    MDB_txn *txn;
    int rc = vn_store_begin(b->db, 0, &txn);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    if ((rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(b->db, BDB_EXPIRY), &cur))) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    uint64_t now = vn_now();
    uint64_t due[64];
    int n_due = 0, n_expired = 0;
    MDB_val k, v;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && n_due < 64;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || vn_get_be64(k.mv_data) > now)
            break;
        due[n_due++] = vn_get_be64((uint8_t *)k.mv_data + 8);
    }
    mdb_cursor_close(cur);
    for (int i = 0; i < n_due && rc == 0; i++)
        rc = s_expire_one(txn, b, due[i], &n_expired);
    if (n_due == 0) {
        mdb_txn_abort(txn);
        return 0;
    }
    rc = rc == 0 ? vn_store_commit(txn) : (mdb_txn_abort(txn), rc);
    if (rc != 0) {
        vn_error("event=expiry-failed error=\"%s\"", vn_strerror(rc));
        return rc;
    }
    b->n_expired += (uint64_t)n_expired;
    vn_info("event=expired messages=%d deliveries=%d", n_due, n_expired);
    return n_expired;
}
