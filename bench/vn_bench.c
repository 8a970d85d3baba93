/* vn_bench.c -- N sender agents to M recipient agents through one broker, 1 KiB contents, every
 * commit durable; and, in the same run, the same traffic over a bare ZeroMQ CURVE ROUTER forwarder
 * (no storage, no signatures). Prints throughput, receipt and delivery latency p50/p99, and ratios.
 * Run through scripts/bench.sh. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.pb-c.h"
#include "vn_brokerdb.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_registry.h"
#include "vn_procstat.h"
#include "vn_pseudonymd.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

#define CONTENT 1024
#define MAX_PEERS 8
#define WINDOW 1000

static struct {
    const char *bin;       /* build directory */
    int senders, recipients;
    long messages;         /* throughput phase */
    int rate, seconds;     /* latency phase */
    int broker_only;       /* only the broker-alone phase (for profiling) */
    int budgets;           /* 1: the broker's [limits] at their defaults; 0: every limit 0 (off) */
    int sign_batch;        /* broker alone: envelopes pre-sealed under one batch signature (1: alone) */
    int pseudonyms;        /* 0: v1 network key; 1: the pseudonym service, one subject (warm
                            * cache); 2: the service, a new subject per message (cold cache) */
    char dir[256];
    char broker_ep[256];
    pid_t pids[2 + 2 * MAX_PEERS];
    char labels[2 + 2 * MAX_PEERS][96]; /* which daemon each pid is, for the cost table */
    char datadirs[2 + 2 * MAX_PEERS][400]; /* its data directory (metrics-address), or "" */
    int n_pids;
} g = {.senders = 2, .recipients = 2, .messages = 20000, .rate = 1000, .seconds = 5, .budgets = 1,
     .sign_batch = 1};

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Latency samples in microseconds; percentiles after sorting. */
typedef struct {
    uint64_t *v;
    size_t n, cap;
    pthread_mutex_t lock;
} samples_t;

static void s_sample(samples_t *s, uint64_t us)
{
    pthread_mutex_lock(&s->lock);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = us;
    pthread_mutex_unlock(&s->lock);
}

static double s_pct(samples_t *s, double p)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, s_cmp_u64);
    size_t i = (size_t)(p * (double)(s->n - 1));
    return (double)s->v[i] / 1000.0;
}

/* A complete Meldcode report: the policy's meldrecht fields (the date is filled in at start). */
static char s_today[16];
static vn_field_t s_meld[8] = {{"afwegingsvraag-1", "ja"}, {"afwegingsvraag-2", "ja"},
                               {"afwegingsvraag-3", "nvt"}, {"afwegingsvraag-4", "nvt"},
                               {"afwegingsvraag-5", "nvt"}, {"onveiligheid", "acuut"},
                               {"collegiale-consultatie", s_today}, {"client-geinformeerd", "ja"}};
static Vn__ApiJustification s_meld_api_v[8], *s_meld_api[8];

static void s_meld_init(void)
{
    time_t t = time(NULL);
    strftime(s_today, sizeof s_today, "%Y-%m-%d", gmtime(&t));
    for (int i = 0; i < 8; i++) {
        vn__api_justification__init(&s_meld_api_v[i]);
        s_meld_api_v[i].key = (char *)s_meld[i].key;
        s_meld_api_v[i].value = (char *)s_meld[i].value;
        s_meld_api[i] = &s_meld_api_v[i];
    }
}

/* ---- process orchestration ---- */

static void s_spawn(const char *prog, const char *conf, const char *log, const char *label,
                    const char *datadir)
{
    snprintf(g.labels[g.n_pids], sizeof g.labels[g.n_pids], "%s", label);
    snprintf(g.datadirs[g.n_pids], sizeof g.datadirs[g.n_pids], "%s", datadir);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(126);
        execl(prog, prog, "--config", conf, (char *)NULL);
        _exit(127);
    }
    g.pids[g.n_pids++] = pid;
}

static void s_stop_all(void)
{
    for (int i = g.n_pids - 1; i >= 0; i--)
        kill(g.pids[i], SIGTERM);
    for (int i = 0; i < g.n_pids; i++)
        waitpid(g.pids[i], NULL, 0);
    g.n_pids = 0;
}

static void s_org_name(char *out, size_t len, int sender, int i)
{
    snprintf(out, len, "%s-%d", sender ? "ggz-bench" : "vt-bench", i);
}

/* A synthetic BSN passing the elfproef, different for every i (< 10^8). */
static void s_bsn_of(char out[10], unsigned long i)
{
    for (;; i++) {
        char d[9];
        snprintf(d, sizeof d, "%08lu", i % 100000000UL);
        int sum = 0;
        for (int k = 0; k < 8; k++)
            sum += (9 - k) * (d[k] - '0');
        int check = sum % 11; /* 9d1 + ... + 2d8 - d9 = 0 (mod 11) */
        if (check <= 9) {
            memcpy(out, d, 8);
            out[8] = (char)('0' + check);
            out[9] = '\0';
            return;
        }
    }
}

static void s_api_ep(char *out, size_t len, const char *org)
{
    snprintf(out, len, "ipc://%.180s/%.60s.sock", g.dir, org);
}

