/* inbox.c -- deliveries from the broker: verify, decrypt, store durably, then ack; the IT system
 * fetches (optionally waiting) and acks what it has taken over. */
#include "agent.h"
#include "vn_content.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_sender.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Ack to the broker, after this turn's commit: a notice (notice set), a delivery, or a delivery
 * that failed here for good (failure_code set: it cannot open with our keys, ever). */
static void s_ack_to_broker(agent_t *a, int notice, const uint8_t id[16], const char *failure_code,
                            const char *failure_reason)
{
    Vn__DeliveryAck d = VN__DELIVERY_ACK__INIT;
    Vn__NoticeAck n = VN__NOTICE_ACK__INIT;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    if (notice) {
        n.notice_id = (ProtobufCBinaryData){16, (uint8_t *)id};
        m.body_case = VN__WIRE_MESSAGE__BODY_NOTICE_ACK;
        m.notice_ack = &n;
    } else {
        d.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)id};
        if (failure_code) {
            d.failure_code = (char *)failure_code;
            d.failure_reason = (char *)failure_reason;
        }
        m.body_case = VN__WIRE_MESSAGE__BODY_DELIVERY_ACK;
        m.delivery_ack = &d;
    }
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(&m, &buf, &len) == 0)
        agent__after_commit(a, 0, NULL, 0, buf, len);
}

static void s_ack_broker(agent_t *a, int notice, const uint8_t id[16])
{
    s_ack_to_broker(a, notice, id, NULL, NULL);
}

static void s_ack_broker_failed(agent_t *a, const uint8_t id[16], const char *failure_code,
                                const char *failure_reason)
{
    s_ack_to_broker(a, 0, id, failure_code, failure_reason);
}

/* 1 if id was stored before (delivered twice), 0 if new, <0 on error. */
static int s_seen(agent_t *a, MDB_txn *txn, const uint8_t id[16])
{
    MDB_val k = {16, (void *)id}, v;
    int rc = mdb_get(txn, vn_store_dbi(a->db, ADB_INBOX_IDS), &k, &v);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

int agent__inbox_seen(agent_t *a, const uint8_t id[16])
{
    MDB_txn *txn = agent__txn(a);
    return txn ? s_seen(a, txn, id) : VN_E_STORE;
}

/* Append n to the inbox under id. */
static int s_store(agent_t *a, const uint8_t id[16], Vn__ApiNotification *n)
{
    MDB_txn *txn = agent__txn(a);
    uint64_t iseq;
    int rc = txn ? agent__next_counter(a, "iseq", &iseq) : VN_E_STORE;
    if (rc != 0)
        return rc;
    size_t len = vn__api_notification__get_packed_size(n), sealed_len = 0;
    uint8_t key[8], *sealed = NULL, *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    vn__api_notification__pack(n, buf);
    vn_put_be64(key, iseq);
    rc = agent__inbox_seal(a, key, buf, len, &sealed, &sealed_len);
    sodium_memzero(buf, len);
    free(buf);
    if (rc != 0)
        return rc;
    MDB_val k = {8, key}, v = {sealed_len, sealed}, ik = {16, (void *)id}, iv = {8, key};
    rc = vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_INBOX), &k, &v, 0));
    if (rc == 0)
        rc = vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_INBOX_IDS), &ik, &iv, 0));
    if (rc == 0)
        rc = agent__inbox_sender_put(a, txn, n->sender, key);
    free(sealed);
    if (rc == 0)
        a->inbox_grew++;
    return rc;
}

/* The subject sealed in the content is the one the header names: pseudonymised again here (from
 * the cache or the pseudonym service; a v1 pseudonym from a sender not migrated yet with the
 * network key, if this agent still holds it). 0; VN_E_INVALID if not; another error if the
 * pseudonym could not be had now. */
