/* vn_store.h -- the one owner of an LMDB environment: named databases, durable commits, clear errors. */
#ifndef VN_STORE_H
#define VN_STORE_H

#include "vn_error.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vn_store vn_store_t;

#define VN_STORE_READONLY 1

/* Open (creating dir if needed, unless read-only) an environment with the given named databases.
 * map_size in bytes (0: as the environment was created, or LMDB's default for a new one). NULL on
 * failure with *rc set and err naming the cause.
 * Commits are fully durable (fsync): no MDB_NOSYNC. */
vn_store_t *vn_store_open(const char *dir, size_t map_size, const char *const *db_names,
                          int flags, int *rc, char *err, size_t errlen);
void vn_store_destroy(vn_store_t **self_p);

/* The handle of the i-th database given to vn_store_open. */
MDB_dbi vn_store_dbi(const vn_store_t *self, int index);
MDB_env *vn_store_env(const vn_store_t *self);

/* Begin a transaction; 0 or a vangnet error. */
int vn_store_begin(vn_store_t *self, int readonly, MDB_txn **txn) VN_MUST_USE;
/* Commit (fsync'd). On failure the transaction is gone; VN_E_STORE_FULL when the map is full. */
int vn_store_commit(MDB_txn *txn) VN_MUST_USE;
/* Read/write a big-endian counter named name in database dbi. A missing counter reads as 0;
 * one of the wrong size is VN_E_STORE. */
int vn_meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out) VN_MUST_USE;
int vn_meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v) VN_MUST_USE;

/* An index added after stores already existed, built once per store: unless the counter
 * built_key in meta says it was done, call each on every entry of source in one write
 * transaction and set the counter in it. each returns 1 for an entry it indexed, 0 for one it
 * skipped, or a vangnet error, which abandons the build. *n: entries indexed (0 when done
 * before). */
typedef int (*vn_store_each_fn)(MDB_txn *txn, const MDB_val *k, const MDB_val *v, void *ctx);
int vn_store_build_once(vn_store_t *self, MDB_dbi meta, const char *built_key, MDB_dbi source,
                        vn_store_each_fn each, void *ctx, size_t *n) VN_MUST_USE;

/* Pages in use and the map's size, in bytes (for storage metrics and warnings). */
void vn_store_usage(vn_store_t *self, uint64_t *used, uint64_t *size);
/* What is in use now: the pages below the high-water mark less those on LMDB's free list (which
 * later writes reuse). Reads the free list: call it now and then, not per write. */
void vn_store_live_usage(vn_store_t *self, uint64_t *used, uint64_t *size);

/* Whether a daemon on this store can take writes: its last commit succeeded, the map is under
 * 99% full and dir is writable. 1, or 0 with why saying which is not so (for /readyz). */
int vn_store_ready(vn_store_t *self, const char *dir, int last_commit_ok, char *why, size_t len);

/* Map an LMDB return code to a vangnet code (MDB_MAP_FULL -> VN_E_STORE_FULL, MDB_NOTFOUND -> VN_E_NOT_FOUND). */
int vn_store_error(int mdb_rc) VN_MUST_USE;

#endif
