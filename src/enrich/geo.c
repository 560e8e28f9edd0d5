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
#include <sys/mman.h>
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
#ifdef MADV_POPULATE_READ
    /* Map the whole file now, as part of loading it: a lookup walks the search tree to
     * places no earlier lookup touched, and each first touch of a page of the mapping is a
     * page fault (~10 us where the hypervisor keeps the page tables; 1-2% of a reprocess).
     * Advice only: a kernel before 5.14 maps on first touch, as before. */
    (void)madvise((void *)m->file_content, m->file_size, MADV_POPULATE_READ);
#endif
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
    if (rc < 0) {
        cn_enrich__geo_close(g);
        return rc;
    }
    g->country_nested = g->has_country && nested_layout(&g->country);
    g->city4_nested = g->has_city4 && nested_layout(&g->city4);
    g->city6_nested = g->has_city6 && nested_layout(&g->city6);
    return 0;
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

/*
 * Looks sa up in m: true with *out when m has an entry. *plen gets the
 * length of the network the answer holds for (found or not), in bits of
 * the address family of sa; *ok turns false on a database error.
 */
static bool lookup(const MMDB_s *m, const struct sockaddr *sa, bool v6, MMDB_entry_s *out,
                   unsigned *plen, bool *ok)
{
    int mmerr;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(m, sa, &mmerr);
    if (mmerr != MMDB_SUCCESS) {
        *ok = false;
        return false;
    }
    /* an IPv4 address in an IPv6 tree is looked up as ::a.b.c.d: its
     * netmask counts the 96 leading bits */
    unsigned n = r.netmask;
    if (!v6 && m->metadata.ip_version == 6)
        n = n > 96 ? n - 96 : 0;
    if (n > *plen)
        *plen = n;
    if (!r.found_entry)
        return false;
    *out = r.entry;
    return true;
}

/*
 * What the record ent points to holds: its country code, and for a city
 * database (place) its region and city. Through the memo when recs is not
 * NULL: a slot answers for the same database and record offset, which is
 * the same record (the databases never change while the snapshot lives).
 */
static const cn_geo_rec_t *record(cn_geo_rec_t *recs, const MMDB_entry_s *ent, bool nested,
                                  bool place, cn_geo_rec_t *tmp)
{
    cn_geo_rec_t *r = tmp;
    if (recs != NULL) {
        uint32_t h = (ent->offset ^ (uint32_t)place << 31) * 0x9e3779b1u;
        r = &recs[h >> 20 & (CN_ENRICH_GEO_RECS - 1)];
        if (r->db == ent->mmdb && r->offset == ent->offset)
            return r;
    }
    /* get_str needs a non-const entry; it does not change it */
    MMDB_entry_s e = *ent;
    r->db = ent->mmdb;
    r->offset = ent->offset;
    r->cc = get_str(&e, nested ? nest_country : flat_country);
    r->region = r->city = CN_STR_LIT("");
    if (place) {
        r->region = get_str(&e, nested ? nest_region : flat_region);
        r->city = get_str(&e, nested ? nest_city : flat_city);
    }
    return r;
}

/* addr (v6: 16 bytes, else 4) as the sockaddr libmaxminddb looks up. */
typedef union geo_sa {
    struct sockaddr sa;
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
} geo_sa_t;

static void make_sa(geo_sa_t *u, const uint8_t *addr, bool v6)
{
    memset(u, 0, sizeof(*u));
    if (v6) {
        u->s6.sin6_family = AF_INET6;
        memcpy(&u->s6.sin6_addr, addr, 16);
    } else {
        u->s4.sin_family = AF_INET;
        memcpy(&u->s4.sin_addr, addr, 4);
    }
}

/*
 * The country file's part of a lookup: *cc gets the country code it holds for sa ("" when
 * none, or without the file), *plen the length of the network that answer holds for (0
 * without the file). False on a database error.
 */
static bool country_part(const cn_geodb_t *g, cn_geo_rec_t *recs, const struct sockaddr *sa,
                         bool v6, cn_str_t *cc, unsigned *plen)
{
    bool ok = true;
    MMDB_entry_s ent;
    cn_geo_rec_t tmp;
    *cc = CN_STR_LIT("");
    *plen = 0;
    if (g->has_country && lookup(&g->country, sa, v6, &ent, plen, &ok))
        *cc = record(recs, &ent, g->country_nested, false, &tmp)->cc;
    return ok;
}

/*
 * The city file's part: with out->country from the country file (or ""), fills the rest of
 * out and raises *plen to its network's length. False on a database error.
 */
