/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eVars, events and their credit as an Adobe Analytics admin would check them
 * (docs/processing.md "eVars, props, events"): every allocation and expiry
 * at its edges (the exact N-day boundary, a value set on the hit whose event
 * ends it, original allocation after an expiry), from= rules of context data
 * giving way to the hit's own value, serialized events (eventN:ID and the
 * commerce events' scAdd:ID; a repeat is not counted and ends no eVar or
 * merchandising binding, in a later visit and for another visitor too), an
 * event given twice, counters given a value, and bad event values. Exact rows
 * through a sink that writes them as text.
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
#define MIN 60000000LL
#define DAY (1440 * MIN)

static cn_buf_t OUT;
static uint32_t NHITS;

static int r_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    (void)ud, (void)visit, (void)r;
    return 0;
}
static int r_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    (void)ud;
    *out = NHITS++;
    cn_buf_printf(&OUT, "%u:H ev=%u;", *out, r->events);
    return 0;
}
static int r_item(void *ud, const cn_item_row_t *r)
{
    (void)ud;
    cn_buf_printf(&OUT, "%u:I %.*s;", r->hit, CN_STR_FMT(r->sku));
    return 0;
}
static int r_var(void *ud, const cn_var_row_t *r)
{
    (void)ud;
    uint32_t fam = r->var & CN_VAR_FAMILY_MASK;
    char c = fam == CN_VAR_EVAR ? 'v' : fam == CN_VAR_PROP ? 'c' : fam == CN_VAR_LIST ? 'l' : 'm';
    unsigned n = fam == CN_VAR_MERCH ? cn_var_merch_evar(r->var) : r->var & 0xffff;
    cn_buf_printf(&OUT, "%u:%c%u=%.*s;", r->hit, c, n, CN_STR_FMT(r->value));
    return 0;
}
static int r_event(void *ud, const cn_event_row_t *r)
{
    (void)ud;
    cn_buf_printf(&OUT, "%u:e%u=%lld;", r->hit, r->event, (long long)r->value);
    return 0;
}
static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = (cn_sink_t){NULL, r_visit, r_hit, r_item, r_var, r_event, NULL, NULL};
    return 0;
}
static char *take(void)
{
    static char out[8192];
    snprintf(out, sizeof(out), "%.*s", (int)OUT.len, OUT.ptr ? OUT.ptr : "");
    cn_buf_clear(&OUT);
    return out;
}

static const char CONF[] = "[suite shop]\n"
                           "currency = USD\n"
                           "unconverted_currency = keep\n"
                           "evar1 = allocation=original; expiry=1d\n"
                           "evar2 = expiry=hit\n"
                           "evar3 = expiry=event:event5\n"
                           "evar4 = allocation=original; expiry=event:purchase\n"
                           "evar5 = from=c.plan\n"
                           "evar6 = expiry=event:scAdd\n"
                           "evar7 = allocation=original; expiry=visit\n"
                           "evar8 = expiry=never\n"
                           "prop5 = from=c.plan\n"
                           "list1 = expiry=visit\n"
                           "event10 = type=currency\n"
                           "event11 = type=numeric\n";

static char DIR_[256];
static cn_conf_t *C;
static uint32_t POS;

static int setup(void **state)
{
    (void)state;
    cn_buf_init(&OUT);
    POS = 0;
    NHITS = 0;
    return test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-evars-test", CONF, sizeof(CONF) - 1, &C);
}
static int teardown(void **state)
{
    (void)state;
    cn_buf_dispose(&OUT);
    return test_dir_teardown(DIR_, C);
}
static cn_process_t *open_proc(void)
{
    cn_process_t *p = test_process_open(C, NULL, DIR_, rec_open, NULL);
    assert_non_null(p);
    return p;
}
/* One Adobe hit of visitor mid at ts with query q; returns the bad rows it made (0 or 1). */
static int hit_of(cn_process_t *p, const char *mid, int64_t ts, const char *q)
{
    char full[16384];
    snprintf(full, sizeof(full), "g=https%%3A%%2F%%2Fshop.test%%2Fp&mid=%s&%s", mid, q);
    cn_rawhit_t r = {0};
    r.recv_us = ts;
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("shop");
    r.ip = CN_STR_LIT("203.0.113.9");
    r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1");
    r.query = cn_str_c(full);
    cn_process_stats_t st0, st1;
    cn_process_stats(p, &st0);
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
    cn_process_stats(p, &st1);
    return (int)(st1.bad_rows - st0.bad_rows);
}

static int hit(cn_process_t *p, int64_t ts, const char *q)
{
    return hit_of(p, "42", ts, q);
}

/* --- Tests --- */

