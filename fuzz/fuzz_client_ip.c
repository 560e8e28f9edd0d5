/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the visit column ip from a raw hit's client IP
 * (cn_enrich_ip_text, src/enrich/geo.c). Invariants: the text is "" or a
 * NUL-terminated address shorter than CN_ENRICH_IP_TEXT_CAP that parses back
 * (inet_pton) to itself in canonical form; the kept address anonymized gives
 * the anonymized input; anonymizing twice changes nothing; an anonymized IPv4
 * address ends in .0 and an anonymized IPv6 one has its last 80 bits zero.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text (of n bytes, NUL-terminated) parses as an address whose canonical text is text. */
static void expect_canonical(const char *text, size_t n)
{
    if (n >= CN_ENRICH_IP_TEXT_CAP || strlen(text) != n)
        abort();
    if (n == 0)
        return;
    uint8_t a[16];
    char again[CN_ENRICH_IP_TEXT_CAP];
    int family = strchr(text, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(family, text, a) != 1 || inet_ntop(family, a, again, sizeof(again)) == NULL ||
        strcmp(again, text) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_str_t in = cn_str((const char *)data, size);
    char kept[CN_ENRICH_IP_TEXT_CAP], anon[CN_ENRICH_IP_TEXT_CAP], k2[CN_ENRICH_IP_TEXT_CAP],
        a2[CN_ENRICH_IP_TEXT_CAP];
    size_t nk = cn_enrich_ip_text(in, true, kept);
    size_t na = cn_enrich_ip_text(in, false, anon);
    expect_canonical(kept, nk);
    expect_canonical(anon, na);
    if ((nk == 0) != (na == 0))
        abort();
    /* anonymizing the kept address gives the anonymized input; twice changes nothing */
    if (cn_enrich_ip_text(cn_str(kept, nk), false, k2) != na || strcmp(k2, anon) != 0)
        abort();
    if (cn_enrich_ip_text(cn_str(anon, na), false, a2) != na || strcmp(a2, anon) != 0)
        abort();
    if (na > 0) {
        uint8_t a[16];
        if (strchr(anon, ':') == NULL) {
            if (na < 2 || strcmp(anon + na - 2, ".0") != 0)
                abort();
        } else if (inet_pton(AF_INET6, anon, a) != 1) {
            abort();
        } else {
            for (int i = 6; i < 16; i++)
                if (a[i] != 0)
                    abort();
        }
    }
    return 0;
}
