/* outbox.c -- from an IT system's submit to the broker's receipt: validate, pseudonymise, seal,
 * store durably, send, resend until the broker answers. */
#include "agent.h"
#include "vn_content.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The wire message that carries an envelope to the broker (borrowing env). */
static void s_submit_message(Vn__WireMessage *m, Vn__Submit *s, const uint8_t *env, size_t len)
{
    vn__submit__init(s);
    s->envelope = (ProtobufCBinaryData){len, (uint8_t *)env};
    vn__wire_message__init(m);
    m->body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
    m->submit = s;
}

static int s_send_envelope(agent_t *a, const uint8_t *env, size_t len)
{
    Vn__Submit s;
    Vn__WireMessage m;
    s_submit_message(&m, &s, env, len);
    int rc = agent__send_broker(a, &m);
    if (rc == 0)
        a->n_resent++; /* a retransmission, not another notification */
    return rc;
}

/* Check a submit (all but its pseudonym) and build seal parameters. Returns NULL (ok) or a
 * refusal code with message. */
static const char *s_validate(agent_t *a, const Vn__ApiSubmit *s, char *const *to, size_t n_to,
                              vn_recipient_t *recips, int *has_subject, char *msg, size_t msg_len)
{
    if (n_to == 0 || n_to > VN_MAX_RECIPIENTS) {
        snprintf(msg, msg_len, "give 1 to %d recipient organisations", VN_MAX_RECIPIENTS);
        return "invalid-recipients";
    }
    for (size_t i = 0; i < n_to; i++) {
        const Vn__OrgEntry *o = vn_org_id_valid(to[i]) ? agent__directory_find(a, to[i]) : NULL;
        if (!o || o->revoked) {
            snprintf(msg, msg_len, "recipient '%.64s' is %s", to[i],
                     o ? "revoked" : "not in the directory");
            return "unknown-recipient";
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(to[i], to[j]) == 0) {
                snprintf(msg, msg_len, "recipient %s is listed twice", to[i]);
                return "duplicate-recipient";
            }
        recips[i].org = o->id;
        recips[i].box_pk = o->box_key.data;
    }
    const char *fields[][2] = {{"category", s->category}, {"basis", s->basis},
                               {"user id", s->user_id}, {"user role", s->user_role}};
    for (size_t i = 0; i < 4; i++)
        if (!vn_field_valid(fields[i][1], VN_FIELD_MAX)) {
            snprintf(msg, msg_len, "%s is missing or invalid", fields[i][0]);
            return "invalid-field";
        }
    for (size_t i = 0; i < s->n_justification; i++)
        if (i >= VN_MAX_JUSTIFICATION || !vn_field_valid(s->justification[i]->key, 128) ||
            !vn_field_valid(s->justification[i]->value, VN_FIELD_MAX)) {
            snprintf(msg, msg_len, "justification field %zu is invalid", i + 1);
            return "invalid-field";
        }
    for (size_t i = 0; i < s->n_justification; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->justification[i]->key, s->justification[j]->key) == 0) {
                snprintf(msg, msg_len, "justification field %.64s is given twice",
                         s->justification[i]->key);
                return "invalid-field";
            }
    if (s->client_ref.len > 64) {
        snprintf(msg, msg_len, "client_ref is longer than 64 bytes");
        return "invalid-field";
    }
    if (s->media_type[0] && !agent__media_type_valid(s->media_type)) {
        snprintf(msg, msg_len, "media type is not TYPE/SUBTYPE (printable, at most %d bytes)",
                 AGENT_MEDIA_TYPE_MAX);
        return "invalid-field";
    }
    if (s->content.len > AGENT_MAX_CONTENT) {
        snprintf(msg, msg_len, "content of %zu bytes exceeds %d", s->content.len,
                 AGENT_MAX_CONTENT);
        return "too-large";
    }
    *has_subject = !s->anonymous;
    if (s->anonymous) {
        if (s->subject_bsn[0] || s->subject_name[0] || s->subject_birth_date[0]) {
            snprintf(msg, msg_len, "an anonymous notification carries no citizen number, name "
                                   "or birth date");
            return "invalid-subject";
        }
        return NULL;
    }
    if (s->subject_name[0] && !vn_field_valid(s->subject_name, VN_CONTENT_NAME_MAX)) {
        snprintf(msg, msg_len, "the subject's name is longer than %d bytes or has control "
                 "characters", VN_CONTENT_NAME_MAX);
        return "invalid-subject";
    }
    if (s->subject_birth_date[0] && !vn_birth_date_valid(s->subject_birth_date)) {
        snprintf(msg, msg_len, "the subject's birth date '%.16s' is not a date YYYY-MM-DD",
                 s->subject_birth_date);
        return "invalid-subject";
    }
    if (s->media_type[0] && !vn_field_valid(s->media_type, VN_CONTENT_MEDIA_MAX)) {
        snprintf(msg, msg_len, "media type is invalid");
        return "invalid-field";
    }
    if (vn_bsn_validate(s->subject_bsn) != 0) {
        snprintf(msg, msg_len, "%s", vn_strerror(vn_bsn_validate(s->subject_bsn)));
        return "invalid-bsn";
    }
    return NULL;
}

