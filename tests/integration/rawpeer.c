/* rawpeer.c -- a hostile or careless agent for integration tests: speaks the wire protocol directly
 * and sends what a real agent never would. Prints the broker's answer; exit 0 if one came. */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "vn_content.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

static volatile sig_atomic_t s_exit_code;
static uint8_t s_seed[32];   /* --seed: the envelope's randomness, so its message id, from a text */
static int s_seeded;
/* --pseudonym-key: seal content format 1 about a real (synthetic) subject, so the recipient can
 * open it like an agent's; without it the content is raw bytes no agent can read. */
static uint8_t s_pseud_key[VN_PSEUDONYM_KEY_BYTES];
static int s_readable;
#define RAWPEER_BSN "111222333"

static void s_watchdog(int sig)
{
    (void)sig;
    _exit(s_exit_code);
}

static void s_usage(void)
{
    fprintf(stderr,
            "usage: vn-rawpeer --broker EP --broker-public FILE [--keys ORG.secret | --no-curve]\n"
            "  [--sign-keys ORG.secret] --to FILE.public [--mode MODE] [--size BYTES] [--twice]\n"
            "  [--seed TEXT]  (the same TEXT, the same message id: for id reuse)\n"
            "  [--pseudonym-key FILE]  (readable content about BSN " RAWPEER_BSN ")\n"
            "  [--batch N]  (N envelopes under one batch signature, the last one tampered as\n"
            "               --mode says: valid, badpath or swapped; one answer line each)\n"
            "modes: valid badsig ciphertext expired garbage twoframes badversion wrongkey dupkey baddate\n");
}

/* Seal a notification from signer to the recipient in pubfile, tampered as mode says. */
static int s_envelope(const char *mode, const vn_keyset_t *signer, const vn_pubkeys_t *to,
                      size_t size, vn_sealed_t **sealed, uint8_t **out, size_t *len)
{
    /* wrongkey: a correct envelope for the recipient whose content key is wrapped to a key it
     * does not hold, so the broker accepts it and only the recipient finds it cannot open it */
    uint8_t other_pk[32], other_sk[32];
    crypto_box_keypair(other_pk, other_sk);
    vn_recipient_t r = {to->org, strcmp(mode, "wrongkey") == 0 ? other_pk : to->box_pk};
    char today[16];
    time_t t = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
    /* dupkey: a key given twice (the second value differs); baddate: no such calendar day */
    int dupkey = strcmp(mode, "dupkey") == 0;
    if (strcmp(mode, "baddate") == 0)
        snprintf(today, sizeof today, "2026-02-30");
    vn_field_t just[] = {{"afwegingsvraag-1", "ja"}, {"afwegingsvraag-2", "ja"},
                         {"afwegingsvraag-3", "nvt"}, {"afwegingsvraag-4", "nvt"},
                         {"afwegingsvraag-5", "nvt"}, {"onveiligheid", "acuut"},
                         {"collegiale-consultatie", today}, {"client-geinformeerd", "ja"},
                         {"onveiligheid", "structureel"}};
    uint8_t pseud[32];
    memset(pseud, 0x5a, sizeof pseud);
    if (s_readable && vn_pseudonym(pseud, RAWPEER_BSN, s_pseud_key) != 0)
        return -1;
    uint64_t now = vn_now();
    int expired = strcmp(mode, "expired") == 0;
    vn_seal_params_t p = {.recipients = &r, .n_recipients = 1, .category = "melding",
                          .basis = "meldrecht", .justification = just, .n_justification = dupkey ? 9 : 8,
                          .subject_pseudonym = pseud,
                          .created = expired ? now - 100 : now,
                          .expires = expired ? now - 10 : now + 3600,
                          .user_id = "rawpeer", .user_role = "test"};
    uint8_t *content = calloc(1, size + 1), id[16];
    memset(content, 'x', size);
    if (s_readable) {
        vn_content_t c = {.bsn = RAWPEER_BSN, .body = content, .body_len = size};
        uint8_t *packed;
        if (vn_content_pack(&c, &packed, &size) != 0) {
            free(content);
            return -1;
        }
        free(content);
        content = packed;
    }
    int rc;
    if (sealed) { /* a batch member: signed with the others (s_batch) */
        rc = vn_envelope_seal_unsigned(&p, signer, content, size, id, sealed);
        free(content);
        return rc;
    }
    rc = s_seeded ? vn_envelope__seal_seeded(&p, signer, content, size, s_seed, id, out, len)
                  : vn_envelope_seal(&p, signer, content, size, id, out, len);
    free(content);
    if (rc != 0)
        return rc;
    Vn__Envelope *env = vn__envelope__unpack(NULL, *len, *out);
    if (strcmp(mode, "badsig") == 0)
        env->signature.data[0] ^= 1;
    else if (strcmp(mode, "ciphertext") == 0)
        env->ciphertext.data[0] ^= 1;
    else if (strcmp(mode, "badversion") == 0)
        env->version = 9;
    free(*out);
    *len = vn__envelope__get_packed_size(env);
    *out = malloc(*len);
    vn__envelope__pack(env, *out);
    vn__envelope__free_unpacked(env, NULL);
    return 0;
}

