/* apiflood.c -- an IT system that sends many local API requests before it reads any answer (a
 * pipelining client, or one whose reader thread stalls): status requests, answered at once by
 * the agent. Its own receive queue holds one message, so the answers wait at the agent (and in
 * the kernel's socket buffers between), not here. Prints "sent=N answers=M"; exit 0 when every
 * request was answered. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "vn_wire.h"

static void s_usage(void)
{
    fprintf(stderr, "usage: vn-apiflood --api EP [--count N] [--pause-ms MS] [--timeout-ms MS]\n");
}

int main(int argc, char **argv)
{
    const char *ep = NULL;
    long count = 5000, pause_ms = 2000, timeout_ms = 10000;
    static const struct option opts[] = {{"api", required_argument, NULL, 'a'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"pause-ms", required_argument, NULL, 'p'},
                                         {"timeout-ms", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': ep = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'p': pause_ms = atol(optarg); break;
        case 't': timeout_ms = atol(optarg); break;
        default: s_usage(); return 2;
        }
    }
    if (!ep || count <= 0 || pause_ms < 0 || timeout_ms <= 0) {
        s_usage();
        return 2;
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, rcvhwm = 1, sndhwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    if (zmq_connect(s, ep) != 0) {
        fprintf(stderr, "vn-apiflood: cannot connect to %s: %s\n", ep, zmq_strerror(zmq_errno()));
        return 1;
    }
    Vn__ApiStatus st = VN__API_STATUS__INIT;
    Vn__ApiRequest req = VN__API_REQUEST__INIT;
    req.body_case = VN__API_REQUEST__BODY_STATUS;
    req.status = &st;
    uint8_t *buf;
    size_t len;
    if (vn_api_request_pack(&req, &buf, &len) != 0)
        return 1;
    for (long i = 0; i < count; i++) {
        zmq_send(s, "", 0, ZMQ_SNDMORE);
        zmq_send(s, buf, len, 0);
    }
    free(buf);
    usleep((useconds_t)pause_ms * 1000); /* not reading: the agent's answers queue up there */
    long answers = 0;
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    while (answers < count && zmq_poll(&it, 1, timeout_ms) > 0) {
        zmq_msg_t d, body;
        zmq_msg_init(&d);
        zmq_msg_init(&body);
        Vn__ApiResponse *r = NULL;
        if (zmq_msg_recv(&d, s, 0) >= 0 && zmq_msg_recv(&body, s, 0) >= 0 &&
            vn_api_response_unpack(zmq_msg_data(&body), zmq_msg_size(&body), &r) == 0) {
            answers += r->body_case == VN__API_RESPONSE__BODY_STATUS;
            vn__api_response__free_unpacked(r, NULL);
        }
        zmq_msg_close(&d);
        zmq_msg_close(&body);
    }
    printf("sent=%ld answers=%ld\n", count, answers);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return answers == count ? 0 : 1;
}
