/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder tests: the captured Adobe fixtures against the reference decodes in
 * shared/fixtures/trackers/expected_hits.jsonl, then each piece of the Adobe
 * vocabulary, the products and events strings, context data, and canton's
 * JSON batch and pixel, with exact values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <zlib.h>

#include "helpers.h"
#include "process/internal.h"

#include <cmocka.h>

static cn_dbatch_t B;
static cn_err_t E;

static int setup(void **state)
{
    (void)state;
    cn_dbatch_init(&B);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_dbatch_dispose(&B);
    return 0;
}

#define assert_str(s, lit) assert_true_msg(cn_str_eq_c((s), (lit)), s, lit)
static void assert_true_msg(bool ok, cn_str_t got, const char *want)
{
    if (!ok)
        fail_msg("got '%.*s', want '%s'", (int)got.len, got.len ? got.ptr : "",
                 want ? want : "(null)");
}

/* The receive time of decode_query's hits: 2026-11-30T00:00:00Z. */
#define RECV_US 1795996800000000LL

static int decode_query(const char *q)
{
    cn_rawhit_t r = {0};
    r.recv_us = RECV_US;
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("s1");
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/s1/1/JS-2.21.0/s1");
    r.query = cn_str_c(q);
    cn_err_clear(&E);
    return cn_decode_raw(&r, &B, &E);
}

/* --- The fixtures --- */

static void adobe_fixtures_match_expected_decodes(void **state)
{
    (void)state;
    const char *shared = getenv("CANTON_SHARED");
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures/trackers/expected_hits.jsonl",
             shared ? shared : "../shared");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *line = NULL;
    size_t cap = 0;
    int checked = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_t *x = json_loads(line, 0, NULL);
        assert_non_null(x);
        if (strcmp(json_string_value(json_object_get(x, "tracker")), "adobe-appmeasurement") != 0) {
            json_decref(x);
            continue;
        }
        const char *scenario = json_string_value(json_object_get(x, "scenario"));
        int seq = (int)json_integer_value(json_object_get(x, "seq"));
        fixture_t f;
        assert_int_equal(fixture_load(&f, "adobe-appmeasurement", scenario, seq), 0);
        int rc = cn_decode_raw(&f.raw, &B, &E);
        if (rc != 0)
            fail_msg("%s/%d: %s", scenario, seq, E.msg);
        assert_int_equal(B.hit_count, 1);
        assert_str(B.suites, "cantonshopprod");
        cn_dhit_t *h = &B.hits[0];
        const char *kind = json_string_value(json_object_get(x, "kind"));
        const char *event = json_string_value(json_object_get(x, "event"));
        if (strcmp(kind, "pageview") == 0)
            assert_int_equal(h->type, CN_HIT_PAGEVIEW);
        else if (strcmp(event, "lnk_e") == 0)
            assert_int_equal(h->type, CN_HIT_EXIT);
        else
            assert_int_equal(h->type, CN_HIT_LINK);
        assert_str(h->url, json_string_value(json_object_get(x, "url")));
        assert_str(h->page_name, json_string_value(json_object_get(x, "title")));
        assert_str(h->visitor_id, json_string_value(json_object_get(x, "visitor")));
        assert_str(h->currency, json_string_value(json_object_get(x, "currency")));
        assert_false(h->truncated);
        json_t *ref = json_object_get(x, "referrer");
        if (ref)
            assert_str(cn_decode_referrer(&B, h), json_string_value(ref));
        json_t *oid = json_object_get(x, "order_id");
        if (oid)
            assert_str(h->purchase_id, json_string_value(oid));
        json_t *items = json_object_get(x, "items");
        assert_int_equal(h->prod_count, json_array_size(items));
        int64_t sum = 0;
        for (size_t i = 0; i < h->prod_count; i++) {
            cn_dprod_t *p = &B.prods[h->prod_first + i];
            json_t *it = json_array_get(items, i);
            assert_str(p->sku, json_string_value(json_object_get(it, "sku")));
            assert_str(p->category, json_string_value(json_object_get(it, "category")));
            json_t *q = json_object_get(it, "quantity");
            assert_int_equal(p->has_qty, json_is_integer(q));
            if (json_is_integer(q)) {
                assert_int_equal(p->qty, json_integer_value(q));
                int64_t line_total =
                    (int64_t)(json_real_value(json_object_get(it, "line_total")) * 10000 + 0.5);
                assert_int_equal(p->price, line_total);
                sum += p->price;
            }
        }
        json_t *rev = json_object_get(x, "revenue");
        if (rev)
            assert_int_equal(sum, (int64_t)(json_real_value(rev) * 10000 + 0.5));
        json_t *props = json_object_get(x, "props");
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v)
        {
            if (strcmp(k, "link_name") == 0) {
                assert_str(h->link_name, json_is_string(v) ? json_string_value(v) : "");
            } else if (strcmp(k, "link_url") == 0) {
                assert_str(h->link_url, json_is_string(v) ? json_string_value(v) : "");
            } else if (strcmp(k, "events") == 0) {
                size_t tokens = 1;
                for (const char *c = json_string_value(v); *c; c++)
                    tokens += *c == ',';
                assert_int_equal(h->ev_count, tokens);
            } else if (strncmp(k, "c.", 2) == 0) {
                bool found = false;
                for (size_t i = 0; i < h->ctx_count; i++) {
                    cn_dkv_t *kv = &B.ctx[h->ctx_first + i];
                    if (cn_str_eq_c(kv->key, k + 2)) {
                        assert_str(kv->value, json_string_value(v));
                        found = true;
                    }
                }
                if (!found)
                    fail_msg("%s/%d: context data %s missing", scenario, seq, k);
            }
        }
        checked++;
        fixture_free(&f);
        json_decref(x);
    }
    free(line);
    fclose(fp);
    assert_int_equal(checked, 11);
}

static void adobe_purchase_fixture_has_exact_fields(void **state)
{
    (void)state;
    fixture_t f;
    assert_int_equal(fixture_load(&f, "adobe-appmeasurement", "purchase", 1), 0);
    assert_int_equal(cn_decode_raw(&f.raw, &B, &E), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->events, CN_EV_PURCHASE);
    assert_int_equal(h->ev_count, 2);
    assert_int_equal(B.events[h->ev_first + 1].num, 10);
    assert_int_equal(B.events[h->ev_first + 1].value, 100000);
    assert_int_equal(h->vid_src, CN_VID_MID);
    assert_str(h->screen, "1280x720");
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[h->var_first].var, CN_VAR_EVAR | 3);
    assert_str(B.vars[h->var_first].value, "alipay");
    assert_int_equal(B.prods[h->prod_first].price, 798000);
    assert_int_equal(B.prods[h->prod_first + 1].price, 1280000);
    fixture_free(&f);
}

static void adobe_legacy_ids_pick_their_source(void **state)
{
    (void)state;
    const uint8_t want[] = {CN_VID_VID, CN_VID_AID, CN_VID_FID};
    for (int seq = 1; seq <= 3; seq++) {
        fixture_t f;
        assert_int_equal(fixture_load(&f, "adobe-appmeasurement", "pageview_legacy_ids", seq), 0);
        assert_int_equal(cn_decode_raw(&f.raw, &B, &E), 0);
        assert_int_equal(B.hits[0].vid_src, want[seq - 1]);
        assert_str(B.hits[0].section, "Kitchen");
        fixture_free(&f);
    }
}

/* Adobe's order of visitor ids: vid, aid (the Analytics ID, which the s_vi cookie holds: the
 * cookie ranks with it, after an aid parameter), mid, fid; before 2026-11-30 the cookie came
 * after fid, so a returning Adobe visitor with an ECID was keyed by the ECID, not its s_vi. */
static void adobe_s_vi_cookie_ranks_as_the_analytics_id(void **state)
{
    (void)state;
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("s1");
    r.query = CN_STR_LIT("g=https%3A%2F%2Fa%2F");
    r.headers = CN_STR_LIT("cookie: x=1; s_vi=[CS]v1|2B8C-60A[CE]; y=2\n");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "2B8C-60A");
    assert_int_equal(B.hits[0].vid_src, CN_VID_COOKIE);
    r.query = CN_STR_LIT("g=https%3A%2F%2Fa%2F&fid=F-1");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "2B8C-60A");
    assert_int_equal(B.hits[0].vid_src, CN_VID_COOKIE);
    r.query = CN_STR_LIT("g=x&fid=F-1&mid=M");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "2B8C-60A");
    assert_int_equal(B.hits[0].vid_src, CN_VID_COOKIE);
    r.query = CN_STR_LIT("g=x&fid=F-1&mid=M&aid=A");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "A");
    assert_int_equal(B.hits[0].vid_src, CN_VID_AID);
    r.query = CN_STR_LIT("g=x&fid=F-1&mid=M&aid=A&vid=V");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "V");
    /* without the cookie: mid, then fid */
    r.headers = CN_STR_LIT("cookie: s_ecid=MCMID%7C1\n");
    r.query = CN_STR_LIT("g=x&fid=F-1&mid=M");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "M");
    assert_int_equal(B.hits[0].vid_src, CN_VID_MID);
    r.query = CN_STR_LIT("g=x&fid=F-1");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].visitor_id, "F-1");
    assert_int_equal(B.hits[0].vid_src, CN_VID_FID);
    r.headers = CN_STR_LIT("");
    r.query = CN_STR_LIT("g=x");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hits[0].visitor_id.len, 0);
    assert_int_equal(B.hits[0].vid_src, CN_VID_NONE);
}

static void adobe_post_body_carries_the_query(void **state)
{
    (void)state;
    fixture_t f;
    assert_int_equal(fixture_load(&f, "adobe-appmeasurement", "purchase_post_long", 1), 0);
    assert_int_equal(f.raw.query.len, 0);
    assert_int_equal(cn_decode_raw(&f.raw, &B, &E), 0);
    assert_str(B.hits[0].purchase_id, "ORD-20261129-0001");
    assert_int_equal(B.hits[0].ctx_count, 5);
    fixture_free(&f);
}

/* --- Vocabulary pieces --- */

static void adobe_variables_and_aliases(void **state)
{
    (void)state;
    assert_int_equal(decode_query("AQB=1&gn=Home&g=https%3A%2F%2Fs%2F%3Fa%3D1&r=https%3A%2F%2Fr%2F"
                                  "&ch=Sec&server=web1&gt=errorPage&v0=SPRING&c1=p1&c75=p75&v1=e1"
                                  "&v250=e250&l1=a%2Cb%2C&h2=x%7Cy&c76=no&v251=no&c0=no&prop3=p3"
                                  "&eVar4=e4&AQE=1"),
                     0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "Home");
    assert_str(h->url, "https://s/?a=1");
    assert_str(cn_decode_referrer(&B, h), "https://r/");
    assert_str(h->section, "Sec");
    assert_str(h->server, "web1");
    assert_str(h->page_type, "errorPage");
    assert_str(h->campaign, "SPRING");
    assert_int_equal(h->type, CN_HIT_PAGEVIEW);
    assert_false(h->truncated);
    const struct {
        uint32_t var;
        const char *v;
    } want[] = {{CN_VAR_PROP | 1, "p1"},     {CN_VAR_PROP | 75, "p75"}, {CN_VAR_EVAR | 1, "e1"},
                {CN_VAR_EVAR | 250, "e250"}, {CN_VAR_LIST | 1, "a,b,"}, /* split by processing */
                {CN_VAR_HIER | 2, "x|y"},    {CN_VAR_PROP | 3, "p3"},   {CN_VAR_EVAR | 4, "e4"}};
    assert_int_equal(h->var_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < h->var_count; i++) {
        assert_int_equal(B.vars[h->var_first + i].var, want[i].var);
        assert_str(B.vars[h->var_first + i].value, want[i].v);
    }
}

/* Names that start like a known one, or are one but escaped or in another case: only the
 * vocabulary's names are read (eVar's "var" in any case; an escaped name decoded first). */
static void adobe_names_like_known_ones(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=u&pageNam=a&pageNames=b&page%4Eame=N&eVar251=no&evar5=e5"
                                  "&EVAR6=no&eVAR7=e7&prop76=no&prop0=no&Prop3=no&c01=no&c7=p7"
                                  "&l4=no&h6=no&gg=no&events2=no&pev3=no&v0=&cc=USD&c%31=p1"
                                  "&EVar8=no&v00=no&v01=no&c100=no&v100=e100&l0=no&h1x=no&ce1=no"
                                  "&.c=no&c.=no&pev=no&pe1=no&server2=no&purchaseId=no"),
                     0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->url, "u");
    assert_str(h->page_name, "N");
    assert_str(h->campaign, "");
    assert_str(h->currency, "USD");
    assert_str(h->server, "");
    assert_str(h->purchase_id, "");
    assert_int_equal(h->type, CN_HIT_PAGEVIEW);
    assert_int_equal(h->ctx_count, 0);
    assert_int_equal(h->ev_count, 0);
    const struct {
        uint32_t var;
        const char *v;
    } want[] = {{CN_VAR_EVAR | 5, "e5"},
                {CN_VAR_EVAR | 7, "e7"},
                {CN_VAR_PROP | 7, "p7"},
                {CN_VAR_PROP | 1, "p1"},
                {CN_VAR_EVAR | 100, "e100"}};
    assert_int_equal(h->var_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < h->var_count; i++) {
        assert_int_equal(B.vars[h->var_first + i].var, want[i].var);
        assert_str(B.vars[h->var_first + i].value, want[i].v);
    }
}

static void adobe_long_url_joins_g_and_dash_g(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=https%3A%2F%2Fs%2Fabc&-g=def%3Fx%3D1&pageName=P"), 0);
    assert_str(B.hits[0].url, "https://s/abcdef?x=1");
    assert_true(B.hits[0].truncated); /* no AQE=1 */
    /* -g without g: the URL is -g alone (UBSan: no copy from g's NULL) */
    assert_int_equal(decode_query("-g=https%3A%2F%2Fs%2Fx&pageName=P"), 0);
    assert_str(B.hits[0].url, "https://s/x");
}

static void adobe_dynamic_variables_copy_params_and_headers(void **state)
{
    (void)state;
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("s1");
    r.query =
        CN_STR_LIT("g=https%3A%2F%2Fs%2F&c1=hello&v1=D%3Dc1&v2=D=g&c2=D%3DUser-Agent&c3=D%3Dnope");
    r.headers = CN_STR_LIT("user-agent: Mozilla/5.0 X\nhost: h\n");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->var_count, 4); /* c3 resolves to nothing and sets nothing */
    assert_str(B.vars[h->var_first + 1].value, "hello");
    assert_str(B.vars[h->var_first + 2].value, "https://s/");
    assert_str(B.vars[h->var_first + 3].value, "Mozilla/5.0 X");
}

/* D= and ce take the variable as the hit does: the last one given, never a context-data key
 * of that name (c.&pageName=...&.c is contextData["pageName"], not the page name). */
static void adobe_dynamic_variables_and_charset_skip_context_data(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=u&pageName=A&pageName=B&v1=D%3DpageName"), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "B");
    assert_int_equal(h->var_count, 1);
    assert_str(B.vars[h->var_first].value, "B");

    assert_int_equal(decode_query("g=u&c.&pageName=Ctx&ce=ISO-8859-1&.c&pageName=Caf%C3%A9"
                                  "&v1=D%3DpageName"),
                     0);
    h = &B.hits[0];
    assert_str(h->page_name, "Caf\xc3\xa9"); /* read as UTF-8: the context's ce is no charset */
    assert_int_equal(h->var_count, 1);
    assert_str(B.vars[h->var_first].value, "Caf\xc3\xa9");

    /* a key only in context data is no parameter: D= of it is empty and sets nothing */
    assert_int_equal(decode_query("g=u&pageName=P&c.&only=x&.c&v1=D%3Donly"), 0);
    assert_int_equal(B.hits[0].var_count, 0);
}

/* AQE and ce inside context data are context data (the request stays cut short, the charset
 * UTF-8); their names are read decoded, as every name is. */
