/* agent.c -- the agent's sockets and loop: a CURVE DEALER to the broker (hello on every handshake),
 * the local API, the batch commit each turn, resends and timeouts. */
#include "agent.h"
#include "vn_batch.h"
#include "vn_daemon.h"
#include "vn_error.h"
#include "vn_http.h"
#include "vn_log.h"
#include "vn_subject.h"
#include "vn_util.h"
#include "vn_vocab.h"
#include "vn_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define MONITOR_EP "inproc://vn-agent-monitor"
#define HEARTBEAT_MS 2000

static const char *const s_dbs[] = {"meta", "outbox", "outbox_ids", "results", "inbox",
                                    "inbox_ids", "client_refs", "signals", "matches", "cards_out",
                                    "cards_in", "pseudonyms", "held", "inbox_by_sender", NULL};

int agent__send_broker(agent_t *a, Vn__WireMessage *m)
{
    uint8_t *buf;
    size_t len;
    int rc = vn_wire_pack(m, &buf, &len);
    if (rc != 0)
        return rc;
    return agent__broker_out(a, buf, len);
}

static void s_hello(agent_t *a)
{
    Vn__Hello h = VN__HELLO__INIT;
    h.credit = AGENT_CREDIT;
    h.directory_generation = a->dir ? a->dir->generation : 0;
    h.vocabulary_revision = a->vocab ? vn_vocab_revision(a->vocab) : 0;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_HELLO;
    m.hello = &h;
    agent__send_broker(a, &m);
}

