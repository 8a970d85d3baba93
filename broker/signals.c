/* signals.c -- the broker's side of signals and matches: registrations and withdrawals (storage
 * thread, audited, matched in the same group commit), coordinator requests, match notices queued
 * durably per organisation, the lifetime scan (inactive, deleted). Listing is signal_list.c. */
#include "broker.h"
#include "signals.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_queue.h"
#include "vn_util.h"
#include "vn_vocab.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCAN_PER_TICK 256        /* lifetime transitions per second */

uint64_t broker__signal_now(const broker_t *b)
{
    return (uint64_t)((int64_t)vn_now() + b->clock_offset);
}

/* ---- sectors, from the registry in the store (the storage thread's own view) ---- */

typedef struct {
    broker_t *b;
    MDB_txn *txn;
    struct {
        char org[VN_ORG_MAX + 1];
        char sector[VN_SECTOR_MAX + 1];
    } cache[VN_MATCH_MAX];
    size_t n;
} s_sectors_t;

static const char *s_sector_of(void *ctx, const char *org)
{
    s_sectors_t *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->cache[i].org, org) == 0)
            return s->cache[i].sector;
    MDB_val k = {strlen(org), (void *)org}, v;
    if (mdb_get(s->txn, vn_store_dbi(s->b->db, BDB_ORGS), &k, &v) != 0)
        return NULL;
    Vn__OrgEntry *o = vn__org_entry__unpack(NULL, v.mv_size, v.mv_data);
    if (!o)
        return NULL;
    size_t i = s->n < VN_MATCH_MAX ? s->n++ : VN_MATCH_MAX - 1;
    snprintf(s->cache[i].org, sizeof s->cache[i].org, "%s", org);
    snprintf(s->cache[i].sector, sizeof s->cache[i].sector, "%s", o->sector);
    vn__org_entry__free_unpacked(o, NULL);
    return s->cache[i].sector;
}

static void s_sigdb(broker_t *b, MDB_txn *txn, vn_sigdb_t *d, s_sectors_t *sec)
{
    vn_sigdb_init(d, b->db, txn);
    memset(sec, 0, sizeof *sec);
    sec->b = b;
    sec->txn = txn;
    d->sector_of = s_sector_of;
    d->ctx = sec;
}

/* ---- audit ---- */

static void s_date(char out[16], uint64_t t)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* A SIGNAL_* record about r (REGISTERED, REFUSED, WITHDRAWN, INACTIVE, DELETED). */
static int s_audit_signal(MDB_txn *txn, broker_t *b, const Vn__SignalRecord *r,
                          Vn__AuditRecord__Event event, const char *actor, const char *outcome,
                          const char *reason, uint64_t *seq)
{
    char informed[64] = "", date[16], until[16], age[8];
    for (size_t i = 0; i < r->n_informed && i < 3; i++) {
        const char *x = r->informed[i]; /* a refused one may hold anything */
        snprintf(informed + strlen(informed), sizeof informed - strlen(informed), "%s%s",
                 i ? "," : "", strcmp(x, "ouders") == 0 || strcmp(x, "jongere") == 0 ||
                                       strcmp(x, "niet") == 0 ? x : "?");
    }
    s_date(date, r->signal_date);
    s_date(until, r->active_until);
    snprintf(age, sizeof age, "%u", r->youth_age);
    Vn__AuditJustification j[4];
    Vn__AuditJustification *jp[4];
    const char *kv[4][2] = {{"signal-date", date}, {"youth-age", age}, {"informed", informed},
                            {"active-until", until}};
    for (int i = 0; i < 4; i++) {
        vn__audit_justification__init(&j[i]);
        j[i].key = (char *)kv[i][0];
        j[i].value = (char *)kv[i][1];
        jp[i] = &j[i];
    }
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = event;
    rec.actor_org = (char *)actor;
    if (event == VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED ||
        event == VN__AUDIT_RECORD__EVENT__SIGNAL_REFUSED) {
        /* A refused registration's fields may be anything: only what a valid one could hold. */
        rec.user_id = vn_field_valid(r->user_id, 256) ? r->user_id : "";
        rec.user_role = vn_field_valid(r->user_role, 256) ? r->user_role : "";
        rec.n_justification = r->active_until ? 4 : 3; /* refused before it was computed */
        rec.justification = jp;
    }
    if (r->youth_pseudonym.len == 32) {
        rec.subject_pseudonym = r->youth_pseudonym;
        rec.subject_pseudonym_version = r->pseudonym_version;
    }
    size_t n_rel = 0;
    for (size_t i = 0; i < r->n_parent_pseudonyms && i < VN_SIGNAL_MAX_PARENTS; i++)
        n_rel += r->parent_pseudonyms[i].len == 32;
    if (n_rel == r->n_parent_pseudonyms) {
        rec.n_related_pseudonyms = n_rel;
        rec.related_pseudonyms = r->parent_pseudonyms;
    }
    char *owner[1] = {r->owner};
    if (r->owner && r->owner[0] && strcmp(r->owner, actor) != 0) {
        rec.n_recipients = 1; /* the broker acted; the owner is who it concerns */
        rec.recipients = owner;
    }
    rec.category = vn_field_valid(r->category, 64) ? r->category : "";
    /* A refused signal was never stored: no id names it. */
    rec.signal_id = r->id && event != VN__AUDIT_RECORD__EVENT__SIGNAL_REFUSED ? r->id : "";
    rec.basis = "signaal";
    rec.outcome = (char *)outcome;
    rec.reason = (char *)(reason ? reason : "");
    rec.source = b->keys->pub.org;
    return vn_audit_append(txn, b->db, &rec, seq, NULL);
}

