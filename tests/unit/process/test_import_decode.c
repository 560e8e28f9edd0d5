/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import decoders (import_log.c, import_row.c) with exact decodes: page
 * view vs static asset vs error vs redirect, the suite's static-extension
 * list, URL, referrer and logged cookie; the rows' canonical fields and
 * export's cells; and, through a processor, the cookieless visitor key (same
 * IP + UA + day: one visitor; another day: another visitor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "helpers.h"
#include "import/import.h"
#include "process/internal.h"

#include <cmocka.h>

static cn_dbatch_t B;
static cn_err_t E;
static cn_conf_t *C;

static const char CONF[] = "[suite shop]\n"
                           "currency = EUR\n"
                           "[suite mini]\n"
                           "currency = EUR\n"
                           "import_static_extensions = css, .js\n";

static int setup(void **state)
{
    (void)state;
    cn_dbatch_init(&B);
    cn_err_t err;
    if (cn_conf_parse("t.conf", CONF, sizeof(CONF) - 1, &C, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    B.conf = C;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_dbatch_dispose(&B);
    cn_conf_free(C);
    return 0;
}

static void assert_s(cn_str_t got, const char *want)
{
    if (!cn_str_eq_c(got, want))
        fail_msg("got '%.*s', want '%s'", (int)got.len, got.len ? got.ptr : "",
                 want ? want : "(null)");
}

static int log_line(const char *suite, const char *path, const char *query, const char *headers)
{
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_IMPORT_LOG;
    r.recv_us = 1728568536000000;
    r.suite = cn_str_c(suite);
    r.ip = CN_STR_LIT("198.51.100.7");
    r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0");
    r.method = CN_STR_LIT("GET");
    r.path = cn_str_c(path);
    r.query = cn_str_c(query);
    r.headers = cn_str_c(headers);
    cn_err_clear(&E);
    return cn_decode_raw(&r, &B, &E);
}

static cn_str_t ctx(const cn_dhit_t *h, const char *key)
{
    for (uint32_t i = 0; i < h->ctx_count; i++)
        if (cn_str_eq_c(B.ctx[h->ctx_first + i].key, key))
            return B.ctx[h->ctx_first + i].value;
    return CN_STR_NULL;
}

static void log_page_view_with_host_referrer_and_campaign(void **state)
{
    (void)state;
    assert_int_equal(log_line("shop", "/shoes/red", "utm_source=news&utm_campaign=fall",
                              "referer: https://www.google.com/search?q=red+shoes\n"
                              "host: shop.example\nx-canton-status: 200\nx-canton-bytes: 512\n"
                              "x-canton-content-type: text/html; charset=utf-8\n"),
                     0);
    assert_int_equal(B.hit_count, 1);
    const cn_dhit_t *h = &B.hits[0];
    assert_s(B.suites, "shop");
    assert_int_equal(h->type, CN_HIT_PAGEVIEW);
    assert_s(h->page_name, "/shoes/red");
    assert_s(h->url, "http://shop.example/shoes/red?utm_source=news&utm_campaign=fall");
    assert_s(h->referrer, "https://www.google.com/search?q=red+shoes");
    assert_int_equal(h->vid_src, CN_VID_NONE);
    assert_int_equal(h->visitor_id.len, 0);
    assert_s(ctx(h, "http.status"), "200");
    assert_s(ctx(h, "http.content_type"), "text/html; charset=utf-8");
}

static void log_static_error_and_redirect_are_requests(void **state)
{
    (void)state;
    struct {
        const char *path, *headers;
        uint8_t type;
    } cases[] = {
        {"/a/app.CSS", "x-canton-status: 200\n", CN_HIT_REQUEST},
        {"/img/logo.webp", "x-canton-status: 200\n", CN_HIT_REQUEST},
        {"/missing", "x-canton-status: 404\n", CN_HIT_REQUEST},
        {"/boom", "x-canton-status: 500\n", CN_HIT_REQUEST},
        {"/old", "x-canton-status: 301\n", CN_HIT_REQUEST},
        {"/cart", "x-canton-status: 304\n", CN_HIT_PAGEVIEW},
        {"/cart", "x-canton-status: 204\n", CN_HIT_PAGEVIEW},
        {"/cart", "", CN_HIT_PAGEVIEW}, /* no status logged */
        {"/api/x", "x-canton-status: 200\nx-canton-content-type: application/json\n",
         CN_HIT_REQUEST},
        {"/v1.2/", "x-canton-status: 200\n", CN_HIT_PAGEVIEW}, /* a dot in a folder */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(log_line("shop", cases[i].path, "", cases[i].headers), 0);
        if (B.hits[0].type != cases[i].type)
            fail_msg("%s (%s): type %u, want %u", cases[i].path, cases[i].headers, B.hits[0].type,
                     cases[i].type);
        assert_s(B.hits[0].url, cases[i].path); /* no host logged: the path */
    }
    assert_int_equal(log_line("shop", "/x", "", "x-canton-status: 2000\n"), CN_BADROW_BAD_QUERY);
    assert_int_equal(log_line("shop", "", "", ""), CN_BADROW_NO_PAGE_URL);
}

static void log_suite_static_extensions(void **state)
{
    (void)state;
    /* suite mini: only css and js are static */
    assert_int_equal(log_line("mini", "/a.png", "", "x-canton-status: 200\n"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_PAGEVIEW);
    assert_int_equal(log_line("mini", "/a.js", "", "x-canton-status: 200\n"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_REQUEST);
    assert_true(cn_hit_static_path(CN_STR_LIT("/x/y.woff2"), NULL));
    assert_false(cn_hit_static_path(CN_STR_LIT("/x.y/z"), NULL));
    assert_false(cn_hit_static_path(CN_STR_LIT("/x/y.html"), NULL));
    assert_true(cn_hit_static_path(CN_STR_LIT("/x.MAP"), " map ,css"));
}

static void log_cookie_visitor_id(void **state)
{
    (void)state;
    assert_int_equal(log_line("shop", "/", "",
                              "cookie: theme=dark; _cn_id=v-42; other=1\nx-canton-status: 200\n"
                              "x-canton-user: alice\n"),
                     0);
    assert_s(B.hits[0].visitor_id, "v-42");
    assert_int_equal(B.hits[0].vid_src, CN_VID_COOKIE);
    assert_s(ctx(&B.hits[0], "http.user"), "alice");
}

static int row(const char *query)
{
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_IMPORT_ROW;
    r.recv_us = 1728568536000000;
    r.suite = CN_STR_LIT("shop");
    r.method = CN_STR_LIT("GET");
    r.query = cn_str_c(query);
    cn_err_clear(&E);
    return cn_decode_raw(&r, &B, &E);
}

static void row_export_ndjson_fields(void **state)
{
    (void)state;
    /* a purchase as export's NDJSON writes it: "events" is the numbered-event array */
    int rc = row("currency=USD&events=%5B%7B%22event%22%3A5%2C%22value%22%3A2.5000%7D%5D&"
                 "items=%5B%7B%22sku%22%3A%22MUG-1%22%2C%22category%22%3A%22mugs%22%2C"
                 "%22quantity%22%3A2%2C%22revenue%22%3A20.0000%7D%5D&order_id=o-9&"
                 "page=Thanks&referrer=https%3A%2F%2Fa.example%2F&revenue=140.0000&"
                 "revenue_orig=20.0000&type=1&url=https%3A%2F%2Fshop.example%2Fthanks&"
                 "vars=%5B%7B%22var%22%3A%22evar3%22%2C%22value%22%3A%22card%22%7D%5D&visitor=17");
    if (rc != 0)
        fail_msg("%s", E.msg);
    const cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->type, CN_HIT_LINK);
    assert_int_equal(h->events, CN_EV_PURCHASE);
    assert_s(h->page_name, "Thanks");
    assert_s(h->url, "https://shop.example/thanks");
    assert_s(h->referrer, "https://a.example/");
    assert_s(h->purchase_id, "o-9");
    assert_s(h->currency, "USD");
    assert_true(h->has_revenue);
    assert_int_equal(h->revenue, 200000); /* revenue_orig wins: the hit's currency */
    assert_s(h->visitor_id, "17");
    assert_int_equal(h->vid_src, CN_VID_VID);
    assert_int_equal(h->prod_count, 1);
    assert_s(B.prods[0].sku, "MUG-1");
    assert_s(B.prods[0].category, "mugs");
    assert_int_equal(B.prods[0].qty, 2);
    assert_int_equal(B.prods[0].price, 200000);
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[0].var, CN_VAR_EVAR | 3);
    assert_s(B.vars[0].value, "card");
    assert_int_equal(h->ev_count, 1);
    assert_int_equal(B.events[0].num, 5);
    assert_int_equal(B.events[0].value, 25000);
}

/* An imported row's events are the ones its source counted (an Adobe feed's row has a product
 * view only with the id 2 in its list, docs/import.md): products without events count none. */
static void row_products_without_events_count_no_product_view(void **state)
{
    (void)state;
    int rc = row("products=%3BMUG-1&type=0&url=https%3A%2F%2Fshop.example%2Fp");
    if (rc != 0)
        fail_msg("%s", E.msg);
    assert_int_equal(B.hits[0].prod_count, 1);
    assert_int_equal(B.hits[0].events, 0);
    assert_int_equal(B.hits[0].ev_count, 0);
}

/* duplicate_purchase (an Adobe feed's flag): 1 marks the hit a purchase that is a repeat, also
 * when its events have no purchase and it has no order id; the type stays what the row says
 * (a row without a type that is a page view stays one); 0 is no mark; other values are bad. */
static void row_duplicate_purchase_marks_a_repeated_purchase(void **state)
{
    (void)state;
    int rc = row("duplicate_purchase=1&events=purchase%2Cevent2&order_id=o-7&"
                 "products=%3BSKU-1%3B2%3B30.00&type=0&url=%2Fthanks");
    if (rc != 0)
        fail_msg("%s", E.msg);
    const cn_dhit_t *h = &B.hits[0];
    assert_true(h->dup_purchase);
    assert_int_equal(h->events, CN_EV_PURCHASE);
    assert_int_equal(h->type, CN_HIT_PAGEVIEW);
    assert_s(h->purchase_id, "o-7");
    assert_int_equal(h->prod_count, 1); /* processing drops them (test_process.c) */
    assert_int_equal(h->ev_count, 2);   /* purchase (number 0) and event2 */
    assert_int_equal(B.events[h->ev_first + 1].num, 2);
    assert_int_equal(h->ctx_count, 0); /* the flag is no context data */

    assert_int_equal(row("duplicate_purchase=1&url=%2Fthanks"), 0);
    assert_true(B.hits[0].dup_purchase);
    assert_int_equal(B.hits[0].events, CN_EV_PURCHASE);
    assert_int_equal(B.hits[0].type, CN_HIT_PAGEVIEW);

    assert_int_equal(row("duplicate_purchase=0&events=purchase&order_id=o-7&url=%2Fthanks"), 0);
    assert_false(B.hits[0].dup_purchase);
    assert_int_equal(B.hits[0].events, CN_EV_PURCHASE);
    assert_int_equal(row("duplicate_purchase=0&url=%2Fa"), 0);
    assert_false(B.hits[0].dup_purchase);
    assert_int_equal(B.hits[0].events, 0);
    assert_int_equal(B.hits[0].type, CN_HIT_PAGEVIEW);

    assert_int_equal(row("duplicate_purchase=2&url=%2Fa"), CN_BADROW_BAD_QUERY);
    assert_string_equal(E.msg, "duplicate_purchase '2' is not 0 or 1");
    assert_int_equal(row("duplicate_purchase=yes&url=%2Fa"), CN_BADROW_BAD_QUERY);
}

static void row_packed_cells_and_names(void **state)
{
    (void)state;
    /* CSV/TSV export: flags as a number, packed cells, an unknown column as context data */
    int rc = row("events=2&events=event7%3D1.0000&items=SKU%253B1%3Bcat%3B0%3B0.0000&"
                 "tier=gold&title=Cart&type=cart_add&vars=prop2%3Dx%252Cy");
    if (rc != 0)
        fail_msg("%s", E.msg);
    const cn_dhit_t *h = &B.hits[0];
    assert_int_equal(h->type, CN_HIT_LINK);
    assert_int_equal(h->events, CN_EV_CART_ADD);
    assert_s(h->page_name, "Cart");
    assert_int_equal(h->prod_count, 1);
    assert_s(B.prods[0].sku, "SKU;1");
    assert_s(B.prods[0].category, "cat");
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[0].var, CN_VAR_PROP | 2);
    assert_s(B.vars[0].value, "x,y");
    assert_int_equal(h->ev_count, 1);
    assert_int_equal(B.events[0].num, 7);
    assert_s(ctx(h, "tier"), "gold");

    /* a plain page row: a page view; type 4 is an other request */
    assert_int_equal(row("url=https%3A%2F%2Fs.example%2Fa"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_PAGEVIEW);
    assert_int_equal(row("type=4&url=%2Fa.css"), 0);
    assert_int_equal(B.hits[0].type, CN_HIT_REQUEST);

    assert_int_equal(row("type=9&url=x"), CN_BADROW_BAD_QUERY);
    assert_int_equal(row("currency=usd&url=x"), CN_BADROW_BAD_CURRENCY);
    assert_int_equal(row("items=%5B1%5D&url=x"), CN_BADROW_BAD_PRODUCTS);
    assert_int_equal(row("items=%5Bnope&url=x"), CN_BADROW_BAD_JSON);
    assert_int_equal(row("revenue=abc&url=x"), CN_BADROW_BAD_QUERY);
    /* negative amounts, as in a products string (test_decode.c) */
    assert_int_equal(row("revenue=-1&url=x"), CN_BADROW_BAD_QUERY);
    assert_int_equal(row("items=A%3Bc%3B1%3B-2.50&url=x"), CN_BADROW_BAD_PRODUCTS);
    assert_int_equal(row("items=%5B%7B%22sku%22%3A%22A%22%2C%22revenue%22%3A-1%7D%5D&url=x"),
                     CN_BADROW_BAD_PRODUCTS);
    assert_int_equal(row("products=%3BA%3B1%3B-5&url=x"), CN_BADROW_BAD_PRODUCTS);
    assert_int_equal(row("vars=foo%3D1"), CN_BADROW_BAD_QUERY);
    assert_int_equal(row("type=0"), CN_BADROW_NO_PAGE_URL);

    /* export's merchandising eVars: "evarN@K" is eVar N bound to the hit's item K */
    assert_int_equal(row("url=x&vars=evar4%3Dred%2Cevar5%401%3Dblue"), 0);
    assert_int_equal(B.hits[0].var_count, 2);
    assert_int_equal(B.vars[0].var, CN_VAR_EVAR | 4);
    assert_int_equal(B.vars[0].product, -1);
    assert_int_equal(B.vars[1].var, CN_VAR_EVAR | 5);
    assert_int_equal(B.vars[1].product, 1);
    assert_s(B.vars[1].value, "blue");
    assert_int_equal(
        row("url=x&vars=%5B%7B%22var%22%3A%22evar7%400%22%2C%22value%22%3A%22M%22%7D%5D"), 0);
    assert_int_equal(B.vars[0].var, CN_VAR_EVAR | 7);
    assert_int_equal(B.vars[0].product, 0);
    assert_int_equal(row("url=x&vars=prop4%401%3Dx"), CN_BADROW_BAD_QUERY);
    assert_int_equal(row("url=x&vars=evar4%40%3Dx"), CN_BADROW_BAD_QUERY);
    assert_int_equal(row("url=x&vars=evar4%40-1%3Dx"), CN_BADROW_BAD_QUERY);
}

/* The parser and its context of the last import_and_decode: B's strings may point into them. */
static cn_import_parser_t *IP;
static cn_import_ctx_t IC;

static void import_done(void)
{
    if (IP != NULL) {
        cn_import_ctx_dispose(&IC);
        cn_import_parser_free(IP);
        IP = NULL;
    }
}

/* Parses one line of an input of format fmt (a CSV header first when header is not NULL) as
 * `canton import` does, and decodes its raw hit into B; *raw is the raw hit. */
static void import_and_decode(const char *fmt, const char *header, const char *line,
                              cn_rawhit_t *raw)
{
    import_done();
    cn_import_opts_t o = {.format = fmt, .suite = "shop"};
    cn_err_t err = {0};
    if (cn_import_parser_new(&o, &IP, &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_ctx_init(&IC);
    if (header != NULL && cn_import_parser_set_header(IP, cn_str_c(header), &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_info_t info = {0};
    if (cn_import_parse_line(IP, &IC, cn_str_c(line), raw, &info) != 0)
        fail_msg("bad line: reason %d at column %zu", (int)info.bad, info.column);
    cn_err_clear(&E);
    if (cn_decode_raw(raw, &B, &E) != 0)
        fail_msg("%s", E.msg);
}

/*
 * Imported text is made valid UTF-8 as Adobe values are (docs/hit.md): each invalid byte or
 * sequence becomes one U+FFFD (EF BF BD), here a Latin-1 byte (E9), a byte that starts no
 * sequence (FF, 80), a sequence cut short (E2 82 then 'A') and an overlong form (C0 AF, one
 * each byte). Valid UTF-8 (C3 A9) and ASCII stay as they are.
 */
static void imported_text_is_valid_utf8(void **state)
{
    (void)state;
    cn_rawhit_t raw = {0};
    import_and_decode("combined", NULL,
                      "10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] \"GET /caf\xe9/\xc3\xa9?q=\xe2\x82"
                      "A HTTP/1.1\" "
                      "200 512 \"http://ref.example/\xe9t\xe9\" \"Bot\xe9/1.0\"",
                      &raw);
    const cn_dhit_t *h = &B.hits[0];
    assert_s(h->page_name, "/caf\xef\xbf\xbd/\xc3\xa9");
    assert_s(h->url, "/caf\xef\xbf\xbd/\xc3\xa9?q=\xef\xbf\xbd"
                     "A");
    assert_s(h->referrer, "http://ref.example/\xef\xbf\xbdt\xef\xbf\xbd");
    assert_s(raw.ua, "Bot\xe9/1.0"); /* as sent: its names are made valid (enrich) */

    import_and_decode(
        "csv", "ts,url,page,referrer,user_agent,prop1,visitor,note",
        "1728568536,https://shop.example/caf\xe9,Caf\xe9 \xc3\xa9,http://r.example/\xff,"
        "Bot\xe9,\xc0\xaf,v\x80,ok",
        &raw);
    h = &B.hits[0];
    assert_s(h->url, "https://shop.example/caf\xef\xbf\xbd");
    assert_s(h->page_name, "Caf\xef\xbf\xbd \xc3\xa9");
    assert_s(h->referrer, "http://r.example/\xef\xbf\xbd");
    assert_s(h->visitor_id, "v\xef\xbf\xbd");
    assert_s(raw.ua, "Bot\xe9");
    assert_int_equal(h->var_count, 1);
    assert_int_equal(B.vars[h->var_first].var, CN_VAR_PROP | 1);
    assert_s(B.vars[h->var_first].value, "\xef\xbf\xbd\xef\xbf\xbd");
    assert_s(ctx(h, "note"), "ok");
    import_done();

    /* a row's %XX escapes are decoded first (export's packed cells too) */
    assert_int_equal(row("url=%2Fcaf%E9&vars=prop2%3Dx%25E9"), 0);
    assert_s(B.hits[0].url, "/caf\xef\xbf\xbd");
    assert_s(B.vars[B.hits[0].var_first].value, "x\xef\xbf\xbd");
}

/* --- Through a processor: visitors --- */

typedef struct rec {
    uint32_t visitor[64];
    size_t nvisits;
    uint8_t type[64];
    size_t nhits;
} rec_t;

static rec_t R;

static int r_visit(void *ud, uint32_t visit, const cn_visit_row_t *row)
{
    (void)visit;
    rec_t *r = ud;
    r->visitor[r->nvisits++] = row->visitor;
    return 0;
}

static int r_hit(void *ud, const cn_hit_row_t *row, uint32_t *out)
{
    rec_t *r = ud;
    r->type[r->nhits] = row->type;
    *out = (uint32_t)r->nhits++;
    return 0;
}

static int r_item(void *ud, const cn_item_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}

static int r_var(void *ud, const cn_var_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}

static int r_event(void *ud, const cn_event_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}

static int r_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = (cn_sink_t){&R, r_visit, r_hit, r_item, r_var, r_event, NULL, NULL};
    return 0;
}

static void process_line(cn_process_t *p, uint32_t seq, int64_t ts, const char *ip, const char *ua,
                         const char *path)
{
    cn_rawhit_t r = {0};
    r.proto = CN_PROTO_IMPORT_LOG;
    r.recv_us = ts;
    r.suite = CN_STR_LIT("shop");
    r.ip = cn_str_c(ip);
    r.ua = cn_str_c(ua);
    r.method = CN_STR_LIT("GET");
    r.path = cn_str_c(path);
    r.headers = CN_STR_LIT("x-canton-status: 200\n");
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, seq}), 0);
}

static void visitor_key_is_ip_ua_and_day(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn-import-decode-XXXXXX";
    assert_non_null(mkdtemp(dir));
    cn_process_opts_t o = {.from_scratch = true, .dry_run = true};
    memset(&R, 0, sizeof(R));
    cn_process_t *p = test_process_open(C, NULL, dir, r_open, &o);
    assert_non_null(p);
    const int64_t day = 86400LL * 1000000, t0 = 1728518400LL * 1000000; /* 2024-10-10 00:00Z */
    const char *ua1 = "Mozilla/5.0 A", *ua2 = "Mozilla/5.0 B";
    process_line(p, 1, t0 + 3600LL * 1000000, "10.0.0.1", ua1, "/");
    process_line(p, 2, t0 + 7200LL * 1000000, "10.0.0.1", ua1, "/a.css"); /* a new visit */
    process_line(p, 3, t0 + 9000LL * 1000000, "10.0.0.1", ua2, "/");      /* other UA */
    process_line(p, 4, t0 + 9001LL * 1000000, "10.0.0.2", ua1, "/");      /* other IP */
    process_line(p, 5, t0 + day + 60LL * 1000000, "10.0.0.1", ua1, "/");  /* next day */
    assert_int_equal(R.nhits, 5);
    assert_int_equal(R.type[0], CN_HIT_PAGEVIEW);
    assert_int_equal(R.type[1], CN_HIT_REQUEST);
    assert_int_equal(R.nvisits, 5);
    assert_int_equal(R.visitor[0], 0);
    assert_int_equal(R.visitor[1], 0); /* same IP + UA + day: same visitor */
    assert_int_equal(R.visitor[2], 1);
    assert_int_equal(R.visitor[3], 2);
    assert_int_equal(R.visitor[4], 3); /* next day: the salt changed */
    cn_process_free(p);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_page_view_with_host_referrer_and_campaign),
        cmocka_unit_test(log_static_error_and_redirect_are_requests),
        cmocka_unit_test(log_suite_static_extensions),
        cmocka_unit_test(log_cookie_visitor_id),
        cmocka_unit_test(row_export_ndjson_fields),
        cmocka_unit_test(row_packed_cells_and_names),
        cmocka_unit_test(row_products_without_events_count_no_product_view),
        cmocka_unit_test(row_duplicate_purchase_marks_a_repeated_purchase),
        cmocka_unit_test(imported_text_is_valid_utf8),
        cmocka_unit_test(visitor_key_is_ip_ua_and_day),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
