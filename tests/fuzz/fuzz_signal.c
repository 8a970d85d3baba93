/* fuzz_signal.c -- libFuzzer target: any bytes as a peer's WireMessage with a SignalRequest or
 * MatchRequest, through the code the broker runs on it (signals.c, signal_list.c and the matcher)
 * over a real store with three registered organisations and config/policy.conf and
 * config/vocabulary.conf. Changes are applied in a write transaction as the storage thread does,
 * then checked: the reply decodes and answers the request; a refused one stored no signal, match
 * or notice; a list holds only the asker's signals, or matches it takes part in. A request id of
 * "#N" stands for the asker's N-th stored signal or match, so the fuzzer reaches real ones. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "signals.h"
#include "vn_brokerdb.h"
#include "vn_policy.h"
#include "vn_registry.h"
#include "vn_vocab.h"
#include "vn_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const s_orgs[][2] = {
    {"ggz-a", "ggz"}, {"jeugd-b", "jeugdhulp"}, {"school-c", "onderwijs"}};
static broker_t s_b;
static const char *s_asker;
static size_t s_answers, s_notices;
static char s_dir[] = "/tmp/vn-fuzz-signal-XXXXXX";

static void s_cleanup(void)
{
    char path[sizeof s_dir + 16];
    vn_store_destroy(&s_b.db);
    snprintf(path, sizeof path, "%s/data.mdb", s_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", s_dir);
    unlink(path);
    rmdir(s_dir);
}

/* The storage thread's per-recipient counts: here, the notices queued by one request. */
void broker__depth_add(broker_t *b, const char *org, int64_t delta)
{
    (void)b;
    (void)org;
    s_notices += delta > 0;
}

static int s_in_match(const Vn__MatchInfo *m, const char *org)
{
    for (size_t i = 0; i < m->n_participants; i++)
        if (strcmp(m->participants[i]->org, org) == 0)
            return 1;
    return 0;
}

/* The transport for lists: the answer is checked instead of sent. */
int broker__send_wire(broker_t *b, const uint8_t *routing, size_t routing_len,
                      Vn__WireMessage *msg)
{
    (void)b;
    (void)routing;
    (void)routing_len;
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(msg, &buf, &len) != 0 || len > 1024 * 1024)
        abort();
    if (msg->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE) {
        for (size_t i = 0; i < msg->signal_response->n_records; i++)
            if (strcmp(msg->signal_response->records[i]->owner, s_asker) != 0)
                abort(); /* another organisation's signal */
    } else if (msg->body_case == VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE) {
        for (size_t i = 0; i < msg->match_response->n_matches; i++)
            if (!s_in_match(msg->match_response->matches[i], s_asker))
                abort(); /* a match the asker takes no part in */
    } else {
        abort();
    }
    free(buf);
    s_answers++;
    return 0;
}

static void s_init(void)
{
    char err[256];
    int rc;
    if (sodium_init() < 0 || !mkdtemp(s_dir) || !(s_b.db = vn_brokerdb_open(s_dir, 256u << 20, 0, &rc, err, sizeof err)))
        abort();
    atexit(s_cleanup);
    s_b.keys = vn_keyset_generate("broker", "broker");
    s_b.policy = vn_policy_load(VN_SOURCE_DIR "/config/policy.conf", err, sizeof err);
    s_b.vocab = vn_vocab_load(VN_SOURCE_DIR "/config/vocabulary.conf", err, sizeof err);
    if (!s_b.keys || !s_b.policy || !s_b.vocab || !vn_policy_signals(s_b.policy))
        abort();
    pthread_rwlock_init(&s_b.policy_lock, NULL);
    for (size_t i = 0; i < sizeof s_orgs / sizeof s_orgs[0]; i++) {
        vn_keyset_t *ks = vn_keyset_generate(s_orgs[i][0], s_orgs[i][1]);
        if (!ks || vn_registry_add(s_b.db, &ks->pub, "fuzz") != 0)
            abort();
        vn_keyset_destroy(&ks);
    }
}

/* "#N": the asker's N-th signal (owner index) or match (match-org index), else "" . */
static void s_nth(MDB_txn *txn, MDB_dbi dbi, const char *ref, char out[VN_ID_LEN + 1])
{
    out[0] = '\0';
    size_t prefix = strlen(s_asker) + 1;
    long n = strtol(ref + 1, NULL, 10);
    MDB_cursor *cur;
    MDB_val k = {prefix, (void *)s_asker}, v;
    if (mdb_cursor_open(txn, dbi, &cur) != 0)
        return;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n >= 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n--) {
        if (k.mv_size != prefix + VN_ID_LEN || memcmp(k.mv_data, s_asker, prefix) != 0)
            break;
        if (n == 0) {
            memcpy(out, (char *)k.mv_data + prefix, VN_ID_LEN);
            out[VN_ID_LEN] = '\0';
        }
    }
    mdb_cursor_close(cur);
}

static size_t s_count(MDB_txn *txn, int which)
{
    MDB_stat st;
    return mdb_stat(txn, vn_store_dbi(s_b.db, which), &st) == 0 ? st.ms_entries : 0;
}

