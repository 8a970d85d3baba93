/* vn_queue.h -- the broker's durable queue, its layout known here alone:
 *   QUEUE   org NUL qseq(be64)      -> 'D' seq(be64)   a delivery of the envelope accepted as seq
 *                                   |  'N' Notice      a notice for org (a sender), packed
 *                                   |  'M' MatchNotice a match notice for org (signals), packed
 *   PENDING org NUL seq(be64)       -> qseq(be64)      finds a delivery from its ack
 *           org NUL notice id(16)   -> qseq(be64)      finds a (match) notice queued before
 *                                                      notice ids located their entry
 * qseq is META "queue_seq", one counter for all queues, so each org's entries are in arrival order
 * and an agent that reconnects continues after the last qseq it was sent. A notice id is
 * qseq(be64) random(8): its ack finds the entry, checked to hold that id, with no PENDING entry. */
#ifndef VN_QUEUE_H
#define VN_QUEUE_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "vn_keys.h"
#include "vn_store.h"

typedef enum {
    VN_QUEUE_DAMAGED = 0,       /* neither: logged and skipped by readers */
    VN_QUEUE_DELIVERY = 'D',
    VN_QUEUE_NOTICE = 'N',
    VN_QUEUE_MATCH_NOTICE = 'M',
} vn_queue_kind_t;

/* One queue entry, as a cursor reads it. */
typedef struct {
    char org[VN_ORG_MAX + 1];   /* whose queue */
    uint64_t qseq;              /* its position */
    vn_queue_kind_t kind;
    uint64_t seq;               /* DELIVERY: its ACCEPTED record's seq (the ENVELOPES key) */
    const uint8_t *notice;      /* NOTICE: the packed Notice, MATCH_NOTICE: the packed
                                 * MatchNotice; borrowed until the next step */
    size_t notice_len;
} vn_queue_entry_t;

/* A cursor over one org's queue, or every queue (org by org). */
typedef struct {
    MDB_cursor *cur;
    char org[VN_ORG_MAX + 1];   /* "" for every queue */
    size_t prefix;              /* strlen(org) + 1, or 0 */
    uint64_t from;
    int started;
} vn_queue_iter_t;

/* Walk org's queue from position from on; org NULL walks every queue. 0 or a vangnet error. */
int vn_queue_iter_open(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t from,
                       vn_queue_iter_t *it) VN_MUST_USE;
/* 1 with *e set, 0 at the end of the queue(s), or a vangnet error. */
int vn_queue_iter_next(vn_queue_iter_t *it, vn_queue_entry_t *e);
void vn_queue_iter_close(vn_queue_iter_t *it);

/* Append a delivery of envelope seq to org's queue. 0 or a vangnet error. */
int vn_queue_put_delivery(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq) VN_MUST_USE;
/* A new notice's id, locating its queue entry (the next qseq, and 8 random bytes); put the
 * notice with this id in the same transaction. 0 or a vangnet error. */
int vn_queue_notice_id(MDB_txn *txn, vn_store_t *db, uint8_t id[16]) VN_MUST_USE;
/* Append a packed Notice with its id (from vn_queue_notice_id) to org's queue. 0 or a vangnet
 * error (VN_E_INVALID for an id not handed out, or already used). */
int vn_queue_put_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                        const uint8_t *notice, size_t len) VN_MUST_USE;
/* Append a packed MatchNotice with its id to org's queue (acked like a notice). */
int vn_queue_put_match_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                              const uint8_t *notice, size_t len) VN_MUST_USE;
/* Drop org's delivery of seq / (match) notice id; *found says whether one was there (a repeated ack finds
 * none). 0 or a vangnet error. */
int vn_queue_drop_delivery(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq,
                           int *found) VN_MUST_USE;
int vn_queue_drop_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                         int *found) VN_MUST_USE;
/* 1 if a delivery of envelope seq still waits in org's queue, else 0. */
int vn_queue_waiting(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq);

#endif
