/* vn_subject.c -- BSN elfproef and keyed-BLAKE2b pseudonyms. */
#include "vn_subject.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Domain separation: a pseudonym can never collide with another BLAKE2b use of the same key. */
static const uint8_t s_personal[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-pseud-v1";

int vn_bsn_validate(const char *bsn)
{
    if (!bsn || strlen(bsn) != 9)
        return VN_E_BSN_LENGTH;
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        if (bsn[i] < '0' || bsn[i] > '9')
            return VN_E_BSN_DIGITS;
        int digit = bsn[i] - '0';
        sum += (i < 8) ? (9 - i) * digit : -digit;
    }
    return (sum % 11 == 0) ? 0 : VN_E_BSN_CHECKSUM;
}

int vn_pseudonym(uint8_t out[VN_PSEUDONYM_BYTES], const char *bsn,
                 const uint8_t key[VN_PSEUDONYM_KEY_BYTES])
{
    int rc = vn_bsn_validate(bsn);
    if (rc != 0)
        return rc;
    if (crypto_generichash_blake2b_salt_personal(out, VN_PSEUDONYM_BYTES, (const uint8_t *)bsn, 9,
                                                  key, VN_PSEUDONYM_KEY_BYTES, NULL,
                                                  s_personal) != 0)
        return VN_E_CRYPTO;
    return 0;
}

int vn_pseudonym_key_create(const char *path)
{
    uint8_t key[VN_PSEUDONYM_KEY_BYTES];
    char hex[2 * VN_PSEUDONYM_KEY_BYTES + 1], text[256];
    randombytes_buf(key, sizeof key);
    snprintf(text, sizeof text,
             "# vangnet network pseudonym key: agents only, never the broker\n"
             "[vangnet-pseudonym-key]\nversion = 1\nkey = %s\n",
             vn_hex(hex, key, sizeof key));
    int rc = vn_write_file_new(path, 0600, text, strlen(text));
    sodium_memzero(key, sizeof key);
    sodium_memzero(hex, sizeof hex);
    sodium_memzero(text, sizeof text);
    return rc;
}

typedef struct {
    uint8_t *key;
    int version, have_key;
    char err[120];
} s_pkey_t;

static int s_pkey_handler(void *user, const char *section, const char *name, const char *value)
{
    s_pkey_t *p = user;
    if (p->err[0])
        return 0; /* keep the first error: inih reports the first failing line */
    if (strcmp(section, "vangnet-pseudonym-key") != 0) {
        snprintf(p->err, sizeof p->err, "unexpected section [%s]", section);
        return 0;
    }
    if (strcmp(name, "version") == 0) {
        p->version = atoi(value);
        return 1;
    }
    if (strcmp(name, "key") == 0 && vn_unhex(p->key, VN_PSEUDONYM_KEY_BYTES, value) == 0) {
        p->have_key = 1;
        return 1;
    }
    snprintf(p->err, sizeof p->err, "invalid '%s'", name);
    return 0;
}

int vn_pseudonym_key_load(const char *path, uint8_t key[VN_PSEUDONYM_KEY_BYTES], char *err,
                          size_t errlen)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = vn_read_secret_file(path, 4096, &text, &len, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    s_pkey_t p = {.key = key};
    int line = ini_parse_string((char *)text, s_pkey_handler, &p);
    sodium_memzero(text, len);
    free(text);
    if (line != 0 || !p.have_key) {
        snprintf(err, errlen, "%s: line %d: not a vangnet pseudonym key file%s%s", path, line,
                 p.err[0] ? ": " : "", p.err);
        return VN_E_KEYFILE;
    }
    if (p.version != 1) {
        snprintf(err, errlen, "%s: pseudonym key version %d is not supported", path, p.version);
        return VN_E_VERSION;
    }
    return 0;
}
