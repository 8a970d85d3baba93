/* http_api_signals.c -- what the broker holds, over HTTP: /v1/signals (register, list, search by
 * the youth's BSN in a body, withdraw), /v1/matches (list, show, coordination), /v1/vocabulary and
 * /v1/policy, each translated into the local-API request it wraps (ApiSignal, ApiMatch,
 * ApiVocabRequest, ApiPolicyQuery). */
#include "http_api.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The agent waits 10 s for the broker (signal.c); the HTTP side a little longer. */
#define SIGNAL_CALL_MS 13000
#define PAGE_MAX 500        /* the broker's page limit (docs/signals.md) */
#define PARENTS_MAX 4
#define CONTACT_MAX 200

/* Signal and match ids: "S" or "M" and 32 hexadecimal digits (the broker's vn_id). */
static int s_id_valid(const char *id, char kind)
{
    if (id[0] != kind || strlen(id) != 33)
        return 0;
    for (const char *p = id + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* A problem the agent or broker gave with a code whose status depends on the resource: e.g.
 * not-in-match is 404 for GET /v1/matches/{id} but 422 for a handover to an outsider. */
static void s_restatus(http_reply_t *reply, const char *code, int status)
{
    json_object *p = reply->body ? json_tokener_parse(reply->body) : NULL, *c;
    if (p && json_object_object_get_ex(p, "code", &c) &&
        strcmp(json_object_get_string(c), code) == 0) {
        json_object_object_add(p, "status", json_object_new_int(status));
        http__json(reply, status, p);
        reply->content_type = "application/problem+json";
        return;
    }
    json_object_put(p);
}

/* Paging parameters: limit 1..500, after a signal or match id. 0, or -1 with a problem. */
static int s_paging(const http_req_t *r, char kind, uint32_t *limit, const char **after,
                    http_reply_t *reply)
{
    *limit = 100;
    *after = "";
    for (int i = 0; i < r->n_params; i++) {
        const char *k = r->params[i].key, *v = r->params[i].value;
        char *end;
        long n = strtol(v, &end, 10);
        int ok;
        if (strcmp(k, "limit") == 0) {
            ok = v[0] && !*end && n >= 1 && n <= PAGE_MAX;
            *limit = (uint32_t)n;
        } else if (strcmp(k, "after") == 0) {
            ok = s_id_valid(v, kind);
            *after = v;
        } else {
            ok = 0;
        }
        if (!ok) {
            char d[200];
            snprintf(d, sizeof d, "query parameter '%s': limit is 1..%d, after the next of the "
                     "previous page; nothing else is known", k, PAGE_MAX);
            http__problem_code(reply, "invalid-parameter", d, NULL);
            return -1;
        }
    }
    return 0;
}

/* ---- signals ---- */

/* Send a signal operation; answer with the one signal (status) or the page (one = 0). */
static void s_signal_call(http_req_t *r, Vn__ApiSignal *sig, int status, int one,
                          http_reply_t *reply)
{
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_SIGNAL;
    req.signal = sig;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, SIGNAL_CALL_MS, &resp, reply) != 0)
        return;
    uint64_t now = vn_now();
    if (resp->body_case != VN__API_RESPONSE__BODY_SIGNAL) {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    } else if (one) {
        if (resp->signal->n_signals == 0) {
            http__problem_code(reply, "internal-error", "the broker answered with no signal", NULL);
        } else {
            json_object *o = http__signal_json(resp->signal->signals[0], now);
            json_object_object_add(o, "auditSeq",
                                   json_object_new_int64((int64_t)resp->signal->audit_seq));
            http__json(reply, status, o);
        }
    } else {
        json_object *items = json_object_new_array();
        for (size_t i = 0; i < resp->signal->n_signals; i++)
            json_object_array_add(items, http__signal_json(resp->signal->signals[i], now));
        const char *next = resp->signal->next;
        http__list(reply, 200, items, next[0] ? "next" : NULL,
                   next[0] ? json_object_new_string(next) : NULL);
    }
    /* the answer holds the youths' citizen numbers: wipe them before freeing */
    if (resp->body_case == VN__API_RESPONSE__BODY_SIGNAL)
        for (size_t i = 0; i < resp->signal->n_signals; i++)
            if (resp->signal->signals[i]->youth_bsn)
                sodium_memzero(resp->signal->signals[i]->youth_bsn,
                               strlen(resp->signal->signals[i]->youth_bsn));
    vn__api_response__free_unpacked(resp, NULL);
}

