/* test_store.c -- LMDB store: open, durable commit, reopen, map full without losing data. */
#include "test_harness.h"

#include "vn_error.h"
#include "vn_store.h"
#include "vn_store_ahead.h"
#include "vn_store_warm.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const s_dbs[] = {"alpha", "beta", NULL};

static void test_commit_and_reopen(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512];
    int rc;
    vn_store_t *st = vn_store_open(dir, 1 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(st, 0, &txn), 0);
    MDB_val k = {5, "hello"}, v = {5, "world"};
    assert_int_equal(mdb_put(txn, vn_store_dbi(st, 1), &k, &v, 0), 0);
    assert_int_equal(vn_store_commit(txn), 0);
    vn_store_destroy(&st);
    vn_store_destroy(&st); /* safe twice */

    st = vn_store_open(dir, 1 << 20, s_dbs, VN_STORE_READONLY, &rc, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(vn_store_begin(st, 1, &txn), 0);
    MDB_val out;
    assert_int_equal(mdb_get(txn, vn_store_dbi(st, 1), &k, &out), 0);
    assert_int_equal(out.mv_size, 5);
    assert_memory_equal(out.mv_data, "world", 5);
    assert_int_equal(vn_store_error(mdb_get(txn, vn_store_dbi(st, 0), &k, &out)), VN_E_NOT_FOUND);
    mdb_txn_abort(txn);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

/* Copies every entry of alpha into beta, skipping keys that start with 's'. */
typedef struct {
    int calls;
    MDB_dbi to;
} s_copy_t;

static int s_copy_one(MDB_txn *txn, const MDB_val *k, const MDB_val *v, void *ctx)
{
    s_copy_t *c = ctx;
    c->calls++;
    if (((const char *)k->mv_data)[0] == 's')
        return 0;
    MDB_val key = *k, val = *v;
    int rc = vn_store_error(mdb_put(txn, c->to, &key, &val, 0));
    return rc == 0 ? 1 : rc;
}

static void test_build_once(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512];
    int rc;
    vn_store_t *st = vn_store_open(dir, 1 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(st, 0, &txn), 0);
    const char *keys[] = {"a1", "skip", "b2"};
    for (int i = 0; i < 3; i++) {
        MDB_val k = {strlen(keys[i]), (void *)keys[i]}, v = {1, "x"};
        assert_int_equal(mdb_put(txn, vn_store_dbi(st, 0), &k, &v, 0), 0);
    }
    assert_int_equal(vn_store_commit(txn), 0);
    MDB_dbi beta = vn_store_dbi(st, 1);
    s_copy_t c = {0, beta}, *ctx = &c;
    size_t n = 99;
    /* the counter lives in beta too: it is not an entry of the source */
    assert_int_equal(vn_store_build_once(st, beta, "built", vn_store_dbi(st, 0), s_copy_one, ctx, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ctx->calls, 3);
    /* built: the second call reads nothing */
    assert_int_equal(vn_store_build_once(st, beta, "built", vn_store_dbi(st, 0), s_copy_one, ctx, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ctx->calls, 3);
    assert_int_equal(vn_store_begin(st, 1, &txn), 0);
    MDB_stat ms;
    assert_int_equal(mdb_stat(txn, beta, &ms), 0);
    assert_int_equal(ms.ms_entries, 3); /* a1, b2 and the counter */
    mdb_txn_abort(txn);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[512];
    int rc;
    assert_null(vn_store_open("/nonexistent/deeper/dir", 0, s_dbs, 0, &rc, err, sizeof err));
    assert_true(rc < 0);
    assert_non_null(strstr(err, "/nonexistent/deeper/dir"));
}

static void test_map_full_is_an_error_not_a_crash(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512];
    int rc;
    vn_store_t *st = vn_store_open(dir, 256 * 1024, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    char value[4000];
    memset(value, 'x', sizeof value);
    int committed = 0, full = 0;
    for (int i = 0; i < 1000 && !full; i++) {
        MDB_txn *txn;
        assert_int_equal(vn_store_begin(st, 0, &txn), 0);
        MDB_val k = {sizeof i, &i}, v = {sizeof value, value};
        int prc = vn_store_error(mdb_put(txn, vn_store_dbi(st, 0), &k, &v, 0));
        if (prc == VN_E_STORE_FULL) {
            mdb_txn_abort(txn);
            full = 1;
            break;
        }
        assert_int_equal(prc, 0);
        rc = vn_store_commit(txn);
        if (rc == VN_E_STORE_FULL) {
            full = 1;
            break;
        }
        assert_int_equal(rc, 0);
        committed++;
    }
    assert_true(full);
    assert_true(committed > 10);
    /* Everything committed before is still there, and the store still works for reads. */
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(st, 1, &txn), 0);
    for (int i = 0; i < committed; i++) {
        MDB_val k = {sizeof i, &i}, out;
        assert_int_equal(mdb_get(txn, vn_store_dbi(st, 0), &k, &out), 0);
        assert_int_equal(out.mv_size, sizeof value);
    }
    mdb_txn_abort(txn);
    /* Deleting makes room again. */
    assert_int_equal(vn_store_begin(st, 0, &txn), 0);
    int zero = 0;
    MDB_val k = {sizeof zero, &zero};
    assert_int_equal(mdb_del(txn, vn_store_dbi(st, 0), &k, NULL), 0);
    assert_int_equal(vn_store_commit(txn), 0);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

/* One commit of n values of size bytes (at most 4,000) under keys prefix00000, prefix00001, ... */
static void s_commit_values(vn_store_t *st, const char *prefix, int n, size_t size)
{
    static char big[4000];
    assert_true(size <= sizeof big);
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(st, 0, &txn), 0);
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s%05d", prefix, i);
        MDB_val k = {strlen(key), key}, v = {size, big};
        assert_int_equal(mdb_put(txn, vn_store_dbi(st, 0), &k, &v, 0), 0);
    }
    assert_int_equal(vn_store_commit(txn), 0);
}

