/* vn_brokerdb.c -- opening the broker's store with its named databases. */
#include "vn_brokerdb.h"

static const char *const s_names[] = {"meta", "orgs", "audit", "envelopes", "queue",
                                      "pending", "dedup", "expiry", "consents", "merkle",
                                      "checkpoints", "idx_subject", "idx_org", "refusals",
                                      "signals", "signals_by_youth", "signals_by_parent",
                                      "signals_by_owner", "signals_by_time", "matches",
                                      "match_by_signal", "matches_by_org", "consents_by_owner",
                                      "consent_envelopes", NULL};

vn_store_t *vn_brokerdb_open(const char *dir, size_t map_size, int flags, int *rc, char *err,
                             size_t errlen)
{
    return vn_store_open(dir, map_size, s_names, flags, rc, err, errlen);
}
