/* signal.c -- the IT system's signals: checked and pseudonymised here, registered, withdrawn and
 * listed at the broker; the local case of each (client_ref, the youth's BSN, the contact card)
 * stays in the agent's store and is joined back onto every answer. */
#include "agent.h"
#include "signal_waiter.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNAL_WAIT_MS 10000
#define MAX_PARENTS 4
#define CONTACT_MAX 200

/* Check an add request. NULL (ok) or a code, with msg. */
static const char *s_check_add(const agent_t *a, const Vn__ApiSignalAdd *s, char *msg, size_t len)
{
    int rc = vn_bsn_validate(s->youth_bsn);
    if (rc != 0) {
        snprintf(msg, len, "youth: %s", vn_strerror(rc));
        return "invalid-bsn";
    }
    if (s->n_parent_bsns > MAX_PARENTS) {
        snprintf(msg, len, "at most %d parents or carers", MAX_PARENTS);
        return "invalid-field";
    }
    for (size_t i = 0; i < s->n_parent_bsns; i++) {
        if ((rc = vn_bsn_validate(s->parent_bsns[i])) != 0) {
            snprintf(msg, len, "parent %zu: %s", i + 1, vn_strerror(rc));
            return "invalid-bsn";
        }
        if (strcmp(s->parent_bsns[i], s->youth_bsn) == 0) {
            snprintf(msg, len, "parent %zu is the youth", i + 1);
            return "invalid-field";
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->parent_bsns[i], s->parent_bsns[j]) == 0) {
                snprintf(msg, len, "parent %zu is listed twice", i + 1);
                return "invalid-field";
            }
    }
    const char *fields[][2] = {{"category", s->category}, {"user id", s->user_id},
                               {"user role", s->user_role}};
    for (size_t i = 0; i < 3; i++)
        if (!vn_field_valid(fields[i][1], 128)) {
            snprintf(msg, len, "%s is missing or invalid", fields[i][0]);
            return "invalid-field";
        }
    if (!agent__vocab_allows(a, "signal-category", s->category)) {
        snprintf(msg, len, "signal category '%.64s' is not in the signed vocabulary", s->category);
        return "unknown-term";
    }
    if (s->n_informed == 0 || s->n_informed > 2) {
        snprintf(msg, len, "say who was told: ouders, jongere, both, or niet with a reason");
        return "invalid-field";
    }
    for (size_t i = 0; i < s->n_informed; i++) {
        const char *w = s->informed[i];
        if (strcmp(w, "ouders") != 0 && strcmp(w, "jongere") != 0 && strcmp(w, "niet") != 0) {
            snprintf(msg, len, "informed '%.32s' is not ouders, jongere or niet", w);
            return "invalid-field";
        }
        if (strcmp(w, "niet") == 0 && s->n_informed != 1) {
            snprintf(msg, len, "niet excludes ouders and jongere");
            return "invalid-field";
        }
    }
    if (strcmp(s->informed[0], "niet") == 0 && !vn_field_valid(s->not_informed_reason, 500)) {
        snprintf(msg, len, "niet needs the reason nobody was told (at most 500 bytes)");
        return "invalid-field";
    }
    if (s->client_ref.len > 64) {
        snprintf(msg, len, "client_ref is longer than 64 bytes");
        return "invalid-field";
    }
    const Vn__ApiContact *c = s->contact;
    if (!c || !vn_field_valid(c->name, CONTACT_MAX) ||
        (!vn_field_valid(c->phone, CONTACT_MAX) && !vn_field_valid(c->email, CONTACT_MAX)) ||
        (c->role[0] && !vn_field_valid(c->role, CONTACT_MAX)) ||
        (c->phone[0] && !vn_field_valid(c->phone, CONTACT_MAX)) ||
        (c->email[0] && !vn_field_valid(c->email, CONTACT_MAX))) {
        snprintf(msg, len, "the contact needs a name and a phone number or e-mail address "
                           "(each at most %d bytes)", CONTACT_MAX);
        return "invalid-contact";
    }
    uint64_t now = vn_now();
    if (s->signal_date > now + 300) { /* the broker's clock skew allowance */
        snprintf(msg, len, "the signal date lies in the future");
        return "invalid-field";
    }
    return NULL;
}

