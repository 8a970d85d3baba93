/* cli_agent.c -- `vangnet send|inbox|ack|status --agent EP`: the agency side, through the client library. */
#include "cli.h"
#include "cli_json.h"

#include <getopt.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vangnet/client.h"
#include "vn_util.h"

#define MAX_LIST 32

static int s_json; /* --json: print in the HTTP API's shapes */

/* Print a submit's outcome; its exit code (0 accepted, 3 refused, 4 queued). */
static int s_print_result(const vn_client_result_t *r, const char *client_ref)
{
    if (s_json) {
        cli_json_print(cli_json_result(r, client_ref));
        return r->outcome == VN_CLIENT_ACCEPTED ? CLI_OK
               : r->outcome == VN_CLIENT_REFUSED ? CLI_REFUSED : CLI_PENDING;
    }
    const char *again = r->repeated ? " repeated=yes" : "";
    if (r->n_per_recipient) { /* match:ID: one verdict per participant */
        static const char *const outcome[] = {"queued", "accepted", "refused"};
        for (size_t i = 0; i < r->n_per_recipient; i++) {
            printf("%s to=%s message=%s audit-seq=%llu%s%s%s\n",
                   outcome[r->per_recipient[i].outcome % 3], r->per_recipient[i].recipient,
                   r->per_recipient[i].message_id[0] ? r->per_recipient[i].message_id : "-",
                   (unsigned long long)r->per_recipient[i].audit_seq,
                   r->per_recipient[i].code[0] ? " code=" : "", r->per_recipient[i].code, again);
            if (r->per_recipient[i].reason[0])
                printf("  reason: %s\n", r->per_recipient[i].reason);
        }
        return r->outcome == VN_CLIENT_ACCEPTED ? CLI_OK
               : r->outcome == VN_CLIENT_REFUSED ? CLI_REFUSED : CLI_PENDING;
    }
    switch (r->outcome) {
    case VN_CLIENT_ACCEPTED:
        printf("accepted message=%s audit-seq=%llu audit-hash=%s%s\n", r->message_id,
               (unsigned long long)r->audit_seq, r->audit_hash, again);
        return CLI_OK;
    case VN_CLIENT_REFUSED:
        printf("refused message=%s code=%s audit-seq=%llu%s\nreason: %s\n", r->message_id,
               r->code, (unsigned long long)r->audit_seq, again, r->reason);
        if (r->reason_nl[0])
            printf("reden:  %s\n", r->reason_nl);
        return CLI_REFUSED;
    default:
        printf("queued message=%s%s%s%s: stored by the agent, no receipt from the broker yet%s%s\n",
               r->message_id, r->code[0] ? " code=" : "", r->code, again, r->code[0] ? "; " : "",
               r->reason);
        return CLI_PENDING;
    }
}

