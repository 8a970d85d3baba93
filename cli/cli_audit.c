/* cli_audit.c -- `vangnet audit show|verify --data DIR`: read the broker's audit log (read-only). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_util.h"
#include "vn_merkle.h"
#include "vn_keys.h"
#include <stdlib.h>

json_object *cli_audit_json(const Vn__AuditRecord *r)
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
    json_object_object_add(o, "api_caller", json_object_new_string(r->api_caller));
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
    if (r->subject_pseudonym_version)
        json_object_object_add(o, "subject_pseudonym_version",
                               json_object_new_int((int)r->subject_pseudonym_version));
    if (r->message_id.len == VN_MSGID_BYTES)
        json_object_object_add(o, "message_id",
                               json_object_new_string(vn_hex(hex, r->message_id.data,
                                                             VN_MSGID_BYTES)));
    if (r->content_hash.len == 32)
        json_object_object_add(o, "content_hash",
                               json_object_new_string(vn_hex(hex, r->content_hash.data, 32)));
    json_object_object_add(o, "content_size", json_object_new_int64((int64_t)r->content_size));
    json_object_object_add(o, "outcome", json_object_new_string(r->outcome));
    json_object_object_add(o, "reason", json_object_new_string(r->reason));
    return o;
}

/* Print hex of any length on one line. */
static void s_print_hex(const char *label, const uint8_t *bin, size_t len)
{
    printf("%s: ", label);
    for (size_t i = 0; i < len; i++)
        printf("%02x", bin[i]);
    putchar('\n');
}

/* Print an inclusion proof for record seq, or a consistency proof from..to, against the signed
 * checkpoint of size to (default: the newest), in a form a third party can check (docs/audit.md). */
static int s_proof(MDB_txn *txn, vn_store_t *db, int inclusion, uint64_t seq, uint64_t from,
                   uint64_t to)
{
    uint8_t *cpbuf = NULL, (*proof)[VN_HASH] = malloc(VN_MERKLE_MAX_PROOF * VN_HASH), root[VN_HASH];
    size_t cplen = 0, len = 0;
    char hex[2 * VN_HASH + 1];
    vn_checkpoint_t cp;
    uint64_t nearest[2];
    int result = CLI_FAIL, rc;
    if (!proof)
        goto done;
    if ((rc = vn_audit_checkpoint_at(txn, db, to, &cpbuf, &cplen, NULL, nearest)) != 0) {
        if (rc == VN_E_NOT_FOUND && to)
            result = cli_fail(CLI_USAGE, "audit: no checkpoint was signed at size %llu (nearest "
                              "signed sizes: %llu and %llu; 0 = none)", (unsigned long long)to,
                              (unsigned long long)nearest[0], (unsigned long long)nearest[1]);
        else
            cli_fail(CLI_FAIL, "audit: no signed checkpoint yet");
        goto done;
    }
    if (vn_checkpoint_open(cpbuf, cplen, NULL, NULL, &cp) != 0) {
        cli_fail(CLI_FAIL, "audit: the checkpoint of size %llu is damaged", (unsigned long long)to);
        goto done;
    }
    uint64_t size = cp.size;
    vn_audit_tree_t tree = {txn, db};
    if (inclusion ? seq > size : from > size) {
        cli_fail(CLI_USAGE, "audit: %s %llu is beyond the checkpoint (size %llu)",
                 inclusion ? "record" : "size", (unsigned long long)(inclusion ? seq : from),
                 (unsigned long long)size);
        result = CLI_USAGE;
        goto done;
    }
    rc = inclusion ? vn_merkle_inclusion(vn_audit_node, &tree, seq - 1, size, proof, &len)
                   : vn_merkle_consistency(vn_audit_node, &tree, from, size, proof, &len);
    if (rc == 0)
        rc = vn_merkle_root(vn_audit_node, &tree, size, root);
    if (rc != 0) {
        cli_fail(CLI_FAIL, "audit: %s", vn_strerror(rc));
        goto done;
    }
    if (memcmp(root, cp.root, VN_HASH) != 0) {
        cli_fail(CLI_FAIL, "audit: the stored tree no longer gives the signed root of size %llu "
                 "(run audit verify)", (unsigned long long)size);
        goto done;
    }
    printf("tree_size: %llu\nroot: %s\n", (unsigned long long)size, vn_hex(hex, root, VN_HASH));
    if (inclusion) {
        uint8_t key[8], leaf[VN_HASH];
        vn_put_be64(key, seq);
        MDB_val k = {8, key}, v;
        if (mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v) != 0) {
            cli_fail(CLI_FAIL, "audit: no record %llu", (unsigned long long)seq);
            goto done;
        }
        vn_merkle_leaf_hash(v.mv_data, v.mv_size, leaf);
        printf("leaf_index: %llu\nleaf_hash: %s\n", (unsigned long long)(seq - 1),
               vn_hex(hex, leaf, VN_HASH));
        s_print_hex("record", v.mv_data, v.mv_size);
        if (!vn_merkle_verify_inclusion(leaf, seq - 1, size, proof, len, root)) {
            cli_fail(CLI_FAIL, "audit: the proof does not verify against the stored tree");
            goto done;
        }
    } else {
        uint8_t old_root[VN_HASH];
        if (vn_merkle_root(vn_audit_node, &tree, from, old_root) != 0 ||
            !vn_merkle_verify_consistency(from, size, old_root, root, proof, len)) {
            cli_fail(CLI_FAIL, "audit: the proof does not verify against the stored tree");
            goto done;
        }
        printf("from_size: %llu\nfrom_root: %s\n", (unsigned long long)from,
               vn_hex(hex, old_root, VN_HASH));
    }
    printf("proof:");
    for (size_t i = 0; i < len; i++)
        printf(" %s", vn_hex(hex, proof[i], VN_HASH));
    putchar('\n');
    s_print_hex("checkpoint", cpbuf, cplen);
    result = CLI_OK;