/* The contact member: {name, role?, phone?, email?}, a name and a phone number or e-mail. */
static int s_contact(json_object *o, Vn__ApiContact *c, http_reply_t *reply)
{
    static const char *const members[] = {"name", "role", "phone", "email", NULL};
    json_object *v;
    if (!json_object_object_get_ex(o, "contact", &v))
        return http__bad(reply, "contact", "is required: who the other professionals can call");
    if (!json_object_is_type(v, json_type_object))
        return http__bad(reply, "contact", "must be an object {name, role, phone, email}");
    const char *name, *role = "", *phone = "", *email = "";
    if (http__members(v, members, reply) != 0 ||
        http__str(v, "name", 1, CONTACT_MAX, &name, reply) != 0 ||
        http__str(v, "role", 0, CONTACT_MAX, &role, reply) < 0 ||
        http__str(v, "phone", 0, CONTACT_MAX, &phone, reply) < 0 ||
        http__str(v, "email", 0, CONTACT_MAX, &email, reply) < 0)
        return -1;
    if (!phone[0] && !email[0])
        return http__bad(reply, "contact", "needs a phone number or an e-mail address");
    c->name = (char *)name;
    c->role = (char *)role;
    c->phone = (char *)phone;
    c->email = (char *)email;
    return 0;
}

static void s_signal_add(http_req_t *r, http_reply_t *reply)
{
    static const char *const members[] = {
        "youthBsn", "parentBsns", "category", "youthAge", "informed", "notInformedReason",
        "signalDate", "activeUntil", "userId", "userRole", "clientRef", "contact", NULL};
    json_object *o = http__parse_body(r, reply);
    if (!o)
        return;
    Vn__ApiSignalAdd add = VN__API_SIGNAL_ADD__INIT;
    Vn__ApiContact contact = VN__API_CONTACT__INIT;
    char **parents = NULL, **informed = NULL;
    size_t n_parents = 0, n_informed = 0;
    const char *youth, *category, *reason = "", *user, *role, *ref = "";
    int64_t age = -1;
    uint64_t date = 0, until = 0;
    if (http__members(o, members, reply) != 0 ||
        http__str(o, "youthBsn", 1, 9, &youth, reply) != 0 ||
        http__strs(o, "parentBsns", 0, PARENTS_MAX, 9, &parents, &n_parents, reply) < 0 ||
        http__str(o, "category", 1, 64, &category, reply) != 0 ||
        http__int(o, "youthAge", 0, 120, &age, reply) < 0 ||
        http__strs(o, "informed", 1, 2, 16, &informed, &n_informed, reply) != 0 ||
        http__str(o, "notInformedReason", 0, 500, &reason, reply) < 0 ||
        http__date_member(o, "signalDate", 0, &date, reply) < 0 ||
        http__time_member(o, "activeUntil", 0, &until, reply) < 0 ||
        http__str(o, "userId", 1, 256, &user, reply) != 0 ||
        http__str(o, "userRole", 1, 256, &role, reply) != 0 ||
        http__str(o, "clientRef", 0, 64, &ref, reply) < 0 || s_contact(o, &contact, reply) != 0)
        goto done;
    if (age < 0) {
        http__bad(reply, "youthAge", "is required (whole years; the policy's age rules use it)");
        goto done;
    }
    add.youth_bsn = (char *)youth;
    add.n_parent_bsns = n_parents;
    add.parent_bsns = parents;
    add.category = (char *)category;
    add.signal_date = date;
    add.active_until = until;
    add.n_informed = n_informed;
    add.informed = informed;
    add.not_informed_reason = (char *)reason;
    add.youth_age = (uint32_t)age;
    add.user_id = (char *)user;
    add.user_role = (char *)role;
    add.client_ref = (ProtobufCBinaryData){strlen(ref), (uint8_t *)ref};
    add.contact = &contact;
    Vn__ApiSignal sig = VN__API_SIGNAL__INIT;
    sig.op_case = VN__API_SIGNAL__OP_ADD;
    sig.add = &add;
    s_signal_call(r, &sig, 201, 1, reply);
done:
    free(parents);
    free(informed);
    json_object_put(o);
}

static void s_signal_list(http_req_t *r, const char *youth, uint32_t limit, const char *after,
                          http_reply_t *reply)
{
    Vn__ApiSignalListReq list = VN__API_SIGNAL_LIST_REQ__INIT;
    list.youth_bsn = (char *)youth;
    list.after = (char *)after;
    list.limit = limit;
    Vn__ApiSignal sig = VN__API_SIGNAL__INIT;
    sig.op_case = VN__API_SIGNAL__OP_LIST;
    sig.list = &list;
    s_signal_call(r, &sig, 200, 0, reply);
}

