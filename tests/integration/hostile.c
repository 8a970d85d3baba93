/* hostile.c -- a registered organisation turned hostile, for the hostile-participant tests: it
 * floods the broker over its own authenticated session with what costs the broker most, and
 * prints what it got back (one line: sent, answers by outcome and code).
 * Modes:
 *   garbage   tiny undecodable frames
 *   forged    envelopes claiming another sender (--claim ORG) with the largest header allowed
 *             (32 justification fields of 1000 bytes), never validly signed by that sender
 *   flood     valid, signed Meldcode reports to --to (accepted junk)
 *   hello     repeated hellos on one connection that never reads its deliveries
 *   handshake CURVE handshakes with fresh, unregistered keys, one connection each
 *   reconnect CURVE handshakes with the organisation's own key, one connection each
 *   consents  consent list requests (one page of the caller's own consents each)
 *   register  consent registrations (valid, each for a fresh subject), to fill the consent store
 *   recipient the recipient's agent: hello with --credit N, --fake-acks acks for deliveries it
 *             never got, then it reads deliveries without acking for --hold seconds, acks them
 *             all, and from then on acks each at once (prints first=, later=)
 * --ttl S gives flood envelopes S seconds to live (3600).
 * --reset ends the run with a TCP reset (SO_LINGER 0 on the connection, then exit) instead of a
 * clean close; --heartbeat MS has libzmq send ZMTP PINGs that often (they sit among the requests
 * the broker has not read yet); --after CURSOR pages consent lists from that cursor. */
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_util.h"
#include "vn_wire.h"

#define CODES_MAX 32

static struct {
    char code[48];
    long n;
} s_codes[CODES_MAX];
static int s_n_codes;
static long s_receipts, s_answers;
static uint64_t s_ttl = 3600;

static void s_count(const char *code)
{
    int i = 0;
    while (i < s_n_codes && strcmp(s_codes[i].code, code) != 0)
        i++;
    if (i == s_n_codes && i < CODES_MAX)
        snprintf(s_codes[s_n_codes++].code, sizeof s_codes[0].code, "%s", code);
    if (i < CODES_MAX)
        s_codes[i].n++;
}

/* A TCP reset, as a crashed or hostile peer gives it: every TCP socket of this process gets
 * SO_LINGER 0, so the kernel sends RST when the process exits, without libzmq's shutdown. */
static void s_reset_exit(void)
{
    fflush(stdout);
    for (int fd = 3; fd < 1024; fd++) {
        int type;
        socklen_t len = sizeof type;
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
            getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 ||
            (peer.ss_family != AF_INET && peer.ss_family != AF_INET6))
            continue;
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    _exit(0); /* the kernel closes them all at once; closing one by one races libzmq's poller */
}

/* A valid consent registration for a fresh (random) subject, packed. */
static int s_register(uint8_t **out, size_t *len)
{
    static char *recips[] = {"sector:veilig-thuis"}, *cats[] = {"melding"};
    uint8_t pseud[32];
    randombytes_buf(pseud, sizeof pseud);
    Vn__ConsentRecord r = VN__CONSENT_RECORD__INIT;
    r.subject_pseudonym = (ProtobufCBinaryData){32, pseud};
    r.given_by = "client";
    r.n_recipients = 1;
    r.recipients = recips;
    r.n_categories = 1;
    r.categories = cats;
    r.purpose = "hostile: fill the consent store";
    r.valid_from = vn_now();
    r.expires = r.valid_from + 30 * 86400;
    Vn__ConsentRequest req = VN__CONSENT_REQUEST__INIT;
    req.op_case = VN__CONSENT_REQUEST__OP_ADD;
    req.add = &r;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST;
    m.consent_request = &req;
    return vn_wire_pack(&m, out, len);
}

static int s_send_ack(void *sock, const uint8_t id[16])
{
    Vn__DeliveryAck a = VN__DELIVERY_ACK__INIT;
    a.message_id = (ProtobufCBinaryData){16, (uint8_t *)id};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_DELIVERY_ACK;
    m.delivery_ack = &a;
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(&m, &buf, &len) != 0)
        return -1;
    int rc = zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
    free(buf);
    return rc;
}

