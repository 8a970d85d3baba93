/* vn_signal_policy.c -- [signals] and [coordination] policy sections: parsing, the registration
 * check (sector, dates, informed parties by age, limits) and the covenant rule for coordinators. */
#include "vn_signal_policy.h"
#include "vn_keys.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400u
#define FUTURE_SLACK 300u /* clocks of agent and broker may differ a little */

void vn_signal_rules_default(vn_signal_rules_t *r)
{
    memset(r, 0, sizeof *r);
    r->max_active_days = 730;
    r->retention_days = 1825;
    r->max_age = 23;
    r->bands[0] = (vn_age_band_t){0, 11, 1, 0};
    r->bands[1] = (vn_age_band_t){12, 15, 1, 1};
    r->bands[2] = (vn_age_band_t){16, 23, 0, 1};
    r->n_bands = 3;
}

/* 1 if every item of a comma-separated list is a sector ("*" alone allowed when star). */
static int s_sectors_valid(const char *list, int star)
{
    if (star && strcmp(list, "*") == 0)
        return 1;
    char copy[VN_SIGNAL_LIST_MAX], *save = NULL;
    if (strlen(list) >= sizeof copy)
        return 0;
    snprintf(copy, sizeof copy, "%s", list);
    int n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++)
        if (!vn_sector_valid(t) || strcmp(t, "broker") == 0)
            return 0;
    return n > 0;
}

/* Position of item in a comma-separated list, or -1. */
static int s_list_pos(const char *list, const char *item)
{
    size_t n = strlen(item);
    int pos = 0;
    for (const char *s = list; *s; pos++) {
        while (*s == ',' || *s == ' ')
            s++;
        if (!*s)
            break;
        size_t len = strcspn(s, ", ");
        if (len == n && strncmp(s, item, n) == 0)
            return pos;
        s += len;
    }
    return -1;
}

static int s_days(const char *value, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (!value[0] || *end || v < min || v > max)
        return 0;
    *out = (unsigned)v;
    return 1;
}

/* informed.FROM-TO = ouders | jongere | ouders,jongere */
static int s_band(vn_signal_rules_t *r, const char *range, const char *value)
{
    unsigned from, to;
    char tail;
    if (sscanf(range, "%u-%u%c", &from, &to, &tail) != 2 || from > to || to > 99 ||
        r->n_bands == VN_SIGNAL_MAX_AGE_BANDS)
        return 0;
    vn_age_band_t b = {from, to, 0, 0};
    char copy[64], *save = NULL;
    if (strlen(value) >= sizeof copy)
        return 0;
    snprintf(copy, sizeof copy, "%s", value);
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "ouders") == 0 && !b.ouders)
            b.ouders = 1;
        else if (strcmp(t, "jongere") == 0 && !b.jongere)
            b.jongere = 1;
        else
            return 0;
    }
    if (!b.ouders && !b.jongere)
        return 0;
    r->bands[r->n_bands++] = b;
    return 1;
}

int vn_signal_rules_key(vn_signal_rules_t *r, const char *section, const char *name,
                        const char *value, char *err, size_t errlen)
{
    int ok;
    if (strcmp(section, "signals") == 0) {
        r->seen_signals = 1;
        if (strcmp(name, "senders") == 0) {
            ok = s_sectors_valid(value, 1);
            snprintf(r->senders, sizeof r->senders, "%s", value);
        } else if (strcmp(name, "max-active-days") == 0) {
            ok = s_days(value, 1, 730, &r->max_active_days);
        } else if (strcmp(name, "retention-days") == 0) {
            ok = s_days(value, 1, 3650, &r->retention_days);
        } else if (strcmp(name, "max-age") == 0) {
            ok = s_days(value, 0, 99, &r->max_age);
        } else if (strncmp(name, "informed.", 9) == 0) {
            if (!r->bands_from_file) /* the file's age bands replace the defaults */
                r->n_bands = 0;
            r->bands_from_file = 1;
            ok = s_band(r, name + 9, value);
        } else {
            snprintf(err, errlen, "[signals] unknown key '%.60s' (senders, max-active-days, "
                     "retention-days, max-age, informed.FROM-TO)", name);
            return 0;
        }
    } else {
        r->seen_coordination = 1;
        if (strcmp(name, "order") == 0) {
            ok = s_sectors_valid(value, 0);
            snprintf(r->order, sizeof r->order, "%s", value);
        } else if (strcmp(name, "never") == 0) {
            ok = s_sectors_valid(value, 0);
            snprintf(r->never, sizeof r->never, "%s", value);
        } else {
            snprintf(err, errlen, "[coordination] unknown key '%.60s' (order, never)", name);
            return 0;
        }
    }
    if (!ok)
        snprintf(err, errlen, "[%s] %.60s = %.80s: invalid value", section, name, value);
    return ok;
}

