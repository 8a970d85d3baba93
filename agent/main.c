/* main.c -- vangnet-agent: read the configuration, install signal flags, run the loop. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
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
            fprintf(c == 'h' ? stdout : stderr, "usage: vangnet-agent --config FILE\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: vangnet-agent --config FILE\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    vn_agent_config_t cfg;
    char err[1024];
    if (vn_agent_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vangnet-agent: %s\n", err);
        return 2;
    }
    vn_log_init("agent", (enum vn_log_level)cfg.log_level);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    static agent_t agent;
    if (agent_init(&agent, &cfg, err, sizeof err) != 0) {
        vn_error("event=start-failed error=\"%s\"", err);
        agent_fini(&agent);
        return 1;
    }
    vn_info("event=started org=%s api=%s", agent.keys->pub.org, cfg.api);
    agent_run(&agent, (volatile int *)&s_stop);
    vn_info("event=stopping");
    agent_fini(&agent);
    return 0;
}
