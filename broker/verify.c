/* verify.c -- worker threads that check envelopes (Ed25519, recipients, times, sizes) off the main
 * thread, so signature checks never wait behind an fsync. In: [routing][org][envelope];
 * out: [routing][org][code][reason][envelope], code empty when the envelope may be accepted. */
#include "broker.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define JOBS_EP "inproc://vn-jobs"
#define STORE_IN_EP "inproc://vn-store-in"
#define CLOCK_SKEW 300 /* seconds an agent's clock may run ahead */

#define REFUSE(c, ...)                                   \
    do {                                                 \
        snprintf(code, code_len, "%s", c);               \
        snprintf(reason, reason_len, __VA_ARGS__);       \
        goto done;                                       \
    } while (0)

/* Decide whether the authenticated org may submit this envelope. Empty code: accept. */
static void s_check(broker_t *b, const char *org, const uint8_t *buf, size_t len, char *code,
                    size_t code_len, char *reason, size_t reason_len)
{
    vn_parsed_t p = {0};
    const Vn__OrgEntry *sender, *recipient;
    MDB_txn *txn = NULL;
    /* One registry cache serves the checks below and the policy's sector lookups. */
    broker_env_t env;
    vn_policy_env_t penv;
    broker__env_init(&env, b, NULL, &penv);
    code[0] = reason[0] = '\0';
    if (len > b->cfg.max_envelope)
        REFUSE("too-large", "envelope of %zu bytes exceeds the limit of %zu", len,
               b->cfg.max_envelope);
    int rc = vn_envelope_parse(buf, len, &p);
    if (rc == VN_E_VERSION)
        REFUSE("unsupported-version", "envelope version is not supported by this broker");
    if (rc != 0)
        REFUSE("malformed-envelope", "envelope could not be decoded");
    if (strcmp(p.hdr->sender, org) != 0)
        REFUSE("sender-mismatch", "envelope names sender %s but the connection is %s",
               p.hdr->sender, org);
    if (vn_store_begin(b->db, 1, &txn) != 0)
        REFUSE("storage-error", "broker storage unavailable");
    env.txn = txn;
    if (!(sender = broker__env_org(&env, org)) || sender->revoked)
        REFUSE("sender-revoked", "organisation %s is not registered or was revoked", org);
    rc = vn_registry_verify_sender(&p, sender, vn_now());
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
        snprintf(reason, reason_len, "review"); /* accepted, flagged for review */
done:
    broker__env_clear(&env);
    if (txn)
        mdb_txn_abort(txn);
    vn_parsed_clear(&p);
}

static void *s_worker(void *arg)
{
    broker_t *b = arg;
    pthread_setname_np(pthread_self(), "vn-verify");
    void *in = zmq_socket(b->ctx, ZMQ_PULL), *out = zmq_socket(b->ctx, ZMQ_PUSH);
    zmq_connect(in, JOBS_EP);
    zmq_connect(out, STORE_IN_EP);
    while (!atomic_load(&b->workers_stop)) {
        zmq_pollitem_t item = {in, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], in, 0) < 0) {
                zmq_msg_close(&parts[n]);
                goto stop;
            }
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (n != 3) { /* never sent by the main thread; ignore */
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
            continue;
        }
        char org[VN_ORG_MAX + 1] = "", code[96], reason[700];
        size_t org_len = zmq_msg_size(&parts[1]);
        if (org_len <= VN_ORG_MAX)
            memcpy(org, zmq_msg_data(&parts[1]), org_len), org[org_len] = '\0';
        s_check(b, org, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]), code, sizeof code,
                reason, sizeof reason);
        zmq_send(out, "V", 1, ZMQ_SNDMORE);
        zmq_msg_send(&parts[0], out, ZMQ_SNDMORE);
        zmq_msg_send(&parts[1], out, ZMQ_SNDMORE);
        zmq_send(out, code, strlen(code), ZMQ_SNDMORE);
        zmq_send(out, reason, strlen(reason), ZMQ_SNDMORE);
        zmq_msg_send(&parts[2], out, 0);
    }
stop:
    zmq_close(in);
    zmq_close(out);
    return NULL;
}

int broker__workers_start(broker_t *b)
{
    int linger = 0;
    b->jobs = zmq_socket(b->ctx, ZMQ_PUSH);
    zmq_setsockopt(b->jobs, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(b->jobs, JOBS_EP) != 0)
        return -1;
    b->workers = calloc((size_t)b->cfg.workers, sizeof *b->workers);
    if (!b->workers)
        return -1;
    for (b->n_workers = 0; b->n_workers < b->cfg.workers; b->n_workers++)
        if (pthread_create(&b->workers[b->n_workers], NULL, s_worker, b) != 0)
            return -1;
    return 0;
}

void broker__workers_stop(broker_t *b)
{
    atomic_store(&b->workers_stop, 1);
    for (int i = 0; i < b->n_workers; i++)
        pthread_join(b->workers[i], NULL);
    free(b->workers);
    b->workers = NULL;
    b->n_workers = 0;
}