static bool city_part(const cn_geodb_t *g, cn_geo_rec_t *recs, const struct sockaddr *sa, bool v6,
                      cn_geo_t *out, unsigned *plen)
{
    bool ok = true;
    MMDB_entry_s ent;
    cn_geo_rec_t tmp;
    const MMDB_s *city = NULL;
    bool nested = false;
    if (!v6 && g->has_city4) {
        city = &g->city4;
        nested = g->city4_nested;
    } else if (v6 && g->has_city6) {
        city = &g->city6;
        nested = g->city6_nested;
    } else if (v6 && g->city6_is_city4 && g->has_city4) {
        city = &g->city4;
        nested = g->city4_nested;
    }
    if (city != NULL && city->metadata.ip_version == 4 && v6)
        city = NULL;
    if (city != NULL && lookup(city, sa, v6, &ent, plen, &ok)) {
        const cn_geo_rec_t *r = record(recs, &ent, nested, true, &tmp);
        if (out->country.len == 0)
            out->country = r->cc;
        if (cn_str_eq(r->cc, out->country)) {
            out->region = r->region;
            out->city = r->city;
        }
    }
    return ok;
}

bool cn_enrich__geo_lookup(const cn_geodb_t *g, cn_geo_rec_t *recs, const uint8_t *addr, bool v6,
                           cn_geo_t *out, unsigned *plen)
{
    out->country = out->region = out->city = CN_STR_LIT("");
    geo_sa_t u;
    make_sa(&u, addr, v6);
    bool ok = country_part(g, recs, &u.sa, v6, &out->country, plen);
    return city_part(g, recs, &u.sa, v6, out, plen) && ok;
}

/*
 * The network cache: a lookup's answer holds for a whole network (the
 * longer of the two databases' prefixes around the address), so a cache
 * entry is (network, prefix length, result) and any address inside the
 * network is answered from it: the results are exactly the databases'.
 * An entry lives in the set of its network's first 16, 20 or 24 bits
 * (IPv6: 32, 40, 48), the longest of those its prefix covers, so that
 * wide networks take one entry and the small networks of one neighbourhood
 * spread over many sets; a lookup probes the address's three sets. 4 ways
 * per set, round-robin eviction.
 */
static const unsigned level_bits[2][3] = {{16, 20, 24}, {32, 40, 48}};

static unsigned geo_level(unsigned plen, bool v6)
{
    const unsigned *lb = level_bits[v6];
    return plen <= lb[0] ? 0 : plen <= lb[1] ? 1 : 2;
}

/* The mask of the first plen bits of a 64-bit half that starts at bit `from`. */
static uint64_t half_mask(unsigned plen, unsigned from)
{
    if (plen <= from)
        return 0;
    if (plen >= from + 64)
        return ~0ULL;
    return ~0ULL << (64 - (plen - from));
}

/* A network cache: sets[mask + 1] (the answers of both files, or the country file's alone). */
typedef struct geo_cache {
    cn_geo_set_t *sets;
    size_t mask;
} geo_cache_t;

static cn_geo_set_t *geo_set(geo_cache_t c, uint64_t hi, uint64_t lo, bool v6, unsigned level)
{
    unsigned bits = level_bits[v6][level];
    uint64_t k = v6 ? hi & half_mask(bits, 0) : lo & (~0ULL << (32 - bits)) & 0xffffffffULL;
    k = (k ^ ((uint64_t)(level + 1 + 3 * v6) << 58)) * 0x9e3779b97f4a7c15ULL;
    return &c.sets[(k >> 40) & c.mask];
}

/* geo_probe of an IPv4 address (lo holds it) over its three sets (geo_set's levels 0-2). */
static inline __attribute__((always_inline)) const cn_geo_set_t *
geo_probe_v4(cn_geo_set_t *const sets[3], uint64_t lo, unsigned *way)
{
    for (unsigned level = 0; level < 3; level++) {
        const cn_geo_set_t *set = sets[level];
        for (unsigned w = 0; w < CN_ENRICH_GEO_WAYS; w++) {
            /* an IPv4 entry's hi is its network's mask (geo_insert) */
            if (set->kind[w] == 4 && ((lo ^ set->lo[w]) & set->hi[w]) == 0) {
                *way = w;
                return set;
            }
        }
    }
    return NULL;
}

/*
 * The entry of c whose network holds the address (hi, lo), or NULL. IPv4 (lo holds it) has a
 * loop of its own: the usual case, without the IPv6 masks.
 */
