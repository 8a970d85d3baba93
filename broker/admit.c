/* admit.c -- why a submission is refused: every check an envelope passes before the broker accepts
 * it, in the order they are made (the first failing one is the answer):
 *   0. the frame   (main thread, broker.c, before the message type is known) org-revoked,
 *                  malformed-frame, unsupported-version, unexpected-message
 *   1. size        too-large
 *   2. decoding    unsupported-version, malformed-envelope
 *   3. sender      sender-mismatch (envelope vs. authenticated connection), storage-error;
 *                  then a message id this sender used before: its original outcome, no checks
 *                  (outcome.c; at commit also message-id-in-use for another's id); sender-revoked, key-expired, wrong-sender-key, ciphertext-modified, bad-signature
 *   4. recipients  duplicate-recipient, unknown-recipient, recipient-revoked, missing-key-wrapping
 *   5. times       expired, created-in-future, ttl-too-long; then pseudonym-v1-retired (a v1
 *                  subject pseudonym after [pseudonyms] refuse_v1_after; pseudonym_version.c)
 *   6. the law     missing-legal-basis, then the policy (lib/vn_policy.c, docs/policy.md: basis,
 *                  sectors, category, subject, justification fields, consent, reply); an accepted
 *                  envelope may be flagged for review
 *   7. at commit   (storage thread, in the commit's transaction) a resent message id gets its
 *                  original receipt, not a second disclosure; then recipient-queue-full
 *                  (queue_limits.c), queue-share-full (the sender's share of a recipient's queue, or
 *                  of the store's bytes, queue_share.c), storage-full within the store's last
 *                  5 %, kept for acks (store_reserve.c); storage-full or storage-error when the
 *                  store refuses (commit.c).
 * Before step 1 the main thread applies the sender's budgets (budget.c): too-many-in-flight,
 * rate-limited. A refusal from steps 0-3 or a budget is of something that did not authenticate:
 * its audit record holds a digest of what was sent, never its header (broker__refusal_authenticated).
 * Every refusal is audited within the organisation's audit budget; beyond it, refusals are still
 * answered and summarised in one SUPPRESSED record per code and window (budget.c).
 * Steps 1-6 run on the worker threads (workers.c), off the main thread, so signature checks never
 * wait behind an fsync. After acceptance a delivery can still be withheld when its consent is gone
 * (deliver.c re-checks, expiry.c withholds); that is not a refusal of the submission. */
#include "broker.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_registry.h"
#include "vn_sender.h"
#include "vn_util.h"

#include <stdio.h>
#include <string.h>

#define CLOCK_SKEW 300 /* seconds an agent's clock may run ahead */

#define REFUSE(c, ...)                                   \
    do {                                                 \
        snprintf(code, code_len, "%s", c);               \
        snprintf(reason, reason_len, __VA_ARGS__);       \
        goto done;                                       \
    } while (0)

