/* vangnet/client.h -- the client library agency IT systems link against to talk to their local
 * vangnet agent (its local API: a ZeroMQ socket on ipc:// or loopback TCP, protobuf messages).
 *
 * Threading: a vn_client_t is used by one thread at a time; create one per thread.
 * Errors: functions return 0 on success or a negative VN_CLIENT_E_* code; vn_client_error()
 * then describes the last error, and vn_client_error_code() gives the agent's stable code
 * (e.g. "invalid-bsn", "unknown-recipient") when the agent refused the request. */
#ifndef VANGNET_CLIENT_H
#define VANGNET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VN_CLIENT_E_IO = -1,      /* agent unreachable or no answer in time */
    VN_CLIENT_E_AGENT = -2,   /* the agent refused the request: see vn_client_error_code() */
    VN_CLIENT_E_INVALID = -3, /* a parameter is invalid (checked before anything is sent) */
    VN_CLIENT_E_PROTOCOL = -4, /* the agent answered something unexpected */
    VN_CLIENT_E_AUTH = -5     /* the agent's local API did not accept this caller */
};

typedef struct vn_client vn_client_t;

/* Connect to an agent's local API, e.g. "ipc:///run/vangnet/agent.sock". NULL on failure.
 * Connecting is lazy: an absent agent shows up as VN_CLIENT_E_IO on the first call. */
vn_client_t *vn_client_new(const char *endpoint);
/* Authenticate to a tcp:// local API with a token file (`vangnet api-client add`; it must not be
 * readable by group or others). Call before the first request. 0 or VN_CLIENT_E_INVALID. An
 * ipc:// API needs none: the socket file's permissions decide who may call. */
int vn_client_use_token_file(vn_client_t *self, const char *path);
/* Close; safe twice; sets *self_p to NULL. */
void vn_client_destroy(vn_client_t **self_p);

/* Description of the last error; borrowed, valid until the next call on this client. */
const char *vn_client_error(const vn_client_t *self);
/* The agent's stable error code for the last VN_CLIENT_E_AGENT, or "". Borrowed likewise. */
const char *vn_client_error_code(const vn_client_t *self);

/* One justification field of the legal basis, e.g. {"consent-ref", "c-2026-0012"}. */
typedef struct {
    const char *key;
    const char *value;
} vn_client_field_t;

/* A notification to share. All strings are borrowed for the duration of vn_client_submit. */
typedef struct {
    const char *const *to;            /* recipient organisation ids */
    size_t n_to;
    const char *subject_bsn;          /* the subject's BSN (never leaves the agent), or NULL when anonymous */
    const char *category;             /* e.g. "melding", "zorgsignaal" */
    const char *basis;                /* legal basis, e.g. "consent", "meldrecht" */
    const vn_client_field_t *fields;  /* justification fields of that basis */
    size_t n_fields;
    const char *user_id;              /* the professional who shares (NEN 7513) */
    const char *user_role;
    const void *content;
    size_t content_len;
    uint32_t expires_in;              /* seconds until undelivered copies expire; 0: agent default */
    /* The IT system's own key for this notification (up to 64 bytes; NULL/0: none). The agent
     * stores a notification once per client_ref: submitting again with the same client_ref (after
     * VN_CLIENT_E_IO, say) creates nothing new and returns the first submit's outcome with
     * repeated set; the same client_ref with a different notification is refused
     * ("client-ref-conflict"). */
    const void *client_ref;
    size_t client_ref_len;
    /* Sealed with the content, so the recipient's system can link it to its own records (the
     * broker never sees them). Optional; NULL when anonymous. */
    const char *subject_name;
    const char *subject_birth_date;   /* YYYY-MM-DD */
    const char *media_type;           /* of content; NULL: text/plain */
} vn_client_notification_t;

typedef enum {
    VN_CLIENT_QUEUED = 0,   /* stored durably by the agent; no broker answer within wait_ms */
    VN_CLIENT_ACCEPTED = 1, /* the broker accepted, audited and queued it for every recipient */
    VN_CLIENT_REFUSED = 2   /* the broker refused it: code and reason say why */
} vn_client_outcome_t;

typedef struct {
    vn_client_outcome_t outcome;
    char message_id[33];    /* hex */
    uint64_t audit_seq;     /* the broker's audit record (ACCEPTED or REFUSED) */
    char audit_hash[65];    /* hex SHA-256 of that record, for ACCEPTED */
    char code[96];          /* REFUSED: stable reason code, e.g. "consent-expired" */
    char reason[512];       /* REFUSED: human message, English */
    char reason_nl[512];    /* REFUSED: the same in Dutch (when the broker gave one) */
    int repeated;           /* the outcome of an earlier submit (same client_ref, or a query) */
    uint64_t submitted;     /* unix seconds the agent stored the notification */
    uint64_t decided;       /* unix seconds the agent stored the broker's answer; 0 while QUEUED */
    /* To "match:ID" (the match's participants), one envelope per participant so the policy
     * decides per recipient: each one's verdict. Above: REFUSED if any was refused (with the
     * first refusal's code), QUEUED if any is still open, else ACCEPTED. n_per_recipient is 0
     * for an ordinary submit. */
    size_t n_per_recipient;
    struct {
        char recipient[65];
        vn_client_outcome_t outcome;
        char message_id[33];
        uint64_t audit_seq;
        char code[96];
        char reason[256];
    } per_recipient[32];
} vn_client_result_t;