static inline __attribute__((always_inline)) const cn_geo_set_t *
geo_probe(geo_cache_t c, uint64_t hi, uint64_t lo, bool v6, unsigned *way)
{
    cn_geo_set_t *sets[3];
    for (unsigned level = 0; level < 3; level++) {
        sets[level] = geo_set(c, hi, lo, v6, level);
        __builtin_prefetch(sets[level]); /* the three misses overlap */
    }
    if (!v6)
        return geo_probe_v4(sets, lo, way);
    for (unsigned level = 0; level < 3; level++) {
        const cn_geo_set_t *set = sets[level];
        for (unsigned w = 0; w < CN_ENRICH_GEO_WAYS; w++) {
            unsigned pl = set->plen[w];
            if (set->kind[w] == 6 && ((hi ^ set->hi[w]) & half_mask(pl, 0)) == 0 &&
                ((lo ^ set->lo[w]) & half_mask(pl, 64)) == 0) {
                *way = w;
                return set;
            }
        }
    }
    return NULL;
}

/* Keeps geo as the answer for the network of the address's first plen bits. */
static void geo_insert(geo_cache_t c, uint64_t hi, uint64_t lo, bool v6, unsigned plen,
                       const cn_geo_t *geo)
{
    cn_geo_set_t *set = geo_set(c, hi, lo, v6, geo_level(plen, v6));
    unsigned w = set->next++ % CN_ENRICH_GEO_WAYS;
    /* IPv4: hi holds the mask of the first plen bits of 32, which the probe applies */
    set->hi[w] = v6 ? hi & half_mask(plen, 0) : half_mask(plen, 0) >> 32;
    set->lo[w] = v6 ? lo & half_mask(plen, 64) : lo & (half_mask(plen, 0) >> 32);
    set->plen[w] = (uint8_t)plen;
    set->kind[w] = v6 ? 6 : 4;
    set->geo[w] = *geo;
}

size_t cn_enrich__ipv4_parse_len(const char *ip, uint8_t out[4])
{
    /* glibc's inet_pton4 accepts exactly this: four groups of 1 to 3 digits joined by dots, no
     * leading zero, none above 255, nothing after */
    const unsigned char *p = (const unsigned char *)ip;
    uint8_t tmp[4];
    for (int o = 0; o < 4; o++) {
        unsigned v = (unsigned)p[0] - '0';
        if (v > 9)
            return 0;
        p++;
        unsigned d = (unsigned)p[0] - '0';
        if (d <= 9) {
            if (v == 0)
                return 0; /* a leading zero */
            v = v * 10 + d;
            p++;
            d = (unsigned)p[0] - '0';
            if (d <= 9) {
                v = v * 10 + d;
                p++;
                if (v > 255 || (unsigned)p[0] - '0' <= 9)
                    return 0;
            }
        }
        tmp[o] = (uint8_t)v;
        if (o < 3) {
            if (p[0] != '.')
                return 0;
            p++;
        }
    }
    if (p[0] != 0)
        return 0;
    memcpy(out, tmp, 4);
    return (size_t)(p - (const unsigned char *)ip);
}

int cn_enrich__ipv4_parse(const char *ip, uint8_t out[4])
{
    return cn_enrich__ipv4_parse_len(ip, out) != 0;
}

/* The n <= 15 bytes at s copied into b (16 bytes), NUL-terminated and zero-padded, without a
 * call. An IPv4 address in text has 7 to 15 bytes. */
static void copy_short(char b[16], const char *s, size_t n)
{
    memset(b, 0, 16);
    cn_memcpy_short(b, s, n);
}

/*
 * cn_enrich__geo_lookup through the country cache: the country file's networks are wide (a
 * country's block, an ISP's), so a network the network cache does not know usually lies in
 * one whose country is known already, and only the city file is read. The country cache
 * keeps the country file's answer for the network that answer holds for, so the result and
 * *plen are those of cn_enrich__geo_lookup.
 */
static bool geo_lookup_cached(cn_enrich_thread_t *t, const uint8_t *addr, bool v6, uint64_t hi,
                              uint64_t lo, cn_geo_t *out, unsigned *plen)
{
    const cn_geodb_t *g = &t->e->geo;
    out->country = out->region = out->city = CN_STR_LIT("");
    geo_sa_t u;
    make_sa(&u, addr, v6);
    bool ok = true;
    *plen = 0;
    if (g->has_country) {
        geo_cache_t cc = {t->geo_cc_sets, CN_ENRICH_GEO_CC_SETS - 1};
        unsigned w;
        const cn_geo_set_t *set = geo_probe(cc, hi, lo, v6, &w);
        if (set != NULL) {
            out->country = set->geo[w].country;
            *plen = set->plen[w];
            t->stats.geo_country_hits++;
        } else {
            ok = country_part(g, t->geo_recs, &u.sa, v6, &out->country, plen);
            if (ok) {
                cn_geo_t c = {.country = out->country};
                geo_insert(cc, hi, lo, v6, *plen, &c);
            }
        }
    }
    return city_part(g, t->geo_recs, &u.sa, v6, out, plen) && ok;
}

