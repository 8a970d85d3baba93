/* vn_client.c -- the agency client library: local API requests over a ZeroMQ DEALER. */
#include "vangnet/client.h"

#include <errno.h>
#include <sodium.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "vn_apiclient.h"
#include "vn_client_internal.h"
#include "vn_util.h"
#include "vn_wire.h"

#define REPLY_SLACK_MS 5000 /* how much longer than its own wait the agent may take to answer */

struct vn_client_inbox {
    Vn__ApiResponse *resp;
    vn_client_message_t *items;
    vn_client_field_t *fields;
    vn_client_match_t *matches;   /* one per item (used by match notices) */
    vn_client_card_t *cards;      /* one per item (used by contact cards) */
    vn_client_case_t *cases;      /* all items' cases */
    size_t n, n_cases;
};

#define s_fail client__fail
#define s_call client__call
#define s_expect client__expect

int client__fail(vn_client_t *c, int rc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    snprintf(c->code, sizeof c->code, "%s", code);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    return rc;
}

static void s_close_socket(vn_client_t *c)
{
    if (c->sock) {
        zmq_socket_monitor(c->sock, NULL, 0);
        zmq_close(c->sock);
    }
    if (c->monitor)
        zmq_close(c->monitor);
    c->sock = c->monitor = NULL;
}

static int s_open_socket(vn_client_t *c)
{
    int linger = 0;
    char mon[64];
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock)
        return -1;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (c->name[0]) {
        zmq_setsockopt(c->sock, ZMQ_PLAIN_USERNAME, c->name, strlen(c->name));
        zmq_setsockopt(c->sock, ZMQ_PLAIN_PASSWORD, c->secret, strlen(c->secret));
    }
    /* A refused handshake shows up here, so the caller hears "unauthenticated", not a timeout. */
    snprintf(mon, sizeof mon, "inproc://vn-client-monitor-%u", c->monitors++);
    if (zmq_socket_monitor(c->sock, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
        c->monitor = zmq_socket(c->ctx, ZMQ_PAIR);
        zmq_setsockopt(c->monitor, ZMQ_LINGER, &linger, sizeof linger);
        if (c->monitor && zmq_connect(c->monitor, mon) != 0) {
            zmq_close(c->monitor);
            c->monitor = NULL;
        }
    }
    return zmq_connect(c->sock, c->endpoint);
}

int vn_client_use_token_file(vn_client_t *self, const char *path)
{
    char err[512];
    int rc = vn_api_token_read(path, self->name, self->secret, err, sizeof err);
    if (rc != 0) {
        self->name[0] = '\0';
        sodium_memzero(self->secret, sizeof self->secret);
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", err);
    }
    s_close_socket(self);
    if (s_open_socket(self) != 0)
        return s_fail(self, VN_CLIENT_E_IO, "", "cannot connect to %.400s", self->endpoint);
    return 0;
}

/* Why no answer came: the agent refused this caller's handshake, or nothing answered. */
static int s_no_answer(vn_client_t *c, int auth_failed)
{
    s_close_socket(c); /* start afresh so a late answer cannot be mistaken for the next call's */
    s_open_socket(c);
    if (auth_failed)
        return s_fail(c, VN_CLIENT_E_AUTH, "unauthenticated",
                      "the agent at %.300s refused this caller%s", c->endpoint,
                      strncmp(c->endpoint, "tcp://", 6) == 0
                          ? (c->name[0] ? " (wrong credential)"
                                        : ": a tcp:// API needs a token file (--token-file)")
                          : "");
    return s_fail(c, VN_CLIENT_E_IO, "", "no answer from the agent at %.400s", c->endpoint);
}

vn_client_t *vn_client_new(const char *endpoint)
{
    if (!endpoint || strlen(endpoint) >= sizeof ((vn_client_t *)0)->endpoint)
        return NULL;
    vn_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    c->ctx = zmq_ctx_new();
    if (!c->ctx || s_open_socket(c) != 0) {
        vn_client_destroy(&c);
        return NULL;
    }
    return c;
}

void vn_client_destroy(vn_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vn_client_t *c = *self_p;
    s_close_socket(c);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    sodium_memzero(c->secret, sizeof c->secret);
    free(c);
    *self_p = NULL;
}

