/* vn_subject.h -- citizen numbers (BSN) and the pseudonyms that replace them before anything leaves an agent. */
#ifndef VN_SUBJECT_H
#define VN_SUBJECT_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_PSEUDONYM_BYTES 32
#define VN_PSEUDONYM_KEY_BYTES 32

/* 0 if bsn is 9 digits passing the elfproef; else VN_E_BSN_LENGTH, VN_E_BSN_DIGITS or VN_E_BSN_CHECKSUM. */
int vn_bsn_validate(const char *bsn) VN_MUST_USE;

/* Keyed BLAKE2b of the validated BSN under the network pseudonym key. Same key, same pseudonym.
 * Returns vn_bsn_validate's error for an invalid BSN. */
int vn_pseudonym(uint8_t out[VN_PSEUDONYM_BYTES], const char *bsn,
                 const uint8_t key[VN_PSEUDONYM_KEY_BYTES]) VN_MUST_USE;

/* Create a new pseudonym key file (0600). VN_E_EXISTS if present. */
int vn_pseudonym_key_create(const char *path) VN_MUST_USE;
/* Load one; refuses wrong permissions and damage, naming the file in err. */
int vn_pseudonym_key_load(const char *path, uint8_t key[VN_PSEUDONYM_KEY_BYTES], char *err,
                          size_t errlen) VN_MUST_USE;

#endif