/* A match record (NOTIFIED, COORDINATOR_ASSIGNED, HANDOVER_OFFERED, AGREED). */
static int s_audit_match(MDB_txn *txn, broker_t *b, const vn_match_t *m,
                         Vn__AuditRecord__Event event, const char *actor, const char *to,
                         const char *event_name, const uint8_t *subject, const char *reason,
                         uint64_t *seq)
{
    char others[1024] = "";
    for (size_t i = 0; i < m->n; i++) {
        const char *o = m->part[i].org;
        int seen = to && strcmp(o, to) == 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(m->part[j].org, o) == 0;
        if (!seen && strlen(others) + strlen(o) + 2 < sizeof others)
            snprintf(others + strlen(others), sizeof others - strlen(others), "%s%s",
                     others[0] ? "," : "", o);
    }
    Vn__AuditJustification j[3];
    Vn__AuditJustification *jp[3];
    const char *kv[3][2] = {{"event", event_name}, {"participants", others},
                            {"coordinator", m->coordinator[0] ? m->coordinator : "-"}};
    for (int i = 0; i < 3; i++) {
        vn__audit_justification__init(&j[i]);
        j[i].key = (char *)kv[i][0];
        j[i].value = (char *)kv[i][1];
        jp[i] = &j[i];
    }
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    char *recips[1] = {(char *)to};
    rec.event = event;
    rec.actor_org = (char *)actor;
    if (to && to[0]) {
        rec.n_recipients = 1;
        rec.recipients = recips;
    }
    if (subject)
        rec.subject_pseudonym = (ProtobufCBinaryData){32, (uint8_t *)subject};
    rec.n_justification = 3;
    rec.justification = jp;
    rec.match_id = (char *)m->id;
    rec.basis = "signaal";
    rec.outcome = "ok";
    rec.reason = (char *)(reason ? reason : "");
    rec.source = b->keys->pub.org;
    return vn_audit_append(txn, b->db, &rec, seq, NULL);
}

/* ---- notices ---- */

/* Queue one MatchNotice for org about m, with a MATCH_NOTIFIED record naming who was told about
 * whom, for the youth of org's own signal in the match. */