static int s_setup(void)
{
    char path[512], err[512], org[64];
    snprintf(g.dir, sizeof g.dir, "/tmp/vn-bench-XXXXXX");
    if (!mkdtemp(g.dir))
        return -1;
    vn_keyset_t *ks = vn_keyset_generate("broker", "broker");
    int saved = ks ? vn_keyset_save(ks, g.dir) : -ENOMEM;
    vn_keyset_destroy(&ks);
    snprintf(path, sizeof path, "%s/pseudonym.key", g.dir);
    if (saved != 0 || vn_pseudonym_key_create(path) != 0)
        return -1;
    char clients[300], pd_ep[256] = "";
    snprintf(clients, sizeof clients, "%s/pd-clients", g.dir);
    if (g.pseudonyms && (mkdir(clients, 0700) != 0 || vn_pseud_keys_create(g.dir, err, sizeof err) != 0)) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/broker-data", g.dir);
    int rc;
    vn_store_t *db = vn_brokerdb_open(path, (size_t)4 << 30, 0, &rc, err, sizeof err);
    if (!db) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < (side ? g.senders : g.recipients); i++) {
            s_org_name(org, sizeof org, side, i);
            ks = vn_keyset_generate(org, side ? "ggz" : "veilig-thuis");
            /* registered at the pseudonym service too */
            if (vn_keyset_save(ks, g.dir) != 0 ||
                (g.pseudonyms && vn_keyset_save(ks, clients) != 0) ||
                vn_registry_add(db, &ks->pub, "bench") != 0) {
                fprintf(stderr, "vn-bench: cannot create organisation %s\n", org);
                exit(1);
            }
            vn_keyset_destroy(&ks);
        }
    vn_store_destroy(&db);
    snprintf(path, sizeof path, "%s/broker.conf", g.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[broker]\nendpoint = tcp://127.0.0.1:*\ndata = %s/broker-data\nkeys = %s/broker.secret\n"
               "policy = %s/../config/policy.conf\nmap_size_mb = 4096\nworkers = 2\nlog_level = warn\n",
            g.dir, g.dir, g.bin);
    /* Every agent witnesses the log; the broker counts a quorum of two for its latency metric. */
    fprintf(f, "[witness]\nquorum = 2\nwitnesses = ");
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < (side ? g.senders : g.recipients); i++) {
            s_org_name(org, sizeof org, side, i);
            fprintf(f, "%s%s", side || i ? "," : "", org);
        }
    fprintf(f, "\n[metrics]\nlisten = 127.0.0.1:0\n");
    /* Budgets off: every per-organisation limit 0, to measure what the defaults cost. */
    if (!g.budgets)
        fprintf(f, "[limits]\nrefusal_audit_rate = 0\nrefusal_audit_burst = 0\n"
                   "suppress_window_seconds = 0\nsubmit_rate = 0\nsubmit_burst = 0\n"
                   "submit_in_flight = 0\nsubmit_in_flight_mb = 0\nrequest_rate = 0\n"
                   "request_burst = 0\nqueue_share_percent = 0\n");
    fclose(f);
    char prog[512], log[512];
    snprintf(prog, sizeof prog, "%s/broker/vangnet-broker", g.bin);
    snprintf(log, sizeof log, "%s/broker.log", g.dir);
    char datadir[400];
    snprintf(datadir, sizeof datadir, "%s/broker-data", g.dir);
    s_spawn(prog, path, log, "broker", datadir);
    snprintf(path, sizeof path, "%s/broker-data/endpoint", g.dir);
    for (int i = 0; i < 100; i++) {
        FILE *e = fopen(path, "r");
        if (e && fgets(g.broker_ep, sizeof g.broker_ep, e)) {
            g.broker_ep[strcspn(g.broker_ep, "\n")] = '\0';
            fclose(e);
            break;
        }
        if (e)
            fclose(e);
        usleep(50000);
    }
    if (!g.broker_ep[0])
        return -1;
    if (g.pseudonyms) {
        snprintf(path, sizeof path, "%s/pseudonymd.conf", g.dir);
        f = fopen(path, "w");
        fprintf(f, "[pseudonymd]\nendpoint = tcp://127.0.0.1:*\nkeys = %s/pseudonymd.secret\n"
                   "clients = %s\ndata = %s/pd-data\nbudget_per_day = 100000000\nlog_level = warn\n",
                g.dir, clients, g.dir);
        fclose(f);
        snprintf(prog, sizeof prog, "%s/pseudonymd/vangnet-pseudonymd", g.bin);
        snprintf(log, sizeof log, "%s/pseudonymd.log", g.dir);
        s_spawn(prog, path, log, "pseudonymd", "");
        snprintf(path, sizeof path, "%s/pd-data/endpoint", g.dir);
        for (int i = 0; i < 100 && !pd_ep[0]; i++) {
            usleep(50000);
            FILE *e = fopen(path, "r");
            if (e) {
                if (!fgets(pd_ep, sizeof pd_ep, e))
                    pd_ep[0] = '\0';
                fclose(e);
            }
        }
        pd_ep[strcspn(pd_ep, "\n")] = '\0';
        if (!pd_ep[0])
            return -1;
    }
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < (side ? g.senders : g.recipients); i++) {
            char api[300];
            s_org_name(org, sizeof org, side, i);
            s_api_ep(api, sizeof api, org);
            snprintf(path, sizeof path, "%s/%s.conf", g.dir, org);
            f = fopen(path, "w");
            fprintf(f, "[agent]\nkeys = %s/%s.secret\ndata = %s/%s-data\napi = %s\n"
                       "log_level = warn\nmap_size_mb = 2048\n[metrics]\nlisten = 127.0.0.1:0\n"
                       "[broker]\nendpoint = %s\npublic = %s/broker.public\n",
                    g.dir, org, g.dir, org, api, g.broker_ep, g.dir);
            if (g.pseudonyms)
                fprintf(f, "[pseudonymd]\nendpoint = %s\npublic = %s/pseudonymd.public\n", pd_ep,
                        g.dir);
            else
                fprintf(f, "[agent]\npseudonym_key = %s/pseudonym.key\n", g.dir);
            fclose(f);
            snprintf(prog, sizeof prog, "%s/agent/vangnet-agent", g.bin);
            snprintf(log, sizeof log, "%s/%s.log", g.dir, org);
            char label[80];
            snprintf(label, sizeof label, "%s agent %s", side ? "sender" : "recipient", org);
            snprintf(datadir, sizeof datadir, "%s/%s-data", g.dir, org);
            s_spawn(prog, path, log, label, datadir);
        }
    return 0;
}


/* The broker's cosignature-latency histogram (cumulative counts per bucket, sum, count), read
 * from its /metrics with curl. 0 on success. */
#define COSIGN_BUCKETS 13
typedef struct {
    double le[COSIGN_BUCKETS];
    double count[COSIGN_BUCKETS], sum, n;
    double commits; /* vangnet_broker_commits_total: group commits so far */
    double commit_s; /* vangnet_broker_commit_duration_seconds_sum: time spent committing */
} cosign_hist_t;

/* From the /metrics of the daemon whose data directory is datadir: the broker's cosignature
 * histogram, and the commit counter and time of a broker or an agent. */
