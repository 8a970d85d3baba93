/* budget.c -- each organisation's daily evaluation budget and this hour's counts, kept in a state
 * file (rewritten before every answer, so a crash cannot reset a budget) and closed into the
 * append-only audit log per organisation per purpose per hour. No input or output is ever kept. */
#include "pseudonymd.h"
#include "vn_error.h"
#include "vn_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t pd__now(void)
{
    /* Tests move the clock (a day ahead) through this file; production never sets it. */
    const char *f = getenv("VN_PSEUDONYMD_CLOCK_FILE");
    if (f && *f) {
        FILE *fp = fopen(f, "r");
        unsigned long long t = 0;
        int ok = fp && fscanf(fp, "%llu", &t) == 1;
        if (fp)
            fclose(fp);
        if (ok)
            return (uint64_t)t;
    }
    return (uint64_t)time(NULL);
}

uint64_t pd__budget_of(const pd_t *pd, const char *org)
{
    for (size_t i = 0; i < pd->cfg.n_budgets; i++)
        if (strcmp(pd->cfg.budgets[i].org, org) == 0)
            return pd->cfg.budgets[i].budget;
    return pd->cfg.budget;
}

static pd_spend_t *s_spend(pd_t *pd, const char *org)
{
    for (size_t i = 0; i < pd->n_spend; i++)
        if (strcmp(pd->spend[i].org, org) == 0)
            return &pd->spend[i];
    if (pd->n_spend >= PD_MAX_ORGS)
        return NULL;
    pd_spend_t *s = &pd->spend[pd->n_spend++];
    memset(s, 0, sizeof *s);
    snprintf(s->org, sizeof s->org, "%s", org);
    return s;
}

static pd_count_t *s_count(pd_t *pd, const char *org, const char *purpose)
{
    for (size_t i = 0; i < pd->n_counts; i++)
        if (strcmp(pd->counts[i].org, org) == 0 && strcmp(pd->counts[i].purpose, purpose) == 0)
            return &pd->counts[i];
    if (pd->n_counts >= PD_MAX_COUNTS)
        return NULL;
    pd_count_t *c = &pd->counts[pd->n_counts++];
    memset(c, 0, sizeof *c);
    snprintf(c->org, sizeof c->org, "%s", org);
    snprintf(c->purpose, sizeof c->purpose, "%s", purpose);
    return c;
}

/* Rewrite the state file atomically. */
static int s_save(pd_t *pd)
{
    char path[1100], tmp[1110];
    snprintf(path, sizeof path, "%s/state", pd->cfg.data);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "vangnet-pseudonymd-state 1\nday %" PRIu64 "\nhour %" PRIu64 "\n", pd->day, pd->hour);
    for (size_t i = 0; i < pd->n_spend; i++)
        fprintf(f, "spend %s %" PRIu64 " %" PRIu64 "\n", pd->spend[i].org, pd->spend[i].spent,
                pd->spend[i].refused);
    for (size_t i = 0; i < pd->n_counts; i++)
        fprintf(f, "count %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", pd->counts[i].org,
                pd->counts[i].purpose, pd->counts[i].evaluations, pd->counts[i].refused,
                pd->counts[i].requests);
    int rc = fflush(f) == 0 && ferror(f) == 0 ? 0 : -EIO;
    if (fclose(f) != 0)
        rc = -EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        vn_error("event=state-write-failed path=%s error=\"%s\"", path, vn_strerror(rc));
    return rc;
}