int cli_send(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'},   {"to", required_argument, NULL, 't'},
        {"subject", required_argument, NULL, 's'}, {"anonymous", no_argument, NULL, 'n'},
        {"category", required_argument, NULL, 'c'}, {"basis", required_argument, NULL, 'b'},
        {"field", required_argument, NULL, 'f'},   {"user", required_argument, NULL, 'u'},
        {"role", required_argument, NULL, 'r'},    {"file", required_argument, NULL, 'F'},
        {"wait", required_argument, NULL, 'w'},    {"expires-in", required_argument, NULL, 'e'},
        {"client-ref", required_argument, NULL, 'R'}, {"token-file", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        /* named justification fields (see config/policy.conf) */
        {"consent-ref", required_argument, NULL, 1000},
        {"onveiligheid", required_argument, NULL, 1001},
        {"consultatie", required_argument, NULL, 1002},
        {"client-geinformeerd", required_argument, NULL, 1003},
        {"ots-referentie", required_argument, NULL, 1004},
        {"aanleiding", required_argument, NULL, 1005},
        {"noodzaak", required_argument, NULL, 1006},
        {"in-reply-to", required_argument, NULL, 1007},
        {"afweging-tekst", required_argument, NULL, 1008},
        {"afweging", required_argument, NULL, 1009},
        {"subject-name", required_argument, NULL, 1100},
        {"subject-birth-date", required_argument, NULL, 1101},
        {NULL, 0, NULL, 0}};
    static const char *const named[] = {"consent-ref", "onveiligheid", "collegiale-consultatie",
                                        "client-geinformeerd", "ots-referentie", "aanleiding",
                                        "noodzaak", "in-reply-to", "afweging"};
    static char afweging_keys[5][24];
    const char *agent = NULL, *subject = NULL, *category = NULL, *basis = NULL, *file = NULL,
               *user = NULL, *role = NULL, *client_ref = NULL, *to[MAX_LIST],
               *subject_name = NULL, *birth_date = NULL;
    char *to_arg = NULL;
    vn_client_field_t fields[MAX_LIST];
    size_t n_fields = 0, n_to = 0;
    int anonymous = 0, c;
    long wait_s = 10, expires_in = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *eq, *end;
        switch (c) {
        case 'a': agent = optarg; break;
        case 't': to_arg = optarg; break;
        case 's': subject = optarg; break;
        case 'n': anonymous = 1; break;
        case 'c': category = optarg; break;
        case 'b': basis = optarg; break;
        case 'u': user = optarg; break;
        case 'r': role = optarg; break;
        case 'F': file = optarg; break;
        case 'R':
            client_ref = optarg;
            if (strlen(client_ref) > 64 || !client_ref[0])
                return cli_fail(CLI_USAGE, "send: --client-ref takes 1 to 64 bytes");
            break;
        case 'j': s_json = 1; break;
        case 'T': cli_token_file = optarg; break;
        case 1100: subject_name = optarg; break;
        case 1101: birth_date = optarg; break;
        case 'f':
            eq = strchr(optarg, '=');
            if (!eq || eq == optarg || n_fields == MAX_LIST)
                return cli_fail(CLI_USAGE, "send: --field wants KEY=VALUE (at most %d)", MAX_LIST);
            *eq = '\0';
            fields[n_fields].key = optarg;
            fields[n_fields++].value = eq + 1;
            break;
        case 'w':
            wait_s = strtol(optarg, &end, 10);
            if (*end || wait_s < 0 || wait_s > 600)
                return cli_fail(CLI_USAGE, "send: --wait takes 0 to 600 seconds");
            break;
        case 'e':
            expires_in = strtol(optarg, &end, 10);
            if (*end || expires_in < 1 || expires_in > 365L * 86400)
                return cli_fail(CLI_USAGE, "send: --expires-in takes 1 to 31536000 seconds");
            break;
        case 1009: /* --afweging 1=ja,2=nee,...: the afwegingskader's answers */
            for (char *save = NULL, *tok = strtok_r(optarg, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                if (tok[0] < '1' || tok[0] > '5' || tok[1] != '=' || n_fields == MAX_LIST)
                    return cli_fail(CLI_USAGE, "send: --afweging wants 1=ja,2=nee,... (questions 1-5)");
                snprintf(afweging_keys[tok[0] - '1'], sizeof afweging_keys[0], "afwegingsvraag-%c",
                         tok[0]);
                fields[n_fields].key = afweging_keys[tok[0] - '1'];
                fields[n_fields++].value = tok + 2;
            }
            break;
        default:
            if (c < 1000 || c > 1008 || n_fields == MAX_LIST)
                return CLI_USAGE;
            fields[n_fields].key = named[c - 1000];
            fields[n_fields++].value = optarg;
        }
    }
    if (optind != argc)
        return cli_fail(CLI_USAGE, "send: unexpected argument '%s'", argv[optind]);
    /* Who shares is never guessed: --user/--role, or the VANGNET_USER/VANGNET_ROLE the IT
     * system's environment sets on purpose. */
    if (!user && getenv("VANGNET_USER") && getenv("VANGNET_USER")[0])
        user = getenv("VANGNET_USER");
    if (!role && getenv("VANGNET_ROLE") && getenv("VANGNET_ROLE")[0])
        role = getenv("VANGNET_ROLE");
    const char *missing = !agent ? "--agent EP" : !to_arg ? "--to ORG[,ORG]"
                        : !subject && !anonymous ? "--subject BSN (or --anonymous)"
                        : !category ? "--category CAT" : !basis ? "--basis BASIS"
                        : !user ? "--user ID (the professional who shares, NEN 7513; or VANGNET_USER)"
                        : !role ? "--role ROLE (or VANGNET_ROLE)" : !file ? "--file PATH|-" : NULL;
    if (missing)
        return cli_fail(CLI_USAGE, "send: missing %s (vangnet send --help)", missing);
    if (subject && anonymous)
        return cli_fail(CLI_USAGE, "send: --subject and --anonymous exclude each other");
    if (!(n_to = cli_split(to_arg, to, MAX_LIST)))
        return cli_fail(CLI_USAGE, "send: --to names no organisation");
    uint8_t *content;
    size_t len;
    int rc = vn_read_file(file, 512 * 1024, &content, &len);
    if (rc != 0)
        return cli_fail(CLI_FAIL, "send: %s: cannot read (at most 512 KiB)", file);
    vn_client_t *cl = cli_connect(agent);
    if (!cl) {
        free(content);
        return CLI_USAGE;
    }
    vn_client_notification_t n = {
        .to = to, .n_to = n_to, .subject_bsn = subject, .category = category, .basis = basis,
        .fields = fields, .n_fields = n_fields, .user_id = user, .user_role = role,
        .content = content, .content_len = len, .expires_in = (uint32_t)expires_in,
        .client_ref = client_ref, .client_ref_len = client_ref ? strlen(client_ref) : 0,
        .subject_name = subject_name, .subject_birth_date = birth_date};
    vn_client_result_t r;
    rc = vn_client_submit(cl, &n, (uint32_t)wait_s * 1000, &r);
    free(content);
    if (rc != 0) {
        rc = cli_client_fail(cl, "send");
        vn_client_destroy(&cl);
        return rc;
    }
    vn_client_destroy(&cl);
    return s_print_result(&r, client_ref);
}

