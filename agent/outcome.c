/* outcome.c -- what the agent tells an IT system about its submits: each message's outcome as the
 * agent has stored it (QUEUED, then the broker's ACCEPTED or REFUSED, never changed afterwards),
 * client_ref as an idempotency key, and outcome queries by message id or client_ref. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define REF_VALUE_LEN (16 + 32) /* msgid || keyed hash of the first request */

/* A match:ID fan-out's binding (agent.h): REF_VALUE_LEN, a count, then that many entries. The
 * number of its entries, or 0 when v is a single submit's binding (or unreadable: -1). */
static int s_group_entries(const MDB_val *v)
{
    if (v->mv_size == REF_VALUE_LEN)
        return 0;
    const uint8_t *b = v->mv_data;
    if (v->mv_size < REF_VALUE_LEN + 1 + AGENT_GROUP_ENTRY || b[REF_VALUE_LEN] == 0 ||
        b[REF_VALUE_LEN] > VN_MAX_RECIPIENTS ||
        v->mv_size != REF_VALUE_LEN + 1 + (size_t)b[REF_VALUE_LEN] * AGENT_GROUP_ENTRY)
        return -1;
    return b[REF_VALUE_LEN];
}

/* A keyed hash of everything a submit asks for (not how long it waits), so a repeat of a
 * client_ref can be told from a different request under the same key. Keyed, because the request
 * holds a BSN and the agent's store must not let anyone test guesses against it. */
static void s_request_hash(agent_t *a, const Vn__ApiSubmit *s, uint8_t out[32])
{
    Vn__ApiSubmit copy = *s;
    copy.wait_ms = 0;
    size_t len = vn__api_submit__get_packed_size(&copy);
    uint8_t *buf = malloc(len ? len : 1);
    uint8_t key[32];
    crypto_generichash(key, sizeof key, (const uint8_t *)"vangnet client_ref v1", 21,
                       a->pseudonym_key, VN_PSEUDONYM_KEY_BYTES);
    if (!buf) { /* cannot compare: a hash no request has, so a repeat reads as a conflict */
        randombytes_buf(out, 32);
    } else {
        vn__api_submit__pack(&copy, buf);
        crypto_generichash(out, 32, buf, len, key, sizeof key);
        sodium_memzero(buf, len);
        free(buf);
    }
    sodium_memzero(key, sizeof key);
}

int agent__result_put(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES], const Vn__ApiSubmitResult *r)
{
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return VN_E_STORE;
    Vn__ApiSubmitResult copy = *r;
    copy.repeated = 0; /* a property of an answer, not of the outcome */
    uint8_t buf[2048];
    size_t len = vn__api_submit_result__get_packed_size(&copy);
    if (len > sizeof buf)
        return VN_E_TOO_LARGE;
    vn__api_submit_result__pack(&copy, buf);
    MDB_val k = {VN_MSGID_BYTES, (void *)msgid}, v = {len, buf};
    return vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_RESULTS), &k, &v, 0));
}

Vn__ApiSubmitResult *agent__result_get(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES])
{
    MDB_txn *txn = agent__txn(a); /* this turn's uncommitted writes too: answers wait for them */
    MDB_val k = {VN_MSGID_BYTES, (void *)msgid}, v;
    if (!txn || mdb_get(txn, vn_store_dbi(a->db, ADB_RESULTS), &k, &v) != 0)
        return NULL;
    return vn__api_submit_result__unpack(NULL, v.mv_size, v.mv_data);
}

void agent__answer_result(agent_t *a, const uint8_t *routing, size_t routing_len,
                          Vn__ApiSubmitResult *r, int as_outcome)
{
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    if (as_outcome) {
        resp.body_case = VN__API_RESPONSE__BODY_OUTCOME;
        resp.outcome = r;
    } else {
        resp.body_case = VN__API_RESPONSE__BODY_SUBMIT;
        resp.submit = r;
    }
    agent__reply_after_commit(a, routing, routing_len, &resp);
}

