/* fuzz_seed.c -- writes a seed corpus of valid envelopes and wire messages for the fuzzers (and,
 * with a third directory, valid signal and match requests for fuzz_signal). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_envelope.h"
#include "vn_wire.h"

static void s_write(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static void s_write_wire(const char *dir, const char *name, Vn__WireMessage *m)
{
    uint8_t *buf;
    size_t len;
    if (vn_wire_pack(m, &buf, &len) == 0) {
        s_write(dir, name, buf, len);
        free(buf);
    }
}

/* Signal requests as an agent sends them: a registration that passes the policy (two youths, one
 * with a parent), a withdrawal and match requests naming "#0" (fuzz_signal reads "#N" as the
 * asker's N-th stored signal or match), and the lists. */
static void s_signal_seeds(const char *dir)
{
    uint8_t youth[2][32], parent[32];
    memset(youth[0], 7, 32);
    memset(youth[1], 9, 32);
    memset(parent, 5, 32);
    ProtobufCBinaryData parents[1] = {{32, parent}};
    char *informed[1] = {"ouders"};
    Vn__SignalRecord r = VN__SIGNAL_RECORD__INIT;
    r.version = 1;
    r.category = "verwaarlozing";
    r.signal_date = (uint64_t)time(NULL) - 86400;
    r.n_informed = 1;
    r.informed = informed;
    r.youth_age = 9;
    r.user_id = "u1";
    r.user_role = "mentor";
    r.pseudonym_version = 2;
    Vn__SignalRequest sr = VN__SIGNAL_REQUEST__INIT;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SIGNAL_REQUEST;
    m.signal_request = &sr;
    sr.op_case = VN__SIGNAL_REQUEST__OP_ADD;
    sr.add = &r;
    for (int i = 0; i < 2; i++) {
        r.youth_pseudonym = (ProtobufCBinaryData){32, youth[i]};
        r.n_parent_pseudonyms = (size_t)i;
        r.parent_pseudonyms = parents;
        s_write_wire(dir, i ? "add-parent" : "add", &m);
    }
    sr.op_case = VN__SIGNAL_REQUEST__OP_WITHDRAW;
    sr.withdraw = "#0";
    s_write_wire(dir, "withdraw", &m);
    Vn__SignalList sl = VN__SIGNAL_LIST__INIT;
    sr.op_case = VN__SIGNAL_REQUEST__OP_LIST;
    sr.list = &sl;
    s_write_wire(dir, "list", &m);
    sl.youth_pseudonym = (ProtobufCBinaryData){32, youth[0]};
    sl.limit = 2;
    s_write_wire(dir, "list-youth", &m);
    Vn__MatchRequest mr = VN__MATCH_REQUEST__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_MATCH_REQUEST;
    m.match_request = &mr;
    Vn__MatchListReq ml = VN__MATCH_LIST_REQ__INIT;
    mr.op_case = VN__MATCH_REQUEST__OP_LIST;
    mr.list = &ml;
    s_write_wire(dir, "match-list", &m);
    mr.op_case = VN__MATCH_REQUEST__OP_SHOW;
    mr.show = "#0";
    s_write_wire(dir, "match-show", &m);
    Vn__MatchHandover h = VN__MATCH_HANDOVER__INIT;
    h.match_id = "#0";
    h.to_org = "jeugd-b";
    mr.op_case = VN__MATCH_REQUEST__OP_HANDOVER;
    mr.handover = &h;
    s_write_wire(dir, "handover", &m);
    mr.op_case = VN__MATCH_REQUEST__OP_ACCEPT_HANDOVER;
    mr.accept_handover = "#0";
    s_write_wire(dir, "accept", &m);
    mr.op_case = VN__MATCH_REQUEST__OP_AGREE;
    mr.agree = "#0";
    s_write_wire(dir, "agree", &m);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: fuzz_seed ENVELOPE_DIR WIRE_DIR [SIGNAL_DIR]\n");
        return 2;
    }
    vn_keyset_t *sender = vn_keyset_generate("ggz-mondriaan", "ggz");
    vn_keyset_t *vt = vn_keyset_generate("vt-zuid-limburg", "veilig-thuis");
    vn_recipient_t r = {"vt-zuid-limburg", vt->pub.box_pk};
    vn_field_t just[] = {{"consent-ref", "c-1"}};
    uint8_t pseud[32] = {1}, id[16], *env;
    size_t len;
    vn_seal_params_t p = {.recipients = &r, .n_recipients = 1, .category = "melding",
                          .basis = "meldrecht", .justification = just, .n_justification = 1,
                          .subject_pseudonym = pseud, .created = 1, .expires = 2,
                          .user_id = "u", .user_role = "r"};
    if (vn_envelope_seal(&p, sender, (const uint8_t *)"hello", 5, id, &env, &len) != 0)
        return 1;
    s_write(argv[1], "envelope", env, len);
    /* Members of a batch of three under one signature: the batch proof and its paths, and the
     * second and third wrapped under the first's ephemeral key (derivation 2). */
    vn_sealed_t *sealed[3] = {0};
    p.wrap_batch = vn_wrap_batch_new();
    uint8_t *member[3];
    size_t member_len[3];
    for (int i = 0; i < 3; i++)
        if (vn_envelope_seal_unsigned(&p, sender, (const uint8_t *)"hello", 5, id, &sealed[i]) != 0)
            return 1;
    vn_wrap_batch_free(&p.wrap_batch);
    if (vn_envelope_sign(sealed, 3, sender, member, member_len) != 0)
        return 1;
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "envelope-batch-%d", i);
        s_write(argv[1], name, member[i], member_len[i]);
        free(member[i]);
        vn_sealed_free(sealed[i]);
    }
    Vn__Submit sub = VN__SUBMIT__INIT;
    sub.envelope = (ProtobufCBinaryData){len, env};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_SUBMIT;
    m.submit = &sub;
    uint8_t *buf;
    size_t blen;
    vn_wire_pack(&m, &buf, &blen);
    s_write(argv[2], "submit", buf, blen);
    free(buf);
    Vn__Receipt rc = VN__RECEIPT__INIT;
    rc.message_id = (ProtobufCBinaryData){16, id};
    rc.audit_seq = 9;
    m.body_case = VN__WIRE_MESSAGE__BODY_RECEIPT;
    m.receipt = &rc;
    vn_wire_pack(&m, &buf, &blen);
    s_write(argv[2], "receipt", buf, blen);
    free(buf);
    free(env);
    vn_keyset_destroy(&sender);
    vn_keyset_destroy(&vt);
    if (argc == 4)
        s_signal_seeds(argv[3]);
    return 0;
}
