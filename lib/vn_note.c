/* vn_note.c -- C2SP signed notes, vkeys, checkpoint bodies and cosignature/v1, exactly as the
 * c2sp.org specifications write them (Ed25519 of RFC 8032, standard padded base64). */
#include "vn_note.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_DASH "\xe2\x80\x94"
#define COSIG_HEADER "cosignature/v1\n"

static void s_put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

static uint32_t s_get_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

uint32_t vn_note_key_id(const char *name, uint8_t type, const uint8_t pk[32])
{
    crypto_hash_sha256_state st;
    uint8_t h[32], sep[2] = {'\n', type};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    return s_get_be32(h);
}

int vn_note_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > VN_NOTE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '+' || c >= 0x80) /* ASCII names only: no Unicode spaces */
            return 0;
    }
    return 1;
}

int vn_note_vkey(const char *name, uint8_t type, const uint8_t pk[32], char out[VN_NOTE_VKEY_MAX])
{
    if (!vn_note_name_valid(name))
        return VN_E_INVALID;
    uint8_t raw[33];
    char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
    raw[0] = type;
    memcpy(raw + 1, pk, 32);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, VN_NOTE_VKEY_MAX, "%s+%08" PRIx32 "+%s", name, vn_note_key_id(name, type, pk), b64);
    return 0;
}

/* Decode standard padded base64 of exactly want bytes (want 0: any length up to max). */
static int s_unbase64(const char *b64, size_t len, uint8_t *out, size_t max, size_t *got)
{
    const char *end;
    if (sodium_base642bin(out, max, b64, len, NULL, got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + len)
        return VN_E_MALFORMED;
    return 0;
}

int vn_note_vkey_parse(const char *vkey, char name[VN_NOTE_NAME_MAX + 1], uint8_t *type,
                       uint8_t pk[32])
{
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p1 || !p2 || p1 == vkey || (size_t)(p1 - vkey) > VN_NOTE_NAME_MAX || p2 - p1 != 9)
        return VN_E_INVALID;
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = 0;
    char hex[9];
    memcpy(hex, p1 + 1, 8);
    hex[8] = 0;
    char *end;
    unsigned long id = strtoul(hex, &end, 16);
    uint8_t raw[33];
    size_t got;
    if (!vn_note_name_valid(name) || *end || strspn(hex, "0123456789abcdef") != 8 ||
        s_unbase64(p2 + 1, strlen(p2 + 1), raw, sizeof raw, &got) != 0 || got != 33 ||
        (raw[0] != VN_NOTE_ED25519 && raw[0] != VN_NOTE_COSIG_V1) ||
        vn_note_key_id(name, raw[0], raw + 1) != (uint32_t)id)
        return VN_E_INVALID;
    *type = raw[0];
    memcpy(pk, raw + 1, 32);
    return 0;
}

/* "— name base64(id || sig)\n" */
static int s_line(const char *name, uint32_t id, const uint8_t *sig, size_t sig_len,
                  char line[VN_NOTE_LINE_MAX])
{
    uint8_t raw[4 + 72];
    char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
    s_put_be32(raw, id);
    memcpy(raw + 4, sig, sig_len);
    sodium_bin2base64(b64, sizeof b64, raw, 4 + sig_len, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(line, VN_NOTE_LINE_MAX, EM_DASH " %s %s\n", name, b64);
    return n > 0 && n < VN_NOTE_LINE_MAX ? n : VN_E_TOO_LARGE;
}

int vn_note_sign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                 char line[VN_NOTE_LINE_MAX])
{
    if (!vn_note_name_valid(name) || text_len == 0 || text[text_len - 1] != '\n')
        return VN_E_INVALID;
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)text, text_len, sk);
    return s_line(name, vn_note_key_id(name, VN_NOTE_ED25519, sk + 32), sig, sizeof sig, line);
}