done:
    free(cpbuf);
    free(proof);
    return result;
}

void cli_audit_log_access(const char *data, const char *command, const char *filter,
                          const uint8_t *subject);

/* Retention: prune the detail of records older than --before and older than keep_years. */
static int s_prune(const char *data, const char *before, long keep_years, int below_minimum)
{
    uint64_t before_s;
    if (!data || vn_date_parse(before, &before_s) != 0)
        return cli_fail(CLI_USAGE, "audit prune --data DIR --before YYYY-MM-DD [--keep-years N]");
    if (keep_years < 5 && !below_minimum)
        return cli_fail(CLI_USAGE, "audit prune: NEN 7513 asks to keep audit records at least 5 "
                                   "years; --keep-years %ld needs --below-legal-minimum", keep_years);
    uint64_t cutoff = before_s * 1000000u;
    uint64_t limit = vn_now_us() - (uint64_t)keep_years * 365 * 86400 * 1000000u;
    if (cutoff > limit)
        cutoff = limit; /* never younger than the retention period */
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, 0, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "audit prune: %s", err);
    MDB_txn *txn;
    uint64_t pruned = 0;
    if ((rc = vn_store_begin(db, 0, &txn)) == 0) {
        rc = vn_audit_prune(txn, db, cutoff, &pruned);
        rc = rc == 0 ? vn_store_commit(txn) : (mdb_txn_abort(txn), rc);
    }
    vn_store_destroy(&db);
    if (rc != 0)
        return cli_fail(CLI_FAIL, "audit prune: %s", vn_strerror(rc));
    char when[32], filter[96];
    time_t t = (time_t)(cutoff / 1000000u);
    strftime(when, sizeof when, "%Y-%m-%d", gmtime(&t));
    printf("pruned the detail of %llu records older than %s; their leaves stay in the tree\n",
           (unsigned long long)pruned, when);
    snprintf(filter, sizeof filter, "before=%s pruned=%llu", when, (unsigned long long)pruned);
    cli_audit_log_access(data, "prune", filter, NULL);
    return CLI_OK;
}

void cli_audit_log_access(const char *data, const char *command, const char *filter,
                          const uint8_t *subject)
{
    char err[1200], who[64];
    int rc;
    struct passwd *pw = getpwuid(getuid());
    snprintf(who, sizeof who, "%s", pw ? pw->pw_name : "unknown");
    vn_store_t *db = vn_brokerdb_open(data, 0, 0, &rc, err, sizeof err);
    MDB_txn *txn;
    if (!db || vn_store_begin(db, 0, &txn) != 0) {
        fprintf(stderr, "vangnet: warning: this access to the audit log could not be logged: %s\n",
                db ? "store not writable" : err);
        vn_store_destroy(&db);
        return;
    }
    Vn__AuditJustification j[2] = {VN__AUDIT_JUSTIFICATION__INIT, VN__AUDIT_JUSTIFICATION__INIT};
    Vn__AuditJustification *jp[2] = {&j[0], &j[1]};
    j[0].key = "command";
    j[0].value = (char *)command;
    j[1].key = "filter";
    j[1].value = (char *)(filter && filter[0] ? filter : "-");
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED;
    rec.actor_org = "audit-reader";
    rec.user_id = who;
    rec.user_role = strcmp(command, "backup") == 0 ? "operator" : "privacy-officer";
    rec.n_justification = 2;
    rec.justification = jp;
    if (subject)
        rec.subject_pseudonym = (ProtobufCBinaryData){32, (uint8_t *)subject};
    rec.outcome = "ok";
    rec.source = "vangnet-cli";
    rc = vn_audit_append(txn, db, &rec, NULL, NULL);
    rc = rc == 0 ? vn_store_commit(txn) : (mdb_txn_abort(txn), rc);
    if (rc != 0)
        fprintf(stderr, "vangnet: warning: this access to the audit log could not be logged: %s\n",
                vn_strerror(rc));
    vn_store_destroy(&db);
}

