/* vn_checkpoint.c -- signing and checking the broker's checkpoints (domain-separated Ed25519). */
#include "vn_checkpoint.h"
#include "vn_error.h"

#include <sodium.h>
#include <string.h>

#define CHECKPOINT_DOMAIN "vangnet-checkpoint-v1"

static void s_checkpoint_message(const uint8_t *cp, size_t len, crypto_sign_state *st)
{
    crypto_sign_init(st);
    crypto_sign_update(st, (const uint8_t *)CHECKPOINT_DOMAIN, strlen(CHECKPOINT_DOMAIN));
    crypto_sign_update(st, cp, len);
}

size_t vn_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[VN_HASH],
                          uint64_t time, const uint8_t sign_sk[64], uint8_t out[VN_CHECKPOINT_MAX])
{
    Vn__Checkpoint cp = VN__CHECKPOINT__INIT;
    cp.version = 1;
    cp.origin = (char *)origin;
    cp.size = size;
    cp.root = (ProtobufCBinaryData){VN_HASH, (uint8_t *)root};
    cp.time = time;
    uint8_t cpbuf[256], sig[crypto_sign_BYTES];
    size_t cplen = vn__checkpoint__pack(&cp, cpbuf);
    crypto_sign_state st;
    s_checkpoint_message(cpbuf, cplen, &st);
    crypto_sign_final_create(&st, sig, NULL, sign_sk);
    Vn__SignedCheckpoint sc = VN__SIGNED_CHECKPOINT__INIT;
    sc.checkpoint = (ProtobufCBinaryData){cplen, cpbuf};
    sc.signature = (ProtobufCBinaryData){sizeof sig, sig};
    return vn__signed_checkpoint__pack(&sc, out);
}

int vn_checkpoint_open(const uint8_t *buf, size_t len, const uint8_t broker_sign_pk[32],
                       Vn__Checkpoint **out)
{
    *out = NULL;
    Vn__SignedCheckpoint *sc = vn__signed_checkpoint__unpack(NULL, len, buf);
    if (!sc)
        return VN_E_MALFORMED;
    int rc = 0;
    if (sc->signature.len != crypto_sign_BYTES) {
        rc = VN_E_MALFORMED;
    } else if (broker_sign_pk) {
        crypto_sign_state st;
        s_checkpoint_message(sc->checkpoint.data, sc->checkpoint.len, &st);
        if (crypto_sign_final_verify(&st, sc->signature.data, broker_sign_pk) != 0)
            rc = VN_E_BAD_SIGNATURE;
    }
    Vn__Checkpoint *cp = rc ? NULL : vn__checkpoint__unpack(NULL, sc->checkpoint.len, sc->checkpoint.data);
    vn__signed_checkpoint__free_unpacked(sc, NULL);
    if (rc)
        return rc;
    if (!cp || cp->root.len != VN_HASH) {
        if (cp)
            vn__checkpoint__free_unpacked(cp, NULL);
        return VN_E_MALFORMED;
    }
    if (cp->version != 1) {
        vn__checkpoint__free_unpacked(cp, NULL);
        return VN_E_VERSION;
    }
    *out = cp;
    return 0;
}
