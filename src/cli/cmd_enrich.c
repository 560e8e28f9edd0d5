/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton enrich`: shows what enrichment makes of a user agent, an IP, a
 * referrer and a landing URL, as one JSON object, with the data sets and
 * the suite rules that processing uses. For people checking a rule, and for
 * the integration test of src/enrich (tests/integration/test_enrich_cli.py).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "enrich/enrich.h"
#include "lib/buf.h"

static const char *const ref_types[] = {"none",  "internal", "search", "social",
                                        "email", "paid",     "other"};

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton enrich [--config FILE] [--suite ID] [--ua UA] [--ip IP]\n"
               "                     [--referrer URL] [--landing URL] [--v0 CODE]\n"
               "\n"
               "Prints, as JSON, what processing's enrichment makes of the inputs given (at\n"
               "least one of --ua, --ip, --referrer, --landing, --v0):\n"
               "browser, OS, device type and bot flag (--ua); country, region, city and the\n"
               "anonymized IP (--ip); referrer type, domain and search terms, campaign and\n"
               "marketing channel (--referrer, --landing, --v0). --suite applies that suite's\n"
               "domains, channel_rules, campaign_params and referer_list from --config.\n"
               "Data sets: node_modules/ under $CANTON_SRC or the source tree (docs/enrich.md).\n");
}

static void key(cn_buf_t *b, const char *k, cn_str_t v, bool last)
{
    cn_buf_printf(b, "\"%s\":", k);
    cn_buf_append_json_str(b, v);
    if (!last)
        cn_buf_putc(b, ',');
}

int cn_cmd_enrich(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"suite", required_argument, NULL, 's'},
        {"ua", required_argument, NULL, 'u'},       {"ip", required_argument, NULL, 'i'},
        {"referrer", required_argument, NULL, 'r'}, {"landing", required_argument, NULL, 'l'},
        {"v0", required_argument, NULL, 'v'},       {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *suite_id = NULL, *ua = NULL, *ip = NULL, *ref = NULL, *land = NULL,
               *v0 = NULL;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("enrich", argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 's':
            suite_id = optarg;
            break;
        case 'u':
            ua = optarg;
            break;
        case 'i':
            ip = optarg;
            break;
        case 'r':
            ref = optarg;
            break;
        case 'l':
            land = optarg;
            break;
        case 'v':
            v0 = optarg;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "canton enrich: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    if (ua == NULL && ip == NULL && ref == NULL && land == NULL && v0 == NULL) {
        fprintf(stderr, "canton enrich: nothing to enrich: give --ua, --ip, --referrer, --landing "
                        "or --v0\n\n");
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_err_t err;
    int rc;
    cn_conf_t *conf = cn_cli_conf("enrich", config);
    if (conf == NULL)
        return CN_EXIT_FAIL;
    const cn_suite_conf_t *suite = NULL;
    if (suite_id != NULL && (suite = cn_conf_suite(conf, suite_id, strlen(suite_id))) == NULL) {
        fprintf(stderr, "canton enrich: no suite \"%s\" in the configuration\n", suite_id);
        cn_conf_free(conf);
        return CN_EXIT_USAGE;
    }
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    cn_enrich_t *e;
    if ((rc = cn_enrich_open(&eo, &e, &err)) != 0) {
        fprintf(stderr, "canton enrich: %s\n", cn_err_msg(&err, rc));
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    cn_buf_t b = CN_BUF_INIT;
    int code = CN_EXIT_OK;
    cn_buf_putc(&b, '{');
    if (ua != NULL) {
        cn_ua_info_t u;
        cn_enrich_ua(t, cn_str_c(ua), &u);
        cn_buf_append_c(&b, "\"ua\":{");
        key(&b, "browser", u.browser, false);
        key(&b, "browser_version", u.browser_ver, false);
        key(&b, "os", u.os, false);
        key(&b, "os_version", u.os_ver, false);
        key(&b, "device", u.device, false);
        key(&b, "brand", u.brand, false);
        key(&b, "model", u.model, false);
        key(&b, "device_type", cn_str_c(cn_enrich_device_name(u.type)), false);
        key(&b, "bot", u.bot, false);
        cn_buf_printf(&b, "\"is_bot\":%s},", u.is_bot ? "true" : "false");
    }
    if (ip != NULL) {
        cn_geo_t g;
        char anon[CN_ENRICH_IP_TEXT_CAP];
        if (cn_enrich_geo(t, ip, &g) != 0 || cn_enrich_ip_text(cn_str_c(ip), false, anon) == 0) {
            fprintf(stderr, "canton enrich: --ip %s: not an IP address\n", ip);
            code = CN_EXIT_USAGE;
            goto done;
        }
        cn_buf_append_c(&b, "\"geo\":{");
        key(&b, "country", g.country, false);
        key(&b, "region", g.region, false);
        key(&b, "city", g.city, false);
        key(&b, "ip_anonymized", cn_str_c(anon), true);
        cn_buf_append_c(&b, "},");
    }
    if (ref != NULL || land != NULL || v0 != NULL) {
        cn_ref_info_t r;
        cn_enrich_referrer(t, cn_str_c(ref), cn_str_c(land), suite, &r);
        cn_buf_append_c(&b, "\"referrer\":{");
        key(&b, "type", cn_str_c(ref_types[r.type <= CN_REF_OTHER ? r.type : CN_REF_OTHER]), false);
        key(&b, "domain", r.domain, false);
        key(&b, "source", r.source, false);
        key(&b, "medium", r.medium, false);
        key(&b, "terms", r.terms, true);
        cn_campaign_t cp;
        cn_enrich_campaign(t, cn_str_c(land), cn_str_c(v0), suite, &cp);
        cn_buf_append_c(&b, "},\"campaign\":{");
        key(&b, "campaign", cp.campaign, false);
        key(&b, "utm_source", cp.utm_source, false);
        key(&b, "utm_medium", cp.utm_medium, false);
        key(&b, "utm_campaign", cp.utm_campaign, false);
        key(&b, "utm_term", cp.utm_term, false);
        key(&b, "utm_content", cp.utm_content, false);
        key(&b, "click_id", cp.click_id, true);
        cn_buf_append_c(&b, "},");
        key(&b, "channel", cn_enrich_channel(t, suite, &r, &cp), false);
    }
    if (b.len > 1)
        b.len--; /* the last comma */
    cn_buf_append_c(&b, "}\n");
    fwrite(b.ptr, 1, b.len, stdout);
done:
    cn_buf_dispose(&b);
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
    cn_conf_free(conf);
    return code;
}
