/* vn_audit_query.h -- find audit records by time, organisation, subject, basis, category, event,
 * using the subject and organisation indexes instead of scanning the log. */
#ifndef VN_AUDIT_QUERY_H
#define VN_AUDIT_QUERY_H

#include "vn_error.h"

#include <stdint.h>

#include "audit.pb-c.h"
#include "vn_store.h"

typedef struct {
    uint64_t from_us, until_us;     /* time range, unix microseconds; 0 = open */
    const char *org;                /* as acting organisation or recipient */
    const uint8_t *subject;         /* 32-byte pseudonym */
    const uint8_t *subject_also;    /* or this one (the same child's v1 pseudonym while records
                                     * made under v1 remain, docs/pseudonyms.md); with subject */
    const char *basis, *category;
    int event;                      /* a Vn__AuditRecord__Event, or -1 for any */
    int refused_only;
    uint64_t after_seq;             /* only records after this sequence number (paging) */
    uint64_t max_examined;          /* stop after reading this many records (0: no bound)... */
    uint64_t *stopped_at;           /* ...and set *stopped_at to the last one read (else 0) */
} vn_audit_filter_t;

/* Called for each matching record in sequence order; return non-zero to stop. rec is borrowed
 * for the call only. */
typedef int (*vn_audit_visit_fn)(void *ctx, const Vn__AuditRecord *rec);

/* Visit the matching records. *examined (may be NULL) counts records read. 0 or an error. */
int vn_audit_query(MDB_txn *txn, vn_store_t *db, const vn_audit_filter_t *f, vn_audit_visit_fn fn,
                   void *ctx, uint64_t *examined) VN_MUST_USE;

#endif