/* POST /v1/signals/_search {"youthBsn", "after", "limit"}: our signals on one youth. */
static void s_signal_search(http_req_t *r, http_reply_t *reply)
{
    static const char *const members[] = {"youthBsn", "after", "limit", NULL};
    json_object *o = http__parse_body(r, reply);
    if (!o)
        return;
    const char *youth, *after = "";
    int64_t limit = 100;
    if (http__members(o, members, reply) == 0 &&
        http__str(o, "youthBsn", 1, 9, &youth, reply) == 0 &&
        http__str(o, "after", 0, 33, &after, reply) >= 0 &&
        http__int(o, "limit", 1, PAGE_MAX, &limit, reply) >= 0) {
        if (after[0] && !s_id_valid(after, 'S'))
            http__bad(reply, "after", "must be the next of the previous page (a signal id)");
        else
            s_signal_list(r, youth, (uint32_t)limit, after, reply);
    }
    json_object_put(o);
}

void http__signals_route(http_req_t *r, const char *rest, http_reply_t *reply)
{
    if (http__need(r, VN_SCOPE_SIGNAL, "signal", reply) != 0)
        return;
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0, del = strcmp(r->method, "DELETE") == 0;
    int one = rest[0] == '/' && rest[1] != '_' && !strchr(rest + 1, '/');
    if (!rest[0] && get) {
        uint32_t limit;
        const char *after;
        if (s_paging(r, 'S', &limit, &after, reply) == 0)
            s_signal_list(r, "", limit, after, reply);
    } else if (!rest[0] && post) {
        if (http__no_params(r, reply) == 0)
            s_signal_add(r, reply);
    } else if (strcmp(rest, "/_search") == 0 && post) {
        if (http__no_params(r, reply) == 0)
            s_signal_search(r, reply);
    } else if (one && del) {
        if (http__no_params(r, reply) != 0)
            return;
        if (!s_id_valid(rest + 1, 'S')) {
            http__problem_code(reply, "invalid-id", "a signal id is S and 32 hexadecimal digits",
                               "een signaalkenmerk is S en 32 hexadecimale cijfers");
            return;
        }
        Vn__ApiSignal sig = VN__API_SIGNAL__INIT;
        sig.op_case = VN__API_SIGNAL__OP_WITHDRAW;
        sig.withdraw = (char *)rest + 1;
        s_signal_call(r, &sig, 200, 1, reply);
    } else {
        int known = !rest[0] || strcmp(rest, "/_search") == 0 || one;
        http__problem_code(reply, known ? "method-not-allowed" : "not-found",
                           "see /v1/openapi.json for the resources and their methods", NULL);
    }
}

/* ---- matches ---- */

static void s_match_call(http_req_t *r, Vn__ApiMatch *m, int one, http_reply_t *reply)
{
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_MATCH;
    req.match = m;
    Vn__ApiResponse *resp;
    if (http__call(r, &req, SIGNAL_CALL_MS, &resp, reply) != 0) {
        /* a match we take no part in is as unknown as a missing one */
        if (m->op_case == VN__API_MATCH__OP_SHOW)
            s_restatus(reply, "not-in-match", 404);
        return;
    }
    if (resp->body_case != VN__API_RESPONSE__BODY_MATCH) {
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    } else if (one) {
        if (resp->match->n_matches == 0) {
            http__problem_code(reply, "not-found", "no such match", "geen match met dat kenmerk");
        } else {
            json_object *o = http__match_view_json(resp->match->matches[0]);
            if (resp->match->audit_seq)
                json_object_object_add(o, "auditSeq",
                                       json_object_new_int64((int64_t)resp->match->audit_seq));
            http__json(reply, 200, o);
        }
    } else {
        json_object *items = json_object_new_array();
        for (size_t i = 0; i < resp->match->n_matches; i++)
            json_object_array_add(items, http__match_view_json(resp->match->matches[i]));
        const char *next = resp->match->next;
        http__list(reply, 200, items, next[0] ? "next" : NULL,
                   next[0] ? json_object_new_string(next) : NULL);
    }
    if (resp->body_case == VN__API_RESPONSE__BODY_MATCH)
        for (size_t i = 0; i < resp->match->n_matches; i++)
            for (size_t j = 0; j < resp->match->matches[i]->n_cases; j++) {
                char *bsn = resp->match->matches[i]->cases[j]->youth_bsn;
                if (bsn)
                    sodium_memzero(bsn, strlen(bsn));
            }
    vn__api_response__free_unpacked(resp, NULL);
}

/* POST /v1/matches/{id}/coordination {"action": "handover", "to": ORG} | "accept-handover" |
 * "agree" (afgestemd). */
