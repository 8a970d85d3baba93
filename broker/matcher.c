/* matcher.c -- matching signals on pseudonyms: a new signal joins every live signal on the same
 * youth (client match) or naming a shared parent (family match) into one match; leaving signals
 * may split or end it; inactive ones stay listed but their owners are no longer told. Every step
 * reads index ranges bounded by VN_MATCH_MAX, never the whole store. */
#include "signals.h"
#include "vn_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_MAX (VN_MATCH_MAX + 1)

typedef struct {
    char id[VN_ID_LEN + 1];
    int via_youth;
    Vn__SignalRecord *rec; /* read already (owned by the registration's links), or NULL */
} s_link_t;

void vn_match_outcome_clear(vn_match_outcome_t *o)
{
    free(o->parts);
    memset(o, 0, sizeof *o);
}

static void s_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* The ids filed under pseud as youth or as parent (kind), added to links (no duplicates).
 * VN_E_TOO_LARGE past cap. */
static int s_range(vn_sigdb_t *d, char kind, const uint8_t *pseud, int via_youth,
                   s_link_t *links, size_t *n)
{
    MDB_cursor *cur;
    int rc = vn_store_error(mdb_cursor_open(d->txn, d->by_pseud, &cur));
    if (rc != 0)
        return rc;
    uint8_t prefix[VN_SIGDB_PSEUD_PREFIX];
    vn_sigdb_pseud_prefix(prefix, pseud, kind);
    MDB_val k = {sizeof prefix, prefix}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != VN_SIGDB_PSEUD_KEY || memcmp(k.mv_data, prefix, sizeof prefix) != 0)
            break;
        const char *id = (const char *)k.mv_data + VN_SIGDB_PSEUD_PREFIX;
        size_t i = 0;
        while (i < *n && memcmp(links[i].id, id, VN_ID_LEN) != 0)
            i++;
        if (i == *n) {
            if (*n == LINK_MAX) {
                rc = VN_E_TOO_LARGE;
                break;
            }
            memcpy(links[i].id, id, VN_ID_LEN);
            links[i].id[VN_ID_LEN] = '\0';
            links[i].via_youth = 0;
            links[i].rec = NULL;
            (*n)++;
        }
        links[i].via_youth |= via_youth;
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = vn_store_error(mrc);
    mdb_cursor_close(cur);
    return rc;
}

static void s_part_from(vn_sigdb_t *d, vn_mpart_t *q, const Vn__SignalRecord *r, uint64_t now)
{
    memset(q, 0, sizeof *q);
    s_copy(q->org, sizeof q->org, r->owner);
    const char *sector = d->sector_of ? d->sector_of(d->ctx, r->owner) : NULL;
    s_copy(q->sector, sizeof q->sector, sector);
    s_copy(q->signal_id, sizeof q->signal_id, r->id);
    s_copy(q->category, sizeof q->category, r->category);
    q->signal_date = r->signal_date;
    q->registered = r->registered;
    q->active = r->active_until > now;
    if (r->youth_pseudonym.len == 32) {
        memcpy(q->youth, r->youth_pseudonym.data, 32);
        q->youth_known = 1;
    }
}

static void s_notify(vn_match_outcome_t *o, int part, const char *org, const char *event)
{
    for (size_t i = 0; i < o->n_notify; i++)
        if (o->notify[i].part == part && strcmp(o->notify[i].org, org) == 0)
            return; /* one notice per organisation per change */
    if (o->n_notify == VN_MATCH_NOTIFY_MAX)
        return;
    vn_match_notify_t *n = &o->notify[o->n_notify++];
    n->part = part;
    s_copy(n->org, sizeof n->org, org);
    s_copy(n->event, sizeof n->event, event);
}

/* Tell every organisation with an active signal in part about event. */
static void s_notify_active(vn_match_outcome_t *o, int part, const char *event)
{
    const vn_match_t *m = &o->parts[part];
    for (size_t i = 0; i < m->n; i++)
        if (m->part[i].active)
            s_notify(o, part, m->part[i].org, event);
}

static int s_register(vn_sigdb_t *d, const vn_signal_rules_t *rules, const Vn__SignalRecord *r,
                      const char *sector, uint64_t now, vn_match_outcome_t *out,
                      const char **code, s_link_t *links);