void pd__budget_close_hour(pd_t *pd, int partial)
{
    if (pd->n_counts == 0)
        return;
    char path[1100], when[32];
    snprintf(path, sizeof path, "%s/audit.log", pd->cfg.data);
    time_t t = (time_t)(pd->hour * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:00Z", &tm);
    FILE *f = fopen(path, "a");
    if (!f) {
        vn_error("event=audit-write-failed path=%s error=\"%s\"", path, strerror(errno));
        return;
    }
    for (size_t i = 0; i < pd->n_counts; i++) {
        const pd_count_t *c = &pd->counts[i];
        const pd_spend_t *s = NULL;
        for (size_t j = 0; j < pd->n_spend; j++)
            if (strcmp(pd->spend[j].org, c->org) == 0)
                s = &pd->spend[j];
        fprintf(f,
                "hour=%s org=%s purpose=%s requests=%" PRIu64 " evaluations=%" PRIu64
                " refused=%" PRIu64 " budget_per_day=%" PRIu64 " spent_today=%" PRIu64
                " partial=%s\n",
                when, c->org, c->purpose, c->requests, c->evaluations, c->refused,
                pd__budget_of(pd, c->org), s ? s->spent : 0, partial ? "yes" : "no");
    }
    fflush(f);
    fsync(fileno(f));
    fclose(f);
    if (!partial) {
        pd->n_counts = 0;
        s_save(pd);
    }
}

void pd__budget_tick(pd_t *pd)
{
    uint64_t now = pd__now(), hour = now / 3600, day = now / 86400;
    if (hour != pd->hour) {
        pd__budget_close_hour(pd, 0);
        pd->n_counts = 0;
        pd->hour = hour;
        s_save(pd);
    }
    if (day != pd->day) {
        pd->n_spend = 0; /* a new day: every budget starts again */
        pd->day = day;
        vn_info("event=budgets-reset day=%" PRIu64, day);
        s_save(pd);
    }
}

int pd__budget_charge(pd_t *pd, const char *org, const char *purpose, size_t n)
{
    pd__budget_tick(pd);
    pd_spend_t *s = s_spend(pd, org);
    pd_count_t *c = s_count(pd, org, purpose);
    uint64_t budget = pd__budget_of(pd, org);
    int ok = s && c && s->spent + n <= budget;
    if (c) {
        c->requests++;
        if (ok)
            c->evaluations += n;
        else
            c->refused += n;
    }
    if (s) {
        if (ok)
            s->spent += n;
        else
            s->refused += n;
    }
    if (ok) {
        pd->total_evaluations += n;
    } else {
        pd->total_refused += n;
        vn_warn("event=budget-exceeded org=%s purpose=%s asked=%zu spent_today=%" PRIu64
                " budget_per_day=%" PRIu64, org, purpose, n, s ? s->spent : 0, budget);
    }
    if (s_save(pd) != 0)
        return 0; /* not counted durably: not evaluated either */
    return ok;
}

int pd__budget_load(pd_t *pd, char *err, size_t errlen)
{
    uint64_t now = pd__now();
    pd->day = now / 86400;
    pd->hour = now / 3600;
    char path[1100], line[256];
    snprintf(path, sizeof path, "%s/state", pd->cfg.data);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? s_save(pd) : -errno;
    uint64_t day = 0, hour = 0;
    int version = 0, lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char org[VN_ORG_MAX + 1], purpose[VN_PSEUD_PURPOSE_MAX + 1];
        unsigned long long a, b, c;
        if (sscanf(line, "vangnet-pseudonymd-state %d", &version) == 1)
            continue;
        if (sscanf(line, "day %llu", &a) == 1) { day = a; continue; }
        if (sscanf(line, "hour %llu", &a) == 1) { hour = a; continue; }
        if (sscanf(line, "spend %64s %llu %llu", org, &a, &b) == 3) {
            pd_spend_t *s = s_spend(pd, org);
            if (s) { s->spent = a; s->refused = b; }
            continue;
        }
        if (sscanf(line, "count %64s %32s %llu %llu %llu", org, purpose, &a, &b, &c) == 5) {
            pd_count_t *k = s_count(pd, org, purpose);
            if (k) { k->evaluations = a; k->refused = b; k->requests = c; }
            continue;
        }
        snprintf(err, errlen, "%s: line %d is damaged", path, lineno);
        rc = VN_E_MALFORMED;
        break;
    }
    fclose(f);
    if (rc == 0 && version != 1) {
        snprintf(err, errlen, "%s: not a pseudonymd state file (version %d)", path, version);
        rc = VN_E_VERSION;
    }
    if (rc != 0)
        return rc;
    pd->day = day;
    pd->hour = hour;
    pd__budget_tick(pd); /* an hour or a day that ended while the service was down */
    return 0;
}
