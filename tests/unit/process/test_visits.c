/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Visitors and visits at their edges (docs/processing.md "Visitors", "Visits"), row by row
 * through a recording sink: the timeout to the millisecond, a cookieless visit going on over
 * midnight UTC (when the daily salt changes), hits stamped (Adobe ts) before their visitor's
 * last hit, a tracker id that appears in the middle of a visit, and a restart in the middle of
 * all that giving the rows of an uninterrupted run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "helpers.h"
#include "hit/hit.h"
#include "hit/sink.h"
#include "process/internal.h"
#include "process/process.h"

#include <cmocka.h>

#define T0  1795910400000000LL /* 2026-11-29T00:00:00Z */
#define SEC 1000000LL
#define MIN (60 * SEC)

/* --- A recording sink: one line per visit and per hit --- */

static cn_buf_t OUT;

static int r_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    (void)ud;
    cn_buf_printf(&OUT, "V%u visitor=%u num=%u start=%lld entry=%.*s\n", visit, r->visitor,
                  r->visit_num, (long long)((r->start_ts - T0) / SEC), CN_STR_FMT(r->entry_page));
    return 0;
}

/* hit times in ms from T0: the tests' times are multiples of a millisecond */
static int r_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    static uint32_t n;
    (void)ud;
    cn_buf_printf(&OUT, "  H visit=%u num=%u t=%lld %.*s\n", r->visit, r->hit_num,
                  (long long)((r->ts - T0) / 1000), CN_STR_FMT(r->page));
    *out = n++;
    return 0;
}

static int r_item(void *ud, const cn_item_row_t *r)
{
    (void)ud;
    (void)r;
    return 0;
}

static int r_var(void *ud, const cn_var_row_t *r)
{
    (void)ud;
    (void)r;
    return 0;
}

static int r_event(void *ud, const cn_event_row_t *r)
{
    (void)ud;
    (void)r;
    return 0;
}

static int r_checkpoint(void *ud, const void *blob, size_t len)
{
    (void)ud;
    (void)blob;
    (void)len;
    return 0;
}

static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud;
    (void)suite;
    *out = (cn_sink_t){NULL, r_visit, r_hit, r_item, r_var, r_event, r_checkpoint, NULL};
    return 0;
}

/* --- Fixture --- */

static const char CONF[] = "[suite shop]\n"
                           "timezone = Asia/Shanghai\n"
                           "currency = CNY\n"
                           "domains = shop.canton.test\n";

static char DIR_[256];
static cn_conf_t *C;

static int setup(void **state)
{
    (void)state;
    cn_buf_init(&OUT);
    return test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-visits-test", CONF, sizeof(CONF) - 1, &C);
}

static int teardown(void **state)
{
    (void)state;
    cn_buf_dispose(&OUT);
    return test_dir_teardown(DIR_, C);
}

static cn_process_t *open_proc(bool from_scratch)
{
    cn_sink_factory_t f = {NULL, rec_open, NULL};
    cn_process_opts_t o = {.from_scratch = from_scratch};
    cn_process_t *p;
    cn_err_t err;
    if (cn_process_new(C, NULL, DIR_, &f, &o, &p, &err) != 0)
        fail_msg("cn_process_new: %s", err.msg);
    return p;
}

static uint32_t POS;

/* An Adobe page view received at recv (µs) from ip with user agent ua; q is the rest of its
 * query. */
static void hit_ua(cn_process_t *p, const char *ip, const char *ua, int64_t recv, const char *page,
                   const char *q)
{
    char query[512];
    snprintf(query, sizeof(query), "pageName=%s&g=https%%3A%%2F%%2Fshop.canton.test%%2F%s%s", page,
             page, q);
    cn_rawhit_t r = {0};
    r.recv_us = recv;
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("shop");
    r.ip = cn_str_c(ip);
    r.ua = cn_str_c(ua);
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1");
    r.query = cn_str_c(query);
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
}

static void hit(cn_process_t *p, const char *ip, int64_t recv, const char *page, const char *q)
{
    hit_ua(p, ip, "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0", recv, page, q);
}

