/* http_api_routes.c -- the resources of the HTTP API under /v1, each translated into the
 * local-API request it wraps (api.proto) and its answer into JSON (docs/api.md). */
#include "http_api.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUBMIT_WAIT_DEFAULT 10
#define CALL_SLACK_MS 3000
/* A submit about a new subject may first wait [pseudonymd] timeout_ms (default 3000) for its
 * pseudonym before it is answered (held, docs/pseudonyms.md): its answer gets that much more. */
#define SUBMIT_SLACK_MS (CALL_SLACK_MS + 5000)
#define CONSENT_CALL_MS 15000
#define CONSENT_PAGE_MAX 100 /* the broker's hard page size (broker/consent_list.c) */

extern const char vn_openapi_json[];

/* ---- resources ---- */

static void s_status(http_req_t *r, http_reply_t *reply)
{
    Vn__ApiStatus st = VN__API_STATUS__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_STATUS;
    req.status = &st;
    Vn__ApiResponse *resp;
    if (http__no_params(r, reply) || http__call(r, &req, 5000, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_STATUS)
        http__json(reply, 200, http__status_json(resp->status));
    else
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    vn__api_response__free_unpacked(resp, NULL);
}

static void s_organisations(http_req_t *r, http_reply_t *reply)
{
    Vn__ApiDirectoryQuery q = VN__API_DIRECTORY_QUERY__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_DIRECTORY;
    req.directory = &q;
    Vn__ApiResponse *resp;
    if (http__no_params(r, reply) || http__call(r, &req, 5000, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_DIRECTORY) {
        json_object *items = json_object_new_array();
        for (size_t i = 0; i < resp->directory->n_orgs; i++)
            json_object_array_add(items, http__org_json(resp->directory->orgs[i]));
        http__list(reply, 200, items, "generation",
               json_object_new_int64((int64_t)resp->directory->generation));
    } else {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    }
    vn__api_response__free_unpacked(resp, NULL);
}

static const char *const s_submit_members[] = {
    "to", "subjectBsn", "anonymous", "category", "basis", "justification", "userId", "userRole",
    "content", "expiresIn", "wait", "clientRef", "subjectName", "subjectBirthDate", NULL};

/* The content member: {"mediaType": "...", "data": base64}. */
static int s_content(json_object *o, Vn__ApiSubmit *s, uint8_t **data, http_reply_t *reply)
{
    static const char *const members[] = {"mediaType", "data", NULL};
    json_object *c;
    *data = NULL;
    if (!json_object_object_get_ex(o, "content", &c))
        return http__bad(reply, "content", "is required");
    if (!json_object_is_type(c, json_type_object))
        return http__bad(reply, "content", "must be an object {mediaType, data}");
    const char *mt, *b64;
    if (http__members(c, members, reply) != 0 ||
        http__str(c, "mediaType", 1, AGENT_MEDIA_TYPE_MAX, &mt, reply) != 0)
        return -1;
    if (http__str(c, "data", 0, (AGENT_MAX_CONTENT / 3 + 1) * 4, &b64, reply) < 0)
        return -1;
    size_t b64_len = strlen(b64), len = 0;
    *data = malloc(b64_len / 4 * 3 + 3);
    if (!*data)
        return http__bad(reply, "content.data", "is too large");
    if (b64_len && sodium_base642bin(*data, b64_len / 4 * 3 + 3, b64, b64_len, NULL, &len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL) != 0)
        return http__bad(reply, "content.data", "is not base64 (RFC 4648, with padding)");
    if (len > AGENT_MAX_CONTENT) {
        char d[120], nl[120];
        snprintf(d, sizeof d, "content of %zu bytes exceeds the limit of %d bytes", len,
                 AGENT_MAX_CONTENT);
        snprintf(nl, sizeof nl, "inhoud van %zu bytes is groter dan de grens van %d bytes", len,
                 AGENT_MAX_CONTENT);
        http__problem_code(reply, "too-large", d, nl);
        return -1;
    }
    s->media_type = (char *)mt;
    s->content = (ProtobufCBinaryData){len, *data};
    return 0;
}

static int s_justification(json_object *o, Vn__ApiSubmit *s, Vn__ApiJustification *just,
                           Vn__ApiJustification **jp, http_reply_t *reply)
{
    static const char *const members[] = {"key", "value", NULL};
    json_object *v;
    if (!json_object_object_get_ex(o, "justification", &v))
        return 0;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > 16)
        return http__bad(reply, "justification", "must be an array of at most 16 {key, value}");
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_object))
            return http__bad(reply, "justification", "must hold {key, value} objects");
        const char *k, *val;
        if (http__members(e, members, reply) != 0 || http__str(e, "key", 1, 128, &k, reply) != 0 ||
            http__str(e, "value", 1, 1024, &val, reply) != 0)
            return -1;
        vn__api_justification__init(&just[i]);
        just[i].key = (char *)k;
        just[i].value = (char *)val;
        jp[i] = &just[i];
    }
    s->n_justification = n;
    s->justification = jp;
    return 0;
}