const char *agent__submit_validate(agent_t *a, const Vn__ApiSubmit *s, char *msg, size_t msg_len)
{
    vn_recipient_t recips[VN_MAX_RECIPIENTS];
    int has_subject = 0;
    return s_validate(a, s, s->to, s->n_to, recips, &has_subject, msg, msg_len);
}

/* Seal s for to and store it in the outbox under *msgid (given: a held submit; else fresh). */
static int s_seal_and_queue(agent_t *a, const Vn__ApiSubmit *s, char *const *to, size_t n_to,
                            const char *match_id, int held, uint8_t msgid[VN_MSGID_BYTES], const char **code,
                            char *msg, size_t msg_len)
{
    vn_recipient_t recips[VN_MAX_RECIPIENTS];
    vn_field_t just[VN_MAX_JUSTIFICATION];
    uint8_t pseudonym[32], *plain = NULL;
    size_t plain_len = 0;
    int has_subject = 0;
    *code = s_validate(a, s, to, n_to, recips, &has_subject, msg, msg_len);
    if (*code)
        return VN_E_INVALID;
    if (has_subject &&
        agent__pseudonym(a, "notification", s->subject_bsn, pseudonym, code, msg, msg_len) != 0)
        return VN_E_INVALID;
    for (size_t i = 0; i < s->n_justification; i++) {
        just[i].key = s->justification[i]->key;
        just[i].value = s->justification[i]->value;
    }
    /* Content format 1: the subject's identity travels sealed, beside the body. */
    vn_content_t content = {.bsn = has_subject ? s->subject_bsn : NULL,
                            .name = s->subject_name, .birth_date = s->subject_birth_date,
                            .body = s->content.data, .body_len = s->content.len,
                            .media_type = s->media_type};
    int rc = vn_content_pack(&content, &plain, &plain_len);
    if (rc != 0) {
        sodium_memzero(pseudonym, sizeof pseudonym);
        *code = "invalid-subject";
        snprintf(msg, msg_len, "%s", vn_strerror(rc));
        return rc;
    }
    uint64_t now = vn_now();
    vn_seal_params_t p = {
        .recipients = recips, .n_recipients = n_to, .category = s->category,
        .basis = s->basis, .justification = just, .n_justification = s->n_justification,
        .subject_pseudonym = has_subject ? pseudonym : NULL, .created = now,
        .subject_pseudonym_version = a->pseudonyms_v1 ? 1 : 2,
        .expires = now + (s->expires_in ? s->expires_in : a->cfg.default_ttl),
        .user_id = s->user_id, .user_role = s->user_role, .api_caller = a->api_caller,
        .match_id = match_id, .message_id = held ? msgid : NULL, .wrap_batch = a->wrap_batch};
    vn_sealed_t *sealed = NULL;
    rc = vn_envelope_seal_unsigned(&p, a->keys, plain, plain_len, msgid, &sealed);
    sodium_memzero(pseudonym, sizeof pseudonym);
    sodium_memzero(plain, plain_len);
    free(plain);
    if (rc != 0) {
        *code = "seal-failed";
        snprintf(msg, msg_len, "%s", vn_strerror(rc));
        return rc;
    }
    /* Durable before anything leaves: the outbox entry (stored once signed, at this turn's
     * commit, with the other notifications of the turn: outbox_sign.c) and its index. */
    uint64_t oseq;
    MDB_txn *txn = agent__txn(a);
    rc = txn ? agent__next_counter(a, "oseq", &oseq) : VN_E_STORE;
    if (rc == 0) {
        uint8_t key[8];
        vn_put_be64(key, oseq);
        MDB_val ik = {VN_MSGID_BYTES, msgid}, iv = {8, key};
        rc = vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_OUTBOX_IDS), &ik, &iv, 0));
    }
    Vn__ApiSubmitResult queued = VN__API_SUBMIT_RESULT__INIT;
    queued.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, msgid};
    queued.outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
    queued.client_ref = s->client_ref;
    queued.submitted = now;
    Vn__ApiSubmitResult *stored = held ? agent__result_get(a, msgid) : NULL;
    if (stored) /* held: submitted when it was held, and now no longer waiting for a pseudonym */
        queued.submitted = stored->submitted;
    if (rc == 0)
        rc = agent__result_put(a, msgid, &queued);
    if (stored)
        vn__api_submit_result__free_unpacked(stored, NULL);
    /* A held submit's client_ref was bound when it was held; a match:ID fan-out binds it once
     * for all its envelopes (match_send.c). */
    if (rc == 0 && !held && !match_id)
        rc = agent__client_ref_bind(a, s, msgid);
    if (rc == 0 && (rc = agent__outbox_sign_later(a, sealed, oseq, msgid)) == 0)
        sealed = NULL; /* the turn's signing owns it now */
    else if (rc != 0 && !a->batch_error)
        a->batch_error = rc; /* its index and outcome are in the transaction: none of it stays */
    if (rc != 0) {
        vn_sealed_free(sealed);
        /* The failed put poisoned the batch transaction: everything in it fails together. */
        *code = rc == VN_E_STORE_FULL ? "storage-full" : "storage-error";
        snprintf(msg, msg_len, "%s", vn_strerror(rc));
        return rc;
    }
    char hex[33];
    vn_info("event=queued msg=%s recipients=%zu", vn_hex(hex, msgid, VN_MSGID_BYTES), n_to);
    return 0;
}