static void adobe_markers_in_context_data_are_context_data(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=u&c.&AQE=1&ce=ISO-8859-1&.c&pageName=Caf%E9"), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_true(h->truncated);
    assert_str(h->page_name, "Caf\xef\xbf\xbd"); /* %E9 alone is no UTF-8: U+FFFD */
    assert_int_equal(h->ctx_count, 2);

    assert_int_equal(decode_query("g=u&%63e=ISO-8859-1&pageName=Caf%E9&%41QE=1&c%2E&ce=UTF-8&.c"),
                     0);
    h = &B.hits[0];
    assert_false(h->truncated);
    assert_str(h->page_name, "Caf\xc3\xa9");
    assert_int_equal(h->ctx_count, 1);
}

/* A prop, list, hierarchy or eVar given twice (c1 and prop1 are one prop, v3 and eVar3 one
 * eVar) is one row with the last value, as reports take it; so an eVar's allocation, original
 * too, sees the last value (before, each eVar value was a row, and original took the first). */
static void adobe_hit_variables_given_twice_keep_the_last(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=u&c1=p&prop1=q&c1=r&l1=a%2Cb&l1=c&h1=x&h1=y&c2=&c2=s&c3=t"
                                  "&c3=&v2=e&v2=f&eVar3=g&v3=h&v2="),
                     0);
    cn_dhit_t *h = &B.hits[0];
    const struct {
        uint32_t var;
        const char *v;
    } want[] = {{CN_VAR_PROP | 1, "r"}, {CN_VAR_LIST | 1, "c"}, {CN_VAR_HIER | 1, "y"},
                {CN_VAR_PROP | 2, "s"}, {CN_VAR_PROP | 3, "t"}, /* an empty value sets nothing */
                {CN_VAR_EVAR | 2, "f"}, {CN_VAR_EVAR | 3, "h"}};
    assert_int_equal(h->var_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < h->var_count; i++) {
        assert_int_equal(B.vars[h->var_first + i].var, want[i].var);
        assert_str(B.vars[h->var_first + i].value, want[i].v);
    }
}

/* A value longer than a store's dictionary string is a too_big bad row naming it (the store
 * would refuse the row and stop processing); 1 MiB exactly is kept. */
static void values_over_a_mebibyte_are_too_big(void **state)
{
    (void)state;
    size_t cap = CN_DEC_MAX_VALUE + 64;
    char *q = malloc(cap);
    int n = snprintf(q, cap, "g=u&c7=");
    memset(q + n, 'x', CN_DEC_MAX_VALUE);
    q[n + CN_DEC_MAX_VALUE] = '\0';
    assert_int_equal(decode_query(q), 0);
    assert_int_equal(B.vars[B.hits[0].var_first].value.len, CN_DEC_MAX_VALUE);
    strcpy(q + n + CN_DEC_MAX_VALUE, "y");
    assert_int_equal(decode_query(q), CN_BADROW_TOO_BIG);
    assert_string_equal(E.msg, "prop7 is 1048577 bytes (a value is at most 1048576 bytes)");
    memcpy(q, "c7=u&g=", 7); /* the URL */
    assert_int_equal(decode_query(q), CN_BADROW_TOO_BIG);
    assert_string_equal(E.msg, "the page URL is 1048577 bytes (a value is at most 1048576 bytes)");
    free(q);
}

/* Context data opened in the query ends where the body starts (a POST's body is a query string
 * of its own): the body's variables are the hit's; one opened in the body runs to its .c. */
static void adobe_context_data_ends_with_the_query(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_ADOBE,
                     .suite = CN_STR_LIT("s1"),
                     .method = CN_STR_LIT("POST"),
                     .path = CN_STR_LIT("/b/ss/s1/1/JS-2.21.0/s1"),
                     .query = CN_STR_LIT("g=u&c.&a=1&pageName=Ctx"),
                     .body = CN_STR_LIT("pageName=Body&c.&b=2&c5=ctx&.c&c6=p6&AQE=1")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "Body");
    assert_false(h->truncated);
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[h->var_first].var, CN_VAR_PROP | 6);
    assert_int_equal(h->ctx_count, 4);
    assert_str(B.ctx[h->ctx_first].key, "a");
    assert_str(B.ctx[h->ctx_first + 1].key, "pageName");
    assert_str(B.ctx[h->ctx_first + 2].key, "b");
    assert_str(B.ctx[h->ctx_first + 3].key, "c5");
}

/* Escaped names in the query and in a POST's body: each names its variable, D= finds a
 * parameter of the query or of the body by its decoded name, and the body's fields win. */
static void adobe_escaped_names_in_query_and_body(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_ADOBE,
                     .suite = CN_STR_LIT("s1"),
                     .method = CN_STR_LIT("POST"),
                     .path = CN_STR_LIT("/b/ss/s1/1/JS-2.21.0/s1"),
                     .query = CN_STR_LIT("g=u&p%61geName=Q&c%34=q4&%63%31=x+y"),
                     .body = CN_STR_LIT("c%32=D%3Dc4&v%37=D%3Dc1&pageName=B%20b&c%38=D%3Dv%37&"
                                        "%41QE=1")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "B b");
    assert_false(h->truncated);
    static const struct {
        unsigned var;
        const char *value;
    } want[] = {{CN_VAR_PROP | 4, "q4"},
                {CN_VAR_PROP | 1, "x y"},
                {CN_VAR_PROP | 2, "q4"},
                {CN_VAR_EVAR | 7, "x y"},
                {CN_VAR_PROP | 8, "D=c1"}}; /* (one level: Adobe does not chain) */
    assert_int_equal(h->var_count, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(B.vars[h->var_first + i].var, want[i].var);
        assert_str(B.vars[h->var_first + i].value, want[i].value);
    }
}

/* A long request's body gzipped (a server-side sender; the collector flags it): inflated and
 * read as the plain body is, context data included; not inflatable, a bad_gzip bad row. */
static void adobe_gzip_body_is_inflated(void **state)
{
    (void)state;
    static const char body[] = "pageName=Gz&g=https%3A%2F%2Fs%2Fgz&c.&plan=weekly&.c&v3=e3&AQE=1";
    unsigned char gz[512];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)body;
    z.avail_in = sizeof(body) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = sizeof(gz) - z.avail_out;
    deflateEnd(&z);
    cn_rawhit_t r = {.proto = CN_PROTO_ADOBE,
                     .flags = CN_RAWHIT_GZIP_BODY,
                     .suite = CN_STR_LIT("s1"),
                     .method = CN_STR_LIT("POST"),
                     .path = CN_STR_LIT("/b/ss/s1/1/JS-2.21.0/s1"),
                     .query = CN_STR_LIT("AQB=1&vid=v1"),
                     .body = cn_str((char *)gz, n)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "Gz");
    assert_str(h->url, "https://s/gz");
    assert_str(h->visitor_id, "v1");
    assert_false(h->truncated);
    assert_int_equal(h->var_count, 1);
    assert_str(B.vars[h->var_first].value, "e3");
    assert_int_equal(h->ctx_count, 1);
    assert_str(B.ctx[h->ctx_first].key, "plan");
    r.body = cn_str((char *)gz, n / 2);
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_BAD_GZIP);
    assert_string_equal(E.msg, "gzip body is truncated");
}

/*
 * A value taken as UTF-8 (no ce, ce=UTF-8, a ce no converter reads) is made valid UTF-8 when
 * it is decoded: each invalid byte or sequence becomes U+FFFD, escaped or sent raw, with or
 * without %u escapes, so the store, the API and the CSV report show the same text.
 */
