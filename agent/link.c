/* link.c -- the agent's link to the broker as a state machine (main thread):
 *
 *          handshake ok                 disconnected | handshake failed
 *   DOWN ---------------> UP ---------------------------------------------> DOWN
 *    |  \                  |
 *    |   +-- revoked ------+--> REVOKED    (the broker or the signed directory said so)
 *    +------ replaced -----+--> REPLACED   (another agent with our keys took the session)
 *
 * DOWN carries why (connecting, broker-unreachable, handshake-failed) for the status. REVOKED and
 * REPLACED are final until an operator restarts the agent: entering them disconnects from the
 * broker once, so this agent never fights over the session. agent__link_event is the one place
 * the state changes; a->connected mirrors "UP" for the HTTP thread. */
#include "agent.h"
#include "vn_util.h"

#include <string.h>
#include <zmq.h>

static agent_link_t s_next(agent_link_t from, agent_link_event_t ev)
{
    if (from == AGENT_LINK_REVOKED || from == AGENT_LINK_REPLACED)
        return from;
    switch (ev) {
    case AGENT_LINK_EV_HANDSHAKE_OK:
        return AGENT_LINK_UP;
    case AGENT_LINK_EV_DISCONNECTED:
    case AGENT_LINK_EV_RETRYING:
    case AGENT_LINK_EV_HANDSHAKE_FAILED:
        return AGENT_LINK_DOWN;
    case AGENT_LINK_EV_REVOKED:
        return AGENT_LINK_REVOKED;
    case AGENT_LINK_EV_REPLACED:
        return AGENT_LINK_REPLACED;
    }
    return from;
}

agent_link_t agent__link_event(agent_t *a, agent_link_event_t ev)
{
    agent_link_t from = a->link, to = s_next(from, ev);
    if (to == from && (to == AGENT_LINK_REVOKED || to == AGENT_LINK_REPLACED))
        return to;
    switch (ev) {
    case AGENT_LINK_EV_HANDSHAKE_OK: a->disconnect_reason = ""; break;
    case AGENT_LINK_EV_DISCONNECTED:
        /* a refused handshake also ends in a disconnect: keep saying why */
        if (strcmp(a->disconnect_reason, "handshake-failed") != 0)
            a->disconnect_reason = "broker-unreachable";
        break;
    case AGENT_LINK_EV_RETRYING: a->disconnect_reason = "broker-unreachable"; break;
    case AGENT_LINK_EV_HANDSHAKE_FAILED: a->disconnect_reason = "handshake-failed"; break;
    case AGENT_LINK_EV_REVOKED: a->disconnect_reason = "revoked"; break;
    case AGENT_LINK_EV_REPLACED: a->disconnect_reason = "session-replaced"; break;
    }
    a->link = to;
    int up = to == AGENT_LINK_UP;
    if (a->connected != up)
        a->connection_changed = vn_now();
    a->connected = up;
    if (to != from && (to == AGENT_LINK_REVOKED || to == AGENT_LINK_REPLACED))
        zmq_disconnect(a->dealer, a->cfg.broker_endpoint);
    return to;
}

const char *agent__link_name(agent_link_t st)
{
    static const char *const names[] = {"down", "up", "revoked", "replaced"};
    return st <= AGENT_LINK_REPLACED ? names[st] : "?";
}
