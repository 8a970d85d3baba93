/* vn_policy.c -- policy file parsing (INI, one section per legal basis) and the disclosure check. */
#include "vn_policy.h"
#include "vn_basis.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_keys.h"
#include "vn_signal_policy.h"
#include "vn_util.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FIELDS 24
#define LIST_MAX 512

typedef enum { F_TEXT, F_DATE, F_MSGID, F_ENUM } field_type_t;
typedef enum { SUBJECT_OPTIONAL, SUBJECT_REQUIRED, SUBJECT_FORBIDDEN } subject_rule_t;

typedef struct {
    char name[64];
    field_type_t type;
    char values[128];       /* F_ENUM: "a|b|c" */
} field_rule_t;

typedef struct {
    char name[64];
    char law[200];
    char senders[LIST_MAX], recipients[LIST_MAX], categories[LIST_MAX]; /* "*" or a,b,c */
    subject_rule_t subject;
    int consent, review, match;
    char reply_to[64];
    field_rule_t fields[MAX_FIELDS];
    int n_fields;
    unsigned seen;
} basis_rule_t;

enum { SEEN_SENDERS = 1, SEEN_RECIPIENTS = 2, SEEN_CATEGORIES = 4, SEEN_SUBJECT = 8 };

struct vn_policy {
    basis_rule_t *rules;
    size_t n;
    vn_signal_rules_t signals;  /* [signals] and [coordination] */
};

/* ---- parsing ---- */

typedef struct {
    vn_policy_t *p;
    char err[256];
} s_parse_t;

/* 1 if every comma-separated item of list is a known sector ("*" alone allowed). */
static int s_sector_list_valid(const char *list)
{
    if (strcmp(list, "*") == 0)
        return 1;
    char copy[LIST_MAX], *save = NULL;
    snprintf(copy, sizeof copy, "%s", list);
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++)
        if (!vn_sector_valid(t) || strcmp(t, "broker") == 0)
            return 0;
    return n > 0;
}

static int s_parse_field(field_rule_t *f, const char *name, const char *spec)
{
    if (!vn_field_valid(name, sizeof f->name - 1))
        return 0;
    snprintf(f->name, sizeof f->name, "%s", name);
    if (strcmp(spec, "text") == 0) f->type = F_TEXT;
    else if (strcmp(spec, "date") == 0) f->type = F_DATE;
    else if (strcmp(spec, "msgid") == 0) f->type = F_MSGID;
    else if (strchr(spec, '|') && strlen(spec) < sizeof f->values && !strchr(spec, ' ')) {
        f->type = F_ENUM;
        snprintf(f->values, sizeof f->values, "%s", spec);
    } else
        return 0;
    return 1;
}

static basis_rule_t *s_rule(vn_policy_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->rules[i].name, name) == 0)
            return &p->rules[i];
    return NULL;
}

