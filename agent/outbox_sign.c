/* outbox_sign.c -- signature amortisation on the send path: the notifications sealed in one loop
 * turn are signed together just before its commit, one Ed25519 over the Merkle root of up to
 * VN_BATCH_MAX of them (a single one is signed alone), then stored in the outbox and sent once the
 * commit is durable. docs/envelope.md, "Batch signature". */
#include "agent.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct to_sign {
    vn_sealed_t *sealed;
    uint64_t oseq;
    uint8_t msgid[VN_MSGID_BYTES];
};

int agent__outbox_sign_later(agent_t *a, vn_sealed_t *s, uint64_t oseq,
                             const uint8_t msgid[VN_MSGID_BYTES])
{
    if (a->n_to_sign == a->cap_to_sign) {
        size_t cap = a->cap_to_sign ? 2 * a->cap_to_sign : VN_BATCH_MAX;
        struct to_sign *more = realloc(a->to_sign, cap * sizeof *more);
        if (!more)
            return -ENOMEM;
        a->to_sign = more;
        a->cap_to_sign = cap;
    }
    struct to_sign *t = &a->to_sign[a->n_to_sign++];
    t->sealed = s;
    t->oseq = oseq;
    memcpy(t->msgid, msgid, VN_MSGID_BYTES);
    return 0;
}

/* Store one signed envelope in the outbox (in the turn's transaction) and send it after the
 * commit. A failed write fails the whole turn (agent__put), as any other write would. */
static void s_store_and_send(agent_t *a, MDB_txn *txn, const struct to_sign *t,
                             const uint8_t *env, size_t env_len)
{
    uint8_t key[8], *val = malloc(VN_MSGID_BYTES + env_len), *wire;
    size_t wire_len;
    if (!val) {
        a->batch_error = a->batch_error ? a->batch_error : -ENOMEM;
        return;
    }
    vn_put_be64(key, t->oseq);
    memcpy(val, t->msgid, VN_MSGID_BYTES);
    memcpy(val + VN_MSGID_BYTES, env, env_len);
    MDB_val k = {8, key}, v = {VN_MSGID_BYTES + env_len, val};
    int rc = agent__put(a, txn, ADB_OUTBOX, &k, &v);
    free(val);
    if (rc != 0)
        return;
    Vn__Submit sub = VN__SUBMIT__INIT;
    sub.envelope = (ProtobufCBinaryData){env_len, (uint8_t *)env};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
    m.submit = &sub;
    if (vn_wire_pack(&m, &wire, &wire_len) == 0) { /* else the resend after a round sends it */
        agent__after_commit(a, 0, NULL, 0, wire, wire_len);
        a->n_sent++;
    }
}

static void s_sign_batch(agent_t *a, MDB_txn *txn, const struct to_sign *t, size_t n)
{
    vn_sealed_t *s[VN_BATCH_MAX];
    uint8_t *env[VN_BATCH_MAX];
    size_t len[VN_BATCH_MAX];
    for (size_t i = 0; i < n; i++)
        s[i] = t[i].sealed;
    int rc = vn_envelope_sign(s, n, a->keys, env, len);
    if (rc != 0) {
        vn_error("event=sign-failed notifications=%zu error=\"%s\"", n, vn_strerror(rc));
        a->batch_error = a->batch_error ? a->batch_error : rc;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!a->batch_error)
            s_store_and_send(a, txn, &t[i], env[i], len[i]);
        free(env[i]);
    }
    if (n > 1) {
        a->n_batch_signatures++;
        a->n_batch_signed += n;
    }
}

void agent__outbox_sign_pending(agent_t *a)
{
    size_t n = a->n_to_sign;
    a->n_to_sign = 0;
    MDB_txn *txn = n ? agent__txn(a) : NULL;
    /* Nothing is signed for a turn that fails anyway: its submits hear the storage error. */
    for (size_t i = 0; txn && !a->batch_error && i < n; i += VN_BATCH_MAX)
        s_sign_batch(a, txn, &a->to_sign[i], n - i < VN_BATCH_MAX ? n - i : VN_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        vn_sealed_free(a->to_sign[i].sealed);
    vn_wrap_batch_clear(a->wrap_batch); /* the turn's ephemeral keys end with it */
}

void agent__outbox_sign_fini(agent_t *a)
{
    for (size_t i = 0; i < a->n_to_sign; i++)
        vn_sealed_free(a->to_sign[i].sealed);
    free(a->to_sign);
    a->to_sign = NULL;
    a->n_to_sign = a->cap_to_sign = 0;
}