static void s_submit(http_req_t *r, http_reply_t *reply)
{
    if (http__need(r, VN_SCOPE_SEND, "send", reply) != 0 || http__no_params(r, reply) != 0)
        return;
    json_object *o = http__parse_body(r, reply);
    if (!o)
        return;
    Vn__ApiSubmit s = VN__API_SUBMIT__INIT;
    Vn__ApiJustification just[16], *jp[16];
    uint8_t *data = NULL;
    char **to = NULL;
    size_t n_to = 0;
    const char *bsn = "", *ref = "", *subject_name = "", *birth_date = "";
    int64_t wait = SUBMIT_WAIT_DEFAULT, expires_in = 0;
    json_object *anon;
    int anonymous = json_object_object_get_ex(o, "anonymous", &anon);
    if (anonymous && !json_object_is_type(anon, json_type_boolean)) {
        http__bad(reply, "anonymous", "must be true or false");
        goto done;
    }
    anonymous = anonymous && json_object_get_boolean(anon);
    const char *category, *basis, *user, *role;
    if (http__members(o, s_submit_members, reply) != 0 ||
        http__strs(o, "to", 1, 16, 64, &to, &n_to, reply) != 0 ||
        http__str(o, "subjectName", 0, 200, &subject_name, reply) < 0 ||
        http__str(o, "subjectBirthDate", 0, 10, &birth_date, reply) < 0 ||
        http__str(o, "subjectBsn", !anonymous, 9, &bsn, reply) < 0 ||
        http__str(o, "category", 1, 256, &category, reply) != 0 ||
        http__str(o, "basis", 1, 256, &basis, reply) != 0 ||
        http__str(o, "userId", 1, 256, &user, reply) != 0 ||
        http__str(o, "userRole", 1, 256, &role, reply) != 0 ||
        http__str(o, "clientRef", 0, 64, &ref, reply) < 0 ||
        http__int(o, "wait", 0, HTTP_API_WAIT_MAX, &wait, reply) < 0 ||
        http__int(o, "expiresIn", 60, 3650LL * 86400, &expires_in, reply) < 0 ||
        s_justification(o, &s, just, jp, reply) != 0 || s_content(o, &s, &data, reply) != 0)
        goto done;
    if (anonymous && bsn[0]) {
        http__problem_code(reply, "invalid-subject",
                           "an anonymous notification carries no citizen number", NULL);
        goto done;
    }
    s.n_to = n_to;
    s.to = to;
    s.subject_bsn = (char *)bsn;
    s.subject_name = (char *)subject_name; /* sealed beside the body; checked by the agent */
    s.subject_birth_date = (char *)birth_date;
    s.anonymous = anonymous;
    s.category = (char *)category;
    s.basis = (char *)basis;
    s.user_id = (char *)user;
    s.user_role = (char *)role;
    s.expires_in = (uint32_t)expires_in;
    s.wait_ms = (uint32_t)wait * 1000;
    s.client_ref = (ProtobufCBinaryData){strlen(ref), (uint8_t *)ref};
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_SUBMIT;
    req.submit = &s;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, s.wait_ms + SUBMIT_SLACK_MS, &resp, reply) != 0)
        goto done;
    if (resp->body_case != VN__API_RESPONSE__BODY_SUBMIT) {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    } else {
        const Vn__ApiSubmitResult *res = resp->submit;
        json_object *j = http__submit_result_json(res);
        char hex[33] = "";
        if (res->message_id.len == VN_MSGID_BYTES)
            vn_hex(hex, res->message_id.data, VN_MSGID_BYTES);
        if (res->outcome == VN__API_SUBMIT_RESULT__OUTCOME__REFUSED) {
            const char *code = res->code[0] ? res->code : "refused";
            json_object *reason, *reason_nl;
            const char *en = json_object_object_get_ex(j, "reason", &reason)
                                 ? json_object_get_string(reason) : "";
            const char *nl = json_object_object_get_ex(j, "reasonNl", &reason_nl)
                                 ? json_object_get_string(reason_nl) : "";
            char *en_c = strdup(en), *nl_c = strdup(nl);
            json_object_object_del(j, "reason");
            json_object_object_del(j, "reasonNl");
            json_object_object_del(j, "code");
            /* a policy refusal is a 422 whatever its code (unknown codes already are) */
            http__problem_with(reply, "refused", en_c, nl_c, NULL);
            json_object *p = json_tokener_parse(reply->body);
            json_object_object_add(p, "code", json_object_new_string(code));
            json_object_object_foreach(j, k, v) json_object_object_add(p, k, json_object_get(v));
            json_object_put(j);
            http__json(reply, 422, p);
            reply->content_type = "application/problem+json";
            free(en_c);
            free(nl_c);
        } else {
            if (hex[0])
                snprintf(reply->location, sizeof reply->location, "/v1/notifications/%s", hex);
            /* a repeated clientRef created nothing: 200 with the first outcome */
            int accepted = res->outcome == VN__API_SUBMIT_RESULT__OUTCOME__ACCEPTED;
            http__json(reply, accepted ? (res->repeated ? 200 : 201) : 202, j);
        }
    }
    vn__api_response__free_unpacked(resp, NULL);
