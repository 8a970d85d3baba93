/* pseudonym.c -- a subject's pseudonym without the agent ever holding the key that makes it:
 * blind the BSN, have the pseudonym service evaluate it (RFC 9497 VOPRF, one request for a whole
 * batch), check its DLEQ proof against the pinned public key, finalise, and keep the answer in a
 * local cache so a subject seen before needs no new evaluation. Without a [pseudonymd] the legacy
 * v1 keyed hash under the network key (docs/pseudonyms.md). */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_oprf.h"
#include "vn_pseudonymd.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PSEUD_BATCH_MAX 64 /* BSNs in one call: a signal names a youth and a few parents */

/* (Re)open a CURVE DEALER to the service. After a refused handshake libzmq does not retry,
 * and a request given up on may still sit in a pipe: a failed request starts afresh. */
int agent__pseudonym_open(agent_t *a, void **sock, char *err, size_t errlen)
{
    const vn_agent_config_t *cfg = &a->cfg;
    if (*sock)
        zmq_close(*sock);
    *sock = zmq_socket(a->ctx, ZMQ_DEALER);
    void *z = *sock;
    int linger = 0, one = 1, ivl = 100, ivl_max = 1000;
    zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, a->pseud_curve_pk, 40);
    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, a->keys->pub.curve_pk, 40);
    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, a->keys->curve_sk, 40);
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    /* Queue only to a connection that finished its handshake: a request never waits in a pipe
     * for a service that is down, so "unavailable" is known at once. */
    zmq_setsockopt(z, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(z, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(z, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    if (zmq_connect(z, cfg->pseudonymd_endpoint) != 0) {
        snprintf(err, errlen, "cannot connect to the pseudonym service %s: %s",
                 cfg->pseudonymd_endpoint, zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    return 0;
}

int agent__pseudonym_init(agent_t *a, char *err, size_t errlen)
{
    const vn_agent_config_t *cfg = &a->cfg;
    if (!cfg->pseudonymd_endpoint[0]) {
        a->pseudonyms_v1 = 1;
        vn_warn("event=pseudonyms-v1 reason=\"no [pseudonymd] configured: pseudonyms are keyed "
                "hashes under the shared network key, reversible by anyone holding it\"");
        return 0;
    }
    vn_pseud_pub_t pub;
    int rc = vn_pseud_pub_load(cfg->pseudonymd_public, &pub, err, errlen);
    if (rc != 0)
        return rc;
    memcpy(a->pseud_oprf_pk, pub.oprf_pk, 32);
    memcpy(a->pseud_curve_pk, pub.curve_pk, sizeof a->pseud_curve_pk);
    a->pseud_cache_key = sodium_malloc(32);
    if (!a->pseud_cache_key)
        return -ENOMEM;
    /* The cache is keyed by a hash of the BSN under a key only this agent can derive, so the
     * store on disk lets no one test guesses without this agent's secret keys. */
    crypto_generichash(a->pseud_cache_key, 32, (const uint8_t *)"vangnet pseudonym cache v1", 26,
                       a->keys->box_sk, 32);
    if ((rc = agent__pseudonym_open(a, &a->pseudonymd, err, errlen)) != 0 ||
        (rc = agent__pseudonym_open(a, &a->pseudonymd_async, err, errlen)) != 0)
        return rc;
    randombytes_buf(&a->pseud_next_id, sizeof a->pseud_next_id);
    vn_info("event=pseudonyms-v2 service=%s", cfg->pseudonymd_endpoint);
    return 0;
}

void agent__pseudonym_fini(agent_t *a)
{
    if (a->pseudonymd)
        zmq_close(a->pseudonymd);
    a->pseudonymd = NULL;
    if (a->pseudonymd_async)
        zmq_close(a->pseudonymd_async);
    a->pseudonymd_async = NULL;
    if (a->pseud_cache_key)
        sodium_free(a->pseud_cache_key);
    a->pseud_cache_key = NULL;
}

static void s_cache_key(const agent_t *a, const char *bsn, uint8_t k[16])
{
    crypto_generichash(k, 16, (const uint8_t *)bsn, 9, a->pseud_cache_key, 32);
}

int agent__pseudonym_cache_get(agent_t *a, const char *bsn, uint8_t out[32])
{
    MDB_txn *txn = agent__txn(a);
    uint8_t k[16];
    s_cache_key(a, bsn, k);
    MDB_val key = {16, k}, val;
    if (!txn || mdb_get(txn, vn_store_dbi(a->db, ADB_PSEUDONYMS), &key, &val) != 0 ||
        val.mv_size != 32)
        return 0;
    memcpy(out, val.mv_data, 32);
    return 1;
}

void agent__pseudonym_cache_put(agent_t *a, const char *bsn, const uint8_t p[32])
{
    MDB_txn *txn = agent__txn(a);
    uint8_t k[16];
    s_cache_key(a, bsn, k);
    MDB_val key = {16, k}, val = {32, (void *)p};
    if (txn)
        mdb_put(txn, vn_store_dbi(a->db, ADB_PSEUDONYMS), &key, &val, 0);
}

/* Wait for the answer to request id: skip stale answers to requests given up on earlier. */
static int s_await(agent_t *a, uint64_t id, uint64_t deadline, uint8_t **reply, size_t *len)
{
    for (;;) {
        uint64_t now = vn_monotonic_ms();
        if (now >= deadline)
            return VN_E_TIMEOUT;
        zmq_pollitem_t it = {a->pseudonymd, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)(deadline - now)) < 0 && errno != EINTR)
            return -errno;
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, a->pseudonymd, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        size_t n = zmq_msg_size(&m);
        if (n >= 13 && n <= vn_pseud_reply_size(VN_OPRF_MAX_BATCH)) {
            const uint8_t *d = zmq_msg_data(&m);
            uint64_t got = 0;
            for (int i = 0; i < 8; i++)
                got = got << 8 | d[5 + i];
            if (got == id && (*reply = malloc(n)) != NULL) {
                memcpy(*reply, d, n);
                *len = n;
                zmq_msg_close(&m);
                return 0;
            }
        }
        zmq_msg_close(&m);
    }
}

/* Use the service's answer to a request for n BSNs blinded with blinds: its status, its proof
 * under the pinned key, then finalise each into out. 0, or *code and msg say why not. */
int agent__pseudonym_answer(agent_t *a, const uint8_t *reply, size_t len,
                            const char *const *bsns, size_t n, const uint8_t (*blinds)[32],
                            const uint8_t (*blinded)[32], uint8_t (*out)[32], const char **code,
                            char *msg, size_t msg_len)
{
    uint8_t output[VN_OPRF_OUTPUT];
    int rc = 0;
    uint64_t rid;
    int status;
    const uint8_t *evaluated, *proof;
    size_t n_eval = 0;
    char smsg[VN_PSEUD_MSG_MAX + 1] = "";
    if (vn_pseud_reply_parse(reply, len, &rid, &status, &evaluated, &n_eval, &proof, smsg,
                             sizeof smsg) != 0 ||
        (status == VN_PSEUD_OK && n_eval != n)) {
        *code = "pseudonym-unverified";
        snprintf(msg, msg_len, "the pseudonym service's answer is malformed");
        rc = VN_E_PROTOCOL;
        goto fail;
    }
    if (status != VN_PSEUD_OK) {
        if (status == VN_PSEUD_OVER_BUDGET)
            a->pseud_refused += n;
        vn_warn("event=pseudonym-refused status=%s n=%zu", vn_pseud_status_name(status), n);
        *code = "pseudonym-refused";
        snprintf(msg, msg_len, "the pseudonym service refused (%s): %s",
                 vn_pseud_status_name(status), smsg);
        rc = VN_E_PROTOCOL;
        goto fail;
    }
    if (vn_oprf_verify_proof(a->pseud_oprf_pk, blinded[0], evaluated, n, proof) != 0) {
        /* Another key than the pinned one, or a different key for us than for others: a
         * pseudonym from it would silently break matching or single this agency out. */
        vn_error("event=pseudonym-proof-refused service=%s n=%zu", a->cfg.pseudonymd_endpoint, n);
        *code = "pseudonym-unverified";
        snprintf(msg, msg_len, "the pseudonym service's proof does not verify under its pinned "
                 "public key ([pseudonymd] public): its answer was not used");
        rc = VN_E_BAD_SIGNATURE;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = vn_oprf_finalize(output, (const uint8_t *)bsns[i], 9, blinds[i],
                                   evaluated + 32 * i)) != 0) {
            *code = "pseudonym-unverified";
            snprintf(msg, msg_len, "finalising the pseudonym failed");
            goto fail;
        }
        vn_pseud_from_output(out[i], output);
    }
    a->pseud_evaluated += n;
    sodium_memzero(output, sizeof output);
    return 0;
fail:
    a->pseud_failed += n;
    sodium_memzero(output, sizeof output);
    return rc;
}

