/* http_api_json.c -- the API's JSON shapes (lowerCamelCase members, RFC 3339 UTC times, hex ids,
 * base64 content with its media type) and strict parsing of request bodies. */
#include "http_api.h"
#include "vn_api_json.h"
#include "vn_content.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *http__time(uint64_t t, char out[32])
{
    return vn_json_time(t, out);
}

static void s_add_time(json_object *o, const char *key, uint64_t t)
{
    vn_json_add_time(o, key, t);
}

static void s_add_str(json_object *o, const char *key, const char *v)
{
    vn_json_add_str(o, key, v);
}

void http__cursor_format(uint64_t seq, char out[24])
{
    vn_json_cursor_format(seq, out);
}

int http__cursor_parse(const char *text, uint64_t *seq)
{
    uint64_t v = 0;
    size_t n = strlen(text);
    if (n == 0 || n > 14) /* 26^14 > 2^64 would overflow; real positions are far smaller */
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < 'a' || text[i] > 'z')
            return -1;
        v = v * 26 + (uint64_t)(text[i] - 'a');
    }
    *seq = v;
    return 0;
}

static const char *s_hex(char *out, const ProtobufCBinaryData *b)
{
    out[0] = '\0';
    if (b->len && b->len <= 64)
        vn_hex(out, b->data, b->len);
    return out;
}

static vn_json_case_t s_case_view(const Vn__ApiLocalCase *c);
static vn_json_card_t s_card_view(const Vn__ContactCard *c, const char *sender);

/* An inbox item: its views into vn_json_notification (lib/vn_api_json.c, shared with the CLI). */
json_object *http__notification_json(const Vn__ApiNotification *n)
{
    char id[129], about[129], subject[129];
    vn_json_field_t *fields = calloc(n->n_justification + 1, sizeof *fields);
    vn_json_case_t *cases = calloc(n->n_cases + 1, sizeof *cases);
    if (!fields || !cases) {
        free(fields);
        free(cases);
        return json_object_new_object();
    }
    for (size_t i = 0; i < n->n_justification; i++)
        fields[i] = (vn_json_field_t){n->justification[i]->key, n->justification[i]->value};
    for (size_t i = 0; i < n->n_cases; i++)
        cases[i] = s_case_view(n->cases[i]);
    vn_json_card_t card;
    if (n->contact_card)
        card = s_card_view(n->contact_card, n->sender);
    const Vn__ApiMatchNotice *mn = n->match_notice;
    vn_json_notification_t v = {
        .message_id = s_hex(id, &n->message_id), .inbox_seq = n->inbox_seq,
        .received = n->received, .notice_code = n->notice_code,
        .notice_reason = n->notice_reason, .notice_recipient = n->notice_recipient,
        .about_message_id = s_hex(about, &n->about_message_id),
        .match_notice = mn != NULL, .match_event = mn ? mn->event : "",
        .match = mn && mn->match ? http__match_json(mn->match) : NULL,
        .match_audit_seq = mn ? mn->audit_seq : 0, .sender = n->sender,
        .sender_sector = n->sender_sector, .category = n->category, .basis = n->basis,
        .justification = fields, .n_justification = n->n_justification,
        .subject_pseudonym = s_hex(subject, &n->subject_pseudonym), .created = n->created,
        .expires = n->expires, .user_id = n->user_id, .user_role = n->user_role,
        .media_type = n->media_type, .content = n->content.data,
        .content_len = n->content.len, .subject_bsn = n->subject_bsn,
        .subject_name = n->subject_name, .subject_birth_date = n->subject_birth_date,
        .match_id = n->match_id, .card = n->contact_card ? &card : NULL, .cases = cases,
        .n_cases = n->n_cases, .sender_revoked = n->sender_revoked};
    json_object *o = vn_json_notification(&v);
    free(fields);
    free(cases);
    return o;
}

json_object *http__submit_result_json(const Vn__ApiSubmitResult *r)
{
    char msgid[33] = "", hash[129] = "";
    if (r->message_id.len && r->message_id.len <= 16)
        vn_hex(msgid, r->message_id.data, r->message_id.len);
    if (r->audit_hash.len && r->audit_hash.len <= 64)
        vn_hex(hash, r->audit_hash.data, r->audit_hash.len);
    vn_json_outcome_t v = {.message_id = msgid, .client_ref = (const char *)r->client_ref.data,
                           .client_ref_len = r->client_ref.len, .outcome = (int)r->outcome,
                           .audit_seq = r->audit_seq, .audit_hash = hash, .code = r->code,
                           .reason = r->reason, .reason_nl = r->reason_nl,
                           .repeated = r->repeated, .submitted = r->submitted,
                           .decided = r->decided, .recipient = r->recipient};
    json_object *o = vn_json_outcome(&v);
    if (r->n_per_recipient) {
        /* a notification to match:ID: one envelope, and one verdict, per participant */
        json_object *per = json_object_new_array();
        for (size_t i = 0; i < r->n_per_recipient; i++)
            json_object_array_add(per, http__submit_result_json(r->per_recipient[i]));
        json_object_object_add(o, "perRecipient", per);
    }
    return o;
}

