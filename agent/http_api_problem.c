/* http_api_problem.c -- errors as RFC 9457 problem details (application/problem+json): status,
 * title, detail, type, and vangnet's stable code with the reason in English and in Dutch. */
#include "http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *code;
    int status;
    const char *title, *title_nl;
} s_code_t;

/* Every code the API answers with. Broker refusals not listed here are policy refusals (422). */
static const s_code_t s_codes[] = {
    {"malformed-request", 400, "Malformed request", "Onjuist verzoek"},
    {"invalid-json", 400, "Body is not valid JSON", "Body is geen geldige JSON"},
    {"unknown-member", 400, "Unknown member in the body", "Onbekend veld in de body"},
    {"invalid-field", 400, "Invalid field", "Ongeldig veld"},
    {"invalid-parameter", 400, "Invalid query parameter", "Ongeldige queryparameter"},
    {"invalid-bsn", 400, "Invalid citizen number", "Ongeldig burgerservicenummer"},
    {"invalid-subject", 400, "Invalid subject", "Ongeldige betrokkene"},
    {"invalid-recipients", 400, "Invalid recipients", "Ongeldige ontvangers"},
    {"duplicate-recipient", 400, "Recipient listed twice", "Ontvanger staat er twee keer in"},
    {"invalid-message-id", 400, "Invalid message id", "Ongeldig berichtkenmerk"},
    {"invalid-id", 400, "Invalid id", "Ongeldig kenmerk"},
    {"unsupported-version", 400, "Unsupported API version", "API-versie niet ondersteund"},
    {"bsn-in-url", 400, "Citizen number in the URL", "Burgerservicenummer in de URL"},
    {"unauthenticated", 401, "Authentication required", "Authenticatie vereist"},
    {"forbidden", 403, "Not allowed for this API client", "Niet toegestaan voor deze API-client"},
    {"org-revoked", 403, "Organisation revoked", "Organisatie ingetrokken"},
    {"not-found", 404, "Not found", "Niet gevonden"},
    {"signal-unknown", 404, "Unknown signal", "Onbekend signaal"},
    {"invalid-contact", 400, "Invalid contact", "Ongeldig contact"},
    {"method-not-allowed", 405, "Method not allowed", "Methode niet toegestaan"},
    {"client-ref-conflict", 409, "clientRef already used for another request",
     "clientRef al gebruikt voor een ander verzoek"},
    {"invalid-request", 400, "Invalid request", "Ongeldig verzoek"},
    {"too-large", 413, "Too large", "Te groot"},
    {"unsupported-media-type", 415, "Body must be application/json",
     "Body moet application/json zijn"},
    {"unknown-recipient", 422, "Unknown recipient", "Onbekende ontvanger"},
    {"unknown-match", 422, "Unknown match", "Onbekende match"},
    {"unknown-term", 422, "Not in the signed vocabulary", "Niet in de ondertekende begrippenlijst"},
    {"refused", 422, "Refused by the policy", "Geweigerd door het beleid"},
    {"too-many-webhooks", 422, "Too many webhooks", "Te veel webhooks"},
    {"internal-error", 500, "Internal error", "Interne fout"},
    {"seal-failed", 500, "Sealing failed", "Versleutelen mislukt"},
    {"broker-unreachable", 503, "Broker unreachable", "Broker onbereikbaar"},
    {"timeout", 503, "No answer in time", "Geen antwoord op tijd"},
    {"agent-busy", 503, "Agent busy", "Agent bezet"},
    {"storage-error", 503, "Storage unavailable", "Opslag niet beschikbaar"},
    /* the pseudonym service (docs/pseudonyms.md): nothing was stored or sent; retry later */
    {"pseudonym-unavailable", 503, "Pseudonym service unavailable",
     "Pseudonimiseringsdienst niet bereikbaar"},
    {"pseudonym-refused", 503, "Pseudonym service refused (daily budget)",
     "Pseudonimiseringsdienst weigert (dagbudget)"},
    {"pseudonym-unverified", 503, "Pseudonym not verifiable", "Pseudoniem niet te verifiëren"},
};

static const s_code_t *s_find(const char *code)
{
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes[0]; i++)
        if (strcmp(s_codes[i].code, code) == 0)
            return &s_codes[i];
    return NULL;
}

void http__json(http_reply_t *reply, int status, json_object *o)
{
    free(reply->body);
    reply->status = status;
    reply->body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    reply->len = 0;
    reply->content_type = "application/json";
    json_object_put(o);
}

static void s_problem(http_reply_t *reply, int status, const char *code, const char *title,
                      const char *title_nl, const char *detail, const char *detail_nl,
                      json_object *extra)
{
    json_object *o = json_object_new_object();
    char type[160];
    snprintf(type, sizeof type, "urn:vangnet:problem:%s", code);
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "title", json_object_new_string(title));
    json_object_object_add(o, "status", json_object_new_int(status));
    json_object_object_add(o, "detail", json_object_new_string(detail && detail[0] ? detail : title));
    json_object_object_add(o, "code", json_object_new_string(code));
    json_object_object_add(o, "titleNl", json_object_new_string(title_nl));
    json_object_object_add(o, "detailNl",
                           json_object_new_string(detail_nl && detail_nl[0] ? detail_nl : title_nl));
    if (extra) {
        json_object_object_foreach(extra, k, v) json_object_object_add(o, k, json_object_get(v));
        json_object_put(extra);
    }
    http__json(reply, status, o);
    reply->content_type = "application/problem+json";
}

void http__problem(http_reply_t *reply, int status, const char *code, const char *detail,
                   const char *detail_nl)
{
    const s_code_t *c = s_find(code);
    s_problem(reply, status, code, c ? c->title : "Error", c ? c->title_nl : "Fout", detail,
              detail_nl, NULL);
}

void http__problem_with(http_reply_t *reply, const char *code, const char *detail,
                        const char *detail_nl, json_object *extra)
{
    const s_code_t *c = s_find(code);
    if (c) {
        s_problem(reply, c->status, code, c->title, c->title_nl, detail, detail_nl, extra);
        return;
    }
    /* A broker refusal: the broker gives both languages in its reason, "English\nDutch". */
    char en[512], nl[512] = "";
    snprintf(en, sizeof en, "%s", detail ? detail : "");
    char *nlpart = strchr(en, '\n');
    if (nlpart) {
        *nlpart = '\0';
        snprintf(nl, sizeof nl, "%s", nlpart + 1);
    }
    s_problem(reply, 422, code, "Refused", "Geweigerd", en, detail_nl && detail_nl[0] ? detail_nl : nl,
              extra);
}

void http__problem_code(http_reply_t *reply, const char *code, const char *detail,
                        const char *detail_nl)
{
    http__problem_with(reply, code, detail, detail_nl, NULL);
}
