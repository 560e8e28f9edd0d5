/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merchandising eVar bindings carried over to later hits (src/process/merch.c):
 * a value given to a SKU in a products string (eVarN=... in the 6th field) is
 * credited to later hits that list the SKU without their own eVarN, as
 * CN_VAR_MERCH rows naming the item, until eVar N's expiry (visit by default,
 * N days, an event, a hit, never). Exact rows through a recording sink; a run
 * with a checkpoint and restart mid-visit gives the same rows as one without;
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
static uint32_t NHITS;
static memsink_t MEM; /* every row, for the restart comparison */

static int r_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    (void)ud;
    return ms_visit(&MEM, visit, r);
}

static int r_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    (void)ud;
    int rc = ms_hit(&MEM, r, out);
    NHITS++;
    return rc;
}

static int r_item(void *ud, const cn_item_row_t *r)
{
    (void)ud;
    return ms_item(&MEM, r);
}

static int r_var(void *ud, const cn_var_row_t *r)
{
    (void)ud;
    if ((r->var & CN_VAR_FAMILY_MASK) == CN_VAR_MERCH)
        cn_buf_printf(&MERCH, "%u:evar%u@%u=%.*s;", r->hit, cn_var_merch_evar(r->var),
                      cn_var_merch_item(r->var), CN_STR_FMT(r->value));
    return ms_var(&MEM, r);
}

static int r_event(void *ud, const cn_event_row_t *r)
{
    (void)ud;
    return ms_event(&MEM, r);
}

static int r_ck(void *ud, const void *blob, size_t len)
{
    (void)ud;
    return ms_checkpoint(&MEM, blob, len);
}

static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = (cn_sink_t){NULL, r_visit, r_hit, r_item, r_var, r_event, r_ck};
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
                           "unconverted_currency = keep\n";

static char DIR_[256];
static cn_conf_t *C;
static uint32_t POS;

static int setup(void **state)
{
    (void)state;
    cn_buf_init(&MERCH);
    memsink_init(&MEM);
    NHITS = 0;
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

/* One Adobe hit of visitor 42 at ts with query q (products and events given decoded in
 * the macros below). */
static void hit(cn_process_t *p, int64_t ts, const char *q)
{
    char full[2048];
    snprintf(full, sizeof(full), "g=https%%3A%%2F%%2Fshop.test%%2Fp&mid=42&%s", q);
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

/* The hits of one visit, with a checkpoint and restart after hit `cut` (or none, -1). */
static char *run_visit(int cut)
{
    static const char *const q[] = {
        VIEW_A_SEARCH "%7CeVar6%3DL",
        VIEW_B_BROWSE,
        "events=event1",
        "events=scAdd&products=%3BA%2C%3BB",
        "events=prodView&products=%3BC%3B%3B%3B%3BeVar4%3Dlist",
    };
    cn_process_t *p = open_proc();
    for (int i = 0; i < 5; i++) {
        hit(p, T0 + i * MIN, q[i]);
        if (i == cut) {
            assert_int_equal(cn_process_checkpoint(p), 0);
            cn_process_free(p);
            memsink_crash(&MEM);
            p = open_proc();
        }
    }
    buy_abc(p, T0 + 6 * MIN, "o9");
    buy_abc(p, T0 + 2 * DAY, "o10");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    char *rows = memsink_text(&MEM);
    memsink_dispose(&MEM);
    memsink_init(&MEM);
    return rows;
}

static void a_restart_mid_visit_gives_the_same_rows(void **state)
{
    (void)state;
    char *whole = run_visit(-1);
    assert_string_equal(take(), "0:evar4@0=search;0:evar6@0=L;1:evar4@0=browse;"
                                "3:evar4@0=search;3:evar6@0=L;3:evar4@1=browse;"
                                "4:evar4@0=list;"
                                "5:evar4@0=search;5:evar6@0=L;5:evar4@1=browse;5:evar4@2=list;");
    for (int cut = 0; cut < 5; cut++) {
        char dir2[256];
        cn_conf_t *c2 = NULL;
        assert_int_equal(test_dir_setup(dir2, sizeof(dir2), "/tmp/cn-merch-test", NULL, 0, &c2), 0);
        char saved[256];
        snprintf(saved, sizeof(saved), "%s", DIR_);
        snprintf(DIR_, sizeof(DIR_), "%s", dir2);
        POS = 0;
        char *resumed = run_visit(cut);
        assert_string_equal(resumed, whole);
        free(resumed);
        take();
        test_dir_teardown(DIR_, NULL);
        snprintf(DIR_, sizeof(DIR_), "%s", saved);
    }
    free(whole);
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
    uint32_t before = NHITS;
    buy_abc(p, T0 + MIN, "o11");
    assert_int_equal(NHITS, before + 1);
    assert_string_equal(take(), ""); /* the same visit, but no binding came through */
    /* a checkpoint written now is version 3 and reads back */
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
        T(a_restart_mid_visit_gives_the_same_rows),
        T(a_version_2_checkpoint_loads_with_no_bindings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
