/* vn_policy.h -- the rules of lawful disclosure as data: per legal basis, who may send, who may
 * receive, which categories, which justification fields; loaded from a policy file. */
#ifndef VN_POLICY_H
#define VN_POLICY_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

typedef struct vn_policy vn_policy_t;

/* Load and check a whole policy file. NULL on any error, with err naming file, line and reason;
 * nothing of a bad file is used. */
vn_policy_t *vn_policy_load(const char *path, char *err, size_t errlen);
void vn_policy_destroy(vn_policy_t **self_p);

/* What a consent-based disclosure relies on, as the broker's consent registry knows it. */
typedef struct {
    int found;
    const char *owner;              /* organisation that registered (obtained) the consent */
    const uint8_t *subject;         /* 32-byte pseudonym */
    const char *const *recipients;  /* organisation ids or "sector:NAME" */
    size_t n_recipients;
    const char *const *categories;
    size_t n_categories;
    uint64_t valid_from, expires, withdrawn;
} vn_consent_view_t;

/* What a reply (terugkoppeling) refers to: the earlier message, as the audit log knows it. */
typedef struct {
    int found;
    const char *sender;             /* who sent the earlier message */
    const char *const *recipients;
    size_t n_recipients;
    const char *basis;
} vn_reply_view_t;

/* Lookups the broker provides; ctx is passed through. */
typedef struct {
    void *ctx;
    const char *(*sector_of)(void *ctx, const char *org);      /* NULL if unknown */
    void (*consent)(void *ctx, const char *ref, vn_consent_view_t *out);
    void (*reply)(void *ctx, const char *msgid_hex, vn_reply_view_t *out);
    /* 1 if org takes part (with a live signal) in match_id; NULL: not checked */
    int (*in_match)(void *ctx, const char *match_id, const char *org);
} vn_policy_env_t;

/* A verdict: code empty when the disclosure is allowed. Codes are stable (see docs/policy.md). */
typedef struct {
    char code[96];
    char reason_en[320];
    char reason_nl[320];
    int review;                     /* allowed, but flagged for a privacy officer's review */
} vn_verdict_t;

/* Fill in a refusal (English and Dutch reason from the same arguments); returns -1. */
int vn_verdict_refuse(vn_verdict_t *v, const char *code, const char *en, const char *nl, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));

/* Check a header against the policy at time now. Returns 0 if allowed, -1 if refused. */
int vn_policy_check(const vn_policy_t *p, const Vn__Header *hdr, const vn_policy_env_t *env,
                    uint64_t now, vn_verdict_t *v) VN_MUST_USE;

/* Check only that a consent still covers delivery to recipient (at delivery time). */
int vn_policy_consent_still_valid(const Vn__Header *hdr, const char *recipient,
                                  const char *recipient_sector, const vn_policy_env_t *env,
                                  uint64_t now, vn_verdict_t *v);

/* Print the table of what the policy allows. */
void vn_policy_print(const vn_policy_t *p, void *file);
size_t vn_policy_count(const vn_policy_t *p);

/* One legal basis as loaded, for stating the rules (the agent's GET /v1/policy). Every string is
 * borrowed from p and valid until p is destroyed; lists are "*" or "a, b, c". */
typedef struct {
    const char *name, *law, *senders, *recipients, *categories;
    const char *subject;            /* "optional" | "required" | "forbidden" */
    int consent, review, match;
    const char *reply_to;           /* "" unless the basis answers a message of another basis */
    size_t n_fields;                /* required justification fields: vn_policy_basis_field */
} vn_policy_basis_view_t;
/* The i-th basis (i < vn_policy_count). 0, or VN_E_NOT_FOUND. */
int vn_policy_basis(const vn_policy_t *p, size_t i, vn_policy_basis_view_t *out) VN_MUST_USE;
/* Its f-th required field: type "text", "date", "msgid" or "choice" with choices "a|b|c"
 * (else ""). 0, or VN_E_NOT_FOUND. */
int vn_policy_basis_field(const vn_policy_t *p, size_t i, size_t f, const char **name,
                          const char **type, const char **choices) VN_MUST_USE;
/* The [signals] and [coordination] rules (defaults when the file has none). */
struct vn_signal_rules;
const struct vn_signal_rules *vn_policy_signals(const vn_policy_t *p);

#endif