/* cn_enrich_geo of a parsed address (v6: 16 bytes, else 4); pf: the address's three sets
 * (IPv4, as cn_enrich__geo_prefetch found them), or NULL. */
static void geo_addr(cn_enrich_thread_t *t, const uint8_t *addr, bool v6, cn_geo_set_t *const *pf,
                     cn_geo_t *out)
{
    t->stats.geo_lookups++;
    uint64_t hi = 0, lo = 0;
    if (v6) {
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | addr[i];
            lo = lo << 8 | addr[8 + i];
        }
    } else {
        lo = (uint64_t)addr[0] << 24 | (uint64_t)addr[1] << 16 | (uint64_t)addr[2] << 8 | addr[3];
    }
    geo_cache_t nc = {t->geo_sets, CN_ENRICH_GEO_SETS - 1};
    unsigned w;
    /* two copies of the probe, each with v6 known */
    const cn_geo_set_t *set = v6           ? geo_probe(nc, hi, lo, true, &w)
                              : pf != NULL ? geo_probe_v4(pf, lo, &w)
                                           : geo_probe(nc, 0, lo, false, &w);
    if (set != NULL) {
        *out = set->geo[w];
        t->stats.geo_cache_hits++;
        return;
    }
    unsigned plen;
    if (!geo_lookup_cached(t, addr, v6, hi, lo, out, &plen))
        return; /* a database error: answer, but do not keep it */
    geo_insert(nc, hi, lo, v6, plen, out);
}

int cn_enrich_geo(cn_enrich_thread_t *t, const char *ip, cn_geo_t *out)
{
    out->country = out->region = out->city = CN_STR_LIT("");
    uint8_t addr[16];
    bool v6;
    if (ip != NULL && cn_enrich__ipv4_parse(ip, addr) == 1) {
        v6 = false;
    } else if (ip != NULL && inet_pton(AF_INET6, ip, addr) == 1) {
        v6 = true;
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
            memmove(addr, addr + 12, 4);
            v6 = false;
        }
    } else {
        return CN_EPARSE;
    }
    geo_addr(t, addr, v6, NULL, out);
    return 0;
}

int cn_enrich_geo_str(cn_enrich_thread_t *t, cn_str_t ip, cn_geo_t *out)
{
    if (ip.len > 15) { /* not IPv4 text: the NUL-terminated path */
        char text[64];
        if (ip.len >= sizeof(text)) {
            out->country = out->region = out->city = CN_STR_LIT("");
            return CN_EPARSE;
        }
        memcpy(text, ip.ptr, ip.len);
        text[ip.len] = '\0';
        return cn_enrich_geo(t, text, out);
    }
    char b[16];
    copy_short(b, ip.ptr, ip.len);
    uint8_t addr[4];
    if (cn_enrich__ipv4_parse_len(b, addr) == 0)
        return cn_enrich_geo(t, b, out); /* IPv6, or not an address */
    out->country = out->region = out->city = CN_STR_LIT("");
    geo_addr(t, addr, false, NULL, out);
    return 0;
}

/* a.b.c.d without inet_ntop's sprintf per octet (an IPv4 visit's row costs a quarter of it) */
static size_t put_v4(char *out, const uint8_t a[4])
{
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i > 0)
            *p++ = '.';
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
    }
    *p = '\0';
    return (size_t)(p - out);
}

/* The kept text of an IPv4 address the parser took whole from b (len bytes, zero-padded to
 * 16): such text is in canonical form already (no leading zeros, nothing else), so it is its
 * own output, and anonymized it is its first three numbers and their dots, then "0". */
static size_t v4_text(char b[16], size_t len, const uint8_t a[4], bool keep,
                      char out[CN_ENRICH_IP_TEXT_CAP])
{
    size_t n = len;
    if (!keep) {
        n = 3u + 1u + (a[0] >= 10) + (a[0] >= 100) + 1u + (a[1] >= 10) + (a[1] >= 100) + 1u +
            (a[2] >= 10) + (a[2] >= 100);
        b[n] = '0';
        b[n + 1] = '\0';
        n++;
    }
    memcpy(out, b, 16);
    return n;
}

