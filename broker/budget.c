/* budget.c -- what one organisation may cost the broker: token buckets for its submissions, its
 * other requests and its audited refusals, a cap on its submissions in flight, and the refusals
 * beyond its audit budget summarised in one SUPPRESSED record per (organisation, code, window), so
 * the audit log stays bounded and still says what happened. Limits are [limits] in the broker's
 * config (docs/limits.md). Thread-safe: the main thread asks before it does work for a peer, the
 * storage thread before it audits a refusal and to write the summaries, the HTTP thread to show
 * them; all under one mutex held for a few hash probes. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_log.h"
#include "vn_status.h"
#include "vn_util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUPP_MAX 4096      /* (org, code) pairs being summarised at once */
#define WARN_SECONDS 300   /* an organisation over a budget this recently is warned about */

typedef struct {
    double tokens;
    uint64_t last_us;
    int started;
} s_bucket_t;

/* One organisation's budgets; entries live as long as the broker (orgs are registered ones). */
typedef struct {
    char org[VN_ORG_MAX + 1];
    s_bucket_t submit, request, audit, handshake;
    uint32_t in_flight;                   /* submissions sent to the workers, not yet answered */
    uint64_t in_flight_bytes;             /* and their envelopes' bytes */
    uint64_t over_submit, over_in_flight, over_request, suppressed, over_handshake; /* counters */
    uint64_t last_over;                   /* seconds: when it last went over a budget */
} s_org_t;

/* Refusals not audited one by one, to be written as one SUPPRESSED record. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    char code[48];
    uint64_t n, first_us, last_us;
} s_supp_t;

struct broker_budget {
    pthread_mutex_t lock;
    s_org_t *orgs;                        /* open addressing, cap a power of two */
    size_t n, cap;
    s_supp_t supp[SUPP_MAX];
    size_t n_supp;
    uint64_t supp_lost;                   /* table full: counted here, logged at the flush */
};

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static s_org_t *s_slot(s_org_t *tab, size_t cap, const char *org)
{
    for (size_t i = s_hash(org) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!tab[i].org[0] || strcmp(tab[i].org, org) == 0)
            return &tab[i];
}

/* org's entry, created on first use. NULL only when out of memory. Under lock. */
static s_org_t *s_org(broker_budget_t *g, const char *org)
{
    if (!org[0] || strlen(org) > VN_ORG_MAX)
        return NULL;
    if ((g->n + 1) * 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        s_org_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return NULL;
        for (size_t i = 0; i < g->cap; i++)
            if (g->orgs[i].org[0])
                *s_slot(tab, cap, g->orgs[i].org) = g->orgs[i];
        free(g->orgs);
        g->orgs = tab;
        g->cap = cap;
    }
    s_org_t *o = s_slot(g->orgs, g->cap, org);
    if (!o->org[0]) {
        snprintf(o->org, sizeof o->org, "%s", org);
        g->n++;
    }
    return o;
}

/* Take one token: 1 if there was one (or the limit is off), else 0. */
static int s_take(s_bucket_t *k, uint32_t rate, uint32_t burst, uint64_t now_us)
{
    if (!rate)
        return 1;
    double cap = burst ? burst : rate;
    if (!k->started) {
        k->started = 1;
        k->tokens = cap;
        k->last_us = now_us;
    }
    if (now_us > k->last_us) {
        k->tokens += (double)(now_us - k->last_us) * rate / 1e6;
        if (k->tokens > cap)
            k->tokens = cap;
        k->last_us = now_us;
    }
    if (k->tokens < 1)
        return 0;
    k->tokens -= 1;
    return 1;
}

int broker__budget_init(broker_t *b)
{
    b->budget = calloc(1, sizeof *b->budget);
    if (!b->budget)
        return -1;
    pthread_mutex_init(&b->budget->lock, NULL);
    return 0;
}

void broker__budget_fini(broker_t *b)
{
    if (!b->budget)
        return;
    pthread_mutex_destroy(&b->budget->lock);
    free(b->budget->orgs);
    free(b->budget);
    b->budget = NULL;
}

