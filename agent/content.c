/* content.c -- a notification's media type travels sealed inside its content: a short frame
 * (magic, length, media type) before the bytes, so the broker never sees what kind of file it is. */
#include "agent.h"
#include "vn_error.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t s_magic[5] = {0x00, 'V', 'N', 'C', '1'};

int agent__media_type_valid(const char *mt)
{
    size_t n = strlen(mt), slash = 0;
    if (n < 3 || n > AGENT_MEDIA_TYPE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)mt[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return 0;
        if (c == '/')
            slash++;
    }
    return slash >= 1 && mt[0] != '/' && strchr(mt, '/')[1] != '\0' && strchr(mt, '/')[1] != ';';
}

int agent__content_frame(const char *media_type, const uint8_t *data, size_t len, uint8_t **out,
                         size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    int starts_magic = len >= sizeof s_magic && memcmp(data, s_magic, sizeof s_magic) == 0;
    if (!media_type[0] && !starts_magic)
        return 0; /* sent as it is: nothing to say, nothing to mistake for a frame */
    const char *mt = media_type[0] ? media_type : "application/octet-stream";
    size_t mlen = strlen(mt);
    uint8_t *buf = malloc(sizeof s_magic + 1 + mlen + len);
    if (!buf)
        return VN_E_STORE;
    memcpy(buf, s_magic, sizeof s_magic);
    buf[sizeof s_magic] = (uint8_t)mlen;
    memcpy(buf + sizeof s_magic + 1, mt, mlen);
    if (len)
        memcpy(buf + sizeof s_magic + 1 + mlen, data, len);
    *out = buf;
    *out_len = sizeof s_magic + 1 + mlen + len;
    return 0;
}

size_t agent__content_unframe(const uint8_t *c, size_t len, char mt[AGENT_MEDIA_TYPE_MAX + 1])
{
    mt[0] = '\0';
    if (len < sizeof s_magic + 1 || memcmp(c, s_magic, sizeof s_magic) != 0)
        return 0;
    size_t mlen = c[sizeof s_magic];
    if (mlen > AGENT_MEDIA_TYPE_MAX || len < sizeof s_magic + 1 + mlen)
        return 0;
    memcpy(mt, c + sizeof s_magic + 1, mlen);
    mt[mlen] = '\0';
    if (!agent__media_type_valid(mt)) {
        mt[0] = '\0';
        return 0;
    }
    return sizeof s_magic + 1 + mlen;
}
