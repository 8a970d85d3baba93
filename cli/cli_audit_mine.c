/* cli_audit_mine.c -- `vangnet audit mine --agent EP --user ID [--bsn BSN] [--after SEQ] [--max N]
 * [--all] [--json]`: an agency's privacy officer reads, through the agency's own agent, the
 * broker's audit records in which the agency is the actor or a recipient (docs/pseudonyms.md). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vangnet/client.h"
#include "vn_audit.h"

int cli_audit_mine(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'}, {"bsn", required_argument, NULL, 'B'},
        {"after", required_argument, NULL, 'A'}, {"max", required_argument, NULL, 'm'},
        {"user", required_argument, NULL, 'u'},  {"all", no_argument, NULL, 'l'},
        {"token-file", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    const char *agent = NULL, *bsn = NULL, *user = NULL;
    unsigned long long after = 0;
    long max = 0;
    int all = 0, c;
    char *end;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'B': bsn = optarg; break;
        case 'u': user = optarg; break;
        case 'l': all = 1; break;
        case 'T': cli_token_file = optarg; break;
        case 'A':
            after = strtoull(optarg, &end, 10);
            if (*end || !optarg[0])
                return cli_fail(CLI_USAGE, "audit mine: --after takes a record number");
            break;
        case 'm':
            max = strtol(optarg, &end, 10);
            if (*end || max < 1 || max > 100)
                return cli_fail(CLI_USAGE, "audit mine: --max takes 1 to 100");
            break;
        default: return cli_fail(CLI_USAGE, "audit mine: see vangnet audit --help");
        }
    }
    if (!user && getenv("VANGNET_USER") && getenv("VANGNET_USER")[0])
        user = getenv("VANGNET_USER");
    if (!agent || !user || optind != argc)
        return cli_fail(CLI_USAGE, "audit mine: --agent EP --user ID (the privacy officer, NEN "
                                   "7513; or VANGNET_USER) [--bsn BSN] [--after SEQ] [--max N] "
                                   "[--all]");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_FAIL;
    size_t total = 0;
    int rc = CLI_OK, more = 1;
    while (more) {
        vn_client_audit_page_t *page = NULL;
        if (vn_client_audit_mine(cl, bsn, after, (uint32_t)max, user, &page) != 0) {
            rc = cli_client_fail(cl, "audit mine");
            break;
        }
        for (size_t i = 0; i < vn_client_audit_page_count(page); i++) {
            size_t len = 0;
            const uint8_t *d = vn_client_audit_page_record(page, i, &len);
            Vn__AuditRecord *r = vn__audit_record__unpack(NULL, len, d);
            if (!r) {
                fprintf(stderr, "vangnet: audit mine: an unreadable record from the broker\n");
                rc = CLI_FAIL;
                continue;
            }
            vn_audit_print(stdout, r);
            vn__audit_record__free_unpacked(r, NULL);
            total++;
        }
        after = vn_client_audit_page_next(page, &more);
        vn_client_audit_page_destroy(&page);
        if (!all)
            break;
    }
    fprintf(stderr, "%zu records%s\n", total,
            more && rc == CLI_OK ? "; more: ask again with --after" : "");
    if (more && rc == CLI_OK)
        fprintf(stderr, "next: --after %llu\n", after);
    vn_client_destroy(&cl);
    return rc;
}