int cli_outcome(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'}, {"id", required_argument, NULL, 'i'},
        {"client-ref", required_argument, NULL, 'R'}, {"wait", required_argument, NULL, 'w'},
        {"token-file", required_argument, NULL, 'T'}, {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0}};
    const char *agent = NULL, *id = NULL, *ref = NULL;
    long wait_s = 0;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'i': id = optarg; break;
        case 'R': ref = optarg; break;
        case 'j': s_json = 1; break;
        case 'T': cli_token_file = optarg; break;
        case 'w':
            wait_s = strtol(optarg, &end, 10);
            if (*end || wait_s < 0 || wait_s > 600)
                return cli_fail(CLI_USAGE, "outcome: --wait takes 0 to 600 seconds");
            break;
        default: return cli_fail(CLI_USAGE, "outcome: see vangnet outcome --help");
        }
    }
    if (optind != argc)
        return cli_fail(CLI_USAGE, "outcome: unexpected argument '%s'", argv[optind]);
    if (!agent)
        return cli_fail(CLI_USAGE, "outcome: missing --agent EP");
    if (!id == !ref)
        return cli_fail(CLI_USAGE, "outcome: give either --id MSGID or --client-ref REF");
    if (ref && (strlen(ref) > 64 || !ref[0]))
        return cli_fail(CLI_USAGE, "outcome: --client-ref takes 1 to 64 bytes");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_FAIL;
    vn_client_result_t r;
    int rc = vn_client_outcome(cl, id, ref, ref ? strlen(ref) : 0, (uint32_t)wait_s * 1000, &r);
    if (rc != 0) {
        rc = cli_client_fail(cl, "outcome");
        vn_client_destroy(&cl);
        return rc;
    }
    vn_client_destroy(&cl);
    return s_print_result(&r, ref);
}

