/* cli_signal.c -- `vangnet signal add|withdraw|list`, `vangnet match list|show|coordinate` and
 * `vangnet vocab`: the shared picture, through the local agent. --json prints the HTTP API's
 * Signal, SignalList, Match, MatchList and Vocabulary (lib/vn_api_json.c); cli_match_json and
 * cli_card_view also serve `inbox --json` (the HTTP API's Notification). */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_json.h"
#include "vangnet/client.h"
#include "vn_api_json.h"

#define MAX_PARENTS 4

/* The agent's own refusals are usage errors; anything else the broker refused (exit 3). */
static int s_fail(vn_client_t *cl, const char *what)
{
    static const char *const local[] = {"invalid-", "unknown-match", "malformed-", "unsupported-",
                                        "broker-unreachable", "timeout", "storage-", "out-of-",
                                        "not-found", NULL};
    const char *code = vn_client_error_code(cl);
    for (int i = 0; local[i]; i++)
        if (strncmp(code, local[i], strlen(local[i])) == 0 || !code[0])
            return cli_client_fail(cl, what);
    return cli_fail(CLI_REFUSED, "%s: refused: %s: %s", what, code, vn_client_error(cl));
}

/* YYYY-MM-DD (UTC midnight) or @SECONDS (as date(1) takes them); 0 on error. */
static uint64_t s_when(const char *s)
{
    if (s[0] != '@')
        return cli_date(s);
    char *end;
    unsigned long long t = strtoull(s + 1, &end, 10);
    return *end || !s[1] ? 0 : (uint64_t)t;
}

static const char *s_day(uint64_t t, char out[16])
{
    time_t tt = (time_t)t;
    if (!t)
        return strcpy(out, "-");
    strftime(out, 16, "%Y-%m-%d", gmtime(&tt));
    return out;
}

static void s_ref(char *out, size_t len, const uint8_t *ref, size_t n)
{
    snprintf(out, len, "%.*s", (int)n, (const char *)ref);
}

/* --json: the HTTP API's Signal (lib/vn_api_json.c), from what the client library returns. */
static json_object *s_signal_json(const vn_client_signal_record_t *r, uint64_t now)
{
    char informed[sizeof r->informed];
    const char *parts[2];
    size_t n = 0;
    snprintf(informed, sizeof informed, "%s", r->informed);
    for (char *save = NULL, *t = strtok_r(informed, ",", &save); t && n < 2;
         t = strtok_r(NULL, ",", &save))
        parts[n++] = t;
    vn_json_signal_t v = {.id = r->id, .owner = r->owner, .category = r->category,
                          .youth_pseudonym = r->youth_pseudonym, .youth_bsn = r->youth_bsn,
                          .client_ref = (const char *)r->client_ref,
                          .client_ref_len = r->client_ref_len, .signal_date = r->signal_date,
                          .active_until = r->active_until, .delete_after = r->delete_after,
                          .registered = r->registered, .withdrawn = r->withdrawn, .now = now,
                          .informed = parts, .n_informed = n, .youth_age = r->youth_age,
                          .contact_name = r->contact_name};
    return vn_json_signal(&v);
}

vn_json_card_t cli_card_view(const vn_client_card_t *c)
{
    return (vn_json_card_t){c->sender, c->match_id, c->signal_id, c->signal_category,
                            c->name, c->role, c->phone, c->email};
}

vn_json_case_t cli_case_view(const vn_client_case_t *c)
{
    return (vn_json_case_t){c->signal_id, (const char *)c->client_ref, c->client_ref_len,
                            c->youth_bsn, c->category};
}

/* --json: the HTTP API's Match; with_local also our cases and the contact cards received. */
json_object *cli_match_json(const vn_client_match_t *m, int with_local)
{
    vn_json_participant_t *ps = calloc(m->n_participants + 1, sizeof *ps);
    vn_json_case_t *cs = calloc(m->n_cases + 1, sizeof *cs);
    vn_json_card_t *ks = calloc(m->n_cards + 1, sizeof *ks);
    json_object *o = NULL;
    if (ps && cs && ks) {
        for (size_t i = 0; i < m->n_participants; i++) {
            const vn_client_participant_t *p = &m->participants[i];
            ps[i] = (vn_json_participant_t){p->org, p->sector, p->signal_id, p->category,
                                            p->signal_date, p->registered, p->active};
        }
        for (size_t i = 0; i < m->n_cases; i++)
            cs[i] = cli_case_view(&m->cases[i]);
        for (size_t i = 0; i < m->n_cards; i++)
            ks[i] = cli_card_view(&m->cards[i]);
        vn_json_match_t j = {m->id, m->kind, m->coordinator, m->handover_to, m->agreed,
                             m->coordinator_by_handover, m->created, m->updated, ps,
                             m->n_participants, with_local, cs, m->n_cases, ks, m->n_cards};
        o = vn_json_match(&j);
    }
    free(ps);
    free(cs);
    free(ks);
    return o ? o : json_object_new_object();
}

