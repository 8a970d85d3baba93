/* witness.c -- the agent as a witness of the broker's log (c2sp.org/tlog-witness,
 * c2sp.org/tlog-cosignature): it cosigns a checkpoint only if it is consistent with the last one it
 * cosigned, which it keeps durably; and it counts the cosignatures of the witnesses it trusts on
 * the checkpoints the broker publishes, so that its receipts are final only with a quorum. A
 * broker showing different logs to different agents (a split view) cannot get both cosigned by a
 * quorum of honest witnesses, and the witness shown the second log raises the alarm. */
#include "agent.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_note.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WITNESS_KEY "witness_cosigned"  /* ADB_META: the text of the last checkpoint cosigned */
#define REQUEST_MAX (64 * 44 + 64 + 65536)

void agent__witness_load(agent_t *a)
{
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return;
    MDB_val k = {strlen(WITNESS_KEY), WITNESS_KEY}, v;
    uint64_t size = 0;
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_META), &k, &v) == 0 &&
        vn_checkpoint_text_parse(v.mv_data, v.mv_size, NULL, &size, a->witness_root) == 0)
        a->witness_size = size;
    mdb_txn_abort(txn);
}

static void s_answer(agent_t *a, unsigned status, uint64_t size, const char *body)
{
    Vn__CosignResponse r = VN__COSIGN_RESPONSE__INIT;
    r.status = status;
    r.size = size;
    r.body = (ProtobufCBinaryData){strlen(body), (uint8_t *)body};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_COSIGN_RESPONSE;
    m.cosign_response = &r;
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(&m, &buf, &len) == 0)
        agent__after_commit(a, 0, NULL, 0, buf, len); /* after the new state is durable */
    if (status != 200)
        vn_warn("event=cosign-refused status=%u size=%llu reason=\"%s\"", status,
                (unsigned long long)size, body);
}

