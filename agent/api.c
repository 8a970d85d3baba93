/* api.c -- the local API for agency IT systems: [routing][empty][ApiRequest] on a ROUTER socket. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void agent__api_error(agent_t *a, const uint8_t *routing, size_t routing_len, const char *code,
                      const char *message)
{
    agent__api_error_nl(a, routing, routing_len, code, message, "");
}

void agent__api_error_nl(agent_t *a, const uint8_t *routing, size_t routing_len, const char *code,
                         const char *message, const char *message_nl)
{
    Vn__ApiError e = VN__API_ERROR__INIT;
    e.code = (char *)code;
    e.message = (char *)message;
    e.message_nl = (char *)(message_nl ? message_nl : "");
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_ERROR;
    resp.error = &e;
    agent__reply_after_commit(a, routing, routing_len, &resp);
}

static void s_status(agent_t *a, const uint8_t *routing, size_t routing_len)
{
    Vn__ApiStatusResult st = VN__API_STATUS_RESULT__INIT;
    MDB_txn *txn = agent__txn(a); /* sees this turn's uncommitted changes, answered after commit */
    if (txn) {
        MDB_stat ms;
        if (mdb_stat(txn, vn_store_dbi(a->db, ADB_OUTBOX), &ms) == 0)
            st.outbox_pending = ms.ms_entries;
        if (mdb_stat(txn, vn_store_dbi(a->db, ADB_INBOX), &ms) == 0)
            st.inbox_pending = ms.ms_entries;
        st.held_pending = agent__hold_count(a);
    }
    st.org = a->keys->pub.org;
    st.connected = a->connected;
    st.directory_generation = a->dir ? a->dir->generation : 0;
    st.directory_orgs = a->dir ? (uint32_t)a->dir->n_orgs : 0;
    st.sent = a->n_sent;
    st.received = a->n_received;
    st.inbox_items = a->n_inbox_items;
    st.checkpoint_size = a->cp_size;
    st.log_inconsistent = a->log_inconsistent;
    st.max_content_bytes = AGENT_MAX_CONTENT;
    st.revoked = a->link == AGENT_LINK_REVOKED;
    st.caller = a->api_caller;
    st.disconnect_reason = (char *)a->disconnect_reason; /* "" while up (link.c) */
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_STATUS;
    resp.status = &st;
    agent__reply_after_commit(a, routing, routing_len, &resp);
}