/* --json: the HTTP API's Notification (GET /v1/inbox's items), built by lib/vn_api_json.c. */
static json_object *s_message_json(const vn_client_message_t *m)
{
    vn_json_field_t *fields = calloc(m->n_fields + 1, sizeof *fields);
    vn_json_case_t *cases = calloc(m->n_cases + 1, sizeof *cases);
    if (!fields || !cases) {
        free(fields);
        free(cases);
        return json_object_new_object();
    }
    for (size_t i = 0; i < m->n_fields; i++)
        fields[i] = (vn_json_field_t){m->fields[i].key, m->fields[i].value};
    for (size_t i = 0; i < m->n_cases; i++)
        cases[i] = cli_case_view(&m->cases[i]);
    vn_json_card_t card;
    if (m->card)
        card = cli_card_view(m->card);
    int notice = m->match_event && m->match_event[0]; /* the library's mark of a match notice */
    vn_json_notification_t v = {
        .message_id = m->message_id, .inbox_seq = m->inbox_seq, .received = m->received,
        .notice_code = m->notice_code, .notice_reason = m->notice_reason,
        .notice_recipient = m->notice_recipient, .about_message_id = m->about_message_id,
        .match_notice = notice, .match_event = m->match_event,
        .match = notice && m->match ? cli_match_json(m->match, 0) : NULL,
        .match_audit_seq = m->match_audit_seq, .sender = m->sender,
        .sender_sector = m->sender_sector, .category = m->category, .basis = m->basis,
        .justification = fields, .n_justification = m->n_fields,
        .subject_pseudonym = m->subject, .created = m->created, .expires = m->expires,
        .user_id = m->user_id, .user_role = m->user_role, .media_type = m->media_type,
        .content = m->content, .content_len = m->content_len, .subject_bsn = m->subject_bsn,
        .subject_name = m->subject_name, .subject_birth_date = m->subject_birth_date,
        .match_id = m->match_id, .card = m->card ? &card : NULL, .cases = cases,
        .n_cases = m->n_cases, .sender_revoked = m->sender_revoked};
    json_object *o = vn_json_notification(&v);
    free(fields);
    free(cases);
    return o;
}

static void s_cases_print(const vn_client_message_t *m)
{
    for (size_t i = 0; i < m->n_cases; i++)
        printf("  our case: signal %s, bsn %s, case %.*s\n", m->cases[i].signal_id,
               m->cases[i].youth_bsn[0] ? m->cases[i].youth_bsn : "?",
               (int)m->cases[i].client_ref_len, (const char *)m->cases[i].client_ref);
}

/* Print one message; everything a sender wrote goes through cli_print_escaped, so no control
 * character reaches the terminal and content cannot start a line that looks like ours. */
