/* vn_api_json.c -- the JSON shapes shared by the agent's HTTP API and the CLI's --json (one
 * schema: the OpenAPI document's components, from Outcome and Consent to Notification). */
#include "vn_api_json.h"
#include "vn_api_limits.h"
#include "vn_content.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *vn_json_time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

void vn_json_add_time(json_object *o, const char *key, uint64_t t)
{
    char buf[32];
    if (t)
        json_object_object_add(o, key, json_object_new_string(vn_json_time(t, buf)));
}

void vn_json_add_str(json_object *o, const char *key, const char *v)
{
    if (v && v[0])
        json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *s_strings(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

json_object *vn_json_outcome(const vn_json_outcome_t *r)
{
    static const char *const outcomes[] = {"queued", "accepted", "refused"};
    json_object *o = json_object_new_object();
    vn_json_add_str(o, "messageId", r->message_id);
    if (r->client_ref && r->client_ref_len)
        json_object_object_add(o, "clientRef",
                               json_object_new_string_len(r->client_ref, (int)r->client_ref_len));
    int known = r->outcome >= 0 && r->outcome <= 2;
    json_object_object_add(o, "outcome",
                           json_object_new_string(known ? outcomes[r->outcome] : "queued"));
    if (r->audit_seq || (r->audit_hash && r->audit_hash[0])) {
        json_object_object_add(o, "auditSeq", json_object_new_int64((int64_t)r->audit_seq));
        vn_json_add_str(o, "auditHash", r->audit_hash);
    }
    vn_json_add_str(o, "code", r->code);
    if (r->reason && r->reason[0]) {
        /* the broker's reason may hold "English\nDutch" */
        const char *nl = strchr(r->reason, '\n');
        json_object_object_add(o, "reason",
                               nl ? json_object_new_string_len(r->reason, (int)(nl - r->reason))
                                  : json_object_new_string(r->reason));
        if (nl && !(r->reason_nl && r->reason_nl[0]))
            json_object_object_add(o, "reasonNl", json_object_new_string(nl + 1));
    }
    vn_json_add_str(o, "reasonNl", r->reason_nl);
    if (r->repeated)
        json_object_object_add(o, "repeated", json_object_new_boolean(1));
    vn_json_add_time(o, "submitted", r->submitted);
    vn_json_add_time(o, "decided", r->decided);
    vn_json_add_str(o, "recipient", r->recipient);
    return o;
}

json_object *vn_json_consent(const vn_json_consent_t *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(c->id));
    vn_json_add_str(o, "subjectPseudonym", c->subject);
    json_object_object_add(o, "givenBy", json_object_new_string(c->given_by));
    json_object_object_add(o, "recipients", s_strings(c->recipients, c->n_recipients));
    json_object_object_add(o, "categories", s_strings(c->categories, c->n_categories));
    json_object_object_add(o, "purpose", json_object_new_string(c->purpose));
    vn_json_add_time(o, "validFrom", c->valid_from);
    vn_json_add_time(o, "expires", c->expires);
    vn_json_add_time(o, "withdrawn", c->withdrawn);
    vn_json_add_time(o, "registered", c->registered);
    return o;
}

json_object *vn_json_status(const vn_json_status_t *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "org", json_object_new_string(s->org));
    json_object_object_add(o, "connected", json_object_new_boolean(s->connected));
    json_object_object_add(o, "outboxPending", json_object_new_int64((int64_t)s->outbox_pending));
    json_object_object_add(o, "heldPending", json_object_new_int64((int64_t)s->held_pending));
    json_object_object_add(o, "inboxPending", json_object_new_int64((int64_t)s->inbox_pending));
    json_object_object_add(o, "directoryGeneration",
                           json_object_new_int64((int64_t)s->directory_generation));
    json_object_object_add(o, "directoryOrgs", json_object_new_int64(s->directory_orgs));
    json_object_object_add(o, "sent", json_object_new_int64((int64_t)s->sent));
    json_object_object_add(o, "received", json_object_new_int64((int64_t)s->received));
    json_object_object_add(o, "checkpointSize", json_object_new_int64((int64_t)s->checkpoint_size));
    json_object_object_add(o, "logInconsistent", json_object_new_boolean(s->log_inconsistent));
    json_object_object_add(o, "maxContentBytes", json_object_new_int64(s->max_content_bytes));
    if (s->revoked)
        json_object_object_add(o, "revoked", json_object_new_boolean(1));
    if (!s->connected)
        vn_json_add_str(o, "disconnectReason", s->disconnect_reason);
    vn_json_add_str(o, "caller", s->caller);
    json_object_object_add(o, "apiVersion", json_object_new_string(VN_HTTP_API_VERSION));
    return o;
}

/* ---- signals and matches ---- */

static void s_add_date(json_object *o, const char *key, uint64_t t)
{
    char buf[32];
    if (t) {
        vn_json_time(t, buf);
        buf[10] = '\0'; /* YYYY-MM-DD of the UTC day */
        json_object_object_add(o, key, json_object_new_string(buf));
    }
}

