/* consent.c -- consent records at the broker: registered and withdrawn by the organisation that
 * obtained the consent (storage thread, audited), and withdrawing one withholds every queued
 * delivery that relied on it. Listing them, a page at a time, is consent_list.c. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_keys.h"
#include "vn_log.h"
#include "vn_queue.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Audit a consent change: who, about whom, for whom, which categories, purpose, period. */
static int s_audit(MDB_txn *txn, broker_t *b, const char *org, const Vn__ConsentRecord *r,
                   Vn__AuditRecord__Event event, uint64_t *seq)
{
    char categories[512] = "", from[24], until[24];
    for (size_t i = 0; i < r->n_categories; i++)
        snprintf(categories + strlen(categories), sizeof categories - strlen(categories), "%s%s",
                 i ? "," : "", r->categories[i]);
    snprintf(from, sizeof from, "%llu", (unsigned long long)r->valid_from);
    snprintf(until, sizeof until, "%llu", (unsigned long long)r->expires);
    Vn__AuditJustification j[5] = {VN__AUDIT_JUSTIFICATION__INIT, VN__AUDIT_JUSTIFICATION__INIT,
                                   VN__AUDIT_JUSTIFICATION__INIT, VN__AUDIT_JUSTIFICATION__INIT,
                                   VN__AUDIT_JUSTIFICATION__INIT};
    const char *kv[5][2] = {{"consent-ref", r->id}, {"given-by", r->given_by},
                            {"categories", categories}, {"valid-from", from}, {"expires", until}};
    Vn__AuditJustification *jp[5];
    for (int i = 0; i < 5; i++) {
        j[i].key = (char *)kv[i][0];
        j[i].value = (char *)kv[i][1];
        jp[i] = &j[i];
    }
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = event;
    rec.actor_org = (char *)org;
    rec.subject_pseudonym = r->subject_pseudonym;
    rec.subject_pseudonym_version = r->subject_pseudonym_version;
    rec.n_recipients = r->n_recipients;
    rec.recipients = r->recipients;
    rec.basis = "consent";
    rec.n_justification = 5;
    rec.justification = jp;
    rec.outcome = "ok";
    rec.reason = r->purpose;
    rec.source = b->keys->pub.org;
    return vn_audit_append(txn, b->db, &rec, seq, NULL);
}

static int s_put(MDB_txn *txn, broker_t *b, const Vn__ConsentRecord *r)
{
    size_t len = vn__consent_record__get_packed_size(r);
    uint8_t *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    vn__consent_record__pack(r, buf);
    MDB_val k = {strlen(r->id), r->id}, v = {len, buf};
    int rc = vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_CONSENTS), &k, &v, 0));
    free(buf);
    return rc;
}

static int s_respond(item_t *it, Vn__ConsentResponse *resp)
{
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE;
    m.consent_response = resp;
    free(it->reply);
    it->reply = NULL;
    return vn_wire_pack(&m, &it->reply, &it->reply_len);
}

/* Storage thread: apply a registration or withdrawal carried in it->payload (a ConsentRequest). */
int broker__consent_apply(MDB_txn *txn, broker_t *b, item_t *it)
{
    Vn__ConsentRequest *req = vn__consent_request__unpack(NULL, it->payload_len, it->payload);
    if (!req)
        return 0;
    Vn__ConsentResponse resp = VN__CONSENT_RESPONSE__INIT;
    resp.request_id = req->request_id;
    char reason[400] = "", retired[64], nl[400]; /* refusal texts: resp points at them */
    int rc = 0;
    Vn__ConsentRecord *stored = NULL, *records[1];
    if (req->op_case == VN__CONSENT_REQUEST__OP_ADD) {
        Vn__ConsentRecord *r = req->add;
        const char *code = broker__consent_invalid(r, reason, sizeof reason);
        if (!code && broker__pseudonym_version_refused(b, r->subject_pseudonym_version, vn_now(),
                                                       retired, sizeof retired, reason,
                                                       sizeof reason, nl, sizeof nl))
            code = retired;
        if (code) {
            resp.code = (char *)code;
            resp.reason = reason;
        } else {
            uint8_t raw[8];
            char id[20] = "c";
            randombytes_buf(raw, sizeof raw);
            vn_hex(id + 1, raw, sizeof raw);
            r->version = 1;
            r->id = id;
            r->owner = it->org; /* from the authenticated connection, never from the request */
            r->withdrawn = 0;
            r->registered = vn_now();
            if ((rc = s_put(txn, b, r)) == 0)
                rc = broker__consent_index_put(txn, b, r);
            if (rc == 0)
                rc = s_audit(txn, b, it->org, r, VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED,
                             &resp.audit_seq);
            records[0] = r;
            resp.n_records = 1;
            resp.records = records;
            if (rc == 0)
                rc = s_respond(it, &resp);
            r->id = r->owner = NULL; /* borrowed from our stack and the item */
            vn__consent_request__free_unpacked(req, NULL);
            return rc;
        }
    } else if (req->op_case == VN__CONSENT_REQUEST__OP_WITHDRAW) {
        MDB_val k = {strlen(req->withdraw), req->withdraw}, v;
        if (mdb_get(txn, vn_store_dbi(b->db, BDB_CONSENTS), &k, &v) != 0 ||
            !(stored = vn__consent_record__unpack(NULL, v.mv_size, v.mv_data))) {
            resp.code = "consent-unknown";
            resp.reason = "no such consent";
        } else if (strcmp(stored->owner, it->org) != 0) {
            resp.code = "consent-not-owned";
            resp.reason = "only the organisation that registered a consent can withdraw it";
        } else {
            if (!stored->withdrawn) {
                stored->withdrawn = vn_now();
                rc = s_put(txn, b, stored);
                if (rc == 0)
                    rc = s_audit(txn, b, it->org, stored,
                                 VN__AUDIT_RECORD__EVENT__CONSENT_WITHDRAWN, &resp.audit_seq);
                if (rc == 0)
                    rc = broker__relying_withhold(txn, b, stored->id);
            }
            records[0] = stored;
            resp.n_records = 1;
            resp.records = records;
        }
    } else {
        resp.code = "malformed-request";
        resp.reason = "unknown consent operation";
    }
    if (rc == 0)
        rc = s_respond(it, &resp);
    if (stored)
        vn__consent_record__free_unpacked(stored, NULL);
    vn__consent_request__free_unpacked(req, NULL);
    return rc;
}
