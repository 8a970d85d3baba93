/* main.c -- vangnet-pseudonymd: the pseudonym service. `--keygen DIR` makes its keys; otherwise
 * read the configuration, install signal flags and run the loop. */
#include "pseudonymd.h"
#include "vn_daemon.h"
#include "vn_error.h"
#include "vn_log.h"

#include <ini.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pd_config_t *cfg;
    char err[300];
} s_ctx_t;

static int s_copy(char *dst, size_t cap, const char *v)
{
    return v[0] && snprintf(dst, cap, "%s", v) < (int)cap;
}

static int s_number(const char *v, unsigned long long max, uint64_t *out)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (!v[0] || *end || v[0] == '-' || n > max)
        return 0;
    *out = n;
    return 1;
}

static int s_handler(void *user, const char *section, const char *name, const char *value)
{
    s_ctx_t *c = user;
    pd_config_t *cfg = c->cfg;
    if (c->err[0])
        return 0;
    int ok = 0;
    if (strcmp(section, "pseudonymd") == 0) {
        if (strcmp(name, "endpoint") == 0)
            ok = strncmp(value, "tcp://", 6) == 0 && s_copy(cfg->endpoint, sizeof cfg->endpoint, value);
        else if (strcmp(name, "keys") == 0)
            ok = s_copy(cfg->keys, sizeof cfg->keys, value);
        else if (strcmp(name, "clients") == 0)
            ok = s_copy(cfg->clients, sizeof cfg->clients, value);
        else if (strcmp(name, "data") == 0)
            ok = s_copy(cfg->data, sizeof cfg->data, value);
        else if (strcmp(name, "budget_per_day") == 0)
            ok = s_number(value, 100000000ULL, &cfg->budget);
        else if (strcmp(name, "log_level") == 0) {
            const char *levels[] = {"error", "warn", "info", "debug"};
            for (int i = 0; i < 4; i++)
                if (strcmp(value, levels[i]) == 0) {
                    cfg->log_level = i;
                    ok = 1;
                }
        } else {
            snprintf(c->err, sizeof c->err, "unknown key [pseudonymd] %s", name);
            return 0;
        }
    } else if (strcmp(section, "budgets") == 0) {
        uint64_t n;
        if (cfg->n_budgets >= sizeof cfg->budgets / sizeof cfg->budgets[0] ||
            strlen(name) > VN_ORG_MAX || !s_number(value, 100000000ULL, &n)) {
            ok = 0;
        } else {
            snprintf(cfg->budgets[cfg->n_budgets].org, sizeof cfg->budgets[0].org, "%s", name);
            cfg->budgets[cfg->n_budgets++].budget = n;
            ok = 1;
        }
    } else {
        snprintf(c->err, sizeof c->err, "unknown section [%s]", section);
        return 0;
    }
    if (!ok)
        snprintf(c->err, sizeof c->err, "[%s] %s = %s: invalid value", section, name, value);
    return ok;
}

int pd__config_load(const char *path, pd_config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->budget = 20000;
    cfg->log_level = VN_LOG_INFO;
    s_ctx_t c = {.cfg = cfg};
    int line = ini_parse(path, s_handler, &c);
    if (line != 0) {
        snprintf(err, errlen, "%s: %s%s%s", path, line < 0 ? "cannot read" : "line ",
                 line < 0 ? "" : "", c.err[0] ? c.err : "syntax error");
        if (line > 0)
            snprintf(err, errlen, "%s: line %d: %s", path, line, c.err[0] ? c.err : "syntax error");
        return VN_E_CONFIG;
    }
    if (!cfg->endpoint[0] || !cfg->keys[0] || !cfg->clients[0] || !cfg->data[0]) {
        snprintf(err, errlen, "%s: needs [pseudonymd] endpoint, keys, clients and data", path);
        return VN_E_CONFIG;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    char err[1200];
    if (argc == 3 && strcmp(argv[1], "--keygen") == 0) {
        if (vn_pseud_keys_create(argv[2], err, sizeof err) != 0) {
            fprintf(stderr, "vangnet-pseudonymd: %s\n", err);
            return 1;
        }
        printf("wrote %s/pseudonymd.secret (keep it with the service alone) and "
               "%s/pseudonymd.public (for every agent's [pseudonymd] public)\n", argv[2], argv[2]);
        return 0;
    }
    int check_only;
    const char *config = vn_daemon_args(argc, argv, "vangnet-pseudonymd", &check_only);
    static pd_t pd;
    if (pd__config_load(config, &pd.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vangnet-pseudonymd: %s\n", err);
        return 2;
    }
    snprintf(pd.config_path, sizeof pd.config_path, "%s", config);
    if (check_only) {
        vn_pseud_keys_t *k = NULL;
        int rc = vn_pseud_keys_load(pd.cfg.keys, &k, err, sizeof err);
        vn_pseud_keys_destroy(&k);
        if (rc == 0)
            rc = pd__clients_load(&pd, err, sizeof err);
        free(pd.clients);
        if (rc != 0) {
            fprintf(stderr, "vangnet-pseudonymd: %s\n", err);
            return 2;
        }
        printf("configuration valid: %s\n", config);
        return 0;
    }
    vn_log_init("pseudonymd", (enum vn_log_level)pd.cfg.log_level);
    vn_daemon_signals();
    if (pd_init(&pd, err, sizeof err) != 0) {
        vn_error("event=start-failed error=\"%s\"", err);
        pd_fini(&pd);
        return 1;
    }
    vn_info("event=started organisations=%zu budget_per_day=%" PRIu64 " version=%s", pd.n_clients,
            pd.cfg.budget, VN_VERSION);
    pd_run(&pd, (volatile int *)&vn_daemon_stop, (volatile int *)&vn_daemon_reload);
    vn_info("event=stopping");
    pd_fini(&pd);
    return 0;
}