static int s_check_subject(agent_t *a, const Vn__EnvelopeContent *ec, const ProtobufCBinaryData *ps,
                           uint32_t version)
{
    if (!ec->subject)
        return ps->len == 0 ? 0 : VN_E_INVALID;
    if (ps->len != 32)
        return VN_E_INVALID;
    uint8_t mine[32];
    const char *code = NULL;
    char msg[400];
    int rc;
    if (version < 2 && !a->pseudonyms_v1 && a->cfg.pseudonym_key[0]) { /* a migration's v1 */
        rc = vn_pseudonym(mine, ec->subject->bsn, a->pseudonym_key) == 0 &&
                     sodium_memcmp(mine, ps->data, 32) == 0 ? 0 : VN_E_INVALID;
        sodium_memzero(mine, sizeof mine);
        return rc;
    }
    rc = agent__pseudonym(a, "receive", ec->subject->bsn, mine, &code, msg, sizeof msg);
    if (rc != 0) {
        if (code && strcmp(code, "invalid-bsn") == 0)
            return VN_E_INVALID;
        vn_warn("event=subject-check-deferred code=%s error=\"%s\"", code ? code : "", msg);
        return rc;
    }
    int same = sodium_memcmp(mine, ps->data, 32) == 0;
    sodium_memzero(mine, sizeof mine);
    return same ? 0 : VN_E_INVALID;
}

/* One delivery as it goes through the steps of agent__on_deliver; s_delivery_clear frees it. */
typedef struct {
    vn_parsed_t p;
    uint8_t msgid[VN_MSGID_BYTES];
    char hex[VN_MSGID_HEX];
    MDB_txn *txn;
    const Vn__OrgEntry *sender;
    uint8_t *content; /* the plaintext, wiped as soon as it is decoded into ec */
    size_t content_len;
    Vn__EnvelopeContent *ec;
    Vn__ContactCard *card;
    const char *failure; /* "bad-signature" if the signature failed, else "undecryptable" */
    const char *reject;  /* the code a content that can never open is rejected with */
} delivery_t;

/* What a step tells agent__on_deliver: go on, or stop (held, answered or failed: logged). */
typedef enum { DELIVERY_NEXT, DELIVERY_STOP } delivery_step_t;

static void s_delivery_clear(delivery_t *dl)
{
    if (dl->content) {
        sodium_memzero(dl->content, dl->content_len);
        free(dl->content);
    }
    if (dl->card)
        vn__contact_card__free_unpacked(dl->card, NULL);
    if (dl->ec) {
        if (dl->ec->body.len) /* protobuf-c frees without wiping */
            sodium_memzero(dl->ec->body.data, dl->ec->body.len);
        if (dl->ec->subject && dl->ec->subject->bsn)
            sodium_memzero(dl->ec->subject->bsn, strlen(dl->ec->subject->bsn));
        vn__envelope_content__free_unpacked(dl->ec, NULL);
    }
    vn_parsed_clear(&dl->p);
}

/* Parse, and answer a delivery seen before (after a lost ack: ack again, as failed if it failed
 * to open). STOP when it is unreadable (not acked: an operator must look at the broker), was
 * seen, or finds no room (not stored, not acked: the broker holds it, as we told it we are
 * full, and sends it again once we say there is room). */
static delivery_step_t s_parse_dedup(agent_t *a, const Vn__Deliver *d, delivery_t *dl, int *parsed)
{
    int rc = vn_envelope_parse(d->envelope.data, d->envelope.len, &dl->p);
    if (rc != 0) {
        vn_error("event=delivery-unreadable error=\"%s\"", vn_strerror(rc));
        return DELIVERY_STOP;
    }
    *parsed = 1;
    memcpy(dl->msgid, dl->p.hdr->message_id.data, VN_MSGID_BYTES);
    vn_hex(dl->hex, dl->msgid, VN_MSGID_BYTES);
    dl->txn = agent__txn(a);
    int seen = dl->txn ? s_seen(a, dl->txn, dl->msgid) : VN_E_STORE;
    if (seen != 0) {
        MDB_val ik = {VN_MSGID_BYTES, dl->msgid}, iv;
        int failed = seen == 1 &&
                     mdb_get(dl->txn, vn_store_dbi(a->db, ADB_INBOX_IDS), &ik, &iv) == 0 &&
                     iv.mv_size == 8 && vn_get_be64(iv.mv_data) == UINT64_MAX;
        if (failed)
            s_ack_broker_failed(a, dl->msgid, "undecryptable", "the content could not be opened");
        else if (seen == 1)
            s_ack_broker(a, 0, dl->msgid);
        return DELIVERY_STOP;
    }
    return agent__store_room(a, d->envelope.len) ? DELIVERY_NEXT : DELIVERY_STOP;
}

/* The sender is known, its signature holds, and the content opens with our keys (*rc: 0, or why
 * not, for the reject path). STOP when it is held unacknowledged: an unknown sender (redelivered
 * after the next hello, with a fresher directory), or our keys rotated at the broker while this
 * agent still runs the old ones (it comes again once the agent runs with the new keys). */
