/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Referrer classification. The lists are in Snowplow's referers.yml format
 * (medium → source name → {domains, parameters}); canton reads Debian's copy
 * (ruby-referer-parser) and its own src/enrich/data/referers-extra.yml, whose
 * hosts win. Media: search, social, email, paid, unknown (a known source with
 * no medium), ai (AI assistants; type "other", medium "ai").
 *
 * Lookup, as Snowplow's parsers do it: host + full path, then host + first
 * path segment, then the host alone; on no match drop the leftmost label of
 * the host and try again (so m.facebook.com finds facebook.com). Before the
 * lists come the suite's own domains (internal) and paid click ids in the
 * landing URL (gclid, msclkid, fbclid... → paid). A suite may add its own
 * list (suite key referer_list = FILE, same format), tried before the others.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* the visit-source memo hashes every visit's key: no call, no dispatch */
#include <xxhash.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

typedef struct ref_slot {
    char *key; /* lower-case "host" or "host/path" */
    size_t key_len;
    uint64_t hash;
    cn_refent_t *ent;
} ref_slot_t;

struct cn_refdb {
    ref_slot_t *slots;
    size_t cap, count;
    cn_refent_t **ents;
    size_t ent_count;
};

static void insert(cn_refdb_t *r, cn_str_t key, cn_refent_t *ent)
{
    if ((r->count + 1) * 2 > r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 1024;
        ref_slot_t *ns = cn_xcalloc(ncap, sizeof(*ns));
        for (size_t i = 0; i < r->cap; i++) {
            if (r->slots[i].key == NULL)
                continue;
            size_t j = r->slots[i].hash & (ncap - 1);
            while (ns[j].key != NULL)
                j = (j + 1) & (ncap - 1);
            ns[j] = r->slots[i];
        }
        free(r->slots);
        r->slots = ns;
        r->cap = ncap;
    }
    char *k = cn_xstrndup(key.ptr, key.len);
    for (size_t i = 0; i < key.len; i++)
        k[i] = (char)tolower((unsigned char)k[i]);
    uint64_t h = XXH3_64bits(k, key.len);
    size_t i = h & (r->cap - 1);
    while (r->slots[i].key != NULL) {
        if (r->slots[i].hash == h && r->slots[i].key_len == key.len &&
            memcmp(r->slots[i].key, k, key.len) == 0) {
            free(k); /* first definition wins: extra is loaded before base */
            return;
        }
        i = (i + 1) & (r->cap - 1);
    }
    r->slots[i] = (ref_slot_t){k, key.len, h, ent};
    r->count++;
}

static cn_ref_type_t medium_type(cn_str_t m)
{
    if (cn_str_eq_c(m, "search"))
        return CN_REF_SEARCH;
    if (cn_str_eq_c(m, "social"))
        return CN_REF_SOCIAL;
    if (cn_str_eq_c(m, "email"))
        return CN_REF_EMAIL;
    if (cn_str_eq_c(m, "paid"))
        return CN_REF_PAID;
    if (cn_str_eq_c(m, "internal"))
        return CN_REF_INTERNAL;
    return CN_REF_OTHER;
}