/* A from= rule (evar5 and prop5 from c.plan) fills the variable only when the hit does not
 * set it itself: the query's v5 or c5 wins over the context data, and the prop gets one row,
 * not two (before, the rule replaced v5's value and added a second c5 row). */
static void a_context_data_rule_gives_way_to_the_hits_own_value(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    assert_int_equal(hit(p, T0, "v5=direct&c.&plan=ctx&.c"), 0);
    assert_string_equal(take(), "0:H ev=0;0:c5=ctx;0:v5=direct;");
    assert_int_equal(hit(p, T0 + MIN, "c5=direct&c.&plan=ctx&.c"), 0);
    assert_string_equal(take(), "1:H ev=0;1:c5=direct;1:v5=ctx;");
    assert_int_equal(hit(p, T0 + 2 * MIN, "c.&plan=ctx2&.c"), 0);
    assert_string_equal(take(), "2:H ev=0;2:c5=ctx2;2:v5=ctx2;");
    cn_process_free(p);
}

/* Allocation and expiry at their edges. evar1: original, 1d (86,400 s after the hit that
 * set it, in UTC time, not calendar days: at exactly one day it is over); evar2: hit; evar7:
 * original, visit; evar3: ends after event5 (set on the hit with event5, it is credited
 * there, then ends). Original allocation keeps the first value however often another comes,
 * and after the expiry takes the next value as a new first. */
static void allocation_and_expiry_at_their_edges(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0 + 3 * MIN, "v1=A&v2=H&v7=o1");
    assert_string_equal(take(), "0:H ev=0;0:v1=A;0:v2=H;0:v7=o1;");
    hit(p, T0 + 4 * MIN, "v1=B&v7=o2&v3=x&events=event5");
    assert_string_equal(take(), "1:H ev=0;1:v1=A;1:v3=x;1:v7=o1;1:e5=10000;");
    hit(p, T0 + 5 * MIN, "v1=A"); /* the original value again: its day does not restart */
    assert_string_equal(take(), "2:H ev=0;2:v1=A;2:v7=o1;");
    hit(p, T0 + DAY + 3 * MIN - 1000, "g=x"); /* a new visit: 1 ms before A's day is over */
    assert_string_equal(take(), "3:H ev=0;3:v1=A;");
    hit(p, T0 + DAY + 3 * MIN, "g=x"); /* exactly one day after A */
    assert_string_equal(take(), "4:H ev=0;");
    hit(p, T0 + DAY + 4 * MIN, "v1=C&v7=o3");
    assert_string_equal(take(), "5:H ev=0;5:v1=C;5:v7=o3;");
    hit(p, T0 + DAY + 5 * MIN, "v1=D&v7=o4");
    assert_string_equal(take(), "6:H ev=0;6:v1=C;6:v7=o3;");
    cn_process_free(p);
}

/* Events: a counter counts 1, given =N it counts N (a decimal or negative value as given:
 * counters and numeric events are not told apart); an event listed twice counts twice; a
 * numeric value is kept to 4 decimals; a value that is not a decimal amount makes the hit a
 * bad_events bad row, as does an empty serialization id. */
static void event_values_and_an_event_given_twice(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    assert_int_equal(hit(p, T0, "events=event1%2Cevent1%3D5%2Cevent1"), 0);
    assert_string_equal(take(), "0:H ev=0;0:e1=10000;0:e1=50000;0:e1=10000;");
    assert_int_equal(hit(p, T0 + MIN, "events=event1%3D-3%2Cevent2%3D2.5%2Cevent11%3D1.23456"), 0);
    assert_string_equal(take(), "1:H ev=0;1:e1=-30000;1:e2=25000;1:e11=12346;");
    assert_int_equal(hit(p, T0 + 2 * MIN, "events=event10%3Dabc"), 1);
    assert_int_equal(hit(p, T0 + 3 * MIN, "events=event11%3D1%2C5"), 1); /* "5" is no event */
    assert_int_equal(hit(p, T0 + 4 * MIN, "events=event1%3A%20"), 1);
    assert_string_equal(take(), "");
    cn_process_free(p);
}

/* eventN:ID counts once per (N, ID) and suite, ever: not again on the same hit, in a later
 * visit, or for another visitor; the same ID for another event counts. */
static void serialized_events_count_once_ever(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "events=event1%3Aa%2Cevent1%3Aa%2Cevent2%3Aa");
    assert_string_equal(take(), "0:H ev=0;0:e1=10000;0:e2=10000;");
    hit(p, T0 + 400 * DAY, "events=event1%3Aa%2Cevent1%3Ab");
    assert_string_equal(take(), "1:H ev=0;1:e1=10000;");
    hit_of(p, "43", T0 + 400 * DAY, "events=event1%3Ab%2Cevent2%3Ab%2Cevent1");
    assert_string_equal(take(), "2:H ev=0;2:e2=10000;2:e1=10000;");
    cn_process_free(p);
}