static delivery_step_t s_open(agent_t *a, delivery_t *dl, int *rc)
{
    dl->sender = agent__directory_find(a, dl->p.hdr->sender);
    if (!dl->sender) {
        vn_error("event=delivery-held msg=%s reason=unknown-sender sender=%s", dl->hex,
                 dl->p.hdr->sender);
        return DELIVERY_STOP;
    }
    /* After the sender's key rotation, its previous key still counts for what it created before
     * the grace period ended; content wrapped to our own previous key opens with previous_keys. */
    /* A batch's root signature is verified once per batch seen (a->batch_roots), keyed on
     * the directory's generation: a new directory (any key rotated or revoked) forgets it. */
    *rc = vn_sender_verify_cached(&dl->p, dl->sender, dl->p.hdr->created, a->batch_roots,
                                  a->dir->generation);
    dl->failure = *rc != 0 ? "bad-signature" : "undecryptable";
    if (*rc == 0)
        *rc = vn_envelope_decrypt_cached(&dl->p, a->keys, a->unwrap_cache, &dl->content,
                                         &dl->content_len);
    if ((*rc == VN_E_WRAP_INVALID || *rc == VN_E_DECRYPT) && a->prev_keys)
        *rc = vn_envelope_decrypt_cached(&dl->p, a->prev_keys, a->unwrap_cache, &dl->content,
                                         &dl->content_len);
    const Vn__OrgEntry *self = *rc == VN_E_WRAP_INVALID || *rc == VN_E_DECRYPT
                                   ? agent__directory_find(a, a->keys->pub.org) /* only then */
                                   : NULL;
    if (self && self->box_key.len == 32 &&
        sodium_memcmp(self->box_key.data, a->keys->pub.box_pk, 32) != 0) {
        vn_error("event=delivery-held msg=%s reason=own-keys-rotated action=\"restart this agent "
                 "with keys = the new key set and previous_keys = this one\"", dl->hex);
        return DELIVERY_STOP;
    }
    return DELIVERY_NEXT;
}

/* Content format 1: the subject's identity sealed beside the body, and it must be the subject
 * the header (and so the broker's policy check) named; a contact card names the header's match.
 * *rc and dl->reject say why it can never open. STOP when the pseudonym service could not
 * answer: held unacknowledged (the broker sends it again in the next session), never stored
 * unchecked. */
static delivery_step_t s_check_content(agent_t *a, delivery_t *dl, int *rc)
{
    delivery_step_t step = DELIVERY_NEXT;
    const Vn__Header *h = dl->p.hdr;
    dl->reject = *rc != 0 ? "undecryptable" : NULL;
    if (*rc == 0 && (*rc = vn_content_unpack(dl->content, dl->content_len, &dl->ec)) != 0)
        dl->reject = "unreadable-content";
    if (*rc == 0 && (*rc = s_check_subject(a, dl->ec, &h->subject_pseudonym,
                                           h->subject_pseudonym_version)) != 0) {
        if (*rc != VN_E_INVALID) {
            vn_error("event=delivery-held msg=%s reason=pseudonym-unavailable", dl->hex);
            step = DELIVERY_STOP;
        } else {
            dl->reject = "subject-mismatch";
        }
    }
    if (step == DELIVERY_NEXT && *rc == 0 &&
        strcmp(dl->ec->media_type, VN_CONTENT_MEDIA_CARD) == 0 &&
        (!(dl->card = vn__contact_card__unpack(NULL, dl->ec->body.len, dl->ec->body.data)) ||
         strcmp(dl->card->match_id, h->match_id) != 0 || !h->match_id[0])) {
        *rc = VN_E_INVALID;
        dl->reject = "unreadable-content";
    }
    if (dl->content) { /* decoded into ec (or useless): wipe the plaintext now */
        sodium_memzero(dl->content, dl->content_len);
        free(dl->content);
        dl->content = NULL;
    }
    return step;
}

/* It can never open: record that in the inbox, so nothing disappears silently, and have the
 * broker audit it as a failed delivery and tell the sender: it was not "ok". */