static int load_file(cn_refdb_t *r, const char *path, cn_err_t *err)
{
    yaml_document_t doc;
    CN_RETURN_IF_ERR(cn_enrich__yaml_load(path, &doc, err));
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (root->type != YAML_MAPPING_NODE) {
        rc = cn_err_set(err, CN_EPARSE, "%s: not a mapping of media", path);
        goto done;
    }
    for (yaml_node_pair_t *mp = root->data.mapping.pairs.start; mp < root->data.mapping.pairs.top;
         mp++) {
        cn_str_t medium = cn_enrich__yaml_str(yaml_document_get_node(&doc, mp->key));
        yaml_node_t *sources = yaml_document_get_node(&doc, mp->value);
        if (medium.ptr == NULL || sources == NULL || sources->type != YAML_MAPPING_NODE) {
            rc = cn_err_set(err, CN_EPARSE, "%s:%zu: a medium must map source names", path,
                            sources ? sources->start_mark.line + 1 : 0);
            goto done;
        }
        for (yaml_node_pair_t *sp = sources->data.mapping.pairs.start;
             sp < sources->data.mapping.pairs.top; sp++) {
            cn_str_t sname = cn_enrich__yaml_str(yaml_document_get_node(&doc, sp->key));
            yaml_node_t *src = yaml_document_get_node(&doc, sp->value);
            yaml_node_t *domains = cn_enrich__yaml_get(&doc, src, "domains");
            if (sname.ptr == NULL || domains == NULL || domains->type != YAML_SEQUENCE_NODE) {
                rc = cn_err_set(err, CN_EPARSE, "%s:%zu: source without a domains list", path,
                                src ? src->start_mark.line + 1 : 0);
                goto done;
            }
            cn_refent_t *ent = cn_xcalloc(1, sizeof(*ent));
            ent->type = medium_type(medium);
            char *nm = cn_xstrndup(sname.ptr, sname.len);
            ent->name = cn_str(nm, sname.len);
            char *md = cn_xstrndup(medium.ptr, medium.len);
            ent->medium = cn_str(md, medium.len);
            r->ents = cn_xrealloc(r->ents, (r->ent_count + 1) * sizeof(*r->ents));
            r->ents[r->ent_count++] = ent;
            yaml_node_t *params = cn_enrich__yaml_get(&doc, src, "parameters");
            if (params != NULL && params->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *it = params->data.sequence.items.start;
                     it < params->data.sequence.items.top; it++) {
                    cn_str_t p = cn_enrich__yaml_str(yaml_document_get_node(&doc, *it));
                    if (p.len == 0)
                        continue;
                    ent->params =
                        cn_xrealloc(ent->params, (ent->param_count + 1) * sizeof(*ent->params));
                    ent->params[ent->param_count++] = cn_xstrndup(p.ptr, p.len);
                }
            }
            for (yaml_node_item_t *it = domains->data.sequence.items.start;
                 it < domains->data.sequence.items.top; it++) {
                cn_str_t d = cn_str_trim(cn_enrich__yaml_str(yaml_document_get_node(&doc, *it)));
                while (d.len > 0 && d.ptr[d.len - 1] == '/')
                    d.len--;
                if (d.len > 0)
                    insert(r, d, ent);
            }
        }
    }
done:
    yaml_document_delete(&doc);
    return rc;
}

int cn_enrich__refdb_load(const char *base, const char *extra, cn_refdb_t **out, cn_err_t *err)
{
    cn_refdb_t *r = cn_xcalloc(1, sizeof(*r));
    int rc = 0;
    if (extra != NULL)
        rc = load_file(r, extra, err);
    if (rc == 0 && base != NULL)
        rc = load_file(r, base, err);
    if (rc < 0) {
        cn_enrich__refdb_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void cn_enrich__refdb_free(cn_refdb_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].key);
    free(r->slots);
    for (size_t i = 0; i < r->ent_count; i++) {
        cn_refent_t *e = r->ents[i];
        free((char *)e->name.ptr);
        free((char *)e->medium.ptr);
        for (size_t j = 0; j < e->param_count; j++)
            free(e->params[j]);
        free(e->params);
        free(e);
    }
    free(r->ents);
    free(r);
}

size_t cn_enrich__refdb_count(const cn_refdb_t *r)
{
    return r != NULL ? r->count : 0;
}

static const cn_refent_t *get(const cn_refdb_t *r, const char *k, size_t len)
{
    if (r->cap == 0)
        return NULL;
    uint64_t h = XXH3_64bits(k, len);
    size_t i = h & (r->cap - 1);
    while (r->slots[i].key != NULL) {
        if (r->slots[i].hash == h && r->slots[i].key_len == len &&
            memcmp(r->slots[i].key, k, len) == 0)
            return r->slots[i].ent;
        i = (i + 1) & (r->cap - 1);
    }
    return NULL;
}