/* The message id of a delivery read from sock within wait_ms: 1, else 0. */
static int s_next_delivery(void *sock, int wait_ms, uint8_t id[16])
{
    uint64_t end = vn_monotonic_ms() + (uint64_t)wait_ms;
    for (;;) {
        uint64_t now = vn_monotonic_ms();
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (now >= end || zmq_poll(&item, 1, (long)(end - now)) <= 0)
            return 0;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        Vn__WireMessage *m;
        int rc = vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m);
        zmq_msg_close(&msg);
        if (rc != 0)
            continue;
        int got = 0;
        vn_parsed_t p;
        if (m->body_case == VN__WIRE_MESSAGE__BODY_DELIVER &&
            vn_envelope_parse(m->deliver->envelope.data, m->deliver->envelope.len, &p) == 0) {
            if (p.hdr->message_id.len == 16) {
                memcpy(id, p.hdr->message_id.data, 16);
                got = 1;
            }
            vn_parsed_clear(&p);
        }
        vn__wire_message__free_unpacked(m, NULL);
        if (got)
            return 1;
    }
}

/* recipient mode: see the top of the file. */
static int s_recipient(void *sock, uint32_t credit, long fake_acks, double hold, double seconds)
{
    Vn__Hello h = VN__HELLO__INIT;
    h.credit = credit;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_HELLO;
    m.hello = &h;
    uint8_t *buf, (*held)[16] = calloc(credit + 1, 16);
    size_t len;
    if (!held || vn_wire_pack(&m, &buf, &len) != 0)
        return -1;
    zmq_send(sock, buf, len, 0);
    free(buf);
    for (long i = 0; i < fake_acks; i++) {
        uint8_t id[16];
        randombytes_buf(id, sizeof id);
        s_send_ack(sock, id);
    }
    uint64_t start = vn_monotonic_ms(), release = start + (uint64_t)(hold * 1000),
             end = start + (uint64_t)(seconds * 1000);
    long first = 0, later = 0;
    uint8_t id[16];
    while (vn_monotonic_ms() < release) {
        if (!s_next_delivery(sock, (int)(release - vn_monotonic_ms()), id))
            continue;
        if (first < (long)credit)
            memcpy(held[first], id, 16);
        first++;
    }
    for (long i = 0; i < first && i < (long)credit; i++)
        s_send_ack(sock, held[i]);
    while (vn_monotonic_ms() < end) {
        if (!s_next_delivery(sock, (int)(end - vn_monotonic_ms()), id))
            continue;
        s_send_ack(sock, id);
        later++;
    }
    free(held);
    printf("first=%ld later=%ld fake_acks=%ld\n", first, later, fake_acks);
    fflush(stdout);
    return 0;
}

static void s_watchdog(int sig)
{
    (void)sig;
    _exit(0);
}

/* Read every answer waiting now (or for up to wait_ms for the next one). */
static void s_drain(void *sock, int wait_ms)
{
    for (;;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, wait_ms) <= 0)
            return;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        Vn__WireMessage *m;
        int rc = vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m);
        zmq_msg_close(&msg);
        if (rc != 0)
            continue;
        if (m->body_case == VN__WIRE_MESSAGE__BODY_RECEIPT) {
            s_receipts++;
            s_answers++;
        } else if (m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL) {
            s_count(m->refusal->code);
            s_answers++;
        } else if (m->body_case == VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE) {
            s_count(m->consent_response->code[0] ? m->consent_response->code : "listed");
            s_answers++;
        }
        vn__wire_message__free_unpacked(m, NULL);
    }
}

/* A Meldcode report from signer to the recipient (justification fields of just_len bytes,
 * n_just of them; the standard eight when n_just is 0), packed as a Submit. */
