/* vn_api_json.h -- the JSON shapes the agent's HTTP API answers with and the CLI's --json prints,
 * built in one place (the OpenAPI document's components, agent/openapi.py): lowerCamelCase
 * members, RFC 3339 UTC times, optional members left out when empty. Each side fills the plain
 * view below from what it holds (the agent from api.proto, the CLI from the client library). */
#ifndef VN_API_JSON_H
#define VN_API_JSON_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/* "YYYY-MM-DDTHH:MM:SSZ" into out. */
char *vn_json_time(uint64_t unix_seconds, char out[32]);
/* Add key: an RFC 3339 time, left out when t is 0; a string, left out when NULL or "". */
void vn_json_add_time(struct json_object *o, const char *key, uint64_t t);
void vn_json_add_str(struct json_object *o, const char *key, const char *v);

/* An Outcome (SubmitResult): what became of one submit. Strings borrowed for the call. */
typedef struct {
    const char *message_id;      /* hex, or "" */
    const char *client_ref;      /* the submit's client_ref (client_ref_len bytes), or NULL */
    size_t client_ref_len;
    int outcome;                 /* 0 queued, 1 accepted, 2 refused */
    uint64_t audit_seq;
    const char *audit_hash;      /* hex, or "" */
    const char *code;
    const char *reason;          /* English; the broker's "English\nDutch" is split */
    const char *reason_nl;
    int repeated;
    uint64_t submitted, decided;
    const char *recipient;       /* one participant's verdict of a match:ID submit, or "" */
} vn_json_outcome_t;
struct json_object *vn_json_outcome(const vn_json_outcome_t *r);

/* A Consent. */
typedef struct {
    const char *id, *subject, *given_by, *purpose;
    const char *const *recipients;
    size_t n_recipients;
    const char *const *categories;
    size_t n_categories;
    uint64_t valid_from, expires, withdrawn, registered;
} vn_json_consent_t;
struct json_object *vn_json_consent(const vn_json_consent_t *c);

/* The agent's Status. */
typedef struct {
    const char *org;
    int connected, log_inconsistent, revoked;
    uint64_t outbox_pending, inbox_pending, directory_generation, sent, received, checkpoint_size;
    uint64_t held_pending;
    uint32_t directory_orgs, max_content_bytes;
    const char *disconnect_reason, *caller;
} vn_json_status_t;
struct json_object *vn_json_status(const vn_json_status_t *s);

/* A match (MatchInfo; with_local: a Match, with our cases and the contact cards we received). */
typedef struct {
    const char *org, *sector, *signal_id, *category;
    uint64_t signal_date, registered;
    int active;
} vn_json_participant_t;
typedef struct {
    const char *signal_id, *client_ref; /* client_ref_len bytes, or NULL */
    size_t client_ref_len;
    const char *youth_bsn, *category;
} vn_json_case_t;
typedef struct {
    const char *from, *match_id, *signal_id, *signal_category, *name, *role, *phone, *email;
} vn_json_card_t;
typedef struct {
    const char *id, *kind, *coordinator, *handover_to;
    int agreed, coordinator_by_handover;
    uint64_t created, updated;
    const vn_json_participant_t *participants;
    size_t n_participants;
    int with_local;
    const vn_json_case_t *cases;
    size_t n_cases;
    const vn_json_card_t *cards;
    size_t n_cards;
} vn_json_match_t;
struct json_object *vn_json_match(const vn_json_match_t *m);
struct json_object *vn_json_case(const vn_json_case_t *c);
struct json_object *vn_json_card(const vn_json_card_t *c);

/* One of our signals: the broker's record joined with the local case; state at now. */
typedef struct {
    const char *id, *owner, *category, *youth_pseudonym;
    const char *const *parent_pseudonyms;
    size_t n_parents;
    const char *youth_bsn, *client_ref;
    size_t client_ref_len;
    uint64_t signal_date, active_until, delete_after, registered, withdrawn, now;
    const char *const *informed;
    size_t n_informed;
    const char *not_informed_reason;
    uint32_t youth_age;
    const char *user_id, *user_role;
    const char *contact_name, *contact_role, *contact_phone, *contact_email;
} vn_json_signal_t;
struct json_object *vn_json_signal(const vn_json_signal_t *s);

/* The signed vocabulary: name, revision, verified, and its terms. */
typedef struct {
    const char *kind, *term, *gloss_en, *definition;
} vn_json_term_t;
struct json_object *vn_json_vocabulary(const char *name, uint64_t revision, int verified,
                                       const vn_json_term_t *terms, size_t n_terms);

/* An inbox cursor: the position in base 26 with letters only (never read as a citizen number). */
void vn_json_cursor_format(uint64_t seq, char out[24]);

/* One inbox item (a Notification): a notification, with notice_code a notice about one of ours,
 * or with match_event a match notice. Strings borrowed for the call; NULL reads as "". */
typedef struct {
    const char *key, *value;
} vn_json_field_t;
typedef struct {
    const char *message_id;              /* hex */
    uint64_t inbox_seq, received;
    const char *notice_code, *notice_reason, *notice_recipient, *about_message_id;
    int match_notice;                    /* a match notice (kind match-notice) */
    const char *match_event;
    struct json_object *match;           /* a match notice's Match (vn_json_match); taken over */
    uint64_t match_audit_seq;
    const char *sender, *sender_sector, *category, *basis;
    const vn_json_field_t *justification;
    size_t n_justification;
    const char *subject_pseudonym;       /* hex, or "" when anonymous */
    uint64_t created, expires;
    const char *user_id, *user_role, *media_type;
    const uint8_t *content;
    size_t content_len;
    const char *subject_bsn, *subject_name, *subject_birth_date, *match_id;
    const vn_json_card_t *card;          /* a contact card, or NULL */
    const vn_json_case_t *cases;         /* our own cases the item is about */
    size_t n_cases;
    int sender_revoked;
} vn_json_notification_t;
struct json_object *vn_json_notification(const vn_json_notification_t *n);

#endif
