/* vn_store.c -- LMDB environment ownership. A transaction never crosses threads. */
#include "vn_store.h"
#include "vn_store_ahead.h"
#include "vn_error.h"
#include "vn_util.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define MAX_DBS 32
#define S_REOPENED 0x100 /* vn_store_open's second open of a store it created */

struct vn_store {
    MDB_env *env;
    MDB_dbi dbis[MAX_DBS];
    int n_dbs;
    int ahead_on; /* a writer's store: the file is kept ahead of its pages (vn_store_ahead.c) */
    vn_store_ahead_t ahead;
};

int vn_store_error(int mdb_rc)
{
    switch (mdb_rc) {
    case MDB_SUCCESS: return 0;
    case MDB_MAP_FULL: return VN_E_STORE_FULL;
    case MDB_NOTFOUND: return VN_E_NOT_FOUND;
    default: return mdb_rc > 0 ? -mdb_rc : VN_E_STORE; /* positive codes are errno values */
    }
}

vn_store_t *vn_store_open(const char *dir, size_t map_size, const char *const *db_names,
                          int flags, int *rc, char *err, size_t errlen)
{
    int readonly = flags & VN_STORE_READONLY;
    vn_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        *rc = -ENOMEM;
        return NULL;
    }
    int mrc;
    if (!readonly && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        *rc = -errno;
        snprintf(err, errlen, "%s: %s", dir, vn_strerror(*rc));
        goto fail;
    }
    int created = !readonly && !vn_store_ahead_prepare(dir) && !(flags & S_REOPENED);
    if ((mrc = mdb_env_create(&self->env)) != 0 ||
        (mrc = mdb_env_set_maxdbs(self->env, MAX_DBS)) != 0 ||
        /* No size given: LMDB keeps the size the environment was created with (tools must not
         * misreport or change the broker's map). */
        (map_size && (mrc = mdb_env_set_mapsize(self->env, map_size)) != 0) ||
        (mrc = mdb_env_set_maxreaders(self->env, 126)) != 0 ||
        (mrc = mdb_env_open(self->env, dir, MDB_NOTLS | MDB_NORDAHEAD | (readonly ? MDB_RDONLY : 0),
                               0600)) != 0) {
        *rc = vn_store_error(mrc);
        snprintf(err, errlen, "%s: cannot open store: %s", dir, mdb_strerror(mrc));
        goto fail;
    }
    MDB_txn *txn;
    if ((mrc = mdb_txn_begin(self->env, NULL, readonly ? MDB_RDONLY : 0, &txn)) != 0) {
        *rc = vn_store_error(mrc);
        snprintf(err, errlen, "%s: %s", dir, mdb_strerror(mrc));
        goto fail;
    }
    for (self->n_dbs = 0; db_names[self->n_dbs]; self->n_dbs++) {
        if (self->n_dbs == MAX_DBS) {
            mdb_txn_abort(txn);
            *rc = VN_E_INVALID;
            snprintf(err, errlen, "too many databases");
            goto fail;
        }
        mrc = mdb_dbi_open(txn, db_names[self->n_dbs], readonly ? 0 : MDB_CREATE,
                           &self->dbis[self->n_dbs]);
        if (mrc != 0) {
            mdb_txn_abort(txn);
            *rc = vn_store_error(mrc);
            snprintf(err, errlen, "%s: database '%s': %s", dir, db_names[self->n_dbs],
                     mdb_strerror(mrc));
            goto fail;
        }
    }
    if ((mrc = mdb_txn_commit(txn)) != 0) {
        *rc = vn_store_error(mrc);
        snprintf(err, errlen, "%s: %s", dir, mdb_strerror(mrc));
        goto fail;
    }
    if (created) { /* once more, now that it exists: its meta pages read a page each */
        vn_store_destroy(&self);
        return vn_store_open(dir, map_size, db_names, flags | S_REOPENED, rc, err, errlen);
    }
    if (!readonly) {
        vn_store_ahead_init(&self->ahead);
        self->ahead_on = 1;
        mdb_env_set_userctx(self->env, self);
    }
    *rc = 0;
    return self;
