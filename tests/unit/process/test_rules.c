/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Processing rules configured per suite: excluded IPs (bad rows with reason
 * excluded_ip), visit splitting on a campaign change or an external referrer
 * (new_visit_on_campaign, new_visit_on_referrer; both survive a checkpoint
 * and restart), and merchandising eVars of the products string bound to their
 * item rows (var rows of family CN_VAR_MERCH). Exact rows, through a
 * recording sink, with and without the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "enrich/enrich.h"
#include "helpers.h"
#include "hit/hit.h"
#include "hit/sink.h"
#include "process/process.h"

#include <cmocka.h>

#define T0  1795910400000000LL /* 2026-11-29T00:00:00Z */
#define MIN 60000000LL

/* --- A recording sink: one line per row --- */

typedef struct rec {
    char visits[32][160]; /* "visit_ordinal visit_num campaign ref_domain" */
    int nvisits;
    uint32_t hit_visit[64]; /* visit ordinal of each hit */
    int nhits;
    char items[32][64]; /* "hit sku" */
    int nitems;
    char vars[64][96]; /* "hit family:detail=value" */
    int nvars;
} rec_t;

static rec_t REC[2];

static int r_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    rec_t *s = ud;
    snprintf(s->visits[s->nvisits++], 160, "%u %u %.*s %.*s", visit, r->visit_num,
             CN_STR_FMT(r->campaign), CN_STR_FMT(r->ref_domain));
    return 0;
}

static int r_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    rec_t *s = ud;
    s->hit_visit[s->nhits] = r->visit;
    *out = (uint32_t)s->nhits++;
    return 0;
}

static int r_item(void *ud, const cn_item_row_t *r)
{
    rec_t *s = ud;
    snprintf(s->items[s->nitems++], 64, "%u %.*s", r->hit, CN_STR_FMT(r->sku));
    return 0;
}

static int r_var(void *ud, const cn_var_row_t *r)
{
    rec_t *s = ud;
    char *out = s->vars[s->nvars++];
    if ((r->var & CN_VAR_FAMILY_MASK) == CN_VAR_MERCH)
        snprintf(out, 96, "%u merch:evar%u@item%u=%.*s", r->hit, cn_var_merch_evar(r->var),
                 cn_var_merch_item(r->var), CN_STR_FMT(r->value));
    else
        snprintf(out, 96, "%u %x=%.*s", r->hit, r->var, CN_STR_FMT(r->value));
    return 0;
}

static int r_event(void *ud, const cn_event_row_t *r)
{
    (void)ud;
    (void)r;
    return 0;
}

static int rec_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud;
    int i = strcmp(suite->id, "shop") == 0 ? 0 : 1;
    *out = (cn_sink_t){&REC[i], r_visit, r_hit, r_item, r_var, r_event, NULL, NULL};
    return 0;
}

/* --- Fixture --- */

static const char CONF[] = "[suite shop]\n"
                           "domains = shop.canton.test\n"
                           "exclude_ips = 10.0.0.0/8, 192.0.2.7, 2001:db8::/32\n"
                           "new_visit_on_campaign = yes\n"
                           "new_visit_on_referrer = yes\n"
                           "[suite plain]\n"
                           "domains = shop.canton.test\n"
                           "visit_timeout = 10m\n";

static char DIR_[256];
static cn_conf_t *C;
static uint32_t POS;