done:
    free(to);
    if (data) {
        sodium_memzero(data, s.content.len);
        free(data);
    }
    json_object_put(o);
}

/* The outcome of one of our submits, by message id or by clientRef: a fact, so 200 whatever it is. */
static void s_outcome(http_req_t *r, const uint8_t *msgid, const char *ref, uint32_t wait_s,
                      http_reply_t *reply)
{
    Vn__ApiOutcomeQuery q = VN__API_OUTCOME_QUERY__INIT;
    if (msgid)
        q.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)msgid};
    else
        q.client_ref = (ProtobufCBinaryData){strlen(ref), (uint8_t *)ref};
    q.wait_ms = wait_s * 1000;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_OUTCOME;
    req.outcome = &q;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, q.wait_ms + CALL_SLACK_MS, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_OUTCOME)
        http__json(reply, 200, http__submit_result_json(resp->outcome));
    else
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    vn__api_response__free_unpacked(resp, NULL);
}

static void s_notification(http_req_t *r, const char *id, http_reply_t *reply)
{
    uint8_t msgid[VN_MSGID_BYTES];
    int64_t wait = 0;
    if (http__need(r, VN_SCOPE_SEND, "send", reply) != 0)
        return;
    for (int i = 0; i < r->n_params; i++) {
        char *end;
        long n = strtol(r->params[i].value, &end, 10);
        if (strcmp(r->params[i].key, "wait") != 0 || !r->params[i].value[0] || *end || n < 0 ||
            n > HTTP_API_WAIT_MAX) {
            char d[120];
            snprintf(d, sizeof d, "query parameter '%s': only wait, 0..%d seconds", r->params[i].key,
                     HTTP_API_WAIT_MAX);
            http__problem_code(reply, "invalid-parameter", d, NULL);
            return;
        }
        wait = n;
    }
    if (strlen(id) != 32 || vn_unhex(msgid, VN_MSGID_BYTES, id) != 0) {
        http__problem_code(reply, "invalid-message-id", "a message id is 32 hexadecimal digits",
                           "een berichtkenmerk is 32 hexadecimale cijfers");
        return;
    }
    s_outcome(r, msgid, NULL, (uint32_t)wait, reply);
}

