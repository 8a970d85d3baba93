/* directory.c -- the organisation directory: accepted only with the pinned broker key's signature,
 * kept in LMDB so the agent can seal messages while the broker is away. */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int s_verify(agent_t *a, const Vn__SignedDirectory *sd, Vn__Directory **out)
{
    *out = NULL;
    if (sd->version != 1 || sd->signature.len != crypto_sign_BYTES ||
        crypto_sign_verify_detached(sd->signature.data, sd->directory.data, sd->directory.len,
                                    a->broker.sign_pk) != 0)
        return VN_E_BAD_SIGNATURE;
    Vn__Directory *d = vn__directory__unpack(NULL, sd->directory.len, sd->directory.data);
    if (!d)
        return VN_E_MALFORMED;
    if (d->version != 1) {
        vn__directory__free_unpacked(d, NULL);
        return VN_E_VERSION;
    }
    for (size_t i = 0; i < d->n_orgs; i++)
        if (d->orgs[i]->sign_key.len != 32 || d->orgs[i]->box_key.len != 32 ||
            (d->orgs[i]->prev_sign_key.len != 0 && d->orgs[i]->prev_sign_key.len != 32)) {
            vn__directory__free_unpacked(d, NULL);
            return VN_E_MALFORMED;
        }
    *out = d;
    return 0;
}

int agent__directory_load(agent_t *a)
{
    MDB_txn *txn;
    int rc = vn_store_begin(a->db, 1, &txn);
    if (rc != 0)
        return rc;
    MDB_val k = {3, "dir"}, v;
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_META), &k, &v) == 0) {
        Vn__SignedDirectory *sd = vn__signed_directory__unpack(NULL, v.mv_size, v.mv_data);
        if (sd && s_verify(a, sd, &a->dir) == 0)
            vn_info("event=directory-loaded generation=%llu orgs=%zu",
                    (unsigned long long)a->dir->generation, a->dir->n_orgs);
        if (sd)
            vn__signed_directory__free_unpacked(sd, NULL);
    }
    mdb_txn_abort(txn);
    return 0;
}

int agent__directory_update(agent_t *a, const Vn__SignedDirectory *sd)
{
    Vn__Directory *d;
    int rc = s_verify(a, sd, &d);
    if (rc != 0) {
        vn_error("event=directory-rejected error=\"%s\"", vn_strerror(rc));
        return rc;
    }
    if (a->dir && d->generation == a->dir->generation) {
        vn__directory__free_unpacked(d, NULL); /* the broker's liveness probe: nothing new */
        return 0;
    }
    if (a->dir && d->generation < a->dir->generation) {
        vn_warn("event=directory-rejected reason=older generation=%llu",
                (unsigned long long)d->generation);
        vn__directory__free_unpacked(d, NULL);
        return VN_E_INVALID;
    }
    MDB_txn *txn = agent__txn(a);
    size_t len = vn__signed_directory__get_packed_size(sd);
    uint8_t *buf = malloc(len);
    if (txn && buf) {
        vn__signed_directory__pack(sd, buf);
        MDB_val k = {3, "dir"}, v = {len, buf};
        (void)agent__put(a, txn, ADB_META, &k, &v);
    }
    free(buf);
    if (a->dir)
        vn__directory__free_unpacked(a->dir, NULL);
    a->dir = d;
    vn_info("event=directory generation=%llu orgs=%zu", (unsigned long long)d->generation,
            d->n_orgs);
    /* The signed directory says we are revoked: honour it, even before the broker says so. */
    const Vn__OrgEntry *self = agent__directory_find(a, a->keys->pub.org);
    if (self && self->revoked && a->link != AGENT_LINK_REVOKED) {
        vn_error("event=revoked reason=\"the signed directory marks this organisation revoked\" "
                 "action=disconnecting");
        agent__link_event(a, AGENT_LINK_EV_REVOKED);
    }
    return 0;
}

const Vn__OrgEntry *agent__directory_find(const agent_t *a, const char *org)
{
    for (size_t i = 0; a->dir && i < a->dir->n_orgs; i++)
        if (strcmp(a->dir->orgs[i]->id, org) == 0)
            return a->dir->orgs[i];
    return NULL;
}