int agent__seal_and_queue(agent_t *a, const Vn__ApiSubmit *s, char *const *to, size_t n_to,
                          const char *match_id, uint8_t msgid[VN_MSGID_BYTES], const char **code, char *msg,
                          size_t msg_len)
{
    return s_seal_and_queue(a, s, to, n_to, match_id, 0, msgid, code, msg, msg_len);
}

int agent__seal_and_queue_held(agent_t *a, const Vn__ApiSubmit *s,
                               const uint8_t msgid[VN_MSGID_BYTES],
                               const char **code, char *msg, size_t msg_len)
{
    uint8_t id[16];
    memcpy(id, msgid, VN_MSGID_BYTES);
    return s_seal_and_queue(a, s, s->to, s->n_to, NULL, 1, id, code, msg, msg_len);
}

void agent__submit(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSubmit *s)
{
    uint8_t msgid[VN_MSGID_BYTES];
    const char *code = NULL;
    char msg[256];
    /* A repeated client_ref gets the first submit's outcome, whatever changed since. */
    if (agent__client_ref_check(a, routing, routing_len, s))
        return;
    if (a->link == AGENT_LINK_REVOKED) {
        agent__api_error(a, routing, routing_len, "org-revoked",
                         "this organisation was revoked by the broker operator");
        return;
    }
    if (!agent__vocab_allows(a, "category", s->category)) {
        snprintf(msg, sizeof msg, "category '%.64s' is not in the signed vocabulary", s->category);
        agent__api_error(a, routing, routing_len, "unknown-term", msg);
        return;
    }
    if (s->n_to == 1 && strncmp(s->to[0], "match:", 6) == 0) {
        agent__match_submit(a, routing, routing_len, s); /* one envelope per participant */
        return;
    }
    if (agent__hold_wants(a, s)) { /* a new subject: evaluated with others, off this turn */
        agent__hold_park(a, routing, routing_len, s);
        return;
    }
    if (agent__seal_and_queue(a, s, s->to, s->n_to, NULL, msgid, &code, msg, sizeof msg) != 0) {
        agent__api_error(a, routing, routing_len, code, msg);
        return;
    }
    if (s->wait_ms == 0) {
        Vn__ApiSubmitResult queued = VN__API_SUBMIT_RESULT__INIT;
        queued.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, msgid};
        queued.outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
        queued.client_ref = s->client_ref;
        queued.submitted = vn_now();
        agent__answer_result(a, routing, routing_len, &queued, 0);
        return;
    }
    waiter_t *w = agent__waiter_add(&a->submits, &a->n_submits, routing, routing_len);
    if (w) {
        memcpy(w->msgid, msgid, VN_MSGID_BYTES);
        if (s->client_ref.len) /* validated <= 64 above */
            memcpy(w->client_ref, s->client_ref.data, s->client_ref.len);
        w->client_ref_len = s->client_ref.len;
        w->deadline_ms = vn_monotonic_ms() + (s->wait_ms > 600000 ? 600000 : s->wait_ms);
    }
}

