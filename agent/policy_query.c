/* policy_query.c -- what this organisation may send: the IT system asks (GET /v1/policy), the
 * agent asks the broker for the rules it enforces and answers with the bases our sector may use,
 * each with the recipient organisations of the directory it allows and the fields it needs. */
#include "agent.h"
#include "signal_waiter.h"
#include "vn_log.h"

#include <stdlib.h>
#include <string.h>

/* 1 if item is in list (or list holds "*"). */
static int s_has(char *const *list, size_t n, const char *item)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], "*") == 0 || strcmp(list[i], item) == 0)
            return 1;
    return 0;
}

void agent__policy_query(agent_t *a, const uint8_t *routing, size_t routing_len)
{
    Vn__PolicyRequest req = VN__POLICY_REQUEST__INIT;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_POLICY_REQUEST;
    m.policy_request = &req;
    agent__signal_send(a, routing, routing_len, SW_POLICY, &m, &req.request_id);
}

void agent__on_policy_response(agent_t *a, const Vn__PolicyResponse *resp)
{
    size_t w = agent__signal_waiter_find(a, &resp->request_id);
    if (w == a->n_signal_waiters || a->signal_waiters[w].op != SW_POLICY)
        return; /* the IT system stopped waiting */
    const Vn__OrgEntry *self = agent__directory_find(a, a->keys->pub.org);
    const char *sector = self ? self->sector : "";
    size_t n = resp->n_bases, n_orgs = a->dir ? a->dir->n_orgs : 0;
    Vn__ApiPolicyBasis *bases = calloc(n ? n : 1, sizeof *bases);
    Vn__ApiPolicyBasis **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    char **orgs = calloc((n ? n : 1) * (n_orgs ? n_orgs : 1), sizeof *orgs);
    Vn__ApiPolicyResult result = VN__API_POLICY_RESULT__INIT;
    result.sector = (char *)sector;
    if (!bases || !ptrs || !orgs) {
        agent__api_error(a, a->signal_waiters[w].w.routing, a->signal_waiters[w].w.routing_len,
                         "storage-error", "out of memory");
        goto done;
    }
    for (size_t i = 0; sector[0] && i < n; i++) {
        const Vn__PolicyBasis *b = resp->bases[i];
        if (!s_has(b->senders, b->n_senders, sector))
            continue;
        Vn__ApiPolicyBasis *pb = &bases[result.n_bases];
        vn__api_policy_basis__init(pb);
        pb->rule = (Vn__PolicyBasis *)b;
        pb->recipient_orgs = orgs + i * (n_orgs ? n_orgs : 1);
        for (size_t j = 0; j < n_orgs; j++) {
            const Vn__OrgEntry *o = a->dir->orgs[j];
            if (!o->revoked && strcmp(o->id, a->keys->pub.org) != 0 &&
                s_has(b->recipients, b->n_recipients, o->sector))
                pb->recipient_orgs[pb->n_recipient_orgs++] = o->id;
        }
        ptrs[result.n_bases++] = pb;
    }
    result.bases = ptrs;
    Vn__ApiResponse out = VN__API_RESPONSE__INIT;
    out.body_case = VN__API_RESPONSE__BODY_POLICY;
    out.policy = &result;
    agent__reply_after_commit(a, a->signal_waiters[w].w.routing,
                              a->signal_waiters[w].w.routing_len, &out);
done:
    free(bases);
    free(ptrs);
    free(orgs);
    agent__signal_waiter_remove(a, w);
}
