/* vn_apiclient.c -- token files and the api_clients file of the agent's TCP local API. */
#include "vn_apiclient.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAGIC "vangnet-api-token"
#define HASH_DOMAIN "vangnet api client secret v1"

int vn_api_client_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > VN_API_NAME_MAX || name[0] == '.' || name[0] == '-' || name[0] == '_')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static void s_hash(const char *secret, size_t len, unsigned char out[32])
{
    unsigned char key[32];
    crypto_generichash(key, sizeof key, (const unsigned char *)HASH_DOMAIN, strlen(HASH_DOMAIN),
                       NULL, 0);
    crypto_generichash(out, 32, (const unsigned char *)secret, len, key, sizeof key);
}

int vn_api_token_read(const char *path, char name[VN_API_NAME_MAX + 1],
                      char secret[VN_API_SECRET_HEX + 1], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot open the token file: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    char buf[256];
    ssize_t len = -1;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        rc = VN_E_KEYFILE;
    } else if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: a token file must not be readable by group or others "
                 "(chmod 600)", path);
        rc = VN_E_KEYFILE_PERMS;
    } else if ((len = read(fd, buf, sizeof buf - 1)) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    close(fd);
    if (rc != 0)
        goto done;
    buf[len] = '\0';
    char magic[32], n[VN_API_NAME_MAX + 2], s[VN_API_SECRET_HEX + 2];
    unsigned char raw[32];
    if (sscanf(buf, "%31s %65s %65s", magic, n, s) != 3 || strcmp(magic, TOKEN_MAGIC) != 0 ||
        !vn_api_client_name_valid(n) || strlen(s) != VN_API_SECRET_HEX ||
        vn_unhex(raw, sizeof raw, s) != 0) {
        snprintf(err, errlen, "%s: not a vangnet API token file (vangnet api-client add)", path);
        rc = VN_E_KEYFILE;
        goto done;
    }
    memcpy(name, n, strlen(n) + 1); /* valid: at most VN_API_NAME_MAX */
    memcpy(secret, s, VN_API_SECRET_HEX + 1);
    sodium_memzero(raw, sizeof raw);
done:
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int vn_api_clients_load(const char *clients_path, vn_api_client_t **out, size_t *n, char *err,
                        size_t errlen)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(clients_path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the API clients file: %s", clients_path,
                 strerror(errno));
        return VN_E_CONFIG;
    }
    char line[512];
    int lineno = 0, rc = 0;
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char name[VN_API_NAME_MAX + 2], hex[80], extra[2];
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        int k = sscanf(p, "%65s %79s %1s", name, hex, extra);
        unsigned char hash[32];
        if (k != 2 || !vn_api_client_name_valid(name) || strlen(hex) != 64 ||
            vn_unhex(hash, 32, hex) != 0) {
            snprintf(err, errlen, "%s:%d: expected NAME HASH (vangnet api-client add)",
                     clients_path, lineno);
            rc = VN_E_CONFIG;
            break;
        }
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*out)[i].name, name) == 0) {
                snprintf(err, errlen, "%s:%d: client %s is listed twice", clients_path, lineno,
                         name);
                rc = VN_E_CONFIG;
            }
        if (rc != 0)
            break;
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            vn_api_client_t *more = realloc(*out, cap * sizeof *more);
            if (!more) {
                rc = -ENOMEM;
                snprintf(err, errlen, "out of memory");
                break;
            }
            *out = more;
        }
        memcpy((*out)[*n].name, name, strlen(name) + 1); /* valid: at most VN_API_NAME_MAX */
        memcpy((*out)[(*n)++].hash, hash, 32);
    }
    fclose(f);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int vn_api_clients_check(const vn_api_client_t *clients, size_t n, const char *name,
                         const char *secret, size_t secret_len)
{
    unsigned char hash[32];
    s_hash(secret, secret_len, hash);
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(clients[i].name, name) == 0 && sodium_memcmp(clients[i].hash, hash, 32) == 0)
            found = (int)i;
    sodium_memzero(hash, sizeof hash);
    return found;
}

int vn_api_client_create(const char *clients_path, const char *name, const char *token_path,
                         char *err, size_t errlen)
{
    if (!vn_api_client_name_valid(name)) {
        snprintf(err, errlen, "'%s' is not a client name: 1-64 of a-z 0-9 . - _", name);
        return VN_E_INVALID;
    }
    vn_api_client_t *clients = NULL;
    size_t n = 0;
    if (access(clients_path, F_OK) == 0) {
        int rc = vn_api_clients_load(clients_path, &clients, &n, err, errlen);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (strcmp(clients[i].name, name) == 0) {
                free(clients);
                snprintf(err, errlen, "%s: client %s exists already", clients_path, name);
                return VN_E_EXISTS;
            }
        free(clients);
    }
    unsigned char raw[32], hash[32];
    char secret[VN_API_SECRET_HEX + 1], hash_hex[65], token[256], line[160];
    randombytes_buf(raw, sizeof raw);
    vn_hex(secret, raw, sizeof raw);
    s_hash(secret, VN_API_SECRET_HEX, hash);
    vn_hex(hash_hex, hash, sizeof hash);
    snprintf(token, sizeof token, TOKEN_MAGIC " %s %s\n", name, secret);
    int rc = vn_write_file_new(token_path, 0600, token, strlen(token));
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(token, sizeof token);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", token_path,
                 rc == VN_E_EXISTS ? "exists already (never overwritten)" : vn_strerror(rc));
        return rc;
    }
    int fd = open(clients_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    int len = snprintf(line, sizeof line, "%s %s\n", name, hash_hex);
    if (fd < 0 || write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(token_path);
        snprintf(err, errlen, "%s: cannot append the client: %s", clients_path, strerror(e));
        return -e;
    }
    close(fd);
    return 0;
}
