/* vn_registry.c -- organisation records (OrgEntry) in the broker's LMDB. */
#include "vn_registry.h"
#include "audit.pb-c.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define GEN_KEY "registry_gen"

static int s_put(MDB_txn *txn, vn_store_t *db, const Vn__OrgEntry *e)
{
    size_t len = vn__org_entry__get_packed_size(e);
    uint8_t *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    vn__org_entry__pack(e, buf);
    MDB_val k = {strlen(e->id), e->id}, v = {len, buf};
    int rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_ORGS), &k, &v, 0));
    free(buf);
    return rc;
}

static int s_bump_and_audit(MDB_txn *txn, vn_store_t *db, Vn__AuditRecord__Event event,
                            const char *org, const char *operator_id)
{
    uint64_t gen;
    int rc = vn_meta_get_u64(txn, vn_store_dbi(db, BDB_META), GEN_KEY, &gen);
    if (rc == 0)
        rc = vn_meta_put_u64(txn, vn_store_dbi(db, BDB_META), GEN_KEY, gen + 1);
    if (rc != 0)
        return rc;
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    char *recips[] = {(char *)org};
    rec.event = event;
    rec.actor_org = "operator";
    rec.user_id = (char *)operator_id;
    rec.user_role = "broker-operator";
    rec.n_recipients = 1;
    rec.recipients = recips;
    rec.outcome = "ok";
    rec.source = "vangnet-cli";
    return vn_audit_append(txn, db, &rec,
                           NULL, NULL);
}

int vn_registry_add(vn_store_t *db, const vn_pubkeys_t *pub, const char *operator_id)
{
    return vn_registry_add_named(db, pub, "", operator_id);
}

