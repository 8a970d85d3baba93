/* vn_util.h -- small helpers: hex, time, whole-file I/O, identifiers. */
#ifndef VN_UTIL_H
#define VN_UTIL_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_MSGID_BYTES 16
#define VN_MSGID_HEX (VN_MSGID_BYTES * 2 + 1)

/* Lower-case hex of len bytes into out (2*len+1 bytes). Returns out. */
char *vn_hex(char *out, const uint8_t *bin, size_t len);
/* Parse exactly len bytes of hex. Returns 0 or VN_E_INVALID. */
int vn_unhex(uint8_t *bin, size_t len, const char *hex) VN_MUST_USE;

/* n bytes of randomness for identifiers (record, signal and notice ids: never guessed, but not
 * keys): libsodium's generator drawn 512 bytes at a time per thread, so an id costs no system
 * call of its own (getrandom was 4 % of a signal registration). A forked child starts afresh.
 * Keys, nonces and anything secret use randombytes_buf directly. */
void vn_random_id_bytes(uint8_t *out, size_t n);

uint64_t vn_now(void);        /* unix seconds */
uint64_t vn_now_us(void);     /* unix microseconds */
uint64_t vn_monotonic_ms(void);

/* Parse a real calendar day "YYYY-MM-DD" (exactly that form; 2026-02-30 is refused) into unix
 * seconds at UTC midnight. 0, or VN_E_INVALID. */
int vn_date_parse(const char *s, uint64_t *out) VN_MUST_USE;
/* Read a whole file (at most max bytes). *out is the caller's to free. Returns 0, -errno or VN_E_TOO_LARGE. */
int vn_read_file(const char *path, size_t max, uint8_t **out, size_t *len) VN_MUST_USE;
/* Read a secret file (key, token list): opened once and checked on that descriptor, so the file
 * read is the file checked: a regular file (else VN_E_KEYFILE) not readable by group or others
 * (else VN_E_KEYFILE_PERMS, with its permission bits in *mode if mode is not NULL). At most max
 * bytes (VN_E_TOO_LARGE). *out is the caller's to wipe and free. 0 or -errno otherwise. */
int vn_read_secret_file(const char *path, size_t max, uint8_t **out, size_t *len, unsigned *mode)
    VN_MUST_USE;
/* Create path exclusively with mode, write data, fsync. VN_E_EXISTS if present. */
int vn_write_file_new(const char *path, int mode, const void *data, size_t len) VN_MUST_USE;

/* Organisation ids: 3-64 of [a-z0-9-], starting with a letter. */
int vn_org_id_valid(const char *id);
/* A printable, bounded field from outside (category, user id...): 1..max bytes, no control chars. */
int vn_field_valid(const char *s, size_t max);

/* A formatted string; the caller frees it. NULL when out of memory. */
char *vn_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Big-endian uint64 for LMDB keys that sort numerically. */
void vn_put_be64(uint8_t out[8], uint64_t v);
uint64_t vn_get_be64(const uint8_t in[8]);

#endif