/* A client_ref is the IT system's own bytes: shown when it is text that JSON can carry. */
static void s_add_ref(json_object *o, const char *key, const char *ref, size_t len)
{
    if (ref && len && len <= 64 && memchr(ref, 0, len) == NULL)
        json_object_object_add(o, key, json_object_new_string_len(ref, (int)len));
}

json_object *vn_json_case(const vn_json_case_t *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "signalId", json_object_new_string(c->signal_id));
    s_add_ref(o, "clientRef", c->client_ref, c->client_ref_len);
    vn_json_add_str(o, "youthBsn", c->youth_bsn);
    vn_json_add_str(o, "category", c->category);
    return o;
}

json_object *vn_json_card(const vn_json_card_t *c)
{
    json_object *o = json_object_new_object();
    vn_json_add_str(o, "from", c->from);
    json_object_object_add(o, "matchId", json_object_new_string(c->match_id));
    json_object_object_add(o, "signalId", json_object_new_string(c->signal_id));
    vn_json_add_str(o, "signalCategory", c->signal_category);
    json_object_object_add(o, "name", json_object_new_string(c->name));
    vn_json_add_str(o, "role", c->role);
    vn_json_add_str(o, "phone", c->phone);
    vn_json_add_str(o, "email", c->email);
    return o;
}

json_object *vn_json_match(const vn_json_match_t *m)
{
    json_object *o = json_object_new_object(), *ps = json_object_new_array();
    json_object_object_add(o, "id", json_object_new_string(m->id));
    json_object_object_add(o, "kind", json_object_new_string(m->kind));
    for (size_t i = 0; i < m->n_participants; i++) {
        const vn_json_participant_t *p = &m->participants[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "org", json_object_new_string(p->org));
        json_object_object_add(j, "sector", json_object_new_string(p->sector));
        json_object_object_add(j, "signalId", json_object_new_string(p->signal_id));
        json_object_object_add(j, "category", json_object_new_string(p->category));
        s_add_date(j, "signalDate", p->signal_date);
        json_object_object_add(j, "active", json_object_new_boolean(p->active));
        vn_json_add_time(j, "registered", p->registered);
        json_object_array_add(ps, j);
    }
    json_object_object_add(o, "participants", ps);
    vn_json_add_str(o, "coordinator", m->coordinator);
    vn_json_add_str(o, "handoverTo", m->handover_to);
    json_object_object_add(o, "agreed", json_object_new_boolean(m->agreed));
    if (m->coordinator_by_handover) /* only when known and true (the client library has no such field) */
        json_object_object_add(o, "coordinatorByHandover", json_object_new_boolean(1));
    vn_json_add_time(o, "created", m->created);
    vn_json_add_time(o, "updated", m->updated);
    if (m->with_local) {
        json_object *cases = json_object_new_array(), *cards = json_object_new_array();
        for (size_t i = 0; i < m->n_cases; i++)
            json_object_array_add(cases, vn_json_case(&m->cases[i]));
        for (size_t i = 0; i < m->n_cards; i++)
            json_object_array_add(cards, vn_json_card(&m->cards[i]));
        json_object_object_add(o, "cases", cases);
        json_object_object_add(o, "contactCards", cards);
    }
    return o;
}

json_object *vn_json_signal(const vn_json_signal_t *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(s->id));
    json_object_object_add(o, "owner", json_object_new_string(s->owner));
    const char *state = s->withdrawn ? "withdrawn"
                        : s->active_until && s->active_until <= s->now ? "inactive" : "active";
    json_object_object_add(o, "state", json_object_new_string(state));
    json_object_object_add(o, "category", json_object_new_string(s->category));
    vn_json_add_str(o, "youthPseudonym", s->youth_pseudonym);
    if (s->parent_pseudonyms)
        json_object_object_add(o, "parentPseudonyms",
                               s_strings(s->parent_pseudonyms, s->n_parents));
    vn_json_add_str(o, "youthBsn", s->youth_bsn);
    s_add_ref(o, "clientRef", s->client_ref, s->client_ref_len);
    s_add_date(o, "signalDate", s->signal_date);
    vn_json_add_time(o, "activeUntil", s->active_until);
    vn_json_add_time(o, "deleteAfter", s->delete_after);
    vn_json_add_time(o, "registered", s->registered);
    vn_json_add_time(o, "withdrawn", s->withdrawn);
    json_object_object_add(o, "informed", s_strings(s->informed, s->n_informed));
    vn_json_add_str(o, "notInformedReason", s->not_informed_reason);
    json_object_object_add(o, "youthAge", json_object_new_int64(s->youth_age));
    vn_json_add_str(o, "userId", s->user_id);
    vn_json_add_str(o, "userRole", s->user_role);
    if (s->contact_name && s->contact_name[0]) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "name", json_object_new_string(s->contact_name));
        vn_json_add_str(j, "role", s->contact_role);
        vn_json_add_str(j, "phone", s->contact_phone);
        vn_json_add_str(j, "email", s->contact_email);
        json_object_object_add(o, "contact", j);
    }
    return o;
}