static int s_handler(void *user, const char *section, const char *name, const char *value)
{
    s_parse_t *ps = user;
    vn_policy_t *p = ps->p;
    /* Debian's inih goes on after an error and reports the first line: keep the first message. */
    if (ps->err[0])
        return 0;
    if (strcmp(section, "signals") == 0 || strcmp(section, "coordination") == 0)
        return vn_signal_rules_key(&p->signals, section, name, value, ps->err, sizeof ps->err);
    if (!vn_basis_known(section)) {
        snprintf(ps->err, sizeof ps->err, "[%.64s] is not a legal basis vangnet knows", section);
        return 0;
    }
    basis_rule_t *r = s_rule(p, section);
    if (!r) {
        basis_rule_t *more = realloc(p->rules, (p->n + 1) * sizeof *more);
        if (!more)
            return 0;
        p->rules = more;
        r = &p->rules[p->n++];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", section);
    }
    int ok = 1;
    unsigned bit = 0;
    if (strcmp(name, "law") == 0) {
        snprintf(r->law, sizeof r->law, "%s", value);
    } else if (strcmp(name, "senders") == 0) {
        bit = SEEN_SENDERS;
        ok = s_sector_list_valid(value) && strlen(value) < LIST_MAX;
        snprintf(r->senders, sizeof r->senders, "%s", value);
    } else if (strcmp(name, "recipients") == 0) {
        bit = SEEN_RECIPIENTS;
        ok = s_sector_list_valid(value) && strlen(value) < LIST_MAX;
        snprintf(r->recipients, sizeof r->recipients, "%s", value);
    } else if (strcmp(name, "categories") == 0) {
        bit = SEEN_CATEGORIES;
        ok = value[0] && strlen(value) < LIST_MAX;
        snprintf(r->categories, sizeof r->categories, "%s", value);
    } else if (strcmp(name, "subject") == 0) {
        bit = SEEN_SUBJECT;
        r->subject = strcmp(value, "required") == 0    ? SUBJECT_REQUIRED
                     : strcmp(value, "forbidden") == 0 ? SUBJECT_FORBIDDEN
                                                       : SUBJECT_OPTIONAL;
        ok = r->subject != SUBJECT_OPTIONAL || strcmp(value, "optional") == 0;
    } else if (strcmp(name, "consent") == 0) {
        ok = strcmp(value, "required") == 0 || strcmp(value, "no") == 0;
        r->consent = strcmp(value, "required") == 0;
    } else if (strcmp(name, "review") == 0) {
        ok = strcmp(value, "yes") == 0 || strcmp(value, "no") == 0;
        r->review = strcmp(value, "yes") == 0;
    } else if (strcmp(name, "match") == 0) {
        ok = strcmp(value, "required") == 0 || strcmp(value, "no") == 0;
        r->match = strcmp(value, "required") == 0;
    } else if (strcmp(name, "reply-to") == 0) {
        ok = vn_basis_known(value);
        snprintf(r->reply_to, sizeof r->reply_to, "%s", value);
    } else if (strncmp(name, "field.", 6) == 0) {
        for (int i = 0; i < r->n_fields; i++)
            if (strcmp(r->fields[i].name, name + 6) == 0) {
                snprintf(ps->err, sizeof ps->err, "[%s] %.60s is given twice", section, name);
                return 0;
            }
        ok = r->n_fields < MAX_FIELDS && s_parse_field(&r->fields[r->n_fields], name + 6, value);
        if (ok)
            r->n_fields++;
    } else {
        snprintf(ps->err, sizeof ps->err, "[%s] unknown key '%.60s'", section, name);
        return 0;
    }
    if (!ok || (bit && (r->seen & bit))) {
        snprintf(ps->err, sizeof ps->err, "[%s] %.60s = %.80s: %s", section, name, value,
                 ok ? "given twice" : "invalid value");
        return 0;
    }
    r->seen |= bit;
    return 1;
}

vn_policy_t *vn_policy_load(const char *path, char *err, size_t errlen)
{
    vn_policy_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    s_parse_t ps = {.p = p};
    vn_signal_rules_default(&p->signals);
    int line = ini_parse(path, s_handler, &ps);
    if (line < 0) {
        snprintf(err, errlen, "%s: cannot read the policy file", path);
        goto fail;
    }
    if (line > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, ps.err[0] ? ps.err : "syntax error");
        goto fail;
    }
    if (p->n == 0) {
        snprintf(err, errlen, "%s: defines no legal basis", path);
        goto fail;
    }
    if (vn_signal_rules_finish(&p->signals, ps.err, sizeof ps.err) != 0) {
        snprintf(err, errlen, "%s: %s", path, ps.err);
        goto fail;
    }
    for (size_t i = 0; i < p->n; i++) {
        basis_rule_t *r = &p->rules[i];
        unsigned need = SEEN_SENDERS | SEEN_RECIPIENTS | SEEN_CATEGORIES | SEEN_SUBJECT;
        if ((r->seen & need) != need) {
            snprintf(err, errlen, "%s: [%s] needs senders, recipients, categories and subject",
                     path, r->name);
            goto fail;
        }
        int has_ref = 0, has_reply = 0;
        for (int f = 0; f < r->n_fields; f++) {
            has_ref |= strcmp(r->fields[f].name, "consent-ref") == 0;
            has_reply |= strcmp(r->fields[f].name, "in-reply-to") == 0 && r->fields[f].type == F_MSGID;
        }
        if (r->consent && !has_ref) {
            snprintf(err, errlen, "%s: [%s] consent = required needs field.consent-ref", path, r->name);
            goto fail;
        }
        if (r->reply_to[0] && !has_reply) {
            snprintf(err, errlen, "%s: [%s] reply-to needs field.in-reply-to = msgid", path, r->name);
            goto fail;
        }
    }
    return p;
