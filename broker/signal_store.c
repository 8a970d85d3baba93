/* signal_store.c -- signals and matches in the broker's LMDB store: records and the indexes that
 * make every match lookup a range read (youth, parent, owner, time), kept in step on every change. */
#include "signals.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vn_sigdb_init(vn_sigdb_t *d, const vn_store_t *db, MDB_txn *txn)
{
    memset(d, 0, sizeof *d);
    d->txn = txn;
    d->signals = vn_store_dbi(db, BDB_SIGNALS);
    d->by_pseud = vn_store_dbi(db, BDB_IDX_SUBJECT);
    d->owner = vn_store_dbi(db, BDB_SIG_OWNER);
    d->time = vn_store_dbi(db, BDB_SIG_TIME);
    d->matches = vn_store_dbi(db, BDB_MATCHES);
    d->match_signal = vn_store_dbi(db, BDB_MATCH_SIGNAL);
    d->match_org = vn_store_dbi(db, BDB_MATCH_ORG);
}

/* Time first, then randomness: new records land at the end of each B-tree (a group commit then
 * rewrites a few pages, not one per record per index), and ids are still never guessed. */
void vn_sigdb_new_id(char out[VN_ID_LEN + 1], char prefix)
{
    static uint64_t last; /* ids are made by the storage thread alone */
    uint64_t t = vn_now_us();
    if (t <= last) /* strictly increasing, even within one microsecond */
        t = last + 1;
    last = t;
    uint8_t raw[16];
    vn_put_be64(raw, t);
    vn_random_id_bytes(raw + 8, 8);
    out[0] = prefix;
    vn_hex(out + 1, raw, sizeof raw);
}

static int s_put(vn_sigdb_t *d, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    return vn_store_error(mdb_put(d->txn, dbi, &key, &val, 0));
}

