/* vn_audit.c -- appending and verifying the hash chain; each record holds the previous one's hash. */
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
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

int vn_audit_size(MDB_txn *txn, vn_store_t *db, uint64_t *size)
{
    uint8_t hash[32];
    return s_head(txn, vn_store_dbi(db, BDB_META), size, hash);
}

/* Nodes are keyed by the last leaf they cover, then level: every node that appending leaf i
 * completes has the same prefix i, so an append writes one page, not one per level. */
static void s_node_key(uint8_t key[9], unsigned level, uint64_t index)
{
    vn_put_be64(key, ((index + 1) << level) - 1);
    key[8] = (uint8_t)level;
}

int vn_audit_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH])
{
    vn_audit_tree_t *t = ctx;
    uint8_t key[9];
    s_node_key(key, level, index);
    MDB_val k = {9, key}, v;
    int rc = mdb_get(t->txn, vn_store_dbi(t->db, BDB_MERKLE), &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size != VN_HASH)
        return VN_E_CHAIN;
    memcpy(out, v.mv_data, VN_HASH);
    return 0;
}

/* Add leaf number index and every perfect subtree it completes: O(log n) writes. */
static int s_tree_append(MDB_txn *txn, vn_store_t *db, uint64_t index, const uint8_t leaf[32])
{
    uint8_t key[9], hash[VN_HASH], left[VN_HASH];
    vn_audit_tree_t t = {txn, db};
    memcpy(hash, leaf, VN_HASH);
    for (unsigned level = 0;; level++, index >>= 1) {
        s_node_key(key, level, index);
        MDB_val k = {9, key}, v = {VN_HASH, hash};
        int rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_MERKLE), &k, &v, 0));
        if (rc != 0 || !(index & 1))
            return rc;
        if ((rc = vn_audit_node(&t, level, index - 1, left)) != 0)
            return rc;
        vn_merkle_node_hash(left, hash, hash);
    }
}

/* Index keys: subject pseudonym(32) seq(8), and org NUL seq(8), for the acting organisation and
 * every recipient. Values are empty: the key is the index. remove=1 deletes them (pruning). */