static signal_waiter_t *s_waiter_add(agent_t *a, const uint8_t *routing, size_t routing_len,
                                     int op, const uint8_t id[16])
{
    signal_waiter_t *more = realloc(a->signal_waiters, (a->n_signal_waiters + 1) * sizeof *more);
    if (!more)
        return NULL;
    a->signal_waiters = more;
    signal_waiter_t *w = &more[a->n_signal_waiters++];
    memset(w, 0, sizeof *w);
    memcpy(w->w.routing, routing, routing_len);
    w->w.routing_len = routing_len;
    memcpy(w->w.msgid, id, VN_MSGID_BYTES);
    w->w.deadline_ms = vn_monotonic_ms() + SIGNAL_WAIT_MS;
    w->op = op;
    return w;
}

size_t agent__signal_waiter_find(const agent_t *a, const ProtobufCBinaryData *request_id)
{
    size_t i = 0;
    for (; request_id->len == 16 && i < a->n_signal_waiters; i++)
        if (memcmp(a->signal_waiters[i].w.msgid, request_id->data, VN_MSGID_BYTES) == 0)
            return i;
    return a->n_signal_waiters;
}

void agent__signal_waiter_remove(agent_t *a, size_t i)
{
    sodium_free(a->signal_waiters[i].pending);
    a->signal_waiters[i] = a->signal_waiters[--a->n_signal_waiters];
}

signal_waiter_t *agent__signal_send(agent_t *a, const uint8_t *routing, size_t routing_len,
                                    int op, Vn__WireMessage *m, ProtobufCBinaryData *request_id)
{
    if (!a->connected) {
        agent__api_error(a, routing, routing_len, "broker-unreachable",
                         "signals and matches live at the broker, which is not reachable now");
        return NULL;
    }
    uint8_t id[16];
    randombytes_buf(id, sizeof id);
    *request_id = (ProtobufCBinaryData){16, id};
    if (agent__send_broker(a, m) != 0) {
        agent__api_error(a, routing, routing_len, "broker-unreachable", "could not send");
        return NULL;
    }
    signal_waiter_t *w = s_waiter_add(a, routing, routing_len, op, id);
    if (!w)
        agent__api_error(a, routing, routing_len, "out-of-memory", "no memory for the request");
    return w;
}

