/* store_guard.c -- a full store degrades the agent, it does not wedge it: above FULL_PERCENT of
 * its map the agent stops storing deliveries and tells the broker (AgentStoreState), which holds
 * them; its IT system's acks still commit (they free space, and the headroom left is theirs);
 * below RESUME_PERCENT it tells the broker it has room, and the broker sends again. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <string.h>

#define FULL_PERCENT 90   /* stop taking deliveries: the rest of the map is for acks and sends */
#define RESUME_PERCENT 75 /* take them again (apart from FULL_PERCENT, so it does not flap) */
#define CHECK_MS 500      /* the free list is read at most this often */

static void s_send_state(agent_t *a)
{
    Vn__AgentStoreState st = VN__AGENT_STORE_STATE__INIT;
    st.full = a->store_full;
    st.used_bytes = a->store_live;
    st.size_bytes = a->store_size;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_STORE_STATE;
    m.store_state = &st;
    if (a->connected)
        agent__send_broker(a, &m);
}

static void s_set_full(agent_t *a, int full)
{
    if (a->store_full == full)
        return;
    a->store_full = full;
    unsigned pct = a->store_size ? (unsigned)(a->store_live * 100 / a->store_size) : 0;
    if (full)
        vn_warn("event=store-full used_percent=%u action=\"deliveries wait at the broker; acks "
                "from the IT system free space\"", pct);
    else
        vn_info("event=store-space-returned used_percent=%u action=\"taking deliveries again\"",
                pct);
    s_send_state(a);
}

void agent__store_check(agent_t *a, int force)
{
    uint64_t now = vn_monotonic_ms();
    if (!force && !a->store_commit_full && now < a->store_checked_ms + CHECK_MS)
        return;
    a->store_checked_ms = now;
    vn_store_live_usage(a->db, &a->store_live, &a->store_size);
    if (!a->store_size)
        return;
    uint64_t pct = a->store_live * 100 / a->store_size;
    if (a->store_commit_full || pct >= FULL_PERCENT)
        s_set_full(a, 1);
    else if (pct < RESUME_PERCENT)
        s_set_full(a, 0);
    a->store_commit_full = 0;
}

int agent__store_room(agent_t *a, size_t bytes)
{
    if (a->store_full)
        return 0;
    if (!a->store_size)
        agent__store_check(a, 1);
    /* Sealed, indexed and on B-tree pages a delivery takes about twice its envelope. */
    uint64_t after = a->store_live + a->store_pending + 2 * (uint64_t)bytes;
    if (a->store_size && after * 100 >= a->store_size * FULL_PERCENT) {
        s_set_full(a, 1);
        return 0;
    }
    a->store_pending += 2 * (uint64_t)bytes;
    return 1;
}

void agent__store_committed(agent_t *a, int rc)
{
    if (rc == 0)
        a->store_live += a->store_pending; /* until the next check reads the real figure */
    else if (rc == VN_E_STORE_FULL)
        a->store_commit_full = 1;
    a->store_pending = 0;
}

void agent__store_after_hello(agent_t *a)
{
    if (a->store_full)
        s_send_state(a); /* the broker starts each session assuming room */
}
