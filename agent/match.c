/* match.c -- matches this organisation takes part in: the broker's match notices become inbox
 * items about our own cases (client_ref, BSN), acked after our commit; the IT system lists,
 * shows and coordinates matches through the broker. */
#include "agent.h"
#include "signal_waiter.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_vocab.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELD_MAX 64

/* A match notice that names a signal of ours whose registration is still being answered. */
typedef struct held_notice {
    uint8_t *data;            /* packed MatchNotice */
    size_t len;
} held_notice_t;

Vn__MatchInfo *agent__match_get(agent_t *a, const char *id)
{
    MDB_txn *txn = agent__txn(a);
    MDB_val k = {id ? strlen(id) : 0, (void *)id}, v;
    if (!txn || !id || !id[0] || mdb_get(txn, vn_store_dbi(a->db, ADB_MATCHES), &k, &v) != 0)
        return NULL;
    return vn__match_info__unpack(NULL, v.mv_size, v.mv_data);
}

/* Keep the newest view of a match (for match:ID and linking contact cards). */
static void s_match_put(agent_t *a, const Vn__MatchInfo *m)
{
    MDB_txn *txn = agent__txn(a);
    if (!txn || !vn_field_valid(m->id, 64))
        return;
    Vn__MatchInfo *old = agent__match_get(a, m->id);
    int stale = old && old->updated > m->updated;
    if (old)
        vn__match_info__free_unpacked(old, NULL);
    if (stale)
        return;
    size_t len = vn__match_info__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return;
    vn__match_info__pack(m, buf);
    MDB_val k = {strlen(m->id), m->id}, v = {len, buf};
    (void)agent__put(a, txn, ADB_MATCHES, &k, &v);
    free(buf);
}

static void s_case_free(Vn__ApiLocalCase *c)
{
    if (c->youth_bsn)
        sodium_memzero(c->youth_bsn, strlen(c->youth_bsn));
    free(c->youth_bsn);
    free(c->signal_id);
    free(c->category);
    free(c->client_ref.data);
    free(c);
}

void agent__cases_free(Vn__ApiLocalCase **cases, size_t n)
{
    for (size_t i = 0; cases && i < n; i++)
        s_case_free(cases[i]);
    free(cases);
}

/* The local case of our signal id, or NULL when we do not know it. */
static Vn__ApiLocalCase *s_case(agent_t *a, const char *id)
{
    Vn__ApiSignalInfo *info = agent__signal_get(a, id);
    Vn__ApiLocalCase *c = calloc(1, sizeof *c);
    if (!c) {
        if (info)
            vn__api_signal_info__free_unpacked(info, NULL);
        return NULL;
    }
    vn__api_local_case__init(c);
    c->signal_id = strdup(id);
    c->youth_bsn = strdup(info ? info->youth_bsn : "");
    c->category = strdup(info && info->record ? info->record->category : "");
    if (info && info->client_ref.len && (c->client_ref.data = malloc(info->client_ref.len))) {
        memcpy(c->client_ref.data, info->client_ref.data, info->client_ref.len);
        c->client_ref.len = info->client_ref.len;
    }
    if (info) {
        sodium_memzero(info->youth_bsn, strlen(info->youth_bsn));
        vn__api_signal_info__free_unpacked(info, NULL);
    }
    if (!c->signal_id || !c->youth_bsn || !c->category) {
        s_case_free(c);
        return NULL;
    }
    return c;
}

/* Cases for the given signal ids. */
static int s_cases(agent_t *a, char *const *ids, size_t n_ids, Vn__ApiLocalCase ***out, size_t *n)
{
    *out = calloc(n_ids + 1, sizeof **out);
    *n = 0;
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; i < n_ids; i++) {
        Vn__ApiLocalCase *c = s_case(a, ids[i]);
        if (c)
            (*out)[(*n)++] = c;
    }
    return 0;
}

int agent__cases_for_match(agent_t *a, const Vn__MatchInfo *m, Vn__ApiLocalCase ***out, size_t *n)
{
    char *ids[64];
    size_t n_ids = 0;
    for (size_t i = 0; i < m->n_participants && n_ids < 64; i++)
        if (strcmp(m->participants[i]->org, a->keys->pub.org) == 0)
            ids[n_ids++] = m->participants[i]->signal_id;
    return s_cases(a, ids, n_ids, out, n);
}

static void s_ack_notice(agent_t *a, const uint8_t id[16])
{
    Vn__MatchNoticeAck ack = VN__MATCH_NOTICE_ACK__INIT;
    ack.notice_id = (ProtobufCBinaryData){16, (uint8_t *)id};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_NOTICE_ACK;
    m.match_notice_ack = &ack;
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(&m, &buf, &len) == 0)
        agent__after_commit(a, 0, NULL, 0, buf, len); /* only once the inbox item is durable */
}

