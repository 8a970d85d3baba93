/* held.c -- submits about a subject whose pseudonym this agent has not cached yet. They wait in
 * memory while one evaluation for all of them is out (pseudonym_async.c) and then go as any other
 * submit. While the pseudonym service cannot answer they are held durably (sealed at rest, the
 * outcome QUEUED with code pseudonym-unavailable) and sent once it answers again: never without
 * a pseudonym, and each once, under the message id it was given when it was held. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARKED_MAX 4096 /* submits waiting in memory; beyond, held at once */
#define RETRY_MS 1000   /* held submits offered to the service again after a failed request */
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_VERSION 1
#define SEAL_OVERHEAD (16 + 1 + NONCE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

static const char s_held_reason[] =
    "the pseudonym service did not answer: the message is held in the agent's outbox and is "
    "sent once the service answers again, never without a pseudonym";
static const char s_held_reason_nl[] =
    "de pseudonimiseringsdienst antwoordt niet: het bericht wacht in de outbox van de agent en "
    "wordt verstuurd zodra de dienst weer antwoordt, nooit zonder pseudoniem";

typedef struct {
    uint8_t routing[ROUTING_MAX];
    size_t routing_len;
    uint8_t *packed; /* the ApiSubmit (sodium_malloc'd: it holds a BSN) */
    size_t len;
    char caller[256];
    char bsn[10];
    int in_request; /* its BSN is in the request out now */
} parked_t;

struct hold {
    agent_t *a;
    parked_t *parked;
    size_t n_parked, cap_parked;
    int down;              /* the last request went unanswered: hold new subjects at once */
    uint64_t next_try_ms;  /* when held submits are next offered to the service */
    uint64_t in_request[AGENT_ASYNC_BATCH]; /* held entries (hseq) in the request out now */
    size_t n_in_request;
};

int agent__hold_init(agent_t *a)
{
    if (a->pseudonyms_v1)
        return 0; /* the keyed hash needs no one: nothing waits */
    if (!(a->hold = calloc(1, sizeof *a->hold)))
        return -ENOMEM;
    a->hold->a = a;
    return agent__pseud_async_init(a);
}

static void s_parked_free(parked_t *p)
{
    if (p->packed)
        sodium_free(p->packed);
    p->packed = NULL;
    sodium_memzero(p->bsn, sizeof p->bsn);
}

void agent__hold_fini(agent_t *a)
{
    if (!a->hold)
        return;
    for (size_t i = 0; i < a->hold->n_parked; i++)
        s_parked_free(&a->hold->parked[i]);
    free(a->hold->parked);
    free(a->hold);
    a->hold = NULL;
    agent__pseud_async_fini(a);
}

int agent__hold_wants(agent_t *a, const Vn__ApiSubmit *s)
{
    uint8_t p[32];
    if (!a->hold || s->anonymous || vn_bsn_validate(s->subject_bsn) != 0)
        return 0; /* v1, no subject, or a BSN refused by the submit itself */
    int hit = agent__pseudonym_cache_get(a, s->subject_bsn, p);
    sodium_memzero(p, sizeof p);
    return !hit;
}

uint64_t agent__hold_count(agent_t *a)
{
    MDB_txn *txn = agent__txn(a);
    MDB_stat ms;
    if (!a->hold || !txn || mdb_stat(txn, vn_store_dbi(a->db, ADB_HELD), &ms) != 0)
        return 0;
    return ms.ms_entries;
}

/* The key held submits are sealed under at rest: derived from the organisation's secret key,
 * which is not in the data directory. */
static void s_key(const vn_keyset_t *keys, uint8_t k[32])
{
    crypto_generichash(k, 32, (const uint8_t *)"vangnet agent held submits v1", 29, keys->box_sk,
                       sizeof keys->box_sk);
}

