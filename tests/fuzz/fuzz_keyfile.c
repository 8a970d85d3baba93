/* fuzz_keyfile.c -- libFuzzer target: any text into the public key file parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    vn_pubkeys_t pub;
    char err[256];
    (void)vn_pubkeys_parse(text, &pub, err, sizeof err);
    free(text);
    return 0;
}
