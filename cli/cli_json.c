/* cli_json.c -- what `--json` prints for the agency verbs: the agent's HTTP API's shapes, built by
 * the same code (lib/vn_api_json.c) from what the client library returns, so one schema (the
 * OpenAPI document's components) covers both: Outcome for send and outcome, Consent, Status,
 * Acknowledgement. */
#include "cli.h"
#include "cli_json.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vangnet/client.h"
#include "vn_api_json.h"
#include "vn_api_limits.h"

/* Split a comma-separated list of the client library into out (pointers into buf). */
static size_t s_split(const char *comma, char *buf, size_t buflen, const char **out, size_t max)
{
    size_t n = 0;
    snprintf(buf, buflen, "%s", comma);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < max;
         t = strtok_r(NULL, ",", &save))
        out[n++] = t;
    return n;
}

void cli_json_print(struct json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

struct json_object *cli_json_result(const vn_client_result_t *r, const char *client_ref)
{
    vn_json_outcome_t v = {.message_id = r->message_id, .client_ref = client_ref,
                           .client_ref_len = client_ref ? strlen(client_ref) : 0,
                           .outcome = (int)r->outcome, .audit_seq = r->audit_seq,
                           .audit_hash = r->audit_hash, .code = r->code, .reason = r->reason,
                           .reason_nl = r->reason_nl, .repeated = r->repeated,
                           .submitted = r->submitted, .decided = r->decided};
    json_object *o = vn_json_outcome(&v);
    if (r->n_per_recipient) {
        json_object *per = json_object_new_array();
        for (size_t i = 0; i < r->n_per_recipient && i < 32; i++) {
            vn_json_outcome_t p = {.message_id = r->per_recipient[i].message_id,
                                   .outcome = (int)r->per_recipient[i].outcome,
                                   .audit_seq = r->per_recipient[i].audit_seq,
                                   .code = r->per_recipient[i].code,
                                   .reason = r->per_recipient[i].reason,
                                   .recipient = r->per_recipient[i].recipient};
            json_object_array_add(per, vn_json_outcome(&p));
        }
        json_object_object_add(o, "perRecipient", per);
    }
    return o;
}

struct json_object *cli_json_consent(const vn_client_consent_record_t *c)
{
    char rbuf[sizeof c->recipients], cbuf[sizeof c->categories];
    const char *recips[64], *cats[64];
    vn_json_consent_t v = {.id = c->id, .subject = c->subject, .given_by = c->given_by,
                           .purpose = c->purpose, .recipients = recips,
                           .n_recipients = s_split(c->recipients, rbuf, sizeof rbuf, recips, 64),
                           .categories = cats,
                           .n_categories = s_split(c->categories, cbuf, sizeof cbuf, cats, 64),
                           .valid_from = c->valid_from, .expires = c->expires,
                           .withdrawn = c->withdrawn, .registered = c->registered};
    return vn_json_consent(&v);
}

struct json_object *cli_json_status(const vn_client_status_t *s)
{
    vn_json_status_t v = {.org = s->org, .connected = s->connected,
                          .log_inconsistent = s->log_inconsistent, .revoked = s->revoked,
                          .outbox_pending = s->outbox_pending, .inbox_pending = s->inbox_pending,
                          .held_pending = s->held_pending,
                          .directory_generation = s->directory_generation, .sent = s->sent,
                          .received = s->received, .checkpoint_size = s->checkpoint_size,
                          .directory_orgs = s->directory_orgs,
                          .max_content_bytes = VN_API_MAX_CONTENT,
                          .disconnect_reason = s->disconnect_reason, .caller = s->caller};
    return vn_json_status(&v);
}

struct json_object *cli_json_ack(const char *message_id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "messageId", json_object_new_string(message_id));
    json_object_object_add(o, "acknowledged", json_object_new_boolean(1));
    return o;
}
