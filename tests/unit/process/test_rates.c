/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton rates import` (cn_process_rates_import) and the rates table
 * (rates.c): a file is installed only when every line is valid and it has
 * rates; each refusal names the file, the line(s), the field and what is
 * expected, and leaves the installed rates.csv as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "helpers.h"
#include "process/internal.h"

#include <cmocka.h>

static char DIR_[256], CSV[512], DEST[512], INSTALLED[600];

/* What the installed DEST/rates.csv holds before each test. */
static const char OLD[] = "# base=CNY\ndate,currency,rate\n2026-11-01,USD,7.10\n";

static int setup(void **state)
{
    (void)state;
    if (test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-rates-test", NULL, 0, NULL) != 0)
        return -1;
    snprintf(CSV, sizeof(CSV), "%s/in.csv", DIR_);
    snprintf(DEST, sizeof(DEST), "%s/data", DIR_);
    snprintf(INSTALLED, sizeof(INSTALLED), "%s/rates.csv", DEST);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", DEST);
    if (system(cmd) != 0)
        return -1;
    return test_write_file(DEST, "rates.csv", OLD);
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_teardown(DIR_, NULL);
}

/* Imports text as in.csv; returns the result, err filled. */
static int import(const char *text, size_t *n, cn_err_t *err)
{
    assert_int_equal(test_write_file(DIR_, "in.csv", text), 0);
    cn_err_clear(err);
    *n = 12345;
    return cn_process_rates_import(DEST, CSV, n, err);
}

/* The installed rates.csv still holds OLD, byte for byte, and no temp file is left. */
static void assert_installed_unchanged(void)
{
    cn_buf_t b = CN_BUF_INIT;
    assert_int_equal(cn_buf_append_file(&b, INSTALLED, 0), 0);
    assert_int_equal(b.len, sizeof(OLD) - 1);
    assert_memory_equal(b.ptr, OLD, b.len);
    cn_buf_dispose(&b);
}

/* Import of text is refused with a message holding the file name and every part. */
static void assert_refused(const char *text, const char *part1, const char *part2,
                           const char *part3)
{
    size_t n;
    cn_err_t err;
    int rc = import(text, &n, &err);
    if (rc == 0 || strstr(err.msg, CSV) == NULL || strstr(err.msg, part1) == NULL ||
        (part2 && strstr(err.msg, part2) == NULL) || (part3 && strstr(err.msg, part3) == NULL))
        fail_msg("import of:\n%s\ngave rc %d, '%s'; want '%s' '%s' '%s'", text, rc, err.msg, part1,
                 part2 ? part2 : "", part3 ? part3 : "");
    assert_installed_unchanged();
}

static void assert_imported(const char *text, size_t want)
{
    size_t n;
    cn_err_t err;
    if (import(text, &n, &err) != 0)
        fail_msg("import of:\n%s\nrefused: %s", text, err.msg);
    assert_int_equal(n, want);
}

/* Empty, blank, comment-only and header-only files are refused; the installed table stays. */
static void a_file_without_rates_is_refused_and_nothing_is_replaced(void **state)
{
    (void)state;
    const char *empty[] = {
        "",
        "\n\n  \n",
        "# base=CNY\n# nothing yet\n",
        "# base=CNY\ndate,currency,rate\n",
        "date,currency,rate\r\n",
    };
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        assert_refused(empty[i], "no rate lines", "want date,currency,rate", NULL);
}

/* Two different rates for one (date, currency) are an error naming both lines. */
static void a_duplicate_date_and_currency_names_both_lines(void **state)
{
    (void)state;
    assert_refused("# base=CNY\ndate,currency,rate\n2026-11-01,USD,7.10\n2026-11-01,EUR,7.70\n"
                   "2026-11-01,USD,7.20\n",
                   "line 5", "line 3", "USD on 2026-11-01");
    /* the message gives both rates, the later line first */
    assert_refused("2026-11-02,EUR,7.7\n\n2026-11-02,EUR,7.75\n", "line 3, rate: 7.75", "line 1",
                   "gives 7.7:");
    /* the same day in another currency, or another day, is no duplicate */
    assert_imported("2026-11-01,USD,7.1\n2026-11-01,EUR,7.7\n2026-11-02,USD,7.2\n", 3);
}

/* The same rate given twice (say, two overlapping exports joined) is kept once. */
static void a_repeated_identical_rate_is_kept_once(void **state)
{
    (void)state;
    assert_imported("# base=CNY\n2026-11-01,USD,7.10\n2026-11-01,USD,7.1\n2026-11-01,USD,7.100\n",
                    1);
    cn_rates_t *r;
    cn_err_t err;
    const char t[] = "2026-11-01,USD,7.10\n2026-11-01,USD,7.1\n2026-11-05,USD,7.3\n";
    assert_int_equal(cn_rates_parse(t, sizeof(t) - 1, &r, &err), 0);
    assert_int_equal(cn_rates_count(r), 2);
    int64_t out;
    /* 2026-11-03 12:00 UTC: the rate of 11-01; 10.0000 USD -> 71.0000 */
    assert_int_equal(
        cn_rates_convert(r, cn_str_c("USD"), cn_str_c("CNY"), 1793707200LL * 1000000, 100000, &out),
        0);
    assert_int_equal(out, 710000);
    cn_rates_free(r);
}

/* Rates can be 9e18 apart (9000000000 and 0.000000001): a conversion whose result does not fit
 * 64 bits is refused (CN_ETOOBIG) and *out left alone, never wrapped into an amount of the other
 * sign (fuzz_rates found it: 2 units came out as -446744073709551616). */
static void a_conversion_past_64_bits_is_refused_not_wrapped(void **state)
{
    (void)state;
    cn_rates_t *r;
    cn_err_t err;
    const char t[] = "# base=CNY\n2026-11-01,USD,9000000000\n2026-11-01,JPY,0.000000001\n";
    assert_int_equal(cn_rates_parse(t, sizeof(t) - 1, &r, &err), 0);
    int64_t ts = 1793707200LL * 1000000, out = 42;
    assert_int_equal(cn_rates_convert(r, cn_str_c("USD"), cn_str_c("JPY"), ts, 1, &out), 0);
    assert_int_equal(out, 9000000000000000000LL);
    out = 42;
    assert_int_equal(cn_rates_convert(r, cn_str_c("USD"), cn_str_c("JPY"), ts, 2, &out),
                     CN_ETOOBIG);
    assert_int_equal(cn_rates_convert(r, cn_str_c("USD"), cn_str_c("JPY"), ts, -2, &out),
                     CN_ETOOBIG);
    assert_int_equal(out, 42);
    /* the other way round is tiny: 2 JPY are 0 USD (rounded half away from zero) */
    assert_int_equal(cn_rates_convert(r, cn_str_c("JPY"), cn_str_c("USD"), ts, 2, &out), 0);
    assert_int_equal(out, 0);
    cn_rates_free(r);
}

/* The base is 3 upper-case letters, like every currency in the table and in hits. */
static void a_base_not_in_upper_case_is_refused(void **state)
{
    (void)state;
    assert_refused("# base=cny\n2026-11-01,USD,7.1\n", "line 1, base", "3 upper-case letters",
                   "# base=cny");
    assert_refused("\n#base=Cny\n2026-11-01,USD,7.1\n", "line 2, base", "'# base=CNY'", NULL);
    assert_refused("# base = CNY\n2026-11-01,USD,7.1\n", "line 1, base", "# base = CNY", NULL);
    assert_refused("# base=CNYX\n2026-11-01,USD,7.1\n", "line 1, base", NULL, NULL);
    assert_refused("# base=CNY\n# base=USD\n2026-11-01,EUR,7.7\n", "line 2, base", "line 1",
                   "one base");
    /* other comments, even ones starting with "base", are comments */
    assert_imported("# based on the ECB\n# base: see below\n#base=CNY\n# base=CNY\n"
                    "2026-11-01,USD,7.1\n",
                    1);
}

/* A line for the base itself must give 1. */
static void a_base_rate_other_than_1_is_refused(void **state)
{
    (void)state;
    assert_refused("# base=CNY\n2026-11-01,USD,7.1\n2026-11-01,CNY,7.1\n", "line 3, rate",
                   "want 1 for CNY", "got 7.1");
    /* before the base line too */
    assert_refused("2026-11-01,CNY,0.99\n# base=CNY\n2026-11-01,USD,7.1\n", "line 1, rate",
                   "base (line 2)", "got 0.99");
    assert_imported("# base=CNY\n2026-11-01,CNY,1\n2026-11-02,CNY,1.000\n2026-11-01,USD,7.1\n", 3);
    /* without a declared base no currency is special */
    assert_imported("2026-11-01,CNY,7.1\n", 1);
}

/* Each bad line names the file, the line, the field and what it wants. */
static void a_bad_line_names_the_field_and_what_is_expected(void **state)
{
    (void)state;
    const char *head = "# base=CNY\ndate,currency,rate\n2026-11-01,USD,7.1\n";
    char t[512];
    struct {
        const char *line, *p1, *p2, *p3;
    } cases[] = {
        {"2026-13-01,USD,7.1", "line 4, date", "want a calendar day YYYY-MM-DD", "'2026-13-01'"},
        {"2026-02-30,USD,7.1", "line 4, date", "YYYY-MM-DD", "'2026-02-30'"},
        {"2025-02-29,USD,7.1", "line 4, date", NULL, "'2025-02-29'"},
        {"26-11-01,USD,7.1", "line 4, date", NULL, "'26-11-01'"},
        {"2026-11-02,usd,7.1", "line 4, currency", "3 upper-case letters", "'usd'"},
        {"2026-11-02,US,7.1", "line 4, currency", "ISO 4217", "'US'"},
        {"2026-11-02,USD,abc", "line 4, rate", "want a positive decimal number", "'abc'"},
        {"2026-11-02,USD,0", "line 4, rate", "positive", "'0'"},
        {"2026-11-02,USD,-7.1", "line 4, rate", NULL, "'-7.1'"},
        {"2026-11-02,USD,7,1", "line 4: want 3 fields", "got 4", NULL},
        {"2026-11-02,USD", "line 4: want 3 fields", "got 2", NULL},
        {"2026-11-02,USD,99999999999", "line 4, rate", "'99999999999'", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(t, sizeof(t), "%s%s\n2026-11-03,EUR,7.7\n", head, cases[i].line);
        assert_refused(t, cases[i].p1, cases[i].p2, cases[i].p3);
    }
    /* leap days, spaces around fields, CRLF, a UTF-8 BOM and big rates are fine */
    assert_imported("\xEF\xBB\xBF"
                    "date,currency,rate\r\n2024-02-29, USD , 7.1 \r\n2026-11-01,BTC,9223372035\r\n",
                    2);
}

/* The shipped sample imports as it always did. */
static void the_sample_still_imports(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    assert_non_null(src);
    char sample[1024];
    snprintf(sample, sizeof(sample), "%s/docs/rates-sample.csv", src);
    size_t n = 0;
    cn_err_t err;
    if (cn_process_rates_import(DEST, sample, &n, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, 96);
    cn_rates_t *r;
    assert_int_equal(cn_rates_load(INSTALLED, &r, &err), 0);
    assert_int_equal(cn_rates_count(r), 96);
    cn_rates_free(r);
}

/* No rates.csv at all, or one without rate lines (an older canton installed such files), is
 * an empty table for processing: only the import refuses a file without rates. */
static void a_missing_installed_file_is_an_empty_table(void **state)
{
    (void)state;
    cn_rates_t *r;
    cn_err_t err;
    assert_int_equal(cn_rates_load(CSV, &r, &err), 0);
    assert_int_equal(cn_rates_count(r), 0);
    cn_rates_free(r);
    assert_int_equal(test_write_file(DEST, "rates.csv", "# base=CNY\ndate,currency,rate\n"), 0);
    assert_int_equal(cn_rates_load(INSTALLED, &r, &err), 0);
    assert_int_equal(cn_rates_count(r), 0);
    cn_rates_free(r);
}

/* An install that fails (here rates.csv is a folder, so the rename fails) reports the error
 * and leaves no rates.csv.tmp behind. */
static void a_failed_install_leaves_no_temp_file(void **state)
{
    (void)state;
    char cmd[1400], tmp[700];
    snprintf(cmd, sizeof(cmd), "rm -f '%s' && mkdir -p '%s/x'", INSTALLED, INSTALLED);
    assert_int_equal(system(cmd), 0);
    size_t n;
    cn_err_t err;
    assert_true(import("2026-11-01,USD,7.1\n", &n, &err) != 0);
    assert_non_null(strstr(err.msg, "rates.csv"));
    snprintf(tmp, sizeof(tmp), "%s.tmp", INSTALLED);
    assert_int_equal(access(tmp, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(a_file_without_rates_is_refused_and_nothing_is_replaced),
        T(a_duplicate_date_and_currency_names_both_lines),
        T(a_repeated_identical_rate_is_kept_once),
        T(a_conversion_past_64_bits_is_refused_not_wrapped),
        T(a_base_not_in_upper_case_is_refused),
        T(a_base_rate_other_than_1_is_refused),
        T(a_bad_line_names_the_field_and_what_is_expected),
        T(the_sample_still_imports),
        T(a_missing_installed_file_is_an_empty_table),
        T(a_failed_install_leaves_no_temp_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