static int setup(void **state)
{
    (void)state;
    if (test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-rules-test", CONF, sizeof(CONF) - 1, &C) != 0)
        return -1;
    memset(REC, 0, sizeof(REC));
    POS = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_teardown(DIR_, C);
}

static cn_process_t *open_proc_with(cn_enrich_t *e)
{
    cn_process_t *p = test_process_open(C, e, DIR_, rec_open, NULL);
    assert_non_null(p);
    return p;
}

static cn_process_t *open_proc(void)
{
    return open_proc_with(NULL);
}

static void hit_from(cn_process_t *p, const char *suite, const char *ip, int64_t ts, const char *q)
{
    cn_rawhit_t r = {0};
    r.recv_us = ts;
    r.proto = CN_PROTO_ADOBE;
    r.suite = cn_str_c(suite);
    r.ip = cn_str_c(ip);
    r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/x/1/JS-2.21.0/s1");
    r.query = cn_str_c(q);
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
}

#define MID "&mid=42"
#define IP  "203.0.113.9"

static void hit(cn_process_t *p, const char *suite, int64_t ts, const char *q)
{
    hit_from(p, suite, IP, ts, q);
}

/* --- Excluded IPs --- */

typedef struct seen {
    int count;
    int reasons[8];
    char detail[8][128];
    char suite[8][32];
} seen_t;

static int on_bad(void *ud, const cn_badrow_t *row)
{
    seen_t *s = ud;
    if (s->count < 8) {
        s->reasons[s->count] = row->reason;
        snprintf(s->detail[s->count], 128, "%.*s", CN_STR_FMT(row->detail));
        snprintf(s->suite[s->count], 32, "%.*s", CN_STR_FMT(row->suite));
    }
    s->count++;
    return 0;
}

static void excluded_ips_become_bad_rows(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit_from(p, "shop", "10.1.2.3", T0, "g=a" MID);         /* excluded (10/8) */
    hit_from(p, "shop", "192.0.2.7", T0, "g=b" MID);        /* excluded (one address) */
    hit_from(p, "shop", "192.0.2.8", T0, "g=c" MID);        /* kept */
    hit_from(p, "shop", "2001:db8:0:1::5", T0, "g=d" MID);  /* excluded (v6 /32) */
    hit_from(p, "shop", "2001:db9::5", T0, "g=e" MID);      /* kept */
    hit_from(p, "shop,plain", "10.200.0.1", T0, "g=f" MID); /* excluded in shop only */
    hit_from(p, "plain", "10.1.2.3", T0, "g=g" MID);        /* plain excludes nothing */
    hit_from(p, "shop", "11.0.0.1", T0, "g=h" MID);         /* kept */
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    assert_int_equal(st.raw_hits, 8);
    assert_int_equal(st.bad_rows, 4);
    assert_int_equal(st.bad_by_reason[CN_BADROW_EXCLUDED_IP], 4);
    assert_int_equal(st.hits, 5);
    assert_int_equal(REC[0].nhits, 3); /* c, e, h */
    assert_int_equal(REC[1].nhits, 2); /* f, g */
    cn_process_free(p);

    seen_t s = {0};
    cn_err_t err;
    assert_int_equal(cn_badrows_read(DIR_, on_bad, &s, &err), 0);
    assert_int_equal(s.count, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(s.reasons[i], CN_BADROW_EXCLUDED_IP);
    assert_string_equal(s.detail[0], "IP 10.1.2.3 is in suite shop's exclude_ips");
    assert_string_equal(s.detail[2], "IP 2001:db8:0:1::5 is in suite shop's exclude_ips");
    assert_string_equal(s.detail[3], "IP 10.200.0.1 is in suite shop's exclude_ips");
    assert_string_equal(s.suite[3], "shop,plain");
    assert_string_equal(cn_badrow_reason_name(CN_BADROW_EXCLUDED_IP), "excluded_ip");
    assert_int_equal(cn_badrow_reason_parse("excluded_ip"), CN_BADROW_EXCLUDED_IP);
}

/* --- Visit splitting --- */

static void campaign_change_opens_a_visit(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    const char *q[] = {
        "g=https%3A%2F%2Fshop.canton.test%2F" MID,            /* 0: no campaign */
        "g=https%3A%2F%2Fshop.canton.test%2Fa&v0=SPRING" MID, /* 1: a campaign: new visit */
        "g=https%3A%2F%2Fshop.canton.test%2Fb" MID,           /* 2: none: same visit */
        "g=https%3A%2F%2Fshop.canton.test%2Fc&v0=SPRING" MID, /* 3: same campaign */
        "g=https%3A%2F%2Fshop.canton.test%2Fd&v0=SUMMER" MID, /* 4: another: new visit */
        "g=https%3A%2F%2Fshop.canton.test%2Fe&v0=SPRING" MID, /* 5: back: new visit */
        "g=x&pe=lnk_o&pev2=Click&v0=AUTUMN" MID,              /* 6: link hits count too */
    };
    for (int i = 0; i < 7; i++) {
        hit(p, "shop", T0 + i * MIN, q[i]);
        hit(p, "plain", T0 + i * MIN, q[i]);
    }
    const rec_t *s = &REC[0];
    assert_int_equal(s->nvisits, 5);
    assert_string_equal(s->visits[0], "0 1  ");
    assert_string_equal(s->visits[1], "1 2 SPRING ");
    assert_string_equal(s->visits[2], "2 3 SUMMER ");
    assert_string_equal(s->visits[3], "3 4 SPRING ");
    assert_string_equal(s->visits[4], "4 5 AUTUMN ");
    const uint32_t want[] = {0, 1, 1, 1, 2, 3, 4};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s->hit_visit[i], want[i]);
    /* without the rule: one visit */
    assert_int_equal(REC[1].nvisits, 1);
    assert_string_equal(REC[1].visits[0], "0 1  ");
    /* the timeout still applies on its own */
    hit(p, "shop", T0 + 6 * MIN + 31 * MIN, "g=y&v0=AUTUMN" MID);
    assert_int_equal(s->nvisits, 6);
    assert_string_equal(s->visits[5], "5 6 AUTUMN ");
    cn_process_free(p);
}

/* The suite's visit_timeout: a gap of exactly the timeout stays in the visit, a longer one
 * opens the next; the default is 30 minutes. */
static void visit_timeout_is_per_suite(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    const int64_t at[] = {0, 10 * MIN, 20 * MIN + 1000000, 45 * MIN, 76 * MIN};
    for (int i = 0; i < 5; i++) {
        hit(p, "plain", T0 + at[i], "g=x" MID);
        hit(p, "shop", T0 + at[i], "g=x" MID);
    }
    const uint32_t plain[] = {0, 0, 1, 2, 3}, shop[] = {0, 0, 0, 0, 1};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(REC[1].hit_visit[i], plain[i]);
        assert_int_equal(REC[0].hit_visit[i], shop[i]);
    }
    assert_int_equal(REC[1].nvisits, 4);
    assert_string_equal(REC[1].visits[3], "3 4  ");
    assert_int_equal(REC[0].nvisits, 2);
    cn_process_free(p);
}