/* Register: pseudonymise youth and parents, keep the local case until the broker's answer. */
static void s_add(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSignalAdd *s)
{
    char msg[400];
    const char *code = s_check_add(a, s, msg, sizeof msg);
    if (code) {
        agent__api_error(a, routing, routing_len, code, msg);
        return;
    }
    uint8_t youth[32], parents[MAX_PARENTS][32], all[MAX_PARENTS + 1][32];
    ProtobufCBinaryData parent_bin[MAX_PARENTS];
    const char *bsns[MAX_PARENTS + 1];
    bsns[0] = s->youth_bsn; /* youth and parents in one request to the pseudonym service */
    for (size_t i = 0; i < s->n_parent_bsns; i++)
        bsns[1 + i] = s->parent_bsns[i];
    if (agent__pseudonyms(a, "signal", bsns, 1 + s->n_parent_bsns, all, &code, msg,
                          sizeof msg) != 0) {
        agent__api_error(a, routing, routing_len, code, msg);
        return;
    }
    memcpy(youth, all[0], 32);
    for (size_t i = 0; i < s->n_parent_bsns; i++) {
        memcpy(parents[i], all[1 + i], 32);
        parent_bin[i] = (ProtobufCBinaryData){32, parents[i]};
    }
    sodium_memzero(all, sizeof all);
    Vn__SignalRecord rec = VN__SIGNAL_RECORD__INIT;
    rec.version = 1;
    rec.youth_pseudonym = (ProtobufCBinaryData){32, youth};
    rec.pseudonym_version = a->pseudonyms_v1 ? 1 : 2;
    rec.n_parent_pseudonyms = s->n_parent_bsns;
    rec.parent_pseudonyms = parent_bin;
    rec.category = s->category;
    rec.signal_date = s->signal_date ? s->signal_date : vn_now();
    rec.active_until = s->active_until; /* 0: the policy's maximum, set by the broker */
    rec.n_informed = s->n_informed;
    rec.informed = s->informed;
    rec.not_informed_reason = s->not_informed_reason;
    rec.youth_age = s->youth_age;
    rec.user_id = s->user_id;
    rec.user_role = s->user_role;
    Vn__SignalRequest req = VN__SIGNAL_REQUEST__INIT;
    req.op_case = VN__SIGNAL_REQUEST__OP_ADD;
    req.add = &rec;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST;
    m.signal_request = &req;
    signal_waiter_t *w = agent__signal_send(a, routing, routing_len, SW_SIGNAL_ADD, &m,
                                            &req.request_id);
    if (w) {
        /* The local case, kept (in guarded memory: it holds BSNs) until the broker names the id. */
        Vn__ApiSignalInfo info = VN__API_SIGNAL_INFO__INIT;
        info.record = &rec;
        info.client_ref = s->client_ref;
        info.youth_bsn = s->youth_bsn;
        info.contact = s->contact;
        w->pending_len = vn__api_signal_info__get_packed_size(&info);
        w->pending = sodium_malloc(w->pending_len ? w->pending_len : 1);
        if (w->pending)
            vn__api_signal_info__pack(&info, w->pending);
        else
            w->pending_len = 0;
    }
    sodium_memzero(youth, sizeof youth);
    sodium_memzero(parents, sizeof parents);
}

void agent__signal(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSignal *s)
{
    Vn__SignalRequest req = VN__SIGNAL_REQUEST__INIT;
    Vn__SignalList list = VN__SIGNAL_LIST__INIT;
    uint8_t youth[32];
    int op;
    switch (s->op_case) {
    case VN__API_SIGNAL__OP_ADD: s_add(a, routing, routing_len, s->add); return;
    case VN__API_SIGNAL__OP_WITHDRAW:
        if (!vn_field_valid(s->withdraw, 64)) {
            agent__api_error(a, routing, routing_len, "invalid-field", "no signal id");
            return;
        }
        req.op_case = VN__SIGNAL_REQUEST__OP_WITHDRAW;
        req.withdraw = s->withdraw;
        op = SW_SIGNAL_WITHDRAW;
        break;
    case VN__API_SIGNAL__OP_LIST:
        if (s->list->youth_bsn[0]) {
            const char *code = NULL;
            char msg[400];
            if (agent__pseudonym(a, "signal", s->list->youth_bsn, youth, &code, msg,
                                 sizeof msg) != 0) {
                agent__api_error(a, routing, routing_len, code, msg);
                return;
            }
            list.youth_pseudonym = (ProtobufCBinaryData){32, youth};
        }
        list.after = s->list->after;
        list.limit = s->list->limit;
        req.op_case = VN__SIGNAL_REQUEST__OP_LIST;
        req.list = &list;
        op = SW_SIGNAL_LIST;
        break;
    default:
        agent__api_error(a, routing, routing_len, "malformed-request", "no signal operation");
        return;
    }
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST;
    m.signal_request = &req;
    agent__signal_send(a, routing, routing_len, op, &m, &req.request_id);
    sodium_memzero(youth, sizeof youth);
}

Vn__ApiSignalInfo *agent__signal_get(agent_t *a, const char *id)
{
    MDB_txn *txn = agent__txn(a);
    MDB_val k = {strlen(id), (void *)id}, v;
    if (!txn || !id[0] || mdb_get(txn, vn_store_dbi(a->db, ADB_SIGNALS), &k, &v) != 0)
        return NULL;
    return vn__api_signal_info__unpack(NULL, v.mv_size, v.mv_data);
}