static json_object *s_strings(char **v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

json_object *http__consent_json(const Vn__ApiConsentRecord *c)
{
    vn_json_consent_t v = {.id = c->id, .subject = c->subject, .given_by = c->given_by,
                           .purpose = c->purpose,
                           .recipients = (const char *const *)c->recipients,
                           .n_recipients = c->n_recipients,
                           .categories = (const char *const *)c->categories,
                           .n_categories = c->n_categories, .valid_from = c->valid_from,
                           .expires = c->expires, .withdrawn = c->withdrawn,
                           .registered = c->registered};
    return vn_json_consent(&v);
}

json_object *http__status_json(const Vn__ApiStatusResult *s)
{
    vn_json_status_t v = {.org = s->org, .connected = s->connected,
                          .log_inconsistent = s->log_inconsistent, .revoked = s->revoked,
                          .outbox_pending = s->outbox_pending, .inbox_pending = s->inbox_pending,
                          .held_pending = s->held_pending,
                          .directory_generation = s->directory_generation, .sent = s->sent,
                          .received = s->received, .checkpoint_size = s->checkpoint_size,
                          .directory_orgs = s->directory_orgs,
                          .max_content_bytes = s->max_content_bytes,
                          .disconnect_reason = s->disconnect_reason, .caller = s->caller};
    return vn_json_status(&v);
}

json_object *http__org_json(const Vn__ApiDirectoryEntry *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(e->id));
    json_object_object_add(o, "sector", json_object_new_string(e->sector));
    json_object_object_add(o, "revoked", json_object_new_boolean(e->revoked));
    s_add_str(o, "displayName", e->display_name);
    s_add_time(o, "added", e->added);
    s_add_time(o, "rotated", e->rotated);
    return o;
}

