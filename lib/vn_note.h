/* vn_note.h -- C2SP signed notes (c2sp.org/signed-note): Ed25519 note signatures (type 0x01),
 * verifier keys (vkeys), checkpoint bodies (c2sp.org/tlog-checkpoint) and Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature, cosignature/v1, type 0x04). Text in, text out: no allocation. */
#ifndef VN_NOTE_H
#define VN_NOTE_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_NOTE_ED25519 0x01     /* signature type: Ed25519 over the note text */
#define VN_NOTE_COSIG_V1 0x04    /* signature type: timestamped Ed25519 cosignature/v1 */
#define VN_NOTE_MAX_SIGS 32      /* signature lines accepted in one note (the spec asks >= 16) */
#define VN_NOTE_NAME_MAX 128     /* longest key name accepted */
#define VN_NOTE_MAX 16384        /* longest note accepted */
#define VN_NOTE_LINE_MAX (VN_NOTE_NAME_MAX + 120) /* one signature line, newline included */
#define VN_NOTE_VKEY_MAX (VN_NOTE_NAME_MAX + 60)
#define VN_CHECKPOINT_TEXT_MAX (VN_NOTE_NAME_MAX + 80)

/* The log's origin (and its key name) for a broker id: "vangnet.example/broker-ID". */
#define VN_LOG_ORIGIN_PREFIX "vangnet.example/broker-"
/* A witness's (cosigner's) key name for an organisation id: "vangnet.example/witness-ID". */
#define VN_WITNESS_NAME_PREFIX "vangnet.example/witness-"

/* One signature line of a parsed note; name and sig point into the parsed buffer's copy. */
typedef struct {
    char name[VN_NOTE_NAME_MAX + 1];
    uint32_t key_id;
    uint8_t sig[80];             /* Ed25519: 64 bytes; cosignature/v1: 8-byte time + 64 */
    size_t sig_len;
} vn_note_sig_t;

/* A note split into its text (borrowed from the buffer given to vn_note_parse, valid as long as
 * that buffer) and its signature lines. */
typedef struct {
    const char *text;            /* includes the final newline, not the blank separator line */
    size_t text_len;
    size_t n_sigs;
    vn_note_sig_t sigs[VN_NOTE_MAX_SIGS];
} vn_note_t;

/* key ID = SHA-256(name || 0x0A || type || pk)[:4], big-endian. */
uint32_t vn_note_key_id(const char *name, uint8_t type, const uint8_t pk[32]);

/* "name+hex(key id)+base64(type || pk)" into out (VN_NOTE_VKEY_MAX). 0, or VN_E_INVALID for a
 * name that is empty, too long, or holds a space or '+'. */
int vn_note_vkey(const char *name, uint8_t type, const uint8_t pk[32], char out[VN_NOTE_VKEY_MAX])
    VN_MUST_USE;
/* Parse a vkey of an Ed25519 type (0x01 or 0x04). 0, or VN_E_INVALID (with no partial output
 * promised) when the format, the key id or the type is wrong. */
int vn_note_vkey_parse(const char *vkey, char name[VN_NOTE_NAME_MAX + 1], uint8_t *type,
                       uint8_t pk[32]) VN_MUST_USE;

/* 1 if name is a valid key name: 1..VN_NOTE_NAME_MAX bytes, printable, no space and no '+'. */
int vn_note_name_valid(const char *name);

/* Sign text (which must end in a newline) with Ed25519 (type 0x01): writes one signature line
 * "— name base64(key id || sig)\n" NUL-terminated into line. Returns its length, or VN_E_INVALID. */
int vn_note_sign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                 char line[VN_NOTE_LINE_MAX]) VN_MUST_USE;
/* A cosignature/v1 line over a checkpoint's text at unix time timestamp (type 0x04). */
int vn_note_cosign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                   uint64_t timestamp, char line[VN_NOTE_LINE_MAX]) VN_MUST_USE;

/* Split a signed note: text, blank line, signature lines. Checks UTF-8-safe bytes (no control
 * characters but newline), the em dash, names and base64. 0, VN_E_MALFORMED or VN_E_TOO_LARGE. */
int vn_note_parse(const char *buf, size_t len, vn_note_t *note) VN_MUST_USE;

/* Verify the signature of the key (name, pk) of type 0x01 among the note's lines.
 * 0 if present and valid; VN_E_NOT_FOUND if no line has that name and key id;
 * VN_E_BAD_SIGNATURE if a line with that name and key id fails (the note must be rejected). */
int vn_note_verify(const vn_note_t *note, const char *name, const uint8_t pk[32]) VN_MUST_USE;
/* The same for a cosignature/v1 (type 0x04); *timestamp (may be NULL) gets its time. */
int vn_note_verify_cosig(const vn_note_t *note, const char *name, const uint8_t pk[32],
                         uint64_t *timestamp) VN_MUST_USE;

/* A checkpoint body: "origin\nsize\nbase64(root)\n". Returns the length written (NUL-terminated),
 * or VN_E_INVALID for a bad origin. */
int vn_checkpoint_text(const char *origin, uint64_t size, const uint8_t root[32],
                       char out[VN_CHECKPOINT_TEXT_MAX]) VN_MUST_USE;
/* Parse a checkpoint body (extension lines are allowed and ignored). origin may be NULL.
 * 0 or VN_E_MALFORMED (size with a leading zero or out of range, root not 32 bytes). */
int vn_checkpoint_text_parse(const char *text, size_t len, char origin[VN_NOTE_NAME_MAX + 1],
                             uint64_t *size, uint8_t root[32]) VN_MUST_USE;

#endif