const char *broker__budget_admit(broker_t *b, const char *org, broker_budget_kind_t kind,
                                 size_t bytes)
{
    const vn_limits_config_t *l = &b->cfg.limits;
    const char *code = NULL;
    pthread_mutex_lock(&b->budget->lock);
    s_org_t *o = s_org(b->budget, org);
    if (o && kind == BUDGET_SUBMIT) {
        uint64_t cap = (uint64_t)l->submit_in_flight_mb << 20;
        if ((l->submit_in_flight && o->in_flight >= l->submit_in_flight) ||
            (cap && o->in_flight_bytes && o->in_flight_bytes + bytes > cap)) {
            o->over_in_flight++; /* the first one always goes: an envelope may be bigger */
            code = "too-many-in-flight";
        } else if (!s_take(&o->submit, l->submit_rate, l->submit_burst, vn_monotonic_ms() * 1000)) {
            o->over_submit++;
            code = "rate-limited";
        } else {
            o->in_flight++;
            o->in_flight_bytes += bytes;
        }
    } else if (o && kind == BUDGET_REQUEST &&
               !s_take(&o->request, l->request_rate, l->request_burst, vn_monotonic_ms() * 1000)) {
        o->over_request++;
        code = "rate-limited";
    } else if (o && kind == BUDGET_HANDSHAKE &&
               !s_take(&o->handshake, l->handshake_rate, l->handshake_burst,
                       vn_monotonic_ms() * 1000)) {
        o->over_handshake++;
        code = "rate-limited";
    }
    if (code) {
        if (vn_now() - o->last_over >= 60) /* once a minute per organisation, not per message */
            vn_warn("event=over-budget org=%s code=%s", org, code);
        o->last_over = vn_now();
    }
    pthread_mutex_unlock(&b->budget->lock);
    return code;
}

void broker__budget_charge(broker_t *b, const char *org, double tokens)
{
    const vn_limits_config_t *l = &b->cfg.limits;
    if (!l->request_rate || tokens <= 0)
        return;
    double cap = l->request_burst ? l->request_burst : l->request_rate;
    pthread_mutex_lock(&b->budget->lock);
    s_org_t *o = s_org(b->budget, org);
    if (o && o->request.started) {
        /* in debt down to one full bucket: the next requests wait until it has refilled */
        o->request.tokens -= tokens;
        if (o->request.tokens < -cap)
            o->request.tokens = -cap;
    }
    pthread_mutex_unlock(&b->budget->lock);
}

void broker__budget_submit_done(broker_t *b, const char *org, size_t bytes)
{
    pthread_mutex_lock(&b->budget->lock);
    s_org_t *o = s_org(b->budget, org);
    if (o && o->in_flight)
        o->in_flight--;
    if (o)
        o->in_flight_bytes -= bytes < o->in_flight_bytes ? bytes : o->in_flight_bytes;
    pthread_mutex_unlock(&b->budget->lock);
}

