/* vn_audit.h -- the broker's append-only, hash-chained audit log (NEN 7513 fields). */
#ifndef VN_AUDIT_H
#define VN_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "audit.pb-c.h"
#include "vn_store.h"

#define VN_AUDIT_VERSION 1

/* Append rec inside txn: sets version, seq, time (if 0), prev_hash, and advances the head.
 * seq_out and hash_out (SHA-256 of the stored bytes) may be NULL. 0 or a vangnet error. */
int vn_audit_append(MDB_txn *txn, MDB_dbi audit, MDB_dbi meta, Vn__AuditRecord *rec,
                    uint64_t *seq_out, uint8_t hash_out[32]);

/* Walk the whole log checking sequence, chaining and the head. 0 if intact, else VN_E_CHAIN with
 * *bad_seq the first bad record and why a short explanation. */
int vn_audit_verify(MDB_txn *txn, MDB_dbi audit, MDB_dbi meta, uint64_t *n_records,
                    uint64_t *bad_seq, const char **why);

const char *vn_audit_event_name(Vn__AuditRecord__Event e);

/* One human-readable line per record. */
void vn_audit_print(FILE *out, const Vn__AuditRecord *rec);

#endif
