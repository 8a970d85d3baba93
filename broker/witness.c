/* witness.c -- the broker collects cosignatures (c2sp.org/tlog-witness over the wire): in rounds,
 * it sends the newest checkpoint with a consistency proof from each witness's last cosigned size
 * to the agents named in [witness] witnesses, keeps the cosignatures that verify, publishes the
 * checkpoint with them (GET /log/checkpoint) and broadcasts it to every connected agent, which
 * decides with its own quorum whether its receipts are final. Rounds run on the main thread. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_note.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WITNESSES_MAX 32
#define ROUND_TIMEOUT_US 2000000u  /* a witness that has not answered by then misses the round */
#define TICK_US 5000u              /* how often the main loop may start a round */
/* At most one round per ROUND_EVERY_US, counted from the last round's start: every round costs
 * each witness a signature check, a cosignature and a durable commit of its own, and at 1,000
 * notifications/s unpaced rounds (about 50/s) put those commits in the agents' delivery path.
 * A round that takes longer than this starts the next at once, as before. */
#define ROUND_EVERY_US 100000u
#define REPEAT_US 1000000u         /* a round for the same size: witnesses that joined late */

typedef struct {
    char org[VN_ORG_MAX + 1];
    uint64_t size;          /* its last cosigned size as far as we know (409 tells us better) */
    int asked, answered, retried;
    uint64_t refused_size;  /* it refused this size: not asked again until the log grows */
    char line[VN_NOTE_LINE_MAX]; /* its cosignature in this round ("" if none) */
} s_witness_t;

struct broker_witness {
    s_witness_t w[WITNESSES_MAX];
    size_t n;
    /* the round (main thread) */
    int active;
    char note[VN_CHECKPOINT_MAX];
    size_t note_len;
    uint64_t size, signed_us, started_us, last_tick_us, ended_us, quorum_size;
    size_t cosigned;
    /* the published checkpoint: the last round's note with its cosignatures (any thread) */
    pthread_mutex_t lock;
    char *published;
    size_t published_len;
    uint64_t published_size;
};

int broker__witness_init(broker_t *b)
{
    struct broker_witness *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    char list[sizeof b->cfg.witness.witnesses];
    memcpy(list, b->cfg.witness.witnesses, sizeof list);
    for (char *save = NULL, *id = strtok_r(list, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
        if (w->n == WITNESSES_MAX || strlen(id) > VN_ORG_MAX) {
            vn_error("event=witness-config reason=\"too many witnesses or an id too long\" max=%d",
                     WITNESSES_MAX);
            break;
        }
        snprintf(w->w[w->n++].org, sizeof w->w[0].org, "%s", id);
    }
    b->witness = w;
    if (w->n)
        vn_info("event=witnesses count=%zu quorum=%d", w->n, b->cfg.witness.quorum);
    return 0;
}

void broker__witness_fini(broker_t *b)
{
    if (!b->witness)
        return;
    pthread_mutex_destroy(&b->witness->lock);
    free(b->witness->published);
    free(b->witness);
    b->witness = NULL;
}

static s_witness_t *s_find(struct broker_witness *w, const char *org)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->w[i].org, org) == 0)
            return &w->w[i];
    return NULL;
}

/* "old N\n", the consistency proof from N in base64 lines, a blank line, the checkpoint note. */
static int s_ask(broker_t *b, MDB_txn *txn, s_witness_t *wit)
{
    struct broker_witness *w = b->witness;
    session_t *s = broker__session(b, wit->org);
    if (!s || s->state == SESSION_GONE)
        return 0;
    uint64_t old = wit->size <= w->size ? wit->size : 0;
    uint8_t (*proof)[VN_HASH] = malloc(VN_MERKLE_MAX_PROOF * VN_HASH);
    size_t n = 0;
    vn_audit_tree_t tree = {txn, b->db};
    if (!proof || (old && vn_merkle_consistency(vn_audit_node, &tree, old, w->size, proof, &n) != 0)) {
        free(proof);
        return 0;
    }
    size_t cap = 32 + n * 46 + 1 + w->note_len, len;
    char *body = malloc(cap);
    if (!body) {
        free(proof);
        return 0;
    }
    len = (size_t)snprintf(body, cap, "old %llu\n", (unsigned long long)old);
    for (size_t i = 0; i < n; i++) {
        sodium_bin2base64(body + len, cap - len, proof[i], VN_HASH, sodium_base64_VARIANT_ORIGINAL);
        len += strlen(body + len);
        body[len++] = '\n';
    }
    body[len++] = '\n';
    memcpy(body + len, w->note, w->note_len);
    len += w->note_len;
    Vn__CosignRequest req = VN__COSIGN_REQUEST__INIT;
    req.add_checkpoint = (ProtobufCBinaryData){len, (uint8_t *)body};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_COSIGN_REQUEST;
    m.cosign_request = &req;
    int rc = broker__send_wire(b, s->routing, s->routing_len, &m);
    free(body);
    free(proof);
    if (rc == 0)
        wit->asked = 1;
    return rc == 0;
}

