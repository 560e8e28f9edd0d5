/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merchandising eVar bindings carried over to later hits (src/process/merch.c):
 * a value given to a SKU in a products string (eVarN=... in the 6th field) is
 * credited to later hits that list the SKU without their own eVarN, as
 * CN_VAR_MERCH rows naming the item, until eVar N's expiry (visit by default,
 * N days, an event, a hit, never), with the eVar's allocation (most recent:
 * a newer value replaces the bound one; original: the first stays until it
 * ends). Exact rows through a recording sink; a run with a checkpoint and
 * restart mid-visit gives the same rows as one without;
 * a version 2 checkpoint (before bindings) loads as "no bindings".
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
#include "lib/crc32c.h"
#include "process/internal.h"
#include "process/process.h"

#include <cmocka.h>

#define T0  1795910400000000LL /* 2026-11-29T00:00:00Z */
#define MIN 60000000LL
#define DAY (1440 * MIN)

/* --- A sink that keeps the merchandising rows as text: "hit:evarN@K=value;" --- */

static cn_buf_t MERCH;
static memsink_t MEM; /* every row, for the restart comparison */

static void keep_merch_row(const cn_var_row_t *r)
{
    if ((r->var & CN_VAR_FAMILY_MASK) == CN_VAR_MERCH)
        cn_buf_printf(&MERCH, "%u:evar%u@%u=%.*s;", r->hit, cn_var_merch_evar(r->var),
                      cn_var_merch_item(r->var), CN_STR_FMT(r->value));
}

static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = memsink_sink(&MEM);
    return 0;
}

/* The merchandising rows so far, then cleared. */
static char *take(void)
{
    static char out[4096];
    snprintf(out, sizeof(out), "%.*s", (int)MERCH.len, MERCH.ptr ? MERCH.ptr : "");
    cn_buf_clear(&MERCH);
    return out;
}

/* --- Fixture --- */

static const char CONF[] = "[suite shop]\n"
                           "currency = USD\n"
                           "evar6 = name=Size; expiry=2d\n"
                           "evar7 = expiry=event:purchase\n"
                           "evar8 = expiry=hit\n"
                           "evar9 = expiry=never\n"
                           "evar10 = allocation=original\n"
                           "evar11 = allocation=original; expiry=2d\n"
                           "evar12 = allocation=original; expiry=event:purchase\n"
                           "unconverted_currency = keep\n";

static char DIR_[256];
static cn_conf_t *C;
static uint32_t POS;

static int setup(void **state)
{
    (void)state;
    cn_buf_init(&MERCH);
    memsink_init(&MEM);
    MEM.on_var = keep_merch_row;
    POS = 0;
    return test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-merch-test", CONF, sizeof(CONF) - 1, &C);
}

static int teardown(void **state)
{
    (void)state;
    cn_buf_dispose(&MERCH);
    memsink_dispose(&MEM);
    return test_dir_teardown(DIR_, C);
}

static cn_process_t *open_proc(void)
{
    cn_process_t *p = test_process_open(C, NULL, DIR_, rec_open, NULL);
    assert_non_null(p);
    return p;
}

/* One Adobe hit of visitor mid at ts with query q (products and events given decoded in
 * the macros below). */
static void hit_as(cn_process_t *p, int64_t ts, const char *mid, const char *q)
{
    char full[2048];
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
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
}

/* One hit of visitor 42. */
static void hit(cn_process_t *p, int64_t ts, const char *q)
{
    hit_as(p, ts, "42", q);
}

/* products strings, percent-encoded: ";" %3B, "," %2C, "=" %3D, "|" %7C */
#define VIEW_A_SEARCH "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dsearch"
#define VIEW_B_BROWSE "events=prodView&products=Mugs%3BB%3B%3B%3B%3BeVar4%3Dbrowse"
#define BUY_ABC                                                                                    \
    "events=purchase&purchaseID=%s&products=%%3BA%%3B2%%3B20%%2C%%3BB%%3B1%%3B5%%2C%%3BC%%3B1%%"   \
    "3B7"

static void buy_abc(cn_process_t *p, int64_t ts, const char *order)
{
    char q[512];
    snprintf(q, sizeof(q), BUY_ABC, order);
    hit(p, ts, q);
}

/* --- Tests --- */