fail:
    vn_policy_destroy(&p);
    return NULL;
}

void vn_policy_destroy(vn_policy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rules);
    free(*self_p);
    *self_p = NULL;
}

size_t vn_policy_count(const vn_policy_t *p)
{
    return p->n;
}

int vn_policy_basis(const vn_policy_t *p, size_t i, vn_policy_basis_view_t *out)
{
    static const char *const subj[] = {"optional", "required", "forbidden"};
    if (i >= p->n)
        return VN_E_NOT_FOUND;
    const basis_rule_t *r = &p->rules[i];
    *out = (vn_policy_basis_view_t){r->name, r->law, r->senders, r->recipients, r->categories,
                                    subj[r->subject], r->consent, r->review, r->match,
                                    r->reply_to, (size_t)r->n_fields};
    return 0;
}

int vn_policy_basis_field(const vn_policy_t *p, size_t i, size_t f, const char **name,
                          const char **type, const char **choices)
{
    if (i >= p->n || f >= (size_t)p->rules[i].n_fields)
        return VN_E_NOT_FOUND;
    const field_rule_t *fr = &p->rules[i].fields[f];
    static const char *const types[] = {"text", "date", "msgid", "choice"};
    *name = fr->name;
    *type = types[fr->type];
    *choices = fr->type == F_ENUM ? fr->values : "";
    return 0;
}

const vn_signal_rules_t *vn_policy_signals(const vn_policy_t *p)
{
    return &p->signals;
}

/* ---- checking ---- */

static int s_in_list(const char *list, const char *item)
{
    if (strcmp(list, "*") == 0)
        return 1;
    size_t n = strlen(item);
    for (const char *s = list; *s;) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t len = strcspn(s, ", ");
        if (len == n && strncmp(s, item, n) == 0)
            return 1;
        s += len;
    }
    return 0;
}

int vn_verdict_refuse(vn_verdict_t *v, const char *code, const char *en, const char *nl, ...)
{
    va_list ap, ap2;
    va_start(ap, nl);
    va_copy(ap2, ap);
    snprintf(v->code, sizeof v->code, "%s", code);
    vsnprintf(v->reason_en, sizeof v->reason_en, en, ap);
    vsnprintf(v->reason_nl, sizeof v->reason_nl, nl, ap2);
    va_end(ap2);
    va_end(ap);
    return -1;
}

static int s_date_valid(const char *s, uint64_t now)
{
    uint64_t t;
    return vn_date_parse(s, &t) == 0 && t <= now + 86400; /* a real day, not in the future */
}

static int s_enum_valid(const char *values, const char *v)
{
    size_t n = strlen(v);
    for (const char *s = values; *s;) {
        size_t len = strcspn(s, "|");
        if (len == n && strncmp(s, v, n) == 0)
            return 1;
        s += len + (s[len] == '|');
    }
    return 0;
}