int vn_signal_rules_finish(vn_signal_rules_t *r, char *err, size_t errlen)
{
    if (r->seen_signals) {
        /* Every age 0..max_age in exactly one band. */
        for (unsigned age = 0; age <= r->max_age; age++) {
            int n = 0;
            for (int i = 0; i < r->n_bands; i++)
                n += age >= r->bands[i].from && age <= r->bands[i].to;
            if (n != 1) {
                snprintf(err, errlen, "[signals] age %u is in %d informed.FROM-TO bands (exactly "
                         "one needed for every age 0..%u)", age, n, r->max_age);
                return -1;
            }
        }
        if (r->retention_days < r->max_active_days) {
            snprintf(err, errlen, "[signals] retention-days (%u) is shorter than max-active-days "
                     "(%u)", r->retention_days, r->max_active_days);
            return -1;
        }
    }
    char copy[VN_SIGNAL_LIST_MAX], *save = NULL;
    snprintf(copy, sizeof copy, "%s", r->order);
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (s_list_pos(r->never, t) >= 0) {
            snprintf(err, errlen, "[coordination] sector %s is both in order and in never", t);
            return -1;
        }
    }
    return 0;
}

static int s_check_informed(const vn_signal_rules_t *r, const Vn__SignalRecord *rec,
                            vn_signal_verdict_t *v)
{
    int ouders = 0, jongere = 0, niet = 0;
    for (size_t i = 0; i < rec->n_informed; i++) {
        const char *x = rec->informed[i];
        int *flag = strcmp(x, "ouders") == 0 ? &ouders : strcmp(x, "jongere") == 0 ? &jongere
                    : strcmp(x, "niet") == 0 ? &niet : NULL;
        if (!flag || *flag)
            return vn_verdict_refuse(v, "informed-parties-wrong",
                            "informed must list ouders, jongere (or both) or niet, each once",
                            "geïnformeerd moet ouders, jongere (of beide) of niet noemen, elk "
                            "eenmaal");
        *flag = 1;
    }
    if (niet) {
        if (ouders || jongere)
            return vn_verdict_refuse(v, "informed-parties-wrong",
                            "niet cannot be combined with ouders or jongere",
                            "niet kan niet samen met ouders of jongere");
        if (!vn_field_valid(rec->not_informed_reason, VN_SIGNAL_MAX_REASON))
            return vn_verdict_refuse(v, "informed-parties-wrong",
                            "informed = niet needs a reason why nobody was told (at most %d bytes)",
                            "geïnformeerd = niet vereist een reden waarom niemand is ingelicht "
                            "(hoogstens %d bytes)", VN_SIGNAL_MAX_REASON);
        return 0;
    }
    if (!ouders && !jongere)
        return vn_verdict_refuse(v, "informed-parties-wrong",
                        "say who was told: ouders, jongere, both, or niet with a reason",
                        "geef aan wie is ingelicht: ouders, jongere, beide, of niet met een reden");
    if (rec->not_informed_reason[0])
        return vn_verdict_refuse(v, "informed-parties-wrong",
                        "a reason for not informing is only given with informed = niet",
                        "een reden om niet te informeren hoort alleen bij geïnformeerd = niet");
    for (int i = 0; i < r->n_bands; i++) {
        const vn_age_band_t *b = &r->bands[i];
        if (rec->youth_age < b->from || rec->youth_age > b->to)
            continue;
        if ((b->ouders && !ouders) || (b->jongere && !jongere))
            return vn_verdict_refuse(v, "informed-parties-wrong",
                            "for a youth aged %u-%u %s must be told (or informed = niet with a "
                            "reason); this signal names %s%s%s",
                            "bij een jongere van %u-%u jaar moeten %s zijn ingelicht (of "
                            "geïnformeerd = niet met een reden); dit signaal noemt %s%s%s",
                            b->from, b->to,
                            b->ouders && b->jongere ? "the parents and the youth (ouders,jongere)"
                            : b->ouders             ? "the parents (ouders)"
                                                    : "the youth (jongere)",
                            ouders ? "ouders" : "", ouders && jongere ? "," : "",
                            jongere ? "jongere" : "");
        return 0;
    }
    return 0;
}

