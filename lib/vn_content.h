/* vn_content.h -- the sealed plaintext of an envelope (content format 1): the subject's identity
 * (BSN, name, birth date), the body and its media type. Only recipients ever see it. */
#ifndef VN_CONTENT_H
#define VN_CONTENT_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#define VN_CONTENT_VERSION 1
#define VN_CONTENT_MEDIA_TEXT "text/plain"
#define VN_CONTENT_MEDIA_CARD "application/vnd.vangnet.contactkaart"
#define VN_CONTENT_NAME_MAX 200       /* a subject's name, bytes */
#define VN_CONTENT_MEDIA_MAX 128
#define VN_CONTENT_OVERHEAD 512       /* what the wrapping adds at most to body and strings */

/* What a sender seals. Strings borrowed for the call; bsn NULL for an anonymous advice request. */
typedef struct {
    const char *bsn;                  /* or NULL */
    const char *name;                 /* or NULL/"": needs bsn */
    const char *birth_date;           /* YYYY-MM-DD, or NULL/"": needs bsn */
    const uint8_t *body;
    size_t body_len;
    const char *media_type;           /* NULL/"": text/plain */
} vn_content_t;

/* 1 if s is a real calendar date YYYY-MM-DD between 1900-01-01 and 2199-12-31, else 0. */
int vn_birth_date_valid(const char *s);

/* Check c and serialize it as EnvelopeContent version 1. *out is the caller's to free (wipe it
 * first: it holds the BSN). Returns 0, a vn_bsn_validate error for a bad BSN, VN_E_INVALID for a
 * name or birth date without a BSN or out of form, a bad media type, or -ENOMEM. */
int vn_content_pack(const vn_content_t *c, uint8_t **out, size_t *out_len)
    VN_MUST_USE;

/* Decode and check a plaintext: VN_E_MALFORMED (not EnvelopeContent), VN_E_VERSION (another
 * format version), VN_E_INVALID (a subject that is not a valid BSN, name or date). *out is freed
 * with vn__envelope_content__free_unpacked. */
int vn_content_unpack(const uint8_t *buf, size_t len, Vn__EnvelopeContent **out)
    VN_MUST_USE;

/* Check the sealed subject against the header's pseudonym under the network key: both absent,
 * or the BSN's pseudonym equals it. 0, or VN_E_INVALID when they disagree (a sender claiming one
 * subject to the broker and naming another to the recipient). */
int vn_content_check_subject(const Vn__EnvelopeContent *c, const uint8_t *pseudonym,
                             size_t pseudonym_len, const uint8_t key[32])
    VN_MUST_USE;

#endif