/* host must be lower case; path as in the URL (compared as is). */
const cn_refent_t *cn_enrich__refdb_lookup(const cn_refdb_t *r, cn_str_t host, cn_str_t path)
{
    if (r == NULL)
        return NULL;
    char key[512];
    while (path.len > 0 && path.ptr[path.len - 1] == '/')
        path.len--;
    /* first path segment */
    size_t seg = 0;
    if (path.len > 1) {
        const char *slash = memchr(path.ptr + 1, '/', path.len - 1);
        seg = slash ? (size_t)(slash - path.ptr) : path.len;
    }
    while (host.len > 0) {
        const cn_refent_t *e;
        if (path.len > 0 && host.len + path.len < sizeof(key)) {
            memcpy(key, host.ptr, host.len);
            memcpy(key + host.len, path.ptr, path.len);
            if ((e = get(r, key, host.len + path.len)) != NULL)
                return e;
            if (seg > 0 && seg < path.len && (e = get(r, key, host.len + seg)) != NULL)
                return e;
        }
        if ((e = get(r, host.ptr, host.len)) != NULL)
            return e;
        const char *dot = memchr(host.ptr, '.', host.len);
        if (dot == NULL)
            break;
        host = cn_str(dot + 1, host.len - (size_t)(dot + 1 - host.ptr));
    }
    return NULL;
}

/* --- Classification --- */

/* Paid click-id parameters of ad networks, looked for in the landing URL. */
const cn_str_t cn_enrich__click_ids[] = {
    {"gclid", 5},  {"gbraid", 6}, {"wbraid", 6},    {"dclid", 5}, {"msclkid", 7}, {"fbclid", 6},
    {"ttclid", 6}, {"twclid", 6}, {"li_fat_id", 9}, {"yclid", 5}, {"ScCid", 5},   {"epik", 4}};
const size_t cn_enrich__click_id_count =
    sizeof(cn_enrich__click_ids) / sizeof(cn_enrich__click_ids[0]);

const char *cn_enrich__click_name(cn_str_t key)
{
    for (size_t i = 0; i < cn_enrich__click_id_count; i++)
        if (cn_str_eq(key, cn_enrich__click_ids[i])) /* the lengths first, no strlen */
            return cn_enrich__click_ids[i].ptr;
    return NULL;
}

/* Returns the click-id parameter name present in a landing URL's query, or NULL. */
const char *cn_enrich__click_id(cn_str_t landing)
{
    cn_str_t q = cn_enrich__landing_query(landing), k, v;
    while (cn_enrich__query_next(&q, &k, &v)) {
        const char *click = v.len > 0 ? cn_enrich__click_name(k) : NULL;
        if (click != NULL)
            return click;
    }
    return NULL;
}

static bool is_own_domain(cn_str_t host, const cn_suite_conf_t *suite)
{
    if (suite == NULL)
        return false;
    if (cn_str_starts_with(host, CN_STR_LIT("www.")))
        host = cn_str(host.ptr + 4, host.len - 4);
    for (size_t i = 0; i < suite->domain_count; i++) {
        cn_str_t d = cn_str_trim(cn_str_c(suite->domains[i]));
        if (cn_str_starts_with(d, CN_STR_LIT("www.")))
            d = cn_str(d.ptr + 4, d.len - 4);
        if (d.len == 0 || host.len < d.len)
            continue;
        /* host is d, or ends with "." and d: either way its last d.len bytes are d */
        const char *tail = host.ptr + host.len - d.len;
        if (((tail[d.len - 1] ^ d.ptr[d.len - 1]) & ~0x20) != 0)
            continue; /* not the same letter in either case (nor the same byte) */
        if ((host.len == d.len || tail[-1] == '.') && cn_str_eq_nocase(cn_str(tail, d.len), d))
            return true;
    }
    return false;
}

/*
 * The referrer's classification from the lists alone: type, domain, source,
 * medium and terms as if the host were not one of the suite's own and the
 * landing URL held no click id. refdb is the suite's own list (may be NULL).
 * Input-derived strings point into t->ref_host and t->ref_terms.
 * referrer_url is trimmed.
 */
