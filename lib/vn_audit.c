/* vn_audit.c -- appending and verifying the hash chain; each record holds the previous one's hash. */
#include "vn_audit.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEAD_KEY "audit_head"

static int s_head(MDB_txn *txn, MDB_dbi meta, uint64_t *seq, uint8_t hash[32])
{
    MDB_val k = {strlen(HEAD_KEY), HEAD_KEY}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        memset(hash, 0, 32);
        return 0;
    }
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size != 40)
        return VN_E_CHAIN;
    *seq = vn_get_be64(v.mv_data);
    memcpy(hash, (uint8_t *)v.mv_data + 8, 32);
    return 0;
}

int vn_audit_append(MDB_txn *txn, MDB_dbi audit, MDB_dbi meta, Vn__AuditRecord *rec,
                    uint64_t *seq_out, uint8_t hash_out[32])
{
    uint64_t seq;
    uint8_t prev[32], hash[32], key[8], head[40];
    int rc = s_head(txn, meta, &seq, prev);
    if (rc != 0)
        return rc;
    rec->version = VN_AUDIT_VERSION;
    rec->seq = ++seq;
    if (!rec->time_us)
        rec->time_us = vn_now_us();
    rec->prev_hash = (ProtobufCBinaryData){32, prev};
    size_t len = vn__audit_record__get_packed_size(rec);
    uint8_t *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    vn__audit_record__pack(rec, buf);
    crypto_hash_sha256(hash, buf, len);
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v = {len, buf};
    rc = vn_store_error(mdb_put(txn, audit, &k, &v, MDB_APPEND));
    free(buf);
    rec->prev_hash = (ProtobufCBinaryData){0, NULL}; /* prev lives on our stack */
    if (rc != 0)
        return rc;
    memcpy(head, key, 8);
    memcpy(head + 8, hash, 32);
    MDB_val hk = {strlen(HEAD_KEY), HEAD_KEY}, hv = {40, head};
    rc = vn_store_error(mdb_put(txn, meta, &hk, &hv, 0));
    if (rc != 0)
        return rc;
    if (seq_out)
        *seq_out = seq;
    if (hash_out)
        memcpy(hash_out, hash, 32);
    return 0;
}

int vn_audit_verify(MDB_txn *txn, MDB_dbi audit, MDB_dbi meta, uint64_t *n_records,
                    uint64_t *bad_seq, const char **why)
{
    uint64_t head_seq, expect = 1;
    uint8_t head_hash[32], prev[32] = {0};
    *n_records = 0;
    *bad_seq = 0;
    *why = NULL;
    int rc = s_head(txn, meta, &head_seq, head_hash);
    if (rc != 0) {
        *why = "head record unreadable";
        return rc;
    }
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, audit, &cur)) != 0)
        return vn_store_error(rc);
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
        uint64_t seq = k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0;
        Vn__AuditRecord *rec = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        if (seq != expect)
            *why = "record missing or out of order";
        else if (!rec)
            *why = "record does not decode";
        else if (rec->version != VN_AUDIT_VERSION)
            *why = "record has an unknown version";
        else if (rec->seq != seq)
            *why = "record's own sequence number differs from its position";
        else if (rec->prev_hash.len != 32 || memcmp(rec->prev_hash.data, prev, 32) != 0)
            *why = "previous-hash link broken (a record before it was changed or removed)";
        if (rec)
            vn__audit_record__free_unpacked(rec, NULL);
        if (*why) {
            *bad_seq = expect;
            mdb_cursor_close(cur);
            return VN_E_CHAIN;
        }
        crypto_hash_sha256(prev, v.mv_data, v.mv_size);
        (*n_records)++;
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return vn_store_error(mrc);
    if (*n_records != head_seq || (head_seq && memcmp(prev, head_hash, 32) != 0)) {
        *bad_seq = *n_records + 1;
        *why = *n_records < head_seq ? "log truncated: head names later records"
                                     : "last record differs from the head hash";
        return VN_E_CHAIN;
    }
    return 0;
}

const char *vn_audit_event_name(Vn__AuditRecord__Event e)
{
    switch (e) {
    case VN__AUDIT_RECORD__EVENT__ACCEPTED: return "ACCEPTED";
    case VN__AUDIT_RECORD__EVENT__REFUSED: return "REFUSED";
    case VN__AUDIT_RECORD__EVENT__DELIVERED: return "DELIVERED";
    case VN__AUDIT_RECORD__EVENT__EXPIRED: return "EXPIRED";
    case VN__AUDIT_RECORD__EVENT__ORG_ADDED: return "ORG_ADDED";
    case VN__AUDIT_RECORD__EVENT__ORG_REVOKED: return "ORG_REVOKED";
    case VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED: return "CONSENT_ADDED";
    case VN__AUDIT_RECORD__EVENT__CONSENT_WITHDRAWN: return "CONSENT_WITHDRAWN";
    case VN__AUDIT_RECORD__EVENT__WITHHELD: return "WITHHELD";
    default: return "UNKNOWN";
    }
}

void vn_audit_print(FILE *out, const Vn__AuditRecord *r)
{
    time_t secs = (time_t)(r->time_us / 1000000u);
    struct tm tm;
    char when[32], msgid[33] = "-", pseud[17] = "-";
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (r->message_id.len == 16)
        vn_hex(msgid, r->message_id.data, 16);
    if (r->subject_pseudonym.len == 32)
        vn_hex(pseud, r->subject_pseudonym.data, 8);
    fprintf(out, "%6llu %s %-11s actor=%s", (unsigned long long)r->seq, when,
            vn_audit_event_name(r->event), r->actor_org[0] ? r->actor_org : "-");
    if (r->user_id[0])
        fprintf(out, " user=%s role=%s", r->user_id, r->user_role);
    if (r->n_recipients) {
        fputs(" to=", out);
        for (size_t i = 0; i < r->n_recipients; i++)
            fprintf(out, "%s%s", i ? "," : "", r->recipients[i]);
    }
    if (r->basis[0])
        fprintf(out, " basis=%s", r->basis);
    for (size_t i = 0; i < r->n_justification; i++)
        fprintf(out, " %s=%s", r->justification[i]->key, r->justification[i]->value);
    if (r->category[0])
        fprintf(out, " category=%s", r->category);
    if (r->message_id.len)
        fprintf(out, " msg=%s subject=%s size=%llu", msgid, pseud,
                (unsigned long long)r->content_size);
    fprintf(out, " outcome=%s", r->outcome[0] ? r->outcome : "-");
    if (r->review)
        fputs(" review=required", out);
    if (r->reason[0])
        fprintf(out, " reason=\"%s\"", r->reason);
    fputc('\n', out);
}
