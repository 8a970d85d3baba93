/* http_api_json.c -- the API's JSON shapes (lowerCamelCase members, RFC 3339 UTC times, hex ids,
 * base64 content with its media type) and strict parsing of request bodies. */
#include "http_api.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *http__time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static void s_add_time(json_object *o, const char *key, uint64_t t)
{
    char buf[32];
    if (t)
        json_object_object_add(o, key, json_object_new_string(http__time(t, buf)));
}

static void s_add_hex(json_object *o, const char *key, const ProtobufCBinaryData *b)
{
    if (!b->len || b->len > 64)
        return;
    char hex[129];
    json_object_object_add(o, key, json_object_new_string(vn_hex(hex, b->data, b->len)));
}

static void s_add_str(json_object *o, const char *key, const char *v)
{
    if (v && v[0])
        json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *s_base64(const uint8_t *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *b = malloc(cap);
    if (!b)
        return NULL;
    sodium_bin2base64(b, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    json_object *s = json_object_new_string(b);
    free(b);
    return s;
}

void http__cursor_format(uint64_t seq, char out[24])
{
    /* base 26, most significant first: letters only, never mistaken for a citizen number */
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('a' + seq % 26);
        seq /= 26;
    } while (seq && n < 23);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

int http__cursor_parse(const char *text, uint64_t *seq)
{
    uint64_t v = 0;
    size_t n = strlen(text);
    if (n == 0 || n > 14) /* 26^14 > 2^64 would overflow; real positions are far smaller */
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < 'a' || text[i] > 'z')
            return -1;
        v = v * 26 + (uint64_t)(text[i] - 'a');
    }
    *seq = v;
    return 0;
}

json_object *http__notification_json(const Vn__ApiNotification *n)
{
    json_object *o = json_object_new_object();
    char cursor[24];
    s_add_hex(o, "messageId", &n->message_id);
    http__cursor_format(n->inbox_seq, cursor);
    json_object_object_add(o, "inboxCursor", json_object_new_string(cursor));
    s_add_time(o, "received", n->received);
    if (n->notice_code[0]) {
        json_object_object_add(o, "kind", json_object_new_string("notice"));
        json_object *nt = json_object_new_object();
        json_object_object_add(nt, "code", json_object_new_string(n->notice_code));
        json_object_object_add(nt, "reason", json_object_new_string(n->notice_reason));
        s_add_str(nt, "recipient", n->notice_recipient);
        s_add_hex(nt, "aboutMessageId", &n->about_message_id);
        json_object_object_add(o, "notice", nt);
        return o;
    }
    json_object_object_add(o, "kind", json_object_new_string("notification"));
    json_object_object_add(o, "sender", json_object_new_string(n->sender));
    json_object_object_add(o, "senderSector", json_object_new_string(n->sender_sector));
    json_object_object_add(o, "category", json_object_new_string(n->category));
    json_object_object_add(o, "basis", json_object_new_string(n->basis));
    json_object *just = json_object_new_array();
    for (size_t i = 0; i < n->n_justification; i++) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "key", json_object_new_string(n->justification[i]->key));
        json_object_object_add(f, "value", json_object_new_string(n->justification[i]->value));
        json_object_array_add(just, f);
    }
    json_object_object_add(o, "justification", just);
    s_add_hex(o, "subjectPseudonym", &n->subject_pseudonym);
    s_add_time(o, "created", n->created);
    s_add_time(o, "expires", n->expires);
    json_object_object_add(o, "userId", json_object_new_string(n->user_id));
    json_object_object_add(o, "userRole", json_object_new_string(n->user_role));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "mediaType", json_object_new_string(
                                               n->media_type[0] ? n->media_type
                                                                : "application/octet-stream"));
    json_object_object_add(c, "data", s_base64(n->content.data, n->content.len));
    json_object_object_add(o, "content", c);
    return o;
}