static int s_metrics_read(const char *datadir, cosign_hist_t *h)
{
    char path[600], url[128] = "", cmd[300], line[256];
    memset(h, 0, sizeof *h);
    snprintf(path, sizeof path, "%s/metrics-address", datadir);
    FILE *a = fopen(path, "r");
    if (!a || !fgets(url, sizeof url, a)) {
        if (a)
            fclose(a);
        return -1;
    }
    fclose(a);
    url[strcspn(url, "\n")] = 0;
    snprintf(cmd, sizeof cmd, "curl -sf %s/metrics", url);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int b = 0;
    const char *name = "vangnet_broker_cosign_latency_seconds";
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "vangnet_broker_commits_total %lf", &h->commits) == 1 ||
            sscanf(line, "vangnet_broker_commit_duration_seconds_sum %lf", &h->commit_s) == 1 ||
            sscanf(line, "vangnet_agent_commits_total %lf", &h->commits) == 1 ||
            sscanf(line, "vangnet_agent_commit_duration_seconds_sum %lf", &h->commit_s) == 1)
            continue;
        if (strncmp(line, name, strlen(name)) != 0)
            continue;
        const char *rest = line + strlen(name);
        double le, v;
        if (sscanf(rest, "_bucket{le=\"%lf\"} %lf", &le, &v) == 2 && b < COSIGN_BUCKETS) {
            h->le[b] = le;
            h->count[b++] = v;
        } else if (strncmp(rest, "_bucket{le=\"+Inf\"}", 19) == 0 && b < COSIGN_BUCKETS) {
            h->le[b] = 1e9;
            h->count[b++] = atof(rest + 20);
        } else if (sscanf(rest, "_sum %lf", &v) == 1) {
            h->sum = v;
        } else if (sscanf(rest, "_count %lf", &v) == 1) {
            h->n = v;
        }
    }
    return pclose(p) == 0 && (b > 0 || h->commits > 0) ? 0 : -1;
}

static int s_cosign_hist(cosign_hist_t *h)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/broker-data", g.dir);
    return s_metrics_read(dir, h) == 0 && h->le[0] > 0 ? 0 : -1;
}

/* Bucket upper bound below which fraction q of the rounds between two snapshots fell. */
static double s_cosign_quantile(const cosign_hist_t *a, const cosign_hist_t *b, double q)
{
    double total = b->n - a->n;
    for (int i = 0; i < COSIGN_BUCKETS; i++)
        if (b->count[i] - a->count[i] >= q * total)
            return b->le[i];
    return -1;
}

/* ---- local API over a pipelining DEALER ---- */

static void s_api_send(void *sock, Vn__ApiRequest *req)
{
    uint8_t *buf;
    size_t len;
    if (vn_api_request_pack(req, &buf, &len) != 0) {
        fprintf(stderr, "vn-bench: cannot pack a request\n");
        exit(1);
    }
    zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, buf, len, 0);
    free(buf);
}

static Vn__ApiResponse *s_api_recv(void *sock, int timeout_ms)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return NULL;
    zmq_msg_t d, body;
    zmq_msg_init(&d);
    zmq_msg_init(&body);
    zmq_msg_recv(&d, sock, 0);
    zmq_msg_recv(&body, sock, 0);
    Vn__ApiResponse *r = NULL;
    if (vn_api_response_unpack(zmq_msg_data(&body), zmq_msg_size(&body), &r) != 0)
        r = NULL; /* garbage counts as no answer */
    zmq_msg_close(&d);
    zmq_msg_close(&body);
    return r;
}

static int s_agent_ready(void *ctx, const char *org)
{
    char ep[300];
    s_api_ep(ep, sizeof ep, org);
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, ok = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(s, ep);
    Vn__ApiStatus st = VN__API_STATUS__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_STATUS;
    req.status = &st;
    s_api_send(s, &req);
    Vn__ApiResponse *r = s_api_recv(s, 500);
    if (r && r->body_case == VN__API_RESPONSE__BODY_STATUS)
        ok = r->status->connected && r->status->directory_orgs ==
                                         (uint32_t)(g.senders + g.recipients);
    if (r)
        vn__api_response__free_unpacked(r, NULL);
    zmq_close(s);
    return ok;
}

/* One phase of traffic: total messages at rate per second (0: as fast as the window allows). */
typedef struct {
    void *ctx;
    int raw;               /* bare forwarder instead of vangnet */
    long total;
    int rate;
    atomic_long sent, receipted, delivered;
    uint64_t start_us, last_receipt_us, last_delivery_us;
    samples_t receipt_lat, delivery_lat;
    char raw_ep[128];
    char raw_server_pk[41];
    uint8_t tag;           /* marks this phase's contents */
} phase_t;

typedef struct {
    phase_t *ph;
    int index;
} worker_t;

/* Content: 8-byte send time, the phase's tag, then padding to 1 KiB. */
static void s_content(uint8_t *buf, uint64_t t, uint8_t tag)
{
    memset(buf, 'x', CONTENT);
    memcpy(buf, &t, sizeof t);
    buf[8] = tag;
}

/* When message n of one of `senders` senders is due at the phase's offered load (0: now). */
static uint64_t s_due(const phase_t *ph, long n, int senders)
{
    if (ph->rate <= 0)
        return 0;
    return ph->start_us + (uint64_t)((double)n * 1e6 * senders / ph->rate);
}

static void s_pace(const phase_t *ph, long n, int senders)
{
    uint64_t due = s_due(ph, n, senders), now = s_now_us();
    if (due > now)
        usleep((useconds_t)(due - now));
}

static void *s_vangnet_sender(void *arg)
{
    worker_t *w = arg;
    phase_t *ph = w->ph;
    char org[64], ep[300], to[64];
    s_org_name(org, sizeof org, 1, w->index);
    s_api_ep(ep, sizeof ep, org);
    void *s = zmq_socket(ph->ctx, ZMQ_DEALER);
    int linger = 0, hwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_connect(s, ep);
    long mine = ph->total / g.senders, sent = 0, done = 0;
    uint8_t content[CONTENT];
    char *to_list[1] = {to};
    while (done < mine) {
        uint64_t now = s_now_us(), due = s_due(ph, sent, g.senders);
        if (sent < mine && sent - done < WINDOW && now >= due) {
            uint64_t t = now;
            s_org_name(to, sizeof to, 0, (int)((sent + w->index) % g.recipients));
            s_content(content, t, ph->tag);
            Vn__ApiSubmit sub = VN__API_SUBMIT__INIT;
            sub.n_to = 1;
            sub.to = to_list;
            char bsn[10];
            if (g.pseudonyms == 2) /* cold: a subject no agent has seen */
                s_bsn_of(bsn, (unsigned long)ph->tag * 100000000UL / 8 + (unsigned long)w->index * 10000000UL + (unsigned long)sent);
            sub.subject_bsn = g.pseudonyms == 2 ? bsn : "111222333";
            sub.category = "melding";
            sub.basis = "meldrecht";
            sub.n_justification = 8;
            sub.justification = s_meld_api;
            sub.user_id = "bench";
            sub.user_role = "bench";
            sub.content = (ProtobufCBinaryData){CONTENT, content};
            sub.wait_ms = 60000;
            /* The send time rides in client_ref for the receipt latency; client_ref is also the
             * idempotency key, so a sequence number keeps two sends in one microsecond apart. */
            uint64_t ref[2] = {t, ((uint64_t)ph->tag << 56) | ((uint64_t)w->index << 48) |
                                      (uint64_t)sent};
            sub.client_ref = (ProtobufCBinaryData){sizeof ref, (uint8_t *)ref};
            Vn__ApiRequest req = VN__API_REQUEST__INIT;
            req.body_case = VN__API_REQUEST__BODY_SUBMIT;
            req.submit = &sub;
            s_api_send(s, &req);
            sent++;
            atomic_fetch_add(&ph->sent, 1);
            continue;
        }
        /* Wait for answers until the next send is due (or long, when all are sent). Rounded up
         * to the next millisecond: rounded down, the last millisecond before each send was a
         * busy loop that took a core from the daemons under test at a fixed rate. */
        int timeout = sent < mine && sent - done < WINDOW ? (int)((due - now + 999) / 1000)
                                                          : 10000;
        Vn__ApiResponse *r = s_api_recv(s, timeout);
        if (!r) {
            if (timeout == 10000) {
                fprintf(stderr, "bench: sender %d: no answer in 10 s (%ld of %ld answered)\n",
                        w->index, done, mine);
                break;
            }
            continue;
        }
        if (r->body_case == VN__API_RESPONSE__BODY_SUBMIT &&
            r->submit->outcome == VN__API_SUBMIT_RESULT__OUTCOME__ACCEPTED &&
            r->submit->client_ref.len == 16) {
            uint64_t t0, t1 = s_now_us();
            memcpy(&t0, r->submit->client_ref.data, 8);
            s_sample(&ph->receipt_lat, t1 - t0);
            atomic_fetch_add(&ph->receipted, 1);
            ph->last_receipt_us = t1;
        } else {
            fprintf(stderr, "bench: unexpected answer (%d)\n", (int)r->body_case);
        }
        done++;
        vn__api_response__free_unpacked(r, NULL);
    }
    zmq_close(s);
    return NULL;
}

