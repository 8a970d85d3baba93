/* policy_summary.c -- an agent asks which rules the policy holds (for its IT system's GET
 * /v1/policy): the loaded bases with their sectors, categories and required fields, read in the
 * main thread, which is also the one that swaps the policy on SIGHUP. */
#include "broker.h"
#include "vn_log.h"
#include "vn_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_ITEMS 64

/* Split "a, b, c" (or "*") into at most LIST_ITEMS strings copied into buf. */
static size_t s_split(const char *list, char *buf, size_t buflen, char **out)
{
    size_t n = 0;
    snprintf(buf, buflen, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ", |", &save); t && n < LIST_ITEMS;
         t = strtok_r(NULL, ", |", &save))
        out[n++] = t;
    return n;
}

typedef struct {
    Vn__PolicyBasis basis;
    char lists[3][1024];
    char *senders[LIST_ITEMS], *recipients[LIST_ITEMS], *categories[LIST_ITEMS];
    Vn__PolicyField fields[16], *fieldp[16];
    char choices_buf[16][160];
    char *choices[16][LIST_ITEMS];
} s_basis_t;

void broker__policy_summary(broker_t *b, const uint8_t *routing, size_t routing_len,
                            const Vn__PolicyRequest *req)
{
    pthread_rwlock_rdlock(&b->policy_lock);
    size_t n = b->policy ? vn_policy_count(b->policy) : 0;
    s_basis_t *all = calloc(n ? n : 1, sizeof *all);
    Vn__PolicyBasis **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    Vn__PolicyResponse resp = VN__POLICY_RESPONSE__INIT;
    resp.request_id = req->request_id;
    for (size_t i = 0; all && ptrs && i < n; i++) {
        vn_policy_basis_view_t v;
        if (vn_policy_basis(b->policy, i, &v) != 0)
            break;
        s_basis_t *s = &all[i];
        Vn__PolicyBasis *pb = &s->basis;
        vn__policy_basis__init(pb);
        pb->name = (char *)v.name;
        pb->law = (char *)v.law;
        pb->n_senders = s_split(v.senders, s->lists[0], sizeof s->lists[0], s->senders);
        pb->senders = s->senders;
        pb->n_recipients = s_split(v.recipients, s->lists[1], sizeof s->lists[1], s->recipients);
        pb->recipients = s->recipients;
        pb->n_categories = s_split(v.categories, s->lists[2], sizeof s->lists[2], s->categories);
        pb->categories = s->categories;
        pb->subject = (char *)v.subject;
        pb->consent = v.consent;
        pb->reply_to = (char *)v.reply_to;
        pb->review = v.review;
        pb->match = v.match;
        for (size_t f = 0; f < v.n_fields && f < 16; f++) {
            const char *name, *type, *choices;
            if (vn_policy_basis_field(b->policy, i, f, &name, &type, &choices) != 0)
                break;
            Vn__PolicyField *pf = &s->fields[f];
            vn__policy_field__init(pf);
            pf->name = (char *)name;
            pf->type = (char *)type;
            pf->n_choices = s_split(choices, s->choices_buf[f], sizeof s->choices_buf[f],
                                    s->choices[f]);
            pf->choices = s->choices[f];
            s->fieldp[f] = pf;
            pb->n_fields = f + 1;
        }
        pb->fields = s->fieldp;
        ptrs[resp.n_bases++] = pb;
    }
    resp.bases = ptrs;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_POLICY_RESPONSE;
    m.policy_response = &resp;
    broker__send_wire(b, routing, routing_len, &m);
    pthread_rwlock_unlock(&b->policy_lock);
    free(all);
    free(ptrs);
}
