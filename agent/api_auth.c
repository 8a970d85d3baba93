/* api_auth.c -- who may call the local API: a ZAP handler for the API socket. ipc:// callers are
 * whoever the socket file's permissions let in, named by their Unix user; tcp:// callers must
 * present a credential from the api_clients file (ZeroMQ PLAIN), named by it. */
#include "agent.h"
#include "vn_apiclient.h"
#include "vn_error.h"
#include "vn_log.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_FRAMES_MAX 8

int agent__api_auth_load(agent_t *a, char *err, size_t errlen)
{
    if (!a->cfg.api_clients[0])
        return 0;
    vn_api_client_t *clients;
    size_t n;
    int rc = vn_api_clients_load(a->cfg.api_clients, &clients, &n, err, errlen);
    if (rc != 0)
        return rc;
    free(a->api_clients);
    a->api_clients = clients;
    a->n_api_clients = n;
    vn_info("event=api-clients-loaded file=%s clients=%zu", a->cfg.api_clients, n);
    return 0;
}

int agent__api_auth_init(agent_t *a, char *err, size_t errlen)
{
    int rc = agent__api_auth_load(a, err, errlen);
    if (rc != 0)
        return rc;
    /* Bound before the API socket binds, so no caller gets in unchecked. */
    a->zap = zmq_socket(a->ctx, ZMQ_REP);
    if (!a->zap || zmq_bind(a->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errlen, "cannot bind the local API's ZAP handler: %s", zmq_strerror(errno));
        return VN_E_CONFIG;
    }
    int one = 1;
    zmq_setsockopt(a->api, ZMQ_ZAP_DOMAIN, "vangnet-api", 11);
    if (strncmp(a->cfg.api, "tcp://", 6) == 0)
        zmq_setsockopt(a->api, ZMQ_PLAIN_SERVER, &one, sizeof one);
    return 0;
}

/* "uid:1001:erp" from a ZAP address of an ipc peer ("...:UID:GID:PID"), or NULL. */
static int s_ipc_caller(const char *address, char *out, size_t len)
{
    const char *p = address + strlen(address);
    int colons = 0;
    while (p > address && colons < 3)
        if (*--p == ':')
            colons++;
    unsigned long uid;
    if (colons != 3 || sscanf(p, ":%lu:", &uid) != 1)
        return -1;
    struct passwd *pw = getpwuid((uid_t)uid);
    snprintf(out, len, "uid:%lu%s%s", uid, pw ? ":" : "", pw ? pw->pw_name : "");
    return 0;
}

void agent__api_auth_handle(agent_t *a)
{
    zmq_msg_t f[ZAP_FRAMES_MAX];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t *m = &f[n < ZAP_FRAMES_MAX ? n : ZAP_FRAMES_MAX - 1];
        if (n >= ZAP_FRAMES_MAX)
            zmq_msg_close(m);
        zmq_msg_init(m);
        if (zmq_msg_recv(m, a->zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (n < ZAP_FRAMES_MAX)
            n++;
    }
    if (n < 6) { /* not a ZAP request; REP needs an answer all the same */
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (n > 0)
            zmq_send(a->zap, "", 0, 0);
        return;
    }
    char str[6][300];
    for (int i = 0; i < 6; i++) {
        size_t l = zmq_msg_size(&f[i]);
        l = l < sizeof str[i] - 1 ? l : sizeof str[i] - 1;
        memcpy(str[i], zmq_msg_data(&f[i]), l);
        str[i][l] = '\0';
    }
    const char *address = str[3], *mechanism = str[5];
    char user[256] = "";
    const char *status = "400", *text = "not allowed";
    int tcp = strncmp(a->cfg.api, "tcp://", 6) == 0;
    if (!tcp && strcmp(mechanism, "NULL") == 0) {
        if (s_ipc_caller(address, user, sizeof user) == 0)
            status = "200", text = "OK";
    } else if (tcp && strcmp(mechanism, "PLAIN") == 0 && n >= 8) {
        char name[VN_API_NAME_MAX + 1];
        size_t nl = zmq_msg_size(&f[6]), pl = zmq_msg_size(&f[7]);
        if (nl <= VN_API_NAME_MAX) {
            memcpy(name, zmq_msg_data(&f[6]), nl);
            name[nl] = '\0';
            if (memchr(name, '\0', nl) == NULL && vn_api_client_name_valid(name) &&
                vn_api_clients_check(a->api_clients, a->n_api_clients, name,
                                     zmq_msg_data(&f[7]), pl) >= 0) {
                snprintf(user, sizeof user, "client:%s", name);
                status = "200", text = "OK";
            }
        }
        if (status[0] != '2')
            vn_warn("event=api-caller-refused transport=tcp address=%s reason=bad-credential",
                    address);
    } else {
        vn_warn("event=api-caller-refused transport=%s address=%s mechanism=%s "
                "reason=no-credential", tcp ? "tcp" : "ipc", address, mechanism);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    zmq_send(a->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(a->zap, str[1], strlen(str[1]), ZMQ_SNDMORE);
    zmq_send(a->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(a->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(a->zap, "", 0, 0);
}
