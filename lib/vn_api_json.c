/* vn_api_json.c -- the JSON shapes shared by the agent's HTTP API and the CLI's --json (one
 * schema: the OpenAPI document's Outcome, Consent and Status components). */
#include "vn_api_json.h"
#include "vn_api_limits.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

char *vn_json_time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

void vn_json_add_time(json_object *o, const char *key, uint64_t t)
{
    char buf[32];
    if (t)
        json_object_object_add(o, key, json_object_new_string(vn_json_time(t, buf)));
}

void vn_json_add_str(json_object *o, const char *key, const char *v)
{
    if (v && v[0])
        json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *s_strings(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

json_object *vn_json_outcome(const vn_json_outcome_t *r)
{
    static const char *const outcomes[] = {"queued", "accepted", "refused"};
    json_object *o = json_object_new_object();
    vn_json_add_str(o, "messageId", r->message_id);
    if (r->client_ref && r->client_ref_len)
        json_object_object_add(o, "clientRef",
                               json_object_new_string_len(r->client_ref, (int)r->client_ref_len));
    int known = r->outcome >= 0 && r->outcome <= 2;
    json_object_object_add(o, "outcome",
                           json_object_new_string(known ? outcomes[r->outcome] : "queued"));
    if (r->audit_seq || (r->audit_hash && r->audit_hash[0])) {
        json_object_object_add(o, "auditSeq", json_object_new_int64((int64_t)r->audit_seq));
        vn_json_add_str(o, "auditHash", r->audit_hash);
    }
    vn_json_add_str(o, "code", r->code);
    if (r->reason && r->reason[0]) {
        /* the broker's reason may hold "English\nDutch" */
        const char *nl = strchr(r->reason, '\n');
        json_object_object_add(o, "reason",
                               nl ? json_object_new_string_len(r->reason, (int)(nl - r->reason))
                                  : json_object_new_string(r->reason));
        if (nl && !(r->reason_nl && r->reason_nl[0]))
            json_object_object_add(o, "reasonNl", json_object_new_string(nl + 1));
    }
    vn_json_add_str(o, "reasonNl", r->reason_nl);
    if (r->repeated)
        json_object_object_add(o, "repeated", json_object_new_boolean(1));
    vn_json_add_time(o, "submitted", r->submitted);
    vn_json_add_time(o, "decided", r->decided);
    vn_json_add_str(o, "recipient", r->recipient);
    return o;
}

json_object *vn_json_consent(const vn_json_consent_t *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(c->id));
    vn_json_add_str(o, "subjectPseudonym", c->subject);
    json_object_object_add(o, "givenBy", json_object_new_string(c->given_by));
    json_object_object_add(o, "recipients", s_strings(c->recipients, c->n_recipients));
    json_object_object_add(o, "categories", s_strings(c->categories, c->n_categories));
    json_object_object_add(o, "purpose", json_object_new_string(c->purpose));
    vn_json_add_time(o, "validFrom", c->valid_from);
    vn_json_add_time(o, "expires", c->expires);
    vn_json_add_time(o, "withdrawn", c->withdrawn);
    vn_json_add_time(o, "registered", c->registered);
    return o;
}

json_object *vn_json_status(const vn_json_status_t *s)
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
    json_object_object_add(o, "maxContentBytes", json_object_new_int64(s->max_content_bytes));
    if (s->revoked)
        json_object_object_add(o, "revoked", json_object_new_boolean(1));
    if (!s->connected)
        vn_json_add_str(o, "disconnectReason", s->disconnect_reason);
    vn_json_add_str(o, "caller", s->caller);
    json_object_object_add(o, "apiVersion", json_object_new_string(VN_HTTP_API_VERSION));
    return o;
}
