/* signal_waiter.h -- a signal, match, policy or audit request waiting for the broker's answer
 * (agent-internal). */
#ifndef VN_AGENT_SIGNAL_WAITER_H
#define VN_AGENT_SIGNAL_WAITER_H

#include "agent.h"

enum { SW_SIGNAL_ADD, SW_SIGNAL_WITHDRAW, SW_SIGNAL_LIST, SW_MATCH, SW_POLICY, SW_AUDIT_MINE };

typedef struct signal_waiter {
    waiter_t w;               /* routing, request id (msgid), deadline */
    int op;                   /* SW_* */
    uint8_t *pending;         /* SW_SIGNAL_ADD: packed ApiSignalInfo (sodium_malloc'd) or NULL */
    size_t pending_len;
} signal_waiter_t;

/* Send m (whose request id *request_id is set here) and wait for its answer. NULL when it could
 * not be sent (the IT system was answered). */
signal_waiter_t *agent__signal_send(agent_t *a, const uint8_t *routing, size_t routing_len,
                                    int op, Vn__WireMessage *m, ProtobufCBinaryData *request_id);
/* The index of the waiter for request_id, or a->n_signal_waiters when none waits for it. */
size_t agent__signal_waiter_find(const agent_t *a, const ProtobufCBinaryData *request_id);
void agent__signal_waiter_remove(agent_t *a, size_t i);

#endif
