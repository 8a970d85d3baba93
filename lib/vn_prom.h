/* vn_prom.h -- metrics in the Prometheus text exposition format (version 0.0.4), and lock-free
 * latency histograms any thread may observe into. Labels never carry personal data. */
#ifndef VN_PROM_H
#define VN_PROM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define VN_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define VN_HIST_BUCKETS 12

/* A latency histogram with fixed buckets from 0.5 ms to 10 s (seconds, cumulative when written). */
typedef struct {
    _Atomic uint64_t counts[VN_HIST_BUCKETS + 1]; /* the last one is +Inf */
    _Atomic uint64_t sum_us;
} vn_histogram_t;

void vn_histogram_observe_us(vn_histogram_t *h, uint64_t us);

/* A growing text buffer; on allocation failure it stays valid and vn_prom_take returns NULL. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} vn_prom_t;

/* # HELP and # TYPE lines; type is "counter", "gauge" or "histogram". */
void vn_prom_family(vn_prom_t *p, const char *name, const char *type, const char *help);
/* One sample. label may be NULL; its value is escaped. */
void vn_prom_sample(vn_prom_t *p, const char *name, const char *label, const char *label_value,
                    double value);
/* A family with one unlabelled sample: HELP, TYPE and the value. */
void vn_prom_metric(vn_prom_t *p, const char *name, const char *type, const char *help,
                    double value);
/* A whole family for one histogram. */
void vn_prom_histogram(vn_prom_t *p, const char *name, const char *help, const vn_histogram_t *h);
/* printf into the buffer (for build info and the like). */
void vn_prom_printf(vn_prom_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees), or NULL if memory ran out. */
char *vn_prom_take(vn_prom_t *p, size_t *len);

#endif
