/* service.c -- the pseudonym service's sockets and loop: a CURVE ROUTER that admits only the
 * organisations in its clients directory (ZAP), and the one request it answers: evaluate a batch
 * of blinded elements under the VOPRF key, with a DLEQ proof, within the organisation's budget. */
#include "pseudonymd.h"
#include "vn_error.h"
#include "vn_daemon.h"
#include "vn_log.h"
#include "vn_util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define ZAP_DOMAIN "vangnet-pseudonymd"

int pd__clients_load(pd_t *pd, char *err, size_t errlen)
{
    DIR *d = opendir(pd->cfg.clients);
    if (!d) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", pd->cfg.clients, vn_strerror(rc));
        return rc;
    }
    pd_client_t *list = calloc(PD_MAX_ORGS, sizeof *list);
    if (!list) {
        closedir(d);
        return -ENOMEM;
    }
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".public") != 0)
            continue;
        char path[2300];
        snprintf(path, sizeof path, "%s/%s", pd->cfg.clients, e->d_name);
        vn_pubkeys_t pub;
        if ((rc = vn_pubkeys_load(path, &pub, err, errlen)) != 0)
            break;
        if (n >= PD_MAX_ORGS) {
            snprintf(err, errlen, "%s: more than %d organisations", pd->cfg.clients, PD_MAX_ORGS);
            rc = VN_E_TOO_LARGE;
            break;
        }
        snprintf(list[n].org, sizeof list[n].org, "%s", pub.org);
        memcpy(list[n].curve_pk, pub.curve_pk, sizeof list[n].curve_pk);
        n++;
    }
    closedir(d);
    if (rc != 0) {
        free(list);
        return rc;
    }
    free(pd->clients);
    pd->clients = list;
    pd->n_clients = n;
    pd->clients_loaded_ms = vn_monotonic_ms();
    vn_info("event=clients-loaded organisations=%zu", n);
    return 0;
}

static void s_zap_reply(void *sock, const char *req_id, int req_id_len, const char *status,
                        const char *text, const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, req_id, (size_t)req_id_len, ZMQ_SNDMORE);
    zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

static const char *s_find(const pd_t *pd, const char *z85)
{
    for (size_t i = 0; i < pd->n_clients; i++)
        if (strcmp(pd->clients[i].curve_pk, z85) == 0)
            return pd->clients[i].org;
    return NULL;
}

/* One ZAP request: admit a CURVE key only if it is a registered organisation's. */
static void s_zap(pd_t *pd)
{
    char frames[6][256];
    int lens[6] = {0}, more = 1, n;
    size_t ml = sizeof more;
    for (n = 0; n < 6 && more; n++) {
        lens[n] = zmq_recv(pd->zap, frames[n], sizeof frames[n] - 1, 0);
        if (lens[n] > (int)sizeof frames[n] - 1)
            lens[n] = -1;
        zmq_getsockopt(pd->zap, ZMQ_RCVMORE, &more, &ml);
    }
    uint8_t key[64];
    int key_len = more ? zmq_recv(pd->zap, key, sizeof key, 0) : -1;
    zmq_getsockopt(pd->zap, ZMQ_RCVMORE, &more, &ml);
    while (more) {
        zmq_recv(pd->zap, key, 0, 0);
        zmq_getsockopt(pd->zap, ZMQ_RCVMORE, &more, &ml);
    }
    if (n < 6 || lens[0] < 0 || lens[1] < 0) {
        s_zap_reply(pd->zap, "", 0, "500", "malformed ZAP request", "");
        return;
    }
    for (int i = 0; i < 6; i++)
        frames[i][lens[i] > 0 ? lens[i] : 0] = '\0';
    if (strcmp(frames[2], ZAP_DOMAIN) != 0 || strcmp(frames[5], "CURVE") != 0 || key_len != 32) {
        vn_warn("event=auth-refused address=%s reason=not-curve", frames[3]);
        s_zap_reply(pd->zap, frames[1], lens[1], "400", "CURVE required", "");
        return;
    }
    char z85[41];
    zmq_z85_encode(z85, key, 32);
    const char *org = s_find(pd, z85);
    if (!org && vn_monotonic_ms() - pd->clients_loaded_ms >= 200) {
        /* registered a moment ago? reread the directory (at most five times a second) */
        char err[1200];
        if (pd__clients_load(pd, err, sizeof err) != 0)
            vn_error("event=clients-reload-failed error=\"%s\"", err);
        org = s_find(pd, z85);
    }
    if (org) {
        s_zap_reply(pd->zap, frames[1], lens[1], "200", "OK", org);
        return;
    }
    vn_warn("event=auth-refused address=%s key=%.8s reason=unregistered", frames[3], z85);
    s_zap_reply(pd->zap, frames[1], lens[1], "400", "not a registered organisation", "");
}

