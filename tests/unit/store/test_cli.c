/* SPDX-License-Identifier: Apache-2.0 */
/* `canton export` and `canton check` on a store written through the sink:
 * runs the real binary ($CANTON_BIN) and reads what it prints. */
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"
#include "store/store.h"

#include <cmocka.h>

static char *dir, *conf_path;

static int setup(void **state)
{
    (void)state;
    dir = tmp_data_dir();
    conf_path = malloc(strlen(dir) + 32);
    sprintf(conf_path, "%s/canton.conf", dir);
    FILE *f = fopen(conf_path, "w");
    fprintf(f, "[server]\ndata = %s\n\n[suite shop]\ntimezone = America/New_York\n", dir);
    fclose(f);
    cn_suite_conf_t suite = test_suite("America/New_York");
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.no_fsync = true;
    cn_store_t *s;
    if (cn_store_open(dir, &suite, &o, &s, NULL) != 0)
        return -1;
    cn_sink_t k = cn_store_sink(s);
    /* 2000 hits, one every 2 minutes: 2025-12-01 00:00Z .. 2025-12-03 18:38Z */
    if (t_emit(&k, 0, 2000, 120000000) != 0 || k.checkpoint(k.ud, "x", 1) != 0)
        return -1;
    /* a value that needs quoting and escaping */
    cn_visit_row_t v;
    char b[64];
    t_visit_row(400, &v, b, sizeof(b));
    if (k.visit(k.ud, 400, &v) != 0)
        return -1;
    cn_hit_row_t h;
    t_hit_row(2000, 120000000, &h, b, sizeof(b));
    h.page = CN_STR_LIT("a,b\t\"c\"\n");
    uint32_t id;
    if (k.hit(k.ud, &h, &id) != 0 || k.checkpoint(k.ud, "y", 1) != 0)
        return -1;
    cn_store_close(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(dir);
    free(dir);
    free(conf_path);
    return 0;
}

/* Runs canton with args; returns its stdout (caller frees) and exit status. */
static char *run(const char *args, int *status)
{
    const char *bin = getenv("CANTON_BIN");
    if (!bin)
        fail_msg("CANTON_BIN is not set");
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s %s --config %s 2>/dev/null", bin, args, conf_path);
    FILE *p = popen(cmd, "r");
    cn_buf_t b = CN_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        cn_buf_append(&b, chunk, n);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    cn_buf_putc(&b, '\0');
    return b.ptr;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void export_tsv_has_every_hit_of_the_days(void **state)
{
    (void)state;
    int st;
    /* local days (New York): 2025-11-30 19:00 .. the last hit */
    char *out = run("export --suite shop --from 2025-11-30 --to 2025-12-05", &st);
    assert_int_equal(st, 0);
    assert_int_equal(count_lines(out), 1 + 2001);
    assert_non_null(strstr(out, "ts\tlocal_time\tvisit\thit_num\t"));
    assert_non_null(strstr(out, "\titems\tvars\tevent_rows\n"));
    /* the first hit: 2025-12-01T00:00Z is 2025-11-30 19:00 in New York */
    assert_non_null(strstr(out, "\n1764547200000000\t2025-11-30 19:00:00\t0\t0\t"));
    assert_non_null(strstr(out, "SKU-1;;1;5.0000,SKU-2;;1;5.0000"));
    assert_non_null(strstr(out, "evar3=blue\tevent5=1.0000\n"));
    assert_non_null(strstr(out, "a,b\\t\"c\"\\n"));
    free(out);
    /* one local day only: 2025-12-01 (05:00Z to 05:00Z): 720 hits */
    out = run("export --suite shop --from 2025-12-01 --to 2025-12-01 --format csv", &st);
    assert_int_equal(st, 0);
    assert_int_equal(count_lines(out), 1 + 720);
    free(out);
    out = run("export --suite shop --from 2025-12-03 --format csv", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\"a,b\t\"\"c\"\"\n\""));
    free(out);
    out = run("export --suite shop --from 2025-12-05 --to 2025-12-01", &st);
    assert_int_equal(st, 2);
    free(out);
}

static void export_ndjson_parses(void **state)
{
    (void)state;
    int st;
    char *out = run("export --suite shop --from 2025-11-30 --to 2025-11-30 --format ndjson", &st);
    assert_int_equal(st, 0);
    size_t lines = 0;
    for (char *line = out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j)
            fail_msg("bad json line %zu: %s: %s", lines, je.text, line);
        json_int_t hn = json_integer_value(json_object_get(j, "hit_num"));
        assert_int_equal(json_integer_value(json_object_get(j, "visit")), hn / 5);
        assert_int_equal(json_integer_value(json_object_get(j, "visitor")), (hn / 5) % 1000);
        assert_string_equal(json_string_value(json_object_get(j, "channel")), "natural search");
        size_t items = json_array_size(json_object_get(j, "items"));
        assert_int_equal(items, hn % 7 == 0 ? 2 : 0);
        if (hn % 11 == 0) {
            json_t *v = json_array_get(json_object_get(j, "vars"), 0);
            assert_string_equal(json_string_value(json_object_get(v, "var")), "evar3");
            assert_string_equal(json_string_value(json_object_get(v, "value")), "blue");
        }
        json_decref(j);
        lines++;
    }
    assert_int_equal(lines, 150); /* 00:00Z..04:58Z */
    free(out);
}

static void check_passes_then_finds_a_flipped_byte(void **state)
{
    (void)state;
    int st;
    char *out = run("check --suite shop", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "shop: ok:"));
    free(out);
    char path[512];
    snprintf(path, sizeof(path), "%s/store/shop/url.dict", dir);
    int fd = open(path, O_RDWR);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, 18), 1);
    c ^= 4;
    assert_int_equal(pwrite(fd, &c, 1, 18), 1);
    out = run("check --suite shop", &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "url.dict"));
    assert_non_null(strstr(out, "DAMAGED"));
    free(out);
    c ^= 4;
    assert_int_equal(pwrite(fd, &c, 1, 18), 1);
    close(fd);
    out = run("check", &st);
    assert_int_equal(st, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(export_tsv_has_every_hit_of_the_days),
        cmocka_unit_test(export_ndjson_parses),
        cmocka_unit_test(check_passes_then_finds_a_flipped_byte),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