static void s_signal_print(const vn_client_signal_record_t *r)
{
    char d1[16], d2[16], d3[16], ref[65];
    s_ref(ref, sizeof ref, r->client_ref, r->client_ref_len);
    printf("signal %s  %s  youth %.16s...%s%s  category %s\n"
           "  date %s, active until %s, deleted after %s; told: %s; contact: %s%s%s\n",
           r->id, r->withdrawn ? "WITHDRAWN" : "registered", r->youth_pseudonym,
           r->youth_bsn[0] ? " bsn " : "", r->youth_bsn, r->category,
           s_day(r->signal_date, d1), s_day(r->active_until, d2), s_day(r->delete_after, d3),
           r->informed, r->contact_name[0] ? r->contact_name : "-", ref[0] ? "; case " : "", ref);
}

void cli_card_print(const char *indent, const vn_client_card_t *c)
{
    printf("%scontact %s: %s%s%s%s%s%s%s (signal %s, %s)\n", indent, c->sender, c->name,
           c->role[0] ? ", " : "", c->role, c->phone[0] ? ", tel. " : "", c->phone,
           c->email[0] ? ", " : "", c->email, c->signal_id, c->signal_category);
}

void cli_match_print(const char *indent, const vn_client_match_t *m)
{
    char d[16];
    printf("%smatch %s (%s)  coordinator: %s%s%s%s\n", indent, m->id, m->kind,
           m->coordinator[0] ? m->coordinator : "(none: no participant may coordinate)",
           m->handover_to[0] ? "  handover offered to " : "", m->handover_to,
           m->agreed ? "  AFGESTEMD" : "");
    for (size_t i = 0; i < m->n_participants; i++) {
        const vn_client_participant_t *p = &m->participants[i];
        printf("%s  participant %s (%s): signal %s, %s, since %s%s\n", indent, p->org, p->sector,
               p->signal_id, p->category, s_day(p->signal_date, d), p->active ? "" : ", inactive");
    }
    for (size_t i = 0; i < m->n_cases; i++) {
        char ref[65];
        s_ref(ref, sizeof ref, m->cases[i].client_ref, m->cases[i].client_ref_len);
        printf("%s  our case: signal %s, bsn %s, case %s\n", indent, m->cases[i].signal_id,
               m->cases[i].youth_bsn[0] ? m->cases[i].youth_bsn : "?", ref[0] ? ref : "-");
    }
    for (size_t i = 0; i < m->n_cards; i++) {
        char in[64];
        snprintf(in, sizeof in, "%s  ", indent);
        cli_card_print(in, &m->cards[i]);
    }
}

/* Print signals; with --json one a Signal, a list a SignalList (the HTTP API's shapes). */
static int s_print_signals(const vn_client_signal_record_t *list, size_t n, int json, int one)
{
    if (json) {
        uint64_t now = (uint64_t)time(NULL);
        json_object *o;
        if (one && n) {
            o = s_signal_json(&list[0], now);
        } else {
            json_object *arr = json_object_new_array();
            for (size_t i = 0; i < n; i++)
                json_object_array_add(arr, s_signal_json(&list[i], now));
            o = json_object_new_object();
            json_object_object_add(o, "items", arr);
        }
        cli_json_print(o);
    } else {
        for (size_t i = 0; i < n; i++)
            s_signal_print(&list[i]);
        if (n == 0)
            puts("no signals");
    }
    return CLI_OK;
}

/* Print matches; with --json one a Match, a list a MatchList (the HTTP API's shapes). */
static int s_print_matches(const vn_client_match_t *list, size_t n, int json, int one)
{
    if (json) {
        json_object *o;
        if (one && n) {
            o = cli_match_json(&list[0], 1);
        } else {
            json_object *arr = json_object_new_array();
            for (size_t i = 0; i < n; i++)
                json_object_array_add(arr, cli_match_json(&list[i], 1));
            o = json_object_new_object();
            json_object_object_add(o, "items", arr);
        }
        cli_json_print(o);
    } else {
        for (size_t i = 0; i < n; i++)
            cli_match_print("", &list[i]);
        if (n == 0)
            puts("no matches");
    }
    return CLI_OK;
}