static void *s_vangnet_recipient(void *arg)
{
    worker_t *w = arg;
    phase_t *ph = w->ph;
    char org[64], ep[300];
    s_org_name(org, sizeof org, 0, w->index);
    s_api_ep(ep, sizeof ep, org);
    void *s = zmq_socket(ph->ctx, ZMQ_DEALER);
    int linger = 2000, hwm = 0; /* linger: the last acks must reach the agent */
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_connect(s, ep);
    long mine = ph->total / g.recipients, got = 0;
    int fetching = 0;
    uint64_t idle_since = s_now_us();
    while (got < mine && s_now_us() - idle_since < 20000000) {
        if (!fetching) {
            Vn__ApiFetch f = VN__API_FETCH__INIT;
            f.wait_ms = 1000;
            f.max = 500;
            Vn__ApiRequest req = VN__API_REQUEST__INIT;
            req.body_case = VN__API_REQUEST__BODY_FETCH;
            req.fetch = &f;
            s_api_send(s, &req);
            fetching = 1;
        }
        Vn__ApiResponse *r = s_api_recv(s, 3000);
        if (!r)
            continue;
        if (r->body_case == VN__API_RESPONSE__BODY_INBOX) {
            fetching = 0;
            uint64_t now = s_now_us();
            for (size_t i = 0; i < r->inbox->n_notifications; i++) {
                Vn__ApiNotification *n = r->inbox->notifications[i];
                uint64_t t0;
                if (n->content.len == CONTENT && n->content.data[8] == ph->tag) {
                    memcpy(&t0, n->content.data, 8);
                    s_sample(&ph->delivery_lat, now - t0);
                    got++;
                    atomic_fetch_add(&ph->delivered, 1);
                    ph->last_delivery_us = now;
                    idle_since = now;
                }
                Vn__ApiAck ack = VN__API_ACK__INIT;
                ack.message_id = n->message_id;
                Vn__ApiRequest req = VN__API_REQUEST__INIT;
                req.body_case = VN__API_REQUEST__BODY_ACK;
                req.ack = &ack;
                s_api_send(s, &req);
            }
        }
        vn__api_response__free_unpacked(r, NULL);
    }
    zmq_close(s);
    return NULL;
}

/* ---- the bare CURVE forwarder ---- */

typedef struct {
    void *ctx;
    char secret[41];
    char endpoint[128];
    atomic_int stop;
    atomic_int ready;
} forwarder_t;

static void *s_forwarder(void *arg)
{
    forwarder_t *f = arg;
    void *r = zmq_socket(f->ctx, ZMQ_ROUTER);
    int one = 1, linger = 0, hwm = 0;
    zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, f->secret, 40);
    zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(r, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* Lossless like vangnet: a reconnecting peer takes its id over, and an unknown destination
     * is reported (the message goes back to the sender to retry) rather than dropped. */
    zmq_setsockopt(r, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    zmq_setsockopt(r, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_bind(r, "tcp://127.0.0.1:*");
    size_t len = sizeof f->endpoint;
    zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, f->endpoint, &len);
    atomic_store(&f->ready, 1);
    while (!atomic_load(&f->stop)) {
        zmq_pollitem_t it = {r, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        /* [sender][destination][payload] -> [destination][payload] */
        zmq_msg_t from, to, body;
        zmq_msg_init(&from);
        zmq_msg_init(&to);
        zmq_msg_init(&body);
        zmq_msg_recv(&from, r, 0);
        zmq_msg_recv(&to, r, 0);
        zmq_msg_recv(&body, r, 0);
        zmq_msg_t to_copy;
        zmq_msg_init(&to_copy);
        zmq_msg_copy(&to_copy, &to);
        if (zmq_msg_send(&to, r, ZMQ_SNDMORE) < 0) {
            /* not connected yet: bounce [destination][payload] to the sender, who retries */
            zmq_msg_send(&from, r, ZMQ_SNDMORE);
            zmq_msg_send(&to_copy, r, ZMQ_SNDMORE);
            zmq_msg_send(&body, r, 0);
            zmq_msg_close(&to);
        } else {
            zmq_msg_send(&body, r, 0);
            zmq_msg_close(&from);
            zmq_msg_close(&to_copy);
        }
    }
    zmq_close(r);
    return NULL;
}

/* Resend messages the forwarder bounced (destination not connected). Returns how many. */
static int s_raw_resend_bounced(void *s, int timeout_ms)
{
    int n = 0;
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&it, 1, n ? 0 : timeout_ms) > 0) {
        zmq_msg_t to, body;
        zmq_msg_init(&to);
        zmq_msg_init(&body);
        zmq_msg_recv(&to, s, 0);
        zmq_msg_recv(&body, s, 0);
        usleep(1000);
        zmq_msg_send(&to, s, ZMQ_SNDMORE);
        zmq_msg_send(&body, s, 0);
        n++;
    }
    return n;
}

