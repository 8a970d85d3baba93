/* proofs.c -- the evidence the broker hands out: a receipt with the signed checkpoint, the
 * sender's own audit record and its inclusion proof; and consistency proofs between checkpoints,
 * so agents can audit the log (a broker that rewrites history cannot prove consistency). */
#include "broker.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int broker__receipt_with_proof(MDB_txn *txn, broker_t *b, item_t *it, const uint8_t *checkpoint,
                               size_t checkpoint_len, uint64_t tree_size)
{
    uint8_t (*proof)[VN_HASH] = malloc(VN_MERKLE_MAX_PROOF * VN_HASH), key[8];
    ProtobufCBinaryData *nodes = calloc(VN_MERKLE_MAX_PROOF, sizeof *nodes);
    size_t len = 0;
    vn_audit_tree_t tree = {txn, b->db};
    int rc = proof && nodes ? vn_merkle_inclusion(vn_audit_node, &tree, it->seq - 1, tree_size,
                                                  proof, &len)
                            : -ENOMEM;
    vn_put_be64(key, it->seq);
    MDB_val k = {8, key}, v;
    if (rc == 0)
        rc = vn_store_error(mdb_get(txn, vn_store_dbi(b->db, BDB_AUDIT), &k, &v));
    if (rc == 0) {
        for (size_t i = 0; i < len; i++)
            nodes[i] = (ProtobufCBinaryData){VN_HASH, proof[i]};
        Vn__Receipt r = VN__RECEIPT__INIT;
        r.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, it->msgid};
        r.audit_seq = it->seq;
        r.audit_hash = (ProtobufCBinaryData){32, it->hash};
        r.accepted = vn_now();
        r.checkpoint = (ProtobufCBinaryData){checkpoint_len, (uint8_t *)checkpoint};
        r.n_inclusion_proof = len;
        r.inclusion_proof = nodes;
        r.audit_record = (ProtobufCBinaryData){v.mv_size, v.mv_data};
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_RECEIPT;
        m.receipt = &r;
        free(it->reply);
        it->reply = NULL;
        rc = vn_wire_pack(&m, &it->reply, &it->reply_len);
    }
    free(proof);
    free(nodes);
    return rc;
}

void broker__consistency(broker_t *b, const uint8_t *routing, size_t routing_len,
                         const Vn__ConsistencyRequest *req)
{
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) != 0)
        return;
    uint8_t *cp = NULL, (*proof)[VN_HASH] = malloc(VN_MERKLE_MAX_PROOF * VN_HASH);
    ProtobufCBinaryData *nodes = calloc(VN_MERKLE_MAX_PROOF, sizeof *nodes);
    size_t cp_len = 0, len = 0;
    vn_checkpoint_t c;
    vn_audit_tree_t tree = {txn, b->db};
    if (proof && nodes && vn_audit_latest_checkpoint(txn, b->db, &cp, &cp_len) == 0 &&
        vn_checkpoint_open(cp, cp_len, NULL, NULL, &c) == 0 && req->from <= c.size &&
        vn_merkle_consistency(vn_audit_node, &tree, req->from, c.size, proof, &len) == 0) {
        for (size_t i = 0; i < len; i++)
            nodes[i] = (ProtobufCBinaryData){VN_HASH, proof[i]};
        Vn__ConsistencyResponse resp = VN__CONSISTENCY_RESPONSE__INIT;
        resp.from = req->from;
        resp.checkpoint = (ProtobufCBinaryData){cp_len, cp};
        resp.n_proof = len;
        resp.proof = nodes;
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_CONSISTENCY_RESPONSE;
        m.consistency_response = &resp;
        broker__send_wire(b, routing, routing_len, &m);
    }
    mdb_txn_abort(txn);
    free(cp);
    free(proof);
    free(nodes);
}
