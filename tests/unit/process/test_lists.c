/* SPDX-License-Identifier: Apache-2.0 */
/*
 * List variables (suite key listN, docs/processing.md "List variables"): the
 * value split with the suite's delimiter; a list without settings is
 * hit-scoped and split at ',' (the rows it always had); a list that persists
 * keeps its values per visitor (visit, N days, an event, never), the most
 * recent `max`, and a hit with success events (or that sets a list) gets one
 * row per value in force. Exact rows through a recording sink; a restart
 * after each hit gives the rows of an uninterrupted run; a version 3
 * checkpoint (before list values) loads with none; a checkpoint written under
 * a higher max loads with the most recent max values; bad settings are
 * refused.
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

/* --- A sink that keeps the list and eVar rows as text: "hit:lN=value;", "hit:vN=value;" --- */

static cn_buf_t LISTS;
static memsink_t MEM; /* every row, for the restart comparison */

static void keep_list_row(const cn_var_row_t *r)
{
    uint32_t fam = r->var & CN_VAR_FAMILY_MASK;
    if (fam == CN_VAR_LIST || fam == CN_VAR_EVAR)
        cn_buf_printf(&LISTS, "%u:%c%u=%.*s;", r->hit, fam == CN_VAR_LIST ? 'l' : 'v',
                      r->var & 0xffff, CN_STR_FMT(r->value));
}

static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = memsink_sink(&MEM);
    return 0;
}

/* The list rows so far, then cleared. */
static char *take(void)
{
    static char out[8192];
    snprintf(out, sizeof(out), "%.*s", (int)LISTS.len, LISTS.ptr ? LISTS.ptr : "");
    cn_buf_clear(&LISTS);
    return out;
}

/* --- Fixture --- */

static const char CONF[] = "[suite shop]\n"
                           "currency = USD\n"
                           "list1 = name=Interests; delimiter=|; expiry=visit\n"
                           "list2 = name=Filters; expiry=2d; max=3\n"
                           "list3 = delimiter=:; expiry=event:purchase; allocation=full\n"
                           "[suite other]\n"
                           "currency = USD\n"
                           "list1 = expiry=never; max=2\n"
                           "list3 = delimiter=/; max=2\n";

static char DIR_[256];
static cn_conf_t *C;
static uint32_t POS;

static int setup(void **state)
{
    (void)state;
    cn_buf_init(&LISTS);
    memsink_init(&MEM);
    MEM.on_var = keep_list_row;
    POS = 0;
    return test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-lists-test", CONF, sizeof(CONF) - 1, &C);
}

static int teardown(void **state)
{
    (void)state;
    cn_buf_dispose(&LISTS);
    memsink_dispose(&MEM);
    return test_dir_teardown(DIR_, C);
}

static cn_process_t *open_proc(void)
{
    cn_process_t *p = test_process_open(C, NULL, DIR_, rec_open, NULL);
    assert_non_null(p);
    return p;
}

/* One Adobe hit for suite of visitor 42 at ts with query q. */
static void hit_in(cn_process_t *p, const char *suite, int64_t ts, const char *q)
{
    char full[16384];
    snprintf(full, sizeof(full), "g=https%%3A%%2F%%2Fshop.test%%2Fp&mid=42&%s", q);
    cn_rawhit_t r = {0};
    r.recv_us = ts;
    r.proto = CN_PROTO_ADOBE;
    r.suite = cn_str_c(suite);
    r.ip = CN_STR_LIT("203.0.113.9");
    r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1");
    r.query = cn_str_c(full);
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
}

static void hit(cn_process_t *p, int64_t ts, const char *q)
{
    hit_in(p, "shop", ts, q);
}

/* --- Tests --- */

/* A list without settings (other's list2) is what it always was: the hit's values split at
 * ',', trimmed, empty ones skipped, repeats kept, on that hit only; a hit-scoped list with
 * max (other's list3, '/') keeps the hit's last max values. */
static void a_list_without_settings_is_split_at_commas_on_its_hit(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit_in(p, "other", T0, "l2=a%2C%20b%2C%2Ca&l3=x%2Fy%2Fz");
    assert_string_equal(take(), "0:l2=a;0:l2=b;0:l2=a;0:l3=y;0:l3=z;");
    hit_in(p, "other", T0 + MIN, "events=event1");
    assert_string_equal(take(), "");
    hit_in(p, "other", T0 + 2 * MIN, "pe=lnk_o&l2=c%7Cd&events=purchase");
    assert_string_equal(take(), "2:l2=c|d;");
    cn_process_free(p);
}