static void binding_carries_to_a_later_purchase_of_the_same_sku(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, VIEW_A_SEARCH);
    /* the hit's own row (as before): item 0 */
    assert_string_equal(take(), "0:evar4@0=search;");
    hit(p, T0 + MIN, VIEW_B_BROWSE);
    assert_string_equal(take(), "1:evar4@0=browse;");
    hit(p, T0 + 2 * MIN, "events=event1"); /* no products: nothing */
    assert_string_equal(take(), "");
    /* A (item 0) was found by search, B (item 1) by browse, C (item 2) has no binding */
    buy_abc(p, T0 + 3 * MIN, "o1");
    assert_string_equal(take(), "3:evar4@0=search;3:evar4@1=browse;");
    /* a cart add of B later in the visit: still browse */
    hit(p, T0 + 4 * MIN, "events=scAdd&products=%3BB");
    assert_string_equal(take(), "4:evar4@0=browse;");
    cn_process_free(p);
}

static void binding_is_per_sku_and_replaced_by_a_newer_value(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, VIEW_A_SEARCH);
    hit(p, T0 + MIN, "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dlist%7CeVar9%3Dred");
    take();
    /* another SKU: nothing */
    hit(p, T0 + 2 * MIN, "events=prodView&products=%3BZ");
    assert_string_equal(take(), "");
    /* most recent: list replaced search; eVar9 rows follow eVar4 (eVar order) */
    hit(p, T0 + 3 * MIN, "events=purchase&purchaseID=o2&products=%3BZ%3B1%3B3%2C%3BA%3B1%3B10");
    assert_string_equal(take(), "3:evar4@1=list;3:evar9@1=red;");
    /* an item that gives its own value keeps it (its own row only) and rebinds the SKU */
    hit(p, T0 + 4 * MIN, "events=scAdd&products=%3BA%3B%3B%3B%3BeVar4%3Dreco");
    assert_string_equal(take(), "4:evar4@0=reco;4:evar9@0=red;");
    hit(p, T0 + 5 * MIN, "events=scAdd&products=%3BA%2C%3BA");
    assert_string_equal(take(), "5:evar4@0=reco;5:evar9@0=red;5:evar4@1=reco;5:evar9@1=red;");
    cn_process_free(p);
}

static void binding_ends_with_the_visit_by_default(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, VIEW_A_SEARCH "%7CeVar9%3Dnever");
    take();
    /* 31 minutes later: a new visit; eVar4 (visit) ended, eVar9 (never) did not */
    buy_abc(p, T0 + 31 * MIN, "o3");
    assert_string_equal(take(), "1:evar9@0=never;");
    cn_process_free(p);
}

static void binding_ends_after_n_days_when_configured(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "events=prodView&products=%3BA%3B%3B%3B%3BeVar6%3DM");
    take();
    /* evar6 = expiry=2d: a visit a day later still has it */
    buy_abc(p, T0 + DAY, "o4");
    assert_string_equal(take(), "1:evar6@0=M;");
    /* two days after it was set: gone */
    buy_abc(p, T0 + 2 * DAY, "o5");
    assert_string_equal(take(), "");
    cn_process_free(p);
}

static void binding_ends_on_its_event_and_never_outlives_its_hit(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "events=prodView&products=%3BA%3B%3B%3B%3BeVar7%3Dpromo%7CeVar8%3Donce");
    assert_string_equal(take(), "0:evar7@0=promo;0:evar8@0=once;");
    /* evar8 (expiry=hit) is not carried; evar7 is, up to and including the purchase */
    hit(p, T0 + MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "1:evar7@0=promo;");
    buy_abc(p, T0 + 2 * MIN, "o6");
    assert_string_equal(take(), "2:evar7@0=promo;");
    buy_abc(p, T0 + 3 * MIN, "o7");
    assert_string_equal(take(), "");
    /* a purchase without products ends it too */
    hit(p, T0 + 4 * MIN, "events=prodView&products=%3BA%3B%3B%3B%3BeVar7%3Dpromo2");
    take();
    hit(p, T0 + 5 * MIN, "events=purchase&purchaseID=o8");
    hit(p, T0 + 6 * MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "");
    cn_process_free(p);
}

