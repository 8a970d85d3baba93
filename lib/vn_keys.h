/* vn_keys.h -- organisation identities: sectors, key sets, versioned self-describing key files. */
#ifndef VN_KEYS_H
#define VN_KEYS_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_ORG_MAX 64
#define VN_SECTOR_MAX 40
#define VN_Z85_KEY 41  /* 40 Z85 characters + NUL */

/* The public half of an organisation's identity: what its .public file and the directory hold. */
typedef struct {
    char org[VN_ORG_MAX + 1];
    char sector[VN_SECTOR_MAX + 1];
    uint8_t sign_pk[32];          /* Ed25519: signs envelopes (and, for the broker, directories) */
    uint8_t box_pk[32];           /* X25519: content keys are wrapped to it */
    char curve_pk[VN_Z85_KEY];    /* CURVE transport key, Z85 */
} vn_pubkeys_t;

/* A full key set. Allocated with sodium_malloc (guarded, locked); free with vn_keyset_destroy. */
typedef struct {
    vn_pubkeys_t pub;
    uint8_t sign_sk[64];
    uint8_t box_sk[32];
    char curve_sk[VN_Z85_KEY];
} vn_keyset_t;

/* 1 if sector is one of the fixed list (veilig-thuis, ggz, ... , broker). */
int vn_sector_valid(const char *sector);
/* The fixed sector list, NULL-terminated. */
extern const char *const vn_sectors[];

/* Fresh keys for org in sector. NULL on invalid org/sector (errno EINVAL) or allocation failure. */
vn_keyset_t *vn_keyset_generate(const char *org, const char *sector);
/* Wipe and free; safe twice; sets *self_p to NULL. */
void vn_keyset_destroy(vn_keyset_t **self_p);

/* Write DIR/ORG.secret (0600) and DIR/ORG.public. VN_E_EXISTS if either exists; nothing is overwritten. */
int vn_keyset_save(const vn_keyset_t *ks, const char *dir) VN_MUST_USE;

/* Load a .secret file. Refuses group/other-readable files (VN_E_KEYFILE_PERMS) and damaged ones
 * (VN_E_KEYFILE, VN_E_VERSION); on failure *out is NULL and err (if given) says which line. */
int vn_keyset_load(const char *path, vn_keyset_t **out, char *err, size_t errlen) VN_MUST_USE;
/* Load a .public file (or the public half of a .secret file). */
int vn_pubkeys_load(const char *path, vn_pubkeys_t *out, char *err, size_t errlen) VN_MUST_USE;
/* Parse a .public file's text. */
int vn_pubkeys_parse(const char *text, vn_pubkeys_t *out, char *err, size_t errlen) VN_MUST_USE;

/* 16-hex-digit fingerprint of a signing key, for humans and logs. */
void vn_key_fingerprint(const uint8_t sign_pk[32], char out[17]);

#endif
