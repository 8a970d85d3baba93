/* cli_keygen.c -- `vangnet keygen`: organisation key sets and the network pseudonym key. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_keys.h"
#include "vn_note.h"
#include "vn_subject.h"

/* The C2SP verifier key(s) of a public identity: a broker's checkpoint vkey (signed-note type
 * 0x01, name = its log origin), any organisation's witness vkey (cosignature/v1, type 0x04). */
static void s_print_vkeys(const vn_pubkeys_t *pub)
{
    char vkey[VN_NOTE_VKEY_MAX], name[VN_NOTE_NAME_MAX + 1];
    if (strcmp(pub->sector, "broker") == 0 && vn_checkpoint_vkey(pub->org, pub->sign_pk, vkey) == 0)
        printf("log vkey: %s\n", vkey);
    snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", pub->org);
    if (vn_note_vkey(name, VN_NOTE_COSIG_V1, pub->sign_pk, vkey) == 0)
        printf("witness vkey: %s\n", vkey);
}

int cli_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"org", required_argument, NULL, 'o'},
        {"sector", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'd'},
        {"pseudonym-key", required_argument, NULL, 'p'},
        {"vkey", required_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    const char *org = NULL, *sector = NULL, *out = NULL, *pkey = NULL, *vkey_of = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': org = optarg; break;
        case 's': sector = optarg; break;
        case 'd': out = optarg; break;
        case 'p': pkey = optarg; break;
        case 'v': vkey_of = optarg; break;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc)
        return cli_fail(CLI_USAGE, "keygen: unexpected argument '%s'", argv[optind]);
    if (vkey_of) {
        vn_pubkeys_t pub;
        char err[1200];
        if (org || sector || out || pkey)
            return cli_fail(CLI_USAGE, "keygen: --vkey FILE.public stands alone");
        if (vn_pubkeys_load(vkey_of, &pub, err, sizeof err) != 0)
            return cli_fail(CLI_FAIL, "keygen: %s", err);
        s_print_vkeys(&pub);
        return CLI_OK;
    }
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
    vn_pubkeys_t pub = ks->pub;
    vn_key_fingerprint(ks->pub.sign_pk, fp);
    vn_keyset_destroy(&ks);
    if (rc != 0)
        return cli_fail(CLI_FAIL, "keygen: %s/%s.{secret,public}: %s", out, org, vn_strerror(rc));
    printf("%s/%s.secret (mode 0600) and %s/%s.public written; fingerprint %s\n", out, org, out,
           org, fp);
    s_print_vkeys(&pub);
    return CLI_OK;
}
