/* cli_broker.c -- `vangnet broker status --data DIR [--json]`: broker health for operators, read
 * from the store without touching the running broker (also when it is down); exit 1 when a
 * warning fires. A running broker's live view (connections, counters): `status --url`. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vn_broker_stats.h"
#include "vn_brokerdb.h"
#include "vn_error.h"

int cli_broker(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL;
    int json = 0, c;
    optind = 2;
    while (argc >= 2 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') data = optarg;
        else if (c == 'j') json = 1;
        else return CLI_USAGE;
    }
    if (argc < 2 || strcmp(argv[1], "status") != 0 || !data || optind != argc)
        return cli_fail(CLI_USAGE, "broker status --data DIR [--json]");
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "broker status: %s", err);
    vn_broker_stats_t st;
    if ((rc = vn_broker_stats_read(db, &st)) != 0) {
        vn_store_destroy(&db);
        return cli_fail(CLI_FAIL, "broker status: %s", vn_strerror(rc));
    }
    vn_metrics_config_t warn;
    vn_metrics_config_defaults(&warn);
    json_object *o = vn_broker_stats_json(&st, &warn);
    int out = cli_status_print(o, json);
    json_object_put(o);
    vn_broker_stats_clear(&st);
    vn_store_destroy(&db);
    return out;
}
