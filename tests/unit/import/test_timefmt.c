/* SPDX-License-Identifier: Apache-2.0 */
/* Import time parsing: the fast paths and the small strptime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "import/internal.h"

#include <cmocka.h>

/* 2000-10-10T20:55:36Z */
#define T0 971211336LL

static int64_t clf(const char *s)
{
    int64_t us = -1;
    if (cn_import__parse_clf_time(cn_str_c(s), &us) != 0)
        return -1;
    return us;
}

static int64_t iso(const char *s)
{
    int64_t us = -1;
    if (cn_import__parse_iso_time(cn_str_c(s), &us) != 0)
        return -1;
    return us;
}

static int64_t fmt(const char *f, const char *s)
{
    cn_import_tm_t tm = {0};
    int64_t us = -1;
    if (cn_import__strptime(f, cn_str_c(s), &tm) != 0 || cn_import__tm_to_us(&tm, &us) != 0)
        return -1;
    return us;
}

static void days_from_civil_known_dates(void **state)
{
    (void)state;
    assert_int_equal(cn_import__days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cn_import__days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(cn_import__days_from_civil(2024, 2, 29), 19782);
}

static void clf_with_zone(void **state)
{
    (void)state;
    assert_int_equal(clf("10/Oct/2000:13:55:36 -0700"), T0 * 1000000);
    assert_int_equal(clf("10/Oct/2000:20:55:36 +0000"), T0 * 1000000);
    assert_int_equal(clf("10/oct/2000:22:25:36 +01:30"), T0 * 1000000);
    assert_int_equal(clf("10/Oct/2000:20:55:36"), T0 * 1000000);
    assert_int_equal(clf("10/Oct/2000:20:55:36.250 +0000"), T0 * 1000000 + 250000);
}

static void clf_rejects_bad_values(void **state)
{
    (void)state;
    assert_int_equal(clf("32/Oct/2000:13:55:36 -0700"), -1);
    assert_int_equal(clf("29/Feb/2001:13:55:36 -0700"), -1);
    assert_int_equal(clf("10/Foo/2000:13:55:36 -0700"), -1);
    assert_int_equal(clf("10/Oct/2000:24:55:36 -0700"), -1);
    assert_int_equal(clf("10/Oct/2000:13:55:36 -07"), (T0 - 0) * 1000000); /* +hh accepted */
    assert_int_equal(clf("10/Oct/2000:13:55:36 x0700"), -1);
    assert_int_equal(clf("10/Oct/2000"), -1);
    assert_int_equal(clf(""), -1);
    assert_int_equal(clf("10/Oct/1969:13:55:36 +0000"), -1);
}

static void iso_variants(void **state)
{
    (void)state;
    assert_int_equal(iso("2000-10-10T13:55:36-07:00"), T0 * 1000000);
    assert_int_equal(iso("2000-10-10T20:55:36Z"), T0 * 1000000);
    assert_int_equal(iso("2000-10-10 20:55:36"), T0 * 1000000);
    assert_int_equal(iso("2000-10-10T20:55:36.123456+00:00"), T0 * 1000000 + 123456);
    assert_int_equal(iso("2000-10-10T20:55:36+0000"), T0 * 1000000);
    assert_int_equal(iso("2000-13-10T20:55:36Z"), -1);
    assert_int_equal(iso("2000-10-10T20:55:36Zjunk"), -1);
    assert_int_equal(iso("2000-10-10"), -1);
}

static void epoch_seconds_ms_us(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(cn_import__parse_epoch(cn_str_c("971211336.123"), &us), 0);
    assert_int_equal(us, T0 * 1000000 + 123000);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("971211336123"), &us), 0);
    assert_int_equal(us, T0 * 1000000 + 123000); /* 12 digits: milliseconds */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("1700000000123"), &us), 0);
    assert_int_equal(us, 1700000000123000LL); /* 13 digits: milliseconds */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("1700000000123456"), &us), 0);
    assert_int_equal(us, 1700000000123456LL);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("17e8"), &us), CN_EPARSE);
    assert_int_equal(cn_import__parse_epoch(cn_str_c(""), &us), CN_EPARSE);
}

