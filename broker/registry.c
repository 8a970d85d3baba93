/* registry.c -- the broker's in-memory copy of the organisation registry and the signed directory. */
#include "broker.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Build the directory every agent receives, signed with the broker's Ed25519 key. */
static int s_sign_directory(broker_t *b)
{
    Vn__OrgEntry *entries = calloc(b->n_orgs + 1, sizeof *entries);
    Vn__OrgEntry **ptrs = calloc(b->n_orgs + 1, sizeof *ptrs);
    if (!entries || !ptrs) {
        free(entries);
        free(ptrs);
        return -ENOMEM;
    }
    for (size_t i = 0; i < b->n_orgs; i++) {
        vn_org_t *o = &b->orgs[i];
        vn__org_entry__init(&entries[i]);
        entries[i].id = o->pub.org;
        entries[i].sector = o->pub.sector;
        entries[i].sign_key = (ProtobufCBinaryData){32, o->pub.sign_pk};
        entries[i].box_key = (ProtobufCBinaryData){32, o->pub.box_pk};
        entries[i].curve_key = o->pub.curve_pk;
        entries[i].revoked = o->revoked;
        entries[i].display_name = o->display_name;
        entries[i].prev_sign_key = (ProtobufCBinaryData){o->prev_curve_pk[0] ? 32 : 0,
                                                         o->prev_sign_pk};
        entries[i].prev_box_key = (ProtobufCBinaryData){o->prev_curve_pk[0] ? 32 : 0,
                                                        o->prev_box_pk};
        entries[i].prev_curve_key = o->prev_curve_pk;
        entries[i].prev_valid_until = o->prev_valid_until;
        ptrs[i] = &entries[i];
    }
    Vn__Directory dir = VN__DIRECTORY__INIT;
    dir.version = 1;
    dir.generation = b->registry_gen;
    dir.issued = vn_now();
    dir.n_orgs = b->n_orgs;
    dir.orgs = ptrs;
    size_t dlen = vn__directory__get_packed_size(&dir);
    uint8_t *dbuf = malloc(dlen + 1), sig[crypto_sign_BYTES];
    if (!dbuf) {
        free(entries);
        free(ptrs);
        return -ENOMEM;
    }
    vn__directory__pack(&dir, dbuf);
    crypto_sign_detached(sig, NULL, dbuf, dlen, b->keys->sign_sk);
    Vn__SignedDirectory sd = VN__SIGNED_DIRECTORY__INIT;
    sd.version = 1;
    sd.directory = (ProtobufCBinaryData){dlen, dbuf};
    sd.signature = (ProtobufCBinaryData){sizeof sig, sig};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_DIRECTORY;
    m.directory = &sd;
    free(b->directory);
    b->directory = NULL;
    int rc = vn_wire_pack(&m, &b->directory, &b->directory_len);
    free(dbuf);
    free(entries);
    free(ptrs);
    return rc;
}

/* Reload if the registry generation changed (or force). Returns 1 if reloaded, 0 if unchanged, <0. */
int broker__registry_refresh(broker_t *b, int force)
{
    MDB_txn *txn;
    int rc = vn_store_begin(b->db, 1, &txn);
    if (rc != 0)
        return rc;
    uint64_t gen = 0;
    vn_org_t *orgs = NULL;
    size_t n = 0;
    rc = vn_registry_generation(txn, b->db, &gen);
    if (rc == 0 && !force && gen == b->registry_gen && b->orgs) {
        mdb_txn_abort(txn);
        return 0;
    }
    if (rc == 0)
        rc = vn_registry_load(txn, b->db, &orgs, &n);
    mdb_txn_abort(txn);
    if (rc != 0) {
        vn_error("event=registry-load-failed error=\"%s\"", vn_strerror(rc));
        return rc;
    }
    free(b->orgs);
    b->orgs = orgs;
    b->n_orgs = n;
    b->registry_gen = gen;
    if ((rc = s_sign_directory(b)) != 0)
        return rc;
    vn_info("event=registry-loaded generation=%llu orgs=%zu", (unsigned long long)gen, n);

    /* Revoked organisations lose their session now; ZAP refuses them from here on. */
    for (size_t i = 0; i < b->n_sessions; i++) {
        session_t *s = &b->sessions[i];
        const vn_org_t *o = broker__org(b, s->org);
        if (s->state == SESSION_GONE)
            continue;
        if (!o || o->revoked) {
            broker__session_tell(b, s, "org-revoked",
                                 "this organisation's registration was revoked; disconnect", NULL);
            broker__session_event(b, s, SESSION_EV_REVOKED, "revoked");
        } else {
            broker__send(b, s->routing, s->routing_len, b->directory, b->directory_len);
        }
    }
    return 1;
}

const vn_org_t *broker__org(const broker_t *b, const char *id)
{
    for (size_t i = 0; i < b->n_orgs; i++)
        if (strcmp(b->orgs[i].pub.org, id) == 0)
            return &b->orgs[i];
    return NULL;
}