/* Hand a notification to the agent and wait up to wait_ms for the broker's receipt or refusal.
 * n->to may be the single recipient "match:ID": the agent sends it to every other participant
 * of that match it takes part in (VN_CLIENT_E_AGENT "unknown-match" otherwise).
 * 0 with *result filled (any outcome), or VN_CLIENT_E_*. */
int vn_client_submit(vn_client_t *self, const vn_client_notification_t *n, uint32_t wait_ms,
                     vn_client_result_t *result);

/* The outcome of one of this organisation's notifications, by its message id (hex) or by its
 * client_ref (give exactly one). While it is QUEUED, waits up to wait_ms for the broker's answer.
 * An outcome once ACCEPTED or REFUSED never changes. VN_CLIENT_E_AGENT with code "not-found"
 * when the agent never stored a notification under that id or client_ref. */
int vn_client_outcome(vn_client_t *self, const char *message_id, const void *client_ref,
                      size_t client_ref_len, uint32_t wait_ms, vn_client_result_t *result);

/* One received notification (or, with notice_code set, a notice about one of ours).
 * All pointers are borrowed from the inbox that holds it. */
/* ---- Signals and matches (the shared picture). Strings in results are copies (NUL-terminated). */

/* The local case behind one of our own signals: what the IT system registered it under. */
typedef struct {
    char signal_id[40];
    char youth_bsn[10];
    uint8_t client_ref[64];
    size_t client_ref_len;
    char category[129];
} vn_client_case_t;

/* A contact card another participant's agent sent us, sealed, for a match. */
typedef struct {
    char sender[65];                  /* the organisation (from the signed envelope) */
    char match_id[40];
    char signal_id[40];               /* the sender's signal */
    char signal_category[129];
    char name[201], role[201], phone[201], email[201];
} vn_client_card_t;

typedef struct {
    char org[65];
    char sector[65];
    char signal_id[40];
    char category[129];
    uint64_t signal_date;             /* unix seconds */
    int active;                       /* 0: inactive (past its active period), still matched */
    uint64_t registered;              /* when the broker registered the signal (unix seconds) */
} vn_client_participant_t;

/* A match as this organisation sees it. Arrays are owned by the list that holds the match. */
typedef struct {
    char id[40];
    char kind[16];                    /* "client" | "family" */
    char coordinator[65];             /* "" when no participant may coordinate */
    char handover_to[65];             /* a pending handover's proposed coordinator, or "" */
    int agreed;                       /* marked "afgestemd" */
    uint64_t created, updated;
    vn_client_participant_t *participants;
    size_t n_participants;
    vn_client_case_t *cases;          /* our own cases in it */
    size_t n_cases;
    vn_client_card_t *cards;          /* contact cards received for it (match show only) */
    size_t n_cards;
    int coordinator_by_handover;      /* the coordinator took over by an accepted handover */
} vn_client_match_t;

/* A signal to register: that this organisation is involved with a youth and concerned. No
 * content, no reason. Strings borrowed for the call. */
typedef struct {
    const char *youth_bsn;            /* pseudonymised by the agent */
    const char *const *parent_bsns;   /* 0..4 parents or carers, pseudonymised too */
    size_t n_parents;
    const char *category;             /* a signal category of the signed vocabulary */
    uint64_t signal_date;             /* unix seconds; 0: now (at most 2 years back) */
    uint64_t active_until;            /* unix seconds; 0: 2 years after signal_date */
    const char *const *informed;      /* "ouders", "jongere" (one or both), or "niet" */
    size_t n_informed;
    const char *not_informed_reason;  /* required with "niet" */
    uint32_t youth_age;               /* whole years (the policy's age rules use it) */
    const char *user_id, *user_role;
    const void *client_ref;           /* the IT system's case reference, up to 64 bytes */
    size_t client_ref_len;
    /* The professional to contact: kept by the agent, sent only to matched organisations, sealed
     * to them. A name and a phone number or an e-mail address are required. */
    const char *contact_name, *contact_role, *contact_phone, *contact_email;
} vn_client_signal_t;