/* evar4 (most recent) and evar10 (original, visit) given the same values on the same hits */
static void original_allocation_keeps_the_first_value_most_recent_the_last(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dsearch%7CeVar10%3Dsearch");
    assert_string_equal(take(), "0:evar4@0=search;0:evar10@0=search;");
    /* a later value for A: its own rows as ever; only evar4's binding follows it */
    hit(p, T0 + MIN, "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dlist%7CeVar10%3Dlist");
    assert_string_equal(take(), "1:evar4@0=list;1:evar10@0=list;");
    hit(p, T0 + 2 * MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "2:evar4@0=list;2:evar10@0=search;");
    /* one hit: item 1 gives reco itself, item 0 is carried (most recent: reco, this hit's) */
    hit(p, T0 + 3 * MIN,
        "events=scAdd&products=%3BA%2C%3BA%3B%3B%3B%3BeVar4%3Dreco%7CeVar10%3Dreco");
    assert_string_equal(take(), "3:evar4@1=reco;3:evar10@1=reco;3:evar4@0=reco;3:evar10@0=search;");
    /* a SKU first bound twice on one hit: original keeps the first item's, most recent the
     * last's */
    hit(p, T0 + 4 * MIN,
        "events=prodView&products=%3BB%3B%3B%3B%3BeVar4%3Dx%7CeVar10%3Dx%2C%3BB%3B%3B%3B%3BeVar4%"
        "3Dy%7CeVar10%3Dy%2C%3BB");
    assert_string_equal(take(), "4:evar4@0=x;4:evar10@0=x;4:evar4@1=y;4:evar10@1=y;"
                                "4:evar4@2=y;4:evar10@2=x;");
    hit(p, T0 + 5 * MIN, "events=purchase&purchaseID=o20&products=%3BB%3B1%3B3%2C%3BA%3B1%3B10");
    assert_string_equal(take(), "5:evar4@0=y;5:evar10@0=x;5:evar4@1=reco;5:evar10@1=search;");
    cn_process_free(p);
}

/* Once an original binding has ended (visit, N days, event), the next value is the new first */
static void original_allocation_takes_a_new_first_value_after_expiry(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "events=prodView&products=%3BA%3B%3B%3B%3BeVar10%3Dv1%7CeVar11%3DM%7CeVar12%3Dp1");
    take();
    hit(p, T0 + MIN,
        "events=prodView&products=%3BA%3B%3B%3B%3BeVar10%3Dv2%7CeVar11%3DL%7CeVar12%3Dp2");
    assert_string_equal(take(), "1:evar10@0=v2;1:evar11@0=L;1:evar12@0=p2;");
    /* the purchase is credited to the first values; eVar12 ends after it */
    hit(p, T0 + 2 * MIN, "events=purchase&purchaseID=o21&products=%3BA%3B1%3B10");
    assert_string_equal(take(), "2:evar10@0=v1;2:evar11@0=M;2:evar12@0=p1;");
    hit(p, T0 + 3 * MIN, "events=prodView&products=%3BA%3B%3B%3B%3BeVar12%3Dp3");
    assert_string_equal(take(), "3:evar12@0=p3;3:evar10@0=v1;3:evar11@0=M;");
    hit(p, T0 + 4 * MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "4:evar10@0=v1;4:evar11@0=M;4:evar12@0=p3;");
    /* a new visit a day later: eVar10 (visit) ended, its next value is bound; eVar11 (2d)
     * keeps M, the clock running from the first value (a later value does not restart it) */
    hit(p, T0 + DAY, "events=prodView&products=%3BA%3B%3B%3B%3BeVar10%3Dv3%7CeVar11%3DS");
    assert_string_equal(take(), "5:evar10@0=v3;5:evar11@0=S;5:evar12@0=p3;");
    hit(p, T0 + DAY + MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "6:evar10@0=v3;6:evar11@0=M;6:evar12@0=p3;");
    /* two days after M was set (not after L or S): ended, so the next value is bound */
    hit(p, T0 + 2 * DAY, "events=prodView&products=%3BA%3B%3B%3B%3BeVar11%3DXL");
    assert_string_equal(take(), "7:evar11@0=XL;7:evar12@0=p3;");
    hit(p, T0 + 2 * DAY + MIN, "events=scAdd&products=%3BA");
    assert_string_equal(take(), "8:evar11@0=XL;8:evar12@0=p3;");
    cn_process_free(p);
}

/* Visitors' bindings are kept apart, however their storage is reused: visitor 1 grows past
 * its first two bindings, visitor 2's first takes the room it left, visitor 3 gets new room;
 * the visitors without bindings (4) get nothing; all of it survives a restart. */
