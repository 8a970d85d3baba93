/* cli_policy.c -- `vangnet policy check FILE`: validate a policy file and print what it allows. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "vn_policy.h"

int cli_policy(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "check") != 0)
        return cli_fail(CLI_USAGE, "policy: check FILE");
    char err[1200];
    vn_policy_t *p = vn_policy_load(argv[2], err, sizeof err);
    if (!p)
        return cli_fail(CLI_FAIL, "policy: %s", err);
    printf("%s: valid, %zu legal bases\n\n", argv[2], vn_policy_count(p));
    vn_policy_print(p, stdout);
    vn_policy_destroy(&p);
    return CLI_OK;
}
