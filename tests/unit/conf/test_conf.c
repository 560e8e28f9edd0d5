/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "conf/conf.h"

#include <cmocka.h>

static int parse(const char *text, cn_conf_t **out, cn_err_t *err)
{
    return cn_conf_parse("t.conf", text, strlen(text), out, err);
}

static void defaults_have_demo_suite(void **state)
{
    (void)state;
    cn_conf_t *c = cn_conf_default();
    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_int_equal(c->durability, CN_DURABILITY_FSYNC);
    assert_int_equal(c->suite_count, 1);
    const cn_suite_conf_t *s = cn_conf_suite(c, "demo", 4);
    assert_non_null(s);
    assert_string_equal(s->currency, "CNY");
    assert_string_equal(s->home_country, "CN");
    assert_true(s->visit_timeout_us == 30 * 60 * 1000000LL);
    assert_true(c->compress);
    cn_conf_free(c);
}

static void parses_server_and_suites(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    const char *text = "# comment\n"
                       "[server]\n"
                       "listen = 0.0.0.0:9000\r\n"
                       "durability = buffered\n"
                       "max_body_size = 4M\n"
                       "io_timeout = 500ms\n"
                       "compress = off\n"
                       "trusted_proxies = 10.0.0.0/8, ::1\n"
                       "[suite \"shop\"]\n"
                       "  ; another comment\n"
                       "name = \" My Shop \"\n"
                       "timezone = UTC\n"
                       "currency = EUR\n"
                       "domains = a.example, b.example,,\n"
                       "visit_timeout = 15m\n"
                       "evar1 = name=Payment; expiry=visit\n"
                       "[suite other]\n";
    assert_int_equal(parse(text, &c, &err), 0);
    assert_string_equal(c->listen, "0.0.0.0:9000");
    assert_int_equal(c->durability, CN_DURABILITY_BUFFERED);
    assert_true(c->max_body_bytes == 4u << 20);
    assert_int_equal(c->io_timeout_ms, 500);
    assert_false(c->compress);
    assert_int_equal(c->suite_count, 2);
    const cn_suite_conf_t *s = cn_conf_suite(c, "shop", 4);
    assert_string_equal(s->name, " My Shop ");
    assert_int_equal(s->domain_count, 2);
    assert_string_equal(s->domains[1], "b.example");
    assert_true(s->visit_timeout_us == 15 * 60 * 1000000LL);
    assert_string_equal(cn_conf_suite_get(s, "evar1"), "name=Payment; expiry=visit");
    assert_null(cn_conf_suite_get(s, "evar2"));
    assert_string_equal(cn_conf_suite(c, "other", 5)->name, "other");
    cn_conf_free(c);
}