/* Verify (or make) the cosignature/v1 message: header, "time T\n", then the checkpoint text. */
static int s_cosig_message(const char *text, size_t text_len, uint64_t timestamp, uint8_t *sig,
                           const uint8_t *sk, const uint8_t *pk)
{
    char head[64];
    int hl = snprintf(head, sizeof head, COSIG_HEADER "time %" PRIu64 "\n", timestamp);
    size_t len = (size_t)hl + text_len;
    uint8_t *msg = malloc(len);
    if (!msg)
        return -1;
    memcpy(msg, head, (size_t)hl);
    memcpy(msg + hl, text, text_len);
    int rc = -1; /* both branches spelled out: GCC -O3 otherwise warns pk may be NULL */
    if (sk)
        rc = crypto_sign_detached(sig, NULL, msg, len, sk);
    else if (pk)
        rc = crypto_sign_verify_detached(sig, msg, len, pk);
    free(msg);
    return rc;
}

int vn_note_cosign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                   uint64_t timestamp, char line[VN_NOTE_LINE_MAX])
{
    if (!vn_note_name_valid(name) || text_len == 0 || text[text_len - 1] != '\n' ||
        timestamp > INT64_MAX)
        return VN_E_INVALID;
    uint8_t ts[8 + crypto_sign_BYTES];
    vn_put_be64(ts, timestamp);
    if (s_cosig_message(text, text_len, timestamp, ts + 8, sk, NULL) != 0)
        return -ENOMEM;
    return s_line(name, vn_note_key_id(name, VN_NOTE_COSIG_V1, sk + 32), ts, sizeof ts, line);
}

/* Valid UTF-8 without control characters other than newline. */
static int s_clean_text(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || i + n > len || (n == 1 && c < 0x20 && c != '\n') || c == 0x7f ||
            (n == 2 && c < 0xc2))
            return 0;
        for (size_t j = 1; j < n; j++)
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
        i += n;
    }
    return 1;
}

int vn_note_parse(const char *buf, size_t len, vn_note_t *note)
{
    memset(note, 0, sizeof *note);
    if (len > VN_NOTE_MAX)
        return VN_E_TOO_LARGE;
    if (len < 2 || buf[len - 1] != '\n' || !s_clean_text((const uint8_t *)buf, len))
        return VN_E_MALFORMED;
    /* The text ends at the last blank line. */
    size_t split = 0;
    for (size_t i = len - 1; i > 0; i--) {
        if (buf[i] == '\n' && buf[i - 1] == '\n') {
            split = i;
            break;
        }
    }
    if (split == 0)
        return VN_E_MALFORMED;
    note->text = buf;
    note->text_len = split; /* up to and including the text's final newline */
    const char *p = buf + split + 1, *end = buf + len;
    if (p == end)
        return VN_E_MALFORMED; /* at least one signature */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t dash = strlen(EM_DASH);
        if (note->n_sigs == VN_NOTE_MAX_SIGS)
            return VN_E_TOO_LARGE;
        if ((size_t)(nl - p) < dash + 3 || memcmp(p, EM_DASH " ", dash + 1) != 0)
            return VN_E_MALFORMED;
        const char *name = p + dash + 1, *sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp || sp == name || (size_t)(sp - name) > VN_NOTE_NAME_MAX)
            return VN_E_MALFORMED;
        vn_note_sig_t *s = &note->sigs[note->n_sigs];
        memcpy(s->name, name, (size_t)(sp - name));
        s->name[sp - name] = 0;
        uint8_t raw[4 + sizeof s->sig];
        size_t got;
        if (!vn_note_name_valid(s->name) ||
            s_unbase64(sp + 1, (size_t)(nl - sp - 1), raw, sizeof raw, &got) != 0 || got < 5)
            return VN_E_MALFORMED;
        s->key_id = s_get_be32(raw);
        s->sig_len = got - 4;
        memcpy(s->sig, raw + 4, s->sig_len);
        note->n_sigs++;
        p = nl + 1;
    }
    return 0;
}

