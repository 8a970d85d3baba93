/* storage.c -- the storage thread: collects verdicts (from the workers) and acks and refusals
 * (from the main thread), applies them in group commits, runs the expiry scan, and hands replies,
 * credits and pump requests back to the main thread, which alone talks to agents.
 *
 * To storage (BROKER_STORE_IN_EP, PULL):
 *   ['V'][routing][org][code][reason][flags][envelope]  a verdict: code empty = accept, else
 *                                                 refuse; flags one byte, ADMIT_* (broker.h)
 *   ['v'] ...the same                             a worker's verdict on a submission, counted in
 *                                                 the sender's in-flight budget until answered
 *   ['K'|'N'][org][id16]                          a delivery ack / notice ack
 *   ['K'][org][id16][code][reason]                a delivery the recipient could not open
 *   ['Q'][routing][org][ConsentRequest]           a consent registration or withdrawal
 *   ['G'][routing][org][WireMessage]              a signal or match request (signals.c)
 *   ['A'][routing][org][WireMessage]              a read of the org's audit records (audit_mine.c)
 *   ['W'][org][seq(be64)][code][reason]           withhold a delivery (justification gone)
 *   ['R'][org]                                    a second agent took over org's session
 * To main (BROKER_STORE_OUT_EP, PULL):
 *   ['S'][routing][bytes]   send to that agent      ['P']   pump (credit is the main thread's)
 *   ['F'][org][bytes be64]  one of org's submissions was answered (budget.c) */
#include "broker.h"
#include "vn_audit.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* --- storage thread side --- */

static int s_frame_str(zmq_msg_t *m, char *out, size_t cap)
{
    size_t n = zmq_msg_size(m);
    if (n >= cap)
        return -1;
    memcpy(out, zmq_msg_data(m), n);
    out[n] = '\0';
    return 0;
}

