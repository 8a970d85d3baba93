/* test_config.c -- configuration files: defaults, every error with file and line. */
#include "test_harness.h"

#include "vn_config.h"
#include "vn_error.h"

static char *s_dir;

static const char *s_file(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_broker_defaults(void **state)
{
    (void)state;
    vn_broker_config_t c;
    char err[512];
    assert_int_equal(vn_broker_config_load(s_file("b.conf", "[broker]\ndata = /d\nkeys = /k\npolicy = /p\n"), &c,
                                           err, sizeof err),
                     0);
    assert_string_equal(c.endpoint, "tcp://127.0.0.1:7700");
    assert_int_equal(c.map_size, (size_t)1 << 30);
    assert_int_equal(c.max_envelope, 1 << 20);
    assert_int_equal(c.workers, 2);
    assert_int_equal(c.refuse_v1_from, 0); /* v1 pseudonyms accepted unless a date is set */
}

/* [pseudonyms] refuse_v1_after: the whole day named still accepts v1; a bad date is named. */
static void test_broker_refuse_v1(void **state)
{
    (void)state;
    vn_broker_config_t c;
    char err[512];
    const char *ok = "[broker]\ndata = /d\nkeys = /k\npolicy = /p\n[pseudonyms]\n"
                     "refuse_v1_after = 2027-06-30\n";
    assert_int_equal(vn_broker_config_load(s_file("v1.conf", ok), &c, err, sizeof err), 0);
    assert_int_equal(c.refuse_v1_from, 1814313600ULL + 86400); /* 2027-07-01T00:00Z */
    const char *bad = "[broker]\ndata = /d\nkeys = /k\npolicy = /p\n[pseudonyms]\n"
                      "refuse_v1_after = 2027-02-30\n";
    assert_int_equal(vn_broker_config_load(s_file("v2.conf", bad), &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "refuse_v1_after"));
    assert_non_null(strstr(err, "YYYY-MM-DD"));
}

/* [limits]: the defaults of docs/limits.md, a value set, 0 as "off", and a bad value named. */
static void test_broker_limits(void **state)
{
    (void)state;
    vn_broker_config_t c;
    char err[512];
    const char *base = "[broker]\ndata = /d\nkeys = /k\npolicy = /p\n";
    assert_int_equal(vn_broker_config_load(s_file("l0.conf", base), &c, err, sizeof err), 0);
    assert_int_equal(c.limits.refusal_audit_rate, 10);
    assert_int_equal(c.limits.refusal_audit_burst, 200);
    assert_int_equal(c.limits.suppress_window, 60);
    assert_int_equal(c.limits.submit_rate, 10000);
    assert_int_equal(c.limits.submit_in_flight, 4096);
    assert_int_equal(c.limits.request_rate, 500);
    assert_int_equal(c.limits.queue_share_percent, 25);
    char text[512];
    snprintf(text, sizeof text, "%s[limits]\nsubmit_rate = 0\nqueue_share_percent = 40\n"
             "refusal_audit_burst = 7\n", base);
    assert_int_equal(vn_broker_config_load(s_file("l1.conf", text), &c, err, sizeof err), 0);
    assert_int_equal(c.limits.submit_rate, 0);
    assert_int_equal(c.limits.queue_share_percent, 40);
    assert_int_equal(c.limits.refusal_audit_burst, 7);
    assert_int_equal(c.limits.submit_burst, 20000); /* untouched keys keep their default */
    snprintf(text, sizeof text, "%s[limits]\nqueue_share_percent = 101\n", base);
    assert_int_equal(vn_broker_config_load(s_file("l2.conf", text), &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "l2.conf:6"));
    assert_non_null(strstr(err, "queue_share_percent"));
    assert_non_null(strstr(err, "0..100"));
    snprintf(text, sizeof text, "%s[limits]\nsubmit_rate = fast\n", base);
    assert_int_equal(vn_broker_config_load(s_file("l3.conf", text), &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "submit_rate"));
}

static void test_broker_errors(void **state)
{
    (void)state;
    vn_broker_config_t c;
    char err[512];
    assert_int_equal(vn_broker_config_load(s_file("b1.conf", "[broker]\ndata = /d\ncolour = red\n"),
                                           &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "b1.conf:3"));
    assert_non_null(strstr(err, "colour"));
    /* Two bad lines: the first is reported, with its own reason. */
    assert_int_equal(vn_broker_config_load(s_file("b5.conf", "[broker]\nworkers = 0\ncolour = x\n"),
                                           &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "b5.conf:2"));
    assert_non_null(strstr(err, "workers"));
    assert_null(strstr(err, "colour"));
    assert_int_equal(vn_broker_config_load(s_file("b2.conf", "[broker]\ndata = /d\n"), &c, err,
                                           sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "keys"));
    assert_int_equal(vn_broker_config_load(s_file("b3.conf", "[broker]\nworkers = 0\n"), &c, err,
                                           sizeof err),
                     VN_E_CONFIG);
    assert_int_equal(vn_broker_config_load(s_file("b4.conf", "[broker]\nendpoint = ipc:///x\n"), &c,
                                           err, sizeof err),
                     VN_E_CONFIG);
    assert_int_equal(vn_broker_config_load("/nonexistent.conf", &c, err, sizeof err), VN_E_CONFIG);
}

static void test_agent(void **state)
{
    (void)state;
    vn_agent_config_t c;
    char err[512];
    const char *ok = "[agent]\nkeys = /k\ndata = /d\napi = ipc:///tmp/a.sock\npseudonym_key = /p\n"
                     "[broker]\nendpoint = tcp://10.0.0.1:7700\npublic = /b.public\n";
    assert_int_equal(vn_agent_config_load(s_file("a.conf", ok), &c, err, sizeof err), 0);
    assert_int_equal(c.default_ttl, 72 * 3600);
    /* The local API may only listen on ipc:// or loopback. */
    const char *exposed = "[agent]\napi = tcp://0.0.0.0:5000\n";
    assert_int_equal(vn_agent_config_load(s_file("a2.conf", exposed), &c, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "api"));
    assert_int_equal(vn_agent_config_load(s_file("a3.conf", "[agent]\nkeys = /k\n"), &c, err,
                                          sizeof err),
                     VN_E_CONFIG);
}

/* [metrics] and the queue limits: defaults, values, and errors that say what is expected. */
static void test_metrics_and_limits(void **state)
{
    (void)state;
    vn_broker_config_t c;
    char err[512];
    const char *base = "[broker]\ndata = /d\nkeys = /k\npolicy = /p\n";
    char text[512];
    assert_int_equal(vn_broker_config_load(s_file("m0.conf", base), &c, err, sizeof err), 0);
    assert_string_equal(c.metrics.listen, "");
    assert_int_equal(c.metrics.storage_warn_percent, 80);
    assert_int_equal(c.max_queue_depth, 100000);
    assert_int_equal(c.max_queue_age, 168 * 3600);
    snprintf(text, sizeof text, "%smax_queue_per_recipient = 0\nmax_queue_age_hours = 2\n"
             "[metrics]\nlisten = [::1]:0\nqueue_warn_minutes = 5\n", base);
    assert_int_equal(vn_broker_config_load(s_file("m1.conf", text), &c, err, sizeof err), 0);
    assert_string_equal(c.metrics.listen, "[::1]:0");
    assert_int_equal(c.metrics.queue_warn_seconds, 300);
    assert_int_equal(c.max_queue_depth, 0);
    assert_int_equal(c.max_queue_age, 7200);
    /* Not loopback: refused, and the error says what would do. */
    snprintf(text, sizeof text, "%s[metrics]\nlisten = 10.0.0.1:9100\n", base);
    assert_int_equal(vn_broker_config_load(s_file("m2.conf", text), &c, err, sizeof err), VN_E_CONFIG);
    assert_non_null(strstr(err, "m2.conf:6"));
    assert_non_null(strstr(err, "invalid value, expected 127.0.0.1:PORT"));
    /* A broker-only key in an agent's file is unknown there. */
    assert_int_equal(vn_agent_config_load(s_file("m3.conf", "[metrics]\nqueue_warn_minutes = 5\n"),
                                          (vn_agent_config_t[1]){0}, err, sizeof err),
                     VN_E_CONFIG);
    assert_non_null(strstr(err, "queue_warn_minutes: unknown key"));
    snprintf(text, sizeof text, "%s[metrics]\nstorage_warn_percent = 101\n", base);
    assert_int_equal(vn_broker_config_load(s_file("m4.conf", text), &c, err, sizeof err), VN_E_CONFIG);
    assert_non_null(strstr(err, "expected a whole number, 1..100"));
}

/* Ports zmq would not bind as written are refused; a tcp:// agent API needs its credentials. */
static void test_ports_and_api_clients(void **state)
{
    (void)state;
    vn_broker_config_t c;
    vn_agent_config_t a;
    char err[512];
    static const char *const bad[] = {"99999", "0", "-1", "", "80x", "65536"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[broker]\ndata = /d\nkeys = /k\npolicy = /p\nendpoint = "
                 "tcp://127.0.0.1:%s\n", bad[i]);
        assert_int_equal(vn_broker_config_load(s_file("p.conf", text), &c, err, sizeof err),
                         VN_E_CONFIG);
        assert_non_null(strstr(err, "PORT 1..65535"));
    }
    assert_int_equal(vn_broker_config_load(s_file("p2.conf", "[broker]\ndata = /d\nkeys = /k\n"
                                           "policy = /p\nendpoint = tcp://127.0.0.1:*\n"),
                                           &c, err, sizeof err), 0);
    assert_int_equal(vn_broker_config_load(s_file("p3.conf", "[broker]\ndata = /d\nkeys = /k\n"
                                           "policy = /p\nendpoint = tcp://[::1]:65535\n"),
                                           &c, err, sizeof err), 0);
    const char *agent = "[agent]\nkeys = /k\ndata = /d\napi = tcp://127.0.0.1:7711\n"
                        "pseudonym_key = /p\n[broker]\nendpoint = tcp://127.0.0.1:7700\n"
                        "public = /b\n";
    assert_int_equal(vn_agent_config_load(s_file("a.conf", agent), &a, err, sizeof err), VN_E_CONFIG);
    assert_non_null(strstr(err, "needs api_clients"));
    char text[512];
    snprintf(text, sizeof text, "%s[agent]\napi_clients = /etc/vangnet/api-clients\n", agent);
    assert_int_equal(vn_agent_config_load(s_file("a2.conf", text), &a, err, sizeof err), 0);
    assert_string_equal(a.api_clients, "/etc/vangnet/api-clients");
}

int main(void)
{
    s_dir = test_tmpdir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broker_defaults),
        cmocka_unit_test(test_broker_refuse_v1),
        cmocka_unit_test(test_broker_errors),
        cmocka_unit_test(test_broker_limits),
        cmocka_unit_test(test_agent),
        cmocka_unit_test(test_metrics_and_limits),
        cmocka_unit_test(test_ports_and_api_clients),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_tmpdir_remove(s_dir);
    return failed;
}
