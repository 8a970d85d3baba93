/* zap.c -- ZeroMQ authentication: admit a CURVE key only if it belongs to a registered,
 * non-revoked organisation, and make that organisation's id the connection's User-Id. */
#include "broker.h"
#include "vn_log.h"
#include "vn_util.h"

#include <string.h>
#include <zmq.h>

/* Refused handshakes are logged one line each up to LOG_BURST per LOG_WINDOW_MS, then as one
 * summary line per window: 12,000 unauthenticated handshakes must not mean 12,000 log lines. */
#define LOG_BURST 10
#define LOG_WINDOW_MS 10000
static struct {
    uint64_t window_start;
    unsigned logged;
    uint64_t suppressed;
} s_log; /* main thread only, like the ZAP socket */

void broker__zap_tick(void)
{
    uint64_t now = vn_monotonic_ms();
    if (now - s_log.window_start >= LOG_WINDOW_MS) {
        if (s_log.suppressed)
            vn_warn("event=auth-refused-summary count=%llu seconds=%d note=\"handshakes refused "
                    "without their own log line\"", (unsigned long long)s_log.suppressed,
                    LOG_WINDOW_MS / 1000);
        s_log.window_start = now;
        s_log.logged = 0;
        s_log.suppressed = 0;
    }
}

/* 1 if this refusal may have its own log line; counts it otherwise. */
static int s_log_refusal(void)
{
    broker__zap_tick();
    if (s_log.logged < LOG_BURST) {
        s_log.logged++;
        return 1;
    }
    s_log.suppressed++;
    return 0;
}

/* Receive one frame of a ZAP request into buf; returns its length or -1. */
static int s_frame(void *sock, char *buf, size_t cap, int *more)
{
    int n = zmq_recv(sock, buf, cap, 0);
    size_t more_len = sizeof *more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, more, &more_len);
    return n > (int)cap ? -1 : n;
}

static void s_reply(void *sock, const char *version, const char *req_id, int req_id_len,
                    const char *status, const char *text, const char *user)
{
    zmq_send(sock, version, strlen(version), ZMQ_SNDMORE);
    zmq_send(sock, req_id, (size_t)req_id_len, ZMQ_SNDMORE);
    zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* The organisation holding this CURVE key: its current one, or its previous one until the grace
 * period after a key rotation ends (*expired says a previous key came too late). */
static const vn_org_t *s_find_by_curve(const broker_t *b, const char *z85, int *expired)
{
    for (size_t i = 0; i < b->n_orgs; i++) {
        const vn_org_t *o = &b->orgs[i];
        if (strcmp(o->pub.curve_pk, z85) == 0)
            return o;
        if (o->prev_curve_pk[0] && strcmp(o->prev_curve_pk, z85) == 0) {
            if (vn_now() <= o->prev_valid_until)
                return o;
            *expired = 1;
        }
    }
    return NULL;
}

void broker__zap_handle(broker_t *b)
{
    char frames[6][256];
    int lens[6] = {0}, more = 1, n = 0;
    /* version, request id, domain, address, routing id, mechanism, then credentials */
    for (n = 0; n < 6 && more; n++)
        lens[n] = s_frame(b->zap, frames[n], sizeof frames[n] - 1, &more);
    uint8_t key[64];
    int key_len = more ? zmq_recv(b->zap, key, sizeof key, 0) : -1;
    while (more) { /* drain anything unexpected */
        size_t ml = sizeof more;
        zmq_getsockopt(b->zap, ZMQ_RCVMORE, &more, &ml);
        if (more)
            zmq_recv(b->zap, key + 32, 0, 0);
    }
    if (n < 6 || lens[0] < 0 || lens[1] < 0) {
        vn_warn("event=zap-malformed");
        s_reply(b->zap, "1.0", "", 0, "500", "malformed ZAP request", "");
        return;
    }
    for (int i = 0; i < 6; i++)
        frames[i][lens[i] > 0 ? lens[i] : 0] = '\0';
    const char *mechanism = frames[5], *address = frames[3];
    if (strcmp(frames[2], "vangnet") != 0 || strcmp(mechanism, "CURVE") != 0 || key_len != 32) {
        if (s_log_refusal())
            vn_warn("event=auth-refused address=%s mechanism=%s reason=not-curve", address,
                    mechanism);
        s_reply(b->zap, "1.0", frames[1], lens[1], "400", "CURVE required", "");
        return;
    }
    char z85[41];
    zmq_z85_encode(z85, key, 32);
    int expired = 0;
    const vn_org_t *org = s_find_by_curve(b, z85, &expired);
    if (!org && broker__registry_refresh(b, 0) == 1)
        org = s_find_by_curve(b, z85, &expired); /* registered a moment ago */
    if (!org || org->revoked) {
        const char *why = org ? "revoked" : expired ? "rotated-key-expired" : "unregistered";
        if (s_log_refusal())
            vn_warn("event=auth-refused address=%s key=%.8s... reason=%s", address, z85, why);
        s_reply(b->zap, "1.0", frames[1], lens[1], "400", why, "");
        return;
    }
    /* A registered key that reconnects in a loop: each admitted handshake opens a new session,
     * which sends everything unacked again (session.c); beyond its budget it waits. */
    if (broker__budget_admit(b, org->pub.org, BUDGET_HANDSHAKE, 0)) {
        if (s_log_refusal())
            vn_warn("event=auth-refused address=%s org=%s reason=handshake-rate-limited", address,
                    org->pub.org);
        s_reply(b->zap, "1.0", frames[1], lens[1], "400", "rate-limited", "");
        return;
    }
    vn_debug("event=auth-ok org=%s address=%s", org->pub.org, address);
    s_reply(b->zap, "1.0", frames[1], lens[1], "200", "OK", org->pub.org);
}
