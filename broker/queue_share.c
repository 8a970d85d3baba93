/* queue_share.c -- one sender cannot take a recipient's whole queue, nor the store (storage
 * thread): each (sender, recipient) pair may hold at most queue_share_percent of
 * max_queue_per_recipient, and each sender's queued envelopes at most queue_share_percent of the
 * store's size in bytes (a flood of large envelopes fills the disk long before any count limit),
 * so reports from everyone else still get in while one organisation floods. Counted once from the
 * store (the sender of a queued delivery is its ACCEPTED record's actor), then kept by the
 * commits. A sender's bytes live in the pair (sender, ""): an envelope counts once per recipient
 * still waiting for it. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_log.h"
#include "vn_queue.h"
#include "vn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char sender[VN_ORG_MAX + 1];
    char recipient[VN_ORG_MAX + 1];
    uint64_t n;
    uint64_t bytes; /* in the pair (sender, ""): the sender's queued envelope bytes */
} s_pair_t;

struct broker_shares {
    s_pair_t *tab;          /* open addressing, cap a power of two; pairs are never removed */
    size_t n, cap;
    int valid;              /* 0: count again from the store before the next check */
};

static uint64_t s_hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over "a NUL b" */
    for (; *a; a++)
        h = (h ^ (uint8_t)*a) * 1099511628211ULL;
    h *= 1099511628211ULL;
    for (; *b; b++)
        h = (h ^ (uint8_t)*b) * 1099511628211ULL;
    return h;
}

static s_pair_t *s_slot(s_pair_t *tab, size_t cap, const char *sender, const char *recipient)
{
    for (size_t i = s_hash(sender, recipient) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!tab[i].sender[0] ||
            (strcmp(tab[i].sender, sender) == 0 && strcmp(tab[i].recipient, recipient) == 0))
            return &tab[i];
}

static s_pair_t *s_find(struct broker_shares *s, const char *sender, const char *recipient,
                        int create)
{
    if (!s->cap) {
        if (!create)
            return NULL;
    } else {
        s_pair_t *p = s_slot(s->tab, s->cap, sender, recipient);
        if (p->sender[0] || !create)
            return p->sender[0] ? p : NULL;
    }
    if (strlen(sender) > VN_ORG_MAX || strlen(recipient) > VN_ORG_MAX || !sender[0])
        return NULL;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        s_pair_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return NULL;
        for (size_t i = 0; i < s->cap; i++)
            if (s->tab[i].sender[0])
                *s_slot(tab, cap, s->tab[i].sender, s->tab[i].recipient) = s->tab[i];
        free(s->tab);
        s->tab = tab;
        s->cap = cap;
    }
    s_pair_t *p = s_slot(s->tab, s->cap, sender, recipient);
    snprintf(p->sender, sizeof p->sender, "%s", sender);
    snprintf(p->recipient, sizeof p->recipient, "%s", recipient);
    p->n = 0;
    p->bytes = 0;
    s->n++;
    return p;
}

static int s_enabled(const broker_t *b)
{
    return b->cfg.max_queue_depth && b->cfg.limits.queue_share_percent &&
           b->cfg.limits.queue_share_percent < 100;
}

/* The sender of the envelope accepted as audit record seq: that record's actor. 0 or -1. */
static int s_sender_of(MDB_txn *txn, broker_t *b, uint64_t seq, char *out, size_t cap)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    if (mdb_get(txn, vn_store_dbi(b->db, BDB_AUDIT), &k, &v) != 0)
        return -1;
    Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    if (!r)
        return -1;
    int rc = r->actor_org && r->actor_org[0] && strlen(r->actor_org) < cap ? 0 : -1;
    if (rc == 0)
        memcpy(out, r->actor_org, strlen(r->actor_org) + 1);
    vn__audit_record__free_unpacked(r, NULL);
    return rc;
}

/* Size of the envelope stored under seq, or 0 when it is gone. */
static uint64_t s_envelope_bytes(MDB_txn *txn, broker_t *b, uint64_t seq)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    return mdb_get(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &k, &v) == 0 ? v.mv_size : 0;
}

static void s_sender_bytes(struct broker_shares *s, const char *sender, int64_t delta)
{
    s_pair_t *t = s_find(s, sender, "", delta > 0);
    if (!t) {
        if (delta > 0)
            s->valid = 0;
        return;
    }
    t->bytes = delta < 0 && t->bytes < (uint64_t)-delta ? 0 : t->bytes + (uint64_t)delta;
}

/* Count every queued delivery by its sender, once. */
static int s_load(MDB_txn *txn, broker_t *b)
{
    struct broker_shares *s = b->shares;
    if (!s && !(s = b->shares = calloc(1, sizeof *s)))
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        s->tab[i].n = s->tab[i].bytes = 0;
    vn_queue_iter_t it;
    vn_queue_entry_t e;
    if (vn_queue_iter_open(txn, b->db, NULL, 0, &it) != 0)
        return -1;
    int rc, ok = 1;
    char sender[VN_ORG_MAX + 1];
    while ((rc = vn_queue_iter_next(&it, &e)) == 1) {
        if (e.kind != VN_QUEUE_DELIVERY || s_sender_of(txn, b, e.seq, sender, sizeof sender) != 0)
            continue;
        s_pair_t *p = s_find(s, sender, e.org, 1);
        if (!p) {
            ok = 0;
            break;
        }
        p->n++;
        s_sender_bytes(s, sender, (int64_t)s_envelope_bytes(txn, b, e.seq));
    }
    vn_queue_iter_close(&it);
    s->valid = ok && rc == 0;
    return s->valid ? 0 : -1;
}