static void assert_rows(const char *want)
{
    cn_buf_putc(&OUT, 0);
    if (strcmp(OUT.ptr, want) != 0)
        fail_msg("rows:\n%s\nwant:\n%s", OUT.ptr, want);
    cn_buf_clear(&OUT);
}

/* --- Tests --- */

/* The timeout (30 minutes) is "longer than": a hit exactly 30 minutes after the last one is in
 * the same visit, one a millisecond later opens the next; visits go on over midnight, local
 * (16:00 UTC in Asia/Shanghai) as UTC, with a tracker id. */
static void the_timeout_is_exact_to_the_millisecond(void **state)
{
    (void)state;
    cn_process_t *p = open_proc(true);
    const char *m = "&mid=M1";
    hit(p, "203.0.113.1", T0 - 10 * MIN, "a", m);                /* 23:50 UTC */
    hit(p, "203.0.113.1", T0 + 20 * MIN, "b", m);                /* +30:00 */
    hit(p, "203.0.113.1", T0 + 50 * MIN + 1000, "c", m);         /* +30:00.001 */
    hit(p, "203.0.113.1", T0 + 16 * 60 * MIN - 5 * MIN, "d", m); /* 15:55 UTC */
    hit(p, "203.0.113.1", T0 + 16 * 60 * MIN + 5 * MIN, "e", m); /* 00:05 Shanghai */
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    assert_rows("V0 visitor=0 num=1 start=-600 entry=a\n"
                "  H visit=0 num=1 t=-600000 a\n"
                "  H visit=0 num=2 t=1200000 b\n"
                "V1 visitor=0 num=2 start=3000 entry=c\n"
                "  H visit=1 num=1 t=3000001 c\n"
                "V2 visitor=0 num=3 start=57300 entry=d\n"
                "  H visit=2 num=1 t=57300000 d\n"
                "  H visit=2 num=2 t=57900000 e\n");
}

/* A cookieless visitor's key changes with the daily salt at midnight UTC. A visit going on then
 * keeps its visitor and its visit while it lasts (Plausible looks a session up under the
 * previous salt too); once it has timed out, the browser is a new visitor of the new day. */
static void a_cookieless_visit_goes_on_over_midnight_utc(void **state)
{
    (void)state;
    cn_process_t *p = open_proc(true);
    hit(p, "198.51.100.7", T0 - MIN, "a", "");      /* 23:59 */
    hit(p, "198.51.100.7", T0 + MIN, "b", "");      /* 00:01: the same visit */
    hit(p, "198.51.100.7", T0 + 25 * MIN, "c", ""); /* still */
    hit(p, "198.51.100.8", T0 - 40 * MIN, "x", ""); /* another browser, 23:20 */
    hit(p, "198.51.100.8", T0 + 11 * MIN, "y", ""); /* 00:11, 51 minutes later: a new visitor */
    hit(p, "198.51.100.7", T0 + 56 * MIN, "d", ""); /* 31 minutes after c: the new day's key */
    hit(p, "198.51.100.7", T0 + 57 * MIN, "e", "");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    assert_rows("V0 visitor=0 num=1 start=-60 entry=a\n"
                "  H visit=0 num=1 t=-60000 a\n"
                "  H visit=0 num=2 t=60000 b\n"
                "  H visit=0 num=3 t=1500000 c\n"
                "V1 visitor=1 num=1 start=-2400 entry=x\n"
                "  H visit=1 num=1 t=-2400000 x\n"
                "V2 visitor=2 num=1 start=660 entry=y\n"
                "  H visit=2 num=1 t=660000 y\n"
                "V3 visitor=3 num=1 start=3360 entry=d\n"
                "  H visit=3 num=1 t=3360000 d\n"
                "  H visit=3 num=2 t=3420000 e\n");
    /* a restart between the two days, and a reprocess, give the same visitors */
    char *once = NULL;
    for (int round = 0; round < 2; round++) {
        POS = 0;
        p = open_proc(true);
        hit(p, "198.51.100.7", T0 - MIN, "a", "");
        assert_int_equal(cn_process_checkpoint(p), 0);
        if (round == 1) {
            cn_process_free(p);
            p = open_proc(false);
        }
        hit(p, "198.51.100.7", T0 + MIN, "b", "");
        assert_int_equal(cn_process_checkpoint(p), 0);
        cn_process_free(p);
        cn_buf_putc(&OUT, 0);
        if (round == 0)
            once = strdup(OUT.ptr);
        else
            assert_string_equal(OUT.ptr, once);
        cn_buf_clear(&OUT);
    }
    assert_string_equal(once, "V0 visitor=0 num=1 start=-60 entry=a\n"
                              "  H visit=0 num=1 t=-60000 a\n"
                              "  H visit=0 num=2 t=60000 b\n");
    free(once);
}

