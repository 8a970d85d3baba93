/* store_reserve.c -- the last STORE_RESERVE_PERCENT of the broker's store is kept for what frees
 * room (storage thread). Acks, rejections and expiry, with their audit records, need new pages
 * before the pages they free can be reused (LMDB copies on write): a store filled to its last
 * page by submissions could no longer commit the outcomes that would empty it. So a new
 * submission is refused storage-full once it would take the pages in use past the line; the
 * deliveries already stored keep draining. In use: the file's high-water mark, and when that is
 * past the line, the pages not on LMDB's free list (read once per group commit), plus what the
 * group has admitted since. */
#include "broker.h"
#include "vn_log.h"
#include "vn_store.h"

#include <stdio.h>

#define STORE_RESERVE_PERCENT 5

int broker__reserve_check(broker_t *b, size_t adding, char *code, size_t code_len, char *reason,
                          size_t reason_len)
{
    uint64_t used, size;
    vn_store_usage(b->db, &used, &size);
    uint64_t line = size / 100 * (100 - STORE_RESERVE_PERCENT);
    int over = 0;
    if (used + adding > line) {
        uint64_t group = atomic_load(&b->n_commits);
        if (!b->reserve_known || b->reserve_group != group) {
            /* the last committed state (a read transaction): the write transaction has taken
             * free-list records it allocates from out of its own view of the list */
            vn_store_live_usage(b->db, &b->reserve_live, &size);
            b->reserve_group = group;
            b->reserve_known = 1;
        }
        /* what this group has admitted so far is not in the figure yet */
        over = b->reserve_live + adding > line;
        if (!over)
            b->reserve_live += adding;
    }
    if (over != b->reserve_refusing) { /* logged when it starts and when it ends */
        if (over)
            vn_error("event=storage-full action=refusing-new-submissions reason=reserve "
                     "used=%llu size=%llu reserve_percent=%d",
                     (unsigned long long)b->reserve_live, (unsigned long long)size,
                     STORE_RESERVE_PERCENT);
        else
            vn_info("event=storage-room action=accepting-submissions");
        b->reserve_refusing = over;
    }
    if (!over)
        return 0;
    snprintf(code, code_len, "storage-full");
    snprintf(reason, reason_len, "the broker's storage is full; try again later\n"
                                 "de opslag van de broker is vol; probeer het later opnieuw");
    return 1;
}