/* A change, as the storage thread applies it: one write transaction, then checks. */
static void s_apply(Vn__WireMessage *w, int commit)
{
    MDB_txn *txn;
    if (vn_store_begin(s_b.db, 0, &txn) != 0)
        abort();
    /* "#N" references become the ids of what is stored (the originals are put back before the
     * message is freed). */
    char sid[VN_ID_LEN + 1], mid[VN_ID_LEN + 1];
    char **ref = NULL, *orig = NULL;
    if (w->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST &&
        w->signal_request->op_case == VN__SIGNAL_REQUEST__OP_WITHDRAW)
        ref = &w->signal_request->withdraw;
    else if (w->body_case == VN__WIRE_MESSAGE__BODY_MATCH_REQUEST) {
        Vn__MatchRequest *r = w->match_request;
        ref = r->op_case == VN__MATCH_REQUEST__OP_HANDOVER && r->handover ? &r->handover->match_id
              : r->op_case == VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER ? &r->accept_handover
              : r->op_case == VN__MATCH_REQUEST__OP_AGREE ? &r->agree : NULL;
    }
    if (ref && *ref && (*ref)[0] == '#') {
        int is_sig = w->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST;
        s_nth(txn, vn_store_dbi(s_b.db, is_sig ? BDB_SIG_OWNER : BDB_MATCH_ORG), *ref,
              is_sig ? sid : mid);
        orig = *ref;
        *ref = is_sig ? sid : mid;
    }
    item_t it = {.kind = ITEM_SIGNAL};
    snprintf(it.org, sizeof it.org, "%s", s_asker);
    if (vn_wire_pack(w, &it.payload, &it.payload_len) != 0)
        abort();
    if (orig)
        *ref = orig;
    /* protobuf-c keeps an unknown field numbered 0 when its tag is spelled in two bytes, packs
     * it in one, and then refuses its own output: such an input cannot reach the broker as
     * repacked here (the broker reads the bytes it was sent, never a repacking). */
    Vn__WireMessage *again;
    if (vn_wire_unpack(it.payload, it.payload_len, &again) != 0) {
        free(it.payload);
        mdb_txn_abort(txn);
        return;
    }
    vn__wire_message__free_unpacked(again, NULL);
    size_t signals = s_count(txn, BDB_SIGNALS), matches = s_count(txn, BDB_MATCHES);
    s_notices = 0;
    int arc = broker__signal_apply(txn, &s_b, &it);
    if (arc != 0) { /* the store has room: every request is answered */
        fprintf(stderr, "signal_apply: %s\n", vn_strerror(arc));
        abort();
    }
    /* The reply decodes, answers this kind of request, and a refusal stored nothing. */
    Vn__WireMessage *reply;
    if (!it.reply || vn_wire_unpack(it.reply, it.reply_len, &reply) != 0) {
        fprintf(stderr, "no reply that decodes (%zu bytes)\n", it.reply ? it.reply_len : 0);
        abort();
    }
    const char *code = NULL;
    if (w->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST) {
        if (reply->body_case != VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE)
            abort();
        code = reply->signal_response->code;
        for (size_t i = 0; i < reply->signal_response->n_records; i++)
            if (strcmp(reply->signal_response->records[i]->owner, s_asker) != 0)
                abort();
    } else {
        if (reply->body_case != VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE)
            abort();
        code = reply->match_response->code;
    }
    if (code && code[0] && (s_count(txn, BDB_SIGNALS) != signals ||
                            s_count(txn, BDB_MATCHES) != matches || s_notices != 0))
        abort(); /* refused, yet something was stored */
    vn__wire_message__free_unpacked(reply, NULL);
    free(it.payload);
    free(it.reply);
    /* Commit about half, while the store is small, so matches build up across inputs. */
    if (commit && signals < 2000) {
        if (vn_store_commit(txn) != 0)
            abort();
    } else {
        mdb_txn_abort(txn);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_b.db)
        s_init();
    Vn__WireMessage *w;
    if (vn_wire_unpack(data, size, &w) != 0)
        return 0;
    s_asker = s_orgs[size % 3][0]; /* who asks: any of the three, by the input's length */
    static const uint8_t routing[] = {0, 1, 2, 3, 4};
    size_t before = s_answers;
    if (w->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST) {
        if (w->signal_request->op_case == VN__SIGNAL_REQUEST__OP_LIST) {
            broker__signal_list(&s_b, s_asker, routing, sizeof routing, w->signal_request);
            if (s_answers != before + 1)
                abort(); /* every list is answered */
        } else {
            s_apply(w, data[size - 1] & 1);
        }
    } else if (w->body_case == VN__WIRE_MESSAGE__BODY_MATCH_REQUEST) {
        int op = w->match_request->op_case;
        if (op == VN__MATCH_REQUEST__OP_LIST || op == VN__MATCH_REQUEST__OP_SHOW) {
            broker__match_list(&s_b, s_asker, routing, sizeof routing, w->match_request);
            if (s_answers != before + 1)
                abort();
        } else {
            s_apply(w, data[size - 1] & 1);
        }
    }
    vn__wire_message__free_unpacked(w, NULL);
    return 0;
}