/* Adobe ts before the visitor's last hit: a visit's times never go back (reports read a visit's
 * hits in the order they came: a time on page or a visit duration would be negative). Within
 * the timeout the hit joins the visit at its last hit's time; further back it is a visit of
 * its own at its own time, and the next hit in order opens another. */
static void hits_stamped_before_the_last_one_keep_visits_in_time_order(void **state)
{
    (void)state;
    cn_process_t *p = open_proc(true);
    const char *m = "&mid=M2";
    char q[64];
    int64_t recv = T0 + 11 * 60 * MIN;                            /* 11:00 UTC */
    hit(p, "203.0.113.2", T0 + 10 * 60 * MIN, "a", m);            /* 10:00 */
    hit(p, "203.0.113.2", T0 + 10 * 60 * MIN + 10 * MIN, "b", m); /* 10:10 */
    snprintf(q, sizeof(q), "%s&ts=%lld", m, (long long)((T0 + 10 * 60 * MIN + 5 * MIN) / SEC));
    hit(p, "203.0.113.2", recv, "c", q); /* stamped 10:05: in the visit, at 10:10 */
    snprintf(q, sizeof(q), "%s&ts=%lld", m, (long long)((T0 + 8 * 60 * MIN) / SEC));
    hit(p, "203.0.113.2", recv, "d", q);                          /* stamped 08:00: its own visit */
    hit(p, "203.0.113.2", T0 + 10 * 60 * MIN + 12 * MIN, "e", m); /* 10:12: a new visit */
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    assert_rows("V0 visitor=0 num=1 start=36000 entry=a\n"
                "  H visit=0 num=1 t=36000000 a\n"
                "  H visit=0 num=2 t=36600000 b\n"
                "  H visit=0 num=3 t=36600000 c\n"
                "V1 visitor=0 num=2 start=28800 entry=d\n"
                "  H visit=1 num=1 t=28800000 d\n"
                "V2 visitor=0 num=3 start=36720 entry=e\n"
                "  H visit=2 num=1 t=36720000 e\n");
}

/* A tracker id that appears mid-visit (a login sets vid) is another visitor from that hit on,
 * with a visit of its own, as in Adobe without cross-device analytics: the anonymous hits
 * before keep their visitor. The id has precedence over everything else on the hit. */
static void an_id_that_appears_mid_visit_is_a_new_visitor(void **state)
{
    (void)state;
    cn_process_t *p = open_proc(true);
    hit(p, "203.0.113.3", T0 + 60 * MIN, "a", "");                    /* cookieless */
    hit(p, "203.0.113.3", T0 + 61 * MIN, "b", "&mid=M3");             /* the ECID arrives */
    hit(p, "203.0.113.3", T0 + 62 * MIN, "c", "&mid=M3&vid=user-42"); /* login */
    hit(p, "203.0.113.3", T0 + 63 * MIN, "d", "&vid=user-42");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    assert_rows("V0 visitor=0 num=1 start=3600 entry=a\n"
                "  H visit=0 num=1 t=3600000 a\n"
                "V1 visitor=1 num=1 start=3660 entry=b\n"
                "  H visit=1 num=1 t=3660000 b\n"
                "V2 visitor=2 num=1 start=3720 entry=c\n"
                "  H visit=2 num=1 t=3720000 c\n"
                "  H visit=2 num=2 t=3780000 d\n");
}