static void bindings_of_several_visitors_stay_apart(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit_as(p, T0, "1", "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Da1%7CeVar9%3Dn1");
    hit_as(p, T0 + MIN, "2", "events=prodView&products=%3BC%3B%3B%3B%3BeVar4%3Dc2");
    hit_as(p, T0 + 2 * MIN, "1", "events=prodView&products=%3BB%3B%3B%3B%3BeVar4%3Db1");
    hit_as(p, T0 + 3 * MIN, "3", "events=prodView&products=%3BD%3B%3B%3B%3BeVar4%3Dd3");
    hit_as(p, T0 + 4 * MIN, "2", "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Da2");
    take();
    for (int restart = 0; restart < 2; restart++) {
        const char *const buy = "events=scAdd&products=%3BA%2C%3BB%2C%3BC%2C%3BD";
        uint32_t h0 = MEM.hits;
        hit_as(p, T0 + (5 + restart) * MIN, "1", buy);
        hit_as(p, T0 + (5 + restart) * MIN, "2", buy);
        hit_as(p, T0 + (5 + restart) * MIN, "3", buy);
        hit_as(p, T0 + (5 + restart) * MIN, "4", buy);
        char want[512];
        snprintf(want, sizeof(want),
                 "%u:evar4@0=a1;%u:evar9@0=n1;%u:evar4@1=b1;%u:evar4@0=a2;%u:evar4@2=c2;"
                 "%u:evar4@3=d3;",
                 h0, h0, h0, h0 + 1, h0 + 1, h0 + 2);
        assert_string_equal(take(), want);
        assert_int_equal(cn_process_checkpoint(p), 0);
        cn_process_free(p);
        p = open_proc();
    }
    cn_process_free(p);
}

/* The hits q[0..n-1] of one visit a minute apart, then two orders of A, B and C (the second
 * two days later), with a checkpoint and restart after hit `cut` (or none, -1). */
static char *run_hits(const char *const *q, int n, int cut)
{
    cn_process_t *p = open_proc();
    for (int i = 0; i < n; i++) {
        hit(p, T0 + i * MIN, q[i]);
        if (i == cut) {
            assert_int_equal(cn_process_checkpoint(p), 0);
            cn_process_free(p);
            memsink_crash(&MEM);
            p = open_proc();
        }
    }
    buy_abc(p, T0 + (n + 1) * MIN, "o9");
    buy_abc(p, T0 + 2 * DAY, "o10");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    char *rows = memsink_text(&MEM);
    memsink_dispose(&MEM);
    memsink_init(&MEM);
    MEM.on_var = keep_merch_row;
    return rows;
}

/* Runs q once uninterrupted (its merchandising rows must be want), then with a restart after
 * each hit in turn: every run gives the same rows, byte for byte. */
static void same_rows_with_a_restart_after_each_hit(const char *const *q, int n, const char *want)
{
    char *whole = run_hits(q, n, -1);
    assert_string_equal(take(), want);
    for (int cut = 0; cut < n; cut++) {
        char dir2[256];
        cn_conf_t *c2 = NULL;
        assert_int_equal(test_dir_setup(dir2, sizeof(dir2), "/tmp/cn-merch-test", NULL, 0, &c2), 0);
        char saved[256];
        snprintf(saved, sizeof(saved), "%s", DIR_);
        snprintf(DIR_, sizeof(DIR_), "%s", dir2);
        POS = 0;
        char *resumed = run_hits(q, n, cut);
        assert_string_equal(resumed, whole);
        assert_string_equal(take(), want);
        free(resumed);
        test_dir_teardown(DIR_, NULL);
        snprintf(DIR_, sizeof(DIR_), "%s", saved);
    }
    free(whole);
}

static void a_restart_mid_visit_gives_the_same_rows(void **state)
{
    (void)state;
    static const char *const q[] = {
        VIEW_A_SEARCH "%7CeVar6%3DL",
        VIEW_B_BROWSE,
        "events=event1",
        "events=scAdd&products=%3BA%2C%3BB",
        "events=prodView&products=%3BC%3B%3B%3B%3BeVar4%3Dlist",
    };
    same_rows_with_a_restart_after_each_hit(
        q, 5,
        "0:evar4@0=search;0:evar6@0=L;1:evar4@0=browse;"
        "3:evar4@0=search;3:evar6@0=L;3:evar4@1=browse;"
        "4:evar4@0=list;"
        "5:evar4@0=search;5:evar6@0=L;5:evar4@1=browse;5:evar4@2=list;");
}

