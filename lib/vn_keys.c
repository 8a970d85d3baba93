/* vn_keys.c -- key generation and the INI key file format ([vangnet-key], version = 1). */
#include "vn_keys.h"
#include "vn_error.h"
#include "vn_util.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define KEYFILE_VERSION 1
#define KEYFILE_MAX 8192

const char *const vn_sectors[] = {
    "veilig-thuis", "ggz", "jeugdhulp", "wijkteam", "onderwijs", "huisarts", "politie",
    "raad-kinderbescherming", "gecertificeerde-instelling", "gemeente", "broker", NULL,
};

int vn_sector_valid(const char *sector)
{
    for (int i = 0; sector && vn_sectors[i]; i++)
        if (strcmp(sector, vn_sectors[i]) == 0)
            return 1;
    return 0;
}

vn_keyset_t *vn_keyset_generate(const char *org, const char *sector)
{
    if (!vn_org_id_valid(org) || !vn_sector_valid(sector)) {
        errno = EINVAL;
        return NULL;
    }
    vn_keyset_t *ks = sodium_malloc(sizeof *ks);
    if (!ks)
        return NULL;
    memset(ks, 0, sizeof *ks);
    snprintf(ks->pub.org, sizeof ks->pub.org, "%s", org);
    snprintf(ks->pub.sector, sizeof ks->pub.sector, "%s", sector);
    crypto_sign_keypair(ks->pub.sign_pk, ks->sign_sk);
    crypto_box_keypair(ks->pub.box_pk, ks->box_sk);
    if (zmq_curve_keypair(ks->pub.curve_pk, ks->curve_sk) != 0) {
        vn_keyset_destroy(&ks);
        errno = ENOTSUP;
        return NULL;
    }
    return ks;
}

void vn_keyset_destroy(vn_keyset_t **self_p)
{
    if (self_p && *self_p) {
        sodium_free(*self_p); /* sodium_free wipes before unmapping */
        *self_p = NULL;
    }
}

static void s_format_public(const vn_pubkeys_t *pub, const char *kind, char *buf, size_t len)
{
    char sign[65], box[65];
    snprintf(buf, len,
             "# vangnet %s key file\n"
             "[vangnet-key]\n"
             "version = %d\n"
             "kind = %s\n"
             "org = %s\n"
             "sector = %s\n"
             "sign_public = %s\n"
             "box_public = %s\n"
             "curve_public = %s\n",
             kind, KEYFILE_VERSION, kind, pub->org, pub->sector,
             vn_hex(sign, pub->sign_pk, 32), vn_hex(box, pub->box_pk, 32), pub->curve_pk);
}

int vn_keyset_save(const vn_keyset_t *ks, const char *dir)
{
    assert(ks && dir);
    char secret_path[4096], public_path[4096];
    snprintf(secret_path, sizeof secret_path, "%s/%s.secret", dir, ks->pub.org);
    snprintf(public_path, sizeof public_path, "%s/%s.public", dir, ks->pub.org);
    struct stat st;
    if (stat(secret_path, &st) == 0 || stat(public_path, &st) == 0)
        return VN_E_EXISTS;

    char *text = sodium_malloc(KEYFILE_MAX);
    if (!text)
        return -ENOMEM;
    char sign_sk[129], box_sk[65];
    s_format_public(&ks->pub, "secret", text, KEYFILE_MAX);
    size_t used = strlen(text);
    snprintf(text + used, KEYFILE_MAX - used,
             "# secret keys: never share this file\n"
             "sign_secret = %s\n"
             "box_secret = %s\n"
             "curve_secret = %s\n",
             vn_hex(sign_sk, ks->sign_sk, 64), vn_hex(box_sk, ks->box_sk, 32), ks->curve_sk);
    sodium_memzero(sign_sk, sizeof sign_sk);
    sodium_memzero(box_sk, sizeof box_sk);
    int rc = vn_write_file_new(secret_path, 0600, text, strlen(text));
    if (rc == 0) {
        s_format_public(&ks->pub, "public", text, KEYFILE_MAX);
        rc = vn_write_file_new(public_path, 0644, text, strlen(text));
        if (rc != 0)
            remove(secret_path);
    }
    sodium_free(text);
    return rc;
}

