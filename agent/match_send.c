/* match_send.c -- from match to conversation: the contact card each agent sends, sealed, to the
 * other participants once a match is found, and `match:ID` as a recipient, expanded to the
 * match's participants with one envelope each so the broker's policy decides per recipient. */
#include "agent.h"
#include "vn_content.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_KEY_MAX 200

/* A match:ID submit waiting for one verdict per participant. */
typedef struct match_group {
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t client_ref[64];
    size_t client_ref_len;
    uint64_t deadline_ms;
    size_t n, open;
    int repeated;   /* answered from a client_ref bound before (agent__match_repeat) */
    int as_outcome; /* answer as ApiResponse.outcome (an outcome query), not .submit */
    struct {
        char org[65];
        uint8_t msgid[VN_MSGID_BYTES];
        int outcome;          /* Vn__ApiSubmitResult__Outcome */
        uint64_t audit_seq;
        char code[64];
        char reason[256];
        char reason_nl[256];
        int waiting;
        int has_id;           /* an envelope was queued (msgid is set) */
    } r[VN_MAX_RECIPIENTS];
} match_group_t;

/* key = a NUL b NUL c; returns its length or 0 when too long. */
static size_t s_key3(char *key, const char *x, const char *y, const char *z)
{
    int n = snprintf(key, CARD_KEY_MAX, "%s%c%s%c%s", x, 0, y, 0, z);
    return n > 0 && n < CARD_KEY_MAX ? (size_t)n : 0;
}

/* The distinct other organisations of match m (active only, or all). */
static size_t s_others(const agent_t *a, const Vn__MatchInfo *m, int active_only, char **out,
                       size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_participants && n < max; i++) {
        const Vn__MatchParticipant *p = m->participants[i];
        if (strcmp(p->org, a->keys->pub.org) == 0 || (active_only && !p->active))
            continue;
        int dup = 0;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(out[j], p->org) == 0;
        if (!dup)
            out[n++] = p->org;
    }
    return n;
}

/* Seal the contact card of our signal `info` to `org` for match m. 0 or an error. */
static int s_send_card(agent_t *a, const Vn__MatchInfo *m, const Vn__ApiSignalInfo *info,
                       char *org)
{
    Vn__ContactCard card = VN__CONTACT_CARD__INIT;
    card.match_id = m->id;
    card.signal_id = info->record->id;
    card.name = info->contact->name;
    card.role = info->contact->role;
    card.phone = info->contact->phone;
    card.email = info->contact->email;
    card.signal_category = info->record->category;
    uint8_t body[2048];
    if (vn__contact_card__get_packed_size(&card) > sizeof body)
        return VN_E_TOO_LARGE;
    size_t body_len = vn__contact_card__pack(&card, body);
    Vn__ApiJustification just = VN__API_JUSTIFICATION__INIT, *jp = &just;
    just.key = "match-id";
    just.value = m->id;
    Vn__ApiSubmit s = VN__API_SUBMIT__INIT;
    s.anonymous = 1; /* the card names no child: the match id links it to the recipient's case */
    s.category = "contactkaart";
    s.basis = "signaal-match";
    s.n_justification = 1;
    s.justification = &jp;
    s.user_id = info->record->user_id[0] ? info->record->user_id : "vangnet-agent";
    s.user_role = info->record->user_role[0] ? info->record->user_role : "professional";
    s.content = (ProtobufCBinaryData){body_len, body};
    s.media_type = VN_CONTENT_MEDIA_CARD;
    uint8_t msgid[VN_MSGID_BYTES];
    const char *code;
    char msg[256];
    int rc = agent__seal_and_queue(a, &s, &org, 1, m->id, msgid, &code, msg, sizeof msg);
    sodium_memzero(body, sizeof body);
    if (rc != 0)
        vn_error("event=contact-card-failed match=%s to=%s code=%s error=\"%s\"", m->id, org,
                 code, msg);
    return rc;
}