static int s_notice(MDB_txn *txn, broker_t *b, vn_sigdb_t *d, const vn_match_t *m,
                    const char *org, const char *event)
{
    char *mine[VN_MATCH_MAX];
    size_t n_mine = 0;
    const vn_mpart_t *first = NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->part[i].org, org) == 0) {
            first = first ? first : &m->part[i];
            mine[n_mine++] = (char *)m->part[i].signal_id;
        }
    uint8_t subject[32];
    int have_subject = 0;
    Vn__SignalRecord *r;
    if (first && first->youth_known) { /* the matcher read it: no second read */
        memcpy(subject, first->youth, 32);
        have_subject = 1;
    } else if (n_mine && vn_sigdb_get(d, mine[0], &r) == 0) {
        if (r->youth_pseudonym.len == 32) {
            memcpy(subject, r->youth_pseudonym.data, 32);
            have_subject = 1;
        }
        vn__signal_record__free_unpacked(r, NULL);
    }
    uint64_t seq;
    int rc = s_audit_match(txn, b, m, VN__AUDIT_RECORD__EVENT__MATCH_NOTIFIED, b->keys->pub.org,
                           org, event, have_subject ? subject : NULL, NULL, &seq);
    if (rc != 0)
        return rc;
    vn_match_wire_t *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    vn_match_to_wire(m, w);
    uint8_t notice_id[16];
    if ((rc = vn_queue_notice_id(txn, b->db, notice_id)) != 0) {
        free(w);
        return rc;
    }
    Vn__MatchNotice n = VN__MATCH_NOTICE__INIT;
    n.notice_id = (ProtobufCBinaryData){16, notice_id};
    n.event = (char *)event;
    n.match = &w->info;
    n.n_your_signal_ids = n_mine;
    n.your_signal_ids = mine;
    n.audit_seq = seq;
    size_t len = vn__match_notice__get_packed_size(&n);
    uint8_t *buf = malloc(len);
    if (buf) {
        vn__match_notice__pack(&n, buf);
        rc = vn_queue_put_match_notice(txn, b->db, org, notice_id, buf, len);
        if (rc == 0)
            broker__depth_add(b, org, 1);
    } else {
        rc = -ENOMEM;
    }
    free(buf);
    free(w);
    vn_debug("event=match-notice org=%s match=%s kind=%s notice=%s", org, m->id, m->kind, event);
    return rc;
}

/* Audit coordinator changes and send every notice of an outcome. */
static int s_outcome(MDB_txn *txn, broker_t *b, vn_sigdb_t *d, const vn_match_outcome_t *o,
                     const char *reason)
{
    int rc = 0;
    for (size_t p = 0; rc == 0 && p < o->n_parts; p++)
        if (o->coordinator_changed[p])
            rc = s_audit_match(txn, b, &o->parts[p], VN__AUDIT_RECORD__EVENT__COORDINATOR_ASSIGNED,
                               b->keys->pub.org, o->parts[p].coordinator, "coordinator", NULL,
                               o->parts[p].coordinator[0] ? reason
                                                          : "no participant may coordinate",
                               NULL);
    for (size_t i = 0; rc == 0 && i < o->n_notify; i++)
        rc = s_notice(txn, b, d, &o->parts[o->notify[i].part], o->notify[i].org,
                      o->notify[i].event);
    return rc;
}

/* One notice of event to every organisation with an active signal in o's first part. */
static void s_notify_all(vn_match_outcome_t *o, const char *event)
{
    const vn_match_t *m = &o->parts[0];
    for (size_t i = 0; i < m->n && o->n_notify < VN_MATCH_NOTIFY_MAX; i++) {
        int seen = !m->part[i].active;
        for (size_t j = 0; j < o->n_notify && !seen; j++)
            seen = strcmp(o->notify[j].org, m->part[i].org) == 0;
        if (seen)
            continue;
        vn_match_notify_t *n = &o->notify[o->n_notify++];
        n->part = 0;
        snprintf(n->org, sizeof n->org, "%s", m->part[i].org);
        snprintf(n->event, sizeof n->event, "%s", event);
    }
}

/* ---- requests (storage thread) ---- */

/* The answer to the item's request (a signal or a match response), sent after the commit. */
static int s_reply(item_t *it, Vn__SignalResponse *signal, Vn__MatchResponse *match)
{
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = signal ? VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE
                         : VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE;
    m.signal_response = signal;
    if (match)
        m.match_response = match;
    free(it->reply);
    it->reply = NULL;
    return vn_wire_pack(&m, &it->reply, &it->reply_len);
}

/* The running rules and vocabulary (held under policy_lock while used). */
static const vn_signal_rules_t *s_rules(broker_t *b)
{
    return (const vn_signal_rules_t *)vn_policy_signals(b->policy);
}

