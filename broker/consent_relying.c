/* consent_relying.c -- which stored envelopes rely on a consent (storage thread): the index
 * CONSENT_ENVELOPES consent id NUL seq(be64) -> "" is kept when an envelope under basis consent is
 * stored and when it is released, and built at open for stores from before it; so withdrawing a
 * consent withholds what relied on it from its own entries instead of a scan of every queue. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_MAX 64 /* a consent id is 17 characters; anything longer relies on no consent of ours */
#define BUILT_KEY "consent_env_idx"

/* The index key of envelope seq under consent ref: 0 if the envelope relies on no consent. */
static size_t s_key(const vn_parsed_t *p, uint64_t seq, uint8_t out[REF_MAX + 1 + 8])
{
    const char *ref = strcmp(p->hdr->basis, "consent") == 0 ? vn_header_field(p->hdr, "consent-ref")
                                                            : NULL;
    size_t len = ref ? strlen(ref) : 0;
    if (!len || len > REF_MAX)
        return 0;
    memcpy(out, ref, len + 1);
    vn_put_be64(out + len + 1, seq);
    return len + 9;
}

int broker__relying_put(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq)
{
    uint8_t key[REF_MAX + 9];
    size_t len = s_key(p, seq, key);
    MDB_val k = {len, key}, v = {0, ""};
    return len ? vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_CONSENT_ENVELOPES), &k, &v, 0))
               : 0;
}

int broker__relying_del(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq)
{
    uint8_t key[REF_MAX + 9];
    size_t len = s_key(p, seq, key);
    MDB_val k = {len, key};
    int rc = len ? mdb_del(txn, vn_store_dbi(b->db, BDB_CONSENT_ENVELOPES), &k, NULL) : 0;
    return rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

int broker__relying_withhold(MDB_txn *txn, broker_t *b, const char *id)
{
    size_t idlen = strlen(id);
    if (!idlen || idlen > REF_MAX)
        return 0;
    /* Collected first: withholding releases envelopes, which deletes these very entries. */
    uint64_t *seqs = NULL;
    size_t n = 0;
    uint8_t start[REF_MAX + 1];
    memcpy(start, id, idlen + 1);
    MDB_cursor *cur;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(b->db, BDB_CONSENT_ENVELOPES), &cur));
    if (rc != 0)
        return rc;
    MDB_val k = {idlen + 1, start}, v;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != idlen + 9 || memcmp(k.mv_data, start, idlen + 1) != 0)
            break;
        uint64_t *more = realloc(seqs, (n + 1) * sizeof *more);
        if (!more) {
            rc = -ENOMEM;
            break;
        }
        seqs = more;
        seqs[n++] = vn_get_be64((uint8_t *)k.mv_data + idlen + 1);
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        vn_parsed_t p;
        int prc = broker__stored_envelope(txn, b, seqs[i], &p);
        if (prc != 0) {
            rc = prc == VN_E_NOT_FOUND ? 0 : prc;
            continue;
        }
        char recipients[VN_MAX_RECIPIENTS][VN_ORG_MAX + 1];
        size_t nr = 0;
        for (size_t r = 0; r < p.hdr->n_recipients && nr < VN_MAX_RECIPIENTS; r++)
            snprintf(recipients[nr++], sizeof recipients[0], "%s", p.hdr->recipients[r]);
        vn_parsed_clear(&p);
        for (size_t r = 0; rc == 0 && r < nr; r++)
            if (broker__pending(txn, b, recipients[r], seqs[i]))
                rc = broker__withhold(txn, b, recipients[r], seqs[i], "consent-withdrawn",
                                      "the consent this disclosure relied on was withdrawn");
    }
    free(seqs);
    return rc;
}

/* One stored envelope into the index, if it relies on a consent (a store from before it). */
static int s_index_one(MDB_txn *txn, const MDB_val *k, const MDB_val *v, void *ctx)
{
    broker_t *b = ctx;
    vn_parsed_t p;
    if (k->mv_size != 8 || vn_envelope_parse(v->mv_data, v->mv_size, &p) != 0)
        return 0;
    uint8_t key[REF_MAX + 9];
    int rc = 0;
    if (s_key(&p, vn_get_be64(k->mv_data), key) &&
        (rc = broker__relying_put(txn, b, &p, vn_get_be64(k->mv_data))) == 0)
        rc = 1;
    vn_parsed_clear(&p);
    return rc;
}

/* Once, for a store from before the index: every stored envelope is read a single time. */
int broker__relying_build(broker_t *b)
{
    size_t n;
    int rc = vn_store_build_once(b->db, vn_store_dbi(b->db, BDB_META), BUILT_KEY,
                                 vn_store_dbi(b->db, BDB_ENVELOPES), s_index_one, b, &n);
    if (rc == 0 && n)
        vn_info("event=consent-envelope-index-built envelopes=%zu", n);
    return rc;
}