static void s_directory(agent_t *a, const uint8_t *routing, size_t routing_len)
{
    size_t n = a->dir ? a->dir->n_orgs : 0;
    Vn__ApiDirectoryEntry *e = calloc(n ? n : 1, sizeof *e);
    Vn__ApiDirectoryEntry **list = calloc(n ? n : 1, sizeof *list);
    if (!e || !list) {
        free(e);
        free(list);
        agent__api_error(a, routing, routing_len, "storage-error", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Vn__OrgEntry *o = a->dir->orgs[i];
        vn__api_directory_entry__init(&e[i]);
        e[i].id = o->id;
        e[i].sector = o->sector;
        e[i].revoked = o->revoked;
        e[i].added = o->added;
        e[i].rotated = o->rotated;
        /* the broker's signed directory; still bounded before it reaches an IT system */
        e[i].display_name = vn_field_valid(o->display_name, 128) ? o->display_name : "";
        list[i] = &e[i];
    }
    Vn__ApiDirectoryResult d = VN__API_DIRECTORY_RESULT__INIT;
    d.generation = a->dir ? a->dir->generation : 0;
    d.n_orgs = n;
    d.orgs = list;
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_DIRECTORY;
    resp.directory = &d;
    agent__reply_after_commit(a, routing, routing_len, &resp); /* packed now, freed after */
    free(list);
    free(e);
}

/* 1 if the request came over the agent's own in-process connection from its HTTP API. */
static int s_from_http(const agent_t *a, const uint8_t *routing, size_t routing_len)
{
    return routing_len == AGENT_HTTP_ROUTING_LEN &&
           sodium_memcmp(routing, a->http_secret, sizeof a->http_secret) == 0;
}

/* Handle one request if one is waiting. Returns 1 if it handled one, 0 if none waited. */
static int s_handle_one(agent_t *a)
{
    zmq_msg_t frames[3];
    int n = 0, more = 1;
    for (; n < 3 && more; n++) {
        zmq_msg_init(&frames[n]);
        if (zmq_msg_recv(&frames[n], a->api, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&frames[n]);
            return 0;
        }
        more = zmq_msg_more(&frames[n]);
    }
    while (more) { /* a client sending extra frames gets an error, the rest is dropped */
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        zmq_msg_recv(&junk, a->api, 0);
        more = zmq_msg_more(&junk);
        zmq_msg_close(&junk);
        n = 4;
    }
    const uint8_t *routing = zmq_msg_data(&frames[0]);
    size_t routing_len = zmq_msg_size(&frames[0]);
    int from_http = s_from_http(a, routing, routing_len);
    Vn__ApiRequest *req = NULL;
    if (routing_len > ROUTING_MAX) {
        /* cannot answer an id we cannot store */
    } else if (n != 3 || zmq_msg_size(&frames[1]) != 0) {
        agent__api_error(a, routing, routing_len, "malformed-request",
                         "expected [empty delimiter][ApiRequest]");
    } else if (!from_http && (!zmq_msg_gets(&frames[2], "User-Id") ||
                              !zmq_msg_gets(&frames[2], "User-Id")[0])) {
        /* cannot happen: the ZAP handler admitted no caller without a name */
        agent__api_error(a, routing, routing_len, "unauthenticated", "caller not authenticated");
    } else {
        /* The HTTP API's in-process connection has no ZAP handshake: it names its API client
         * (authenticated by token there) in the request, as "http:NAME". */
        if (!from_http)
            snprintf(a->api_caller, sizeof a->api_caller, "%s", zmq_msg_gets(&frames[2], "User-Id"));
        int rc = vn_api_request_unpack(zmq_msg_data(&frames[2]), zmq_msg_size(&frames[2]), &req);
        if (rc == 0 && from_http)
            snprintf(a->api_caller, sizeof a->api_caller, "http:%s", req->api_client);
        if (rc != 0) {
            agent__api_error(a, routing, routing_len,
                             rc == VN_E_VERSION ? "unsupported-version" : "malformed-request",
                             rc == VN_E_VERSION ? "API version not supported"
                                                : "request could not be decoded");
        } else if (req->api_client[0] && !from_http) {
            agent__api_error(a, routing, routing_len, "malformed-request",
                             "api_client is set by the agent's HTTP API only");
        } else if (a->link == AGENT_LINK_REVOKED && (req->body_case == VN__API_REQUEST__BODY_SUBMIT ||
                                  req->body_case == VN__API_REQUEST__BODY_SIGNAL ||
                                  req->body_case == VN__API_REQUEST__BODY_MATCH)) {
            agent__api_error(a, routing, routing_len, "org-revoked",
                             "this organisation was revoked by the broker operator");
        } else {
            a->api_client = req->api_client; /* for this request's handlers and log lines */
            switch (req->body_case) {
            case VN__API_REQUEST__BODY_SUBMIT: agent__submit(a, routing, routing_len, req->submit); break;
            case VN__API_REQUEST__BODY_FETCH: agent__fetch(a, routing, routing_len, req->fetch); break;
            case VN__API_REQUEST__BODY_ACK: agent__ack(a, routing, routing_len, req->ack); break;
            case VN__API_REQUEST__BODY_STATUS: s_status(a, routing, routing_len); break;
            case VN__API_REQUEST__BODY_CONSENT: agent__consent(a, routing, routing_len, req->consent); break;
            case VN__API_REQUEST__BODY_DIRECTORY: s_directory(a, routing, routing_len); break;
            case VN__API_REQUEST__BODY_OUTCOME: agent__outcome_query(a, routing, routing_len, req->outcome); break;
            case VN__API_REQUEST__BODY_SIGNAL: agent__signal(a, routing, routing_len, req->signal); break;
            case VN__API_REQUEST__BODY_MATCH: agent__match(a, routing, routing_len, req->match); break;
            case VN__API_REQUEST__BODY_VOCAB: agent__vocab(a, routing, routing_len); break;
            case VN__API_REQUEST__BODY_POLICY: agent__policy_query(a, routing, routing_len); break;
            case VN__API_REQUEST__BODY_AUDIT_MINE:
                agent__audit_mine(a, routing, routing_len, req->audit_mine);
                break;
            default: agent__api_error(a, routing, routing_len, "malformed-request", "no body");
            }
            a->api_client = "";
        }
    }
    if (req)
        vn__api_request__free_unpacked(req, NULL);
    for (int i = 0; i < n && i < 3; i++)
        zmq_msg_close(&frames[i]);
    return 1;
}

void agent__api_handle(agent_t *a)
{
    for (int i = 0; i < 256 && s_handle_one(a); i++)
        ;
}
