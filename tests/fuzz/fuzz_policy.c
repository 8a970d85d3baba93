/* fuzz_policy.c -- libFuzzer target: any bytes as a policy file (the legal rules are data an
 * operator edits, so the parser meets typos and worse). What loads is then asked one question, so
 * the checker also runs on every rule shape the parser lets through. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vn_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *s_sector_of(void *ctx, const char *org)
{
    (void)ctx;
    return strcmp(org, "vt") == 0 ? "veilig-thuis" : "ggz";
}

static void s_consent(void *ctx, const char *ref, vn_consent_view_t *out)
{
    (void)ctx;
    (void)ref;
    memset(out, 0, sizeof *out);
}

static void s_reply(void *ctx, const char *ref, vn_reply_view_t *out)
{
    (void)ctx;
    (void)ref;
    memset(out, 0, sizeof *out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("vn-fuzz-policy", 0);
        if (fd < 0)
            return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    char err[512];
    vn_policy_t *p = vn_policy_load(path, err, sizeof err);
    if (!p)
        return 0;
    static uint8_t subject[32];
    char *recipients[] = {"vt", "ggz-a"};
    Vn__Justification j = VN__JUSTIFICATION__INIT, *jp[] = {&j};
    j.key = "consent-ref";
    j.value = "c-1";
    Vn__Header h = VN__HEADER__INIT;
    h.sender = "ggz-a";
    h.basis = "meldrecht";
    h.category = "melding";
    h.recipients = recipients;
    h.n_recipients = 2;
    h.justification = jp;
    h.n_justification = 1;
    h.subject_pseudonym = (ProtobufCBinaryData){32, subject};
    vn_policy_env_t env = {NULL, s_sector_of, s_consent, s_reply, NULL};
    vn_verdict_t v;
    for (size_t i = 0; i < vn_policy_count(p); i++)
        (void)vn_policy_check(p, &h, &env, 1790000000u, &v);
    (void)vn_policy_signals(p);
    vn_policy_destroy(&p);
    return 0;
}