/* key is there, with a value of size bytes. */
static void s_assert_value(vn_store_t *st, const char *key, size_t size)
{
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(st, 1, &txn), 0);
    MDB_val k = {strlen(key), (void *)key}, out;
    assert_int_equal(mdb_get(txn, vn_store_dbi(st, 0), &k, &out), 0);
    assert_int_equal(out.mv_size, size);
    mdb_txn_abort(txn);
}

/* The warmer touches every page of the data file once, and none when told to stop first. */
static void test_warm(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512], path[1024], why[256];
    int rc;
    vn_store_t *st = vn_store_open(dir, 8 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    /* No read-ahead on the map: pages read into large folios make each 4 KB pwrite of a
     * commit walk the whole folio (docs/performance.md, 2026-12-03). */
    unsigned flags = 0;
    assert_int_equal(mdb_env_get_flags(vn_store_env(st), &flags), 0);
    assert_true(flags & MDB_NORDAHEAD);
    s_commit_values(st, "k", 200, 4000);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    uint64_t pages = 0, expect = (uint64_t)sb.st_size / (uint64_t)sysconf(_SC_PAGESIZE);
    assert_true(expect > 200);
    assert_int_equal(vn_store_warm(st, NULL, &pages, why, sizeof why), 0);
    assert_int_equal(pages, expect);
    atomic_int stop = 1;
    assert_int_equal(vn_store_warm(st, &stop, &pages, why, sizeof why), 0);
    assert_int_equal(pages, 0);
    /* On its own thread, stopped (joined) before the store closes; twice is safe. */
    vn_store_warmer_t *w = vn_store_warm_start(st, "test");
    assert_non_null(w);
    vn_store_warm_stop(&w);
    assert_null(w);
    vn_store_warm_stop(&w);
    s_assert_value(st, "k00199", 4000); /* the data is untouched */
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

/* Bytes this process's writes dirtied in the page cache (/proc/self/io write_bytes): a folio
 * counts whole when any of it is dirtied. -1 where the kernel does not count. */
static long long s_write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "write_bytes: ", 13) == 0)
            v = atoll(line + 13);
    if (f)
        fclose(f);
    return v;
}

/* How many pages of [from, to) of the file are in the page cache. */
static long s_resident_pages(int fd, uint64_t from, uint64_t to)
{
    size_t len = (size_t)(to - from);
    if (len == 0)
        return 0;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)from);
    assert_true(m != MAP_FAILED);
    size_t pages = (len + (size_t)sysconf(_SC_PAGESIZE) - 1) / (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *in = malloc(pages);
    assert_non_null(in);
    assert_int_equal(mincore(m, len, in), 0);
    long n = 0;
    for (size_t i = 0; i < pages; i++)
        n += in[i] & 1;
    free(in);
    munmap(m, len);
    return n;
}