json_object *http__submit_result_json(const Vn__ApiSubmitResult *r)
{
    static const char *const outcomes[] = {"queued", "accepted", "refused"};
    json_object *o = json_object_new_object();
    s_add_hex(o, "messageId", &r->message_id);
    if (r->client_ref.len)
        json_object_object_add(o, "clientRef",
                               json_object_new_string_len((const char *)r->client_ref.data,
                                                          (int)r->client_ref.len));
    json_object_object_add(o, "outcome",
                           json_object_new_string(r->outcome <= 2 ? outcomes[r->outcome] : "queued"));
    if (r->audit_seq || r->audit_hash.len) {
        json_object_object_add(o, "auditSeq", json_object_new_int64((int64_t)r->audit_seq));
        s_add_hex(o, "auditHash", &r->audit_hash);
    }
    s_add_str(o, "code", r->code);
    if (r->reason[0]) {
        /* the broker's reason may hold "English\nDutch" */
        const char *nl = strchr(r->reason, '\n');
        json_object_object_add(o, "reason",
                               nl ? json_object_new_string_len(r->reason, (int)(nl - r->reason))
                                  : json_object_new_string(r->reason));
        if (!r->reason_nl[0] && nl)
            json_object_object_add(o, "reasonNl", json_object_new_string(nl + 1));
    }
    s_add_str(o, "reasonNl", r->reason_nl);
    if (r->repeated)
        json_object_object_add(o, "repeated", json_object_new_boolean(1));
    s_add_time(o, "submitted", r->submitted);
    s_add_time(o, "decided", r->decided);
    return o;
}

static json_object *s_strings(char **v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

json_object *http__consent_json(const Vn__ApiConsentRecord *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(c->id));
    s_add_str(o, "subjectPseudonym", c->subject);
    json_object_object_add(o, "givenBy", json_object_new_string(c->given_by));
    json_object_object_add(o, "recipients", s_strings(c->recipients, c->n_recipients));
    json_object_object_add(o, "categories", s_strings(c->categories, c->n_categories));
    json_object_object_add(o, "purpose", json_object_new_string(c->purpose));
    s_add_time(o, "validFrom", c->valid_from);
    s_add_time(o, "expires", c->expires);
    s_add_time(o, "withdrawn", c->withdrawn);
    s_add_time(o, "registered", c->registered);
    return o;
}

json_object *http__status_json(const Vn__ApiStatusResult *s)
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
        s_add_str(o, "disconnectReason", s->disconnect_reason);
    s_add_str(o, "caller", s->caller);
    json_object_object_add(o, "apiVersion", json_object_new_string(HTTP_API_VERSION));
    return o;
}

json_object *http__org_json(const Vn__ApiDirectoryEntry *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(e->id));
    json_object_object_add(o, "sector", json_object_new_string(e->sector));
    json_object_object_add(o, "revoked", json_object_new_boolean(e->revoked));
    s_add_time(o, "added", e->added);
    s_add_time(o, "rotated", e->rotated);
    return o;
}

json_object *http__parse_body(const http_req_t *r, http_reply_t *reply)
{
    if (!r->body || r->body_len == 0) {
        http__problem_code(reply, "invalid-json", "this request needs a JSON object as its body",
                           "dit verzoek vraagt een JSON-object als body");
        return NULL;
    }
    if (strlen(r->body) != r->body_len) {
        http__problem_code(reply, "invalid-json", "the body holds a NUL byte", NULL);
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(16);
    if (!tok) {
        http__problem_code(reply, "internal-error", "out of memory", NULL);
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int trailing = 0;
    for (size_t i = used; o && i < r->body_len; i++)
        if (!strchr(" \t\r\n", r->body[i]))
            trailing = 1;
    if (!o || e != json_tokener_success || trailing) {
        char d[160];
        snprintf(d, sizeof d, "the body is not one JSON value: %s",
                 trailing ? "data after it" : json_tokener_error_desc(e));
        json_object_put(o);
        http__problem_code(reply, "invalid-json", d, NULL);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        http__problem_code(reply, "invalid-json", "the body must be a JSON object", NULL);
        return NULL;
    }
    return o;
}