static void adobe_invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    assert_int_equal(decode_query("pageName=Caf%E9&v1=Caf\xe9+%E2%82%AC&c2=%E2%82A&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xef\xbf\xbd");
    assert_str(B.vars[B.hits[0].var_first].value, "Caf\xef\xbf\xbd \xe2\x82\xac");
    assert_str(B.vars[B.hits[0].var_first + 1].value, "\xef\xbf\xbd"
                                                      "A");
    assert_int_equal(decode_query("ce=UTF-8&pageName=%C0%AFok%F0%9F%98%80&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xef\xbf\xbd\xef\xbf\xbdok\xf0\x9f\x98\x80");
    assert_int_equal(decode_query("ce=x-no-such-charset&pageName=%FF&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xef\xbf\xbd");
    /* a %u value: its escapes are characters, the raw bytes between them UTF-8 */
    assert_int_equal(decode_query("pageName=%u4E2D\xff&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xb8\xad\xef\xbf\xbd");
    /* valid values stay as they were */
    assert_int_equal(decode_query("pageName=Caf%C3%A9&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
}

static void adobe_latin1_charset_becomes_utf8(void **state)
{
    (void)state;
    assert_int_equal(decode_query("ce=ISO-8859-1&pageName=Caf%E9&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
    assert_int_equal(decode_query("ce=UTF-8&pageName=Caf%C3%A9+noir&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9 noir");
    /* windows-1252 (what browsers report for ISO-8859-1 pages too): 0x80-0x9F are printable */
    assert_int_equal(decode_query("ce=windows-1252&pageName=%80+5%2C+%93q%94%96%81&g=x"), 0);
    assert_str(B.hits[0].page_name,
               "\xe2\x82\xac 5, \xe2\x80\x9cq\xe2\x80\x9d\xe2\x80\x93\xc2\x81");
    assert_int_equal(decode_query("ce=iso-8859-1&pageName=%92%FF&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe2\x80\x99\xc3\xbf");
}

static void adobe_other_charsets_become_utf8(void **state)
{
    (void)state;
    /* GBK, by any of its labels (browsers read gb2312 with the gb18030 decoder, so a GBK-only
     * character such as U+4E02 in 0x81 0x40 decodes too) */
    assert_int_equal(decode_query("ce=GBK&pageName=%C4%E3%BA%C3&v1=%81%40&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xbd\xa0\xe5\xa5\xbd"); /* 你好 */
    assert_str(B.vars[B.hits[0].var_first].value, "\xe4\xb8\x82");
    assert_int_equal(decode_query("ce=+gb2312+&pageName=%C4%E3%81%40&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xbd\xa0\xe4\xb8\x82");
    /* Shift_JIS, windows-1251, Big5, EUC-KR */
    assert_int_equal(decode_query("ce=Shift_JIS&pageName=%93%FA%96%7B&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe6\x97\xa5\xe6\x9c\xac"); /* 日本 */
    assert_int_equal(decode_query("ce=windows-1251&pageName=%CF%F0%E8%E2%E5%F2&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    assert_int_equal(decode_query("ce=big5&pageName=%A4%A4%A4%E5&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xb8\xad\xe6\x96\x87"); /* 中文 */
    assert_int_equal(decode_query("ce=EUC-KR&pageName=%C7%D1&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xed\x95\x9c"); /* 한 */
    /* a stateful charset: its escapes switch it out of ASCII, and each value starts afresh */
    assert_int_equal(decode_query("ce=ISO-2022-JP&pageName=%1B%24B%46%7C%1B%28B&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe6\x97\xa5"); /* 日 */
    assert_int_equal(decode_query("ce=ISO-2022-JP&pageName=%1B%24B%46%7C&v1=%46%7C&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe6\x97\xa5");
    assert_str(B.vars[B.hits[0].var_first].value, "F|");
    /* a byte sequence the charset does not have, or one cut short, is U+FFFD a byte; ASCII
     * around it is kept */
    assert_int_equal(decode_query("ce=GBK&pageName=a%FFb%C4&g=x"), 0);
    assert_str(B.hits[0].page_name, "a\xef\xbf\xbd"
                                    "b\xef\xbf\xbd");
    /* the converters are kept per batch: many labels in turn still decode each right */
    for (int round = 0; round < 2; round++) {
        static const char *const labels[] = {"gbk",        "big5",      "sjis",   "euc-kr",
                                             "koi8-r",     "cp1251",    "cp1250", "gb18030",
                                             "iso-8859-5", "iso-8859-2"};
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
            char q[128];
            snprintf(q, sizeof(q), "ce=%s&pageName=Az&g=x", labels[i]);
            assert_int_equal(decode_query(q), 0);
            assert_str(B.hits[0].page_name, "Az");
        }
        assert_int_equal(decode_query("ce=koi8-r&pageName=%F0%D2&g=x"), 0);
        assert_str(B.hits[0].page_name, "\xd0\x9f\xd1\x80"); /* Пр */
    }
    /* a label no converter reads, one that is not ASCII-compatible (UTF-16) and one that is
     * not a label at all leave the bytes as UTF-8, as before */
    assert_int_equal(decode_query("ce=x-no-such-charset&pageName=Caf%C3%A9&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
    assert_int_equal(decode_query("ce=UTF-16LE&pageName=Caf%C3%A9&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
    assert_int_equal(decode_query("ce=GBK%2F%2FTRANSLIT&pageName=Caf%C3%A9&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
}

/*
 * Values written by JavaScript's escape() (H-code s_code without encodeURIComponent, or with
 * s.charSet "AUTO"): a value that holds a %uXXXX escape has every escape read as a character
 * (%XX is U+00XX, whatever ce says); bytes not escaped still go through ce; a value without
 * one decodes as before.
 */
static void adobe_escape_u_values_are_code_points(void **state)
{
    (void)state;
    /* Latin-1 and CJK in one value, with ISO-8859-1 (what H-code sends for "AUTO") */
    assert_int_equal(decode_query("ce=ISO-8859-1&pageName=Caf%E9%20%u4E2D%u6587&g=x"), 0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87"); /* Café 中文 */
    /* %80 is U+0080 in an escape() value, the euro sign in a windows-1252 one */
    assert_int_equal(decode_query("ce=ISO-8859-1&pageName=%80%u20AC&v1=%80&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xc2\x80\xe2\x82\xac");
    assert_str(B.vars[B.hits[0].var_first].value, "\xe2\x82\xac");
    /* windows-1251: escape() gives %u for Cyrillic and %XX for Latin-1, and H-code marks a value
     * of Latin-1 alone by writing its first such escape as %u00XX: crème, not crиme */
    assert_int_equal(
        decode_query("ce=windows-1251&pageName=%u041F%u0440%u0438%u0432%u0435%u0442%20%E9"
                     "&v1=cr%u00E8me+br%FBl%E9e&v2=%CF%F0&g=x"),
        0);
    assert_str(B.hits[0].page_name, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
                                    "\xc3\xa9"); /* Привет é */
    assert_str(B.vars[B.hits[0].var_first].value, "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
                                                  "e");                    /* crème brûlée */
    assert_str(B.vars[B.hits[0].var_first + 1].value, "\xd0\x9f\xd1\x80"); /* Пр: no %u */
    /* bytes sent unescaped are still in the page's charset (0xCF is П in windows-1251) */
    assert_int_equal(decode_query("ce=windows-1251&pageName=\xcf%u0440+\xcf&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xd0\x9f\xd1\x80 \xd0\x9f");
    /* GBK: %u is the code point, unescaped GBK bytes are GBK, a value without %u as before */
    assert_int_equal(
        decode_query("ce=GBK&pageName=%u4E2D%u6587&v1=\xd6\xd0%u6587&v2=%D6%D0%CE%C4&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xb8\xad\xe6\x96\x87");
    assert_str(B.vars[B.hits[0].var_first].value, "\xe4\xb8\xad\xe6\x96\x87");
    assert_str(B.vars[B.hits[0].var_first + 1].value, "\xe4\xb8\xad\xe6\x96\x87");
    /* UTF-8 (or no ce): the same rules; UTF-8 %XX bytes without %u as before */
    assert_int_equal(decode_query("ce=UTF-8&pageName=%u4E2D%E9&v1=%E4%B8%AD%C3%A9&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xb8\xad\xc3\xa9"); /* 中é */
    assert_str(B.vars[B.hits[0].var_first].value, "\xe4\xb8\xad\xc3\xa9");
    /* a surrogate pair is one code point; a lone or reversed one is U+FFFD */
    assert_int_equal(
        decode_query("pageName=%uD83D%uDE00&v1=a%uD83Db&v2=%uDE00%uD83D&c1=%ud83d%ude00&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xf0\x9f\x98\x80"); /* 😀 */
    assert_str(B.vars[B.hits[0].var_first].value, "a\xef\xbf\xbd"
                                                  "b");
    assert_str(B.vars[B.hits[0].var_first + 1].value, "\xef\xbf\xbd\xef\xbf\xbd");
    assert_str(B.vars[B.hits[0].var_first + 2].value, "\xf0\x9f\x98\x80");
    /* %u without four hex digits stays as it is, as a bare % does; %U is %u */
    assert_int_equal(decode_query("ce=ISO-8859-1&pageName=100%u+%u4E2&v1=%U4e2d&g=x"), 0);
    assert_str(B.hits[0].page_name, "100%u %u4E2");
    assert_str(B.vars[B.hits[0].var_first].value, "\xe4\xb8\xad");
    /* a %u value that a D= reference names */
    assert_int_equal(decode_query("ce=ISO-8859-1&pageName=D%3Dv1&v1=%u4E2D&g=x"), 0);
    assert_str(B.hits[0].page_name, "\xe4\xb8\xad");
}

/*
 * The referrer (r) is decoded when a visit needs it (cn_decode_referrer): the decoder keeps a
 * UTF-8 request's r that needs decoding as it came, and decodes now one that may decode to
 * "D=" (which then copies another parameter) or that is in another charset. Both ways give
 * the same bytes as every other value's decoding.
 */
static void adobe_referrer_is_decoded_when_a_visit_needs_it(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        bool raw;         /* kept raw */
        const char *want; /* decoded */
    } cases[] = {
        {"g=a&r=https%3A%2F%2Fr.test%2Fa%3Fq%3D1&AQE=1", true, "https://r.test/a?q=1"},
        {"g=a&r=https://r.test/plain&AQE=1", false, "https://r.test/plain"},
        {"g=a&r=a+b%20c&AQE=1", true, "a b c"},
        {"g=a&r=ab%FF&AQE=1", true, "ab\xef\xbf\xbd"},           /* invalid UTF-8: U+FFFD */
        {"g=a&r=ab%u00E9%E9&AQE=1", true, "ab\xc3\xa9\xc3\xa9"}, /* escape(): code points */
        {"g=a&r=xy%2&AQE=1", true, "xy%2"},
        {"g=a&r=%41b&AQE=1", false, "Ab"},             /* an escape first: decoded now */
        {"g=a&r=ab%2Cc&r=cd%2Ce&AQE=1", true, "cd,e"}, /* the last one given */
        {"g=a&r=cd%2Ce&r=%2Cb&AQE=1", false, ",b"},
        {"g=https%3A%2F%2Fs%2F&r=D%3Dg&AQE=1", false, "https://s/"}, /* D= spelled with escapes */
        {"g=https%3A%2F%2Fs%2F&r=%44=g&AQE=1", false, "https://s/"},
        {"g=https%3A%2F%2Fs%2F&r=D=g&AQE=1", false, "https://s/"},
        {"ce=ISO-8859-1&g=a&r=caf%E9&AQE=1", false, "caf\xc3\xa9"}, /* another charset */
        {"g=a&r=%&AQE=1", false, "%"},
        {"g=a&AQE=1", false, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_dbatch_reset(&B);
        assert_int_equal(decode_query(cases[i].q), 0);
        const cn_dhit_t *h = &B.hits[0];
        if (h->referrer_raw != cases[i].raw)
            fail_msg("%s: referrer_raw %d", cases[i].q, h->referrer_raw);
        cn_str_t got = cn_decode_referrer(&B, h);
        if (!cn_str_eq_c(got, cases[i].want))
            fail_msg("%s: got '%.*s', want '%s'", cases[i].q, CN_STR_FMT(got), cases[i].want);
        /* raw, the hit holds the request's bytes; else the decoded value itself */
        if (!h->referrer_raw)
            assert_true(cn_str_eq(h->referrer, got));
        else
            assert_true(h->referrer.len > 0 && got.len > 0);
    }
}

static void adobe_link_types(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=x&pe=lnk_d&pev1=https%3A%2F%2Fs%2Ff.pdf"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_DOWNLOAD);
    assert_str(B.hits[0].link_url, "https://s/f.pdf");
    assert_int_equal(decode_query("g=x&pe=lnk_o&pev2=Signup"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_LINK);
    assert_str(B.hits[0].link_name, "Signup");
    assert_int_equal(decode_query("pe=lnk_e&pev1=out"), 0); /* links need no page URL */
    assert_int_equal(B.hits[0].type, CN_HIT_EXIT);
}

static void adobe_timestamp_param(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=x&ts=1795920000"), 0);
    assert_int_equal(B.hits[0].ts_us, 1795920000000000LL);
    assert_int_equal(decode_query("g=x&ts=2026-11-29T08%3A48%3A05%2B08%3A00"), 0);
    assert_int_equal(B.hits[0].ts_us, 1795913285000000LL);
    assert_int_equal(decode_query("g=x&ts=2026-11-29T00%3A48%3A05.5Z"), 0);
    assert_int_equal(B.hits[0].ts_us, 1795913285500000LL);
    assert_int_equal(decode_query("g=x&ts=yesterday"), CN_BADROW_BAD_TIMESTAMP);
    /* every ISO 8601 form Adobe's timestamp variable documents */
    static const struct {
        const char *ts;
        int64_t us;
    } ok[] = {
        {"2024-01-01T00%3A00%3A00%2B00%3A00", 1704067200000000LL},
        {"2024-01-01T00%3A00%3A00Z", 1704067200000000LL},
        {"2024-01-01T00%3A00%3A00", 1704067200000000LL},
        {"2024-01-01T00%3A00", 1704067200000000LL},
        {"20240101T000000%2B0000", 1704067200000000LL},
        {"20240101T000000Z", 1704067200000000LL},
        {"20240101T000000", 1704067200000000LL},
        {"20240101T0000", 1704067200000000LL},
        {"20240101T103000-0130", 1704067200000000LL + (10 * 60 + 30 + 90) * 60000000LL},
        {"2024-01-01T10%3A30%2B08", 1704067200000000LL + (10 * 60 + 30 - 480) * 60000000LL},
        {"2024-01-01T10%3A30%3A15%2C25%2B08%3A00",
         1704067200000000LL + ((10 * 60 + 30 - 480) * 60 + 15) * 1000000LL + 250000},
        {"2024-02-29T00%3A00Z", 1709164800000000LL}, /* a leap day */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char q[128];
        snprintf(q, sizeof(q), "g=x&ts=%s", ok[i].ts);
        assert_int_equal(decode_query(q), 0);
        if (B.hits[0].ts_us != ok[i].us)
            fail_msg("ts=%s: %lld, want %lld", ok[i].ts, (long long)B.hits[0].ts_us,
                     (long long)ok[i].us);
    }
    /* each refusal says what is wrong: the form, or which field is out of range */
#define FORM                                                                                       \
    "is neither Unix seconds nor an ISO 8601 time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm], or without "   \
    "separators)"
    static const struct {
        const char *ts, *msg;
    } bad[] = {
        {"2024-01-01", "ts '2024-01-01' " FORM},
        {"2024-01-01T", "ts '2024-01-01T' " FORM},
        {"2024-01-01T10", "ts '2024-01-01T10' " FORM},
        {"2024-13-01T10%3A00",
         "ts '2024-13-01T10:00' has month 13, which does not exist (01 to 12)"},
        {"2024-01-01T24%3A00", "ts '2024-01-01T24:00' has hour 24 (00 to 23)"},
        {"2024-01-01T10%3A60", "ts '2024-01-01T10:60' has minute 60 (00 to 59)"},
        {"2024-01-01T10%3A00%3A61", "ts '2024-01-01T10:00:61' has second 61 (00 to 60)"},
        {"2024-01-01T10%3A00%2B24",
         "ts '2024-01-01T10:00+24' has a zone offset of 24 hours (at most 23)"},
        {"2024-01-01T10%3A00%2B01%3A60",
         "ts '2024-01-01T10:00+01:60' has a zone offset of 60 minutes (at most 59)"},
        {"2024-01-01T10%3A00%3A00%2B0", "ts '2024-01-01T10:00:00+0' " FORM},
        {"2024-01-01T10%3A00%3A00.Z", "ts '2024-01-01T10:00:00.Z' " FORM},
        {"2024-01-0110%3A00", "ts '2024-01-0110:00' " FORM},
        {"20240101T1000Zx", "ts '20240101T1000Zx' " FORM},
        {"2024-01-01T10%3A00%3A00 Z", "ts '2024-01-01T10:00:00 Z' " FORM},
        {"99991231T0000", "ts '99991231T0000' is before 1970 or after 3000"},
        {"1969-12-31T23%3A59Z", "ts '1969-12-31T23:59Z' is before 1970 or after 3000"},
        {"-1", "ts '-1' is Unix seconds before 1970 or after 3000"},
        /* days a month does not have: not moved to the next month */
        {"2026-02-31T10%3A00%3A00Z",
         "ts '2026-02-31T10:00:00Z' has day 31, which February 2026 does not have (01 to 28)"},
        {"2026-02-31T10%3A00%3A00",
         "ts '2026-02-31T10:00:00' has day 31, which February 2026 does not have (01 to 28)"},
        {"2025-02-29T10%3A00",
         "ts '2025-02-29T10:00' has day 29, which February 2025 does not have (01 to 28)"},
        {"2100-02-29T10%3A00",
         "ts '2100-02-29T10:00' has day 29, which February 2100 does not have (01 to 28)"},
        {"2024-02-30T10%3A00",
         "ts '2024-02-30T10:00' has day 30, which February 2024 does not have (01 to 29)"},
        {"20260431T1000",
         "ts '20260431T1000' has day 31, which April 2026 does not have (01 to 30)"},
        {"2026-11-31T00%3A00",
         "ts '2026-11-31T00:00' has day 31, which November 2026 does not have (01 to 30)"},
        {"2026-11-00T00%3A00",
         "ts '2026-11-00T00:00' has day 00, which November 2026 does not have (01 to 30)"},
    };
#undef FORM
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[128];
        snprintf(q, sizeof(q), "g=x&ts=%s", bad[i].ts);
        if (decode_query(q) != CN_BADROW_BAD_TIMESTAMP)
            fail_msg("ts=%s was taken", bad[i].ts);
        assert_string_equal(E.msg, bad[i].msg);
    }
}

/* A ts more than 24 hours after the receive time is a bad_timestamp bad row (a device clock
 * far ahead would hold the visitor's visit open for good); up to 24 hours, and any time
 * before, is taken. The receive time decides, never the wall clock. */
static void adobe_timestamp_far_ahead_of_the_receive_time_is_refused(void **state)
{
    (void)state;
    /* exactly 24 hours ahead: taken */
    assert_int_equal(decode_query("g=x&ts=1796083200"), 0);
    assert_int_equal(B.hits[0].ts_us, RECV_US + 86400000000LL);
    assert_int_equal(decode_query("g=x&ts=2026-12-01T08%3A00%3A00%2B08%3A00"), 0);
    /* one second more: refused, naming the value and the receive time */
    assert_int_equal(decode_query("g=x&ts=1796083201"), CN_BADROW_BAD_TIMESTAMP);
    assert_string_equal(E.msg, "ts '1796083201' is more than 24 hours after the hit's receive "
                               "time 2026-11-30T00:00:00.000000Z");
    assert_int_equal(decode_query("g=x&ts=2030-01-01T00%3A00Z"), CN_BADROW_BAD_TIMESTAMP);
    /* long ago is taken (late, offline hits) */
    assert_int_equal(decode_query("g=x&ts=1000000000"), 0);
    assert_int_equal(B.hits[0].ts_us, 1000000000000000LL);
}

/* A bad row's detail names what is wrong with the value, not only that it is bad. */
static void bad_row_details_say_what_is_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        int reason;
        const char *msg;
    } adobe[] = {
        {"g=x&products=%3BA%3Btwo", CN_BADROW_BAD_PRODUCTS,
         "product A: quantity 'two' is not a number"},
        {"g=x&products=%3BA%3B1.5", CN_BADROW_BAD_PRODUCTS,
         "product A: quantity '1.5' is not a whole number"},
        {"g=x&products=%3BA%3B-2", CN_BADROW_BAD_PRODUCTS, "product A: quantity '-2' is negative"},
        {"g=x&products=%3BA%3B1000000001", CN_BADROW_BAD_PRODUCTS,
         "product A: quantity '1000000001' is over 1000000000"},
        {"g=x&products=%3BA%3B99999999999999999999", CN_BADROW_BAD_PRODUCTS,
         "product A: quantity '99999999999999999999' is over 1000000000"},
        {"g=x&products=%3BA%3B1%3B%2412", CN_BADROW_BAD_PRODUCTS,
         "product A: price '$12' is not a decimal amount such as 12.50"},
        {"g=x&products=%3BA%3B1%3B1e3", CN_BADROW_BAD_PRODUCTS,
         "product A: price '1e3' is not a decimal amount such as 12.50"},
        {"g=x&products=%3BA%3B1%3B100000000000000", CN_BADROW_BAD_PRODUCTS,
         "product A: price '100000000000000' is out of range (at most 14 digits before the point)"},
        {"g=x&products=%3BA%3B1%3B1%3B%3BeVar251%3Dred", CN_BADROW_BAD_PRODUCTS,
         "product A: eVar 'eVar251=red' names an eVar outside eVar1 to eVar250"},
        {"g=x&products=%3BA%3B1%3B1%3B%3Bcolour%3Dred", CN_BADROW_BAD_PRODUCTS,
         "product A: eVar 'colour=red' is not eVarN=value"},
        {"g=x&events=event3%3Dabc", CN_BADROW_BAD_EVENTS,
         "event3 value 'abc' is not a decimal amount such as 12.50"},
        {"g=x&events=event3%3A", CN_BADROW_BAD_EVENTS, "event3 serialization id is empty"},
        {"g=x&events=event1001", CN_BADROW_BAD_EVENTS,
         "unknown event 'event1001' (eventN is event1 to event1000)"},
        {"g=x&events=event0", CN_BADROW_BAD_EVENTS,
         "unknown event 'event0' (eventN is event1 to event1000)"},
        {"g=x&events=event05", CN_BADROW_BAD_EVENTS,
         "unknown event 'event05' (eventN is written without leading zeros)"},
        {"g=x&events=Purchase", CN_BADROW_BAD_EVENTS,
         "unknown event 'Purchase' (eventN, purchase, prodView, scOpen, scAdd, scRemove, scView or "
         "scCheckout, case-sensitive)"},
    };
    for (size_t i = 0; i < sizeof(adobe) / sizeof(adobe[0]); i++) {
        if (decode_query(adobe[i].q) != adobe[i].reason)
            fail_msg("%s: reason %d, want %d", adobe[i].q, decode_query(adobe[i].q),
                     adobe[i].reason);
        assert_string_equal(E.msg, adobe[i].msg);
    }
    static const struct {
        const char *item, *revenue;
        int reason;
        const char *msg;
    } json[] = {
        {"\"price\":\"12,50\"", "null", CN_BADROW_BAD_PRODUCTS,
         "events[0].items[0].price is not a decimal amount such as 12.50"},
        {"\"price\":true", "null", CN_BADROW_BAD_PRODUCTS,
         "events[0].items[0].price is not a number"},
        {"\"price\":1e15", "null", CN_BADROW_BAD_PRODUCTS,
         "events[0].items[0].price is out of range (at most 14 digits before the point)"},
        {"\"price\":-1", "null", CN_BADROW_BAD_PRODUCTS, "events[0].items[0].price is negative"},
        {"\"price\":1", "\"lots\"", CN_BADROW_BAD_JSON,
         "events[0].revenue is not a decimal amount such as 12.50"},
        {"\"price\":1", "{}", CN_BADROW_BAD_JSON, "events[0].revenue is not a number"},
        {"\"price\":1", "1000000000000000", CN_BADROW_BAD_JSON,
         "events[0].revenue is out of range (at most 14 digits before the point)"},
    };
    for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"order_id\":\"O\","
                 "\"revenue\":%s,\"items\":[{\"sku\":\"A\",%s}]}]}",
                 json[i].revenue, json[i].item);
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(body)};
        if (cn_decode_raw(&r, &B, &E) != json[i].reason)
            fail_msg("%s: %s", body, E.msg);
        assert_string_equal(E.msg, json[i].msg);
        /* the jansson reference decoder gives the same detail */
        assert_int_equal(cn__decode_canton_json_ref(&r, &B, &E), json[i].reason);
        assert_string_equal(E.msg, json[i].msg);
    }
}

static void adobe_rule_breaks_become_reasons(void **state)
{
    (void)state;
    assert_int_equal(decode_query(""), CN_BADROW_EMPTY);
    assert_int_equal(decode_query("AQB=1&AQE=1"), CN_BADROW_NO_PAGE_URL);
    assert_int_equal(decode_query("g=x&cc=cny"), CN_BADROW_BAD_CURRENCY);
    assert_int_equal(decode_query("g=x&events=event1001"), CN_BADROW_BAD_EVENTS);
    assert_int_equal(decode_query("g=x&products=%3BA%3Btwo"), CN_BADROW_BAD_PRODUCTS);
    assert_int_equal(decode_query("g=x&c.&a.&k=v&.c"), CN_BADROW_BAD_QUERY);
    cn_rawhit_t r = {.proto = CN_PROTO_UNKNOWN};
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_UNSUPPORTED);
}

/*
 * Adobe's automatic product view: products that give an item and an events variable without a
 * shopping-cart event (absent, empty, blank, only commas, only custom eventN; `ev` as well)
 * count a prodView, decoded as events=prodView is: one commerce event after the other events.
 * Any commerce event in the variable (prodView, scAdd, purchase...) takes it away; blank
 * products count none; unknown event names and items without a product id stay bad rows.
 */
static void adobe_products_without_events_count_a_product_view(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        uint8_t events;    /* the hit's flags */
        uint32_t ev_count; /* its events, the automatic prodView included */
        uint32_t prod_count;
    } cases[] = {
        {"g=x&products=Mugs%3BA%2C%3BB", CN_EV_PROD_VIEW, 1, 2},
        {"g=x&events=&products=%3BA", CN_EV_PROD_VIEW, 1, 1},
        {"g=x&events=%2C%20%2C&products=%3BA", CN_EV_PROD_VIEW, 1, 1},
        {"g=x&ev=&pl=%3BA", CN_EV_PROD_VIEW, 1, 1},
        {"g=x&pe=lnk_o&pev2=more&products=%3BA", CN_EV_PROD_VIEW, 1, 1},
        /* event3 of the products, unlisted in events, is not counted (below) */
        {"g=x&products=%3BA%3B%3B%3Bevent3%3D2%3BeVar4%3Dblue", CN_EV_PROD_VIEW, 1, 1},
        {"g=x&events=event3&products=%3BA%3B%3B%3Bevent3%3D2%3BeVar4%3Dblue", CN_EV_PROD_VIEW, 2,
         1},
        {"g=x&events=prodView&products=%3BA", CN_EV_PROD_VIEW, 1, 1},
        {"g=x&events=event1&products=%3BA", CN_EV_PROD_VIEW, 2, 1},
        {"g=x&events=scAdd&products=%3BA", CN_EV_CART_ADD, 1, 1},
        {"g=x&events=event7%3D2%2Cevent3&products=%3BA%3B%3B%3Bevent3%3D2", CN_EV_PROD_VIEW, 3, 1},
        {"g=x&events=event1%2Cpurchase&products=%3BA", CN_EV_PURCHASE, 2, 1},
        {"g=x&events=scCheckout&products=%3BA", CN_EV_CHECKOUT, 1, 1},
        {"g=x&products=", 0, 0, 0},
        {"g=x&products=%2C%20%2C", 0, 0, 0},
        {"g=x&events=", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (decode_query(cases[i].q) != 0)
            fail_msg("%s: %s", cases[i].q, E.msg);
        const cn_dhit_t *h = &B.hits[0];
        if (h->events != cases[i].events || h->ev_count != cases[i].ev_count ||
            h->prod_count != cases[i].prod_count)
            fail_msg("%s: events %u, %u events, %u products", cases[i].q, h->events, h->ev_count,
                     h->prod_count);
    }
    /* the automatic one is the event events=prodView gives, after the products' events */
    assert_int_equal(decode_query("g=x&events=event3&products=%3BA%3B%3B%3Bevent3%3D2"), 0);
    const cn_devent_t *e = &B.events[B.hits[0].ev_first];
    assert_int_equal(e[0].num, 3);
    assert_int_equal(e[0].product, 0);
    assert_int_equal(e[1].flag, CN_EV_PROD_VIEW);
    assert_int_equal(e[1].num, 0);
    assert_int_equal(e[1].product, -1);
    assert_false(e[1].has_value);
    assert_int_equal(e[1].serial.len, 0);
    /* Adobe's other case, events that are all unknown names, is a bad row in canton; so is a
     * product without a product id (Adobe's "empty product") */
    assert_int_equal(decode_query("g=x&events=shoppingCart&products=%3BA"), CN_BADROW_BAD_EVENTS);
    assert_int_equal(decode_query("g=x&products=%3B"), CN_BADROW_BAD_PRODUCTS);
    /* canton JSON says product_view itself: an event with items counts none */
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_CANTON_JSON;
    r.method = CN_STR_LIT("POST");
    r.body = CN_STR_LIT("{\"suite\":\"d\",\"events\":[{\"type\":\"event\",\"name\":\"n\","
                        "\"items\":[{\"sku\":\"A\"}]}]}");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hits[0].prod_count, 1);
    assert_int_equal(B.hits[0].events, 0);
    assert_int_equal(B.hits[0].ev_count, 0);
}

static void adobe_many_parameters_grow_then_hit_the_limit(void **state)
{
    (void)state;
    cn_buf_t q = CN_BUF_INIT;
    cn_buf_append_c(&q, "g=x");
    for (int i = 0; i < 300; i++)
        cn_buf_printf(&q, "&x%d=%d", i, i);
    cn_buf_append_c(&q, "&c7=last&pageName=P%20last&AQE=1");
    assert_int_equal(decode_query(q.ptr), 0);
    assert_int_equal(B.hits[0].var_count, 1);
    assert_str(B.vars[B.hits[0].var_first].value, "last");
    /* filed from before the table grew (g) and after it (pageName, AQE) */
    assert_str(B.hits[0].url, "x");
    assert_str(B.hits[0].page_name, "P last");
    assert_false(B.hits[0].truncated);
    cn_buf_clear(&q);
    cn_buf_append_c(&q, "g=x");
    for (int i = 0; i < 300; i++)
        cn_buf_printf(&q, "&x%d=%d", i, i);
    for (int i = 300; i < 4200; i++)
        cn_buf_printf(&q, "&x%d=%d", i, i);
    assert_int_equal(decode_query(q.ptr), CN_BADROW_TOO_BIG);
    cn_buf_dispose(&q);
}

/* A field given twice takes its last value, and only that one is decoded; pe and ts count
 * each time they are given, in order, as the variables do (collect()'s slots and kept list). */
static void adobe_repeated_fields_last_pe_and_ts_each(void **state)
{
    (void)state;
    /* the last of each field, its value a D= of a later parameter and in the charset of a
     * later ce */
    assert_int_equal(decode_query("g=a&pageName=%FF%FE&ch=one&pageName=D%3Dc9&ch=&mid=M1&"
                                  "c9=Caf%E9&mid=M2&ce=ISO-8859-1"),
                     0);
    assert_str(B.hits[0].page_name, "Caf\xc3\xa9");
    assert_int_equal(B.hits[0].section.len, 0);
    assert_str(B.hits[0].visitor_id, "M2");
    assert_int_equal(B.hits[0].vid_src, CN_VID_MID);
    assert_true(B.hits[0].truncated);
    /* pe: its last value that is not empty decides */
    assert_int_equal(decode_query("g=x&pe=lnk_d&pe=&AQE=1"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_DOWNLOAD);
    assert_false(B.hits[0].truncated);
    assert_int_equal(decode_query("g=x&pe=lnk_d&pe=lnk_o"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_LINK);
    /* ts: a bad one is the bad row even when a good one follows */
    assert_int_equal(decode_query("g=x&ts=yesterday&ts=1700000000"), CN_BADROW_BAD_TIMESTAMP);
    assert_int_equal(decode_query("g=x&ts=1600000000&ts=1700000000"), 0);
    assert_int_equal(B.hits[0].ts_us, 1700000000000000LL);
    /* a purchaseID given twice: the last, trimmed and cut */
    assert_int_equal(decode_query("g=x&purchaseID=A1&purchaseID=+B2+"), 0);
    assert_str(B.hits[0].purchase_id, "B2");
}

static void adobe_multi_suite_list_from_path(void **state)
{
    (void)state;
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_ADOBE;
    r.path = CN_STR_LIT("/b/ss/a,b/1/JS-2.21.0/s1");
    r.query = CN_STR_LIT("g=x");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "a,b");
}

/* --- Events string --- */

static void events_counters_values_and_serials(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_events(CN_STR_LIT("purchase, prodView,event1,event2=5,event3=-1.25,"
                                                 "event4:ABC,scCheckout,"),
                                      &B, h, -1, &E),
                     0);
    assert_int_equal(h->events, CN_EV_PURCHASE | CN_EV_PROD_VIEW | CN_EV_CHECKOUT);
    assert_int_equal(h->ev_count, 7);
    cn_devent_t *e = &B.events[h->ev_first];
    assert_int_equal(e[2].num, 1);
    assert_false(e[2].has_value);
    assert_int_equal(e[3].num, 2);
    assert_int_equal(e[3].value, 50000);
    assert_int_equal(e[4].value, -12500);
    assert_int_equal(e[5].num, 4);
    assert_str(e[5].serial, "ABC");
}

/* The cart events take a serialization id as eventN does (Adobe serializes every event but
 * purchase, whose repeats purchaseID finds); before, any of them with an id was refused. */
static void cart_events_take_a_serialization_id(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(
        cn_decode_events(CN_STR_LIT("scAdd:k1, prodView:p ,scCheckout"), &B, h, -1, &E), 0);
    assert_int_equal(h->events, CN_EV_CART_ADD | CN_EV_PROD_VIEW | CN_EV_CHECKOUT);
    assert_int_equal(h->ev_count, 3);
    cn_devent_t *e = &B.events[h->ev_first];
    assert_int_equal(e[0].flag, CN_EV_CART_ADD);
    assert_int_equal(e[0].num, 0);
    assert_str(e[0].serial, "k1");
    assert_str(e[1].serial, "p");
    assert_int_equal(e[2].serial.len, 0);
    const struct {
        const char *in, *msg;
    } bad[] = {
        {"purchase:o1", "purchase takes no serialization id (a repeated order is known by its "
                        "purchaseID)"},
        {"scAdd:", "scAdd serialization id is empty"},
        {"scAdd=2", "event 'scAdd' takes no value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_dbatch_reset(&B);
        h = cn_dbatch_add_hit(&B);
        assert_int_equal(cn_decode_events(cn_str_c(bad[i].in), &B, h, -1, &E),
                         CN_BADROW_BAD_EVENTS);
        assert_string_equal(E.msg, bad[i].msg);
    }
}

static void events_reject_unknown_and_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"purchases",  "event0",     "event01", "event1000x", "event5=abc",
                         "event5=1e3", "purchase=3", "event7:", "eventful"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_dbatch_reset(&B);
        cn_dhit_t *h = cn_dbatch_add_hit(&B);
        if (cn_decode_events(cn_str_c(bad[i]), &B, h, -1, &E) != CN_BADROW_BAD_EVENTS)
            fail_msg("'%s' was accepted", bad[i]);
    }
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_events(CN_STR_LIT("event1000"), &B, h, -1, &E), 0);
}

/* --- Products string --- */

static void products_fields_events_and_merch_evars(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(
        cn_decode_products(CN_STR_LIT("Kitchen/Mugs;SKU-RED-MUG;2;79.80;event10=1.5|event11;"
                                      "eVar4=Red Mug|evar5=x,;SKU-2,Tea;SKU-3;;;,"),
                           &B, h, &E),
        0);
    assert_int_equal(h->prod_count, 3);
    cn_dprod_t *p = &B.prods[h->prod_first];
    assert_str(p[0].category, "Kitchen/Mugs");
    assert_str(p[0].sku, "SKU-RED-MUG");
    assert_true(p[0].has_qty && p[0].has_price);
    assert_int_equal(p[0].qty, 2);
    assert_int_equal(p[0].price, 798000);
    assert_int_equal(p[1].category.len, 0);
    assert_str(p[1].sku, "SKU-2");
    assert_false(p[1].has_qty || p[1].has_price);
    assert_str(p[2].category, "Tea");
    assert_int_equal(h->ev_count, 2);
    assert_int_equal(B.events[h->ev_first].num, 10);
    assert_int_equal(B.events[h->ev_first].value, 15000);
    assert_int_equal(B.events[h->ev_first].product, 0);
    assert_int_equal(h->var_count, 2);
    assert_int_equal(B.vars[h->var_first].var, CN_VAR_EVAR | 4);
    assert_str(B.vars[h->var_first].value, "Red Mug");
    assert_int_equal(B.vars[h->var_first + 1].var, CN_VAR_EVAR | 5);
    /* merchandising eVars are bound to their product (index in the hit) */
    assert_int_equal(B.vars[h->var_first].product, 0);
    assert_int_equal(B.vars[h->var_first + 1].product, 0);
}

static void merch_evars_name_their_product(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_vars_add(&B, h, CN_VAR_EVAR | 1, CN_STR_LIT("hit"), &E), 0);
    assert_int_equal(cn_decode_products(
                         CN_STR_LIT(";A;1;10;;eVar5=blue|eVar6=M,;B,;C;1;5;;eVar5=red"), &B, h, &E),
                     0);
    assert_int_equal(h->var_count, 4);
    const cn_dvar_t *v = &B.vars[h->var_first];
    assert_int_equal(v[0].product, -1);
    assert_int_equal(v[1].var, CN_VAR_EVAR | 5);
    assert_int_equal(v[1].product, 0);
    assert_str(v[1].value, "blue");
    assert_int_equal(v[2].var, CN_VAR_EVAR | 6);
    assert_int_equal(v[2].product, 0);
    assert_str(v[2].value, "M");
    assert_int_equal(v[3].var, CN_VAR_EVAR | 5);
    assert_int_equal(v[3].product, 2);
    assert_str(v[3].value, "red");
}

static void products_reject_bad_fields(void **state)
{
    (void)state;
    const char *bad[] = {"Cat;;1;2",        ";A;x;1",         ";A;1;1,5.0x", ";A;1;1;purchase",
                         ";A;1;1;;prop1=x", ";A;1;1;;;extra", ";A;-1;1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_dbatch_reset(&B);
        cn_dhit_t *h = cn_dbatch_add_hit(&B);
        if (cn_decode_products(cn_str_c(bad[i]), &B, h, &E) != CN_BADROW_BAD_PRODUCTS)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

/*
 * The products and events strings are split 16 bytes at a time, the last
 * ones read as the final 16 bytes of the string: a separator at every
 * position of strings around that length must still be found.
 */
static void products_split_at_every_length(void **state)
{
    (void)state;
    char s[128], sku[64];
    for (size_t n = 1; n < 48; n++) {
        memset(sku, 'X', n);
        sku[n] = 0;
        sku[n - 1] = 'Z';
        /* "Cat;XX..Z;3;1.5;;eVar7=v" then a second product "C2;Q" */
        snprintf(s, sizeof(s), "Cat;%s;3;1.5;;eVar7=v,C2;Q", sku);
        cn_dbatch_reset(&B);
        cn_dhit_t *h = cn_dbatch_add_hit(&B);
        assert_int_equal(cn_decode_products(cn_str_c(s), &B, h, &E), 0);
        assert_int_equal(h->prod_count, 2);
        assert_str(B.prods[h->prod_first].sku, sku);
        assert_int_equal(B.prods[h->prod_first].qty, 3);
        assert_int_equal(B.prods[h->prod_first].price, 15000);
        assert_str(B.prods[h->prod_first + 1].sku, "Q");
        assert_int_equal(h->var_count, 1);
        assert_str(B.vars[h->var_first].value, "v");
        /* the last field running to the end of the string, n bytes long */
        snprintf(s, sizeof(s), ";A;;;;eVar9=%s", sku);
        cn_dbatch_reset(&B);
        h = cn_dbatch_add_hit(&B);
        assert_int_equal(cn_decode_products(cn_str_c(s), &B, h, &E), 0);
        assert_str(B.vars[h->var_first].value, sku);
        /* a seventh field, its ';' at the end */
        snprintf(s, sizeof(s), ";%s;;;;;", sku);
        cn_dbatch_reset(&B);
        h = cn_dbatch_add_hit(&B);
        assert_int_equal(cn_decode_products(cn_str_c(s), &B, h, &E), CN_BADROW_BAD_PRODUCTS);
        assert_string_equal(E.msg + strlen(E.msg) - strlen("has more than 6 fields"),
                            "has more than 6 fields");
        /* an events value n digits long, then its '=' found in a longer list */
        snprintf(s, sizeof(s), "event%zu=%.*s,scAdd", n % 9 + 1, (int)(n % 12 + 1), "123456789012");
        cn_dbatch_reset(&B);
        h = cn_dbatch_add_hit(&B);
        assert_int_equal(cn_decode_events(cn_str_c(s), &B, h, -1, &E), 0);
        assert_int_equal(h->ev_count, 2);
        assert_true(B.events[h->ev_first].has_value);
        assert_int_equal(h->events, CN_EV_CART_ADD);
    }
}

/* A whole events string that is one commerce event takes a short cut: the same result. */
static void events_single_commerce_event(void **state)
{
    (void)state;
    const struct {
        const char *s;
        int rc;
        uint8_t flags;
    } cases[] = {
        {"prodView", 0, CN_EV_PROD_VIEW},
        {" prodView ", 0, CN_EV_PROD_VIEW},
        {"scCheckout", 0, CN_EV_CHECKOUT},
        {"scRemove", 0, CN_EV_CART_REMOVE},
        {"prodview", CN_BADROW_BAD_EVENTS, 0},
        {"prodView=1", CN_BADROW_BAD_EVENTS, 0},
        {"scAdd:X", 0, CN_EV_CART_ADD},
        {"purchase:X", CN_BADROW_BAD_EVENTS, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_dbatch_reset(&B);
        cn_dhit_t *h = cn_dbatch_add_hit(&B);
        int rc = cn_decode_events(cn_str_c(cases[i].s), &B, h, -1, &E);
        if (rc != cases[i].rc || (rc == 0 && h->events != cases[i].flags))
            fail_msg("'%s': %d %u", cases[i].s, rc, h->events);
        if (rc == 0 && cases[i].flags != 0) {
            assert_int_equal(h->ev_count, 1);
            assert_int_equal(B.events[h->ev_first].flag, cases[i].flags);
            assert_int_equal(B.events[h->ev_first].product, -1);
        }
    }
    /* a product's events string (| separated) never takes it: commerce events are refused */
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_events(CN_STR_LIT("prodView"), &B, h, 0, &E),
                     CN_BADROW_BAD_PRODUCTS);
}

/* --- Context data --- */

static void contextdata_nests_with_a_stack(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_contextdata(CN_STR_LIT("g=x&c.&newsletter.&plan=weekly&deep.&x=1&"
                                                      ".deep&.newsletter&top=a%20b&.c&after=no"),
                                           &B, h, CN_CHARSET_UTF8, &E),
                     0);
    assert_int_equal(h->ctx_count, 3);
    assert_str(B.ctx[h->ctx_first].key, "newsletter.plan");
    assert_str(B.ctx[h->ctx_first].value, "weekly");
    assert_str(B.ctx[h->ctx_first + 1].key, "newsletter.deep.x");
    assert_str(B.ctx[h->ctx_first + 2].key, "top");
    assert_str(B.ctx[h->ctx_first + 2].value, "a b");
}

static void contextdata_rejects_unbalanced_groups(void **state)
{
    (void)state;
    cn_dbatch_reset(&B);
    cn_dhit_t *h = cn_dbatch_add_hit(&B);
    assert_int_equal(cn_decode_contextdata(CN_STR_LIT("c.&a.&.b&.c"), &B, h, CN_CHARSET_UTF8, &E),
                     CN_BADROW_BAD_QUERY);
    assert_int_equal(cn_decode_contextdata(CN_STR_LIT("c.&a.&k=v"), &B, h, CN_CHARSET_UTF8, &E),
                     CN_BADROW_BAD_QUERY);
}

/* Context data keys that are also Adobe variable names (s.contextData["pageName"]) stay
 * context data: they never set the hit's variables. Markers written "c.=" (as generic URL
 * encoders write empty values) open and close groups as "c." does. */
/* Context data decodes as the hit's other values: the charset ce names (also when ce comes
 * after c.), %uXXXX escapes, and invalid UTF-8 becomes U+FFFD; keys as well as values. */
static void contextdata_follows_ce_and_escapes(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=x&ce=ISO-8859-1&c.&key=Caf%E9&k%E9y=%80&.c"), 0);
    cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->ctx_count, 2);
    assert_str(B.ctx[h->ctx_first].key, "key");
    assert_str(B.ctx[h->ctx_first].value, "Caf\xc3\xa9");
    assert_str(B.ctx[h->ctx_first + 1].key, "k\xc3\xa9y");
    assert_str(B.ctx[h->ctx_first + 1].value, "\xe2\x82\xac");
    assert_int_equal(decode_query("g=x&c.&a=%u4E2D%E9&.c&ce=windows-1251&c.&b=%CF&.c"), 0);
    h = &B.hits[0];
    assert_int_equal(h->ctx_count, 2);
    assert_str(B.ctx[h->ctx_first].value, "\xe4\xb8\xad\xc3\xa9");
    assert_str(B.ctx[h->ctx_first + 1].value, "\xd0\x9f");
    assert_int_equal(decode_query("g=x&c.&a=Caf%E9&b%FF=1&.c"), 0);
    h = &B.hits[0];
    assert_str(B.ctx[h->ctx_first].value, "Caf\xef\xbf\xbd");
    assert_str(B.ctx[h->ctx_first + 1].key, "b\xef\xbf\xbd");
}

static void contextdata_keys_are_not_variables(void **state)
{
    (void)state;
    assert_int_equal(decode_query("pageName=Real&g=https%3A%2F%2Fs%2Fa&c.&pageName=Ctx&server=x"
                                  "&v1=ctx&events=purchase&g=no&.c&c2=p2&AQE=1"),
                     0);
    cn_dhit_t *h = &B.hits[0];
    assert_str(h->page_name, "Real");
    assert_str(h->url, "https://s/a");
    assert_str(h->server, "");
    assert_int_equal(h->events, 0);
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[h->var_first].var, CN_VAR_PROP | 2);
    assert_int_equal(h->ctx_count, 5);
    assert_str(B.ctx[h->ctx_first].key, "pageName");
    assert_str(B.ctx[h->ctx_first].value, "Ctx");
    assert_false(h->truncated); /* AQE after .c is read */

    assert_int_equal(decode_query("g=u&c.=&nl.=&plan=weekly&.nl=&src=ft&.c=&pageName=P"), 0);
    h = &B.hits[0];
    assert_str(h->page_name, "P");
    assert_int_equal(h->ctx_count, 2);
    assert_str(B.ctx[h->ctx_first].key, "nl.plan");
    assert_str(B.ctx[h->ctx_first].value, "weekly");
    assert_str(B.ctx[h->ctx_first + 1].key, "src");

    /* "c.=x" is a parameter with a value, not the start of context data */
    assert_int_equal(decode_query("g=u&c.=x&pageName=P"), 0);
    assert_str(B.hits[0].page_name, "P");
    assert_int_equal(B.hits[0].ctx_count, 0);
}

/* --- Amounts --- */

static void money_parses_exactly(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(cn_parse_money(CN_STR_LIT("79.80"), &v), 0);
    assert_int_equal(v, 798000);
    assert_int_equal(cn_parse_money(CN_STR_LIT("0.00005"), &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cn_parse_money(CN_STR_LIT("-2.12344"), &v), 0);
    assert_int_equal(v, -21234);
    assert_int_equal(cn_parse_money(CN_STR_LIT(".5"), &v), 0);
    assert_int_equal(v, 5000);
    assert_int_equal(cn_parse_money(CN_STR_LIT("99999999999999"), &v), 0);
    assert_int_equal(cn_parse_money(CN_STR_LIT("100000000000000"), &v), CN_EPARSE);
    assert_int_equal(cn_parse_money(CN_STR_LIT(""), &v), CN_EPARSE);
    assert_int_equal(cn_parse_money(CN_STR_LIT("."), &v), CN_EPARSE);
    assert_int_equal(cn_parse_money(CN_STR_LIT("1e3"), &v), CN_EPARSE);
    assert_int_equal(cn_parse_money(CN_STR_LIT("1,5"), &v), CN_EPARSE);
}

/* --- canton JSON and pixel --- */

static const char batch_json[] =
    "{\"suite\":\"demo\",\"visitor\":\"c0ffee\",\"events\":["
    "{\"type\":\"pageview\",\"url\":\"https://shop.example/p/red-mug?utm_source=x\","
    "\"referrer\":\"https://www.google.com/\",\"title\":\"Red Mug\",\"screen\":\"1280x720\","
    "\"lang\":\"en-US\",\"props\":{\"plan\":\"weekly\",\"position\":3}},"
    "{\"type\":\"purchase\",\"order_id\":\"ORD-1\",\"currency\":\"CNY\",\"revenue\":207.60,"
    "\"items\":[{\"sku\":\"SKU-RED-MUG\",\"category\":\"Kitchen/Mugs\",\"quantity\":2,"
    "\"price\":39.90},{\"name\":\"Tea\",\"price\":\"128\"}]},"
    "{\"type\":\"outbound\",\"name\":\"Partner\",\"target\":\"https://partner.example/\"}]}";

/* A quantity is a whole number, also when written with a zero fraction (2.0: Python's
 * json.dumps of a float); 2.5, a negative or a string is bad_products. */
static void canton_json_quantity_whole_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        int64_t qty;     /* -1: bad_products */
        const char *why; /* the detail after "events[0].items[0].quantity " */
    } cases[] = {{"2", 2, NULL},
                 {"2.0", 2, NULL},
                 {"2.000", 2, NULL},
                 {"3e0", 3, NULL},
                 {"0.0", 0, NULL},
                 {"1000000000", 1000000000, NULL},
                 {"2.5", -1, "is not a whole number"},
                 {"-1.0", -1, "is negative"},
                 {"-1", -1, "is negative"},
                 {"\"2\"", -1, "is a string, not a number"},
                 {"true", -1, "is not a number"},
                 {"[2]", -1, "is not a number"},
                 {"1000000001.0", -1, "is over 1000000000"},
                 {"1000000001", -1, "is over 1000000000"},
                 {"1e300", -1, "is over 1000000000"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"order_id\":\"O\","
                 "\"items\":[{\"sku\":\"A\",\"quantity\":%s,\"price\":1.5}]}]}",
                 cases[i].q);
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(body)};
        int rc = cn_decode_raw(&r, &B, &E);
        if (cases[i].qty < 0) {
            assert_int_equal(rc, CN_BADROW_BAD_PRODUCTS);
            char want[128];
            snprintf(want, sizeof(want), "events[0].items[0].quantity %s", cases[i].why);
            assert_string_equal(E.msg, want);
            continue;
        }
        assert_int_equal(rc, 0);
        const cn_dhit_t *h = &B.hits[0];
        assert_int_equal(B.prods[h->prod_first].qty, cases[i].qty);
        assert_int_equal(B.prods[h->prod_first].price, 15000 * cases[i].qty);
    }
}

/*
 * Prices as fixed point (CN_MONEY_SCALE, rounded at the 5th decimal), by the fast path (a
 * plain decimal's text parsed as money, else "%.6f" of the double) and by jansson's
 * reference path (always "%.6f"): both must give the same amounts.
 */
static void canton_json_prices_fixed_point(void **state)
{
    (void)state;
    static const struct {
        const char *price;
        int64_t want; /* -1: negative, a bad row */
    } cases[] = {{"16.99", 169900},
                 {"0.1", 1000},
                 {"0.00005", 1},
                 {"1.00004", 10000},
                 {"1.00005", 10001},
                 {"2.123456", 21235},
                 {"3.1234567", 31235},
                 {"999999999.999999", 10000000000000},
                 {"1234567890.5", 12345678905000},
                 {"12", 120000},
                 {"7.5e0", 75000},
                 {"-0.0", 0},
                 {"\"4.5\"", 45000},
                 {"-1.5", -1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"order_id\":\"O\","
                 "\"items\":[{\"sku\":\"A\",\"price\":%s}]}]}",
                 cases[i].price);
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(body)};
        for (int ref = 0; ref < 2; ref++) {
            cn_dbatch_reset(&B);
            cn_err_clear(&E);
            int rc = ref ? cn__decode_canton_json_ref(&r, &B, &E) : cn_decode_raw(&r, &B, &E);
            if (cases[i].want < 0) {
                assert_int_equal(rc, CN_BADROW_BAD_PRODUCTS);
                assert_string_equal(E.msg, "events[0].items[0].price is negative");
                continue;
            }
            assert_int_equal(rc, 0);
            const cn_dprod_t *p = &B.prods[B.hits[0].prod_first];
            if (p->price != cases[i].want)
                fail_msg("price %s (%s): %lld, not %lld", cases[i].price, ref ? "ref" : "fast",
                         (long long)p->price, (long long)cases[i].want);
        }
    }
}

static void canton_json_batch_decodes(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = CN_STR_LIT(batch_json)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "demo");
    assert_int_equal(B.hit_count, 3);
    cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->type, CN_HIT_PAGEVIEW);
    assert_str(h->visitor_id, "c0ffee");
    assert_str(h->page_name, "Red Mug");
    assert_str(h->language, "en-US");
    assert_int_equal(h->ctx_count, 2);
    assert_str(B.ctx[h->ctx_first + 1].value, "3");
    h = &B.hits[1];
    assert_int_equal(h->events, CN_EV_PURCHASE);
    assert_true(h->has_revenue);
    assert_int_equal(h->revenue, 2076000);
    assert_int_equal(h->prod_count, 2);
    assert_int_equal(B.prods[h->prod_first].price, 798000); /* unit price x quantity */
    assert_str(B.prods[h->prod_first + 1].sku, "Tea");
    assert_int_equal(B.prods[h->prod_first + 1].qty, 1);
    assert_int_equal(B.prods[h->prod_first + 1].price, 1280000);
    h = &B.hits[2];
    assert_int_equal(h->type, CN_HIT_EXIT);
    assert_str(h->link_url, "https://partner.example/");
}

/* True when s lies inside [p, p + n). */
static bool within(cn_str_t s, const char *p, size_t n)
{
    return s.ptr >= p && s.ptr + s.len <= p + n;
}

/*
 * The light parser's strings are the body's bytes, kept as slices (the raw
 * hit outlives the batch); jansson's are copied into the batch's arena,
 * since its tree is freed when the decoder returns (ASan sees any slip).
 */
static void canton_json_keeps_body_slices_and_copies_jansson_strings(void **state)
{
    (void)state;
    static const char plain[] = "{\"suite\":\"demo\",\"visitor\":\"v1\",\"events\":[{\"url\":"
                                "\"https://a.example/x\",\"title\":\"T\",\"props\":{\"k\":\"w\","
                                "\"n\":7},\"items\":[{\"sku\":\"S1\",\"category\":\"C\"}]}]}";
    static const char esc[] = "{\"suite\":\"demo\",\"visitor\":\"v1\",\"events\":[{\"url\":"
                              "\"https:\\/\\/a.example/x\",\"title\":\"T\",\"props\":{\"k\":\"w\","
                              "\"n\":7},\"items\":[{\"sku\":\"S1\",\"category\":\"C\"}]}]}";
    /* a name with an escape leaves the fast path and the light parser: jansson's strings are
     * copied */
    static const char jan[] =
        "{\"suite\":\"demo\",\"visitor\":\"v1\",\"events\":[{\"url\":"
        "\"https://a.example/x\",\"title\":\"T\",\"props\":{\"\\u006b\":\"w\","
        "\"n\":7},\"items\":[{\"sku\":\"S1\",\"category\":\"C\"}]}]}";
    size_t jn = strlen(jan);
    cn_rawhit_t rj = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str(jan, jn)};
    assert_int_equal(cn_decode_raw(&rj, &B, &E), 0);
    assert_str(B.hits[0].url, "https://a.example/x");
    assert_str(B.ctx[B.hits[0].ctx_first].key, "k");
    assert_false(within(B.hits[0].url, jan, jn));
    assert_false(within(B.hits[0].visitor_id, jan, jn));
    assert_false(within(B.ctx[B.hits[0].ctx_first].value, jan, jn));
    cn_dbatch_reset(&B);
    const char *bodies[] = {plain, esc};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(bodies[k]);
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str(bodies[k], n)};
        assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
        const cn_dhit_t *h = &B.hits[0];
        /* the fast path copies the strings with escapes (the url of the second), and only them */
        assert_str(h->url, "https://a.example/x");
        assert_str(h->visitor_id, "v1");
        assert_str(B.suites, "demo");
        assert_int_equal(within(h->url, bodies[k], n), k == 0);
        assert_true(within(h->page_name, bodies[k], n));
        assert_true(within(h->visitor_id, bodies[k], n));
        assert_true(within(B.suites, bodies[k], n));
        assert_true(within(B.prods[h->prod_first].sku, bodies[k], n));
        assert_int_equal(h->ctx_count, 2);
        assert_str(B.ctx[h->ctx_first].key, "k");
        assert_str(B.ctx[h->ctx_first].value, "w");
        assert_true(within(B.ctx[h->ctx_first].key, bodies[k], n));
        assert_true(within(B.ctx[h->ctx_first].value, bodies[k], n));
        assert_str(B.ctx[h->ctx_first + 1].value, "7"); /* a number's text is made: copied */
        assert_false(within(B.ctx[h->ctx_first + 1].value, bodies[k], n));
    }
}

static void canton_json_gzip_body_inflates(void **state)
{
    (void)state;
    unsigned char gz[2048];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)batch_json;
    z.avail_in = sizeof(batch_json) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = sizeof(gz) - z.avail_out;
    deflateEnd(&z);
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str((char *)gz, n)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hit_count, 3);
    r.body = cn_str((char *)gz, n / 2);
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_BAD_GZIP);
}

static void canton_json_rejects_bad_bodies(void **state)
{
    (void)state;
    const struct {
        const char *body;
        int reason;
    } cases[] = {
        {"", CN_BADROW_EMPTY},
        {"[1]", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\"}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"warp\"}]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"pageview\"}]}", CN_BADROW_NO_PAGE_URL},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"currency\":\"yen\"}]}",
         CN_BADROW_BAD_CURRENCY},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"event\",\"items\":[{\"price\":1}]}]}",
         CN_BADROW_BAD_PRODUCTS},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"event\",\"url\":5}]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}],\"suite\":\"e\"}",
         CN_BADROW_BAD_JSON},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(cases[i].body)};
        int rc = cn_decode_raw(&r, &B, &E);
        if (rc != cases[i].reason)
            fail_msg("case %zu: got %d want %d (%s)", i, rc, cases[i].reason, E.msg);
    }
}

/* A digest of the decoded batch: every field canton JSON fills. */
static void batch_text(char *out, size_t cap)
{
    size_t o = 0;
    o += (size_t)snprintf(out + o, cap - o, "%.*s|%zu|", CN_STR_FMT(B.suites), B.hit_count);
    for (size_t i = 0; i < B.hit_count && o < cap; i++) {
        const cn_dhit_t *h = &B.hits[i];
        o += (size_t)snprintf(
            out + o, cap - o, "%d %d %.*s %.*s %.*s %.*s %.*s %.*s %.*s %.*s %.*s %.*s %d %lld|",
            h->type, h->events, CN_STR_FMT(h->visitor_id), CN_STR_FMT(h->url),
            CN_STR_FMT(h->referrer), CN_STR_FMT(h->page_name), CN_STR_FMT(h->screen),
            CN_STR_FMT(h->language), CN_STR_FMT(h->purchase_id), CN_STR_FMT(h->currency),
            CN_STR_FMT(h->link_name), CN_STR_FMT(h->link_url), h->has_revenue,
            (long long)h->revenue);
        for (uint32_t k = 0; k < h->prod_count && o < cap; k++) {
            const cn_dprod_t *p = &B.prods[h->prod_first + k];
            o += (size_t)snprintf(out + o, cap - o, "p %.*s %.*s %lld %lld|", CN_STR_FMT(p->sku),
                                  CN_STR_FMT(p->category), (long long)p->qty, (long long)p->price);
        }
        for (uint32_t k = 0; k < h->ctx_count && o < cap; k++)
            o += (size_t)snprintf(out + o, cap - o, "c %.*s=%.*s|",
                                  CN_STR_FMT(B.ctx[h->ctx_first + k].key),
                                  CN_STR_FMT(B.ctx[h->ctx_first + k].value));
    }
}

/*
 * Plain bodies take the light parser, bodies with escapes or non-ASCII bytes
 * take jansson: the same content must decode the same either way.
 */
static void canton_json_light_and_jansson_paths_agree(void **state)
{
    (void)state;
    static const char escaped[] =
        "{\"suite\":\"demo\",\"visitor\":\"c0ffee\",\"events\":["
        "{\"type\":\"pageview\",\"url\":\"https://shop.example/p/red-mug?utm_source=x\","
        "\"referrer\":\"https:\\/\\/www.google.com/\",\"title\":\"Red\\u0020Mug\",\"screen\":"
        "\"1280x720\",\"lang\":\"en-US\",\"props\":{\"plan\":\"weekly\",\"position\":3}},"
        "{\"type\":\"purchase\",\"order_id\":\"ORD-1\",\"currency\":\"CNY\",\"revenue\":207.60,"
        "\"items\":[{\"sku\":\"SKU-RED-MUG\",\"category\":\"Kitchen/Mugs\",\"quantity\":2,"
        "\"price\":39.90},{\"name\":\"Tea\",\"price\":\"128\"}]},"
        "{\"type\":\"outbound\",\"name\":\"Partner\",\"target\":\"https://partner.example/\"}]}";
    static char a[4096], b[4096];
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = CN_STR_LIT(batch_json)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    batch_text(a, sizeof(a));
    r.body = CN_STR_LIT(escaped);
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    batch_text(b, sizeof(b));
    assert_string_equal(a, b);
    const struct {
        const char *body;
        int reason;
    } cases[] = {
        /* what the light parser must refuse as jansson does */
        {"{\"suite\":\"d\",\"x\":{\"a\":1,\"a\":2},\"events\":[{\"url\":\"u\"}]}",
         CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\"}]} x", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"revenue\":01}]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"revenue\":1.}]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"revenue\":99999999999999999999}]}",
         CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\"},]}", CN_BADROW_BAD_JSON},
        {"{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"props\":{\"k\":tru}}]}",
         CN_BADROW_BAD_JSON},
        /* and accept */
        {" {\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"revenue\":1.5e2,\"props\":{}}]}\n", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.body = cn_str_c(cases[i].body);
        int rc = cn_decode_raw(&r, &B, &E);
        if (rc != cases[i].reason)
            fail_msg("case %zu: got %d want %d (%s)", i, rc, cases[i].reason, E.msg);
    }
    assert_int_equal(B.hits[0].revenue, 150 * CN_MONEY_SCALE);
}

/*
 * The fast path (decoding while parsing) against jansson alone: bodies that
 * take it and bodies it must leave to the general path, all with the same
 * reason, message and batch either way.
 */
static void canton_json_fast_path_matches_reference(void **state)
{
    (void)state;
    static char many[64 * 1024], a[8192], b[8192];
    const char *bodies[] = {
        /* visitor and suite after the events, null and absent members */
        "{\"events\":[{\"url\":\"u\",\"title\":null,\"type\":null}],\"visitor\":\"v9\","
        "\"suite\":\"s\"}",
        "{\"suite\":null,\"visitor\":null,\"events\":[{\"url\":\"u\"}]}",
        "{\"events\":[{\"type\":\"event\",\"name\":\"n\",\"target\":\"t\"}]}",
        /* members the decoder ignores, nested, and the limit of 8 such names */
        "{\"suite\":\"d\",\"sent_at\":1,\"x\":{\"y\":[1,2,{\"z\":null}]},\"events\":[{\"url\":"
        "\"u\",\"ts\":17,\"a\":[],\"b\":{},\"c\":true,\"d\":false,\"e\":-0,\"f\":1e2}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,"
        "\"f\":1,\"g\":1,\"h\":1,\"i\":1}]}",
        /* duplicates: known, ignored, root */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"url\":\"w\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":1,\"ts\":2}]}",
        "{\"suite\":\"d\",\"suite\":\"e\",\"events\":[{\"url\":\"u\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\"}],\"events\":[{\"url\":\"u\"}]}",
        /* wrong types and shapes */
        "{\"suite\":1,\"events\":[{\"url\":\"u\"}]}",
        "{\"suite\":\"d\",\"events\":[]}",
        "{\"suite\":\"d\",\"events\":{}}",
        "{\"suite\":\"d\",\"events\":[1]}",
        "{\"suite\":\"d\",\"events\":[{\"type\":7}]}",
        "{\"suite\":\"d\",\"events\":[{\"type\":\"warp\",\"url\":\"u\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"title\":\"no url\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"currency\":\"usd\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":\"x\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"props\":{\"k\":null}}]}",
        "[{\"suite\":\"d\"}]",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\"}]}x",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\"}]",
        /* commerce: items, quantities, prices, revenue, props of every kind */
        "{\"suite\":\"d\",\"visitor\":\"v\",\"events\":[{\"type\":\"purchase\",\"order_id\":"
        "\"O1\",\"currency\":\"EUR\",\"revenue\":12.5,\"items\":[{\"sku\":\"A\",\"quantity\":3,"
        "\"price\":2.25},{\"name\":\"B\",\"price\":\"4\",\"category\":\"C\"},{\"sku\":\"\","
        "\"name\":\"N\",\"quantity\":null}],\"props\":{\"s\":\"x\",\"i\":-5,\"r\":0.5,\"t\":true,"
        "\"f\":false,\"e\":2E-3}},{\"type\":\"cart_add\",\"url\":\"u2\",\"items\":[{\"sku\":"
        "\"A\",\"quantity\":1000000001}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"type\":\"checkout\",\"revenue\":1e400}]}",
        "{\"suite\":\"d\",\"events\":[{\"type\":\"checkout\",\"revenue\":123456789012345678901}]}",
        /* escapes and non-ASCII bytes: jansson's side of the general path */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"\\u0075\",\"title\":\"caf\xc3\xa9\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"t\\u0069tle\":\"x\"}]}",
        " \n{ \"suite\" : \"d\" , \"events\" : [ { \"url\" : \"u\" } ] }\t",
    };
    size_t n = sizeof(bodies) / sizeof(bodies[0]);
    for (size_t i = 0; i < n + 2; i++) {
        cn_str_t body = cn_str_c(bodies[i < n ? i : 0]);
        if (i >= n) {
            /* CN_DEC_MAX_HITS events, then one more */
            int events = CN_DEC_MAX_HITS + (int)(i - n);
            size_t o = (size_t)snprintf(many, sizeof(many), "{\"suite\":\"d\",\"events\":[");
            for (int e = 0; e < events; e++)
                o += (size_t)snprintf(many + o, sizeof(many) - o, "%s{\"url\":\"u%d\"}",
                                      e ? "," : "", e);
            o += (size_t)snprintf(many + o, sizeof(many) - o, "]}");
            body = cn_str(many, o);
        }
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = body};
        cn_err_clear(&E);
        int rc_fast = cn_decode_raw(&r, &B, &E);
        char msg[sizeof(E.msg)];
        memcpy(msg, E.msg, sizeof(msg));
        if (rc_fast == 0)
            batch_text(a, sizeof(a));
        if (i == n)
            assert_int_equal(B.hit_count, CN_DEC_MAX_HITS);
        cn_dbatch_reset(&B);
        cn_err_clear(&E);
        int rc_ref = cn__decode_canton_json_ref(&r, &B, &E);
        if (rc_ref == 0)
            batch_text(b, sizeof(b));
        if (rc_fast != rc_ref || strcmp(msg, E.msg) != 0)
            fail_msg("body %zu: fast %d '%s', reference %d '%s'", i, rc_fast, msg, rc_ref, E.msg);
        if (rc_fast == 0 && strcmp(a, b) != 0)
            fail_msg("body %zu: fast %s\nreference %s", i, a, b);
    }
    assert_int_equal(
        cn_decode_raw(&(cn_rawhit_t){.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(bodies[0])},
                      &B, &E),
        0);
    assert_str(B.hits[0].visitor_id, "v9");
    assert_int_equal(B.hits[0].vid_src, CN_VID_VID);
    assert_str(B.suites, "s");
}

/*
 * The fast path alone (cn__decode_canton_json_fast) on the bodies it must take: items read
 * as they are parsed, numbers and nulls without a tree node, white space anywhere, members
 * in any order; the batch must be jansson's, product for product. Then bodies it must leave
 * to the general path (-1), which still decodes them as jansson does.
 */
static void canton_json_fast_path_alone_matches_reference(void **state)
{
    (void)state;
    static char a[8192], b[8192];
    const char *taken[] = {
        /* the tracker's shapes */
        "{\"suite\":\"demo\",\"sent_at\":1788222540249,\"events\":[{\"type\":\"pageview\","
        "\"ts\":1788222540226,\"url\":\"https://s/p/1?utm_source=x&y=z\",\"referrer\":"
        "\"https://l.facebook.com/\",\"title\":\"product:Plate\",\"screen\":\"414x896\","
        "\"lang\":\"en-US\"},{\"type\":\"product_view\",\"ts\":1788222540226,\"url\":"
        "\"https://s/p/1\",\"items\":[{\"sku\":\"PPL-00028\",\"name\":\"Plate\",\"category\":"
        "\"Porcelain/Plates\",\"price\":3.99}]}]}",
        "{\"suite\":\"d\",\"visitor\":\"v\",\"events\":[{\"type\":\"purchase\",\"order_id\":"
        "\" O1 \",\"currency\":\"EUR\",\"revenue\":12.34565,\"items\":[{\"sku\":\"A\","
        "\"quantity\":3,\"price\":2.25},{\"name\":\"B\",\"price\":\"4\",\"category\":\"C\"},"
        "{\"sku\":\"\",\"name\":\"N\",\"quantity\":null,\"price\":null},{\"sku\":\"Q\","
        "\"quantity\":2.0,\"price\":0.123456}],\"props\":{\"s\":\"x\",\"i\":-5,\"r\":0.5}},"
        "{\"type\":\"cart_add\",\"url\":\"u2\",\"items\":[{\"sku\":\"A\",\"quantity\":7}]},"
        "{\"type\":\"cart_remove\",\"items\":[]},{\"type\":\"checkout\",\"items\":null}]}",
        /* items first, members the decoder ignores inside an item (nested too), the amounts
         * plain_decimal() passes to cn_parse_money and those it leaves to "%.6f" */
        "{\"events\":[{\"items\":[{\"x\":{\"y\":[1,{\"z\":2}]},\"sku\":\"A\",\"w\":true,"
        "\"price\":1.99995,\"v\":-0},{\"price\":1e2,\"sku\":\"B\"},{\"sku\":\"C\","
        "\"price\":999999999.999999},{\"sku\":\"D\",\"price\":1234567890.5},{\"sku\":\"E\","
        "\"price\":0.0000049,\"quantity\":0}],\"type\":\"cart_add\",\"ts\":-12}],"
        "\"suite\":\"s\",\"sent_at\":0}",
        /* white space everywhere the grammar lets it be */
        " { \"suite\" : \"d\" , \"sent_at\" : 17 ,\n\"events\" :\t[ { \"type\" : \"purchase\" , "
        "\"ts\" : 5 , \"items\" : [ { \"sku\" : \"A\" , \"price\" : 2.5 , \"quantity\" : 2 } , "
        "{ \"x\" : { } , \"sku\" : \"C\" } , { \"name\" : \"B\" } ] , \"url\" :\"u\" } , { \"url\" "
        ": \"v\" , \"items\" :[ ] } ] "
        "} \r\n",
        /* UTF-8 text in values and names (2, 3 and 4-byte sequences, one at a string's end,
         * one past the first 16 bytes of a string) */
        "{\"suite\":\"demo\",\"events\":[{\"url\":\"https://s/\xe8\x8c\xb6/p\",\"title\":"
        "\"\xe4\xb9\x8c\xe9\xbe\x99\xe8\x8c\xb6 gr\xc3\xbcner tee \xf0\x9f\x98\x80\",\"lang\":"
        "\"zh-CN\",\"items\":[{\"sku\":\"\xe8\x8c\xb6-1\",\"name\":"
        "\"\xd0\x9f\xd1\x83\xd1\x8d\xd1\x80\","
        "\"category\":\"Tea/Oolong/\xe8\x8c\xb6\"}],\"props\":{\"\xd0\xba\":\"\xe5\x80\xa4\"}}],"
        "\"\xc3\xa9\":\"\xf0\x9f\x98\x80\"}",
        /* escapes in the strings the decoder reads and in those it skips: unescaped copies */
        "{\"suite\":\"d\\u0065mo\",\"visitor\":\"v\\\"1\",\"events\":[{\"url\":"
        "\"https:\\/\\/s\\/p?q=\\\"a\\\"\",\"title\":\"Tea \\\"Oolong\\\" "
        "\\u00e9\\u4e4c\\ud83d\\ude00 "
        "\\\\ \\b\\f\\n\\r\\t\xe8\x8c\xb6\",\"x\":\"\\/\",\"type\":\"cart_add\",\"currency\":"
        "\"\\u0045UR\",\"name\":\"\\u00e9\",\"items\":[{\"sku\":\"A\\/1\",\"category\":\"C\\\\D\","
        "\"price\":\"1\\u002e5\",\"w\":\"\\n\"}]}]}",
    };
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(taken[i])};
        cn_dbatch_reset(&B);
        cn_err_clear(&E);
        int rc_fast = cn__decode_canton_json_fast(&r, &B, &E);
        if (rc_fast == 0)
            batch_text(a, sizeof(a));
        char msg[sizeof(E.msg)];
        memcpy(msg, E.msg, sizeof(msg));
        cn_dbatch_reset(&B);
        cn_err_clear(&E);
        int rc_ref = cn__decode_canton_json_ref(&r, &B, &E);
        if (rc_ref == 0)
            batch_text(b, sizeof(b));
        if (rc_fast != rc_ref || strcmp(msg, E.msg) != 0)
            fail_msg("taken %zu: fast %d '%s', reference %d '%s'", i, rc_fast, msg, rc_ref, E.msg);
        if (rc_fast == 0 && strcmp(a, b) != 0)
            fail_msg("taken %zu: fast %s\nreference %s", i, a, b);
    }
    /* the second body's products, as rows keep them (line totals) */
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(taken[1])};
    cn_dbatch_reset(&B);
    assert_int_equal(cn__decode_canton_json_fast(&r, &B, &E), 0);
    assert_int_equal(B.hit_count, 4);
    assert_int_equal(B.hits[0].prod_first, 0);
    assert_int_equal(B.hits[0].prod_count, 4);
    assert_int_equal(B.hits[0].revenue, 123457);
    assert_str(B.hits[0].purchase_id, "O1");
    assert_str(B.prods[1].sku, "B");
    assert_int_equal(B.prods[1].price, 40000);
    assert_str(B.prods[2].sku, "N");
    assert_false(B.prods[2].has_price);
    assert_int_equal(B.prods[3].qty, 2);
    assert_int_equal(B.prods[3].price, 2 * 1235);
    assert_int_equal(B.hits[1].prod_first, 4);
    assert_int_equal(B.hits[1].prod_count, 1);
    assert_int_equal(B.prods[4].qty, 7);
    assert_int_equal(B.hits[2].prod_count, 0);
    assert_int_equal(B.hits[3].prod_count, 0);

    const char *left[] = {
        /* duplicates in an item: known and ignored names */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\",\"sku\":\"B\"}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\",\"x\":1,"
        "\"x\":2}]}]}",
        /* bad items, each with its own reason or message */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[1]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"price\":1}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\",\"price\":-1.5}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\",\"quantity\":"
        "1.5}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":7}]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\"},]}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"items\":[{\"sku\":\"A\"}}]}",
        /* an event that fails after its items were read: nothing of it may stay */
        "{\"suite\":\"d\",\"events\":[{\"items\":[{\"sku\":\"A\"}],\"currency\":\"usd\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"type\":\"cart_add\",\"items\":[{\"sku\":\"A\"}]},"
        "{\"type\":\"warp\"}]}",
        /* numbers the fast path leaves to the light parser's rules */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":01}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":-}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":1.}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":99999999999999999999}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":nul}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"ts\":17",
        /* bytes that are not UTF-8 (jansson refuses the body): an overlong form, a surrogate,
         * a sequence cut by the quote, a lone continuation byte, past U+10FFFF, F5 */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xc0\xaf\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xe0\x80\xaf\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xed\xa0\x80\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xe8\x8c\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\x80\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xf4\x90\x80\x80\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\xf5\x80\x80\x80\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"0123456789abcdef\xf0\x9f\x98\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\xff\":\"u\"}]}",
        /* escapes jansson refuses: \u0000, lone and reversed surrogates, bad hex, \x, a
         * control byte after an escape, an escaped closing quote with no end */
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\u0000\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\ud83d\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\ude00\\ud83d\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\ud83d\\u0041\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\u12g4\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\u12\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\x41\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\n\x01\"}]}",
        "{\"suite\":\"d\",\"events\":[{\"url\":\"u\\\"}]}",
    };
    for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        cn_rawhit_t l = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(left[i])};
        cn_dbatch_reset(&B);
        int rc_fast = cn__decode_canton_json_fast(&l, &B, &E);
        if (rc_fast != -1)
            fail_msg("left %zu: the fast path took it (%d)", i, rc_fast);
        assert_int_equal(B.hit_count + B.prod_count + B.event_count + B.ctx_count, 0);
        int rc = cn_decode_raw(&l, &B, &E);
        char msg[sizeof(E.msg)];
        memcpy(msg, E.msg, sizeof(msg));
        if (rc == 0)
            batch_text(a, sizeof(a));
        cn_dbatch_reset(&B);
        cn_err_clear(&E);
        int rc_ref = cn__decode_canton_json_ref(&l, &B, &E);
        if (rc_ref == 0)
            batch_text(b, sizeof(b));
        if (rc != rc_ref || strcmp(msg, E.msg) != 0)
            fail_msg("left %zu: %d '%s', reference %d '%s'", i, rc, msg, rc_ref, E.msg);
        if (rc == 0 && strcmp(a, b) != 0)
            fail_msg("left %zu: %s\nreference %s", i, a, b);
    }
}