/* The unit by the count of digits: the one in which the number is a time in 1973..2286. */
static void epoch_digit_counts(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(cn_import__parse_epoch(cn_str_c("9999999999"), &us), 0);
    assert_int_equal(us, 9999999999000000LL); /* 10 digits: seconds, 2286-11-20 */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("1"), &us), 0);
    assert_int_equal(us, 1000000);
    /* 11 digits: past 2286 as seconds, before 1973-03 as ms: refused, not the year 2537 */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("17000000001"), &us), CN_EPARSE);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("17000000001.5"), &us), CN_EPARSE);
    /* 14 digits: the same between ms and µs */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("17000000001234"), &us), CN_EPARSE);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("170000000012345"), &us), 0);
    assert_int_equal(us, 170000000012345LL); /* 15 digits: µs, 1975 */
    /* 17 digits and more: no unit */
    assert_int_equal(cn_import__parse_epoch(cn_str_c("17000000001234567"), &us), CN_EPARSE);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("1700000000123456789"), &us), CN_EPARSE);
    assert_int_equal(cn_import__parse_epoch(cn_str_c("99999999999999999999999"), &us), CN_EPARSE);
    /* GoAccess %s takes the same rule */
    cn_import_tm_t tm = {0};
    assert_int_equal(cn_import__strptime("%s", cn_str_c("17000000001"), &tm), CN_EPARSE);
}

static void strptime_goaccess_formats(void **state)
{
    (void)state;
    assert_int_equal(fmt("%d/%b/%Y %H:%M:%S", "10/Oct/2000:20:55:36"), T0 * 1000000);
    assert_int_equal(fmt("%Y-%m-%d %H:%M:%S", "2000-10-10 20:55:36"), T0 * 1000000);
    assert_int_equal(fmt("%Y-%m-%d %T", "2000-10-10T20:55:36"), T0 * 1000000);
    assert_int_equal(fmt("%F %T %z", "2000-10-10 13:55:36 -0700"), T0 * 1000000);
    assert_int_equal(fmt("%s", "971211336"), T0 * 1000000);
    assert_int_equal(fmt("%d/%B/%Y %I:%M:%S %p", "10/October/2000 08:55:36 PM"), T0 * 1000000);
    assert_int_equal(fmt("%a, %d %b %Y %T %Z", "Tue, 10 Oct 2000 20:55:36 GMT"), T0 * 1000000);
    assert_int_equal(fmt("%D %R", "10/10/00 20:55"), (T0 - 36) * 1000000);
    assert_int_equal(fmt("%Y%m%d", "20001010"), (T0 - 20 * 3600 - 55 * 60 - 36) * 1000000);
    assert_int_equal(fmt("%Y-%m-%d %H:%M:%S.%f", "2000-10-10 20:55:36.5"), T0 * 1000000 + 500000);
}

static void strptime_rejects(void **state)
{
    (void)state;
    assert_int_equal(fmt("%Y-%m-%d", "2000-10-10x"), -1);      /* trailing text */
    assert_int_equal(fmt("%Y-%m-%d", "2000-10"), -1);          /* truncated */
    assert_int_equal(fmt("%Y-%m-%d", "2000-02-30"), -1);       /* no such day */
    assert_int_equal(fmt("%H:%M:%S", "20:55:36"), -1);         /* no date */
    assert_int_equal(fmt("%Q", "x"), -1);                      /* unknown directive */
    assert_int_equal(fmt("%F %I %p", "2000-10-10 13 PM"), -1); /* 12-hour clock */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_from_civil_known_dates), cmocka_unit_test(clf_with_zone),
        cmocka_unit_test(clf_rejects_bad_values),      cmocka_unit_test(iso_variants),
        cmocka_unit_test(epoch_seconds_ms_us),         cmocka_unit_test(epoch_digit_counts),
        cmocka_unit_test(strptime_goaccess_formats),   cmocka_unit_test(strptime_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