static void external_referrer_opens_a_visit(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    const char *q[] = {
        "g=x1&r=https%3A%2F%2Fwww.google.com%2F" MID,                /* 0: lands from google */
        "g=x2&r=https%3A%2F%2Fshop.canton.test%2Fx1" MID,            /* 1: internal */
        "g=x3&r=https%3A%2F%2Fwww.google.com%2Fsearch%3Fq%3D2" MID,  /* 2: same site again */
        "g=x4&r=https%3A%2F%2Fnews.example.org%2Fa" MID,             /* 3: another site: new */
        "g=x4&pe=lnk_o&pev2=C&r=https%3A%2F%2Fother.example%2F" MID, /* 4: not a page view */
        "g=x5" MID,                                                  /* 5: no referrer */
        "g=x6&r=https%3A%2F%2Fwww.google.com%2F" MID,                /* 6: google again: new */
    };
    for (int i = 0; i < 7; i++) {
        hit(p, "shop", T0 + i * MIN, q[i]);
        hit(p, "plain", T0 + i * MIN, q[i]);
    }
    const rec_t *s = &REC[0];
    assert_int_equal(s->nvisits, 3);
    assert_string_equal(s->visits[0], "0 1  www.google.com");
    assert_string_equal(s->visits[1], "1 2  news.example.org");
    assert_string_equal(s->visits[2], "2 3  www.google.com");
    const uint32_t want[] = {0, 0, 0, 1, 1, 1, 2};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s->hit_visit[i], want[i]);
    assert_int_equal(REC[1].nvisits, 1);
    cn_process_free(p);
}

/* With enrichment the rules see what the visit row sees: utm_* campaigns, referrer types. */
static void visit_rules_use_enrichment(void **state)
{
    (void)state;
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    cn_enrich_t *e = NULL;
    cn_err_t err;
    if (cn_enrich_open(&eo, &e, &err) != 0)
        skip();
    cn_process_t *p = open_proc_with(e);
    const char *q[] = {
        "g=https%3A%2F%2Fshop.canton.test%2F%3Futm_campaign%3Dspring" MID,              /* 0 */
        "g=https%3A%2F%2Fshop.canton.test%2Fa&r=https%3A%2F%2Fshop.canton.test%2F" MID, /* 1 */
        "g=https%3A%2F%2Fshop.canton.test%2F%3Futm_campaign%3Dspring" MID,          /* 2: same */
        "g=https%3A%2F%2Fshop.canton.test%2F%3Futm_campaign%3Dsummer" MID,          /* 3: new */
        "g=https%3A%2F%2Fshop.canton.test%2Fb&r=https%3A%2F%2Fwww.bing.com%2F" MID, /* 4: new */
        "g=https%3A%2F%2Fshop.canton.test%2Fc&r=https%3A%2F%2Fwww.bing.com%2F" MID, /* 5: same */
    };
    for (int i = 0; i < 6; i++)
        hit(p, "shop", T0 + i * MIN, q[i]);
    const uint32_t want[] = {0, 0, 0, 1, 2, 2};
    for (int i = 0; i < 6; i++)
        assert_int_equal(REC[0].hit_visit[i], want[i]);
    assert_int_equal(REC[0].nvisits, 3);
    assert_non_null(strstr(REC[0].visits[0], " spring"));
    assert_non_null(strstr(REC[0].visits[1], " summer"));
    assert_non_null(strstr(REC[0].visits[2], "bing.com"));
    cn_process_free(p);
    cn_enrich_unref(e);
}