static int s_register(MDB_txn *txn, broker_t *b, item_t *it, Vn__SignalRecord *r,
                      Vn__SignalResponse *resp)
{
    uint64_t now = broker__signal_now(b);
    char id[VN_ID_LEN + 1];
    vn_sigdb_new_id(id, 'S');
    /* What the peer put in id and owner is ignored, but freed with its request: kept to put back
     * (overwriting them leaked them, and a store error freed the borrowed ones). */
    char *peer_id = r->id, *peer_owner = r->owner;
    r->version = 1;
    r->id = id;
    r->owner = it->org; /* from the authenticated connection, never from the request */
    r->registered = now;
    r->withdrawn = 0;
    r->delete_after = 0;
    vn_sigdb_t d;
    s_sectors_t sec;
    s_sigdb(b, txn, &d, &sec);
    const char *sector = s_sector_of(&sec, it->org);
    vn_signal_verdict_t v;
    const char *code = NULL;
    int rc = 0, refused = vn_signal_check(s_rules(b), r, sector, now, &v) != 0;
    if (!refused)
        refused = broker__pseudonym_version_refused(b, r->pseudonym_version, now, v.code,
                                                    sizeof v.code, v.reason_en,
                                                    sizeof v.reason_en, v.reason_nl,
                                                    sizeof v.reason_nl);
    if (!refused && !vn_vocab_has(b->vocab, "signal-category", r->category)) {
        snprintf(v.code, sizeof v.code, "unknown-term");
        snprintf(v.reason_en, sizeof v.reason_en,
                 "'%.64s' is not a signal category of the vocabulary%s", r->category,
                 b->vocab ? "" : " (this broker has no vocabulary configured)");
        snprintf(v.reason_nl, sizeof v.reason_nl,
                 "'%.64s' is geen signaalcategorie uit de begrippenlijst", r->category);
        refused = 1;
    }
    vn_match_outcome_t o = {0};
    if (!refused) {
        rc = vn_matcher_register(&d, s_rules(b), r, sector, now, &o, &code);
        if (rc == VN_E_TOO_LARGE && code) {
            refused = 1;
            rc = 0;
            snprintf(v.code, sizeof v.code, "%s", code);
            if (strcmp(code, "too-many-signals") == 0) {
                snprintf(v.reason_en, sizeof v.reason_en,
                         "an organisation has at most %d live signals on one youth; withdraw one "
                         "first", VN_SIGNAL_MAX_PER_YOUTH);
                snprintf(v.reason_nl, sizeof v.reason_nl,
                         "een organisatie heeft hoogstens %d lopende signalen op één jongere; "
                         "trek er eerst een in", VN_SIGNAL_MAX_PER_YOUTH);
            } else {
                snprintf(v.reason_en, sizeof v.reason_en,
                         "this signal would make a match of more than %d signals", VN_MATCH_MAX);
                snprintf(v.reason_nl, sizeof v.reason_nl,
                         "dit signaal zou een match van meer dan %d signalen maken", VN_MATCH_MAX);
            }
        }
    }
    if (rc != 0) {
        r->id = peer_id;
        r->owner = peer_owner;
        vn_match_outcome_clear(&o);
        return rc;
    }
    Vn__SignalRecord *one[1];
    if (refused) {
        rc = s_audit_signal(txn, b, r, VN__AUDIT_RECORD__EVENT__SIGNAL_REFUSED, it->org, v.code,
                            v.reason_en, &resp->audit_seq);
        resp->code = v.code;
        resp->reason = v.reason_en;
        resp->reason_nl = v.reason_nl;
        vn_info("event=signal-refused org=%s code=%s", it->org, v.code);
        if (rc == 0)
            rc = s_reply(it, resp, NULL);
    } else {
        rc = s_audit_signal(txn, b, r, VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED, it->org, "ok",
                            NULL, &resp->audit_seq);
        if (rc == 0)
            rc = s_outcome(txn, b, &d, &o, "covenant rules");
        one[0] = r;
        resp->n_records = 1;
        resp->records = one;
        if (rc == 0)
            rc = s_reply(it, resp, NULL);
        vn_debug("event=signal-registered org=%s signal=%s match=%s", it->org, id,
                o.n_parts ? o.parts[0].id : "-");
    }
    resp->n_records = 0;
    resp->records = NULL;
    r->id = peer_id; /* ours were borrowed */
    r->owner = peer_owner;
    vn_match_outcome_clear(&o);
    return rc;
}