static void errors_name_file_line_and_key(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(parse("[server]\n\nlisten = nowhere\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "t.conf:3: [server] listen:"));
    assert_int_equal(parse("[server]\nlisen = 1\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: [server] lisen: unknown key");
    assert_int_equal(parse("[suite x]\ncurrency = yuan\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "t.conf:2: [suite x] currency:"));
    assert_int_equal(parse("listen = 1\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "key outside a section"));
    assert_int_equal(parse("[suite x]\n[suite x]\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "defined twice"));
    /* [server] is one per file: a second one's keys do not win over the first's */
    assert_int_equal(
        parse("[server]\nlog_level = warn\n[suite x]\n[server]\nlog_level = debug\n", &c, &err),
        CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:4: [server] is defined twice (first at line 1)");
    assert_int_equal(parse("[suite a/b]\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[server\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[server]\njust words\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[suite x]\ntimezone = Mars/Base\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[server]\ntrusted_proxies = 10.0.0.0/33\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "10.0.0.0/33"));
    assert_int_equal(parse("[server]\ncompress = maybe\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(
        err.msg, "t.conf:2: [server] compress: expected on or off (or yes/no, true/false, 1/0)"));
    /* Suite keys nothing reads are refused, not kept silently. */
    assert_int_equal(parse("[suite x]\n\nlist4 = delimiter=|\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg,
                        "t.conf:3: [suite x] list4: unknown key (list variables are list1..list3)");
    assert_int_equal(parse("[suite x]\nhier2 = delimiter=/\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "[suite x] hier2: unknown key (hierarchies are kept whole"));
    assert_int_equal(parse("[suite x]\nevar251 = name=x\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg,
                        "t.conf:2: [suite x] evar251: unknown key (eVars are evar1..evar250)");
    assert_int_equal(parse("[suite x]\nprop0 = from=c.a\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "prop0: unknown key (props are prop1..prop75)"));
    assert_int_equal(parse("[suite x]\nevents = currency\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "events: unknown key (events are event1..event1000)"));
    assert_int_equal(parse("[suite x]\nretention = 3\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: [suite x] retention: unknown key");
    /* The numbered keys processing reads, at both ends of their ranges. */
    assert_int_equal(parse("[suite x]\nevar1 = a\nevar250 = b\nprop75 = from=c.a\n"
                           "event1000 = type=currency\nretention_days = 3\n"
                           "list1 = delimiter=|\nlist3 = max=5\n",
                           &c, &err),
                     0);
    assert_string_equal(cn_conf_suite_get(cn_conf_suite(c, "x", 1), "event1000"), "type=currency");
    assert_string_equal(cn_conf_suite_get(cn_conf_suite(c, "x", 1), "list1"), "delimiter=|");
    cn_conf_free(c);
}

static void trusted_proxies_match_cidrs(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(
        parse("[server]\ntrusted_proxies = 10.1.0.0/16, 192.0.2.7, 2001:db8::/32\n", &c, &err), 0);
    assert_true(cn_conf_is_trusted_proxy(c, "10.1.200.3", 10));
    assert_false(cn_conf_is_trusted_proxy(c, "10.2.0.1", 8));
    assert_true(cn_conf_is_trusted_proxy(c, "192.0.2.7", 9));
    assert_false(cn_conf_is_trusted_proxy(c, "192.0.2.8", 9));
    assert_true(cn_conf_is_trusted_proxy(c, "2001:db8:1::5", 13));
    assert_false(cn_conf_is_trusted_proxy(c, "2001:db9::5", 11));
    assert_false(cn_conf_is_trusted_proxy(c, "garbage", 7));
    cn_conf_free(c);
}

static void suite_exclude_ips_and_visit_rules(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(parse("[suite shop]\n"
                           "exclude_ips = 10.0.0.0/8, 192.0.2.7, 2001:db8::/32\n"
                           "new_visit_on_campaign = yes\n"
                           "[suite other]\n",
                           &c, &err),
                     0);
    const cn_suite_conf_t *s = cn_conf_suite(c, "shop", 4), *o = cn_conf_suite(c, "other", 5);
    assert_int_equal(s->exclude_ip_count, 3);
    assert_true(s->new_visit_on_campaign);
    assert_false(s->new_visit_on_referrer);
    assert_false(o->new_visit_on_campaign || o->new_visit_on_referrer);
    assert_true(cn_conf_is_excluded_ip(s, "10.0.0.0", 8));
    assert_true(cn_conf_is_excluded_ip(s, "10.255.255.255", 14));
    assert_false(cn_conf_is_excluded_ip(s, "11.0.0.0", 8));
    assert_false(cn_conf_is_excluded_ip(s, "9.255.255.255", 13));
    assert_true(cn_conf_is_excluded_ip(s, "192.0.2.7", 9));
    assert_false(cn_conf_is_excluded_ip(s, "192.0.2.6", 9));
    assert_true(cn_conf_is_excluded_ip(s, "::ffff:10.9.8.7", 15)); /* v4-mapped v6 */
    assert_true(cn_conf_is_excluded_ip(s, "2001:db8:ffff:ffff::1", 21));
    assert_false(cn_conf_is_excluded_ip(s, "2001:db9::", 10));
    assert_false(cn_conf_is_excluded_ip(s, "not an ip", 9));
    assert_false(cn_conf_is_excluded_ip(s, "", 0));
    assert_false(cn_conf_is_excluded_ip(o, "10.0.0.1", 8)); /* no ranges */
    cn_conf_free(c);

    assert_int_equal(parse("[suite shop]\n\nexclude_ips = 10.0.0.0/8, 10.0.0.300\n", &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:3: [suite shop] exclude_ips: '10.0.0.300' is not an IP "
                                 "address or CIDR range");
    assert_int_equal(parse("[suite shop]\nexclude_ips = 2001:db8::/129\n", &c, &err), CN_ECONFIG);
    assert_non_null(strstr(err.msg, "t.conf:2: [suite shop] exclude_ips: '2001:db8::/129'"));
    assert_int_equal(parse("[suite shop]\nnew_visit_on_campaign = maybe\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: [suite shop] new_visit_on_campaign: expected on or off "
                                 "(or yes/no, true/false, 1/0)");
    assert_int_equal(parse("[suite s]\n#\n\nnew_visit_on_referrer = 2\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:4: [suite s] new_visit_on_referrer: expected on or off "
                                 "(or yes/no, true/false, 1/0)");
    assert_int_equal(parse("[suite s]\nkeep_ip = kept\n", &c, &err), CN_ECONFIG);
    assert_string_equal(
        err.msg, "t.conf:2: [suite s] keep_ip: expected on or off (or yes/no, true/false, 1/0)");
}

/* "tokens =" (empty, or only commas) adds no token and is not an error; a
 * later "token" line still adds its own (found by fuzz_conf: an empty list
 * used to reach memcpy with a NULL source). */
static void empty_token_list_adds_none(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(parse("[suite shop]\ntokens =\ntokens = ,\n", &c, &err), 0);
    const cn_suite_conf_t *s = cn_conf_suite(c, "shop", 4);
    assert_int_equal(s->token_count, 0);
    cn_conf_free(c);

    assert_int_equal(parse("[suite shop]\ntokens =\ntoken = 0123456789abcdef\n", &c, &err), 0);
    s = cn_conf_suite(c, "shop", 4);
    assert_int_equal(s->token_count, 1);
    assert_string_equal(s->tokens[0], "0123456789abcdef");
    cn_conf_free(c);

    assert_int_equal(parse("[suite shop]\ntokens = , short\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg,
                        "t.conf:2: [suite shop] tokens: a token must be at least 16 characters");
}

static void durations_and_sizes(void **state)
{
    (void)state;
    int64_t us;
    uint64_t n;
    assert_int_equal(cn_conf_parse_duration("30m", &us), 0);
    assert_true(us == 1800000000LL);
    assert_int_equal(cn_conf_parse_duration("1ms", &us), 0);
    assert_true(us == 1000);
    assert_int_equal(cn_conf_parse_duration("-1s", &us), CN_EPARSE);
    assert_int_equal(cn_conf_parse_duration("5 parsecs", &us), CN_EPARSE);
    assert_int_equal(cn_conf_parse_duration("99999999999999999999d", &us), CN_EPARSE);
    assert_int_equal(cn_conf_parse_size("64k", &n), 0);
    assert_true(n == 65536);
    assert_int_equal(cn_conf_parse_size("2G", &n), 0);
    assert_true(n == 2ULL << 30);
    assert_int_equal(cn_conf_parse_size("k", &n), CN_EPARSE);
}

/* listen is checked as the HTTP server binds it, when the file is read: a host name would
 * otherwise pass and fail only once the hitlog and the stores were open. */
static void listen_addresses(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(parse("[server]\nlisten = localhost:8080\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: [server] listen: the address must be a numeric IPv4 "
                                 "or IPv6 address, e.g. 127.0.0.1 or [::1]");
    assert_int_equal(parse("[server]\nlisten = 127.0.0.1:0\n", &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: [server] listen: port must be 1..65535");
    assert_int_equal(parse("[server]\nlisten = 127.0.0.1:+80\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[server]\nlisten = []:80\n", &c, &err), CN_ECONFIG);
    assert_int_equal(parse("[server]\nlisten = [::1]:8080\n", &c, &err), 0);
    assert_string_equal(c->listen, "[::1]:8080");
    cn_conf_free(c);
    assert_int_equal(parse("[server]\nlisten = 0.0.0.0:65535\n", &c, &err), 0);
    cn_conf_free(c);
    /* `canton serve --listen`: port 0 picks a free port */
    assert_null(cn_conf_listen_error("127.0.0.1:0", true));
    assert_null(cn_conf_listen_error("::1:8080", true));
    assert_string_equal(cn_conf_listen_error("127.0.0.1:65536", true), "port must be 0..65535");
    assert_string_equal(cn_conf_listen_error("8080", true),
                        "expected ADDRESS:PORT, e.g. 127.0.0.1:8080");
}

/* A key set twice in one section is an error at the first line that sets one again, whatever
 * the other keys between; the same key in two sections is two keys. */
static void a_key_set_twice_is_an_error(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(parse("[server]\nlisten = 127.0.0.1:1\nlog_level = info\n"
                           "listen = 127.0.0.1:2\n",
                           &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:4: [server] listen is set twice (first at line 2)");
    /* two keys set again: the one set again first is named, at the end of the file too */
    assert_int_equal(parse("[suite x]\nevar9 = a\ncurrency = EUR\nevar1 = b\ncurrency = USD\n"
                           "evar9 = c\nevar9 = d\n",
                           &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:5: [suite x] currency is set twice (first at line 3)");
    /* found when the next section begins, before its keys are read */
    assert_int_equal(
        parse("[suite x]\nevar1 = a\nevar1 = a\n[suite y]\ncurrency = yuan\n", &c, &err),
        CN_ECONFIG);
    assert_string_equal(err.msg, "t.conf:3: [suite x] evar1 is set twice (first at line 2)");
    /* token lines add up: the one key that may come again */
    assert_int_equal(parse("[suite x]\ntoken = 0123456789abcdef\ntoken = 0123456789abcdeg\n"
                           "tokens = 0123456789abcdeh\n",
                           &c, &err),
                     0);
    assert_int_equal(cn_conf_suite(c, "x", 1)->token_count, 3);
    cn_conf_free(c);
    /* keys are case-sensitive, and each section has its own */
    assert_int_equal(parse("[suite x]\ncurrency = EUR\n[suite y]\ncurrency = EUR\n"
                           "[server]\nlisten = 127.0.0.1:1\n",
                           &c, &err),
                     0);
    cn_conf_free(c);
}

static void load_reports_missing_file(void **state)
{
    (void)state;
    cn_conf_t *c;
    cn_err_t err;
    assert_int_equal(cn_conf_load("/nonexistent/canton.conf", &c, &err), -2 /* ENOENT */);
    assert_non_null(strstr(err.msg, "/nonexistent/canton.conf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_have_demo_suite),
        cmocka_unit_test(parses_server_and_suites),
        cmocka_unit_test(errors_name_file_line_and_key),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(trusted_proxies_match_cidrs),
        cmocka_unit_test(suite_exclude_ips_and_visit_rules),
        cmocka_unit_test(empty_token_list_adds_none),
        cmocka_unit_test(durations_and_sizes),
        cmocka_unit_test(a_key_set_twice_is_an_error),
        cmocka_unit_test(load_reports_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