static void s_coordination(http_req_t *r, const char *id, http_reply_t *reply)
{
    static const char *const members[] = {"action", "to", NULL};
    json_object *o = http__parse_body(r, reply);
    if (!o)
        return;
    const char *action, *to = "";
    Vn__ApiMatch m = VN__API_MATCH__INIT;
    Vn__MatchHandover h = VN__MATCH_HANDOVER__INIT;
    if (http__members(o, members, reply) != 0 ||
        http__str(o, "action", 1, 32, &action, reply) != 0 ||
        http__str(o, "to", 0, 64, &to, reply) < 0)
        goto done;
    if (strcmp(action, "handover") == 0) {
        if (!to[0] || !vn_org_id_valid(to)) {
            http__bad(reply, "to", "is required for a handover: the organisation to hand over to");
            goto done;
        }
        h.match_id = (char *)id;
        h.to_org = (char *)to;
        m.op_case = VN__API_MATCH__OP_HANDOVER;
        m.handover = &h;
    } else if (strcmp(action, "accept-handover") == 0 || strcmp(action, "agree") == 0) {
        if (to[0]) {
            http__bad(reply, "to", "belongs only to a handover");
            goto done;
        }
        if (strcmp(action, "accept-handover") == 0) {
            m.op_case = VN__API_MATCH__OP_ACCEPT;
            m.accept = (char *)id;
        } else {
            m.op_case = VN__API_MATCH__OP_AGREE;
            m.agree = (char *)id;
        }
    } else {
        http__bad(reply, "action", "must be handover, accept-handover or agree");
        goto done;
    }
    s_match_call(r, &m, 1, reply);
done:
    json_object_put(o);
}

void http__matches_route(http_req_t *r, const char *rest, http_reply_t *reply)
{
    if (http__need(r, VN_SCOPE_SIGNAL, "signal", reply) != 0)
        return;
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0;
    char id[40] = "";
    const char *sub = "";
    if (rest[0] == '/') {
        size_t n = strcspn(rest + 1, "/");
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id - 1 ? n : sizeof id - 1), rest + 1);
        sub = rest + 1 + n;
    }
    int one = id[0] && !sub[0], coord = id[0] && strcmp(sub, "/coordination") == 0;
    if (!rest[0] && get) {
        uint32_t limit;
        const char *after;
        if (s_paging(r, 'M', &limit, &after, reply) != 0)
            return;
        Vn__MatchListReq list = VN__MATCH_LIST_REQ__INIT;
        list.after = (char *)after;
        list.limit = limit;
        Vn__ApiMatch m = VN__API_MATCH__INIT;
        m.op_case = VN__API_MATCH__OP_LIST;
        m.list = &list;
        s_match_call(r, &m, 0, reply);
    } else if ((one && get) || (coord && post)) {
        if (http__no_params(r, reply) != 0)
            return;
        if (!s_id_valid(id, 'M')) {
            http__problem_code(reply, "invalid-id", "a match id is M and 32 hexadecimal digits",
                               "een matchkenmerk is M en 32 hexadecimale cijfers");
            return;
        }
        if (coord) {
            s_coordination(r, id, reply);
            return;
        }
        Vn__ApiMatch m = VN__API_MATCH__INIT;
        m.op_case = VN__API_MATCH__OP_SHOW;
        m.show = id;
        s_match_call(r, &m, 1, reply);
    } else {
        int known = !rest[0] || one || coord;
        http__problem_code(reply, known ? "method-not-allowed" : "not-found",
                           "see /v1/openapi.json for the resources and their methods", NULL);
    }
}

/* ---- the vocabulary ---- */

void http__vocabulary(http_req_t *r, http_reply_t *reply)
{
    Vn__ApiVocabRequest q = VN__API_VOCAB_REQUEST__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_VOCAB;
    req.vocab = &q;
    Vn__ApiResponse *resp;
    if (http__no_params(r, reply) != 0 || http__call(r, &req, 5000, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_VOCAB)
        http__json(reply, 200, http__vocabulary_json(resp->vocab));
    else
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    vn__api_response__free_unpacked(resp, NULL);
}

/* ---- the policy: what we may send to whom ---- */

void http__policy(http_req_t *r, http_reply_t *reply)
{
    Vn__ApiPolicyQuery q = VN__API_POLICY_QUERY__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_POLICY;
    req.policy = &q;
    Vn__ApiResponse *resp;
    if (http__no_params(r, reply) != 0 || http__call(r, &req, SIGNAL_CALL_MS, &resp, reply) != 0)
        return;
    if (resp->body_case == VN__API_RESPONSE__BODY_POLICY)
        http__json(reply, 200, http__policy_json(resp->policy));
    else
        http__problem_code(reply, "internal-error", "unexpected answer", NULL);
    vn__api_response__free_unpacked(resp, NULL);
}
