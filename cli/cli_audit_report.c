/* cli_audit_report.c -- `vangnet audit query|subject|review`: what a privacy officer asks of the
 * log: filtered records (table, JSON lines, CSV), a data subject's access report (GDPR art. 15,
 * HTML), and the disclosures that need a human look. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_audit.h"
#include "vn_audit_query.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_pseudonymd.h"
#include "vn_subject.h"
#include "vn_util.h"

typedef struct {
    const char *data, *format, *out, *pseudonym_key, *bsn;
    const char *service, *service_public, *keys; /* v2: the pseudonym service, purpose art15 */
    int with_names;
    vn_audit_filter_t f;
    uint8_t subject[32];
    uint8_t subject_v1[32];   /* with --service and --pseudonym-key: the child's v1 pseudonym too */
    char desc[512];             /* the filter, for the access record */
    FILE *fp;
    size_t count;
} s_opts_t;

static uint64_t s_date_us(const char *s)
{
    uint64_t t;
    return vn_date_parse(s, &t) == 0 && t > 0 ? t * 1000000u : 0;
}

/* A date (full = 0) or an ISO 8601 UTC time (full = 1). */
static void s_when(uint64_t us, char *out, size_t len, int full)
{
    time_t t = (time_t)(us / 1000000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (full)
        strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        strftime(out, len, "%Y-%m-%d", &tm);
}

static int s_event_by_name(const char *name)
{
    for (int e = 1; e < 128; e++)
        if (strcmp(vn_audit_event_name((Vn__AuditRecord__Event)e), "UNKNOWN") != 0 &&
            strcasecmp(vn_audit_event_name((Vn__AuditRecord__Event)e), name) == 0)
            return e;
    return -2;
}

static int s_print_query(void *ctx, const Vn__AuditRecord *r)
{
    s_opts_t *o = ctx;
    o->count++;
    if (strcmp(o->format, "jsonl") == 0) {
        json_object *j = cli_audit_json(r);
        fprintf(o->fp, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        json_object_put(j);
    } else if (strcmp(o->format, "csv") == 0) {
        char seq[24], when[32], recips[1024] = "", just[2048] = "", subj[65] = "", msg[33] = "";
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)r->seq);
        s_when(r->time_us, when, sizeof when, 1);
        for (size_t i = 0; i < r->n_recipients; i++)
            snprintf(recips + strlen(recips), sizeof recips - strlen(recips), "%s%s", i ? ";" : "",
                     r->recipients[i]);
        for (size_t i = 0; i < r->n_justification; i++)
            snprintf(just + strlen(just), sizeof just - strlen(just), "%s%s=%s", i ? ";" : "",
                     r->justification[i]->key, r->justification[i]->value);
        if (r->subject_pseudonym.len == 32)
            vn_hex(subj, r->subject_pseudonym.data, 32);
        if (r->message_id.len == VN_MSGID_BYTES)
            vn_hex(msg, r->message_id.data, VN_MSGID_BYTES);
        const char *fields[] = {seq, when, vn_audit_event_name(r->event), r->actor_org,
                                r->user_id, r->user_role, recips, subj, r->category, r->basis,
                                just, msg, r->outcome, r->reason};
        for (size_t i = 0; i < 14; i++)
            cli_csv_field(o->fp, fields[i], i == 13);
    } else {
        vn_audit_print(o->fp, r);
    }
    return 0;
}

/* ---- the data subject's access report ---- */

typedef struct {
    uint64_t seq, time_us;
    char msgid[33], actor[80], category[80], basis[80], user[160], recipients[512];
    char outcomes[1024];    /* per recipient: delivered on DATE / not delivered: reason */
    int refused;
} s_row_t;

/* One signal on the subject (as youth, or naming them as parent), with what became of it. */
typedef struct {
    char id[40], owner[80], category[80], role[16], fate[160];
    uint64_t time_us;
} s_signal_row_t;