static int s_withdraw(MDB_txn *txn, broker_t *b, item_t *it, const char *id,
                      Vn__SignalResponse *resp)
{
    vn_sigdb_t d;
    s_sectors_t sec;
    s_sigdb(b, txn, &d, &sec);
    Vn__SignalRecord *r = NULL;
    /* An id of another shape is unknown (and never reaches LMDB, whose keys are bounded). */
    int rc = strlen(id) == VN_ID_LEN && id[0] == 'S' ? vn_sigdb_get(&d, id, &r) : VN_E_NOT_FOUND;
    if (rc == VN_E_NOT_FOUND || (rc == 0 && strcmp(r->owner, it->org) != 0)) {
        /* Another organisation's signal is as unknown as a missing one. */
        resp->code = "signal-unknown";
        resp->reason = "you have no signal with this id";
        resp->reason_nl = "u heeft geen signaal met dit id";
        rc = s_reply(it, resp, NULL);
    } else if (rc == 0) {
        if (!r->withdrawn) {
            uint64_t now = broker__signal_now(b);
            vn_match_outcome_t o = {0};
            r->withdrawn = now;
            rc = vn_sigdb_unlink(&d, r);
            if (rc == 0)
                rc = vn_sigdb_put_record(&d, r);
            if (rc == 0)
                rc = vn_matcher_remove(&d, s_rules(b), id, now, &o);
            if (rc == 0)
                rc = s_audit_signal(txn, b, r, VN__AUDIT_RECORD__EVENT__SIGNAL_WITHDRAWN, it->org,
                                    "ok", NULL, &resp->audit_seq);
            if (rc == 0)
                rc = s_outcome(txn, b, &d, &o, "the coordinator's signal left the match");
            vn_match_outcome_clear(&o);
        }
        Vn__SignalRecord *one[1] = {r};
        resp->n_records = 1;
        resp->records = one;
        if (rc == 0)
            rc = s_reply(it, resp, NULL);
        resp->n_records = 0;
    }
    if (r)
        vn__signal_record__free_unpacked(r, NULL);
    return rc;
}

