/* test_util.c -- hex, identifiers, field validation, big-endian keys. */
#include "test_harness.h"

#include "vn_error.h"
#include "vn_util.h"
#include <unistd.h>
#include <sys/wait.h>

#include <errno.h>
#include <sys/stat.h>

static void test_hex_round_trip(void **state)
{
    (void)state;
    uint8_t in[4] = {0x00, 0x7f, 0xab, 0xff}, out[4];
    char hex[9];
    assert_string_equal(vn_hex(hex, in, 4), "007fabff");
    assert_int_equal(vn_unhex(out, 4, "007FABff"), 0);
    assert_memory_equal(in, out, 4);
    assert_int_equal(vn_unhex(out, 4, "007fab"), VN_E_INVALID);
    assert_int_equal(vn_unhex(out, 4, "007fabfg"), VN_E_INVALID);
    assert_int_equal(vn_unhex(out, 4, NULL), VN_E_INVALID);
}

static void test_org_ids(void **state)
{
    (void)state;
    assert_true(vn_org_id_valid("vt-zuid-limburg"));
    assert_true(vn_org_id_valid("ggz2"));
    assert_false(vn_org_id_valid("Vt-zuid"));
    assert_false(vn_org_id_valid("2ggz"));
    assert_false(vn_org_id_valid("vt zuid"));
    assert_false(vn_org_id_valid("vt/zuid"));
    assert_false(vn_org_id_valid("ab"));
    assert_false(vn_org_id_valid(NULL));
    char longid[70];
    memset(longid, 'a', 65);
    longid[65] = '\0';
    assert_false(vn_org_id_valid(longid));
}

static void test_fields(void **state)
{
    (void)state;
    assert_true(vn_field_valid("melding", 16));
    assert_true(vn_field_valid("jeugdverpleegkundige (GGD)", 64));
    assert_false(vn_field_valid("", 16));
    assert_false(vn_field_valid("a\nb", 16));
    assert_false(vn_field_valid("toolongvalue", 4));
}

static void test_be64(void **state)
{
    (void)state;
    uint8_t b[8];
    vn_put_be64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[7], 8);
    assert_true(vn_get_be64(b) == 0x0102030405060708ull);
}

/* Real calendar days only: timegm would turn 2026-02-30 into March 2nd. */
static void test_dates(void **state)
{
    (void)state;
    uint64_t t;
    assert_int_equal(vn_date_parse("2026-02-28", &t), 0);
    assert_int_equal(t, 1772236800u);
    assert_int_equal(vn_date_parse("2024-02-29", &t), 0); /* leap year */
    assert_int_equal(vn_date_parse("1970-01-01", &t), 0);
    assert_int_equal(t, 0);
    static const char *const bad[] = {"2026-02-30", "2026-02-29", "2026-04-31", "2026-13-01",
                                      "2026-00-10", "2026-01-00", "2026-2-1", "2026-02-28x",
                                      " 2026-02-28", "20260228", "", "2100-02-29"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vn_date_parse(bad[i], &t), VN_E_INVALID);
    assert_int_equal(vn_date_parse(NULL, &t), VN_E_INVALID);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int code = VN_E_BASE + 1; code < VN_E_LAST; code++)
        assert_string_not_equal(vn_strerror(code), "unknown error");
    assert_string_equal(vn_strerror(VN_E_STORE_FULL), "storage full");
    assert_string_equal(vn_strerror(-2), "No such file or directory");
}

/* Secret files: checked on the descriptor that is read; wrong mode, not a file, too large. */
static void test_secret_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/secret", dir);
    FILE *f = fopen(path, "w");
    fputs("s3cret", f);
    fclose(f);
    uint8_t *data;
    size_t len;
    unsigned mode = 0;
    chmod(path, 0644);
    assert_int_equal(vn_read_secret_file(path, 100, &data, &len, &mode), VN_E_KEYFILE_PERMS);
    assert_int_equal(mode, 0644);
    assert_null(data);
    chmod(path, 0600);
    assert_int_equal(vn_read_secret_file(path, 100, &data, &len, &mode), 0);
    assert_int_equal(len, 6);
    assert_string_equal((char *)data, "s3cret");
    free(data);
    assert_int_equal(vn_read_secret_file(path, 5, &data, &len, NULL), VN_E_TOO_LARGE);
    assert_int_equal(vn_read_secret_file(dir, 100, &data, &len, NULL), VN_E_KEYFILE);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(vn_read_secret_file(path, 100, &data, &len, NULL), -ENOENT);
    test_tmpdir_remove(dir);
}

/* Ids' randomness: no repeats across refills of the pool, whatever the sizes drawn, and a forked
 * child does not hand out the parent's next bytes. */
static void test_random_ids(void **state)
{
    (void)state;
    enum { N = 600 };
    static uint8_t ids[N][8];
    for (int i = 0; i < N; i++) /* 4,800 bytes: nine refills of the pool */
        vn_random_id_bytes(ids[i], 8);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_memory_not_equal(ids[i], ids[j], 8);
    uint8_t big[700], big2[700]; /* larger than the pool: spans it */
    vn_random_id_bytes(big, sizeof big);
    vn_random_id_bytes(big2, sizeof big2);
    assert_memory_not_equal(big, big2, sizeof big);
    assert_memory_not_equal(big + 600, big2 + 600, 100);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t mine[8];
        vn_random_id_bytes(mine, sizeof mine);
        _exit(write(fds[1], mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 1);
    }
    uint8_t parent[8], child[8];
    vn_random_id_bytes(parent, sizeof parent);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_memory_not_equal(parent, child, sizeof parent);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_round_trip), cmocka_unit_test(test_random_ids), cmocka_unit_test(test_org_ids),
        cmocka_unit_test(test_fields), cmocka_unit_test(test_be64),
        cmocka_unit_test(test_strerror), cmocka_unit_test(test_dates),
        cmocka_unit_test(test_secret_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