static void s_message_print(const vn_client_message_t *m)
{
    if (m->match_event[0]) {
        printf("match notice %s: %s\n", m->message_id, m->match_event);
        if (m->match)
            cli_match_print("  ", m->match);
        return;
    }
    if (m->card) {
        printf("contact card %s for match %s\n", m->message_id, m->match_id);
        cli_card_print("  ", m->card);
        s_cases_print(m);
        return;
    }
    if (m->notice_code[0]) {
        printf("notice %s about message %s: ", m->message_id, m->about_message_id);
        cli_print_escaped_str(stdout, m->notice_code);
        if (m->notice_recipient[0]) {
            fputs(" for ", stdout);
            cli_print_escaped_str(stdout, m->notice_recipient);
        }
        fputs(": ", stdout);
        cli_print_escaped_str(stdout, m->notice_reason);
        fputc('\n', stdout);
        return;
    }
    char when[32];
    time_t t = (time_t)m->created;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", gmtime(&t));
    printf("message %s\n  from:     ", m->message_id);
    cli_print_escaped_str(stdout, m->sender);
    fputs(" (", stdout);
    cli_print_escaped_str(stdout, m->sender_sector);
    fputs("), ", stdout);
    cli_print_escaped_str(stdout, m->user_id);
    fputs(" in role ", stdout);
    cli_print_escaped_str(stdout, m->user_role);
    if (m->sender_revoked)
        fputs("\n  WARNING:  the sender's organisation has been revoked since; treat with care",
              stdout);
    printf("\n  sent:     %s\n  category: ", when);
    cli_print_escaped_str(stdout, m->category);
    fputs("\n  basis:    ", stdout);
    cli_print_escaped_str(stdout, m->basis);
    for (size_t i = 0; i < m->n_fields; i++) {
        fputs(i ? ", " : " (", stdout);
        cli_print_escaped_str(stdout, m->fields[i].key);
        fputc('=', stdout);
        cli_print_escaped_str(stdout, m->fields[i].value);
    }
    printf("%s\n", m->n_fields ? ")" : "");
    if (m->subject_bsn[0]) {
        fputs("  subject:  bsn ", stdout);
        cli_print_escaped_str(stdout, m->subject_bsn);
        if (m->subject_name[0]) {
            fputs(", ", stdout);
            cli_print_escaped_str(stdout, m->subject_name);
        }
        if (m->subject_birth_date[0]) {
            fputs(", born ", stdout);
            cli_print_escaped_str(stdout, m->subject_birth_date);
        }
        printf(" (pseudonym %.16s...)\n", m->subject);
    } else {
        printf("  subject:  %.16s%s\n", m->subject[0] ? m->subject : "(anonymous)",
               m->subject[0] ? "..." : "");
    }
    if (m->match_id[0]) {
        fputs("  match:    ", stdout);
        cli_print_escaped_str(stdout, m->match_id);
        fputc('\n', stdout);
    }
    fputs("  content:  ", stdout);
    cli_print_escaped(stdout, m->content, m->content_len, "            ");
    fputc('\n', stdout);
}

int cli_inbox(int argc, char **argv)
{
    static const struct option opts[] = {{"agent", required_argument, NULL, 'a'},
                                         {"wait", required_argument, NULL, 'w'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"max", required_argument, NULL, 'm'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"token-file", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    const char *agent = NULL, *from = NULL;
    long wait_s = 0, max = 100;
    int json = 0, c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'T': cli_token_file = optarg; break;
        case 'j': json = 1; break;
        case 'w':
            wait_s = strtol(optarg, &end, 10);
            if (*end || wait_s < 0 || wait_s > 600)
                return cli_fail(CLI_USAGE, "inbox: --wait takes 0 to 600 seconds");
            break;
        case 'm':
            max = strtol(optarg, &end, 10);
            if (*end || max < 1 || max > 1000)
                return cli_fail(CLI_USAGE, "inbox: --max takes 1 to 1000");
            break;
        case 'f':
            if (!vn_org_id_valid(optarg))
                return cli_fail(CLI_USAGE, "inbox: --from takes an organisation id");
            from = optarg;
            break;
        default: return CLI_USAGE;
        }
    }
    if (!agent || optind != argc)
        return cli_fail(CLI_USAGE,
                        "inbox: --agent EP [--wait SECONDS] [--max N] [--from ORG] [--json]");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    vn_client_inbox_t *in;
    if (vn_client_fetch_from(cl, from, (uint32_t)wait_s * 1000, (uint32_t)max, &in) != 0) {
        int rc = cli_client_fail(cl, "inbox");
        vn_client_destroy(&cl);
        return rc;
    }
    json_object *arr = json ? json_object_new_array() : NULL;
    for (size_t i = 0; i < vn_client_inbox_count(in); i++) {
        const vn_client_message_t *m = vn_client_inbox_get(in, i);
        if (json)
            json_object_array_add(arr, s_message_json(m));
        else
            s_message_print(m);
    }
    if (json) {
        /* the HTTP API's Inbox: {"items": [...], "nextCursor": the last item's inboxCursor} */
        json_object *o = json_object_new_object();
        size_t n = vn_client_inbox_count(in);
        json_object_object_add(o, "items", arr);
        if (n) {
            char cursor[24];
            vn_json_cursor_format(vn_client_inbox_get(in, n - 1)->inbox_seq, cursor);
            json_object_object_add(o, "nextCursor", json_object_new_string(cursor));
        }
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
    } else if (vn_client_inbox_count(in) == 0) {
        puts("inbox empty");
    }
    vn_client_inbox_destroy(&in);
    vn_client_destroy(&cl);
    return CLI_OK;
}

