/* workers.c -- the worker threads that run the admission checks (admit.c) off the main thread.
 * In (from the main thread): [routing][org][envelope];
 * out (to the storage thread): ['v'][routing][org][code][reason][flags][envelope], code empty =
 * accept (flags: one byte, the ADMIT_* bits). */
#include "broker.h"
#include "vn_batch.h"
#include "vn_log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static void *s_worker(void *arg)
{
    broker_t *b = arg;
    pthread_setname_np(pthread_self(), "vn-verify");
    void *in = zmq_socket(b->ctx, ZMQ_PULL), *out = zmq_socket(b->ctx, ZMQ_PUSH);
    zmq_connect(in, BROKER_JOBS_EP);
    zmq_connect(out, BROKER_STORE_IN_EP);
    while (!atomic_load(&b->workers_stop)) {
        zmq_pollitem_t item = {in, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], in, 0) < 0) {
                zmq_msg_close(&parts[n]);
                goto stop;
            }
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (n != 3) { /* never sent by the main thread; ignore */
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
            continue;
        }
        char org[VN_ORG_MAX + 1] = "", code[96], reason[700];
        size_t org_len = zmq_msg_size(&parts[1]);
        if (org_len <= VN_ORG_MAX)
            memcpy(org, zmq_msg_data(&parts[1]), org_len), org[org_len] = '\0';
        unsigned flags;
        broker__admit(b, org, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]), code, sizeof code,
                      reason, sizeof reason, &flags);
        uint8_t flag_byte = (uint8_t)flags;
        zmq_send(out, "v", 1, ZMQ_SNDMORE); /* counted in the sender's in-flight budget */
        zmq_msg_send(&parts[0], out, ZMQ_SNDMORE);
        zmq_msg_send(&parts[1], out, ZMQ_SNDMORE);
        zmq_send(out, code, strlen(code), ZMQ_SNDMORE);
        zmq_send(out, reason, strlen(reason), ZMQ_SNDMORE);
        zmq_send(out, &flag_byte, 1, ZMQ_SNDMORE);
        zmq_msg_send(&parts[2], out, 0);
    }
stop:
    zmq_close(in);
    zmq_close(out);
    return NULL;
}

int broker__workers_start(broker_t *b)
{
    int linger = 0;
    b->jobs = zmq_socket(b->ctx, ZMQ_PUSH);
    zmq_setsockopt(b->jobs, ZMQ_LINGER, &linger, sizeof linger);
    /* The main thread never blocks on the workers (it reads every connection, broker.c): what
     * waits here is bounded per organisation by its in-flight budget (submit_in_flight). */
    int hwm = 0;
    zmq_setsockopt(b->jobs, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(b->jobs, BROKER_JOBS_EP) != 0)
        return -errno;
    /* One cache for all workers: the members of one batch arrive spread over them. */
    if (!(b->batch_roots = vn_batch_cache_new()))
        return -ENOMEM;
    b->workers = calloc((size_t)b->cfg.workers, sizeof *b->workers);
    if (!b->workers)
        return -ENOMEM;
    for (b->n_workers = 0; b->n_workers < b->cfg.workers; b->n_workers++) {
        int rc = pthread_create(&b->workers[b->n_workers], NULL, s_worker, b);
        if (rc != 0)
            return -rc;
    }
    return 0;
}

void broker__workers_stop(broker_t *b)
{
    atomic_store(&b->workers_stop, 1);
    for (int i = 0; i < b->n_workers; i++)
        pthread_join(b->workers[i], NULL);
    free(b->workers);
    b->workers = NULL;
    b->n_workers = 0;
    vn_batch_cache_free(b->batch_roots);
    b->batch_roots = NULL;
}
