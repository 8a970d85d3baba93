/* cli_broker.c -- `vangnet broker status --data DIR [--json]`: broker health for operators, read
 * from the store without touching the running broker; exit 1 when an alert fires (for monitoring). */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_registry.h"
#include "vn_util.h"

#define MAP_ALERT_PERCENT 80
#define QUEUE_ALERT_HOURS 24

typedef struct {
    char org[VN_ORG_MAX + 1];
    uint64_t queued, oldest_seq;
} s_queue_t;

int cli_broker(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL;
    int json = 0, c;
    optind = 2;
    while (argc >= 2 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') data = optarg;
        else if (c == 'j') json = 1;
        else return CLI_USAGE;
    }
    if (argc < 2 || strcmp(argv[1], "status") != 0 || !data || optind != argc)
        return cli_fail(CLI_USAGE, "broker status --data DIR [--json]");
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "broker status: %s", err);
    MDB_txn *txn;
    if ((rc = vn_store_begin(db, 1, &txn)) != 0) {
        vn_store_destroy(&db);
        return cli_fail(CLI_FAIL, "broker status: %s", vn_strerror(rc));
    }
    /* The log and its newest checkpoint. */
    uint64_t records = 0, cp_size = 0, cp_time = 0;
    vn_audit_size(txn, db, &records);
    uint8_t *cpbuf = NULL;
    size_t cplen;
    Vn__Checkpoint *cp = NULL;
    if (vn_audit_latest_checkpoint(txn, db, &cpbuf, &cplen) == 0 &&
        vn_checkpoint_open(cpbuf, cplen, NULL, &cp) == 0) {
        cp_size = cp->size;
        cp_time = cp->time;
        vn__checkpoint__free_unpacked(cp, NULL);
    }
    free(cpbuf);
    /* Organisations. */
    vn_org_t *orgs = NULL;
    size_t n_orgs = 0, revoked = 0;
    vn_registry_load(txn, db, &orgs, &n_orgs);
    for (size_t i = 0; i < n_orgs; i++)
        revoked += orgs[i].revoked;
    /* Queue depth per recipient, and the oldest waiting delivery (its ACCEPTED record's time). */
    s_queue_t *queues = calloc(n_orgs + 1, sizeof *queues);
    size_t n_queues = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    mdb_cursor_open(txn, vn_store_dbi(db, BDB_QUEUE), &cur);
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && queues;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t olen = strnlen(k.mv_data, k.mv_size);
        if (olen > VN_ORG_MAX || olen + 9 != k.mv_size)
            continue;
        if (!n_queues || strncmp(queues[n_queues - 1].org, k.mv_data, olen) != 0 ||
            queues[n_queues - 1].org[olen]) {
            if (n_queues == n_orgs + 1)
                break;
            memcpy(queues[n_queues].org, k.mv_data, olen);
            n_queues++;
        }
        s_queue_t *q = &queues[n_queues - 1];
        q->queued++;
        const uint8_t *val = v.mv_data;
        if (v.mv_size == 9 && val[0] == 'D' && !q->oldest_seq)
            q->oldest_seq = vn_get_be64(val + 1);
    }
    mdb_cursor_close(cur);
    MDB_stat envs;
    mdb_stat(txn, vn_store_dbi(db, BDB_ENVELOPES), &envs);
    MDB_envinfo info;
    MDB_stat env_stat;
    mdb_env_info(vn_store_env(db), &info);
    mdb_env_stat(vn_store_env(db), &env_stat);
    double map_used = 100.0 * (double)(info.me_last_pgno + 1) * env_stat.ms_psize /
                      (double)info.me_mapsize;

    /* Alerts: what an operator must act on. */
    json_object *alerts = json_object_new_array();
    uint64_t now = vn_now();
    char line[256];
    if (map_used >= MAP_ALERT_PERCENT) {
        snprintf(line, sizeof line, "store %.0f%% full: raise map_size_mb before submissions are refused", map_used);
        json_object_array_add(alerts, json_object_new_string(line));
    }
    if (records > cp_size && (cp_time == 0 || now > cp_time + 60)) {
        snprintf(line, sizeof line, "%llu audit records not covered by a signed checkpoint for over a "
                                    "minute: is the broker running?",
                 (unsigned long long)(records - cp_size));
        json_object_array_add(alerts, json_object_new_string(line));
    }
    json_object *qs = json_object_new_array();
    for (size_t i = 0; i < n_queues; i++) {
        uint64_t age = 0;
        if (queues[i].oldest_seq) {
            uint8_t key[8];
            vn_put_be64(key, queues[i].oldest_seq);
            MDB_val ak = {8, key}, av;
            Vn__AuditRecord *r = mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &ak, &av) == 0
                                     ? vn__audit_record__unpack(NULL, av.mv_size, av.mv_data)
                                     : NULL;
            if (r) {
                age = now > r->time_us / 1000000u ? now - r->time_us / 1000000u : 0;
                vn__audit_record__free_unpacked(r, NULL);
            }
        }
        json_object *q = json_object_new_object();
        json_object_object_add(q, "recipient", json_object_new_string(queues[i].org));
        json_object_object_add(q, "queued", json_object_new_int64((int64_t)queues[i].queued));
        json_object_object_add(q, "oldest_seconds", json_object_new_int64((int64_t)age));
        json_object_array_add(qs, q);
        if (age > QUEUE_ALERT_HOURS * 3600u) {
            snprintf(line, sizeof line, "%s has had deliveries waiting for %llu hours: is its agent down?",
                     queues[i].org, (unsigned long long)(age / 3600));
            json_object_array_add(alerts, json_object_new_string(line));
        }
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "audit_records", json_object_new_int64((int64_t)records));
    json_object_object_add(o, "checkpoint_size", json_object_new_int64((int64_t)cp_size));
    json_object_object_add(o, "checkpoint_age_seconds",
                           json_object_new_int64(cp_time ? (int64_t)(now - cp_time) : -1));
    json_object_object_add(o, "organisations", json_object_new_int64((int64_t)n_orgs));
    json_object_object_add(o, "revoked", json_object_new_int64((int64_t)revoked));
    json_object_object_add(o, "stored_envelopes", json_object_new_int64((int64_t)envs.ms_entries));
    json_object_object_add(o, "store_used_percent", json_object_new_double(map_used));
    json_object_object_add(o, "queues", qs);
    size_t n_alerts = json_object_array_length(alerts);
    json_object_object_add(o, "alerts", alerts);
    if (json) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
    } else {
        printf("audit log:     %llu records, signed checkpoint at %llu (%s)\n",
               (unsigned long long)records, (unsigned long long)cp_size,
               cp_time ? "signed" : "none yet");
        printf("organisations: %zu registered, %zu revoked\n", n_orgs, revoked);
        printf("store:         %.1f%% of the map used, %llu envelopes held\n", map_used,
               (unsigned long long)envs.ms_entries);
        for (size_t i = 0; i < json_object_array_length(qs); i++) {
            json_object *q = json_object_array_get_idx(qs, i), *f;
            json_object_object_get_ex(q, "recipient", &f);
            const char *who = json_object_get_string(f);
            json_object_object_get_ex(q, "queued", &f);
            int64_t n = json_object_get_int64(f);
            json_object_object_get_ex(q, "oldest_seconds", &f);
            printf("queue:         %-30s %lld waiting, oldest %llds\n", who, (long long)n,
                   (long long)json_object_get_int64(f));
        }
        for (size_t i = 0; i < n_alerts; i++)
            printf("ALERT:         %s\n", json_object_get_string(json_object_array_get_idx(alerts, i)));
        if (!n_alerts)
            puts("alerts:        none");
    }
    json_object_put(o);
    free(queues);
    free(orgs);
    mdb_txn_abort(txn);
    vn_store_destroy(&db);
    return n_alerts ? CLI_FAIL : CLI_OK;
}
