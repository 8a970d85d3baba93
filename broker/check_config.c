/* check_config.c -- `vangnet-broker --check-config`: everything the configuration names is usable. */
#include "broker.h"
#include "vn_vocab.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int broker_check_config(const vn_broker_config_t *cfg, const char *path)
{
    char err[1200];
    vn_keyset_t *keys = NULL;
    vn_policy_t *policy = NULL;
    vn_vocab_t *vocab = NULL;
    int ok = 0;
    if (vn_keyset_load(cfg->keys, &keys, err, sizeof err) != 0)
        fprintf(stderr, "vangnet-broker: keys: %s\n", err);
    else if (strcmp(keys->pub.sector, "broker") != 0)
        fprintf(stderr, "vangnet-broker: keys: %s is not a broker key set\n", cfg->keys);
    else if (!(policy = vn_policy_load(cfg->policy, err, sizeof err)))
        fprintf(stderr, "vangnet-broker: policy: %s\n", err);
    else if (cfg->vocabulary[0] && !(vocab = vn_vocab_load(cfg->vocabulary, err, sizeof err)))
        fprintf(stderr, "vangnet-broker: vocabulary: %s\n", err);
    else if (access(cfg->data, W_OK) != 0 && errno != ENOENT)
        fprintf(stderr, "vangnet-broker: data: %s: %s\n", cfg->data, strerror(errno));
    else
        ok = 1;
    if (ok)
        printf("%s: configuration valid (broker %s, %zu legal bases, data %s, metrics %s)\n", path,
               keys->pub.org, vn_policy_count(policy), cfg->data,
               cfg->metrics.listen[0] ? cfg->metrics.listen : "off");
    vn_policy_destroy(&policy);
    vn_vocab_destroy(&vocab);
    vn_keyset_destroy(&keys);
    return ok ? 0 : -1;
}
