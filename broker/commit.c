/* commit.c -- group commit (storage thread): every accepted envelope, refusal, delivery ack, consent
 * change and withholding that arrived together goes into ONE LMDB write transaction with its audit
 * records and one signed checkpoint, and one fsync; replies go out only after it is durable. What
 * is stored where is queue.c; why something is refused is admit.c. */
#include "broker.h"
#include "audit.pb-c.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int s_reply_wire(item_t *it, Vn__WireMessage *m)
{
    free(it->reply);
    it->reply = NULL;
    return vn_wire_pack(m, &it->reply, &it->reply_len);
}

static int s_apply_refuse(MDB_txn *txn, broker_t *b, item_t *it, int audited);

/* If it->org sent msgid before, make the item answer with that original outcome (outcome.c).
 * Returns broker__outcome_find's result: 1 answered, 0 new, 2 another's id, <0 error. */
static int s_answer_original(MDB_txn *txn, broker_t *b, item_t *it,
                             const uint8_t msgid[VN_MSGID_BYTES])
{
    uint8_t *orig;
    size_t orig_len;
    int rc = broker__outcome_find(txn, b, it->org, msgid, &orig, &orig_len);
    if (rc == 1) {
        free(it->reply);
        it->reply = orig;
        it->reply_len = orig_len;
        it->kind = ITEM_RESENT;
    }
    return rc;
}

static int s_apply_accept(MDB_txn *txn, broker_t *b, item_t *it)
{
    vn_parsed_t p;
    int rc = vn_envelope_parse(it->payload, it->payload_len, &p);
    if (rc != 0)
        return rc; /* cannot happen: the worker parsed it */
    MDB_dbi dedup = vn_store_dbi(b->db, BDB_DEDUP);
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_RECEIPT;
    /* A resent message id gets its original outcome, whatever the checks said this time. */
    rc = s_answer_original(txn, b, it, p.hdr->message_id.data);
    if (rc < 0 || rc == 1) {
        vn_parsed_clear(&p);
        return rc < 0 ? rc : 0;
    }
    if (rc == 2 || it->resent) {
        /* Another organisation's message id (never its receipt); or the worker saw an outcome
         * this transaction does not: nothing is accepted unchecked. */
        vn_parsed_clear(&p);
        it->kind = ITEM_REFUSE;
        snprintf(it->code, sizeof it->code, "%s", rc == 2 ? "message-id-in-use" : "storage-error");
        snprintf(it->reason, sizeof it->reason, "%s",
                 rc == 2 ? "this message id belongs to another organisation's message; send it "
                           "with a new id"
                         : "the broker's deduplication record is unreadable; try again later");
        return s_apply_refuse(txn, b, it, rc == 2);
    }
    if (broker__admit_at_commit(txn, b, &p, it->payload_len, it->code, sizeof it->code,
                                it->reason, sizeof it->reason)) {
        vn_parsed_clear(&p);
        it->kind = ITEM_REFUSE;
        return s_apply_refuse(txn, b, it, 1);
    }

    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    broker_audit_fields_t fields;
    rec.event = VN__AUDIT_RECORD__EVENT__ACCEPTED;
    rec.actor_org = it->org;
    rec.outcome = "ok";
    rec.review = it->review;
    rec.source = b->keys->pub.org;
    broker__audit_from_header(&rec, &fields, &p);
    uint64_t seq = 0;
    uint8_t hash[32];
    rc = vn_audit_append(txn, b->db, &rec,
                         &seq, hash);
    if (rc == 0)
        rc = broker__store_accepted(txn, b, &p, seq, it->payload, it->payload_len);
    if (rc == 0) {
        it->seq = seq;
        memcpy(it->hash, hash, 32);
        memcpy(it->msgid, p.hdr->message_id.data, VN_MSGID_BYTES);
        Vn__Receipt r = VN__RECEIPT__INIT;
        r.message_id = p.hdr->message_id;
        r.audit_seq = seq;
        r.audit_hash = (ProtobufCBinaryData){32, hash};
        r.accepted = vn_now();
        r.sender = it->org; /* whose id this is (outcome.c) */
        uint8_t buf[256];
        size_t len = vn__receipt__pack(&r, buf);
        MDB_val dk = {VN_MSGID_BYTES, p.hdr->message_id.data}, dv = {len, buf};
        rc = vn_store_error(mdb_put(txn, dedup, &dk, &dv, 0));
        m.receipt = &r;
        if (rc == 0)
            rc = s_reply_wire(it, &m);
    }
    vn_parsed_clear(&p);
    return rc;
}

