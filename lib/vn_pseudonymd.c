/* vn_pseudonymd.c -- the pseudonym service's key files and its request/reply frames. */
#include "vn_pseudonymd.h"
#include "vn_error.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

static const uint8_t s_personal[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-pseud-v2";

/* ---- key files ---- */

int vn_pseud_keys_create(const char *dir, char *err, size_t errlen)
{
    char spath[4096], ppath[4096], text[1024], pk_hex[65], sk_hex[65], curve_pk[41], curve_sk[41];
    snprintf(spath, sizeof spath, "%s/pseudonymd.secret", dir);
    snprintf(ppath, sizeof ppath, "%s/pseudonymd.public", dir);
    struct stat st;
    if (stat(spath, &st) == 0 || stat(ppath, &st) == 0) {
        snprintf(err, errlen, "%s: pseudonymd keys exist already", dir);
        return VN_E_EXISTS;
    }
    uint8_t sk[32], pk[32];
    vn_oprf_keypair(sk, pk);
    if (zmq_curve_keypair(curve_pk, curve_sk) != 0) {
        snprintf(err, errlen, "no CURVE support in libzmq");
        return VN_E_CRYPTO;
    }
    vn_hex(pk_hex, pk, 32);
    vn_hex(sk_hex, sk, 32);
    snprintf(text, sizeof text,
             "# vangnet pseudonym service keys: the VOPRF key is the only key that turns a BSN\n"
             "# into a pseudonym. Keep this file with the service alone (0600), never with an agency.\n"
             "[vangnet-pseudonymd]\nversion = 1\nkind = secret\ncurve_public = %s\n"
             "oprf_public = %s\ncurve_secret = %s\noprf_secret = %s\n",
             curve_pk, pk_hex, curve_sk, sk_hex);
    int rc = vn_write_file_new(spath, 0600, text, strlen(text));
    if (rc == 0) {
        snprintf(text, sizeof text,
                 "# vangnet pseudonym service public keys: agents pin these ([pseudonymd] public)\n"
                 "[vangnet-pseudonymd]\nversion = 1\nkind = public\ncurve_public = %s\n"
                 "oprf_public = %s\n", curve_pk, pk_hex);
        rc = vn_write_file_new(ppath, 0644, text, strlen(text));
        if (rc != 0)
            remove(spath);
    }
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", dir, vn_strerror(rc));
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sk_hex, sizeof sk_hex);
    sodium_memzero(curve_sk, sizeof curve_sk);
    sodium_memzero(text, sizeof text);
    return rc;
}

typedef struct {
    vn_pseud_pub_t *pub;
    vn_pseud_keys_t *keys; /* NULL: public fields only */
    unsigned seen;
    int version;
    char err[120];
} s_kparse_t;

enum { K_VERSION = 1, K_CURVE_PK = 2, K_OPRF_PK = 4, K_CURVE_SK = 8, K_OPRF_SK = 16 };

static int s_khandler(void *user, const char *section, const char *name, const char *value)
{
    s_kparse_t *p = user;
    if (p->err[0])
        return 0;
    if (strcmp(section, "vangnet-pseudonymd") != 0) {
        snprintf(p->err, sizeof p->err, "unexpected section [%s]", section);
        return 0;
    }
    uint8_t tmp[32];
    if (strcmp(name, "version") == 0) {
        p->version = atoi(value);
        p->seen |= K_VERSION;
    } else if (strcmp(name, "kind") == 0) {
        if (strcmp(value, "public") != 0 && strcmp(value, "secret") != 0)
            goto bad;
    } else if (strcmp(name, "curve_public") == 0) {
        if (strlen(value) != 40 || !zmq_z85_decode(tmp, value))
            goto bad;
        memcpy(p->pub->curve_pk, value, 41);
        p->seen |= K_CURVE_PK;
    } else if (strcmp(name, "oprf_public") == 0) {
        if (vn_unhex(p->pub->oprf_pk, 32, value) != 0 ||
            !crypto_core_ristretto255_is_valid_point(p->pub->oprf_pk))
            goto bad;
        p->seen |= K_OPRF_PK;
    } else if (strcmp(name, "curve_secret") == 0) {
        if (!p->keys)
            return 1; /* the public half of a secret file */
        if (strlen(value) != 40 || !zmq_z85_decode(tmp, value))
            goto bad;
        memcpy(p->keys->curve_sk, value, 41);
        p->seen |= K_CURVE_SK;
    } else if (strcmp(name, "oprf_secret") == 0) {
        if (!p->keys)
            return 1;
        if (vn_unhex(p->keys->oprf_sk, 32, value) != 0)
            goto bad;
        p->seen |= K_OPRF_SK;
    } else {
        goto bad;
    }
    sodium_memzero(tmp, sizeof tmp);
    return 1;
bad:
    sodium_memzero(tmp, sizeof tmp);
    snprintf(p->err, sizeof p->err, "invalid '%s'", name);
    return 0;
}