/* Store s (from caller) as held under msgid: msgid || version || nonce || sealed(caller, s). */
static int s_held_put(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES], const char *caller,
                      const Vn__ApiSubmit *s)
{
    size_t clen = strlen(caller) < 255 ? strlen(caller) : 255;
    size_t slen = vn__api_submit__get_packed_size(s), plen = 1 + clen + slen;
    uint8_t *plain = sodium_malloc(plen), *val = malloc(SEAL_OVERHEAD + plen), k[32], key[8];
    uint64_t hseq;
    int rc = plain && val ? agent__next_counter(a, "hseq", &hseq) : -ENOMEM;
    MDB_txn *txn = agent__txn(a);
    if (rc == 0 && !txn)
        rc = VN_E_STORE;
    if (rc == 0) {
        plain[0] = (uint8_t)clen;
        memcpy(plain + 1, caller, clen);
        vn__api_submit__pack(s, plain + 1 + clen);
        memcpy(val, msgid, VN_MSGID_BYTES);
        val[16] = SEAL_VERSION;
        randombytes_buf(val + 17, NONCE_LEN);
        s_key(a->keys, k);
        /* the message id is the associated data: a sealed submit cannot be given another id */
        crypto_aead_xchacha20poly1305_ietf_encrypt(val + 17 + NONCE_LEN, NULL, plain, plen, msgid,
                                                   16, NULL, val + 17, k);
        sodium_memzero(k, sizeof k);
        vn_put_be64(key, hseq);
        MDB_val kk = {8, key}, v = {SEAL_OVERHEAD + plen, val};
        rc = agent__put(a, txn, ADB_HELD, &kk, &v);
    }
    if (plain)
        sodium_free(plain);
    free(val);
    return rc;
}

/* Open a held value: its message id, caller and submit (the caller frees *out), or -1. */
static int s_held_open(agent_t *a, const MDB_val *v, uint8_t msgid[VN_MSGID_BYTES],
                       char caller[256], Vn__ApiSubmit **out)
{
    const uint8_t *d = v->mv_data;
    if (v->mv_size < SEAL_OVERHEAD + 1 || d[16] != SEAL_VERSION)
        return -1;
    size_t plen = v->mv_size - SEAL_OVERHEAD;
    uint8_t *plain = sodium_malloc(plen), k[32];
    if (!plain)
        return -1;
    int rc = -1;
    const vn_keyset_t *sets[2] = {a->keys, a->prev_keys}; /* held before a key rotation */
    for (int i = 0; i < 2 && rc != 0 && sets[i]; i++) {
        s_key(sets[i], k);
        rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, d + 17 + NONCE_LEN,
                                                        v->mv_size - 17 - NONCE_LEN, d, 16,
                                                        d + 17, k);
        sodium_memzero(k, sizeof k);
    }
    if (rc == 0 && (size_t)plain[0] + 1 <= plen) {
        memcpy(msgid, d, VN_MSGID_BYTES);
        memcpy(caller, plain + 1, plain[0]);
        caller[plain[0]] = 0;
        *out = vn__api_submit__unpack(NULL, plen - 1 - plain[0], plain + 1 + plain[0]);
        rc = *out ? 0 : -1;
    } else {
        rc = -1;
    }
    sodium_free(plain);
    return rc;
}

/* Hold s durably and answer the caller at once: queued, pseudonym-unavailable. */
static void s_hold(agent_t *a, const uint8_t *routing, size_t routing_len, const Vn__ApiSubmit *s,
                   const char *caller)
{
    /* another submit of the same batch may have used this client_ref meanwhile */
    if (agent__client_ref_check(a, routing, routing_len, s))
        return;
    uint8_t msgid[VN_MSGID_BYTES];
    randombytes_buf(msgid, sizeof msgid);
    Vn__ApiSubmitResult queued = VN__API_SUBMIT_RESULT__INIT;
    queued.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, msgid};
    queued.outcome = VN__API_SUBMIT_RESULT__OUTCOME__QUEUED;
    queued.client_ref = s->client_ref;
    queued.submitted = vn_now();
    queued.code = "pseudonym-unavailable";
    queued.reason = (char *)s_held_reason;
    queued.reason_nl = (char *)s_held_reason_nl;
    int rc = s_held_put(a, msgid, caller, s);
    if (rc == 0)
        rc = agent__result_put(a, msgid, &queued);
    if (rc == 0)
        rc = agent__client_ref_bind(a, s, msgid);
    if (rc != 0) {
        a->batch_error = a->batch_error ? a->batch_error : rc; /* nothing of it may stay */
        agent__api_error(a, routing, routing_len,
                         rc == VN_E_STORE_FULL ? "storage-full" : "storage-error",
                         vn_strerror(rc));
        return;
    }
    char hex[33];
    vn_warn("event=held msg=%s reason=pseudonym-unavailable", vn_hex(hex, msgid, VN_MSGID_BYTES));
    agent__answer_result(a, routing, routing_len, &queued, 0);
}

