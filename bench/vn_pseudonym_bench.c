/* vn_pseudonym_bench.c -- pseudonym costs side by side: the v1 keyed hash (what an attacker with
 * one agency's key enumerates), the VOPRF evaluation at the service (single and batched, with its
 * DLEQ proof), the agent's blind+verify+finalise per pseudonym, and evaluations per second through
 * a real vangnet-pseudonymd over CURVE. Run by `scripts/bench.sh pseudonyms`. */
#include "vn_keys.h"
#include "vn_oprf.h"
#include "vn_pseudonymd.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH 100

/* Local figures are per CPU second of this (single-threaded) process: "on one core" even on a
 * shared, loaded machine. Through the daemon, wall-clock time (two processes). */
static int s_cpu_clock = 1;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(s_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A synthetic BSN passing the elfproef, from a counter. */
static void s_bsn(char out[10], unsigned long i)
{
    for (;;) {
        snprintf(out, 10, "%09lu", (i * 7919 + 100000000UL) % 1000000000UL);
        if (vn_bsn_validate(out) == 0)
            return;
        i++;
    }
}

static void s_local(double seconds)
{
    uint8_t key[32], out[32], sk[32], pk[32];
    randombytes_buf(key, sizeof key);
    vn_oprf_keypair(sk, pk);
    char bsn[10];
    unsigned long n = 0;
    double t0 = s_now(), t;
    do {
        for (int i = 0; i < 1000; i++, n++) {
            s_bsn(bsn, n);
            if (vn_pseudonym(out, bsn, key) != 0)
                abort();
        }
    } while ((t = s_now() - t0) < seconds);
    printf("v1 keyed hash (BLAKE2b, network key)     %10.0f pseudonyms/s on one core\n", n / t);
    printf("  all %.0f million valid BSNs tried in     %10.0f s with one stolen agency key\n",
           9e7 / 1e6, 9e7 / (n / t));

    static uint8_t blinds[BATCH][32], fixed[BATCH][32], blinded[BATCH][32], ev[BATCH][32];
    uint8_t proof[64], o64[64];
    for (int i = 0; i < BATCH; i++) {
        s_bsn(bsn, (unsigned long)i);
        if (vn_oprf_blind(blinds[i], blinded[i], (const uint8_t *)bsn, 9, NULL) != 0)
            abort();
    }
    /* Side by side, alternating, so the machine's load falls on both alike: the plain
     * computation (each element checked apart, transcripts hashed whole) and the batch path. */
    for (int batch = 1; batch <= BATCH; batch += BATCH - 1) {
        unsigned long n_ref = 0, n_fast = 0;
        double t_ref = 0, t_fast = 0;
        for (int round = 0; round < 10; round++) {
            for (int fast = 0; fast <= 1; fast++) {
                t0 = s_now();
                unsigned long k = 0;
                do {
                    int rc = fast ? vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0],
                                                           (size_t)batch, NULL, proof)
                                  : vn_oprf__blind_evaluate_reference(sk, pk, blinded[0], ev[0],
                                                                      (size_t)batch, NULL, proof);
                    if (rc != 0)
                        abort();
                    k += (unsigned long)batch;
                } while ((t = s_now() - t0) < seconds / 20);
                *(fast ? &n_fast : &n_ref) += k;
                *(fast ? &t_fast : &t_ref) += t;
            }
        }
        printf("service: evaluate + proof, batch %3d     %10.0f evaluations/s on one core "
               "(before: %.0f, %+.1f %%)\n", batch, n_fast / t_fast, n_ref / t_ref,
               100.0 * (n_fast / t_fast - n_ref / t_ref) / (n_ref / t_ref));
    }
    memcpy(fixed, blinds, sizeof fixed); /* the same blinds again, so the proof still verifies */
    for (int batch = 1; batch <= BATCH; batch += BATCH - 1) {
        if (vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], (size_t)batch, NULL, proof) != 0)
            abort();
        /* the agent's own share: blind, verify the batch's proof, finalise each */
        n = 0;
        t0 = s_now();
        do {
            for (int i = 0; i < batch; i++) {
                s_bsn(bsn, (unsigned long)i);
                if (vn_oprf_blind(blinds[i], blinded[i], (const uint8_t *)bsn, 9, fixed[i]) != 0)
                    abort();
            }
            if (vn_oprf_verify_proof(pk, blinded[0], ev[0], (size_t)batch, proof) != 0)
                abort();
            for (int i = 0; i < batch; i++) {
                s_bsn(bsn, (unsigned long)i);
                if (vn_oprf_finalize(o64, (const uint8_t *)bsn, 9, blinds[i], ev[i]) != 0)
                    abort();
                vn_pseud_from_output(out, o64);
            }
            n += (unsigned long)batch;
        } while ((t = s_now() - t0) < seconds);
        printf("agent: blind + verify + finalise, b. %3d %10.1f us per pseudonym\n", batch,
               t / n * 1e6);
    }
}

