/* cli_audit.c -- `vangnet audit show|verify --data DIR`: read the broker's audit log (read-only). */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

static json_object *s_record_json(const Vn__AuditRecord *r)
{
    char hex[65];
    json_object *o = json_object_new_object(), *to = json_object_new_array(),
                *just = json_object_new_object();
    json_object_object_add(o, "seq", json_object_new_int64((int64_t)r->seq));
    json_object_object_add(o, "time_us", json_object_new_int64((int64_t)r->time_us));
    json_object_object_add(o, "event", json_object_new_string(vn_audit_event_name(r->event)));
    json_object_object_add(o, "actor", json_object_new_string(r->actor_org));
    json_object_object_add(o, "user_id", json_object_new_string(r->user_id));
    json_object_object_add(o, "user_role", json_object_new_string(r->user_role));
    for (size_t i = 0; i < r->n_recipients; i++)
        json_object_array_add(to, json_object_new_string(r->recipients[i]));
    json_object_object_add(o, "recipients", to);
    json_object_object_add(o, "category", json_object_new_string(r->category));
    json_object_object_add(o, "basis", json_object_new_string(r->basis));
    for (size_t i = 0; i < r->n_justification; i++)
        json_object_object_add(just, r->justification[i]->key,
                               json_object_new_string(r->justification[i]->value));
    json_object_object_add(o, "justification", just);
    if (r->subject_pseudonym.len == 32)
        json_object_object_add(o, "subject",
                               json_object_new_string(vn_hex(hex, r->subject_pseudonym.data, 32)));
    if (r->message_id.len == 16)
        json_object_object_add(o, "message_id",
                               json_object_new_string(vn_hex(hex, r->message_id.data, 16)));
    if (r->content_hash.len == 32)
        json_object_object_add(o, "content_hash",
                               json_object_new_string(vn_hex(hex, r->content_hash.data, 32)));
    json_object_object_add(o, "content_size", json_object_new_int64((int64_t)r->content_size));
    json_object_object_add(o, "outcome", json_object_new_string(r->outcome));
    json_object_object_add(o, "reason", json_object_new_string(r->reason));
    return o;
}

int cli_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL;
    int json = 0, c;
    if (argc < 2)
        return cli_fail(CLI_USAGE, "audit: show|verify --data DIR");
    const char *verb = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') data = optarg;
        else if (c == 'j') json = 1;
        else return CLI_USAGE;
    }
    if (!data || optind != argc || (strcmp(verb, "show") != 0 && strcmp(verb, "verify") != 0))
        return cli_fail(CLI_USAGE, "audit: show [--json] --data DIR | verify --data DIR");

    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "audit: %s", err);
    MDB_txn *txn;
    if ((rc = vn_store_begin(db, 1, &txn)) != 0) {
        vn_store_destroy(&db);
        return cli_fail(CLI_FAIL, "audit: %s", vn_strerror(rc));
    }
    int result = CLI_OK;
    if (strcmp(verb, "verify") == 0) {
        uint64_t n, bad;
        const char *why;
        rc = vn_audit_verify(txn, vn_store_dbi(db, BDB_AUDIT), vn_store_dbi(db, BDB_META), &n,
                             &bad, &why);
        if (rc == 0) {
            printf("audit log intact: %llu records, hash chain verified\n", (unsigned long long)n);
        } else {
            printf("audit log BROKEN at record %llu: %s\n", (unsigned long long)bad,
                   why ? why : vn_strerror(rc));
            result = CLI_FAIL;
        }
    } else {
        MDB_cursor *cur;
        MDB_val k, v;
        mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur);
        for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
            if (!r) {
                fprintf(stderr, "vangnet: audit: record %llu does not decode\n",
                        (unsigned long long)(k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0));
                result = CLI_FAIL;
                continue;
            }
            if (json) {
                json_object *o = s_record_json(r);
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
            } else {
                vn_audit_print(stdout, r);
            }
            vn__audit_record__free_unpacked(r, NULL);
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    vn_store_destroy(&db);
    return result;
}
