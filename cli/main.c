/* main.c -- `vangnet`: keys, organisation registry, sending and receiving, audit. */
#include "cli.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vangnet/client.h"

/* Usage, one entry per command: `vangnet CMD --help` prints its entry, `vangnet --help` all. */
static const struct {
    const char *name, *section, *text;
} s_help[] = {
    {"keygen", "keys",
     "  keygen --org ID --sector SECTOR --out DIR     create ID.secret (0600) and ID.public\n"
     "  keygen --pseudonym-key FILE                    create the network pseudonym key (agents only)\n"},
    {"org", "broker operator (on the broker's data directory)",
     "  org add --data DIR [--name TEXT] FILE.public   register an organisation (and its display name)\n"
     "  org list --data DIR                            list organisations\n"
     "  org rotate --data DIR [--grace 7d] NEW.public  new keys; the old ones valid for the grace\n"
     "  org revoke --data DIR ID                       revoke an organisation (also while running)\n"},
    {"broker", NULL,
     "  broker status --data DIR [--json]              health from the store (also when stopped);\n"
     "                                                 exit 1 when a warning fires\n"},
    {"backup", NULL,
     "  backup --data DIR --out FILE                   consistent copy of the store, while it runs\n"},
    {"restore", NULL,
     "  restore --in FILE --data NEW-DIR [--broker-public F]   install a backup, verify its log\n"},
    {"audit", NULL,
     "  audit show --data DIR [--json]                 print the audit log\n"
     "  audit verify --data DIR [--broker-public F]    recompute chain, tree, signed checkpoints\n"
     "  audit query --data DIR [--from D] [--until D] [--org ID] [--subject HEX|--bsn B --pseudonym-key F]\n"
     "       [--basis B] [--category C] [--event E] [--refused] [--format table|jsonl|csv]\n"
     "  audit subject --data DIR --bsn BSN --pseudonym-key FILE --out F.html [--with-names]\n"
     "  audit subject --data DIR --bsn BSN --service EP --service-public F --keys ORG.secret ...\n"
     "                       (v2: the pseudonym from the pseudonym service, purpose art15)\n"
     "       (the report is created 0600 and never overwrites a file)\n"
     "  audit review --data DIR [--from D] [--until D]  disclosures that need a human look\n"
     "  audit mine --agent EP --user ID [--bsn BSN] [--after SEQ] [--max N] [--all]\n"
     "                       (an agency's privacy officer: the broker's records about this\n"
     "                        agency, through its agent; the read is audited at the broker)\n"
     "  audit prove --seq N | consistency --from SIZE [--to SIZE] --data DIR\n"
     "  audit prune --data DIR --before DATE [--keep-years N (>= 5)]   retention\n"
     "  audit export --format fhir --data DIR [--out F]  FHIR R4 AuditEvent ndjson\n"},
    {"witness", NULL,
     "  witness --url URL/log --vkey VKEY --state FILE [--also NOTE] [--key F] [--interval S]\n"
     "                                                 watch the log from its checkpoints and tiles\n"},
    {"policy", NULL,
     "  policy check FILE                              validate a policy file, print what it allows\n"},
    {"api-client", "local API access (on the agent's machine)",
     "  api-client add --clients FILE --name NAME --out TOKEN-FILE\n"
     "       a TCP API credential: TOKEN-FILE (0600) for the IT system, its hash in FILE (the\n"
     "       agent's api_clients; send the agent SIGHUP or restart it)\n"
     "  api-client add NAME --scopes send,inbox,consent,signal --data AGENT-DIR [--json]\n"
     "       an HTTP API client (docs/api.md): prints its token once, keeps its hash in\n"
     "       AGENT-DIR/api-clients (the agent rereads it at once)\n"
     "  api-client list | revoke NAME --data AGENT-DIR [--json]   HTTP API clients\n"},
    {"send", "agency (through the local agent; --token-file F or VANGNET_TOKEN_FILE for tcp://)",
     "  send --agent EP --to ORG[,ORG] --subject BSN|--anonymous --category CAT --basis BASIS\n"
     "       [justification] --user ID --role ROLE [--client-ref REF] [--wait S] [--expires-in S]\n"
     "       --file PATH|-\n"
     "       justification: --consent-ref ID | --afweging 1=ja,2=ja,3=nvt,4=nvt,5=nvt\n"
     "         --onveiligheid acuut|structureel --consultatie YYYY-MM-DD --client-geinformeerd TEXT\n"
     "         | --ots-referentie REF --aanleiding op-verzoek|eigen-initiatief | --afweging-tekst TEXT\n"
     "         | --noodzaak TEXT | --in-reply-to MSGID | --field KEY=VALUE (any field)\n"
     "       --client-ref REF: sending again with the same REF returns the first outcome\n"
     "       --to match:ID sends to every other participant of a match (policy per recipient)\n"
     "       [--subject-name NAME] [--subject-birth-date YYYY-MM-DD] (sealed for the recipient)\n"},
    {"outcome", NULL,
     "  outcome --agent EP --id MSGID|--client-ref REF [--wait S]   a notification's outcome\n"},
    {"consent", NULL,
     "  consent add --agent EP --subject BSN --given-by client|wettelijk-vertegenwoordiger\n"
     "       --to ORG|sector:NAME[,...] --categories CAT[,...] --purpose TEXT --until DATE|--days N\n"
     "  consent withdraw --agent EP ID | consent list --agent EP [--subject BSN]\n"},
    {"inbox", NULL,
     "  inbox --agent EP [--wait SECONDS] [--max N] [--from ORG] [--json]\n"
     "       --from: only that organisation's notifications (answered at once)\n"
     "       control characters in what a sender wrote are shown escaped (\\x1b)\n"},
    {"ack", NULL, "  ack --agent EP MSGID\n"},
    {"status", NULL,
     "  status --agent EP [--json]                     the agent; exit 1 while it is not connected\n"
     "  status --url http://127.0.0.1:PORT [--json]    a running broker's or agent's status page;\n"
     "                                                 exit 1 when a warning fires\n"},
    {"signal", "signals and matches (through the local agent)",
     "  signal add --agent EP --youth BSN [--parent BSN]... --category CAT --age YEARS\n"
     "       --informed ouders|jongere|ouders,jongere|niet [--not-informed-reason TEXT]\n"
     "       --contact-name NAME (--contact-phone TEL|--contact-email ADDR) [--contact-role R]\n"
     "       [--date YYYY-MM-DD] [--until YYYY-MM-DD] [--client-ref REF] [--user ID --role R]\n"
     "  signal withdraw --agent EP ID | signal list --agent EP [--youth BSN]     (--json)\n"},
    {"match", NULL,
     "  match list --agent EP | match show --agent EP ID                        (--json)\n"
     "  match coordinate --agent EP ID --handover ORG | --accept | --agree\n"},
    {"vocab", NULL,
     "  vocab --agent EP [--json]                      the broker-signed shared vocabulary\n"},
};

