/* main.c -- vangnet-broker: read the configuration, install signal flags, run the loop. */
#include "broker.h"
#include "vn_daemon.h"
#include "vn_log.h"

#include <sodium.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int check_only;
    const char *config = vn_daemon_args(argc, argv, "vangnet-broker", &check_only);
    if (sodium_init() < 0)
        return 1;
    vn_broker_config_t cfg;
    char err[1024];
    if (vn_broker_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vangnet-broker: %s\n", err);
        return 2;
    }
    if (check_only)
        return broker_check_config(&cfg, config) == 0 ? 0 : 2;
    vn_log_init("broker", (enum vn_log_level)cfg.log_level);
    vn_daemon_signals();
    static broker_t broker;
    if (broker_init(&broker, &cfg, err, sizeof err) != 0) {
        vn_error("event=start-failed error=\"%s\"", err);
        broker_fini(&broker);
        return 1;
    }
    snprintf(broker.config_path, sizeof broker.config_path, "%s", config);
    vn_info("event=started org=%s workers=%d version=%s", broker.keys->pub.org, cfg.workers,
            VN_VERSION);
    broker_run(&broker, (volatile int *)&vn_daemon_stop, (volatile int *)&vn_daemon_reload);
    vn_info("event=stopping");
    broker_fini(&broker);
    return 0;
}