/* One batched evaluation of the BSNs not cached: blind, ask, verify, finalise. */
static int s_evaluate(agent_t *a, const char *purpose, const char *const *bsns, size_t n,
                      uint8_t (*out)[32], const char **code, char *msg, size_t msg_len)
{
    uint8_t blinds[PSEUD_BATCH_MAX][32], blinded[PSEUD_BATCH_MAX][32];
    uint8_t req[4 + 1 + 8 + 1 + VN_PSEUD_PURPOSE_MAX + 2 + 32 * PSEUD_BATCH_MAX], *reply = NULL;
    size_t reply_len = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = vn_oprf_blind(blinds[i], blinded[i], (const uint8_t *)bsns[i], 9, NULL);
    if (rc != 0) {
        *code = "internal";
        snprintf(msg, msg_len, "blinding failed");
        goto done;
    }
    uint64_t id = a->pseud_next_id++;
    size_t len = vn_pseud_request_pack(req, id, purpose, blinded[0], n);
    uint64_t deadline = vn_monotonic_ms() + (uint64_t)a->cfg.pseudonymd_timeout_ms;
    /* wait for a connection that finished its CURVE handshake, then send; a handshake the
     * service refused (an organisation registered there a moment ago) is not retried by libzmq,
     * so the socket is reopened every half second while waiting */
    uint64_t opened = vn_monotonic_ms();
    for (;;) {
        if (zmq_send(a->pseudonymd, req, len, ZMQ_DONTWAIT) >= 0)
            break;
        uint64_t now = vn_monotonic_ms();
        if (errno != EAGAIN || now >= deadline) {
            rc = VN_E_TIMEOUT;
            break;
        }
        char err[300];
        if (now - opened >= 500) {
            if (agent__pseudonym_open(a, &a->pseudonymd, err, sizeof err) != 0)
                vn_error("event=pseudonymd-reconnect-failed error=\"%s\"", err);
            opened = now;
        }
        zmq_pollitem_t it = {a->pseudonymd, 0, ZMQ_POLLOUT, 0};
        uint64_t until = opened + 500 < deadline ? opened + 500 : deadline;
        zmq_poll(&it, 1, (long)(until > now ? until - now : 1));
    }
    if (rc == 0)
        rc = s_await(a, id, deadline, &reply, &reply_len);
    if (rc != 0) {
        *code = "pseudonym-unavailable";
        snprintf(msg, msg_len, "the pseudonym service %s did not answer within %d ms (is it "
                 "running, and is this organisation registered there?); nothing was stored or "
                 "sent: try again", a->cfg.pseudonymd_endpoint, a->cfg.pseudonymd_timeout_ms);
        rc = VN_E_TIMEOUT;
        char err[300];
        if (agent__pseudonym_open(a, &a->pseudonymd, err, sizeof err) != 0)
            vn_error("event=pseudonymd-reconnect-failed error=\"%s\"", err);
        goto done;
    }
    rc = agent__pseudonym_answer(a, reply, reply_len, bsns, n, (const uint8_t(*)[32])blinds,
                                 (const uint8_t(*)[32])blinded, out, code, msg, msg_len);
    sodium_memzero(blinds, sizeof blinds);
    free(reply);
    return rc;
done:
    a->pseud_failed += n;
    sodium_memzero(blinds, sizeof blinds);
    free(reply);
    return rc;
}

