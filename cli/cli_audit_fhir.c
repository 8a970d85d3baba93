/* cli_audit_fhir.c -- `vangnet audit export --format fhir`: the audit log as FHIR R4 AuditEvent
 * resources, one per line (ndjson), mapped from NEN 7513 the way Dutch FHIR guides do (event code
 * and action, date and time, user with id, role and organisation, the client as an entity
 * identified by pseudonym, the message, outcome, audit source), so a hospital's or a
 * municipality's log tooling can take vangnet's log as it takes its own. */
#include "cli.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_merkle.h"
#include "vn_util.h"

#define DCM "http://dicom.nema.org/resources/ontology/DCM"
#define VN_SYSTEM "https://vangnet.example/fhir"
#define ENTITY_TYPE "http://terminology.hl7.org/CodeSystem/audit-entity-type"
#define OBJECT_ROLE "http://terminology.hl7.org/CodeSystem/object-role"

/* NEN 7513 "gebeurteniscode" (DICOM audit event id) and "actiecode" per vangnet event. */
typedef struct {
    const char *code, *display, *action;
} s_event_t;

static s_event_t s_event(Vn__AuditRecord__Event e)
{
    switch (e) {
    case VN__AUDIT_RECORD__EVENT__ACCEPTED:
    case VN__AUDIT_RECORD__EVENT__REFUSED:
    case VN__AUDIT_RECORD__EVENT__WITHHELD:
    case VN__AUDIT_RECORD__EVENT__EXPIRED:
        return (s_event_t){"110106", "Export", "R"};     /* disclosure by the sender */
    case VN__AUDIT_RECORD__EVENT__DELIVERED:
        return (s_event_t){"110107", "Import", "C"};     /* received by a recipient */
    case VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED:
        return (s_event_t){"110110", "Patient Record", "C"};
    case VN__AUDIT_RECORD__EVENT__CONSENT_WITHDRAWN:
        return (s_event_t){"110110", "Patient Record", "D"};
    case VN__AUDIT_RECORD__EVENT__ORG_ADDED:
        return (s_event_t){"110137", "User Security Attributes Changed", "C"};
    case VN__AUDIT_RECORD__EVENT__ORG_KEY_ROTATED:
        return (s_event_t){"110137", "User Security Attributes Changed", "U"};
    case VN__AUDIT_RECORD__EVENT__ORG_REVOKED:
        return (s_event_t){"110137", "User Security Attributes Changed", "D"};
    case VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED:
        return (s_event_t){"110101", "Audit Log Used", "R"};
    default:
        return (s_event_t){"110100", "Application Activity", "E"};
    }
}

static json_object *s_coding(const char *system, const char *code, const char *display)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "system", json_object_new_string(system));
    json_object_object_add(c, "code", json_object_new_string(code));
    if (display)
        json_object_object_add(c, "display", json_object_new_string(display));
    return c;
}

/* A Reference by identifier only: vangnet has no FHIR server to point at. */
static json_object *s_ref(const char *system, const char *value, const char *display)
{
    json_object *r = json_object_new_object(), *id = json_object_new_object();
    json_object_object_add(id, "system", json_object_new_string(system));
    json_object_object_add(id, "value", json_object_new_string(value));
    json_object_object_add(r, "identifier", id);
    if (display)
        json_object_object_add(r, "display", json_object_new_string(display));
    return r;
}

static json_object *s_detail(const char *type, const char *value)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "type", json_object_new_string(type));
    json_object_object_add(d, "valueString", json_object_new_string(value));
    return d;
}

/* An organisation as an agent: DICOM role "Source Role ID" (the actor) or "Destination Role ID". */
static json_object *s_org_agent(const char *org, int source, int requestor)
{
    json_object *a = json_object_new_object(), *type = json_object_new_object(),
                *codings = json_object_new_array();
    json_object_array_add(codings, s_coding(DCM, source ? "110153" : "110152",
                                            source ? "Source Role ID" : "Destination Role ID"));
    json_object_object_add(type, "coding", codings);
    json_object_object_add(a, "type", type);
    json_object_object_add(a, "who", s_ref(VN_SYSTEM "/NamingSystem/organisation-id", org, NULL));
    json_object_object_add(a, "requestor", json_object_new_boolean(requestor));
    return a;
}

