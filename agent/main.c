/* main.c -- vangnet-agent: read the configuration, install signal flags, run the loop. */
#include "agent.h"
#include "vn_daemon.h"
#include "vn_log.h"

#include <sodium.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int check_only;
    const char *config = vn_daemon_args(argc, argv, "vangnet-agent", &check_only);
    if (sodium_init() < 0)
        return 1;
    vn_agent_config_t cfg;
    char err[1024];
    if (vn_agent_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vangnet-agent: %s\n", err);
        return 2;
    }
    if (check_only)
        return agent_check_config(&cfg, config) == 0 ? 0 : 2;
    vn_log_init("agent", (enum vn_log_level)cfg.log_level);
    vn_daemon_signals();
    static agent_t agent;
    if (agent_init(&agent, &cfg, err, sizeof err) != 0) {
        vn_error("event=start-failed error=\"%s\"", err);
        agent_fini(&agent);
        return 1;
    }
    snprintf(agent.config_path, sizeof agent.config_path, "%s", config);
    vn_info("event=started org=%s api=%s version=%s", agent.keys->pub.org, cfg.api, VN_VERSION);
    agent_run(&agent, (volatile int *)&vn_daemon_stop, (volatile int *)&vn_daemon_reload);
    vn_info("event=stopping");
    agent_fini(&agent);
    return 0;
}