int broker__budget_audit(broker_t *b, const char *org, const char *code)
{
    const vn_limits_config_t *l = &b->cfg.limits;
    broker_budget_t *g = b->budget;
    uint64_t now_us = vn_now_us();
    int audit = 1;
    pthread_mutex_lock(&g->lock);
    s_org_t *o = s_org(g, org);
    if (o && !s_take(&o->audit, l->refusal_audit_rate, l->refusal_audit_burst,
                     vn_monotonic_ms() * 1000)) {
        audit = 0;
        o->suppressed++;
        o->last_over = vn_now();
        size_t i = 0;
        while (i < g->n_supp && (strcmp(g->supp[i].org, org) != 0 ||
                                 strncmp(g->supp[i].code, code, sizeof g->supp[i].code - 1) != 0))
            i++;
        if (i == g->n_supp && i < SUPP_MAX) {
            s_supp_t *s = &g->supp[g->n_supp++];
            snprintf(s->org, sizeof s->org, "%s", org);
            snprintf(s->code, sizeof s->code, "%s", code);
            s->n = 0;
            s->first_us = now_us;
            vn_warn("event=refusals-suppressed org=%s code=%s note=\"over its audit budget: "
                    "summarised in one SUPPRESSED record\"", org, code);
        }
        if (i < g->n_supp) {
            g->supp[i].n++;
            g->supp[i].last_us = now_us;
        } else {
            g->supp_lost++;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return audit;
}

static void s_iso(char *out, size_t len, uint64_t us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Append one SUPPRESSED record for what s says. */
static int s_append_suppressed(MDB_txn *txn, broker_t *b, const s_supp_t *s)
{
    char first[32], last[32], count[24], reason[400];
    s_iso(first, sizeof first, s->first_us);
    s_iso(last, sizeof last, s->last_us);
    snprintf(count, sizeof count, "%llu", (unsigned long long)s->n);
    snprintf(reason, sizeof reason, "%s refusals of code %s from %s suppressed between %s and %s "
             "(over its audit budget)", count, s->code, s->org, first, last);
    Vn__AuditJustification j[3] = {VN__AUDIT_JUSTIFICATION__INIT, VN__AUDIT_JUSTIFICATION__INIT,
                                   VN__AUDIT_JUSTIFICATION__INIT};
    Vn__AuditJustification *jp[3] = {&j[0], &j[1], &j[2]};
    j[0].key = "count", j[0].value = count;
    j[1].key = "first", j[1].value = first;
    j[2].key = "last", j[2].value = last;
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__SUPPRESSED;
    rec.actor_org = (char *)s->org;
    rec.outcome = (char *)s->code;
    rec.reason = reason;
    rec.source = b->keys->pub.org;
    rec.n_justification = 3;
    rec.justification = jp;
    int rc = vn_audit_append(txn, b->db, &rec, NULL, NULL);
    if (rc != 0)
        vn_error("event=suppressed-not-audited org=%s code=%s count=%s", s->org, s->code, count);
    return rc;
}

int broker__budget_flush(MDB_txn *txn, broker_t *b, int all)
{
    broker_budget_t *g = b->budget;
    uint64_t now_us = vn_now_us(), window_us = (uint64_t)b->cfg.limits.suppress_window * 1000000;
    int written = 0, rc = 0;
    pthread_mutex_lock(&g->lock);
    uint64_t lost = g->supp_lost;
    g->supp_lost = 0;
    /* Taken out under the lock one at a time; appending (no lock held) may take a while. */
    for (size_t i = 0; rc == 0 && i < g->n_supp;) {
        if (!all && now_us - g->supp[i].first_us < window_us) {
            i++;
            continue;
        }
        s_supp_t due = g->supp[i];
        g->supp[i] = g->supp[--g->n_supp];
        pthread_mutex_unlock(&g->lock);
        rc = s_append_suppressed(txn, b, &due);
        written++;
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    if (lost)
        vn_error("event=refusals-not-summarised count=%llu reason=\"more than %d organisation and "
                 "code pairs suppressed at once\"", (unsigned long long)lost, SUPP_MAX);
    return rc < 0 ? rc : written;
}

/* A copy of the entries that have anything to show, so no lock is held while formatting. */
static s_org_t *s_snapshot(broker_t *b, size_t *n)
{
    broker_budget_t *g = b->budget;
    pthread_mutex_lock(&g->lock);
    s_org_t *out = calloc(g->n + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < g->cap; i++)
        if (g->orgs[i].org[0])
            out[(*n)++] = g->orgs[i];
    pthread_mutex_unlock(&g->lock);
    return out;
}

void broker__budget_metrics(broker_t *b, vn_prom_t *p)
{
    size_t n;
    s_org_t *o = s_snapshot(b, &n);
    if (!o)
        return;
    const char *names[] = {"submit", "in-flight", "request", "refusal-audit", "handshake"};
    vn_prom_family(p, "vangnet_broker_budget_exceeded_total", "counter",
                   "Messages refused or refusals left unaudited because an organisation was over "
                   "one of its [limits] budgets, by organisation and budget.");
    for (size_t i = 0; i < n; i++) {
        uint64_t v[] = {o[i].over_submit, o[i].over_in_flight, o[i].over_request, o[i].suppressed,
                        o[i].over_handshake};
        for (int k = 0; k < 5; k++)
            if (v[k])
                vn_prom_printf(p, "vangnet_broker_budget_exceeded_total{org=\"%s\",budget=\"%s\"} "
                               "%llu\n", o[i].org, names[k], (unsigned long long)v[k]);
    }
    vn_prom_family(p, "vangnet_broker_submit_bytes_in_flight", "gauge",
                   "Bytes of those submissions' envelopes, by organisation (limit "
                   "submit_in_flight_mb).");
    for (size_t i = 0; i < n; i++)
        vn_prom_printf(p, "vangnet_broker_submit_bytes_in_flight{org=\"%s\"} %llu\n", o[i].org,
                       (unsigned long long)o[i].in_flight_bytes);
    vn_prom_family(p, "vangnet_broker_submits_in_flight", "gauge",
                   "Submissions being checked or stored, by organisation (limit submit_in_flight).");
    for (size_t i = 0; i < n; i++)
        vn_prom_printf(p, "vangnet_broker_submits_in_flight{org=\"%s\"} %u\n", o[i].org,
                       o[i].in_flight);
    free(o);
}

void broker__budget_status(broker_t *b, json_object *status)
{
    size_t n;
    s_org_t *o = s_snapshot(b, &n);
    if (!o)
        return;
    const vn_limits_config_t *l = &b->cfg.limits;
    json_object *limits = json_object_new_object();
    json_object_object_add(limits, "refusal_audit_rate", json_object_new_int64(l->refusal_audit_rate));
    json_object_object_add(limits, "refusal_audit_burst", json_object_new_int64(l->refusal_audit_burst));
    json_object_object_add(limits, "suppress_window_seconds", json_object_new_int64(l->suppress_window));
    json_object_object_add(limits, "submit_rate", json_object_new_int64(l->submit_rate));
    json_object_object_add(limits, "submit_burst", json_object_new_int64(l->submit_burst));
    json_object_object_add(limits, "submit_in_flight", json_object_new_int64(l->submit_in_flight));
    json_object_object_add(limits, "submit_in_flight_mb",
                           json_object_new_int64(l->submit_in_flight_mb));
    json_object_object_add(limits, "request_rate", json_object_new_int64(l->request_rate));
    json_object_object_add(limits, "request_burst", json_object_new_int64(l->request_burst));
    json_object_object_add(limits, "queue_share_percent", json_object_new_int64(l->queue_share_percent));
    json_object_object_add(limits, "handshake_rate", json_object_new_int64(l->handshake_rate));
    json_object_object_add(limits, "handshake_burst", json_object_new_int64(l->handshake_burst));
    json_object *arr = json_object_new_array();
    uint64_t now = vn_now();
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "org", json_object_new_string(o[i].org));
        json_object_object_add(e, "in_flight", json_object_new_int64(o[i].in_flight));
        json_object_object_add(e, "submit_tokens", json_object_new_int64((int64_t)o[i].submit.tokens));
        json_object_object_add(e, "request_tokens", json_object_new_int64((int64_t)o[i].request.tokens));
        json_object_object_add(e, "refusal_audit_tokens", json_object_new_int64((int64_t)o[i].audit.tokens));
        json_object_object_add(e, "over_submit_rate", json_object_new_int64((int64_t)o[i].over_submit));
        json_object_object_add(e, "over_in_flight", json_object_new_int64((int64_t)o[i].over_in_flight));
        json_object_object_add(e, "over_request_rate", json_object_new_int64((int64_t)o[i].over_request));
        json_object_object_add(e, "refusals_suppressed", json_object_new_int64((int64_t)o[i].suppressed));
        json_object_object_add(e, "over_handshake_rate",
                               json_object_new_int64((int64_t)o[i].over_handshake));
        json_object_array_add(arr, e);
        if (o[i].last_over && now - o[i].last_over < WARN_SECONDS)
            vn_status_warn(status, "%s is over its budget (submits over rate %llu, over in-flight "
                           "%llu, requests over rate %llu, refusals suppressed %llu, handshakes "
                           "over rate %llu)", o[i].org,
                           (unsigned long long)o[i].over_submit,
                           (unsigned long long)o[i].over_in_flight,
                           (unsigned long long)o[i].over_request,
                           (unsigned long long)o[i].suppressed,
                           (unsigned long long)o[i].over_handshake);
    }
    json_object *budgets = json_object_new_object();
    json_object_object_add(budgets, "limits", limits);
    json_object_object_add(budgets, "organisations", arr);
    json_object_object_add(status, "budgets", budgets);
    free(o);
}