/* One of our signals: the broker's record joined with the local case. */
typedef struct {
    char id[40];
    char owner[65];
    char category[129];
    char youth_pseudonym[65];         /* hex */
    size_t n_parents;
    uint64_t signal_date, active_until, registered, withdrawn, delete_after;
    char informed[64];                /* comma-separated */
    uint32_t youth_age;
    char youth_bsn[10];               /* "" when the agent does not know the case */
    uint8_t client_ref[64];
    size_t client_ref_len;
    char contact_name[201];
} vn_client_signal_record_t;

/* Register a signal; *out gets the broker's record (its id). The broker may refuse:
 * VN_CLIENT_E_AGENT with codes such as "signal-sector-not-allowed", "informed-parties-wrong",
 * "youth-too-old", "unknown-term"; the agent itself refuses "invalid-bsn", "invalid-field",
 * "invalid-contact", "broker-unreachable". */
int vn_client_signal_add(vn_client_t *self, const vn_client_signal_t *s,
                         vn_client_signal_record_t *out);
/* Withdraw one of our signals: it leaves its matches and matches no more. */
int vn_client_signal_withdraw(vn_client_t *self, const char *id, vn_client_signal_record_t *out);
/* Our signals, on one youth (youth_bsn) or all (NULL); *out is the caller's to free(). */
int vn_client_signal_list(vn_client_t *self, const char *youth_bsn,
                          vn_client_signal_record_t **out, size_t *n);

/* The matches we take part in (list), one match with the contact cards received (show), or the
 * coordination steps: hand over to another participant that may coordinate, accept a handover
 * offered to us, mark the match "afgestemd". Each gives the match(es) as they stand after it;
 * free with vn_client_matches_free. VN_CLIENT_E_AGENT e.g. "not-coordinator", "not-in-match". */
int vn_client_match_list(vn_client_t *self, vn_client_match_t **out, size_t *n);
int vn_client_match_show(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n);
int vn_client_match_handover(vn_client_t *self, const char *id, const char *to_org,
                             vn_client_match_t **out, size_t *n);
int vn_client_match_accept(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n);
int vn_client_match_agree(vn_client_t *self, const char *id, vn_client_match_t **out, size_t *n);
void vn_client_matches_free(vn_client_match_t **list_p, size_t n);

/* The shared vocabulary the agent holds (signed by the broker). */
typedef struct {
    const char *kind;                 /* "signal-category" | "category" | "justification" */
    const char *term;                 /* the Dutch term */
    const char *gloss_en;
    const char *definition;
} vn_client_term_t;

typedef struct vn_client_vocab vn_client_vocab_t;
int vn_client_vocab(vn_client_t *self, vn_client_vocab_t **out);
const char *vn_client_vocab_name(const vn_client_vocab_t *v);   /* "" when none received yet */
uint64_t vn_client_vocab_revision(const vn_client_vocab_t *v);
size_t vn_client_vocab_count(const vn_client_vocab_t *v);
const vn_client_term_t *vn_client_vocab_get(const vn_client_vocab_t *v, size_t i);
void vn_client_vocab_destroy(vn_client_vocab_t **v_p);

/* One received notification (or, with notice_code set, a notice about one of ours; or, with
 * match_event set, a match notice). All pointers are borrowed from the inbox that holds it. */
typedef struct {
    char message_id[33];        /* give this to vn_client_ack */
    const char *sender;
    const char *sender_sector;
    const char *category;
    const char *basis;
    const vn_client_field_t *fields;
    size_t n_fields;
    char subject[65];           /* pseudonym (hex), "" when anonymous */
    uint64_t created, expires, received;   /* unix seconds */
    const char *user_id, *user_role;
    const uint8_t *content;
    size_t content_len;
    const char *notice_code;    /* "" for a notification; e.g. "expired" for a notice */
    const char *notice_reason;
    const char *notice_recipient;
    char about_message_id[33];  /* a notice: which message of ours */
    int sender_revoked;         /* the directory had the sender revoked when it arrived */
    /* The subject as the sender's agent sealed it ("" when anonymous): link on the BSN. */
    const char *subject_bsn, *subject_name, *subject_birth_date;
    const char *media_type;
    const char *match_id;       /* a contact card's or match:ID message's match, else "" */
    const char *match_event;    /* a match notice: "match", "new-signal", "coordinator",
                                   "handover-offered", "agreed", "signal-withdrawn"; else "" */
    const vn_client_match_t *match; /* a match notice: the match as it stands; else NULL */
    const vn_client_card_t *card;   /* a contact card (category contactkaart); else NULL */
    const vn_client_case_t *cases;  /* our own cases the item is about */
    size_t n_cases;
    uint64_t inbox_seq;         /* its position in the agent's inbox (the HTTP API's inboxCursor) */
    uint64_t match_audit_seq;   /* a match notice: the broker's audit entry of the event */
} vn_client_message_t;

