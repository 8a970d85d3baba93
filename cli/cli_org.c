/* cli_org.c -- `vangnet org add|list|rotate|revoke --data DIR`: the operator's registry commands.
 * They write the broker's LMDB directly; a running broker picks the change up within a second. */
#include "cli.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_note.h"
#include "vn_registry.h"
#include "vn_util.h"

/* The operator, for the audit record: the login name. */
static const char *s_operator(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

#define DEFAULT_GRACE_SECONDS (7 * 86400)

/* "45s", "30m", "12h", "7d" (a bare number is seconds), at most a year. 0 or -1. */
static int s_duration(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t unit = 1;
    if (end == text || text[0] == '-')
        return -1;
    if (*end == 'm') unit = 60;
    else if (*end == 'h') unit = 3600;
    else if (*end == 'd') unit = 86400;
    else if (*end != 's' && *end != '\0') return -1;
    if (*end && end[1])
        return -1;
    if (v > 366ULL * 86400 / unit)
        return -1;
    *out = v * unit;
    return 0;
}

static vn_store_t *s_open(const char *data, int readonly)
{
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, readonly ? VN_STORE_READONLY : 0, &rc, err,
                                      sizeof err);
    if (!db)
        cli_fail(CLI_FAIL, "%s", err);
    return db;
}

int cli_org(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"grace", required_argument, NULL, 'g'},
                                         {"name", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *display_name = "";
    uint64_t grace = DEFAULT_GRACE_SECONDS;
    int c;
    if (argc < 2)
        return cli_fail(CLI_USAGE, "org: add|list|revoke --data DIR ...");
    const char *verb = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            data = optarg;
        else if (c == 'n' && strcmp(verb, "add") == 0)
            display_name = optarg;
        else if (c == 'g' && strcmp(verb, "rotate") == 0 && s_duration(optarg, &grace) == 0)
            continue;
        else
            return cli_fail(CLI_USAGE, "org %s: bad option%s", verb,
                            c == 'g' ? ": --grace takes 45s, 30m, 12h or 7d (rotate only)" : "");
    }
    if (!data)
        return cli_fail(CLI_USAGE, "org %s: --data DIR is required", verb);
    int rest = argc - optind;

    if (strcmp(verb, "list") == 0 && rest == 0) {
        vn_store_t *db = s_open(data, 1);
        if (!db)
            return CLI_FAIL;
        MDB_txn *txn;
        vn_org_t *orgs = NULL;
        size_t n = 0;
        int rc = vn_store_begin(db, 1, &txn);
        if (rc == 0) {
            rc = vn_registry_load(txn, db, &orgs, &n);
            mdb_txn_abort(txn);
        }
        vn_store_destroy(&db);
        if (rc != 0)
            return cli_fail(CLI_FAIL, "org list: %s", vn_strerror(rc));
        printf("%-32s %-28s %-8s %-16s %s\n", "ORGANISATION", "SECTOR", "STATUS", "FINGERPRINT",
               "WITNESS-VKEY");
        uint64_t now = vn_now();
        for (size_t i = 0; i < n; i++) {
            char fp[17], until[32] = "";
            vn_key_fingerprint(orgs[i].pub.sign_pk, fp);
            if (orgs[i].prev_curve_pk[0] && orgs[i].prev_valid_until >= now) {
                time_t t = (time_t)orgs[i].prev_valid_until;
                strftime(until, sizeof until, " (previous key until %Y-%m-%dT%H:%M:%SZ)",
                         gmtime(&t));
            }
            char vkey[VN_NOTE_VKEY_MAX] = "-", name[VN_NOTE_NAME_MAX + 1];
            snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", orgs[i].pub.org);
            if (vn_note_vkey(name, VN_NOTE_COSIG_V1, orgs[i].pub.sign_pk, vkey) != 0)
                snprintf(vkey, sizeof vkey, "-"); /* a name no witness can have: none shown */
            printf("%-32s %-28s %-8s %-16s %s%s\n", orgs[i].pub.org, orgs[i].pub.sector,
                   orgs[i].revoked ? "revoked" : "active", fp, vkey, until);
        }
        free(orgs);
        return CLI_OK;
    }
    if (strcmp(verb, "add") == 0 && rest == 1) {
        vn_pubkeys_t pub;
        char err[1200];
        if (vn_pubkeys_load(argv[optind], &pub, err, sizeof err) != 0)
            return cli_fail(CLI_FAIL, "org add: %s", err);
        vn_store_t *db = s_open(data, 0);
        if (!db)
            return CLI_FAIL;
        int rc = vn_registry_add_named(db, &pub, display_name, s_operator());
        vn_store_destroy(&db);
        if (rc == VN_E_EXISTS)
            return cli_fail(CLI_FAIL, "org add: %s or its transport key is already registered",
                            pub.org);
        if (rc == VN_E_INVALID && display_name[0] && strcmp(pub.sector, "broker") != 0)
            return cli_fail(CLI_USAGE, "org add: --name is at most %d bytes of printable text",
                            VN_DISPLAY_NAME_MAX);
        if (rc == VN_E_INVALID)
            return cli_fail(CLI_FAIL, "org add: %s is a broker key set, not an organisation",
                            pub.org);
        if (rc != 0)
            return cli_fail(CLI_FAIL, "org add: %s", vn_strerror(rc));
        printf("registered %s (%s)\n", pub.org, pub.sector);
        return CLI_OK;
    }
    if (strcmp(verb, "rotate") == 0 && rest == 1) {
        vn_pubkeys_t pub;
        char err[1200];
        if (vn_pubkeys_load(argv[optind], &pub, err, sizeof err) != 0)
            return cli_fail(CLI_FAIL, "org rotate: %s", err);
        vn_store_t *db = s_open(data, 0);
        if (!db)
            return CLI_FAIL;
        int rc = vn_registry_rotate(db, &pub, grace, s_operator());
        vn_store_destroy(&db);
        if (rc == VN_E_NOT_FOUND)
            return cli_fail(CLI_FAIL, "org rotate: no organisation %s (register it with org add)",
                            pub.org);
        if (rc == VN_E_INVALID)
            return cli_fail(CLI_FAIL, "org rotate: %s is revoked, of another sector, or these are "
                                      "its current keys", pub.org);
        if (rc == VN_E_EXISTS)
            return cli_fail(CLI_FAIL, "org rotate: that transport key is already in use");
        if (rc != 0)
            return cli_fail(CLI_FAIL, "org rotate: %s", vn_strerror(rc));
        char fp[17];
        vn_key_fingerprint(pub.sign_pk, fp);
        printf("rotated %s to key %s; the previous key is accepted for %llu more seconds\n",
               pub.org, fp, (unsigned long long)grace);
        return CLI_OK;
    }
    if (strcmp(verb, "revoke") == 0 && rest == 1) {
        vn_store_t *db = s_open(data, 0);
        if (!db)
            return CLI_FAIL;
        int rc = vn_registry_revoke(db, argv[optind], s_operator());
        vn_store_destroy(&db);
        if (rc == VN_E_NOT_FOUND)
            return cli_fail(CLI_FAIL, "org revoke: no organisation %s", argv[optind]);
        if (rc != 0)
            return cli_fail(CLI_FAIL, "org revoke: %s", vn_strerror(rc));
        printf("revoked %s\n", argv[optind]);
        return CLI_OK;
    }
    return cli_fail(CLI_USAGE, "org: add --data DIR [--name TEXT] FILE.public | list --data DIR | "
                               "rotate --data DIR [--grace 7d] NEW.public | revoke --data DIR ID");
}
