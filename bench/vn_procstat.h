/* vn_procstat.h -- what a process cost: CPU time and bytes it caused to be written, from /proc. */
#ifndef VN_PROCSTAT_H
#define VN_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

typedef struct {
    uint64_t cpu_us;      /* utime + stime of all its threads */
    uint64_t write_bytes; /* bytes it sent to the storage layer (page cache dirtied and direct) */
    uint64_t wchar;       /* bytes passed to write(2)-like calls, files and sockets */
    int ok;               /* 1 when both files were read */
} vn_procstat_t;

/* Read pid's counters now. Returns 0, or -1 when the process is gone or /proc unreadable. */
int vn_procstat_read(pid_t pid, vn_procstat_t *out);

/* after - before, per `per` units (e.g. notifications); zeroes when either sample failed. wchar
 * is what the process handed to write(2)-like calls (LMDB's pages, logs), write_bytes what the
 * kernel counted for the storage layer: on Linux 6.16+ ext4 it counts whole page-cache folios. */
void vn_procstat_per(const vn_procstat_t *before, const vn_procstat_t *after, double per,
                     double *cpu_us, double *write_bytes, double *wchar);

#endif