json_object *vn_json_vocabulary(const char *name, uint64_t revision, int verified,
                                const vn_json_term_t *terms, size_t n_terms)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    vn_json_add_str(o, "name", name);
    json_object_object_add(o, "revision", json_object_new_int64((int64_t)revision));
    json_object_object_add(o, "verified", json_object_new_boolean(verified));
    for (size_t i = 0; i < n_terms; i++) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "kind", json_object_new_string(terms[i].kind));
        json_object_object_add(j, "term", json_object_new_string(terms[i].term));
        json_object_object_add(j, "glossEn", json_object_new_string(terms[i].gloss_en));
        json_object_object_add(j, "definition", json_object_new_string(terms[i].definition));
        json_object_array_add(list, j);
    }
    json_object_object_add(o, "terms", list);
    return o;
}

/* ---- the inbox ---- */

void vn_json_cursor_format(uint64_t seq, char out[24])
{
    /* base 26, most significant first: letters only, never mistaken for a citizen number */
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('a' + seq % 26);
        seq /= 26;
    } while (seq && n < 23);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

static json_object *s_str(const char *v)
{
    return json_object_new_string(v ? v : "");
}

static json_object *s_base64(const uint8_t *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *b = malloc(cap);
    if (!b)
        return json_object_new_string("");
    sodium_bin2base64(b, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    json_object *s = json_object_new_string(b);
    free(b);
    return s;
}

static json_object *s_cases(const vn_json_case_t *cases, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, vn_json_case(&cases[i]));
    return a;
}

json_object *vn_json_notification(const vn_json_notification_t *n)
{
    json_object *o = json_object_new_object();
    char cursor[24];
    vn_json_add_str(o, "messageId", n->message_id);
    vn_json_cursor_format(n->inbox_seq, cursor);
    json_object_object_add(o, "inboxCursor", json_object_new_string(cursor));
    vn_json_add_time(o, "received", n->received);
    if (n->notice_code && n->notice_code[0]) {
        json_object_put(n->match);
        json_object_object_add(o, "kind", json_object_new_string("notice"));
        json_object *nt = json_object_new_object();
        json_object_object_add(nt, "code", json_object_new_string(n->notice_code));
        json_object_object_add(nt, "reason", s_str(n->notice_reason));
        vn_json_add_str(nt, "recipient", n->notice_recipient);
        vn_json_add_str(nt, "aboutMessageId", n->about_message_id);
        json_object_object_add(o, "notice", nt);
        return o;
    }
    if (n->match_notice) {
        json_object_object_add(o, "kind", json_object_new_string("match-notice"));
        vn_json_add_str(o, "matchId", n->match_id);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "event", s_str(n->match_event));
        if (n->match)
            json_object_object_add(j, "match", n->match);
        json_object_object_add(j, "auditSeq", json_object_new_int64((int64_t)n->match_audit_seq));
        json_object_object_add(o, "matchNotice", j);
        json_object_object_add(o, "cases", s_cases(n->cases, n->n_cases));
        return o;
    }
    json_object_put(n->match);
    json_object_object_add(o, "kind", json_object_new_string("notification"));
    json_object_object_add(o, "sender", s_str(n->sender));
    json_object_object_add(o, "senderSector", s_str(n->sender_sector));
    json_object_object_add(o, "category", s_str(n->category));
    json_object_object_add(o, "basis", s_str(n->basis));
    json_object *just = json_object_new_array();
    for (size_t i = 0; i < n->n_justification; i++) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "key", s_str(n->justification[i].key));
        json_object_object_add(f, "value", s_str(n->justification[i].value));
        json_object_array_add(just, f);
    }
    json_object_object_add(o, "justification", just);
    vn_json_add_str(o, "subjectPseudonym", n->subject_pseudonym);
    vn_json_add_time(o, "created", n->created);
    vn_json_add_time(o, "expires", n->expires);
    json_object_object_add(o, "userId", s_str(n->user_id));
    json_object_object_add(o, "userRole", s_str(n->user_role));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "mediaType",
                           json_object_new_string(n->media_type && n->media_type[0]
                                                      ? n->media_type
                                                      : "application/octet-stream"));
    json_object_object_add(c, "data", s_base64(n->content, n->content_len));
    json_object_object_add(o, "content", c);
    /* The subject's identity, sealed in the content: the recipient's system links on it. */
    vn_json_add_str(o, "subjectBsn", n->subject_bsn);
    vn_json_add_str(o, "subjectName", n->subject_name);
    if (n->subject_birth_date && n->subject_birth_date[0] &&
        vn_birth_date_valid(n->subject_birth_date))
        json_object_object_add(o, "subjectBirthDate", json_object_new_string(n->subject_birth_date));
    vn_json_add_str(o, "matchId", n->match_id);
    if (n->card)
        json_object_object_add(o, "contactCard", vn_json_card(n->card));
    if (n->n_cases)
        json_object_object_add(o, "cases", s_cases(n->cases, n->n_cases));
    if (n->sender_revoked)
        json_object_object_add(o, "senderRevoked", json_object_new_boolean(1));
    return o;
}
