/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

#include <cmocka.h>

static void quote_plain_value_as_is(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("/b/ss/demo/1/JS-2.0/s1")),
                        "/b/ss/demo/1/JS-2.0/s1");
}

static void quote_space_quote_equals_and_empty(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("a b")), "\"a b\"");
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("say \"hi\"")),
                        "\"say \\\"hi\\\"\"");
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("k=v")), "\"k=v\"");
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("")), "\"\"");
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str("a\nb", 3)), "\"a\\nb\"");
}

static void quote_cuts_to_fit(void **state)
{
    (void)state;
    char out[8];
    assert_string_equal(cn_log_quote(out, sizeof(out), cn_str_c("abcdefghijkl")), "abcdefg");
    /* quoted and too long: a head of (16 - 3) / 6 = 2 bytes, still one whole quoted value */
    char big[16];
    assert_string_equal(cn_log_quote(big, sizeof(big), cn_str_c("a b c d e f g h i j")), "\"a \"");
}

static int evaluated;

static int count(void)
{
    return ++evaluated;
}

/* Runs fn with stderr sent to a temporary file; returns what was written (free it). */
static char *captured(void (*fn)(void))
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *buf = calloc(1, 4096);
    ssize_t n = pread(fd, buf, 4095, 0);
    assert_true(n >= 0);
    close(fd);
    unlink(path);
    return buf;
}

static void log_debug_and_info(void)
{
    cn_log_debug("debug line", "n=%d", count());
    cn_log_info("info line", "n=%d", count());
}

static void debug_off_writes_nothing_and_evaluates_nothing(void **state)
{
    (void)state;
    evaluated = 0;
    cn_log_set_level(CN_LOG_INFO);
    assert_false(cn_log_enabled(CN_LOG_DEBUG));
    char *out = captured(log_debug_and_info);
    assert_int_equal(evaluated, 1); /* the info line's argument only */
    assert_null(strstr(out, "debug line"));
    assert_non_null(strstr(out, "level=info msg=\"info line\" n=1\n"));
    free(out);
}

static void debug_on_writes_the_line(void **state)
{
    (void)state;
    evaluated = 0;
    cn_log_set_level(CN_LOG_DEBUG);
    assert_true(cn_log_enabled(CN_LOG_DEBUG));
    char *out = captured(log_debug_and_info);
    cn_log_set_level(CN_LOG_INFO);
    assert_int_equal(evaluated, 2);
    assert_non_null(strstr(out, "level=debug msg=\"debug line\" n=1\n"));
    assert_non_null(strstr(out, "level=info msg=\"info line\" n=2\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_plain_value_as_is),
        cmocka_unit_test(quote_space_quote_equals_and_empty),
        cmocka_unit_test(quote_cuts_to_fit),
        cmocka_unit_test(debug_off_writes_nothing_and_evaluates_nothing),
        cmocka_unit_test(debug_on_writes_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