static int s_consent_covers(const vn_consent_view_t *c, const char *recipient, const char *sector)
{
    char sector_item[80];
    snprintf(sector_item, sizeof sector_item, "sector:%s", sector ? sector : "");
    for (size_t i = 0; i < c->n_recipients; i++)
        if (strcmp(c->recipients[i], recipient) == 0 || strcmp(c->recipients[i], sector_item) == 0)
            return 1;
    return 0;
}

/* The time-dependent part of a consent check, shared by accept and delivery time. */
static int s_consent_current(const vn_consent_view_t *c, const char *ref, uint64_t now,
                             vn_verdict_t *v)
{
    if (c->withdrawn)
        return vn_verdict_refuse(v, "consent-withdrawn", "consent %s has been withdrawn",
                        "toestemming %s is ingetrokken", ref);
    if (now < c->valid_from)
        return vn_verdict_refuse(v, "consent-not-yet-valid", "consent %s is not yet valid",
                        "toestemming %s is nog niet geldig", ref);
    if (now >= c->expires)
        return vn_verdict_refuse(v, "consent-expired", "consent %s has expired",
                        "toestemming %s is verlopen", ref);
    return 0;
}

static int s_check_consent(const Vn__Header *h, const vn_policy_env_t *env, uint64_t now,
                           vn_verdict_t *v)
{
    const char *ref = vn_header_field(h, "consent-ref");
    vn_consent_view_t c = {0};
    env->consent(env->ctx, ref, &c);
    if (!c.found)
        return vn_verdict_refuse(v, "consent-unknown", "no consent %s is registered",
                        "er is geen toestemming %s geregistreerd", ref);
    if (strcmp(c.owner, h->sender) != 0)
        return vn_verdict_refuse(v, "consent-not-owned",
                        "consent %s was registered by another organisation",
                        "toestemming %s is door een andere organisatie geregistreerd", ref);
    if (h->subject_pseudonym.len != 32 || !c.subject ||
        memcmp(c.subject, h->subject_pseudonym.data, 32) != 0)
        return vn_verdict_refuse(v, "consent-subject", "consent %s is about another person",
                        "toestemming %s gaat over een ander persoon", ref);
    if (s_consent_current(&c, ref, now, v) != 0)
        return -1;
    for (size_t i = 0; i < h->n_recipients; i++) {
        const char *sector = env->sector_of(env->ctx, h->recipients[i]);
        if (!s_consent_covers(&c, h->recipients[i], sector))
            return vn_verdict_refuse(v, "consent-scope",
                            "consent %s does not cover recipient %s",
                            "toestemming %s geldt niet voor ontvanger %s", ref, h->recipients[i]);
    }
    int category_ok = 0;
    for (size_t i = 0; i < c.n_categories; i++)
        category_ok |= strcmp(c.categories[i], h->category) == 0 ||
                       strcmp(c.categories[i], "*") == 0;
    if (!category_ok)
        return vn_verdict_refuse(v, "consent-scope", "consent %s does not cover category %s",
                        "toestemming %s geldt niet voor categorie %s", ref, h->category);
    return 0;
}

static int s_check_reply(const basis_rule_t *r, const Vn__Header *h, const vn_policy_env_t *env,
                         vn_verdict_t *v)
{
    const char *ref = vn_header_field(h, "in-reply-to");
    vn_reply_view_t rv = {0};
    env->reply(env->ctx, ref, &rv);
    if (!rv.found || strcmp(rv.basis, r->reply_to) != 0)
        return vn_verdict_refuse(v, "reply-to-unknown",
                        "in-reply-to %s names no %s message", "in-reply-to %s verwijst niet naar een %s-bericht",
                        ref, r->reply_to);
    int to_us = 0;
    for (size_t i = 0; i < rv.n_recipients; i++)
        to_us |= strcmp(rv.recipients[i], h->sender) == 0;
    int only_reporter = h->n_recipients == 1 && strcmp(h->recipients[0], rv.sender) == 0;
    if (!to_us || !only_reporter)
        return vn_verdict_refuse(v, "reply-not-to-reporter",
                        "%s may only be sent to the organisation that made report %s to you",
                        "%s mag alleen naar de organisatie die melding %s bij u deed", r->name, ref);
    return 0;
}