static uint64_t v4_lo(const uint8_t *addr)
{
    return (uint64_t)addr[0] << 24 | (uint64_t)addr[1] << 16 | (uint64_t)addr[2] << 8 | addr[3];
}

void cn_enrich__geo_prefetch(cn_enrich_thread_t *t, cn_str_t ip)
{
    t->pf_ip_n = 0;
    if (ip.len == 0 || ip.len > 15)
        return;
    copy_short(t->pf_ip, ip.ptr, ip.len);
    size_t n = cn_enrich__ipv4_parse_len(t->pf_ip, t->pf_ip_addr);
    if (n == 0)
        return;
    t->pf_ip_n = n;
    geo_cache_t nc = {t->geo_sets, CN_ENRICH_GEO_SETS - 1};
    for (unsigned level = 0; level < 3; level++) {
        t->pf_ip_sets[level] = geo_set(nc, 0, v4_lo(t->pf_ip_addr), false, level);
        __builtin_prefetch(t->pf_ip_sets[level]);
    }
}

/* The 16 bytes at a and b are the same. */
static bool same16(const char *a, const char *b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&a1, a + 8, 8);
    memcpy(&b0, b, 8);
    memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

int cn_enrich_geo_ip_text(cn_enrich_thread_t *t, cn_str_t ip, bool keep, cn_geo_t *out,
                          char text[CN_ENRICH_IP_TEXT_CAP], size_t *text_len)
{
    size_t pf_n = t->pf_ip_n;
    t->pf_ip_n = 0;
    if (ip.len > 0 && ip.len <= 15) {
        /* IPv4 text, the usual case: parsed once for both */
        char b[16];
        copy_short(b, ip.ptr, ip.len);
        uint8_t addr[4];
        size_t n;
        cn_geo_set_t *const *sets = NULL;
        if (pf_n != 0 && same16(b, t->pf_ip)) {
            /* the same text: cn_enrich_prefetch parsed it and found its sets */
            n = pf_n;
            memcpy(addr, t->pf_ip_addr, 4);
            sets = t->pf_ip_sets;
        } else {
            n = cn_enrich__ipv4_parse_len(b, addr);
        }
        if (n != 0) {
            out->country = out->region = out->city = CN_STR_LIT("");
            geo_addr(t, addr, false, sets, out);
            /* a NUL inside (parsed short of ip.len): cn_enrich_ip_text says "" */
            *text_len =
                n == ip.len ? v4_text(b, n, addr, keep, text) : cn_enrich_ip_text(ip, keep, text);
            return 0;
        }
    }
    *text_len = cn_enrich_ip_text(ip, keep, text);
    return cn_enrich_geo_str(t, ip, out);
}

size_t cn_enrich_ip_text(cn_str_t ip, bool keep, char out[CN_ENRICH_IP_TEXT_CAP])
{
    char text[CN_ENRICH_IP_TEXT_CAP];
    uint8_t a[16];
    out[0] = '\0';
    if (ip.len == 0 || ip.len >= sizeof(text))
        return 0;
    if (ip.len <= 15) {
        /* IPv4 text, the usual case: an address the parser takes is in canonical form already
         * (no leading zeros, nothing else), so the text is its own output, and anonymized it
         * is its first three numbers and their dots, then "0" */
        char b[16];
        copy_short(b, ip.ptr, ip.len);
        if (cn_enrich__ipv4_parse_len(b, a) == ip.len) /* also: no NUL inside */
            return v4_text(b, ip.len, a, keep, out);
    }
    if (memchr(ip.ptr, 0, ip.len) != NULL)
        return 0;
    memcpy(text, ip.ptr, ip.len);
    text[ip.len] = '\0';
    if (memchr(text, ':', ip.len) == NULL) {
        if (cn_enrich__ipv4_parse(text, a) != 1)
            return 0;
    } else {
        if (inet_pton(AF_INET6, text, a) != 1)
            return 0;
        if (!IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
            if (!keep)
                memset(a + 6, 0, 10); /* a /48, the prefix a site is given */
            if (inet_ntop(AF_INET6, a, out, CN_ENRICH_IP_TEXT_CAP) == NULL)
                return 0;
            return strlen(out);
        }
        /* ::ffff:a.b.c.d, as a dual-stack socket reports an IPv4 client: the IPv4 address */
        memmove(a, a + 12, 4);
    }
    if (!keep)
        a[3] = 0;
    return put_v4(out, a);
}