/* The warmer reads a store that is not in the page cache in large requests, none of it a page at
 * a time through faults of its own map (LMDB's MDB_NORDAHEAD map reads each faulted page alone:
 * a 10-million-signal store took 45 s instead of 2.9 s, and the commits after it 52.8 instead of
 * 29.4 ms, docs/performance.md); and into folios of a page, so a page rewritten afterwards costs
 * a page. A single WILLNEED over a 16 MB step is capped at the device's read-ahead window or
 * largest I/O (8 MB on this project's machines) and left the rest to the faults. 27 MB of
 * values, dropped from the cache, warmed, then one page per MB rewritten with its own bytes.
 * Skipped where pages are not 4 KB (the values would not be a page each) or the file system
 * keeps its pages cached (tmpfs). */
static void test_warm_from_disk(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    if (page != 4096)
        skip();
    char *dir = test_tmpdir(), err[512], path[1024], why[256];
    int rc;
    vn_store_t *st = vn_store_open(dir, 64 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    for (int i = 0; i < 7; i++) { /* a page each: 7,000 pages, 27 MB */
        char prefix[8];
        snprintf(prefix, sizeof prefix, "w%d", i);
        s_commit_values(st, prefix, 1000, 4000);
    }
    uint64_t used, size;
    vn_store_usage(st, &used, &size);
    assert_true(used >= (uint64_t)24 << 20);
    vn_store_destroy(&st);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(fdatasync(fd), 0);
    assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    if (s_resident_pages(fd, 4 << 20, 24 << 20) >= 64) { /* kept in memory: nothing to read */
        close(fd);
        test_tmpdir_remove(dir);
        skip();
    }
    st = vn_store_open(dir, 64 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    uint64_t pages = 0;
    struct rusage ru0, ru1;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru0), 0);
    assert_int_equal(vn_store_warm(st, NULL, &pages, why, sizeof why), 0);
    assert_int_equal(getrusage(RUSAGE_SELF, &ru1), 0);
    assert_true(pages >= 7000);
    /* A fault that waits for a read still under way counts as major too (about one per 128 KB
     * request at most, 3 %); without the fix 40 % of the pages came in by faults. */
    assert_true((uint64_t)(ru1.ru_majflt - ru0.ru_majflt) < pages / 7);
    char buf[4096]; /* a page: the test runs only where pages are 4 KB */
    int rewrites = 0;
    long long before = s_write_bytes();
    for (off_t at = (off_t)2 << 20; at < (off_t)24 << 20; at += (off_t)1 << 20) {
        assert_int_equal(pread(fd, buf, (size_t)page, at + page), page);
        assert_int_equal(pwrite(fd, buf, (size_t)page, at + page), page);
        rewrites++;
    }
    assert_int_equal(fdatasync(fd), 0);
    long long after = s_write_bytes();
    if (before >= 0 && after >= 0) /* where the kernel counts */
        assert_true(after - before <= 2LL * rewrites * page);
    close(fd);
    s_assert_value(st, "w500999", 4000); /* the data is untouched */
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

/* The data file is kept ahead of the pages in use, the headroom cached, within the map, never
 * shortened; and a page rewritten in it after a large write costs a page, not a large folio. */
static void test_ahead(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512], path[1024];
    int rc;
    size_t map = 64 << 20;
    vn_store_t *st = vn_store_open(dir, map, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    long page = sysconf(_SC_PAGESIZE);
    uint64_t used = 0, size, growth = 0;
    struct stat sb;
    for (int round = 0; round < 3; round++) { /* commits of about 600 KB */
        uint64_t was = used;
        char prefix[8];
        snprintf(prefix, sizeof prefix, "r%dk", round);
        s_commit_values(st, prefix, 200, 3000);
        vn_store_usage(st, &used, &size);
        growth = used - was;
        assert_int_equal(stat(path, &sb), 0);
        /* Made ahead before each commit, from the growth seen so far: from the second
         * commit on, the headroom covered the commit with at least half the least left. */
        assert_true((uint64_t)sb.st_size >= used);
        if (round > 0)
            assert_true((uint64_t)sb.st_size >= used + VN_STORE_AHEAD_MIN / 2);
        assert_true((uint64_t)sb.st_size <= used + VN_STORE_AHEAD_MAX);
        assert_true((uint64_t)sb.st_size <= map);
    }
    /* What a commit like the last will write is in the page cache before LMDB writes there. */
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_true(used + growth <= (uint64_t)sb.st_size);
    assert_int_equal(s_resident_pages(fd, used, used + growth), (long)(growth / (uint64_t)page));
    /* A run of pages written at once and written back, then one of them rewritten: the rewrite
     * dirties one page. Into an uncached range, the run would have made a folio as large as
     * itself (Linux 6.18, ext4) and the rewrite counted all of it. Past LMDB's last page, so
     * the store does not see it; where the kernel does not count, only the rest is checked. */
    static char run[256 << 10];
    /* aligned as a large folio would be, which its offset in the file must be */
    off_t at = (off_t)((used + sizeof run - 1) / sizeof run * sizeof run);
    assert_true((uint64_t)at + sizeof run <= (uint64_t)sb.st_size);
    assert_int_equal(pwrite(fd, run, sizeof run, at), (ssize_t)sizeof run);
    assert_int_equal(fdatasync(fd), 0);
    long long before = s_write_bytes();
    assert_int_equal(pwrite(fd, run, (size_t)page, at + (off_t)sizeof run / 2), page);
    assert_int_equal(fdatasync(fd), 0);
    long long after = s_write_bytes();
    if (before >= 0 && after >= 0)
        assert_true(after - before <= 2 * page);
    close(fd);
    vn_store_destroy(&st);
    st = vn_store_open(dir, 0, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(stat(path, &sb), 0);
    assert_true((uint64_t)sb.st_size >= used); /* reopened: not shortened */
    s_assert_value(st, "r2k00199", 3000);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);

    /* A small map: never past its end. */
    dir = test_tmpdir();
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    st = vn_store_open(dir, 1 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    s_commit_values(st, "hello", 1, 3000);
    assert_int_equal(stat(path, &sb), 0);
    assert_true((uint64_t)sb.st_size <= (uint64_t)1 << 20);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

/* One commit caches a bounded part of the headroom, never all of it at once: after a commit
 * that grew the store by 12 MB the headroom is 48 MB, and the next commit caches twice the
 * growth and a step of it; a commit that grew nothing caches a step. */
static void test_ahead_bounded(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512], path[1024];
    int rc;
    vn_store_t *st = vn_store_open(dir, (size_t)512 << 20, s_dbs, 0, &rc, err, sizeof err);
    assert_non_null(st);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), used0, used1, used2, size;
    vn_store_usage(st, &used0, &size);
    s_commit_values(st, "a", 4000, 3000); /* 12 MB */
    vn_store_usage(st, &used1, &size);
    uint64_t growth = used1 - used0;
    assert_true(growth >= (uint64_t)11 << 20);
    s_commit_values(st, "b", 1, 3000); /* its call saw 12 MB of growth */
    vn_store_usage(st, &used2, &size);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    uint64_t end = (uint64_t)sb.st_size;
    assert_true(end >= used2 + 3 * growth); /* the headroom: four times the growth */
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    long cached = s_resident_pages(fd, used2, end);
    /* at most twice the growth and a step, from where the last page in use was */
    assert_true((uint64_t)cached * page <= 2 * growth + VN_STORE_AHEAD_STEP);
    assert_true((uint64_t)cached * page >= 2 * growth - (used2 - used1));
    assert_true((uint64_t)cached * page < end - used2); /* not the whole headroom */
    s_commit_values(st, "c", 1, 3000); /* its call saw next to no growth: a step more */
    uint64_t used3;
    vn_store_usage(st, &used3, &size);
    long more = s_resident_pages(fd, used3, end) - cached;
    assert_true(more > 0);
    assert_true((uint64_t)more * page <= VN_STORE_AHEAD_STEP + 2 * (used2 - used1 + page));
    close(fd);
    vn_store_destroy(&st);
    test_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_and_reopen),
        cmocka_unit_test(test_build_once),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_map_full_is_an_error_not_a_crash),
        cmocka_unit_test(test_warm),
        cmocka_unit_test(test_warm_from_disk),
        cmocka_unit_test(test_ahead),
        cmocka_unit_test(test_ahead_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
