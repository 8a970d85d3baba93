/* vn_client_signal.c -- the client library's signals, matches and vocabulary calls. */
#include "vn_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_util.h"

#define SIGNAL_WAIT_MS 10000

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void client__case_copy(vn_client_case_t *out, const Vn__ApiLocalCase *c)
{
    memset(out, 0, sizeof *out);
    COPY(out->signal_id, c->signal_id);
    COPY(out->youth_bsn, c->youth_bsn);
    COPY(out->category, c->category);
    out->client_ref_len = c->client_ref.len > 64 ? 64 : c->client_ref.len;
    if (out->client_ref_len)
        memcpy(out->client_ref, c->client_ref.data, out->client_ref_len);
}

void client__card_copy(vn_client_card_t *out, const Vn__ContactCard *c, const char *sender)
{
    memset(out, 0, sizeof *out);
    COPY(out->sender, sender);
    COPY(out->match_id, c->match_id);
    COPY(out->signal_id, c->signal_id);
    COPY(out->signal_category, c->signal_category);
    COPY(out->name, c->name);
    COPY(out->role, c->role);
    COPY(out->phone, c->phone);
    COPY(out->email, c->email);
}

void client__match_clear(vn_client_match_t *m)
{
    free(m->participants);
    if (m->cases)
        memset(m->cases, 0, m->n_cases * sizeof *m->cases);
    free(m->cases);
    free(m->cards);
    memset(m, 0, sizeof *m);
}

int client__match_fill(vn_client_match_t *out, const Vn__MatchInfo *m,
                       Vn__ApiLocalCase *const *cases, size_t n_cases,
                       Vn__ContactCard *const *cards, char *const *senders, size_t n_cards)
{
    memset(out, 0, sizeof *out);
    COPY(out->id, m->id);
    COPY(out->kind, m->kind);
    COPY(out->coordinator, m->coordinator);
    COPY(out->handover_to, m->handover_to);
    out->agreed = m->agreed;
    out->coordinator_by_handover = m->coordinator_by_handover;
    out->created = m->created;
    out->updated = m->updated;
    out->participants = calloc(m->n_participants + 1, sizeof *out->participants);
    out->cases = calloc(n_cases + 1, sizeof *out->cases);
    out->cards = calloc(n_cards + 1, sizeof *out->cards);
    if (!out->participants || !out->cases || !out->cards) {
        client__match_clear(out);
        return -1;
    }
    for (size_t i = 0; i < m->n_participants; i++) {
        const Vn__MatchParticipant *p = m->participants[i];
        vn_client_participant_t *q = &out->participants[i];
        COPY(q->org, p->org);
        COPY(q->sector, p->sector);
        COPY(q->signal_id, p->signal_id);
        COPY(q->category, p->category);
        q->signal_date = p->signal_date;
        q->active = p->active;
        q->registered = p->registered;
    }
    out->n_participants = m->n_participants;
    for (size_t i = 0; i < n_cases; i++)
        client__case_copy(&out->cases[i], cases[i]);
    out->n_cases = n_cases;
    for (size_t i = 0; i < n_cards; i++)
        client__card_copy(&out->cards[i], cards[i], senders[i]);
    out->n_cards = n_cards;
    return 0;
}

/* ---- Signals. */

static void s_signal_copy(vn_client_signal_record_t *out, const Vn__ApiSignalInfo *s)
{
    memset(out, 0, sizeof *out);
    const Vn__SignalRecord *r = s->record;
    if (r) {
        COPY(out->id, r->id);
        COPY(out->owner, r->owner);
        COPY(out->category, r->category);
        if (r->youth_pseudonym.len == 32)
            vn_hex(out->youth_pseudonym, r->youth_pseudonym.data, 32);
        out->n_parents = r->n_parent_pseudonyms;
        out->signal_date = r->signal_date;
        out->active_until = r->active_until;
        out->registered = r->registered;
        out->withdrawn = r->withdrawn;
        out->delete_after = r->delete_after;
        for (size_t i = 0; i < r->n_informed; i++)
            snprintf(out->informed + strlen(out->informed),
                     sizeof out->informed - strlen(out->informed), "%s%s", i ? "," : "",
                     r->informed[i]);
        out->youth_age = r->youth_age;
    }
    COPY(out->youth_bsn, s->youth_bsn);
    out->client_ref_len = s->client_ref.len > 64 ? 64 : s->client_ref.len;
    if (out->client_ref_len)
        memcpy(out->client_ref, s->client_ref.data, out->client_ref_len);
    if (s->contact)
        COPY(out->contact_name, s->contact->name);
}

static int s_signal_call(vn_client_t *c, Vn__ApiSignal *op, Vn__ApiResponse **resp)
{
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_SIGNAL;
    req.signal = op;
    int rc = client__call(c, &req, SIGNAL_WAIT_MS, resp);
    return rc ? rc : client__expect(c, *resp, VN__API_RESPONSE__BODY_SIGNAL);
}

