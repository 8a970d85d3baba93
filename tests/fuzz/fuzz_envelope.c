/* fuzz_envelope.c -- libFuzzer target: any bytes into the envelope decoder, verifier and opener. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vn_keyset_t *s_me;
static uint8_t s_sender_pk[32];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_me) {
        if (sodium_init() < 0)
            abort();
        s_me = vn_keyset_generate("vt-zuid-limburg", "veilig-thuis");
        memset(s_sender_pk, 1, sizeof s_sender_pk);
    }
    vn_parsed_t p;
    if (vn_envelope_parse(data, size, &p) == 0) {
        /* Try the signature against the key the envelope claims, so fuzzing gets past it
         * rarely; decryption is exercised independently of the signature. */
        (void)vn_envelope_verify(&p, p.hdr->sender_sign_key.data);
        uint8_t *content = NULL;
        size_t len = 0;
        if (vn_envelope_decrypt(&p, s_me, &content, &len) == 0)
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