static int s_kload(const char *path, s_kparse_t *p, char *err, size_t errlen)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = vn_read_file(path, 8192, &text, &len);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    int line = ini_parse_string((char *)text, s_khandler, p);
    sodium_memzero(text, len);
    free(text);
    unsigned need = K_VERSION | K_CURVE_PK | K_OPRF_PK | (p->keys ? K_CURVE_SK | K_OPRF_SK : 0);
    if (line != 0 || (p->seen & need) != need) {
        snprintf(err, errlen, "%s: line %d: not a vangnet pseudonymd key file%s%s", path, line,
                 p->err[0] ? ": " : "", p->err);
        return VN_E_KEYFILE;
    }
    if (p->version != 1) {
        snprintf(err, errlen, "%s: pseudonymd key version %d is not supported", path, p->version);
        return VN_E_VERSION;
    }
    return 0;
}

int vn_pseud_keys_load(const char *path, vn_pseud_keys_t **out, char *err, size_t errlen)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: %s", path, vn_strerror(VN_E_KEYFILE_PERMS));
        return VN_E_KEYFILE_PERMS;
    }
    vn_pseud_keys_t *k = sodium_malloc(sizeof *k);
    if (!k)
        return -ENOMEM;
    memset(k, 0, sizeof *k);
    s_kparse_t p = {.pub = &k->pub, .keys = k};
    int rc = s_kload(path, &p, err, errlen);
    uint8_t pk[32];
    if (rc == 0 && (crypto_scalarmult_ristretto255_base(pk, k->oprf_sk) != 0 ||
                    sodium_memcmp(pk, k->pub.oprf_pk, 32) != 0)) {
        snprintf(err, errlen, "%s: oprf_public is not the public key of oprf_secret", path);
        rc = VN_E_KEYFILE;
    }
    if (rc != 0) {
        sodium_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void vn_pseud_keys_destroy(vn_pseud_keys_t **self_p)
{
    if (self_p && *self_p) {
        sodium_free(*self_p); /* sodium_free wipes */
        *self_p = NULL;
    }
}

int vn_pseud_pub_load(const char *path, vn_pseud_pub_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    s_kparse_t p = {.pub = out};
    return s_kload(path, &p, err, errlen);
}

/* ---- frames ---- */

const char *vn_pseud_status_name(int status)
{
    switch (status) {
    case VN_PSEUD_OK: return "ok";
    case VN_PSEUD_MALFORMED: return "malformed";
    case VN_PSEUD_OVER_BUDGET: return "over-budget";
    case VN_PSEUD_INVALID: return "invalid-element";
    case VN_PSEUD_INTERNAL: return "internal";
    default: return "unknown";
    }
}

int vn_pseud_purpose_valid(const char *purpose)
{
    size_t n = strlen(purpose);
    if (n == 0 || n > VN_PSEUD_PURPOSE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((purpose[i] >= 'a' && purpose[i] <= 'z') || (purpose[i] >= '0' && purpose[i] <= '9') ||
              purpose[i] == '-'))
            return 0;
    return 1;
}

static void s_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t s_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

size_t vn_pseud_request_size(size_t n)
{
    return 4 + 1 + 8 + 1 + VN_PSEUD_PURPOSE_MAX + 2 + 32 * n;
}

size_t vn_pseud_request_pack(uint8_t *buf, uint64_t id, const char *purpose,
                             const uint8_t *blinded, size_t n)
{
    size_t plen = strlen(purpose), o = 0;
    memcpy(buf, VN_PSEUD_MAGIC, 4);
    o = 4;
    buf[o++] = 1;
    s_be64(buf + o, id);
    o += 8;
    buf[o++] = (uint8_t)plen;
    memcpy(buf + o, purpose, plen);
    o += plen;
    buf[o++] = (uint8_t)(n >> 8);
    buf[o++] = (uint8_t)n;
    memcpy(buf + o, blinded, 32 * n);
    return o + 32 * n;
}

int vn_pseud_request_parse(const uint8_t *buf, size_t len, uint64_t *id,
                           char purpose[VN_PSEUD_PURPOSE_MAX + 1], const uint8_t **blinded,
                           size_t *n)
{
    if (len < 4 + 1 + 8 + 1 || memcmp(buf, VN_PSEUD_MAGIC, 4) != 0 || buf[4] != 1)
        return VN_E_MALFORMED;
    *id = s_get64(buf + 5);
    size_t plen = buf[13], o = 14;
    if (plen > VN_PSEUD_PURPOSE_MAX || len < o + plen + 2)
        return VN_E_MALFORMED;
    memcpy(purpose, buf + o, plen);
    purpose[plen] = '\0';
    o += plen;
    if (strlen(purpose) != plen || !vn_pseud_purpose_valid(purpose))
        return VN_E_MALFORMED;
    *n = (size_t)buf[o] << 8 | buf[o + 1];
    o += 2;
    if (*n == 0 || *n > VN_OPRF_MAX_BATCH || len != o + 32 * *n)
        return VN_E_MALFORMED;
    *blinded = buf + o;
    return 0;
}

size_t vn_pseud_reply_size(size_t n)
{
    return 4 + 1 + 8 + 1 + 2 + 32 * n + VN_OPRF_PROOF + 1 + VN_PSEUD_MSG_MAX;
}

size_t vn_pseud_reply_ok(uint8_t *buf, uint64_t id, const uint8_t *evaluated, size_t n,
                         const uint8_t proof[VN_OPRF_PROOF])
{
    memcpy(buf, VN_PSEUD_MAGIC, 4);
    buf[4] = 2;
    s_be64(buf + 5, id);
    buf[13] = VN_PSEUD_OK;
    buf[14] = (uint8_t)(n >> 8);
    buf[15] = (uint8_t)n;
    memcpy(buf + 16, evaluated, 32 * n);
    memcpy(buf + 16 + 32 * n, proof, VN_OPRF_PROOF);
    return 16 + 32 * n + VN_OPRF_PROOF;
}

size_t vn_pseud_reply_error(uint8_t *buf, size_t cap, uint64_t id, int status, const char *msg)
{
    size_t mlen = strlen(msg);
    if (mlen > VN_PSEUD_MSG_MAX)
        mlen = VN_PSEUD_MSG_MAX;
    if (cap < 15 + mlen)
        return 0;
    memcpy(buf, VN_PSEUD_MAGIC, 4);
    buf[4] = 2;
    s_be64(buf + 5, id);
    buf[13] = (uint8_t)status;
    buf[14] = (uint8_t)mlen;
    memcpy(buf + 15, msg, mlen);
    return 15 + mlen;
}

int vn_pseud_reply_parse(const uint8_t *buf, size_t len, uint64_t *id, int *status,
                         const uint8_t **evaluated, size_t *n, const uint8_t **proof, char *msg,
                         size_t msglen)
{
    if (len < 15 || memcmp(buf, VN_PSEUD_MAGIC, 4) != 0 || buf[4] != 2)
        return VN_E_MALFORMED;
    *id = s_get64(buf + 5);
    *status = buf[13];
    if (*status != VN_PSEUD_OK) {
        size_t mlen = buf[14];
        if (len != 15 + mlen)
            return VN_E_MALFORMED;
        snprintf(msg, msglen, "%.*s", (int)mlen, (const char *)buf + 15);
        for (char *c = msg; *c; c++) /* the service's words, shown to a person: printable only */
            if (*c < 0x20 || *c > 0x7e)
                *c = '?';
        return 0;
    }
    if (len < 16)
        return VN_E_MALFORMED;
    *n = (size_t)buf[14] << 8 | buf[15];
    if (*n == 0 || *n > VN_OPRF_MAX_BATCH || len != 16 + 32 * *n + VN_OPRF_PROOF)
        return VN_E_MALFORMED;
    *evaluated = buf + 16;
    *proof = buf + 16 + 32 * *n;
    return 0;
}

void vn_pseud_from_output(uint8_t pseudonym[32], const uint8_t output[VN_OPRF_OUTPUT])
{
    crypto_generichash_blake2b_salt_personal(pseudonym, 32, output, VN_OPRF_OUTPUT, NULL, 0, NULL,
                                             s_personal);
}

/* ---- a one-shot client (the CLI's art. 15 look-up; agents use agent/pseudonym.c) ---- */

int vn_pseud_client_pseudonym(const char *endpoint, const vn_pseud_pub_t *pub,
                              const vn_keyset_t *ks, const char *purpose, const char *bsn,
                              int timeout_ms, uint8_t out[32], char *err, size_t errlen)
{
    int rc = vn_bsn_validate(bsn);
    if (rc != 0) {
        snprintf(err, errlen, "%s", vn_strerror(rc));
        return rc;
    }
    if (!vn_pseud_purpose_valid(purpose)) {
        snprintf(err, errlen, "purpose '%s' is not 1..32 of [a-z0-9-]", purpose);
        return VN_E_INVALID;
    }
    uint8_t blind[32], blinded[32], req[128], rep[512], output[VN_OPRF_OUTPUT];
    if ((rc = vn_oprf_blind(blind, blinded, (const uint8_t *)bsn, 9, NULL)) != 0) {
        snprintf(err, errlen, "blinding failed");
        return rc;
    }
    uint64_t id;
    randombytes_buf(&id, sizeof id);
    size_t len = vn_pseud_request_pack(req, id, purpose, blinded, 1);
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, pub->curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, ks->pub.curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, ks->curve_sk, 40);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    int n = -1;
    if (zmq_connect(s, endpoint) == 0 && zmq_send(s, req, len, 0) >= 0)
        n = zmq_recv(s, rep, sizeof rep, 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    uint64_t rid;
    int status;
    const uint8_t *ev, *proof;
    size_t n_ev;
    char msg[VN_PSEUD_MSG_MAX + 1] = "";
    if (n < 0 || n > (int)sizeof rep) {
        snprintf(err, errlen, "the pseudonym service %s did not answer within %d ms", endpoint,
                 timeout_ms);
        rc = VN_E_TIMEOUT;
    } else if (vn_pseud_reply_parse(rep, (size_t)n, &rid, &status, &ev, &n_ev, &proof, msg,
                                    sizeof msg) != 0 || rid != id ||
               (status == VN_PSEUD_OK && n_ev != 1)) {
        snprintf(err, errlen, "the pseudonym service's answer is malformed");
        rc = VN_E_PROTOCOL;
    } else if (status != VN_PSEUD_OK) {
        snprintf(err, errlen, "the pseudonym service refused (%s): %s",
                 vn_pseud_status_name(status), msg);
        rc = VN_E_PROTOCOL;
    } else if (vn_oprf_verify_proof(pub->oprf_pk, blinded, ev, 1, proof) != 0) {
        snprintf(err, errlen, "the pseudonym service's proof does not verify under its pinned key");
        rc = VN_E_BAD_SIGNATURE;
    } else if ((rc = vn_oprf_finalize(output, (const uint8_t *)bsn, 9, blind, ev)) != 0) {
        snprintf(err, errlen, "finalising failed");
    } else {
        vn_pseud_from_output(out, output);
    }
    sodium_memzero(blind, sizeof blind);
    sodium_memzero(output, sizeof output);
    return rc;
}
