/* vn_procstat.c -- what a process cost: utime+stime from /proc/PID/stat and write_bytes from
 * /proc/PID/io, sampled before and after a benchmark phase. */
#include "vn_procstat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int s_read_stat(pid_t pid, uint64_t *cpu_us)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_us = (ut + st) * 1000000ULL / (unsigned long long)(hz > 0 ? hz : 100);
    return 0;
}

static int s_read_io(pid_t pid, uint64_t *write_bytes, uint64_t *wchar)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int found = 0;
    unsigned long long v;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "write_bytes: %llu", &v) == 1) {
            *write_bytes = v;
            found |= 1;
        } else if (sscanf(line, "wchar: %llu", &v) == 1) {
            *wchar = v;
            found |= 2;
        }
    }
    fclose(f);
    return found == 3 ? 0 : -1;
}

int vn_procstat_read(pid_t pid, vn_procstat_t *out)
{
    memset(out, 0, sizeof *out);
    if (s_read_stat(pid, &out->cpu_us) != 0 || s_read_io(pid, &out->write_bytes, &out->wchar) != 0)
        return -1;
    out->ok = 1;
    return 0;
}

void vn_procstat_per(const vn_procstat_t *before, const vn_procstat_t *after, double per,
                     double *cpu_us, double *write_bytes, double *wchar)
{
    *cpu_us = *write_bytes = *wchar = 0;
    if (!before->ok || !after->ok || per <= 0)
        return;
    *cpu_us = (double)(after->cpu_us - before->cpu_us) / per;
    *write_bytes = (double)(after->write_bytes - before->write_bytes) / per;
    *wchar = (double)(after->wchar - before->wchar) / per;
}