const char *vn_client_error(const vn_client_t *self)
{
    return self->error;
}

const char *vn_client_error_code(const vn_client_t *self)
{
    return self->code;
}

int client__call(vn_client_t *c, Vn__ApiRequest *req, uint32_t wait_ms, Vn__ApiResponse **out)
{
    uint8_t *buf;
    size_t len;
    c->error[0] = c->code[0] = '\0';
    /* ipc: the socket file's permissions decide; say so at once rather than time out. */
    if (strncmp(c->endpoint, "ipc://", 6) == 0 && access(c->endpoint + 6, R_OK | W_OK) != 0 &&
        errno == EACCES)
        return s_fail(c, VN_CLIENT_E_AUTH, "unauthenticated",
                      "not allowed to use the agent's socket %.300s (its owner and group only)",
                      c->endpoint + 6);
    if (vn_api_request_pack(req, &buf, &len) != 0)
        return s_fail(c, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
    int rc = zmq_send(c->sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(c->sock, buf, len, 0) < 0;
    free(buf);
    if (rc)
        return s_fail(c, VN_CLIENT_E_IO, "", "cannot send to the agent: %s", zmq_strerror(errno));
    zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->monitor, 0, ZMQ_POLLIN, 0}};
    int64_t deadline = vn_monotonic_ms() + (int64_t)wait_ms + REPLY_SLACK_MS;
    for (;;) {
        int64_t left = deadline - (int64_t)vn_monotonic_ms();
        if (left <= 0 || zmq_poll(items, c->monitor ? 2 : 1, (long)left) < 0)
            return s_no_answer(c, 0);
        if (items[0].revents & ZMQ_POLLIN)
            break;
        if (items[1].revents & ZMQ_POLLIN)
            return s_no_answer(c, 1);
    }
    zmq_msg_t delim, body;
    zmq_msg_init(&delim);
    zmq_msg_init(&body);
    zmq_msg_recv(&delim, c->sock, 0);
    int ok = zmq_msg_more(&delim) && zmq_msg_recv(&body, c->sock, 0) >= 0;
    rc = ok ? vn_api_response_unpack(zmq_msg_data(&body), zmq_msg_size(&body), out) : -1;
    zmq_msg_close(&delim);
    zmq_msg_close(&body);
    if (rc != 0)
        return s_fail(c, VN_CLIENT_E_PROTOCOL, "", "%s", "unreadable answer from the agent");
    if ((*out)->body_case == VN__API_RESPONSE__BODY_ERROR) {
        s_fail(c, VN_CLIENT_E_AGENT, (*out)->error->code, "%s", (*out)->error->message);
        vn__api_response__free_unpacked(*out, NULL);
        *out = NULL;
        return VN_CLIENT_E_AGENT;
    }
    return 0;
}

int client__expect(vn_client_t *c, Vn__ApiResponse *resp, Vn__ApiResponse__BodyCase want)
{
    if (resp->body_case == want)
        return 0;
    vn__api_response__free_unpacked(resp, NULL);
    return s_fail(c, VN_CLIENT_E_PROTOCOL, "", "%s", "unexpected answer from the agent");
}

/* Copy an agent's submit result (or outcome) into the caller's struct. */
static void s_result(const Vn__ApiSubmitResult *r, vn_client_result_t *result)
{
    memset(result, 0, sizeof *result);
    result->outcome = (vn_client_outcome_t)r->outcome;
    if (r->message_id.len == 16)
        vn_hex(result->message_id, r->message_id.data, 16);
    result->audit_seq = r->audit_seq;
    if (r->audit_hash.len == 32)
        vn_hex(result->audit_hash, r->audit_hash.data, 32);
    snprintf(result->code, sizeof result->code, "%s", r->code);
    snprintf(result->reason, sizeof result->reason, "%s", r->reason);
    snprintf(result->reason_nl, sizeof result->reason_nl, "%s", r->reason_nl);
    result->repeated = r->repeated;
    result->submitted = r->submitted;
    result->decided = r->decided;
    /* A match:ID submit's (or an outcome query by its client_ref): one verdict per participant */
    for (size_t i = 0; i < r->n_per_recipient && i < 32; i++) {
        const Vn__ApiSubmitResult *p = r->per_recipient[i];
        snprintf(result->per_recipient[i].recipient, sizeof result->per_recipient[i].recipient,
                 "%s", p->recipient);
        result->per_recipient[i].outcome = (vn_client_outcome_t)p->outcome;
        if (p->message_id.len == 16)
            vn_hex(result->per_recipient[i].message_id, p->message_id.data, 16);
        result->per_recipient[i].audit_seq = p->audit_seq;
        snprintf(result->per_recipient[i].code, sizeof result->per_recipient[i].code, "%s",
                 p->code);
        snprintf(result->per_recipient[i].reason, sizeof result->per_recipient[i].reason, "%s",
                 p->reason);
        result->n_per_recipient = i + 1;
    }
}

