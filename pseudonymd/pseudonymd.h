/* pseudonymd.h -- the pseudonym service's state: its keys, the organisations it serves, their
 * budgets and this hour's counts (docs/pseudonyms.md). Single-threaded: the loop owns all of it. */
#ifndef VN_PSEUDONYMD_DAEMON_H
#define VN_PSEUDONYMD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "vn_keys.h"
#include "vn_pseudonymd.h"

#define PD_MAX_ORGS 4096
#define PD_MAX_COUNTS 16384 /* (organisation, purpose) pairs counted in one hour */

typedef struct {
    char endpoint[256];    /* [pseudonymd] endpoint = tcp://127.0.0.1:7710 (port * picks one) */
    char keys[1024];       /* [pseudonymd] keys = pseudonymd.secret (0600) */
    char clients[1024];    /* [pseudonymd] clients = directory of the organisations' .public files */
    char data[1024];       /* [pseudonymd] data = directory: state, audit.log, endpoint */
    uint64_t budget;       /* [pseudonymd] budget_per_day = 20000 evaluations per organisation */
    int log_level;         /* [pseudonymd] log_level = info */
    /* [budgets] ORG = N: another daily budget for one organisation (e.g. a privacy officer's) */
    struct { char org[VN_ORG_MAX + 1]; uint64_t budget; } budgets[64];
    size_t n_budgets;
} pd_config_t;

typedef struct {
    char org[VN_ORG_MAX + 1];
    char curve_pk[VN_Z85_KEY];
} pd_client_t;

/* One organisation's spending today. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    uint64_t spent, refused;
} pd_spend_t;

/* One (organisation, purpose) line of this hour's audit record. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    char purpose[VN_PSEUD_PURPOSE_MAX + 1];
    uint64_t evaluations, refused, requests;
} pd_count_t;

typedef struct {
    pd_config_t cfg;
    char config_path[1024];
    vn_pseud_keys_t *keys;
    pd_client_t *clients;
    size_t n_clients;
    uint64_t clients_loaded_ms; /* when the clients directory was last read */
    void *ctx, *router, *zap;
    uint64_t day, hour;        /* of the counters below (UTC, days and hours since the epoch) */
    pd_spend_t *spend;
    size_t n_spend;
    pd_count_t *counts;
    size_t n_counts;
    uint64_t total_evaluations, total_refused; /* since start, for the log */
} pd_t;

/* main.c */
int pd__config_load(const char *path, pd_config_t *cfg, char *err, size_t errlen);

/* service.c: sockets, ZAP, the evaluation handler and the loop */
int pd_init(pd_t *pd, char *err, size_t errlen);
void pd_run(pd_t *pd, volatile int *stop, volatile int *reload);
void pd_fini(pd_t *pd);
/* Load the clients directory's .public files (at start and on SIGHUP). 0 or error. */
int pd__clients_load(pd_t *pd, char *err, size_t errlen);

/* budget.c: today's spending, this hour's counts, the state file and the audit log */
uint64_t pd__now(void);
/* Restore the state file; close the hour it was written in if that hour is over. */
int pd__budget_load(pd_t *pd, char *err, size_t errlen);
/* The daily budget of org. */
uint64_t pd__budget_of(const pd_t *pd, const char *org);
/* Charge n evaluations to org under purpose: 1 if within budget (counted), 0 if refused
 * (counted as refused; warned). Persists the state before returning. */
int pd__budget_charge(pd_t *pd, const char *org, const char *purpose, size_t n);
/* Roll the hour and the day when the clock passed them (audit lines for the closed hour). */
void pd__budget_tick(pd_t *pd);
/* Write this hour's counts to the audit log (at shutdown: marked partial). */
void pd__budget_close_hour(pd_t *pd, int partial);

#endif
