/* consent.c -- the agent's side of consent records: the IT system registers, withdraws or lists
 * consents; the agent pseudonymises the BSN, asks the broker and answers with what it said. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CONSENT_WAIT_MS 10000

static void s_forward(agent_t *a, const uint8_t *routing, size_t routing_len,
                      Vn__ConsentRequest *req)
{
    if (!a->connected) {
        agent__api_error(a, routing, routing_len, "broker-unreachable",
                         "consents are registered at the broker, which is not reachable now");
        return;
    }
    uint8_t id[16];
    randombytes_buf(id, sizeof id);
    req->request_id = (ProtobufCBinaryData){16, id};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST;
    m.consent_request = req;
    if (agent__send_broker(a, &m) != 0) {
        agent__api_error(a, routing, routing_len, "broker-unreachable", "could not send");
        return;
    }
    waiter_t *w = agent__waiter_add(&a->consents, &a->n_consents, routing, routing_len);
    if (w) {
        memcpy(w->msgid, id, VN_MSGID_BYTES);
        w->deadline_ms = vn_monotonic_ms() + CONSENT_WAIT_MS;
    }
}

void agent__consent(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiConsent *c)
{
    Vn__ConsentRequest req = VN__CONSENT_REQUEST__INIT;
    Vn__ConsentRecord rec = VN__CONSENT_RECORD__INIT;
    uint8_t pseudonym[32];
    const char *code = NULL;
    char msg[400];
    int rc;
    switch (c->op_case) {
    case VN__API_CONSENT__OP_ADD:
        if ((rc = agent__pseudonym(a, "consent", c->add->subject_bsn, pseudonym, &code, msg,
                                   sizeof msg)) != 0) {
            agent__api_error(a, routing, routing_len, code, msg);
            return;
        }
        rec.subject_pseudonym = (ProtobufCBinaryData){32, pseudonym};
        rec.subject_pseudonym_version = a->pseudonyms_v1 ? 1 : 2;
        rec.given_by = c->add->given_by;
        rec.n_recipients = c->add->n_recipients;
        rec.recipients = c->add->recipients;
        rec.n_categories = c->add->n_categories;
        rec.categories = c->add->categories;
        rec.purpose = c->add->purpose;
        rec.valid_from = c->add->valid_from ? c->add->valid_from : vn_now();
        rec.expires = c->add->expires;
        req.op_case = VN__CONSENT_REQUEST__OP_ADD;
        req.add = &rec;
        break;
    case VN__API_CONSENT__OP_WITHDRAW:
        req.op_case = VN__CONSENT_REQUEST__OP_WITHDRAW;
        req.withdraw = c->withdraw;
        break;
    case VN__API_CONSENT__OP_LIST_SUBJECT_BSN:
        if ((rc = agent__pseudonym(a, "consent", c->list_subject_bsn, pseudonym, &code, msg,
                                   sizeof msg)) != 0) {
            agent__api_error(a, routing, routing_len, code, msg);
            return;
        }
        req.op_case = VN__CONSENT_REQUEST__OP_LIST_SUBJECT;
        req.list_subject = (ProtobufCBinaryData){32, pseudonym};
        break;
    case VN__API_CONSENT__OP_LIST_ALL:
        req.op_case = VN__CONSENT_REQUEST__OP_LIST_ALL;
        req.list_all = 1;
        break;
    default:
        agent__api_error(a, routing, routing_len, "malformed-request", "no consent operation");
        return;
    }
    req.after = c->after;
    req.limit = c->limit;
    s_forward(a, routing, routing_len, &req);
    sodium_memzero(pseudonym, sizeof pseudonym);
}

void agent__on_consent_response(agent_t *a, const Vn__ConsentResponse *resp)
{
    waiter_t *w = NULL;
    size_t i = 0;
    for (; resp->request_id.len == 16 && i < a->n_consents; i++)
        if (memcmp(a->consents[i].msgid, resp->request_id.data, VN_MSGID_BYTES) == 0) {
            w = &a->consents[i];
            break;
        }
    if (!w)
        return; /* the IT system stopped waiting */
    if (resp->code[0]) {
        agent__api_error(a, w->routing, w->routing_len, resp->code, resp->reason);
    } else {
        Vn__ApiConsentRecord *recs = calloc(resp->n_records + 1, sizeof *recs);
        Vn__ApiConsentRecord **ptrs = calloc(resp->n_records + 1, sizeof *ptrs);
        char (*hex)[65] = calloc(resp->n_records + 1, sizeof *hex);
        for (size_t r = 0; recs && ptrs && hex && r < resp->n_records; r++) {
            const Vn__ConsentRecord *c = resp->records[r];
            vn__api_consent_record__init(&recs[r]);
            recs[r].id = c->id;
            if (c->subject_pseudonym.len == 32)
                vn_hex(hex[r], c->subject_pseudonym.data, 32);
            recs[r].subject = hex[r];
            recs[r].given_by = c->given_by;
            recs[r].n_recipients = c->n_recipients;
            recs[r].recipients = c->recipients;
            recs[r].n_categories = c->n_categories;
            recs[r].categories = c->categories;
            recs[r].purpose = c->purpose;
            recs[r].valid_from = c->valid_from;
            recs[r].expires = c->expires;
            recs[r].withdrawn = c->withdrawn;
            recs[r].registered = c->registered;
            ptrs[r] = &recs[r];
        }
        Vn__ApiConsentResult result = VN__API_CONSENT_RESULT__INIT;
        result.n_records = recs && ptrs && hex ? resp->n_records : 0;
        result.records = ptrs;
        result.next = resp->next;
        Vn__ApiResponse out = VN__API_RESPONSE__INIT;
        out.body_case = VN__API_RESPONSE__BODY_CONSENT;
        out.consent = &result;
        agent__reply_after_commit(a, w->routing, w->routing_len, &out);
        free(recs);
        free(ptrs);
        free(hex);
    }
    a->consents[i] = a->consents[--a->n_consents];
}

void agent__consent_timeouts(agent_t *a, uint64_t now_ms)
{
    for (size_t i = 0; i < a->n_consents;) {
        if (a->consents[i].deadline_ms > now_ms) {
            i++;
            continue;
        }
        agent__api_error(a, a->consents[i].routing, a->consents[i].routing_len, "timeout",
                         "no answer from the broker");
        a->consents[i] = a->consents[--a->n_consents];
    }
}
