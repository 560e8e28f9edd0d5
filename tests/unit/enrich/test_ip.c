/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A client IP as canton keeps it (cn_enrich_ip_text, src/enrich/geo.c): IPv4 with the last octet
 * zeroed, IPv6 cut to its first 48 bits, an IPv4-mapped IPv6 address taken as IPv4, all in
 * canonical text; the full address when the suite keeps it; "" for what is not an address.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enrich/enrich.h"

#include <cmocka.h>

/* The row value for ip (keep or not), checked against want and its returned length. */
static void expect(const char *ip, bool keep, const char *want)
{
    char out[CN_ENRICH_IP_TEXT_CAP];
    memset(out, 'x', sizeof(out));
    size_t n = cn_enrich_ip_text(cn_str_c(ip), keep, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void ipv4_loses_its_last_octet(void **state)
{
    (void)state;
    expect("203.0.113.77", false, "203.0.113.0");
    expect("203.0.113.0", false, "203.0.113.0");
    expect("255.255.255.255", false, "255.255.255.0");
    expect("0.0.0.0", false, "0.0.0.0");
}

static void ipv6_keeps_its_first_48_bits(void **state)
{
    (void)state;
    expect("2001:db8:1234:5678::1", false, "2001:db8:1234::");
    expect("2001:DB8:1234:5678:9abc:def0:1234:5678", false, "2001:db8:1234::");
    expect("2001:db8:12ff:ffff::", false, "2001:db8:12ff::");
    expect("fe80::1", false, "fe80::");
    expect("::1", false, "::");
    /* a 48-bit prefix that ends in zeros: still the shortest form */
    expect("2001:0:0:1::1", false, "2001::");
}

static void ipv4_mapped_ipv6_is_anonymized_as_ipv4(void **state)
{
    (void)state;
    expect("::ffff:198.51.100.23", false, "198.51.100.0");
    expect("::FFFF:c633:6417", false, "198.51.100.0");
    expect("::ffff:198.51.100.23", true, "198.51.100.23");
    /* not mapped (IPv4-compatible, NAT64): IPv6 rules */
    expect("::198.51.100.23", false, "::");
    expect("64:ff9b::c633:6417", false, "64:ff9b::");
}

static void keep_gives_the_full_address_in_canonical_form(void **state)
{
    (void)state;
    expect("203.0.113.77", true, "203.0.113.77");
    expect("2001:db8:1234:5678::1", true, "2001:db8:1234:5678::1");
    expect("2001:DB8:1234:5678:0:0:0:1", true, "2001:db8:1234:5678::1");
    expect("2001:0db8:0000:0000:0000:0000:0000:0001", true, "2001:db8::1");
}

static void what_is_not_an_address_gives_empty(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "unknown",
                         "203.0.113",
                         "203.0.113.256",
                         "203.0.113.77:443",
                         "[2001:db8::1]",
                         "fe80::1%eth0",
                         " 203.0.113.77",
                         "2001:db8::1::2",
                         "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect(bad[i], false, "");
        expect(bad[i], true, "");
    }
    /* an embedded NUL, and a text longer than any address */
    char out[CN_ENRICH_IP_TEXT_CAP];
    assert_int_equal(cn_enrich_ip_text(cn_str("1.2.3.4\0"
                                              "5",
                                              9),
                                       true, out),
                     0);
    assert_string_equal(out, "");
    char longest[CN_ENRICH_IP_TEXT_CAP + 1];
    memset(longest, '1', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = 0;
    assert_int_equal(cn_enrich_ip_text(cn_str_c(longest), true, out), 0);
    /* the longest IPv6 text (45 bytes) fits */
    expect("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", true,
           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", false, "ffff:ffff:ffff::");
}

static void anonymizing_twice_changes_nothing(void **state)
{
    (void)state;
    /* an export's anonymized ip imported again (canton import) gives the same ip */
    const char *in[] = {"203.0.113.77", "2001:db8:1234:5678::1", "::ffff:198.51.100.23"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char once[CN_ENRICH_IP_TEXT_CAP], twice[CN_ENRICH_IP_TEXT_CAP];
        size_t n = cn_enrich_ip_text(cn_str_c(in[i]), false, once);
        assert_int_equal(cn_enrich_ip_text(cn_str(once, n), false, twice), n);
        assert_string_equal(once, twice);
    }
}

/* The text is inet_ntop's, for addresses of every shape of zero runs (glibc's is the
 * reference: IPv4 is formatted without sprintf). */
static void text_is_what_inet_ntop_writes(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int n = 0; n < 200000; n++) {
        uint8_t a[16];
        for (int i = 0; i < 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* a group is zero half the time, else of 1 to 4 hex digits */
            unsigned g = (x & 1) ? 0 : (unsigned)(x >> 8) & 0xffff >> (4 * ((x >> 1) & 3));
            a[2 * i] = (uint8_t)(g >> 8);
            a[2 * i + 1] = (uint8_t)g;
        }
        if (n % 7 == 0) { /* IPv4-compatible and mapped prefixes */
            memset(a, 0, 10);
            a[10] = a[11] = (n % 14 == 0) ? 0xff : 0;
        }
        char v4[INET_ADDRSTRLEN], v4_anon[INET_ADDRSTRLEN];
        assert_non_null(inet_ntop(AF_INET, a + 12, v4, sizeof(v4)));
        char in[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN], got[CN_ENRICH_IP_TEXT_CAP];
        assert_non_null(inet_ntop(AF_INET6, a, in, sizeof(in)));
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        bool is_mapped = memcmp(a, mapped, 12) == 0;
        if (is_mapped)
            assert_non_null(inet_ntop(AF_INET, a + 12, want, sizeof(want)));
        else
            assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
        assert_int_equal(cn_enrich_ip_text(cn_str_c(in), true, got), strlen(want));
        assert_string_equal(got, want);
        if (is_mapped)
            a[15] = 0;
        else
            memset(a + 6, 0, 10);
        assert_non_null(
            inet_ntop(is_mapped ? AF_INET : AF_INET6, is_mapped ? a + 12 : a, want, sizeof(want)));
        assert_int_equal(cn_enrich_ip_text(cn_str_c(in), false, got), strlen(want));
        assert_string_equal(got, want);
        /* the same last four bytes as IPv4 */
        assert_int_equal(cn_enrich_ip_text(cn_str_c(v4), true, got), strlen(v4));
        assert_string_equal(got, v4);
        snprintf(v4_anon, sizeof(v4_anon), "%.*s.0", (int)(strrchr(v4, '.') - v4), v4);
        assert_int_equal(cn_enrich_ip_text(cn_str_c(v4), false, got), strlen(v4_anon));
        assert_string_equal(got, v4_anon);
    }
}

/* The C library's answer for the slice s (the reference): inet_pton of its text (IPv4 when it
 * holds no ':', else IPv6, a mapped address taken as IPv4), inet_ntop of the address kept. */
static void reference(const char *s, size_t len, bool keep, char *want)
{
    want[0] = 0;
    char t[64];
    uint8_t a[16];
    if (len == 0 || len >= sizeof(t) || memchr(s, 0, len) != NULL)
        return;
    memcpy(t, s, len);
    t[len] = 0;
    if (strchr(t, ':') == NULL) {
        if (inet_pton(AF_INET, t, a) != 1)
            return;
    } else {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (inet_pton(AF_INET6, t, a) != 1)
            return;
        if (memcmp(a, mapped, 12) != 0) {
            if (!keep)
                memset(a + 6, 0, 10);
            assert_non_null(inet_ntop(AF_INET6, a, want, INET6_ADDRSTRLEN));
            return;
        }
        memmove(a, a + 12, 4);
    }
    if (!keep)
        a[3] = 0;
    assert_non_null(inet_ntop(AF_INET, a, want, INET_ADDRSTRLEN));
}

/* Short texts, where an IPv4 address's text is copied as it came (it is canonical once the
 * parser takes it): random slices of 0 to 20 bytes over digits, dots, ':', 'x', ' ' and NUL
 * give what the C library gives, kept or anonymized. */
static void short_texts_give_what_the_c_library_gives(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789012345678901234567890123456789........:x \0";
    uint64_t x = 0x2545f4914f6cdd1dULL;
    size_t valid = 0;
    for (int n = 0; n < 400000; n++) {
        char s[24];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % 21);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = alpha[x % (sizeof(alpha) - 1)];
        }
        if (n % 3 == 0) { /* an address more often than chance gives one */
            int w = snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(x >> 8) & 255,
                             (unsigned)(x >> 16) % (1u << (x >> 60 & 7 ? 8 : 4)),
                             (unsigned)(x >> 24) & 255, (unsigned)(x >> 32) & 255);
            len = (size_t)w;
            if (n % 9 == 0 && len < 20) /* with something after it */
                s[len++] = alpha[(x >> 40) % (sizeof(alpha) - 1)];
        }
        for (int keep = 0; keep < 2; keep++) {
            char want[INET6_ADDRSTRLEN], got[CN_ENRICH_IP_TEXT_CAP];
            reference(s, len, keep, want);
            size_t gn = cn_enrich_ip_text(cn_str(s, len), keep, got);
            if (gn != strlen(want) || strcmp(got, want) != 0)
                fail_msg("'%.*s' (%zu bytes, keep %d): '%s', want '%s'", (int)len, s, len, keep,
                         got, want);
            valid += want[0] != 0;
        }
    }
    assert_true(valid > 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_loses_its_last_octet),
        cmocka_unit_test(ipv6_keeps_its_first_48_bits),
        cmocka_unit_test(ipv4_mapped_ipv6_is_anonymized_as_ipv4),
        cmocka_unit_test(keep_gives_the_full_address_in_canonical_form),
        cmocka_unit_test(what_is_not_an_address_gives_empty),
        cmocka_unit_test(anonymizing_twice_changes_nothing),
        cmocka_unit_test(text_is_what_inet_ntop_writes),
        cmocka_unit_test(short_texts_give_what_the_c_library_gives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