/* Options of a command that takes only --agent EP and `positional` arguments; NULL on misuse. */
static const char *s_agent_only(int argc, char **argv, int positional)
{
    static const struct option opts[] = {{"agent", required_argument, NULL, 'a'},
                                         {"token-file", required_argument, NULL, 'T'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *agent = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            s_json = 1;
        else if (c == 'T')
            cli_token_file = optarg;
        else if (c == 'a')
            agent = optarg;
        else
            return NULL;
    }
    return optind == argc - positional ? agent : NULL;
}

int cli_ack(int argc, char **argv)
{
    const char *agent = s_agent_only(argc, argv, 1);
    if (!agent)
        return cli_fail(CLI_USAGE, "ack: --agent EP MSGID");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    int rc = vn_client_ack(cl, argv[optind]) == 0 ? CLI_OK : cli_client_fail(cl, "ack");
    if (rc == CLI_OK && s_json)
        cli_json_print(cli_json_ack(argv[optind]));
    else if (rc == CLI_OK)
        printf("acknowledged %s\n", argv[optind]);
    vn_client_destroy(&cl);
    return rc;
}

int cli_status(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--url", 5) == 0)
            return cli_status_url(argc, argv);
    const char *agent = s_agent_only(argc, argv, 0);
    if (!agent)
        return cli_fail(CLI_USAGE, "status: --agent EP");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    vn_client_status_t st;
    int rc = vn_client_status(cl, &st) == 0 ? CLI_OK : cli_client_fail(cl, "status");
    if (rc == CLI_OK && s_json) {
        cli_json_print(cli_json_status(&st));
        if (!st.connected || st.revoked || st.log_inconsistent)
            rc = CLI_FAIL;
    } else if (rc == CLI_OK) {
        printf("org=%s connected=%s outbox=%llu held=%llu inbox=%llu directory-generation=%llu "
               "directory-orgs=%u sent=%llu received=%llu audit-log=%s checkpoint=%llu",
               st.org, st.connected ? "yes" : "no", (unsigned long long)st.outbox_pending,
               (unsigned long long)st.held_pending,
               (unsigned long long)st.inbox_pending, (unsigned long long)st.directory_generation,
               st.directory_orgs, (unsigned long long)st.sent, (unsigned long long)st.received,
               st.log_inconsistent ? "INCONSISTENT" : "consistent",
               (unsigned long long)st.checkpoint_size);
        if (!st.connected)
            printf(" reason=%s", st.disconnect_reason[0] ? st.disconnect_reason : "unknown");
        if (st.revoked)
            printf(" revoked=yes");
        printf(" caller=%s\n", st.caller[0] ? st.caller : "-");
        /* Healthy means connected, not revoked, and a log that agrees with what it signed. */
        if (!st.connected || st.revoked || st.log_inconsistent)
            rc = CLI_FAIL;
    }
    vn_client_destroy(&cl);
    return rc;
}
