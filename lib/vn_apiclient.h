/* vn_apiclient.h -- credentials of the agent's TCP local API: token files for IT systems, and the
 * agent's api_clients file that holds only a hash of each secret. */
#ifndef VN_APICLIENT_H
#define VN_APICLIENT_H

#include "vn_error.h"

#include <stddef.h>

#define VN_API_NAME_MAX 64
#define VN_API_SECRET_HEX 64 /* 32 random bytes, hex */

typedef struct {
    char name[VN_API_NAME_MAX + 1];
    unsigned char hash[32]; /* BLAKE2b-256 of the secret, under a fixed domain key */
} vn_api_client_t;

/* Whether name may name a client: 1-64 of [a-z0-9._-], starting with a letter or digit. */
int vn_api_client_name_valid(const char *name);

/* Read a token file ("vangnet-api-token NAME SECRET"). It must not be readable by group or
 * others. 0, VN_E_KEYFILE_PERMS, VN_E_KEYFILE (damaged) or -errno, with err saying which. */
int vn_api_token_read(const char *path, char name[VN_API_NAME_MAX + 1],
                      char secret[VN_API_SECRET_HEX + 1], char *err, size_t errlen)
    VN_MUST_USE;

/* Create a client: a new secret, written to token_path (0600, never overwritten), and its line
 * "NAME HASH" appended to clients_path (created 0640 if missing). A name already in clients_path
 * is VN_E_EXISTS. 0 or an error with err saying which. */
int vn_api_client_create(const char *clients_path, const char *name, const char *token_path,
                         char *err, size_t errlen) VN_MUST_USE;

/* Load clients_path; *out is the caller's to free(). 0, or VN_E_CONFIG with err naming the line. */
int vn_api_clients_load(const char *clients_path, vn_api_client_t **out, size_t *n, char *err,
                        size_t errlen) VN_MUST_USE;

/* The index of the client with this name whose hash matches secret (compared in constant time),
 * or -1. */
int vn_api_clients_check(const vn_api_client_t *clients, size_t n, const char *name,
                         const char *secret, size_t secret_len) VN_MUST_USE;

#endif
