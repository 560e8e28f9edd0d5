/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The processing pipeline (src/process/pipe.c): cn_process_run with a worker
 * thread that decodes and enriches ahead of the state stage emits the rows of
 * a one-thread run byte for byte, over more records than the worker's ring
 * holds (Adobe hits of two suites, many cookieless visitors and user agents,
 * visit rules, purchases with a repeated order id, a record that is not a raw
 * hit, a hit for an unknown suite, purchases with no rate), with and without enrichment; and a
 * reprocessing pass (only_suite, stopping at the live checkpoint with records after it) gives
 * the suite's rows again, on one thread and on two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "enrich/enrich.h"
#include "helpers.h"
#include "hitlog/hitlog.h"
#include "process/process.h"

#include <cmocka.h>

#define T0  1795910400000000LL /* 2026-11-29T00:00:00Z */
#define SEC 1000000LL

static const char CONF[] = "[suite shop]\n"
                           "currency = CNY\n"
                           "home_country = CN\n"
                           "domains = shop.canton.test\n"
                           "new_visit_on_campaign = true\n"
                           "evar1 = allocation=original; expiry=30d\n"
                           "evar2 = expiry=hit\n"
                           "[suite usshop]\n"
                           "currency = USD\n"
                           "unconverted_currency = keep\n"
                           "new_visit_on_referrer = true\n";

static char DIR_[256];
static cn_conf_t *C;
static memsink_t MEM[2];
static cn_enrich_t *E;

static int sink_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud;
    *out = memsink_sink(&MEM[strcmp(suite->id, "shop") == 0 ? 0 : 1]);
    return 0;
}

static const char *const UAS[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "",
};

static const char *const REFS[] = {
    "", "https%3A%2F%2Fwww.google.com%2Fsearch%3Fq%3Dtea", "https%3A%2F%2Fshop.canton.test%2Fa",
    "https%3A%2F%2Fm.facebook.com%2F", "https%3A%2F%2Fnews.example.org%2Fx"};

static void append(cn_hitlog_t *log, cn_buf_t *b, int i)
{
    char q[512], ip[64];
    const char *campaign = i % 37 == 0 ? "&v0=spring" : (i % 53 == 0 ? "&v0=autumn" : "");
    const char *buy = i % 11 != 0  ? ""
                      : i % 7 == 0 ? "&events=purchase&products=Tea%3BT1%3B2%3B30.00&cc=EUR"
                                   : "&events=purchase&products=Tea%3BT1%3B2%3B30.00&cc=USD";
    snprintf(q, sizeof(q),
             "g=https%%3A%%2F%%2Fshop.canton.test%%2Fp%%2F%d%%3Futm_source%%3Dnl%d&r=%s%s%s"
             "&purchaseID=o%d&v1=first%d&v2=search%d&c1=prop%d%s",
             i % 97, i % 3, REFS[i % 5], campaign, buy, i % 40, i % 7, i % 5, i % 13,
             i % 17 == 0 ? "" : "&pageName=Page");
    snprintf(ip, sizeof(ip), "%d.%d.%d.%d", 1 + i % 200, (i * 7) % 256, (i / 5) % 256, 1 + i % 250);
    const char *suite = i % 5 == 0 ? "shop,usshop" : (i % 3 == 0 ? "usshop" : "shop");
    if (i == 700)
        suite = "nosuch";
    cn_rawhit_t r = {.recv_us = T0 + (int64_t)i * 7 * SEC,
                     .proto = CN_PROTO_ADOBE,
                     .suite = cn_str_c(suite),
                     .ip = cn_str_c(ip),
                     .ua = cn_str_c(UAS[(i / 3) % 5]),
                     .method = CN_STR_LIT("GET"),
                     .path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1"),
                     .query = cn_str_c(q)};
    cn_buf_clear(b);
    if (i == 900)
        cn_buf_append(b, "\x09junk", 5); /* not a raw hit: a bad row */
    else
        cn_rawhit_encode(&r, b);
    assert_int_equal(cn_hitlog_append_sync(log, b->ptr, b->len, NULL), 0);
}

