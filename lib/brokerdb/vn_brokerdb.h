/* vn_brokerdb.h -- the broker's LMDB layout, shared by the broker and the operator's CLI. */
#ifndef VN_BROKERDB_H
#define VN_BROKERDB_H

#include <stdint.h>

#include "vn_store.h"

/* Database indexes, in the order they are opened. Keys are chosen so that writes land at the end
 * of each B-tree (sequence numbers, not random ids): a group commit then rewrites a few pages, not
 * one page per message per database.
 *   META      "audit_head" -> seq(be64) hash(32); "registry_gen" -> be64; "queue_seq" -> be64
 *   ORGS      org id -> OrgEntry
 *   AUDIT     seq(be64) -> AuditRecord
 *   ENVELOPES seq(be64) of its ACCEPTED record -> envelope
 *   QUEUE     org id NUL qseq(be64) -> 'D' seq(be64) | 'N' Notice   (vn_queue.h alone reads and
 *   PENDING   org id NUL seq(be64) -> qseq   (a queued delivery,        writes these two)
 *             org id NUL notice id(16) -> qseq   found from its ack via DEDUP)
 *   DEDUP     msgid(16) -> Receipt        (a resent message gets the original receipt; holds the seq
 *                                          and, since 0.2, the sender: broker/outcome.c)
 *   EXPIRY    expires(be64) seq(be64) -> ""   (expiry scan in time order)
 *   CONSENTS  consent id -> ConsentRecord
 *   MERKLE    last leaf covered(be64) level(1) -> SHA-256  (every perfect subtree of the tree)
 *   CHECKPOINTS size(be64) -> signing time (be64, unix µs) ‖ checkpoint note (vn_checkpoint.h)
 *   IDX_SUBJECT pseudonym(32) seq(be64) -> ""   (a subject's records, in order, without a scan)
 *             pseudonym(32) 0xFF 'Y'|'P' signal id -> ""  (live signals on a youth: client
 *                                          matches; naming a parent: family matches. After the
 *                                          pseudonym's records, so one leaf takes both; signals.h)
 *   IDX_ORG   org id NUL seq(be64) -> ""        (an organisation's records as actor or recipient)
 *   REFUSALS  sender NUL msgid(16) -> Refusal   (a resent refused message gets the original
 *                                          refusal, broker/outcome.c; kept like DEDUP)
 * Signals and matches (docs/signals.md; ids are "S"/"M" + 32 hex):
 *   SIGNALS   signal id -> SignalRecord
 *   SIG_YOUTH, SIG_PARENT  empty: stores written before 2026-12-03 kept the signal entries of
 *             IDX_SUBJECT here (pseudonym(32) id), moved at open (signal_store.c)
 *   SIG_OWNER org id NUL signal id -> ""             (an organisation's own signals, for listing)
 *   SIG_TIME  when(be64) 'I'|'D' signal id -> ""     (becomes inactive / is deleted then)
 *   MATCHES   match id -> MatchInfo                  (every group of two or more linked signals)
 *   MATCH_SIGNAL signal id -> match id
 *   MATCH_ORG org id NUL match id -> ""              (the matches an organisation takes part in)
 * Consents, by who registered them (broker/consent_list.c; a list costs one page, not a scan):
 *   CONSENT_OWNER owner NUL subject(32) consent id -> ""  (built at open for older stores)
 *   CONSENT_ENVELOPES consent id NUL seq(be64) -> ""  (stored envelopes relying on it, until
 *                                          released; withdrawal reads these, consent_relying.c) */
enum { BDB_META, BDB_ORGS, BDB_AUDIT, BDB_ENVELOPES, BDB_QUEUE, BDB_PENDING, BDB_DEDUP, BDB_EXPIRY,
       BDB_CONSENTS, BDB_MERKLE, BDB_CHECKPOINTS, BDB_IDX_SUBJECT, BDB_IDX_ORG, BDB_REFUSALS,
       BDB_SIGNALS, BDB_SIG_YOUTH, BDB_SIG_PARENT, BDB_SIG_OWNER, BDB_SIG_TIME, BDB_MATCHES,
       BDB_MATCH_SIGNAL, BDB_MATCH_ORG, BDB_CONSENT_OWNER, BDB_CONSENT_ENVELOPES };

vn_store_t *vn_brokerdb_open(const char *dir, size_t map_size, int flags, int *rc, char *err,
                             size_t errlen);

#endif