/* Answer with msgid's stored outcome (marked repeated); wait for it while QUEUED if wait_ms. */
static void s_answer_stored(agent_t *a, const uint8_t *routing, size_t routing_len,
                            const uint8_t msgid[VN_MSGID_BYTES], uint32_t wait_ms, int as_outcome)
{
    Vn__ApiSubmitResult *r = agent__result_get(a, msgid);
    if (!r) {
        agent__api_error(a, routing, routing_len, "storage-error",
                         "the outcome of that message is missing from the agent's store");
        return;
    }
    if (r->outcome == VN__API_SUBMIT_RESULT__OUTCOME__QUEUED && wait_ms) {
        waiter_t *w = agent__waiter_add(&a->submits, &a->n_submits, routing, routing_len);
        if (w) {
            memcpy(w->msgid, msgid, VN_MSGID_BYTES);
            w->repeated = 1;
            w->as_outcome = as_outcome;
            w->deadline_ms = vn_monotonic_ms() + (wait_ms > 600000 ? 600000 : wait_ms);
            vn__api_submit_result__free_unpacked(r, NULL);
            return;
        }
    }
    r->repeated = 1;
    agent__answer_result(a, routing, routing_len, r, as_outcome);
    vn__api_submit_result__free_unpacked(r, NULL);
}

int agent__client_ref_check(agent_t *a, const uint8_t *routing, size_t routing_len,
                            const Vn__ApiSubmit *s)
{
    if (s->client_ref.len == 0)
        return 0;
    if (s->client_ref.len > 64) {
        agent__api_error(a, routing, routing_len, "invalid-field", "client_ref is longer than 64 bytes");
        return 1;
    }
    MDB_txn *txn = agent__txn(a);
    if (!txn) {
        agent__api_error(a, routing, routing_len, "storage-error", "the agent's store is unavailable");
        return 1;
    }
    MDB_val k = {s->client_ref.len, s->client_ref.data}, v;
    int rc = mdb_get(txn, vn_store_dbi(a->db, ADB_CLIENT_REFS), &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    int group = rc == 0 ? s_group_entries(&v) : -1;
    if (group < 0) {
        agent__api_error(a, routing, routing_len, "storage-error", "client_ref index unreadable");
        return 1;
    }
    uint8_t msgid[VN_MSGID_BYTES], hash[32];
    memcpy(msgid, v.mv_data, VN_MSGID_BYTES);
    s_request_hash(a, s, hash);
    if (sodium_memcmp(hash, (uint8_t *)v.mv_data + 16, 32) != 0) {
        char hex[33];
        vn_warn("event=client-ref-conflict msg=%s", vn_hex(hex, msgid, VN_MSGID_BYTES));
        agent__api_error(a, routing, routing_len, "client-ref-conflict",
                         "this client_ref was already used for a different request");
        return 1;
    }
    if (group) /* a match:ID fan-out: every participant's first outcome */
        agent__match_repeat(a, routing, routing_len, s->client_ref.data, s->client_ref.len,
                            (const uint8_t *)v.mv_data + REF_VALUE_LEN + 1, (size_t)group,
                            s->wait_ms, 0);
    else
        s_answer_stored(a, routing, routing_len, msgid, s->wait_ms, 0);
    return 1;
}

int agent__client_ref_bind_group(agent_t *a, const Vn__ApiSubmit *s, const uint8_t *entries,
                                 size_t n)
{
    if (s->client_ref.len == 0)
        return 0;
    MDB_txn *txn = agent__txn(a);
    if (!txn || n == 0 || n > VN_MAX_RECIPIENTS)
        return VN_E_STORE;
    uint8_t val[REF_VALUE_LEN + 1 + VN_MAX_RECIPIENTS * AGENT_GROUP_ENTRY] = {0};
    s_request_hash(a, s, val + 16); /* no single message id: the entries hold them */
    val[REF_VALUE_LEN] = (uint8_t)n;
    memcpy(val + REF_VALUE_LEN + 1, entries, n * AGENT_GROUP_ENTRY);
    MDB_val k = {s->client_ref.len, s->client_ref.data},
            v = {REF_VALUE_LEN + 1 + n * AGENT_GROUP_ENTRY, val};
    return vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_CLIENT_REFS), &k, &v, MDB_NOOVERWRITE));
}