/* 1 if the notice names a signal of ours we do not know yet while a registration is pending. */
static int s_must_hold(agent_t *a, const Vn__MatchNotice *n)
{
    int pending = 0;
    for (size_t i = 0; i < a->n_signal_waiters; i++)
        pending |= a->signal_waiters[i].op == SW_SIGNAL_ADD;
    if (!pending)
        return 0;
    for (size_t i = 0; i < n->n_your_signal_ids; i++) {
        Vn__ApiSignalInfo *info = agent__signal_get(a, n->your_signal_ids[i]);
        if (!info)
            return 1;
        vn__api_signal_info__free_unpacked(info, NULL);
    }
    return 0;
}

static void s_hold(agent_t *a, const Vn__MatchNotice *n)
{
    held_notice_t *more = realloc(a->held, (a->n_held + 1) * sizeof *more);
    if (!more)
        return; /* not acked: the broker sends it again after the next hello */
    a->held = more;
    held_notice_t *h = &more[a->n_held];
    h->len = vn__match_notice__get_packed_size(n);
    if (!(h->data = malloc(h->len ? h->len : 1)))
        return;
    vn__match_notice__pack(n, h->data);
    a->n_held++;
}

static void s_notice(agent_t *a, const Vn__MatchNotice *n, int may_hold)
{
    if (n->notice_id.len != 16 || !n->match || !vn_field_valid(n->match->id, 64) ||
        !vn_field_valid(n->event, 64)) {
        vn_error("event=match-notice-invalid");
        return;
    }
    int seen = agent__inbox_seen(a, n->notice_id.data);
    if (seen == 1) {
        s_ack_notice(a, n->notice_id.data); /* again after a lost ack */
        return;
    }
    if (seen < 0)
        return;
    if (may_hold && a->n_held < HELD_MAX && s_must_hold(a, n)) {
        s_hold(a, n);
        return;
    }
    s_match_put(a, n->match);
    Vn__ApiMatchNotice mn = VN__API_MATCH_NOTICE__INIT;
    mn.event = n->event;
    mn.match = n->match;
    mn.audit_seq = n->audit_seq;
    Vn__ApiNotification item = VN__API_NOTIFICATION__INIT;
    item.message_id = n->notice_id;
    item.sender = "broker";
    item.category = "match-notice";
    item.match_id = n->match->id;
    item.match_notice = &mn;
    item.received = vn_now();
    Vn__ApiLocalCase **cases = NULL;
    size_t n_cases = 0;
    s_cases(a, n->your_signal_ids, n->n_your_signal_ids, &cases, &n_cases);
    item.n_cases = n_cases;
    item.cases = cases;
    int rc = agent__inbox_store(a, n->notice_id.data, &item);
    agent__cases_free(cases, n_cases);
    if (rc != 0) {
        vn_error("event=inbox-store-failed match=%s error=\"%s\"", n->match->id, vn_strerror(rc));
        return;
    }
    s_ack_notice(a, n->notice_id.data);
    vn_info("event=match-notice match=%s kind=%s notice=%s participants=%zu", n->match->id,
            n->match->kind, n->event, n->match->n_participants);
    /* Once professionals are matched, each agent sends its contact card, sealed to the others. */
    if (strcmp(n->event, "match") == 0 || strcmp(n->event, "new-signal") == 0)
        agent__send_contact_cards(a, n->match, n->your_signal_ids, n->n_your_signal_ids);
}

void agent__on_match_notice(agent_t *a, const Vn__MatchNotice *n)
{
    s_notice(a, n, 1);
}

void agent__match_release_held(agent_t *a, int all)
{
    if (a->n_held == 0)
        return;
    int pending = 0;
    for (size_t i = 0; i < a->n_signal_waiters; i++)
        pending |= a->signal_waiters[i].op == SW_SIGNAL_ADD;
    held_notice_t *list = a->held;
    size_t n = a->n_held;
    a->held = NULL;
    a->n_held = 0;
    for (size_t i = 0; i < n; i++) {
        Vn__MatchNotice *mn = vn__match_notice__unpack(NULL, list[i].len, list[i].data);
        if (mn) {
            s_notice(a, mn, !all && pending); /* held again only while a registration waits */
            vn__match_notice__free_unpacked(mn, NULL);
        }
        free(list[i].data);
    }
    free(list);
}

void agent__match_fini(agent_t *a)
{
    for (size_t i = 0; i < a->n_held; i++)
        free(a->held[i].data);
    free(a->held);
    a->held = NULL;
    a->n_held = 0;
    for (size_t i = 0; i < a->n_signal_waiters; i++)
        sodium_free(a->signal_waiters[i].pending);
    free(a->signal_waiters);
    a->signal_waiters = NULL;
    a->n_signal_waiters = 0;
    free(a->groups);
    a->groups = NULL;
    a->n_groups = 0;
    vn_vocab_destroy(&a->vocab);
}

/* ---- The IT system's match requests. */

