/* vn_pseudonymd.h -- what the pseudonym service and its clients share: its key files and the
 * evaluation protocol's frames (docs/pseudonyms.md). */
#ifndef VN_PSEUDONYMD_H
#define VN_PSEUDONYMD_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "vn_keys.h"
#include "vn_oprf.h"

#define VN_PSEUD_MAGIC "VNP1"
#define VN_PSEUD_PURPOSE_MAX 32
#define VN_PSEUD_MSG_MAX 200

/* The service's public half, pinned by agents: CURVE transport key and VOPRF public key. */
typedef struct {
    char curve_pk[VN_Z85_KEY];
    uint8_t oprf_pk[VN_OPRF_ELEMENT];
} vn_pseud_pub_t;

/* Its secret key file. Allocate with sodium_malloc (vn_pseud_keys_load does). */
typedef struct {
    vn_pseud_pub_t pub;
    char curve_sk[VN_Z85_KEY];
    uint8_t oprf_sk[VN_OPRF_SCALAR];
} vn_pseud_keys_t;

/* Fresh keys into DIR/pseudonymd.secret (0600) and DIR/pseudonymd.public; VN_E_EXISTS if either
 * exists. */
int vn_pseud_keys_create(const char *dir, char *err, size_t errlen) VN_MUST_USE;
/* Load the secret file (0600 only): *out sodium_malloc'd, free with vn_pseud_keys_destroy. */
int vn_pseud_keys_load(const char *path, vn_pseud_keys_t **out, char *err, size_t errlen)
    VN_MUST_USE;
void vn_pseud_keys_destroy(vn_pseud_keys_t **self_p);
/* Load a pseudonymd.public file (or the public half of the secret one). */
int vn_pseud_pub_load(const char *path, vn_pseud_pub_t *out, char *err, size_t errlen) VN_MUST_USE;

/* Reply status codes. */
enum { VN_PSEUD_OK = 0, VN_PSEUD_MALFORMED = 1, VN_PSEUD_OVER_BUDGET = 2, VN_PSEUD_INVALID = 3,
       VN_PSEUD_INTERNAL = 4 };
const char *vn_pseud_status_name(int status);

/* An evaluation request: "VNP1" 0x01 id(8) purpose_len(1) purpose n(2, big-endian) n x 32 bytes.
 * Writes into buf (cap >= vn_pseud_request_size(n)); returns the length. */
size_t vn_pseud_request_size(size_t n);
size_t vn_pseud_request_pack(uint8_t *buf, uint64_t id, const char *purpose,
                             const uint8_t *blinded, size_t n);
/* Parse one (borrowing from buf): 0 or VN_E_MALFORMED. purpose is copied (NUL-terminated). */
int vn_pseud_request_parse(const uint8_t *buf, size_t len, uint64_t *id,
                           char purpose[VN_PSEUD_PURPOSE_MAX + 1], const uint8_t **blinded,
                           size_t *n) VN_MUST_USE;

/* A reply: "VNP1" 0x02 id(8) status(1), then for OK n(2) n x 32 proof(64), else len(1) message. */
size_t vn_pseud_reply_size(size_t n);
size_t vn_pseud_reply_ok(uint8_t *buf, uint64_t id, const uint8_t *evaluated, size_t n,
                         const uint8_t proof[VN_OPRF_PROOF]);
size_t vn_pseud_reply_error(uint8_t *buf, size_t cap, uint64_t id, int status, const char *msg);
/* Parse (borrowing from buf): 0 or VN_E_MALFORMED. For a non-OK status, msg holds its text. */
int vn_pseud_reply_parse(const uint8_t *buf, size_t len, uint64_t *id, int *status,
                         const uint8_t **evaluated, size_t *n, const uint8_t **proof, char *msg,
                         size_t msglen) VN_MUST_USE;

/* The vangnet pseudonym (v2) of a BSN from its OPRF output: BLAKE2b-256, personal
 * "vangnet-pseud-v2", so it can never collide with a v1 keyed-hash pseudonym. */
void vn_pseud_from_output(uint8_t pseudonym[32], const uint8_t output[VN_OPRF_OUTPUT]);

/* One BSN's v2 pseudonym from the service at endpoint (pinned pub), as the organisation of ks, for
 * purpose; the proof is checked. 0, or an error with err saying why (VN_E_TIMEOUT: no answer in
 * timeout_ms; VN_E_PROTOCOL: refused or malformed; VN_E_BAD_SIGNATURE: the proof). */
int vn_pseud_client_pseudonym(const char *endpoint, const vn_pseud_pub_t *pub,
                              const vn_keyset_t *ks, const char *purpose, const char *bsn,
                              int timeout_ms, uint8_t out[32], char *err, size_t errlen)
    VN_MUST_USE;

/* 1 if purpose is 1..32 characters of [a-z0-9-]. */
int vn_pseud_purpose_valid(const char *purpose);

#endif