static void s_send(pd_t *pd, const uint8_t *routing, size_t rlen, const uint8_t *buf, size_t len)
{
    zmq_send(pd->router, routing, rlen, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(pd->router, buf, len, ZMQ_DONTWAIT);
}

/* One request: [routing][payload]; the organisation is the connection's ZAP User-Id. */
static void s_request(pd_t *pd)
{
    uint8_t routing[256];
    int rlen = zmq_recv(pd->router, routing, sizeof routing, 0);
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(pd->router, ZMQ_RCVMORE, &more, &ml);
    if (rlen < 0 || rlen > (int)sizeof routing || !more) {
        while (more) {
            zmq_recv(pd->router, routing, 0, 0);
            zmq_getsockopt(pd->router, ZMQ_RCVMORE, &more, &ml);
        }
        return;
    }
    zmq_msg_t body;
    zmq_msg_init(&body);
    int rc = zmq_msg_recv(&body, pd->router, 0);
    zmq_getsockopt(pd->router, ZMQ_RCVMORE, &more, &ml);
    while (more) { /* one payload frame per request: drop anything after it */
        zmq_recv(pd->router, routing + rlen, 0, 0);
        zmq_getsockopt(pd->router, ZMQ_RCVMORE, &more, &ml);
    }
    const char *org = rc < 0 ? NULL : zmq_msg_gets(&body, "User-Id");
    uint8_t err_buf[256];
    uint64_t id = 0;
    char purpose[VN_PSEUD_PURPOSE_MAX + 1];
    const uint8_t *blinded;
    size_t n = 0;
    if (!org || !*org) {
        zmq_msg_close(&body);
        return;
    }
    if (vn_pseud_request_parse(zmq_msg_data(&body), zmq_msg_size(&body), &id, purpose, &blinded,
                               &n) != 0) {
        vn_warn("event=request-malformed org=%s bytes=%zu", org, zmq_msg_size(&body));
        size_t len = vn_pseud_reply_error(err_buf, sizeof err_buf, id, VN_PSEUD_MALFORMED,
                                          "malformed request");
        s_send(pd, routing, (size_t)rlen, err_buf, len);
        zmq_msg_close(&body);
        return;
    }
    if (!pd__budget_charge(pd, org, purpose, n)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "over budget: %s may have %" PRIu64 " evaluations per day (UTC); ask again "
                 "tomorrow or ask the pseudonym service's operator", org, pd__budget_of(pd, org));
        size_t len = vn_pseud_reply_error(err_buf, sizeof err_buf, id, VN_PSEUD_OVER_BUDGET, msg);
        s_send(pd, routing, (size_t)rlen, err_buf, len);
        zmq_msg_close(&body);
        return;
    }
    size_t cap = vn_pseud_reply_size(n);
    uint8_t *reply = malloc(cap), *evaluated = malloc(32 * n), proof[VN_OPRF_PROOF];
    size_t len = 0;
    rc = reply && evaluated ? vn_oprf_blind_evaluate(pd->keys->oprf_sk, pd->keys->pub.oprf_pk,
                                                     blinded, evaluated, n, NULL, proof)
                            : -ENOMEM;
    if (rc == 0) {
        len = vn_pseud_reply_ok(reply, id, evaluated, n, proof);
        s_send(pd, routing, (size_t)rlen, reply, len);
        vn_debug("event=evaluated org=%s purpose=%s n=%zu", org, purpose, n);
    } else {
        int status = rc == VN_E_INVALID ? VN_PSEUD_INVALID : VN_PSEUD_INTERNAL;
        vn_warn("event=evaluation-refused org=%s purpose=%s n=%zu reason=%s", org, purpose, n,
                vn_pseud_status_name(status));
        len = vn_pseud_reply_error(err_buf, sizeof err_buf, id, status,
                                   status == VN_PSEUD_INVALID
                                       ? "an element is not a valid ristretto255 encoding"
                                       : "evaluation failed");
        s_send(pd, routing, (size_t)rlen, err_buf, len);
    }
    free(reply);
    free(evaluated);
    zmq_msg_close(&body);
}