/*
 * Amounts: the light parser reads a plain decimal's text, jansson's tree goes
 * through "%.6f" of the double; a body with an escape takes jansson's path.
 * Both give the same fixed-point value, rounding at the fifth decimal.
 */
static void canton_json_amounts_agree_on_both_paths(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        {"207.60", 2076000},
        {"39.9", 399000},
        {"-3.25", 0}, /* negative: refused on both paths (bad_json) */
        {"0.00005", 1},
        {"0.00004", 0},
        {"12.34565", 123457},
        {"0.1234565", 1235},
        {"0.1234499", 1235},
        {"999999999.999999", 10000000000000},
        {"1234567890.5", 12345678905000},
        {"1.5e2", 1500000},
        {"-0.0", 0},
        {"7", 70000},
        {"123456789012345678", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char light[256], heavy[256];
        snprintf(light, sizeof(light),
                 "{\"suite\":\"d\",\"events\":[{\"url\":\"u\",\"revenue\":%s}]}", cases[i].text);
        snprintf(heavy, sizeof(heavy),
                 "{\"suite\":\"d\",\"events\":[{\"url\":\"\\u0075\",\"revenue\":%s}]}",
                 cases[i].text);
        int64_t got[2];
        int rc[2];
        const char *bodies[2] = {light, heavy};
        for (int k = 0; k < 2; k++) {
            cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(bodies[k])};
            rc[k] = cn_decode_raw(&r, &B, &E);
            got[k] = rc[k] == 0 ? B.hits[0].revenue : -1;
            if (rc[k] == 0)
                assert_str(B.hits[0].url, "u");
        }
        if (rc[0] != rc[1] || got[0] != got[1])
            fail_msg("%s: light %d/%lld, jansson %d/%lld", cases[i].text, rc[0], (long long)got[0],
                     rc[1], (long long)got[1]);
        if (cases[i].want != 0 || rc[0] == 0)
            if (rc[0] != 0 || got[0] != cases[i].want)
                fail_msg("%s: got %d/%lld want %lld", cases[i].text, rc[0], (long long)got[0],
                         (long long)cases[i].want);
    }
}