json_object *http__parse_body(const http_req_t *r, http_reply_t *reply)
{
    if (!r->body || r->body_len == 0) {
        http__problem_code(reply, "invalid-json", "this request needs a JSON object as its body",
                           "dit verzoek vraagt een JSON-object als body");
        return NULL;
    }
    if (strlen(r->body) != r->body_len) {
        http__problem_code(reply, "invalid-json", "the body holds a NUL byte", NULL);
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(16);
    if (!tok) {
        http__problem_code(reply, "internal-error", "out of memory", NULL);
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int trailing = 0;
    for (size_t i = used; o && i < r->body_len; i++)
        if (!strchr(" \t\r\n", r->body[i]))
            trailing = 1;
    if (!o || e != json_tokener_success || trailing) {
        char d[160];
        snprintf(d, sizeof d, "the body is not one JSON value: %s",
                 trailing ? "data after it" : json_tokener_error_desc(e));
        json_object_put(o);
        http__problem_code(reply, "invalid-json", d, NULL);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        http__problem_code(reply, "invalid-json", "the body must be a JSON object", NULL);
        return NULL;
    }
    return o;
}

/* ---- signals and matches (the shared picture): lib/vn_api_json.c builds them ---- */

json_object *http__signal_json(const Vn__ApiSignalInfo *info, uint64_t now)
{
    static const Vn__SignalRecord empty = VN__SIGNAL_RECORD__INIT;
    const Vn__SignalRecord *r = info->record ? info->record : &empty;
    char youth[65] = "", parents[4][65];
    const char *pp[4];
    size_t n_parents = 0;
    if (r->youth_pseudonym.len == 32)
        vn_hex(youth, r->youth_pseudonym.data, 32);
    for (size_t i = 0; i < r->n_parent_pseudonyms && n_parents < 4; i++) {
        if (r->parent_pseudonyms[i].len != 32)
            continue;
        pp[n_parents] = vn_hex(parents[n_parents], r->parent_pseudonyms[i].data, 32);
        n_parents++;
    }
    const Vn__ApiContact *c = info->contact;
    vn_json_signal_t v = {
        .id = r->id, .owner = r->owner, .category = r->category, .youth_pseudonym = youth,
        .parent_pseudonyms = pp, .n_parents = n_parents, .youth_bsn = info->youth_bsn,
        .client_ref = (const char *)info->client_ref.data, .client_ref_len = info->client_ref.len,
        .signal_date = r->signal_date, .active_until = r->active_until,
        .delete_after = r->delete_after, .registered = r->registered, .withdrawn = r->withdrawn,
        .now = now, .informed = (const char *const *)r->informed, .n_informed = r->n_informed,
        .not_informed_reason = r->not_informed_reason, .youth_age = r->youth_age,
        .user_id = r->user_id, .user_role = r->user_role,
        .contact_name = c ? c->name : NULL, .contact_role = c ? c->role : NULL,
        .contact_phone = c ? c->phone : NULL, .contact_email = c ? c->email : NULL};
    return vn_json_signal(&v);
}

static vn_json_case_t s_case_view(const Vn__ApiLocalCase *c)
{
    return (vn_json_case_t){c->signal_id, (const char *)c->client_ref.data, c->client_ref.len,
                            c->youth_bsn, c->category};
}

static vn_json_card_t s_card_view(const Vn__ContactCard *c, const char *sender)
{
    return (vn_json_card_t){sender, c->match_id, c->signal_id, c->signal_category,
                            c->name, c->role, c->phone, c->email};
}

/* The match's views (participants, and with v our cases and cards) into vn_json_match. */
static json_object *s_match(const Vn__MatchInfo *m, const Vn__ApiMatchView *v)
{
    size_t np = m->n_participants, nc = v ? v->n_cases : 0, nk = v ? v->n_cards : 0;
    vn_json_participant_t *ps = calloc(np ? np : 1, sizeof *ps);
    vn_json_case_t *cs = calloc(nc ? nc : 1, sizeof *cs);
    vn_json_card_t *ks = calloc(nk ? nk : 1, sizeof *ks);
    json_object *o = NULL;
    if (ps && cs && ks) {
        for (size_t i = 0; i < np; i++) {
            const Vn__MatchParticipant *p = m->participants[i];
            ps[i] = (vn_json_participant_t){p->org, p->sector, p->signal_id, p->category,
                                            p->signal_date, p->registered, p->active};
        }
        for (size_t i = 0; i < nc; i++)
            cs[i] = s_case_view(v->cases[i]);
        for (size_t i = 0; i < nk; i++)
            ks[i] = s_card_view(v->cards[i], i < v->n_card_senders ? v->card_senders[i] : "");
        vn_json_match_t j = {m->id, m->kind, m->coordinator, m->handover_to, m->agreed,
                             m->coordinator_by_handover, m->created, m->updated, ps, np,
                             v != NULL, cs, nc, ks, nk};
        o = vn_json_match(&j);
    }
    free(ps);
    free(cs);
    free(ks);
    return o ? o : json_object_new_object();
}

json_object *http__match_json(const Vn__MatchInfo *m)
{
    return s_match(m, NULL);
}

json_object *http__match_view_json(const Vn__ApiMatchView *v)
{
    static const Vn__MatchInfo empty = VN__MATCH_INFO__INIT;
    return s_match(v->match ? v->match : &empty, v);
}

json_object *http__case_json(const Vn__ApiLocalCase *c)
{
    vn_json_case_t v = s_case_view(c);
    return vn_json_case(&v);
}

json_object *http__card_json(const Vn__ContactCard *c, const char *sender)
{
    vn_json_card_t v = s_card_view(c, sender);
    return vn_json_card(&v);
}

json_object *http__vocabulary_json(const Vn__ApiVocabResult *r)
{
    static const Vn__Vocabulary empty = VN__VOCABULARY__INIT;
    const Vn__Vocabulary *v = r->vocabulary ? r->vocabulary : &empty;
    vn_json_term_t *t = calloc(v->n_terms ? v->n_terms : 1, sizeof *t);
    if (!t)
        return json_object_new_object();
    for (size_t i = 0; i < v->n_terms; i++)
        t[i] = (vn_json_term_t){v->terms[i]->kind, v->terms[i]->term, v->terms[i]->gloss_en,
                                v->terms[i]->definition};
    json_object *o = vn_json_vocabulary(v->name, v->revision, r->verified, t, v->n_terms);
    free(t);
    return o;
}

json_object *http__policy_json(const Vn__ApiPolicyResult *r)
{
    json_object *o = json_object_new_object(), *bases = json_object_new_array();
    json_object_object_add(o, "sector", json_object_new_string(r->sector));
    for (size_t i = 0; i < r->n_bases; i++) {
        const Vn__PolicyBasis *b = r->bases[i]->rule;
        if (!b)
            continue;
        json_object *j = json_object_new_object(), *fields = json_object_new_array();
        json_object_object_add(j, "basis", json_object_new_string(b->name));
        s_add_str(j, "law", b->law);
        json_object_object_add(j, "recipientSectors", s_strings(b->recipients, b->n_recipients));
        json_object_object_add(j, "recipients", s_strings(r->bases[i]->recipient_orgs,
                                                          r->bases[i]->n_recipient_orgs));
        json_object_object_add(j, "categories", s_strings(b->categories, b->n_categories));
        json_object_object_add(j, "subject", json_object_new_string(b->subject));
        json_object_object_add(j, "consent", json_object_new_boolean(b->consent));
        s_add_str(j, "replyTo", b->reply_to);
        json_object_object_add(j, "review", json_object_new_boolean(b->review));
        json_object_object_add(j, "match", json_object_new_boolean(b->match));
        for (size_t f = 0; f < b->n_fields; f++) {
            json_object *fj = json_object_new_object();
            json_object_object_add(fj, "name", json_object_new_string(b->fields[f]->name));
            json_object_object_add(fj, "type", json_object_new_string(b->fields[f]->type));
            if (b->fields[f]->n_choices)
                json_object_object_add(fj, "choices", s_strings(b->fields[f]->choices,
                                                                b->fields[f]->n_choices));
            json_object_array_add(fields, fj);
        }
        json_object_object_add(j, "fields", fields);
        json_object_array_add(bases, j);
    }
    json_object_object_add(o, "bases", bases);
    return o;
}
