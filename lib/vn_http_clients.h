/* vn_http_clients.h -- the agent's named HTTP API clients: a scope set and a hashed secret token
 * each, in one file (DATA/api-clients, mode 0600) written by `vangnet api-client` and read by the
 * agent. Tokens are shown once when issued; only their BLAKE2b hash is stored. */
#ifndef VN_HTTP_CLIENTS_H
#define VN_HTTP_CLIENTS_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_HTTP_CLIENT_NAME_MAX 64
#define VN_HTTP_TOKEN_MAX 64       /* "vnk_" + 43 base64url characters, with room */

enum {
    VN_SCOPE_SEND = 1 << 0,     /* submit notifications and look up their outcomes */
    VN_SCOPE_INBOX = 1 << 1,    /* read and acknowledge the inbox; webhooks */
    VN_SCOPE_CONSENT = 1 << 2,  /* register, list and withdraw consents */
    VN_SCOPE_SIGNAL = 1 << 3,   /* signals and matches (the shared picture) */
    VN_SCOPE_ALL = (1 << 4) - 1
};

typedef struct {
    char name[VN_HTTP_CLIENT_NAME_MAX + 1]; /* [a-z0-9-], starting with a letter */
    unsigned scopes;                       /* VN_SCOPE_* */
    uint8_t hash[32];                      /* BLAKE2b-256 of the token, keyed for this purpose */
    uint64_t created, revoked;             /* unix seconds; revoked 0 while valid */
} vn_http_client_t;

/* Load the file (absent: no clients). *list is the caller's to free. 0, or VN_E_CONFIG with err
 * naming the line, or -errno. */
int vn_http_clients_load(const char *path, vn_http_client_t **list, size_t *n, char *err,
                        size_t errlen) VN_MUST_USE;
/* Replace the file atomically (written 0600 beside it, fsynced, renamed). 0 or -errno. */
int vn_http_clients_save(const char *path, const vn_http_client_t *list, size_t n) VN_MUST_USE;

/* "send,inbox" -> bits. 0, or VN_E_INVALID naming nothing (the caller prints the known ones). */
int vn_http_scopes_parse(const char *text, unsigned *scopes) VN_MUST_USE;
/* bits -> "send,inbox" into out. Returns out. */
char *vn_http_scopes_format(unsigned scopes, char *out, size_t len);
/* The scope names in bit order, NULL-terminated. */
extern const char *const vn_http_scope_names[];

/* A client name is 1-64 of [a-z0-9-], starting with a letter. */
int vn_http_client_name_valid(const char *name);

/* A new random token (NUL-terminated, < VN_HTTP_TOKEN_MAX) and its hash. 0 or -1. */
int vn_http_token_new(char token[VN_HTTP_TOKEN_MAX], uint8_t hash[32]) VN_MUST_USE;
void vn_http_token_hash(const char *token, size_t len, uint8_t hash[32]);
/* The unrevoked client whose token this is, or NULL. Compares every entry in constant time. */
const vn_http_client_t *vn_http_clients_match(const vn_http_client_t *list, size_t n,
                                            const char *token, size_t len);

#endif
