/* cli_json.c -- what `--json` prints for the agency verbs: the same shapes (member names, RFC 3339
 * UTC times) as the agent's HTTP API, so one schema (the OpenAPI document's components) covers
 * both: Outcome for send and outcome, Consent, Status, Acknowledgement. */
#include "cli.h"
#include "cli_json.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vangnet/client.h"
#include "vn_api_limits.h"

static void s_time(json_object *o, const char *key, uint64_t t)
{
    if (!t)
        return;
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_object_add(o, key, json_object_new_string(buf));
}

static void s_str(json_object *o, const char *key, const char *v)
{
    if (v && v[0])
        json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *s_list(const char *comma)
{
    json_object *a = json_object_new_array();
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", comma);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_object_array_add(a, json_object_new_string(t));
    return a;
}

void cli_json_print(struct json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

struct json_object *cli_json_result(const vn_client_result_t *r, const char *client_ref)
{
    static const char *const outcomes[] = {"queued", "accepted", "refused"};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "messageId", json_object_new_string(r->message_id));
    s_str(o, "clientRef", client_ref);
    json_object_object_add(o, "outcome", json_object_new_string(outcomes[r->outcome % 3]));
    if (r->audit_seq || r->audit_hash[0]) {
        json_object_object_add(o, "auditSeq", json_object_new_int64((int64_t)r->audit_seq));
        s_str(o, "auditHash", r->audit_hash);
    }
    s_str(o, "code", r->code);
    s_str(o, "reason", r->reason);
    s_str(o, "reasonNl", r->reason_nl);
    if (r->repeated)
        json_object_object_add(o, "repeated", json_object_new_boolean(1));
    s_time(o, "submitted", r->submitted);
    s_time(o, "decided", r->decided);
    return o;
}

struct json_object *cli_json_consent(const vn_client_consent_record_t *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(c->id));
    s_str(o, "subjectPseudonym", c->subject);
    json_object_object_add(o, "givenBy", json_object_new_string(c->given_by));
    json_object_object_add(o, "recipients", s_list(c->recipients));
    json_object_object_add(o, "categories", s_list(c->categories));
    json_object_object_add(o, "purpose", json_object_new_string(c->purpose));
    s_time(o, "validFrom", c->valid_from);
    s_time(o, "expires", c->expires);
    s_time(o, "withdrawn", c->withdrawn);
    s_time(o, "registered", c->registered);
    return o;
}

struct json_object *cli_json_status(const vn_client_status_t *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "org", json_object_new_string(s->org));
    json_object_object_add(o, "connected", json_object_new_boolean(s->connected));
    json_object_object_add(o, "outboxPending", json_object_new_int64((int64_t)s->outbox_pending));
    json_object_object_add(o, "inboxPending", json_object_new_int64((int64_t)s->inbox_pending));
    json_object_object_add(o, "directoryGeneration",
                           json_object_new_int64((int64_t)s->directory_generation));
    json_object_object_add(o, "directoryOrgs", json_object_new_int64(s->directory_orgs));
    json_object_object_add(o, "sent", json_object_new_int64((int64_t)s->sent));
    json_object_object_add(o, "received", json_object_new_int64((int64_t)s->received));
    json_object_object_add(o, "checkpointSize", json_object_new_int64((int64_t)s->checkpoint_size));
    json_object_object_add(o, "logInconsistent", json_object_new_boolean(s->log_inconsistent));
    json_object_object_add(o, "maxContentBytes", json_object_new_int64(VN_API_MAX_CONTENT));
    json_object_object_add(o, "apiVersion", json_object_new_string(VN_HTTP_API_VERSION));
    if (s->revoked)
        json_object_object_add(o, "revoked", json_object_new_boolean(1));
    if (!s->connected)
        s_str(o, "disconnectReason", s->disconnect_reason);
    s_str(o, "caller", s->caller);
    return o;
}

struct json_object *cli_json_ack(const char *message_id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "messageId", json_object_new_string(message_id));
    json_object_object_add(o, "acknowledged", json_object_new_boolean(1));
    return o;
}