/* Split "old N\n" + proof lines + "\n" + note. 0, or a reason for a 400 answer. */
static const char *s_parse(const uint8_t *buf, size_t len, uint64_t *old, uint8_t proof[][VN_HASH],
                           size_t *n, const uint8_t **note, size_t *note_len)
{
    const char *p = (const char *)buf, *end = p + len;
    const char *nl = memchr(p, '\n', len);
    if (!nl || nl - p < 5 || nl - p > 24 || memcmp(p, "old ", 4) != 0)
        return "the first line must be \"old SIZE\"";
    char num[24];
    memcpy(num, p + 4, (size_t)(nl - p - 4));
    num[nl - p - 4] = 0;
    char *e;
    *old = strtoull(num, &e, 10);
    if (*e || (num[0] == '0' && num[1]) || num[0] == '-' || num[0] == '+')
        return "old size is not a decimal number";
    *n = 0;
    for (p = nl + 1; p < end && *p != '\n'; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t got;
        if (!nl || *n == 63 ||
            sodium_base642bin(proof[*n], VN_HASH, p, (size_t)(nl - p), NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 || got != VN_HASH)
            return "a consistency proof line is not one base64 hash (at most 63)";
        (*n)++;
    }
    if (p >= end)
        return "no blank line before the checkpoint";
    *note = (const uint8_t *)p + 1;
    *note_len = (size_t)(end - p - 1);
    return NULL;
}

void agent__on_cosign_request(agent_t *a, const Vn__CosignRequest *req)
{
    uint8_t proof[63][VN_HASH], empty[VN_HASH];
    const uint8_t *note;
    size_t n, note_len;
    uint64_t old;
    vn_checkpoint_t cp;
    char msg[128];
    if (!a->cfg.witness.cosign) {
        s_answer(a, 404, 0, "this agent does not witness (cosign = no)");
        return;
    }
    const char *bad = req->add_checkpoint.len > REQUEST_MAX ? "request too large"
                      : s_parse(req->add_checkpoint.data, req->add_checkpoint.len, &old, proof,
                                &n, &note, &note_len);
    if (bad) {
        s_answer(a, 400, 0, bad);
        return;
    }
    int rc = vn_checkpoint_open(note, note_len, a->broker.org, a->broker.sign_pk, &cp);
    if (rc == VN_E_INVALID) {
        s_answer(a, 404, 0, "unknown log origin");
        return;
    }
    if (rc != 0) {
        s_answer(a, rc == VN_E_BAD_SIGNATURE ? 403 : 400, cp.size,
                 rc == VN_E_BAD_SIGNATURE ? "no valid signature of the broker's pinned key"
                                          : "not a checkpoint note");
        return;
    }
    if (old > cp.size) {
        s_answer(a, 400, cp.size, "old size beyond the checkpoint");
        return;
    }
    if (old != a->witness_size) {
        snprintf(msg, sizeof msg, "%llu\n", (unsigned long long)a->witness_size);
        s_answer(a, 409, cp.size, msg);
        return;
    }
    crypto_hash_sha256(empty, NULL, 0);
    const char *inconsistent =
        cp.size == 0 && memcmp(cp.root, empty, VN_HASH) != 0 ? "an empty tree with another root"
        : old == 0 && n > 0 ? "a proof from size 0"
        : old == cp.size && memcmp(cp.root, a->witness_root, VN_HASH) != 0
            ? "the same size as the checkpoint cosigned last, with another root"
        : old && old < cp.size &&
                !vn_merkle_verify_consistency(old, cp.size, a->witness_root, cp.root, proof, n)
            ? "not an extension of the checkpoint cosigned last"
            : NULL;
    if (inconsistent) {
        snprintf(msg, sizeof msg, "size %llu is %s (size %llu)", (unsigned long long)cp.size,
                 inconsistent, (unsigned long long)old);
        s_answer(a, 422, cp.size, msg);
        if (old)
            agent__audit_alarm(a, "the broker asked to cosign a checkpoint inconsistent with one "
                                  "this agent cosigned: a split view or rewritten history");
        return;
    }
    /* Persist what we cosign before answering (agent__after_commit sends after the commit). */
    vn_note_t *parsed = malloc(sizeof *parsed);
    char name[VN_NOTE_NAME_MAX + 1], line[VN_NOTE_LINE_MAX];
    snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", a->keys->pub.org);
    MDB_txn *txn = agent__txn(a);
    int ok = parsed && txn && vn_note_parse((const char *)note, note_len, parsed) == 0 &&
             vn_note_cosign(parsed->text, parsed->text_len, name, a->keys->sign_sk, vn_now(),
                            line) > 0;
    if (ok) {
        MDB_val k = {strlen(WITNESS_KEY), WITNESS_KEY},
                v = {parsed->text_len, (void *)parsed->text};
        ok = mdb_put(txn, vn_store_dbi(a->db, ADB_META), &k, &v, 0) == 0;
    }
    free(parsed);
    if (!ok) {
        s_answer(a, 500, cp.size, "cannot record the cosigned checkpoint");
        return;
    }
    a->witness_size = cp.size;
    memcpy(a->witness_root, cp.root, VN_HASH);
    s_answer(a, 200, cp.size, line);
}

/* Valid cosignatures on the note by the witnesses this agent trusts (their keys: the directory). */
static int s_count(agent_t *a, const vn_note_t *note)
{
    char list[sizeof a->cfg.witness.witnesses], name[VN_NOTE_NAME_MAX + 1];
    memcpy(list, a->cfg.witness.witnesses, sizeof list);
    int count = 0;
    for (char *save = NULL, *id = strtok_r(list, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
        const Vn__OrgEntry *e = agent__directory_find(a, id);
        if (!e || e->revoked || e->sign_key.len != 32)
            continue;
        snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", id);
        int rc = vn_note_verify_cosig(note, name, e->sign_key.data, NULL);
        if (rc == 0)
            count++;
        else if (rc == VN_E_BAD_SIGNATURE)
            vn_warn("event=cosignature-invalid witness=%s", id);
    }
    return count;
}

void agent__on_cosigned_checkpoint(agent_t *a, const Vn__CosignedCheckpoint *cc)
{
    vn_checkpoint_t cp;
    vn_note_t *note = malloc(sizeof *note);
    if (!note)
        return;
    if (vn_checkpoint_open(cc->checkpoint.data, cc->checkpoint.len, a->broker.org,
                           a->broker.sign_pk, &cp) != 0 ||
        vn_note_parse((const char *)cc->checkpoint.data, cc->checkpoint.len, note) != 0) {
        free(note);
        agent__audit_alarm(a, "a published checkpoint not signed by the broker's pinned key");
        return;
    }
    int count = s_count(a, note);
    free(note);
    if (a->cfg.witness.quorum > 0 && count >= a->cfg.witness.quorum && cp.size > a->quorum_size) {
        a->quorum_size = cp.size;
        memcpy(a->quorum_root, cp.root, VN_HASH);
    }
    vn_debug("event=cosigned-checkpoint size=%llu cosignatures=%d quorum=%d",
             (unsigned long long)cp.size, count, a->cfg.witness.quorum);
    agent__audit_offer(a, &cc->checkpoint, cp.size, cp.root);
}