static void a_restart_keeps_original_values(void **state)
{
    (void)state;
    static const char *const q[] = {
        "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dsearch%7CeVar10%3Ds1%7CeVar11%3DM",
        "events=prodView&products=%3BA%3B%3B%3B%3BeVar4%3Dlist%7CeVar10%3Ds2%7CeVar11%3DL",
        "events=scAdd&products=%3BA%2C%3BB%3B%3B%3B%3BeVar10%3Db1%7CeVar12%3Dp1",
        "events=prodView&products=%3BB%3B%3B%3B%3BeVar10%3Db2%7CeVar12%3Dp2%2C%3BC%3B%3B%3B%"
        "3BeVar11%"
        "3DS",
        "events=prodView&products=%3BC%3B%3B%3B%3BeVar11%3DXS",
    };
    same_rows_with_a_restart_after_each_hit(
        q, 5,
        "0:evar4@0=search;0:evar10@0=s1;0:evar11@0=M;"
        "1:evar4@0=list;1:evar10@0=s2;1:evar11@0=L;"
        "2:evar10@1=b1;2:evar12@1=p1;2:evar4@0=list;2:evar10@0=s1;2:evar11@0=M;"
        "3:evar10@0=b2;3:evar12@0=p2;3:evar11@1=S;"
        "4:evar11@0=XS;"
        /* the order of A, B and C: the first values; two days after the first hit, C's S
         * (set at minute 3) is the only one left */
        "5:evar4@0=list;5:evar10@0=s1;5:evar11@0=M;5:evar10@1=b1;5:evar12@1=p1;5:evar11@2=S;"
        "6:evar11@2=S;");
}

/* A version 2 checkpoint (before bindings): visitor 42 in its first visit, no bindings. */
static void a_version_2_checkpoint_loads_with_no_bindings(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, VIEW_A_SEARCH);
    take();
    cn_process_free(p);
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append(&b, "CNPROCK1", 8);
    cn_buf_put_varint(&b, 2); /* version */
    cn_buf_put_varint(&b, 7); /* sequence */
    cn_buf_putc(&b, 1);
    cn_buf_put_varint(&b, 1);   /* segment */
    cn_buf_put_varint(&b, POS); /* offset: the hit above */
    cn_buf_put_varint(&b, 0);   /* bad-row log size */
    cn_buf_put_varint(&b, 1);   /* suites */
    cn_buf_put_varint(&b, 4);
    cn_buf_append(&b, "shop", 4);
    cn_buf_put_varint(&b, 1); /* next visit ordinal */
    cn_buf_put_varint(&b, 1); /* pool: "search" */
    cn_buf_put_varint(&b, 6);
    cn_buf_append(&b, "search", 6);
    cn_buf_put_varint(&b, 1); /* visitors */
    cn_key_t k = cn_key_of(0x7669736974, CN_STR_LIT("42"));
    cn_buf_put_u64le(&b, k.a);
    cn_buf_put_u64le(&b, k.b);
    cn_buf_put_varint(&b, (uint64_t)T0 << 1); /* last_ts, zigzag */
    cn_buf_put_varint(&b, 1);                 /* visit_num */
    cn_buf_put_varint(&b, 0);                 /* visit */
    cn_buf_put_varint(&b, 1);                 /* hit_num */
    cn_buf_put_varint(&b, 0);                 /* visit_campaign */
    cn_buf_put_varint(&b, 0);                 /* visit_ref */
    cn_buf_put_varint(&b, 1);                 /* eVars: eVar4 = search */
    cn_buf_put_varint(&b, 4);
    cn_buf_put_varint(&b, 0);
    cn_buf_put_varint(&b, (uint64_t)T0 << 1);
    cn_buf_put_varint(&b, 1);
    cn_buf_put_varint(&b, 0); /* orders */
    cn_buf_put_varint(&b, 0); /* serials */
    cn_buf_put_u32le(&b, cn_crc32c(0, b.ptr, b.len));
    char path[512];
    snprintf(path, sizeof(path), "%s/process/checkpoint", DIR_);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.ptr, 1, b.len, f), b.len);
    fclose(f);
    cn_buf_dispose(&b);

    p = open_proc();
    uint32_t before = MEM.hits;
    buy_abc(p, T0 + MIN, "o11");
    assert_int_equal(MEM.hits, before + 1);
    assert_string_equal(take(), ""); /* the same visit, but no binding came through */
    /* a checkpoint written now (the current version) reads back */
    hit(p, T0 + 2 * MIN, VIEW_B_BROWSE);
    take();
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    p = open_proc();
    buy_abc(p, T0 + 3 * MIN, "o12");
    assert_string_equal(take(), "3:evar4@1=browse;");
    cn_process_free(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(binding_carries_to_a_later_purchase_of_the_same_sku),
        T(binding_is_per_sku_and_replaced_by_a_newer_value),
        T(binding_ends_with_the_visit_by_default),
        T(binding_ends_after_n_days_when_configured),
        T(binding_ends_on_its_event_and_never_outlives_its_hit),
        T(original_allocation_keeps_the_first_value_most_recent_the_last),
        T(original_allocation_takes_a_new_first_value_after_expiry),
        T(a_restart_mid_visit_gives_the_same_rows),
        T(a_restart_keeps_original_values),
        T(bindings_of_several_visitors_stay_apart),
        T(a_version_2_checkpoint_loads_with_no_bindings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