/* A resend round goes through the outbox in oseq order. When the connection's queue fills, the
 * message that did not fit is held (broker_out.c) and the round pauses where it is; the loop
 * continues it as soon as the held ones are gone (agent__resend_continue), so a reconnect with a
 * large outbox sends all of it without waiting for the next round. */
void agent__resend(agent_t *a, int all)
{
    if (!a->connected)
        return;
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return;
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t last = 0;
    if (mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_OUTBOX), &cur) == 0) {
        if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
            last = vn_get_be64(k.mv_data);
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    /* Only entries that already waited a full round, unless (re)connecting; a round still going
     * is taken over (its upper bound grows, where it stands stays). */
    uint64_t limit = all ? UINT64_MAX : a->resend_mark;
    if (!a->resend_active) {
        a->resend_next = 0;
        a->resend_count = 0;
        a->resend_limit = limit;
    } else if (limit > a->resend_limit) {
        a->resend_limit = limit;
    }
    a->resend_active = 1;
    a->resend_mark = last;
    agent__resend_continue(a);
}

#define S_RESEND_TURN 1024 /* envelopes per loop turn: the loop stays responsive */
void agent__resend_continue(agent_t *a)
{
    if (!a->connected)
        a->resend_active = 0; /* the reconnect starts a round of everything */
    if (!a->resend_active || agent__broker_out_waiting(a))
        return; /* none, or paused: the connection has no room */
    MDB_txn *txn;
    MDB_cursor *cur;
    if (vn_store_begin(a->db, 1, &txn) != 0) {
        a->resend_active = 0; /* the next round tries again; the loop must not poll for it */
        return;
    }
    if (mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_OUTBOX), &cur) != 0) {
        mdb_txn_abort(txn);
        a->resend_active = 0;
        return;
    }
    uint8_t from[8];
    vn_put_be64(from, a->resend_next);
    MDB_val k = {sizeof from, from}, v;
    int done = 1;
    size_t turn = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8)
            continue;
        uint64_t oseq = vn_get_be64(k.mv_data);
        if (oseq > a->resend_limit)
            break; /* the rest are younger than the round */
        if (turn == S_RESEND_TURN || agent__broker_out_waiting(a)) {
            done = 0;
            break;
        }
        a->resend_next = oseq + 1;
        if (v.mv_size >= 16 && s_send_envelope(a, (uint8_t *)v.mv_data + 16, v.mv_size - 16) == 0)
            a->resend_count++;
        turn++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (done) {
        a->resend_active = 0;
        if (a->resend_count)
            vn_info("event=resent messages=%llu", (unsigned long long)a->resend_count);
    }
}

/* Remove msgid from the outbox and record the broker's answer; answer whoever waits for it once
 * that is durable (after this turn's commit), refusals as much as receipts. */
