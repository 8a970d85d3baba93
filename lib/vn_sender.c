/* vn_sender.c -- an envelope's signature against its sender's registered keys, rotation included. */
#include "vn_sender.h"
#include "vn_error.h"

#include <assert.h>

int vn_sender_verify_cached(const vn_parsed_t *p, const Vn__OrgEntry *e, uint64_t at,
                            vn_batch_cache_t *cache, uint64_t generation)
{
    assert(p && e);
    int rc = vn_envelope_verify_cached(p, e->sign_key.data, cache, generation);
    if (rc != VN_E_WRONG_SENDER_KEY || e->prev_sign_key.len != 32)
        return rc;
    rc = vn_envelope_verify_cached(p, e->prev_sign_key.data, cache, generation);
    if (rc == 0 && at > e->prev_valid_until)
        return VN_E_KEY_EXPIRED;
    return rc;
}

int vn_sender_verify(const vn_parsed_t *p, const Vn__OrgEntry *e, uint64_t at)
{
    return vn_sender_verify_cached(p, e, at, NULL, 0);
}
