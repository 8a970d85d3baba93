/* vn_prom.c -- Prometheus text format writer and histograms. */
#include "vn_prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double s_bounds[VN_HIST_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  10.0};

void vn_histogram_observe_us(vn_histogram_t *h, uint64_t us)
{
    double s = (double)us / 1e6;
    size_t i = 0;
    while (i < VN_HIST_BUCKETS && s > s_bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

static void s_vappend(vn_prom_t *p, const char *fmt, va_list ap)
{
    if (p->oom)
        return;
    for (;;) {
        va_list copy;
        va_copy(copy, ap);
        int n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->buf ? p->cap - p->len : 0, fmt, copy);
        va_end(copy);
        if (n < 0) {
            p->oom = 1;
            return;
        }
        if (p->buf && p->len + (size_t)n < p->cap) {
            p->len += (size_t)n;
            return;
        }
        size_t cap = p->cap ? p->cap * 2 : 4096;
        while (cap < p->len + (size_t)n + 1)
            cap *= 2;
        char *more = realloc(p->buf, cap);
        if (!more) {
            p->oom = 1;
            return;
        }
        p->buf = more;
        p->cap = cap;
    }
}

void vn_prom_printf(vn_prom_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vappend(p, fmt, ap);
    va_end(ap);
}

void vn_prom_family(vn_prom_t *p, const char *name, const char *type, const char *help)
{
    vn_prom_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void s_value(vn_prom_t *p, double v)
{
    if (isinf(v))
        vn_prom_printf(p, v > 0 ? " +Inf\n" : " -Inf\n");
    else if (v == floor(v) && fabs(v) < 1e15)
        vn_prom_printf(p, " %.0f\n", v);
    else
        vn_prom_printf(p, " %.6g\n", v);
}

void vn_prom_sample(vn_prom_t *p, const char *name, const char *label, const char *label_value,
                    double value)
{
    vn_prom_printf(p, "%s", name);
    if (label) {
        vn_prom_printf(p, "{%s=\"", label);
        for (const char *c = label_value; *c; c++) {
            if (*c == '\\' || *c == '"')
                vn_prom_printf(p, "\\%c", *c);
            else if (*c == '\n')
                vn_prom_printf(p, "\\n");
            else
                vn_prom_printf(p, "%c", *c);
        }
        vn_prom_printf(p, "\"}");
    }
    s_value(p, value);
}

void vn_prom_metric(vn_prom_t *p, const char *name, const char *type, const char *help,
                    double value)
{
    vn_prom_family(p, name, type, help);
    vn_prom_sample(p, name, NULL, NULL, value);
}

void vn_prom_histogram(vn_prom_t *p, const char *name, const char *help, const vn_histogram_t *h)
{
    vn_prom_family(p, name, "histogram", help);
    uint64_t total = 0;
    for (size_t i = 0; i <= VN_HIST_BUCKETS; i++) {
        total += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        if (i < VN_HIST_BUCKETS)
            vn_prom_printf(p, "%s_bucket{le=\"%g\"} %llu\n", name, s_bounds[i],
                           (unsigned long long)total);
        else
            vn_prom_printf(p, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)total);
    }
    vn_prom_printf(p, "%s_sum %.6f\n%s_count %llu\n", name,
                   (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6, name,
                   (unsigned long long)total);
}

char *vn_prom_take(vn_prom_t *p, size_t *len)
{
    if (p->oom || !p->buf) {
        free(p->buf);
        memset(p, 0, sizeof *p);
        return NULL;
    }
    char *out = p->buf;
    *len = p->len;
    memset(p, 0, sizeof *p);
    return out;
}