int agent__client_ref_bind(agent_t *a, const Vn__ApiSubmit *s, const uint8_t msgid[VN_MSGID_BYTES])
{
    if (s->client_ref.len == 0)
        return 0;
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return VN_E_STORE;
    uint8_t val[REF_VALUE_LEN];
    memcpy(val, msgid, VN_MSGID_BYTES);
    s_request_hash(a, s, val + 16);
    MDB_val k = {s->client_ref.len, s->client_ref.data}, v = {sizeof val, val};
    return vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_CLIENT_REFS), &k, &v, MDB_NOOVERWRITE));
}

void agent__outcome_query(agent_t *a, const uint8_t *routing, size_t routing_len,
                          const Vn__ApiOutcomeQuery *q)
{
    int by_id = q->message_id.len != 0, by_ref = q->client_ref.len != 0;
    if (by_id == by_ref || (by_id && q->message_id.len != VN_MSGID_BYTES) ||
        q->client_ref.len > 64) {
        agent__api_error(a, routing, routing_len, "invalid-request",
                         "give either a message id (16 bytes) or a client_ref (up to 64 bytes)");
        return;
    }
    MDB_txn *txn = agent__txn(a);
    if (!txn) {
        agent__api_error(a, routing, routing_len, "storage-error", "the agent's store is unavailable");
        return;
    }
    uint8_t msgid[VN_MSGID_BYTES];
    MDB_val k, v;
    int found;
    if (by_ref) {
        k = (MDB_val){q->client_ref.len, q->client_ref.data};
        found = mdb_get(txn, vn_store_dbi(a->db, ADB_CLIENT_REFS), &k, &v) == 0;
        int group = found ? s_group_entries(&v) : -1;
        if (found && group > 0) { /* a match:ID fan-out: the outcome per participant */
            agent__match_repeat(a, routing, routing_len, q->client_ref.data, q->client_ref.len,
                                (const uint8_t *)v.mv_data + REF_VALUE_LEN + 1, (size_t)group,
                                q->wait_ms, 1);
            return;
        }
        found = found && group == 0;
        if (found)
            memcpy(msgid, v.mv_data, VN_MSGID_BYTES);
    } else {
        memcpy(msgid, q->message_id.data, VN_MSGID_BYTES);
        k = (MDB_val){VN_MSGID_BYTES, msgid};
        found = mdb_get(txn, vn_store_dbi(a->db, ADB_RESULTS), &k, &v) == 0;
    }
    if (!found) {
        agent__api_error(a, routing, routing_len, "not-found",
                         by_ref ? "no submit of this organisation has that client_ref"
                                : "no submit of this organisation has that message id");
        return;
    }
    s_answer_stored(a, routing, routing_len, msgid, q->wait_ms, 1);
}

void agent__outcome_settled(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES], Vn__ApiSubmitResult *r)
{
    for (size_t i = 0; i < a->n_submits;) {
        waiter_t *w = &a->submits[i];
        if (memcmp(w->msgid, msgid, VN_MSGID_BYTES) != 0) {
            i++;
            continue;
        }
        /* Each waiter hears its own client_ref; the answer leaves after this turn's commit. */
        ProtobufCBinaryData ref = r->client_ref;
        if (!w->repeated)
            r->client_ref = (ProtobufCBinaryData){w->client_ref_len, w->client_ref};
        r->repeated = w->repeated;
        agent__answer_result(a, w->routing, w->routing_len, r, w->as_outcome);
        r->client_ref = ref;
        r->repeated = 0;
        *w = a->submits[--a->n_submits];
    }
}

void agent__submit_timeouts(agent_t *a, uint64_t now_ms)
{
    for (size_t i = 0; i < a->n_submits;) {
        waiter_t *w = &a->submits[i];
        if (w->deadline_ms > now_ms) {
            i++;
            continue;
        }
        Vn__ApiSubmitResult *stored = agent__result_get(a, w->msgid);
        Vn__ApiSubmitResult r = VN__API_SUBMIT_RESULT__INIT;
        r.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, w->msgid};
        r.outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
        r.client_ref = (ProtobufCBinaryData){w->client_ref_len, w->client_ref};
        Vn__ApiSubmitResult *ans = stored ? stored : &r;
        ans->repeated = w->repeated;
        agent__answer_result(a, w->routing, w->routing_len, ans, w->as_outcome);
        if (stored)
            vn__api_submit_result__free_unpacked(stored, NULL);
        *w = a->submits[--a->n_submits];
    }
}