static int setup(void **state)
{
    (void)state;
    if (test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-pipe-test", CONF, sizeof(CONF) - 1, &C) != 0)
        return -1;
    if (test_write_file(DIR_, "rates.csv",
                        "# base=CNY\ndate,currency,rate\n2026-11-01,USD,7.10\n") != 0)
        return -1;
    cn_err_t err;
    char hl[512];
    snprintf(hl, sizeof(hl), "%s/hitlog", DIR_);
    cn_hitlog_opts_t ho;
    cn_hitlog_opts_init(&ho);
    ho.buffered = true;
    cn_hitlog_t *log;
    if (cn_hitlog_open(hl, &ho, &log, NULL, &err) != 0)
        return -1;
    cn_buf_t b = CN_BUF_INIT;
    for (int i = 0; i < 3000; i++)
        append(log, &b, i);
    cn_buf_dispose(&b);
    cn_hitlog_sync(log);
    cn_hitlog_close(log);
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = C;
    if (cn_enrich_open(&eo, &E, &err) != 0) {
        fprintf(stderr, "enrichment: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_enrich_unref(E);
    return test_dir_teardown(DIR_, C);
}

/* Runs a processor over the whole hitlog; out gets both suites' rows. */
static void run(cn_enrich_t *e, unsigned threads, const char *only, cn_buf_t *out,
                cn_process_stats_t *st)
{
    for (int i = 0; i < 2; i++)
        memsink_init(&MEM[i]);
    cn_process_opts_t o = {.from_scratch = only == NULL,
                           .no_checkpoint_file = true,
                           .dry_run = true,
                           .threads = threads,
                           .only_suite = only};
    cn_err_t err;
    cn_process_t *p = test_process_open(C, e, DIR_, sink_open, &o);
    assert_non_null(p);
    char hl[512];
    snprintf(hl, sizeof(hl), "%s/hitlog", DIR_);
    assert_int_equal(cn_process_run(p, hl, NULL, &err), 0);
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_stats(p, st);
    cn_process_free(p);
    cn_buf_clear(out);
    for (int i = 0; i < 2; i++) {
        cn_buf_append(out, MEM[i].committed.ptr, MEM[i].committed.len);
        cn_buf_append(out, MEM[i].pending.ptr, MEM[i].pending.len);
        cn_buf_append_c(out, "--\n");
        memsink_dispose(&MEM[i]);
    }
}

static void two_threads_give_the_rows_of_one(void **state)
{
    (void)state;
    cn_buf_t one = CN_BUF_INIT, two = CN_BUF_INIT;
    cn_process_stats_t s1, s2;
    for (int enrich = 0; enrich < 2; enrich++) {
        run(enrich ? E : NULL, 1, NULL, &one, &s1);
        run(enrich ? E : NULL, 2, NULL, &two, &s2);
        assert_int_equal(s1.raw_hits, 3000);
        assert_true(s1.visits > 500 && s1.orders > 30 && s1.duplicate_orders > 50);
        /* the junk record, the unknown suite, EUR purchases in shop (no rate) */
        assert_int_equal(s1.bad_by_reason[CN_BADROW_BAD_RECORD], 1);
        assert_int_equal(s1.bad_by_reason[CN_BADROW_UNKNOWN_SUITE], 1);
        assert_true(s1.bad_by_reason[CN_BADROW_NO_RATE] > 3);
        assert_memory_equal(&s1, &s2, offsetof(cn_process_stats_t, checkpoints));
        assert_int_equal(one.len, two.len);
        assert_memory_equal(one.ptr, two.ptr, one.len);
        if (enrich) /* enrichment reached the rows: a country, a browser, a bot */
            assert_true(strstr(one.ptr, "\"Chrome\"") != NULL &&
                        strstr(one.ptr, "\"search-engine\"") != NULL);
    }
    cn_buf_dispose(&one);
    cn_buf_dispose(&two);
}

static void reprocessing_one_suite_gives_its_rows(void **state)
{
    (void)state;
    /* a live pass that writes its checkpoint, then one suite replayed up to it */
    for (int i = 0; i < 2; i++)
        memsink_init(&MEM[i]);
    cn_process_opts_t o = {.from_scratch = true, .threads = 1};
    cn_err_t err;
    char hl[512];
    snprintf(hl, sizeof(hl), "%s/hitlog", DIR_);
    cn_process_t *p = test_process_open(C, E, DIR_, sink_open, &o);
    assert_non_null(p);
    assert_int_equal(cn_process_run(p, hl, NULL, &err), 0);
    cn_process_free(p);
    cn_buf_t live = CN_BUF_INIT, re = CN_BUF_INIT;
    cn_buf_append(&live, MEM[1].committed.ptr, MEM[1].committed.len);
    for (int i = 0; i < 2; i++)
        memsink_dispose(&MEM[i]);
    /* records the live pass has not seen: the replay stops before them, on one thread in the
     * middle of a group of records */
    cn_hitlog_opts_t ho;
    cn_hitlog_opts_init(&ho);
    cn_hitlog_t *log;
    assert_int_equal(cn_hitlog_open(hl, &ho, &log, NULL, &err), 0);
    for (int i = 3000; i < 3037; i++)
        append(log, &re, i);
    cn_hitlog_close(log);
    for (unsigned threads = 1; threads <= 2; threads++) {
        cn_process_stats_t st;
        run(E, threads, "usshop", &re, &st);
        assert_true(live.len > 1000);
        /* re is "<shop rows>--\n<usshop rows>--\n"; shop got none */
        assert_true(re.len == live.len + 6);
        assert_memory_equal(re.ptr, "--\n", 3);
        assert_memory_equal(re.ptr + 3, live.ptr, live.len);
    }
    cn_buf_dispose(&live);
    cn_buf_dispose(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_threads_give_the_rows_of_one),
        cmocka_unit_test(reprocessing_one_suite_gives_its_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
