/* vn_daemon.h -- what both daemons' main() share: `--config FILE` and signal flags. */
#ifndef VN_DAEMON_H
#define VN_DAEMON_H

#include <signal.h>

/* Set by SIGTERM/SIGINT and SIGHUP; the poll loop acts on them. */
extern volatile sig_atomic_t vn_daemon_stop, vn_daemon_reload;

/* Parse `NAME --config FILE [--check-config]`; prints usage and exits 2 on anything else (0 for
 * --help). *check_only is set by --check-config: validate everything, then exit. */
const char *vn_daemon_args(int argc, char **argv, const char *name, int *check_only);
/* SIGHUP: reread path (a broker's or an agent's configuration) and apply its log_level. A file
 * with an error changes nothing and is logged. */
void vn_daemon_reload_log_level(const char *path, int agent);
/* Install the flag-setting handlers; SIGPIPE is ignored. */
void vn_daemon_signals(void);
/* Write the endpoint a ZeroMQ socket bound to into DIR/endpoint (via a rename, so a reader never
 * sees half of it), for tools and tests that bind port *; and log it. */
void vn_daemon_write_endpoint(void *sock, const char *dir);

#endif
