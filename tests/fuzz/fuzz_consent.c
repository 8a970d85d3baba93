/* fuzz_consent.c -- libFuzzer target: any bytes as a peer's consent request, through the code the
 * broker runs on it: the registration check (consent_check.c) and the paged list from the owner
 * index (consent_list.c) over a real store holding two organisations' consents. Each answer is
 * checked: only the asking organisation's records, at most one page, a cursor of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASKER "ggz-a"

static broker_t s_b;
static size_t s_answers;
static char s_dir[] = "/tmp/vn-fuzz-consent-XXXXXX";

static void s_cleanup(void)
{
    char path[sizeof s_dir + 16];
    vn_store_destroy(&s_b.db);
    snprintf(path, sizeof path, "%s/data.mdb", s_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", s_dir);
    unlink(path);
    rmdir(s_dir);
}

/* The transport: the broker sends its answer here; the harness checks it instead of sending. */
int broker__send_wire(broker_t *b, const uint8_t *routing, size_t routing_len,
                      Vn__WireMessage *msg)
{
    (void)b;
    (void)routing;
    (void)routing_len;
    uint8_t *buf;
    size_t len;
    if (msg->body_case != VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE || vn_wire_pack(msg, &buf, &len))
        abort();
    const Vn__ConsentResponse *r = msg->consent_response;
    if (r->n_records > 100 || len > 512 * 1024)
        abort(); /* more than one page */
    for (size_t i = 0; i < r->n_records; i++)
        if (strcmp(r->records[i]->owner, ASKER) != 0)
            abort(); /* another organisation's consent */
    if (r->next && r->next[0] && (!r->n_records || strcmp(r->next, r->records[r->n_records - 1]->id)))
        abort(); /* the cursor is the last record given */
    free(buf);
    s_answers++;
    return 0;
}

static void s_put(MDB_txn *txn, const char *owner, int subject, int i)
{
    char id[20];
    uint8_t pseud[32];
    memset(pseud, subject, sizeof pseud);
    snprintf(id, sizeof id, "c%016x", (unsigned)(i * 2654435761u));
    static char *recips[] = {"vt-zuid-limburg"}, *cats[] = {"melding"};
    Vn__ConsentRecord r = VN__CONSENT_RECORD__INIT;
    r.id = id;
    r.owner = (char *)owner;
    r.subject_pseudonym = (ProtobufCBinaryData){32, pseud};
    r.given_by = "client";
    r.n_recipients = 1;
    r.recipients = recips;
    r.n_categories = 1;
    r.categories = cats;
    r.purpose = "fuzz";
    r.expires = 4000000000u;
    uint8_t buf[512];
    size_t len = vn__consent_record__pack(&r, buf);
    MDB_val k = {strlen(id), id}, v = {len, buf};
    if (mdb_put(txn, vn_store_dbi(s_b.db, BDB_CONSENTS), &k, &v, 0) != 0 ||
        broker__consent_index_put(txn, &s_b, &r) != 0)
        abort();
}

static void s_init(void)
{
    char err[256];
    int rc;
    if (!mkdtemp(s_dir) || !(s_b.db = vn_brokerdb_open(s_dir, 64u << 20, 0, &rc, err, sizeof err)))
        abort();
    atexit(s_cleanup);
    MDB_txn *txn;
    if (vn_store_begin(s_b.db, 0, &txn) != 0)
        abort();
    for (int i = 0; i < 300; i++) /* the asker's, over three subjects; and another's */
        s_put(txn, i < 250 ? ASKER : "vt-b", i % 3 + 1, i);
    if (vn_store_commit(txn) != 0)
        abort();
}

static void s_request(const Vn__ConsentRequest *req)
{
    static const uint8_t routing[] = {0, 1, 2, 3, 4};
    if (req->op_case == VN__CONSENT_REQUEST__OP_ADD) {
        char reason[200];
        (void)broker__consent_invalid(req->add, reason, sizeof reason);
    } else if (req->op_case == VN__CONSENT_REQUEST__OP_LIST_ALL ||
               req->op_case == VN__CONSENT_REQUEST__OP_LIST_SUBJECT) {
        size_t before = s_answers;
        broker__consent_list(&s_b, ASKER, routing, sizeof routing, req);
        if (s_answers != before + 1)
            abort(); /* every list is answered */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_b.db)
        s_init();
    /* As the bare request (most of the fuzzer's effort reaches the handlers) and as the broker
     * receives it, inside a WireMessage. */
    Vn__ConsentRequest *req = vn__consent_request__unpack(NULL, size, data);
    if (req) {
        s_request(req);
        vn__consent_request__free_unpacked(req, NULL);
    }
    Vn__WireMessage *w;
    if (vn_wire_unpack(data, size, &w) == 0) {
        if (w->body_case == VN__WIRE_MESSAGE__BODY_CONSENT_REQUEST)
            s_request(w->consent_request);
        vn__wire_message__free_unpacked(w, NULL);
    }
    return 0;
}