/* The pixel's values are made valid UTF-8 as they are decoded (each invalid byte or
 * sequence is U+FFFD), as Adobe values are. */
static void canton_pixel_invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_PIXEL,
                     .query = CN_STR_LIT("suite=demo&url=https%3A%2F%2Fs%2Fa%E9&title=Caf%E9+"
                                         "%C3%A9&ref=\xff&visitor=v1")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].url, "https://s/a\xef\xbf\xbd");
    assert_str(B.hits[0].page_name, "Caf\xef\xbf\xbd \xc3\xa9");
    assert_str(B.hits[0].referrer, "\xef\xbf\xbd");
}

static void canton_pixel_decodes(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_PIXEL,
                     .query = CN_STR_LIT("suite=demo&type=pageview&url=https%3A%2F%2Fs%2Fa&ref="
                                         "https%3A%2F%2Fr%2F&title=A+page&visitor=v1")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "demo");
    assert_str(B.hits[0].url, "https://s/a");
    assert_str(B.hits[0].referrer, "https://r/");
    assert_str(B.hits[0].page_name, "A page");
    assert_str(B.hits[0].visitor_id, "v1");
    r.query = CN_STR_LIT("suite=demo&type=download&name=f&target=https%3A%2F%2Fs%2Ff.pdf");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_DOWNLOAD);
    assert_str(B.hits[0].link_url, "https://s/f.pdf");
    r.query = CN_STR_LIT("suite=demo&type=pageview");
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_NO_PAGE_URL);
    r.query = CN_STR_LIT("suite=demo&type=nope&url=x");
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_BAD_QUERY);
}