static int s_del(vn_sigdb_t *d, MDB_dbi dbi, const void *k, size_t kl)
{
    MDB_val key = {kl, (void *)k};
    int rc = mdb_del(d->txn, dbi, &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

void vn_sigdb_pseud_prefix(uint8_t out[VN_SIGDB_PSEUD_PREFIX], const uint8_t pseud[32], char kind)
{
    memcpy(out, pseud, 32);
    out[32] = VN_SIGDB_MARK;
    out[33] = (uint8_t)kind;
}

size_t vn_sigdb_pseud_key(uint8_t out[VN_SIGDB_PSEUD_KEY], const uint8_t pseud[32], char kind,
                          const char *id)
{
    vn_sigdb_pseud_prefix(out, pseud, kind);
    memcpy(out + VN_SIGDB_PSEUD_PREFIX, id, VN_ID_LEN);
    return VN_SIGDB_PSEUD_KEY;
}

static size_t s_org_key(uint8_t *out, const char *org, const char *id)
{
    size_t n = strlen(org) + 1;
    memcpy(out, org, n);
    memcpy(out + n, id, VN_ID_LEN);
    return n + VN_ID_LEN;
}

static size_t s_time_key(uint8_t *out, uint64_t when, char kind, const char *id)
{
    vn_put_be64(out, when);
    out[8] = (uint8_t)kind;
    memcpy(out + 9, id, VN_ID_LEN);
    return 9 + VN_ID_LEN;
}

int vn_sigdb_put_record(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    size_t len = vn__signal_record__get_packed_size(r);
    uint8_t stack[1024], *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return -ENOMEM;
    vn__signal_record__pack(r, buf);
    int rc = s_put(d, d->signals, r->id, strlen(r->id), buf, len);
    if (buf != stack)
        free(buf);
    return rc;
}

int vn_sigdb_put_new(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    uint8_t key[VN_ORG_MAX + 1 + VN_ID_LEN + 32];
    if (strlen(r->id) != VN_ID_LEN || r->youth_pseudonym.len != 32)
        return VN_E_INVALID;
    int rc = vn_sigdb_put_record(d, r);
    if (rc == 0)
        rc = s_put(d, d->by_pseud, key,
                   vn_sigdb_pseud_key(key, r->youth_pseudonym.data, VN_SIGDB_YOUTH, r->id), "", 0);
    for (size_t i = 0; rc == 0 && i < r->n_parent_pseudonyms; i++)
        if (r->parent_pseudonyms[i].len == 32)
            rc = s_put(d, d->by_pseud, key,
                       vn_sigdb_pseud_key(key, r->parent_pseudonyms[i].data, VN_SIGDB_PARENT, r->id),
                       "", 0);
    if (rc == 0)
        rc = s_put(d, d->owner, key, s_org_key(key, r->owner, r->id), "", 0);
    /* Only its next lifetime event: the deletion is indexed when it stops being active. The
     * policy keeps retention >= the active period, so that is the end of its active period
     * unless both fall together (then it is deleted without becoming inactive first, as when
     * both were indexed: 'D' sorts first). One random insert fewer per registration. */
    if (rc == 0 && r->active_until < r->delete_after)
        rc = s_put(d, d->time, key, s_time_key(key, r->active_until, 'I', r->id), "", 0);
    else if (rc == 0)
        rc = s_put(d, d->time, key, s_time_key(key, r->delete_after, 'D', r->id), "", 0);
    return rc;
}

int vn_sigdb_get(vn_sigdb_t *d, const char *id, Vn__SignalRecord **out)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = mdb_get(d->txn, d->signals, &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    *out = vn__signal_record__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0 : VN_E_STORE;
}

/* Its deletion is its next lifetime event: the inactive entry goes, the delete entry is put (a
 * signal stored before only the next event was indexed already has it: rewritten, no harm). */
static int s_due_deletion(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    uint8_t key[9 + VN_ID_LEN];
    int rc = s_del(d, d->time, key, s_time_key(key, r->active_until, 'I', r->id));
    if (rc == 0)
        rc = s_put(d, d->time, key, s_time_key(key, r->delete_after, 'D', r->id), "", 0);
    return rc;
}

static int s_unmatchable(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    uint8_t key[VN_SIGDB_PSEUD_KEY];
    if (r->youth_pseudonym.len != 32)
        return VN_E_INVALID;
    int rc = s_del(d, d->by_pseud, key,
                   vn_sigdb_pseud_key(key, r->youth_pseudonym.data, VN_SIGDB_YOUTH, r->id));
    for (size_t i = 0; rc == 0 && i < r->n_parent_pseudonyms; i++)
        if (r->parent_pseudonyms[i].len == 32)
            rc = s_del(d, d->by_pseud, key,
                       vn_sigdb_pseud_key(key, r->parent_pseudonyms[i].data, VN_SIGDB_PARENT, r->id));
    return rc;
}

int vn_sigdb_unlink(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    int rc = s_unmatchable(d, r);
    return rc == 0 ? s_due_deletion(d, r) : rc;
}

int vn_sigdb_inactive(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    return s_due_deletion(d, r);
}

int vn_sigdb_delete(vn_sigdb_t *d, const Vn__SignalRecord *r)
{
    uint8_t key[VN_ORG_MAX + 1 + VN_ID_LEN + 32];
    int rc = s_unmatchable(d, r);
    if (rc == 0)
        rc = s_del(d, d->time, key, s_time_key(key, r->active_until, 'I', r->id));
    if (rc == 0)
        rc = s_del(d, d->owner, key, s_org_key(key, r->owner, r->id));
    if (rc == 0)
        rc = s_del(d, d->time, key, s_time_key(key, r->delete_after, 'D', r->id));
    if (rc == 0)
        rc = s_del(d, d->signals, r->id, strlen(r->id));
    return rc;
}

/* Stores written before signals were filed in the subject index kept them in signals_by_youth
 * and signals_by_parent (pseudonym(32) id): moved over in transactions of a bounded size (a
 * transaction's dirty pages are held in memory), each a step that a stop in between keeps. */
#define S_MOVE_STEP 20000
int vn_sigdb_move_old_index(vn_store_t *db, uint64_t *moved)
{
    *moved = 0;
    static const struct { int db; char kind; } old[] = {{BDB_SIG_YOUTH, VN_SIGDB_YOUTH},
                                                        {BDB_SIG_PARENT, VN_SIGDB_PARENT}};
    for (size_t o = 0; o < sizeof old / sizeof old[0]; o++) {
        for (;;) {
            MDB_txn *txn;
            int rc = vn_store_begin(db, 0, &txn);
            if (rc != 0)
                return rc;
            MDB_dbi from = vn_store_dbi(db, old[o].db), to = vn_store_dbi(db, BDB_IDX_SUBJECT);
            MDB_cursor *cur;
            if ((rc = vn_store_error(mdb_cursor_open(txn, from, &cur))) != 0) {
                mdb_txn_abort(txn);
                return rc;
            }
            size_t n = 0;
            MDB_val k, v, empty = {0, ""};
            int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
            for (; mrc == 0 && n < S_MOVE_STEP; mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) {
                if (k.mv_size == 32 + VN_ID_LEN) {
                    uint8_t key[VN_SIGDB_PSEUD_KEY];
                    MDB_val nk = {vn_sigdb_pseud_key(key, k.mv_data, old[o].kind,
                                                     (const char *)k.mv_data + 32),
                                  key};
                    if ((rc = vn_store_error(mdb_put(txn, to, &nk, &empty, 0))) != 0)
                        break;
                } /* another length was never written by this code: dropped */
                if ((rc = vn_store_error(mdb_cursor_del(cur, 0))) != 0)
                    break;
                n++;
            }
            mdb_cursor_close(cur);
            if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
                rc = vn_store_error(mrc);
            if (rc != 0 || n == 0) {
                mdb_txn_abort(txn);
                if (rc != 0)
                    return rc;
                break;
            }
            if ((rc = vn_store_commit(txn)) != 0)
                return rc;
            *moved += n;
        }
    }
    return 0;
}

/* ---- matches ---- */

static void s_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int vn_sigdb_match_get(vn_sigdb_t *d, const char *id, vn_match_t *m)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = mdb_get(d->txn, d->matches, &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    Vn__MatchInfo *w = vn__match_info__unpack(NULL, v.mv_size, v.mv_data);
    if (!w || w->n_participants > VN_MATCH_MAX) {
        if (w)
            vn__match_info__free_unpacked(w, NULL);
        return VN_E_STORE;
    }
    memset(m, 0, sizeof *m);
    s_copy(m->id, sizeof m->id, w->id);
    s_copy(m->kind, sizeof m->kind, w->kind);
    s_copy(m->coordinator, sizeof m->coordinator, w->coordinator);
    s_copy(m->handover_to, sizeof m->handover_to, w->handover_to);
    m->agreed = w->agreed;
    m->by_handover = w->coordinator_by_handover;
    m->created = w->created;
    m->updated = w->updated;
    m->n = w->n_participants;
    for (size_t i = 0; i < m->n; i++) {
        const Vn__MatchParticipant *p = w->participants[i];
        vn_mpart_t *q = &m->part[i];
        s_copy(q->org, sizeof q->org, p->org);
        s_copy(q->sector, sizeof q->sector, p->sector);
        s_copy(q->signal_id, sizeof q->signal_id, p->signal_id);
        s_copy(q->category, sizeof q->category, p->category);
        q->signal_date = p->signal_date;
        q->registered = p->registered;
        q->active = p->active;
    }
    vn__match_info__free_unpacked(w, NULL);
    return 0;
}

void vn_match_to_wire(const vn_match_t *m, vn_match_wire_t *w)
{
    vn__match_info__init(&w->info);
    w->info.id = (char *)m->id;
    w->info.kind = (char *)m->kind;
    w->info.coordinator = (char *)m->coordinator;
    w->info.handover_to = (char *)m->handover_to;
    w->info.agreed = m->agreed;
    w->info.coordinator_by_handover = m->by_handover;
    w->info.created = m->created;
    w->info.updated = m->updated;
    for (size_t i = 0; i < m->n; i++) {
        Vn__MatchParticipant *p = &w->parts[i];
        const vn_mpart_t *q = &m->part[i];
        vn__match_participant__init(p);
        p->org = (char *)q->org;
        p->sector = (char *)q->sector;
        p->signal_id = (char *)q->signal_id;
        p->signal_date = q->signal_date;
        p->category = (char *)q->category;
        p->active = q->active;
        p->registered = q->registered;
        w->ptrs[i] = p;
    }
    w->info.n_participants = m->n;
    w->info.participants = w->ptrs;
}

size_t vn_match_orgs(const vn_match_t *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(m->part[j].org, m->part[i].org) == 0;
        n += !seen;
    }
    return n;
}

int vn_match_has_org(const vn_match_t *m, const char *org, int active_only)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->part[i].org, org) == 0 && (!active_only || m->part[i].active))
            return 1;
    return 0;
}

