/* vn_error.h -- vangnet's own error codes, one reserved negative range, and vn_strerror(). */
#ifndef VN_ERROR_H
#define VN_ERROR_H

/* Functions return 0 on success, -errno for system errors, or one of these (all below VN_E_BASE). */
enum {
    VN_E_BASE = -40000,
    VN_E_MALFORMED,          /* input could not be decoded (truncated or garbage) */
    VN_E_VERSION,            /* unknown message or file version */
    VN_E_NOT_RECIPIENT,      /* envelope has no wrapping for this organisation */
    VN_E_BAD_SIGNATURE,      /* signature over header and ciphertext hash does not verify */
    VN_E_WRONG_SENDER_KEY,   /* envelope was signed by another key than the one given */
    VN_E_CIPHERTEXT_MODIFIED,/* ciphertext does not match its signed hash */
    VN_E_WRAP_REPLAYED,      /* key wrapping belongs to another envelope */
    VN_E_WRAP_INVALID,       /* key wrapping does not open with our key */
    VN_E_DECRYPT,            /* content does not decrypt (header/nonce mismatch) */
    VN_E_BSN_LENGTH,         /* citizen number is not 9 characters */
    VN_E_BSN_DIGITS,         /* citizen number has a non-digit */
    VN_E_BSN_CHECKSUM,       /* citizen number fails the elfproef */
    VN_E_KEYFILE,            /* key file damaged or of the wrong kind */
    VN_E_KEYFILE_PERMS,      /* secret key file readable by group or others */
    VN_E_EXISTS,             /* refusing to overwrite */
    VN_E_STORE_FULL,         /* LMDB map is full */
    VN_E_STORE,              /* other LMDB failure */
    VN_E_NOT_FOUND,          /* no such record */
    VN_E_CONFIG,             /* configuration error */
    VN_E_TOO_LARGE,          /* a size limit was exceeded */
    VN_E_INVALID,            /* invalid argument from outside (id, sector, field) */
    VN_E_TIMEOUT,            /* no answer in time */
    VN_E_CRYPTO,             /* a crypto primitive failed */
    VN_E_PROTOCOL,           /* peer broke the protocol */
    VN_E_CHAIN,              /* audit chain broken */
    VN_E_KEY_EXPIRED,        /* signed with a rotated-out key after its grace period */
    VN_E_LAST
};

/* On a function that returns 0 or an error code: a caller that drops the result gets a warning
 * (an error under -Werror). Where ignoring is right, cast to (void) and say why. */
#if defined(__GNUC__) || defined(__clang__)
#define VN_MUST_USE __attribute__((warn_unused_result))
#else
#define VN_MUST_USE
#endif

/* A static English description of any code this project returns, including -errno. */
const char *vn_strerror(int code);

#endif