static int classify(cn_enrich_thread_t *t, cn_str_t referrer_url, const cn_refdb_t *refdb,
                    cn_ref_info_t *out)
{
    memset(out, 0, sizeof(*out));
    out->type = CN_REF_NONE;
    out->domain = out->source = out->terms = out->medium = CN_STR_LIT("");
    if (referrer_url.len == 0)
        return 0;
    cn_url_t u;
    int rc = cn_enrich__url_split(referrer_url, &u);
    if (rc != 0) {
        out->type = CN_REF_OTHER;
        return rc;
    }
    size_t n = u.host.len < sizeof(t->ref_host) ? u.host.len : sizeof(t->ref_host);
    for (size_t i = 0; i < n; i++)
        t->ref_host[i] = (char)tolower((unsigned char)u.host.ptr[i]);
    out->domain = cn_str(t->ref_host, n);
    const cn_refent_t *ent = NULL;
    if (refdb != NULL)
        ent = cn_enrich__refdb_lookup(refdb, out->domain, u.path);
    if (ent == NULL)
        ent = cn_enrich__refdb_lookup(t->e->refdb, out->domain, u.path);
    if (ent == NULL) {
        out->type = CN_REF_OTHER;
        return 0;
    }
    out->type = ent->type;
    out->source = ent->name;
    out->medium = ent->medium;
    if (ent->type == CN_REF_SEARCH) {
        cn_str_t q = u.query, k, v;
        while (cn_enrich__query_next(&q, &k, &v)) {
            bool match = false;
            for (size_t i = 0; i < ent->param_count && !match; i++)
                match = cn_str_eq_c(k, ent->params[i]);
            if (match) {
                size_t len = cn_enrich__pct_decode(v, t->ref_terms, sizeof(t->ref_terms));
                out->terms = cn_str_trim(cn_str(t->ref_terms, len));
                break;
            }
        }
    }
    return 0;
}

/*
 * classify through the memo (cn_ref_memo_t): a shop sees few distinct
 * referrers (the search engines' home pages, a few social sites), so most
 * visits find theirs. A slot answers only for the same referrer bytes and the
 * same suite list, with what classify gave for them; the domain and terms
 * are copied into the slot (they live until the slot is reused: at the
 * earliest the next call, as t->ref_host's do). Empty referrers cost nothing
 * to classify and are not kept.
 */
static int classify_memo(cn_enrich_thread_t *t, cn_str_t referrer_url, const cn_refdb_t *refdb,
                         cn_ref_info_t *out)
{
    if (referrer_url.len == 0 || referrer_url.len > CN_ENRICH_REF_TEXT)
        return classify(t, referrer_url, refdb, out);
    uint64_t h = XXH3_64bits(referrer_url.ptr, referrer_url.len);
    cn_ref_memo_t *m = &t->ref_memo[h & (CN_ENRICH_REF_SLOTS - 1)];
    if (m->used && m->hash == h && m->refdb == refdb && m->key_len == referrer_url.len &&
        memcmp(m->text, referrer_url.ptr, m->key_len) == 0) {
        *out = m->info;
        out->domain = m->domain_len ? cn_str(m->text + m->key_len, m->domain_len) : CN_STR_LIT("");
        out->terms = m->terms_len ? cn_str(m->text + m->key_len + m->domain_len, m->terms_len)
                                  : CN_STR_LIT("");
        return m->rc;
    }
    int rc = classify(t, referrer_url, refdb, out);
    size_t need = referrer_url.len + out->domain.len + out->terms.len;
    if (need > CN_ENRICH_REF_TEXT) {
        m->used = false;
        return rc;
    }
    m->used = true;
    m->hash = h;
    m->refdb = refdb;
    m->rc = rc;
    m->info = *out;
    m->key_len = (uint16_t)referrer_url.len;
    m->domain_len = (uint16_t)out->domain.len;
    m->terms_len = (uint16_t)out->terms.len;
    memcpy(m->text, referrer_url.ptr, referrer_url.len);
    if (out->domain.len > 0)
        memcpy(m->text + m->key_len, out->domain.ptr, out->domain.len);
    if (out->terms.len > 0)
        memcpy(m->text + m->key_len + m->domain_len, out->terms.ptr, out->terms.len);
    return rc;
}