void agent__hold_park(agent_t *a, const uint8_t *routing, size_t routing_len,
                      const Vn__ApiSubmit *s)
{
    struct hold *h = a->hold;
    char msg[256];
    const char *code = agent__submit_validate(a, s, msg, sizeof msg);
    if (code) { /* refused now: no evaluation spent on a submit that cannot go */
        agent__api_error(a, routing, routing_len, code, msg);
        return;
    }
    if (h->down || h->n_parked >= PARKED_MAX) {
        s_hold(a, routing, routing_len, s, a->api_caller);
        return;
    }
    if (h->n_parked == h->cap_parked) {
        size_t cap = h->cap_parked ? 2 * h->cap_parked : 64;
        parked_t *more = realloc(h->parked, cap * sizeof *more);
        if (!more) {
            agent__api_error(a, routing, routing_len, "storage-error", "out of memory");
            return;
        }
        h->parked = more;
        h->cap_parked = cap;
    }
    parked_t *p = &h->parked[h->n_parked];
    memset(p, 0, sizeof *p);
    p->len = vn__api_submit__get_packed_size(s);
    if (!(p->packed = sodium_malloc(p->len ? p->len : 1))) {
        agent__api_error(a, routing, routing_len, "storage-error", "out of memory");
        return;
    }
    vn__api_submit__pack(s, p->packed);
    memcpy(p->routing, routing, routing_len);
    p->routing_len = routing_len;
    snprintf(p->caller, sizeof p->caller, "%s", a->api_caller);
    snprintf(p->bsn, sizeof p->bsn, "%s", s->subject_bsn);
    h->n_parked++;
    a->pseud_waiting = h->n_parked;
}

/* Take the parked submits (those in the request, or all) out of the list, into *out. */
static size_t s_take_parked(struct hold *h, int all, parked_t **out)
{
    size_t n = 0, keep = 0;
    *out = malloc((h->n_parked ? h->n_parked : 1) * sizeof **out);
    if (!*out)
        return 0;
    for (size_t i = 0; i < h->n_parked; i++) {
        if (all || h->parked[i].in_request)
            (*out)[n++] = h->parked[i];
        else
            h->parked[keep++] = h->parked[i];
    }
    h->n_parked = keep;
    h->a->pseud_waiting = keep;
    return n;
}

static Vn__ApiSubmit *s_parked_submit(agent_t *a, const parked_t *p)
{
    snprintf(a->api_caller, sizeof a->api_caller, "%s", p->caller);
    return vn__api_submit__unpack(NULL, p->len, p->packed);
}

/* A held submit refused for good (the service refused its evaluation, or a check at release):
 * the outcome REFUSED, told to whoever waits, else through the inbox. */
static void s_refuse(agent_t *a, const uint8_t msgid[VN_MSGID_BYTES], const char *code,
                     const char *reason)
{
    Vn__ApiSubmitResult *stored = agent__result_get(a, msgid);
    Vn__ApiSubmitResult r = VN__API_SUBMIT_RESULT__INIT;
    r.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)msgid};
    r.outcome = VN__API_SUBMIT_RESULT__OUTCOME__REFUSED;
    r.code = (char *)code;
    r.reason = (char *)reason;
    r.decided = vn_now();
    if (stored) {
        r.submitted = stored->submitted;
        r.client_ref = stored->client_ref;
    }
    char hex[33];
    vn_warn("event=held-refused msg=%s code=%s", vn_hex(hex, msgid, VN_MSGID_BYTES), code);
    if (agent__result_put(a, msgid, &r) == 0) {
        size_t waiting = a->n_submits;
        agent__outcome_settled(a, msgid, &r);
        if (waiting == a->n_submits) {
            uint8_t notice_id[16];
            randombytes_buf(notice_id, sizeof notice_id);
            agent__inbox_notice(a, notice_id, msgid, "", code, reason);
        }
    }
    if (stored)
        vn__api_submit_result__free_unpacked(stored, NULL);
}