void agent__send_contact_cards(agent_t *a, const Vn__MatchInfo *m, char *const *own, size_t n_own)
{
    MDB_txn *txn = agent__txn(a);
    char *others[64];
    size_t n_others = s_others(a, m, 1, others, 64);
    for (size_t i = 0; txn && i < n_own; i++) {
        Vn__ApiSignalInfo *info = agent__signal_get(a, own[i]);
        if (!info || !info->record || !info->contact) {
            vn_warn("event=contact-card-unknown-signal match=%s signal=%s", m->id, own[i]);
            if (info)
                vn__api_signal_info__free_unpacked(info, NULL);
            continue;
        }
        if (info->record->withdrawn) {
            vn__api_signal_info__free_unpacked(info, NULL);
            continue;
        }
        for (size_t j = 0; j < n_others; j++) {
            char key[CARD_KEY_MAX];
            size_t klen = s_key3(key, m->id, own[i], others[j]);
            MDB_val k = {klen, key}, v;
            if (!klen || mdb_get(txn, vn_store_dbi(a->db, ADB_CARDS_OUT), &k, &v) == 0)
                continue; /* sent before */
            if (s_send_card(a, m, info, others[j]) != 0)
                continue;
            uint8_t when[8];
            vn_put_be64(when, vn_now());
            MDB_val wv = {8, when};
            (void)agent__put(a, txn, ADB_CARDS_OUT, &k, &wv);
            vn_info("event=contact-card-sent match=%s signal=%s to=%s", m->id, own[i], others[j]);
        }
        sodium_memzero(info->youth_bsn, strlen(info->youth_bsn));
        vn__api_signal_info__free_unpacked(info, NULL);
    }
}

void agent__store_contact_card(agent_t *a, const char *sender, const Vn__ContactCard *card)
{
    MDB_txn *txn = agent__txn(a);
    char key[CARD_KEY_MAX];
    size_t klen = s_key3(key, card->match_id, sender, card->signal_id);
    uint8_t buf[2048];
    if (!txn || !klen || vn__contact_card__get_packed_size(card) > sizeof buf)
        return;
    MDB_val k = {klen, key}, v = {vn__contact_card__pack(card, buf), buf};
    (void)agent__put(a, txn, ADB_CARDS_IN, &k, &v);
}

/* ---- match:ID as a recipient. */

static void s_group_answer(agent_t *a, match_group_t *g)
{
    Vn__ApiSubmitResult rs[VN_MAX_RECIPIENTS], *ptrs[VN_MAX_RECIPIENTS];
    if (g->n == 0)
        return;
    Vn__ApiSubmitResult top = VN__API_SUBMIT_RESULT__INIT;
    int any_refused = 0, any_queued = 0;
    for (size_t i = 0; i < g->n; i++) {
        vn__api_submit_result__init(&rs[i]);
        rs[i].message_id = (ProtobufCBinaryData){g->r[i].has_id ? 16 : 0, g->r[i].msgid};
        rs[i].outcome = g->r[i].outcome;
        rs[i].audit_seq = g->r[i].audit_seq;
        rs[i].code = g->r[i].code;
        rs[i].reason = g->r[i].reason;
        rs[i].reason_nl = g->r[i].reason_nl;
        rs[i].recipient = g->r[i].org;
        ptrs[i] = &rs[i];
        any_refused |= rs[i].outcome == VN__API_SUBMIT_RESULT__OUTCOME__REFUSED;
        any_queued |= rs[i].outcome == VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
    }
    /* The whole: refused if any recipient was refused, queued if any is still open. */
    size_t first = 0;
    for (size_t i = 0; i < g->n; i++)
        if (rs[i].outcome == VN__API_SUBMIT_RESULT__OUTCOME__REFUSED) {
            first = i;
            break;
        }
    top = g->n ? rs[first] : top;
    top.recipient = "";
    top.outcome = any_refused  ? VN__API_SUBMIT_RESULT__OUTCOME__REFUSED
                  : any_queued ? VN__API_SUBMIT_RESULT__OUTCOME__QUEUED
                               : VN__API_SUBMIT_RESULT__OUTCOME__ACCEPTED;
    top.client_ref = (ProtobufCBinaryData){g->client_ref_len, g->client_ref};
    top.repeated = g->repeated;
    top.n_per_recipient = g->n;
    top.per_recipient = ptrs;
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    if (g->as_outcome) {
        resp.body_case = VN__API_RESPONSE__BODY_OUTCOME;
        resp.outcome = &top;
    } else {
        resp.body_case = VN__API_RESPONSE__BODY_SUBMIT;
        resp.submit = &top;
    }
    /* Verdicts are durable at the broker already: answer now, like single submits. */
    agent__reply_now(a, g->routing, g->routing_len, &resp);
}

/* Bind the fan-out's client_ref once, to its participants and their message ids (a zero id: refused
 * here, not in the directory), in this turn's transaction. A failed write fails the turn. */
static int s_bind_group(agent_t *a, const Vn__ApiSubmit *s, const match_group_t *g)
{
    uint8_t entries[VN_MAX_RECIPIENTS * AGENT_GROUP_ENTRY];
    memset(entries, 0, sizeof entries);
    for (size_t i = 0; i < g->n; i++) {
        uint8_t *e = entries + i * AGENT_GROUP_ENTRY;
        if (g->r[i].has_id)
            memcpy(e, g->r[i].msgid, VN_MSGID_BYTES);
        memcpy(e + VN_MSGID_BYTES, g->r[i].org, strnlen(g->r[i].org, 64));
    }
    int rc = agent__client_ref_bind_group(a, s, entries, g->n);
    if (rc != 0 && !a->batch_error)
        a->batch_error = rc;
    return rc;
}