/* list1 of shop: '|' delimiter, expiry visit. The hit that sets it and hits with events get
 * a row per value in force, oldest first; a value given again moves to the newest; a new visit
 * ends them. */
static void visit_expiry_and_a_delimiter_of_the_suite(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "l1=a%7Cb%2Cc%7C%7C");
    assert_string_equal(take(), "0:l1=a;0:l1=b,c;");
    hit(p, T0 + MIN, "pageName=Next"); /* a page view without events: no rows */
    assert_string_equal(take(), "");
    hit(p, T0 + 2 * MIN, "pe=lnk_o&events=event1");
    assert_string_equal(take(), "2:l1=a;2:l1=b,c;");
    hit(p, T0 + 3 * MIN, "l1=d%7Ca");
    assert_string_equal(take(), "3:l1=b,c;3:l1=d;3:l1=a;");
    hit(p, T0 + 4 * MIN, "events=scAdd&products=%3BSKU");
    assert_string_equal(take(), "4:l1=b,c;4:l1=d;4:l1=a;");
    hit(p, T0 + 40 * MIN, "events=event1"); /* a new visit */
    assert_string_equal(take(), "");
    cn_process_free(p);
}

/* list2 of shop: ',' delimiter, 2 days, max 3: the most recent three are kept (a hit's later
 * values are the more recent), each ends two days after it was set. */
static void days_expiry_and_max(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "l2=a%2Cb");
    assert_string_equal(take(), "0:l2=a;0:l2=b;");
    hit(p, T0 + DAY, "l2=c%2Cd");
    assert_string_equal(take(), "1:l2=b;1:l2=c;1:l2=d;");
    hit(p, T0 + 2 * DAY, "events=event1"); /* b (set on day 0) is over */
    assert_string_equal(take(), "2:l2=c;2:l2=d;");
    hit(p, T0 + 3 * DAY - MIN, "events=event2");
    assert_string_equal(take(), "3:l2=c;3:l2=d;");
    hit(p, T0 + 3 * DAY, "events=event3"); /* two days after c and d */
    assert_string_equal(take(), "");
    hit(p, T0 + 3 * DAY + MIN, "l2=p%2Cq%2Cr%2Cs%2Cq");
    assert_string_equal(take(), "5:l2=r;5:l2=s;5:l2=q;");
    cn_process_free(p);
}

/* list3 of shop: ':' delimiter, ends after the hit with a purchase, which still gets the rows.
 * Several lists in force on one hit: by list number. */
static void event_expiry_and_several_lists(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "l3=x%3Ay&l1=i");
    assert_string_equal(take(), "0:l1=i;0:l3=x;0:l3=y;");
    hit(p, T0 + MIN, "l2=f");
    assert_string_equal(take(), "1:l1=i;1:l2=f;1:l3=x;1:l3=y;");
    hit(p, T0 + 2 * MIN, "events=purchase&purchaseID=o1&products=%3BA%3B1%3B5");
    assert_string_equal(take(), "2:l1=i;2:l2=f;2:l3=x;2:l3=y;");
    hit(p, T0 + 3 * MIN, "events=event1");
    assert_string_equal(take(), "3:l1=i;3:l2=f;");
    /* a repeat of the order sets nothing: it keeps only its traffic data */
    hit(p, T0 + 4 * MIN, "events=purchase&purchaseID=o1&l3=z&products=%3BA%3B1%3B5");
    assert_string_equal(take(), "");
    hit(p, T0 + 5 * MIN, "events=event1");
    assert_string_equal(take(), "5:l1=i;5:l2=f;");
    cn_process_free(p);
}

/* other's list1: never, max 2; the values outlive visits. */
static void never_expiry_keeps_the_last_max_values(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit_in(p, "other", T0, "l1=a%2Cb%2Cc");
    assert_string_equal(take(), "0:l1=b;0:l1=c;");
    hit_in(p, "other", T0 + 400 * DAY, "events=event1");
    assert_string_equal(take(), "1:l1=b;1:l1=c;");
    hit_in(p, "other", T0 + 401 * DAY, "l1=b");
    assert_string_equal(take(), "2:l1=c;2:l1=b;");
    cn_process_free(p);
}

/* The limit on a hit's variables counts list values as the suite splits them: 1001 values
 * at ',' are a too_big bad row for other, one value for shop's list1 ('|'). */