static int s_match_op(MDB_txn *txn, broker_t *b, item_t *it, const Vn__MatchRequest *req)
{
    Vn__MatchResponse resp = VN__MATCH_RESPONSE__INIT;
    resp.request_id = req->request_id;
    const char *mid = req->op_case == VN__MATCH_REQUEST__OP_HANDOVER
                          ? (req->handover ? req->handover->match_id : "")
                      : req->op_case == VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER ? req->accept_handover
                                                                              : req->agree;
    vn_sigdb_t d;
    s_sectors_t sec;
    s_sigdb(b, txn, &d, &sec);
    vn_match_outcome_t o = {0};
    char reason[300] = "";
    const char *code = NULL;
    int rc = 0;
    o.parts = calloc(1, sizeof *o.parts);
    if (!o.parts)
        return -ENOMEM;
    o.n_parts = 1;
    vn_match_t *m = &o.parts[0];
    int mrc = mid && strlen(mid) == VN_ID_LEN ? vn_sigdb_match_get(&d, mid, m) : VN_E_NOT_FOUND;
    if (mrc != 0 && mrc != VN_E_NOT_FOUND) {
        vn_match_outcome_clear(&o);
        return mrc;
    }
    if (mrc != 0 || vn_match_orgs(m) < 2 || !vn_match_has_org(m, it->org, 0)) {
        code = "not-in-match";
        snprintf(reason, sizeof reason, "%s takes no part in match %.40s", it->org, mid ? mid : "");
    } else if (req->op_case == VN__MATCH_REQUEST__OP_HANDOVER) {
        if (vn_coordinator_handover(s_rules(b), m, it->org, req->handover->to_org, &code, reason,
                                    sizeof reason) == 0) {
            rc = s_audit_match(txn, b, m, VN__AUDIT_RECORD__EVENT__COORDINATOR_HANDOVER_OFFERED,
                               it->org, m->handover_to, "handover-offered", NULL, NULL,
                               &resp.audit_seq);
            s_notify_all(&o, "handover-offered");
        }
    } else if (req->op_case == VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER) {
        if (vn_coordinator_accept(m, it->org, &code, reason, sizeof reason) == 0) {
            rc = s_audit_match(txn, b, m, VN__AUDIT_RECORD__EVENT__COORDINATOR_ASSIGNED, it->org,
                               m->coordinator, "coordinator", NULL, "handover accepted",
                               &resp.audit_seq);
            s_notify_all(&o, "coordinator");
        }
    } else if (req->op_case == VN__MATCH_REQUEST__OP_AGREE) {
        int already = m->agreed;
        if (vn_coordinator_agree(m, it->org, &code, reason, sizeof reason) == 0 && !already) {
            rc = s_audit_match(txn, b, m, VN__AUDIT_RECORD__EVENT__MATCH_AGREED, it->org, NULL,
                               "agreed", NULL, "afgestemd", &resp.audit_seq);
            s_notify_all(&o, "agreed");
        }
    } else {
        code = "malformed-request";
        snprintf(reason, sizeof reason, "unknown match operation");
    }
    vn_match_wire_t *w = NULL;
    Vn__MatchInfo *one[1];
    if (rc == 0 && !code) {
        m->updated = broker__signal_now(b);
        rc = vn_sigdb_match_put(&d, m, m);
        if (rc == 0)
            rc = s_outcome(txn, b, &d, &o, NULL);
        if (rc == 0 && (w = malloc(sizeof *w))) {
            vn_match_to_wire(m, w);
            one[0] = &w->info;
            resp.n_matches = 1;
            resp.matches = one;
        }
    } else if (code) {
        resp.code = (char *)code;
        resp.reason = reason;
        vn_info("event=match-request-refused org=%s code=%s", it->org, code);
    }
    if (rc == 0)
        rc = s_reply(it, NULL, &resp);
    free(w);
    vn_match_outcome_clear(&o);
    return rc;
}

int broker__signal_apply(MDB_txn *txn, broker_t *b, item_t *it)
{
    Vn__WireMessage *m = NULL;
    if (vn_wire_unpack(it->payload, it->payload_len, &m) != 0)
        return 0;
    int rc = 0;
    pthread_rwlock_rdlock(&b->policy_lock);
    if (m->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST) {
        Vn__SignalRequest *req = m->signal_request;
        Vn__SignalResponse resp = VN__SIGNAL_RESPONSE__INIT;
        resp.request_id = req->request_id;
        if (req->op_case == VN__SIGNAL_REQUEST__OP_ADD && req->add)
            rc = s_register(txn, b, it, req->add, &resp);
        else if (req->op_case == VN__SIGNAL_REQUEST__OP_WITHDRAW)
            rc = s_withdraw(txn, b, it, req->withdraw, &resp);
        else { /* no operation (or an add without its record): answered, never left waiting */
            resp.code = "malformed-request";
            resp.reason = "a signal request needs an add, withdraw or list operation";
            resp.reason_nl = "een signaalverzoek heeft een add-, withdraw- of list-bewerking nodig";
            rc = s_reply(it, &resp, NULL);
        }
    } else if (m->body_case == VN__WIRE_MESSAGE__BODY_MATCH_REQUEST) {
        rc = s_match_op(txn, b, it, m->match_request);
    }
    pthread_rwlock_unlock(&b->policy_lock);
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}

int broker__signal_unstored(item_t *it)
{
    Vn__WireMessage *m = NULL;
    if (vn_wire_unpack(it->payload, it->payload_len, &m) != 0)
        return 0;
    Vn__SignalResponse sr = VN__SIGNAL_RESPONSE__INIT;
    Vn__MatchResponse mr = VN__MATCH_RESPONSE__INIT;
    sr.code = mr.code = "storage-error";
    sr.reason = mr.reason = "the broker could not store this; try again later";
    sr.reason_nl = mr.reason_nl = "de broker kon dit niet opslaan; probeer het later opnieuw";
    int rc = 0;
    if (m->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST) {
        sr.request_id = m->signal_request->request_id;
        rc = s_reply(it, &sr, NULL);
    } else if (m->body_case == VN__WIRE_MESSAGE__BODY_MATCH_REQUEST) {
        mr.request_id = m->match_request->request_id;
        rc = s_reply(it, NULL, &mr);
    }
    vn__wire_message__free_unpacked(m, NULL);
    return rc;
}