int vn_client_submit(vn_client_t *self, const vn_client_notification_t *n, uint32_t wait_ms,
                     vn_client_result_t *result)
{
    if (!n || !n->to || n->n_to == 0 || n->n_to > 32 || n->n_fields > 32 ||
        (n->content_len && !n->content))
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "invalid notification");
    Vn__ApiJustification just[32], *jp[32];
    for (size_t i = 0; i < n->n_fields; i++) {
        vn__api_justification__init(&just[i]);
        just[i].key = (char *)n->fields[i].key;
        just[i].value = (char *)n->fields[i].value;
        jp[i] = &just[i];
    }
    Vn__ApiSubmit s = VN__API_SUBMIT__INIT;
    s.n_to = n->n_to;
    s.to = (char **)n->to;
    if (n->subject_bsn)
        s.subject_bsn = (char *)n->subject_bsn;
    s.anonymous = n->subject_bsn == NULL;
    s.category = (char *)(n->category ? n->category : "");
    s.basis = (char *)(n->basis ? n->basis : "");
    s.n_justification = n->n_fields;
    s.justification = jp;
    s.user_id = (char *)(n->user_id ? n->user_id : "");
    s.user_role = (char *)(n->user_role ? n->user_role : "");
    s.content = (ProtobufCBinaryData){n->content_len, (uint8_t *)n->content};
    s.expires_in = n->expires_in;
    s.wait_ms = wait_ms;
    if (n->client_ref_len > 64 || (n->client_ref_len && !n->client_ref))
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "client_ref is longer than 64 bytes");
    s.client_ref = (ProtobufCBinaryData){n->client_ref_len, (uint8_t *)n->client_ref};
    if (n->subject_name)
        s.subject_name = (char *)n->subject_name;
    if (n->subject_birth_date)
        s.subject_birth_date = (char *)n->subject_birth_date;
    if (n->media_type)
        s.media_type = (char *)n->media_type;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_SUBMIT;
    req.submit = &s;
    Vn__ApiResponse *resp;
    int rc = s_call(self, &req, wait_ms, &resp);
    if (rc != 0 || (rc = s_expect(self, resp, VN__API_RESPONSE__BODY_SUBMIT)) != 0)
        return rc;
    s_result(resp->submit, result);
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

int vn_client_outcome(vn_client_t *self, const char *message_id, const void *client_ref,
                      size_t client_ref_len, uint32_t wait_ms, vn_client_result_t *result)
{
    uint8_t id[16];
    Vn__ApiOutcomeQuery q = VN__API_OUTCOME_QUERY__INIT;
    if ((message_id != NULL) == (client_ref_len != 0) || client_ref_len > 64 ||
        (client_ref_len && !client_ref))
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s",
                      "give either a message id or a client_ref (up to 64 bytes)");
    if (message_id) {
        if (vn_unhex(id, 16, message_id) != 0)
            return s_fail(self, VN_CLIENT_E_INVALID, "", "%s",
                          "a message id is 32 hexadecimal digits");
        q.message_id = (ProtobufCBinaryData){16, id};
    } else {
        q.client_ref = (ProtobufCBinaryData){client_ref_len, (uint8_t *)client_ref};
    }
    q.wait_ms = wait_ms;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_OUTCOME;
    req.outcome = &q;
    Vn__ApiResponse *resp;
    int rc = s_call(self, &req, wait_ms, &resp);
    if (rc != 0 || (rc = s_expect(self, resp, VN__API_RESPONSE__BODY_OUTCOME)) != 0)
        return rc;
    s_result(resp->outcome, result);
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