static void too_many_values_make_a_bad_row_by_the_suites_delimiter(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    char q[8192] = "l1=";
    for (int i = 0; i < 1001; i++)
        strcat(q, i ? "%2Cv" : "v");
    hit_in(p, "other", T0, q);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    assert_int_equal(st.bad_by_reason[CN_BADROW_TOO_BIG], 1);
    assert_int_equal(st.hits, 0);
    hit(p, T0, q);
    cn_process_stats(p, &st);
    assert_int_equal(st.bad_by_reason[CN_BADROW_TOO_BIG], 1);
    assert_int_equal(st.hits, 1);
    assert_int_equal(strlen(take()), strlen("0:l1=;") + 1001 * 2 - 1);
    q[strlen(q) - 4] = 0; /* 1000 values: no longer too big */
    hit_in(p, "other", T0 + MIN, q);
    cn_process_stats(p, &st);
    assert_int_equal(st.hits, 2);
    assert_string_equal(take(), "1:l1=v;"); /* max 2, and the same value again */
    cn_process_free(p);
}

/* An imported row (canton import, export's columns): its list values are split with the
 * suite's delimiters as an Adobe hit's are. */
static void imported_rows_are_split_with_the_suites_delimiter(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    cn_rawhit_t r = {0};
    r.recv_us = T0;
    r.proto = CN_PROTO_IMPORT_ROW;
    r.suite = CN_STR_LIT("shop");
    r.method = CN_STR_LIT("GET");
    /* vars = "list1=a%7Cb,list2=x%2Cy": list1 "a|b", list2 "x,y" */
    r.query = CN_STR_LIT("type=0&url=https%3A%2F%2Fshop.test%2Fp&visitor=42"
                         "&vars=list1%3Da%257Cb%2Clist2%3Dx%252Cy");
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
    assert_string_equal(take(), "0:l1=a;0:l1=b;0:l2=x;0:l2=y;");
    cn_process_free(p);
}

/* --- Restart --- */

/* The hits q[0..n-1] a minute apart, then an order and an event two days later, with a
 * checkpoint and restart after hit `cut` (or none, -1). */
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
    hit(p, T0 + (n + 1) * MIN, "events=purchase&purchaseID=o9&products=%3BA%3B1%3B5");
    hit(p, T0 + 2 * DAY, "events=event1");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    char *rows = memsink_text(&MEM);
    memsink_dispose(&MEM);
    memsink_init(&MEM);
    MEM.on_var = keep_list_row;
    return rows;
}

static void a_restart_after_each_hit_gives_the_same_rows(void **state)
{
    (void)state;
    static const char *const q[] = {
        "l1=a%7Cb&l2=f1%2Cf2", "l3=x%3Ay", "pageName=P", "l2=f3%2Cf4&l1=a", "events=event1",
    };
    const int n = 5;
    static const char want[] = "0:l1=a;0:l1=b;0:l2=f1;0:l2=f2;"
                               "1:l1=a;1:l1=b;1:l2=f1;1:l2=f2;1:l3=x;1:l3=y;"
                               "3:l1=b;3:l1=a;3:l2=f2;3:l2=f3;3:l2=f4;3:l3=x;3:l3=y;"
                               "4:l1=b;4:l1=a;4:l2=f2;4:l2=f3;4:l2=f4;4:l3=x;4:l3=y;"
                               "5:l1=b;5:l1=a;5:l2=f2;5:l2=f3;5:l2=f4;5:l3=x;5:l3=y;"
                               "6:l2=f3;6:l2=f4;";
    char *whole = run_hits(q, n, -1);
    /* two days later: a new visit (list1 over), f2 (set on the first hit) over, not f3 and f4
     * (set on the fourth), list3 over with the order */
    assert_string_equal(take(), want);
    for (int cut = 0; cut < n; cut++) {
        char dir2[256];
        cn_conf_t *c2 = NULL;
        assert_int_equal(test_dir_setup(dir2, sizeof(dir2), "/tmp/cn-lists-test", NULL, 0, &c2), 0);
        char saved[256];
        snprintf(saved, sizeof(saved), "%s", DIR_);
        snprintf(DIR_, sizeof(DIR_), "%s", dir2);
        POS = 0;
        char *resumed = run_hits(q, n, cut);
        assert_string_equal(resumed, whole);
        free(resumed);
        cn_buf_clear(&LISTS);
        test_dir_teardown(DIR_, NULL);
        snprintf(DIR_, sizeof(DIR_), "%s", saved);
    }
    free(whole);
}

/* A version 3 checkpoint (before list values): visitor 42 in its first visit, with eVar4 and
 * no list values; a checkpoint written now is version 4 and keeps them. */
