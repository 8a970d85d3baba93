/* fuzz_seed.c -- writes a seed corpus of valid envelopes and wire messages for the fuzzers. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
    if (argc != 3 || sodium_init() < 0) {
        fprintf(stderr, "usage: fuzz_seed ENVELOPE_DIR WIRE_DIR\n");
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
    return 0;
}
