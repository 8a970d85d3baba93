/* vn_log.c -- timestamped log lines: "TIME LEVEL component: event key=value ...". */
#include "vn_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static const char *s_component = "vangnet";
static _Atomic int s_level = VN_LOG_INFO; /* threads log; SIGHUP changes it */
static const char *const s_names[] = {"error", "warn", "info", "debug"};

void vn_log_init(const char *component, enum vn_log_level level)
{
    s_component = component;
    s_level = level;
}

void vn_log_set_level(enum vn_log_level level)
{
    s_level = level;
}

const char *vn_log_level_name(int level)
{
    return level >= 0 && level <= VN_LOG_DEBUG ? s_names[level] : "?";
}

void vn_log_write(enum vn_log_level level, const char *fmt, ...)
{
    if ((int)level > s_level)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so lines from threads do not interleave. */
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000, s_names[level],
            s_component, line);
}
