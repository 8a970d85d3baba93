/* main.c -- `vangnet`: keys, organisation registry, sending and receiving, audit. */
#include "cli.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vangnet/client.h"

static const char s_usage[] =
    "usage: vangnet COMMAND [OPTIONS]\n"
    "\n"
    "keys:\n"
    "  keygen --org ID --sector SECTOR --out DIR     create ID.secret (0600) and ID.public\n"
    "  keygen --pseudonym-key FILE                    create the network pseudonym key (agents only)\n"
    "broker operator (on the broker's data directory):\n"
    "  org add --data DIR FILE.public                 register an organisation\n"
    "  org list --data DIR                            list organisations\n"
    "  org rotate --data DIR [--grace 7d] NEW.public  new keys; the old ones valid for the grace\n"
    "  org revoke --data DIR ID                       revoke an organisation (also while running)\n"
    "  broker status --data DIR [--json]              health from the store (also when stopped);\n"
    "                                                 exit 1 when a warning fires\n"
    "  status --url http://127.0.0.1:PORT [--json]    a running broker's or agent's status page\n"
    "  backup --data DIR --out FILE                   consistent copy of the store, while it runs\n"
    "  restore --in FILE --data NEW-DIR [--broker-public F]   install a backup, verify its log\n"
    "  audit show --data DIR [--json]                 print the audit log\n"
    "  audit verify --data DIR [--broker-public F]    recompute chain, tree, signed checkpoints\n"
    "  audit query --data DIR [--from D] [--until D] [--org ID] [--subject HEX|--bsn B --pseudonym-key F]\n"
    "       [--basis B] [--category C] [--event E] [--refused] [--format table|jsonl|csv]\n"
    "  audit subject --data DIR --bsn BSN --pseudonym-key FILE [--out F.html] [--with-names]\n"
    "  audit review --data DIR [--from D] [--until D]  disclosures that need a human look\n"
    "  audit prove --seq N | consistency --from SIZE [--to SIZE] --data DIR\n"
    "  audit prune --data DIR --before DATE [--keep-years N (>= 5)]   retention\n"
    "  policy check FILE                              validate a policy file, print what it allows\n"
    "  api-client add NAME --scopes send,inbox,consent,signal --data AGENT-DIR   HTTP API client;\n"
    "                                                 prints its token once\n"
    "  api-client list | revoke NAME --data AGENT-DIR  (the agent rereads the file at once)\n"
    "agency (through the local agent):\n"
    "  send --agent EP --to ORG[,ORG] --subject BSN|--anonymous --category CAT --basis BASIS\n"
    "       [justification] [--user ID --role ROLE] [--wait S] [--expires-in S] --file PATH|-\n"
    "       justification: --consent-ref ID | --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt\n"
    "         --onveiligheid acuut|structureel --consultatie YYYY-MM-DD --client-geinformeerd TEXT\n"
    "         | --ots-referentie REF --aanleiding op-verzoek|eigen-initiatief | --afweging-tekst TEXT\n"
    "         | --noodzaak TEXT | --in-reply-to MSGID | --field KEY=VALUE (any field)\n"
    "  consent add --agent EP --subject BSN --given-by client|wettelijk-vertegenwoordiger\n"
    "       --to ORG|sector:NAME[,...] --categories CAT[,...] --purpose TEXT --until DATE|--days N\n"
    "  consent withdraw --agent EP ID | consent list --agent EP [--subject BSN]\n"
    "  inbox --agent EP [--wait SECONDS] [--json]\n"
    "  ack --agent EP MSGID\n"
    "  status --agent EP\n"
    "\n"
    "exit codes: 0 ok, 1 failure, 2 usage error, 3 refused by the broker, 4 queued without receipt\n";

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vangnet: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

struct vn_client *cli_connect(const char *endpoint)
{
    vn_client_t *c = vn_client_new(endpoint);
    if (!c)
        cli_fail(CLI_USAGE, "cannot use agent endpoint '%s'", endpoint);
    return c;
}

int cli_client_fail(struct vn_client *c, const char *what)
{
    static const char *const usage[] = {"invalid-bsn", "invalid-subject", "invalid-field",
                                        "invalid-recipients", "unknown-recipient",
                                        "duplicate-recipient", "too-large", "invalid-message-id",
                                        "not-found", NULL};
    const char *code = vn_client_error_code(c);
    int rc = strncmp(code, "consent-", 8) == 0 ? CLI_USAGE : CLI_FAIL;
    for (int i = 0; usage[i]; i++)
        if (strcmp(code, usage[i]) == 0)
            rc = CLI_USAGE;
    return cli_fail(rc, "%s: %s%s%s", what, code, code[0] ? ": " : "", vn_client_error(c));
}

size_t cli_split(char *list, const char **out, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok && n < max;
         tok = strtok_r(NULL, ",", &save))
        out[n++] = tok;
    return n;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"keygen", cli_keygen}, {"org", cli_org},       {"send", cli_send},
        {"inbox", cli_inbox},   {"ack", cli_ack},       {"status", cli_status},
        {"audit", cli_audit},   {"consent", cli_consent}, {"policy", cli_policy},
        {"broker", cli_broker}, {"backup", cli_backup}, {"restore", cli_restore},
        {"api-client", cli_api_client},
    };
    if (sodium_init() < 0)
        return cli_fail(CLI_FAIL, "libsodium failed to initialise");
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(s_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fputs(s_usage, stderr);
    return cli_fail(CLI_USAGE, "unknown command '%s'", argv[1]);
}