int vn_client_fetch(vn_client_t *self, uint32_t wait_ms, uint32_t max, vn_client_inbox_t **out)
{
    return vn_client_fetch_from(self, NULL, wait_ms, max, out);
}

int vn_client_fetch_from(vn_client_t *self, const char *from, uint32_t wait_ms, uint32_t max,
                         vn_client_inbox_t **out)
{
    *out = NULL;
    Vn__ApiFetch f = VN__API_FETCH__INIT;
    f.wait_ms = from && from[0] ? 0 : wait_ms;
    f.max = max;
    f.from_org = (char *)(from ? from : "");
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_FETCH;
    req.fetch = &f;
    Vn__ApiResponse *resp;
    int rc = s_call(self, &req, wait_ms, &resp);
    if (rc != 0 || (rc = s_expect(self, resp, VN__API_RESPONSE__BODY_INBOX)) != 0)
        return rc;
    vn_client_inbox_t *in = calloc(1, sizeof *in);
    size_t n = resp->inbox->n_notifications, n_fields = 0, n_cases = 0;
    for (size_t i = 0; i < n; i++) {
        n_fields += resp->inbox->notifications[i]->n_justification;
        n_cases += resp->inbox->notifications[i]->n_cases;
    }
    if (in) {
        in->items = calloc(n + 1, sizeof *in->items);
        in->fields = calloc(n_fields + 1, sizeof *in->fields);
        in->matches = calloc(n + 1, sizeof *in->matches);
        in->cards = calloc(n + 1, sizeof *in->cards);
        in->cases = calloc(n_cases + 1, sizeof *in->cases);
    }
    if (!in || !in->items || !in->fields || !in->matches || !in->cards || !in->cases) {
        if (in) {
            free(in->items);
            free(in->fields);
            free(in->matches);
            free(in->cards);
            free(in->cases);
        }
        free(in);
        vn__api_response__free_unpacked(resp, NULL);
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
    }
    in->resp = resp;
    in->n = n;
    vn_client_field_t *field = in->fields;
    vn_client_case_t *cs = in->cases;
    in->n_cases = n_cases;
    for (size_t i = 0; i < n; i++) {
        const Vn__ApiNotification *a = resp->inbox->notifications[i];
        vn_client_message_t *m = &in->items[i];
        vn_hex(m->message_id, a->message_id.data, 16);
        m->sender = a->sender;
        m->sender_sector = a->sender_sector;
        m->category = a->category;
        m->basis = a->basis;
        m->fields = field;
        m->n_fields = a->n_justification;
        for (size_t j = 0; j < a->n_justification; j++, field++) {
            field->key = a->justification[j]->key;
            field->value = a->justification[j]->value;
        }
        if (a->subject_pseudonym.len == 32)
            vn_hex(m->subject, a->subject_pseudonym.data, 32);
        m->created = a->created;
        m->expires = a->expires;
        m->received = a->received;
        m->user_id = a->user_id;
        m->user_role = a->user_role;
        m->content = a->content.data;
        m->content_len = a->content.len;
        m->notice_code = a->notice_code;
        m->notice_reason = a->notice_reason;
        m->notice_recipient = a->notice_recipient;
        if (a->about_message_id.len == 16)
            vn_hex(m->about_message_id, a->about_message_id.data, 16);
        m->sender_revoked = a->sender_revoked;
        m->subject_bsn = a->subject_bsn;
        m->subject_name = a->subject_name;
        m->subject_birth_date = a->subject_birth_date;
        m->media_type = a->media_type;
        m->match_id = a->match_id;
        m->match_event = a->match_notice ? a->match_notice->event : "";
        m->match_audit_seq = a->match_notice ? a->match_notice->audit_seq : 0;
        m->inbox_seq = a->inbox_seq;
        if (a->match_notice && a->match_notice->match &&
            client__match_fill(&in->matches[i], a->match_notice->match, a->cases, a->n_cases,
                               NULL, NULL, 0) == 0)
            m->match = &in->matches[i];
        if (a->contact_card) {
            client__card_copy(&in->cards[i], a->contact_card, a->sender);
            m->card = &in->cards[i];
        }
        m->cases = cs;
        m->n_cases = a->n_cases;
        for (size_t j = 0; j < a->n_cases; j++)
            client__case_copy(cs++, a->cases[j]);
    }
    *out = in;
    return 0;
}

