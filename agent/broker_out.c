/* broker_out.c -- every message to the broker leaves here: queued on the connection at once, or,
 * when the connection's queue is full (ZMQ_SNDHWM), held in order and sent as soon as the
 * connection takes messages again (the loop polls for ZMQ_POLLOUT while any are held).
 *
 * Why: a send that failed with EAGAIN used to be dropped. Nothing was lost (a notification stays
 * in the outbox until the broker answers, a delivery not acknowledged is delivered again), but it
 * waited for the next resend round, seconds later, and the resend said it had sent what it had
 * not. Held messages are bounded (AGENT_HELD_OUT_MAX, AGENT_HELD_OUT_BYTES); past that they are
 * dropped as before, counted and logged, and the resend round brings them. A disconnect drops the
 * held ones too: the reconnect resends the whole outbox, and the broker redelivers. */
#include "agent.h"
#include "vn_log.h"
#include "vn_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct held_out {
    outgoing_t *q; /* a ring of cap entries from head, n of them in use */
    size_t head, n, cap, bytes;
};

static void s_drop_counted(agent_t *a, uint8_t *data)
{
    free(data);
    uint64_t n = atomic_fetch_add(&a->broker_out_dropped, 1) + 1, now = vn_monotonic_ms();
    if (now - a->broker_out_dropped_logged_ms >= 1000) {
        a->broker_out_dropped_logged_ms = now;
        vn_warn("event=broker-send-dropped reason=held-messages-full held_max=%d dropped_total=%llu "
                "note=\"the broker takes messages more slowly than they come; notifications stay "
                "in the outbox and are resent\"", AGENT_HELD_OUT_MAX, (unsigned long long)n);
    }
}

static int s_hold(agent_t *a, uint8_t *data, size_t len)
{
    struct held_out *h = a->held_out;
    if (!h && !(h = a->held_out = calloc(1, sizeof *h)))
        return -1;
    if (h->n >= AGENT_HELD_OUT_MAX || h->bytes + len > AGENT_HELD_OUT_BYTES)
        return -1;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        outgoing_t *q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (size_t i = 0; i < h->n; i++) /* unrolled from the ring, oldest first */
            q[i] = h->q[(h->head + i) % h->cap];
        free(h->q);
        h->q = q;
        h->cap = cap;
        h->head = 0;
    }
    outgoing_t *o = &h->q[(h->head + h->n) % h->cap];
    memset(o, 0, sizeof *o);
    o->data = data;
    o->len = len;
    h->n++;
    h->bytes += len;
    atomic_fetch_add(&a->broker_out_held, 1);
    return 0;
}

/* Send the oldest held messages until the connection's queue is full again. */
void agent__broker_out_flush(agent_t *a)
{
    struct held_out *h = a->held_out;
    while (h && h->n) {
        outgoing_t *o = &h->q[h->head];
        if (zmq_send(a->dealer, o->data, o->len, ZMQ_DONTWAIT) < 0) {
            if (errno == EAGAIN)
                return;
            /* not EAGAIN: the socket cannot take it at all (closed, a context ending) */
        }
        free(o->data);
        h->bytes -= o->len;
        h->head = (h->head + 1) % h->cap;
        h->n--;
    }
}

int agent__broker_out(agent_t *a, uint8_t *data, size_t len)
{
    struct held_out *h = a->held_out;
    if (!h || !h->n) {
        if (zmq_send(a->dealer, data, len, ZMQ_DONTWAIT) >= 0) {
            free(data);
            return 0;
        }
        if (errno != EAGAIN) {
            int err = errno;
            free(data);
            return -err;
        }
    }
    /* Behind the held ones, so that the broker sees them in the order they were made. */
    if (s_hold(a, data, len) != 0) {
        s_drop_counted(a, data);
        return -EAGAIN;
    }
    return 0;
}

size_t agent__broker_out_waiting(const agent_t *a)
{
    return a->held_out ? a->held_out->n : 0;
}

void agent__broker_out_clear(agent_t *a)
{
    struct held_out *h = a->held_out;
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->q[(h->head + i) % h->cap].data);
    h->head = h->n = h->bytes = 0;
}

void agent__broker_out_fini(agent_t *a)
{
    agent__broker_out_clear(a);
    if (a->held_out)
        free(a->held_out->q);
    free(a->held_out);
    a->held_out = NULL;
}