void agent__match(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiMatch *m)
{
    Vn__MatchRequest req = VN__MATCH_REQUEST__INIT;
    Vn__MatchListReq list = VN__MATCH_LIST_REQ__INIT;
    const char *id = NULL;
    switch (m->op_case) {
    case VN__API_MATCH__OP_LIST:
        list.after = m->list->after;
        list.limit = m->list->limit;
        req.op_case = VN__MATCH_REQUEST__OP_LIST;
        req.list = &list;
        break;
    case VN__API_MATCH__OP_SHOW:
        req.op_case = VN__MATCH_REQUEST__OP_SHOW;
        req.show = m->show;
        id = m->show;
        break;
    case VN__API_MATCH__OP_HANDOVER:
        req.op_case = VN__MATCH_REQUEST__OP_HANDOVER;
        req.handover = m->handover;
        id = m->handover->match_id;
        if (!vn_org_id_valid(m->handover->to_org)) {
            agent__api_error(a, routing, routing_len, "invalid-field",
                             "hand over to an organisation id");
            return;
        }
        break;
    case VN__API_MATCH__OP_ACCEPT:
        req.op_case = VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER;
        req.accept_handover = m->accept;
        id = m->accept;
        break;
    case VN__API_MATCH__OP_AGREE:
        req.op_case = VN__MATCH_REQUEST__OP_AGREE;
        req.agree = m->agree;
        id = m->agree;
        break;
    default:
        agent__api_error(a, routing, routing_len, "malformed-request", "no match operation");
        return;
    }
    if (id && !vn_field_valid(id, 64)) {
        agent__api_error(a, routing, routing_len, "invalid-field", "no match id");
        return;
    }
    Vn__WireMessage w = VN__WIRE_MESSAGE__INIT;
    w.body_case = VN__WIRE_MESSAGE__BODY_MATCH_REQUEST;
    w.match_request = &req;
    agent__signal_send(a, routing, routing_len, SW_MATCH, &w, &req.request_id);
}

/* The contact cards we received for match id (and who sent each). */
static void s_cards(agent_t *a, const char *id, Vn__ApiMatchView *view)
{
    MDB_txn *txn = agent__txn(a);
    MDB_cursor *cur;
    if (!txn || mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_CARDS_IN), &cur) != 0)
        return;
    size_t idlen = strlen(id) + 1; /* keys: match id NUL sender NUL signal id */
    MDB_val k = {idlen, (void *)id}, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size > idlen && memcmp(k.mv_data, id, idlen) == 0 && view->n_cards < 64;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Vn__ContactCard *c = vn__contact_card__unpack(NULL, v.mv_size, v.mv_data);
        const char *sender = (const char *)k.mv_data + idlen;
        size_t slen = strnlen(sender, k.mv_size - idlen);
        char *s = strndup(sender, slen);
        Vn__ContactCard **cards = realloc(view->cards, (view->n_cards + 1) * sizeof *cards);
        char **senders = cards ? realloc(view->card_senders, (view->n_cards + 1) * sizeof *senders)
                               : NULL;
        if (cards)
            view->cards = cards;
        if (senders)
            view->card_senders = senders;
        if (!c || !s || !cards || !senders) {
            if (c)
                vn__contact_card__free_unpacked(c, NULL);
            free(s);
            break;
        }
        view->cards[view->n_cards] = c;
        view->card_senders[view->n_cards++] = s;
        view->n_card_senders = view->n_cards;
    }
    mdb_cursor_close(cur);
}

void agent__on_match_response(agent_t *a, const Vn__MatchResponse *resp)
{
    size_t i = agent__signal_waiter_find(a, &resp->request_id);
    if (i == a->n_signal_waiters || a->signal_waiters[i].op != SW_MATCH)
        return;
    signal_waiter_t *w = &a->signal_waiters[i];
    if (resp->code[0]) {
        agent__api_error_nl(a, w->w.routing, w->w.routing_len, resp->code, resp->reason,
                            resp->reason_nl);
        agent__signal_waiter_remove(a, i);
        return;
    }
    size_t n = resp->n_matches;
    Vn__ApiMatchView *views = calloc(n + 1, sizeof *views);
    Vn__ApiMatchView **ptrs = calloc(n + 1, sizeof *ptrs);
    for (size_t j = 0; views && ptrs && j < n; j++) {
        vn__api_match_view__init(&views[j]);
        views[j].match = resp->matches[j];
        s_match_put(a, resp->matches[j]);
        agent__cases_for_match(a, resp->matches[j], &views[j].cases, &views[j].n_cases);
        s_cards(a, resp->matches[j]->id, &views[j]);
        ptrs[j] = &views[j];
    }
    Vn__ApiMatchResult result = VN__API_MATCH_RESULT__INIT;
    result.n_matches = views && ptrs ? n : 0;
    result.matches = ptrs;
    result.audit_seq = resp->audit_seq;
    result.next = resp->next;
    Vn__ApiResponse out = VN__API_RESPONSE__INIT;
    out.body_case = VN__API_RESPONSE__BODY_MATCH;
    out.match = &result;
    agent__reply_after_commit(a, w->w.routing, w->w.routing_len, &out);
    for (size_t j = 0; views && ptrs && j < n; j++) {
        agent__cases_free(views[j].cases, views[j].n_cases);
        for (size_t c = 0; c < views[j].n_cards; c++) {
            vn__contact_card__free_unpacked(views[j].cards[c], NULL);
            free(views[j].card_senders[c]);
        }
        free(views[j].cards);
        free(views[j].card_senders);
    }
    free(views);
    free(ptrs);
    agent__signal_waiter_remove(a, i);
}