static int s_submit(const vn_keyset_t *signer, const vn_pubkeys_t *to, size_t n_just,
                    size_t just_len, size_t size, uint8_t **out, size_t *len)
{
    char today[16];
    time_t t = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
    vn_field_t meld[] = {{"afwegingsvraag-1", "ja"}, {"afwegingsvraag-2", "ja"},
                         {"afwegingsvraag-3", "nvt"}, {"afwegingsvraag-4", "nvt"},
                         {"afwegingsvraag-5", "nvt"}, {"onveiligheid", "acuut"},
                         {"collegiale-consultatie", today}, {"client-geinformeerd", "ja"}};
    vn_field_t big[VN_MAX_JUSTIFICATION];
    static char keys[VN_MAX_JUSTIFICATION][16], value[1024];
    if (just_len >= sizeof value)
        just_len = sizeof value - 1;
    memset(value, 'j', just_len);
    value[just_len] = '\0';
    for (size_t i = 0; i < n_just && i < VN_MAX_JUSTIFICATION; i++) {
        snprintf(keys[i], sizeof keys[i], "veld-%zu", i);
        big[i] = (vn_field_t){keys[i], value};
    }
    vn_recipient_t r = {to->org, to->box_pk};
    uint8_t pseud[32];
    randombytes_buf(pseud, sizeof pseud);
    uint64_t now = vn_now();
    vn_seal_params_t p = {.recipients = &r, .n_recipients = 1, .category = "melding",
                          .basis = "meldrecht", .justification = n_just ? big : meld,
                          .n_justification = n_just ? n_just : 8, .subject_pseudonym = pseud,
                          .created = now, .expires = now + s_ttl, .user_id = "hostile",
                          .user_role = "hostile"};
    uint8_t *content = calloc(1, size + 1), id[16], *env;
    size_t env_len;
    if (!content)
        return -1;
    memset(content, 'x', size);
    int rc = vn_envelope_seal(&p, signer, content, size, id, &env, &env_len);
    free(content);
    if (rc != 0)
        return rc;
    Vn__Submit s = VN__SUBMIT__INIT;
    s.envelope = (ProtobufCBinaryData){env_len, env};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
    m.submit = &s;
    rc = vn_wire_pack(&m, out, len);
    free(env);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'}, {"broker-public", required_argument, NULL, 'p'},
        {"keys", required_argument, NULL, 'k'},   {"to", required_argument, NULL, 't'},
        {"mode", required_argument, NULL, 'm'},   {"count", required_argument, NULL, 'c'},
        {"seconds", required_argument, NULL, 's'}, {"claim", required_argument, NULL, 'C'},
        {"size", required_argument, NULL, 'z'},   {"no-read", no_argument, NULL, 'n'},
        {"window", required_argument, NULL, 'w'}, {"reset", no_argument, NULL, 'r'},
        {"heartbeat", required_argument, NULL, 'H'}, {"after", required_argument, NULL, 'a'},
        {"credit", required_argument, NULL, 'R'}, {"fake-acks", required_argument, NULL, 'F'},
        {"hold", required_argument, NULL, 'h'}, {"ttl", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0}};
    const char *broker = NULL, *broker_pub = NULL, *keys = NULL, *to = NULL, *mode = "garbage",
               *claim = NULL, *after = NULL;
    long count = 1000, window = 0, credit = 4, fake_acks = 0;
    double hold = 0;
    double seconds = 30;
    size_t size = 64;
    int no_read = 0, reset = 0, heartbeat = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': broker = optarg; break;
        case 'p': broker_pub = optarg; break;
        case 'k': keys = optarg; break;
        case 't': to = optarg; break;
        case 'm': mode = optarg; break;
        case 'c': count = strtol(optarg, NULL, 10); break;
        case 's': seconds = strtod(optarg, NULL); break;
        case 'C': claim = optarg; break;
        case 'z': size = strtoul(optarg, NULL, 10); break;
        case 'n': no_read = 1; break;
        case 'w': window = strtol(optarg, NULL, 10); break;
        case 'r': reset = 1; break;
        case 'H': heartbeat = (int)strtol(optarg, NULL, 10); break;
        case 'a': after = optarg; break;
        case 'R': credit = strtol(optarg, NULL, 10); break;
        case 'F': fake_acks = strtol(optarg, NULL, 10); break;
        case 'h': hold = strtod(optarg, NULL); break;
        case 'T': s_ttl = strtoull(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    int needs_to = strcmp(mode, "flood") == 0 || strcmp(mode, "forged") == 0;
    if (!broker || !broker_pub || !keys || (needs_to && !to) ||
        (strcmp(mode, "forged") == 0 && !claim) || sodium_init() < 0) {
        fprintf(stderr, "usage: vn-hostile --broker EP --broker-public FILE --keys ORG.secret\n"
                        "  --mode garbage|forged|flood|hello|handshake|reconnect|consents|register|recipient\n"
                        "  [--to FILE.public] [--claim ORG] [--count N] [--seconds S] [--size BYTES]\n"
                        "  [--window N] [--no-read] [--reset] [--heartbeat MS] [--after CURSOR]\n"
                        "  [--credit N] [--fake-acks N] [--hold S] [--ttl S]\n");
        return 2;
    }
    char err[1024];
    vn_keyset_t *conn = NULL, *signer = NULL;
    vn_pubkeys_t bpub, recipient;
    if (vn_keyset_load(keys, &conn, err, sizeof err) != 0 ||
        vn_keyset_load(keys, &signer, err, sizeof err) != 0 ||
        vn_pubkeys_load(broker_pub, &bpub, err, sizeof err) != 0 ||
        (to && vn_pubkeys_load(to, &recipient, err, sizeof err) != 0)) {
        fprintf(stderr, "hostile: %s\n", err);
        return 2;
    }
    if (claim) /* the envelope names another sender; the signature stays this org's own */
        snprintf(signer->pub.org, sizeof signer->pub.org, "%s", claim);
    void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, bpub.curve_pk, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, conn->pub.curve_pk, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, conn->curve_sk, 40);
    if (no_read) { /* let the broker's side fill: the kernel buffers stay small */
        int rcvhwm = 1, rcvbuf = 4096;
        zmq_setsockopt(sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
        zmq_setsockopt(sock, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (heartbeat > 0) {
        int hb_timeout = 60000;
        zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &heartbeat, sizeof heartbeat);
        zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    }
    zmq_connect(sock, broker);

    if (strcmp(mode, "recipient") == 0) {
        int rc = s_recipient(sock, credit < 1 ? 1 : (uint32_t)credit, fake_acks, hold, seconds);
        signal(SIGALRM, s_watchdog);
        alarm(5);
        zmq_close(sock);
        zmq_ctx_term(ctx);
        vn_keyset_destroy(&conn);
        vn_keyset_destroy(&signer);
        return rc == 0 ? 0 : 1;
    }
    if (strcmp(mode, "handshake") == 0 || strcmp(mode, "reconnect") == 0) {
        /* handshake: each a new connection with a key the broker has never seen, refused by ZAP;
         * reconnect: each a new connection with the organisation's own registered key. */
        int own = strcmp(mode, "reconnect") == 0;
        long tried = 0;
        uint64_t stop = vn_monotonic_ms() + (uint64_t)(seconds * 1000);
        for (; tried < count && vn_monotonic_ms() < stop; tried++) {
            char pk[41], sk[41];
            zmq_curve_keypair(pk, sk);
            if (own) {
                memcpy(pk, conn->pub.curve_pk, 41);
                memcpy(sk, conn->curve_sk, 41);
            }
            void *h = zmq_socket(ctx, ZMQ_DEALER);
            zmq_setsockopt(h, ZMQ_LINGER, &linger, sizeof linger);
            zmq_setsockopt(h, ZMQ_CURVE_SERVERKEY, bpub.curve_pk, 40);
            zmq_setsockopt(h, ZMQ_CURVE_PUBLICKEY, pk, 40);
            zmq_setsockopt(h, ZMQ_CURVE_SECRETKEY, sk, 40);
            zmq_connect(h, broker);
            usleep(5000); /* long enough for the handshake to be refused */
            zmq_close(h);
        }
        printf("handshakes=%ld\n", tried);
        fflush(stdout);
        signal(SIGALRM, s_watchdog);
        alarm(5);
        zmq_close(sock);
        zmq_ctx_term(ctx);
        vn_keyset_destroy(&conn);
        vn_keyset_destroy(&signer);
        return 0;
    }
    uint8_t *fixed = NULL;
    size_t fixed_len = 0;
    if (strcmp(mode, "garbage") == 0) {
        fixed = (uint8_t *)strdup("\xff\xff\xff\x0f garbage");
        fixed_len = strlen((char *)fixed);
    } else if (strcmp(mode, "hello") == 0) {
        Vn__Hello h = VN__HELLO__INIT;
        h.credit = 4096;
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_HELLO;
        m.hello = &h;
        if (vn_wire_pack(&m, &fixed, &fixed_len) != 0)
            return fprintf(stderr, "hostile: cannot pack\n"), 2;
    } else if (strcmp(mode, "consents") == 0) {
        Vn__ConsentRequest list = VN__CONSENT_REQUEST__INIT;
        list.op_case = VN__CONSENT_REQUEST__OP_LIST_ALL;
        list.list_all = 1;
        list.after = (char *)(after ? after : "");
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST;
        m.consent_request = &list;
        if (vn_wire_pack(&m, &fixed, &fixed_len) != 0)
            return fprintf(stderr, "hostile: cannot pack\n"), 2;
    } else if (strcmp(mode, "flood") != 0 && strcmp(mode, "forged") != 0 &&
               strcmp(mode, "register") != 0) {
        fprintf(stderr, "hostile: unknown mode %s\n", mode);
        return 2;
    }
    uint64_t end = vn_monotonic_ms() + (uint64_t)(seconds * 1000);
    long sent = 0;
    while (sent < count && vn_monotonic_ms() < end) {
        uint8_t *buf = fixed, *own = NULL;
        size_t len = fixed_len;
        /* A fresh message id each time: a resent id would only get its first answer again. */
        int forged = strcmp(mode, "forged") == 0;
        if (!fixed && strcmp(mode, "register") == 0) {
            if (s_register(&own, &len) != 0)
                break;
            buf = own;
        } else if (!fixed) {
            if (s_submit(signer, &recipient, forged ? VN_MAX_JUSTIFICATION : 0, forged ? 1000 : 0,
                         size, &own, &len) != 0)
                break;
            buf = own;
        }
        while (zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0 && vn_monotonic_ms() < end)
            if (!no_read)
                s_drain(sock, 10);
            else
                usleep(1000);
        free(own);
        sent++;
        if (!no_read)
            s_drain(sock, window && sent - s_answers >= window ? 100 : 0);
        else /* spread over the time given: each hello should find the session open */
            usleep((useconds_t)(seconds * 1e6 / (double)count / 2));
    }
    while (no_read && !reset && vn_monotonic_ms() < end) /* stay connected, reading nothing */
        usleep(100000);
    if (!no_read) /* the rest of the answers */
        while (s_answers < sent && vn_monotonic_ms() < end + 5000)
            s_drain(sock, 200);
    printf("sent=%ld answers=%ld receipts=%ld", sent, s_answers, s_receipts);
    for (int i = 0; i < s_n_codes; i++)
        printf(" %s=%ld", s_codes[i].code, s_codes[i].n);
    putchar('\n');
    fflush(stdout);
    free(fixed);
    if (reset)
        s_reset_exit();
    signal(SIGALRM, s_watchdog); /* libzmq can hang in zmq_ctx_term (libzmq #2733) */
    alarm(5);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    vn_keyset_destroy(&conn);
    vn_keyset_destroy(&signer);
    return 0;
}
