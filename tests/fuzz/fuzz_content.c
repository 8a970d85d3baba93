/* fuzz_content.c -- libFuzzer target: any bytes as a decrypted plaintext (EnvelopeContent) and as a
 * contact card, through the recipient's checks. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t key[32], pseudonym[32];
    if (sodium_init() < 0)
        abort();
    memset(key, 7, sizeof key);
    memset(pseudonym, 9, sizeof pseudonym);
    Vn__EnvelopeContent *ec;
    if (vn_content_unpack(data, size, &ec) == 0) {
        (void)vn_content_check_subject(ec, pseudonym, sizeof pseudonym, key);
        (void)vn_content_check_subject(ec, NULL, 0, key);
        Vn__ContactCard *card = vn__contact_card__unpack(NULL, ec->body.len, ec->body.data);
        if (card)
            vn__contact_card__free_unpacked(card, NULL);
        vn__envelope_content__free_unpacked(ec, NULL);
    }
    return 0;
}
