/* cli_status.c -- `vangnet status --url http://127.0.0.1:PORT [--json]`: a running broker's or
 * agent's /status page as a human summary; and the printer `broker status --data` shares.
 * Exit 1 when the daemon warns, so monitoring can run it. */
#include "cli.h"

#include <curl/curl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX_BYTES (4 << 20)
#define STATUS_TIMEOUT_S 5

static int64_t s_int(json_object *o, const char *path1, const char *path2)
{
    json_object *v = o;
    if (!json_object_object_get_ex(v, path1, &v))
        return -1;
    if (path2 && !json_object_object_get_ex(v, path2, &v))
        return -1;
    return json_object_get_int64(v);
}

static const char *s_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void s_store_line(json_object *o)
{
    json_object *store;
    if (!json_object_object_get_ex(o, "store", &store))
        return;
    json_object *pct;
    json_object_object_get_ex(store, "used_percent", &pct);
    printf("store:         %.1f%% of %lld MiB used", json_object_get_double(pct),
           (long long)(s_int(store, "size_bytes", NULL) >> 20));
    if (s_int(store, "envelopes", NULL) >= 0)
        printf(", %lld envelopes held", (long long)s_int(store, "envelopes", NULL));
    putchar('\n');
}

static void s_broker(json_object *o)
{
    printf("audit log:     %lld records, signed checkpoint at %lld",
           (long long)s_int(o, "audit", "records"), (long long)s_int(o, "audit", "checkpoint_size"));
    int64_t age = s_int(o, "audit", "checkpoint_age_seconds");
    if (age >= 0)
        printf(" (%llds ago)\n", (long long)age);
    else
        printf(" (none yet)\n");
    json_object *orgs, *qs, *counters;
    if (json_object_object_get_ex(o, "counters", &counters))
        printf("traffic:       %lld accepted, %lld refused, %lld delivered, %lld expired "
               "(since start, %llds ago)\n",
               (long long)s_int(counters, "accepted", NULL),
               (long long)s_int(counters, "refused", NULL),
               (long long)s_int(counters, "delivered", NULL),
               (long long)s_int(counters, "expired", NULL),
               (long long)s_int(o, "uptime_seconds", NULL));
    json_object_object_get_ex(o, "organisations", &orgs);
    for (size_t i = 0; orgs && i < json_object_array_length(orgs); i++) {
        json_object *org = json_object_array_get_idx(orgs, i), *v;
        const char *state = "registered";
        if (json_object_object_get_ex(org, "revoked", &v) && json_object_get_boolean(v))
            state = "REVOKED";
        else if (json_object_object_get_ex(org, "connected", &v))
            state = json_object_get_boolean(v) ? "connected" : "not connected";
        printf("organisation:  %-30s %-12s %s", s_str(org, "id"), s_str(org, "sector"), state);
        if (s_int(org, "since_seconds", NULL) >= 0)
            printf(" (for %llds)", (long long)s_int(org, "since_seconds", NULL));
        putchar('\n');
    }
    json_object_object_get_ex(o, "queues", &qs);
    for (size_t i = 0; qs && i < json_object_array_length(qs); i++) {
        json_object *q = json_object_array_get_idx(qs, i);
        printf("queue:         %-30s %lld waiting, oldest %llds\n", s_str(q, "recipient"),
               (long long)s_int(q, "queued", NULL), (long long)s_int(q, "oldest_seconds", NULL));
    }
    if (!qs || json_object_array_length(qs) == 0)
        printf("queues:        empty\n");
    /* [limits] and what each organisation used of them (broker/budget.c, docs/limits.md) */
    json_object *budgets, *limits = NULL, *borgs = NULL;
    if (json_object_object_get_ex(o, "budgets", &budgets)) {
        json_object_object_get_ex(budgets, "limits", &limits);
        json_object_object_get_ex(budgets, "organisations", &borgs);
        printf("limits:        submit %lld/s (burst %lld, %lld in flight), requests %lld/s (burst "
               "%lld), audited refusals %lld/s (burst %lld), queue share %lld%%\n",
               (long long)s_int(limits, "submit_rate", NULL),
               (long long)s_int(limits, "submit_burst", NULL),
               (long long)s_int(limits, "submit_in_flight", NULL),
               (long long)s_int(limits, "request_rate", NULL),
               (long long)s_int(limits, "request_burst", NULL),
               (long long)s_int(limits, "refusal_audit_rate", NULL),
               (long long)s_int(limits, "refusal_audit_burst", NULL),
               (long long)s_int(limits, "queue_share_percent", NULL));
    }
    for (size_t i = 0; borgs && i < json_object_array_length(borgs); i++) {
        json_object *e = json_object_array_get_idx(borgs, i);
        printf("budget:        %-30s %lld in flight, over: submit %lld in-flight %lld request %lld, "
               "refusals suppressed %lld\n", s_str(e, "org"), (long long)s_int(e, "in_flight", NULL),
               (long long)s_int(e, "over_submit_rate", NULL),
               (long long)s_int(e, "over_in_flight", NULL),
               (long long)s_int(e, "over_request_rate", NULL),
               (long long)s_int(e, "refusals_suppressed", NULL));
    }
    s_store_line(o);
}

