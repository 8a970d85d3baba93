/* vn_api_bench.c -- the agent's HTTP API beside its native local API, in one run against one
 * running agent: submits per second (closed loop, a few callers) and receipt latency p50/p99 at a
 * fixed rate. Each submit waits for the broker's receipt. Run through `scripts/bench.sh api`. */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vangnet/client.h"

#define MAX_SAMPLES 200000

typedef struct {
    const char *agent, *url, *token;
    int http;
} s_target_t;

static const char s_body[] =
    "{\"to\":[\"vt-zuid-limburg\"],\"anonymous\":true,\"category\":\"adviesvraag\","
    "\"basis\":\"advies\",\"userId\":\"bench\",\"userRole\":\"professional\","
    "\"content\":{\"mediaType\":\"text/plain\",\"data\":\"%s\"}}";
static char s_json[4096];
static char s_content[1024];

static double s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t s_sink(char *p, size_t size, size_t n, void *u)
{
    (void)p, (void)u;
    return size * n;
}

typedef struct {
    vn_client_t *client;
    CURL *curl;
    struct curl_slist *hdrs;
} s_conn_t;

static int s_open(const s_target_t *t, s_conn_t *c)
{
    memset(c, 0, sizeof *c);
    if (!t->http)
        return (c->client = vn_client_new(t->agent)) ? 0 : -1;
    char auth[200];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->token);
    c->hdrs = curl_slist_append(NULL, auth);
    c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
    c->curl = curl_easy_init();
    char url[300];
    snprintf(url, sizeof url, "%s/v1/notifications", t->url);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, s_json);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
    return c->curl ? 0 : -1;
}

static void s_close(s_conn_t *c)
{
    if (c->client)
        vn_client_destroy(&c->client);
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->hdrs);
}

/* One submit that waits for the broker's receipt. 0 when accepted. */
static int s_submit(s_conn_t *c)
{
    if (c->client) {
        static const char *const to[] = {"vt-zuid-limburg"};
        vn_client_notification_t n = {.to = to, .n_to = 1, .category = "adviesvraag",
                                      .basis = "advies", .user_id = "bench",
                                      .user_role = "professional", .content = s_content,
                                      .content_len = sizeof s_content};
        vn_client_result_t r;
        return vn_client_submit(c->client, &n, 10000, &r) == 0 && r.outcome == VN_CLIENT_ACCEPTED
                   ? 0 : -1;
    }
    long status = 0;
    if (curl_easy_perform(c->curl) != CURLE_OK)
        return -1;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    return status == 201 ? 0 : -1;
}

typedef struct {
    const s_target_t *t;
    double until;
    _Atomic long *done, *failed;
} s_loop_t;

static void *s_loop(void *arg)
{
    s_loop_t *l = arg;
    s_conn_t c;
    if (s_open(l->t, &c) != 0)
        return NULL;
    while (s_ms() < l->until)
        (s_submit(&c) == 0 ? atomic_fetch_add(l->done, 1) : atomic_fetch_add(l->failed, 1));
    s_close(&c);
    return NULL;
}