/* Publish the round's note with the cosignatures it got, and tell every connected agent. */
static void s_end_round(broker_t *b)
{
    struct broker_witness *w = b->witness;
    size_t len = w->note_len;
    char *out = malloc(w->note_len + w->n * VN_NOTE_LINE_MAX + 1);
    if (!out)
        return;
    memcpy(out, w->note, w->note_len);
    for (size_t i = 0; i < w->n; i++) {
        size_t l = strlen(w->w[i].line);
        memcpy(out + len, w->w[i].line, l);
        len += l;
    }
    out[len] = 0;
    pthread_mutex_lock(&w->lock);
    free(w->published);
    w->published = out;
    w->published_len = len;
    w->published_size = w->size;
    pthread_mutex_unlock(&w->lock);
    w->active = 0;
    w->ended_us = vn_now_us();
    vn_debug("event=cosign-round size=%llu cosignatures=%zu of=%zu", (unsigned long long)w->size,
             w->cosigned, w->n);
    Vn__CosignedCheckpoint cc = VN__COSIGNED_CHECKPOINT__INIT;
    cc.checkpoint = (ProtobufCBinaryData){len, (uint8_t *)out};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_COSIGNED_CHECKPOINT;
    m.cosigned_checkpoint = &cc;
    uint8_t *packed;
    size_t plen;
    if (vn_wire_pack(&m, &packed, &plen) != 0)
        return;
    for (size_t i = 0; i < b->n_sessions; i++)
        if (b->sessions[i].state != SESSION_GONE)
            broker__send(b, b->sessions[i].routing, b->sessions[i].routing_len, packed, plen);
    free(packed);
}

void broker__witness_tick(broker_t *b)
{
    struct broker_witness *w = b->witness;
    if (!w || w->n == 0)
        return;
    uint64_t now = vn_now_us();
    if (w->active) {
        if (now - w->started_us > ROUND_TIMEOUT_US)
            s_end_round(b);
        return;
    }
    if (now - w->last_tick_us < TICK_US || (w->started_us && now - w->started_us < ROUND_EVERY_US))
        return;
    w->last_tick_us = now;
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) != 0)
        return;
    uint8_t *note = NULL;
    size_t len = 0;
    uint64_t signed_us = 0;
    vn_checkpoint_t cp;
    if (vn_audit_checkpoint_at(txn, b->db, 0, &note, &len, &signed_us, NULL) == 0 &&
        len < sizeof w->note && vn_checkpoint_open(note, len, NULL, NULL, &cp) == 0 &&
        (cp.size > w->size || now - w->ended_us >= REPEAT_US)) {
        if (cp.size > w->size) { /* a new checkpoint: every witness is asked afresh */
            memcpy(w->note, note, len);
            w->note_len = len;
            w->size = cp.size;
            w->signed_us = signed_us;
            w->cosigned = 0;
            for (size_t i = 0; i < w->n; i++)
                w->w[i].line[0] = 0;
        }
        w->started_us = now;
        size_t asked = 0;
        for (size_t i = 0; i < w->n; i++) {
            w->w[i].asked = w->w[i].answered = w->w[i].retried = 0;
            /* Who cosigned this size need not be asked again; who refused it is not asked again. */
            if (!w->w[i].line[0] && w->w[i].refused_size != w->size)
                asked += (size_t)s_ask(b, txn, &w->w[i]);
        }
        w->active = 1;
        if (asked == 0)
            s_end_round(b); /* publish what there is (and tell agents that joined since) */
    }
    free(note);
    mdb_txn_abort(txn);
}