int vn_signal_check(const vn_signal_rules_t *r, Vn__SignalRecord *rec, const char *sector,
                    uint64_t now, vn_signal_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    if (!r->seen_signals || !sector || strcmp(sector, "broker") == 0 ||
        (strcmp(r->senders, "*") != 0 && s_list_pos(r->senders, sector) < 0))
        return vn_verdict_refuse(v, "signal-sector-not-allowed",
                        "an organisation of sector %s may not register signals (allowed: %s)",
                        "een organisatie uit sector %s mag geen signalen afgeven (toegestaan: %s)",
                        sector ? sector : "?", r->senders[0] ? r->senders : "none");
    if (rec->youth_pseudonym.len != 32)
        return vn_verdict_refuse(v, "signal-invalid", "a signal names one youth (a 32-byte pseudonym)",
                        "een signaal noemt één jongere (een pseudoniem van 32 bytes)");
    if (rec->n_parent_pseudonyms > VN_SIGNAL_MAX_PARENTS)
        return vn_verdict_refuse(v, "signal-invalid", "at most %d parents or carers per signal (%zu given)",
                        "hoogstens %d ouders of verzorgers per signaal (%zu gegeven)",
                        VN_SIGNAL_MAX_PARENTS, rec->n_parent_pseudonyms);
    for (size_t i = 0; i < rec->n_parent_pseudonyms; i++) {
        const ProtobufCBinaryData *p = &rec->parent_pseudonyms[i];
        int dup = p->len == 32 && memcmp(p->data, rec->youth_pseudonym.data, 32) == 0;
        /* Compared only at 32 bytes: a shorter one is refused below, never read past its end. */
        for (size_t j = 0; j < i && !dup && p->len == 32; j++)
            dup = memcmp(p->data, rec->parent_pseudonyms[j].data, 32) == 0;
        if (p->len != 32 || dup)
            return vn_verdict_refuse(v, "signal-invalid",
                            "each parent is a distinct 32-byte pseudonym, not the youth's",
                            "elke ouder is een eigen pseudoniem van 32 bytes, niet dat van de "
                            "jongere");
    }
    if (!vn_field_valid(rec->category, 64))
        return vn_verdict_refuse(v, "signal-invalid", "a signal needs a category (at most 64 bytes)",
                        "een signaal heeft een categorie nodig (hoogstens 64 bytes)");
    if (!vn_field_valid(rec->user_id, 256) ||
        (rec->user_role[0] && !vn_field_valid(rec->user_role, 256)))
        return vn_verdict_refuse(v, "signal-invalid", "a signal names the registering professional "
                        "(user_id, at most 256 bytes)",
                        "een signaal noemt de professional die het afgeeft (user_id, hoogstens "
                        "256 bytes)");
    if (rec->youth_age > r->max_age)
        return vn_verdict_refuse(v, "youth-too-old",
                        "signals are for youths aged 0-%u; this one is %u",
                        "signalen gaan over jongeren van 0-%u jaar; deze is %u", r->max_age,
                        rec->youth_age);
    uint64_t max_active = (uint64_t)r->max_active_days * DAY;
    if (rec->signal_date > now + FUTURE_SLACK || rec->signal_date + max_active <= now)
        return vn_verdict_refuse(v, "signal-date-invalid",
                        "the signal date must be today or in the past %u days",
                        "de signaaldatum moet vandaag zijn of in de afgelopen %u dagen",
                        r->max_active_days);
    if (rec->active_until == 0)
        rec->active_until = rec->signal_date + max_active;
    if (rec->active_until <= now || rec->active_until <= rec->signal_date ||
        rec->active_until > rec->signal_date + max_active)
        return vn_verdict_refuse(v, "signal-date-invalid",
                        "active_until must lie in the future and at most %u days after the "
                        "signal date",
                        "actief-tot moet in de toekomst liggen en hoogstens %u dagen na de "
                        "signaaldatum", r->max_active_days);
    if (s_check_informed(r, rec, v) != 0)
        return -1;
    rec->delete_after = rec->signal_date + (uint64_t)r->retention_days * DAY;
    return 0;
}

int vn_signal_may_coordinate(const vn_signal_rules_t *r, const char *sector, unsigned *rank)
{
    if (!sector || s_list_pos(r->never, sector) >= 0)
        return 0;
    int pos = s_list_pos(r->order, sector);
    if (pos < 0)
        return 0;
    if (rank)
        *rank = (unsigned)pos;
    return 1;
}

int vn_signal_choose_coordinator(const vn_signal_rules_t *r, const vn_coord_candidate_t *c,
                                 size_t n)
{
    int best = -1;
    unsigned best_rank = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned rank;
        if (!c[i].active || !vn_signal_may_coordinate(r, c[i].sector, &rank))
            continue;
        int better = best < 0 || rank < best_rank;
        if (!better && rank == best_rank) {
            const vn_coord_candidate_t *b = &c[best];
            better = c[i].signal_date < b->signal_date ||
                     (c[i].signal_date == b->signal_date &&
                      (c[i].registered < b->registered ||
                       (c[i].registered == b->registered && strcmp(c[i].org, b->org) < 0)));
        }
        if (better) {
            best = (int)i;
            best_rank = rank;
        }
    }
    return best;
}

void vn_signal_rules_print(const vn_signal_rules_t *r, void *file)
{
    FILE *out = file;
    if (!r->seen_signals) {
        fprintf(out, "signals: not configured (no organisation may register signals)\n");
        return;
    }
    fprintf(out, "signals\n  senders:     %s\n  active:      at most %u days\n"
            "  retention:   %u days after the signal date\n  ages:        0-%u\n",
            r->senders[0] ? r->senders : "none", r->max_active_days, r->retention_days,
            r->max_age);
    for (int i = 0; i < r->n_bands; i++)
        fprintf(out, "  informed:    age %u-%u: %s%s%s (or niet with a reason)\n", r->bands[i].from,
                r->bands[i].to, r->bands[i].ouders ? "ouders" : "",
                r->bands[i].ouders && r->bands[i].jongere ? "," : "",
                r->bands[i].jongere ? "jongere" : "");
    fprintf(out, "coordination\n  order:       %s\n  never:       %s\n",
            r->order[0] ? r->order : "(none: matches get no coordinator)",
            r->never[0] ? r->never : "-");
}
