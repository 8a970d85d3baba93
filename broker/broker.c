/* broker.c -- the broker's sockets and poll loop: route frames to their handlers, commit in groups. */
#include "broker.h"
#include "signals.h"
#include "vn_brokerdb.h"
#include "vn_daemon.h"
#include "vn_error.h"
#include "vn_http.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_vocab.h"
#include "vn_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MONITOR_EP "inproc://vn-router-monitor"
#define PROBE_EVERY_MS 30000
/* After a disconnect event the router drops the pipe a moment later: probe for a while. */
#define PROBE_AFTER_EVENT_MS 3000
#define PROBE_AFTER_EVENT_EVERY_MS 250
#define ZAP_ENFORCE_DOMAIN 93 /* ZMQ_ZAP_ENFORCE_DOMAIN, behind ZMQ_BUILD_DRAFT_API in zmq.h */
#define HEARTBEAT_MS 2000
#define DRAIN_MAX 512

int broker__send(broker_t *b, const uint8_t *routing, size_t routing_len, const uint8_t *data,
                 size_t len)
{
    if (zmq_send(b->router, routing, routing_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -errno;
    if (zmq_send(b->router, data, len, ZMQ_DONTWAIT) < 0)
        return -errno;
    return 0;
}

int broker__send_wire(broker_t *b, const uint8_t *routing, size_t routing_len,
                      Vn__WireMessage *msg)
{
    uint8_t *buf;
    size_t len;
    int rc = vn_wire_pack(msg, &buf, &len);
    if (rc == 0) {
        rc = broker__send(b, routing, routing_len, buf, len);
        free(buf);
    }
    return rc;
}

int broker_init(broker_t *b, const vn_broker_config_t *cfg, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->started = vn_now();
    atomic_store(&b->storage_ok, 1);
    pthread_mutex_init(&b->sessions_lock, NULL);
    pthread_mutex_init(&b->refusals_lock, NULL);
    int rc = vn_keyset_load(cfg->keys, &b->keys, err, errlen);
    if (rc != 0)
        return rc;
    if (strcmp(b->keys->pub.sector, "broker") != 0) {
        snprintf(err, errlen, "%s: not a broker key set (sector %s)", cfg->keys, b->keys->pub.sector);
        return VN_E_CONFIG;
    }
    pthread_rwlock_init(&b->policy_lock, NULL);
    if (broker__policy_load(b, err, errlen) != 0)
        return VN_E_CONFIG;
    vn_info("event=policy-loaded file=%s bases=%zu", cfg->policy, vn_policy_count(b->policy));
    if (broker__vocab_load(b, err, errlen) != 0)
        return VN_E_CONFIG;
    b->db = vn_brokerdb_open(cfg->data, cfg->map_size, 0, &rc, err, errlen);
    if (!b->db)
        return rc;
    if ((rc = broker__consent_index_build(b)) != 0) {
        snprintf(err, errlen, "%s: cannot build the consent owner index: %s", cfg->data,
                 vn_strerror(rc));
        return rc;
    }
    uint64_t moved;
    if ((rc = vn_sigdb_move_old_index(b->db, &moved)) != 0) {
        snprintf(err, errlen, "%s: cannot move the signal index into the subject index: %s",
                 cfg->data, vn_strerror(rc));
        return rc;
    }
    if (moved)
        vn_info("event=signal-index-moved entries=%llu", (unsigned long long)moved);
    if ((rc = broker__relying_build(b)) != 0) {
        snprintf(err, errlen, "%s: cannot index the envelopes relying on consents: %s", cfg->data,
                 vn_strerror(rc));
        return rc;
    }
    if ((rc = broker__registry_refresh(b, 1)) < 0) {
        snprintf(err, errlen, "%s: cannot load the organisation registry", cfg->data);
        return rc;
    }
    /* Warm the map beside the storage thread: a restarted broker's first random reads would
     * otherwise each fault (matching signals at 10 million in the store, docs/performance.md). */
    b->warmer = vn_store_warm_start(b->db, "broker");
    b->ctx = zmq_ctx_new();
    /* The ZAP handler must exist before the ROUTER binds, so no handshake escapes it. */
    b->zap = zmq_socket(b->ctx, ZMQ_REP);
    if (zmq_bind(b->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errlen, "cannot bind the ZAP handler: %s", zmq_strerror(errno));
        return -errno;
    }
    b->router = zmq_socket(b->ctx, ZMQ_ROUTER);
    /* Per-peer outbound queue: deliveries are bounded by credit, answers by what an agent has in
     * flight; room for bursts, never unbounded.
     * Per-peer inbound queue: unlimited (RCVHWM 0), because a connection whose inbound pipe is
     * full stops reading, and libzmq 4.3.4 aborts the whole broker when such a stopped connection
     * is then reset: the reset marks it failed (_io_error) and the next heartbeat, or a PING the
     * peer had already sent, writes to it (`Assertion failed: !_io_error`, zeromq/libzmq#3937).
     * What waits there is bounded by a main thread that never blocks (the workers' and storage
     * queues take without waiting, lists are paged) and by the per-organisation budgets it
     * applies (docs/threat-model.md). */
    int one = 1, linger = 0, hb = HEARTBEAT_MS, hb_timeout = 3 * HEARTBEAT_MS, sndhwm = 100000,
        rcvhwm = 0;
    zmq_setsockopt(b->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(b->router, ZMQ_CURVE_SECRETKEY, b->keys->curve_sk, 40);
    zmq_setsockopt(b->router, ZMQ_ZAP_DOMAIN, "vangnet", 7);
    if (zmq_setsockopt(b->router, ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0)
        vn_info("event=zap-enforce-domain-unavailable note=\"handler bound first; every CURVE "
                "handshake is still checked\"");
    zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(b->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(b->router, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(b->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(b->router, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    zmq_setsockopt(b->router, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    int max_msg = (int)cfg->max_envelope + 65536; /* the frame cap: bigger frames never reach us */
    int64_t max_msg64 = max_msg;
    zmq_setsockopt(b->router, ZMQ_MAXMSGSIZE, &max_msg64, sizeof max_msg64);
    if (zmq_bind(b->router, cfg->endpoint) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", cfg->endpoint, zmq_strerror(errno));
        return -errno;
    }
    vn_daemon_write_endpoint(b->router, b->cfg.data);
    /* A dropped connection does not say which organisation it was: probe the sessions then. */
    zmq_socket_monitor(b->router, MONITOR_EP, ZMQ_EVENT_DISCONNECTED);
    b->monitor = zmq_socket(b->ctx, ZMQ_PAIR);
    zmq_setsockopt(b->monitor, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(b->monitor, MONITOR_EP);
    if (broker__budget_init(b) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (broker__storage_start(b) != 0) {
        snprintf(err, errlen, "cannot start the storage thread");
        return -1;
    }
    if (broker__workers_start(b) != 0) {
        snprintf(err, errlen, "cannot start the signature-checking workers");
        return -1;
    }
    if (broker__witness_init(b) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (broker__http_start(b, err, errlen) != 0)
        return VN_E_CONFIG;
    return 0;
}

static void s_monitor_events(broker_t *b)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, b->monitor, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&m))
            b->probe_needed = 1; /* the event's second frame (its address) ends it */
    }
    zmq_msg_close(&m);
}

/* SIGHUP: policy, registry and log level; a bad file changes nothing. */
static void s_reload(broker_t *b)
{
    char err[1200];
    if (broker__policy_load(b, err, sizeof err) == 0)
        vn_info("event=policy-reloaded bases=%zu", vn_policy_count(b->policy));
    else
        vn_error("event=policy-refused error=\"%s\" action=keeping-running-policy", err);
    if (broker__vocab_load(b, err, sizeof err) != 0)
        vn_error("event=vocabulary-refused error=\"%s\" action=keeping-running-vocabulary", err);
    broker__registry_refresh(b, 1);
    vn_daemon_reload_log_level(b->config_path, 0);
}

/* A consent, signal or match request over its organisation's request budget is answered in its
 * own response type (so the caller is not left waiting), not audited: it is no disclosure, and
 * the budget metric counts it. 1 if answered. */
static int s_answer_over_budget(broker_t *b, const uint8_t *routing, size_t routing_len,
                                const Vn__WireMessage *req)
{
    static char code[] = "rate-limited",
                en[] = "this organisation sends requests faster than the broker's limit for one "
                       "organisation; try again later",
                nl[] = "deze organisatie doet sneller verzoeken dan de grens van de broker; "
                       "probeer het later opnieuw";
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    Vn__ConsentResponse c = VN__CONSENT_RESPONSE__INIT;
    Vn__SignalResponse s = VN__SIGNAL_RESPONSE__INIT;
    Vn__MatchResponse r = VN__MATCH_RESPONSE__INIT;
    Vn__AuditMineResponse am = VN__AUDIT_MINE_RESPONSE__INIT;
    if (req->body_case == VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST) {
        am.request_id = req->audit_mine_request->request_id;
        am.code = code;
        am.reason = en;
        m.body_case = VN__WIRE_MESSAGE__BODY_AUDIT_MINE_RESPONSE;
        m.audit_mine_response = &am;
    } else if (req->body_case == VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST) {
        c.request_id = req->consent_request->request_id;
        c.code = code;
        c.reason = en;
        m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE;
        m.consent_response = &c;
    } else if (req->body_case == VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST) {
        s.request_id = req->signal_request->request_id;
        s.code = code;
        s.reason = en;
        s.reason_nl = nl;
        m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE;
        m.signal_response = &s;
    } else if (req->body_case == VN__WIRE_MESSAGE__BODY_MATCH_REQUEST) {
        r.request_id = req->match_request->request_id;
        r.code = code;
        r.reason = en;
        r.reason_nl = nl;
        m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE;
        m.match_response = &r;
    } else {
        return 0;
    }
    broker__send_wire(b, routing, routing_len, &m);
    return 1;
}

/* One message from an agent: [routing][payload], identity from the ZAP User-Id. */
static int s_handle_one(broker_t *b)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, b->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
        return 0;
    }
    int rc = zmq_msg_recv(&body, b->router, 0);
    int extra = rc >= 0 && zmq_msg_more(&body);
    while (extra) { /* more than one frame: drop the rest, refuse below */
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        zmq_msg_recv(&junk, b->router, 0);
        extra = zmq_msg_more(&junk);
        zmq_msg_close(&junk);
        rc = -2;
    }
    const uint8_t *routing = zmq_msg_data(&rid);
    size_t routing_len = zmq_msg_size(&rid);
    const char *user = rc == -1 ? NULL : zmq_msg_gets(&body, "User-Id");
    const vn_org_t *org = user ? broker__org(b, user) : NULL;
    Vn__WireMessage *m = NULL;
    if (!org || routing_len > ROUTING_MAX) {
        vn_warn("event=dropped reason=unauthenticated");
        goto done;
    }
    if (org->revoked) {
        broker__post_refusal(b, org->pub.org, routing, routing_len, "org-revoked",
                             "this organisation's registration was revoked", NULL, 0);
        goto done;
    }
    if (rc == -2) {
        broker__post_refusal(b, org->pub.org, routing, routing_len, "malformed-frame",
                             "a message must be exactly one frame", NULL, 0);
        goto done;
    }
    rc = vn_wire_unpack(zmq_msg_data(&body), zmq_msg_size(&body), &m);
    if (rc != 0) {
        broker__post_refusal(b, org->pub.org, routing, routing_len,
                             rc == VN_E_VERSION ? "unsupported-version" : "malformed-frame",
                             rc == VN_E_VERSION ? "wire protocol version not supported"
                                                : "message could not be decoded",
                             NULL, 0);
        goto done;
    }
    /* What this organisation may cost (budget.c): checked before any work is done for it. */
    const char *over = NULL;
    switch (m->body_case) {
    case VN__WIRE_MESSAGE__BODY_SUBMIT:
        over = broker__budget_admit(b, org->pub.org, BUDGET_SUBMIT,
                                    m->submit ? m->submit->envelope.len : 0);
        break;
    case VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST:
    case VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST:
    case VN__WIRE_MESSAGE__BODY_MATCH_REQUEST:
    case VN__WIRE_MESSAGE__BODY_CONSISTENCY_REQUEST:
    case VN__WIRE_MESSAGE__BODY_DIRECTORY_REQUEST:
    case VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST:
        /* Not a hello: an agent sends one per handshake, and without it gets no deliveries; a
         * repeated hello on one connection costs almost nothing (deliver.c). */
        over = broker__budget_admit(b, org->pub.org, BUDGET_REQUEST, 0);
        break;
    default:
        break;
    }
    if (over && s_answer_over_budget(b, routing, routing_len, m))
        goto done;
    if (over) {
        const int submit = m->body_case == VN__WIRE_MESSAGE__BODY_SUBMIT;
        broker__post_refusal(b, org->pub.org, routing, routing_len, over,
                             strcmp(over, "rate-limited") == 0
                                 ? "this organisation sends faster than the broker's limit for one "
                                   "organisation; the agent tries again later\n"
                                   "deze organisatie verstuurt sneller dan de grens van de broker; de "
                                   "agent probeert het later opnieuw"
                                 : "this organisation has too many submissions waiting for their "
                                   "answer; the agent tries again later\n"
                                   "deze organisatie heeft te veel meldingen die op antwoord wachten; de "
                                   "agent probeert het later opnieuw",
                             submit ? m->submit->envelope.data : NULL,
                             submit ? m->submit->envelope.len : 0);
        goto done;
    }
    switch (m->body_case) {
    case VN__WIRE_MESSAGE__BODY_HELLO:
        broker__hello(b, org->pub.org, routing, routing_len, m->hello);
        break;
    case VN__WIRE_MESSAGE__BODY_SUBMIT:
        zmq_send(b->jobs, routing, routing_len, ZMQ_SNDMORE);
        zmq_send(b->jobs, org->pub.org, strlen(org->pub.org), ZMQ_SNDMORE);
        zmq_send(b->jobs, m->submit->envelope.data, m->submit->envelope.len, 0);
        break;
    case VN__WIRE_MESSAGE__BODY_DELIVERY_ACK:
        if (m->delivery_ack->message_id.len != VN_MSGID_BYTES)
            break;
        broker__session_acked(b, org->pub.org, m->delivery_ack->message_id.data);
        if (m->delivery_ack->failure_code[0])
            broker__post_ack_failed(b, org->pub.org, m->delivery_ack->message_id.data,
                                    m->delivery_ack->failure_code, m->delivery_ack->failure_reason);
        else
            broker__post_ack(b, ITEM_ACK, org->pub.org, m->delivery_ack->message_id.data);
        break;
    case VN__WIRE_MESSAGE__BODY_NOTICE_ACK:
        if (m->notice_ack->notice_id.len != 16)
            break;
        broker__session_acked(b, org->pub.org, m->notice_ack->notice_id.data);
        broker__post_ack(b, ITEM_NOTICE_ACK, org->pub.org, m->notice_ack->notice_id.data);
        break;
    case VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST:
        if (m->consent_request->op_case == VN__CONSENT_REQUEST__OP_ADD ||
            m->consent_request->op_case == VN__CONSENT_REQUEST__OP_WITHDRAW)
            broker__consent_forward(b, routing, routing_len, org->pub.org, m->consent_request);
        else
            broker__consent_list(b, org->pub.org, routing, routing_len, m->consent_request);
        break;
    case VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST:
        if (m->signal_request->op_case == VN__SIGNAL_REQUEST__OP_LIST)
            broker__signal_list(b, org->pub.org, routing, routing_len, m->signal_request);
        else
            broker__signal_forward(b, routing, routing_len, org->pub.org, zmq_msg_data(&body),
                                   zmq_msg_size(&body));
        break;
    case VN__WIRE_MESSAGE__BODY_MATCH_REQUEST:
        if (m->match_request->op_case == VN__MATCH_REQUEST__OP_LIST ||
            m->match_request->op_case == VN__MATCH_REQUEST__OP_SHOW)
            broker__match_list(b, org->pub.org, routing, routing_len, m->match_request);
        else
            broker__signal_forward(b, routing, routing_len, org->pub.org, zmq_msg_data(&body),
                                   zmq_msg_size(&body));
        break;
    case VN__WIRE_MESSAGE__BODY_MATCH_NOTICE_ACK:
        if (m->match_notice_ack->notice_id.len != 16)
            break;
        broker__session_acked(b, org->pub.org, m->match_notice_ack->notice_id.data);
        broker__post_ack(b, ITEM_NOTICE_ACK, org->pub.org, m->match_notice_ack->notice_id.data);
        break;
    case VN__WIRE_MESSAGE__BODY_STORE_STATE:
        broker__session_store_state(b, org->pub.org, m->store_state);
        break;
    case VN__WIRE_MESSAGE__BODY_CONSISTENCY_REQUEST:
        broker__consistency(b, routing, routing_len, m->consistency_request);
        break;
    case VN__WIRE_MESSAGE__BODY_COSIGN_RESPONSE:
        broker__on_cosign(b, org->pub.org, m->cosign_response);
        break;
    case VN__WIRE_MESSAGE__BODY_POLICY_REQUEST:
        broker__policy_summary(b, routing, routing_len, m->policy_request);
        break;
    case VN__WIRE_MESSAGE__BODY_AUDIT_MINE_REQUEST:
        broker__audit_mine_forward(b, routing, routing_len, org->pub.org, zmq_msg_data(&body),
                                   zmq_msg_size(&body));
        break;
    case VN__WIRE_MESSAGE__BODY_DIRECTORY_REQUEST:
        broker__send(b, routing, routing_len, b->directory, b->directory_len);
        break;
    default:
        broker__post_refusal(b, org->pub.org, routing, routing_len, "unexpected-message",
                             "agents may not send this message type", NULL, 0);
    }
done:
    if (m)
        vn__wire_message__free_unpacked(m, NULL);
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
    return 1;
}

void broker_run(broker_t *b, volatile int *stop, volatile int *reload)
{
    uint64_t next_tick = 0, next_probe = vn_monotonic_ms() + PROBE_EVERY_MS, probe_until = 0;
    while (!*stop) {
        if (*reload) {
            *reload = 0;
            s_reload(b);
        }
        zmq_pollitem_t items[] = {
            {b->router, 0, ZMQ_POLLIN, 0},
            {b->zap, 0, ZMQ_POLLIN, 0},
            {b->from_storage, 0, ZMQ_POLLIN, 0},
            {b->monitor, 0, ZMQ_POLLIN, 0},
        };
        if (zmq_poll(items, 4, 200) < 0 && errno != EINTR)
            break;
        if (items[3].revents & ZMQ_POLLIN)
            s_monitor_events(b);
        while (zmq_poll(&items[1], 1, 0) > 0 && (items[1].revents & ZMQ_POLLIN))
            broker__zap_handle(b);
        for (int i = 0; i < DRAIN_MAX && s_handle_one(b); i++)
            ;
        broker__storage_replies(b);
        if (b->pump_needed)
            broker__pump(b);
        broker__witness_tick(b);
        uint64_t now = vn_monotonic_ms();
        if (b->probe_needed) {
            b->probe_needed = 0;
            probe_until = now + PROBE_AFTER_EVENT_MS;
            next_probe = now;
        }
        if (now >= next_probe) {
            next_probe = now + (now < probe_until ? PROBE_AFTER_EVENT_EVERY_MS : PROBE_EVERY_MS);
            broker__probe_sessions(b);
        }
        if (now >= next_tick) {
            next_tick = now + 1000;
            broker__registry_refresh(b, 0);
            broker__zap_tick();
        }
    }
}

void broker_fini(broker_t *b)
{
    /* Order matters: workers hand their last verdicts to storage, storage commits them and its
     * answers go out before the router closes. */
    vn_http_destroy(&b->http); /* first: its thread reads the store and the sessions */
    if (b->workers)
        broker__workers_stop(b);
    broker__storage_stop(b);
    if (b->router)
        zmq_socket_monitor(b->router, NULL, 0);
    if (b->monitor) zmq_close(b->monitor);
    if (b->router) zmq_close(b->router);
    if (b->zap) zmq_close(b->zap);
    if (b->jobs) zmq_close(b->jobs);
    if (b->ctx) zmq_ctx_term(b->ctx);
    vn_store_warm_stop(&b->warmer); /* it reads the map the store unmaps */
    vn_store_destroy(&b->db);
    vn_keyset_destroy(&b->keys);
    free(b->orgs);
    for (size_t i = 0; i < b->n_sessions; i++)
        broker__inflight_free(&b->sessions[i].sent);
    free(b->sessions);
    free(b->directory);
    free(b->depths);
    free(b->vocab_msg);
    vn_vocab_destroy(&b->vocab);
    vn_policy_destroy(&b->policy);
    broker__witness_fini(b);
    broker__budget_fini(b);
    broker__share_fini(b);
}
