/* sigpeer.c -- a test peer for the broker's signals and matches: speaks the wire protocol as one
 * organisation (register, withdraw, list, coordinate, receive and ack match notices, send a
 * contact card) so the broker's rules are tested without an agent. Pseudonyms are BLAKE2b of a
 * label (what the agent derives from a BSN is the agent's business). Prints one line per answer;
 * exit 0 on success, 3 when the broker refused, 1 when nothing came, 2 on bad usage. */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_util.h"
#include "vn_vocab.h"
#include "vn_wire.h"

static volatile sig_atomic_t s_exit_code;

static void s_watchdog(int sig)
{
    (void)sig;
    _exit(s_exit_code);
}

static void s_usage(void)
{
    fprintf(stderr,
            "usage: vn-sigpeer --broker EP --broker-public FILE --keys ORG.secret COMMAND\n"
            "  add --youth LABEL [--parent LABEL]... [--category C] [--days-ago N | --seconds-ago N]\n"
            "      [--active-seconds N] [--informed LIST] [--reason TEXT] [--age N] [--user U]\n"
            "  withdraw ID | list [--youth LABEL] [--limit N] [--after ID]\n"
            "  matches [--limit N] [--after ID] | show ID | handover ID ORG | accept ID | agree ID\n"
            "  notices [--count N] [--wait SECONDS] [--no-ack] [--revision N]\n"
            "  card --match ID --to FILE.public[,FILE.public] [--basis B] [--category C]\n");
}

static void s_pseud(const char *label, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)label, strlen(label), NULL, 0);
}

static void s_print_record(const Vn__SignalRecord *r)
{
    char y[17] = "-";
    if (r->youth_pseudonym.len == 32)
        vn_hex(y, r->youth_pseudonym.data, 8);
    printf("signal %s owner=%s youth=%s parents=%zu category=%s age=%u active_until=%llu "
           "delete_after=%llu withdrawn=%llu\n", r->id, r->owner, y, r->n_parent_pseudonyms,
           r->category, r->youth_age, (unsigned long long)r->active_until,
           (unsigned long long)r->delete_after, (unsigned long long)r->withdrawn);
}

static void s_print_match(const char *what, const Vn__MatchInfo *m)
{
    printf("%s %s kind=%s coordinator=%s handover_to=%s agreed=%d participants=", what, m->id,
           m->kind, m->coordinator[0] ? m->coordinator : "-",
           m->handover_to[0] ? m->handover_to : "-", (int)m->agreed);
    for (size_t i = 0; i < m->n_participants; i++) {
        const Vn__MatchParticipant *p = m->participants[i];
        printf("%s%s/%s/%s/%s/%s", i ? "," : "", p->org, p->sector, p->signal_id, p->category,
               p->active ? "active" : "inactive");
    }
}

/* Wait for a message of one of the wanted body cases (others are skipped). */
static Vn__WireMessage *s_recv(void *sock, int timeout_ms, int want1, int want2)
{
    for (;;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, timeout_ms) <= 0)
            return NULL;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        zmq_msg_recv(&msg, sock, 0);
        Vn__WireMessage *m;
        int rc = vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m);
        zmq_msg_close(&msg);
        if (rc != 0)
            continue;
        if ((int)m->body_case == want1 || (int)m->body_case == want2 ||
            m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL)
            return m;
        vn__wire_message__free_unpacked(m, NULL);
    }
}

static int s_send(void *sock, Vn__WireMessage *m)
{
    uint8_t *buf;
    size_t len;
    m->version = 1;
    if (vn_wire_pack(m, &buf, &len) != 0)
        return -1;
    int rc = zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
    free(buf);
    return rc;
}

typedef struct {
    const char *youth, *parents[8], *category, *informed, *reason, *user, *after, *match, *to;
    const char *basis;
    int n_parents, count, wait, no_ack;
    long long seconds_ago, active_seconds;
    unsigned age, limit;
    uint64_t revision;
} s_opts_t;

static int s_signal_answer(void *sock)
{
    Vn__WireMessage *m = s_recv(sock, 5000, VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE, -1);
    if (!m) {
        puts("no-reply");
        return 1;
    }
    int rc = 0;
    if (m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL) {
        printf("refused code=%s reason=%s\n", m->refusal->code, m->refusal->reason);
        rc = 3;
    } else if (m->signal_response->code[0]) {
        printf("refused code=%s audit=%llu reason=%s | %s\n", m->signal_response->code,
               (unsigned long long)m->signal_response->audit_seq, m->signal_response->reason,
               m->signal_response->reason_nl);
        rc = 3;
    } else {
        for (size_t i = 0; i < m->signal_response->n_records; i++)
            s_print_record(m->signal_response->records[i]);
        printf("ok audit=%llu next=%s\n", (unsigned long long)m->signal_response->audit_seq,
               m->signal_response->next[0] ? m->signal_response->next : "-");
    }
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}