/* The products string's events as Adobe counts them against the events variable: unlisted
 * ones are dropped, a bare listed one takes the products' values, a listed value wins over
 * the products'. Item rows and hit-level events are kept as they are. */
static void adobe_product_events_need_the_events_variable(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        const char *want; /* the hit's events: "N[=value][:id][@product]" or "f<flag>" (f1:
                             the automatic prodView of a hit without a cart event) */
    } cases[] = {
        /* unlisted: not counted (the item stays) */
        {"g=x&events=purchase&products=%3BA%3B1%3B10%3Bevent3%3D2", "f64"},
        {"g=x&events=event4&products=%3BA%3B1%3B10%3Bevent3%3D2%7Cevent4%3D5", "4=50000@0 f1"},
        /* listed bare: the products' values count, the bare entry does not count again */
        {"g=x&events=event1&products=%3BA%3B1%3B0%3Bevent1%3D4.5", "1=45000@0 f1"},
        {"g=x&events=event1%2Cpurchase&products=%3BA%3B1%3B1%3Bevent1%3D2%2C%3BB%3B1%3B1%3Bevent1"
         "%3D3",
         "f64 1=20000@0 1=30000@1"},
        /* listed with a value: the events variable's value is used */
        {"g=x&events=event1%3D5&products=%3BA%3B1%3B0%3Bevent1%3D4.5", "1=50000 f1"},
        {"g=x&events=event1%3AORD1&products=%3BA%3B1%3B0%3Bevent1%3D4.5", "1:ORD1 f1"},
        /* hit-level events without product ones are as before */
        {"g=x&events=event1%2Cevent2%3D3&products=%3BA", "1 2=30000 f1"},
        /* a serialized product event, listed bare */
        {"g=x&events=event9&products=%3BA%3B%3B%3Bevent9%3AX", "9:X@0 f1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (decode_query(cases[i].q) != 0)
            fail_msg("%s: %s", cases[i].q, E.msg);
        const cn_dhit_t *h = &B.hits[0];
        char got[256] = "";
        size_t o = 0;
        for (uint32_t k = 0; k < h->ev_count; k++) {
            const cn_devent_t *e = &B.events[h->ev_first + k];
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%s", k ? " " : "");
            if (e->num == 0) {
                o += (size_t)snprintf(got + o, sizeof(got) - o, "f%u", e->flag);
                continue;
            }
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%u", e->num);
            if (e->has_value)
                o += (size_t)snprintf(got + o, sizeof(got) - o, "=%lld", (long long)e->value);
            if (e->serial.len > 0)
                o += (size_t)snprintf(got + o, sizeof(got) - o, ":%.*s", CN_STR_FMT(e->serial));
            if (e->product >= 0)
                o += (size_t)snprintf(got + o, sizeof(got) - o, "@%d", e->product);
        }
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: events '%s', want '%s'", cases[i].q, got, cases[i].want);
        assert_int_equal(B.event_count, h->ev_first + h->ev_count);
    }
    /* the item keeps its row: one product, its price */
    assert_int_equal(decode_query("g=x&events=purchase&products=%3BA%3B1%3B10%3Bevent3%3D2"), 0);
    assert_int_equal(B.hits[0].prod_count, 1);
    assert_int_equal(B.prods[0].price, 100000);
}