/* What the INI handler collects; seen flags make every field mandatory exactly once. */
typedef struct {
    vn_keyset_t *ks;      /* secret fields land here (guarded memory) */
    vn_pubkeys_t *pub;
    int version, want_secret, is_secret;
    unsigned seen;
    char err[160];
} s_parse_t;

enum { SEEN_VERSION = 1, SEEN_KIND = 2, SEEN_ORG = 4, SEEN_SECTOR = 8, SEEN_SIGN_PK = 16,
       SEEN_BOX_PK = 32, SEEN_CURVE_PK = 64, SEEN_SIGN_SK = 128, SEEN_BOX_SK = 256,
       SEEN_CURVE_SK = 512 };
#define SEEN_PUBLIC 127u
#define SEEN_ALL 1023u

static int s_z85_key_valid(const char *v)
{
    uint8_t raw[32];
    return strlen(v) == 40 && zmq_z85_decode(raw, v) != NULL;
}

static int s_key_handler(void *user, const char *section, const char *name, const char *value)
{
    s_parse_t *p = user;
    unsigned bit = 0;
    int ok = 1;
    if (p->err[0])
        return 0; /* keep the first error: inih reports the first failing line */
    if (strcmp(section, "vangnet-key") != 0) {
        snprintf(p->err, sizeof p->err, "unexpected section [%s]", section);
        return 0;
    }
    if (strcmp(name, "version") == 0) {
        bit = SEEN_VERSION;
        p->version = atoi(value);
    } else if (strcmp(name, "kind") == 0) {
        bit = SEEN_KIND;
        p->is_secret = strcmp(value, "secret") == 0;
        ok = p->is_secret || strcmp(value, "public") == 0;
    } else if (strcmp(name, "org") == 0) {
        bit = SEEN_ORG;
        ok = vn_org_id_valid(value);
        if (ok)
            snprintf(p->pub->org, sizeof p->pub->org, "%s", value);
    } else if (strcmp(name, "sector") == 0) {
        bit = SEEN_SECTOR;
        ok = vn_sector_valid(value);
        if (ok)
            snprintf(p->pub->sector, sizeof p->pub->sector, "%s", value);
    } else if (strcmp(name, "sign_public") == 0) {
        bit = SEEN_SIGN_PK;
        ok = vn_unhex(p->pub->sign_pk, 32, value) == 0;
    } else if (strcmp(name, "box_public") == 0) {
        bit = SEEN_BOX_PK;
        ok = vn_unhex(p->pub->box_pk, 32, value) == 0;
    } else if (strcmp(name, "curve_public") == 0) {
        bit = SEEN_CURVE_PK;
        ok = s_z85_key_valid(value);
        if (ok)
            snprintf(p->pub->curve_pk, sizeof p->pub->curve_pk, "%s", value);
    } else if (p->ks && strcmp(name, "sign_secret") == 0) {
        bit = SEEN_SIGN_SK;
        ok = vn_unhex(p->ks->sign_sk, 64, value) == 0;
    } else if (p->ks && strcmp(name, "box_secret") == 0) {
        bit = SEEN_BOX_SK;
        ok = vn_unhex(p->ks->box_sk, 32, value) == 0;
    } else if (p->ks && strcmp(name, "curve_secret") == 0) {
        bit = SEEN_CURVE_SK;
        ok = s_z85_key_valid(value);
        if (ok)
            snprintf(p->ks->curve_sk, sizeof p->ks->curve_sk, "%s", value);
    } else if (!p->ks && (strcmp(name, "sign_secret") == 0 || strcmp(name, "box_secret") == 0 ||
                          strcmp(name, "curve_secret") == 0)) {
        return 1; /* reading only the public half of a secret file */
    } else {
        snprintf(p->err, sizeof p->err, "unknown key '%s'", name);
        return 0;
    }
    if (!ok || (p->seen & bit)) {
        snprintf(p->err, sizeof p->err, "%s '%s'",
                 ok ? "duplicate" : "invalid value for", name);
        return 0;
    }
    p->seen |= bit;
    return 1;
}