fail:
    vn_store_destroy(&self);
    return NULL;
}

void vn_store_destroy(vn_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vn_store_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env);
    if (self->ahead_on)
        vn_store_ahead_fini(&self->ahead);
    free(self);
    *self_p = NULL;
}

MDB_dbi vn_store_dbi(const vn_store_t *self, int index)
{
    return self->dbis[index];
}

MDB_env *vn_store_env(const vn_store_t *self)
{
    return self->env;
}

int vn_store_begin(vn_store_t *self, int readonly, MDB_txn **txn)
{
    assert(self && txn);
    return vn_store_error(mdb_txn_begin(self->env, NULL, readonly ? MDB_RDONLY : 0, txn));
}

int vn_store_commit(MDB_txn *txn)
{
    assert(txn);
    vn_store_t *self = mdb_env_get_userctx(mdb_txn_env(txn));
    if (self && self->ahead_on)
        vn_store_ahead(&self->ahead, txn);
    return vn_store_error(mdb_txn_commit(txn));
}

int vn_meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size < 8)
        return VN_E_STORE;
    *out = vn_get_be64(v.mv_data);
    return 0;
}

int vn_meta_put_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t value)
{
    uint8_t buf[8];
    vn_put_be64(buf, value);
    MDB_val k = {strlen(name), (void *)name}, v = {8, buf};
    return vn_store_error(mdb_put(txn, meta, &k, &v, 0));
}

int vn_store_build_once(vn_store_t *self, MDB_dbi meta, const char *built_key, MDB_dbi source,
                        vn_store_each_fn each, void *ctx, size_t *n)
{
    *n = 0;
    MDB_txn *txn;
    int rc = vn_store_begin(self, 0, &txn);
    if (rc != 0)
        return rc;
    uint64_t built = 0;
    if (vn_meta_get_u64(txn, meta, built_key, &built) == 0 && built) {
        mdb_txn_abort(txn);
        return 0;
    }
    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = vn_store_error(mdb_cursor_open(txn, source, &cur))) == 0) {
        for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            int r = each(txn, &k, &v, ctx);
            if (r > 0)
                (*n)++;
            else if (r < 0)
                rc = r;
        }
        mdb_cursor_close(cur);
    }
    if (rc == 0)
        rc = vn_meta_put_u64(txn, meta, built_key, 1);
    if (rc == 0)
        rc = vn_store_commit(txn);
    else
        mdb_txn_abort(txn);
    return rc;
}

void vn_store_usage(vn_store_t *self, uint64_t *used, uint64_t *size)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(self->env, &info);
    mdb_env_stat(self->env, &st);
    *used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    *size = info.me_mapsize;
}

void vn_store_live_usage(vn_store_t *self, uint64_t *used, uint64_t *size)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(self->env, &info);
    mdb_env_stat(self->env, &st);
    uint64_t pages = (uint64_t)info.me_last_pgno + 1, free_pages = 0;
    MDB_txn *txn;
    MDB_cursor *cur;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn) == 0) {
        /* The free list is database 0: each value is a page-number list led by its length. */
        if (mdb_cursor_open(txn, 0, &cur) == 0) {
            MDB_val k, v;
            for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
                if (v.mv_size >= sizeof(size_t)) {
                    size_t n;
                    memcpy(&n, v.mv_data, sizeof n);
                    free_pages += n;
                }
            mdb_cursor_close(cur);
        }
        mdb_txn_abort(txn);
    }
    *used = (pages > free_pages ? pages - free_pages : 0) * st.ms_psize;
    *size = info.me_mapsize;
}

int vn_store_ready(vn_store_t *self, const char *dir, int last_commit_ok, char *why, size_t len)
{
    uint64_t used, size;
    vn_store_usage(self, &used, &size);
    if (!last_commit_ok)
        snprintf(why, len, "the last commit failed");
    else if (size && used * 100 >= size * 99)
        snprintf(why, len, "store %llu%% full", (unsigned long long)(used * 100 / size));
    else if (access(dir, W_OK) != 0)
        snprintf(why, len, "data directory not writable");
    else
        return 1;
    return 0;
}
