/* vn_audit_bench.c -- the audit log at scale: append cost (with the Merkle tree, indexes and a
 * signed checkpoint per group commit, as the broker does), verify speed, and query latency by
 * subject, organisation and time on a log of a million records or more. Run via scripts/bench.sh audit. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_audit.h"
#include "vn_audit_query.h"
#include "vn_brokerdb.h"
#include "vn_util.h"

#define ORGS 50
#define SUBJECTS 100000

static uint64_t s_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void s_subject(uint8_t out[32], uint32_t i)
{
    crypto_generichash(out, 32, (const uint8_t *)&i, sizeof i, NULL, 0);
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    size_t n, limit;
} s_count_t;

static int s_count(void *ctx, const Vn__AuditRecord *r)
{
    (void)r;
    s_count_t *c = ctx;
    return ++c->n >= c->limit;
}

/* Median and 99th percentile of n latencies in microseconds, printed in milliseconds, with the
 * average results and records read per query. */
static void s_report(const char *what, uint64_t *lat, size_t n, uint64_t results, uint64_t read)
{
    qsort(lat, n, sizeof *lat, s_cmp);
    printf("  %-38s p50 %8.3f ms  p99 %8.3f ms  (per query: %.1f results, %.1f records read)\n",
           what, (double)lat[n / 2] / 1000.0, (double)lat[(n * 99) / 100] / 1000.0,
           (double)results / (double)n, (double)read / (double)n);
}

static uint64_t s_base_us;
static char s_orgs[ORGS][32];

/* Filter makers: a random subject, organisation or starting time. */
static void s_by_subject(vn_audit_filter_t *f, uint8_t scratch[32], long records)
{
    (void)records;
    s_subject(scratch, (uint32_t)randombytes_uniform(SUBJECTS));
    f->subject = scratch;
}

static void s_by_org(vn_audit_filter_t *f, uint8_t scratch[32], long records)
{
    (void)scratch;
    (void)records;
    f->org = s_orgs[randombytes_uniform(ORGS)];
}

static void s_by_time(vn_audit_filter_t *f, uint8_t scratch[32], long records)
{
    (void)scratch;
    f->from_us = s_base_us + (uint64_t)randombytes_uniform((uint32_t)records) * 1000u;
}

/* Run n queries made by make, each stopping after limit results; print their latencies. */
static void s_queries(MDB_txn *txn, vn_store_t *db, const char *what, int n, size_t limit,
                      void (*make)(vn_audit_filter_t *, uint8_t *, long), long records)
{
    uint64_t lat[200], read = 0, total = 0, total_read = 0;
    uint8_t scratch[32];
    for (int q = 0; q < n && q < 200; q++) {
        vn_audit_filter_t f = {.event = -1};
        make(&f, scratch, records);
        s_count_t cnt = {0, limit};
        uint64_t ts = s_us();
        int rc = vn_audit_query(txn, db, &f, s_count, &cnt, &read);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", what, vn_strerror(rc));
            exit(1);
        }
        lat[q] = s_us() - ts;
        total += cnt.n;
        total_read += read;
    }
    s_report(what, lat, (size_t)n, total, total_read);
}

