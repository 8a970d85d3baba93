/* cli_http.c -- one HTTP GET with libcurl for the commands that read a daemon's endpoint
 * (`status --url`, `witness`): the body collected up to a limit, the status code. */
#include "cli.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, max;
} s_body_t;

static size_t s_collect(char *data, size_t size, size_t n, void *user)
{
    s_body_t *b = user;
    size_t add = size * n;
    if (b->len + add > b->max)
        return 0;
    char *more = realloc(b->buf, b->len + add + 1);
    if (!more)
        return 0;
    memcpy(more + b->len, data, add);
    b->buf = more;
    b->len += add;
    b->buf[b->len] = '\0';
    return add;
}

const char *cli_http_get(void *curl, const char *url, const char *protocols, long timeout_s,
                         size_t max, char **body, size_t *len)
{
    s_body_t b = {.max = max};
    long code = 0;
    *body = NULL;
    *len = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code != 200 || !b.buf) {
        free(b.buf);
        return rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected HTTP answer";
    }
    *body = b.buf;
    *len = b.len;
    return NULL;
}