static const char s_signal_usage[] =
    "signal add --agent EP --youth BSN [--parent BSN]... --category CAT --age YEARS\n"
    "       --informed ouders|jongere|ouders,jongere|niet [--not-informed-reason TEXT]\n"
    "       --contact-name NAME (--contact-phone TEL | --contact-email ADDR) [--contact-role R]\n"
    "       [--date YYYY-MM-DD|@SECONDS] [--until YYYY-MM-DD|@SECONDS] [--client-ref REF]\n"
    "       [--user ID --role R] [--json]\n"
    "  | signal withdraw --agent EP ID | signal list --agent EP [--youth BSN] [--json]";

int cli_signal(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'},   {"youth", required_argument, NULL, 'y'},
        {"parent", required_argument, NULL, 'p'},  {"category", required_argument, NULL, 'c'},
        {"age", required_argument, NULL, 'A'},     {"informed", required_argument, NULL, 'i'},
        {"not-informed-reason", required_argument, NULL, 'N'},
        {"contact-name", required_argument, NULL, 'n'},
        {"contact-role", required_argument, NULL, 'R'},
        {"contact-phone", required_argument, NULL, 'P'},
        {"contact-email", required_argument, NULL, 'E'},
        {"date", required_argument, NULL, 'd'},    {"until", required_argument, NULL, 'u'},
        {"client-ref", required_argument, NULL, 'C'}, {"user", required_argument, NULL, 'U'},
        {"role", required_argument, NULL, 'r'},    {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0}};
    if (argc < 2)
        return cli_fail(CLI_USAGE, "%s", s_signal_usage);
    const char *verb = argv[1], *agent = NULL, *youth = NULL, *parents[MAX_PARENTS],
               *informed[2], *reason = NULL, *user = NULL, *role = "professional";
    vn_client_signal_t s = {0};
    size_t n_parents = 0;
    char *informed_arg = NULL, *end;
    int json = 0, c, have_age = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'y': youth = optarg; break;
        case 'p':
            if (n_parents == MAX_PARENTS)
                return cli_fail(CLI_USAGE, "signal add: at most %d --parent", MAX_PARENTS);
            parents[n_parents++] = optarg;
            break;
        case 'c': s.category = optarg; break;
        case 'A': {
            long age = strtol(optarg, &end, 10);
            if (*end || age < 0 || age > 120)
                return cli_fail(CLI_USAGE, "signal add: --age takes whole years");
            s.youth_age = (uint32_t)age;
            have_age = 1;
            break;
        }
        case 'i': informed_arg = optarg; break;
        case 'N': reason = optarg; break;
        case 'n': s.contact_name = optarg; break;
        case 'R': s.contact_role = optarg; break;
        case 'P': s.contact_phone = optarg; break;
        case 'E': s.contact_email = optarg; break;
        case 'd':
            if (!(s.signal_date = s_when(optarg)))
                return cli_fail(CLI_USAGE, "signal add: --date wants YYYY-MM-DD or @UNIX-SECONDS");
            break;
        case 'u':
            if (!(s.active_until = s_when(optarg)))
                return cli_fail(CLI_USAGE, "signal add: --until wants YYYY-MM-DD or @UNIX-SECONDS");
            break;
        case 'C':
            s.client_ref = optarg;
            s.client_ref_len = strlen(optarg);
            if (s.client_ref_len > 64)
                return cli_fail(CLI_USAGE, "signal add: --client-ref is at most 64 bytes");
            break;
        case 'U': user = optarg; break;
        case 'r': role = optarg; break;
        case 'j': json = 1; break;
        default: return CLI_USAGE;
        }
    }
    if (!agent)
        return cli_fail(CLI_USAGE, "signal %s: --agent EP is required", verb);
    int add = strcmp(verb, "add") == 0 && optind == argc;
    int withdraw = strcmp(verb, "withdraw") == 0 && optind == argc - 1;
    int list = strcmp(verb, "list") == 0 && optind == argc;
    if (!add && !withdraw && !list)
        return cli_fail(CLI_USAGE, "%s", s_signal_usage);
    if (add && (!youth || !s.category || !informed_arg || !have_age || !s.contact_name))
        return cli_fail(CLI_USAGE, "%s", s_signal_usage);
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    int rc = CLI_OK;
    vn_client_signal_record_t r;
    if (add) {
        if (!user) {
            struct passwd *pw = getpwuid(getuid());
            user = pw ? pw->pw_name : "unknown";
        }
        s.youth_bsn = youth;
        s.parent_bsns = parents;
        s.n_parents = n_parents;
        s.n_informed = cli_split(informed_arg, informed, 2);
        s.informed = informed;
        s.not_informed_reason = reason;
        s.user_id = user;
        s.user_role = role;
        if (vn_client_signal_add(cl, &s, &r) != 0)
            rc = s_fail(cl, "signal add");
        else
            s_print_signals(&r, 1, json, 1);
    } else if (withdraw) {
        if (vn_client_signal_withdraw(cl, argv[optind], &r) != 0)
            rc = s_fail(cl, "signal withdraw");
        else
            s_print_signals(&r, 1, json, 1);
    } else {
        vn_client_signal_record_t *all;
        size_t n;
        if (vn_client_signal_list(cl, youth, &all, &n) != 0) {
            rc = s_fail(cl, "signal list");
        } else {
            s_print_signals(all, n, json, 0);
            free(all);
        }
    }
    vn_client_destroy(&cl);
    return rc;
}

