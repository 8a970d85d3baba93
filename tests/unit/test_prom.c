/* test_prom.c -- the Prometheus text writer: families, escaped labels, cumulative histograms. */
#include "test_harness.h"

#include "vn_prom.h"

static void test_samples_and_escaping(void **state)
{
    (void)state;
    vn_prom_t p = {0};
    vn_prom_family(&p, "x_total", "counter", "Things.");
    vn_prom_sample(&p, "x_total", "code", "a\"b\\c\nd", 3);
    vn_prom_sample(&p, "x_ratio", NULL, NULL, 0.25);
    size_t len;
    char *text = vn_prom_take(&p, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, "# HELP x_total Things.\n# TYPE x_total counter\n"
                              "x_total{code=\"a\\\"b\\\\c\\nd\"} 3\nx_ratio 0.25\n");
    free(text);
    assert_null(p.buf); /* taken: the writer is empty again */
}

static void test_histogram(void **state)
{
    (void)state;
    vn_histogram_t h = {0};
    vn_histogram_observe_us(&h, 300);        /* 0.3 ms: first bucket */
    vn_histogram_observe_us(&h, 2000);       /* 2 ms: le 0.0025 */
    vn_histogram_observe_us(&h, 20000000);   /* 20 s: only +Inf */
    vn_prom_t p = {0};
    vn_prom_histogram(&p, "lat_seconds", "Latency.", &h);
    size_t len;
    char *text = vn_prom_take(&p, &len);
    assert_non_null(strstr(text, "# TYPE lat_seconds histogram\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"0.001\"} 1\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"10\"} 2\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "lat_seconds_sum 20.002300\n"));
    assert_non_null(strstr(text, "lat_seconds_count 3\n"));
    free(text);
}

static void test_grows(void **state)
{
    (void)state;
    vn_prom_t p = {0};
    for (int i = 0; i < 2000; i++)
        vn_prom_sample(&p, "queue_depth", "recipient", "organisation-with-a-long-name", i);
    size_t len;
    char *text = vn_prom_take(&p, &len);
    assert_non_null(text);
    assert_true(len > 2000 * 50);
    assert_non_null(strstr(text, "queue_depth{recipient=\"organisation-with-a-long-name\"} 1999\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_and_escaping),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
