/* vn_store_ahead.c -- see vn_store_ahead.h. Why: on Linux 6.18 ext4 caches file data in large
 * folios, and a write into a range not yet cached allocates folios as large as the write. LMDB
 * writes a commit's contiguous new pages with one pwritev, so the end of a growing data file
 * landed in folios of up to hundreds of KB; once written back, each 4 KB page LMDB later reuses
 * inside one dirtied, wrote back and counted the whole folio (docs/performance.md, "large folios
 * at the growing end of a store"). A hole read through a map without read-ahead is
 * cached page by page, and LMDB's writes then fill those pages as they are. */
#include "vn_store_ahead.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int vn_store_ahead_prepare(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/data.mdb", dir) >= (int)sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    int exists = fstat(fd, &sb) == 0 && sb.st_size > 0;
    long page = sysconf(_SC_PAGESIZE);
    unsigned char buf[65536];
    if (exists && page > 0 && page <= (long)sizeof buf &&
        fdatasync(fd) == 0 && /* only clean pages go */
        posix_fadvise(fd, 0, (off_t)2 << 20, POSIX_FADV_DONTNEED) == 0 &&
        posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) == 0) {
        /* LMDB's meta pages are its first two pages of its own page size, which is the
         * system's (LMDB's default, which vangnet keeps). */
        (void)!pread(fd, buf, (size_t)page, 0);
        (void)!pread(fd, buf, (size_t)page, page);
    }
    close(fd);
    return exists;
}

void vn_store_ahead_init(vn_store_ahead_t *st)
{
    pthread_mutex_init(&st->lock, NULL);
    st->last_used = st->max_growth = st->cached_to = 0;
    st->off = 0;
}

void vn_store_ahead_fini(vn_store_ahead_t *st)
{
    pthread_mutex_destroy(&st->lock);
}

/* In steps of 128 KB, the kernel's default read-ahead window: it caps a request at the larger
 * of the window and the device's largest I/O (force_page_cache_ra) and reads nothing of the
 * rest. (A window set below 128 KB is still served whole when the device's largest I/O is
 * larger, as it is on every disk measured here.) */
#define S_CACHE_STEP ((uint64_t)128 << 10)
void vn_store_cache_range(int fd, uint64_t from, uint64_t to)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    for (uint64_t at = from / page * page; at < to; at += S_CACHE_STEP) {
        uint64_t n = to - at < S_CACHE_STEP ? to - at : S_CACHE_STEP;
        (void)posix_fadvise(fd, (off_t)at, (off_t)n, POSIX_FADV_WILLNEED);
    }
}

void vn_store_ahead(vn_store_ahead_t *st, MDB_txn *txn)
{
    MDB_env *env = mdb_txn_env(txn);
    if (pthread_mutex_trylock(&st->lock) != 0)
        return; /* another writer is doing it */
    MDB_envinfo info;
    MDB_stat es;
    struct stat sb;
    int fd;
    /* Only inside a write transaction: the writer's lock keeps every other writer, in this
     * process or another, from writing the file's end while it is measured and lengthened. */
    if (st->off || mdb_env_info(env, &info) != 0 || mdb_txn_id(txn) != info.me_last_txnid + 1 ||
        mdb_env_stat(env, &es) != 0 || mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &sb) != 0) {
        pthread_mutex_unlock(&st->lock);
        return;
    }
    uint64_t page = es.ms_psize, used = ((uint64_t)info.me_last_pgno + 1) * page;
    uint64_t end = (uint64_t)sb.st_size;
    uint64_t growth = st->last_used && used > st->last_used ? used - st->last_used : 0;
    if (growth > st->max_growth)
        st->max_growth = growth;
    st->last_used = used;
    uint64_t room = 4 * st->max_growth;
    room = room < VN_STORE_AHEAD_MIN ? VN_STORE_AHEAD_MIN
                                     : room > VN_STORE_AHEAD_MAX ? VN_STORE_AHEAD_MAX : room;
    room = (room + page - 1) / page * page;
    uint64_t want = used + room, cap = (uint64_t)info.me_mapsize / page * page;
    if (want > cap)
        want = cap;
    if (end < used + room / 2 && want > end) { /* never shorter; rarely, as i_size is journalled */
        if (ftruncate(fd, (off_t)want) == 0)
            end = want;
        else
            st->off = 1;
    }
    /* Cached a little at a time, ahead of what the next commit will likely write: twice the
     * last commit's growth and a step. Caching a whole headroom in one commit (up to 16,384
     * pages) made that commit tens of milliseconds late, a broker's p99 at a steady rate. */
    uint64_t from = st->cached_to > used ? st->cached_to : used;
    uint64_t to = from + 2 * growth + VN_STORE_AHEAD_STEP;
    to = to > end ? end : to;
    if (!st->off && to > from) {
        vn_store_cache_range(fd, from, to);
        st->cached_to = to;
    }
    pthread_mutex_unlock(&st->lock);
}