int agent__pseudonyms(agent_t *a, const char *purpose, const char *const *bsns, size_t n,
                      uint8_t (*out)[32], const char **code, char *msg, size_t msg_len)
{
    int rc;
    *code = NULL;
    if (n > PSEUD_BATCH_MAX) {
        *code = "too-large";
        snprintf(msg, msg_len, "more than %d citizen numbers at once", PSEUD_BATCH_MAX);
        return VN_E_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = vn_bsn_validate(bsns[i])) != 0) {
            *code = "invalid-bsn";
            snprintf(msg, msg_len, "%s", vn_strerror(rc));
            return rc;
        }
    if (a->pseudonyms_v1) {
        for (size_t i = 0; i < n; i++)
            if ((rc = vn_pseudonym(out[i], bsns[i], a->pseudonym_key)) != 0) {
                *code = "invalid-bsn";
                snprintf(msg, msg_len, "%s", vn_strerror(rc));
                return rc;
            }
        return 0;
    }
    const char *miss[PSEUD_BATCH_MAX];
    size_t where[PSEUD_BATCH_MAX], n_miss = 0;
    for (size_t i = 0; i < n; i++) {
        if (agent__pseudonym_cache_get(a, bsns[i], out[i])) {
            a->pseud_cached++;
            continue;
        }
        size_t j;
        for (j = 0; j < n_miss; j++) /* a parent named twice: one evaluation */
            if (strcmp(miss[j], bsns[i]) == 0)
                break;
        if (j == n_miss) {
            miss[n_miss] = bsns[i];
            where[n_miss++] = i;
        }
    }
    if (n_miss == 0)
        return 0;
    uint8_t got[PSEUD_BATCH_MAX][32];
    if ((rc = s_evaluate(a, purpose, miss, n_miss, got, code, msg, msg_len)) != 0)
        return rc;
    for (size_t j = 0; j < n_miss; j++) {
        agent__pseudonym_cache_put(a, miss[j], got[j]);
        memcpy(out[where[j]], got[j], 32);
    }
    for (size_t i = 0; i < n; i++) /* duplicates of a miss */
        for (size_t j = 0; j < n_miss; j++)
            if (i != where[j] && strcmp(bsns[i], miss[j]) == 0)
                memcpy(out[i], got[j], 32);
    sodium_memzero(got, sizeof got);
    return 0;
}

int agent__pseudonym(agent_t *a, const char *purpose, const char *bsn, uint8_t out[32],
                     const char **code, char *msg, size_t msg_len)
{
    const char *one[1] = {bsn};
    return agent__pseudonyms(a, purpose, one, 1, (uint8_t(*)[32])out, code, msg, msg_len);
}
