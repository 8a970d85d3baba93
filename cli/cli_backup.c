/* cli_backup.c -- `vangnet backup --data DIR --out FILE`: a consistent copy of the broker's store
 * while it runs (LMDB copies from one read transaction, so the copy is one committed state), and
 * `vangnet restore --in FILE --data NEWDIR [--broker-public F]`: install that copy as a new
 * broker's store and verify its audit log before anyone starts a broker on it. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_audit.h"
#include "vn_broker_stats.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_keys.h"
#include "vn_util.h"

typedef struct {
    const char *data, *file, *broker_public;
} s_args_t;

static int s_args(int argc, char **argv, s_args_t *a, const char *file_opt)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"in", required_argument, NULL, 'i'},
                                         {"broker-public", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') a->data = optarg;
        else if (c == 'p') a->broker_public = optarg;
        else if ((c == 'o' || c == 'i') && c == file_opt[0]) a->file = optarg;
        else return -1;
    }
    return a->data && a->file && optind == argc ? 0 : -1;
}

/* SHA-256 of a file, hex, so the operator can check the copy after moving it. */
static int s_sha256(int fd, char hex[65])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    uint8_t buf[1 << 16], out[32];
    ssize_t n;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return -errno;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        crypto_hash_sha256_update(&st, buf, (size_t)n);
    if (n < 0)
        return -errno;
    crypto_hash_sha256_final(&st, out);
    vn_hex(hex, out, 32);
    return 0;
}

int cli_backup(int argc, char **argv)
{
    s_args_t a;
    if (s_args(argc, argv, &a, "o") != 0 || a.broker_public)
        return cli_fail(CLI_USAGE, "backup --data DIR --out FILE");
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(a.data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "backup: %s", err);
    /* The copy holds the audit log and the queued envelopes: owner-only, never overwritten. */
    int fd = open(a.file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        vn_store_destroy(&db);
        return cli_fail(CLI_FAIL, "backup: %s: %s", a.file,
                        e == EEXIST ? "exists; a backup is never overwritten" : strerror(e));
    }
    rc = mdb_env_copyfd2(vn_store_env(db), fd, MDB_CP_COMPACT);
    vn_store_destroy(&db);
    char hex[65];
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (rc == 0)
        rc = s_sha256(fd, hex) == 0 ? 0 : EIO;
    struct stat st;
    fstat(fd, &st);
    close(fd);
    if (rc != 0) {
        unlink(a.file);
        return cli_fail(CLI_FAIL, "backup: copying %s failed: %s", a.data, mdb_strerror(rc));
    }
    cli_audit_log_access(a.data, "backup", a.file, NULL);
    printf("backup %s: %lld bytes, sha256 %s\n", a.file, (long long)st.st_size, hex);
    printf("restore with: vangnet restore --in %s --data NEW-DIR --broker-public BROKER.public\n",
           a.file);
    return CLI_OK;
}

/* Copy src into a new file dst (mode 0600) and fsync it and its directory. */
static int s_install(const char *src, const char *dir, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = errno;
        close(in);
        return -e;
    }
    uint8_t buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 || write(out, buf, (size_t)n) != n)
            rc = -EIO;
    }
    if (rc == 0 && fsync(out) != 0)
        rc = -errno;
    close(in);
    close(out);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (rc != 0)
        unlink(dst);
    return rc;
}

int cli_restore(int argc, char **argv)
{
    s_args_t a;
    if (s_args(argc, argv, &a, "i") != 0)
        return cli_fail(CLI_USAGE, "restore --in FILE --data NEW-DIR [--broker-public F]");
    char err[1200], path[1100];
    vn_pubkeys_t broker;
    int rc;
    if (a.broker_public && (rc = vn_pubkeys_load(a.broker_public, &broker, err, sizeof err)) != 0)
        return cli_fail(CLI_USAGE, "restore: %s", err);
    if (mkdir(a.data, 0700) != 0 && errno != EEXIST)
        return cli_fail(CLI_FAIL, "restore: %s: %s", a.data, strerror(errno));
    snprintf(path, sizeof path, "%s/data.mdb", a.data);
    if ((rc = s_install(a.file, a.data, path)) != 0)
        return cli_fail(CLI_FAIL, "restore: %s -> %s: %s", a.file, path,
                        rc == -EEXIST ? "a store is already there; restore into a new directory"
                                      : strerror(-rc));
    vn_store_t *db = vn_brokerdb_open(a.data, 0, 0, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "restore: %s is not a vangnet broker store: %s", a.file, err);
    MDB_txn *txn;
    vn_audit_report_t r = {0};
    if ((rc = vn_store_begin(db, 1, &txn)) == 0) {
        rc = vn_audit_verify(txn, db, a.broker_public ? broker.sign_pk : NULL, &r);
        mdb_txn_abort(txn);
    }
    vn_broker_stats_t st = {0};
    if (rc == 0)
        rc = vn_broker_stats_read(db, &st);
    vn_store_destroy(&db);
    if (rc != 0) {
        fprintf(stderr, "vangnet: restore: the audit log in %s does NOT verify (record %llu: %s); "
                        "do not start a broker on it\n", a.file, (unsigned long long)r.bad_seq,
                r.why ? r.why : vn_strerror(rc));
        return CLI_FAIL;
    }
    uint64_t queued = 0;
    for (size_t i = 0; i < st.n_queues; i++)
        queued += st.queues[i].queued;
    printf("restored %s into %s: audit log intact (%llu records, %llu checkpoints%s), "
           "%zu organisations, %llu deliveries queued\n", a.file, a.data,
           (unsigned long long)r.records, (unsigned long long)r.checkpoints,
           a.broker_public ? ", signatures checked" : "", st.n_orgs,
           (unsigned long long)queued);
    vn_broker_stats_clear(&st);
    return CLI_OK;
}
