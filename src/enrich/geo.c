/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Geography from an IP with libmaxminddb. Two record layouts are read:
 *   - ip-location-db's flat records (the npm @ip-location-db mmdb packages):
 *     {country_code, state1, city, ...};
 *   - MaxMind's nested GeoIP2/GeoLite2 records (also DB-IP's paid files):
 *     {country.iso_code, subdivisions[0].names.en, city.names.en}.
 * The layout is chosen per file from its metadata database_type (GeoIP2-*,
 * GeoLite2-*, DBIP-* are nested; others flat). Country comes from the
 * country file, else from the city file; region and city are kept only when
 * the city file agrees on the country, so that a row never says "Berlin, US".
 * The strings point into the mapped files, which live with the snapshot.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "enrich/internal.h"

static bool nested_layout(const MMDB_s *m)
{
    const char *t = m->metadata.database_type;
    return t != NULL && (strncmp(t, "GeoIP2", 6) == 0 || strncmp(t, "GeoLite2", 8) == 0 ||
                         strncmp(t, "DBIP", 4) == 0 || strncmp(t, "dbip", 4) == 0);
}

static int open_one(const char *path, MMDB_s *m, bool *has, cn_err_t *err)
{
    if (path == NULL || path[0] == '\0')
        return 0;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, m);
    if (rc != MMDB_SUCCESS)
        return cn_err_set(err, CN_ECONFIG, "%s: %s", path, MMDB_strerror(rc));
    *has = true;
    return 0;
}

int cn_enrich__geo_open(cn_geodb_t *g, const cn_enrich_opts_t *opts, cn_err_t *err)
{
    memset(g, 0, sizeof(*g));
    int rc = open_one(opts->geo_country, &g->country, &g->has_country, err);
    if (rc == 0)
        rc = open_one(opts->geo_city_v4, &g->city4, &g->has_city4, err);
    if (rc == 0 && opts->geo_city_v6 != NULL && opts->geo_city_v4 != NULL &&
        strcmp(opts->geo_city_v6, opts->geo_city_v4) == 0) {
        g->city6_is_city4 = true;
    } else if (rc == 0) {
        rc = open_one(opts->geo_city_v6, &g->city6, &g->has_city6, err);
    }
    if (rc < 0)
        cn_enrich__geo_close(g);
    return rc;
}

void cn_enrich__geo_close(cn_geodb_t *g)
{
    if (g->has_country)
        MMDB_close(&g->country);
    if (g->has_city4)
        MMDB_close(&g->city4);
    if (g->has_city6)
        MMDB_close(&g->city6);
    memset(g, 0, sizeof(*g));
}

static cn_str_t get_str(MMDB_entry_s *ent, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(ent, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return CN_STR_LIT("");
    return cn_str(d.utf8_string, d.data_size);
}

static const char *const flat_country[] = {"country_code", NULL};
static const char *const flat_region[] = {"state1", NULL};
static const char *const flat_city[] = {"city", NULL};
static const char *const nest_country[] = {"country", "iso_code", NULL};
static const char *const nest_region[] = {"subdivisions", "0", "names", "en", NULL};
static const char *const nest_city[] = {"city", "names", "en", NULL};

/* Looks sa up in m; false when m has no entry for it. */
static bool lookup(MMDB_s *m, const struct sockaddr *sa, MMDB_entry_s *out)
{
    int mmerr;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(m, sa, &mmerr);
    if (mmerr != MMDB_SUCCESS || !r.found_entry)
        return false;
    *out = r.entry;
    return true;
}

int cn_enrich_geo(cn_enrich_thread_t *t, const char *ip, cn_geo_t *out)
{
    out->country = out->region = out->city = CN_STR_LIT("");
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    const struct sockaddr *sa;
    bool v6;
    memset(&s4, 0, sizeof(s4));
    memset(&s6, 0, sizeof(s6));
    if (ip != NULL && inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
        s4.sin_family = AF_INET;
        sa = (const struct sockaddr *)&s4;
        v6 = false;
    } else if (ip != NULL && inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
        s6.sin6_family = AF_INET6;
        if (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr)) {
            s4.sin_family = AF_INET;
            memcpy(&s4.sin_addr, &s6.sin6_addr.s6_addr[12], 4);
            sa = (const struct sockaddr *)&s4;
            v6 = false;
        } else {
            sa = (const struct sockaddr *)&s6;
            v6 = true;
        }
    } else {
        return CN_EPARSE;
    }
    t->stats.geo_lookups++;
    cn_geodb_t *g = &t->e->geo;
    MMDB_entry_s ent;
    if (g->has_country && lookup(&g->country, sa, &ent))
        out->country = get_str(&ent, nested_layout(&g->country) ? nest_country : flat_country);
    MMDB_s *city = NULL;
    if (!v6 && g->has_city4)
        city = &g->city4;
    else if (v6 && g->has_city6)
        city = &g->city6;
    else if (v6 && g->city6_is_city4 && g->has_city4)
        city = &g->city4;
    if (city != NULL && city->metadata.ip_version == 4 && v6)
        city = NULL;
    if (city != NULL && lookup(city, sa, &ent)) {
        bool nested = nested_layout(city);
        cn_str_t cc = get_str(&ent, nested ? nest_country : flat_country);
        if (out->country.len == 0)
            out->country = cc;
        if (cn_str_eq(cc, out->country)) {
            out->region = get_str(&ent, nested ? nest_region : flat_region);
            out->city = get_str(&ent, nested ? nest_city : flat_city);
        }
    }
    return 0;
}

int cn_enrich_anonymize_ip(const char *ip, char *out, size_t out_len)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (out_len > 0)
        out[0] = '\0';
    if (ip == NULL || out_len < INET6_ADDRSTRLEN)
        return CN_EPARSE;
    if (inet_pton(AF_INET, ip, &a4) == 1) {
        ((uint8_t *)&a4.s_addr)[3] = 0;
        return inet_ntop(AF_INET, &a4, out, (socklen_t)out_len) ? 0 : CN_EPARSE;
    }
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6))
            a6.s6_addr[15] = 0; /* an IPv4 address in IPv6 form: the IPv4 rule */
        else
            memset(&a6.s6_addr[6], 0, 10);
        return inet_ntop(AF_INET6, &a6, out, (socklen_t)out_len) ? 0 : CN_EPARSE;
    }
    return CN_EPARSE;
}
