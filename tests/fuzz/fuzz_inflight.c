/* fuzz_inflight.c -- libFuzzer target: any sequence of sends and acks (the ids a peer's acks
 * name) through the broker's in-flight set (inflight.c), checked against a plain array: an ack
 * returns a credit exactly when its id was sent and not acked yet. */
#include <stdlib.h>
#include <string.h>

#include "broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IDS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ids[IDS][16];
    static int ready;
    if (!ready) {
        for (int i = 0; i < IDS; i++) { /* distinct: i in the first two bytes */
            for (int j = 2; j < 16; j++)
                ids[i][j] = (uint8_t)(i * 31 + j * 7);
            ids[i][0] = (uint8_t)(i >> 8);
            ids[i][1] = (uint8_t)i;
        }
        ready = 1;
    }
    inflight_t f = {0};
    uint8_t present[IDS] = {0};
    uint32_t n = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        unsigned op = data[i] >> 7, which = ((data[i] & 1u) << 8 | data[i + 1]) % IDS;
        if (data[i] == 0xff && data[i + 1] == 0xff) {
            broker__inflight_clear(&f); /* a new session */
            memset(present, 0, sizeof present);
            n = 0;
        } else if (op == 0) {
            int rc = broker__inflight_add(&f, ids[which]);
            if (rc != (present[which] ? 1 : 0))
                abort();
            if (!present[which])
                present[which] = 1, n++;
        } else {
            if (broker__inflight_take(&f, ids[which]) != present[which])
                abort();
            if (present[which])
                present[which] = 0, n--;
        }
        if (f.n != n)
            abort();
    }
    for (int i = 0; i < IDS; i++) /* everything still there is found, nothing else */
        if (broker__inflight_take(&f, ids[i]) != present[i])
            abort();
    broker__inflight_free(&f);
    return 0;
}