static void a_version_3_checkpoint_loads_with_no_list_values(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, T0, "l1=a&v4=e");
    assert_string_equal(take(), "0:l1=a;0:v4=e;");
    cn_process_free(p);
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append(&b, "CNPROCK1", 8);
    cn_buf_put_varint(&b, 3); /* version */
    cn_buf_put_varint(&b, 7); /* sequence */
    cn_buf_putc(&b, 1);
    cn_buf_put_varint(&b, 1);   /* segment */
    cn_buf_put_varint(&b, POS); /* offset: the hit above */
    cn_buf_put_varint(&b, 0);   /* bad-row log size */
    cn_buf_put_varint(&b, 1);   /* suites */
    cn_buf_put_varint(&b, 4);
    cn_buf_append(&b, "shop", 4);
    cn_buf_put_varint(&b, 1); /* next visit ordinal */
    cn_buf_put_varint(&b, 1); /* pool: "e" */
    cn_buf_put_varint(&b, 1);
    cn_buf_append(&b, "e", 1);
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
    cn_buf_put_varint(&b, 1);                 /* eVars: eVar4 = e */
    cn_buf_put_varint(&b, 4);
    cn_buf_put_varint(&b, 0);
    cn_buf_put_varint(&b, (uint64_t)T0 << 1);
    cn_buf_put_varint(&b, 1);
    cn_buf_put_varint(&b, 0); /* merchandising bindings */
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
    hit(p, T0 + MIN, "events=event1"); /* the same visit: eVar4 came through, list1 did not */
    assert_string_equal(take(), "1:v4=e;");
    hit(p, T0 + 2 * MIN, "l1=b");
    take();
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    p = open_proc();
    hit(p, T0 + 3 * MIN, "events=event1");
    assert_string_equal(take(), "3:l1=b;3:v4=e;");
    cn_process_free(p);
}

/* --- A lowered max --- */

static const char CONF_MAX3[] = "[suite shop]\n"
                                "currency = USD\n"
                                "list1 = expiry=never; max=3\n"
                                "list2 = expiry=visit; max=3\n"
                                "list3 = expiry=visit\n";
static const char CONF_MAX1[] = "[suite shop]\n"
                                "currency = USD\n"
                                "list1 = expiry=never; max=1\n"
                                "list2 = expiry=visit; max=2\n"
                                "list3 = expiry=visit\n";

static cn_process_t *open_conf(const cn_conf_t *c, const char *dir)
{
    cn_process_t *p = test_process_open(c, NULL, dir, rec_open, NULL);
    assert_non_null(p);
    return p;
}

/* The list rows of the hits after the first, of a run whose first hit sets the lists under
 * first_conf, then (after a checkpoint and restart when restart) goes on under conf. */
static char *lowered_max_run(const cn_conf_t *first_conf, const cn_conf_t *conf, bool restart,
                             const char *dir)
{
    static char out[8192];
    POS = 0;
    memsink_dispose(&MEM); /* hit ids from 0 */
    memsink_init(&MEM);
    MEM.on_var = keep_list_row;
    cn_process_t *p = open_conf(first_conf, dir);
    hit(p, T0, "l1=a%2Cb%2Cc&l2=p%2Cq%2Cr&l3=x%2Cy");
    take();
    if (restart) {
        assert_int_equal(cn_process_checkpoint(p), 0);
        cn_process_free(p);
        p = open_conf(conf, dir);
    }
    hit(p, T0 + MIN, "events=event1");
    hit(p, T0 + 2 * MIN, "l1=b");
    /* a checkpoint written under the lower max, and a restart under it */
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    p = open_conf(conf, dir);
    hit(p, T0 + 3 * MIN, "events=event1");
    cn_process_free(p);
    snprintf(out, sizeof(out), "%s", take());
    return out;
}

/* A checkpoint written under max=3 (list1, list2), restarted under max=1 (list1) and max=2
 * (list2): the values in force are the most recent max from the first hit after the restart
 * on, before the list is set again, and the rows are those of processing under the lower max
 * from the start. A list whose max did not change keeps all of its values. */
static void a_lowered_max_trims_the_values_of_a_checkpoint(void **state)
{
    (void)state;
    cn_conf_t *c3, *c1;
    cn_err_t err;
    assert_int_equal(cn_conf_parse("t.conf", CONF_MAX3, sizeof(CONF_MAX3) - 1, &c3, &err), 0);
    assert_int_equal(cn_conf_parse("t.conf", CONF_MAX1, sizeof(CONF_MAX1) - 1, &c1, &err), 0);
    static const char want[] = "1:l1=c;1:l2=q;1:l2=r;1:l3=x;1:l3=y;"
                               "2:l1=b;2:l2=q;2:l2=r;2:l3=x;2:l3=y;"
                               "3:l1=b;3:l2=q;3:l2=r;3:l3=x;3:l3=y;";
    assert_string_equal(lowered_max_run(c3, c1, true, DIR_), want);
    /* processing under the lower max from the start, in a folder of its own */
    char dir2[256];
    assert_int_equal(test_dir_setup(dir2, sizeof(dir2), "/tmp/cn-lists-test", NULL, 0, NULL), 0);
    assert_string_equal(lowered_max_run(c1, c1, false, dir2), want);
    test_dir_teardown(dir2, NULL);
    cn_conf_free(c3);
    cn_conf_free(c1);
}