static int s_match_answer(void *sock)
{
    Vn__WireMessage *m = s_recv(sock, 5000, VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE, -1);
    if (!m) {
        puts("no-reply");
        return 1;
    }
    int rc = 0;
    if (m->body_case == VN__WIRE_MESSAGE__BODY_REFUSAL) {
        printf("refused code=%s reason=%s\n", m->refusal->code, m->refusal->reason);
        rc = 3;
    } else if (m->match_response->code[0]) {
        printf("refused code=%s reason=%s\n", m->match_response->code, m->match_response->reason);
        rc = 3;
    } else {
        for (size_t i = 0; i < m->match_response->n_matches; i++) {
            s_print_match("match", m->match_response->matches[i]);
            putchar('\n');
        }
        printf("ok audit=%llu next=%s\n", (unsigned long long)m->match_response->audit_seq,
               m->match_response->next[0] ? m->match_response->next : "-");
    }
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}

static int s_notices(void *sock, const s_opts_t *o, const uint8_t broker_pk[32])
{
    Vn__Hello h = VN__HELLO__INIT;
    h.credit = 64;
    h.vocabulary_revision = o->revision;
    Vn__WireMessage hm = VN__WIRE_MESSAGE__INIT;
    hm.body_case = VN__WIRE_MESSAGE__BODY_HELLO;
    hm.hello = &h;
    s_send(sock, &hm);
    int got = 0;
    for (;;) {
        if (o->count && got >= o->count)
            break;
        Vn__WireMessage *m = s_recv(sock, o->wait * 1000, VN__WIRE_MESSAGE__BODY_MATCH_NOTICE,
                                    VN__WIRE_MESSAGE__BODY_VOCABULARY);
        if (!m)
            break;
        if (m->body_case == VN__WIRE_MESSAGE__BODY_VOCABULARY) {
            uint8_t *buf;
            size_t len = vn__signed_vocabulary__get_packed_size(m->vocabulary);
            vn_vocab_t *v = NULL;
            if ((buf = malloc(len))) {
                vn__signed_vocabulary__pack(m->vocabulary, buf);
                int rc = vn_vocab_open(buf, len, broker_pk, &v);
                printf("vocabulary verified=%d name=%s revision=%llu terms=%zu\n", rc == 0,
                       vn_vocab_name(v), (unsigned long long)vn_vocab_revision(v),
                       vn_vocab_count(v));
                vn_vocab_destroy(&v);
                free(buf);
            }
        } else if (m->body_case == VN__WIRE_MESSAGE__BODY_MATCH_NOTICE) {
            const Vn__MatchNotice *n = m->match_notice;
            printf("notice event=%s audit=%llu yours=", n->event, (unsigned long long)n->audit_seq);
            for (size_t i = 0; i < n->n_your_signal_ids; i++)
                printf("%s%s", i ? "," : "", n->your_signal_ids[i]);
            putchar(' ');
            if (n->match)
                s_print_match("match", n->match);
            putchar('\n');
            got++;
            if (!o->no_ack) {
                Vn__MatchNoticeAck a = VN__MATCH_NOTICE_ACK__INIT;
                a.notice_id = n->notice_id;
                Vn__WireMessage am = VN__WIRE_MESSAGE__INIT;
                am.body_case = VN__WIRE_MESSAGE__BODY_MATCH_NOTICE_ACK;
                am.match_notice_ack = &a;
                s_send(sock, &am);
            }
        } else {
            printf("refused code=%s reason=%s\n", m->refusal->code, m->refusal->reason);
        }
        vn__wire_message__free_unpacked(m, NULL);
        fflush(stdout);
    }
    printf("notices=%d\n", got);
    if (!o->no_ack)
        usleep(300 * 1000); /* let the acks leave before the socket closes */
    return 0;
}