/* One record as an AuditEvent; leaf: its Merkle leaf hash (hex), tying it to the signed log. */
static json_object *s_audit_event(const Vn__AuditRecord *r, const char *leaf)
{
    char id[40], when[48], hex[65];
    json_object *o = json_object_new_object();
    s_event_t ev = s_event(r->event);
    snprintf(id, sizeof id, "vangnet-%llu", (unsigned long long)r->seq);
    json_object_object_add(o, "resourceType", json_object_new_string("AuditEvent"));
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "type", s_coding(DCM, ev.code, ev.display));
    json_object *sub = json_object_new_array();
    json_object_array_add(sub, s_coding(VN_SYSTEM "/CodeSystem/audit-event",
                                        vn_audit_event_name(r->event), NULL));
    json_object_object_add(o, "subtype", sub);
    json_object_object_add(o, "action", json_object_new_string(ev.action));
    time_t secs = (time_t)(r->time_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%06uZ", (unsigned)(r->time_us % 1000000u));
    json_object_object_add(o, "recorded", json_object_new_string(when));
    /* Outcome: 0 success, 4 minor failure (a refusal: the law said no, the system worked). */
    int ok = r->pruned || r->outcome[0] == 0 || strcmp(r->outcome, "ok") == 0;
    json_object_object_add(o, "outcome", json_object_new_string(ok ? "0" : "4"));
    if (!ok || r->reason[0]) {
        char *desc = vn_strdup_printf("%s%s%s", r->outcome, r->reason[0] ? ": " : "", r->reason);
        if (desc)
            json_object_object_add(o, "outcomeDesc", json_object_new_string(desc));
        free(desc);
    }
    if (r->basis[0]) {
        json_object *purpose = json_object_new_array(), *cc = json_object_new_object(),
                    *codings = json_object_new_array();
        json_object_array_add(codings, s_coding(VN_SYSTEM "/CodeSystem/legal-basis", r->basis, NULL));
        json_object_object_add(cc, "coding", codings);
        json_object_array_add(purpose, cc);
        json_object_object_add(o, "purposeOfEvent", purpose);
    }
    /* Agents: the professional (user id and role, requestor), their organisation, recipients. */
    json_object *agents = json_object_new_array();
    if (r->user_id[0]) {
        json_object *a = json_object_new_object();
        if (r->user_role[0]) {
            json_object *roles = json_object_new_array(), *role = json_object_new_object();
            json_object_object_add(role, "text", json_object_new_string(r->user_role));
            json_object_array_add(roles, role);
            json_object_object_add(a, "role", roles);
        }
        json_object_object_add(a, "who", s_ref(VN_SYSTEM "/NamingSystem/user-id", r->user_id,
                                               r->actor_org[0] ? r->actor_org : NULL));
        json_object_object_add(a, "requestor", json_object_new_boolean(1));
        json_object_array_add(agents, a);
    }
    json_object_array_add(agents, s_org_agent(r->actor_org[0] ? r->actor_org : "unknown", 1,
                                              r->user_id[0] == 0));
    for (size_t i = 0; i < r->n_recipients; i++)
        json_object_array_add(agents, s_org_agent(r->recipients[i], 0, 0));
    json_object_object_add(o, "agent", agents);
    json_object *src = json_object_new_object(), *stypes = json_object_new_array();
    json_object_object_add(src, "site", json_object_new_string("vangnet"));
    json_object_object_add(src, "observer", s_ref(VN_SYSTEM "/NamingSystem/broker-id",
                                                  r->source[0] ? r->source : "unknown", NULL));
    json_object_array_add(stypes, s_coding("http://terminology.hl7.org/CodeSystem/security-source-type",
                                           "4", "Application Server"));
    json_object_object_add(src, "type", stypes);
    json_object_object_add(o, "source", src);
    /* Entities: the client by pseudonym (never a BSN), the message, and the record itself. */
    json_object *entities = json_object_new_array();
    if (r->subject_pseudonym.len == 32) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "what", s_ref(VN_SYSTEM "/NamingSystem/subject-pseudonym",
                                                vn_hex(hex, r->subject_pseudonym.data, 32), NULL));
        json_object_object_add(e, "type", s_coding(ENTITY_TYPE, "1", "Person"));
        json_object_object_add(e, "role", s_coding(OBJECT_ROLE, "1", "Patient"));
        json_object_array_add(entities, e);
    }
    if (r->message_id.len == VN_MSGID_BYTES) {
        json_object *e = json_object_new_object(), *details = json_object_new_array();
        json_object_object_add(e, "what", s_ref(VN_SYSTEM "/NamingSystem/message-id",
                                                vn_hex(hex, r->message_id.data,
                                                       VN_MSGID_BYTES), NULL));
        json_object_object_add(e, "type", s_coding(ENTITY_TYPE, "2", "System Object"));
        json_object_object_add(e, "role", s_coding(OBJECT_ROLE, "3", "Report"));
        if (r->category[0])
            json_object_array_add(details, s_detail("category", r->category));
        if (r->content_hash.len == 32)
            json_object_array_add(details,
                                  s_detail("content-hash", vn_hex(hex, r->content_hash.data, 32)));
        for (size_t i = 0; i < r->n_justification; i++)
            json_object_array_add(details, s_detail(r->justification[i]->key,
                                                    r->justification[i]->value));
        json_object_object_add(e, "detail", details);
        json_object_array_add(entities, e);
    } else if (r->n_justification) {
        json_object *e = json_object_new_object(), *details = json_object_new_array();
        json_object_object_add(e, "type", s_coding(ENTITY_TYPE, "2", "System Object"));
        for (size_t i = 0; i < r->n_justification; i++)
            json_object_array_add(details, s_detail(r->justification[i]->key,
                                                    r->justification[i]->value));
        json_object_object_add(e, "detail", details);
        json_object_array_add(entities, e);
    }
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)r->seq);
    json_object *rec = json_object_new_object(), *rd = json_object_new_array();
    json_object_object_add(rec, "what", s_ref(VN_SYSTEM "/NamingSystem/audit-seq", seq, NULL));
    json_object_object_add(rec, "type", s_coding(ENTITY_TYPE, "2", "System Object"));
    json_object_object_add(rec, "role", s_coding(OBJECT_ROLE, "13", "Security Resource"));
    json_object_array_add(rd, s_detail("merkle-leaf-hash", leaf));
    if (r->pruned)
        json_object_array_add(rd, s_detail("pruned", "detail removed after the retention period"));
    json_object_object_add(rec, "detail", rd);
    json_object_array_add(entities, rec);
    json_object_object_add(o, "entity", entities);
    return o;
}