void broker__on_cosign(broker_t *b, const char *org, const Vn__CosignResponse *r)
{
    struct broker_witness *w = b->witness;
    s_witness_t *wit = w ? s_find(w, org) : NULL;
    if (!wit || !w->active || !wit->asked || wit->answered || r->size != w->size)
        return; /* not a witness of ours, or an answer for an earlier round */
    char body[VN_NOTE_LINE_MAX];
    size_t blen = r->body.len < sizeof body - 1 ? r->body.len : sizeof body - 1;
    memcpy(body, r->body.data, blen);
    body[blen] = 0;
    if (r->status == 409 && !wit->retried) {
        /* Its last cosigned size is not what we thought: ask again from there. */
        char *end;
        unsigned long long size = strtoull(body, &end, 10);
        wit->size = *end == '\n' ? size : 0;
        wit->retried = 1;
        MDB_txn *txn;
        if (wit->size <= w->size && vn_store_begin(b->db, 1, &txn) == 0) {
            wit->asked = 0;
            s_ask(b, txn, wit);
            mdb_txn_abort(txn);
            if (wit->asked)
                return;
        }
    }
    wit->answered = 1;
    if (r->status == 200) {
        /* Keep the line only if it is that organisation's valid cosignature of this note. */
        const vn_org_t *o = broker__org(b, org);
        char name[VN_NOTE_NAME_MAX + 1], *note = malloc(w->note_len + blen + 1);
        vn_note_t *parsed = malloc(sizeof *parsed);
        snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", org);
        if (o && note && parsed && blen < VN_NOTE_LINE_MAX) {
            memcpy(note, w->note, w->note_len);
            memcpy(note + w->note_len, body, blen);
            if (vn_note_parse(note, w->note_len + blen, parsed) == 0 &&
                parsed->n_sigs == 2 && vn_note_verify_cosig(parsed, name, o->pub.sign_pk, NULL) == 0) {
                memcpy(wit->line, body, blen + 1);
                wit->size = w->size;
                w->cosigned++;
                if ((int)w->cosigned == b->cfg.witness.quorum) {
                    w->quorum_size = w->size;
                    vn_histogram_observe_us(&b->cosign_latency, vn_now_us() - w->signed_us);
                }
            } else {
                vn_warn("event=cosignature-invalid witness=%s size=%llu", org,
                        (unsigned long long)w->size);
            }
        }
        free(note);
        free(parsed);
    } else {
        /* The witness refused: it saw a log this checkpoint does not extend (or a bad request). */
        for (size_t i = 0; i < blen; i++)
            if (body[i] == '\n' || body[i] == '"')
                body[i] = ' ';
        wit->refused_size = w->size;
        vn_error("event=witness-refused witness=%s status=%u size=%llu reason=\"%s\"", org,
                 (unsigned)r->status, (unsigned long long)w->size, body);
    }
    size_t pending = 0;
    for (size_t i = 0; i < w->n; i++)
        pending += w->w[i].asked && !w->w[i].answered;
    if (pending == 0)
        s_end_round(b);
}

int broker__published_checkpoint(MDB_txn *txn, broker_t *b, char **note, size_t *len,
                                 uint64_t *size)
{
    struct broker_witness *w = b->witness;
    if (w && w->n) {
        pthread_mutex_lock(&w->lock);
        *note = w->published ? malloc(w->published_len + 1) : NULL;
        if (*note) {
            memcpy(*note, w->published, w->published_len + 1);
            *len = w->published_len;
            *size = w->published_size;
        }
        pthread_mutex_unlock(&w->lock);
        if (*note)
            return 0;
    }
    /* No witnesses, or no round yet: the newest checkpoint with the broker's signature alone. */
    uint8_t *buf;
    vn_checkpoint_t cp;
    int rc = vn_audit_latest_checkpoint(txn, b->db, &buf, len);
    if (rc != 0)
        return rc;
    if (vn_checkpoint_open(buf, *len, NULL, NULL, &cp) != 0) {
        free(buf);
        return VN_E_CHAIN;
    }
    *note = (char *)buf;
    *size = cp.size;
    return 0;
}
