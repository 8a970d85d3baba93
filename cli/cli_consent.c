/* cli_consent.c -- `vangnet consent add|withdraw|list --agent EP`: consent records at the broker. */
#include "cli.h"
#include "cli_json.h"

#include <json-c/json.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vangnet/client.h"
#include "vn_util.h"

#define MAX_LIST 32

static void s_print(const vn_client_consent_record_t *r)
{
    char from[16], until[16], gone[16] = "";
    time_t t;
    t = (time_t)r->valid_from;
    strftime(from, sizeof from, "%Y-%m-%d", gmtime(&t));
    t = (time_t)r->expires;
    strftime(until, sizeof until, "%Y-%m-%d", gmtime(&t));
    if (r->withdrawn) {
        t = (time_t)r->withdrawn;
        strftime(gone, sizeof gone, "%Y-%m-%d", gmtime(&t));
    }
    printf("consent %s  subject %.16s...  given by %s\n  for:        %s\n  categories: %s\n"
           "  purpose:    %s\n  valid:      %s to %s%s%s\n",
           r->id, r->subject, r->given_by, r->recipients, r->categories, r->purpose, from, until,
           r->withdrawn ? ", WITHDRAWN " : "", gone);
}

uint64_t cli_date(const char *s)
{
    uint64_t t;
    return vn_date_parse(s, &t) == 0 ? t : 0;
}

int cli_consent(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'},    {"subject", required_argument, NULL, 's'},
        {"given-by", required_argument, NULL, 'g'}, {"to", required_argument, NULL, 't'},
        {"categories", required_argument, NULL, 'c'}, {"purpose", required_argument, NULL, 'p'},
        {"from", required_argument, NULL, 'f'},     {"until", required_argument, NULL, 'u'},
        {"days", required_argument, NULL, 'd'},     {"seconds", required_argument, NULL, 'S'},
        {"token-file", required_argument, NULL, 'T'}, {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0}};
    if (argc < 2)
        return cli_fail(CLI_USAGE, "consent: add|withdraw|list --agent EP ...");
    const char *verb = argv[1], *agent = NULL, *subject = NULL, *given_by = NULL, *purpose = NULL;
    char *to = NULL, *cats = NULL, *end;
    uint64_t from = 0, until = 0;
    long days = 0, seconds = 0;
    int c, json = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'T': cli_token_file = optarg; break;
        case 's': subject = optarg; break;
        case 'g': given_by = optarg; break;
        case 't': to = optarg; break;
        case 'c': cats = optarg; break;
        case 'p': purpose = optarg; break;
        case 'j': json = 1; break;
        case 'f':
            if (!(from = cli_date(optarg)))
                return cli_fail(CLI_USAGE, "consent: --from wants YYYY-MM-DD");
            break;
        case 'u':
            if (!(until = cli_date(optarg)))
                return cli_fail(CLI_USAGE, "consent: --until wants YYYY-MM-DD");
            break;
        case 'd':
            days = strtol(optarg, &end, 10);
            if (*end || days < 1 || days > 3660)
                return cli_fail(CLI_USAGE, "consent: --days takes 1 to 3660");
            break;
        case 'S':
            seconds = strtol(optarg, &end, 10);
            if (*end || seconds < 1 || seconds > 3660L * 86400)
                return cli_fail(CLI_USAGE, "consent: --seconds takes 1 to 316224000");
            break;
        default: return CLI_USAGE;
        }
    }
    if (!agent)
        return cli_fail(CLI_USAGE, "consent %s: --agent EP is required", verb);
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    int rc = CLI_OK;
    vn_client_consent_record_t r;
    if (strcmp(verb, "add") == 0 && optind == argc) {
        const char *recipients[MAX_LIST], *categories[MAX_LIST];
        if (!subject || !given_by || !to || !cats || !purpose || (!until && !days && !seconds)) {
            vn_client_destroy(&cl);
            return cli_fail(CLI_USAGE, "consent add: needs --subject BSN --given-by "
                                       "client|wettelijk-vertegenwoordiger --to ORG|sector:NAME[,...] "
                                       "--categories CAT[,...] --purpose TEXT and --until DATE, --days N or --seconds N");
        }
        vn_client_consent_t in = {
            .subject_bsn = subject, .given_by = given_by, .recipients = recipients,
            .n_recipients = cli_split(to, recipients, MAX_LIST), .categories = categories,
            .n_categories = cli_split(cats, categories, MAX_LIST), .purpose = purpose, .valid_from = from,
            .expires = until ? until
                       : (uint64_t)time(NULL) + (days ? (uint64_t)days * 86400 : (uint64_t)seconds)};
        if (vn_client_consent_add(cl, &in, &r) != 0)
            rc = cli_client_fail(cl, "consent add");
        else if (json)
            cli_json_print(cli_json_consent(&r));
        else
            s_print(&r);
    } else if (strcmp(verb, "withdraw") == 0 && optind == argc - 1) {
        if (vn_client_consent_withdraw(cl, argv[optind], &r) != 0)
            rc = cli_client_fail(cl, "consent withdraw");
        else if (json)
            cli_json_print(cli_json_consent(&r));
        else
            s_print(&r);
    } else if (strcmp(verb, "list") == 0 && optind == argc) {
        vn_client_consent_record_t *list;
        size_t n;
        if (vn_client_consent_list(cl, subject, &list, &n) != 0) {
            rc = cli_client_fail(cl, "consent list");
        } else {
            json_object *items = json ? json_object_new_array() : NULL;
            for (size_t i = 0; i < n; i++)
                if (items)
                    json_object_array_add(items, cli_json_consent(&list[i]));
                else
                    s_print(&list[i]);
            if (items) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "items", items); /* as GET /v1/consents */
                cli_json_print(o);
            } else if (n == 0) {
                puts("no consents");
            }
            free(list);
        }
    } else {
        rc = cli_fail(CLI_USAGE, "consent: add ... | withdraw --agent EP ID | list --agent EP "
                                 "[--subject BSN]");
    }
    vn_client_destroy(&cl);
    return rc;
}