int vn_audit__index(MDB_txn *txn, vn_store_t *db, const Vn__AuditRecord *rec, uint64_t seq,
                    int remove)
{
    uint8_t key[VN_ORG_MAX + 1 + 32 + 8];
    MDB_val empty = {0, ""};
    int rc = 0;
    if (rec->subject_pseudonym.len == 32) {
        memcpy(key, rec->subject_pseudonym.data, 32);
        vn_put_be64(key + 32, seq);
        MDB_val k = {40, key};
        rc = remove ? mdb_del(txn, vn_store_dbi(db, BDB_IDX_SUBJECT), &k, NULL)
                    : mdb_put(txn, vn_store_dbi(db, BDB_IDX_SUBJECT), &k, &empty, 0);
    }
    for (size_t i = 0; (rc == 0 || rc == MDB_NOTFOUND) && i <= rec->n_recipients; i++) {
        const char *org = i == 0 ? rec->actor_org : rec->recipients[i - 1];
        size_t len = org ? strlen(org) : 0;
        if (len == 0 || len > VN_ORG_MAX + 7) /* "sector:" entries of consents are longer ids */
            continue;
        memcpy(key, org, len + 1);
        vn_put_be64(key + len + 1, seq);
        MDB_val k = {len + 9, key};
        rc = remove ? mdb_del(txn, vn_store_dbi(db, BDB_IDX_ORG), &k, NULL)
                    : mdb_put(txn, vn_store_dbi(db, BDB_IDX_ORG), &k, &empty, 0);
    }
    return rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

int vn_audit_append(MDB_txn *txn, vn_store_t *db, Vn__AuditRecord *rec, uint64_t *seq_out,
                    uint8_t hash_out[32])
{
    MDB_dbi audit = vn_store_dbi(db, BDB_AUDIT), meta = vn_store_dbi(db, BDB_META);
    uint64_t seq;
    uint8_t prev[32], hash[32], key[8], head[40], leaf[VN_HASH];
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
    vn_merkle_leaf_hash(buf, len, leaf);
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v = {len, buf};
    rc = vn_store_error(mdb_put(txn, audit, &k, &v, MDB_APPEND));
    free(buf);
    rec->prev_hash = (ProtobufCBinaryData){0, NULL}; /* prev lives on our stack */
    if (rc == 0)
        rc = s_tree_append(txn, db, seq - 1, leaf);
    if (rc == 0)
        rc = vn_audit__index(txn, db, rec, seq, 0);
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

/* Stored checkpoints: key = size (8 bytes, big-endian), value = signing time (8 bytes, unix
 * microseconds, big-endian) followed by the checkpoint note exactly as signed and handed out. */
static int s_checkpoint_value(const MDB_val *v, uint8_t **note, size_t *len, uint64_t *time)
{
    if (v->mv_size <= 8)
        return VN_E_CHAIN;
    if (time)
        *time = vn_get_be64(v->mv_data);
    if (note) {
        *len = v->mv_size - 8;
        *note = malloc(*len + 1);
        if (!*note)
            return -ENOMEM;
        memcpy(*note, (const uint8_t *)v->mv_data + 8, *len);
        (*note)[*len] = 0;
    }
    return 0;
}

int vn_audit_checkpoint_at(MDB_txn *txn, vn_store_t *db, uint64_t size, uint8_t **note,
                           size_t *len, uint64_t *time, uint64_t nearest[2])
{
    MDB_cursor *cur;
    uint8_t key[8];
    vn_put_be64(key, size);
    MDB_val k = {8, key}, v;
    if (nearest)
        nearest[0] = nearest[1] = 0;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &cur));
    if (rc != 0)
        return rc;
    int mrc = mdb_cursor_get(cur, &k, &v, size ? MDB_SET_RANGE : MDB_LAST);
    if (mrc == 0 && k.mv_size == 8 && (size == 0 || vn_get_be64(k.mv_data) == size)) {
        rc = s_checkpoint_value(&v, note, len, time);
    } else {
        rc = mrc == 0 || mrc == MDB_NOTFOUND ? VN_E_NOT_FOUND : vn_store_error(mrc);
        if (nearest && size) {
            nearest[1] = mrc == 0 && k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0;
            if (mdb_cursor_get(cur, &k, &v, mrc == 0 ? MDB_PREV : MDB_LAST) == 0 && k.mv_size == 8)
                nearest[0] = vn_get_be64(k.mv_data);
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int vn_audit_latest_checkpoint(MDB_txn *txn, vn_store_t *db, uint8_t **out, size_t *len)
{
    return vn_audit_checkpoint_at(txn, db, 0, out, len, NULL, NULL);
}

int vn_audit_checkpoint(MDB_txn *txn, vn_store_t *db, const vn_keyset_t *broker,
                        uint64_t *signed_size)
{
    uint64_t size;
    uint8_t root[VN_HASH];
    *signed_size = 0;
    int rc = vn_audit_size(txn, db, &size);
    if (rc != 0 || size == 0)
        return rc;
    vn_audit_tree_t t = {txn, db};
    uint8_t *last = NULL;
    size_t last_len = 0;
    rc = vn_audit_latest_checkpoint(txn, db, &last, &last_len);
    if (rc == 0) {
        vn_checkpoint_t prev;
        /* Our own last checkpoint: what matters is its size and root, re-derived below. */
        rc = vn_checkpoint_open(last, last_len, NULL, NULL, &prev);
        free(last);
        if (rc != 0)
            return VN_E_CHAIN;
        /* Never sign two inconsistent checkpoints: the last one must still hold. */
        uint8_t again[VN_HASH];
        int same = prev.size <= size && vn_merkle_root(vn_audit_node, &t, prev.size, again) == 0 &&
                   memcmp(again, prev.root, VN_HASH) == 0;
        if (!same)
            return VN_E_CHAIN;
        if (prev.size == size)
            return 0;
    } else if (rc != VN_E_NOT_FOUND) {
        return rc;
    }
    if ((rc = vn_merkle_root(vn_audit_node, &t, size, root)) != 0)
        return rc;
    uint8_t out[8 + VN_CHECKPOINT_MAX], key[8];
    int len = vn_checkpoint_sign(broker->pub.org, size, root, broker->sign_sk, (char *)out + 8);
    if (len < 0)
        return len;
    vn_put_be64(out, vn_now_us());
    vn_put_be64(key, size);
    MDB_val k = {8, key}, v = {8 + (size_t)len, out};
    rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &k, &v, MDB_APPEND));
    if (rc == 0)
        *signed_size = size;
    return rc;
}

#define FAIL(seq_, why_)            \
    do {                            \
        report->bad_seq = (seq_);   \
        report->why = (why_);       \
        rc = VN_E_CHAIN;            \
        goto done;                  \
    } while (0)

int vn_audit_verify(MDB_txn *txn, vn_store_t *db, const uint8_t *broker_sign_pk,
                    vn_audit_report_t *report)
{
    memset(report, 0, sizeof *report);
    uint64_t head_seq, expect = 1;
    uint8_t head_hash[32], prev[32] = {0};
    MDB_cursor *cur = NULL, *ccur = NULL;
    int rc = s_head(txn, vn_store_dbi(db, BDB_META), &head_seq, head_hash);
    if (rc != 0) {
        report->why = "head record unreadable";
        return rc;
    }
    vn_merkle_range_t *range = malloc(sizeof *range);
    if (!range)
        return -ENOMEM;
    vn_merkle_range_init(range);
    vn_audit_tree_t tree = {txn, db};
    MDB_val k, v, ck, cv;
    if ((rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur))) != 0 ||
        (rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &ccur))) != 0)
        goto done;
    /* Checkpoints are visited in size order alongside the records. */
    int crc = mdb_cursor_get(ccur, &ck, &cv, MDB_FIRST);
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (;;) {
        /* Check every checkpoint whose size the recomputed tree has reached. */
        while (crc == 0 && ck.mv_size == 8 && vn_get_be64(ck.mv_data) <= range->size) {
            uint64_t size = vn_get_be64(ck.mv_data);
            vn_checkpoint_t cp;
            rc = cv.mv_size > 8 ? vn_checkpoint_open((const uint8_t *)cv.mv_data + 8, cv.mv_size - 8,
                                                     NULL, broker_sign_pk, &cp)
                                : VN_E_MALFORMED;
            if (rc == VN_E_BAD_SIGNATURE)
                FAIL(size, "a checkpoint's signature is not the broker's");
            if (rc == VN_E_INVALID)
                FAIL(size, "a checkpoint names another log (its origin is not a vangnet broker's)");
            if (rc != 0 || cp.size != size)
                FAIL(size, "a checkpoint is damaged");
            uint8_t root[VN_HASH];
            vn_merkle_range_root(range, root);
            if (memcmp(root, cp.root, VN_HASH) != 0)
                FAIL(size, "the records up to this signed checkpoint were changed, removed or "
                           "reordered after it was signed");
            report->checkpoints++;
            report->latest_size = size;
            memcpy(report->latest_root, root, VN_HASH);
            crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT);
        }
        if (mrc != 0)
            break;
        uint64_t seq = k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0;
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        int pruned = r && r->pruned && r->original_hash.len == 32;
        uint8_t original[32];
        if (pruned)
            memcpy(original, r->original_hash.data, 32);
        const char *why = seq != expect ? "record missing or out of order"
                          : !r ? "record does not decode"
                          : r->version != VN_AUDIT_VERSION ? "record has an unknown version"
                          : r->seq != seq ? "record's own sequence number differs from its position"
                          : r->prev_hash.len != 32 || memcmp(r->prev_hash.data, prev, 32) != 0
                              ? "previous-hash link broken (a record before it was changed or removed)"
                              : NULL;
        if (r)
            vn__audit_record__free_unpacked(r, NULL);
        if (why)
            FAIL(expect, why);
        uint8_t leaf[VN_HASH], stored[VN_HASH];
        if (vn_audit_node(&tree, 0, seq - 1, stored) != 0)
            FAIL(seq, "record has no leaf in the Merkle tree");
        if (pruned) {
            /* Detail removed after retention: its leaf stays, covered by the checkpoints. */
            memcpy(leaf, stored, VN_HASH);
            memcpy(prev, original, 32);
            report->pruned++;
        } else {
            vn_merkle_leaf_hash(v.mv_data, v.mv_size, leaf);
            if (memcmp(leaf, stored, VN_HASH) != 0)
                FAIL(seq, "record differs from its leaf in the Merkle tree");
            crypto_hash_sha256(prev, v.mv_data, v.mv_size);
        }
        vn_merkle_range_append(range, leaf);
        report->records++;
        expect++;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc != MDB_NOTFOUND) {
        rc = vn_store_error(mrc);
        goto done;
    }
    if (crc == 0)
        FAIL(range->size + 1, "log truncated: a signed checkpoint covers records that are gone");
    if (report->records != head_seq || (head_seq && memcmp(prev, head_hash, 32) != 0))
        FAIL(report->records + 1, report->records < head_seq
                                      ? "log truncated: head names later records"
                                      : "last record differs from the head hash");
    rc = 0;
