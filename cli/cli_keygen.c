/* cli_keygen.c -- `vangnet keygen`: organisation key sets and the network pseudonym key. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "vn_error.h"
#include "vn_keys.h"
#include "vn_subject.h"

int cli_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"org", required_argument, NULL, 'o'},
        {"sector", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'd'},
        {"pseudonym-key", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    const char *org = NULL, *sector = NULL, *out = NULL, *pkey = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': org = optarg; break;
        case 's': sector = optarg; break;
        case 'd': out = optarg; break;
        case 'p': pkey = optarg; break;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc)
        return cli_fail(CLI_USAGE, "keygen: unexpected argument '%s'", argv[optind]);
    if (pkey) {
        if (org || sector || out)
            return cli_fail(CLI_USAGE, "keygen: --pseudonym-key stands alone");
        int rc = vn_pseudonym_key_create(pkey);
        if (rc != 0)
            return cli_fail(CLI_FAIL, "keygen: %s: %s", pkey, vn_strerror(rc));
        printf("pseudonym key written to %s (mode 0600); give it to agents only\n", pkey);
        return CLI_OK;
    }
    if (!org || !sector || !out)
        return cli_fail(CLI_USAGE, "keygen: needs --org ID --sector SECTOR --out DIR");
    if (!vn_sector_valid(sector)) {
        fprintf(stderr, "vangnet: keygen: unknown sector '%s'; one of:", sector);
        for (int i = 0; vn_sectors[i]; i++)
            fprintf(stderr, " %s", vn_sectors[i]);
        fputc('\n', stderr);
        return CLI_USAGE;
    }
    vn_keyset_t *ks = vn_keyset_generate(org, sector);
    if (!ks) {
        if (errno == EINVAL)
            return cli_fail(CLI_USAGE,
                            "keygen: invalid organisation id '%s' (3-64 of a-z, 0-9, '-', "
                            "starting with a letter)", org);
        return cli_fail(CLI_FAIL, "keygen: cannot generate keys");
    }
    int rc = vn_keyset_save(ks, out);
    char fp[17];
    vn_key_fingerprint(ks->pub.sign_pk, fp);
    vn_keyset_destroy(&ks);
    if (rc != 0)
        return cli_fail(CLI_FAIL, "keygen: %s/%s.{secret,public}: %s", out, org, vn_strerror(rc));
    printf("%s/%s.secret (mode 0600) and %s/%s.public written; fingerprint %s\n", out, org, out,
           org, fp);
    return CLI_OK;
}
