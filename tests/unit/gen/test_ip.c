/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every IP canton gen hands out geo-locates to the visitor's country in the
 * country database canton itself uses (npm @ip-location-db/
 * geo-whois-asn-country-mmdb, read with libmaxminddb): the addresses of a
 * generated run, and addresses spread over every block in the tables.
 */
#include <arpa/inet.h>
#include <maxminddb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "gen/internal.h"

#include <cmocka.h>

static MMDB_s db;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    char path[4096];
    snprintf(path, sizeof(path),
             "%s/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/"
             "geo-whois-asn-country.mmdb",
             src ? src : ".");
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
        fprintf(stderr, "cannot open %s: %s\n", path, MMDB_strerror(rc));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    MMDB_close(&db);
    return 0;
}

/* The country code of ip (host order) into cc[3]; false when the database has none. */
static bool country_of(uint32_t ip, char cc[3])
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    int e;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db, (struct sockaddr *)&sa, &e);
    if (e != MMDB_SUCCESS || !r.found_entry)
        return false;
    MMDB_entry_data_s d;
    if (MMDB_get_value(&r.entry, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return false;
    memcpy(cc, d.utf8_string, 2);
    cc[2] = 0;
    return true;
}

static uint32_t parse_ip(cn_str_t s)
{
    char buf[32];
    assert_true(s.len < sizeof(buf));
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, buf, &a), 1);
    return ntohl(a.s_addr);
}

static void check_block(const char *cidr, const char *want)
{
    unsigned a, b, c, d, n;
    assert_int_equal(sscanf(cidr, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &n), 5);
    uint32_t base = a << 24 | b << 16 | c << 8 | d;
    uint32_t size = (uint32_t)1 << (32 - n);
    /* First, last and 254 addresses spread over the block. */
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t off = i == 255 ? size - 1 : (uint32_t)((uint64_t)i * size / 255);
        char cc[3];
        if (!country_of(base + off, cc) || strcmp(cc, want) != 0) {
            fail_msg("%s: %u.%u.%u.%u is %s, not %s", cidr, (base + off) >> 24,
                     (base + off) >> 16 & 255, (base + off) >> 8 & 255, (base + off) & 255,
                     country_of(base + off, cc) ? cc : "unknown", want);
        }
    }
}

static void every_block_is_in_its_country(void **state)
{
    (void)state;
    size_t blocks = 0;
    for (size_t i = 0; i < cn_gen__country_count; i++) {
        const gen_country_t *c = &cn_gen__countries[i];
        for (size_t b = 0; b < GEN_MAX_BLOCKS && c->blocks[b]; b++, blocks++)
            check_block(c->blocks[b], c->cc);
    }
    for (size_t i = 0; i < cn_gen__ua_count; i++)
        if (cn_gen__uas[i].device == GEN_DEV_BOT)
            check_block(cn_gen__uas[i].bot_cidr, cn_gen__uas[i].bot_cc), blocks++;
    assert_true(blocks > 150);
}

static void generated_ips_match_the_visitor_country(void **state)
{
    (void)state;
    cn_gen_opts_t o;
    cn_gen_opts_init(&o);
    o.seed = 99;
    o.from_us = (int64_t)1793491200 * 1000000; /* 2026-11-01 */
    o.to_us = o.from_us + (int64_t)3 * 86400 * 1000000;
    o.visits_per_day = 4000;
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t n = 0, countries = 0;
    char seen[64][3];
    while (cn_gen_next(g, &h) == 1) {
        n++;
        char cc[3];
        uint32_t ip = parse_ip(h.raw.ip);
        assert_true(country_of(ip, cc));
        if (strcmp(cc, h.country) != 0)
            fail_msg("%.*s is %s, the visitor is from %s", CN_STR_FMT(h.raw.ip), cc, h.country);
        bool known = false;
        for (uint64_t i = 0; i < countries; i++)
            known |= strcmp(seen[i], cc) == 0;
        if (!known && countries < 64)
            memcpy(seen[countries++], cc, 3);
    }
    cn_gen_free(g);
    assert_true(n > 10000);
    /* The brief's countries all show up. */
    const char *want[] = {"CN", "US", "GB", "AU", "NZ", "DE", "BY", "UA", "IL"};
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
        bool found = false;
        for (uint64_t i = 0; i < countries; i++)
            found |= strcmp(seen[i], want[w]) == 0;
        if (!found)
            fail_msg("no visitor from %s", want[w]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_block_is_in_its_country),
        cmocka_unit_test(generated_ips_match_the_visitor_country),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