int vn_policy_check(const vn_policy_t *p, const Vn__Header *h, const vn_policy_env_t *env,
                    uint64_t now, vn_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    /* One value per justification key: the policy and the audit log must read the same one. */
    for (size_t i = 0; i < h->n_justification; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->justification[i]->key, h->justification[j]->key) == 0) {
                char code[96];
                snprintf(code, sizeof code, "duplicate-justification:%.60s",
                         h->justification[i]->key);
                return vn_verdict_refuse(v, code, "justification field %.64s is given twice",
                                "verantwoordingsveld %.64s staat er twee keer in",
                                h->justification[i]->key);
            }
    const basis_rule_t *r = NULL;
    for (size_t i = 0; i < p->n && !r; i++)
        if (strcmp(p->rules[i].name, h->basis) == 0)
            r = &p->rules[i];
    if (!r)
        return vn_verdict_refuse(v, "unknown-legal-basis",
                        "'%.64s' is not a legal basis this network allows",
                        "'%.64s' is geen grondslag die dit netwerk toestaat", h->basis);
    const char *sender_sector = env->sector_of(env->ctx, h->sender);
    if (!sender_sector || !s_in_list(r->senders, sender_sector))
        return vn_verdict_refuse(v, "basis-not-allowed-for-sender",
                        "an organisation of sector %s may not disclose under %s",
                        "een organisatie uit sector %s mag niet verstrekken op grond van %s",
                        sender_sector ? sender_sector : "?", r->name);
    for (size_t i = 0; i < h->n_recipients; i++) {
        const char *sector = env->sector_of(env->ctx, h->recipients[i]);
        if (!sector || !s_in_list(r->recipients, sector))
            return vn_verdict_refuse(v, "basis-not-allowed-for-recipient",
                            "%s may not go to %s (sector %s); it allows only: %s",
                            "%s mag niet naar %s (sector %s); alleen naar: %s", r->name,
                            h->recipients[i], sector ? sector : "?", r->recipients);
    }
    if (!s_in_list(r->categories, h->category))
        return vn_verdict_refuse(v, "category-not-allowed", "category %s is not allowed under %s",
                        "categorie %s is niet toegestaan op grond van %s", h->category, r->name);
    int has_subject = h->subject_pseudonym.len == 32;
    if (r->subject == SUBJECT_FORBIDDEN && has_subject)
        return vn_verdict_refuse(v, "advice-must-be-anonymous",
                        "%s must not identify the person: send it without a subject",
                        "%s mag de persoon niet identificeren: verstuur zonder BSN", r->name);
    if (r->subject == SUBJECT_REQUIRED && !has_subject)
        return vn_verdict_refuse(v, "subject-required", "%s needs the subject (a BSN)",
                        "%s vereist de betrokkene (een BSN)", r->name);
    for (int i = 0; i < r->n_fields; i++) {
        const field_rule_t *f = &r->fields[i];
        const char *val = vn_header_field(h, f->name);
        char code[96];
        if (!val) {
            snprintf(code, sizeof code, "missing-justification:%s", f->name);
            return vn_verdict_refuse(v, code, "%s requires the justification field %s",
                            "%s vereist het verantwoordingsveld %s", r->name, f->name);
        }
        int ok = f->type == F_TEXT    ? 1
                 : f->type == F_DATE  ? s_date_valid(val, now)
                 : f->type == F_MSGID ? strlen(val) == 32 && strspn(val, "0123456789abcdef") == 32
                                      : s_enum_valid(f->values, val);
        if (!ok) {
            snprintf(code, sizeof code, "invalid-justification:%s", f->name);
            return vn_verdict_refuse(v, code, "field %s has an invalid value (%s expected)",
                            "veld %s heeft een ongeldige waarde (verwacht: %s)", f->name,
                            f->type == F_DATE ? "a date YYYY-MM-DD, not in the future"
                            : f->type == F_MSGID ? "a message id" : f->values);
        }
    }
    if (r->match && !h->match_id[0])
        return vn_verdict_refuse(v, "match-id-required", "%s needs the match it belongs to (match_id)",
                        "%s vereist de match waar het bij hoort (match_id)", r->name);
    if (h->match_id[0] && env->in_match) {
        /* Everyone named must take part in the match the envelope says it belongs to. */
        if (!env->in_match(env->ctx, h->match_id, h->sender))
            return vn_verdict_refuse(v, "not-in-match", "%s takes no part in match %.40s",
                            "%s neemt geen deel aan match %.40s", h->sender, h->match_id);
        for (size_t i = 0; i < h->n_recipients; i++)
            if (!env->in_match(env->ctx, h->match_id, h->recipients[i]))
                return vn_verdict_refuse(v, "not-in-match", "recipient %s takes no part in match %.40s",
                                "ontvanger %s neemt geen deel aan match %.40s", h->recipients[i],
                                h->match_id);
    }
    if (r->consent && s_check_consent(h, env, now, v) != 0)
        return -1;
    if (r->reply_to[0] && s_check_reply(r, h, env, v) != 0)
        return -1;
    v->review = r->review;
    return 0;
}