static void s_reject(agent_t *a, delivery_t *dl, int rc)
{
    const char *why = strcmp(dl->reject, "subject-mismatch") == 0
                          ? "the sealed subject is not the subject the header names"
                          : vn_strerror(rc);
    vn_error("event=delivery-rejected msg=%s sender=%s code=%s error=\"%s\"", dl->hex,
             dl->p.hdr->sender, dl->reject, why);
    uint8_t notice_id[VN_MSGID_BYTES];
    randombytes_buf(notice_id, sizeof notice_id);
    /* A bad signature is named as such; otherwise what kept the content from opening. */
    const char *fail_code = strcmp(dl->failure, "bad-signature") == 0 ? dl->failure : dl->reject;
    rc = agent__inbox_notice(a, notice_id, dl->msgid, dl->p.hdr->sender, fail_code, why);
    if (rc == 0) {
        uint8_t failed[8]; /* seen and failed, nothing to fetch: redeliveries acked at once */
        memset(failed, 0xff, sizeof failed);
        MDB_val ik = {VN_MSGID_BYTES, dl->msgid}, zv = {8, failed};
        rc = vn_store_error(mdb_put(dl->txn, vn_store_dbi(a->db, ADB_INBOX_IDS), &ik, &zv, 0));
    }
    if (rc == 0)
        s_ack_broker_failed(a, dl->msgid, fail_code, why);
}

/* It opened and checked out: store it in the inbox for the IT system, then ack it. */
static void s_accept(agent_t *a, delivery_t *dl)
{
    const Vn__Header *h = dl->p.hdr;
    const Vn__EnvelopeContent *ec = dl->ec;
    Vn__ApiNotification n = VN__API_NOTIFICATION__INIT;
    Vn__ApiJustification just[VN_MAX_JUSTIFICATION], *jp[VN_MAX_JUSTIFICATION];
    for (size_t i = 0; i < h->n_justification; i++) {
        vn__api_justification__init(&just[i]);
        just[i].key = h->justification[i]->key;
        just[i].value = h->justification[i]->value;
        jp[i] = &just[i];
    }
    n.message_id = h->message_id;
    n.sender = h->sender;
    n.sender_sector = dl->sender->sector;
    n.category = h->category;
    n.basis = h->basis;
    n.n_justification = h->n_justification;
    n.justification = jp;
    n.subject_pseudonym = h->subject_pseudonym;
    n.created = h->created;
    n.expires = h->expires;
    n.user_id = h->user_id;
    n.user_role = h->user_role;
    n.content = ec->body;
    n.media_type = ec->media_type;
    if (ec->subject) {
        n.subject_bsn = ec->subject->bsn;
        n.subject_name = ec->subject->name;
        n.subject_birth_date = ec->subject->birth_date;
    }
    n.match_id = h->match_id;
    Vn__ApiLocalCase **cases = NULL;
    size_t n_cases = 0;
    if (dl->card) {
        /* Link the card to the match and to our own cases in it. */
        n.contact_card = dl->card;
        agent__store_contact_card(a, h->sender, dl->card);
        Vn__MatchInfo *mi = agent__match_get(a, h->match_id);
        if (mi) {
            agent__cases_for_match(a, mi, &cases, &n_cases);
            vn__match_info__free_unpacked(mi, NULL);
        }
        n.n_cases = n_cases;
        n.cases = cases;
    }
    n.received = vn_now();
    /* Accepted before the sender was revoked, delivered after: the IT system must know. */
    n.sender_revoked = dl->sender->revoked;
    if (dl->sender->revoked)
        vn_warn("event=received-from-revoked msg=%s sender=%s action=flagged", dl->hex, h->sender);
    int rc = s_store(a, dl->msgid, &n);
    agent__cases_free(cases, n_cases);
    if (rc == 0) {
        s_ack_broker(a, 0, dl->msgid);
        a->n_received++;
        vn_info("event=received msg=%s sender=%s", dl->hex, h->sender);
    } else {
        vn_error("event=inbox-store-failed msg=%s error=\"%s\"", dl->hex, vn_strerror(rc));
    }
}

void agent__on_deliver(agent_t *a, const Vn__Deliver *d)
{
    delivery_t dl = {0};
    int parsed = 0, rc = 0;
    if (s_parse_dedup(a, d, &dl, &parsed) == DELIVERY_STOP ||
        s_open(a, &dl, &rc) == DELIVERY_STOP || s_check_content(a, &dl, &rc) == DELIVERY_STOP)
        goto done;
    if (rc != 0)
        s_reject(a, &dl, rc);
    else
        s_accept(a, &dl);
done:
    if (parsed)
        s_delivery_clear(&dl);
}