done:
    if (cur)
        mdb_cursor_close(cur);
    if (ccur)
        mdb_cursor_close(ccur);
    free(range);
    return rc;
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
    case VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED: return "AUDIT_READ";
    case VN__AUDIT_RECORD__EVENT__ORG_KEY_ROTATED: return "ORG_KEY_ROTATED";
    default: return "UNKNOWN";
    }
}

int vn_audit_prune(MDB_txn *txn, vn_store_t *db, uint64_t before_us, uint64_t *pruned)
{
    uint64_t size;
    *pruned = 0;
    int rc = vn_audit_size(txn, db, &size);
    for (uint64_t seq = 1; rc == 0 && seq <= size; seq++) {
        uint8_t key[8], original[32], buf[128];
        vn_put_be64(key, seq);
        MDB_val k = {8, key}, v;
        if ((rc = vn_store_error(mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v))) != 0)
            break;
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        if (!r) {
            rc = VN_E_CHAIN;
            break;
        }
        if (r->time_us >= before_us) { /* records are in time order: done */
            vn__audit_record__free_unpacked(r, NULL);
            break;
        }
        if (!r->pruned) {
            crypto_hash_sha256(original, v.mv_data, v.mv_size);
            rc = vn_audit__index(txn, db, r, seq, 1);
            Vn__AuditRecord stub = VN__AUDIT_RECORD__INIT;
            stub.version = VN_AUDIT_VERSION;
            stub.seq = seq;
            stub.time_us = r->time_us;
            stub.event = r->event;
            stub.prev_hash = r->prev_hash;
            stub.pruned = 1;
            stub.original_hash = (ProtobufCBinaryData){32, original};
            MDB_val nv = {vn__audit_record__pack(&stub, buf), buf};
            if (rc == 0)
                rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_AUDIT), &k, &nv, 0));
            if (rc == 0)
                (*pruned)++;
        }
        vn__audit_record__free_unpacked(r, NULL);
    }
    return rc;
}

void vn_audit_print(FILE *out, const Vn__AuditRecord *r)
{
    time_t secs = (time_t)(r->time_us / 1000000u);
    struct tm tm;
    char when[32], msgid[33] = "-", pseud[17] = "-";
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (r->pruned) {
        fprintf(out, "%6llu %s %-11s (detail pruned after the retention period)\n",
                (unsigned long long)r->seq, when, vn_audit_event_name(r->event));
        return;
    }
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

uint64_t vn_audit_time_us(MDB_txn *txn, vn_store_t *db, uint64_t seq)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    Vn__AuditRecord *r = mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v) == 0
                             ? vn__audit_record__unpack(NULL, v.mv_size, v.mv_data)
                             : NULL;
    uint64_t t = r ? r->time_us : 0;
    if (r)
        vn__audit_record__free_unpacked(r, NULL);
    return t;
}
