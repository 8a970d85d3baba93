/* vn_audit.h -- the broker's append-only audit log (NEN 7513 fields) in its store: a hash chain, an
 * RFC 6962 Merkle tree kept incrementally in LMDB, signed checkpoints, verification and retention.
 * The log is vn_audit.c, checkpoints vn_audit_checkpoint.c, verification vn_audit_verify.c,
 * retention vn_audit_prune.c, printing vn_audit_print.c; checking a checkpoint without a store is
 * vn_checkpoint.h (common to every binary). */
#ifndef VN_AUDIT_H
#define VN_AUDIT_H

#include "vn_error.h"

#include <stdint.h>
#include <stdio.h>

#include "audit.pb-c.h"
#include "vn_checkpoint.h"
#include "vn_keys.h"
#include "vn_merkle.h"
#include "vn_store.h"

#define VN_AUDIT_VERSION 1

/* Append rec inside txn (a broker store): sets version, seq, time (if 0), prev_hash, advances the
 * head and adds the record's leaf to the Merkle tree (O(log n) writes). seq_out and hash_out
 * (SHA-256 of the stored bytes) may be NULL. 0 or a vangnet error.
 * rec->prev_hash is overwritten (left empty): save it first if rec came from a decoder. */
int vn_audit_append(MDB_txn *txn, vn_store_t *db, Vn__AuditRecord *rec, uint64_t *seq_out,
                    uint8_t hash_out[32]) VN_MUST_USE;

/* Add (or, remove = 1, drop) the index entries of a record: by subject, by organisation. */
int vn_audit__index(MDB_txn *txn, vn_store_t *db, const Vn__AuditRecord *rec, uint64_t seq,
                    int remove) VN_MUST_USE;

/* The head: the last record's seq and SHA-256 (0 and zeros for an empty log). VN_E_CHAIN if the
 * head entry is damaged. */
int vn_audit_head(MDB_txn *txn, vn_store_t *db, uint64_t *seq, uint8_t hash[32]) VN_MUST_USE;
/* Number of records (the tree size). */
int vn_audit_size(MDB_txn *txn, vn_store_t *db, uint64_t *size) VN_MUST_USE;
/* The time (unix microseconds) of record seq; 0 if it is missing or unreadable. */
uint64_t vn_audit_time_us(MDB_txn *txn, vn_store_t *db, uint64_t seq);

/* The tree's node lookup over a broker store, for vn_merkle_* (ctx: a vn_audit_tree_t). */
typedef struct {
    MDB_txn *txn;
    vn_store_t *db;
} vn_audit_tree_t;
int vn_audit_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH]) VN_MUST_USE;

/* Sign a checkpoint of the current size if it grew since the last one, after checking that the
 * last checkpoint's root is still what the stored tree gives for its size (so two inconsistent
 * checkpoints are never signed: VN_E_CHAIN). *signed_size = 0 when nothing new was signed. */
int vn_audit_checkpoint(MDB_txn *txn, vn_store_t *db, const vn_keyset_t *broker,
                        uint64_t *signed_size) VN_MUST_USE;
/* The newest signed checkpoint note (caller frees; NUL-terminated past len), or VN_E_NOT_FOUND. */
int vn_audit_latest_checkpoint(MDB_txn *txn, vn_store_t *db, uint8_t **out, size_t *len)
    VN_MUST_USE;
/* The checkpoint signed at exactly size (0: the newest): its note (may be NULL; caller frees) and
 * signing time (unix microseconds; may be NULL). VN_E_NOT_FOUND, then nearest (may be NULL) holds the
 * signed sizes just below and above (0: none). */
int vn_audit_checkpoint_at(MDB_txn *txn, vn_store_t *db, uint64_t size, uint8_t **note,
                           size_t *len, uint64_t *time, uint64_t nearest[2]) VN_MUST_USE;

/* What verify found. */
typedef struct {
    uint64_t records;
    uint64_t checkpoints;           /* signed checkpoints checked */
    uint64_t latest_size;
    uint8_t latest_root[VN_HASH];
    uint64_t pruned;                /* records whose detail was pruned (their leaves checked) */
    uint64_t bad_seq;               /* the first bad record (0 if none could be named) */
    const char *why;
} vn_audit_report_t;

/* Walk the whole log: sequence, version, hash chain, each record against its leaf in the tree,
 * and every checkpoint's root against the recomputed tree (its note signature too when
 * broker_sign_pk is given). 0 if intact, else VN_E_CHAIN with the report saying where and why. */
int vn_audit_verify(MDB_txn *txn, vn_store_t *db, const uint8_t *broker_sign_pk,
                    vn_audit_report_t *report) VN_MUST_USE;

/* Retention: replace every record older than before_us by a stub (seq, time, event, prev_hash and
 * the SHA-256 of the original), dropping its index entries; its leaf stays in the tree, so the
 * chain and every checkpoint still verify. *pruned counts records pruned now. */
int vn_audit_prune(MDB_txn *txn, vn_store_t *db, uint64_t before_us, uint64_t *pruned) VN_MUST_USE;

const char *vn_audit_event_name(Vn__AuditRecord__Event e);

/* One human-readable line per record. */
void vn_audit_print(FILE *out, const Vn__AuditRecord *rec);

#endif
