/* vn_sender.h -- is an envelope signed by its sender, as the registry knows it (current key, or the
 * previous key within the grace period of a key rotation)? Used by the broker and by agents. */
#ifndef VN_SENDER_H
#define VN_SENDER_H

#include "vn_error.h"

#include <stdint.h>

#include "vn_envelope.h"
#include "wire.pb-c.h"

/* Check p's signature against org e's current key, or its previous key if p was created (at =
 * its created time) within the grace period; for the broker at = now, so an old key is refused
 * once the grace ends. 0, VN_E_KEY_EXPIRED, or vn_envelope_verify's error. */
int vn_sender_verify(const vn_parsed_t *p, const Vn__OrgEntry *e, uint64_t at) VN_MUST_USE;
/* As vn_sender_verify, with a cache of verified batch roots (vn_envelope_verify_cached). The
 * grace check of a previous key runs on a cache hit as well. */
int vn_sender_verify_cached(const vn_parsed_t *p, const Vn__OrgEntry *e, uint64_t at,
                            vn_batch_cache_t *cache, uint64_t generation) VN_MUST_USE;

#endif