int pd_init(pd_t *pd, char *err, size_t errlen)
{
    int rc = vn_pseud_keys_load(pd->cfg.keys, &pd->keys, err, errlen);
    if (rc != 0)
        return rc;
    pd->spend = calloc(PD_MAX_ORGS, sizeof *pd->spend);
    pd->counts = calloc(PD_MAX_COUNTS, sizeof *pd->counts);
    if (!pd->spend || !pd->counts)
        return -ENOMEM;
    if (mkdir(pd->cfg.data, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", pd->cfg.data, vn_strerror(rc));
        return rc;
    }
    if ((rc = pd__clients_load(pd, err, errlen)) != 0)
        return rc;
    if ((rc = pd__budget_load(pd, err, errlen)) != 0)
        return rc;
    pd->ctx = zmq_ctx_new();
    pd->zap = zmq_socket(pd->ctx, ZMQ_REP);
    if (zmq_bind(pd->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errlen, "cannot bind the ZAP handler: %s", zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    pd->router = zmq_socket(pd->ctx, ZMQ_ROUTER);
    int one = 1, linger = 0, hwm = 10000;
    zmq_setsockopt(pd->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pd->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pd->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(pd->router, ZMQ_CURVE_SECRETKEY, pd->keys->curve_sk, 40);
    zmq_setsockopt(pd->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN));
    int64_t maxmsg = (int64_t)vn_pseud_request_size(VN_OPRF_MAX_BATCH);
    zmq_setsockopt(pd->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (zmq_bind(pd->router, pd->cfg.endpoint) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", pd->cfg.endpoint, zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    vn_daemon_write_endpoint(pd->router, pd->cfg.data);
    return 0;
}

void pd_run(pd_t *pd, volatile int *stop, volatile int *reload)
{
    zmq_pollitem_t items[] = {{pd->zap, 0, ZMQ_POLLIN, 0}, {pd->router, 0, ZMQ_POLLIN, 0}};
    while (!*stop) {
        if (*reload) {
            *reload = 0;
            char err[1200];
            if (pd__clients_load(pd, err, sizeof err) != 0)
                vn_error("event=reload-failed error=\"%s\"", err);
        }
        if (zmq_poll(items, 2, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            s_zap(pd);
        for (int i = 0; i < 256 && (items[1].revents & ZMQ_POLLIN); i++) {
            int ev = 0;
            size_t el = sizeof ev;
            zmq_getsockopt(pd->router, ZMQ_EVENTS, &ev, &el);
            if (!(ev & ZMQ_POLLIN))
                break;
            s_request(pd);
        }
        pd__budget_tick(pd);
    }
}

void pd_fini(pd_t *pd)
{
    if (pd->counts)
        pd__budget_close_hour(pd, 1);
    if (pd->router)
        zmq_close(pd->router);
    if (pd->zap)
        zmq_close(pd->zap);
    if (pd->ctx)
        zmq_ctx_term(pd->ctx);
    vn_pseud_keys_destroy(&pd->keys);
    free(pd->clients);
    free(pd->spend);
    free(pd->counts);
    vn_info("event=stopped evaluations=%" PRIu64 " refused=%" PRIu64, pd->total_evaluations,
            pd->total_refused);
}
