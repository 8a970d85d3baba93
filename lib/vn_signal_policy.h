/* vn_signal_policy.h -- the policy's rules for signals ([signals]: who may signal, how long a signal
 * lives, who must have been told by age) and for coordination ([coordination]: which sectors may
 * coordinate a match, in order), and the pure checks that apply them. */
#ifndef VN_SIGNAL_POLICY_H
#define VN_SIGNAL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "signal.pb-c.h"
#include "vn_policy.h"

#define VN_SIGNAL_MAX_PARENTS 4       /* parents or carers named on one signal */
#define VN_SIGNAL_MAX_PER_YOUTH 4     /* live signals of one organisation on one youth */
#define VN_SIGNAL_MAX_REASON 500      /* not_informed_reason, bytes */
#define VN_SIGNAL_MAX_AGE_BANDS 8
#define VN_SIGNAL_LIST_MAX 512

/* Who must have been told, for youths aged from..to (inclusive). */
typedef struct {
    unsigned from, to;
    int ouders, jongere;            /* required parties (both may be required) */
} vn_age_band_t;

typedef struct vn_signal_rules {
    int seen_signals, seen_coordination, bands_from_file;
    char senders[VN_SIGNAL_LIST_MAX];   /* sectors that may register signals, or "*" */
    unsigned max_active_days;           /* 730: a signal is active at most this long */
    unsigned retention_days;            /* 1825: deleted this long after its signal date */
    unsigned max_age;                   /* 23: older youths are refused */
    vn_age_band_t bands[VN_SIGNAL_MAX_AGE_BANDS];
    int n_bands;
    char order[VN_SIGNAL_LIST_MAX];     /* sectors that may coordinate, first = preferred */
    char never[VN_SIGNAL_LIST_MAX];     /* sectors that only signal */
} vn_signal_rules_t;

/* Defaults (as in config/policy.conf): senders none, 730 days active, 1825 retention, age 23,
 * the Dutch informed-parties rules (<12 ouders, 12-15 both, >=16 jongere), no coordinators. */
void vn_signal_rules_default(vn_signal_rules_t *r);
/* One key of [signals] or [coordination]. 1 if taken, else 0 with err set. */
int vn_signal_rules_key(vn_signal_rules_t *r, const char *section, const char *name,
                        const char *value, char *err, size_t errlen);
/* After the whole file: bands cover 0..max_age without overlap, order and never are disjoint,
 * retention >= active period. 0 or -1 with err set. */
int vn_signal_rules_finish(vn_signal_rules_t *r, char *err, size_t errlen);

/* A refusal: code empty when allowed (the policy's verdict). */
typedef vn_verdict_t vn_signal_verdict_t;

/* Check a registration from an organisation of sector at time now; fills in active_until (0:
 * the maximum) and delete_after. 0 if allowed, -1 with the verdict set. The vocabulary and the
 * per-youth limit are the broker's checks (they need its state). */
int vn_signal_check(const vn_signal_rules_t *r, Vn__SignalRecord *rec, const char *sector,
                    uint64_t now, vn_signal_verdict_t *v);

/* What the covenant rules need to know of one participant. */
typedef struct {
    const char *org, *sector;
    uint64_t signal_date, registered;
    int active;
} vn_coord_candidate_t;

/* Whether a sector may coordinate (listed in order, not in never). Its rank in *rank (0 = first). */
int vn_signal_may_coordinate(const vn_signal_rules_t *r, const char *sector, unsigned *rank);
/* The covenant rules: the index of the active participant whose sector comes first in order,
 * ties by the earliest signal date, then the earliest registration, then the org id; -1 if no
 * active participant may coordinate. */
int vn_signal_choose_coordinator(const vn_signal_rules_t *r, const vn_coord_candidate_t *c,
                                 size_t n);

void vn_signal_rules_print(const vn_signal_rules_t *r, void *file);

#endif