static int s_card(void *sock, const s_opts_t *o, const vn_keyset_t *me)
{
    vn_pubkeys_t to[8];
    vn_recipient_t r[8];
    size_t n = 0;
    char list[2048], *save = NULL, err[512];
    snprintf(list, sizeof list, "%s", o->to ? o->to : "");
    for (char *t = strtok_r(list, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save)) {
        if (vn_pubkeys_load(t, &to[n], err, sizeof err) != 0) {
            fprintf(stderr, "sigpeer: %s\n", err);
            return 2;
        }
        r[n] = (vn_recipient_t){to[n].org, to[n].box_pk};
        n++;
    }
    uint64_t now = vn_now();
    vn_seal_params_t p = {.recipients = r, .n_recipients = n,
                          .category = o->category ? o->category : "contactkaart",
                          .basis = o->basis ? o->basis : "signaal-match",
                          .created = now, .expires = now + 3600, .user_id = "sigpeer",
                          .user_role = "test", .match_id = o->match};
    const char *card = "naam: J. Jansen; rol: jeugdverpleegkundige; tel: 045-0000000";
    uint8_t id[16], *env;
    size_t env_len;
    if (vn_envelope_seal(&p, me, (const uint8_t *)card, strlen(card), id, &env, &env_len) != 0) {
        fprintf(stderr, "sigpeer: cannot seal\n");
        return 2;
    }
    Vn__Submit s = VN__SUBMIT__INIT;
    s.envelope = (ProtobufCBinaryData){env_len, env};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
    m.submit = &s;
    s_send(sock, &m);
    free(env);
    Vn__WireMessage *a = s_recv(sock, 5000, VN__WIRE_MESSAGE__BODY_RECEIPT, -1);
    if (!a) {
        puts("no-reply");
        return 1;
    }
    int rc = 0;
    if (a->body_case == VN__WIRE_MESSAGE__BODY_RECEIPT) {
        printf("receipt seq=%llu\n", (unsigned long long)a->receipt->audit_seq);
    } else {
        printf("refusal code=%s reason=%s\n", a->refusal->code, a->refusal->reason);
        rc = 3;
    }
    vn__wire_message__free_unpacked(a, NULL);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'}, {"broker-public", required_argument, NULL, 'p'},
        {"keys", required_argument, NULL, 'k'},   {"youth", required_argument, NULL, 'y'},
        {"parent", required_argument, NULL, 'P'}, {"category", required_argument, NULL, 'c'},
        {"days-ago", required_argument, NULL, 'd'}, {"seconds-ago", required_argument, NULL, 's'},
        {"active-seconds", required_argument, NULL, 'A'},
        {"informed", required_argument, NULL, 'i'}, {"reason", required_argument, NULL, 'r'},
        {"age", required_argument, NULL, 'a'},    {"user", required_argument, NULL, 'u'},
        {"limit", required_argument, NULL, 'l'},  {"after", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},  {"wait", required_argument, NULL, 'w'},
        {"no-ack", no_argument, NULL, 'N'},       {"revision", required_argument, NULL, 'R'},
        {"match", required_argument, NULL, 'm'},  {"to", required_argument, NULL, 't'},
        {"basis", required_argument, NULL, 'B'},  {NULL, 0, NULL, 0}};
    const char *broker = NULL, *broker_pub = NULL, *keys = NULL;
    s_opts_t o = {.informed = "ouders", .age = 7, .user = "sigpeer-user", .wait = 3};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': broker = optarg; break;
        case 'p': broker_pub = optarg; break;
        case 'k': keys = optarg; break;
        case 'y': o.youth = optarg; break;
        case 'P': if (o.n_parents < 8) o.parents[o.n_parents++] = optarg; break;
        case 'c': o.category = optarg; break;
        case 'd': o.seconds_ago = atoll(optarg) * 86400; break;
        case 's': o.seconds_ago = atoll(optarg); break;
        case 'A': o.active_seconds = atoll(optarg); break;
        case 'i': o.informed = optarg; break;
        case 'r': o.reason = optarg; break;
        case 'a': o.age = (unsigned)atoi(optarg); break;
        case 'u': o.user = optarg; break;
        case 'l': o.limit = (unsigned)atoi(optarg); break;
        case 'f': o.after = optarg; break;
        case 'n': o.count = atoi(optarg); break;
        case 'w': o.wait = atoi(optarg); break;
        case 'N': o.no_ack = 1; break;
        case 'R': o.revision = strtoull(optarg, NULL, 10); break;
        case 'm': o.match = optarg; break;
        case 't': o.to = optarg; break;
        case 'B': o.basis = optarg; break;
        default: s_usage(); return 2;
        }
    }
    if (!broker || !broker_pub || !keys || optind >= argc || sodium_init() < 0) {
        s_usage();
        return 2;
    }
    const char *cmd = argv[optind];
    char err[1024];
    vn_keyset_t *me = NULL;
    vn_pubkeys_t bpub;
    if (vn_keyset_load(keys, &me, err, sizeof err) != 0 ||
        vn_pubkeys_load(broker_pub, &bpub, err, sizeof err) != 0) {
        fprintf(stderr, "sigpeer: %s\n", err);
        return 2;
    }
    void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, bpub.curve_pk, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, me->pub.curve_pk, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, me->curve_sk, 40);
    zmq_connect(sock, broker);

    uint8_t rid[16], youth[32], parents[8][32];
    randombytes_buf(rid, sizeof rid);
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    Vn__SignalRequest sr = VN__SIGNAL_REQUEST__INIT;
    Vn__MatchRequest mr = VN__MATCH_REQUEST__INIT;
    Vn__SignalRecord rec = VN__SIGNAL_RECORD__INIT;
    Vn__SignalList sl = VN__SIGNAL_LIST__INIT;
    Vn__MatchListReq ml = VN__MATCH_LIST_REQ__INIT;
    Vn__MatchHandover mh = VN__MATCH_HANDOVER__INIT;
    ProtobufCBinaryData pbin[8];
    char informed_copy[128], *informed[4], *save = NULL;
    size_t n_informed = 0;
    sr.request_id = mr.request_id = (ProtobufCBinaryData){16, rid};
    int rc = 2, is_match = 0;
    const char *arg = optind + 1 < argc ? argv[optind + 1] : "";
    if (strcmp(cmd, "add") == 0 && o.youth) {
        s_pseud(o.youth, youth);
        rec.youth_pseudonym = (ProtobufCBinaryData){32, youth};
        for (int i = 0; i < o.n_parents; i++) {
            s_pseud(o.parents[i], parents[i]);
            pbin[i] = (ProtobufCBinaryData){32, parents[i]};
        }
        rec.n_parent_pseudonyms = (size_t)o.n_parents;
        rec.parent_pseudonyms = pbin;
        rec.category = (char *)(o.category ? o.category : "huiselijk-geweld");
        uint64_t now = vn_now();
        rec.signal_date = (uint64_t)((long long)now - o.seconds_ago);
        rec.active_until = o.active_seconds ? now + (uint64_t)o.active_seconds : 0;
        snprintf(informed_copy, sizeof informed_copy, "%s", o.informed);
        for (char *t = strtok_r(informed_copy, ",", &save); t && n_informed < 4;
             t = strtok_r(NULL, ",", &save))
            informed[n_informed++] = t;
        rec.n_informed = n_informed;
        rec.informed = informed;
        rec.not_informed_reason = (char *)(o.reason ? o.reason : "");
        rec.youth_age = o.age;
        rec.user_id = (char *)o.user;
        rec.user_role = "test";
        sr.op_case = VN__SIGNAL_REQUEST__OP_ADD;
        sr.add = &rec;
    } else if (strcmp(cmd, "withdraw") == 0 && arg[0]) {
        sr.op_case = VN__SIGNAL_REQUEST__OP_WITHDRAW;
        sr.withdraw = (char *)arg;
    } else if (strcmp(cmd, "list") == 0) {
        if (o.youth) {
            s_pseud(o.youth, youth);
            sl.youth_pseudonym = (ProtobufCBinaryData){32, youth};
        }
        sl.after = (char *)(o.after ? o.after : "");
        sl.limit = o.limit;
        sr.op_case = VN__SIGNAL_REQUEST__OP_LIST;
        sr.list = &sl;
    } else if (strcmp(cmd, "matches") == 0) {
        ml.after = (char *)(o.after ? o.after : "");
        ml.limit = o.limit;
        mr.op_case = VN__MATCH_REQUEST__OP_LIST;
        mr.list = &ml;
        is_match = 1;
    } else if (strcmp(cmd, "show") == 0 || strcmp(cmd, "accept") == 0 ||
               strcmp(cmd, "agree") == 0) {
        mr.op_case = cmd[0] == 's' ? VN__MATCH_REQUEST__OP_SHOW
                     : cmd[1] == 'c' ? VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER
                                     : VN__MATCH_REQUEST__OP_AGREE;
        mr.show = (char *)arg; /* one string member of the oneof */
        is_match = 1;
    } else if (strcmp(cmd, "handover") == 0 && optind + 2 < argc) {
        mh.match_id = (char *)arg;
        mh.to_org = argv[optind + 2];
        mr.op_case = VN__MATCH_REQUEST__OP_HANDOVER;
        mr.handover = &mh;
        is_match = 1;
    } else if (strcmp(cmd, "notices") == 0) {
        rc = s_notices(sock, &o, bpub.sign_pk);
        goto out;
    } else if (strcmp(cmd, "card") == 0) {
        rc = s_card(sock, &o, me);
        goto out;
    } else {
        s_usage();
        goto out;
    }
    if (is_match) {
        m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_REQUEST;
        m.match_request = &mr;
    } else {
        m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST;
        m.signal_request = &sr;
    }
    s_send(sock, &m);
    rc = is_match ? s_match_answer(sock) : s_signal_answer(sock);
out:
    fflush(stdout);
    s_exit_code = rc;
    signal(SIGALRM, s_watchdog);
    alarm(5);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    vn_keyset_destroy(&me);
    return rc;
}