static int s_parse(const char *text, s_parse_t *p)
{
    int line = ini_parse_string(text, s_key_handler, p);
    if (line != 0) {
        char detail[sizeof p->err];
        snprintf(detail, sizeof detail, "%s", p->err[0] ? p->err : "syntax error");
        snprintf(p->err, sizeof p->err, "line %d: %.140s", line, detail);
        return VN_E_KEYFILE;
    }
    if ((p->seen & SEEN_VERSION) && p->version != KEYFILE_VERSION) {
        snprintf(p->err, sizeof p->err, "key file version %d is not supported (expected %d)",
                 p->version, KEYFILE_VERSION);
        return VN_E_VERSION;
    }
    unsigned need = p->want_secret ? SEEN_ALL : SEEN_PUBLIC;
    if ((p->seen & need) != need) {
        snprintf(p->err, sizeof p->err, "missing fields (not a complete vangnet %s key file)",
                 p->want_secret ? "secret" : "public");
        return VN_E_KEYFILE;
    }
    if (p->want_secret && !p->is_secret) {
        snprintf(p->err, sizeof p->err, "this is a public key file, a secret one is needed");
        return VN_E_KEYFILE;
    }
    return 0;
}

int vn_pubkeys_parse(const char *text, vn_pubkeys_t *out, char *err, size_t errlen)
{
    s_parse_t p = {.pub = out};
    memset(out, 0, sizeof *out);
    int rc = s_parse(text, &p);
    if (rc != 0 && err)
        snprintf(err, errlen, "%s", p.err);
    return rc;
}

int vn_pubkeys_load(const char *path, vn_pubkeys_t *out, char *err, size_t errlen)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = vn_read_file(path, KEYFILE_MAX, &text, &len);
    if (rc != 0) {
        if (err)
            snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    char detail[200] = "";
    rc = vn_pubkeys_parse((char *)text, out, detail, sizeof detail);
    if (rc != 0 && err)
        snprintf(err, errlen, "%s: %s", path, detail);
    sodium_memzero(text, len);
    free(text);
    return rc;
}

int vn_keyset_load(const char *path, vn_keyset_t **out, char *err, size_t errlen)
{
    *out = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    unsigned mode = 0;
    int rc = vn_read_secret_file(path, KEYFILE_MAX, &text, &len, &mode);
    if (rc == VN_E_KEYFILE_PERMS) {
        if (err)
            snprintf(err, errlen, "%s: mode %03o: %s", path, mode, vn_strerror(rc));
        return rc;
    }
    if (rc != 0) {
        if (err)
            snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    vn_keyset_t *ks = sodium_malloc(sizeof *ks);
    if (!ks) {
        sodium_memzero(text, len);
        free(text);
        return -ENOMEM;
    }
    memset(ks, 0, sizeof *ks);
    s_parse_t p = {.ks = ks, .pub = &ks->pub, .want_secret = 1};
    rc = s_parse((char *)text, &p);
    sodium_memzero(text, len);
    free(text);
    if (rc == 0) {
        /* The secret halves must belong to the public halves, or the file was damaged. */
        uint8_t derived[32], seed[32], sign_pk[32], sign_sk[64];
        /* Re-derive from the seed: the stored sk's second half is only a copy of the pk. */
        crypto_sign_ed25519_sk_to_seed(seed, ks->sign_sk);
        crypto_sign_seed_keypair(sign_pk, sign_sk, seed);
        int sign_ok = sodium_memcmp(sign_pk, ks->pub.sign_pk, 32) == 0 &&
                      sodium_memcmp(sign_sk, ks->sign_sk, 64) == 0;
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(sign_sk, sizeof sign_sk);
        crypto_scalarmult_base(derived, ks->box_sk);
        int box_ok = sodium_memcmp(derived, ks->pub.box_pk, 32) == 0;
        char curve_pub[VN_Z85_KEY];
        int curve_ok = zmq_curve_public(curve_pub, ks->curve_sk) == 0 &&
                       strcmp(curve_pub, ks->pub.curve_pk) == 0;
        sodium_memzero(derived, sizeof derived);
        if (!sign_ok || !box_ok || !curve_ok) {
            snprintf(p.err, sizeof p.err, "secret and public keys do not match");
            rc = VN_E_KEYFILE;
        }
    }
    if (rc != 0) {
        if (err)
            snprintf(err, errlen, "%s: %s", path, p.err);
        sodium_free(ks);
        return rc;
    }
    *out = ks;
    return 0;
}

void vn_key_fingerprint(const uint8_t sign_pk[32], char out[17])
{
    uint8_t h[8];
    crypto_generichash(h, sizeof h, sign_pk, 32, NULL, 0);
    vn_hex(out, h, sizeof h);
}