size_t vn_client_inbox_count(const vn_client_inbox_t *inbox)
{
    return inbox ? inbox->n : 0;
}

const vn_client_message_t *vn_client_inbox_get(const vn_client_inbox_t *inbox, size_t i)
{
    return inbox && i < inbox->n ? &inbox->items[i] : NULL;
}

void vn_client_inbox_destroy(vn_client_inbox_t **inbox_p)
{
    if (!inbox_p || !*inbox_p)
        return;
    vn_client_inbox_t *in = *inbox_p;
    for (size_t i = 0; i < in->n; i++)
        client__match_clear(&in->matches[i]);
    vn__api_response__free_unpacked(in->resp, NULL);
    free(in->items);
    free(in->fields);
    free(in->matches);
    free(in->cards);
    memset(in->cases, 0, in->n_cases * sizeof *in->cases); /* they hold BSNs */
    free(in->cases);
    free(in);
    *inbox_p = NULL;
}

int vn_client_ack(vn_client_t *self, const char *message_id)
{
    uint8_t id[16];
    if (vn_unhex(id, 16, message_id) != 0)
        return s_fail(self, VN_CLIENT_E_INVALID, "invalid-message-id",
                      "'%s' is not a message id (32 hexadecimal digits)", message_id ? message_id : "");
    Vn__ApiAck ack = VN__API_ACK__INIT;
    ack.message_id = (ProtobufCBinaryData){16, id};
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_ACK;
    req.ack = &ack;
    Vn__ApiResponse *resp;
    int rc = s_call(self, &req, 0, &resp);
    if (rc != 0 || (rc = s_expect(self, resp, VN__API_RESPONSE__BODY_ACKED)) != 0)
        return rc;
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

int vn_client_status(vn_client_t *self, vn_client_status_t *st)
{
    Vn__ApiStatus s = VN__API_STATUS__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_STATUS;
    req.status = &s;
    Vn__ApiResponse *resp;
    int rc = s_call(self, &req, 0, &resp);
    if (rc != 0 || (rc = s_expect(self, resp, VN__API_RESPONSE__BODY_STATUS)) != 0)
        return rc;
    memset(st, 0, sizeof *st);
    snprintf(st->org, sizeof st->org, "%s", resp->status->org);
    st->connected = resp->status->connected;
    st->outbox_pending = resp->status->outbox_pending;
    st->held_pending = resp->status->held_pending;
    st->inbox_pending = resp->status->inbox_pending;
    st->directory_generation = resp->status->directory_generation;
    st->directory_orgs = resp->status->directory_orgs;
    st->sent = resp->status->sent;
    st->received = resp->status->received;
    st->checkpoint_size = resp->status->checkpoint_size;
    st->log_inconsistent = resp->status->log_inconsistent;
    st->revoked = resp->status->revoked;
    snprintf(st->caller, sizeof st->caller, "%s", resp->status->caller);
    snprintf(st->disconnect_reason, sizeof st->disconnect_reason, "%s",
             resp->status->disconnect_reason);
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

static void s_join(char *out, size_t len, char *const *items, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", items[i]);
}

static void s_consent_copy(vn_client_consent_record_t *out, const Vn__ApiConsentRecord *r)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", r->id);
    snprintf(out->subject, sizeof out->subject, "%s", r->subject);
    snprintf(out->given_by, sizeof out->given_by, "%s", r->given_by);
    s_join(out->recipients, sizeof out->recipients, r->recipients, r->n_recipients);
    s_join(out->categories, sizeof out->categories, r->categories, r->n_categories);
    snprintf(out->purpose, sizeof out->purpose, "%s", r->purpose);
    out->valid_from = r->valid_from;
    out->expires = r->expires;
    out->withdrawn = r->withdrawn;
    out->registered = r->registered;
}

/* Send a consent operation; on success *resp holds a consent result (free it). */
static int s_consent_call(vn_client_t *c, Vn__ApiConsent *op, Vn__ApiResponse **resp)
{
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_CONSENT;
    req.consent = op;
    int rc = s_call(c, &req, 10000, resp);
    if (rc == 0)
        rc = s_expect(c, *resp, VN__API_RESPONSE__BODY_CONSENT);
    return rc;
}

static int s_consent_one(vn_client_t *c, Vn__ApiConsent *op, vn_client_consent_record_t *out)
{
    Vn__ApiResponse *resp;
    int rc = s_consent_call(c, op, &resp);
    if (rc != 0)
        return rc;
    if (resp->consent->n_records != 1) {
        vn__api_response__free_unpacked(resp, NULL);
        return s_fail(c, VN_CLIENT_E_PROTOCOL, "", "%s", "unexpected answer from the agent");
    }
    s_consent_copy(out, resp->consent->records[0]);
    vn__api_response__free_unpacked(resp, NULL);
    return 0;
}

int vn_client_consent_add(vn_client_t *self, const vn_client_consent_t *c,
                          vn_client_consent_record_t *out)
{
    if (!c || !c->subject_bsn || !c->given_by || !c->purpose || !c->n_recipients ||
        !c->n_categories)
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "incomplete consent");
    Vn__ApiConsentAdd add = VN__API_CONSENT_ADD__INIT;
    add.subject_bsn = (char *)c->subject_bsn;
    add.given_by = (char *)c->given_by;
    add.n_recipients = c->n_recipients;
    add.recipients = (char **)c->recipients;
    add.n_categories = c->n_categories;
    add.categories = (char **)c->categories;
    add.purpose = (char *)c->purpose;
    add.valid_from = c->valid_from;
    add.expires = c->expires;
    Vn__ApiConsent op = VN__API_CONSENT__INIT;
    op.op_case = VN__API_CONSENT__OP_ADD;
    op.add = &add;
    return s_consent_one(self, &op, out);
}