void agent__match_repeat(agent_t *a, const uint8_t *routing, size_t routing_len,
                         const uint8_t *client_ref, size_t client_ref_len, const uint8_t *entries,
                         size_t n, uint32_t wait_ms, int as_outcome)
{
    match_group_t *g = calloc(1, sizeof *g);
    if (!g || n == 0 || n > VN_MAX_RECIPIENTS || client_ref_len > 64) {
        free(g);
        agent__api_error(a, routing, routing_len, "storage-error", "client_ref record unreadable");
        return;
    }
    memcpy(g->routing, routing, routing_len);
    g->routing_len = routing_len;
    memcpy(g->client_ref, client_ref, client_ref_len);
    g->client_ref_len = client_ref_len;
    g->repeated = 1;
    g->as_outcome = as_outcome;
    g->n = n;
    static const uint8_t none[VN_MSGID_BYTES];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = entries + i * AGENT_GROUP_ENTRY;
        snprintf(g->r[i].org, sizeof g->r[i].org, "%.64s", (const char *)e + VN_MSGID_BYTES);
        if (memcmp(e, none, VN_MSGID_BYTES) == 0) { /* refused here the first time */
            g->r[i].outcome = VN__API_SUBMIT_RESULT__OUTCOME__REFUSED;
            snprintf(g->r[i].code, sizeof g->r[i].code, "unknown-recipient");
            snprintf(g->r[i].reason, sizeof g->r[i].reason,
                     "participant %s was not in the directory or was revoked at the first submit",
                     g->r[i].org);
            continue;
        }
        memcpy(g->r[i].msgid, e, VN_MSGID_BYTES);
        g->r[i].has_id = 1;
        Vn__ApiSubmitResult *stored = agent__result_get(a, g->r[i].msgid);
        if (!stored) {
            g->r[i].outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
            snprintf(g->r[i].code, sizeof g->r[i].code, "storage-error");
            snprintf(g->r[i].reason, sizeof g->r[i].reason, "this envelope's outcome is missing");
            continue;
        }
        g->r[i].outcome = stored->outcome;
        g->r[i].audit_seq = stored->audit_seq;
        snprintf(g->r[i].code, sizeof g->r[i].code, "%s", stored->code ? stored->code : "");
        snprintf(g->r[i].reason, sizeof g->r[i].reason, "%s", stored->reason ? stored->reason : "");
        snprintf(g->r[i].reason_nl, sizeof g->r[i].reason_nl, "%s",
                 stored->reason_nl ? stored->reason_nl : "");
        if (stored->outcome == VN__API_SUBMIT_RESULT__OUTCOME__QUEUED && wait_ms) {
            g->r[i].waiting = 1; /* still in the outbox: settled when the broker answers */
            g->open++;
        }
        vn__api_submit_result__free_unpacked(stored, NULL);
    }
    /* Answered after this turn's commit when nothing is waited for, else when the last verdict
     * arrives or the wait runs out (agent__match_submit_timeouts). */
    g->deadline_ms = g->open ? vn_monotonic_ms() + (wait_ms > 600000 ? 600000 : wait_ms) : 0;
    match_group_t *more = realloc(a->groups, (a->n_groups + 1) * sizeof *more);
    if (!more) {
        free(g);
        agent__api_error(a, routing, routing_len, "out-of-memory", "no memory");
        return;
    }
    a->groups = more;
    a->groups[a->n_groups++] = *g;
    free(g);
}

