/* auditor.c -- the agent as an auditor of the broker's log: every receipt's record must be in the
 * signed tree (inclusion proof), and every newer checkpoint must extend the one the agent holds
 * (consistency proof). A broker that rewrites history after signing cannot satisfy both; the agent
 * then raises an alarm, keeps it across restarts and reports it in its status. */
#include "agent.h"
#include "audit.pb-c.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELD_KEY "checkpoint"
#define ALARM_KEY "log_alarm"

void agent__audit_alarm(agent_t *a, const char *why)
{
    /* Loud once per reason; a broker that keeps contradicting itself does not flood the log. */
    if (a->log_inconsistent && strncmp(a->alarm_reason, why, sizeof a->alarm_reason - 1) == 0) {
        a->consistency_failures++;
        return;
    }
    snprintf(a->alarm_reason, sizeof a->alarm_reason, "%s", why);
    vn_error("event=AUDIT-LOG-ALARM reason=\"%s\" action=\"keep this agent's data; tell the privacy "
             "officer: the broker's audit log contradicts what it signed\"", why);
    a->log_inconsistent = 1;
    a->consistency_failures++;
    MDB_txn *txn = agent__txn(a);
    if (txn) {
        MDB_val k = {strlen(ALARM_KEY), ALARM_KEY}, v = {strlen(why), (void *)why};
        (void)agent__put(a, txn, ADB_META, &k, &v);
    }
}

/* Receipts up to a held checkpoint are final once a quorum of witnesses cosigned it. */
static void s_finality(agent_t *a)
{
    if (a->cfg.witness.quorum == 0) {
        a->final_size = a->cp_size; /* no quorum asked: the broker's signature is enough */
        return;
    }
    if (a->quorum_size == a->cp_size && a->cp_size > a->final_size &&
        memcmp(a->quorum_root, a->cp_root, 32) == 0) {
        a->final_size = a->cp_size;
        vn_debug("event=receipts-final through=%llu", (unsigned long long)a->final_size);
    }
}

/* Adopt a verified checkpoint as the newest held one (durably). */
static void s_hold(agent_t *a, const ProtobufCBinaryData *signed_cp, uint64_t size,
                   const uint8_t root[32])
{
    a->cp_size = size;
    memcpy(a->cp_root, root, 32);
    s_finality(a);
    MDB_txn *txn = agent__txn(a);
    if (txn) {
        MDB_val k = {strlen(HELD_KEY), HELD_KEY}, v = {signed_cp->len, signed_cp->data};
        (void)agent__put(a, txn, ADB_META, &k, &v);
    }
}

void agent__auditor_load(agent_t *a)
{
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return;
    MDB_val k = {strlen(HELD_KEY), HELD_KEY}, v;
    vn_checkpoint_t cp;
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_META), &k, &v) == 0 &&
        vn_checkpoint_open(v.mv_data, v.mv_size, a->broker.org, a->broker.sign_pk, &cp) == 0) {
        a->cp_size = cp.size;
        memcpy(a->cp_root, cp.root, 32);
        if (a->cfg.witness.quorum == 0)
            a->final_size = cp.size; /* final on the broker's signature alone */
    }
    MDB_val ak = {strlen(ALARM_KEY), ALARM_KEY};
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_META), &ak, &v) == 0) {
        a->log_inconsistent = 1;
        vn_error("event=AUDIT-LOG-ALARM reason=\"%.*s\" note=raised-before-restart", (int)v.mv_size,
                 (char *)v.mv_data);
    }
    mdb_txn_abort(txn);
}

/* Offer a newer signed checkpoint: adopt the first, ask for consistency with later ones. */
void agent__audit_offer(agent_t *a, const ProtobufCBinaryData *signed_cp, uint64_t size,
                    const uint8_t root[32])
{
    if (a->cp_size == 0) {
        s_hold(a, signed_cp, size, root);
        return;
    }
    if (size == a->cp_size) {
        if (memcmp(root, a->cp_root, 32) != 0)
            agent__audit_alarm(a, "two checkpoints of the same size with different roots");
        else
            s_finality(a);
        return;
    }
    if (a->consistency_pending)
        return;
    /* An older checkpoint matters only as a quorum-cosigned one: is it a prefix of ours? */
    if (size < a->cp_size && !(size == a->quorum_size && size > a->final_size))
        return;
    a->final_check = size < a->cp_size;
    Vn__ConsistencyRequest req = VN__CONSISTENCY_REQUEST__INIT;
    req.from = a->final_check ? size : a->cp_size;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_CONSISTENCY_REQUEST;
    m.consistency_request = &req;
    if (agent__send_broker(a, &m) == 0)
        a->consistency_pending = 1;
}

/* A proof as one flat buffer of n hashes (caller frees), or NULL if a node has the wrong size. */
static uint8_t *s_proof(ProtobufCBinaryData *nodes, size_t n)
{
    if (n > VN_MERKLE_MAX_PROOF)
        return NULL;
    uint8_t *flat = malloc(n * VN_HASH + 1);
    for (size_t i = 0; flat && i < n; i++) {
        if (nodes[i].len != VN_HASH) {
            free(flat);
            return NULL;
        }
        memcpy(flat + i * VN_HASH, nodes[i].data, VN_HASH);
    }
    return flat;
}

