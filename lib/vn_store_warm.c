/* vn_store_warm.c -- see vn_store_warm.h. Owns nothing of the store; a warmer must be stopped
 * before the store it reads is destroyed. */
#include "vn_store_warm.h"
#include "vn_store_ahead.h"
#include "vn_log.h"
#include "vn_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels refuse it and the loop does the work */
#endif

/* Where the data file is mapped: the mapping of its inode at file offset 0. */
static int s_find_map(dev_t dev, ino_t ino, uintptr_t *base, size_t *size)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -errno;
    char line[4096];
    int rc = VN_E_NOT_FOUND;
    while (rc != 0 && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off, inode;
        unsigned maj, min;
        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &min, &inode) == 6 &&
            off == 0 && inode == (unsigned long)ino && makedev(maj, min) == dev) {
            *base = lo;
            *size = hi - lo;
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

static uint64_t s_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lu kB", (unsigned long *)&kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

int vn_store_warm(vn_store_t *db, const atomic_int *stop, uint64_t *pages, char *why, size_t len)
{
    *pages = 0;
    int fd;
    struct stat st;
    if (mdb_env_get_fd(vn_store_env(db), &fd) != 0 || fstat(fd, &st) != 0) {
        snprintf(why, len, "cannot stat the data file");
        return VN_E_STORE;
    }
    uintptr_t base;
    size_t mapped;
    if (s_find_map(st.st_dev, st.st_ino, &base, &mapped) != 0) {
        snprintf(why, len, "the data file's mapping was not found in /proc/self/maps");
        return VN_E_NOT_FOUND;
    }
    size_t size = (size_t)st.st_size < mapped ? (size_t)st.st_size : mapped;
    uint64_t avail = s_mem_available();
    if ((uint64_t)size > avail / 2) {
        snprintf(why, len, "the data file (%zu MB) is larger than half the memory available "
                 "(%llu MB)", size >> 20, (unsigned long long)(avail >> 20));
        return VN_E_TOO_LARGE;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE), step = (size_t)16 << 20;
    volatile const unsigned char *p = (const unsigned char *)base;
    unsigned sum = 0;
    /* In steps, so a stop is seen within milliseconds: first the step is read into the cache,
     * then the kernel maps it (cheap, as every page is cached), then one read per page makes
     * each page known to the hypervisor's page tables too, which the kernel's mapping alone
     * does not. */
    for (size_t at = 0; at < size && !(stop && atomic_load(stop)); at += step) {
        size_t n = size - at < step ? size - at : step;
        /* Into the cache in large reads, a folio per page (the map is of file offset 0, so at is
         * the file's offset too): pages read by on-demand read-ahead land in large folios, and
         * ext4 walks every block of a large folio on each 4 KB pwrite of LMDB's commit. One
         * WILLNEED over the whole step is not enough: the kernel caps a request at the larger
         * of the read-ahead window and the device's largest I/O (8 MB here), and the rest of
         * the step was read by the faults below, a page per synchronous read (the map has no
         * read-ahead, MDB_NORDAHEAD). A 10-million-signal store then took 45 s instead of 2.9 s
         * to warm, and its commits after it 52.8 instead of 29.4 ms (docs/performance.md,
         * "Signals at scale"). */
        vn_store_cache_range(fd, at, at + n);
        (void)madvise((void *)(base + at), n, MADV_POPULATE_READ);
        for (size_t off = 0; off < n; off += page) {
            sum += p[at + off];
            (*pages)++;
        }
    }
    (void)sum;
    return 0;
}

struct vn_store_warmer {
    pthread_t thread;
    vn_store_t *db;
    atomic_int stop;
    char who[32];
};

static void *s_warm(void *arg)
{
    vn_store_warmer_t *w = arg;
    /* Linux: a thread's nice value is its own; the writer keeps its priority. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    char why[256] = "";
    uint64_t pages, t0 = vn_now_us();
    int rc = vn_store_warm(w->db, &w->stop, &pages, why, sizeof why);
    if (rc == 0)
        vn_info("event=store-warm who=%s pages=%llu seconds=%.1f%s", w->who,
                (unsigned long long)pages, (double)(vn_now_us() - t0) / 1e6,
                atomic_load(&w->stop) ? " stopped=yes" : "");
    else
        vn_info("event=store-warm who=%s skipped=yes reason=\"%s\"", w->who, why);
    return NULL;
}

vn_store_warmer_t *vn_store_warm_start(vn_store_t *db, const char *who)
{
    vn_store_warmer_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->db = db;
    snprintf(w->who, sizeof w->who, "%s", who);
    if (pthread_create(&w->thread, NULL, s_warm, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void vn_store_warm_stop(vn_store_warmer_t **wp)
{
    if (!wp || !*wp)
        return;
    atomic_store(&(*wp)->stop, 1);
    pthread_join((*wp)->thread, NULL);
    free(*wp);
    *wp = NULL;
}