static const char s_exit_codes[] =
    "exit codes (docs/exit-codes.md):\n"
    "  0 ok (send: accepted)          1 failure: I/O, storage, agent unreachable, warning\n"
    "  2 usage: bad command line      3 refused by the broker (send, outcome)\n"
    "  4 queued: stored by the agent, no broker answer yet (send, outcome)\n"
    "  5 rejected by the agent: invalid input or not allowed (invalid-bsn, unknown-recipient,\n"
    "    client-ref-conflict, not-found, ...)   6 not authenticated at the agent's local API\n";

int cli_help(const char *command)
{
    int found = 0;
    printf("usage: vangnet %s [OPTIONS]\n", command ? command : "COMMAND");
    for (size_t i = 0; i < sizeof s_help / sizeof s_help[0]; i++) {
        if (command && strcmp(command, s_help[i].name) != 0)
            continue;
        if (!command && s_help[i].section)
            printf("%s:\n", s_help[i].section);
        fputs(s_help[i].text, stdout);
        found = 1;
    }
    fputs(s_exit_codes, stdout);
    return found ? CLI_OK : CLI_USAGE;
}

const char *cli_token_file;

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
    if (!c) {
        cli_fail(CLI_USAGE, "cannot use agent endpoint '%s'", endpoint);
        return NULL;
    }
    const char *token = cli_token_file ? cli_token_file : getenv("VANGNET_TOKEN_FILE");
    if (token && token[0] && vn_client_use_token_file(c, token) != 0) {
        cli_fail(CLI_FAIL, "%s", vn_client_error(c));
        vn_client_destroy(&c);
    }
    return c;
}

int cli_client_fail(struct vn_client *c, const char *what)
{
    static const char *const rejected[] = {
        "invalid-bsn", "invalid-subject", "invalid-field", "invalid-recipients",
        "unknown-recipient", "duplicate-recipient", "too-large", "invalid-message-id",
        "invalid-request", "not-found", "client-ref-conflict", "org-revoked",
        "unknown-term", "unknown-match", "invalid-contact", NULL};
    const char *code = vn_client_error_code(c);
    int rc = strncmp(code, "consent-", 8) == 0 ? CLI_REJECTED : CLI_FAIL;
    for (int i = 0; rejected[i]; i++)
        if (strcmp(code, rejected[i]) == 0)
            rc = CLI_REJECTED;
    if (strcmp(code, "unauthenticated") == 0)
        rc = CLI_UNAUTHENTICATED;
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
        {"witness", cli_witness},
        {"audit", cli_audit},   {"consent", cli_consent}, {"policy", cli_policy},
        {"broker", cli_broker}, {"backup", cli_backup}, {"restore", cli_restore},
        {"outcome", cli_outcome}, {"api-client", cli_api_client},
        {"signal", cli_signal}, {"match", cli_match},   {"vocab", cli_vocab},
    };
    if (sodium_init() < 0)
        return cli_fail(CLI_FAIL, "libsodium failed to initialise");
    if (argc < 2)
        return cli_fail(CLI_USAGE, "no command given (vangnet --help lists them)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
        return cli_help(argc > 2 ? argv[2] : NULL);
    if (strcmp(argv[1], "--version") == 0) {
        printf("vangnet %s\n", VN_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        /* --help anywhere among a command's options (before a lone "--") shows its usage. */
        for (int j = 2; j < argc && strcmp(argv[j], "--") != 0; j++)
            if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0)
                return cli_help(argv[1]);
        return commands[i].run(argc - 1, argv + 1);
    }
    return cli_fail(CLI_USAGE, "unknown command '%s' (vangnet --help lists them)", argv[1]);
}