/* --batch N: N valid envelopes under one batch signature, the last one tampered as mode says
 * (badpath: a byte of its inclusion path; swapped: another member's place and path; valid: none). */
static int s_batch(const char *mode, const vn_keyset_t *signer, const vn_pubkeys_t *to,
                   size_t size, size_t n, uint8_t **out, size_t *len)
{
    vn_sealed_t *sealed[VN_BATCH_MAX] = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_envelope("valid", signer, to, size, &sealed[i], NULL, NULL);
    if (rc == 0)
        rc = vn_envelope_sign(sealed, n, signer, out, len);
    for (size_t i = 0; i < n; i++)
        vn_sealed_free(sealed[i]);
    if (rc != 0 || strcmp(mode, "valid") == 0)
        return rc;
    Vn__Envelope *last = vn__envelope__unpack(NULL, len[n - 1], out[n - 1]);
    Vn__Envelope *first = vn__envelope__unpack(NULL, len[0], out[0]);
    Vn__BatchProof *own = last->batch;
    if (strcmp(mode, "badpath") == 0)
        last->batch->path.data[0] ^= 1;
    else if (strcmp(mode, "swapped") == 0)
        last->batch = first->batch;
    free(out[n - 1]);
    len[n - 1] = vn__envelope__get_packed_size(last);
    out[n - 1] = malloc(len[n - 1]);
    vn__envelope__pack(last, out[n - 1]);
    last->batch = own;
    vn__envelope__free_unpacked(last, NULL);
    vn__envelope__free_unpacked(first, NULL);
    return 0;
}