static int s_signal_put(agent_t *a, const Vn__ApiSignalInfo *info)
{
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return VN_E_STORE;
    size_t len = vn__api_signal_info__get_packed_size(info);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    vn__api_signal_info__pack(info, buf);
    MDB_val k = {strlen(info->record->id), info->record->id}, v = {len, buf};
    int rc = vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_SIGNALS), &k, &v, 0));
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

/* The answer for the IT system: each broker record joined with our local case. */
static void s_answer(agent_t *a, signal_waiter_t *w, const Vn__SignalResponse *resp)
{
    size_t n = resp->n_records;
    Vn__ApiSignalInfo **infos = calloc(n + 1, sizeof *infos);
    Vn__ApiSignalInfo *bare = calloc(n + 1, sizeof *bare);
    Vn__ApiSignalInfo **stored = calloc(n + 1, sizeof *stored);
    Vn__SignalRecord **olds = calloc(n + 1, sizeof *olds);
    if (!infos || !bare || !stored || !olds) {
        agent__api_error(a, w->w.routing, w->w.routing_len, "out-of-memory", "no memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        Vn__SignalRecord *rec = resp->records[i];
        if (w->op == SW_SIGNAL_ADD && i == 0 && w->pending)
            stored[i] = vn__api_signal_info__unpack(NULL, w->pending_len, w->pending);
        else
            stored[i] = agent__signal_get(a, rec->id);
        if (stored[i]) {
            /* The broker's record is the truth about the signal; ours adds the local case. */
            olds[i] = stored[i]->record;
            stored[i]->record = rec; /* borrowed from resp until the end of this function */
            if (s_signal_put(a, stored[i]) != 0)
                vn_error("event=signal-case-not-stored signal=%s", rec->id);
            infos[i] = stored[i];
        } else {
            vn__api_signal_info__init(&bare[i]);
            bare[i].record = rec;
            infos[i] = &bare[i];
        }
    }
    Vn__ApiSignalResult result = VN__API_SIGNAL_RESULT__INIT;
    result.n_signals = n;
    result.signals = infos;
    result.audit_seq = resp->audit_seq;
    result.next = resp->next;
    Vn__ApiResponse out = VN__API_RESPONSE__INIT;
    out.body_case = VN__API_RESPONSE__BODY_SIGNAL;
    out.signal = &result;
    agent__reply_after_commit(a, w->w.routing, w->w.routing_len, &out);
    if (w->op == SW_SIGNAL_ADD && n == 1)
        vn_info("event=signal-registered signal=%s", resp->records[0]->id);
done:
    for (size_t i = 0; stored && i < n; i++)
        if (stored[i]) {
            stored[i]->record = olds[i];
            if (stored[i]->youth_bsn)
                sodium_memzero(stored[i]->youth_bsn, strlen(stored[i]->youth_bsn));
            vn__api_signal_info__free_unpacked(stored[i], NULL);
        }
    free(infos);
    free(bare);
    free(stored);
    free(olds);
}

void agent__on_signal_response(agent_t *a, const Vn__SignalResponse *resp)
{
    size_t i = agent__signal_waiter_find(a, &resp->request_id);
    if (i == a->n_signal_waiters || a->signal_waiters[i].op > SW_SIGNAL_LIST)
        return; /* the IT system stopped waiting */
    signal_waiter_t *w = &a->signal_waiters[i];
    if (resp->code[0])
        agent__api_error_nl(a, w->w.routing, w->w.routing_len, resp->code, resp->reason,
                            resp->reason_nl);
    else
        s_answer(a, w, resp);
    agent__signal_waiter_remove(a, i);
    agent__match_release_held(a, 0);
}

void agent__signal_timeouts(agent_t *a, uint64_t now_ms)
{
    for (size_t i = 0; i < a->n_signal_waiters;) {
        signal_waiter_t *w = &a->signal_waiters[i];
        if (w->w.deadline_ms > now_ms) {
            i++;
            continue;
        }
        agent__api_error(a, w->w.routing, w->w.routing_len, "timeout",
                         "no answer from the broker");
        agent__signal_waiter_remove(a, i);
    }
    agent__match_release_held(a, 0);
    agent__match_submit_timeouts(a, now_ms);
}
