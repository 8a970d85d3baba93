/* vn_log.c -- timestamped log lines: "TIME LEVEL component: event key=value ...". */
#include "vn_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *s_component = "vangnet";
static enum vn_log_level s_level = VN_LOG_INFO;

void vn_log_init(const char *component, enum vn_log_level level)
{
    s_component = component;
    s_level = level;
}

void vn_log_write(enum vn_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > s_level)
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
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000, names[level],
            s_component, line);
}