/* Adobe serializes the cart events too (scAdd:ID...; every event but purchase, whose repeats
 * purchaseID finds): the first scAdd:k counts the cart add, a repeat does not (the hit is still
 * a hit, its flag 0), unless the hit also gives scAdd without an id; scView:k is another event.
 * Before, any commerce event with an id made the hit a bad_events bad row. purchase:ID is one,
 * naming purchaseID. */
static void serialized_commerce_events_count_once(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    assert_int_equal(hit(p, T0, "events=scAdd%3Ak&products=%3BA"), 0);
    assert_string_equal(take(), "0:H ev=2;0:I A;");
    assert_int_equal(hit(p, T0 + MIN, "events=scAdd%3Ak&products=%3BA"), 0);
    assert_string_equal(take(), "1:H ev=0;1:I A;");
    assert_int_equal(hit(p, T0 + 2 * MIN, "events=scAdd%3Ak%2CscAdd%2CscView%3Ak"), 0);
    assert_string_equal(take(), "2:H ev=10;");
    assert_int_equal(hit(p, T0 + 3 * MIN, "events=purchase%3Ax&purchaseID=x"), 1);
    assert_int_equal(hit(p, T0 + 4 * MIN, "events=scAdd%3A"), 1);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    assert_int_equal(st.bad_by_reason[CN_BADROW_BAD_EVENTS], 2);
    cn_process_free(p);
}

/* A serialized event that is a repeat is not counted, and ends nothing: evar3 (ends after
 * event5) set on a hit with a repeated event5:q stays in force; evar6 (ends after scAdd) stays
 * through a repeated scAdd:k; a merchandising binding of eVar3 stays too. The first event5:q
 * and scAdd:k end them as always. A hit whose only events are repeats gets no list rows. */
static void a_repeated_serialized_event_ends_no_evar(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "v3=y&v6=s&events=event5%3Aq%2CscAdd%3Ak");
    assert_string_equal(take(), "0:H ev=2;0:v3=y;0:v6=s;0:e5=10000;");
    hit(p, T0 + MIN, "v3=z&v6=t&events=event5%3Aq%2CscAdd%3Ak");
    assert_string_equal(take(), "1:H ev=0;1:v3=z;1:v6=t;");
    hit(p, T0 + 2 * MIN, "events=scOpen&products=%3BA%3B%3B%3B%3BeVar3%3Dm");
    assert_string_equal(take(), "2:H ev=4;2:I A;2:m3=m;2:v3=m;2:v6=t;");
    hit(p, T0 + 3 * MIN, "events=event5%3Aq&products=%3BA"); /* and a product view */
    assert_string_equal(take(), "3:H ev=1;3:I A;3:m3=m;3:v3=m;3:v6=t;");
    hit(p, T0 + 4 * MIN, "events=event5&products=%3BA");
    assert_string_equal(take(), "4:H ev=1;4:I A;4:m3=m;4:v3=m;4:v6=t;4:e5=10000;");
    hit(p, T0 + 5 * MIN, "events=scView&products=%3BA");
    assert_string_equal(take(), "5:H ev=8;5:I A;5:v6=t;");
    /* list values in force go on hits with a success event: a repeat is none */
    hit(p, T0 + 6 * MIN, "l1=i");
    assert_string_equal(take(), "6:H ev=0;6:l1=i;6:v6=t;");
    hit(p, T0 + 7 * MIN, "events=event5%3Aq%2CscAdd%3Ak");
    assert_string_equal(take(), "7:H ev=0;7:v6=t;");
    hit(p, T0 + 8 * MIN, "events=event5%3Aq%2Cevent7");
    assert_string_equal(take(), "8:H ev=0;8:l1=i;8:v6=t;8:e7=10000;");
    cn_process_free(p);
}

/* An eVar given twice in one request (v1=a&eVar1=b, v7=x&v7=y) is set with its last value,
 * as a prop is (docs/hit.md): evar1 (original) and evar7 (original) take b and y, not the
 * first value; an empty value sets nothing (before, original allocation kept the first). */
static void an_evar_given_twice_counts_with_its_last_value(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "v1=a&eVar1=b&v7=x&v7=y&v7=&v2=c&v2=d");
    assert_string_equal(take(), "0:H ev=0;0:v1=b;0:v2=d;0:v7=y;");
    hit(p, T0 + MIN, "v1=e&eVar1=f");
    assert_string_equal(take(), "1:H ev=0;1:v1=b;1:v7=y;");
    cn_process_free(p);
}