static void *s_raw_peer(void *arg, int sender)
{
    worker_t *w = arg;
    phase_t *ph = w->ph;
    char pk[41], sk[41], id[64];
    zmq_curve_keypair(pk, sk);
    void *s = zmq_socket(ph->ctx, ZMQ_DEALER);
    int linger = 0, hwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, ph->raw_server_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 40);
    s_org_name(id, sizeof id, sender, w->index);
    zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
    zmq_connect(s, ph->raw_ep);
    uint8_t content[CONTENT];
    if (sender) {
        usleep(300000); /* let every recipient connect, as vangnet's recipients are */
        long mine = ph->total / g.senders;
        for (long n = 0; n < mine; n++) {
            s_pace(ph, n, g.senders);
            char to[64];
            s_org_name(to, sizeof to, 0, (int)((n + w->index) % g.recipients));
            s_content(content, s_now_us(), ph->tag);
            zmq_send(s, to, strlen(to), ZMQ_SNDMORE);
            zmq_send(s, content, CONTENT, 0);
            atomic_fetch_add(&ph->sent, 1);
            s_raw_resend_bounced(s, 0);
        }
        /* Keep resending what bounced until everything has had its chance. */
        while (s_raw_resend_bounced(s, 500) > 0)
            ;
    } else {
        long mine = ph->total / g.recipients, got = 0;
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        while (got < mine && zmq_poll(&it, 1, 5000) > 0) {
            uint64_t t0, now;
            zmq_recv(s, content, CONTENT, 0);
            now = s_now_us();
            memcpy(&t0, content, 8);
            s_sample(&ph->delivery_lat, now - t0);
            atomic_fetch_add(&ph->delivered, 1);
            ph->last_delivery_us = now;
            got++;
        }
    }
    zmq_close(s);
    return NULL;
}

static void *s_raw_sender(void *arg) { return s_raw_peer(arg, 1); }
static void *s_raw_recipient(void *arg) { return s_raw_peer(arg, 0); }

