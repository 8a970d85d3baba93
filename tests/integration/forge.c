/* forge.c -- plays a malicious broker for tests. `rewrite` changes one old audit record, rebuilds
 * the hash chain and the Merkle tree and signs a fresh checkpoint with the broker's own key, so the
 * log verifies on the broker's disk: only auditors holding older checkpoints can tell. `fork`
 * does the same to a copy of the store, for a second broker process with the same keys that
 * shows the forked log to some agents while the first shows the true one to others (a split
 * view). `grow` appends synthetic read records (no signing), to reach a tree size quickly. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"

static int s_usage(void)
{
    fprintf(stderr, "usage: vn-forge [rewrite] DATA BROKER.secret SEQ\n"
                    "       vn-forge fork SRC-DATA DST-DATA BROKER.secret SEQ\n"
                    "       vn-forge grow DATA SIZE\n");
    return 2;
}

static vn_store_t *s_open(const char *dir, MDB_txn **txn)
{
    char err[1024];
    int rc;
    vn_store_t *db = vn_brokerdb_open(dir, 0, 0, &rc, err, sizeof err);
    if (!db || vn_store_begin(db, 0, txn) != 0) {
        fprintf(stderr, "vn-forge: %s: %s\n", dir, db ? "cannot begin" : err);
        vn_store_destroy(&db);
        return NULL;
    }
    return db;
}

/* Take every record out, then write the log again with record target changed, and sign. */
static int s_rewrite(const char *dir, const char *secret, uint64_t target)
{
    char err[1024];
    vn_keyset_t *broker;
    if (vn_keyset_load(secret, &broker, err, sizeof err) != 0) {
        fprintf(stderr, "vn-forge: %s\n", err);
        return 1;
    }
    MDB_txn *txn;
    vn_store_t *db = s_open(dir, &txn);
    if (!db)
        return 1;
    size_t n = 0, cap = 4096;
    Vn__AuditRecord **recs = calloc(cap, sizeof *recs);
    MDB_cursor *cur;
    MDB_val k, v;
    mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur);
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && n < cap;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        recs[n++] = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    mdb_cursor_close(cur);
    mdb_drop(txn, vn_store_dbi(db, BDB_AUDIT), 0);
    mdb_drop(txn, vn_store_dbi(db, BDB_MERKLE), 0);
    mdb_drop(txn, vn_store_dbi(db, BDB_CHECKPOINTS), 0);
    MDB_val hk = {10, "audit_head"};
    mdb_del(txn, vn_store_dbi(db, BDB_META), &hk, NULL);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *outcome = recs[i]->outcome, *basis = recs[i]->basis;
        ProtobufCBinaryData prev = recs[i]->prev_hash; /* vn_audit_append replaces it */
        if (recs[i]->seq == target) {
            recs[i]->outcome = "forged-outcome";
            recs[i]->basis = "forged-basis";
        }
        if (rc == 0)
            rc = vn_audit_append(txn, db, recs[i], NULL, NULL);
        recs[i]->outcome = outcome; /* give the decoder its own strings back before freeing */
        recs[i]->basis = basis;
        recs[i]->prev_hash = prev;
        vn__audit_record__free_unpacked(recs[i], NULL);
    }
    free(recs);
    uint64_t signed_size = 0;
    if (rc != 0 || vn_audit_checkpoint(txn, db, broker, &signed_size) != 0 ||
        vn_store_commit(txn) != 0) {
        fprintf(stderr, "vn-forge: cannot append, sign or commit\n");
        return 1;
    }
    printf("rewrote record %llu of %zu and signed a checkpoint of size %llu\n",
           (unsigned long long)target, n, (unsigned long long)signed_size);
    vn_store_destroy(&db);
    vn_keyset_destroy(&broker);
    return 0;
}

/* Synthetic records of varying sizes up to size records in all. */
static int s_grow(const char *dir, uint64_t size)
{
    MDB_txn *txn;
    vn_store_t *db = s_open(dir, &txn);
    if (!db)
        return 1;
    uint64_t n;
    int rc = vn_audit_size(txn, db, &n);
    char filter[700];
    for (; rc == 0 && n < size; n++) {
        size_t len = (n * 37) % (sizeof filter - 1); /* record sizes from ~80 to ~800 bytes */
        memset(filter, 'a' + (int)(n % 26), len);
        filter[len] = 0;
        Vn__AuditJustification j = VN__AUDIT_JUSTIFICATION__INIT, *jp = &j;
        j.key = "filter";
        j.value = filter;
        Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
        rec.event = VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED;
        rec.actor_org = "audit-reader";
        rec.user_id = "vn-forge";
        rec.user_role = "test";
        rec.n_justification = 1;
        rec.justification = &jp;
        rec.outcome = "ok";
        rec.source = "vn-forge";
        rc = vn_audit_append(txn, db, &rec, NULL, NULL);
    }
    rc = rc == 0 ? vn_store_commit(txn) : (mdb_txn_abort(txn), rc);
    vn_store_destroy(&db);
    if (rc != 0) {
        fprintf(stderr, "vn-forge: grow failed\n");
        return 1;
    }
    printf("the log holds %llu records\n", (unsigned long long)n);
    return 0;
}

/* A consistent copy of the store (LMDB's own copy), then rewritten. */
static int s_fork(const char *src, const char *dst, const char *secret, uint64_t target)
{
    char err[1024];
    int rc;
    vn_store_t *db = vn_brokerdb_open(src, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db) {
        fprintf(stderr, "vn-forge: %s: %s\n", src, err);
        return 1;
    }
    mkdir(dst, 0700);
    rc = mdb_env_copy(vn_store_env(db), dst);
    vn_store_destroy(&db);
    if (rc != 0) {
        fprintf(stderr, "vn-forge: cannot copy %s to %s: %s\n", src, dst, mdb_strerror(rc));
        return 1;
    }
    return s_rewrite(dst, secret, target);
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0 || argc < 2)
        return s_usage();
    if (strcmp(argv[1], "grow") == 0 && argc == 4)
        return s_grow(argv[2], strtoull(argv[3], NULL, 10));
    if (strcmp(argv[1], "fork") == 0 && argc == 6)
        return s_fork(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 10));
    if (strcmp(argv[1], "rewrite") == 0 && argc == 5)
        return s_rewrite(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    if (argc == 4)
        return s_rewrite(argv[1], argv[2], strtoull(argv[3], NULL, 10));
    return s_usage();
}
