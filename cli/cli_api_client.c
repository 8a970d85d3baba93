/* cli_api_client.c -- `vangnet api-client`: credentials for the agent's tcp:// local API
 * (--clients, --out) and its named HTTP API clients (--data DIR: the token is printed once, only
 * its hash is kept in DATA/api-clients, 0600). */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_apiclient.h"
#include "vn_error.h"
#include "vn_http_clients.h"
#include "vn_util.h"

static int s_tcp_add(int argc, char **argv)
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

static const char s_usage[] =
    "api-client add NAME --scopes send,inbox,consent,signal (--data DIR | --file F) [--json]\n"
    "       api-client list (--data DIR | --file F) [--json]\n"
    "       api-client revoke NAME (--data DIR | --file F) [--json]";

static json_object *s_client_json(const vn_http_client_t *c)
{
    char scopes[64], t[32];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(c->name));
    json_object *arr = json_object_new_array();
    for (int i = 0; vn_http_scope_names[i]; i++)
        if (c->scopes & (1u << i))
            json_object_array_add(arr, json_object_new_string(vn_http_scope_names[i]));
    json_object_object_add(o, "scopes", arr);
    (void)scopes;
    time_t tt = (time_t)c->created;
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
    json_object_object_add(o, "created", json_object_new_string(t));
    if (c->revoked) {
        tt = (time_t)c->revoked;
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
        json_object_object_add(o, "revoked", json_object_new_string(t));
    }
    return o;
}

static void s_print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static int s_http(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"file", required_argument, NULL, 'f'},
        {"scopes", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *data = NULL, *file = NULL, *scopes_arg = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'f': file = optarg; break;
        case 's': scopes_arg = optarg; break;
        case 'j': json = 1; break;
        case 'h': printf("usage: vangnet %s\n", s_usage); return CLI_OK;
        default: return cli_fail(CLI_USAGE, "usage: vangnet %s", s_usage);
        }
    }
    const char *verb = optind < argc ? argv[optind] : NULL;
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (!verb || (!data && !file) || (data && file))
        return cli_fail(CLI_USAGE, "usage: vangnet %s", s_usage);
    char path[1100];
    if (file)
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/api-clients", data);
    vn_http_client_t *list = NULL;
    size_t n = 0;
    char err[300];
    if (vn_http_clients_load(path, &list, &n, err, sizeof err) != 0)
        return cli_fail(CLI_FAIL, "%s", err);
    int rc = CLI_OK;
    if (strcmp(verb, "list") == 0) {
        json_object *arr = json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            char scopes[64];
            if (arr)
                json_object_array_add(arr, s_client_json(&list[i]));
            else
                printf("%-24s %-28s %s\n", list[i].name,
                       vn_http_scopes_format(list[i].scopes, scopes, sizeof scopes),
                       list[i].revoked ? "revoked" : "active");
        }
        if (arr)
            s_print_json(arr);
    } else if (strcmp(verb, "add") == 0) {
        unsigned scopes;
        size_t i = 0;
        while (name && i < n && strcmp(list[i].name, name) != 0)
            i++;
        if (!name || !vn_http_client_name_valid(name))
            rc = cli_fail(CLI_USAGE, "api-client add: NAME is 1-64 of a-z, 0-9 and -, "
                                     "starting with a letter");
        else if (!scopes_arg || vn_http_scopes_parse(scopes_arg, &scopes) != 0)
            rc = cli_fail(CLI_USAGE, "api-client add: --scopes is a comma list of send, inbox, "
                                     "consent, signal");
        else if (i < n)
            rc = cli_fail(CLI_USAGE, "api-client add: %s exists%s (choose another name)", name,
                          list[i].revoked ? " (revoked)" : "");
        else {
            vn_http_client_t *more = realloc(list, (n + 1) * sizeof *more);
            char token[VN_HTTP_TOKEN_MAX];
            if (!more) {
                rc = cli_fail(CLI_FAIL, "out of memory");
            } else {
                list = more;
                vn_http_client_t *nc = &list[n++];
                memset(nc, 0, sizeof *nc);
                snprintf(nc->name, sizeof nc->name, "%s", name);
                nc->scopes = scopes;
                nc->created = vn_now();
                int w = vn_http_token_new(token, nc->hash);
                if (w != 0) {
                    rc = cli_fail(CLI_FAIL, "cannot make a token: %s", vn_strerror(w));
                } else if ((w = vn_http_clients_save(path, list, n)) != 0) {
                    rc = cli_fail(CLI_FAIL, "%s: cannot write: %s", path, strerror(-w));
                } else if (json) {
                    json_object *o = s_client_json(nc);
                    json_object_object_add(o, "token", json_object_new_string(token));
                    s_print_json(o);
                } else {
                    printf("%s\n", token);
                    fprintf(stderr, "api client %s added; the token above is shown only now: give "
                                    "it to the IT system as Authorization: Bearer TOKEN\n", name);
                }
                memset(token, 0, sizeof token);
            }
        }
    } else if (strcmp(verb, "revoke") == 0) {
        size_t i = 0;
        while (name && i < n && strcmp(list[i].name, name) != 0)
            i++;
        if (!name || i == n) {
            rc = cli_fail(CLI_USAGE, "api-client revoke: no client named %s", name ? name : "(none)");
        } else {
            if (!list[i].revoked)
                list[i].revoked = vn_now();
            int w = vn_http_clients_save(path, list, n);
            if (w != 0)
                rc = cli_fail(CLI_FAIL, "%s: cannot write: %s", path, strerror(-w));
            else if (json)
                s_print_json(s_client_json(&list[i]));
            else
                fprintf(stderr, "api client %s revoked: its token is refused from the next "
                                "request on\n", name);
        }
    } else {
        rc = cli_fail(CLI_USAGE, "usage: vangnet %s", s_usage);
    }
    free(list);
    return rc;
}

int cli_api_client(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--clients") == 0 || strcmp(argv[i], "--out") == 0 ||
            strncmp(argv[i], "--clients=", 10) == 0 || strncmp(argv[i], "--out=", 6) == 0)
            return s_tcp_add(argc, argv);
    return s_http(argc, argv);
}