int cli_audit_export(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"out", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *format = NULL, *out = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'F': format = optarg; break;
        case 'o': out = optarg; break;
        default: return CLI_USAGE;
        }
    }
    if (!data || !format || optind != argc)
        return cli_fail(CLI_USAGE, "audit export --format fhir --data DIR [--out FILE.ndjson]");
    if (strcmp(format, "fhir") != 0)
        return cli_fail(CLI_USAGE, "audit export: --format fhir is the only export format "
                                   "(FHIR R4 AuditEvent, ndjson); got '%s'", format);
    char err[1200];
    int rc;
    vn_store_t *db = vn_brokerdb_open(data, 0, VN_STORE_READONLY, &rc, err, sizeof err);
    if (!db)
        return cli_fail(CLI_FAIL, "audit export: %s", err);
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        vn_store_destroy(&db);
        return cli_fail(CLI_FAIL, "audit export: cannot write %s", out);
    }
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int result = CLI_OK;
    unsigned long long n = 0;
    if (vn_store_begin(db, 1, &txn) != 0 ||
        mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur) != 0) {
        if (txn)
            mdb_txn_abort(txn);
        result = cli_fail(CLI_FAIL, "audit export: cannot read the audit log");
        goto done;
    }
    MDB_val k, v;
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        if (!r) {
            result = cli_fail(CLI_FAIL, "audit export: record %llu does not decode",
                              (unsigned long long)(k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0));
            break;
        }
        uint8_t leaf[VN_HASH];
        char hex[65];
        vn_merkle_leaf_hash(v.mv_data, v.mv_size, leaf);
        json_object *o = s_audit_event(r, vn_hex(hex, leaf, VN_HASH));
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        vn__audit_record__free_unpacked(r, NULL);
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
done:
    if (out && fclose(f) != 0 && result == CLI_OK)
        result = cli_fail(CLI_FAIL, "audit export: writing %s failed", out);
    else if (!out)
        fflush(stdout);
    vn_store_destroy(&db);
    if (result == CLI_OK) {
        if (out)
            fprintf(stderr, "exported %llu AuditEvent resources (FHIR R4) to %s\n", n, out);
        cli_audit_log_access(data, "export", "format=fhir", NULL);
    }
    return result;
}