static int s_signal_one(vn_client_t *c, Vn__ApiSignal *op, vn_client_signal_record_t *out)
{
    Vn__ApiResponse *resp;
    int rc = s_signal_call(c, op, &resp);
    if (rc != 0)
        return rc;
    if (resp->signal->n_signals != 1) {
        vn__api_response__free_unpacked(resp, NULL);
        return client__fail(c, VN_CLIENT_E_PROTOCOL, "", "%s", "unexpected answer from the agent");
    }
    s_signal_copy(out, resp->signal->signals[0]);
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

int vn_client_signal_add(vn_client_t *self, const vn_client_signal_t *s,
                         vn_client_signal_record_t *out)
{
    if (!s || !s->youth_bsn || !s->category || s->n_informed == 0 || s->n_parents > 4 ||
        (s->n_parents && !s->parent_bsns) || s->client_ref_len > 64 || !s->contact_name)
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s",
                            "incomplete signal (youth, category, informed and contact needed)");
    Vn__ApiContact contact = VN__API_CONTACT__INIT;
    contact.name = (char *)s->contact_name;
    if (s->contact_role)
        contact.role = (char *)s->contact_role;
    if (s->contact_phone)
        contact.phone = (char *)s->contact_phone;
    if (s->contact_email)
        contact.email = (char *)s->contact_email;
    Vn__ApiSignalAdd add = VN__API_SIGNAL_ADD__INIT;
    add.youth_bsn = (char *)s->youth_bsn;
    add.n_parent_bsns = s->n_parents;
    add.parent_bsns = (char **)s->parent_bsns;
    add.category = (char *)s->category;
    add.signal_date = s->signal_date;
    add.active_until = s->active_until;
    add.n_informed = s->n_informed;
    add.informed = (char **)s->informed;
    if (s->not_informed_reason)
        add.not_informed_reason = (char *)s->not_informed_reason;
    add.youth_age = s->youth_age;
    add.user_id = (char *)(s->user_id ? s->user_id : "");
    add.user_role = (char *)(s->user_role ? s->user_role : "");
    add.client_ref = (ProtobufCBinaryData){s->client_ref_len, (uint8_t *)s->client_ref};
    add.contact = &contact;
    Vn__ApiSignal op = VN__API_SIGNAL__INIT;
    op.op_case = VN__API_SIGNAL__OP_ADD;
    op.add = &add;
    return s_signal_one(self, &op, out);
}

int vn_client_signal_withdraw(vn_client_t *self, const char *id, vn_client_signal_record_t *out)
{
    if (!id || !id[0])
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "no signal id");
    Vn__ApiSignal op = VN__API_SIGNAL__INIT;
    op.op_case = VN__API_SIGNAL__OP_WITHDRAW;
    op.withdraw = (char *)id;
    return s_signal_one(self, &op, out);
}

int vn_client_signal_list(vn_client_t *self, const char *youth_bsn,
                          vn_client_signal_record_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    vn_client_signal_record_t *list = NULL;
    size_t count = 0;
    char after[64] = "";
    for (int page = 0; page < 1000; page++) { /* follows the broker's paging to the end */
        Vn__ApiSignalListReq lr = VN__API_SIGNAL_LIST_REQ__INIT;
        if (youth_bsn)
            lr.youth_bsn = (char *)youth_bsn;
        lr.after = after;
        Vn__ApiSignal op = VN__API_SIGNAL__INIT;
        op.op_case = VN__API_SIGNAL__OP_LIST;
        op.list = &lr;
        Vn__ApiResponse *resp;
        int rc = s_signal_call(self, &op, &resp);
        if (rc != 0) {
            free(list);
            return rc;
        }
        size_t k = resp->signal->n_signals;
        vn_client_signal_record_t *more = realloc(list, (count + k + 1) * sizeof *more);
        if (!more) {
            free(list);
            vn__api_response__free_unpacked(resp, NULL);
            return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
        }
        list = more;
        for (size_t i = 0; i < k; i++)
            s_signal_copy(&list[count++], resp->signal->signals[i]);
        int done = !resp->signal->next[0] || strlen(resp->signal->next) >= sizeof after;
        COPY(after, resp->signal->next);
        vn__api_response__free_unpacked(resp, NULL);
        if (done)
            break;
    }
    *out = list;
    *n = count;
    return 0;
}

/* ---- Matches. */

static int s_match_call(vn_client_t *c, Vn__ApiMatch *op, vn_client_match_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_MATCH;
    req.match = op;
    Vn__ApiResponse *resp;
    int rc = client__call(c, &req, SIGNAL_WAIT_MS, &resp);
    if (rc != 0 || (rc = client__expect(c, resp, VN__API_RESPONSE__BODY_MATCH)) != 0)
        return rc;
    size_t k = resp->match->n_matches;
    vn_client_match_t *list = calloc(k + 1, sizeof *list);
    for (size_t i = 0; list && i < k; i++) {
        const Vn__ApiMatchView *v = resp->match->matches[i];
        size_t n_cards = v->n_cards < v->n_card_senders ? v->n_cards : v->n_card_senders;
        if (!v->match || client__match_fill(&list[i], v->match, v->cases, v->n_cases, v->cards,
                                            v->card_senders, n_cards) != 0) {
            vn_client_matches_free(&list, i);
            break;
        }
    }
    vn__api_response__free_unpacked(resp, NULL);
    if (!list)
        return client__fail(c, VN_CLIENT_E_PROTOCOL, "", "%s", "unreadable or too large answer");
    *out = list;
    *n = k;
    return 0;
}