/* cn_enrich_referrer; click_known: *click is the landing URL's click id (else looked up). */
static int referrer(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                    bool click_known, const char *click, const cn_suite_conf_t *suite,
                    cn_ref_info_t *out, bool memo)
{
    referrer_url = cn_str_trim(referrer_url.ptr ? referrer_url : CN_STR_LIT(""));
    const cn_enrich_suite_t *es = referrer_url.len > 0 ? cn_enrich__suite(t, suite) : NULL;
    const cn_refdb_t *refdb = es != NULL ? es->refdb : NULL;
    int rc =
        memo ? classify_memo(t, referrer_url, refdb, out) : classify(t, referrer_url, refdb, out);
    if (rc == 0 && out->domain.len > 0 && is_own_domain(out->domain, suite)) {
        /* the suite's own site: internal, whatever the lists or the landing URL say */
        out->type = CN_REF_INTERNAL;
        out->source = out->terms = CN_STR_LIT("");
        out->medium = CN_STR_LIT("internal");
        return 0;
    }
    if (!click_known)
        click = cn_enrich__click_id(landing_url);
    if (click != NULL)
        out->type = CN_REF_PAID; /* medium and source stay: "paid" + "search" is paid search */
    return rc;
}

int cn_enrich_referrer(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                       const cn_suite_conf_t *suite, cn_ref_info_t *out)
{
    return referrer(t, referrer_url, landing_url, false, NULL, suite, out, true);
}

int cn_enrich__referrer_nomemo(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                               const cn_suite_conf_t *suite, cn_ref_info_t *out)
{
    return referrer(t, referrer_url, landing_url, false, NULL, suite, out, false);
}

int cn_enrich_landing(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                      cn_str_t adobe_v0, const cn_suite_conf_t *suite, cn_ref_info_t *ref,
                      cn_campaign_t *camp)
{
    /* both read the click id from cn_enrich__landing_query: the campaign's is the referrer's */
    cn_enrich_campaign(t, landing_url, adobe_v0, suite, camp);
    return referrer(t, referrer_url, landing_url, true,
                    camp->click_id.len ? camp->click_id.ptr : NULL, suite, ref, true);
}

/*
 * cn_enrich_source's memo (cn_src_memo_t). A visit's landing is classified through three
 * memos and a walk of the channel key (about 1,000 instructions a visit on `canton gen`
 * traffic); most visits repeat an earlier one's referrer, query and v0 (direct visits, a
 * search engine's origin, a newsletter's link), and one lookup on those gives all three
 * answers. The answer is a function of the key but for the suite's own domains, which a hit
 * applies again: a slot answers only when the domain is own or not as it was.
 */

/* A hash of n bytes at p for picking a slot, 8 bytes a step (the last step overlaps the one
 * before it); a slot compares the bytes themselves, so the hash only spreads keys. */
static inline uint64_t src_hash(uint64_t h, const char *p, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 < n; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            h = (h ^ w) * k;
            h ^= h >> 29;
        }
        uint64_t w;
        memcpy(&w, p + n - 8, 8);
        h = (h ^ w) * k;
    } else if (n > 0) {
        uint64_t w = (uint64_t)(unsigned char)p[0] << 16 | (uint64_t)(unsigned char)p[n / 2] << 8 |
                     (unsigned char)p[n - 1];
        if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, p, 4);
            memcpy(&b, p + n - 4, 4);
            w = (uint64_t)a << 32 | b;
        }
        h = (h ^ w) * k;
    }
    return h ^ h >> 31;
}

/* The string s of the answer copied to *p in the slot (advanced), or s itself when empty. */
static cn_str_t src_keep(char **p, cn_str_t s)
{
    if (s.len == 0)
        return s;
    memcpy(*p, s.ptr, s.len);
    cn_str_t kept = cn_str(*p, s.len);
    *p += s.len;
    return kept;
}

/* The answer of slot m, field by field (a struct copy is a `rep movs` here, whose start-up
 * costs more than the copy). */
static void src_answer(const cn_src_memo_t *m, cn_ref_info_t *ref, cn_campaign_t *camp,
                       cn_str_t *channel)
{
    ref->type = m->ref.type;
    ref->domain = m->ref.domain;
    ref->source = m->ref.source;
    ref->medium = m->ref.medium;
    ref->terms = m->ref.terms;
    camp->campaign = m->camp.campaign;
    camp->utm_source = m->camp.utm_source;
    camp->utm_medium = m->camp.utm_medium;
    camp->utm_campaign = m->camp.utm_campaign;
    camp->utm_term = m->camp.utm_term;
    camp->utm_content = m->camp.utm_content;
    camp->click_id = m->camp.click_id;
    *channel = m->channel;
}

