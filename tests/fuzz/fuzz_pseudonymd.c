/* fuzz_pseudonymd.c -- libFuzzer target: any bytes as a request to the pseudonym service (parsed,
 * then evaluated as the service would) and as its answer to an agent (parsed, proof verified). */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_oprf.h"
#include "vn_pseudonymd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sk[32], pk[32], ev[VN_OPRF_MAX_BATCH * 32], blinded[VN_OPRF_MAX_BATCH * 32];
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            abort();
        vn_oprf_keypair(sk, pk);
        memset(blinded, 0, sizeof blinded);
        ready = 1;
    }
    uint64_t id;
    char purpose[VN_PSEUD_PURPOSE_MAX + 1];
    const uint8_t *el, *e, *proof;
    size_t n;
    uint8_t pr[64];
    if (vn_pseud_request_parse(data, size, &id, purpose, &el, &n) == 0)
        (void)vn_oprf_blind_evaluate(sk, pk, el, ev, n, NULL, pr);
    int status;
    char msg[256];
    if (vn_pseud_reply_parse(data, size, &id, &status, &e, &n, &proof, msg, sizeof msg) == 0 &&
        status == VN_PSEUD_OK)
        (void)vn_oprf_verify_proof(pk, blinded, e, n, proof);
    return 0;
}