static void s_notification_search(http_req_t *r, http_reply_t *reply)
{
    static const char *const members[] = {"clientRef", "wait", NULL};
    if (http__need(r, VN_SCOPE_SEND, "send", reply) != 0 || http__no_params(r, reply) != 0)
        return;
    json_object *o = http__parse_body(r, reply);
    const char *ref;
    int64_t wait = 0;
    if (!o)
        return;
    if (http__members(o, members, reply) == 0 &&
        http__str(o, "clientRef", 1, 64, &ref, reply) == 0 &&
        http__int(o, "wait", 0, HTTP_API_WAIT_MAX, &wait, reply) >= 0)
        s_outcome(r, NULL, ref, (uint32_t)wait, reply);
    json_object_put(o);
}

static void s_inbox(http_req_t *r, http_reply_t *reply)
{
    if (http__need(r, VN_SCOPE_INBOX, "inbox", reply) != 0)
        return;
    Vn__ApiFetch f = VN__API_FETCH__INIT;
    f.max = 50;
    for (int i = 0; i < r->n_params; i++) {
        const char *k = r->params[i].key, *v = r->params[i].value;
        char *end;
        long n = strtol(v, &end, 10);
        int ok = 1;
        if (strcmp(k, "wait") == 0) {
            ok = v[0] && !*end && n >= 0 && n <= HTTP_API_WAIT_MAX;
            f.wait_ms = (uint32_t)n * 1000;
        } else if (strcmp(k, "limit") == 0) {
            ok = v[0] && !*end && n >= 1 && n <= HTTP_API_LIMIT_MAX;
            f.max = (uint32_t)n;
        } else if (strcmp(k, "after") == 0) {
            ok = http__cursor_parse(v, &f.after_seq) == 0;
        } else if (strcmp(k, "from") == 0) {
            ok = vn_org_id_valid(v); /* one sender's only, answered at once */
            f.from_org = (char *)v;
            f.wait_ms = 0;
        } else {
            ok = 0;
        }
        if (!ok) {
            char d[200];
            snprintf(d, sizeof d,
                     "query parameter '%s': wait is 0..%d seconds, limit 1..%d, after an "
                     "inboxCursor, from an organisation id; nothing else is known", k,
                     HTTP_API_WAIT_MAX, HTTP_API_LIMIT_MAX);
            http__problem_code(reply, "invalid-parameter", d, NULL);
            return;
        }
    }
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_FETCH;
    req.fetch = &f;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, f.wait_ms + CALL_SLACK_MS, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_INBOX) {
        json_object *items = json_object_new_array();
        const Vn__ApiInbox *in = resp->inbox;
        for (size_t i = 0; i < in->n_notifications; i++)
            json_object_array_add(items, http__notification_json(in->notifications[i]));
        char cursor[24];
        if (in->n_notifications) {
            http__cursor_format(in->notifications[in->n_notifications - 1]->inbox_seq, cursor);
            http__list(reply, 200, items, "nextCursor", json_object_new_string(cursor));
        } else {
            http__list(reply, 200, items, NULL, NULL);
        }
    } else {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    }
    vn__api_response__free_unpacked(resp, NULL);
}