int agent__inbox_store(agent_t *a, const uint8_t id[16], Vn__ApiNotification *n)
{
    return s_store(a, id, n);
}

int agent__inbox_notice(agent_t *a, const uint8_t id[16], const uint8_t about[16],
                        const char *recipient, const char *code, const char *reason)
{
    Vn__ApiNotification n = VN__API_NOTIFICATION__INIT;
    n.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)id};
    n.about_message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)about};
    n.sender = "broker";
    n.notice_code = (char *)code;
    n.notice_reason = (char *)reason;
    n.notice_recipient = (char *)recipient;
    n.received = vn_now();
    return s_store(a, id, &n);
}

void agent__on_notice(agent_t *a, const Vn__Notice *n)
{
    if (n->notice_id.len != VN_MSGID_BYTES || n->message_id.len != VN_MSGID_BYTES)
        return;
    MDB_txn *txn = agent__txn(a);
    int seen = txn ? s_seen(a, txn, n->notice_id.data) : VN_E_STORE;
    if (seen == 0)
        seen = agent__inbox_notice(a, n->notice_id.data, n->message_id.data, n->recipient, n->code,
                                   n->reason) == 0 ? 1 : -1;
    if (seen == 1) {
        s_ack_broker(a, 1, n->notice_id.data);
        vn_warn("event=notice code=%s recipient=%s", n->code, n->recipient);
    }
}

/* One fetch answer holds at most this much (and at least one entry): an IT system asking for
 * 1,000 notifications of 1 MB gets them in pages, not one answer of a gigabyte. */
#define FETCH_BYTES_MAX (16u << 20)

/* Put cur on the next entry to answer (first: the first after *pos): in inbox order, or with a
 * sender (from), that sender's next one found through its index. MDB_NOTFOUND at the end. */
static int s_step(agent_t *a, MDB_txn *txn, MDB_cursor *cur, const char *from, int first,
                  uint64_t *pos, uint8_t key[8], MDB_val *k, MDB_val *v)
{
    if (!from || !from[0]) {
        if (!first)
            return mdb_cursor_get(cur, k, v, MDB_NEXT);
        *k = (MDB_val){8, key};
        return mdb_cursor_get(cur, k, v, *pos ? MDB_SET_RANGE : MDB_FIRST);
    }
    uint64_t next;
    while (agent__inbox_sender_next(a, txn, from, *pos, &next)) {
        *pos = next;
        vn_put_be64(key, next);
        *k = (MDB_val){8, key};
        if (mdb_cursor_get(cur, k, v, MDB_SET_KEY) == 0)
            return 0; /* else an index entry without its entry: skipped */
    }
    return MDB_NOTFOUND;
}

/* Answer one fetch with up to max inbox entries after inbox position after (possibly none),
 * read through txn from agent__read_begin, which this ends. Through this turn's batch when it
 * holds acks or mail (the answer then waits for its commit); else from what is durable,
 * answered at once: a waiting fetch woken by a commit must not wait for the next turn's commit
 * of other work. */
static void s_answer_fetch(agent_t *a, MDB_txn *txn, int durable, const uint8_t *routing,
                           size_t routing_len, uint32_t max, uint64_t after, const char *from)
{
    if (!txn) {
        agent__api_error(a, routing, routing_len, "storage-error", "inbox unavailable");
        return;
    }
    Vn__ApiNotification **list = calloc(max, sizeof *list);
    size_t n = 0, bytes = 0;
    MDB_cursor *cur;
    uint8_t start[8];
    vn_put_be64(start, after == UINT64_MAX ? after : after + 1);
    MDB_val k = {8, start}, v;
    mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_INBOX), &cur);
    uint64_t pos = after;
    for (int rc = s_step(a, txn, cur, from, 1, &pos, start, &k, &v);
         list && rc == 0 && n < max && bytes < FETCH_BYTES_MAX && !(after == UINT64_MAX);
         rc = s_step(a, txn, cur, from, 0, &pos, start, &k, &v)) {
        Vn__ApiNotification *item =
            k.mv_size == 8 ? agent__inbox_open(a, k.mv_data, v.mv_data, v.mv_size) : NULL;
        if (!item)
            vn_error("event=inbox-entry-unreadable seq=%llu action=skipped",
                     k.mv_size == 8 ? (unsigned long long)vn_get_be64(k.mv_data) : 0ULL);
        if (item && item->message_id.len == VN_MSGID_BYTES) {
            item->inbox_seq = vn_get_be64(k.mv_data);
            bytes += vn__api_notification__get_packed_size(item);
            list[n++] = item;
        } else if (item)
            vn__api_notification__free_unpacked(item, NULL);
    }
    mdb_cursor_close(cur);
    Vn__ApiInbox inbox = VN__API_INBOX__INIT;
    inbox.n_notifications = n;
    inbox.notifications = list;
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_INBOX;
    resp.inbox = &inbox;
    agent__read_end(a, txn, durable, routing, routing_len, &resp);
    for (size_t i = 0; i < n; i++)
        vn__api_notification__free_unpacked(list[i], NULL);
    free(list);
}