int cli_audit(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "query") == 0 || strcmp(argv[1], "subject") == 0 ||
                      strcmp(argv[1], "review") == 0))
        return cli_audit_report(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return cli_audit_export(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "mine") == 0)
        return cli_audit_mine(argc, argv);
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"broker-public", required_argument, NULL, 'b'},
                                         {"seq", required_argument, NULL, 's'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"before", required_argument, NULL, 'B'},
                                         {"keep-years", required_argument, NULL, 'y'},
                                         {"below-legal-minimum", no_argument, NULL, 'L'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *broker_pub = NULL, *before = NULL;
    int json = 0, c, below_minimum = 0;
    long keep_years = 5;
    uint64_t seq = 0, from = 0, to = 0;
    char *end;
    if (argc < 2)
        return cli_fail(CLI_USAGE, "audit: show|verify|prove|consistency --data DIR");
    const char *verb = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'j': json = 1; break;
        case 'b': broker_pub = optarg; break;
        case 'B': before = optarg; break;
        case 'L': below_minimum = 1; break;
        case 'y':
            keep_years = strtol(optarg, &end, 10);
            if (*end || keep_years < 0 || keep_years > 100)
                return cli_fail(CLI_USAGE, "audit prune: --keep-years takes 0 to 100");
            break;
        case 's': case 'f': case 't': {
            unsigned long long n = strtoull(optarg, &end, 10);
            if (*end || n == 0)
                return cli_fail(CLI_USAGE, "audit: --seq, --from and --to take a number >= 1");
            *(c == 's' ? &seq : c == 'f' ? &from : &to) = n;
            break;
        }
        default: return CLI_USAGE;
        }
    }
    if (strcmp(verb, "prune") == 0)
        return s_prune(data, before, keep_years, below_minimum);
    int known = strcmp(verb, "show") == 0 || strcmp(verb, "verify") == 0 ||
                (strcmp(verb, "prove") == 0 && seq) || (strcmp(verb, "consistency") == 0 && from);
    if (!data || optind != argc || !known)
        return cli_fail(CLI_USAGE, "audit: show [--json] --data DIR | verify --data DIR "
                                   "[--broker-public FILE] | prove --seq N --data DIR | "
                                   "consistency --from SIZE [--to SIZE] --data DIR");
    vn_pubkeys_t broker;
    char kerr[1200];
    if (broker_pub && vn_pubkeys_load(broker_pub, &broker, kerr, sizeof kerr) != 0)
        return cli_fail(CLI_USAGE, "audit: %s", kerr);

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
        vn_audit_report_t r;
        rc = vn_audit_verify(txn, db, broker_pub ? broker.sign_pk : NULL, &r);
        char root[65];
        if (rc == 0) {
            printf("audit log intact: %llu records (%llu pruned); hash chain and Merkle tree "
                   "recomputed; %llu checkpoints match%s\n", (unsigned long long)r.records,
                   (unsigned long long)r.pruned, (unsigned long long)r.checkpoints,
                   broker_pub ? " and carry the broker's signature" : " (signatures not checked: "
                                                                      "give --broker-public)");
            if (r.checkpoints)
                printf("latest checkpoint: size %llu, root %s\n",
                       (unsigned long long)r.latest_size, vn_hex(root, r.latest_root, 32));
        } else {
            printf("audit log BROKEN at record %llu: %s\n", (unsigned long long)r.bad_seq,
                   r.why ? r.why : vn_strerror(rc));
            result = CLI_FAIL;
        }
    } else if (strcmp(verb, "prove") == 0 || strcmp(verb, "consistency") == 0) {
        result = s_proof(txn, db, verb[0] == 'p', seq, from, to);
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
                json_object *o = cli_audit_json(r);
                /* The stored bytes themselves: what the leaf hash and the chain are taken over. */
                char *bytes = malloc(2 * v.mv_size + 1);
                if (bytes) {
                    json_object_object_add(o, "record", json_object_new_string(
                                                            vn_hex(bytes, v.mv_data, v.mv_size)));
                    free(bytes);
                }
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
    char filter[64] = "";
    if (seq || from)
        snprintf(filter, sizeof filter, "%s=%llu", seq ? "seq" : "from",
                 (unsigned long long)(seq ? seq : from));
    cli_audit_log_access(data, verb, filter, NULL); /* after reading: verify sees the log as found */
    return result;
}