/* The held entry hseq after an evaluation: sealed and queued if its pseudonym is now cached,
 * refused with code if the service refused it (code != NULL), else kept. */
static void s_release(agent_t *a, uint64_t hseq, const char *fail_code, const char *fail_msg)
{
    MDB_txn *txn = agent__txn(a);
    uint8_t key[8], msgid[VN_MSGID_BYTES], p[32];
    vn_put_be64(key, hseq);
    MDB_val k = {8, key}, v;
    char caller[256], msg[256];
    Vn__ApiSubmit *s = NULL;
    if (!txn || mdb_get(txn, vn_store_dbi(a->db, ADB_HELD), &k, &v) != 0)
        return; /* gone already */
    if (s_held_open(a, &v, msgid, caller, &s) != 0) {
        vn_error("event=held-unreadable hseq=%llu action=kept", (unsigned long long)hseq);
        return;
    }
    const char *code = fail_code;
    const char *why = fail_msg;
    if (!code && (a->link == AGENT_LINK_REVOKED || !agent__pseudonym_cache_get(a, s->subject_bsn, p)))
        goto keep;
    snprintf(a->api_caller, sizeof a->api_caller, "%s", caller);
    if (!code && !agent__vocab_allows(a, "category", s->category)) {
        code = "unknown-term";
        snprintf(msg, sizeof msg, "category '%.64s' is not in the signed vocabulary", s->category);
        why = msg;
    }
    if (!code && agent__seal_and_queue_held(a, s, msgid, &code, msg, sizeof msg) != 0) {
        if (strcmp(code, "storage-full") == 0 || strcmp(code, "storage-error") == 0)
            goto keep; /* the turn's transaction is abandoned: held as before */
        why = msg;
    } else if (!code) {
        char hex[33];
        vn_info("event=released msg=%s", vn_hex(hex, msgid, VN_MSGID_BYTES));
    }
    if (code)
        s_refuse(a, msgid, code, why);
    (void)agent__del(a, txn, ADB_HELD, &k);
keep:
    sodium_memzero(p, sizeof p);
    vn__api_submit__free_unpacked(s, NULL);
}

/* The request was answered: every pseudonym in it is cached; send what waited for it. */
static void s_answered(agent_t *a, uint64_t now)
{
    struct hold *h = a->hold;
    if (h->down)
        vn_info("event=pseudonymd-answering held=%llu", (unsigned long long)agent__hold_count(a));
    h->down = 0;
    parked_t *list;
    size_t n = s_take_parked(h, 0, &list);
    for (size_t i = 0; i < n; i++) {
        Vn__ApiSubmit *s = s_parked_submit(a, &list[i]);
        if (s) /* as it came: its pseudonym is a cache hit now */
            agent__submit(a, list[i].routing, list[i].routing_len, s);
        else
            agent__api_error(a, list[i].routing, list[i].routing_len, "storage-error",
                             "out of memory");
        if (s)
            vn__api_submit__free_unpacked(s, NULL);
        s_parked_free(&list[i]);
    }
    free(list);
    for (size_t i = 0; i < h->n_in_request; i++)
        s_release(a, h->in_request[i], NULL, NULL);
    h->n_in_request = 0;
    h->next_try_ms = now; /* the rest of the held submits: at once */
}

/* The request failed: unanswered, everything waiting is held; refused, what was in it is. */
static void s_failed(agent_t *a, const char *code, const char *msg, uint64_t now)
{
    struct hold *h = a->hold;
    int unavailable = strcmp(code, "pseudonym-unavailable") == 0;
    if (unavailable && !h->down)
        vn_warn("event=pseudonym-unavailable reason=\"%s\" action=\"holding submits about new "
                "subjects until it answers\"", msg);
    if (unavailable)
        h->down = 1;
    parked_t *list;
    size_t n = s_take_parked(h, unavailable, &list);
    for (size_t i = 0; i < n; i++) {
        Vn__ApiSubmit *s = unavailable ? s_parked_submit(a, &list[i]) : NULL;
        if (s)
            s_hold(a, list[i].routing, list[i].routing_len, s, list[i].caller);
        else
            agent__api_error(a, list[i].routing, list[i].routing_len,
                             unavailable ? "storage-error" : code,
                             unavailable ? "out of memory" : msg);
        if (s)
            vn__api_submit__free_unpacked(s, NULL);
        s_parked_free(&list[i]);
    }
    free(list);
    for (size_t i = 0; !unavailable && i < h->n_in_request; i++)
        s_release(a, h->in_request[i], code, msg);
    h->n_in_request = 0;
    h->next_try_ms = now + RETRY_MS;
}

