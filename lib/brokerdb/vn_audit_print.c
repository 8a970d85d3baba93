/* vn_audit_print.c -- audit records for people: event names and one line per record. */
#include "vn_audit.h"
#include "vn_util.h"

#include <time.h>

const char *vn_audit_event_name(Vn__AuditRecord__Event e)
{
    switch (e) {
    case VN__AUDIT_RECORD__EVENT__ACCEPTED: return "ACCEPTED";
    case VN__AUDIT_RECORD__EVENT__REFUSED: return "REFUSED";
    case VN__AUDIT_RECORD__EVENT__DELIVERED: return "DELIVERED";
    case VN__AUDIT_RECORD__EVENT__EXPIRED: return "EXPIRED";
    case VN__AUDIT_RECORD__EVENT__ORG_ADDED: return "ORG_ADDED";
    case VN__AUDIT_RECORD__EVENT__ORG_REVOKED: return "ORG_REVOKED";
    case VN__AUDIT_RECORD__EVENT__CONSENT_REGISTERED: return "CONSENT_ADDED";
    case VN__AUDIT_RECORD__EVENT__CONSENT_WITHDRAWN: return "CONSENT_WITHDRAWN";
    case VN__AUDIT_RECORD__EVENT__WITHHELD: return "WITHHELD";
    case VN__AUDIT_RECORD__EVENT__AUDIT_ACCESSED: return "AUDIT_READ";
    case VN__AUDIT_RECORD__EVENT__ORG_KEY_ROTATED: return "ORG_KEY_ROTATED";
    case VN__AUDIT_RECORD__EVENT__SUPPRESSED: return "SUPPRESSED";
    case VN__AUDIT_RECORD__EVENT__DELIVERY_FAILED: return "DELIVERY_FAILED";
    case VN__AUDIT_RECORD__EVENT__SESSION_REPLACED: return "SESSION_REPLACED";
    case VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED: return "SIGNAL_REGISTERED";
    case VN__AUDIT_RECORD__EVENT__SIGNAL_WITHDRAWN: return "SIGNAL_WITHDRAWN";
    case VN__AUDIT_RECORD__EVENT__SIGNAL_INACTIVE: return "SIGNAL_INACTIVE";
    case VN__AUDIT_RECORD__EVENT__SIGNAL_DELETED: return "SIGNAL_DELETED";
    case VN__AUDIT_RECORD__EVENT__MATCH_NOTIFIED: return "MATCH_NOTIFIED";
    case VN__AUDIT_RECORD__EVENT__COORDINATOR_ASSIGNED: return "COORDINATOR_ASSIGNED";
    case VN__AUDIT_RECORD__EVENT__COORDINATOR_HANDOVER_OFFERED: return "HANDOVER_OFFERED";
    case VN__AUDIT_RECORD__EVENT__MATCH_AGREED: return "MATCH_AGREED";
    case VN__AUDIT_RECORD__EVENT__SIGNAL_REFUSED: return "SIGNAL_REFUSED";
    case VN__AUDIT_RECORD__EVENT__VOCABULARY_LOADED: return "VOCABULARY_LOADED";
    default: return "UNKNOWN";
    }
}

void vn_audit_print(FILE *out, const Vn__AuditRecord *r)
{
    time_t secs = (time_t)(r->time_us / 1000000u);
    struct tm tm;
    char when[32], msgid[33] = "-", pseud[17] = "-";
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (r->pruned) {
        fprintf(out, "%6llu %s %-11s (detail pruned after the retention period)\n",
                (unsigned long long)r->seq, when, vn_audit_event_name(r->event));
        return;
    }
    if (r->message_id.len == VN_MSGID_BYTES)
        vn_hex(msgid, r->message_id.data, VN_MSGID_BYTES);
    if (r->subject_pseudonym.len == 32)
        vn_hex(pseud, r->subject_pseudonym.data, 8);
    fprintf(out, "%6llu %s %-11s actor=%s", (unsigned long long)r->seq, when,
            vn_audit_event_name(r->event), r->actor_org[0] ? r->actor_org : "-");
    if (r->user_id[0])
        fprintf(out, " user=%s role=%s", r->user_id, r->user_role);
    if (r->n_recipients) {
        fputs(" to=", out);
        for (size_t i = 0; i < r->n_recipients; i++)
            fprintf(out, "%s%s", i ? "," : "", r->recipients[i]);
    }
    if (r->basis[0])
        fprintf(out, " basis=%s", r->basis);
    for (size_t i = 0; i < r->n_justification; i++)
        fprintf(out, " %s=%s", r->justification[i]->key, r->justification[i]->value);
    if (r->category[0])
        fprintf(out, " category=%s", r->category);
    if (r->message_id.len)
        fprintf(out, " msg=%s subject=%s size=%llu", msgid, pseud,
                (unsigned long long)r->content_size);
    if (!r->message_id.len && r->content_hash.len == 32) {
        /* a refusal of something that did not authenticate: only a digest of what was sent */
        char digest[17];
        vn_hex(digest, r->content_hash.data, 8);
        fprintf(out, " sent=%s size=%llu", digest, (unsigned long long)r->content_size);
    }
    if (r->signal_id[0])
        fprintf(out, " signal=%s", r->signal_id);
    if (r->match_id[0])
        fprintf(out, " match=%s", r->match_id);
    if (!r->message_id.len && r->subject_pseudonym.len == 32)
        fprintf(out, " subject=%s", pseud);
    for (size_t i = 0; i < r->n_related_pseudonyms; i++)
        if (r->related_pseudonyms[i].len == 32) {
            char rel[17];
            vn_hex(rel, r->related_pseudonyms[i].data, 8);
            fprintf(out, "%s%s", i ? "," : " related=", rel);
        }
    fprintf(out, " outcome=%s", r->outcome[0] ? r->outcome : "-");
    if (r->review)
        fputs(" review=required", out);
    if (r->reason[0])
        fprintf(out, " reason=\"%s\"", r->reason);
    if (r->api_caller[0]) /* the agency system that submitted it for user_id */
        fprintf(out, " caller=%s", r->api_caller);
    if (r->subject_pseudonym_version) /* how the subject's pseudonym was made (1, 2: VOPRF) */
        fprintf(out, " pseudonym=v%u", (unsigned)r->subject_pseudonym_version);
    fputc('\n', out);
}