static void s_agent(json_object *o)
{
    json_object *broker;
    json_object_object_get_ex(o, "broker", &broker);
    json_object *c = NULL;
    json_object_object_get_ex(broker, "connected", &c);
    printf("organisation:  %s (agent %s, up %llds)\n", s_str(o, "org"), s_str(o, "version"),
           (long long)s_int(o, "uptime_seconds", NULL));
    printf("broker:        %s %s for %llds; last receipt ", s_str(broker, "endpoint"),
           json_object_get_boolean(c) ? "connected" : "NOT connected",
           (long long)s_int(broker, "since_seconds", NULL));
    int64_t last = s_int(broker, "last_receipt_age_seconds", NULL);
    if (last >= 0)
        printf("%llds ago\n", (long long)last);
    else
        printf("never (since start)\n");
    printf("outbox:        %lld waiting for the broker's receipt\n",
           (long long)s_int(o, "outbox", NULL));
    int64_t held = s_int(o, "held", NULL);
    if (held > 0)
        printf("held:          %lld waiting for the pseudonym service (queued, "
               "pseudonym-unavailable)\n", (long long)held);
    printf("inbox:         %lld waiting for the IT system\n", (long long)s_int(o, "inbox", NULL));
    printf("audit log:     %s\n", s_str(o, "audit_log"));
    s_store_line(o);
}

int cli_status_print(json_object *o, int json)
{
    json_object *warnings = NULL;
    json_object_object_get_ex(o, "warnings", &warnings);
    size_t n = warnings ? json_object_array_length(warnings) : 0;
    if (json) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        return n ? CLI_FAIL : CLI_OK;
    }
    if (strcmp(s_str(o, "component"), "agent") == 0)
        s_agent(o);
    else
        s_broker(o);
    for (size_t i = 0; i < n; i++)
        printf("WARNING:       %s\n", json_object_get_string(json_object_array_get_idx(warnings, i)));
    if (!n)
        printf("warnings:      none\n");
    return n ? CLI_FAIL : CLI_OK;
}

int cli_status_url(int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *url = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'u') url = optarg;
        else if (c == 'j') json = 1;
        else return CLI_USAGE;
    }
    if (!url || optind != argc)
        return cli_fail(CLI_USAGE, "status --url http://127.0.0.1:PORT [--json]");
    if (strncmp(url, "http://127.0.0.1:", 17) != 0 && strncmp(url, "http://[::1]:", 13) != 0 &&
        strncmp(url, "http://localhost:", 17) != 0)
        return cli_fail(CLI_USAGE, "status: %s: the status endpoint listens on loopback only", url);
    char full[512];
    snprintf(full, sizeof full, "%s%s/status", url, url[strlen(url) - 1] == '/' ? "." : "");
    CURL *curl = curl_easy_init();
    if (!curl)
        return cli_fail(CLI_FAIL, "status: cannot initialise libcurl");
    char *body;
    size_t len;
    const char *why = cli_http_get(curl, full, "http", STATUS_TIMEOUT_S, STATUS_MAX_BYTES, &body, &len);
    curl_easy_cleanup(curl);
    if (why)
        return cli_fail(CLI_FAIL, "status: %s: %s", full, why);
    json_object *o = json_tokener_parse(body);
    free(body);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return cli_fail(CLI_FAIL, "status: %s did not answer with a status object", full);
    }
    int out = cli_status_print(o, json);
    json_object_put(o);
    return out;
}