typedef struct vn_client_inbox vn_client_inbox_t;

/* Fetch up to max (0: 100) unacknowledged notifications, waiting up to wait_ms for the first. */
int vn_client_fetch(vn_client_t *self, uint32_t wait_ms, uint32_t max, vn_client_inbox_t **out);
/* The same for one sender's notifications only (from: an organisation id; NULL or "": all), found
 * through the agent's index by sender, so a flood from another sender does not hide them. With a
 * sender the agent answers at once (wait_ms is not used). */
int vn_client_fetch_from(vn_client_t *self, const char *from, uint32_t wait_ms, uint32_t max,
                         vn_client_inbox_t **out);
size_t vn_client_inbox_count(const vn_client_inbox_t *inbox);
const vn_client_message_t *vn_client_inbox_get(const vn_client_inbox_t *inbox, size_t i);
void vn_client_inbox_destroy(vn_client_inbox_t **inbox_p);

/* Tell the agent the IT system has taken over message_id (hex): it leaves the inbox. */
int vn_client_ack(vn_client_t *self, const char *message_id);

typedef struct {
    char org[65];
    int connected;
    uint64_t outbox_pending, inbox_pending, directory_generation, sent, received;
    uint32_t directory_orgs;
    uint64_t checkpoint_size;   /* newest broker audit-log checkpoint this agent verified */
    int log_inconsistent;       /* the broker's log contradicted a checkpoint it signed: alarm */
    int revoked;                /* the broker operator revoked this organisation */
    char caller[128];           /* the name the agent authenticated this caller as */
    char disconnect_reason[48]; /* while not connected: why ("broker-unreachable", ...) */
    uint64_t held_pending;      /* submits held for a pseudonym the pseudonym service has not
                                 * given yet (queued, pseudonym-unavailable), not in outbox_pending */
} vn_client_status_t;

int vn_client_status(vn_client_t *self, vn_client_status_t *status);

/* A privacy officer's delegated query (docs/pseudonyms.md): the broker's audit records in which
 * this organisation is the acting organisation or a recipient, optionally about one subject
 * (subject_bsn, pseudonymised by the agent; NULL: all), records after after_seq, at most max
 * (1..100, 0: 50). user_id names the officer in the broker's record of the read. Each record is
 * a serialized vn.AuditRecord (proto/audit.proto), borrowed until the page is destroyed. */
typedef struct vn_client_audit_page vn_client_audit_page_t;
int vn_client_audit_mine(vn_client_t *self, const char *subject_bsn, uint64_t after_seq,
                         uint32_t max, const char *user_id, vn_client_audit_page_t **out);
size_t vn_client_audit_page_count(const vn_client_audit_page_t *page);
const uint8_t *vn_client_audit_page_record(const vn_client_audit_page_t *page, size_t i,
                                           size_t *len);
/* after_seq for the next page; *more = 1 if the broker has more records after this page. */
uint64_t vn_client_audit_page_next(const vn_client_audit_page_t *page, int *more);
void vn_client_audit_page_destroy(vn_client_audit_page_t **page_p);

/* A consent the organisation obtained, to register at the broker (strings borrowed for the call). */
typedef struct {
    const char *subject_bsn;            /* pseudonymised by the agent */
    const char *given_by;               /* "client" or "wettelijk-vertegenwoordiger" */
    const char *const *recipients;      /* organisation ids or "sector:NAME" */
    size_t n_recipients;
    const char *const *categories;      /* or "*" */
    size_t n_categories;
    const char *purpose;
    uint64_t valid_from;                /* unix seconds; 0: now */
    uint64_t expires;                   /* unix seconds */
} vn_client_consent_t;

/* A registered consent as the broker holds it; lists are comma-separated. */
typedef struct {
    char id[32];                        /* use as the consent-ref justification field */
    char subject[65];                   /* pseudonym, hex */
    char given_by[32];
    char recipients[1024];
    char categories[512];
    char purpose[512];
    uint64_t valid_from, expires, withdrawn, registered;  /* withdrawn: 0 while in force */
} vn_client_consent_record_t;

/* Register a consent; *out gets its id. VN_CLIENT_E_AGENT with a code such as "consent-invalid". */
int vn_client_consent_add(vn_client_t *self, const vn_client_consent_t *c,
                          vn_client_consent_record_t *out);
/* Withdraw a consent this organisation registered; deliveries still queued that rely on it are
 * withheld and their senders told. */
int vn_client_consent_withdraw(vn_client_t *self, const char *id, vn_client_consent_record_t *out);
/* This organisation's consents, for one subject (subject_bsn) or all (NULL), every page of
 * them (the broker answers 100 at a time; this follows the pages). *out is the caller's to free(). */
int vn_client_consent_list(vn_client_t *self, const char *subject_bsn,
                           vn_client_consent_record_t **out, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