/* MATCH_ORG entries: one per organisation taking part in m and not in except (the same match as
 * stored before, whose entries are already there or stay). */
static int s_org_entries(vn_sigdb_t *d, const vn_match_t *m, int remove, const vn_match_t *except)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        int seen = except && vn_match_has_org(except, m->part[i].org, 0);
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(m->part[j].org, m->part[i].org) == 0;
        if (seen)
            continue;
        uint8_t key[VN_ORG_MAX + 1 + VN_ID_LEN];
        size_t kl = s_org_key(key, m->part[i].org, m->id);
        rc = remove ? s_del(d, d->match_org, key, kl) : s_put(d, d->match_org, key, kl, "", 0);
    }
    return rc;
}

static int s_has_signal(const vn_match_t *m, const char *signal_id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->part[i].signal_id, signal_id) == 0)
            return 1;
    return 0;
}

/* Only what changed since old is written: an unchanged index entry rewritten would still dirty
 * its page, and a registration that joins a match would otherwise rewrite one page per
 * participant (docs/performance.md, "Signals at scale"). */
int vn_sigdb_match_put(vn_sigdb_t *d, const vn_match_t *m, const vn_match_t *old)
{
    if (old && strcmp(old->id, m->id) != 0)
        return VN_E_INVALID; /* old is this match as stored, under the same id */
    vn_match_wire_t *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    vn_match_to_wire(m, w);
    size_t len = vn__match_info__get_packed_size(&w->info);
    uint8_t *buf = malloc(len ? len : 1);
    int rc = buf ? 0 : -ENOMEM;
    if (rc == 0) {
        vn__match_info__pack(&w->info, buf);
        rc = s_put(d, d->matches, m->id, strlen(m->id), buf, len);
    }
    free(buf);
    free(w);
    if (rc == 0 && old)
        rc = s_org_entries(d, old, 1, m);
    if (rc == 0)
        rc = s_org_entries(d, m, 0, old);
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        if (!old || !s_has_signal(old, m->part[i].signal_id))
            rc = s_put(d, d->match_signal, m->part[i].signal_id, strlen(m->part[i].signal_id),
                       m->id, strlen(m->id));
    return rc;
}

int vn_sigdb_match_del(vn_sigdb_t *d, const vn_match_t *m)
{
    int rc = s_org_entries(d, m, 1, NULL);
    if (rc == 0)
        rc = s_del(d, d->matches, m->id, strlen(m->id));
    return rc;
}

int vn_sigdb_match_of(vn_sigdb_t *d, const char *signal_id, char id[VN_ID_LEN + 1])
{
    MDB_val k = {strlen(signal_id), (void *)signal_id}, v;
    int rc = mdb_get(d->txn, d->match_signal, &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size != VN_ID_LEN)
        return VN_E_STORE;
    memcpy(id, v.mv_data, VN_ID_LEN);
    id[VN_ID_LEN] = '\0';
    return 0;
}
