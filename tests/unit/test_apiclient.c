/* test_apiclient.c -- credentials of the agent's tcp:// local API: token files (0600, never
 * overwritten, damaged ones refused), the clients file (hashes only, errors with their line), and
 * the constant-time check. */
#include "test_harness.h"

#include <sys/stat.h>

#include "vn_apiclient.h"
#include "vn_error.h"

static char *s_dir;

static const char *s_path(const char *name)
{
    static char path[8][4200];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 4200, "%s/%s", s_dir, name);
    return p;
}

static void test_create_and_check(void **state)
{
    (void)state;
    char err[1200], name[VN_API_NAME_MAX + 1], secret[VN_API_SECRET_HEX + 1];
    const char *clients = s_path("clients"), *token = s_path("erp.token");
    assert_int_equal(vn_api_client_create(clients, "erp", token, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(token, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(vn_api_token_read(token, name, secret, err, sizeof err), 0);
    assert_string_equal(name, "erp");
    assert_int_equal(strlen(secret), VN_API_SECRET_HEX);
    vn_api_client_t *list;
    size_t n;
    assert_int_equal(vn_api_clients_load(clients, &list, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(vn_api_clients_check(list, n, "erp", secret, strlen(secret)), 0);
    /* the clients file never holds the secret itself */
    FILE *f = fopen(clients, "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_null(strstr(line, secret));
    secret[0] = secret[0] == 'a' ? 'b' : 'a';
    assert_int_equal(vn_api_clients_check(list, n, "erp", secret, strlen(secret)), -1);
    assert_int_equal(vn_api_clients_check(list, n, "other", secret, strlen(secret)), -1);
    assert_int_equal(vn_api_clients_check(list, n, "erp", "", 0), -1);
    free(list);
    /* never overwritten; a name only once */
    assert_int_equal(vn_api_client_create(clients, "second", token, err, sizeof err), VN_E_EXISTS);
    assert_int_equal(vn_api_client_create(clients, "erp", s_path("x.token"), err, sizeof err),
                     VN_E_EXISTS);
    assert_int_equal(vn_api_client_create(clients, "Bad Name", s_path("y.token"), err, sizeof err),
                     VN_E_INVALID);
}

static void test_bad_files(void **state)
{
    (void)state;
    char err[1200], name[VN_API_NAME_MAX + 1], secret[VN_API_SECRET_HEX + 1];
    const char *token = s_path("open.token");
    FILE *f = fopen(token, "w");
    fprintf(f, "vangnet-api-token erp %064d\n", 0);
    fclose(f);
    chmod(token, 0644);
    assert_int_equal(vn_api_token_read(token, name, secret, err, sizeof err), VN_E_KEYFILE_PERMS);
    chmod(token, 0600);
    assert_int_equal(vn_api_token_read(token, name, secret, err, sizeof err), 0);
    f = fopen(token, "w");
    fprintf(f, "vangnet-api-token erp 1234\n");
    fclose(f);
    assert_int_equal(vn_api_token_read(token, name, secret, err, sizeof err), VN_E_KEYFILE);
    const char *clients = s_path("bad-clients");
    f = fopen(clients, "w");
    fprintf(f, "# comment\nerp %064d\nerp %064d\n", 0, 0);
    fclose(f);
    vn_api_client_t *list;
    size_t n;
    assert_int_equal(vn_api_clients_load(clients, &list, &n, err, sizeof err), VN_E_CONFIG);
    assert_non_null(strstr(err, ":3: client erp is listed twice"));
    f = fopen(clients, "w");
    fprintf(f, "erp nothex\n");
    fclose(f);
    assert_int_equal(vn_api_clients_load(clients, &list, &n, err, sizeof err), VN_E_CONFIG);
    assert_non_null(strstr(err, ":1: expected NAME HASH"));
}

int main(void)
{
    s_dir = test_tmpdir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_check),
        cmocka_unit_test(test_bad_files),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_tmpdir_remove(s_dir);
    return failed;
}
