/* fuzz_envelope.c -- libFuzzer target: any bytes into the envelope decoder, verifier (a batch
 * member's proof and the cache of verified batch roots included) and opener, and into the batch
 * path check on its own. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vn_keyset_t *s_me;
static uint8_t s_sender_pk[32];
static vn_batch_cache_t *s_cache;
static vn_unwrap_cache_t *s_unwrap;

/* The bytes as a batch proof: index, size, a leaf and a path of any length. */
static void s_path(const uint8_t *data, size_t size)
{
    if (size < 2 + VN_BATCH_HASH)
        return;
    uint8_t root[VN_BATCH_HASH];
    (void)vn_batch_root_from_path(data + 2, data[0], data[1], data + 2 + VN_BATCH_HASH,
                                  size - 2 - VN_BATCH_HASH, root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_me) {
        if (sodium_init() < 0)
            abort();
        s_me = vn_keyset_generate("vt-zuid-limburg", "veilig-thuis");
        memset(s_sender_pk, 1, sizeof s_sender_pk);
        s_cache = vn_batch_cache_new();
        s_unwrap = vn_unwrap_cache_new();
    }
    s_path(data, size);
    vn_parsed_t p;
    if (vn_envelope_parse(data, size, &p) == 0) {
        /* Try the signature against the key the envelope claims, so fuzzing gets past it
         * rarely; decryption is exercised independently of the signature. */
        (void)vn_envelope_verify(&p, p.hdr->sender_sign_key.data);
        /* twice through the cache: a batch member's second pass is a hit (generation = the
         * first byte, so generations change under the fuzzer too) */
        for (int i = 0; i < 2; i++)
            (void)vn_envelope_verify_cached(&p, p.hdr->sender_sign_key.data, s_cache,
                                            size ? data[0] : 0);
        uint8_t *content = NULL;
        size_t len = 0;
        if (vn_envelope_decrypt(&p, s_me, &content, &len) == 0)
            free(content);
        /* and through the recipient's cache of key agreements, which outlives each input */
        if (vn_envelope_decrypt_cached(&p, s_me, s_unwrap, &content, &len) == 0)
            free(content);
        (void)vn_header_field(p.hdr, "consent-ref");
        vn_parsed_clear(&p);
    }
    uint8_t *content = NULL;
    size_t len = 0;
    if (vn_envelope_open(data, size, s_me, s_sender_pk, &p, &content, &len) == 0) {
        vn_parsed_clear(&p);
        free(content);
    }
    return 0;
}
