/* vn_util.c -- small helpers shared by every vangnet program. */
#include "vn_util.h"
#include "vn_error.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *vn_hex(char *out, const uint8_t *bin, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bin[i] >> 4];
        out[2 * i + 1] = digits[bin[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int s_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vn_unhex(uint8_t *bin, size_t len, const char *hex)
{
    if (!hex || strlen(hex) != 2 * len)
        return VN_E_INVALID;
    for (size_t i = 0; i < len; i++) {
        int hi = s_nibble(hex[2 * i]), lo = s_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return VN_E_INVALID;
        bin[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

#define ID_POOL 512

static _Thread_local struct {
    uint8_t bytes[ID_POOL];
    size_t left; /* unused bytes at the end of bytes */
} s_id_pool;
static pthread_once_t s_id_once = PTHREAD_ONCE_INIT;

/* Only the forking thread exists in the child: its pool must not repeat the parent's ids. */
static void s_id_pool_forget(void)
{
    sodium_memzero(&s_id_pool, sizeof s_id_pool);
}

static void s_id_pool_init(void)
{
    (void)pthread_atfork(NULL, NULL, s_id_pool_forget);
}

void vn_random_id_bytes(uint8_t *out, size_t n)
{
    pthread_once(&s_id_once, s_id_pool_init);
    while (n > 0) {
        if (s_id_pool.left == 0) {
            randombytes_buf(s_id_pool.bytes, ID_POOL);
            s_id_pool.left = ID_POOL;
        }
        size_t take = n < s_id_pool.left ? n : s_id_pool.left;
        uint8_t *from = s_id_pool.bytes + ID_POOL - s_id_pool.left;
        memcpy(out, from, take);
        sodium_memzero(from, take); /* handed out once */
        s_id_pool.left -= take;
        out += take;
        n -= take;
    }
}

uint64_t vn_now(void)
{
    return (uint64_t)time(NULL);
}

uint64_t vn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t vn_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int vn_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    int rc = 0;
    uint8_t *buf = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 4096, used = 0;
    buf = malloc(cap + 1);
    if (!buf) { rc = -ENOMEM; goto fail; }
    for (;;) {
        if (used == cap) {
            if (cap > max) { rc = VN_E_TOO_LARGE; goto fail; }
            cap *= 2;
            uint8_t *bigger = realloc(buf, cap + 1);
            if (!bigger) { rc = -ENOMEM; goto fail; }
            buf = bigger;
        }
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            if (ferror(f)) { rc = -EIO; goto fail; }
            break;
        }
    }
    if (used > max) { rc = VN_E_TOO_LARGE; goto fail; }
    buf[used] = '\0'; /* convenient for text files; not counted in len */
    *out = buf;
    *len = used;
    if (f != stdin)
        fclose(f);
    return 0;
fail:
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

int vn_read_secret_file(const char *path, size_t max, uint8_t **out, size_t *len, unsigned *mode)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = 0;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode)) {
        rc = VN_E_KEYFILE;
    } else if (st.st_mode & 077) {
        if (mode)
            *mode = (unsigned)(st.st_mode & 0777);
        rc = VN_E_KEYFILE_PERMS;
    } else if ((size_t)st.st_size > max) {
        rc = VN_E_TOO_LARGE;
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
    }
    size_t used = 0;
    while (rc == 0 && used < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO; /* shrank while we read it */
            break;
        }
        used += (size_t)n;
    }
    close(fd);
    if (rc != 0) {
        if (buf) {
            memset(buf, 0, used);
            free(buf);
        }
        return rc;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

int vn_write_file_new(const char *path, int mode, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? VN_E_EXISTS : -errno;
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = -errno;
            close(fd);
            unlink(path);
            return err;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
        int err = -errno;
        close(fd);
        unlink(path);
        return err;
    }
    return close(fd) < 0 ? -errno : 0;
}

int vn_org_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 3 || n > 64 || !(id[0] >= 'a' && id[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

int vn_field_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

void vn_put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t vn_get_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

char *vn_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

int vn_date_parse(const char *s, uint64_t *out)
{
    struct tm tm = {0}, back;
    if (!s || strlen(s) != 10 || strspn(s, "0123456789") != 4 || s[4] != '-' || s[7] != '-' ||
        strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2)
        return VN_E_INVALID;
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return VN_E_INVALID;
    int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
    time_t t = timegm(&tm);
    /* timegm normalises 2026-02-30 to March 2nd: a real day reads back as itself */
    if (t < 0 || !gmtime_r(&t, &back) || back.tm_year != year || back.tm_mon != mon ||
        back.tm_mday != mday)
        return VN_E_INVALID;
    *out = (uint64_t)t;
    return 0;
}