int vn_policy_consent_still_valid(const Vn__Header *h, const char *recipient,
                                  const char *recipient_sector, const vn_policy_env_t *env,
                                  uint64_t now, vn_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    const char *ref = vn_header_field(h, "consent-ref");
    if (!ref)
        return 0; /* not a consent-based disclosure */
    vn_consent_view_t c = {0};
    env->consent(env->ctx, ref, &c);
    if (!c.found)
        return vn_verdict_refuse(v, "consent-unknown", "consent %s is no longer registered",
                        "toestemming %s is niet meer geregistreerd", ref);
    if (s_consent_current(&c, ref, now, v) != 0)
        return -1;
    if (!s_consent_covers(&c, recipient, recipient_sector))
        return vn_verdict_refuse(v, "consent-scope", "consent %s no longer covers %s",
                        "toestemming %s geldt niet meer voor %s", ref, recipient);
    return 0;
}

void vn_policy_print(const vn_policy_t *p, void *file)
{
    FILE *out = file;
    for (size_t i = 0; i < p->n; i++) {
        const basis_rule_t *r = &p->rules[i];
        static const char *subj[] = {"optional", "required", "forbidden (anonymous)"};
        fprintf(out, "%s%s%s\n", r->name, r->law[0] ? "  -- " : "", r->law);
        fprintf(out, "  senders:     %s\n  recipients:  %s\n  categories:  %s\n  subject:     %s\n",
                r->senders, r->recipients, r->categories, subj[r->subject]);
        if (r->consent)
            fprintf(out, "  consent:     a registered, current consent covering recipients and category\n");
        if (r->reply_to[0])
            fprintf(out, "  reply to:    a %s message the recipient sent to the sender\n", r->reply_to);
        if (r->review)
            fprintf(out, "  review:      flagged for a privacy officer\n");
        if (r->match)
            fprintf(out, "  match:       sender and every recipient take part in match_id\n");
        for (int f = 0; f < r->n_fields; f++)
            fprintf(out, "  field:       %-26s %s\n", r->fields[f].name,
                    r->fields[f].type == F_TEXT   ? "text"
                    : r->fields[f].type == F_DATE ? "date (YYYY-MM-DD)"
                    : r->fields[f].type == F_MSGID ? "message id"
                                                   : r->fields[f].values);
    }
    vn_signal_rules_print(&p->signals, out);
}
