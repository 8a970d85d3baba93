/* test_broker_out.c -- the agent's messages to the broker while the connection's queue is full:
 * held in order and sent when there is room (none lost, none reordered), bounded, and dropped
 * (counted) past the bound; a disconnect clears them. A real DEALER and ROUTER over inproc://
 * with small high-water marks stand in for the broker connection. */
#include "test_harness.h"

#include "agent.h"

#include <errno.h>
#include <zmq.h>

typedef struct {
    void *ctx, *router;
    agent_t a;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    int hwm = 4, linger = 0;
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    zmq_setsockopt(f->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_bind(f->router, "inproc://broker-out"), 0);
    f->a.dealer = zmq_socket(f->ctx, ZMQ_DEALER);
    zmq_setsockopt(f->a.dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(f->a.dealer, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(f->a.dealer, "inproc://broker-out"), 0);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    agent__broker_out_fini(&f->a);
    zmq_close(f->a.dealer);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
    free(f);
    return 0;
}

static uint8_t *s_msg(unsigned i, size_t len)
{
    uint8_t *m = malloc(len);
    memset(m, 0, len);
    memcpy(m, &i, sizeof i);
    return m;
}

/* As the agent's loop does: wait until the connection has room (zmq_poll runs the pipe's
 * commands; a send in a tight loop sees them only now and then), then send what is held. */
static void s_flush_when_room(fixture_t *f)
{
    zmq_pollitem_t it = {f->a.dealer, 0, ZMQ_POLLOUT, 0};
    (void)zmq_poll(&it, 1, 100);
    agent__broker_out_flush(&f->a);
}

/* Read every message the router has now; check they come as next, next+1, ... */
static unsigned s_drain(fixture_t *f, unsigned next)
{
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, f->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            return next;
        }
        assert_true(zmq_msg_recv(&body, f->router, 0) >= (int)sizeof next);
        unsigned got;
        memcpy(&got, zmq_msg_data(&body), sizeof got);
        assert_int_equal(got, next);
        next++;
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
}

static void test_held_in_order_then_sent(void **state)
{
    fixture_t *f = *state;
    agent_t *a = &f->a;
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(agent__broker_out(a, s_msg(i, 64), 64), 0);
    /* The pipe takes its high-water marks' worth; the rest wait here, none dropped. */
    size_t held = agent__broker_out_waiting(a);
    assert_true(held >= 80 && held < 100);
    assert_int_equal(atomic_load(&a->broker_out_held), held);
    assert_int_equal(atomic_load(&a->broker_out_dropped), 0);
    /* While some are held, a new one goes behind them, not ahead. */
    assert_int_equal(agent__broker_out(a, s_msg(100, 64), 64), 0);
    unsigned next = 0;
    for (int round = 0; round < 1000 && next < 101; round++) {
        next = s_drain(f, next);
        s_flush_when_room(f);
    }
    assert_int_equal(next, 101);
    assert_int_equal(agent__broker_out_waiting(a), 0);
    /* With room again, a message goes at once. */
    assert_int_equal(agent__broker_out(a, s_msg(101, 64), 64), 0);
    assert_int_equal(agent__broker_out_waiting(a), 0);
    assert_int_equal(s_drain(f, 101), 102);
}

static void test_bounded_by_bytes(void **state)
{
    fixture_t *f = *state;
    agent_t *a = &f->a;
    unsigned i = 0;
    while (agent__broker_out_waiting(a) == 0)
        assert_int_equal(agent__broker_out(a, s_msg(i++, 16), 16), 0);
    /* One larger than what may be held in all: dropped and counted; the held ones stay. */
    size_t before = agent__broker_out_waiting(a);
    assert_int_equal(agent__broker_out(a, s_msg(i, AGENT_HELD_OUT_BYTES + 1), AGENT_HELD_OUT_BYTES + 1),
                     -EAGAIN);
    assert_int_equal(atomic_load(&a->broker_out_dropped), 1);
    assert_int_equal(agent__broker_out_waiting(a), before);
    /* A disconnect clears them (the reconnect resends the outbox). */
    agent__broker_out_clear(a);
    assert_int_equal(agent__broker_out_waiting(a), 0);
}

static void test_bounded_by_count(void **state)
{
    fixture_t *f = *state;
    agent_t *a = &f->a;
    unsigned i = 0;
    while (agent__broker_out_waiting(a) < AGENT_HELD_OUT_MAX)
        assert_int_equal(agent__broker_out(a, s_msg(i++, 8), 8), 0);
    assert_int_equal(agent__broker_out(a, s_msg(i, 8), 8), -EAGAIN);
    assert_int_equal(atomic_load(&a->broker_out_dropped), 1);
    /* Still in order after the ring grew many times over. */
    unsigned next = 0;
    for (int round = 0; round < 100000 && agent__broker_out_waiting(a); round++) {
        next = s_drain(f, next);
        s_flush_when_room(f);
    }
    assert_int_equal(s_drain(f, next), i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_held_in_order_then_sent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bounded_by_bytes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bounded_by_count, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