/* cn_enrich_source's key of r, q and v0 hashed (the hash picks a set; slots compare bytes). */
static uint64_t src_key_hash(cn_str_t r, cn_str_t q, cn_str_t v0)
{
    uint64_t h = src_hash((uint64_t)r.len << 32 ^ (uint64_t)q.len << 16 ^ v0.len, r.ptr, r.len);
    h = src_hash(h, q.ptr, q.len);
    if (v0.len > 0)
        h = src_hash(h, v0.ptr, v0.len);
    return h;
}

/* Whether slot m holds the key of suite settings es, referrer r, landing query q and v0. */
static inline bool src_same(const cn_src_memo_t *m, const cn_enrich_suite_t *es, cn_str_t r,
                            cn_str_t q, cn_str_t v0)
{
    return m->es == es && m->ref_len == r.len && m->query_len == q.len && m->v0_len == v0.len &&
           cn_memeq_short(m->text, r.ptr, r.len) && cn_memeq_short(m->text + r.len, q.ptr, q.len) &&
           (v0.len == 0 || memcmp(m->text + r.len + q.len, v0.ptr, v0.len) == 0);
}

/*
 * A paid click id's value is new with every click, but the answer reads of it only that it is
 * not empty: the click id is the parameter's name (referrer's paid type, the channel's
 * click_id key), and no utm_* field or, unless the suite made a click id one of its
 * campaign_params (es->campaign_click), campaign comes from it. So a landing query with a
 * click id is kept under its masked form, where each click-id parameter's value that is not
 * empty is the one byte 0x01: queries of one masked form have one answer, and a slot keyed by
 * it answers for all of them. The pairs are cut as cn_enrich__query_next cuts them ('&'
 * between pairs, the first '=' ends the name); the rest of q is copied as it is. Writes the
 * masked form of q to out (at most q.len bytes) and returns its length, or SIZE_MAX when q
 * holds no click id with a value (its masked form is itself).
 */
static size_t src_mask_clicks(cn_str_t q, char *out)
{
    const char *p = q.ptr, *end = q.ptr + q.len;
    char *o = out;
    bool any = false;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (amp == NULL)
            amp = end;
        const char *eq = memchr(p, '=', (size_t)(amp - p));
        const char *to = amp; /* copied as it is up to here */
        if (eq != NULL && eq + 1 < amp &&
            cn_enrich__click_name(cn_str(p, (size_t)(eq - p))) != NULL) {
            to = eq + 1;
            any = true;
        }
        memcpy(o, p, (size_t)(to - p));
        o += to - p;
        if (to != amp)
            *o++ = 0x01;
        if (amp < end)
            *o++ = '&';
        p = amp + 1;
    }
    return any ? (size_t)(o - out) : SIZE_MAX;
}

/*
 * The slot of set `set` that answers for key (es, r, q, v0) with tag, or -1. A slot with the
 * key whose own-domain bit changed does not answer (the caller answers, and keeps it there).
 */
static inline __attribute__((always_inline)) ptrdiff_t
src_find(cn_enrich_thread_t *t, size_t set, uint64_t tag, const cn_enrich_suite_t *es,
         const cn_suite_conf_t *suite, cn_str_t r, cn_str_t q, cn_str_t v0)
{
    for (size_t i = set * CN_ENRICH_SRC_WAYS; i < (set + 1) * CN_ENRICH_SRC_WAYS; i++) {
        if (t->src_tag[i] != tag)
            continue;
        const cn_src_memo_t *m = &t->src_memo[i];
        if (!src_same(m, es, r, q, v0))
            continue;
        /* the one thing the key leaves out: the suite's own domains */
        bool own = m->rc == 0 && m->ref.domain.len > 0 && is_own_domain(m->ref.domain, suite);
        return own == m->own ? (ptrdiff_t)i : -1;
    }
    return -1;
}

/* The set and the tag of key (r, q, v0). */
static size_t src_set(cn_str_t r, cn_str_t q, cn_str_t v0, uint64_t *tag)
{
    uint64_t h = src_key_hash(r, q, v0);
    *tag = h | 1;
    return (size_t)(h >> 1) & (CN_ENRICH_SRC_SLOTS / CN_ENRICH_SRC_WAYS - 1);
}