static void s_settle(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES], Vn__ApiSubmitResult *r,
                     int refused)
{
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return;
    MDB_val ik = {VN_MSGID_BYTES, (void *)msgid}, iv;
    int was_pending = mdb_get(txn, vn_store_dbi(a->db, ADB_OUTBOX_IDS), &ik, &iv) == 0 &&
                      iv.mv_size == 8;
    if (!was_pending)
        return; /* settled before: its outcome is stored and was answered */
    uint8_t key[8];
    memcpy(key, iv.mv_data, 8);
    MDB_val k = {8, key};
    (void)agent__del(a, txn, ADB_OUTBOX, &k);
    (void)agent__del(a, txn, ADB_OUTBOX_IDS, &ik);
    Vn__ApiSubmitResult *queued = agent__result_get(a, msgid);
    if (queued) {
        r->submitted = queued->submitted;
        r->client_ref = queued->client_ref;
    }
    r->decided = vn_now();
    if (agent__result_put(a, msgid, r) != 0) {
        char hex[33];
        vn_error("event=outcome-store-failed msg=%s", vn_hex(hex, msgid, VN_MSGID_BYTES));
    }
    size_t waiting = a->n_submits;
    agent__outcome_settled(a, msgid, r);
    int answered = waiting != a->n_submits;
    /* One of a match:ID fan-out: its group (and a repeat's) wait too, whoever else does. */
    answered |= agent__match_submit_settled(a, msgid, r);
    /* A refusal nobody waits for any more must still reach the IT system: through its inbox. */
    if (refused && !answered) {
        uint8_t notice_id[16];
        randombytes_buf(notice_id, sizeof notice_id);
        agent__inbox_notice(a, notice_id, msgid, "", r->code, r->reason);
    }
    if (queued)
        vn__api_submit_result__free_unpacked(queued, NULL);
}

void agent__on_receipt(agent_t *a, const Vn__Receipt *rc)
{
    if (rc->message_id.len != VN_MSGID_BYTES)
        return;
    agent__audit_receipt(a, rc);
    a->last_receipt = vn_now();
    Vn__ApiSubmitResult r = VN__API_SUBMIT_RESULT__INIT;
    r.message_id = rc->message_id;
    r.outcome = VN__API_SUBMIT_RESULT__OUTCOME__ACCEPTED;
    r.audit_seq = rc->audit_seq;
    r.audit_hash = rc->audit_hash;
    s_settle(a, rc->message_id.data, &r, 0);
}

void agent__on_refusal(agent_t *a, const Vn__Refusal *rf)
{
    if (strcmp(rf->code, "org-revoked") == 0 && rf->message_id.len == 0) {
        vn_error("event=revoked reason=\"%s\" action=disconnecting", rf->reason);
        agent__link_event(a, AGENT_LINK_EV_REVOKED);
        return;
    }
    if (strcmp(rf->code, "session-replaced") == 0 && rf->message_id.len == 0) {
        /* Another agent runs with our keys and took over at the broker: stop talking to the
         * broker (no fight over the session) and say so, until an operator restarts this one. */
        vn_error("event=session-replaced reason=\"another agent with this organisation's keys "
                 "connected to the broker\" action=\"disconnected; stop the other agent or this "
                 "one, then restart\"");
        agent__link_event(a, AGENT_LINK_EV_REPLACED);
        return;
    }
    char hex[33] = "-";
    if (rf->message_id.len == VN_MSGID_BYTES)
        vn_hex(hex, rf->message_id.data, VN_MSGID_BYTES);
    vn_warn("event=refused msg=%s code=%s", hex, rf->code);
    if (rf->message_id.len != VN_MSGID_BYTES)
        return;
    Vn__ApiSubmitResult r = VN__API_SUBMIT_RESULT__INIT;
    r.message_id = rf->message_id;
    r.outcome = VN__API_SUBMIT_RESULT__OUTCOME__REFUSED;
    r.audit_seq = rf->audit_seq;
    r.code = rf->code;
    r.reason = rf->reason;
    r.reason_nl = rf->reason_nl;
    /* A storage problem at the broker, or this organisation over its budget there, is not a
     * verdict: keep the message and retry later. */
    if (strcmp(rf->code, "storage-full") == 0 || strcmp(rf->code, "storage-error") == 0 ||
        strcmp(rf->code, "rate-limited") == 0 || strcmp(rf->code, "too-many-in-flight") == 0) {
        Vn__ApiSubmitResult *queued = agent__result_get(a, rf->message_id.data);
        if (queued) {
            /* Still QUEUED, and durable since the submit: say so to whoever waits, with why. */
            Vn__ApiSubmitResult answer = *queued;
            answer.code = rf->code;
            answer.reason = rf->reason;
            answer.reason_nl = rf->reason_nl;
            agent__outcome_settled(a, rf->message_id.data, &answer);
            vn__api_submit_result__free_unpacked(queued, NULL);
        }
        return;
    }
    s_settle(a, rf->message_id.data, &r, 1);
}
