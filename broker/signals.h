/* signals.h -- signals and matches at the broker: the LMDB layout (signal_store.c), the matcher
 * (matcher.c), the covenant rules applied to a match (coordinator.c). Storage-thread code on one
 * write transaction; no broker state, so the unit tests and the benchmark use it as it is. */
#ifndef VN_SIGNALS_H
#define VN_SIGNALS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "signal.pb-c.h"
#include "vn_keys.h"
#include "vn_signal_policy.h"
#include "vn_store.h"

#define VN_ID_LEN 33            /* "S" or "M" + 32 hex */
#define VN_MATCH_MAX 64         /* signals in one match (client and family together) */

#define VN_CATEGORY_MAX 64

/* A signal is filed under its youth's and each parent's pseudonym in the audit's subject index
 * (IDX_SUBJECT, vn_brokerdb.h), after that pseudonym's audit entries (40-byte keys whose 33rd
 * byte, the top byte of a sequence number, is 0): pseudonym(32) 0xFF kind id. A registration's
 * signal entry and its audit records' entries for one pseudonym then share a leaf page: one page
 * written per pseudonym instead of one in each of two B-trees. */
#define VN_SIGDB_MARK 0xFF
#define VN_SIGDB_YOUTH 'Y'
#define VN_SIGDB_PARENT 'P'
#define VN_SIGDB_PSEUD_PREFIX 34 /* pseudonym, mark, kind */
#define VN_SIGDB_PSEUD_KEY (VN_SIGDB_PSEUD_PREFIX + VN_ID_LEN)
/* The prefix of every entry of pseud's kind (a range read starts there), and a whole key; the
 * key's length is returned. id is VN_ID_LEN bytes, not necessarily NUL-terminated. */
void vn_sigdb_pseud_prefix(uint8_t out[VN_SIGDB_PSEUD_PREFIX], const uint8_t pseud[32], char kind);
size_t vn_sigdb_pseud_key(uint8_t out[VN_SIGDB_PSEUD_KEY], const uint8_t pseud[32], char kind,
                          const char *id);

/* Moves what a store written before this layout has in signals_by_youth and signals_by_parent
 * into the subject index; *moved counts the entries. Each step is its own transaction. */
int vn_sigdb_move_old_index(vn_store_t *db, uint64_t *moved);

/* The databases of signals and matches inside one transaction. */
typedef struct {
    MDB_txn *txn;
    MDB_dbi signals, by_pseud, owner, time, matches, match_signal, match_org;
    /* An organisation's sector (for the covenant rules), from the registry; NULL if unknown. */
    const char *(*sector_of)(void *ctx, const char *org);
    void *ctx;
} vn_sigdb_t;

/* sector_of may be NULL (then every sector is unknown: nobody may coordinate). */
void vn_sigdb_init(vn_sigdb_t *d, const vn_store_t *db, MDB_txn *txn);

/* A fresh "S"/"M" + 32 hex id: 16 hex of the time in microseconds, 16 of randomness. */
void vn_sigdb_new_id(char out[VN_ID_LEN + 1], char prefix);

/* Store a new signal with its indexes (youth, parents, owner, and the time of its next lifetime
 * event: the end of its active period, or its deletion if that comes no later). */
int vn_sigdb_put_new(vn_sigdb_t *d, const Vn__SignalRecord *r);
/* Rewrite a stored signal's record only (withdrawn time). */
int vn_sigdb_put_record(vn_sigdb_t *d, const Vn__SignalRecord *r);
/* VN_E_NOT_FOUND, or *out to free with vn__signal_record__free_unpacked. */
int vn_sigdb_get(vn_sigdb_t *d, const char *id, Vn__SignalRecord **out);
/* Withdrawn: it no longer matches (youth, parent and inactive-time entries go; the record stays
 * until the retention ends, its delete time now indexed). */
int vn_sigdb_unlink(vn_sigdb_t *d, const Vn__SignalRecord *r);
/* Its active period ended: the inactive-time entry goes, the delete time is indexed. */
int vn_sigdb_inactive(vn_sigdb_t *d, const Vn__SignalRecord *r);
/* Deleted: the record and every index entry. */
int vn_sigdb_delete(vn_sigdb_t *d, const Vn__SignalRecord *r);

/* One signal in a match. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    char sector[VN_SECTOR_MAX + 1];
    char signal_id[VN_ID_LEN + 1];
    char category[VN_CATEGORY_MAX + 1];
    uint64_t signal_date, registered;
    int active;
    /* In memory only (not stored with the match): the signal's youth pseudonym, where the matcher
     * read it or found the signal under the new signal's youth, so a notice need not read the
     * signal again to name its subject. */
    uint8_t youth[32];
    int youth_known;
} vn_mpart_t;

