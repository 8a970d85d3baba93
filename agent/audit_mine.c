/* audit_mine.c -- the agency's privacy officer asks the broker, through this agent, for the audit
 * records in which this organisation is the actor or a recipient, optionally about one subject
 * (its pseudonym from the pseudonym service, purpose "audit"; during a migration its v1 one too):
 * a delegated query over the agent's own CURVE session, so the officer needs neither the broker's
 * store nor a network key. The broker answers only with this organisation's records. */
#include "agent.h"
#include "signal_waiter.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void agent__audit_mine(agent_t *a, const uint8_t *routing, size_t routing_len,
                       const Vn__ApiAuditMine *q)
{
    uint8_t subject[32], subject_v1[32];
    Vn__AuditMineRequest req = VN__AUDIT_MINE_REQUEST__INIT;
    if (q->max > 100 || !vn_field_valid(q->user_id, 128)) {
        agent__api_error(a, routing, routing_len, "invalid-field",
                         "a page holds 1 to 100 records; the officer's user id is required");
        return;
    }
    if (q->subject_bsn[0]) {
        const char *code = NULL;
        char msg[400];
        if (agent__pseudonym(a, "audit", q->subject_bsn, subject, &code, msg, sizeof msg) != 0) {
            agent__api_error(a, routing, routing_len, code, msg);
            return;
        }
        req.subject = (ProtobufCBinaryData){32, subject};
        /* records made before this agent moved to the pseudonym service carry the v1 one */
        if (!a->pseudonyms_v1 && a->cfg.pseudonym_key[0] &&
            vn_pseudonym(subject_v1, q->subject_bsn, a->pseudonym_key) == 0)
            req.subject_also = (ProtobufCBinaryData){32, subject_v1};
    }
    req.after_seq = q->after_seq;
    req.max = q->max;
    req.user_id = q->user_id;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST;
    m.audit_mine_request = &req;
    agent__signal_send(a, routing, routing_len, SW_AUDIT_MINE, &m, &req.request_id);
    sodium_memzero(subject, sizeof subject);
    sodium_memzero(subject_v1, sizeof subject_v1);
}

void agent__on_audit_mine_response(agent_t *a, const Vn__AuditMineResponse *resp)
{
    size_t w = agent__signal_waiter_find(a, &resp->request_id);
    if (w == a->n_signal_waiters || a->signal_waiters[w].op != SW_AUDIT_MINE)
        return; /* the officer stopped waiting */
    const waiter_t *wt = &a->signal_waiters[w].w;
    if (resp->code[0]) {
        agent__api_error(a, wt->routing, wt->routing_len, resp->code, resp->reason);
    } else {
        Vn__ApiAuditMineResult r = VN__API_AUDIT_MINE_RESULT__INIT;
        r.n_records = resp->n_records;
        r.records = resp->records;
        r.next_after = resp->next_after;
        r.more = resp->more;
        Vn__ApiResponse out = VN__API_RESPONSE__INIT;
        out.body_case = VN__API_RESPONSE__BODY_AUDIT_MINE;
        out.audit_mine = &r;
        agent__reply_after_commit(a, wt->routing, wt->routing_len, &out);
        vn_info("event=audit-read records=%zu more=%s", resp->n_records, resp->more ? "yes" : "no");
    }
    agent__signal_waiter_remove(a, w);
}
