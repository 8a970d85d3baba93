/* queue_limits.c -- per-recipient queue limits (storage thread). A recipient whose agent has been
 * away too long, or who has too much waiting, gets no more: the sender is refused at once with a
 * clear reason (and can use another channel) instead of learning days later that it expired. */
#include "broker.h"
#include "vn_broker_stats.h"
#include "vn_brokerdb.h"
#include "vn_log.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Count every recipient's queue once; after that the commits keep the counts. */
static int s_load(broker_t *b)
{
    vn_broker_stats_t st;
    if (vn_broker_stats_read(b->db, &st) != 0)
        return -1;
    free(b->depths);
    b->depths = calloc(st.n_queues + 1, sizeof *b->depths);
    b->n_depths = 0;
    for (size_t i = 0; b->depths && i < st.n_queues; i++) {
        memcpy(b->depths[i].org, st.queues[i].org, sizeof b->depths[i].org);
        b->depths[i].depth = st.queues[i].queued;
        b->n_depths++;
    }
    vn_broker_stats_clear(&st);
    b->depths_valid = b->depths != NULL;
    return b->depths_valid ? 0 : -1;
}

static queue_depth_t *s_find(broker_t *b, const char *org, int create)
{
    for (size_t i = 0; i < b->n_depths; i++)
        if (strcmp(b->depths[i].org, org) == 0)
            return &b->depths[i];
    if (!create)
        return NULL;
    queue_depth_t *more = realloc(b->depths, (b->n_depths + 1) * sizeof *more);
    if (!more)
        return NULL;
    b->depths = more;
    queue_depth_t *d = &more[b->n_depths++];
    memset(d, 0, sizeof *d);
    snprintf(d->org, sizeof d->org, "%s", org);
    return d;
}

void broker__depth_add(broker_t *b, const char *org, int64_t delta)
{
    if (!b->depths_valid)
        return;
    queue_depth_t *d = s_find(b, org, 1);
    if (!d) {
        b->depths_valid = 0; /* out of memory: count again before the next check */
        return;
    }
    d->depth = delta < 0 && d->depth < (uint64_t)-delta ? 0 : d->depth + (uint64_t)delta;
}

/* A failed commit undid changes the counts already saw: count again from the store. */
void broker__depth_invalidate(broker_t *b)
{
    b->depths_valid = 0;
    broker__share_invalidate(b);
}

int broker__queue_depth_over(const broker_t *b, uint64_t depth)
{
    return b->cfg.max_queue_depth && depth >= b->cfg.max_queue_depth;
}

int broker__queue_age_over(const broker_t *b, uint64_t oldest_seconds)
{
    return b->cfg.max_queue_age && oldest_seconds > b->cfg.max_queue_age;
}

int broker__queue_check(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, char *code,
                        size_t code_len, char *reason, size_t reason_len)
{
    if (!b->cfg.max_queue_depth && !b->cfg.max_queue_age)
        return 0;
    if (!b->depths_valid && s_load(b) != 0)
        return 0; /* cannot count: accept rather than refuse a lawful disclosure on our fault */
    for (size_t i = 0; i < p->hdr->n_recipients; i++) {
        const char *r = p->hdr->recipients[i];
        const queue_depth_t *d = s_find(b, r, 0);
        uint64_t age = 0;
        if (d && broker__queue_depth_over(b, d->depth)) {
            snprintf(reason, reason_len,
                     "recipient %s already has %llu notifications waiting (limit %llu); its "
                     "agent is not collecting: use another channel\n"
                     "ontvanger %s heeft al %llu meldingen in de wachtrij (grens %llu); neem "
                     "op een andere manier contact op",
                     r, (unsigned long long)d->depth, (unsigned long long)b->cfg.max_queue_depth,
                     r, (unsigned long long)d->depth, (unsigned long long)b->cfg.max_queue_depth);
        } else if (b->cfg.max_queue_age && d && d->depth &&
                   broker__queue_age_over(b, age = vn_broker_queue_oldest_seconds(txn, b->db, r,
                                                                                  vn_now()))) {
            snprintf(reason, reason_len,
                     "recipient %s has not collected its notifications for %llu hours (limit "
                     "%llu): use another channel\n"
                     "ontvanger %s heeft al %llu uur geen meldingen opgehaald (grens %llu); neem "
                     "op een andere manier contact op",
                     r, (unsigned long long)age / 3600,
                     (unsigned long long)b->cfg.max_queue_age / 3600, r,
                     (unsigned long long)age / 3600,
                     (unsigned long long)b->cfg.max_queue_age / 3600);
        } else {
            continue;
        }
        snprintf(code, code_len, "recipient-queue-full");
        vn_warn("event=queue-limit recipient=%s", r);
        return 1;
    }
    return 0;
}