/* A repeated purchaseID is no purchase: it ends no eVar that ends on purchase (evar4), and
 * the eVars it gives are not set. */
static void a_repeated_order_ends_no_evar(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "v4=a&events=purchase&purchaseID=o1&products=%3BA%3B1%3B5");
    assert_string_equal(take(), "0:H ev=64;0:I A;0:v4=a;");
    hit(p, T0 + MIN, "v4=b");
    assert_string_equal(take(), "1:H ev=0;1:v4=b;");
    hit(p, T0 + 2 * MIN, "v4=c&events=purchase&purchaseID=o1&products=%3BA%3B1%3B5");
    assert_string_equal(take(), "2:H ev=0;2:v4=b;");
    hit(p, T0 + 3 * MIN, "g=x");
    assert_string_equal(take(), "3:H ev=0;3:v4=b;");
    cn_process_free(p);
}

/* An expiry names one event without a value or an id. */
static void an_expiry_event_takes_no_value_or_id(void **state)
{
    (void)state;
    const char *bad[] = {"[suite s]\nevar1 = expiry=event:event5=2\n",
                         "[suite s]\nevar1 = expiry=event:event5:x\n",
                         "[suite s]\nevar1 = expiry=event:scAdd:x\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_conf_t *c = NULL;
        cn_err_t err;
        assert_int_equal(cn_conf_parse("t.conf", bad[i], strlen(bad[i]), &c, &err), 0);
        cn_process_t *q = NULL;
        cn_sink_factory_t f = {NULL, rec_open, NULL};
        assert_int_not_equal(cn_process_new(c, NULL, DIR_, &f, NULL, &q, &err), 0);
        if (strstr(err.msg, "evar1") == NULL || strstr(err.msg, "unknown event in expiry") == NULL)
            fail_msg("%s: %s", bad[i], err.msg);
        cn_conf_free(c);
    }
}

/* The value pool's memo (cn__pool_intern) is direct-mapped: two values of one length in one
 * slot evict each other, and each visitor keeps the value it was given. */
static void values_that_share_a_pool_memo_slot_stay_apart(void **state)
{
    (void)state;
    char a[32], b[32];
    size_t first[CN_POOL_MEMO];
    memset(first, 0xff, sizeof(first));
    a[0] = 0;
    for (size_t i = 0; a[0] == 0; i++) {
        snprintf(b, sizeof(b), "val-%06zu", i);
        size_t slot = cn__str_mix(cn_str_c(b)) >> 40 & (CN_POOL_MEMO - 1);
        if (first[slot] != SIZE_MAX)
            snprintf(a, sizeof(a), "val-%06zu", first[slot]);
        first[slot] = i;
    }
    cn_process_t *p = open_proc();
    char q[64], want[256];
    const char *mids[] = {"41", "42", "43", "44"};
    for (int i = 0; i < 4; i++) {
        snprintf(q, sizeof(q), "v8=%s", i % 2 ? b : a);
        hit_of(p, mids[i], T0 + i * MIN, q);
    }
    for (int i = 0; i < 4; i++)
        hit_of(p, mids[i], T0 + (4 + i) * MIN, "c1=x");
    snprintf(want, sizeof(want),
             "0:H ev=0;0:v8=%s;1:H ev=0;1:v8=%s;2:H ev=0;2:v8=%s;3:H ev=0;3:v8=%s;"
             "4:H ev=0;4:c1=x;4:v8=%s;5:H ev=0;5:c1=x;5:v8=%s;6:H ev=0;6:c1=x;6:v8=%s;"
             "7:H ev=0;7:c1=x;7:v8=%s;",
             a, b, a, b, a, b, a, b);
    assert_string_equal(take(), want);
    cn_process_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_context_data_rule_gives_way_to_the_hits_own_value, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(allocation_and_expiry_at_their_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(event_values_and_an_event_given_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(serialized_events_count_once_ever, setup, teardown),
        cmocka_unit_test_setup_teardown(serialized_commerce_events_count_once, setup, teardown),
        cmocka_unit_test_setup_teardown(a_repeated_serialized_event_ends_no_evar, setup, teardown),
        cmocka_unit_test_setup_teardown(an_evar_given_twice_counts_with_its_last_value, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_repeated_order_ends_no_evar, setup, teardown),
        cmocka_unit_test_setup_teardown(an_expiry_event_takes_no_value_or_id, setup, teardown),
        cmocka_unit_test_setup_teardown(values_that_share_a_pool_memo_slot_stay_apart, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