int main(int argc, char **argv)
{
    long records = 1000000, batch = 1000;
    static const struct option opts[] = {{"records", required_argument, NULL, 'n'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n') records = atol(optarg);
        else if (c == 'b') batch = atol(optarg);
        else return 2;
    }
    if (records < 1000 || batch < 1 || sodium_init() < 0) {
        fprintf(stderr, "usage: vn-audit-bench [--records N>=1000] [--batch B]\n");
        return 2;
    }
    char dir[] = "/tmp/vn-audit-bench-XXXXXX", err[512];
    int rc;
    if (!mkdtemp(dir))
        return 1;
    vn_store_t *db = vn_brokerdb_open(dir, (size_t)16 << 30, 0, &rc, err, sizeof err);
    vn_keyset_t *broker = vn_keyset_generate("broker", "broker");
    if (!db || !broker) {
        fprintf(stderr, "vn-audit-bench: %s\n", err);
        return 1;
    }
    for (int i = 0; i < ORGS; i++)
        snprintf(s_orgs[i], sizeof s_orgs[i], "org-%02d", i);
    printf("audit log benchmark: %ld records, group commits of %ld, each fsync'd with a signed "
           "checkpoint\n", records, batch);

    /* 1. Append, as the broker does. */
    uint64_t t0 = s_us();
    s_base_us = vn_now_us() - (uint64_t)records * 1000u;
    long done = 0;
    uint64_t *commit_lat = calloc((size_t)(records / batch + 1), sizeof *commit_lat);
    size_t n_commits = 0;
    while (done < records) {
        MDB_txn *txn;
        uint64_t tc = s_us(), signed_size;
        if (vn_store_begin(db, 0, &txn) != 0)
            return 1;
        for (long i = 0; i < batch && done < records; i++, done++) {
            uint8_t subject[32], msgid[16], chash[32];
            uint32_t r = (uint32_t)randombytes_uniform(SUBJECTS);
            s_subject(subject, r);
            randombytes_buf(msgid, sizeof msgid);
            randombytes_buf(chash, sizeof chash);
            char *to[2] = {s_orgs[(done + 1) % ORGS], s_orgs[(done + 7) % ORGS]};
            Vn__AuditJustification j = VN__AUDIT_JUSTIFICATION__INIT, *jp = &j;
            j.key = "consent-ref";
            j.value = "c0123456789abcdef";
            Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
            rec.event = done % 10 == 9 ? VN__AUDIT_RECORD__EVENT__REFUSED
                                       : VN__AUDIT_RECORD__EVENT__ACCEPTED;
            rec.time_us = s_base_us + (uint64_t)done * 1000u;
            rec.actor_org = s_orgs[done % ORGS];
            rec.user_id = "prof-1234";
            rec.user_role = "jeugdverpleegkundige";
            rec.n_recipients = 1 + (size_t)(done % 2);
            rec.recipients = to;
            rec.subject_pseudonym = (ProtobufCBinaryData){32, subject};
            rec.category = "zorgsignaal";
            rec.basis = "consent";
            rec.n_justification = 1;
            rec.justification = &jp;
            rec.content_hash = (ProtobufCBinaryData){32, chash};
            rec.content_size = 1024;
            rec.message_id = (ProtobufCBinaryData){16, msgid};
            rec.outcome = rec.event == VN__AUDIT_RECORD__EVENT__REFUSED ? "consent-expired" : "ok";
            rec.source = "broker";
            if ((rc = vn_audit_append(txn, db, &rec, NULL, NULL)) != 0) {
                fprintf(stderr, "append failed: %d\n", rc);
                return 1;
            }
        }
        if (vn_audit_checkpoint(txn, db, broker, &signed_size) != 0 || vn_store_commit(txn) != 0)
            return 1;
        commit_lat[n_commits++] = s_us() - tc;
    }
    uint64_t append_us = s_us() - t0;
    qsort(commit_lat, n_commits, sizeof *commit_lat, s_cmp);
    printf("append:  %.0f records/s, %.2f us per record; a group commit of %ld: p50 %.2f ms, "
           "p99 %.2f ms\n", (double)records * 1e6 / (double)append_us,
           (double)append_us / (double)records, batch, commit_lat[n_commits / 2] / 1000.0,
           commit_lat[(n_commits * 99) / 100] / 1000.0);

    /* 2. Verify the whole log. */
    MDB_txn *txn;
    if ((rc = vn_store_begin(db, 1, &txn)) != 0)
        return fprintf(stderr, "begin: %s\n", vn_strerror(rc)), 1;
    vn_audit_report_t report;
    t0 = s_us();
    rc = vn_audit_verify(txn, db, broker->pub.sign_pk, &report);
    uint64_t verify_us = s_us() - t0;
    printf("verify:  %.0f records/s (%llu records, %llu signed checkpoints checked, %s)\n",
           (double)report.records * 1e6 / (double)verify_us, (unsigned long long)report.records,
           (unsigned long long)report.checkpoints, rc == 0 ? "intact" : "BROKEN");

    /* 3. Queries. */
    printf("queries:\n");
    s_queries(txn, db, "one subject, all its records", 200, (size_t)-1, s_by_subject, records);
    s_queries(txn, db, "one organisation, first 100 records", 200, 100, s_by_org, records);
    s_queries(txn, db, "one organisation, all its records", 20, (size_t)-1, s_by_org, records);
    s_queries(txn, db, "from a time, first 100 records", 200, 100, s_by_time, records);
    mdb_txn_abort(txn);
    vn_store_destroy(&db);
    vn_keyset_destroy(&broker);
    free(commit_lat);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 && rc == 0 ? 0 : 1;
}
