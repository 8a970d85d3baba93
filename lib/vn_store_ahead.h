/* vn_store_ahead.h -- keeps an LMDB data file ahead of the pages in use, with that headroom in
 * the page cache as single pages, so LMDB's writes never land in large folios. Owned by the
 * vn_store_t of a writer (vn_store.c); not used for read-only opens. */
#ifndef VN_STORE_AHEAD_H
#define VN_STORE_AHEAD_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

typedef struct {
    pthread_mutex_t lock; /* writers of one store may commit from different threads */
    uint64_t last_used;   /* LMDB's pages in use at the last call, bytes */
    uint64_t max_growth;  /* the largest growth seen between two calls, bytes */
    uint64_t cached_to;   /* the file is in the cache from the last page in use up to here */
    int off;              /* extending failed once (a full disk, a file limit): not tried again */
} vn_store_ahead_t;

/* The smallest headroom and the largest: the headroom is four times the largest growth seen in
 * one commit, within these (a hole costs no disk, its zero pages only reclaimable cache). */
#define VN_STORE_AHEAD_MIN ((uint64_t)1 << 20)
#define VN_STORE_AHEAD_MAX ((uint64_t)64 << 20)
/* What one call caches beyond twice the last commit's growth: the headroom is cached a step at
 * a time, so no commit pays for all of it. */
#define VN_STORE_AHEAD_STEP ((uint64_t)256 << 10)

/* Before LMDB opens the store in dir: its first 2 MB are dropped from the cache (the clean pages
 * nobody maps) and the two meta pages, which every commit rewrites, read back a page each. LMDB
 * reads them with read-ahead (a folio of up to hundreds of KB), and at creation writes both in
 * one write (8 KB): a commit's meta update would dirty and write back the whole folio.
 * 1 if the store exists (a data file that is not empty), else 0: LMDB will create it. */
int vn_store_ahead_prepare(const char *dir);
/* After open, for a writer. */
void vn_store_ahead_init(vn_store_ahead_t *st);
void vn_store_ahead_fini(vn_store_ahead_t *st);
/* In a write transaction, before its commit (under the writer's lock, so no writer in any
 * process moves the file's end meanwhile; a read-only txn is left alone): when less than half
 * the headroom is left beyond the last page in use, the file is made longer (a hole: nothing
 * is written); then the next part of the headroom not yet cached, at most twice the last
 * commit's growth and VN_STORE_AHEAD_STEP, is read into the cache a page per folio. Never past
 * the map's size; never shortens the file. Errors only stop it: LMDB then writes past the end
 * as it would. */
void vn_store_ahead(vn_store_ahead_t *st, MDB_txn *txn);

/* Each page of [from, to) of the file fd read into the page cache as a folio of its own, by the
 * kernel's forced read-ahead (its large folios are for read-ahead on demand and for writes into
 * uncached ranges); a hole gives zero pages without I/O. A third of the cost of faulting the
 * pages in through a map (0.5 against 1.6 us a page here). The reads may still be under way on
 * return; errors are ignored (the pages are then read when first used). */
void vn_store_cache_range(int fd, uint64_t from, uint64_t to);

#endif