int vn_matcher_register(vn_sigdb_t *d, const vn_signal_rules_t *rules, const Vn__SignalRecord *r,
                        const char *sector, uint64_t now, vn_match_outcome_t *out,
                        const char **code)
{
    s_link_t links[LINK_MAX];
    for (size_t i = 0; i < LINK_MAX; i++)
        links[i].rec = NULL;
    int rc = s_register(d, rules, r, sector, now, out, code, links);
    for (size_t i = 0; i < LINK_MAX; i++)
        if (links[i].rec)
            vn__signal_record__free_unpacked(links[i].rec, NULL);
    return rc;
}

static int s_register(vn_sigdb_t *d, const vn_signal_rules_t *rules, const Vn__SignalRecord *r,
                      const char *sector, uint64_t now, vn_match_outcome_t *out,
                      const char **code, s_link_t *links)
{
    memset(out, 0, sizeof *out);
    *code = NULL;
    size_t n_links = 0;
    int rc = s_range(d, VN_SIGDB_YOUTH, r->youth_pseudonym.data, 1, links, &n_links);
    /* The organisation's own live signals on this youth: bounded per youth. The records stay
     * with their links: one in no match yet becomes a part from the same record. */
    int own = 0;
    for (size_t i = 0; rc == 0 && i < n_links; i++) {
        if ((rc = vn_sigdb_get(d, links[i].id, &links[i].rec)) != 0)
            break;
        own += strcmp(links[i].rec->owner, r->owner) == 0;
    }
    if (rc == 0 && own >= VN_SIGNAL_MAX_PER_YOUTH) {
        *code = "too-many-signals";
        return VN_E_TOO_LARGE;
    }
    for (size_t i = 0; rc == 0 && i < r->n_parent_pseudonyms; i++)
        rc = s_range(d, VN_SIGDB_PARENT, r->parent_pseudonyms[i].data, 0, links, &n_links);
    if (rc == VN_E_TOO_LARGE)
        *code = "match-too-large";
    if (rc != 0)
        return rc;
    if (n_links == 0)
        return vn_sigdb_put_new(d, r); /* nothing linked: no match */

    /* Which matches the linked signals are in; the rest are single signals. */
    char mids[LINK_MAX][VN_ID_LEN + 1];
    int mid_youth[LINK_MAX];
    size_t n_mids = 0, n_single = 0;
    s_link_t single[LINK_MAX];
    for (size_t i = 0; i < n_links; i++) {
        char mid[VN_ID_LEN + 1];
        int mrc = vn_sigdb_match_of(d, links[i].id, mid);
        if (mrc == VN_E_NOT_FOUND) {
            single[n_single++] = links[i];
            continue;
        }
        if (mrc != 0)
            return mrc;
        size_t j = 0;
        while (j < n_mids && strcmp(mids[j], mid) != 0)
            j++;
        if (j == n_mids) {
            memcpy(mids[j], mid, sizeof mid);
            mid_youth[j] = 0;
            n_mids++;
        }
        mid_youth[j] |= links[i].via_youth;
    }
    vn_match_t *ms = n_mids ? calloc(n_mids, sizeof *ms) : NULL;
    out->parts = calloc(1, sizeof *out->parts);
    if ((n_mids && !ms) || !out->parts) {
        free(ms);
        vn_match_outcome_clear(out);
        return -ENOMEM;
    }
    size_t total = n_single + 1, base = 0;
    for (size_t j = 0; rc == 0 && j < n_mids; j++) {
        rc = vn_sigdb_match_get(d, mids[j], &ms[j]);
        total += ms[j].n;
        if (ms[j].created < ms[base].created)
            base = j; /* the oldest match keeps its id */
    }
    if (rc == 0 && total > VN_MATCH_MAX) {
        *code = "match-too-large";
        rc = VN_E_TOO_LARGE;
    }
    if (rc != 0) {
        free(ms);
        vn_match_outcome_clear(out);
        return rc;
    }
    out->n_parts = 1;
    vn_match_t *m = &out->parts[0];
    int client = 1, was_visible = 0;
    if (n_mids) {
        *m = ms[base];
        was_visible = vn_match_orgs(&ms[base]) >= 2;
    } else {
        vn_sigdb_new_id(m->id, 'M');
        m->created = now;
    }
    for (size_t j = 0; j < n_mids; j++) {
        client &= strcmp(ms[j].kind, "client") == 0 && mid_youth[j];
        if (j == base)
            continue;
        memcpy(&m->part[m->n], ms[j].part, ms[j].n * sizeof ms[j].part[0]);
        m->n += ms[j].n;
        s_copy(out->merged[out->n_merged++], VN_ID_LEN + 1, ms[j].id);
        if ((rc = vn_sigdb_match_del(d, &ms[j])) != 0)
            break;
    }
    for (size_t i = 0; rc == 0 && i < n_single; i++) {
        Vn__SignalRecord *x = single[i].rec; /* borrowed from links */
        if (!x && (rc = vn_sigdb_get(d, single[i].id, &x)) != 0)
            break;
        s_part_from(d, &m->part[m->n++], x, now);
        client &= single[i].via_youth;
        if (x != single[i].rec)
            vn__signal_record__free_unpacked(x, NULL);
    }
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        for (size_t j = 0; !m->part[i].youth_known && j < n_links; j++)
            if (links[j].via_youth && strcmp(links[j].id, m->part[i].signal_id) == 0) {
                memcpy(m->part[i].youth, r->youth_pseudonym.data, 32);
                m->part[i].youth_known = 1; /* filed under the new signal's youth */
            }
    if (rc == 0) {
        vn_mpart_t *q = &m->part[m->n++];
        s_part_from(d, q, r, now);
        if (sector)
            s_copy(q->sector, sizeof q->sector, sector);
        s_copy(m->kind, sizeof m->kind, client ? "client" : "family");
        m->updated = now;
        if (was_visible)
            m->agreed = 0; /* someone new: the plan is to be agreed again */
        out->coordinator_changed[0] = vn_coordinator_assign(rules, m);
        rc = vn_sigdb_put_new(d, r);
    }
    if (rc == 0)
        rc = vn_sigdb_match_put(d, m, n_mids ? &ms[base] : NULL);
    if (rc == 0 && vn_match_orgs(m) >= 2) {
        /* Who is told: the newcomer always; the others who knew the match of a new signal, and
         * those who did not (a merged match, a single signal) of the match itself. */
        for (size_t i = 0; i < m->n; i++) {
            const vn_mpart_t *q = &m->part[i];
            if (!q->active)
                continue; /* inactive: still listed, no longer told */
            int knew = was_visible && vn_match_has_org(&ms[base], q->org, 0);
            s_notify(out, 0, q->org,
                     strcmp(q->org, r->owner) != 0 && knew ? "new-signal" : "match");
        }
    }
    free(ms);
    if (rc != 0)
        vn_match_outcome_clear(out);
    return rc;
}