/* Receipts of one group commit carry the same checkpoint: verify its signature once. */
static int s_checkpoint(agent_t *a, const ProtobufCBinaryData *signed_cp, uint64_t *size,
                        uint8_t root[32])
{
    if (a->seen_cp && a->seen_cp_len == signed_cp->len &&
        memcmp(a->seen_cp, signed_cp->data, signed_cp->len) == 0) {
        *size = a->seen_cp_size;
        memcpy(root, a->seen_cp_root, 32);
        return 0;
    }
    vn_checkpoint_t cp;
    int rc = vn_checkpoint_open(signed_cp->data, signed_cp->len, a->broker.org, a->broker.sign_pk,
                                &cp);
    if (rc != 0)
        return rc;
    *size = cp.size;
    memcpy(root, cp.root, 32);
    uint8_t *copy = malloc(signed_cp->len ? signed_cp->len : 1);
    if (copy) {
        memcpy(copy, signed_cp->data, signed_cp->len);
        free(a->seen_cp);
        a->seen_cp = copy;
        a->seen_cp_len = signed_cp->len;
        a->seen_cp_size = *size;
        memcpy(a->seen_cp_root, root, 32);
    }
    return 0;
}

void agent__audit_receipt(agent_t *a, const Vn__Receipt *r)
{
    if (r->checkpoint.len == 0)
        return; /* a resent message's original receipt carries no proof */
    uint64_t cp_size;
    uint8_t cp_root[32];
    int rc = s_checkpoint(a, &r->checkpoint, &cp_size, cp_root);
    if (rc != 0) {
        agent__audit_alarm(a, rc == VN_E_BAD_SIGNATURE ? "a checkpoint not signed by the broker's pinned key"
                                            : "an unreadable checkpoint");
        return;
    }
    /* The record is ours: it must say what we sent, hash to the receipt, and be in the tree. */
    uint8_t hash[32], leaf[VN_HASH];
    crypto_hash_sha256(hash, r->audit_record.data, r->audit_record.len);
    vn_merkle_leaf_hash(r->audit_record.data, r->audit_record.len, leaf);
    Vn__AuditRecord *rec = vn__audit_record__unpack(NULL, r->audit_record.len, r->audit_record.data);
    int ok = rec && rec->seq == r->audit_seq && rec->message_id.len == VN_MSGID_BYTES &&
             r->message_id.len == VN_MSGID_BYTES &&
             memcmp(rec->message_id.data, r->message_id.data, VN_MSGID_BYTES) == 0 &&
             strcmp(rec->actor_org, a->keys->pub.org) == 0 && r->audit_hash.len == 32 &&
             memcmp(hash, r->audit_hash.data, 32) == 0;
    uint8_t *proof = ok ? s_proof(r->inclusion_proof, r->n_inclusion_proof) : NULL;
    ok = ok && proof && r->audit_seq >= 1 &&
         vn_merkle_verify_inclusion(leaf, r->audit_seq - 1, cp_size, proof, r->n_inclusion_proof,
                                    cp_root);
    free(proof);
    if (rec)
        vn__audit_record__free_unpacked(rec, NULL);
    if (!ok)
        agent__audit_alarm(a, "a receipt whose record is not what was sent or not in the signed log");
    else
        agent__audit_offer(a, &r->checkpoint, cp_size, cp_root);
}

void agent__on_consistency(agent_t *a, const Vn__ConsistencyResponse *resp)
{
    a->consistency_pending = 0;
    vn_checkpoint_t cp;
    if (vn_checkpoint_open(resp->checkpoint.data, resp->checkpoint.len, a->broker.org,
                           a->broker.sign_pk, &cp) != 0) {
        agent__audit_alarm(a, "a consistency answer with a checkpoint not signed by the broker");
        return;
    }
    if (a->final_check) {
        /* From the quorum-cosigned checkpoint to the newest: final if that is the one we hold. */
        a->final_check = 0;
        uint8_t *qp = resp->from == a->quorum_size ? s_proof(resp->proof, resp->n_proof) : NULL;
        int qok = qp && vn_merkle_verify_consistency(a->quorum_size, cp.size, a->quorum_root,
                                                     cp.root, qp, resp->n_proof);
        free(qp);
        if (!qok) {
            agent__audit_alarm(a, "a checkpoint cosigned by a quorum of witnesses is not a prefix "
                                  "of the broker's newest: a split view or rewritten history");
        } else if (cp.size == a->cp_size && memcmp(cp.root, a->cp_root, 32) == 0 &&
                   a->quorum_size > a->final_size) {
            a->final_size = a->quorum_size;
            vn_debug("event=receipts-final through=%llu", (unsigned long long)a->final_size);
        }
        return;
    }
    int ok = resp->from == a->cp_size && cp.size >= a->cp_size;
    uint8_t *proof = ok ? s_proof(resp->proof, resp->n_proof) : NULL;
    ok = ok && proof &&
         vn_merkle_verify_consistency(a->cp_size, cp.size, a->cp_root, cp.root, proof,
                                      resp->n_proof);
    free(proof);
    if (ok) {
        s_hold(a, &resp->checkpoint, cp.size, cp.root);
        vn_debug("event=log-consistent size=%llu", (unsigned long long)cp.size);
    } else {
        char why[160];
        snprintf(why, sizeof why, "the log of size %llu signed earlier is not a prefix of the "
                                  "log of size %llu signed now: history was rewritten",
                 (unsigned long long)a->cp_size, (unsigned long long)cp.size);
        agent__audit_alarm(a, why);
    }
}