/* Evaluations per second through a real vangnet-pseudonymd (CURVE, ZAP, budget, state file). */
static int s_daemon(const char *build, double seconds)
{
    char dir[] = "/tmp/vn-pbench-XXXXXX", path[4200], cmd[4400], err[300];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/clients", dir);
    mkdir(path, 0700);
    if (vn_pseud_keys_create(dir, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    vn_keyset_t *ks = vn_keyset_generate("bench-org", "ggz");
    snprintf(path, sizeof path, "%s/clients", dir);
    if (!ks || vn_keyset_save(ks, path) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/pd.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[pseudonymd]\nendpoint = tcp://127.0.0.1:*\nkeys = %s/pseudonymd.secret\n"
               "clients = %s/clients\ndata = %s/data\nbudget_per_day = 100000000\nlog_level = warn\n",
            dir, dir, dir);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s/clients/bench-org.secret", dir);
    pid_t pid = fork();
    if (pid == 0) {
        char bin[4200];
        snprintf(bin, sizeof bin, "%s/pseudonymd/vangnet-pseudonymd", build);
        execl(bin, bin, "--config", path, (char *)NULL);
        _exit(127);
    }
    char ep[256] = "";
    snprintf(path, sizeof path, "%s/data/endpoint", dir);
    for (int i = 0; i < 100 && !ep[0]; i++) {
        usleep(50000);
        FILE *e = fopen(path, "r");
        if (e) {
            if (!fgets(ep, sizeof ep, e))
                ep[0] = '\0';
            fclose(e);
        }
    }
    ep[strcspn(ep, "\n")] = '\0';
    vn_pseud_pub_t pub;
    snprintf(path, sizeof path, "%s/pseudonymd.public", dir);
    if (!ep[0] || vn_pseud_pub_load(path, &pub, err, sizeof err) != 0) {
        fprintf(stderr, "pseudonymd did not start\n");
        kill(pid, SIGTERM);
        return 1;
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, pub.curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, ks->pub.curve_pk, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, ks->curve_sk, 40);
    zmq_connect(s, ep);
    static uint8_t blinds[BATCH][32], blinded[BATCH][32], req[8192], rep[8192];
    char bsn[10];
    for (int i = 0; i < BATCH; i++) {
        s_bsn(bsn, (unsigned long)i);
        if (vn_oprf_blind(blinds[i], blinded[i], (const uint8_t *)bsn, 9, NULL) != 0)
            abort();
    }
    uint64_t id = 1;
    s_cpu_clock = 0;
    for (int batch = 1; batch <= BATCH; batch += BATCH - 1) {
        unsigned long n = 0;
        double t0 = s_now(), t = 0;
        do {
            size_t len = vn_pseud_request_pack(req, id++, "bench", blinded[0], (size_t)batch);
            if (zmq_send(s, req, len, 0) < 0 || zmq_recv(s, rep, sizeof rep, 0) < 16 || rep[13] != 0) {
                fprintf(stderr, "request failed (status %d)\n", rep[13]);
                break;
            }
            n += (unsigned long)batch;
        } while ((t = s_now() - t0) < seconds);
        printf("vangnet-pseudonymd over CURVE, batch %3d %9.0f evaluations/s (wall clock, one client)\n",
               batch, n / t);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    vn_keyset_destroy(&ks);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *build = NULL;
    double seconds = 2;
    static const struct option opts[] = {{"build", required_argument, NULL, 'b'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b')
            build = optarg;
        else if (c == 's')
            seconds = atof(optarg);
        else {
            fprintf(stderr, "usage: vn-pseudonym-bench [--build DIR] [--seconds S]\n");
            return 2;
        }
    }
    if (sodium_init() < 0)
        return 1;
    s_local(seconds);
    printf("budget: 20000 evaluations a day per organisation (the default): all valid BSNs from "
           "one stolen agency key in %.1f years\n", 9e7 / 20000 / 365.25);
    return build ? s_daemon(build, seconds) : 0;
}
