/* cli_api_client.c -- `vangnet api-client add|list|revoke --data DIR`: the agent's named HTTP API
 * clients. A new client's token is printed once; only its hash is kept (DATA/api-clients, 0600). */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_api_clients.h"
#include "vn_util.h"

static const char s_usage[] =
    "api-client add NAME --scopes send,inbox,consent,signal (--data DIR | --file F) [--json]\n"
    "       api-client list (--data DIR | --file F) [--json]\n"
    "       api-client revoke NAME (--data DIR | --file F) [--json]";

static json_object *s_client_json(const vn_api_client_t *c)
{
    char scopes[64], t[32];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(c->name));
    json_object *arr = json_object_new_array();
    for (int i = 0; vn_api_scope_names[i]; i++)
        if (c->scopes & (1u << i))
            json_object_array_add(arr, json_object_new_string(vn_api_scope_names[i]));
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

int cli_api_client(int argc, char **argv)
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
    vn_api_client_t *list = NULL;
    size_t n = 0;
    char err[300];
    if (vn_api_clients_load(path, &list, &n, err, sizeof err) != 0)
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
                       vn_api_scopes_format(list[i].scopes, scopes, sizeof scopes),
                       list[i].revoked ? "revoked" : "active");
        }
        if (arr)
            s_print_json(arr);
    } else if (strcmp(verb, "add") == 0) {
        unsigned scopes;
        size_t i = 0;
        while (name && i < n && strcmp(list[i].name, name) != 0)
            i++;
        if (!name || !vn_api_client_name_valid(name))
            rc = cli_fail(CLI_USAGE, "api-client add: NAME is 1-64 of a-z, 0-9 and -, "
                                     "starting with a letter");
        else if (!scopes_arg || vn_api_scopes_parse(scopes_arg, &scopes) != 0)
            rc = cli_fail(CLI_USAGE, "api-client add: --scopes is a comma list of send, inbox, "
                                     "consent, signal");
        else if (i < n)
            rc = cli_fail(CLI_USAGE, "api-client add: %s exists%s (choose another name)", name,
                          list[i].revoked ? " (revoked)" : "");
        else {
            vn_api_client_t *more = realloc(list, (n + 1) * sizeof *more);
            char token[VN_API_TOKEN_MAX];
            if (!more) {
                rc = cli_fail(CLI_FAIL, "out of memory");
            } else {
                list = more;
                vn_api_client_t *nc = &list[n++];
                memset(nc, 0, sizeof *nc);
                snprintf(nc->name, sizeof nc->name, "%s", name);
                nc->scopes = scopes;
                nc->created = vn_now();
                vn_api_token_new(token, nc->hash);
                int w = vn_api_clients_save(path, list, n);
                if (w != 0) {
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
            int w = vn_api_clients_save(path, list, n);
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
