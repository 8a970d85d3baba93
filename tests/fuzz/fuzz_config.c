/* fuzz_config.c -- libFuzzer target: any bytes as a broker and as an agent configuration file.
 * The parsers read files, so each input goes through one reused in-memory file (memfd). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vn_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("vn-fuzz-config", 0);
        if (fd < 0)
            return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    char err[512];
    vn_broker_config_t b;
    vn_agent_config_t a;
    (void)vn_broker_config_load(path, &b, err, sizeof err);
    (void)vn_agent_config_load(path, &a, err, sizeof err);
    return 0;
}