typedef struct {
    s_opts_t *o;
    s_row_t *rows;
    size_t n, cap;
    char consents[8192];
    s_signal_row_t *signals;
    size_t n_signals, cap_signals;
    char *matches;          /* HTML rows: who was told about whom, when; coordination */
    size_t matches_len, matches_cap;
} s_report_t;

static s_row_t *s_row_for(s_report_t *rep, const uint8_t *msgid)
{
    char hex[33];
    vn_hex(hex, msgid, VN_MSGID_BYTES);
    for (size_t i = rep->n; i-- > 0;)
        if (strcmp(rep->rows[i].msgid, hex) == 0)
            return &rep->rows[i];
    return NULL;
}

static const char *s_basis_text(const char *basis)
{
    static const char *const map[][2] = {
        {"consent", "met toestemming / with consent"},
        {"meldrecht", "melding aan Veilig Thuis (art. 5.2.6 Wmo 2015) / report to Veilig Thuis"},
        {"raad-1-240", "informatie aan de Raad voor de Kinderbescherming (art. 1:240 BW)"},
        {"gi-ots", "informatie aan de gecertificeerde instelling bij ondertoezichtstelling"},
        {"conflict-van-plichten", "conflict van plichten / conflict of duties"},
        {"terugkoppeling", "terugkoppeling van Veilig Thuis aan de melder"},
        {"advies", "anonieme adviesvraag"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(basis, map[i][0]) == 0)
            return map[i][1];
    return basis;
}

static void s_html(FILE *out, const char *s);

/* Append printf output to the report's match rows (HTML-escaped by the caller's arguments). */
static void s_matches_add(s_report_t *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_matches_add(s_report_t *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (rep->matches_len + (size_t)n + 1 > rep->matches_cap) {
        size_t cap = (rep->matches_cap ? 2 * rep->matches_cap : 4096) + (size_t)n;
        char *more = realloc(rep->matches, cap);
        if (!more)
            return;
        rep->matches = more;
        rep->matches_cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(rep->matches + rep->matches_len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rep->matches_len += (size_t)n;
}

/* Text for HTML: the five special characters escaped (into out, at most len). */
static const char *s_esc(char *out, size_t len, const char *in)
{
    size_t o = 0;
    for (; *in && o + 7 < len; in++) {
        const char *rep = *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : *in == '&' ? "&amp;"
                          : *in == '"' ? "&quot;" : NULL;
        if (rep) {
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
    return out;
}

static s_signal_row_t *s_signal_row(s_report_t *rep, const char *id)
{
    for (size_t i = 0; i < rep->n_signals; i++)
        if (strcmp(rep->signals[i].id, id) == 0)
            return &rep->signals[i];
    return NULL;
}

/* Signals and matches (art. 15: which organisations know of each other about you, since when). */
static void s_collect_signal(s_report_t *rep, const Vn__AuditRecord *r, const char *when)
{
    char a[256], b[1024], c[256];
    const char *about = NULL, *event = "", *coordinator = "";
    for (size_t i = 0; i < r->n_justification; i++) {
        const char *k = r->justification[i]->key, *v = r->justification[i]->value;
        if (strcmp(k, "participants") == 0)
            about = v;
        else if (strcmp(k, "event") == 0)
            event = v;
        else if (strcmp(k, "coordinator") == 0)
            coordinator = v;
    }
    char recips[512] = "";
    for (size_t i = 0; i < r->n_recipients; i++)
        snprintf(recips + strlen(recips), sizeof recips - strlen(recips), "%s%s", i ? ", " : "",
                 r->recipients[i]);
    switch (r->event) {
    case VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED: {
        if (rep->n_signals == rep->cap_signals) {
            size_t cap = rep->cap_signals ? 2 * rep->cap_signals : 16;
            s_signal_row_t *more = realloc(rep->signals, cap * sizeof *more);
            if (!more)
                return;
            rep->signals = more;
            rep->cap_signals = cap;
        }
        s_signal_row_t *row = &rep->signals[rep->n_signals++];
        memset(row, 0, sizeof *row);
        snprintf(row->id, sizeof row->id, "%s", r->signal_id);
        snprintf(row->owner, sizeof row->owner, "%s", r->actor_org);
        snprintf(row->category, sizeof row->category, "%s", r->category);
        int as_youth = r->subject_pseudonym.len == 32 &&
                       (memcmp(r->subject_pseudonym.data, rep->o->subject, 32) == 0 ||
                        (rep->o->f.subject_also &&
                         memcmp(r->subject_pseudonym.data, rep->o->subject_v1, 32) == 0));
        snprintf(row->role, sizeof row->role, "%s", as_youth ? "jeugdige" : "ouder");
        snprintf(row->fate, sizeof row->fate, "actief / active");
        row->time_us = r->time_us;
        break;
    }
    case VN__AUDIT_RECORD__EVENT__SIGNAL_WITHDRAWN:
    case VN__AUDIT_RECORD__EVENT__SIGNAL_INACTIVE:
    case VN__AUDIT_RECORD__EVENT__SIGNAL_DELETED: {
        s_signal_row_t *row = s_signal_row(rep, r->signal_id);
        if (row)
            snprintf(row->fate, sizeof row->fate, "%s %s",
                     r->event == VN__AUDIT_RECORD__EVENT__SIGNAL_WITHDRAWN
                         ? "ingetrokken / withdrawn"
                     : r->event == VN__AUDIT_RECORD__EVENT__SIGNAL_INACTIVE
                         ? "inactief sinds / inactive since"
                         : "verwijderd / deleted",
                     when);
        break;
    }
    case VN__AUDIT_RECORD__EVENT__MATCH_NOTIFIED: {
        char ev[64], co[128];
        s_matches_add(rep, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s: weet van / knows of: %s; "
                           "regievoerder / coordinator: %s</td></tr>\n",
                      when, s_esc(a, sizeof a, r->match_id), s_esc(c, sizeof c, recips),
                      s_esc(ev, sizeof ev, event), s_esc(b, sizeof b, about && about[0] ? about : "-"),
                      s_esc(co, sizeof co, coordinator[0] ? coordinator : "-"));
        break;
    }
    case VN__AUDIT_RECORD__EVENT__COORDINATOR_ASSIGNED:
    case VN__AUDIT_RECORD__EVENT__COORDINATOR_HANDOVER_OFFERED:
    case VN__AUDIT_RECORD__EVENT__MATCH_AGREED: {
        const char *what = r->event == VN__AUDIT_RECORD__EVENT__COORDINATOR_ASSIGNED
                               ? "regievoerder / coordinator"
                           : r->event == VN__AUDIT_RECORD__EVENT__MATCH_AGREED
                               ? "afgestemd / agreed on one plan"
                               : "overdracht aangeboden / handover offered";
        char fields[512] = "";
        for (size_t i = 0; i < r->n_justification; i++)
            if (strcmp(r->justification[i]->key, "participants") != 0)
                snprintf(fields + strlen(fields), sizeof fields - strlen(fields), " %s=%s",
                         r->justification[i]->key, r->justification[i]->value);
        s_matches_add(rep, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s:%s</td></tr>\n", when,
                      s_esc(a, sizeof a, r->match_id), s_esc(c, sizeof c, r->actor_org), what,
                      s_esc(b, sizeof b, fields));
        break;
    }
    default: break;
    }
}

static int s_collect(void *ctx, const Vn__AuditRecord *r)
{
    s_report_t *rep = ctx;
    char when[32];
    s_when(r->time_us, when, sizeof when, 0);
    if (r->event >= VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED &&
        r->event <= VN__AUDIT_RECORD__EVENT__MATCH_AGREED) {
        s_collect_signal(rep, r, when);
        return 0;
    }
    if (r->event == VN__AUDIT_RECORD__EVENT__ACCEPTED || r->event == VN__AUDIT_RECORD__EVENT__REFUSED) {
        if (rep->n == rep->cap) {
            size_t cap = rep->cap ? 2 * rep->cap : 64;
            s_row_t *more = realloc(rep->rows, cap * sizeof *more);
            if (!more)
                return 1;
            rep->rows = more;
            rep->cap = cap;
        }
        s_row_t *row = &rep->rows[rep->n++];
        memset(row, 0, sizeof *row);
        row->seq = r->seq;
        row->time_us = r->time_us;
        row->refused = r->event == VN__AUDIT_RECORD__EVENT__REFUSED;
        if (r->message_id.len == VN_MSGID_BYTES)
            vn_hex(row->msgid, r->message_id.data, VN_MSGID_BYTES);
        snprintf(row->actor, sizeof row->actor, "%s", r->actor_org);
        snprintf(row->category, sizeof row->category, "%s", r->category);
        snprintf(row->basis, sizeof row->basis, "%s", r->basis);
        snprintf(row->user, sizeof row->user, "%s (%s)", r->user_id, r->user_role);
        for (size_t i = 0; i < r->n_recipients; i++)
            snprintf(row->recipients + strlen(row->recipients),
                     sizeof row->recipients - strlen(row->recipients), "%s%s", i ? ", " : "",
                     r->recipients[i]);
    } else if (r->message_id.len == VN_MSGID_BYTES &&
               (r->event == VN__AUDIT_RECORD__EVENT__DELIVERED ||
                r->event == VN__AUDIT_RECORD__EVENT__EXPIRED ||
                r->event == VN__AUDIT_RECORD__EVENT__WITHHELD ||
                r->event == VN__AUDIT_RECORD__EVENT__DELIVERY_FAILED)) {
        s_row_t *row = s_row_for(rep, r->message_id.data);
        if (row && r->n_recipients == 1)
            snprintf(row->outcomes + strlen(row->outcomes),
                     sizeof row->outcomes - strlen(row->outcomes), "%s%s: %s %s", row->outcomes[0] ? "; " : "",
                     r->recipients[0],
                     r->event == VN__AUDIT_RECORD__EVENT__DELIVERED ? "ontvangen op / received" : "niet verstrekt / not disclosed,",
                     r->event == VN__AUDIT_RECORD__EVENT__DELIVERED ? when : r->outcome);
    } else if (r->event == VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED ||
               r->event == VN__AUDIT_RECORD__EVENT__CONSENT_WITHDRAWN) {
        char recips[512] = "";
        for (size_t i = 0; i < r->n_recipients; i++)
            snprintf(recips + strlen(recips), sizeof recips - strlen(recips), "%s%s", i ? ", " : "",
                     r->recipients[i]);
        snprintf(rep->consents + strlen(rep->consents), sizeof rep->consents - strlen(rep->consents),
                 "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", when, r->actor_org,
                 r->event == VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED ? "gegeven voor / given for"
                                                                         : "ingetrokken / withdrawn",
                 recips);
    }
    return 0;
}

static void s_html(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* The cells every report row starts with: date, by whom, to whom. */
static void s_row_cells(FILE *out, const s_row_t *r)
{
    char when[32];
    s_when(r->time_us, when, sizeof when, 0);
    fprintf(out, "<tr><td>%s</td><td>", when);
    s_html(out, r->actor);
    fputs("</td><td>", out);
    s_html(out, r->recipients);
    fputs("</td><td>", out);
}

static void s_render(s_report_t *rep, const s_opts_t *o)
{
    FILE *out = o->fp;
    char now[32];
    s_when((uint64_t)time(NULL) * 1000000u, now, sizeof now, 0);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
                 "<title>Overzicht van verstrekkingen</title><style>"
                 "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
                 "table{border-collapse:collapse;width:100%%}td,th{border:1px solid #999;"
                 "padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eee}"
                 "</style></head><body>\n<h1>Overzicht van verstrekkingen over u</h1>\n"
                 "<p><em>Disclosures about you.</em> Dit overzicht (art. 15 AVG) toont welke "
                 "organisaties informatie over u hebben gedeeld via vangnet, aan wie, wanneer, welk "
                 "soort informatie en op welke grond. De inhoud staat niet in dit overzicht: die is "
                 "alleen bij de betrokken organisaties. Opgesteld op %s.</p>\n"
                 "<h2>Verstrekkingen / disclosures</h2>\n<table><tr><th>Datum</th><th>Door</th>"
                 "<th>Aan (ontvangers)</th><th>Soort informatie</th><th>Grondslag en doel</th>"
                 "<th>Afgeleverd</th>%s</tr>\n",
            now, o->with_names ? "<th>Medewerker</th>" : "");
    size_t shown = 0;
    for (size_t i = 0; i < rep->n; i++) {
        const s_row_t *r = &rep->rows[i];
        if (r->refused)
            continue;
        s_row_cells(out, r);
        s_html(out, r->category);
        fputs("</td><td>", out);
        s_html(out, s_basis_text(r->basis));
        fputs("</td><td>", out);
        s_html(out, r->outcomes[0] ? r->outcomes : "nog niet / not yet");
        if (o->with_names) {
            fputs("</td><td>", out);
            s_html(out, r->user);
        }
        fputs("</td></tr>\n", out);
        shown++;
    }
    if (!shown)
        fputs("<tr><td colspan=\"6\">Geen verstrekkingen gevonden / none found.</td></tr>\n", out);
    fputs("</table>\n<h2>Geweigerd (niet verstrekt) / refused, nothing disclosed</h2>\n<table>"
          "<tr><th>Datum</th><th>Door</th><th>Aan</th><th>Grondslag</th></tr>\n", out);
    for (size_t i = 0; i < rep->n; i++) {
        const s_row_t *r = &rep->rows[i];
        if (!r->refused)
            continue;
        s_row_cells(out, r);
        s_html(out, s_basis_text(r->basis));
        fputs("</td></tr>\n", out);
    }
    fprintf(out, "</table>\n<h2>Toestemmingen / consents</h2>\n<table><tr><th>Datum</th>"
                 "<th>Geregistreerd door</th><th></th><th>Ontvangers</th></tr>\n%s</table>\n",
            rep->consents);
    fputs("<h2>Signalen / signals</h2>\n<p>Een signaal zegt alleen dat een organisatie bij u (of "
          "bij uw kind, als ouder) betrokken is en zich zorgen maakt; geen inhoud, geen reden. "
          "<em>A signal says only that an organisation is involved and concerned.</em></p>\n"
          "<table><tr><th>Datum</th><th>Door</th><th>Soort</th><th>U als</th><th>Signaal</th>"
          "<th>Status</th></tr>\n", out);
    for (size_t i = 0; i < rep->n_signals; i++) {
        const s_signal_row_t *g = &rep->signals[i];
        char when[32];
        s_when(g->time_us, when, sizeof when, 0);
        fprintf(out, "<tr><td>%s</td><td>", when);
        s_html(out, g->owner);
        fputs("</td><td>", out);
        s_html(out, g->category);
        fprintf(out, "</td><td>%s</td><td>", g->role);
        s_html(out, g->id);
        fputs("</td><td>", out);
        s_html(out, g->fate);
        fputs("</td></tr>\n", out);
    }
    if (!rep->n_signals)
        fputs("<tr><td colspan=\"6\">Geen signalen / none.</td></tr>\n", out);
    fprintf(out, "</table>\n<h2>Matches: wie van wie weet / who knows of whom</h2>\n<table>"
                 "<tr><th>Datum</th><th>Match</th><th>Organisatie</th><th>Wat</th></tr>\n%s"
                 "</table>\n</body></html>\n",
            rep->matches_len ? rep->matches
                             : "<tr><td colspan=\"4\">Geen matches / none.</td></tr>\n");
}

/* ---- review ---- */

typedef struct {
    char org[80];
    uint64_t refused, accepted;
    uint64_t days[4096];     /* accepted per day, by day number modulo the window */
    uint64_t first_day;
} s_org_stats_t;

typedef struct {
    FILE *out;
    s_org_stats_t orgs[256];
    size_t n_orgs;
    uint64_t conflicts, unconsulted;
} s_review_t;

static s_org_stats_t *s_stats(s_review_t *rv, const char *org)
{
    for (size_t i = 0; i < rv->n_orgs; i++)
        if (strcmp(rv->orgs[i].org, org) == 0)
            return &rv->orgs[i];
    if (rv->n_orgs == 256)
        return NULL;
    s_org_stats_t *s = &rv->orgs[rv->n_orgs++];
    memset(s, 0, sizeof *s);
    snprintf(s->org, sizeof s->org, "%s", org);
    return s;
}

static int s_review_visit(void *ctx, const Vn__AuditRecord *r)
{
    s_review_t *rv = ctx;
    if (r->event == VN__AUDIT_RECORD__EVENT__ACCEPTED) {
        if (r->review || strcmp(r->basis, "conflict-van-plichten") == 0) {
            fputs("  conflict van plichten: ", rv->out);
            vn_audit_print(rv->out, r);
            rv->conflicts++;
        }
        int consulted = 0;
        for (size_t i = 0; i < r->n_justification; i++)
            consulted |= strcmp(r->justification[i]->key, "collegiale-consultatie") == 0;
        if (strcmp(r->basis, "meldrecht") == 0 && !consulted) {
            fputs("  melding zonder collegiale consultatie: ", rv->out);
            vn_audit_print(rv->out, r);
            rv->unconsulted++;
        }
    }
    s_org_stats_t *s = s_stats(rv, r->actor_org);
    if (s && r->event == VN__AUDIT_RECORD__EVENT__REFUSED)
        s->refused++;
    if (s && r->event == VN__AUDIT_RECORD__EVENT__ACCEPTED) {
        uint64_t day = r->time_us / 86400000000u;
        if (!s->accepted)
            s->first_day = day;
        if (day - s->first_day < 4096)
            s->days[day - s->first_day]++;
        s->accepted++;
    }
    return 0;
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_review_volumes(s_review_t *rv)
{
    fputs("\nRefusals and volumes per organisation:\n", rv->out);
    for (size_t i = 0; i < rv->n_orgs; i++) {
        s_org_stats_t *s = &rv->orgs[i];
        if (!s->accepted && !s->refused)
            continue;
        fprintf(rv->out, "  %-32s disclosures=%llu refused=%llu\n", s->org,
                (unsigned long long)s->accepted, (unsigned long long)s->refused);
        uint64_t active[4096];
        size_t n = 0;
        for (size_t d = 0; d < 4096; d++)
            if (s->days[d])
                active[n++] = s->days[d];
        if (n < 3)
            continue;
        qsort(active, n, sizeof *active, s_cmp);
        uint64_t median = active[n / 2];
        for (size_t d = 0; d < 4096; d++)
            if (s->days[d] >= 10 && s->days[d] > 3 * median) {
                char when[32];
                s_when((s->first_day + d) * 86400000000u, when, sizeof when, 0);
                fprintf(rv->out, "    unusual volume on %s: %llu disclosures (median day %llu)\n",
                        when, (unsigned long long)s->days[d], (unsigned long long)median);
            }
    }
}

int cli_audit_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},   {"from", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'u'},  {"org", required_argument, NULL, 'o'},
        {"subject", required_argument, NULL, 's'}, {"bsn", required_argument, NULL, 'B'},
        {"pseudonym-key", required_argument, NULL, 'k'},
        {"service", required_argument, NULL, 'S'}, {"service-public", required_argument, NULL, 'P'},
        {"keys", required_argument, NULL, 'K'}, {"basis", required_argument, NULL, 'b'},
        {"category", required_argument, NULL, 'c'}, {"event", required_argument, NULL, 'e'},
        {"refused", no_argument, NULL, 'r'},     {"format", required_argument, NULL, 'F'},
        {"out", required_argument, NULL, 'O'},   {"with-names", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    const char *verb = argv[1];
    s_opts_t o = {.format = "table", .f = {.event = -1}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        /* The filter, as given, goes into the access record (not paths, not the BSN). */
        size_t used = strlen(o.desc);
        for (int i = 0; opts[i].name && !strchr("dkOFB", c); i++)
            if (opts[i].val == c)
                snprintf(o.desc + used, sizeof o.desc - used, "%s%s=%s", used ? " " : "",
                         opts[i].name, optarg ? optarg : "yes");
        switch (c) {
        case 'd': o.data = optarg; break;
        case 'f': case 'u': {
            uint64_t t = s_date_us(optarg);
            if (!t)
                return cli_fail(CLI_USAGE, "audit %s: dates are YYYY-MM-DD", verb);
            *(c == 'f' ? &o.f.from_us : &o.f.until_us) = t;
            break;
        }
        case 'o': o.f.org = optarg; break;
        case 's':
            if (vn_unhex(o.subject, 32, optarg) != 0)
                return cli_fail(CLI_USAGE, "audit %s: --subject is a 64-hex-digit pseudonym", verb);
            o.f.subject = o.subject;
            break;
        case 'B': o.bsn = optarg; break;
        case 'k': o.pseudonym_key = optarg; break;
        case 'S': o.service = optarg; break;
        case 'P': o.service_public = optarg; break;
        case 'K': o.keys = optarg; break;
        case 'b': o.f.basis = optarg; break;
        case 'c': o.f.category = optarg; break;
        case 'e':
            if ((o.f.event = s_event_by_name(optarg)) < 0)
                return cli_fail(CLI_USAGE, "audit %s: unknown event '%s'", verb, optarg);
            break;
        case 'r': o.f.refused_only = 1; break;
        case 'F': o.format = optarg; break;
        case 'O': o.out = optarg; break;
        case 'n': o.with_names = 1; break;
        default: return CLI_USAGE;
        }
    }
    if (!o.data || optind != argc)
        return cli_fail(CLI_USAGE, "audit %s: --data DIR is required", verb);
    if (strcmp(o.format, "table") != 0 && strcmp(o.format, "jsonl") != 0 &&
        strcmp(o.format, "csv") != 0)
        return cli_fail(CLI_USAGE, "audit query: --format table|jsonl|csv");
    if (o.bsn || strcmp(verb, "subject") == 0) {
        /* At the agency, where the pseudonym key is: the BSN never reaches the broker's data. */
        char err[1200];
        uint8_t key[VN_PSEUDONYM_KEY_BYTES];
        if (o.bsn && o.service) {
            /* v2: the one pseudonym from the pseudonym service, under the officer's own
             * registered identity and budget, with the purpose art15 recorded there */
            vn_pseud_pub_t pub;
            vn_keyset_t *ks = NULL;
            if (!o.service_public || !o.keys)
                return cli_fail(CLI_USAGE, "audit %s: --service EP needs --service-public FILE "
                                "--keys ORG.secret", verb);
            if (vn_pseud_pub_load(o.service_public, &pub, err, sizeof err) != 0 ||
                vn_keyset_load(o.keys, &ks, err, sizeof err) != 0)
                return cli_fail(CLI_FAIL, "audit %s: %s", verb, err);
            int rc = vn_pseud_client_pseudonym(o.service, &pub, ks, "art15", o.bsn, 5000,
                                               o.subject, err, sizeof err);
            vn_keyset_destroy(&ks);
            if (rc != 0)
                return cli_fail(rc == VN_E_BSN_LENGTH || rc == VN_E_BSN_DIGITS ||
                                rc == VN_E_BSN_CHECKSUM ? CLI_USAGE : CLI_FAIL,
                                "audit %s: %s", verb, err);
            if (o.pseudonym_key) {
                /* during a migration: records made under v1 are found too */
                if (vn_pseudonym_key_load(o.pseudonym_key, key, err, sizeof err) != 0)
                    return cli_fail(CLI_FAIL, "audit %s: %s", verb, err);
                rc = vn_pseudonym(o.subject_v1, o.bsn, key);
                sodium_memzero(key, sizeof key);
                if (rc != 0)
                    return cli_fail(CLI_USAGE, "audit %s: %s", verb, vn_strerror(rc));
                o.f.subject_also = o.subject_v1;
            }
        } else {
        if (!o.bsn || !o.pseudonym_key)
            return cli_fail(CLI_USAGE, "audit %s: --bsn BSN --pseudonym-key FILE, or --bsn BSN "
                            "--service EP --service-public FILE --keys ORG.secret", verb);
        if (vn_pseudonym_key_load(o.pseudonym_key, key, err, sizeof err) != 0)
            return cli_fail(CLI_FAIL, "audit %s: %s", verb, err);
        int rc = vn_pseudonym(o.subject, o.bsn, key);
        sodium_memzero(key, sizeof key);
        if (rc != 0)
            return cli_fail(CLI_USAGE, "audit %s: %s", verb, vn_strerror(rc));
        }
        o.f.subject = o.subject;
        char hex[65];
        size_t used = strlen(o.desc);
        snprintf(o.desc + used, sizeof o.desc - used, "%ssubject=%s", used ? " " : "",
                 vn_hex(hex, o.subject, 32));
        used = strlen(o.desc);
        if (o.f.subject_also)
            snprintf(o.desc + used, sizeof o.desc - used, " subject-v1=%s",
                     vn_hex(hex, o.subject_v1, 32));
    }
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(o.data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "audit: %s", err);
    o.fp = o.out ? cli_create_report(o.out) : stdout;
    if (!o.fp) {
        vn_store_destroy(&db);
        return CLI_FAIL;
    }
    MDB_txn *txn;
    uint64_t examined = 0;
    int result = CLI_OK;
    if ((rc = vn_store_begin(db, 1, &txn)) == 0) {
        if (strcmp(verb, "query") == 0) {
            if (strcmp(o.format, "csv") == 0)
                fputs("seq,time,event,actor,user_id,user_role,recipients,subject,category,basis,"
                      "justification,message_id,outcome,reason\n", o.fp);
            rc = vn_audit_query(txn, db, &o.f, s_print_query, &o, &examined);
            fprintf(stderr, "%zu records matched (%llu read)\n", o.count,
                    (unsigned long long)examined);
        } else if (strcmp(verb, "subject") == 0) {
            s_report_t rep = {.o = &o};
            o.f.event = -1;
            rc = vn_audit_query(txn, db, &o.f, s_collect, &rep, &examined);
            if (rc == 0)
                s_render(&rep, &o);
            free(rep.rows);
            free(rep.signals);
            free(rep.matches);
        } else {
            s_review_t *rv = calloc(1, sizeof *rv);
            rv->out = o.fp;
            fputs("Disclosures that need a human look:\n", o.fp);
            rc = vn_audit_query(txn, db, &o.f, s_review_visit, rv, &examined);
            fprintf(o.fp, "  (%llu conflicts of duties, %llu Meldcode reports without a collegial "
                          "consultation date)\n",
                    (unsigned long long)rv->conflicts, (unsigned long long)rv->unconsulted);
            s_review_volumes(rv);
            free(rv);
        }
        mdb_txn_abort(txn);
    }
    if (o.out)
        fclose(o.fp);
    vn_store_destroy(&db);
    if (rc != 0) {
        cli_fail(CLI_FAIL, "audit %s: %s", verb, vn_strerror(rc));
        result = CLI_FAIL;
    }
    cli_audit_log_access(o.data, verb, o.desc, o.f.subject);
    return result;
}
