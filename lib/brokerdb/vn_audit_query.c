/* vn_audit_query.c -- index-driven audit queries. */
#include "vn_audit_query.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <string.h>

static int s_match(const vn_audit_filter_t *f, const Vn__AuditRecord *r)
{
    if ((f->from_us && r->time_us < f->from_us) || (f->until_us && r->time_us >= f->until_us))
        return 0;
    if (f->event >= 0 && (int)r->event != f->event)
        return 0;
    if (f->refused_only && r->event != VN__AUDIT_RECORD__EVENT__REFUSED)
        return 0;
    if (f->basis && strcmp(r->basis, f->basis) != 0)
        return 0;
    if (f->category && strcmp(r->category, f->category) != 0)
        return 0;
    if (f->subject) {
        int about = r->subject_pseudonym.len == 32 &&
                    memcmp(r->subject_pseudonym.data, f->subject, 32) == 0;
        for (size_t i = 0; !about && i < r->n_related_pseudonyms; i++) /* a signal's parents */
            about = r->related_pseudonyms[i].len == 32 &&
                    memcmp(r->related_pseudonyms[i].data, f->subject, 32) == 0;
        if (!about)
            return 0;
    }
    if (f->org) {
        int involved = strcmp(r->actor_org, f->org) == 0;
        for (size_t i = 0; !involved && i < r->n_recipients; i++)
            involved = strcmp(r->recipients[i], f->org) == 0;
        if (!involved)
            return 0;
    }
    return 1;
}

/* Read record seq and visit it if it matches. Returns the visitor's stop flag, or <0. */
static int s_visit(MDB_txn *txn, vn_store_t *db, uint64_t seq, const vn_audit_filter_t *f,
                   vn_audit_visit_fn fn, void *ctx, uint64_t *examined)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    if (mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v) != 0)
        return 0; /* pruned from the index's point of view */
    Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    if (!r)
        return VN_E_CHAIN;
    if (examined)
        (*examined)++;
    int stop = s_match(f, r) ? fn(ctx, r) : 0;
    vn__audit_record__free_unpacked(r, NULL);
    return stop;
}

/* The first sequence number whose record is at or after time t (records are appended in time
 * order), by binary search: O(log n) reads. */
static uint64_t s_first_at(MDB_txn *txn, vn_store_t *db, uint64_t t, uint64_t size)
{
    uint64_t lo = 1, hi = size + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t at = vn_audit_time_us(txn, db, mid);
        if (at < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int vn_audit_query(MDB_txn *txn, vn_store_t *db, const vn_audit_filter_t *f, vn_audit_visit_fn fn,
                   void *ctx, uint64_t *examined)
{
    if (examined)
        *examined = 0;
    int rc = 0;
    if (f->subject || f->org) {
        /* Drive from an index: the subject's, or else the organisation's, entries in order. */
        uint8_t prefix[VN_ORG_MAX + 40];
        size_t plen;
        MDB_dbi dbi;
        if (f->subject) {
            memcpy(prefix, f->subject, 32);
            plen = 32;
            dbi = vn_store_dbi(db, BDB_IDX_SUBJECT);
        } else {
            plen = strlen(f->org) + 1;
            if (plen > VN_ORG_MAX + 8)
                return VN_E_INVALID;
            memcpy(prefix, f->org, plen);
            dbi = vn_store_dbi(db, BDB_IDX_ORG);
        }
        MDB_cursor *cur;
        if ((rc = vn_store_error(mdb_cursor_open(txn, dbi, &cur))) != 0)
            return rc;
        MDB_val k = {plen, prefix}, v;
        uint64_t last = 0;
        for (int m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0 && rc == 0;
             m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != plen + 8 || memcmp(k.mv_data, prefix, plen) != 0)
                break;
            uint64_t seq = vn_get_be64((uint8_t *)k.mv_data + plen);
            if (seq == last)
                continue;
            last = seq;
            rc = s_visit(txn, db, seq, f, fn, ctx, examined);
        }
        mdb_cursor_close(cur);
        return rc < 0 ? rc : 0;
    }
    uint64_t size;
    if ((rc = vn_audit_size(txn, db, &size)) != 0)
        return rc;
    uint64_t seq = f->from_us ? s_first_at(txn, db, f->from_us, size) : 1;
    for (; seq <= size && rc == 0; seq++)
        rc = s_visit(txn, db, seq, f, fn, ctx, examined);
    return rc < 0 ? rc : 0;
}