static int s_apply_refuse(MDB_txn *txn, broker_t *b, item_t *it, int audited)
{
    vn_parsed_t p = {0};
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    broker_audit_fields_t fields;
    uint8_t digest[32];
    /* The reason comes as "English\nDutch"; the audit log keeps the English one. */
    char *nl = strchr(it->reason, '\n');
    if (nl)
        *nl++ = '\0';
    rec.event = VN__AUDIT_RECORD__EVENT__REFUSED;
    rec.actor_org = it->org;
    rec.outcome = it->code;
    rec.reason = it->reason;
    rec.source = b->keys->pub.org;
    if (it->payload && vn_envelope_parse(it->payload, it->payload_len, &p) == 0 &&
        broker__refusal_authenticated(it->code)) {
        broker__audit_from_header(&rec, &fields, &p);
    } else if (it->payload) {
        /* Not authenticated: the facts (what size, which bytes, from which connection), never
         * the header its sender made up. */
        crypto_generichash(digest, sizeof digest, it->payload, it->payload_len, NULL, 0);
        rec.content_hash = (ProtobufCBinaryData){32, digest};
        rec.content_size = it->payload_len;
    }
    if (audited && p.hdr) {
        /* A resent message id gets its original outcome: no second verdict in the log. */
        int found = s_answer_original(txn, b, it, p.hdr->message_id.data);
        if (found < 0 || found == 1) {
            vn_parsed_clear(&p);
            return found < 0 ? found : 0;
        }
    }
    /* Within the organisation's audit budget, or summarised in a SUPPRESSED record (budget.c). */
    if (audited && !it->audit_budget)
        it->audit_budget = broker__budget_audit(b, it->org, it->code) ? 1 : 2;
    if (it->audit_budget == 2)
        audited = 0;
    uint64_t seq = 0;
    int rc = audited ? vn_audit_append(txn, b->db, &rec, &seq, NULL)
                     : 0;
    if (rc == 0) {
        Vn__Refusal r = VN__REFUSAL__INIT;
        if (p.hdr)
            r.message_id = p.hdr->message_id;
        r.code = it->code;
        r.reason = it->reason;
        r.reason_nl = nl ? nl : "";
        r.audit_seq = seq;
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_REFUSAL;
        m.refusal = &r;
        rc = s_reply_wire(it, &m);
        if (rc == 0 && audited)
            rc = broker__outcome_put_refusal(txn, b, it->org, &r);
    }
    if (nl)
        nl[-1] = '\n'; /* a retried commit (storage-full) sees the reason as it came */
    vn_parsed_clear(&p);
    return rc;
}