/* The memos of recent visitor ids and cookieless keys (process.c, visitor_of) are direct-mapped:
 * inputs that share a slot evict each other and keep their own visitors, hit after hit, also
 * across a restart (which starts the memos empty) and for an id too long for the memo. */
static void inputs_that_share_a_memo_slot_keep_their_visitors(void **state)
{
    (void)state;
    /* two visitor ids of one length and one slot of the id memo */
    char a[32], b[32];
    size_t first[CN_VMEMO_SLOTS];
    memset(first, 0xff, sizeof(first));
    a[0] = 0;
    for (size_t i = 0; a[0] == 0; i++) {
        snprintf(b, sizeof(b), "id-%06zu", i);
        size_t slot = cn__str_mix(cn_str_c(b)) >> 40 & (CN_VMEMO_SLOTS - 1);
        if (first[slot] != SIZE_MAX)
            snprintf(a, sizeof(a), "id-%06zu", first[slot]);
        first[slot] = i;
    }
    char qa[64], qb[64], ql[128];
    snprintf(qa, sizeof(qa), "&vid=%s", a);
    snprintf(qb, sizeof(qb), "&vid=%s", b);
    snprintf(ql, sizeof(ql), "&vid=%s%060d", a, 0); /* longer than the memo holds */
    /* two browsers behind one IP whose user agents give one slot of the cookieless memo: the
     * same length and the same bytes at the ends of the UA and of its first half */
    const char *ua1 = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0";
    const char *ua2 = "Mozilla/5.0 (X11; Linux x86_64) Chromx/156.0.0.0";
    for (int round = 0; round < 2; round++) {
        POS = 0;
        cn_process_t *p = open_proc(true);
        for (int i = 0; i < 3; i++) {
            if (round == 1 && i == 2) { /* a restart: the memos start empty */
                assert_int_equal(cn_process_checkpoint(p), 0);
                cn_process_free(p);
                p = open_proc(false);
            }
            int64_t t = T0 + i * MIN;
            hit(p, "203.0.113.9", t, "a", qa);
            hit(p, "203.0.113.9", t + 1000, "b", qb);
            hit_ua(p, "203.0.113.9", ua1, t + 2000, "c", "");
            hit_ua(p, "203.0.113.9", ua2, t + 3000, "d", "");
            hit(p, "203.0.113.9", t + 4000, "l", ql);
        }
        assert_int_equal(cn_process_checkpoint(p), 0);
        cn_process_stats_t st;
        cn_process_stats(p, &st);
        assert_int_equal(st.visitors, round == 0 ? 5 : 0); /* new ones since the restart */
        cn_process_free(p);
        assert_rows("V0 visitor=0 num=1 start=0 entry=a\n"
                    "  H visit=0 num=1 t=0 a\n"
                    "V1 visitor=1 num=1 start=0 entry=b\n"
                    "  H visit=1 num=1 t=1 b\n"
                    "V2 visitor=2 num=1 start=0 entry=c\n"
                    "  H visit=2 num=1 t=2 c\n"
                    "V3 visitor=3 num=1 start=0 entry=d\n"
                    "  H visit=3 num=1 t=3 d\n"
                    "V4 visitor=4 num=1 start=0 entry=l\n"
                    "  H visit=4 num=1 t=4 l\n"
                    "  H visit=0 num=2 t=60000 a\n"
                    "  H visit=1 num=2 t=60001 b\n"
                    "  H visit=2 num=2 t=60002 c\n"
                    "  H visit=3 num=2 t=60003 d\n"
                    "  H visit=4 num=2 t=60004 l\n"
                    "  H visit=0 num=3 t=120000 a\n"
                    "  H visit=1 num=3 t=120001 b\n"
                    "  H visit=2 num=3 t=120002 c\n"
                    "  H visit=3 num=3 t=120003 d\n"
                    "  H visit=4 num=3 t=120004 l\n");
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(the_timeout_is_exact_to_the_millisecond),
        T(a_cookieless_visit_goes_on_over_midnight_utc),
        T(hits_stamped_before_the_last_one_keep_visits_in_time_order),
        T(an_id_that_appears_mid_visit_is_a_new_visitor),
        T(inputs_that_share_a_memo_slot_keep_their_visitors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