/* Take one message off the input into the batch. Returns 1 if one was read. */
static int s_take_one(broker_t *b)
{
    zmq_msg_t parts[7];
    int n = 0, more = 1;
    for (; n < 7 && more; n++) {
        zmq_msg_init(&parts[n]);
        if (zmq_msg_recv(&parts[n], b->storage_in, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&parts[n]);
            return 0;
        }
        more = zmq_msg_more(&parts[n]);
    }
    char kind = zmq_msg_size(&parts[0]) == 1 ? *(char *)zmq_msg_data(&parts[0]) : 0;
    char org[VN_ORG_MAX + 1];
    if ((kind == 'V' || kind == 'v') && n == 7 && zmq_msg_size(&parts[1]) <= ROUTING_MAX &&
        zmq_msg_size(&parts[5]) == 1 &&
        s_frame_str(&parts[2], org, sizeof org) == 0) {
        char code[96], reason[700];
        s_frame_str(&parts[3], code, sizeof code);
        s_frame_str(&parts[4], reason, sizeof reason);
        item_t *it = broker__batch_add(b, code[0] ? ITEM_REFUSE : ITEM_ACCEPT, org,
                                       zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
        snprintf(it->code, sizeof it->code, "%s", code);
        snprintf(it->reason, sizeof it->reason, "%s", reason);
        unsigned flags = *(uint8_t *)zmq_msg_data(&parts[5]);
        it->review = (flags & ADMIT_REVIEW) != 0;
        it->resent = (flags & ADMIT_RESENT) != 0;
        it->in_flight = kind == 'v';
        it->in_flight_bytes = it->in_flight ? zmq_msg_size(&parts[6]) : 0;
        it->audit_budget = kind == 'V'; /* the main thread asked the budget already */
        size_t len = zmq_msg_size(&parts[6]);
        if (len && (it->payload = malloc(len))) {
            memcpy(it->payload, zmq_msg_data(&parts[6]), len);
            it->payload_len = len;
        } else if (len && it->kind == ITEM_ACCEPT) {
            it->kind = ITEM_REFUSE; /* out of memory: refuse rather than lose it silently */
            snprintf(it->code, sizeof it->code, "storage-error");
            snprintf(it->reason, sizeof it->reason, "the broker is out of memory");
        }
    } else if (kind == 'Q' && n == 4 && zmq_msg_size(&parts[1]) <= ROUTING_MAX &&
               s_frame_str(&parts[2], org, sizeof org) == 0) {
        item_t *it = broker__batch_add(b, ITEM_CONSENT, org, zmq_msg_data(&parts[1]),
                                       zmq_msg_size(&parts[1]));
        size_t len = zmq_msg_size(&parts[3]);
        if ((it->payload = malloc(len ? len : 1))) {
            memcpy(it->payload, zmq_msg_data(&parts[3]), len);
            it->payload_len = len;
        }
    } else if ((kind == 'G' || kind == 'A') && n == 4 && zmq_msg_size(&parts[1]) <= ROUTING_MAX &&
               s_frame_str(&parts[2], org, sizeof org) == 0) {
        item_t *it = broker__batch_add(b, kind == 'G' ? ITEM_SIGNAL : ITEM_AUDIT_MINE, org,
                                       zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
        size_t len = zmq_msg_size(&parts[3]);
        if ((it->payload = malloc(len ? len : 1))) {
            memcpy(it->payload, zmq_msg_data(&parts[3]), len);
            it->payload_len = len;
        }
    } else if (kind == 'W' && n == 5 && zmq_msg_size(&parts[2]) == 8 &&
               s_frame_str(&parts[1], org, sizeof org) == 0) {
        item_t *it = broker__batch_add(b, ITEM_WITHHOLD, org, NULL, 0);
        it->seq = vn_get_be64(zmq_msg_data(&parts[2]));
        s_frame_str(&parts[3], it->code, sizeof it->code);
        s_frame_str(&parts[4], it->reason, sizeof it->reason);
    } else if (kind == 'R' && n == 2 && s_frame_str(&parts[1], org, sizeof org) == 0) {
        broker__batch_add(b, ITEM_SESSION_REPLACED, org, NULL, 0);
    } else if ((kind == 'K' || kind == 'N') && (n == 3 || (kind == 'K' && n == 5)) &&
               zmq_msg_size(&parts[2]) == VN_MSGID_BYTES &&
               s_frame_str(&parts[1], org, sizeof org) == 0) {
        item_t *it = broker__batch_add(b, kind == 'K' ? ITEM_ACK : ITEM_NOTICE_ACK, org, NULL, 0);
        memcpy(it->msgid, zmq_msg_data(&parts[2]), VN_MSGID_BYTES);
        if (n == 5) {
            s_frame_str(&parts[3], it->code, sizeof it->code);
            s_frame_str(&parts[4], it->reason, sizeof it->reason);
        }
    } else {
        vn_error("event=storage-input-malformed kind=%d frames=%d", kind, n);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return 1;
}

/* Records appended outside a group commit (the operator's and privacy officers' tools) are
 * covered by a signed checkpoint within a second, even when no disclosure traffic flows. */
static void s_checkpoint_tick(broker_t *b, int all)
{
    MDB_txn *txn;
    uint64_t signed_size = 0;
    if (vn_store_begin(b->db, 0, &txn) != 0)
        return;
    /* Refusals beyond an organisation's audit budget, summarised once their window ended. */
    int flushed = broker__budget_flush(txn, b, all);
    int rc = flushed < 0 ? flushed : vn_audit_checkpoint(txn, b->db, b->keys, &signed_size);
    if (rc == 0 && (signed_size || flushed > 0))
        rc = vn_store_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == VN_E_CHAIN)
        vn_error("event=checkpoint-refused reason=\"the stored audit log no longer matches the last "
                 "signed checkpoint: it was altered on disk\" action=not-signing");
}

static void *s_storage(void *arg)
{
    broker_t *b = arg;
    pthread_setname_np(pthread_self(), "vn-storage");
    uint64_t next_tick = 0, next_stats = vn_monotonic_ms() + 30000;
    for (;;) {
        int stopping = atomic_load(&b->storage_stop);
        zmq_pollitem_t it = {b->storage_in, 0, ZMQ_POLLIN, 0};
        if (!stopping)
            zmq_poll(&it, 1, 200);
        /* Everything that arrived while the last commit was syncing forms the next group. */
        while (b->n_batch < BATCH_MAX && s_take_one(b))
            ;
        broker__batch_commit(b);
        uint64_t now = vn_monotonic_ms();
        if (now >= next_tick) {
            next_tick = now + 1000;
            if (broker__expire(b) > 0)
                zmq_send(b->storage_out, "P", 1, 0);
            if (broker__signals_tick(b) > 0)
                zmq_send(b->storage_out, "P", 1, 0);
            s_checkpoint_tick(b, 0);
        }
        if (now >= next_stats) {
            next_stats = now + 30000;
            vn_info("event=stats accepted=%llu refused=%llu delivered=%llu expired=%llu "
                    "commits=%llu", (unsigned long long)b->n_accepted,
                    (unsigned long long)b->n_refused, (unsigned long long)b->n_delivered,
                    (unsigned long long)b->n_expired, (unsigned long long)b->n_commits);
        }
        if (stopping && b->n_batch == 0) {
            s_checkpoint_tick(b, 1); /* no SUPPRESSED count is lost at a clean stop */
            break;
        }
    }
    return NULL;
}

int broker__storage_start(broker_t *b)
{
    int linger = 0, hwm = 0;
    b->storage_in = zmq_socket(b->ctx, ZMQ_PULL);
    b->from_storage = zmq_socket(b->ctx, ZMQ_PULL);
    zmq_setsockopt(b->storage_in, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(b->from_storage, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(b->storage_in, BROKER_STORE_IN_EP) != 0 ||
        zmq_bind(b->from_storage, BROKER_STORE_OUT_EP) != 0)
        return -errno;
    b->to_storage = zmq_socket(b->ctx, ZMQ_PUSH);
    b->storage_out = zmq_socket(b->ctx, ZMQ_PUSH);
    zmq_setsockopt(b->to_storage, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(b->storage_out, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(b->to_storage, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(b->storage_out, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(b->to_storage, BROKER_STORE_IN_EP) != 0 ||
        zmq_connect(b->storage_out, BROKER_STORE_OUT_EP) != 0)
        return -errno;
    int rc = pthread_create(&b->storage, NULL, s_storage, b);
    if (rc != 0)
        return -rc;
    b->storage_started = 1;
    return 0;
}

/* Stop after the workers: what they verified is committed and answered before exit. */
void broker__storage_stop(broker_t *b)
{
    if (b->storage_started) {
        atomic_store(&b->storage_stop, 1);
        pthread_join(b->storage, NULL);
        b->storage_started = 0;
        broker__storage_replies(b);
    }
    if (b->storage_in) zmq_close(b->storage_in);
    if (b->storage_out) zmq_close(b->storage_out);
    if (b->to_storage) zmq_close(b->to_storage);
    if (b->from_storage) zmq_close(b->from_storage);
    b->storage_in = b->storage_out = b->to_storage = b->from_storage = NULL;
}

/* --- main thread side --- */

/* A refusal over the organisation's audit budget: answered at once, counted in its SUPPRESSED
 * record, no work for the storage thread. */
static void s_refuse_unaudited(broker_t *b, const uint8_t *routing, size_t routing_len,
                               const char *code, const char *reason, const uint8_t *envelope,
                               size_t len)
{
    vn_parsed_t p = {0}; /* only for the message id, so the agent knows which one it was */
    int parsed = envelope && vn_envelope_parse(envelope, len, &p) == 0;
    char en[700];
    snprintf(en, sizeof en, "%s", reason);
    char *nl = strchr(en, '\n');
    if (nl)
        *nl++ = '\0';
    Vn__Refusal r = VN__REFUSAL__INIT;
    if (parsed)
        r.message_id = p.hdr->message_id;
    r.code = (char *)code;
    r.reason = en;
    r.reason_nl = nl ? nl : "";
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_REFUSAL;
    m.refusal = &r;
    broker__send_wire(b, routing, routing_len, &m);
    broker__count_refusal(b, code);
    atomic_fetch_add(&b->n_refused, 1);
    if (parsed)
        vn_parsed_clear(&p);
}

void broker__post_refusal(broker_t *b, const char *org, const uint8_t *routing,
                          size_t routing_len, const char *code, const char *reason,
                          const uint8_t *envelope, size_t len)
{
    if (!broker__budget_audit(b, org, code)) {
        s_refuse_unaudited(b, routing, routing_len, code, reason, envelope, len);
        return;
    }
    zmq_send(b->to_storage, "V", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, routing, routing_len, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(b->to_storage, reason, strlen(reason), ZMQ_SNDMORE);
    const uint8_t no_flags = 0; /* a refusal carries no ADMIT_* flags */
    zmq_send(b->to_storage, &no_flags, 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, envelope, envelope ? len : 0, 0);
    vn_info("event=refused org=%s code=%s", org, code);
}

void broker__consent_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                             const char *org, const Vn__ConsentRequest *req)
{
    size_t len = vn__consent_request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return;
    vn__consent_request__pack(req, buf);
    zmq_send(b->to_storage, "Q", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, routing, routing_len, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, buf, len, 0);
    free(buf);
}

void broker__withhold_request(broker_t *b, const char *org, uint64_t seq, const char *code,
                              const char *reason)
{
    uint8_t be[8];
    vn_put_be64(be, seq);
    zmq_send(b->to_storage, "W", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, be, 8, ZMQ_SNDMORE);
    zmq_send(b->to_storage, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(b->to_storage, reason, strlen(reason), 0);
}

/* A failure code as a recipient's agent may give it: [a-z0-9-], 1..47 characters. */
static int s_code_valid(const char *code)
{
    size_t n = strlen(code);
    if (n == 0 || n > 47)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
              code[i] == '-'))
            return 0;
    return 1;
}

void broker__post_ack_failed(broker_t *b, const char *org, const uint8_t id[VN_MSGID_BYTES],
                             const char *code, const char *reason)
{
    /* Outside input: the code is kept only when it looks like one, the reason when printable. */
    if (!s_code_valid(code))
        code = "delivery-failed";
    if (!vn_field_valid(reason, 300))
        reason = "";
    zmq_send(b->to_storage, "K", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, id, 16, ZMQ_SNDMORE);
    zmq_send(b->to_storage, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(b->to_storage, reason, strlen(reason), 0);
    vn_warn("event=delivery-failed org=%s code=%s", org, code);
}

void broker__session_replaced_request(broker_t *b, const char *org)
{
    zmq_send(b->to_storage, "R", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), 0);
}

void broker__post_ack(broker_t *b, item_kind_t kind, const char *org,
                      const uint8_t id[VN_MSGID_BYTES])
{
    zmq_send(b->to_storage, kind == ITEM_ACK ? "K" : "N", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, id, 16, 0);
}

void broker__storage_replies(broker_t *b)
{
    for (int i = 0; i < 4096; i++) {
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        for (; n < 3 && more; n++) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], b->from_storage, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close(&parts[n]);
                return;
            }
            more = zmq_msg_more(&parts[n]);
        }
        char kind = *(char *)zmq_msg_data(&parts[0]);
        if (kind == 'S' && n == 3) {
            /* A receipt or refusal that cannot be queued is not lost for good: the agent resends
             * the message and the broker answers again from its deduplication record. */
            if (broker__send(b, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]),
                             zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2])) != 0)
                vn_warn("event=answer-not-sent reason=peer-gone-or-queue-full");
        } else if (kind == 'F' && n == 3 && zmq_msg_size(&parts[2]) == 8) {
            char org[VN_ORG_MAX + 1];
            if (s_frame_str(&parts[1], org, sizeof org) == 0)
                broker__budget_submit_done(b, org, vn_get_be64(zmq_msg_data(&parts[2])));
        } else if (kind == 'P') {
            b->pump_needed = 1;
        }
        for (int j = 0; j < n; j++)
            zmq_msg_close(&parts[j]);
    }
}
