/* vn_store_warm.h -- touch every page of a store's map once, off the writer's thread, so random
 * reads after a (re)start do not each pay a first-touch fault. On this project's paravirtualised
 * machines the first read of a mapped page costs about 15 us, a warm one about 3 us
 * (docs/performance.md, "Signals at scale"); a store of 10 million signals is 1.8 million pages. */
#ifndef VN_STORE_WARM_H
#define VN_STORE_WARM_H

#include "vn_store.h"

#include <stdatomic.h>
#include <stdint.h>

/* Touch each page of the data file's map once (reads only, no transaction: LMDB never shrinks the
 * file while it is open, so every page below its size stays mapped). Skipped, with why saying
 * so, when the file is larger than half the memory available (warming it would only evict other
 * pages) or its mapping cannot be found. Stops early when *stop becomes nonzero. 0 with *pages
 * touched, or a vangnet error with why set. */
int vn_store_warm(vn_store_t *db, const atomic_int *stop, uint64_t *pages, char *why, size_t len);

/* The same on a thread of its own at the lowest priority, so the writer never waits for it. */
typedef struct vn_store_warmer vn_store_warmer_t;
vn_store_warmer_t *vn_store_warm_start(vn_store_t *db, const char *who);
/* Stop it if still running and join it: before the store is closed. NULL-safe. */
void vn_store_warm_stop(vn_store_warmer_t **w);

#endif
