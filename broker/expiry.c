/* expiry.c -- deliveries that will not happen (storage thread): the expiry scan drops what was not
 * delivered in time, withholding drops what lost its justification; each is audited (EXPIRED,
 * WITHHELD) and the sender gets a notice in its own queue. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_queue.h"
#include "vn_util.h"

#include <string.h>

/* Queue a notice for the sender that one recipient did not get msgid. */
int broker__notify_sender(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *recipient,
                          const char *code, const char *reason, uint64_t seq)
{
    uint8_t notice_id[16], buf[1024];
    int rc = vn_queue_notice_id(txn, b->db, notice_id);
    if (rc != 0)
        return rc;
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
    return broker__queue_notice(txn, b, p->hdr->sender, notice_id, buf, len);
}

/* A delivery whose justification no longer holds: dropped, audited, the sender told. */
int broker__withhold(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq, const char *code,
                     const char *reason)
{
    int found;
    int rc = broker__unqueue_delivery(txn, b, org, seq, &found);
    if (rc != 0 || !found)
        return rc;
    vn_parsed_t p;
    if ((rc = broker__stored_envelope(txn, b, seq, &p)) != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    uint64_t audit_seq;
    rc = broker__audit_outcome(txn, b, &p, b->keys->pub.org, org, VN__AUDIT_RECORD__EVENT__WITHHELD,
                               code, reason, &audit_seq);
    if (rc == 0)
        rc = broker__notify_sender(txn, b, &p, org, code, reason, audit_seq);
    if (rc == 0)
        rc = broker__release(txn, b, &p, seq);
    vn_parsed_clear(&p);
    vn_info("event=withheld recipient=%s seq=%llu code=%s", org, (unsigned long long)seq, code);
    return rc;
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