/* A match (or, with one organisation, a group of linked signals that is not yet a match). */
typedef struct {
    char id[VN_ID_LEN + 1];
    char kind[8];                       /* "client" | "family" */
    vn_mpart_t part[VN_MATCH_MAX];
    size_t n;
    char coordinator[VN_ORG_MAX + 1], handover_to[VN_ORG_MAX + 1];
    int agreed, by_handover;
    uint64_t created, updated;
} vn_match_t;

/* Load match id into *m: 0, VN_E_NOT_FOUND or VN_E_STORE. */
int vn_sigdb_match_get(vn_sigdb_t *d, const char *id, vn_match_t *m);
/* Store m, keeping MATCH_SIGNAL and MATCH_ORG in step (old: m as stored before under the same id,
 * or NULL for a new id; only the difference is written). */
int vn_sigdb_match_put(vn_sigdb_t *d, const vn_match_t *m, const vn_match_t *old);
int vn_sigdb_match_del(vn_sigdb_t *d, const vn_match_t *m);
/* The match a signal is in: 0 with id, or VN_E_NOT_FOUND. */
int vn_sigdb_match_of(vn_sigdb_t *d, const char *signal_id, char id[VN_ID_LEN + 1]);

/* Number of distinct organisations in m (a match needs two), and whether org takes part with a
 * live signal (any = active or inactive) or an active one. */
size_t vn_match_orgs(const vn_match_t *m);
int vn_match_has_org(const vn_match_t *m, const char *org, int active_only);

/* The wire form of m; parts borrowed from m. */
typedef struct {
    Vn__MatchInfo info;
    Vn__MatchParticipant parts[VN_MATCH_MAX];
    Vn__MatchParticipant *ptrs[VN_MATCH_MAX];
} vn_match_wire_t;
void vn_match_to_wire(const vn_match_t *m, vn_match_wire_t *w);

/* --- matcher.c --- */

/* Who is told what after a change: one entry per (part, organisation). */
#define VN_MATCH_NOTIFY_MAX (2 * VN_MATCH_MAX)
typedef struct {
    int part;                           /* index into outcome.parts */
    char org[VN_ORG_MAX + 1];
    char event[20];                     /* "match" "new-signal" "coordinator" "handover-offered"
                                         * "agreed" "signal-withdrawn" */
} vn_match_notify_t;

typedef struct {
    vn_match_t *parts;                  /* the matches as they stand after the change (owned) */
    size_t n_parts;
    vn_match_notify_t notify[VN_MATCH_NOTIFY_MAX];
    size_t n_notify;
    int coordinator_changed[VN_MATCH_MAX]; /* per part: audit COORDINATOR_ASSIGNED */
    char merged[VN_MATCH_MAX][VN_ID_LEN + 1]; /* match ids merged away into parts[0] */
    size_t n_merged;
} vn_match_outcome_t;

void vn_match_outcome_clear(vn_match_outcome_t *o);

/* Register r (id, owner, registered, active_until, delete_after set; sector = the owner's): find
 * the live signals linked to it (same youth, shared parent), check the limits (VN_E_TOO_LARGE with
 * *code "too-many-signals" or "match-too-large"), store it and join or form the match. Bounded:
 * index range reads of at most VN_MATCH_MAX entries per pseudonym, never a scan. */
int vn_matcher_register(vn_sigdb_t *d, const vn_signal_rules_t *rules, const Vn__SignalRecord *r,
                        const char *sector, uint64_t now, vn_match_outcome_t *out,
                        const char **code);
/* A signal leaves its match (withdrawn or deleted): the match may split or end. */
int vn_matcher_remove(vn_sigdb_t *d, const vn_signal_rules_t *rules, const char *signal_id,
                      uint64_t now, vn_match_outcome_t *out);
/* A signal became inactive: still listed and matched, its owner no longer told; the coordinator
 * is chosen again if it was its owner's last active signal. */
int vn_matcher_inactive(vn_sigdb_t *d, const vn_signal_rules_t *rules, const char *signal_id,
                        uint64_t now, vn_match_outcome_t *out);

/* --- coordinator.c --- */

/* Apply the covenant rules to m (unless a handover was accepted and its coordinator is still an
 * active participant). 1 if the coordinator changed. */
int vn_coordinator_assign(const vn_signal_rules_t *rules, vn_match_t *m);
/* Requests by org on match m; 0, or -1 with *code and reason set. On success *event is the notice
 * to send ("handover-offered" to handover_to, "coordinator" or "agreed" to all). */
int vn_coordinator_handover(const vn_signal_rules_t *rules, vn_match_t *m, const char *org,
                            const char *to, const char **code, char *reason, size_t len);
int vn_coordinator_accept(vn_match_t *m, const char *org, const char **code, char *reason,
                          size_t len);
int vn_coordinator_agree(vn_match_t *m, const char *org, const char **code, char *reason,
                         size_t len);

#endif