static double s_throughput(const s_target_t *t, int callers, double seconds, long *failed)
{
    _Atomic long done = 0, bad = 0;
    pthread_t th[64];
    s_loop_t l = {t, s_ms() + seconds * 1e3, &done, &bad};
    double t0 = s_ms();
    for (int i = 0; i < callers; i++)
        pthread_create(&th[i], NULL, s_loop, &l);
    for (int i = 0; i < callers; i++)
        pthread_join(th[i], NULL);
    *failed = bad;
    return done / ((s_ms() - t0) / 1e3);
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Paced at rate per second for seconds: each submit's time to its receipt. */
static void s_latency(const s_target_t *t, int rate, double seconds, double *p50, double *p99,
                      long *failed)
{
    s_conn_t c;
    *failed = 0;
    size_t n = (size_t)(rate * seconds), k = 0;
    double *lat = calloc(n ? n : 1, sizeof *lat);
    if (!lat || s_open(t, &c) != 0) {
        *p50 = *p99 = -1;
        free(lat);
        return;
    }
    double start = s_ms();
    for (size_t i = 0; i < n && i < MAX_SAMPLES; i++) {
        double due = start + i * 1e3 / rate, now = s_ms();
        if (due > now) {
            struct timespec ts = {0, (long)((due - now) * 1e6)};
            nanosleep(&ts, NULL);
        }
        double t0 = s_ms();
        if (s_submit(&c) == 0)
            lat[k++] = s_ms() - t0;
        else
            (*failed)++;
    }
    s_close(&c);
    qsort(lat, k, sizeof *lat, s_cmp);
    *p50 = k ? lat[k / 2] : -1;
    *p99 = k ? lat[(size_t)(k * 0.99) < k ? (size_t)(k * 0.99) : k - 1] : -1;
    free(lat);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'}, {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'}, {"seconds", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},  {"callers", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0}};
    const char *agent = NULL, *url = NULL, *token = NULL;
    double seconds = 5;
    int rate = 100, callers = 4, o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': agent = optarg; break;
        case 'u': url = optarg; break;
        case 't': token = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'r': rate = atoi(optarg); break;
        case 'c': callers = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!agent || !url || !token || callers < 1 || callers > 64 || rate < 1 || seconds <= 0) {
        fprintf(stderr, "usage: vn-api-bench --agent EP --url URL --token T [--seconds S] "
                        "[--rate N] [--callers N]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    memset(s_content, 'x', sizeof s_content);
    /* 1 KiB of content as base64 */
    static char b64[1400];
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t j = 0;
    for (size_t i = 0; i < sizeof s_content; i += 3) {
        unsigned v = (unsigned char)s_content[i] << 16 |
                     (i + 1 < sizeof s_content ? (unsigned char)s_content[i + 1] << 8 : 0) |
                     (i + 2 < sizeof s_content ? (unsigned char)s_content[i + 2] : 0);
        b64[j++] = tbl[v >> 18 & 63];
        b64[j++] = tbl[v >> 12 & 63];
        b64[j++] = i + 1 < sizeof s_content ? tbl[v >> 6 & 63] : '=';
        b64[j++] = i + 2 < sizeof s_content ? tbl[v & 63] : '=';
    }
    snprintf(s_json, sizeof s_json, s_body, b64);
    s_target_t native = {agent, url, token, 0}, http = {agent, url, token, 1};
    long f1, f2, f3, f4;
    /* interleaved, native first, in the same run against the same agent */
    double n_rate = s_throughput(&native, callers, seconds, &f1);
    double h_rate = s_throughput(&http, callers, seconds, &f2);
    double n50, n99, h50, h99;
    s_latency(&native, rate, seconds, &n50, &n99, &f3);
    s_latency(&http, rate, seconds, &h50, &h99, &f4);
    printf("agent HTTP API beside the native local API (1 KiB, each submit waits for the "
           "broker's receipt)\n");
    printf("%-46s %12s %12s %10s\n", "", "native ipc", "HTTP", "HTTP/native");
    printf("%-46s %12.0f %12.0f %9.0f%%\n", "submits/s, closed loop", n_rate, h_rate,
           n_rate > 0 ? 100 * h_rate / n_rate : 0);
    printf("%-46s %12.2f %12.2f %+9.2f ms\n", "receipt latency p50 at fixed rate (ms)", n50, h50,
           h50 - n50);
    printf("%-46s %12.2f %12.2f %+9.2f ms\n", "receipt latency p99 at fixed rate (ms)", n99, h99,
           h99 - n99);
    printf("(%d callers for %.0f s per closed loop; %d/s for %.0f s per latency run; failed: %ld "
           "%ld %ld %ld)\n", callers, seconds, rate, seconds, f1, f2, f3, f4);
    printf("goal: HTTP >= 80%% of native submits/s: %s; p99 within 5 ms of native: %s\n",
           h_rate >= 0.8 * n_rate ? "met" : "NOT met", h99 - n99 <= 5 ? "met" : "NOT met");
    curl_global_cleanup();
    return f1 + f2 + f3 + f4 ? 1 : 0;
}