/* A negative price would lower the order's revenue: a bad_products bad row naming it, in a
 * products string and in a canton JSON item; a negative JSON revenue is bad_json. Zero, also
 * written "-0", is a price. */
static void negative_prices_are_bad_products(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=x&events=purchase&products=%3BA%3B1%3B10%2C%3BB%3B1%3B-5"),
                     CN_BADROW_BAD_PRODUCTS);
    assert_string_equal(E.msg, "product B: negative price '-5'");
    assert_int_equal(decode_query("g=x&events=purchase&products=%3BA%3B1%3B-0.01"),
                     CN_BADROW_BAD_PRODUCTS);
    assert_string_equal(E.msg, "product A: negative price '-0.01'");
    assert_int_equal(decode_query("g=x&events=purchase&products=%3BA%3B1%3B-0%2C%3BB%3B1%3B0"), 0);
    assert_int_equal(B.prods[0].price, 0);
    const char *item = "{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"items\":"
                       "[{\"sku\":\"A\",\"quantity\":2,\"price\":-1.5}]}]}";
    const char *rev = "{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\",\"revenue\":"
                      "\"-3\"}]}";
    for (int ref = 0; ref < 2; ref++) {
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str_c(item)};
        cn_dbatch_reset(&B);
        int rc = ref ? cn__decode_canton_json_ref(&r, &B, &E) : cn_decode_raw(&r, &B, &E);
        assert_int_equal(rc, CN_BADROW_BAD_PRODUCTS);
        assert_string_equal(E.msg, "events[0].items[0].price is negative");
        r.body = cn_str_c(rev);
        cn_dbatch_reset(&B);
        rc = ref ? cn__decode_canton_json_ref(&r, &B, &E) : cn_decode_raw(&r, &B, &E);
        assert_int_equal(rc, CN_BADROW_BAD_JSON);
        assert_string_equal(E.msg, "events[0].revenue is negative");
    }
}

/* A canton request names one suite: "a,b" in a JSON batch or a pixel is one name, not
 * configured (as the collector counts it), never split into two suites as Adobe's
 * /b/ss/a,b/ is. */
static void canton_suite_with_a_comma_is_one_unknown_suite(void **state)
{
    (void)state;
    const char *body = "{\"suite\":\"shop,plain\",\"events\":[{\"type\":\"pageview\","
                       "\"url\":\"https://s/\"}]}";
    cn_rawhit_t r = {
        .proto = CN_PROTO_CANTON_JSON, .suite = CN_STR_LIT("shop,plain"), .body = cn_str_c(body)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_UNKNOWN_SUITE);
    assert_string_equal(E.msg, "suite 'shop,plain' is not configured (a canton request names "
                               "one suite, and a suite id has no comma)");
    /* the reference path (jansson) says the same */
    cn_dbatch_reset(&B);
    assert_int_equal(cn__decode_canton_json_ref(&r, &B, &E), CN_BADROW_UNKNOWN_SUITE);
    r.suite = CN_STR_LIT("shop");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "shop");
    cn_rawhit_t px = {.proto = CN_PROTO_CANTON_PIXEL,
                      .query = CN_STR_LIT("suite=shop%2Cplain&url=https%3A%2F%2Fs%2F")};
    assert_int_equal(cn_decode_raw(&px, &B, &E), CN_BADROW_UNKNOWN_SUITE);
    px.query = CN_STR_LIT("suite=shop,plain&url=x");
    assert_int_equal(cn_decode_raw(&px, &B, &E), CN_BADROW_UNKNOWN_SUITE);
}

/* The pixel's suite= is percent-decoded like its other parameters, also when the raw hit
 * kept it encoded (hitlogs from before the collector decoded it). */
static void canton_pixel_suite_is_percent_decoded(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_PIXEL,
                     .suite = CN_STR_LIT("my%2Dshop"),
                     .query = CN_STR_LIT("suite=my%2Dshop&url=https%3A%2F%2Fs%2F")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "my-shop");
    r.suite = CN_STR_LIT("my-shop");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.suites, "my-shop");
}