/* Add bsn to the request's list unless it is there; 0 if the list is full. */
static int s_add_bsn(char (*bsns)[10], size_t *n, const char *bsn)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(bsns[i], bsn) == 0)
            return 1;
    if (*n == AGENT_ASYNC_BATCH)
        return 0;
    snprintf(bsns[(*n)++], 10, "%s", bsn);
    return 1;
}

/* One request for every subject waiting: the parked ones, then (when due) the held ones. */
static void s_start(agent_t *a, uint64_t now)
{
    struct hold *h = a->hold;
    char(*bsns)[10] = sodium_malloc(AGENT_ASYNC_BATCH * 10);
    size_t n = 0;
    if (!bsns)
        return;
    for (size_t i = 0; i < h->n_parked; i++)
        if (!h->parked[i].in_request && s_add_bsn(bsns, &n, h->parked[i].bsn))
            h->parked[i].in_request = 1;
    MDB_txn *txn = agent__txn(a);
    MDB_cursor *cur = NULL;
    if (now >= h->next_try_ms && n < AGENT_ASYNC_BATCH && txn &&
        mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_HELD), &cur) == 0) {
        MDB_val k, v;
        for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
             c == 0 && h->n_in_request < AGENT_ASYNC_BATCH; c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint8_t msgid[VN_MSGID_BYTES];
            char caller[256];
            Vn__ApiSubmit *s = NULL;
            if (k.mv_size != 8 || s_held_open(a, &v, msgid, caller, &s) != 0)
                continue;
            if (s_add_bsn(bsns, &n, s->subject_bsn))
                h->in_request[h->n_in_request++] = vn_get_be64(k.mv_data);
            vn__api_submit__free_unpacked(s, NULL);
        }
        mdb_cursor_close(cur);
        h->next_try_ms = now + RETRY_MS;
    }
    if (n > 0)
        vn_debug("event=pseudonym-request subjects=%zu held=%zu", n, h->n_in_request);
    if (n > 0 && agent__pseud_async_start(a, "notification", bsns, n) != 0) {
        vn_error("event=pseudonym-blinding-failed n=%zu action=\"retrying next turn\"", n);
        for (size_t i = 0; i < h->n_parked; i++)
            h->parked[i].in_request = 0;
        h->n_in_request = 0;
    }
    sodium_free(bsns);
}

void agent__hold_turn(agent_t *a, uint64_t now_ms)
{
    if (!a->hold)
        return;
    /* twice: a request started in this turn leaves in it, if a connection is up */
    for (int round = 0; round < 2; round++) {
        if (agent__pseud_async_busy(a)) {
            const char *code = NULL;
            char msg[512];
            int r = agent__pseud_async_step(a, &code, msg, sizeof msg);
            if (r == 0)
                return;
            if (r == 1)
                s_answered(a, now_ms);
            else
                s_failed(a, code, msg, now_ms);
        }
        if (round == 0)
            s_start(a, now_ms);
    }
}

void agent__hold_flush(agent_t *a)
{
    if (!a->hold)
        return;
    parked_t *list;
    size_t n = s_take_parked(a->hold, 1, &list);
    for (size_t i = 0; i < n; i++) { /* stopping: what was waiting in memory is held durably */
        Vn__ApiSubmit *s = s_parked_submit(a, &list[i]);
        if (s) {
            s_hold(a, list[i].routing, list[i].routing_len, s, list[i].caller);
            vn__api_submit__free_unpacked(s, NULL);
        }
        s_parked_free(&list[i]);
    }
    free(list);
}
