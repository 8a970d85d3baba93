/* vn_log.h -- leveled, one-line key=value logging to stderr. Never log a secret, a BSN or content. */
#ifndef VN_LOG_H
#define VN_LOG_H

enum vn_log_level { VN_LOG_ERROR, VN_LOG_WARN, VN_LOG_INFO, VN_LOG_DEBUG };

/* Set the process's component name ("broker", "agent") and the most verbose level printed. */
void vn_log_init(const char *component, enum vn_log_level level);
/* Change the level while running (SIGHUP reload). */
void vn_log_set_level(enum vn_log_level level);
const char *vn_log_level_name(int level);
void vn_log_write(enum vn_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define vn_error(...) vn_log_write(VN_LOG_ERROR, __VA_ARGS__)
#define vn_warn(...)  vn_log_write(VN_LOG_WARN, __VA_ARGS__)
#define vn_info(...)  vn_log_write(VN_LOG_INFO, __VA_ARGS__)
#define vn_debug(...) vn_log_write(VN_LOG_DEBUG, __VA_ARGS__)

#endif