/* A JSON batch's suite from ?suite= (no "suite" in the body) is the decoded value too when the
 * raw hit kept it encoded (hitlogs from before the collector decoded it), on both paths; a
 * value the collector decoded is not decoded again, and a body's suite is taken as it is. */
static void canton_json_query_suite_is_percent_decoded(void **state)
{
    (void)state;
    static const struct {
        const char *raw_suite, *query, *body, *want;
    } cases[] = {
        /* old record (encoded) and new record (decoded) of one request: one suite */
        {"my%20shop", "suite=my%20shop", "{\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}",
         "my shop"},
        {"my shop", "suite=my%20shop", "{\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}",
         "my shop"},
        {"my+shop", "x=1&suite=my+shop&suite=b",
         "{\"suite\":null,\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}", "my shop"},
        /* decoded once, whether old or new: "a%2525b" is "a%25b" */
        {"a%2525b", "suite=a%2525b", "{\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}",
         "a%25b"},
        {"a%25b", "suite=a%2525b", "{\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}", "a%25b"},
        /* the body's suite (what the collector took) is never decoded */
        {"my%20shop", "suite=my%20shop",
         "{\"suite\":\"my%20shop\",\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}",
         "my%20shop"},
        /* no raw suite (imported, say): the body's */
        {"", "suite=x%20y",
         "{\"suite\":\"s%20t\",\"events\":[{\"type\":\"pageview\",\"url\":\"u\"}]}", "s%20t"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON,
                         .suite = cn_str_c(cases[i].raw_suite),
                         .query = cn_str_c(cases[i].query),
                         .body = cn_str_c(cases[i].body)};
        cn_dbatch_reset(&B);
        assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
        assert_str(B.suites, cases[i].want);
        cn_dbatch_reset(&B);
        assert_int_equal(cn__decode_canton_json_ref(&r, &B, &E), 0);
        assert_str(B.suites, cases[i].want);
    }
}

/* A UTF-8 byte order mark before the JSON is dropped, plain or inside gzip, on both paths. */
static void canton_json_byte_order_mark_is_dropped(void **state)
{
    (void)state;
    char body[sizeof(batch_json) + 3];
    memcpy(body, "\xef\xbb\xbf", 3);
    memcpy(body + 3, batch_json, sizeof(batch_json));
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str(body, sizeof(body) - 1)};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hit_count, 3);
    cn_dbatch_reset(&B);
    assert_int_equal(cn__decode_canton_json_ref(&r, &B, &E), 0);
    assert_int_equal(B.hit_count, 3);
    unsigned char gz[2048];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)body;
    z.avail_in = sizeof(body) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    r.body = cn_str((char *)gz, sizeof(gz) - z.avail_out);
    deflateEnd(&z);
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hit_count, 3);
    /* only a BOM: an empty body */
    r.body = CN_STR_LIT("\xef\xbb\xbf");
    assert_int_equal(cn_decode_raw(&r, &B, &E), CN_BADROW_EMPTY);
}

/* --- Orders and the s_vi cookie (issue 3) --- */

/* A purchaseID identifies its order without the white space around it, and at most its first
 * 20 bytes count, as Adobe keeps it; the cut never splits a character. */
static void adobe_purchase_id_is_trimmed_and_cut_to_20_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *q, *want;
    } cases[] = {
        {"g=x&events=purchase&purchaseID=O17", "O17"},
        {"g=x&events=purchase&purchaseID=+O17+", "O17"},
        {"g=x&events=purchase&purchaseID=%09O17%20%0A", "O17"},
        {"g=x&events=purchase&purchaseID=O+17", "O 17"},
        {"g=x&events=purchase&purchaseID=+", ""},
        {"g=x&events=purchase&purchaseID=ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRST"},
        {"g=x&events=purchase&purchaseID=ORD-20261130-0000001-RETRY", "ORD-20261130-0000001"},
        {"g=x&events=purchase&purchaseID=++ABCDEFGHIJKLMNOPQRSTU", "ABCDEFGHIJKLMNOPQRST"},
        /* the 20th byte ends a space: cut there, then trimmed */
        {"g=x&events=purchase&purchaseID=ABCDEFGHIJKLMNOPQRS+TU", "ABCDEFGHIJKLMNOPQRS"},
        /* é (2 bytes) ends at byte 20: kept; one byte later it would be split: dropped */
        {"g=x&events=purchase&purchaseID=ABCDEFGHIJKLMNOPQR%C3%A9X", "ABCDEFGHIJKLMNOPQR\xc3\xa9"},
        {"g=x&events=purchase&purchaseID=ABCDEFGHIJKLMNOPQRS%C3%A9", "ABCDEFGHIJKLMNOPQRS"},
        /* 中 is 3 bytes: six fit in 18, the seventh would end at byte 21 */
        {"g=x&events=purchase&purchaseID=%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD"
         "%E4%B8%AD",
         "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"},
        /* by D=, the copied value is cut the same way */
        {"g=x&events=purchase&v9=+ORD-20261130-0000001-B&purchaseID=D%3Dv9",
         "ORD-20261130-0000001"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (decode_query(cases[i].q) != 0)
            fail_msg("%s: %s", cases[i].q, E.msg);
        if (!cn_str_eq_c(B.hits[0].purchase_id, cases[i].want))
            fail_msg("%s: got '%.*s', want '%s'", cases[i].q, CN_STR_FMT(B.hits[0].purchase_id),
                     cases[i].want);
    }
}

/* The products string's quantity is optional: an empty one counts no units (Adobe's Units
 * metric sums the Quantity fields), and the price is the line's revenue all the same. */
static void adobe_empty_quantity_keeps_the_price(void **state)
{
    (void)state;
    assert_int_equal(decode_query("g=x&events=purchase&products=%3BMug%3B%3B9.99%2C%3BTea%3B+%3B1"),
                     0);
    const cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->prod_count, 2);
    const cn_dprod_t *p = &B.prods[h->prod_first];
    assert_str(p[0].sku, "Mug");
    assert_false(p[0].has_qty);
    assert_int_equal(p[0].qty, 0);
    assert_true(p[0].has_price);
    assert_int_equal(p[0].price, 99900);
    assert_false(p[1].has_qty);
    assert_int_equal(p[1].price, 10000);
}

/* The s_vi cookie's id is valid UTF-8 as every other Adobe value is: each invalid byte or
 * sequence, sent as it is or percent-escaped, is one U+FFFD. */
static void adobe_s_vi_cookie_is_made_valid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *cookie, *want;
    } cases[] = {
        {"s_vi=[CS]v1|A%E9B[CE]", "A\xef\xbf\xbd"
                                  "B"},
        {"s_vi=%5BCS%5Dv1%7C2B8C%FF%FE60A%5BCE%5D", "2B8C\xef\xbf\xbd\xef\xbf\xbd"
                                                    "60A"},
        {"s_vi=[CS]v1|\xff\xfeZ[CE]", "\xef\xbf\xbd\xef\xbf\xbdZ"},
        {"s_vi=[CS]v1|Z\xe2\x82[CE]", "Z\xef\xbf\xbd"}, /* a sequence cut short: one */
        {"s_vi=[CS]v1|Caf%C3%A9[CE]", "Caf\xc3\xa9"},   /* valid UTF-8 stays */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "cookie: x=1; %s\n", cases[i].cookie);
        cn_rawhit_t r = {.proto = CN_PROTO_ADOBE,
                         .suite = CN_STR_LIT("s1"),
                         .query = CN_STR_LIT("g=x"),
                         .headers = cn_str_c(hdr)};
        assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
        assert_int_equal(B.hits[0].vid_src, CN_VID_COOKIE);
        if (!cn_str_eq_c(B.hits[0].visitor_id, cases[i].want))
            fail_msg("%s: got '%.*s'", cases[i].cookie, CN_STR_FMT(B.hits[0].visitor_id));
    }
}

/* A canton JSON order id is trimmed as a purchaseID is (it is not cut: 20 bytes is Adobe's
 * limit, not canton's). */
static void canton_json_order_id_is_trimmed(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON,
                     .body = CN_STR_LIT("{\"suite\":\"d\",\"events\":[{\"type\":\"purchase\","
                                        "\"order_id\":\" O17\\t\"},{\"type\":\"purchase\","
                                        "\"order_id\":\"ORD-20261130-0000001-RETRY\"}]}")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_str(B.hits[0].purchase_id, "O17");
    assert_str(B.hits[1].purchase_id, "ORD-20261130-0000001-RETRY");
}

/* The pixel carries an order as the JSON batch does: order_id (trimmed), revenue, currency,
 * and its purchase is an event entry as the batch's is. */
static void canton_pixel_carries_an_order(void **state)
{
    (void)state;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_PIXEL,
                     .query = CN_STR_LIT("suite=demo&type=purchase&order_id=+O17+&revenue=207.60"
                                         "&currency=EUR&visitor=v1")};
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    const cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->type, CN_HIT_LINK);
    assert_int_equal(h->events, CN_EV_PURCHASE);
    assert_int_equal(h->ev_count, 1);
    assert_int_equal(B.events[h->ev_first].flag, CN_EV_PURCHASE);
    assert_str(h->purchase_id, "O17");
    assert_true(h->has_revenue);
    assert_int_equal(h->revenue, 2076000);
    assert_str(h->currency, "EUR");
    /* the same purchase in a JSON batch decodes to the same hit (its strings are the
     * literals above: the next decode reuses the arena) */
    cn_dhit_t px = *h;
    cn_rawhit_t j = {.proto = CN_PROTO_CANTON_JSON,
                     .body = CN_STR_LIT("{\"suite\":\"demo\",\"visitor\":\"v1\",\"events\":[{"
                                        "\"type\":\"purchase\",\"order_id\":\" O17 \","
                                        "\"revenue\":207.60,\"currency\":\"EUR\"}]}")};
    assert_int_equal(cn_decode_raw(&j, &B, &E), 0);
    h = &B.hits[0];
    assert_int_equal(h->type, px.type);
    assert_int_equal(h->events, px.events);
    assert_int_equal(h->ev_count, px.ev_count);
    assert_str(h->purchase_id, "O17");
    assert_int_equal(h->revenue, px.revenue);
    assert_int_equal(h->has_revenue, px.has_revenue);
    assert_str(h->currency, "EUR");
    /* without order_id or revenue: an order without an id, of the items' sum (none: 0) */
    r.query = CN_STR_LIT("suite=demo&type=purchase");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hits[0].purchase_id.len, 0);
    assert_false(B.hits[0].has_revenue);
    assert_int_equal(B.hits[0].ev_count, 1);
    /* a page view has no event entry */
    r.query = CN_STR_LIT("suite=demo&url=https%3A%2F%2Fs%2F");
    assert_int_equal(cn_decode_raw(&r, &B, &E), 0);
    assert_int_equal(B.hits[0].ev_count, 0);
    static const struct {
        const char *q;
        int rc;
        const char *msg;
    } bad[] = {
        {"suite=demo&type=purchase&revenue=%2412", CN_BADROW_BAD_QUERY,
         "revenue '$12' is not a decimal amount such as 12.50"},
        {"suite=demo&type=purchase&revenue=-5", CN_BADROW_BAD_QUERY, "revenue '-5' is negative"},
        {"suite=demo&type=purchase&revenue=1e3", CN_BADROW_BAD_QUERY,
         "revenue '1e3' is not a decimal amount such as 12.50"},
        {"suite=demo&type=purchase&currency=eur", CN_BADROW_BAD_CURRENCY,
         "currency 'eur' is not ISO 4217"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.query = cn_str_c(bad[i].q);
        assert_int_equal(cn_decode_raw(&r, &B, &E), bad[i].rc);
        assert_string_equal(E.msg, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adobe_fixtures_match_expected_decodes),
        cmocka_unit_test(adobe_purchase_fixture_has_exact_fields),
        cmocka_unit_test(adobe_legacy_ids_pick_their_source),
        cmocka_unit_test(adobe_s_vi_cookie_ranks_as_the_analytics_id),
        cmocka_unit_test(adobe_post_body_carries_the_query),
        cmocka_unit_test(adobe_variables_and_aliases),
        cmocka_unit_test(adobe_names_like_known_ones),
        cmocka_unit_test(adobe_long_url_joins_g_and_dash_g),
        cmocka_unit_test(adobe_dynamic_variables_copy_params_and_headers),
        cmocka_unit_test(adobe_invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(adobe_latin1_charset_becomes_utf8),
        cmocka_unit_test(adobe_other_charsets_become_utf8),
        cmocka_unit_test(adobe_escape_u_values_are_code_points),
        cmocka_unit_test(adobe_referrer_is_decoded_when_a_visit_needs_it),
        cmocka_unit_test(adobe_link_types),
        cmocka_unit_test(adobe_timestamp_param),
        cmocka_unit_test(adobe_timestamp_far_ahead_of_the_receive_time_is_refused),
        cmocka_unit_test(adobe_rule_breaks_become_reasons),
        cmocka_unit_test(bad_row_details_say_what_is_wrong),
        cmocka_unit_test(adobe_products_without_events_count_a_product_view),
        cmocka_unit_test(adobe_many_parameters_grow_then_hit_the_limit),
        cmocka_unit_test(adobe_repeated_fields_last_pe_and_ts_each),
        cmocka_unit_test(adobe_markers_in_context_data_are_context_data),
        cmocka_unit_test(adobe_multi_suite_list_from_path),
        cmocka_unit_test(events_counters_values_and_serials),
        cmocka_unit_test(cart_events_take_a_serialization_id),
        cmocka_unit_test(events_reject_unknown_and_malformed),
        cmocka_unit_test(products_fields_events_and_merch_evars),
        cmocka_unit_test(merch_evars_name_their_product),
        cmocka_unit_test(products_reject_bad_fields),
        cmocka_unit_test(products_split_at_every_length),
        cmocka_unit_test(events_single_commerce_event),
        cmocka_unit_test(contextdata_nests_with_a_stack),
        cmocka_unit_test(contextdata_rejects_unbalanced_groups),
        cmocka_unit_test(contextdata_follows_ce_and_escapes),
        cmocka_unit_test(contextdata_keys_are_not_variables),
        cmocka_unit_test(adobe_dynamic_variables_and_charset_skip_context_data),
        cmocka_unit_test(adobe_hit_variables_given_twice_keep_the_last),
        cmocka_unit_test(values_over_a_mebibyte_are_too_big),
        cmocka_unit_test(adobe_context_data_ends_with_the_query),
        cmocka_unit_test(adobe_escaped_names_in_query_and_body),
        cmocka_unit_test(adobe_gzip_body_is_inflated),
        cmocka_unit_test(money_parses_exactly),
        cmocka_unit_test(canton_json_batch_decodes),
        cmocka_unit_test(canton_json_prices_fixed_point),
        cmocka_unit_test(canton_json_quantity_whole_numbers),
        cmocka_unit_test(canton_json_gzip_body_inflates),
        cmocka_unit_test(canton_json_keeps_body_slices_and_copies_jansson_strings),
        cmocka_unit_test(canton_json_rejects_bad_bodies),
        cmocka_unit_test(canton_json_light_and_jansson_paths_agree),
        cmocka_unit_test(canton_json_fast_path_matches_reference),
        cmocka_unit_test(canton_json_fast_path_alone_matches_reference),
        cmocka_unit_test(canton_json_amounts_agree_on_both_paths),
        cmocka_unit_test(canton_pixel_invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(canton_pixel_decodes),
        cmocka_unit_test(canton_suite_with_a_comma_is_one_unknown_suite),
        cmocka_unit_test(negative_prices_are_bad_products),
        cmocka_unit_test(adobe_product_events_need_the_events_variable),
        cmocka_unit_test(canton_pixel_suite_is_percent_decoded),
        cmocka_unit_test(canton_json_query_suite_is_percent_decoded),
        cmocka_unit_test(canton_json_byte_order_mark_is_dropped),
        cmocka_unit_test(adobe_purchase_id_is_trimmed_and_cut_to_20_bytes),
        cmocka_unit_test(adobe_empty_quantity_keeps_the_price),
        cmocka_unit_test(adobe_s_vi_cookie_is_made_valid_utf8),
        cmocka_unit_test(canton_json_order_id_is_trimmed),
        cmocka_unit_test(canton_pixel_carries_an_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
