/* fuzz_wire.c -- libFuzzer target: any bytes into the wire, local API, directory and audit decoders. */
#include <stdint.h>
#include <stdlib.h>

#include "audit.pb-c.h"
#include "vn_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Vn__WireMessage *w;
    if (vn_wire_unpack(data, size, &w) == 0) {
        /* Re-encode: what decodes must encode again. */
        uint8_t *buf;
        size_t len;
        if (vn_wire_pack(w, &buf, &len) == 0)
            free(buf);
        vn__wire_message__free_unpacked(w, NULL);
    }
    Vn__ApiRequest *req;
    if (vn_api_request_unpack(data, size, &req) == 0)
        vn__api_request__free_unpacked(req, NULL);
    Vn__ApiResponse *resp;
    if (vn_api_response_unpack(data, size, &resp) == 0)
        vn__api_response__free_unpacked(resp, NULL);
    Vn__Directory *d = vn__directory__unpack(NULL, size, data);
    if (d)
        vn__directory__free_unpacked(d, NULL);
    Vn__AuditRecord *a = vn__audit_record__unpack(NULL, size, data);
    if (a)
        vn__audit_record__free_unpacked(a, NULL);
    return 0;
}
