/* vn_daemon.c -- command line and signal flags for vangnet-broker and vangnet-agent. */
#include "vn_daemon.h"
#include "vn_config.h"
#include "vn_log.h"

#include <getopt.h>
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t vn_daemon_stop, vn_daemon_reload;

static void s_on_signal(int sig)
{
    if (sig == SIGHUP)
        vn_daemon_reload = 1;
    else
        vn_daemon_stop = 1;
}

const char *vn_daemon_args(int argc, char **argv, const char *name, int *check_only)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    *check_only = 0;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') {
            config = optarg;
        } else if (c == 'k') {
            *check_only = 1;
        } else if (c == 'V') {
            printf("%s %s\n", name, VN_VERSION);
            exit(0);
        } else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: %s --config FILE [--check-config] | --version | --help\n"
                    "  --check-config  validate the configuration and the files it names, then exit\n"
                    "signals: SIGTERM/SIGINT finish in-flight work and stop; SIGHUP reloads\n"
                    "exit codes: 0 stopped cleanly (or configuration valid), 1 could not start,\n"
                    "  2 usage error or invalid configuration (docs/exit-codes.md)\n",
                    name);
            exit(c == 'h' ? 0 : 2);
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: %s --config FILE [--check-config]\n", name);
        exit(2);
    }
    return config;
}

void vn_daemon_reload_log_level(const char *path, int agent)
{
    char err[1200];
    int rc, level;
    if (!path[0])
        return;
    if (agent) {
        vn_agent_config_t cfg;
        rc = vn_agent_config_load(path, &cfg, err, sizeof err);
        level = cfg.log_level;
    } else {
        vn_broker_config_t cfg;
        rc = vn_broker_config_load(path, &cfg, err, sizeof err);
        level = cfg.log_level;
    }
    if (rc != 0) {
        vn_error("event=config-refused error=\"%s\" action=keeping-running-settings", err);
        return;
    }
    vn_log_set_level((enum vn_log_level)level);
    vn_info("event=config-reloaded log_level=%s", vn_log_level_name(level));
}

void vn_daemon_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void vn_daemon_write_endpoint(void *sock, const char *dir)
{
    char ep[256], path[1100], tmp[1110];
    size_t len = sizeof ep;
    zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len);
    snprintf(path, sizeof path, "%s/endpoint", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%s\n", ep);
        fclose(f);
        rename(tmp, path);
    }
    vn_info("event=listening endpoint=%s", ep);
}