void broker__share_add(broker_t *b, const char *sender, const char *recipient, int64_t delta,
                       uint64_t bytes)
{
    struct broker_shares *s = b->shares;
    if (!s || !s->valid || !s_enabled(b))
        return;
    s_pair_t *p = s_find(s, sender, recipient, delta > 0);
    if (!p) {
        if (delta > 0)
            s->valid = 0; /* out of memory: count again before the next check */
        return;
    }
    p->n = delta < 0 && p->n < (uint64_t)-delta ? 0 : p->n + (uint64_t)delta;
    s_sender_bytes(s, sender, delta < 0 ? -(int64_t)bytes : (int64_t)bytes);
}

void broker__share_unqueued(MDB_txn *txn, broker_t *b, const char *recipient, uint64_t seq)
{
    char sender[VN_ORG_MAX + 1];
    if (!b->shares || !b->shares->valid || !s_enabled(b))
        return;
    if (s_sender_of(txn, b, seq, sender, sizeof sender) == 0)
        broker__share_add(b, sender, recipient, -1, s_envelope_bytes(txn, b, seq));
    else
        b->shares->valid = 0;
}

void broker__share_invalidate(broker_t *b)
{
    if (b->shares)
        b->shares->valid = 0;
}

int broker__share_check(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, size_t env_len,
                        char *code, size_t code_len, char *reason, size_t reason_len)
{
    if (!s_enabled(b))
        return 0;
    if ((!b->shares || !b->shares->valid) && s_load(txn, b) != 0)
        return 0; /* cannot count: accept rather than refuse a lawful disclosure on our fault */
    uint64_t share = b->cfg.max_queue_depth * b->cfg.limits.queue_share_percent / 100;
    if (share == 0)
        share = 1;
    const char *sender = p->hdr->sender;
    uint64_t used, size;
    vn_store_usage(b->db, &used, &size);
    uint64_t byte_share = size / 100 * b->cfg.limits.queue_share_percent;
    const s_pair_t *mine = s_find(b->shares, sender, "", 0);
    uint64_t adding = (uint64_t)env_len * p->hdr->n_recipients; /* as broker__share_add counts */
    if (byte_share && (mine ? mine->bytes : 0) + adding > byte_share) {
        double mb = (double)(mine ? mine->bytes : 0) / 1048576.0;
        snprintf(code, code_len, "queue-share-full");
        snprintf(reason, reason_len,
                 "%s already has %.1f MiB of notifications waiting at the broker, its share of "
                 "the store (%u%% of %llu MiB); wait until they are collected\n"
                 "%s heeft al %.1f MiB aan meldingen bij de broker in de wachtrij, zijn aandeel "
                 "in de opslag (%u%% van %llu MiB); wacht tot ze zijn opgehaald",
                 sender, mb, b->cfg.limits.queue_share_percent,
                 (unsigned long long)(size >> 20), sender, mb, b->cfg.limits.queue_share_percent,
                 (unsigned long long)(size >> 20));
        vn_warn("event=queue-share-limit sender=%s bytes=%llu share=%llu", sender,
                (unsigned long long)(mine ? mine->bytes : 0), (unsigned long long)byte_share);
        return 1;
    }
    for (size_t i = 0; i < p->hdr->n_recipients; i++) {
        const char *r = p->hdr->recipients[i];
        const s_pair_t *pair = s_find(b->shares, sender, r, 0);
        if (!pair || pair->n < share)
            continue;
        snprintf(code, code_len, "queue-share-full");
        snprintf(reason, reason_len,
                 "%s already has %llu notifications from %s waiting, this sender's share of its "
                 "queue (%u%% of %llu); wait until it has collected them or use another channel\n"
                 "%s heeft al %llu meldingen van %s in de wachtrij, het aandeel van deze afzender "
                 "(%u%% van %llu); wacht tot ze zijn opgehaald of neem op een andere manier "
                 "contact op",
                 r, (unsigned long long)pair->n, sender, b->cfg.limits.queue_share_percent,
                 (unsigned long long)b->cfg.max_queue_depth, r, (unsigned long long)pair->n,
                 sender, b->cfg.limits.queue_share_percent,
                 (unsigned long long)b->cfg.max_queue_depth);
        vn_warn("event=queue-share-limit sender=%s recipient=%s", sender, r);
        return 1;
    }
    return 0;
}

void broker__share_fini(broker_t *b)
{
    if (b->shares) {
        free(b->shares->tab);
        free(b->shares);
        b->shares = NULL;
    }
}