int vn_client_consent_withdraw(vn_client_t *self, const char *id, vn_client_consent_record_t *out)
{
    if (!id || !id[0])
        return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "no consent id");
    Vn__ApiConsent op = VN__API_CONSENT__INIT;
    op.op_case = VN__API_CONSENT__OP_WITHDRAW;
    op.withdraw = (char *)id;
    return s_consent_one(self, &op, out);
}

int vn_client_consent_list(vn_client_t *self, const char *subject_bsn,
                           vn_client_consent_record_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    Vn__ApiConsent op = VN__API_CONSENT__INIT;
    if (subject_bsn) {
        op.op_case = VN__API_CONSENT__OP_LIST_SUBJECT_BSN;
        op.list_subject_bsn = (char *)subject_bsn;
    } else {
        op.op_case = VN__API_CONSENT__OP_LIST_ALL;
        op.list_all = 1;
    }
    /* The broker answers a page at a time (at most 100): follow `next` to the end. */
    vn_client_consent_record_t *list = NULL;
    size_t count = 0;
    char after[64] = "";
    for (;;) {
        op.after = after;
        Vn__ApiResponse *resp;
        int rc = s_consent_call(self, &op, &resp);
        if (rc != 0) {
            free(list);
            return rc;
        }
        size_t page = resp->consent->n_records;
        vn_client_consent_record_t *more = realloc(list, (count + page + 1) * sizeof *more);
        if (!more) {
            vn__api_response__free_unpacked(resp, NULL);
            free(list);
            return s_fail(self, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
        }
        list = more;
        memset(&list[count], 0, (page + 1) * sizeof *list);
        for (size_t i = 0; i < page; i++)
            s_consent_copy(&list[count++], resp->consent->records[i]);
        const char *next = resp->consent->next;
        int done = !next[0] || strlen(next) >= sizeof after || strcmp(next, after) == 0;
        snprintf(after, sizeof after, "%s", next);
        vn__api_response__free_unpacked(resp, NULL);
        if (done || page == 0)
            break;
    }
    *out = list;
    *n = count;
    return 0;
}
