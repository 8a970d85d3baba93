/* policy_env.c -- what the policy check looks up, answered from one LMDB read transaction:
 * an organisation's sector, a consent record, and the earlier message a reply refers to. */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_util.h"

#include <stdlib.h>
#include <string.h>

const Vn__OrgEntry *broker__env_org(broker_env_t *e, const char *org)
{
    for (int i = 0; i < e->n_orgs; i++)
        if (strcmp(e->orgs[i]->id, org) == 0)
            return e->orgs[i];
    MDB_val k = {strlen(org), (void *)org}, v;
    if (e->n_orgs == (int)(sizeof e->orgs / sizeof e->orgs[0]) ||
        mdb_get(e->txn, vn_store_dbi(e->b->db, BDB_ORGS), &k, &v) != 0)
        return NULL;
    Vn__OrgEntry *o = vn__org_entry__unpack(NULL, v.mv_size, v.mv_data);
    if (!o || o->sign_key.len != 32) {
        if (o)
            vn__org_entry__free_unpacked(o, NULL);
        return NULL;
    }
    e->orgs[e->n_orgs++] = o;
    return o;
}

static const char *s_sector_of(void *ctx, const char *org)
{
    const Vn__OrgEntry *o = broker__env_org(ctx, org);
    return o ? o->sector : NULL;
}

static int s_in_match(void *ctx, const char *match_id, const char *org)
{
    broker_env_t *e = ctx;
    return broker__in_match(e->b, e->txn, match_id, org);
}

static void s_consent(void *ctx, const char *ref, vn_consent_view_t *out)
{
    broker_env_t *e = ctx;
    memset(out, 0, sizeof *out);
    if (e->consent) {
        vn__consent_record__free_unpacked(e->consent, NULL);
        e->consent = NULL;
    }
    MDB_val k = {strlen(ref), (void *)ref}, v;
    if (mdb_get(e->txn, vn_store_dbi(e->b->db, BDB_CONSENTS), &k, &v) != 0 ||
        !(e->consent = vn__consent_record__unpack(NULL, v.mv_size, v.mv_data)))
        return;
    const Vn__ConsentRecord *c = e->consent;
    out->found = 1;
    out->owner = c->owner;
    out->subject = c->subject_pseudonym.len == 32 ? c->subject_pseudonym.data : NULL;
    out->recipients = (const char *const *)c->recipients;
    out->n_recipients = c->n_recipients;
    out->categories = (const char *const *)c->categories;
    out->n_categories = c->n_categories;
    out->valid_from = c->valid_from;
    out->expires = c->expires;
    out->withdrawn = c->withdrawn;
}

/* The earlier message: its receipt gives its ACCEPTED record, which says who sent what to whom. */
static void s_reply(void *ctx, const char *msgid_hex, vn_reply_view_t *out)
{
    broker_env_t *e = ctx;
    memset(out, 0, sizeof *out);
    uint8_t id[16], key[8];
    uint64_t seq;
    if (vn_unhex(id, VN_MSGID_BYTES, msgid_hex) != 0 ||
        broker__accepted_seq(e->txn, e->b, id, &seq) != 0)
        return;
    vn_put_be64(key, seq);
    MDB_val ak = {8, key}, av;
    if (mdb_get(e->txn, vn_store_dbi(e->b->db, BDB_AUDIT), &ak, &av) != 0)
        return;
    if (e->reply)
        vn__audit_record__free_unpacked(e->reply, NULL);
    e->reply = vn__audit_record__unpack(NULL, av.mv_size, av.mv_data);
    if (!e->reply || e->reply->event != VN__AUDIT_RECORD__EVENT__ACCEPTED)
        return;
    out->found = 1;
    out->sender = e->reply->actor_org;
    out->recipients = (const char *const *)e->reply->recipients;
    out->n_recipients = e->reply->n_recipients;
    out->basis = e->reply->basis;
}

void broker__env_init(broker_env_t *e, broker_t *b, MDB_txn *txn, vn_policy_env_t *out)
{
    memset(e, 0, sizeof *e);
    e->b = b;
    e->txn = txn;
    out->ctx = e;
    out->sector_of = s_sector_of;
    out->consent = s_consent;
    out->reply = s_reply;
    out->in_match = s_in_match;
}

void broker__env_clear(broker_env_t *e)
{
    for (int i = 0; i < e->n_orgs; i++)
        vn__org_entry__free_unpacked(e->orgs[i], NULL);
    if (e->consent)
        vn__consent_record__free_unpacked(e->consent, NULL);
    if (e->reply)
        vn__audit_record__free_unpacked(e->reply, NULL);
    e->n_orgs = 0;
    e->consent = NULL;
    e->reply = NULL;
}

int broker__policy_load(broker_t *b, char *err, size_t errlen)
{
    vn_policy_t *fresh = vn_policy_load(b->cfg.policy, err, errlen);
    if (!fresh)
        return -1;
    pthread_rwlock_wrlock(&b->policy_lock);
    vn_policy_t *old = b->policy;
    b->policy = fresh;
    pthread_rwlock_unlock(&b->policy_lock);
    vn_policy_destroy(&old);
    return 0;
}