/* The line of (name, id) if any; a second one with both the same makes the note malformed. */
static int s_find(const vn_note_t *note, const char *name, uint32_t id, const vn_note_sig_t **out)
{
    *out = NULL;
    for (size_t i = 0; i < note->n_sigs; i++) {
        if (note->sigs[i].key_id != id || strcmp(note->sigs[i].name, name) != 0)
            continue;
        if (*out)
            return VN_E_BAD_SIGNATURE;
        *out = &note->sigs[i];
    }
    return *out ? 0 : VN_E_NOT_FOUND;
}

int vn_note_verify(const vn_note_t *note, const char *name, const uint8_t pk[32])
{
    const vn_note_sig_t *s;
    int rc = s_find(note, name, vn_note_key_id(name, VN_NOTE_ED25519, pk), &s);
    if (rc != 0)
        return rc;
    if (s->sig_len != crypto_sign_BYTES ||
        crypto_sign_verify_detached(s->sig, (const uint8_t *)note->text, note->text_len, pk) != 0)
        return VN_E_BAD_SIGNATURE;
    return 0;
}

int vn_note_verify_cosig(const vn_note_t *note, const char *name, const uint8_t pk[32],
                         uint64_t *timestamp)
{
    const vn_note_sig_t *s;
    int rc = s_find(note, name, vn_note_key_id(name, VN_NOTE_COSIG_V1, pk), &s);
    if (rc != 0)
        return rc;
    if (s->sig_len != 8 + crypto_sign_BYTES)
        return VN_E_BAD_SIGNATURE;
    uint64_t ts = vn_get_be64(s->sig);
    uint8_t sig[crypto_sign_BYTES];
    memcpy(sig, s->sig + 8, sizeof sig);
    if (ts > INT64_MAX || s_cosig_message(note->text, note->text_len, ts, sig, NULL, pk) != 0)
        return VN_E_BAD_SIGNATURE;
    if (timestamp)
        *timestamp = ts;
    return 0;
}

int vn_checkpoint_text(const char *origin, uint64_t size, const uint8_t root[32],
                       char out[VN_CHECKPOINT_TEXT_MAX])
{
    if (!vn_note_name_valid(origin))
        return VN_E_INVALID;
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, VN_CHECKPOINT_TEXT_MAX, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
    return n > 0 && n < VN_CHECKPOINT_TEXT_MAX ? n : VN_E_INVALID;
}

int vn_checkpoint_text_parse(const char *text, size_t len, char origin[VN_NOTE_NAME_MAX + 1],
                             uint64_t *size, uint8_t root[32])
{
    const char *end = text + len, *l1 = memchr(text, '\n', len);
    const char *l2 = l1 ? memchr(l1 + 1, '\n', (size_t)(end - l1 - 1)) : NULL;
    const char *l3 = l2 ? memchr(l2 + 1, '\n', (size_t)(end - l2 - 1)) : NULL;
    if (!l3 || l1 == text || (size_t)(l1 - text) > VN_NOTE_NAME_MAX)
        return VN_E_MALFORMED;
    const char *num = l1 + 1;
    size_t nlen = (size_t)(l2 - num);
    if (nlen == 0 || nlen > 20 || strspn(num, "0123456789") < nlen || (num[0] == '0' && nlen > 1))
        return VN_E_MALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < nlen; i++) {
        uint64_t d = (uint64_t)(num[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return VN_E_MALFORMED;
        v = v * 10 + d;
    }
    size_t got;
    if (s_unbase64(l2 + 1, (size_t)(l3 - l2 - 1), root, 32, &got) != 0 || got != 32)
        return VN_E_MALFORMED;
    /* Extension lines, if any, must be non-empty. */
    for (const char *p = l3 + 1; p < end; p++)
        if (*p == '\n' && p[-1] == '\n')
            return VN_E_MALFORMED;
    if (origin) {
        memcpy(origin, text, (size_t)(l1 - text));
        origin[l1 - text] = 0;
    }
    *size = v;
    return 0;
}
