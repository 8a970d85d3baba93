/* session.c -- one agent's session at the broker as a state machine (main thread):
 *
 *            hello (a new connection)           store-full
 *   GONE -------------------------------> OPEN -----------> HELD
 *     ^                                    |  ^  store-room   |
 *     +----------- lost | revoked ---------+  +---------------+
 *     +----------- lost | revoked ------------------------------+
 *
 * OPEN: deliveries flow within the credit its hello asked for. HELD: connected, but its agent's
 * store is full: nothing is sent until it says there is room. GONE: nothing is sent; what waits
 * stays queued for its next hello. A hello from another connection while OPEN or HELD opens the
 * session again there (the previous connection is told session-replaced); a repeated hello on the
 * same connection changes nothing. Entering OPEN from anything but OPEN starts the session's
 * sending afresh: full credit, nothing in flight, everything unacked sent again (agents
 * deduplicate by id). broker__session_event is the one place a state changes. */
#include "broker.h"
#include "vn_log.h"
#include "vn_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CREDIT 64
#define MAX_CREDIT 4096

static const char *const s_state_names[] = {"gone", "open", "held"};

const char *broker__session_state_name(session_state_t st)
{
    return st <= SESSION_HELD ? s_state_names[st] : "?";
}

session_t *broker__session(broker_t *b, const char *org)
{
    for (size_t i = 0; i < b->n_sessions; i++)
        if (strcmp(b->sessions[i].org, org) == 0)
            return &b->sessions[i];
    return NULL;
}

static session_t *s_session_add(broker_t *b, const char *org)
{
    session_t *s = broker__session(b, org);
    if (s)
        return s;
    pthread_mutex_lock(&b->sessions_lock); /* the status page copies the array */
    session_t *more = realloc(b->sessions, (b->n_sessions + 1) * sizeof *more);
    if (more) {
        b->sessions = more;
        s = more + b->n_sessions++;
        memset(s, 0, sizeof *s);
        s->state = SESSION_GONE;
        memcpy(s->org, org, strnlen(org, VN_ORG_MAX));
    }
    pthread_mutex_unlock(&b->sessions_lock);
    return s;
}

static session_state_t s_next(session_state_t from, session_event_t ev)
{
    switch (ev) {
    case SESSION_EV_OPENED:
        return SESSION_OPEN;
    case SESSION_EV_LOST:
    case SESSION_EV_REVOKED:
        return SESSION_GONE;
    case SESSION_EV_STORE_FULL:
        return from == SESSION_OPEN ? SESSION_HELD : from;
    case SESSION_EV_STORE_ROOM:
        return from == SESSION_HELD ? SESSION_OPEN : from;
    }
    return from;
}

void broker__session_event(broker_t *b, session_t *s, session_event_t ev, const char *why)
{
    session_state_t from = s->state, to = s_next(from, ev);
    pthread_mutex_lock(&b->sessions_lock); /* the status page reads state and since */
    s->state = to;
    if ((to == SESSION_GONE) != (from == SESSION_GONE) || ev == SESSION_EV_OPENED)
        s->since = vn_now(); /* when it last connected or was found gone */
    pthread_mutex_unlock(&b->sessions_lock);
    if (to == SESSION_OPEN && (from != SESSION_OPEN || ev == SESSION_EV_OPENED)) {
        s->credit = s->credit_max;
        s->last_qseq = 0;
        broker__inflight_clear(&s->sent);
        b->pump_needed = 1;
    }
    if (to == from && ev != SESSION_EV_OPENED)
        return;
    if (to == SESSION_GONE)
        vn_info("event=session-lost org=%s reason=%s", s->org, why);
    else if (to == SESSION_HELD)
        vn_warn("event=agent-store-full org=%s used=%llu size=%llu "
                "action=\"holding its deliveries\"",
                s->org, (unsigned long long)s->store_used, (unsigned long long)s->store_size);
    else if (from == SESSION_HELD)
        vn_info("event=agent-store-space-returned org=%s used=%llu size=%llu", s->org,
                (unsigned long long)s->store_used, (unsigned long long)s->store_size);
    else
        vn_info("event=session-open org=%s credit=%u", s->org, s->credit);
}