static void s_ack(http_req_t *r, const char *id, http_reply_t *reply)
{
    uint8_t msgid[VN_MSGID_BYTES];
    if (http__need(r, VN_SCOPE_INBOX, "inbox", reply) != 0 || http__no_params(r, reply) != 0)
        return;
    if (strlen(id) != 32 || vn_unhex(msgid, VN_MSGID_BYTES, id) != 0) {
        http__problem_code(reply, "invalid-message-id", "a message id is 32 hexadecimal digits",
                           "een berichtkenmerk is 32 hexadecimale cijfers");
        return;
    }
    Vn__ApiAck ack = VN__API_ACK__INIT;
    ack.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, msgid};
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_ACK;
    req.ack = &ack;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, 5000, &resp, reply) != 0)
        return;
    reply->status = 204;
    reply->content_type = "application/json";
    vn__api_response__free_unpacked(resp, NULL);
}

/* Send a consent operation and answer with its records. */
static void s_consent_call(http_req_t *r, Vn__ApiConsent *c, int status, int one,
                           http_reply_t *reply)
{
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_CONSENT;
    req.consent = c;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, CONSENT_CALL_MS, &resp, reply) != 0)
        return;
    if (resp->body_case != VN__API_RESPONSE__BODY_CONSENT) {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    } else if (one) {
        if (resp->consent->n_records == 0) {
            http__problem_code(reply, "not-found", "no such consent", "geen toestemming met dat kenmerk");
        } else {
            const Vn__ApiConsentRecord *rec = resp->consent->records[0];
            if (status == 201)
                snprintf(reply->location, sizeof reply->location, "/v1/consents/%.64s", rec->id);
            http__json(reply, status, http__consent_json(rec));
        }
    } else {
        json_object *items = json_object_new_array();
        for (size_t i = 0; i < resp->consent->n_records; i++)
            json_object_array_add(items, http__consent_json(resp->consent->records[i]));
        const char *next = resp->consent->next;
        http__list(reply, 200, items, next[0] ? "next" : NULL,
                   next[0] ? json_object_new_string(next) : NULL);
    }
    vn__api_response__free_unpacked(resp, NULL);
}

static void s_consent_add(http_req_t *r, http_reply_t *reply)
{
    static const char *const members[] = {"subjectBsn", "givenBy", "recipients", "categories",
                                          "purpose", "validFrom", "expires", NULL};
    json_object *o = http__parse_body(r, reply);
    if (!o)
        return;
    Vn__ApiConsentAdd add = VN__API_CONSENT_ADD__INIT;
    const char *bsn, *given_by, *purpose;
    char **recips = NULL, **cats = NULL;
    size_t n_recips = 0, n_cats = 0;
    uint64_t from = 0, expires = 0;
    if (http__members(o, members, reply) != 0 ||
        http__str(o, "subjectBsn", 1, 9, &bsn, reply) != 0 ||
        http__str(o, "givenBy", 1, 64, &given_by, reply) != 0 ||
        http__strs(o, "recipients", 1, 32, 128, &recips, &n_recips, reply) != 0 ||
        http__strs(o, "categories", 1, 32, 128, &cats, &n_cats, reply) != 0 ||
        http__str(o, "purpose", 1, 1024, &purpose, reply) != 0 ||
        http__time_member(o, "validFrom", 0, &from, reply) < 0 ||
        http__time_member(o, "expires", 1, &expires, reply) != 0)
        goto done;
    add.subject_bsn = (char *)bsn;
    add.given_by = (char *)given_by;
    add.n_recipients = n_recips;
    add.recipients = recips;
    add.n_categories = n_cats;
    add.categories = cats;
    add.purpose = (char *)purpose;
    add.valid_from = from;
    add.expires = expires;
    Vn__ApiConsent c = VN__API_CONSENT__INIT;
    c.op_case = VN__API_CONSENT__OP_ADD;
    c.add = &add;
    s_consent_call(r, &c, 201, 1, reply);
done:
    free(recips);
    free(cats);
    json_object_put(o);
}