void broker__admit(broker_t *b, const char *org, const uint8_t *buf, size_t len, char *code,
                   size_t code_len, char *reason, size_t reason_len, unsigned *flags)
{
    vn_parsed_t p = {0};
    const Vn__OrgEntry *sender, *recipient;
    MDB_txn *txn = NULL;
    /* One registry cache serves the checks below and the policy's sector lookups. */
    broker_env_t env;
    vn_policy_env_t penv;
    broker__env_init(&env, b, NULL, &penv);
    code[0] = reason[0] = '\0';
    *flags = 0;
    if (len > b->cfg.max_envelope)
        REFUSE("too-large", "envelope of %zu bytes exceeds the limit of %zu", len,
               b->cfg.max_envelope);
    int rc = vn_envelope_parse(buf, len, &p);
    if (rc == VN_E_VERSION)
        REFUSE("unsupported-version", "envelope version is not supported by this broker");
    if (rc != 0)
        REFUSE("malformed-envelope", "envelope could not be decoded");
    if (strcmp(p.hdr->sender, org) != 0)
        REFUSE("sender-mismatch", "envelope names a sender other than the authenticated "
               "connection, %s", org); /* not the claimed name: it is the peer's text */
    if (vn_store_begin(b->db, 1, &txn) != 0)
        REFUSE("storage-error", "broker storage unavailable");
    env.txn = txn;
    /* A message id this organisation sent before keeps its original outcome: nothing below (the
     * clock, consents, the policy, the registry) may change it. The commit answers it. */
    if (p.hdr->message_id.len == VN_MSGID_BYTES &&
        broker__outcome_known(txn, b, org, p.hdr->message_id.data)) {
        *flags = ADMIT_RESENT;
        goto done;
    }
    if (!(sender = broker__env_org(&env, org)) || sender->revoked)
        REFUSE("sender-revoked", "organisation %s is not registered or was revoked", org);
    /* A batch member's root signature is verified once per batch; the cache keys on the
     * registry generation read in this transaction, so no key rotation or revocation outlives
     * a cached verification. */
    uint64_t gen = 0;
    if (vn_registry_generation(txn, b->db, &gen) != 0)
        REFUSE("storage-error", "broker storage unavailable");
    rc = vn_sender_verify_cached(&p, sender, vn_now(), b->batch_roots, gen);
    if (rc == VN_E_KEY_EXPIRED)
        REFUSE("key-expired", "envelope is signed with %s's previous key, whose grace period after "
               "the key rotation has ended\nde melding is ondertekend met de vorige sleutel van %s; "
               "die is na de sleutelwissel niet meer geldig", org, org);
    if (rc == VN_E_WRONG_SENDER_KEY)
        REFUSE("wrong-sender-key", "envelope is signed with a key that is not %s's", org);
    if (rc == VN_E_CIPHERTEXT_MODIFIED)
        REFUSE("ciphertext-modified", "ciphertext does not match its signed hash");
    if (rc != 0)
        REFUSE("bad-signature", "signature does not verify");
    const Vn__Header *h = p.hdr;
    for (size_t i = 0; i < h->n_recipients; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->recipients[i], h->recipients[j]) == 0)
                REFUSE("duplicate-recipient", "recipient %s is listed twice", h->recipients[i]);
        if (!(recipient = broker__env_org(&env, h->recipients[i])))
            REFUSE("unknown-recipient", "recipient %s is not a registered organisation",
                   h->recipients[i]);
        if (recipient->revoked)
            REFUSE("recipient-revoked", "recipient %s was revoked", h->recipients[i]);
        int wrapped = 0;
        for (size_t w = 0; w < p.env->n_wrapped; w++)
            wrapped |= strcmp(p.env->wrapped[w]->recipient, h->recipients[i]) == 0;
        if (!wrapped)
            REFUSE("missing-key-wrapping", "no content key is wrapped for recipient %s",
                   h->recipients[i]);
    }
    uint64_t now = vn_now();
    if (h->expires <= now)
        REFUSE("expired", "envelope expired before it reached the broker");
    if (h->created > now + CLOCK_SKEW)
        REFUSE("created-in-future", "envelope creation time lies in the future");
    if (h->expires - h->created > b->cfg.max_ttl)
        REFUSE("ttl-too-long", "envelope lives longer than the broker's maximum of %llu days",
               (unsigned long long)(b->cfg.max_ttl / 86400));
    /* 5a. the pseudonym's version: v1 (the shared network key) retired after a date */
    char nl[256];
    if (h->subject_pseudonym.len == 32 &&
        broker__pseudonym_version_refused(b, h->subject_pseudonym_version, now, code, code_len,
                                          reason, reason_len, nl, sizeof nl)) {
        size_t used = strlen(reason);
        snprintf(reason + used, reason_len - used, "\n%s", nl);
        goto done;
    }
    if (!h->basis[0])
        REFUSE("missing-legal-basis", "a disclosure needs a legal basis\n"
                                      "een verstrekking heeft een grondslag nodig");
    /* The policy: basis, sectors, category, subject, justification fields, consent, reply. */
    vn_verdict_t verdict;
    pthread_rwlock_rdlock(&b->policy_lock);
    int allowed = vn_policy_check(b->policy, h, &penv, now, &verdict) == 0;
    pthread_rwlock_unlock(&b->policy_lock);
    if (!allowed)
        REFUSE(verdict.code, "%s\n%s", verdict.reason_en, verdict.reason_nl);
    if (verdict.review)
        *flags = ADMIT_REVIEW; /* accepted, flagged for review */
done:
    broker__env_clear(&env);
    if (txn)
        mdb_txn_abort(txn);
    vn_parsed_clear(&p);
}

int broker__admit_at_commit(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, size_t env_len,
                            char *code, size_t code_len, char *reason, size_t reason_len)
{
    /* A queue at its limit is full for everyone; below it, one sender may hold only its share. */
    return broker__queue_check(txn, b, p, code, code_len, reason, reason_len) ||
           broker__share_check(txn, b, p, env_len, code, code_len, reason, reason_len) ||
           broker__reserve_check(b, env_len, code, code_len, reason, reason_len);
}

int broker__refusal_authenticated(const char *code)
{
    /* Steps 0-3 above: decided before (or instead of) verifying the sender's signature. Their
     * header fields are whatever the peer wrote; the audit keeps a digest, not them. */
    static const char *const before_signature[] = {
        "org-revoked", "malformed-frame", "unsupported-version", "unexpected-message",
        "too-large", "malformed-envelope", "sender-mismatch", "storage-error", "sender-revoked",
        "key-expired", "wrong-sender-key", "ciphertext-modified", "bad-signature",
        "rate-limited", "too-many-in-flight",
    };
    for (size_t i = 0; i < sizeof before_signature / sizeof before_signature[0]; i++)
        if (strcmp(code, before_signature[i]) == 0)
            return 0;
    return 1;
}