/* A checkpoint written while eVar1 and list1 never expire, restarted with eVar1 expiring with
 * its visit and list1 with its hit: at the first hit after the restart, in the visit that the
 * values were carried into, the eVar set in the visit before and the list value are gone, as
 * they are when a hit expires them under the new settings (processing runs the visit expiry
 * only when a visit starts; the checkpoint's reader drops values that ended). */
static void a_shorter_expiry_ends_values_of_a_checkpoint(void **state)
{
    (void)state;
    static const char keep[] = "[suite shop]\ncurrency = USD\n"
                               "evar1 = expiry=never\nlist1 = expiry=never\n";
    static const char shorter[] = "[suite shop]\ncurrency = USD\n"
                                  "evar1 = expiry=visit\nlist1 = expiry=hit\n";
    cn_conf_t *ck, *cs;
    cn_err_t err;
    assert_int_equal(cn_conf_parse("t.conf", keep, sizeof(keep) - 1, &ck, &err), 0);
    assert_int_equal(cn_conf_parse("t.conf", shorter, sizeof(shorter) - 1, &cs, &err), 0);
    cn_process_t *p = open_conf(ck, DIR_);
    hit(p, T0, "v1=A&l1=x&events=event1");
    hit(p, T0 + 60 * MIN, "events=event1"); /* a visit of its own: the values carried */
    assert_string_equal(take(), "0:l1=x;0:v1=A;1:l1=x;1:v1=A;");
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    p = open_conf(cs, DIR_);
    hit(p, T0 + 61 * MIN, "events=event1"); /* the same visit */
    hit(p, T0 + 62 * MIN, "v1=B&events=event1");
    assert_string_equal(take(), "3:v1=B;");
    cn_process_free(p);
    cn_conf_free(ck);
    cn_conf_free(cs);
}

/* --- Settings --- */

static void bad_settings_are_refused_with_the_key(void **state)
{
    (void)state;
    static const struct {
        const char *value, *msg;
    } bad[] = {
        {"delimiter=ab", "[suite s] list2 = delimiter=ab: delimiter is one byte (multi-byte "
                         "delimiters are not supported)"},
        {"delimiter=\xc2\xa6", "delimiter is one byte"},
        {"max=0", "max is 1..250"},
        {"max=251", "max is 1..250"},
        {"allocation=linear", "allocation is full (linear is not offered)"},
        {"expiry=week", "expiry is hit, visit, Nd, event:NAME or never"},
        {"expiry=event:nope", "unknown event in expiry"},
        {"from=c.x", "unknown attribute 'from'"},
        {"weekly", "[suite s] list2 = weekly: 'weekly' is not an attribute=value pair"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "[suite s]\nlist2 = %s\n", bad[i].value);
        cn_conf_t *c;
        cn_err_t err;
        assert_int_equal(cn_conf_parse("t.conf", text, strlen(text), &c, &err), 0);
        cn_sink_factory_t fac = {NULL, rec_open, NULL};
        cn_process_t *p = NULL;
        assert_int_equal(cn_process_new(c, NULL, DIR_, &fac, NULL, &p, &err), CN_ECONFIG);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("%s: '%s', want '%s'", bad[i].value, err.msg, bad[i].msg);
        cn_conf_free(c);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(a_list_without_settings_is_split_at_commas_on_its_hit),
        T(visit_expiry_and_a_delimiter_of_the_suite),
        T(days_expiry_and_max),
        T(event_expiry_and_several_lists),
        T(never_expiry_keeps_the_last_max_values),
        T(too_many_values_make_a_bad_row_by_the_suites_delimiter),
        T(imported_rows_are_split_with_the_suites_delimiter),
        T(a_restart_after_each_hit_gives_the_same_rows),
        T(a_version_3_checkpoint_loads_with_no_list_values),
        T(a_lowered_max_trims_the_values_of_a_checkpoint),
        T(a_shorter_expiry_ends_values_of_a_checkpoint),
        T(bad_settings_are_refused_with_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