/* Wait for a receipt or refusal (skipping directory pushes). 0 if one came. */
static int s_answer(void *sock)
{
    for (;;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 3000) <= 0) {
            puts("no-reply");
            return 1;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        zmq_msg_recv(&msg, sock, 0);
        Vn__WireMessage *m;
        int rc = vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m);
        zmq_msg_close(&msg);
        if (rc != 0)
            continue;
        int done = 1;
        if (m->body_case == VN__WIRE_MESSAGE__BODY_RECEIPT)
            printf("receipt seq=%llu duplicate=%d\n", (unsigned long long)m->receipt->audit_seq,
                   (int)m->receipt->duplicate);
        else if (m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL)
            printf("refusal code=%s seq=%llu reason=%s\n", m->refusal->code,
                   (unsigned long long)m->refusal->audit_seq, m->refusal->reason);
        else
            done = 0;
        vn__wire_message__free_unpacked(m, NULL);
        if (done) {
            fflush(stdout);
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'}, {"broker-public", required_argument, NULL, 'p'},
        {"keys", required_argument, NULL, 'k'},   {"no-curve", no_argument, NULL, 'n'},
        {"sign-keys", required_argument, NULL, 's'}, {"to", required_argument, NULL, 't'},
        {"mode", required_argument, NULL, 'm'},   {"size", required_argument, NULL, 'z'},
        {"twice", no_argument, NULL, '2'},        {"seed", required_argument, NULL, 'S'},
        {"pseudonym-key", required_argument, NULL, 'P'},
        {"batch", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0}};
    const char *broker = NULL, *broker_pub = NULL, *keys = NULL, *sign_keys = NULL, *to = NULL,
               *mode = "valid";
    int no_curve = 0, twice = 0, c;
    size_t batch = 0;
    size_t size = 64;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': broker = optarg; break;
        case 'p': broker_pub = optarg; break;
        case 'k': keys = optarg; break;
        case 'n': no_curve = 1; break;
        case 's': sign_keys = optarg; break;
        case 't': to = optarg; break;
        case 'm': mode = optarg; break;
        case 'z': size = strtoul(optarg, NULL, 10); break;
        case 'B': batch = strtoul(optarg, NULL, 10); break;
        case '2': twice = 1; break;
        case 'S':
            crypto_generichash(s_seed, sizeof s_seed, (const uint8_t *)optarg, strlen(optarg),
                               NULL, 0);
            s_seeded = 1;
            break;
        case 'P': {
            char perr[256];
            if (vn_pseudonym_key_load(optarg, s_pseud_key, perr, sizeof perr) != 0) {
                fprintf(stderr, "rawpeer: %s\n", perr);
                return 2;
            }
            s_readable = 1;
            break;
        }
        default: s_usage(); return 2;
        }
    }
    if (!broker || !to || (!keys && !no_curve) || (no_curve && !sign_keys) ||
        (batch && (batch < 2 || batch > VN_BATCH_MAX)) || sodium_init() < 0) {
        s_usage();
        return 2;
    }
    char err[1024];
    vn_keyset_t *conn = NULL, *signer = NULL;
    vn_pubkeys_t bpub, recipient;
    if ((keys && vn_keyset_load(keys, &conn, err, sizeof err) != 0) ||
        vn_keyset_load(sign_keys ? sign_keys : keys, &signer, err, sizeof err) != 0 ||
        vn_pubkeys_load(to, &recipient, err, sizeof err) != 0 ||
        (!no_curve && vn_pubkeys_load(broker_pub, &bpub, err, sizeof err) != 0)) {
        fprintf(stderr, "rawpeer: %s\n", err);
        return 2;
    }
    void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
    /* A refused handshake can leave the DEALER without a pipe, and a blocking send would then
     * wait for ever (seen under load when the refusal came before the send): bound it. */
    int linger = 0, sndtimeo = 3000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    if (!no_curve) {
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, bpub.curve_pk, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, conn->pub.curve_pk, 40);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, conn->curve_sk, 40);
    }
    zmq_connect(sock, broker);

    uint8_t *payload = NULL;
    size_t len = 0;
    int rc = 0;
    if (batch) { /* all members sent back to back, then one answer each */
        uint8_t *envs[VN_BATCH_MAX];
        size_t lens[VN_BATCH_MAX];
        if (s_batch(mode, signer, &recipient, size, batch, envs, lens) != 0) {
            fprintf(stderr, "rawpeer: cannot seal the batch\n");
            return 2;
        }
        for (size_t i = 0; i < batch; i++) {
            Vn__Submit s = VN__SUBMIT__INIT;
            s.envelope = (ProtobufCBinaryData){lens[i], envs[i]};
            Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
            m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
            m.submit = &s;
            if (vn_wire_pack(&m, &payload, &len) != 0 || zmq_send(sock, payload, len, 0) < 0)
                rc = 1;
            free(payload);
            free(envs[i]);
        }
        payload = NULL;
        for (size_t i = 0; rc == 0 && i < batch; i++)
            rc |= s_answer(sock);
        goto finish;
    }
    if (strcmp(mode, "garbage") == 0 || strcmp(mode, "twoframes") == 0) {
        payload = (uint8_t *)strdup("\xff\xff\xff\x0f garbage");
        len = strlen((char *)payload);
    } else {
        uint8_t *env;
        size_t env_len;
        if (s_envelope(mode, signer, &recipient, size, NULL, &env, &env_len) != 0) {
            fprintf(stderr, "rawpeer: cannot seal\n");
            return 2;
        }
        Vn__Submit s = VN__SUBMIT__INIT;
        s.envelope = (ProtobufCBinaryData){env_len, env};
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
        m.submit = &s;
        int packed = vn_wire_pack(&m, &payload, &len);
        free(env);
        if (packed != 0) {
            fprintf(stderr, "rawpeer: cannot pack\n");
            return 2;
        }
    }
    for (int round = 0; round < (twice ? 2 : 1); round++) {
        if (strcmp(mode, "twoframes") == 0)
            zmq_send(sock, "a", 1, ZMQ_SNDMORE);
        if (zmq_send(sock, payload, len, 0) < 0) {
            puts("no-reply"); /* not even sent: nobody admitted us */
            rc = 1;
            break;
        }
        rc |= s_answer(sock);
    }
    free(payload);
finish:
    /* libzmq can hang in zmq_ctx_term after a refused handshake (libzmq issue #2733); the answer
     * is printed, so a watchdog ends the process with it rather than hang the test. */
    fflush(stdout);
    s_exit_code = rc;
    signal(SIGALRM, s_watchdog);
    alarm(5);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    vn_keyset_destroy(&conn);
    vn_keyset_destroy(&signer);
    return rc;
}