void agent__match_submit(agent_t *a, const uint8_t *routing, size_t routing_len,
                         const Vn__ApiSubmit *s)
{
    const char *id = s->to[0] + 6;
    Vn__MatchInfo *m = vn_field_valid(id, 64) ? agent__match_get(a, id) : NULL;
    if (!m) {
        agent__api_error(a, routing, routing_len, "unknown-match",
                         "no match with that id that this organisation takes part in");
        return;
    }
    if (!agent__vocab_allows(a, "category", s->category)) {
        vn__match_info__free_unpacked(m, NULL);
        agent__api_error(a, routing, routing_len, "unknown-term",
                         "the category is not in the signed vocabulary");
        return;
    }
    char *others[VN_MAX_RECIPIENTS];
    size_t n = s_others(a, m, 0, others, VN_MAX_RECIPIENTS);
    if (n == 0) {
        vn__match_info__free_unpacked(m, NULL);
        agent__api_error(a, routing, routing_len, "invalid-recipients",
                         "the match has no other participants");
        return;
    }
    match_group_t *g = calloc(1, sizeof *g);
    if (!g) {
        vn__match_info__free_unpacked(m, NULL);
        agent__api_error(a, routing, routing_len, "out-of-memory", "no memory");
        return;
    }
    memcpy(g->routing, routing, routing_len);
    g->routing_len = routing_len;
    if (s->client_ref.len && s->client_ref.len <= 64) { /* (longer ones are refused below) */
        memcpy(g->client_ref, s->client_ref.data, s->client_ref.len);
        g->client_ref_len = s->client_ref.len;
    }
    g->deadline_ms = vn_monotonic_ms() + (s->wait_ms > 600000 ? 600000 : s->wait_ms);
    size_t queued = 0;
    for (size_t i = 0; i < n; i++) {
        const char *code = NULL;
        char msg[256];
        snprintf(g->r[i].org, sizeof g->r[i].org, "%s", others[i]);
        g->n = i + 1;
        const Vn__OrgEntry *o = agent__directory_find(a, others[i]);
        if (!o || o->revoked) { /* left the directory: refused here, the others still go */
            g->r[i].outcome = VN__API_SUBMIT_RESULT__OUTCOME__REFUSED;
            snprintf(g->r[i].code, sizeof g->r[i].code, "unknown-recipient");
            snprintf(g->r[i].reason, sizeof g->r[i].reason, "participant %s is %s", others[i],
                     o ? "revoked" : "not in the directory");
            continue;
        }
        if (agent__seal_and_queue(a, s, &others[i], 1, m->id, g->r[i].msgid, &code, msg,
                                  sizeof msg) != 0) {
            /* The request itself is wrong (then nothing was queued: the checks do not depend
             * on the recipient), or storage failed, which fails this turn's batch as a whole. */
            agent__api_error(a, routing, routing_len, code, msg);
            free(g);
            vn__match_info__free_unpacked(m, NULL);
            return;
        }
        g->r[i].outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
        g->r[i].waiting = g->r[i].has_id = 1;
        g->open++;
        queued++;
    }
    if (g->client_ref_len && s_bind_group(a, s, g) != 0) {
        agent__api_error(a, routing, routing_len, "storage-error", "client_ref not stored");
        free(g);
        vn__match_info__free_unpacked(m, NULL);
        return;
    }
    vn_info("event=match-fanout match=%s recipients=%zu queued=%zu", m->id, n, queued);
    vn__match_info__free_unpacked(m, NULL);
    if (s->wait_ms == 0 || g->open == 0) {
        /* Answered after this turn's commit, like a single submit without waiting. */
        g->deadline_ms = 0;
    }
    match_group_t *more = realloc(a->groups, (a->n_groups + 1) * sizeof *more);
    if (!more) {
        free(g);
        return;
    }
    a->groups = more;
    a->groups[a->n_groups++] = *g;
    free(g);
}

int agent__match_submit_settled(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES],
                                const Vn__ApiSubmitResult *r)
{
    /* Every group waiting for msgid: a repeat under the same client_ref waits for the same
     * envelopes as the submit it repeats. Downwards, as a finished group is swapped out. */
    int settled = 0;
    for (size_t i = a->n_groups; i-- > 0;) {
        match_group_t *g = &a->groups[i];
        for (size_t j = 0; j < g->n; j++) {
            if (!g->r[j].waiting || memcmp(g->r[j].msgid, msgid, VN_MSGID_BYTES) != 0)
                continue;
            settled = 1;
            g->r[j].waiting = 0;
            g->r[j].outcome = r->outcome;
            g->r[j].audit_seq = r->audit_seq;
            snprintf(g->r[j].code, sizeof g->r[j].code, "%s", r->code ? r->code : "");
            snprintf(g->r[j].reason, sizeof g->r[j].reason, "%s", r->reason ? r->reason : "");
            snprintf(g->r[j].reason_nl, sizeof g->r[j].reason_nl, "%s",
                     r->reason_nl ? r->reason_nl : "");
            if (--g->open == 0) {
                s_group_answer(a, g);
                a->groups[i] = a->groups[--a->n_groups];
            }
            break; /* an envelope is in a group once */
        }
    }
    return settled;
}

void agent__match_submit_timeouts(agent_t *a, uint64_t now_ms)
{
    for (size_t i = 0; i < a->n_groups;) {
        if (a->groups[i].deadline_ms > now_ms) {
            i++;
            continue;
        }
        s_group_answer(a, &a->groups[i]); /* what is still open is reported as queued */
        a->groups[i] = a->groups[--a->n_groups];
    }
}