/* ---- lifetime (storage thread, once a second, bounded per tick) ---- */

static int s_transition(MDB_txn *txn, broker_t *b, vn_sigdb_t *d, char kind, const char *id,
                        uint64_t now)
{
    Vn__SignalRecord *r;
    int rc = vn_sigdb_get(d, id, &r);
    if (rc != 0)
        return rc == VN_E_NOT_FOUND ? 0 : rc;
    vn_match_outcome_t o = {0};
    if (kind == 'I') {
        rc = vn_sigdb_inactive(d, r);
        if (rc == 0)
            rc = vn_matcher_inactive(d, s_rules(b), id, now, &o);
        if (rc == 0)
            rc = s_audit_signal(txn, b, r, VN__AUDIT_RECORD__EVENT__SIGNAL_INACTIVE,
                                b->keys->pub.org, "ok", "active period ended", NULL);
        if (rc == 0)
            rc = s_outcome(txn, b, d, &o, "the coordinator's signals became inactive");
    } else {
        if (!r->withdrawn)
            rc = vn_matcher_remove(d, s_rules(b), id, now, &o);
        if (rc == 0)
            rc = vn_sigdb_delete(d, r);
        if (rc == 0)
            rc = s_audit_signal(txn, b, r, VN__AUDIT_RECORD__EVENT__SIGNAL_DELETED,
                                b->keys->pub.org, "ok", "retention period ended", NULL);
        if (rc == 0)
            rc = s_outcome(txn, b, d, &o, "the coordinator's signal was deleted");
    }
    vn_match_outcome_clear(&o);
    vn__signal_record__free_unpacked(r, NULL);
    return rc;
}

int broker__signals_tick(broker_t *b)
{
    MDB_txn *txn;
    int rc = vn_store_begin(b->db, 0, &txn);
    if (rc != 0)
        return rc;
    vn_sigdb_t d;
    s_sectors_t sec;
    s_sigdb(b, txn, &d, &sec);
    uint64_t now = broker__signal_now(b);
    struct {
        char kind;
        char id[VN_ID_LEN + 1];
    } due[SCAN_PER_TICK];
    int n = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = vn_store_error(mdb_cursor_open(txn, d.time, &cur))) == 0) {
        for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && n < SCAN_PER_TICK;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 9 + VN_ID_LEN || vn_get_be64(k.mv_data) > now)
                break;
            due[n].kind = ((char *)k.mv_data)[8];
            memcpy(due[n].id, (char *)k.mv_data + 9, VN_ID_LEN);
            due[n++].id[VN_ID_LEN] = '\0';
        }
        mdb_cursor_close(cur);
    }
    if (n == 0 || rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    pthread_rwlock_rdlock(&b->policy_lock);
    for (int i = 0; i < n && rc == 0; i++)
        rc = s_transition(txn, b, &d, due[i].kind, due[i].id, now);
    pthread_rwlock_unlock(&b->policy_lock);
    rc = rc == 0 ? vn_store_commit(txn) : (mdb_txn_abort(txn), rc);
    if (rc != 0) {
        vn_error("event=signal-scan-failed error=\"%s\"", vn_strerror(rc));
        return rc;
    }
    vn_info("event=signal-lifetime transitions=%d", n);
    return n;
}

/* ---- policy: does org take part in a match (contact cards, match:ID) ---- */

int broker__in_match(broker_t *b, MDB_txn *txn, const char *match_id, const char *org)
{
    if (!txn || strlen(match_id) != VN_ID_LEN)
        return 0;
    vn_sigdb_t d;
    vn_sigdb_init(&d, b->db, txn);
    vn_match_t *m = malloc(sizeof *m);
    int in = m && vn_sigdb_match_get(&d, match_id, m) == 0 && vn_match_orgs(m) >= 2 &&
             vn_match_has_org(m, org, 0);
    free(m);
    return in;
}