/* A page cursor is a consent id: "c" and 16 hex digits. */
static int s_consent_id_valid(const char *id)
{
    if (id[0] != 'c' || strlen(id) != 17)
        return 0;
    for (int i = 1; i < 17; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return 0;
    return 1;
}

/* GET /v1/consents?limit=N&after=ID: one page of this organisation's consents. */
static void s_consent_list(http_req_t *r, http_reply_t *reply)
{
    Vn__ApiConsent c = VN__API_CONSENT__INIT;
    c.op_case = VN__API_CONSENT__OP_LIST_ALL;
    c.list_all = 1;
    c.after = "";
    for (int i = 0; i < r->n_params; i++) {
        const char *k = r->params[i].key, *v = r->params[i].value;
        char *end;
        long n = strtol(v, &end, 10);
        int ok;
        if (strcmp(k, "limit") == 0) {
            ok = v[0] && !*end && n >= 1 && n <= CONSENT_PAGE_MAX;
            c.limit = (uint32_t)n;
        } else if (strcmp(k, "after") == 0) {
            ok = s_consent_id_valid(v);
            c.after = (char *)v;
        } else {
            ok = 0;
        }
        if (!ok) {
            char d[200];
            snprintf(d, sizeof d, "query parameter '%s': limit is 1..%d, after the next of the "
                     "previous page; nothing else is known", k, CONSENT_PAGE_MAX);
            http__problem_code(reply, "invalid-parameter", d, NULL);
            return;
        }
    }
    s_consent_call(r, &c, 200, 0, reply);
}

/* POST /v1/consents/_search {"subjectBsn", "after", "limit"}: one page of a subject's. */
static void s_consent_search(http_req_t *r, http_reply_t *reply)
{
    static const char *const members[] = {"subjectBsn", "after", "limit", NULL};
    json_object *o = http__parse_body(r, reply);
    const char *bsn, *after = "";
    int64_t limit = 0;
    if (!o)
        return;
    if (http__members(o, members, reply) == 0 &&
        http__str(o, "subjectBsn", 1, 9, &bsn, reply) == 0 &&
        http__str(o, "after", 0, 17, &after, reply) >= 0 &&
        http__int(o, "limit", 1, CONSENT_PAGE_MAX, &limit, reply) >= 0) {
        if (after[0] && !s_consent_id_valid(after)) {
            http__bad(reply, "after", "must be the next of the previous page");
        } else {
            Vn__ApiConsent c = VN__API_CONSENT__INIT;
            c.op_case = VN__API_CONSENT__OP_LIST_SUBJECT_BSN;
            c.list_subject_bsn = (char *)bsn;
            c.after = (char *)after;
            c.limit = (uint32_t)limit;
            s_consent_call(r, &c, 200, 0, reply);
        }
    }
    json_object_put(o);
}

static void s_consents(http_req_t *r, const char *rest, http_reply_t *reply)
{
    if (http__need(r, VN_SCOPE_CONSENT, "consent", reply) != 0)
        return;
    int get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
    int del = strcmp(r->method, "DELETE") == 0;
    if (!rest[0] && get) {
        s_consent_list(r, reply); /* the one consent route with query parameters (paging) */
        return;
    }
    if (http__no_params(r, reply) != 0)
        return;
    if (!rest[0] && post) {
        s_consent_add(r, reply);
    } else if (strcmp(rest, "/_search") == 0 && post) {
        s_consent_search(r, reply);
    } else if (rest[0] == '/' && !strchr(rest + 1, '/') && rest[1] != '_' && del) {
        if (!vn_field_valid(rest + 1, 64)) {
            http__problem_code(reply, "invalid-id", "not a consent id", NULL);
            return;
        }
        Vn__ApiConsent c = VN__API_CONSENT__INIT;
        c.op_case = VN__API_CONSENT__OP_WITHDRAW;
        c.withdraw = (char *)rest + 1;
        s_consent_call(r, &c, 200, 1, reply);
    } else {
        int known = !rest[0] || strcmp(rest, "/_search") == 0 ||
                    (rest[0] == '/' && rest[1] != '_' && !strchr(rest + 1, '/'));
        http__problem_code(reply, known ? "method-not-allowed" : "not-found",
                           "see /v1/openapi.json for the resources and their methods", NULL);
    }
}

void http__route(http_req_t *r, http_reply_t *reply)
{
    const char *p = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
        /* bodies are JSON: anything else is refused before it is parsed */
        const char *ct = r->content_type;
        if (r->body && !(ct && strncmp(ct, "application/json", 16) == 0 &&
                    (ct[16] == '\0' || ct[16] == ';'))) {
            http__problem_code(reply, "unsupported-media-type",
                               "send the body as Content-Type: application/json",
                               "stuur de body als Content-Type: application/json");
            return;
        }
    }
    if (strcmp(p, "/v1/openapi.json") == 0) {
        reply->cors = 1;
        if (strcmp(m, "OPTIONS") == 0) {
            reply->status = 204;
        } else if (get) {
            reply->status = 200;
            reply->body = strdup(vn_openapi_json);
            reply->content_type = "application/json";
        } else {
            http__problem_code(reply, "method-not-allowed", "GET only", NULL);
        }
    } else if (strcmp(p, "/v1/health") == 0 && get) {
        http__json(reply, 200, json_tokener_parse("{\"status\":\"up\"}"));
    } else if (strcmp(p, "/v1/status") == 0 && get) {
        s_status(r, reply);
    } else if (strcmp(p, "/v1/organisations") == 0 && get) {
        s_organisations(r, reply);
    } else if (strcmp(p, "/v1/notifications") == 0 && strcmp(m, "POST") == 0) {
        s_submit(r, reply);
    } else if (strcmp(p, "/v1/notifications/_search") == 0 && strcmp(m, "POST") == 0) {
        s_notification_search(r, reply);
    } else if (strncmp(p, "/v1/notifications/", 18) == 0 && !strchr(p + 18, '/') &&
               p[18] != '_' && get) {
        s_notification(r, p + 18, reply);
    } else if (strcmp(p, "/v1/inbox") == 0 && get) {
        s_inbox(r, reply);
    } else if (strncmp(p, "/v1/inbox/", 10) == 0 && !strchr(p + 10, '/') &&
               strcmp(m, "DELETE") == 0) {
        s_ack(r, p + 10, reply);
    } else if (strcmp(p, "/v1/consents") == 0 || strncmp(p, "/v1/consents/", 13) == 0) {
        s_consents(r, p + 12, reply);
    } else if (strcmp(p, "/v1/signals") == 0 || strncmp(p, "/v1/signals/", 12) == 0) {
        http__signals_route(r, p + 11, reply);
    } else if (strcmp(p, "/v1/matches") == 0 || strncmp(p, "/v1/matches/", 12) == 0) {
        http__matches_route(r, p + 11, reply);
    } else if (strcmp(p, "/v1/vocabulary") == 0 && get) {
        http__vocabulary(r, reply);
    } else if (strcmp(p, "/v1/policy") == 0 && get) {
        http__policy(r, reply);
    } else if (strcmp(p, "/v1/webhooks") == 0 || strncmp(p, "/v1/webhooks/", 13) == 0) {
        if (http__need(r, VN_SCOPE_INBOX, "inbox", reply) == 0 && http__no_params(r, reply) == 0)
            http__webhooks_route(r, reply);
    } else if (strcmp(p, "/v1/status") == 0 || strcmp(p, "/v1/organisations") == 0 ||
               strcmp(p, "/v1/notifications") == 0 || strncmp(p, "/v1/notifications/", 18) == 0 ||
               strcmp(p, "/v1/inbox") == 0 || strcmp(p, "/v1/vocabulary") == 0 ||
               strcmp(p, "/v1/policy") == 0 ||
               strncmp(p, "/v1/inbox/", 10) == 0 || strcmp(p, "/v1/health") == 0) {
        http__problem_code(reply, "method-not-allowed", "see /v1/openapi.json for the methods",
                           NULL);
    } else {
        http__problem_code(reply, "not-found", "no such resource: see /v1/openapi.json",
                           "deze resource bestaat niet: zie /v1/openapi.json");
    }
}
