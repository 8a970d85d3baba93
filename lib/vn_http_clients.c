/* vn_http_clients.c -- named HTTP API clients with hashed tokens, one line each in a 0600 file. */
#include "vn_http_clients.h"
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

#define TOKEN_PREFIX "vnk_"
#define TOKEN_BYTES 32
#define FILE_MAX (4 << 20)

static const char s_hash_key[] = "vangnet http api token v1";

const char *const vn_http_scope_names[] = {"send", "inbox", "consent", "signal", NULL};

int vn_http_client_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > VN_HTTP_CLIENT_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-'))
            return 0;
    return 1;
}

int vn_http_scopes_parse(const char *text, unsigned *scopes)
{
    *scopes = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        unsigned bit = 0;
        for (int i = 0; vn_http_scope_names[i]; i++)
            if (strlen(vn_http_scope_names[i]) == len && strncmp(p, vn_http_scope_names[i], len) == 0)
                bit = 1u << i;
        if (!bit)
            return VN_E_INVALID;
        *scopes |= bit;
        p += len;
        if (*p == ',' && *++p == '\0')
            return VN_E_INVALID;
    }
    return *scopes ? 0 : VN_E_INVALID;
}

char *vn_http_scopes_format(unsigned scopes, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; vn_http_scope_names[i]; i++)
        if (scopes & (1u << i)) {
            int w = snprintf(out + used, len - used, "%s%s", used ? "," : "", vn_http_scope_names[i]);
            if (w < 0 || (size_t)w >= len - used)
                break;
            used += (size_t)w;
        }
    return out;
}

void vn_http_token_hash(const char *token, size_t len, uint8_t hash[32])
{
    crypto_generichash(hash, 32, (const uint8_t *)token, len, (const uint8_t *)s_hash_key,
                       sizeof s_hash_key - 1);
}

int vn_http_token_new(char token[VN_HTTP_TOKEN_MAX], uint8_t hash[32])
{
    uint8_t raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
    sodium_bin2base64(token + sizeof TOKEN_PREFIX - 1, VN_HTTP_TOKEN_MAX - (sizeof TOKEN_PREFIX - 1),
                      raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    vn_http_token_hash(token, strlen(token), hash);
    return 0;
}

const vn_http_client_t *vn_http_clients_match(const vn_http_client_t *list, size_t n,
                                            const char *token, size_t len)
{
    uint8_t h[32];
    const vn_http_client_t *found = NULL;
    vn_http_token_hash(token, len, h);
    for (size_t i = 0; i < n; i++) /* every entry, so timing does not say which one matched */
        if (sodium_memcmp(h, list[i].hash, 32) == 0 && !list[i].revoked)
            found = &list[i];
    sodium_memzero(h, sizeof h);
    return found;
}

/* One line: NAME SCOPES HASH CREATED REVOKED */
static int s_parse_line(char *line, vn_http_client_t *c)
{
    char *save = NULL, *f[6];
    int n = 0;
    for (char *t = strtok_r(line, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
        f[n++] = t;
    if (n != 5 || !vn_http_client_name_valid(f[0]) || vn_http_scopes_parse(f[1], &c->scopes) != 0 ||
        strlen(f[2]) != 64 || vn_unhex(c->hash, 32, f[2]) != 0)
        return -1;
    char *end;
    c->created = strtoull(f[3], &end, 10);
    if (*end)
        return -1;
    c->revoked = strtoull(f[4], &end, 10);
    if (*end)
        return -1;
    snprintf(c->name, sizeof c->name, "%s", f[0]);
    return 0;
}

int vn_http_clients_load(const char *path, vn_http_client_t **list, size_t *n, char *err,
                        size_t errlen)
{
    *list = NULL;
    *n = 0;
    uint8_t *data;
    size_t len;
    int rc = vn_read_secret_file(path, FILE_MAX, &data, &len, NULL);
    if (rc == -ENOENT)
        return 0;
    if (rc == VN_E_KEYFILE_PERMS) {
        snprintf(err, errlen, "%s: readable by group or others (chmod 600)", path);
        return VN_E_CONFIG;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, vn_strerror(rc));
        return rc;
    }
    char *text = realloc(data, len + 1);
    if (!text) {
        free(data);
        return -ENOMEM;
    }
    text[len] = '\0';
    int line = 0;
    rc = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        if (l[0] == '#' || l[0] == '\0')
            continue;
        vn_http_client_t *more = realloc(*list, (*n + 1) * sizeof *more);
        if (!more) {
            rc = -ENOMEM;
            break;
        }
        *list = more;
        if (s_parse_line(l, &more[*n]) != 0) {
            snprintf(err, errlen, "%s:%d: not NAME SCOPES HASH CREATED REVOKED", path, line);
            rc = VN_E_CONFIG;
            break;
        }
        for (size_t i = 0; i < *n; i++)
            if (strcmp(more[i].name, more[*n].name) == 0) {
                snprintf(err, errlen, "%s:%d: client %s listed twice", path, line, more[i].name);
                rc = VN_E_CONFIG;
            }
        if (rc)
            break;
        (*n)++;
    }
    free(text);
    if (rc) {
        free(*list);
        *list = NULL;
        *n = 0;
    }
    return rc;
}

int vn_http_clients_save(const char *path, const vn_http_client_t *list, size_t n)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -errno;
    }
    fprintf(f, "# vangnet HTTP API clients: NAME SCOPES BLAKE2B(TOKEN) CREATED REVOKED\n"
               "# Written by `vangnet api-client`; the agent rereads it when it changes.\n");
    for (size_t i = 0; i < n; i++) {
        char hex[65], scopes[64];
        fprintf(f, "%s %s %s %llu %llu\n", list[i].name,
                vn_http_scopes_format(list[i].scopes, scopes, sizeof scopes),
                vn_hex(hex, list[i].hash, 32), (unsigned long long)list[i].created,
                (unsigned long long)list[i].revoked);
    }
    int rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -errno;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}
