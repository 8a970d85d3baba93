/* vn_error.c -- descriptions of vangnet's error codes. */
#include "vn_error.h"

#include <string.h>

const char *vn_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case VN_E_MALFORMED: return "malformed or truncated input";
    case VN_E_VERSION: return "unsupported version";
    case VN_E_NOT_RECIPIENT: return "this organisation is not a recipient";
    case VN_E_BAD_SIGNATURE: return "signature does not verify (header changed or forged)";
    case VN_E_WRONG_SENDER_KEY: return "envelope was not signed by the expected sender key";
    case VN_E_CIPHERTEXT_MODIFIED: return "ciphertext does not match its signed hash";
    case VN_E_WRAP_REPLAYED: return "key wrapping belongs to another envelope";
    case VN_E_WRAP_INVALID: return "key wrapping does not open";
    case VN_E_DECRYPT: return "content does not decrypt";
    case VN_E_BSN_LENGTH: return "citizen number (BSN) must be 9 digits";
    case VN_E_BSN_DIGITS: return "citizen number (BSN) may contain only digits";
    case VN_E_BSN_CHECKSUM: return "citizen number (BSN) fails the elfproef check";
    case VN_E_KEYFILE: return "key file is damaged or of the wrong kind";
    case VN_E_KEYFILE_PERMS: return "secret key file must not be readable by group or others (chmod 600)";
    case VN_E_EXISTS: return "file exists; refusing to overwrite";
    case VN_E_STORE_FULL: return "storage full";
    case VN_E_STORE: return "storage error";
    case VN_E_NOT_FOUND: return "not found";
    case VN_E_CONFIG: return "configuration error";
    case VN_E_TOO_LARGE: return "size limit exceeded";
    case VN_E_INVALID: return "invalid value";
    case VN_E_TIMEOUT: return "timed out";
    case VN_E_CRYPTO: return "cryptographic operation failed";
    case VN_E_PROTOCOL: return "protocol violation";
    case VN_E_CHAIN: return "audit chain broken";
    case VN_E_KEY_EXPIRED: return "signed with a rotated-out key whose grace period has ended";
    default:
        if (code < 0 && code > VN_E_BASE)
            return strerror(-code);
        return "unknown error";
    }
}
