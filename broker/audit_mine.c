/* audit_mine.c -- an organisation's privacy officer reads, through its own agent, the audit records
 * in which that organisation is the acting organisation or a recipient (optionally about one
 * subject): a page at a time, bounded, and audited as a read by that organisation in the same
 * transaction, so no answer leaves without its record (docs/pseudonyms.md, path (a)). Runs on the
 * storage thread, in the group commit. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_audit_query.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 100
#define EXAMINE_MAX 2000 /* records read for one page at most: the work per request is bounded */

void broker__audit_mine_forward(broker_t *b, const uint8_t *routing, size_t routing_len,
                                const char *org, const uint8_t *msg, size_t len)
{
    zmq_send(b->to_storage, "A", 1, ZMQ_SNDMORE);
    zmq_send(b->to_storage, routing, routing_len, ZMQ_SNDMORE);
    zmq_send(b->to_storage, org, strlen(org), ZMQ_SNDMORE);
    zmq_send(b->to_storage, msg, len, 0);
}

typedef struct {
    ProtobufCBinaryData *records;
    size_t n, max;
    uint64_t last_seq;
    int rc;
} s_page_t;

static int s_collect(void *ctx, const Vn__AuditRecord *rec)
{
    s_page_t *pg = ctx;
    if (pg->n == pg->max)
        return 1;
    size_t len = vn__audit_record__get_packed_size(rec);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        pg->rc = VN_E_STORE;
        return 1;
    }
    vn__audit_record__pack(rec, buf);
    pg->records[pg->n++] = (ProtobufCBinaryData){len, buf};
    pg->last_seq = rec->seq;
    return 0;
}

static int s_reply(item_t *it, Vn__AuditMineResponse *resp)
{
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_AUDIT_MINE_RESPONSE;
    m.audit_mine_response = resp;
    free(it->reply);
    it->reply = NULL;
    return vn_wire_pack(&m, &it->reply, &it->reply_len);
}

int broker__audit_mine_unstored(item_t *it)
{
    Vn__WireMessage *m = NULL;
    if (vn_wire_unpack(it->payload, it->payload_len, &m) != 0)
        return 0;
    Vn__AuditMineResponse resp = VN__AUDIT_MINE_RESPONSE__INIT;
    if (m->body_case == VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST)
        resp.request_id = m->audit_mine_request->request_id;
    resp.code = "storage-error";
    resp.reason = "the broker could not record this read of its audit log; try again later";
    int rc = s_reply(it, &resp);
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}

int broker__audit_mine_apply(MDB_txn *txn, broker_t *b, item_t *it)
{
    Vn__WireMessage *m = NULL;
    if (vn_wire_unpack(it->payload, it->payload_len, &m) != 0 ||
        m->body_case != VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST) {
        if (m)
            vn__wire_message__free_unpacked(m, NULL);
        return 0; /* checked on the main thread: cannot happen */
    }
    const Vn__AuditMineRequest *req = m->audit_mine_request;
    Vn__AuditMineResponse resp = VN__AUDIT_MINE_RESPONSE__INIT;
    resp.request_id = req->request_id;
    s_page_t pg = {0};
    int rc = 0;
    if ((req->subject.len != 0 && req->subject.len != 32) ||
        (req->subject_also.len != 0 && (req->subject_also.len != 32 || req->subject.len != 32)) ||
        req->max > PAGE_MAX || !vn_field_valid(req->user_id, 128) || req->request_id.len > 64) {
        resp.code = "invalid-request";
        resp.reason = "subject pseudonyms are 32 bytes, a page holds at most 100 records, and the "
                      "officer's user id is 1 to 128 printable characters";
        rc = s_reply(it, &resp);
        goto done;
    }
    pg.max = req->max ? req->max : PAGE_DEFAULT;
    if (!(pg.records = calloc(pg.max, sizeof *pg.records))) {
        rc = VN_E_STORE;
        goto done;
    }
    uint64_t stopped_at = 0, examined = 0;
    vn_audit_filter_t f = {.org = it->org, .event = -1, .after_seq = req->after_seq,
                           .subject = req->subject.len == 32 ? req->subject.data : NULL,
                           .subject_also = req->subject_also.len == 32 ? req->subject_also.data
                                                                       : NULL,
                           .max_examined = EXAMINE_MAX, .stopped_at = &stopped_at};
    /* Only this organisation's records: the filter's org is the authenticated connection's. */
    rc = vn_audit_query(txn, b->db, &f, s_collect, &pg, &examined);
    if (rc == 0)
        rc = pg.rc;
    if (rc != 0)
        goto done;
    resp.n_records = pg.n;
    resp.records = pg.records;
    /* more: the page filled, or the bound on records read ended it early */
    resp.more = pg.n == pg.max || examined >= EXAMINE_MAX;
    resp.next_after = pg.n == pg.max ? pg.last_seq
                      : examined >= EXAMINE_MAX ? stopped_at
                                                : (stopped_at > req->after_seq ? stopped_at
                                                                               : req->after_seq);
    /* The read itself, in the same transaction as the answer (NEN 7513): who, what filter. */
    char filter[400], hex[65];
    snprintf(filter, sizeof filter, "after=%llu max=%zu%s%s%s returned=%zu",
             (unsigned long long)req->after_seq, pg.max, f.subject ? " subject=" : "",
             f.subject ? vn_hex(hex, f.subject, 32) : "", f.subject_also ? " and its v1" : "",
             pg.n);
    Vn__AuditJustification j[2] = {VN__AUDIT_JUSTIFICATION__INIT, VN__AUDIT_JUSTIFICATION__INIT};
    Vn__AuditJustification *jp[2] = {&j[0], &j[1]};
    j[0].key = "command";
    j[0].value = "audit-mine";
    j[1].key = "filter";
    j[1].value = filter;
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED;
    rec.actor_org = it->org;
    rec.user_id = req->user_id;
    rec.user_role = "privacy-officer";
    rec.n_justification = 2;
    rec.justification = jp;
    if (f.subject)
        rec.subject_pseudonym = req->subject;
    rec.outcome = "ok";
    rec.source = b->keys->pub.org;
    if ((rc = vn_audit_append(txn, b->db, &rec, NULL, NULL)) != 0)
        goto done;
    vn_info("event=audit-read org=%s records=%zu after=%llu more=%s", it->org, pg.n,
            (unsigned long long)req->after_seq, resp.more ? "yes" : "no");
    rc = s_reply(it, &resp);
done:
    for (size_t i = 0; i < pg.n; i++)
        free(pg.records[i].data);
    free(pg.records);
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}