static void s_run(phase_t *ph)
{
    pthread_t th[2 * MAX_PEERS];
    worker_t ws[2 * MAX_PEERS];
    int n = 0;
    ph->start_us = s_now_us() + (ph->raw ? 300000 : 0);
    for (int i = 0; i < g.recipients; i++, n++) {
        ws[n] = (worker_t){ph, i};
        pthread_create(&th[n], NULL, ph->raw ? s_raw_recipient : s_vangnet_recipient, &ws[n]);
    }
    for (int i = 0; i < g.senders; i++, n++) {
        ws[n] = (worker_t){ph, i};
        pthread_create(&th[n], NULL, ph->raw ? s_raw_sender : s_vangnet_sender, &ws[n]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static double s_rate(long n, uint64_t start, uint64_t end);

/* ---- the broker alone: pre-sealed envelopes straight over CURVE, as agents would send them ---- */

typedef struct {
    int index;
    long count;
    int rate;              /* offered load of all direct senders together; 0: window-limited */
    uint64_t start_us;
    uint8_t **env;
    size_t *len;
    atomic_long *receipts;
    uint64_t *last_us;
    samples_t *lat;
} direct_t;

static int s_direct_prepare(direct_t *d)
{
    char path[400], org[64], err[512];
    s_org_name(org, sizeof org, 1, d->index);
    snprintf(path, sizeof path, "%s/%s.secret", g.dir, org);
    vn_keyset_t *ks;
    if (vn_keyset_load(path, &ks, err, sizeof err) != 0)
        return -1;
    vn_pubkeys_t to[MAX_PEERS];
    for (int r = 0; r < g.recipients; r++) {
        s_org_name(org, sizeof org, 0, r);
        snprintf(path, sizeof path, "%s/%s.public", g.dir, org);
        if (vn_pubkeys_load(path, &to[r], err, sizeof err) != 0)
            return -1;
    }
    d->env = calloc((size_t)d->count, sizeof *d->env);
    d->len = calloc((size_t)d->count, sizeof *d->len);
    uint8_t content[CONTENT], pseud[32], id[16];
    memset(content, 'x', sizeof content);
    memset(pseud, 7, sizeof pseud);
    uint64_t now = vn_now();
    vn_sealed_t *sealed[VN_BATCH_MAX];
    uint8_t *env[VN_BATCH_MAX];
    size_t env_len[VN_BATCH_MAX], n = 0;
    for (long i = 0; i < d->count; i++) {
        const vn_pubkeys_t *r = &to[(i + d->index) % g.recipients];
        vn_recipient_t rc = {r->org, r->box_pk};
        vn_seal_params_t p = {.recipients = &rc, .n_recipients = 1, .category = "melding",
                              .basis = "meldrecht", .justification = s_meld,
                              .n_justification = 8, .subject_pseudonym = pseud, .created = now,
                              .expires = now + 86400, .user_id = "bench", .user_role = "bench"};
        if (vn_envelope_seal_unsigned(&p, ks, content, sizeof content, id, &sealed[n++]) != 0)
            return -1;
        /* --sign-batch N: every N (and the rest at the end) under one batch signature */
        if ((long)n < g.sign_batch && i + 1 < d->count)
            continue;
        int rc_sign = vn_envelope_sign(sealed, n, ks, env, env_len);
        for (size_t j = 0; j < n; j++)
            vn_sealed_free(sealed[j]);
        if (rc_sign != 0)
            return -1;
        for (size_t j = 0; j < n; j++) {
            long at = i + 1 - (long)n + (long)j;
            Vn__Submit sub = VN__SUBMIT__INIT;
            sub.envelope = (ProtobufCBinaryData){env_len[j], env[j]};
            Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
            m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
            m.submit = &sub;
            int packed = vn_wire_pack(&m, &d->env[at], &d->len[at]);
            free(env[j]);
            if (packed != 0)
                return -1;
        }
        n = 0;
    }
    vn_keyset_destroy(&ks);
    return 0;
}

static void *s_direct_sender(void *arg)
{
    direct_t *d = arg;
    char path[400], org[64], err[512];
    s_org_name(org, sizeof org, 1, d->index);
    snprintf(path, sizeof path, "%s/%s.secret", g.dir, org);
    vn_keyset_t *ks;
    vn_pubkeys_t broker;
    snprintf(path, sizeof path, "%s/%s.secret", g.dir, org);
    if (vn_keyset_load(path, &ks, err, sizeof err) != 0) {
        fprintf(stderr, "vn-bench: %s\n", err);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/broker.public", g.dir);
    if (vn_pubkeys_load(path, &broker, err, sizeof err) != 0) {
        fprintf(stderr, "vn-bench: %s\n", err);
        vn_keyset_destroy(&ks);
        return NULL;
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, hwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, broker.curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, ks->pub.curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, ks->curve_sk, 40);
    zmq_connect(s, g.broker_ep);
    uint64_t *sent_at = calloc((size_t)d->count, sizeof *sent_at);
    long sent = 0, done = 0;
    phase_t pace = {.rate = d->rate, .start_us = d->start_us};
    while (done < d->count) {
        uint64_t now = s_now_us(), due = s_due(&pace, sent, g.senders);
        if (sent < d->count && sent - done < 2 * WINDOW && now >= due) { /* 2000 in flight */
            sent_at[sent] = now;
            zmq_send(s, d->env[sent], d->len[sent], 0);
            sent++;
            continue;
        }
        int waiting = sent < d->count && sent - done < 2 * WINDOW;
        int timeout = waiting ? (int)((due - now + 999) / 1000) : 10000; /* as above */
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, timeout) <= 0) {
            if (timeout == 10000) {
                fprintf(stderr, "bench: direct sender %d: no receipt in 10 s\n", d->index);
                break;
            }
            continue;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        zmq_msg_recv(&msg, s, 0);
        Vn__WireMessage *m;
        if (vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m) == 0) {
            if (m->body_case == VN__WIRE_MESSAGE__BODY_RECEIPT) {
                uint64_t t1 = s_now_us();
                s_sample(d->lat, t1 - sent_at[done]); /* receipts come back in order */
                atomic_fetch_add(d->receipts, 1);
                *d->last_us = t1;
                done++;
            } else if (m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL) {
                fprintf(stderr, "bench: refused: %s\n", m->refusal->code);
                done++;
            }
            vn__wire_message__free_unpacked(m, NULL);
        }
        zmq_msg_close(&msg);
    }
    for (long i = 0; i < d->count; i++)
        free(d->env[i]);
    free(d->env);
    free(d->len);
    free(sent_at);
    zmq_close(s);
    zmq_ctx_term(ctx);
    vn_keyset_destroy(&ks);
    return NULL;
}

/* Receipts per second of the broker alone, and their latency under that full load. */
static double s_broker_alone(long total, int rate, samples_t *lat, long *n_receipts)
{
    direct_t d[MAX_PEERS];
    pthread_t th[MAX_PEERS];
    atomic_long receipts = 0;
    uint64_t last = 0;
    for (int i = 0; i < g.senders; i++) {
        d[i] = (direct_t){.index = i, .count = total / g.senders, .rate = rate,
                          .receipts = &receipts, .last_us = &last, .lat = lat};
        if (s_direct_prepare(&d[i]) != 0)
            return 0;
    }
    uint64_t start = s_now_us();
    for (int i = 0; i < g.senders; i++) {
        d[i].start_us = start;
        pthread_create(&th[i], NULL, s_direct_sender, &d[i]);
    }
    for (int i = 0; i < g.senders; i++)
        pthread_join(th[i], NULL);
    if (n_receipts)
        *n_receipts = atomic_load(&receipts);
    return s_rate(atomic_load(&receipts), start, last);
}

static double s_rate(long n, uint64_t start, uint64_t end)
{
    return end > start ? (double)n * 1e6 / (double)(end - start) : 0;
}

/* ---- what each process cost per notification ---- */

typedef struct {
    vn_procstat_t p[2 + 2 * MAX_PEERS];
    vn_procstat_t self; /* this process: the benchmark's senders and recipients, or the bare
                         * forwarder with its peers */
    int n;
    double commits[2 + 2 * MAX_PEERS];  /* each daemon's commits so far (its metrics), -1 unknown */
    double commit_s[2 + 2 * MAX_PEERS]; /* and the seconds they took */
} costs_t;

static void s_costs_take(costs_t *c)
{
    c->n = g.n_pids;
    for (int i = 0; i < g.n_pids; i++) {
        vn_procstat_read(g.pids[i], &c->p[i]);
        cosign_hist_t h;
        int known = g.datadirs[i][0] && s_metrics_read(g.datadirs[i], &h) == 0;
        c->commits[i] = known ? h.commits : -1;
        c->commit_s[i] = known ? h.commit_s : 0;
    }
    vn_procstat_read(getpid(), &c->self);
}

/* CPU microseconds and bytes written per notification, per daemon and their sum (what & 1), and
 * the benchmark's own process beside them (what & 2; not in the sum: it is the IT systems'
 * side, or the bare forwarder). */
static void s_costs_print(const char *title, const costs_t *a, const costs_t *b, long count,
                          int what)
{
    double cpu, wb, wc, total_cpu = 0, total_wb = 0, total_wc = 0;
    printf("\n%s, per notification (%ld; CPU: /proc/PID/stat utime+stime; written: /proc/PID/io "
           "write_bytes; handed to write(): its wchar):\n", title, count);
    printf("  %-36s %8s %10s %10s %12s %9s\n", "process", "CPU us", "written", "to write()",
           "notif/commit", "ms/commit");
    int daemons = what & 1;
    for (int i = 0; daemons && i < a->n && i < b->n; i++) {
        vn_procstat_per(&a->p[i], &b->p[i], (double)count, &cpu, &wb, &wc);
        double n = a->commits[i] >= 0 && b->commits[i] >= a->commits[i]
                       ? b->commits[i] - a->commits[i] : -1;
        printf("  %-36s %8.1f %10.0f %10.0f", g.labels[i], cpu, wb, wc);
        if (n > 0)
            printf(" %12.1f %9.2f\n", (double)count / n,
                   1e3 * (b->commit_s[i] - a->commit_s[i]) / n);
        else
            printf(" %12s %9s\n", "-", "-");
        total_cpu += cpu;
        total_wb += wb;
        total_wc += wc;
    }
    if (daemons)
        printf("  %-36s %8.1f %10.0f %10.0f\n", "all daemons", total_cpu, total_wb, total_wc);
    if (!(what & 2))
        return;
    vn_procstat_per(&a->self, &b->self, (double)count, &cpu, &wb, &wc);
    printf("  %-36s %8.1f %10.0f %10.0f\n", daemons ? "benchmark clients (not in the sum)"
                                                 : "forwarder and its clients (one process)",
           cpu, wb, wc);
}

/* Bytes an LMDB database occupies (its pages). */
static uint64_t s_db_bytes(MDB_txn *txn, vn_store_t *db, int index)
{
    MDB_stat st;
    if (mdb_stat(txn, vn_store_dbi(db, index), &st) != 0)
        return 0;
    return (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * (uint64_t)st.ms_psize;
}

/* How much the audit log (records, Merkle tree, checkpoints, indexes) grew per notification in
 * this run, measured on the broker's store: every accepted notification brings its ACCEPTED and
 * DELIVERED records, and the run's refusals and administrative records are counted in too. */
static void s_audit_growth(const char *dir)
{
    char path[300], err[1200];
    int rc;
    snprintf(path, sizeof path, "%s/broker-data", dir);
    vn_store_t *db = vn_brokerdb_open(path, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    MDB_txn *txn;
    if (!db || vn_store_begin(db, 1, &txn) != 0) {
        vn_store_destroy(&db);
        return;
    }
    uint64_t accepted = 0, records = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur);
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        records++;
        accepted += r && r->event == VN__AUDIT_RECORD__EVENT__ACCEPTED;
        if (r)
            vn__audit_record__free_unpacked(r, NULL);
    }
    mdb_cursor_close(cur);
    uint64_t log = s_db_bytes(txn, db, BDB_AUDIT), tree = s_db_bytes(txn, db, BDB_MERKLE),
             cps = s_db_bytes(txn, db, BDB_CHECKPOINTS),
             idx = s_db_bytes(txn, db, BDB_IDX_SUBJECT) + s_db_bytes(txn, db, BDB_IDX_ORG);
    mdb_txn_abort(txn);
    vn_store_destroy(&db);
    if (!accepted)
        return;
    double per = (double)(log + tree + cps + idx) / (double)accepted;
    printf("\naudit log growth: %llu records for %llu notifications; records %.0f, Merkle tree %.0f, "
           "checkpoints %.0f, indexes %.0f bytes per notification\n",
           (unsigned long long)records, (unsigned long long)accepted, (double)log / (double)accepted,
           (double)tree / (double)accepted, (double)cps / (double)accepted,
           (double)idx / (double)accepted);
    printf("  = %.0f bytes per notification, %.2f GB per million (%.0f bytes per audit record)\n",
           per, per * 1e6 / 1e9, (double)(log + tree + cps + idx) / (double)records);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"build", required_argument, NULL, 'b'}, {"senders", required_argument, NULL, 'n'},
        {"recipients", required_argument, NULL, 'm'}, {"messages", required_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'}, {"seconds", required_argument, NULL, 's'},
        {"broker-only", no_argument, NULL, 'B'}, {"pseudonyms", required_argument, NULL, 'p'},
        {"budgets", required_argument, NULL, 'L'}, {"sign-batch", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': g.bin = optarg; break;
        case 'n': g.senders = atoi(optarg); break;
        case 'm': g.recipients = atoi(optarg); break;
        case 'c': g.messages = atol(optarg); break;
        case 'r': g.rate = atoi(optarg); break;
        case 's': g.seconds = atoi(optarg); break;
        case 'B': g.broker_only = 1; break;
        case 'S': g.sign_batch = atoi(optarg); break;
        case 'p':
            g.pseudonyms = strcmp(optarg, "warm") == 0 ? 1 : strcmp(optarg, "cold") == 0 ? 2
                         : strcmp(optarg, "v1") == 0 ? 0 : -1;
            if (g.pseudonyms < 0)
                return 2;
            break;
        case 'L':
            g.budgets = strcmp(optarg, "on") == 0 ? 1 : strcmp(optarg, "off") == 0 ? 0 : -1;
            if (g.budgets < 0)
                return 2;
            break;
        default: return 2;
        }
    }
    if (!g.bin || g.senders < 1 || g.senders > MAX_PEERS || g.recipients < 1 ||
        g.recipients > MAX_PEERS || g.messages < 100 || g.rate < 1 || g.seconds < 1 ||
        g.sign_batch < 1 || g.sign_batch > VN_BATCH_MAX) {
        fprintf(stderr, "usage: vn-bench --build DIR [--senders N<=8] [--recipients M<=8] "
                        "[--messages COUNT] [--rate PER_S] [--seconds S] [--broker-only] "
                        "[--pseudonyms v1|warm|cold] [--budgets on|off] [--sign-batch N<=64]\n");
        return 2;
    }
    s_meld_init();
    if (sodium_init() < 0 || s_setup() != 0) {
        fprintf(stderr, "bench: setup failed\n");
        s_stop_all();
        return 1;
    }
    void *ctx = zmq_ctx_new();
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < (side ? g.senders : g.recipients); i++) {
            char org[64];
            s_org_name(org, sizeof org, side, i);
            int ready = 0;
            for (int t = 0; t < 100 && !(ready = s_agent_ready(ctx, org)); t++)
                usleep(100000);
            if (!ready) {
                fprintf(stderr, "bench: agent %s did not come up (see %s)\n", org, g.dir);
                s_stop_all();
                return 1;
            }
        }
    long rate_total = (long)g.rate * g.seconds;
    printf("vangnet benchmark: %d sender agents -> 1 broker -> %d recipient agents, %d-byte "
           "contents, every commit fsync'd; %ld cores; budgets %s; broker alone: %d per "
           "signature\n",
           g.senders, g.recipients, CONTENT, sysconf(_SC_NPROCESSORS_ONLN),
           g.budgets ? "on (defaults)" : "off", g.sign_batch);

    /* 1. Throughput: as fast as a window of 1000 outstanding submits per sender allows. */
    static phase_t tp, lat, raw_tp, raw_lat;
    tp = (phase_t){.ctx = ctx, .total = g.messages, .tag = 1};
    lat = (phase_t){.ctx = ctx, .total = rate_total, .rate = g.rate, .tag = 2};
    static costs_t c_tp[2], c_lat[2], c_alone[2], c_raw[2];
    if (!g.broker_only) {
        s_costs_take(&c_tp[0]);
        s_run(&tp);
        s_costs_take(&c_tp[1]);
        /* 2. Latency at a fixed offered load, and how long checkpoints wait for cosignatures. */
        cosign_hist_t before, after;
        int have = s_cosign_hist(&before) == 0;
        s_costs_take(&c_lat[0]);
        s_run(&lat);
        s_costs_take(&c_lat[1]);
        if (have && s_cosign_hist(&after) == 0 && after.n > before.n)
            printf("cosignature latency at %d/s (checkpoint signed -> 2 witnesses' cosignatures): "
                   "mean %.2f ms over %.0f rounds, p50 <= %g ms, p99 <= %g ms (histogram buckets)\n",
                   g.rate, 1e3 * (after.sum - before.sum) / (after.n - before.n),
                   after.n - before.n, 1e3 * s_cosign_quantile(&before, &after, 0.5),
                   1e3 * s_cosign_quantile(&before, &after, 0.99));
        else
            printf("cosignature latency: no rounds reached the quorum (see %s/broker.log)\n", g.dir);
    }
    /* 3. The broker alone: agents stopped (their deliveries wait durably at the broker). */
    for (int i = g.n_pids - 1; i >= 1; i--) {
        kill(g.pids[i], SIGTERM);
        waitpid(g.pids[i], NULL, 0);
    }
    g.n_pids = 1;
    static samples_t direct_lat, direct_paced_lat;
    long alone_receipts = 0;
    s_costs_take(&c_alone[0]);
    double broker_rcpt = s_broker_alone(g.messages, 0, &direct_lat, &alone_receipts);
    s_costs_take(&c_alone[1]);
    s_broker_alone(rate_total, g.rate, &direct_paced_lat, NULL);
    s_stop_all();
    if (g.broker_only) {
        printf("receipts/s at the broker alone (pre-sealed): %.0f; p50 %.2f ms, p99 %.2f ms with "
               "2000 in flight per sender\n", broker_rcpt, s_pct(&direct_lat, 0.5),
               s_pct(&direct_lat, 0.99));
        printf("broker alone at %d/s: receipt p50 %.2f ms, p99 %.2f ms\n", g.rate,
               s_pct(&direct_paced_lat, 0.5), s_pct(&direct_paced_lat, 0.99));
        s_costs_print("the broker alone, as fast as it goes", &c_alone[0], &c_alone[1],
                      alone_receipts, 1);
        return 0;
    }

    /* 4 and 5. The same traffic over a bare CURVE ROUTER forwarder. */
    forwarder_t fw = {.ctx = ctx};
    char server_pk[41];
    zmq_curve_keypair(server_pk, fw.secret);
    pthread_t fth;
    pthread_create(&fth, NULL, s_forwarder, &fw);
    while (!atomic_load(&fw.ready))
        usleep(1000);
    raw_tp = (phase_t){.ctx = ctx, .raw = 1, .total = g.messages, .tag = 3};
    raw_lat = (phase_t){.ctx = ctx, .raw = 1, .total = rate_total, .rate = g.rate, .tag = 4};
    snprintf(raw_tp.raw_ep, sizeof raw_tp.raw_ep, "%s", fw.endpoint);
    snprintf(raw_lat.raw_ep, sizeof raw_lat.raw_ep, "%s", fw.endpoint);
    memcpy(raw_tp.raw_server_pk, server_pk, 41);
    memcpy(raw_lat.raw_server_pk, server_pk, 41);
    s_costs_take(&c_raw[0]);
    s_run(&raw_tp);
    s_costs_take(&c_raw[1]);
    s_run(&raw_lat);
    atomic_store(&fw.stop, 1);
    pthread_join(fth, NULL);

    double vn_e2e = s_rate(tp.delivered, tp.start_us, tp.last_delivery_us);
    double vn_rcpt = s_rate(tp.receipted, tp.start_us, tp.last_receipt_us);
    double raw_e2e = s_rate(raw_tp.delivered, raw_tp.start_us, raw_tp.last_delivery_us);
    printf("\n%-44s %14s %14s %9s\n", "", "vangnet", "raw CURVE fwd", "ratio");
    printf("%-44s %14.0f %14.0f %9.3f\n", "throughput end to end (notifications/s)", vn_e2e,
           raw_e2e, raw_e2e > 0 ? vn_e2e / raw_e2e : 0);
    printf("%-44s %14.0f %14s\n", "receipts/s through sender agents", vn_rcpt, "-");
    printf("%-44s %14.0f %14s\n", "receipts/s at the broker alone (pre-sealed)", broker_rcpt, "-");
    printf("%-44s %14.2f %14s\n", "  receipt latency p50, 2000 in flight (ms)", s_pct(&direct_lat, 0.50), "-");
    printf("%-44s %14.2f %14s\n", "  receipt latency p99, 2000 in flight (ms)", s_pct(&direct_lat, 0.99), "-");
    printf("%-44s %14ld %14ld\n", "delivered in throughput run", (long)tp.delivered,
           (long)raw_tp.delivered);
    printf("%-44s %14ld %14s\n", "submits answered accepted, throughput run", (long)tp.receipted,
           "-");
    printf("at a fixed offered load of %d/s for %d s:\n", g.rate, g.seconds);
    printf("%-44s %14.2f %14s\n", "  receipt latency p50 at the broker (ms)",
           s_pct(&direct_paced_lat, 0.50), "-");
    printf("%-44s %14.2f %14s\n", "  receipt latency p99 at the broker (ms)",
           s_pct(&direct_paced_lat, 0.99), "-");
    printf("%-44s %14.2f %14s\n", "  receipt latency p50 via agents (ms)", s_pct(&lat.receipt_lat, 0.50), "-");
    printf("%-44s %14.2f %14s\n", "  receipt latency p99 via agents (ms)", s_pct(&lat.receipt_lat, 0.99), "-");
    double d50 = s_pct(&lat.delivery_lat, 0.50), d99 = s_pct(&lat.delivery_lat, 0.99);
    double r50 = s_pct(&raw_lat.delivery_lat, 0.50), r99 = s_pct(&raw_lat.delivery_lat, 0.99);
    printf("%-44s %14.2f %14.2f %9.1f\n", "  delivery latency p50 (ms)", d50, r50, r50 > 0 ? d50 / r50 : 0);
    printf("%-44s %14.2f %14.2f %9.1f\n", "  delivery latency p99 (ms)", d99, r99, r99 > 0 ? d99 / r99 : 0);
    printf("%-44s %14ld %14ld\n", "  delivered in latency run", (long)lat.delivered,
           (long)raw_lat.delivered);
    printf("%-44s %14ld %14s\n", "  submits answered accepted, latency run", (long)lat.receipted,
           "-");
    s_costs_print("end to end, as fast as it goes", &c_tp[0], &c_tp[1], (long)tp.delivered, 3);
    s_costs_print("end to end at the fixed rate", &c_lat[0], &c_lat[1], (long)lat.delivered, 3);
    s_costs_print("the broker alone, as fast as it goes", &c_alone[0], &c_alone[1],
                  alone_receipts, 1);
    s_costs_print("the bare forwarder, as fast as it goes", &c_raw[0], &c_raw[1],
                  (long)raw_tp.delivered, 2);
    s_audit_growth(g.dir);
    /* Every message delivered and every submit answered (a lost answer once hid behind a
     * delivered count: docs/performance.md, "the benchmark's lost answers"). */
    int complete = tp.delivered == (long)g.messages / g.recipients * g.recipients &&
                   lat.delivered == rate_total / g.recipients * g.recipients &&
                   tp.receipted == (long)g.messages / g.senders * g.senders &&
                   lat.receipted == rate_total / g.senders * g.senders;
    if (!complete)
        printf("WARNING: not every vangnet message was delivered and answered; logs kept in %s\n",
               g.dir);
    else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", g.dir);
    }
    zmq_ctx_term(ctx);
    return complete ? 0 : 1;
}
