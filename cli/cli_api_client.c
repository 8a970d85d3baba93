/* cli_api_client.c -- `vangnet api-client add`: a credential for the agent's tcp:// local API. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vn_apiclient.h"
#include "vn_error.h"

int cli_api_client(int argc, char **argv)
{
    static const struct option opts[] = {{"clients", required_argument, NULL, 'c'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"out", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *clients = NULL, *name = NULL, *out = NULL;
    if (argc < 2 || strcmp(argv[1], "add") != 0)
        return cli_fail(CLI_USAGE, "api-client: add --clients FILE --name NAME --out TOKEN-FILE");
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': clients = optarg; break;
        case 'n': name = optarg; break;
        case 'o': out = optarg; break;
        default: return cli_fail(CLI_USAGE, "api-client add: see vangnet api-client --help");
        }
    }
    if (optind != argc)
        return cli_fail(CLI_USAGE, "api-client add: unexpected argument '%s'", argv[optind]);
    const char *missing = !clients ? "--clients FILE" : !name ? "--name NAME"
                          : !out ? "--out TOKEN-FILE" : NULL;
    if (missing)
        return cli_fail(CLI_USAGE, "api-client add: missing %s", missing);
    char err[1200];
    int rc = vn_api_client_create(clients, name, out, err, sizeof err);
    if (rc != 0)
        return cli_fail(rc == VN_E_INVALID ? CLI_USAGE : CLI_FAIL, "api-client add: %s", err);
    printf("client %s: token written to %s (mode 0600), its hash added to %s; reload the agent "
           "(SIGHUP)\n", name, out, clients);
    return CLI_OK;
}