static const char s_match_usage[] =
    "match list --agent EP [--json] | match show --agent EP ID [--json]\n"
    "  | match coordinate --agent EP ID (--handover ORG | --accept | --agree) [--json]";

int cli_match(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'}, {"handover", required_argument, NULL, 'h'},
        {"accept", no_argument, NULL, 'A'},      {"agree", no_argument, NULL, 'G'},
        {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0}};
    if (argc < 2)
        return cli_fail(CLI_USAGE, "%s", s_match_usage);
    const char *verb = argv[1], *agent = NULL, *to = NULL;
    int json = 0, accept = 0, agree = 0, c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 'h': to = optarg; break;
        case 'A': accept = 1; break;
        case 'G': agree = 1; break;
        case 'j': json = 1; break;
        default: return CLI_USAGE;
        }
    }
    int list = strcmp(verb, "list") == 0 && optind == argc;
    int show = strcmp(verb, "show") == 0 && optind == argc - 1;
    int coord = strcmp(verb, "coordinate") == 0 && optind == argc - 1 &&
                (to != NULL) + accept + agree == 1;
    if (!agent || (!list && !show && !coord))
        return cli_fail(CLI_USAGE, "%s", s_match_usage);
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    vn_client_match_t *ms = NULL;
    size_t n = 0;
    int r;
    const char *id = optind < argc ? argv[optind] : NULL;
    if (list)
        r = vn_client_match_list(cl, &ms, &n);
    else if (show)
        r = vn_client_match_show(cl, id, &ms, &n);
    else if (to)
        r = vn_client_match_handover(cl, id, to, &ms, &n);
    else if (accept)
        r = vn_client_match_accept(cl, id, &ms, &n);
    else
        r = vn_client_match_agree(cl, id, &ms, &n);
    int rc = r == 0 ? s_print_matches(ms, n, json, !list)
                    : s_fail(cl, list ? "match list" : show ? "match show" : "match coordinate");
    vn_client_matches_free(&ms, n);
    vn_client_destroy(&cl);
    return rc;
}

int cli_vocab(int argc, char **argv)
{
    static const struct option opts[] = {{"agent", required_argument, NULL, 'a'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *agent = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'a')
            agent = optarg;
        else if (c == 'j')
            json = 1;
        else
            return CLI_USAGE;
    }
    if (!agent || optind != argc)
        return cli_fail(CLI_USAGE, "vocab --agent EP [--json]");
    vn_client_t *cl = cli_connect(agent);
    if (!cl)
        return CLI_USAGE;
    vn_client_vocab_t *v;
    if (vn_client_vocab(cl, &v) != 0) {
        int rc = cli_client_fail(cl, "vocab");
        vn_client_destroy(&cl);
        return rc;
    }
    size_t n = vn_client_vocab_count(v);
    if (json) {
        /* the HTTP API's Vocabulary: the agent keeps only one whose signature it verified */
        vn_json_term_t *terms = calloc(n + 1, sizeof *terms);
        for (size_t i = 0; terms && i < n; i++) {
            const vn_client_term_t *t = vn_client_vocab_get(v, i);
            terms[i] = (vn_json_term_t){t->kind, t->term, t->gloss_en, t->definition};
        }
        uint64_t rev = vn_client_vocab_revision(v);
        cli_json_print(vn_json_vocabulary(vn_client_vocab_name(v), rev, rev > 0, terms,
                                          terms ? n : 0));
        free(terms);
    } else if (vn_client_vocab_revision(v) == 0) {
        puts("no vocabulary received from the broker yet");
    } else {
        printf("vocabulary %s, revision %llu, %zu terms (signed by the broker)\n",
               vn_client_vocab_name(v), (unsigned long long)vn_client_vocab_revision(v), n);
        const char *kind = "";
        for (size_t i = 0; i < n; i++) {
            const vn_client_term_t *t = vn_client_vocab_get(v, i);
            if (strcmp(t->kind, kind) != 0)
                printf("%s:\n", kind = t->kind);
            printf("  %-28s %s\n  %-28s %s\n", t->term, t->gloss_en, "", t->definition);
        }
    }
    vn_client_vocab_destroy(&v);
    vn_client_destroy(&cl);
    return CLI_OK;
}
