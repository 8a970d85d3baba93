/* vn_client_audit.c -- a privacy officer's delegated query: the broker's audit records about this
 * organisation, a page at a time, through the agent (docs/pseudonyms.md). */
#include "vn_client_internal.h"

#include <stdlib.h>
#include <string.h>

struct vn_client_audit_page {
    Vn__ApiResponse *resp; /* owns the records */
};

int vn_client_audit_mine(vn_client_t *self, const char *subject_bsn, uint64_t after_seq,
                         uint32_t max, const char *user_id, vn_client_audit_page_t **out)
{
    *out = NULL;
    Vn__ApiAuditMine q = VN__API_AUDIT_MINE__INIT;
    q.subject_bsn = (char *)(subject_bsn ? subject_bsn : "");
    q.after_seq = after_seq;
    q.max = max;
    q.user_id = (char *)(user_id ? user_id : "");
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_AUDIT_MINE;
    req.audit_mine = &q;
    Vn__ApiResponse *resp;
    int rc = client__call(self, &req, 0, &resp);
    if (rc != 0 || (rc = client__expect(self, resp, VN__API_RESPONSE__BODY_AUDIT_MINE)) != 0)
        return rc;
    vn_client_audit_page_t *p = calloc(1, sizeof *p);
    if (!p) {
        vn__api_response__free_unpacked(resp, NULL);
        return client__fail(self, VN_CLIENT_E_INVALID, "", "%s", "out of memory");
    }
    p->resp = resp;
    *out = p;
    return 0;
}

size_t vn_client_audit_page_count(const vn_client_audit_page_t *p)
{
    return p ? p->resp->audit_mine->n_records : 0;
}

const uint8_t *vn_client_audit_page_record(const vn_client_audit_page_t *p, size_t i, size_t *len)
{
    if (!p || i >= p->resp->audit_mine->n_records)
        return NULL;
    *len = p->resp->audit_mine->records[i].len;
    return p->resp->audit_mine->records[i].data;
}

uint64_t vn_client_audit_page_next(const vn_client_audit_page_t *p, int *more)
{
    *more = p && p->resp->audit_mine->more;
    return p ? p->resp->audit_mine->next_after : 0;
}

void vn_client_audit_page_destroy(vn_client_audit_page_t **p_p)
{
    if (!p_p || !*p_p)
        return;
    vn__api_response__free_unpacked((*p_p)->resp, NULL);
    free(*p_p);
    *p_p = NULL;
}