/* Union-find over the remaining signals: linked when on the same youth or sharing a parent. */
static size_t s_find(size_t *up, size_t i)
{
    while (up[i] != i)
        i = up[i] = up[up[i]];
    return i;
}

static int s_linked(const Vn__SignalRecord *a, const Vn__SignalRecord *b)
{
    if (memcmp(a->youth_pseudonym.data, b->youth_pseudonym.data, 32) == 0)
        return 1;
    for (size_t i = 0; i < a->n_parent_pseudonyms; i++)
        for (size_t j = 0; j < b->n_parent_pseudonyms; j++)
            if (memcmp(a->parent_pseudonyms[i].data, b->parent_pseudonyms[j].data, 32) == 0)
                return 1;
    return 0;
}

int vn_matcher_remove(vn_sigdb_t *d, const vn_signal_rules_t *rules, const char *signal_id,
                      uint64_t now, vn_match_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    char mid[VN_ID_LEN + 1];
    int rc = vn_sigdb_match_of(d, signal_id, mid);
    if (rc != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    vn_match_t *old = malloc(sizeof *old);
    Vn__SignalRecord *recs[VN_MATCH_MAX] = {0};
    size_t up[VN_MATCH_MAX], idx[VN_MATCH_MAX], n = 0;
    if (!old)
        return -ENOMEM;
    MDB_val k = {strlen(signal_id), (void *)signal_id};
    rc = vn_sigdb_match_get(d, mid, old);
    if (rc == 0) {
        int mrc = mdb_del(d->txn, d->match_signal, &k, NULL);
        rc = mrc == MDB_NOTFOUND ? 0 : vn_store_error(mrc);
    }
    int was_visible = rc == 0 && vn_match_orgs(old) >= 2;
    for (size_t i = 0; rc == 0 && i < old->n; i++) {
        if (strcmp(old->part[i].signal_id, signal_id) == 0)
            continue;
        if ((rc = vn_sigdb_get(d, old->part[i].signal_id, &recs[n])) != 0)
            break;
        idx[n] = i;
        up[n] = n;
        n++;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (s_linked(recs[i], recs[j]))
                up[s_find(up, i)] = s_find(up, j);
    /* Parts: the largest keeps the match's id. */
    size_t roots[VN_MATCH_MAX], sizes[VN_MATCH_MAX], n_roots = 0, keep = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t r = s_find(up, i), j = 0;
        while (j < n_roots && roots[j] != r)
            j++;
        if (j == n_roots) {
            roots[n_roots] = r;
            sizes[n_roots++] = 0;
        }
        sizes[j]++;
        if (sizes[j] > sizes[keep])
            keep = j;
    }
    if (rc == 0 && n_roots && !(out->parts = calloc(n_roots, sizeof *out->parts)))
        rc = -ENOMEM;
    int kept = 0;
    for (size_t j = 0; rc == 0 && j < n_roots; j++) {
        vn_match_t *m = &out->parts[out->n_parts];
        memset(m, 0, sizeof *m);
        *m = *old;
        m->n = 0;
        int client = 1;
        const Vn__SignalRecord *first = NULL;
        for (size_t i = 0; i < n; i++) {
            if (s_find(up, i) != roots[j])
                continue;
            m->part[m->n++] = old->part[idx[i]];
            if (!first)
                first = recs[i];
            client &= memcmp(first->youth_pseudonym.data, recs[i]->youth_pseudonym.data, 32) == 0;
        }
        if (m->n < 2) {
            /* A single signal left: not a match any more. */
            int mrc = mdb_del(d->txn, d->match_signal,
                              &(MDB_val){strlen(m->part[0].signal_id), m->part[0].signal_id}, NULL);
            rc = mrc == MDB_NOTFOUND ? 0 : vn_store_error(mrc);
            if (was_visible && m->part[0].active) {
                out->n_parts++; /* told, with the match as it stands for it: only itself */
                s_notify(out, (int)out->n_parts - 1, m->part[0].org, "signal-withdrawn");
            }
            continue;
        }
        if (j != keep) {
            vn_sigdb_new_id(m->id, 'M');
            m->created = now;
            m->agreed = 0;
        } else {
            kept = 1;
        }
        s_copy(m->kind, sizeof m->kind, client ? "client" : "family");
        m->updated = now;
        out->coordinator_changed[out->n_parts] = vn_coordinator_assign(rules, m);
        rc = vn_sigdb_match_put(d, m, j == keep ? old : NULL);
        out->n_parts++;
        if (rc == 0 && was_visible && vn_match_orgs(m) >= 1)
            s_notify_active(out, (int)out->n_parts - 1, "signal-withdrawn");
    }
    if (rc == 0 && !kept)
        rc = vn_sigdb_match_del(d, old);
    for (size_t i = 0; i < n; i++)
        vn__signal_record__free_unpacked(recs[i], NULL);
    free(old);
    if (rc != 0)
        vn_match_outcome_clear(out);
    return rc;
}

int vn_matcher_inactive(vn_sigdb_t *d, const vn_signal_rules_t *rules, const char *signal_id,
                        uint64_t now, vn_match_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    char mid[VN_ID_LEN + 1];
    int rc = vn_sigdb_match_of(d, signal_id, mid);
    if (rc != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    if (!(out->parts = calloc(1, sizeof *out->parts)))
        return -ENOMEM;
    vn_match_t *m = &out->parts[0];
    if ((rc = vn_sigdb_match_get(d, mid, m)) != 0) {
        vn_match_outcome_clear(out);
        return rc;
    }
    out->n_parts = 1;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->part[i].signal_id, signal_id) == 0)
            m->part[i].active = 0;
    m->updated = now;
    /* The coordinator stays while it has an active signal here. */
    if (!m->coordinator[0] || !vn_match_has_org(m, m->coordinator, 1))
        out->coordinator_changed[0] = vn_coordinator_assign(rules, m);
    rc = vn_sigdb_match_put(d, m, m);
    if (rc == 0 && out->coordinator_changed[0] && vn_match_orgs(m) >= 2)
        s_notify_active(out, 0, "coordinator");
    if (rc != 0)
        vn_match_outcome_clear(out);
    return rc;
}
