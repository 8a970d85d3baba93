/* vn_audit_query.c -- index-driven audit queries. */
#include "vn_audit_query.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 1 if r is about the subject with this pseudonym (as its subject, or a signal's parent). */
static int s_about(const Vn__AuditRecord *r, const uint8_t subject[32])
{
    int about = r->subject_pseudonym.len == 32 &&
                memcmp(r->subject_pseudonym.data, subject, 32) == 0;
    for (size_t i = 0; !about && i < r->n_related_pseudonyms; i++) /* a signal's parents */
        about = r->related_pseudonyms[i].len == 32 &&
                memcmp(r->related_pseudonyms[i].data, subject, 32) == 0;
    return about;
}

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
    if (f->subject && !s_about(r, f->subject) && !(f->subject_also && s_about(r, f->subject_also)))
        return 0;
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
    if (seq <= f->after_seq)
        return 0;
    if (f->max_examined && examined && *examined >= f->max_examined) {
        return 1; /* bounded work: the caller resumes after *stopped_at */
    }
    if (f->stopped_at)
        *f->stopped_at = seq;
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

/* Append the sequence numbers under subject's index entries to *seqs. */
static int s_subject_seqs(MDB_txn *txn, vn_store_t *db, const uint8_t subject[32], uint64_t **seqs,
                          size_t *n, size_t *cap)
{
    MDB_cursor *cur;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_IDX_SUBJECT), &cur));
    if (rc != 0)
        return rc;
    MDB_val k = {32, (void *)subject}, v;
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 40 || memcmp(k.mv_data, subject, 32) != 0)
            break;
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 256;
            uint64_t *more = realloc(*seqs, c * sizeof *more);
            if (!more) {
                rc = -ENOMEM;
                break;
            }
            *seqs = more;
            *cap = c;
        }
        (*seqs)[(*n)++] = vn_get_be64((uint8_t *)k.mv_data + 32);
    }
    mdb_cursor_close(cur);
    return rc;
}

static int s_cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

int vn_audit_query(MDB_txn *txn, vn_store_t *db, const vn_audit_filter_t *f, vn_audit_visit_fn fn,
                   void *ctx, uint64_t *examined)
{
    uint64_t examined_here = 0;
    if (!examined)
        examined = &examined_here; /* counted for max_examined */
    *examined = 0;
    if (f->stopped_at)
        *f->stopped_at = 0;
    int rc = 0;
    if (f->subject && f->subject_also) {
        /* two pseudonyms of one child: both indexes' entries, merged into sequence order */
        uint64_t *seqs = NULL;
        size_t n = 0, cap = 0;
        rc = s_subject_seqs(txn, db, f->subject, &seqs, &n, &cap);
        if (rc == 0)
            rc = s_subject_seqs(txn, db, f->subject_also, &seqs, &n, &cap);
        if (n)
            qsort(seqs, n, sizeof *seqs, s_cmp_u64);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (i == 0 || seqs[i] != seqs[i - 1])
                rc = s_visit(txn, db, seqs[i], f, fn, ctx, examined);
        free(seqs);
        return rc < 0 ? rc : 0;
    }
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
        /* entries are prefix || be64(seq): start right after after_seq */
        vn_put_be64(prefix + plen, f->after_seq + 1);
        MDB_val k = {plen + 8, prefix}, v;
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
    if (seq <= f->after_seq)
        seq = f->after_seq + 1;
    for (; seq <= size && rc == 0; seq++)
        rc = s_visit(txn, db, seq, f, fn, ctx, examined);
    return rc < 0 ? rc : 0;
}