/* 1 if the inbox read through txn holds nothing after position after (0: nothing at all). */
static int s_inbox_empty(agent_t *a, MDB_txn *txn, uint64_t after)
{
    if (!txn || after == UINT64_MAX)
        return 1;
    MDB_cursor *cur;
    uint8_t start[8];
    vn_put_be64(start, after + 1);
    MDB_val k = {8, start}, v;
    int rc = mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_INBOX), &cur);
    if (rc == 0) {
        rc = mdb_cursor_get(cur, &k, &v, after ? MDB_SET_RANGE : MDB_FIRST);
        mdb_cursor_close(cur);
    }
    return rc != 0;
}

void agent__fetch(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiFetch *f)
{
    uint32_t max = f->max == 0 || f->max > 1000 ? 100 : f->max;
    int durable;
    MDB_txn *txn = agent__read_begin(a, &durable);
    if (f->wait_ms == 0 || (f->from_org && f->from_org[0]) ||
        !s_inbox_empty(a, txn, f->after_seq)) {
        s_answer_fetch(a, txn, durable, routing, routing_len, max, f->after_seq, f->from_org);
        return;
    }
    if (durable)
        mdb_txn_abort(txn);
    waiter_t *w = agent__waiter_add(&a->fetches, &a->n_fetches, routing, routing_len);
    if (w) {
        w->max = max;
        w->after_seq = f->after_seq;
        w->deadline_ms = vn_monotonic_ms() + (f->wait_ms > 600000 ? 600000 : f->wait_ms);
    }
}

/* Answer waiting fetches: all of them when mail arrived (now_ms 0), else those past deadline. */
void agent__fetch_wake(agent_t *a, uint64_t now_ms)
{
    for (size_t i = 0; i < a->n_fetches;) {
        waiter_t *w = &a->fetches[i];
        if (now_ms && w->deadline_ms > now_ms) {
            i++;
            continue;
        }
        int durable;
        MDB_txn *txn = agent__read_begin(a, &durable);
        s_answer_fetch(a, txn, durable, w->routing, w->routing_len, w->max, w->after_seq, NULL);
        *w = a->fetches[--a->n_fetches];
    }
}

void agent__ack(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiAck *ack)
{
    if (ack->message_id.len != VN_MSGID_BYTES) {
        agent__api_error(a, routing, routing_len, "invalid-message-id",
                         "a message id is 32 hexadecimal digits");
        return;
    }
    MDB_txn *txn = agent__txn(a);
    MDB_val ik = {VN_MSGID_BYTES, ack->message_id.data}, iv;
    if (!txn || mdb_get(txn, vn_store_dbi(a->db, ADB_INBOX_IDS), &ik, &iv) != 0 ||
        iv.mv_size != 8 || vn_get_be64(iv.mv_data) == 0 || vn_get_be64(iv.mv_data) == UINT64_MAX) {
        agent__api_error(a, routing, routing_len, "not-found",
                         "no unacknowledged notification with that id in the inbox");
        return;
    }
    uint8_t key[8], zero[8] = {0};
    memcpy(key, iv.mv_data, 8);
    MDB_val k = {8, key}, zv = {8, zero};
    (void)agent__inbox_sender_del(a, txn, key);
    (void)agent__del(a, txn, ADB_INBOX, &k);
    /* Keep the id (as 0) so a redelivery after this is still recognised. */
    (void)agent__put(a, txn, ADB_INBOX_IDS, &ik, &zv);
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_ACKED;
    resp.acked = 1;
    agent__reply_after_commit(a, routing, routing_len, &resp);
}
