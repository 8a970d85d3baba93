/* vn_sender.c -- an envelope's signature against its sender's registered keys, rotation included. */
#include "vn_sender.h"
#include "vn_error.h"

#include <assert.h>

int vn_sender_verify(const vn_parsed_t *p, const Vn__OrgEntry *e, uint64_t at)
{
    assert(p && e);
    int rc = vn_envelope_verify(p, e->sign_key.data);
    if (rc != VN_E_WRONG_SENDER_KEY || e->prev_sign_key.len != 32)
        return rc;
    rc = vn_envelope_verify(p, e->prev_sign_key.data);
    if (rc == 0 && at > e->prev_valid_until)
        return VN_E_KEY_EXPIRED;
    return rc;
}