int agent_init(agent_t *a, const vn_agent_config_t *cfg, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->resend_ms = cfg->resend_ms ? cfg->resend_ms : RESEND_MS;
    a->started = vn_now();
    a->connection_changed = a->started;
    a->storage_ok = 1;
    a->api_client = "";
    a->disconnect_reason = "connecting";
    int rc = vn_keyset_load(cfg->keys, &a->keys, err, errlen);
    if (rc != 0)
        return rc;
    if ((rc = vn_pubkeys_load(cfg->broker_public, &a->broker, err, errlen)) != 0)
        return rc;
    if (cfg->previous_keys[0]) {
        if ((rc = vn_keyset_load(cfg->previous_keys, &a->prev_keys, err, errlen)) != 0)
            return rc;
        if (strcmp(a->prev_keys->pub.org, a->keys->pub.org) != 0) {
            snprintf(err, errlen, "%s: previous_keys belong to %s, not %s", cfg->previous_keys,
                     a->prev_keys->pub.org, a->keys->pub.org);
            return VN_E_CONFIG;
        }
    }
    if (strcmp(a->broker.sector, "broker") != 0) {
        snprintf(err, errlen, "%s: not a broker's public key file", cfg->broker_public);
        return VN_E_CONFIG;
    }
    a->pseudonym_key = sodium_malloc(VN_PSEUDONYM_KEY_BYTES);
    if (!a->pseudonym_key)
        return -ENOMEM;
    if (cfg->pseudonym_key[0]) {
        if ((rc = vn_pseudonym_key_load(cfg->pseudonym_key, a->pseudonym_key, err, errlen)) != 0)
            return rc;
    } else { /* no network key at all: a local one for what is only ours (outcome.c) */
        crypto_generichash(a->pseudonym_key, VN_PSEUDONYM_KEY_BYTES,
                           (const uint8_t *)"vangnet local key v1", 20, a->keys->box_sk, 32);
    }
    if (!(a->batch_roots = vn_batch_cache_new()) || !(a->wrap_batch = vn_wrap_batch_new()) ||
        !(a->unwrap_cache = vn_unwrap_cache_new()))
        return -ENOMEM;
    a->db = vn_store_open(cfg->data, cfg->map_size, s_dbs, 0, &rc, err, errlen);
    if (!a->db)
        return rc;
    agent__directory_load(a);
    agent__auditor_load(a);
    agent__vocab_load(a);
    agent__witness_load(a);
    if ((rc = agent__inbox_migrate(a)) > 0)
        vn_info("event=inbox-sealed entries=%d", rc);
    agent__commit(a);
    if ((rc = agent__inbox_sender_build(a)) != 0) {
        snprintf(err, errlen, "%s: cannot index the inbox by sender: %s", cfg->data,
                 vn_strerror(rc));
        return rc;
    }

    a->ctx = zmq_ctx_new();
    if ((rc = agent__pseudonym_init(a, err, errlen)) != 0)
        return rc;
    if ((rc = agent__hold_init(a)) != 0) {
        snprintf(err, errlen, "%s", vn_strerror(rc));
        return rc;
    }
    a->dealer = zmq_socket(a->ctx, ZMQ_DEALER);
    int linger = 0, hb = HEARTBEAT_MS, hb_timeout = 3 * HEARTBEAT_MS, ivl = 200, ivl_max = 2000;
    zmq_setsockopt(a->dealer, ZMQ_CURVE_SERVERKEY, a->broker.curve_pk, 40);
    zmq_setsockopt(a->dealer, ZMQ_CURVE_PUBLICKEY, a->keys->pub.curve_pk, 40);
    zmq_setsockopt(a->dealer, ZMQ_CURVE_SECRETKEY, a->keys->curve_sk, 40);
    zmq_setsockopt(a->dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(a->dealer, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(a->dealer, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(a->dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(a->dealer, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    zmq_socket_monitor(a->dealer, MONITOR_EP,
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_CONNECT_RETRIED);
    a->monitor = zmq_socket(a->ctx, ZMQ_PAIR);
    zmq_connect(a->monitor, MONITOR_EP);
    if (zmq_connect(a->dealer, cfg->broker_endpoint) != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", cfg->broker_endpoint,
                 zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    a->api = zmq_socket(a->ctx, ZMQ_ROUTER);
    int one = 1, answers = AGENT_API_QUEUED_ANSWERS;
    zmq_setsockopt(a->api, ZMQ_LINGER, &linger, sizeof linger);
    /* Without these an answer that does not fit is dropped without a word (agent__api_send). */
    if (zmq_setsockopt(a->api, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(a->api, ZMQ_SNDHWM, &answers, sizeof answers) != 0) {
        snprintf(err, errlen, "cannot set up the local API socket: %s", zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    if ((rc = agent__api_auth_init(a, err, errlen)) != 0)
        return rc;
    mode_t old = umask(007); /* the API socket file: this user and its group only */
    rc = zmq_bind(a->api, cfg->api);
    umask(old);
    if (rc != 0) {
        snprintf(err, errlen, "cannot bind the local API on %s: %s", cfg->api,
                 zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    /* The HTTP API's own way in: an in-process endpoint on the same socket, so both kinds of
     * caller go through the same request handling. Only it knows the routing-id secret. */
    randombytes_buf(a->http_secret, sizeof a->http_secret);
    if (cfg->http_api.listen[0] && zmq_bind(a->api, AGENT_HTTP_ENDPOINT) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", AGENT_HTTP_ENDPOINT, zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    if (agent__http_start(a, err, errlen) != 0)
        return VN_E_CONFIG;
    if ((rc = agent__http_api_start(a, err, errlen)) != 0)
        return rc;
    return 0;
}

static void s_monitor_event(agent_t *a)
{
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, a->monitor, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        return;
    }
    zmq_msg_recv(&addr, a->monitor, 0);
    uint16_t event = 0;
    if (zmq_msg_size(&ev) >= 2)
        memcpy(&event, zmq_msg_data(&ev), 2);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (agent__link_event(a, AGENT_LINK_EV_HANDSHAKE_OK) == AGENT_LINK_UP) {
            a->unreachable_logged_ms = 0;
            vn_info("event=connected broker=%s", a->cfg.broker_endpoint);
            s_hello(a);
            agent__store_after_hello(a);
            agent__resend(a, 1);
            a->consistency_pending = 0;
        }
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (a->link == AGENT_LINK_UP)
            vn_warn("event=disconnected broker=%s", a->cfg.broker_endpoint);
        agent__link_event(a, AGENT_LINK_EV_DISCONNECTED);
        agent__broker_out_clear(a); /* the reconnect resends the outbox; the broker redelivers */
    } else if (event == ZMQ_EVENT_CONNECT_RETRIED) {
        /* Nothing listens there (wrong port, broker down): say so at once, then once a minute. */
        uint64_t now = vn_monotonic_ms();
        if (!a->unreachable_logged_ms || now - a->unreachable_logged_ms >= 60000) {
            a->unreachable_logged_ms = now;
            vn_warn("event=broker-unreachable broker=%s reason=\"no connection (nothing listening "
                    "there, or the network is down); retrying\"", a->cfg.broker_endpoint);
        }
        agent__link_event(a, AGENT_LINK_EV_RETRYING);
    } else {
        vn_error("event=handshake-failed broker=%s reason=%s", a->cfg.broker_endpoint,
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "not-admitted" : "protocol");
        agent__link_event(a, AGENT_LINK_EV_HANDSHAKE_FAILED);
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
}

static int s_broker_message(agent_t *a)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, a->dealer, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return 0;
    }
    Vn__WireMessage *m = NULL;
    int rc = vn_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m);
    if (rc != 0) {
        vn_error("event=broker-message-unreadable error=\"%s\"", vn_strerror(rc));
    } else {
        switch (m->body_case) {
        case VN__WIRE_MESSAGE__BODY_RECEIPT: agent__on_receipt(a, m->receipt); break;
        case VN__WIRE_MESSAGE__BODY_REFUSAL: agent__on_refusal(a, m->refusal); break;
        case VN__WIRE_MESSAGE__BODY_DELIVER: agent__on_deliver(a, m->deliver); break;
        case VN__WIRE_MESSAGE__BODY_NOTICE: agent__on_notice(a, m->notice); break;
        case VN__WIRE_MESSAGE__BODY_DIRECTORY: agent__directory_update(a, m->directory); break;
        case VN__WIRE_MESSAGE__BODY_CONSISTENCY_RESPONSE:
            agent__on_consistency(a, m->consistency_response);
            break;
        case VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE:
            agent__on_consent_response(a, m->consent_response);
            break;
        case VN__WIRE_MESSAGE__BODY_SIGNAL_RESPONSE:
            agent__on_signal_response(a, m->signal_response);
            break;
        case VN__WIRE_MESSAGE__BODY_MATCH_RESPONSE:
            agent__on_match_response(a, m->match_response);
            break;
        case VN__WIRE_MESSAGE__BODY_POLICY_RESPONSE:
            agent__on_policy_response(a, m->policy_response);
            break;
        case VN__WIRE_MESSAGE__BODY_AUDIT_MINE_RESPONSE:
            agent__on_audit_mine_response(a, m->audit_mine_response);
            break;
        case VN__WIRE_MESSAGE__BODY_MATCH_NOTICE: agent__on_match_notice(a, m->match_notice); break;
        case VN__WIRE_MESSAGE__BODY_VOCABULARY: agent__on_vocabulary(a, m->vocabulary); break;
        case VN__WIRE_MESSAGE__BODY_COSIGN_REQUEST:
            agent__on_cosign_request(a, m->cosign_request);
            break;
        case VN__WIRE_MESSAGE__BODY_COSIGNED_CHECKPOINT:
            agent__on_cosigned_checkpoint(a, m->cosigned_checkpoint);
            break;
        default: vn_warn("event=unexpected-message type=%d", (int)m->body_case);
        }
        vn__wire_message__free_unpacked(m, NULL);
    }
    zmq_msg_close(&msg);
    return 1;
}

void agent_run(agent_t *a, volatile int *stop, volatile int *reload)
{
    a->next_resend_ms = vn_monotonic_ms() + a->resend_ms;
    while (!*stop) {
        if (*reload) {
            *reload = 0;
            vn_daemon_reload_log_level(a->config_path, 1); /* and api_clients; the rest: restart */
            char err[1200];
            if (agent__api_auth_load(a, err, sizeof err) != 0)
                vn_error("event=api-clients-refused error=\"%s\" action=keeping-loaded-clients", err);
        }
        zmq_pollitem_t items[] = {
            {a->dealer, 0,
             ZMQ_POLLIN | (agent__broker_out_waiting(a) || a->resend_active ? ZMQ_POLLOUT : 0), 0},
            {a->api, 0, ZMQ_POLLIN, 0},
            {a->monitor, 0, ZMQ_POLLIN, 0},
            {a->zap, 0, ZMQ_POLLIN, 0},
            {a->pseudonymd_async, 0, ZMQ_POLLIN, 0},
        };
        /* a request of the submit path waiting for a connection is retried soon */
        long wait = agent__pseud_async_busy(a) ? 10 : 100;
        if (zmq_poll(items, a->pseudonymd_async ? 5 : 4, wait) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 64 && zmq_poll(&items[3], 1, 0) > 0 && (items[3].revents & ZMQ_POLLIN); i++)
            agent__api_auth_handle(a);
        if (items[2].revents & ZMQ_POLLIN)
            s_monitor_event(a);
        if (items[0].revents & ZMQ_POLLOUT) {
            agent__broker_out_flush(a);
            agent__resend_continue(a);
        }
        for (int i = 0; i < 512 && s_broker_message(a); i++)
            ;
        agent__api_handle(a);
        agent__hold_turn(a, vn_monotonic_ms());
        agent__commit(a);
        uint64_t now = vn_monotonic_ms();
        agent__submit_timeouts(a, now);
        agent__consent_timeouts(a, now);
        agent__signal_timeouts(a, now);
        agent__fetch_wake(a, now);
        if (now >= a->next_resend_ms) {
            a->next_resend_ms = now + a->resend_ms;
            agent__resend(a, 0);
        }
        agent__commit(a); /* answers produced by the timeouts */
        agent__store_check(a, 0);
    }
    agent__hold_flush(a);
    agent__commit(a);
}

void agent_fini(agent_t *a)
{
    agent__http_api_stop(a);   /* first: its threads hold sockets of this context */
    vn_http_destroy(&a->http); /* its thread reads the store */
    if (a->txn)
        mdb_txn_abort(a->txn);
    for (size_t i = 0; i < a->n_out; i++)
        free(a->out[i].data);
    free(a->out);
    agent__outbox_sign_fini(a);
    vn_batch_cache_free(a->batch_roots);
    vn_wrap_batch_free(&a->wrap_batch);
    vn_unwrap_cache_free(&a->unwrap_cache);
    free(a->submits);
    free(a->fetches);
    free(a->consents);
    agent__match_fini(a);
    free(a->seen_cp);
    agent__broker_out_fini(a);
    if (a->dealer) {
        zmq_socket_monitor(a->dealer, NULL, 0);
        zmq_close(a->dealer);
    }
    if (a->monitor) zmq_close(a->monitor);
    if (a->api) zmq_close(a->api);
    if (a->zap) zmq_close(a->zap);
    free(a->api_clients);
    agent__hold_fini(a);
    agent__pseudonym_fini(a);
    if (a->ctx) zmq_ctx_term(a->ctx);
    if (a->dir)
        vn__directory__free_unpacked(a->dir, NULL);
    vn_store_destroy(&a->db);
    vn_keyset_destroy(&a->keys);
    vn_keyset_destroy(&a->prev_keys);
    if (a->pseudonym_key)
        sodium_free(a->pseudonym_key);
}