int vn_registry_add_named(vn_store_t *db, const vn_pubkeys_t *pub, const char *display_name,
                          const char *operator_id)
{
    if (strcmp(pub->sector, "broker") == 0 ||
        (display_name[0] && !vn_field_valid(display_name, VN_DISPLAY_NAME_MAX)))
        return VN_E_INVALID;
    MDB_txn *txn;
    int rc = vn_store_begin(db, 0, &txn);
    if (rc != 0)
        return rc;
    vn_org_t *orgs = NULL;
    size_t n = 0;
    if ((rc = vn_registry_load(txn, db, &orgs, &n)) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (strcmp(orgs[i].pub.org, pub->org) == 0 ||
            strcmp(orgs[i].pub.curve_pk, pub->curve_pk) == 0) {
            rc = VN_E_EXISTS;
            goto fail;
        }
    Vn__OrgEntry e = VN__ORG_ENTRY__INIT;
    e.id = (char *)pub->org;
    e.sector = (char *)pub->sector;
    e.sign_key = (ProtobufCBinaryData){32, (uint8_t *)pub->sign_pk};
    e.box_key = (ProtobufCBinaryData){32, (uint8_t *)pub->box_pk};
    e.curve_key = (char *)pub->curve_pk;
    e.display_name = (char *)display_name;
    e.added = vn_now();
    if ((rc = s_put(txn, db, &e)) != 0 ||
        (rc = s_bump_and_audit(txn, db, VN__AUDIT_RECORD__EVENT__ORG_ADDED, pub->org,
                               operator_id)) != 0)
        goto fail;
    free(orgs);
    return vn_store_commit(txn);
fail:
    free(orgs);
    mdb_txn_abort(txn);
    return rc;
}

/* The entry of org, decoded; the caller frees it. */
static int s_get(MDB_txn *txn, vn_store_t *db, const char *org, Vn__OrgEntry **e)
{
    MDB_val k = {strlen(org), (void *)org}, v;
    int rc = vn_store_error(mdb_get(txn, vn_store_dbi(db, BDB_ORGS), &k, &v));
    if (rc != 0)
        return rc;
    *e = vn__org_entry__unpack(NULL, v.mv_size, v.mv_data);
    return *e ? 0 : VN_E_STORE;
}

int vn_registry_rotate(vn_store_t *db, const vn_pubkeys_t *pub, uint64_t grace_seconds,
                       const char *operator_id)
{
    MDB_txn *txn;
    int rc = vn_store_begin(db, 0, &txn);
    if (rc != 0)
        return rc;
    Vn__OrgEntry *e = NULL;
    vn_org_t *orgs = NULL;
    size_t n = 0;
    if ((rc = s_get(txn, db, pub->org, &e)) != 0 ||
        (rc = vn_registry_load(txn, db, &orgs, &n)) != 0)
        goto fail;
    if (e->revoked || strcmp(e->sector, pub->sector) != 0 ||
        sodium_memcmp(e->sign_key.data, pub->sign_pk, 32) == 0 ||
        strcmp(e->curve_key, pub->curve_pk) == 0) {
        rc = VN_E_INVALID;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(orgs[i].pub.curve_pk, pub->curve_pk) == 0 ||
            strcmp(orgs[i].prev_curve_pk, pub->curve_pk) == 0) {
            rc = VN_E_EXISTS;
            goto fail;
        }
    /* The current keys become the previous ones; the entry keeps pointers into e's buffers. */
    Vn__OrgEntry r = *e;
    r.prev_sign_key = e->sign_key;
    r.prev_box_key = e->box_key;
    r.prev_curve_key = e->curve_key;
    r.prev_valid_until = vn_now() + grace_seconds;
    r.rotated = vn_now();
    r.sign_key = (ProtobufCBinaryData){32, (uint8_t *)pub->sign_pk};
    r.box_key = (ProtobufCBinaryData){32, (uint8_t *)pub->box_pk};
    r.curve_key = (char *)pub->curve_pk;
    if ((rc = s_put(txn, db, &r)) != 0 ||
        (rc = s_bump_and_audit(txn, db, VN__AUDIT_RECORD__EVENT__ORG_KEY_ROTATED, pub->org,
                               operator_id)) != 0)
        goto fail;
    vn__org_entry__free_unpacked(e, NULL);
    free(orgs);
    return vn_store_commit(txn);
fail:
    if (e)
        vn__org_entry__free_unpacked(e, NULL);
    free(orgs);
    mdb_txn_abort(txn);
    return rc;
}

int vn_registry_revoke(vn_store_t *db, const char *org, const char *operator_id)
{
    MDB_txn *txn;
    int rc = vn_store_begin(db, 0, &txn);
    if (rc != 0)
        return rc;
    Vn__OrgEntry *e = NULL;
    if ((rc = s_get(txn, db, org, &e)) != 0)
        goto fail;
    if (e->revoked) {
        rc = 0;
        goto fail; /* already revoked: nothing to change or audit */
    }
    e->revoked = 1;
    if ((rc = s_put(txn, db, e)) != 0 ||
        (rc = s_bump_and_audit(txn, db, VN__AUDIT_RECORD__EVENT__ORG_REVOKED, org,
                               operator_id)) != 0)
        goto fail;
    vn__org_entry__free_unpacked(e, NULL);
    return vn_store_commit(txn);
fail:
    if (e)
        vn__org_entry__free_unpacked(e, NULL);
    mdb_txn_abort(txn);
    return rc;
}

int vn_registry_load(MDB_txn *txn, vn_store_t *db, vn_org_t **out, size_t *n)
{
    MDB_cursor *cur;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_ORGS), &cur));
    if (rc != 0)
        return rc;
    size_t cap = 16, used = 0;
    vn_org_t *orgs = calloc(cap, sizeof *orgs);
    MDB_val k, v;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && orgs;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Vn__OrgEntry *e = vn__org_entry__unpack(NULL, v.mv_size, v.mv_data);
        if (!e || e->sign_key.len != 32 || e->box_key.len != 32 ||
            strlen(e->curve_key) != 40 || strlen(e->id) > VN_ORG_MAX ||
            strlen(e->sector) > VN_SECTOR_MAX) {
            if (e)
                vn__org_entry__free_unpacked(e, NULL);
            rc = VN_E_STORE;
            break;
        }
        if (used == cap) {
            vn_org_t *bigger = realloc(orgs, 2 * cap * sizeof *orgs);
            if (!bigger) {
                vn__org_entry__free_unpacked(e, NULL);
                rc = -ENOMEM;
                break;
            }
            orgs = bigger;
            cap *= 2;
        }
        vn_org_t *o = &orgs[used++];
        memset(o, 0, sizeof *o);
        strcpy(o->pub.org, e->id);
        strcpy(o->pub.sector, e->sector);
        memcpy(o->pub.sign_pk, e->sign_key.data, 32);
        memcpy(o->pub.box_pk, e->box_key.data, 32);
        strcpy(o->pub.curve_pk, e->curve_key);
        o->revoked = e->revoked;
        if (strlen(e->display_name) <= VN_DISPLAY_NAME_MAX)
            strcpy(o->display_name, e->display_name);
        if (e->prev_curve_key && strlen(e->prev_curve_key) == 40) {
            strcpy(o->prev_curve_pk, e->prev_curve_key);
            o->prev_valid_until = e->prev_valid_until;
            if (e->prev_sign_key.len == 32 && e->prev_box_key.len == 32) {
                memcpy(o->prev_sign_pk, e->prev_sign_key.data, 32);
                memcpy(o->prev_box_pk, e->prev_box_key.data, 32);
            }
        }
        vn__org_entry__free_unpacked(e, NULL);
    }
    mdb_cursor_close(cur);
    if (!orgs)
        return -ENOMEM;
    if (rc != 0 || (mrc != 0 && mrc != MDB_NOTFOUND)) {
        free(orgs);
        return rc ? rc : vn_store_error(mrc);
    }
    *out = orgs;
    *n = used;
    return 0;
}

int vn_registry_generation(MDB_txn *txn, vn_store_t *db, uint64_t *gen)
{
    return vn_meta_get_u64(txn, vn_store_dbi(db, BDB_META), GEN_KEY, gen);
}