void broker__session_tell(broker_t *b, const session_t *s, const char *code, const char *en,
                          const char *nl)
{
    Vn__Refusal r = VN__REFUSAL__INIT;
    r.code = (char *)code;
    r.reason = (char *)en;
    if (nl)
        r.reason_nl = (char *)nl;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_REFUSAL;
    m.refusal = &r;
    broker__send_wire(b, s->routing, s->routing_len, &m);
}

void broker__probe_sessions(broker_t *b)
{
    for (size_t i = 0; i < b->n_sessions; i++) {
        session_t *s = &b->sessions[i];
        /* The directory is harmless to resend: an agent ignores a generation it has. */
        if (s->state != SESSION_GONE &&
            broker__send(b, s->routing, s->routing_len, b->directory, b->directory_len) ==
                -EHOSTUNREACH)
            broker__session_event(b, s, SESSION_EV_LOST, "peer-gone");
    }
}

void broker__hello(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                   const Vn__Hello *hello)
{
    session_t *s = s_session_add(b, org);
    if (!s)
        return;
    int same = s->state != SESSION_GONE && s->routing_len == routing_len &&
               memcmp(s->routing, routing, routing_len) == 0;
    if (s->state != SESSION_GONE && !same) {
        /* The rule for a second agent with the same keys: the newest session takes over (an
         * agent restarted after a crash is not locked out by its own dead connection), and the
         * previous one is told, so it stops and says so instead of claiming to be connected. */
        broker__session_tell(b, s, "session-replaced",
                             "another agent with this organisation's keys connected; this one "
                             "must stop",
                             "een andere agent met de sleutels van deze organisatie is verbonden");
        vn_warn("event=session-replaced org=%s action=\"previous agent told to stop\"", org);
        broker__session_replaced_request(b, org);
    }
    /* A repeated hello on the same connection: what was sent is still in that connection's
     * socket; sending it all again would only pile copies up in the broker's memory. */
    if (!same) {
        memcpy(s->routing, routing, routing_len);
        s->routing_len = routing_len;
        s->credit_max = hello->credit == 0 ? DEFAULT_CREDIT
                        : hello->credit > MAX_CREDIT ? MAX_CREDIT : hello->credit;
        broker__session_event(b, s, SESSION_EV_OPENED, "hello");
        /* a full agent says so again right after its hello */
    }
    if (hello->directory_generation != b->registry_gen)
        broker__send(b, routing, routing_len, b->directory, b->directory_len);
    broker__vocab_send(b, routing, routing_len, hello->vocabulary_revision);
    b->pump_needed = 1;
}

void broker__session_acked(broker_t *b, const char *org, const uint8_t id[16])
{
    session_t *s = broker__session(b, org);
    if (!s || !broker__inflight_take(&s->sent, id))
        return; /* never sent in this session, or acked already: no credit */
    if (s->credit < s->credit_max)
        s->credit++;
    b->pump_needed = 1;
}

void broker__session_store_state(broker_t *b, const char *org, const Vn__AgentStoreState *st)
{
    session_t *s = broker__session(b, org);
    if (!s || s->state == SESSION_GONE)
        return;
    pthread_mutex_lock(&b->sessions_lock); /* the status page reads these */
    s->store_used = st->used_bytes;
    s->store_size = st->size_bytes;
    pthread_mutex_unlock(&b->sessions_lock);
    /* Leaving HELD resends everything unacked: what it was sent while full it may have dropped. */
    broker__session_event(b, s, st->full ? SESSION_EV_STORE_FULL : SESSION_EV_STORE_ROOM,
                          st->full ? "store-full" : "store-room");
}

int broker__session_sendable(const session_t *s)
{
    return s->state == SESSION_OPEN && s->credit > 0;
}