static int s_apply_ack(MDB_txn *txn, broker_t *b, item_t *it)
{
    int found, rc;
    if (it->kind == ITEM_NOTICE_ACK) {
        rc = broker__unqueue_notice(txn, b, it->org, it->msgid, &found);
        it->delivered = rc == 0 && found;
        return rc;
    }
    uint64_t seq;
    if ((rc = broker__accepted_seq(txn, b, it->msgid, &seq)) != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc; /* never accepted: nothing to ack */
    if ((rc = broker__unqueue_delivery(txn, b, it->org, seq, &found)) != 0 || !found)
        return rc;
    vn_parsed_t p;
    if ((rc = broker__stored_envelope(txn, b, seq, &p)) != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    uint64_t accepted = vn_audit_time_us(txn, b->db, seq), now = vn_now_us();
    it->latency_us = accepted && now > accepted ? now - accepted : 0;
    if (it->code[0]) {
        /* The recipient's agent stored it but cannot open it: a failed delivery, not "ok";
         * the sender hears it with the code. */
        uint64_t audit_seq;
        rc = broker__audit_outcome(txn, b, &p, it->org, it->org,
                                   VN__AUDIT_RECORD__EVENT__DELIVERY_FAILED, it->code, it->reason,
                                   &audit_seq);
        if (rc == 0)
            rc = broker__notify_sender(txn, b, &p, it->org, it->code, it->reason, audit_seq);
    } else {
        rc = broker__audit_outcome(txn, b, &p, it->org, it->org,
                                   VN__AUDIT_RECORD__EVENT__DELIVERED, "ok", "", NULL);
    }
    if (rc == 0)
        rc = broker__release(txn, b, &p, seq);
    vn_parsed_clear(&p);
    it->delivered = rc == 0;
    return rc;
}

static int s_apply_session_replaced(MDB_txn *txn, broker_t *b, item_t *it)
{
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__SESSION_REPLACED;
    rec.actor_org = it->org;
    rec.outcome = "ok";
    rec.reason = "a second agent with this organisation's keys connected and took over the "
                 "session; the previous agent was told to stop";
    rec.source = b->keys->pub.org;
    return vn_audit_append(txn, b->db, &rec, NULL, NULL);
}

/* Apply the whole batch in one transaction. audited=0 only answers refusals (storage failing). */
static int s_commit(broker_t *b, int audited)
{
    MDB_txn *txn;
    int rc = vn_store_begin(b->db, 0, &txn);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b->n_batch && rc == 0; i++) {
        item_t *it = &b->batch[i];
        switch (it->kind) {
        case ITEM_ACCEPT: rc = audited ? s_apply_accept(txn, b, it) : 0; break;
        case ITEM_REFUSE: rc = s_apply_refuse(txn, b, it, audited); break;
        case ITEM_ACK:
        case ITEM_NOTICE_ACK: rc = audited ? s_apply_ack(txn, b, it) : 0; break;
        case ITEM_CONSENT: rc = audited ? broker__consent_apply(txn, b, it) : 0; break;
        case ITEM_RESENT: break; /* answered with its original outcome */
        case ITEM_SESSION_REPLACED: rc = audited ? s_apply_session_replaced(txn, b, it) : 0; break;
        case ITEM_SIGNAL:
            rc = audited ? broker__signal_apply(txn, b, it) : broker__signal_unstored(it);
            break;
        case ITEM_AUDIT_MINE:
            rc = audited ? broker__audit_mine_apply(txn, b, it) : broker__audit_mine_unstored(it);
            break;
        case ITEM_WITHHOLD:
            rc = audited ? broker__withhold(txn, b, it->org, it->seq, it->code,
                                            it->reason)
                         : 0;
            break;
        }
    }
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    if (!audited) {
        mdb_txn_abort(txn);
        return 0;
    }
    /* One signed checkpoint per group commit covers everything appended so far. */
    uint64_t signed_size;
    int crc = vn_audit_checkpoint(txn, b->db, b->keys, &signed_size);
    if (crc == VN_E_CHAIN)
        vn_error("event=checkpoint-refused reason=\"the stored audit log no longer matches the last "
                 "signed checkpoint: it was altered on disk\" action=not-signing");
    else if (crc != 0) {
        mdb_txn_abort(txn);
        return crc;
    }
    /* Receipts carry that checkpoint and their record's inclusion proof. */
    uint8_t *cp = NULL;
    size_t cp_len = 0;
    if (signed_size && vn_audit_latest_checkpoint(txn, b->db, &cp, &cp_len) == 0) {
        for (size_t i = 0; i < b->n_batch && rc == 0; i++)
            if (b->batch[i].kind == ITEM_ACCEPT && b->batch[i].seq)
                rc = broker__receipt_with_proof(txn, b, &b->batch[i], cp, cp_len, signed_size);
    }
    free(cp);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return vn_store_commit(txn);
}

static void s_convert_accepts(broker_t *b, const char *code, const char *reason)
{
    for (size_t i = 0; i < b->n_batch; i++)
        if (b->batch[i].kind == ITEM_ACCEPT) {
            b->batch[i].kind = ITEM_REFUSE;
            snprintf(b->batch[i].code, sizeof b->batch[i].code, "%s", code);
            snprintf(b->batch[i].reason, sizeof b->batch[i].reason, "%s", reason);
        }
}

/* Hand something to the main thread: ['S'][routing][bytes], ['F'][org][bytes] or ['P']. */
static void s_to_main(broker_t *b, char kind, const void *a, size_t a_len, const void *c,
                      size_t c_len)
{
    zmq_send(b->storage_out, &kind, 1, a ? ZMQ_SNDMORE : 0);
    if (a)
        zmq_send(b->storage_out, a, a_len, c ? ZMQ_SNDMORE : 0);
    if (c)
        zmq_send(b->storage_out, c, c_len, 0);
}

void broker__batch_commit(broker_t *b)
{
    if (b->n_batch == 0)
        return;
    uint64_t t0 = vn_now_us();
    int rc = s_commit(b, 1), committed = rc == 0;
    if (rc == VN_E_STORE_FULL) {
        /* Nothing stored is touched; new disclosures are refused, acks still free space. */
        vn_error("event=storage-full action=refusing-new-submissions");
        s_convert_accepts(b, "storage-full",
                          "the broker's storage is full; try again later");
        rc = s_commit(b, 1);
        committed = rc == 0;
    }
    if (rc != 0) {
        vn_error("event=commit-failed error=\"%s\" items=%zu", vn_strerror(rc), b->n_batch);
        s_convert_accepts(b, rc == VN_E_STORE_FULL ? "storage-full" : "storage-error",
                          "the broker could not store this message; try again later");
        s_commit(b, 0); /* answer without audit: the store refuses writes */
    }
    if (committed) {
        b->n_commits++;
        vn_histogram_observe_us(&b->commit_latency, vn_now_us() - t0);
    } else {
        broker__depth_invalidate(b);
    }
    atomic_store(&b->storage_ok, rc == 0);
    for (size_t i = 0; i < b->n_batch; i++) {
        item_t *it = &b->batch[i];
        if (it->reply)
            s_to_main(b, 'S', it->routing, it->routing_len, it->reply, it->reply_len);
        if (committed && it->kind == ITEM_ACCEPT)
            b->n_accepted++;
        if (it->kind == ITEM_REFUSE) {
            b->n_refused++;
            broker__count_refusal(b, it->code);
        }
        if (committed && it->kind == ITEM_ACK && it->delivered) {
            b->n_delivered++;
            if (it->latency_us)
                vn_histogram_observe_us(&b->delivery_latency, it->latency_us);
        }
        /* Credit is the main thread's: it returns one for the ack of anything it sent and
         * that was not acked yet, expired or withheld since or not (deliver.c, inflight.c). */
        if (it->in_flight) { /* answered (or failed): out of the sender's in-flight budget */
            uint8_t bytes[8];
            vn_put_be64(bytes, it->in_flight_bytes);
            s_to_main(b, 'F', it->org, strlen(it->org), bytes, sizeof bytes);
        }
        free(it->reply);
        free(it->payload);
        it->reply = it->payload = NULL;
    }
    b->n_batch = 0;
    s_to_main(b, 'P', NULL, 0, NULL, 0);
}

item_t *broker__batch_add(broker_t *b, item_kind_t kind, const char *org, const uint8_t *routing,
                          size_t routing_len)
{
    if (b->n_batch == BATCH_MAX)
        broker__batch_commit(b);
    item_t *it = &b->batch[b->n_batch++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    snprintf(it->org, sizeof it->org, "%s", org);
    if (routing_len)
        memcpy(it->routing, routing, routing_len);
    it->routing_len = routing_len;
    return it;
}