int vn_client_match_list(vn_client_t *self, vn_client_match_t **out, size_t *n)
{
    Vn__MatchListReq lr = VN__MATCH_LIST_REQ__INIT;
    Vn__ApiMatch op = VN__API_MATCH__INIT;
    op.op_case = VN__API_MATCH__OP_LIST;
    op.list = &lr;
    return s_match_call(self, &op, out, n);
}

int vn_client_match_show(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n)
{
    if (!id || !id[0])
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "no match id");
    Vn__ApiMatch op = VN__API_MATCH__INIT;
    op.op_case = VN__API_MATCH__OP_SHOW;
    op.show = (char *)id;
    return s_match_call(self, &op, out, n);
}

int vn_client_match_handover(vn_client_t *self, const char *id, const char *to_org,
                             vn_client_match_t **out, size_t *n)
{
    if (!id || !id[0] || !to_org || !to_org[0])
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "match id and organisation needed");
    Vn__MatchHandover h = VN__MATCH_HANDOVER__INIT;
    h.match_id = (char *)id;
    h.to_org = (char *)to_org;
    Vn__ApiMatch op = VN__API_MATCH__INIT;
    op.op_case = VN__API_MATCH__OP_HANDOVER;
    op.handover = &h;
    return s_match_call(self, &op, out, n);
}

int vn_client_match_accept(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n)
{
    if (!id || !id[0])
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "no match id");
    Vn__ApiMatch op = VN__API_MATCH__INIT;
    op.op_case = VN__API_MATCH__OP_ACCEPT;
    op.accept = (char *)id;
    return s_match_call(self, &op, out, n);
}

int vn_client_match_agree(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n)
{
    if (!id || !id[0])
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "no match id");
    Vn__ApiMatch op = VN__API_MATCH__INIT;
    op.op_case = VN__API_MATCH__OP_AGREE;
    op.agree = (char *)id;
    return s_match_call(self, &op, out, n);
}

void vn_client_matches_free(vn_client_match_t **list_p, size_t n)
{
    if (!list_p || !*list_p)
        return;
    for (size_t i = 0; i < n; i++)
        client__match_clear(&(*list_p)[i]);
    free(*list_p);
    *list_p = NULL;
}

/* ---- Vocabulary. */

struct vn_client_vocab {
    Vn__ApiResponse *resp;
    vn_client_term_t *terms;
    size_t n;
};

int vn_client_vocab(vn_client_t *self, vn_client_vocab_t **out)
{
    *out = NULL;
    Vn__ApiVocabRequest vr = VN__API_VOCAB_REQUEST__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_VOCAB;
    req.vocab = &vr;
    Vn__ApiResponse *resp;
    int rc = client__call(self, &req, 0, &resp);
    if (rc != 0 || (rc = client__expect(self, resp, VN__API_RESPONSE__BODY_VOCAB)) != 0)
        return rc;
    const Vn__Vocabulary *v = resp->vocab->vocabulary;
    size_t n = v ? v->n_terms : 0;
    vn_client_vocab_t *vo = calloc(1, sizeof *vo);
    if (vo)
        vo->terms = calloc(n + 1, sizeof *vo->terms);
    if (!vo || !vo->terms) {
        free(vo);
        vn__api_response__free_unpacked(resp, NULL);
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        vo->terms[i].kind = v->terms[i]->kind;
        vo->terms[i].term = v->terms[i]->term;
        vo->terms[i].gloss_en = v->terms[i]->gloss_en;
        vo->terms[i].definition = v->terms[i]->definition;
    }
    vo->n = n;
    vo->resp = resp;
    *out = vo;
    return 0;
}

const char *vn_client_vocab_name(const vn_client_vocab_t *v)
{
    return v && v->resp->vocab->vocabulary ? v->resp->vocab->vocabulary->name : "";
}

uint64_t vn_client_vocab_revision(const vn_client_vocab_t *v)
{
    return v && v->resp->vocab->vocabulary ? v->resp->vocab->vocabulary->revision : 0;
}

size_t vn_client_vocab_count(const vn_client_vocab_t *v)
{
    return v ? v->n : 0;
}

const vn_client_term_t *vn_client_vocab_get(const vn_client_vocab_t *v, size_t i)
{
    return v && i < v->n ? &v->terms[i] : NULL;
}

void vn_client_vocab_destroy(vn_client_vocab_t **v_p)
{
    if (!v_p || !*v_p)
        return;
    vn__api_response__free_unpacked((*v_p)->resp, NULL);
    free((*v_p)->terms);
    free(*v_p);
    *v_p = NULL;
}
