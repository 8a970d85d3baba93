/* submitmany.c -- an IT system that hands its agent many Meldcode reports one after another
 * through the C client library, without waiting for the broker (wait 0): for tests that need
 * an outbox of thousands quickly. Prints "queued=Q accepted=A refused=R"; exit 0 when every
 * submit got an answer from the agent, 1 otherwise. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vangnet/client.h"

static void s_usage(void)
{
    fprintf(stderr, "usage: vn-submitmany --api EP --to ORG --bsn BSN [--count N] [--size BYTES] "
                    "[--ref-prefix P]\n");
}

int main(int argc, char **argv)
{
    const char *ep = NULL, *to = NULL, *bsn = NULL, *prefix = "many";
    long count = 1000, size = 1024;
    static const struct option opts[] = {
        {"api", required_argument, NULL, 'a'},   {"to", required_argument, NULL, 't'},
        {"bsn", required_argument, NULL, 'b'},   {"count", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},  {"ref-prefix", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': ep = optarg; break;
        case 't': to = optarg; break;
        case 'b': bsn = optarg; break;
        case 'n': count = atol(optarg); break;
        case 's': size = atol(optarg); break;
        case 'p': prefix = optarg; break;
        default: s_usage(); return 2;
        }
    }
    if (!ep || !to || !bsn || count <= 0 || size <= 0 || size > 512 * 1024 ||
        strlen(prefix) > 40) {
        s_usage();
        return 2;
    }
    char today[11];
    time_t now = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
    const vn_client_field_t meld[] = {
        {"afwegingsvraag-1", "ja"},  {"afwegingsvraag-2", "ja"},   {"afwegingsvraag-3", "nvt"},
        {"afwegingsvraag-4", "nvt"}, {"afwegingsvraag-5", "nvt"},  {"onveiligheid", "acuut"},
        {"collegiale-consultatie", today}, {"client-geinformeerd", "nee:gevaar-voor-kind"}};
    char *content = malloc((size_t)size);
    if (!content)
        return 1;
    static const char text[] = "synthetic: zorgen over thuissituatie, groot verslag. ";
    for (long i = 0; i < size; i++)
        content[i] = text[(size_t)i % (sizeof text - 1)];
    vn_client_t *cl = vn_client_new(ep);
    if (!cl) {
        fprintf(stderr, "vn-submitmany: cannot reach %s\n", ep);
        free(content);
        return 1;
    }
    const char *recips[] = {to};
    long queued = 0, accepted = 0, refused = 0, failed = 0;
    for (long i = 0; i < count; i++) {
        char ref[64];
        snprintf(ref, sizeof ref, "%s-%ld", prefix, i);
        vn_client_notification_t n = {
            .to = recips, .n_to = 1, .subject_bsn = bsn, .category = "melding",
            .basis = "meldrecht", .fields = meld, .n_fields = sizeof meld / sizeof meld[0],
            .user_id = "u-submitmany", .user_role = "jeugdarts", .content = content,
            .content_len = (size_t)size, .client_ref = ref, .client_ref_len = strlen(ref)};
        vn_client_result_t r;
        int rc = vn_client_submit(cl, &n, 0, &r);
        if (rc != 0) {
            if (failed++ < 5)
                fprintf(stderr, "vn-submitmany: submit %ld: %s %s\n", i,
                        vn_client_error_code(cl), vn_client_error(cl));
            continue;
        }
        queued += r.outcome == VN_CLIENT_QUEUED;
        accepted += r.outcome == VN_CLIENT_ACCEPTED;
        refused += r.outcome == VN_CLIENT_REFUSED;
    }
    printf("queued=%ld accepted=%ld refused=%ld failed=%ld\n", queued, accepted, refused, failed);
    vn_client_destroy(&cl);
    free(content);
    return failed ? 1 : 0;
}