static void visit_rules_survive_a_restart(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    hit(p, "shop", T0, "g=a&v0=SPRING&r=https%3A%2F%2Fwww.google.com%2F" MID);
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    p = open_proc(); /* state from the checkpoint */
    hit(p, "shop", T0 + MIN, "g=b&v0=SPRING&r=https%3A%2F%2Fwww.google.com%2Fx" MID);
    hit(p, "shop", T0 + 2 * MIN, "g=c&v0=SUMMER" MID);
    assert_int_equal(REC[0].nvisits, 2);
    assert_string_equal(REC[0].visits[1], "1 2 SUMMER ");
    const uint32_t want[] = {0, 0, 1};
    for (int i = 0; i < 3; i++)
        assert_int_equal(REC[0].hit_visit[i], want[i]);
    cn_process_free(p);
}

/* --- Merchandising eVars --- */

static void merch_var_encoding_round_trips(void **state)
{
    (void)state;
    assert_int_equal(cn_var_merch(5, 0), 0x50005);
    assert_int_equal(cn_var_merch(5, 1), 0x50105);
    assert_int_equal(cn_var_merch(250, 300), 0x01052cfa);
    for (unsigned item = 0; item < 1000; item++) {
        for (unsigned n = 1; n <= 250; n += 83) {
            uint32_t v = cn_var_merch(n, item);
            assert_int_equal(v & CN_VAR_FAMILY_MASK, CN_VAR_MERCH);
            assert_int_equal(cn_var_merch_evar(v), n);
            assert_int_equal(cn_var_merch_item(v), item);
        }
    }
}

static void merch_evars_are_bound_to_their_items(void **state)
{
    (void)state;
    cn_process_t *p = open_proc();
    /* products: A (eVar5=blue, eVar6=M), B (none), C (eVar5=red) */
    hit(p, "plain", T0,
        "g=x&events=prodView&products=Cat%3BA%3B1%3B10%3B%3BeVar5%3Dblue%7CeVar6%3DM"
        "%2C%3BB%2C%3BC%3B1%3B5%3B%3BeVar5%3Dred&v7=seven" MID);
    hit(p, "plain", T0 + MIN, "g=y" MID);
    const rec_t *s = &REC[1];
    assert_int_equal(s->nitems, 3);
    assert_string_equal(s->items[0], "0 A");
    assert_string_equal(s->items[1], "0 B");
    assert_string_equal(s->items[2], "0 C");
    assert_int_equal(s->nvars, 9);
    /* the binding rows, in products order */
    assert_string_equal(s->vars[0], "0 merch:evar5@item0=blue");
    assert_string_equal(s->vars[1], "0 merch:evar6@item0=M");
    assert_string_equal(s->vars[2], "0 merch:evar5@item2=red");
    /* the eVars in force on the hit (most recent), as before */
    assert_string_equal(s->vars[3], "0 10005=red");
    assert_string_equal(s->vars[4], "0 10006=M");
    assert_string_equal(s->vars[5], "0 10007=seven");
    /* the next page view: the visit's eVars, no binding rows */
    assert_string_equal(s->vars[6], "1 10005=red");
    assert_string_equal(s->vars[7], "1 10006=M");
    assert_string_equal(s->vars[8], "1 10007=seven");
    cn_process_free(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(excluded_ips_become_bad_rows),
        T(campaign_change_opens_a_visit),
        T(visit_timeout_is_per_suite),
        T(external_referrer_opens_a_visit),
        T(visit_rules_use_enrichment),
        T(visit_rules_survive_a_restart),
        cmocka_unit_test(merch_var_encoding_round_trips),
        T(merch_evars_are_bound_to_their_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
