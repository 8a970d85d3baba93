/* main.c -- vangnet-broker: read the configuration, install signal flags, run the loop. */
#include "broker.h"
#include "vn_error.h"
#include "vn_log.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t s_stop, s_reload;

static void s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr, "usage: vangnet-broker --config FILE\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: vangnet-broker --config FILE\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    vn_broker_config_t cfg;
    char err[1024];
    if (vn_broker_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vangnet-broker: %s\n", err);
        return 2;
    }
    vn_log_init("broker", (enum vn_log_level)cfg.log_level);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    static broker_t broker;
    if (broker_init(&broker, &cfg, err, sizeof err) != 0) {
        vn_error("event=start-failed error=\"%s\"", err);
        broker_fini(&broker);
        return 1;
    }
    vn_info("event=started org=%s workers=%d", broker.keys->pub.org, cfg.workers);
    broker_run(&broker, (volatile int *)&s_stop, (volatile int *)&s_reload);
    vn_info("event=stopping");
    broker_fini(&broker);
    return 0;
}
