/* check_config.c -- `vangnet-agent --check-config`: every file the configuration names is usable. */
#include "agent.h"
#include "vn_apiclient.h"
#include "vn_pseudonymd.h"
#include "vn_subject.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_clients_bad(const char *path, char *err, size_t len)
{
    vn_api_client_t *clients;
    size_t n;
    if (vn_api_clients_load(path, &clients, &n, err, len) != 0)
        return 1;
    free(clients);
    return 0;
}

int agent_check_config(const vn_agent_config_t *cfg, const char *path)
{
    char err[1200];
    vn_keyset_t *keys = NULL, *prev = NULL;
    vn_pubkeys_t broker;
    vn_pseud_pub_t pseud;
    uint8_t *pkey = sodium_malloc(VN_PSEUDONYM_KEY_BYTES);
    int ok = 0;
    if (!pkey)
        fprintf(stderr, "vangnet-agent: out of memory\n");
    else if (vn_keyset_load(cfg->keys, &keys, err, sizeof err) != 0)
        fprintf(stderr, "vangnet-agent: keys: %s\n", err);
    else if (cfg->previous_keys[0] &&
             vn_keyset_load(cfg->previous_keys, &prev, err, sizeof err) != 0)
        fprintf(stderr, "vangnet-agent: previous_keys: %s\n", err);
    else if (prev && strcmp(prev->pub.org, keys->pub.org) != 0)
        fprintf(stderr, "vangnet-agent: previous_keys: belong to %s, not %s\n", prev->pub.org,
                keys->pub.org);
    else if (vn_pubkeys_load(cfg->broker_public, &broker, err, sizeof err) != 0)
        fprintf(stderr, "vangnet-agent: [broker] public: %s\n", err);
    else if (strcmp(broker.sector, "broker") != 0)
        fprintf(stderr, "vangnet-agent: [broker] public: %s is not a broker's key\n",
                cfg->broker_public);
    else if (cfg->pseudonym_key[0] &&
             vn_pseudonym_key_load(cfg->pseudonym_key, pkey, err, sizeof err) != 0)
        fprintf(stderr, "vangnet-agent: pseudonym_key: %s\n", err);
    else if (cfg->pseudonymd_public[0] && vn_pseud_pub_load(cfg->pseudonymd_public, &pseud, err,
                                                            sizeof err) != 0)
        fprintf(stderr, "vangnet-agent: [pseudonymd] public: %s\n", err);
    else if (cfg->api_clients[0] && s_clients_bad(cfg->api_clients, err, sizeof err))
        fprintf(stderr, "vangnet-agent: api_clients: %s\n", err);
    else if (access(cfg->data, W_OK) != 0 && errno != ENOENT)
        fprintf(stderr, "vangnet-agent: data: %s: %s\n", cfg->data, strerror(errno));
    else if (cfg->http_api.tls_cert[0] && access(cfg->http_api.tls_cert, R_OK) != 0)
        fprintf(stderr, "vangnet-agent: [http_api] tls_cert: %s: %s\n", cfg->http_api.tls_cert,
                strerror(errno));
    else if (cfg->http_api.tls_key[0] && access(cfg->http_api.tls_key, R_OK) != 0)
        fprintf(stderr, "vangnet-agent: [http_api] tls_key: %s: %s\n", cfg->http_api.tls_key,
                strerror(errno));
    else if (cfg->http_api.tls_client_ca[0] && access(cfg->http_api.tls_client_ca, R_OK) != 0)
        fprintf(stderr, "vangnet-agent: [http_api] tls_client_ca: %s: %s\n",
                cfg->http_api.tls_client_ca, strerror(errno));
    else
        ok = 1;
    if (ok)
        printf("%s: configuration valid (organisation %s, broker %s, api %s, metrics %s, "
               "http api %s%s)\n", path, keys->pub.org, cfg->broker_endpoint, cfg->api,
               cfg->metrics.listen[0] ? cfg->metrics.listen : "off",
               cfg->http_api.listen[0] ? cfg->http_api.listen : "off",
               cfg->http_api.tls_cert[0] ? (cfg->http_api.tls_client_ca[0]
                                                ? " with TLS and client certificates"
                                                : " with TLS")
                                         : "");
    if (ok && cfg->pseudonymd_endpoint[0])
        printf("pseudonyms: v2 from the pseudonym service at %s (VOPRF, proofs checked)\n",
               cfg->pseudonymd_endpoint);
    else if (ok)
        fprintf(stderr, "vangnet-agent: warning: pseudonyms are v1 (the shared network key in "
                "pseudonym_key): anyone holding this key can reverse every pseudonym by trying "
                "all BSNs; configure [pseudonymd] (docs/pseudonyms.md)\n");
    if (pkey)
        sodium_free(pkey);
    vn_keyset_destroy(&prev);
    vn_keyset_destroy(&keys);
    return ok ? 0 : -1;
}
