/* pseudonym_async.c -- the submit path's evaluations without stopping the loop: one request in
 * flight on a socket of its own, carrying every new subject waiting when it leaves (a burst of
 * submits about new children costs one round trip, not one each), advanced by the loop's turns
 * and given up on after [pseudonymd] timeout_ms. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_oprf.h"
#include "vn_pseudonymd.h"
#include "vn_util.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define REOPEN_MS 500 /* a refused handshake is not retried by libzmq: reopen while waiting */

struct pseud_async {
    int busy;           /* a request is out, or waiting for a connection to leave on */
    int sent;
    uint64_t id, deadline_ms, opened_ms;
    size_t n;
    char bsns[AGENT_ASYNC_BATCH][10];
    uint8_t blinds[AGENT_ASYNC_BATCH][32];  /* secret until the answer is finalised */
    uint8_t blinded[AGENT_ASYNC_BATCH][32];
    uint8_t req[4 + 1 + 8 + 1 + VN_PSEUD_PURPOSE_MAX + 2 + 32 * AGENT_ASYNC_BATCH];
    size_t req_len;
};

int agent__pseud_async_init(agent_t *a)
{
    /* locked, unswappable memory: it holds BSNs and the blinds that unblind their answers */
    a->pa = sodium_malloc(sizeof *a->pa);
    if (!a->pa)
        return -ENOMEM;
    memset(a->pa, 0, sizeof *a->pa);
    return 0;
}

void agent__pseud_async_fini(agent_t *a)
{
    if (a->pa)
        sodium_free(a->pa); /* wipes */
    a->pa = NULL;
}

int agent__pseud_async_busy(const agent_t *a)
{
    return a->pa && a->pa->busy;
}

int agent__pseud_async_start(agent_t *a, const char *purpose, char (*bsns)[10], size_t n)
{
    struct pseud_async *p = a->pa;
    assert(p && !p->busy && n >= 1 && n <= AGENT_ASYNC_BATCH);
    for (size_t i = 0; i < n; i++) {
        memcpy(p->bsns[i], bsns[i], 10);
        if (vn_oprf_blind(p->blinds[i], p->blinded[i], (const uint8_t *)bsns[i], 9, NULL) != 0) {
            sodium_memzero(p, sizeof *p);
            return VN_E_CRYPTO;
        }
    }
    p->n = n;
    p->id = a->pseud_next_id++;
    p->req_len = vn_pseud_request_pack(p->req, p->id, purpose, p->blinded[0], n);
    uint64_t now = vn_monotonic_ms();
    p->deadline_ms = now + (uint64_t)a->cfg.pseudonymd_timeout_ms;
    p->opened_ms = now;
    p->sent = 0;
    p->busy = 1;
    return 0;
}

/* The answer to this request, if one has arrived (malloc'd into *reply); stale ones dropped. */
static int s_receive(agent_t *a, uint8_t **reply, size_t *len)
{
    for (int i = 0; i < 64; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, a->pseudonymd_async, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return 0;
        }
        size_t n = zmq_msg_size(&m);
        const uint8_t *d = zmq_msg_data(&m);
        if (n >= 13 && n <= vn_pseud_reply_size(VN_OPRF_MAX_BATCH) &&
            vn_get_be64(d + 5) == a->pa->id && (*reply = malloc(n)) != NULL) {
            memcpy(*reply, d, n);
            *len = n;
            zmq_msg_close(&m);
            return 1;
        }
        zmq_msg_close(&m); /* an answer to a request given up on */
    }
    return 0;
}

static void s_reopen(agent_t *a)
{
    char err[300];
    if (agent__pseudonym_open(a, &a->pseudonymd_async, err, sizeof err) != 0)
        vn_error("event=pseudonymd-reconnect-failed error=\"%s\"", err);
    a->pa->opened_ms = vn_monotonic_ms();
}

int agent__pseud_async_step(agent_t *a, const char **code, char *msg, size_t msg_len)
{
    struct pseud_async *p = a->pa;
    if (!p || !p->busy)
        return 0;
    uint64_t now = vn_monotonic_ms();
    if (!p->sent) {
        /* ZMQ_IMMEDIATE: this fails until a connection finished its CURVE handshake */
        if (zmq_send(a->pseudonymd_async, p->req, p->req_len, ZMQ_DONTWAIT) >= 0)
            p->sent = 1;
        else if (now - p->opened_ms >= REOPEN_MS)
            s_reopen(a);
    }
    uint8_t *reply = NULL;
    size_t len = 0;
    if (p->sent && s_receive(a, &reply, &len)) {
        uint8_t(*out)[32] = sodium_malloc(sizeof(uint8_t[32]) * p->n);
        const char *bsns[AGENT_ASYNC_BATCH];
        for (size_t i = 0; i < p->n; i++)
            bsns[i] = p->bsns[i];
        int rc = out ? agent__pseudonym_answer(a, reply, len, bsns, p->n,
                                               (const uint8_t(*)[32])p->blinds,
                                               (const uint8_t(*)[32])p->blinded, out, code, msg,
                                               msg_len)
                     : -ENOMEM;
        if (rc == -ENOMEM) {
            *code = "internal";
            snprintf(msg, msg_len, "out of memory");
        }
        if (rc == 0)
            for (size_t i = 0; i < p->n; i++)
                agent__pseudonym_cache_put(a, p->bsns[i], out[i]);
        if (out)
            sodium_free(out);
        free(reply);
        sodium_memzero(p, sizeof *p);
        return rc == 0 ? 1 : -1;
    }
    if (now < p->deadline_ms)
        return 0;
    a->pseud_failed += p->n;
    *code = "pseudonym-unavailable";
    snprintf(msg, msg_len, "the pseudonym service %s did not answer within %d ms",
             a->cfg.pseudonymd_endpoint, a->cfg.pseudonymd_timeout_ms);
    sodium_memzero(p, sizeof *p);
    s_reopen(a); /* a late answer, or a request still in a pipe, must not be taken for another */
    return -1;
}