int cn_enrich_source(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                     cn_str_t adobe_v0, const cn_suite_conf_t *suite, cn_ref_info_t *ref,
                     cn_campaign_t *camp, cn_str_t *channel)
{
    cn_str_t r = cn_str_trim(referrer_url.ptr ? referrer_url : CN_STR_LIT(""));
    cn_str_t q = cn_enrich__landing_query(landing_url);
    cn_str_t v0 = cn_str_trim(adobe_v0.ptr ? adobe_v0 : CN_STR_LIT(""));
    const cn_enrich_suite_t *es = cn_enrich__suite(t, suite);
    t->stats.source_lookups++;
    size_t key_len = r.len + q.len + v0.len;
    size_t set = 0;
    uint64_t tag = 0;
    char masked[CN_ENRICH_SRC_TEXT];
    bool click_key = false; /* q is masked (src_mask_clicks) */
    if (key_len <= CN_ENRICH_SRC_TEXT) {
        set = src_set(r, q, v0, &tag);
        ptrdiff_t i = src_find(t, set, tag, es, suite, r, q, v0);
        if (i < 0 && q.len > 0 && (es == NULL || !es->campaign_click)) {
            /* a paid click's query: looked up again, masked (most such keys differ only in
             * their click ids' values) */
            size_t n = src_mask_clicks(q, masked);
            if (n != SIZE_MAX) {
                q = cn_str(masked, n);
                key_len = r.len + q.len + v0.len;
                set = src_set(r, q, v0, &tag);
                i = src_find(t, set, tag, es, suite, r, q, v0);
                click_key = true;
            }
        }
        if (i >= 0) {
            src_answer(&t->src_memo[i], ref, camp, channel);
            t->src_stamp[i] = ++t->src_clock;
            t->stats.source_hits++;
            return t->src_memo[i].rc;
        }
    }
    int rc = cn_enrich_landing(t, referrer_url, landing_url, adobe_v0, suite, ref, camp);
    *channel = cn_enrich_channel(t, suite, ref, camp);
    size_t need = key_len + ref->domain.len + ref->terms.len + camp->campaign.len +
                  camp->utm_source.len + camp->utm_medium.len + camp->utm_campaign.len +
                  camp->utm_term.len + camp->utm_content.len;
    if (tag == 0 || need > CN_ENRICH_SRC_TEXT || (camp->click_id.len > 0 && !click_key)) {
        /* a paid click id's value is new with every click: such a key, unless masked, would
         * not come back, and would take the slot of one that does */
        return rc;
    }
    /* the slot with this key (its own-domain bit changed), else the least recently used */
    size_t victim = set * CN_ENRICH_SRC_WAYS;
    for (size_t i = victim; i < (set + 1) * CN_ENRICH_SRC_WAYS; i++) {
        if (t->src_tag[i] == tag && src_same(&t->src_memo[i], es, r, q, v0)) {
            victim = i;
            break;
        }
        if (t->src_stamp[i] < t->src_stamp[victim])
            victim = i;
    }
    cn_src_memo_t *m = &t->src_memo[victim];
    t->src_tag[victim] = tag;
    t->src_stamp[victim] = ++t->src_clock;
    m->es = es;
    m->own = rc == 0 && ref->domain.len > 0 && is_own_domain(ref->domain, suite);
    m->rc = rc;
    m->ref_len = (uint16_t)r.len;
    m->query_len = (uint16_t)q.len;
    m->v0_len = (uint16_t)v0.len;
    char *p = m->text;
    src_keep(&p, r);
    src_keep(&p, q);
    src_keep(&p, v0);
    /* the input-derived strings from the slot: they live until its next use, as on a hit */
    m->ref = *ref;
    m->ref.domain = src_keep(&p, ref->domain);
    m->ref.terms = src_keep(&p, ref->terms);
    m->camp = *camp;
    m->camp.campaign = src_keep(&p, camp->campaign);
    m->camp.utm_source = src_keep(&p, camp->utm_source);
    m->camp.utm_medium = src_keep(&p, camp->utm_medium);
    m->camp.utm_campaign = src_keep(&p, camp->utm_campaign);
    m->camp.utm_term = src_keep(&p, camp->utm_term);
    m->camp.utm_content = src_keep(&p, camp->utm_content);
    m->channel = *channel;
    src_answer(m, ref, camp, channel);
    return rc;
}
