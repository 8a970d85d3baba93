/* records.c -- the audit records the broker writes about a disclosure: the envelope's header fields
 * copied into a record, and the outcome for one recipient (DELIVERED, EXPIRED, WITHHELD). */
#include "broker.h"
#include "vn_audit.h"

#include <string.h>

void broker__audit_from_header(Vn__AuditRecord *rec, broker_audit_fields_t *f,
                               const vn_parsed_t *p)
{
    const Vn__Header *h = p->hdr;
    rec->user_id = h->user_id;
    rec->user_role = h->user_role;
    rec->api_caller = h->api_caller; /* who at the agency's agent submitted it, beside user_id */
    rec->n_recipients = h->n_recipients;
    rec->recipients = h->recipients;
    rec->subject_pseudonym = h->subject_pseudonym;
    rec->subject_pseudonym_version = h->subject_pseudonym_version;
    rec->category = h->category;
    rec->basis = h->basis;
    for (size_t i = 0; i < h->n_justification; i++) {
        vn__audit_justification__init(&f->just[i]);
        f->just[i].key = h->justification[i]->key;
        f->just[i].value = h->justification[i]->value;
        f->ptrs[i] = &f->just[i];
    }
    rec->n_justification = h->n_justification;
    rec->justification = f->ptrs;
    memcpy(f->content_hash, p->env->ciphertext_hash.data, 32);
    rec->content_hash = (ProtobufCBinaryData){32, f->content_hash};
    rec->content_size = h->content_length;
    rec->message_id = h->message_id;
    rec->match_id = h->match_id;
}

/* Append a DELIVERED, EXPIRED or WITHHELD record for one recipient of a stored envelope. */
int broker__audit_outcome(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, const char *actor,
                          const char *recipient, Vn__AuditRecord__Event event, const char *outcome,
                          const char *reason, uint64_t *seq)
{
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    broker_audit_fields_t fields;
    broker__audit_from_header(&rec, &fields, p);
    /* The professional is the sender's, recorded with ACCEPTED; here the actor is someone else. */
    rec.user_id = rec.user_role = rec.api_caller = "";
    char *recips[] = {(char *)recipient};
    rec.event = event;
    rec.actor_org = (char *)actor;
    rec.n_recipients = 1;
    rec.recipients = recips;
    rec.outcome = (char *)outcome;
    rec.reason = (char *)reason;
    rec.source = b->keys->pub.org;
    return vn_audit_append(txn, b->db, &rec, seq, NULL);
}
