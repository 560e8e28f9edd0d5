/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Campaigns and marketing channels. A campaign comes from Adobe's v0, else
 * from the landing URL's query: the suite's campaign_params (default
 * utm_campaign, cid), first present wins; utm_* are kept as they are.
 *
 * Channels come from ordered rules, first match wins, one per line:
 *
 *     Name: cond [& cond]... [| cond [& cond]...]...
 *
 * where cond is key=v1,v2 (equals one, ASCII case-insensitive), key!=v1,v2,
 * key~/regex/ (PCRE2, caseless), key!~/regex/, key? (not empty) or key!
 * (empty), and '&' binds tighter than '|'. Keys: ref_type (none, internal,
 * search, social, email, paid, other), ref_medium, ref_source, ref_domain,
 * campaign, utm_source, utm_medium, utm_campaign, click_id (one of
 * cn_enrich__click_ids). A value of ref_type or click_id outside its set, or a
 * regex that matches none of them, is an error at load. A suite's
 * channel_rules file replaces the defaults below (docs/enrich.md).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

const char cn_enrich__default_channel_rules[] =
    "# canton's default marketing channel rules: first match wins.\n"
    "Paid Search: click_id=gclid,gbraid,wbraid,msclkid,dclid,yclid"
    " | utm_medium~/^(cpc|ppc|paid[-_ ]?search|sem|sea)$/"
    " | ref_type=paid & ref_medium=search\n"
    "Display: utm_medium~/^(display|banner|cpm|programmatic|native|video)$/"
    " | ref_medium=paid\n"
    "Social Networks: ref_medium=social"
    " | utm_medium~/^(social|social[-_ ]?(media|network)|sm|paid[-_ ]?social)$/"
    " | click_id=fbclid,ttclid,twclid,li_fat_id,ScCid,epik\n"
    "Email: ref_medium=email | utm_medium~/^(e[-_ ]?mail|newsletter)$/\n"
    "Natural Search: ref_medium=search | utm_medium=organic\n"
    "AI Assistants: ref_medium=ai\n"
    "Referring Domains: ref_type=other | utm_medium=referral\n"
    "Internal: ref_type=internal & campaign!\n"
    "Direct: ref_type=none & campaign!\n"
    "Other Campaigns: campaign? | utm_medium?\n";

enum key {
    K_REF_TYPE,
    K_REF_MEDIUM,
    K_REF_SOURCE,
    K_REF_DOMAIN,
    K_CAMPAIGN,
    K_UTM_SOURCE,
    K_UTM_MEDIUM,
    K_UTM_CAMPAIGN,
    K_CLICK_ID,
    K__COUNT
};

static const char *const key_names[K__COUNT] = {
    "ref_type",   "ref_medium", "ref_source",   "ref_domain", "campaign",
    "utm_source", "utm_medium", "utm_campaign", "click_id",
};

/* The values of ref_type, by cn_ref_type_t. */
static const cn_str_t ref_type_names[] = {{"none", 4},   {"internal", 8}, {"search", 6},
                                          {"social", 6}, {"email", 5},    {"paid", 4},
                                          {"other", 5}};

enum op { OP_EQ, OP_NE, OP_RE, OP_NRE, OP_SET, OP_UNSET };

typedef struct cond {
    enum key key;
    enum op op;
    char **vals;
    size_t *val_lens; /* strlen of each of vals */
    size_t val_count;
    pcre2_code *re;
    /* re's answer for "" (most values are empty), found at load when re has
     * at most 9 groups (every matcher holds them all: cn_enrich__match's answer) */
    bool re_empty_known, re_matches_empty;
} cond_t;

typedef struct conj {
    cond_t *conds;
    size_t count;
} conj_t;

typedef struct rule {
    char *name;
    size_t name_len;
    conj_t *alts;
    size_t count;
} rule_t;

/*
 * The rules as cn_enrich_channel walks them: one array of conditions, one of
 * alternatives and one of the compared values, made once after parsing. A
 * channel is looked up once per visit, when the rules have long left the
 * cache: walking the parsed tree (a heap block per condition and per value)
 * cost a miss per condition; these arrays take a few lines in all.
 */
typedef struct fcond {
    uint8_t key, op;
    bool re_empty_known, re_matches_empty;
    uint32_t val_first, val_count; /* into fvals */
    const pcre2_code *re;
} fcond_t;

typedef struct fval {
    uint32_t off, len; /* into vtext */
} fval_t;

typedef struct falt {
    uint32_t cond_first, cond_count;
} falt_t;

typedef struct frule {
    uint32_t alt_first, alt_count;
} frule_t;

struct cn_chanrules {
    rule_t *rules;
    size_t count;
    frule_t *frules; /* [count] */
    falt_t *falts;
    fcond_t *fconds;
    fval_t *fvals;
    char *vtext; /* every value, back to back */
    /* what the conditions read of each key: USE_NONE, USE_SET (only whether it is empty:
     * key? and key!) or USE_VALUE; the channel memo's key holds just that */
    uint8_t use[K__COUNT];
    /* the keys whose use is not USE_NONE, in key order, and their use */
    uint8_t used_key[K__COUNT], used_use[K__COUNT];
    uint8_t used_count;
};

enum { USE_NONE, USE_SET, USE_VALUE };

static void flatten(cn_chanrules_t *c)
{
    size_t na = 0, nc = 0, nv = 0, nt = 0;
    for (size_t i = 0; i < c->count; i++) {
        na += c->rules[i].count;
        for (size_t a = 0; a < c->rules[i].count; a++) {
            const conj_t *cj = &c->rules[i].alts[a];
            nc += cj->count;
            for (size_t k = 0; k < cj->count; k++) {
                nv += cj->conds[k].val_count;
                for (size_t v = 0; v < cj->conds[k].val_count; v++)
                    nt += cj->conds[k].val_lens[v];
            }
        }
    }
    c->frules = cn_xcalloc(c->count, sizeof(*c->frules));
    c->falts = cn_xcalloc(na ? na : 1, sizeof(*c->falts));
    c->fconds = cn_xcalloc(nc ? nc : 1, sizeof(*c->fconds));
    c->fvals = cn_xcalloc(nv ? nv : 1, sizeof(*c->fvals));
    c->vtext = cn_xmalloc(nt ? nt : 1);
    na = nc = nv = nt = 0;
    for (size_t i = 0; i < c->count; i++) {
        const rule_t *r = &c->rules[i];
        c->frules[i] = (frule_t){(uint32_t)na, (uint32_t)r->count};
        for (size_t a = 0; a < r->count; a++) {
            const conj_t *cj = &r->alts[a];
            c->falts[na++] = (falt_t){(uint32_t)nc, (uint32_t)cj->count};
            for (size_t k = 0; k < cj->count; k++) {
                const cond_t *cd = &cj->conds[k];
                uint8_t u = cd->op == OP_SET || cd->op == OP_UNSET ? USE_SET : USE_VALUE;
                if (u > c->use[cd->key])
                    c->use[cd->key] = u;
                c->fconds[nc++] = (fcond_t){
                    .key = (uint8_t)cd->key,
                    .op = (uint8_t)cd->op,
                    .re_empty_known = cd->re_empty_known,
                    .re_matches_empty = cd->re_matches_empty,
                    .val_first = (uint32_t)nv,
                    .val_count = (uint32_t)cd->val_count,
                    .re = cd->re,
                };
                for (size_t v = 0; v < cd->val_count; v++) {
                    memcpy(c->vtext + nt, cd->vals[v], cd->val_lens[v]);
                    c->fvals[nv++] = (fval_t){(uint32_t)nt, (uint32_t)cd->val_lens[v]};
                    nt += cd->val_lens[v];
                }
            }
        }
    }
    for (int k = 0; k < K__COUNT; k++) {
        if (c->use[k] == USE_NONE)
            continue;
        c->used_key[c->used_count] = (uint8_t)k;
        c->used_use[c->used_count++] = c->use[k];
    }
}

/* --- Parsing --- */

typedef struct parser {
    const char *p, *end;
    const char *name;
    int line;
    cn_err_t *err;
} parser_t;

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

static int perr(parser_t *ps, const char *what)
{
    return cn_err_set(ps->err, CN_ECONFIG, "%s:%d: %s", ps->name, ps->line, what);
}

/*
 * ref_type and click_id take one of a fixed set of values: a value outside it
 * never matches, so it is a typo, and an error. Sets *names and *count to the
 * key's known values, or returns false for a free-text key.
 */
static bool key_known_values(enum key k, const cn_str_t **names, size_t *count)
{
    if (k == K_REF_TYPE) {
        *names = ref_type_names;
        *count = sizeof(ref_type_names) / sizeof(ref_type_names[0]);
        return true;
    }
    if (k == K_CLICK_ID) {
        *names = cn_enrich__click_ids;
        *count = cn_enrich__click_id_count;
        return true;
    }
    return false;
}

/* "none, internal, ..." into buf (truncated to cap). */
static const char *join_names(const cn_str_t *names, size_t count, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && n < cap; i++) {
        int w =
            snprintf(buf + n, cap - n, "%s%.*s", i ? ", " : "", (int)names[i].len, names[i].ptr);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return buf;
}

/* Checks c's values (=, !=) or regex (~, !~) against its key's known values, if it has any. */
static int check_known(parser_t *ps, const cond_t *c)
{
    const cn_str_t *names;
    size_t count;
    if (!key_known_values(c->key, &names, &count))
        return 0;
    char list[160];
    const char *key = key_names[c->key];
    if (c->op == OP_EQ || c->op == OP_NE) {
        for (size_t v = 0; v < c->val_count; v++) {
            cn_str_t val = cn_str(c->vals[v], c->val_lens[v]);
            bool known = false;
            for (size_t i = 0; i < count && !known; i++)
                known = cn_str_eq_nocase(val, names[i]);
            if (known)
                continue;
            if (val.len == 0)
                return cn_err_set(ps->err, CN_ECONFIG,
                                  "%s:%d: empty value in %s%s (known: %s; %s? tests for a value, "
                                  "%s! for none)",
                                  ps->name, ps->line, key, c->op == OP_EQ ? "=" : "!=",
                                  join_names(names, count, list, sizeof(list)), key, key);
            return cn_err_set(ps->err, CN_ECONFIG, "%s:%d: unknown %s \"%.*s\" (known: %s)",
                              ps->name, ps->line, key, (int)(val.len > 40 ? 40 : val.len), val.ptr,
                              join_names(names, count, list, sizeof(list)));
        }
        return 0;
    }
    if ((c->op == OP_RE || c->op == OP_NRE) && c->re != NULL) {
        /* a regex that matches no known value (nor, for click_id, the empty value of a
         * landing URL without one) is always false, or always true after !~ */
        bool any = c->key == K_CLICK_ID && c->re_empty_known && c->re_matches_empty;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(c->re, NULL);
        for (size_t i = 0; i < count && !any && md != NULL; i++)
            any = pcre2_match(c->re, (PCRE2_SPTR)names[i].ptr, names[i].len, 0, 0, md, NULL) >= 0;
        bool checked = md != NULL;
        pcre2_match_data_free(md);
        if (checked && !any)
            return cn_err_set(ps->err, CN_ECONFIG,
                              "%s:%d: %s regex matches none of the known values (%s)", ps->name,
                              ps->line, key, join_names(names, count, list, sizeof(list)));
    }
    return 0;
}

static int parse_cond(parser_t *ps, cond_t *c)
{
    skip_ws(ps);
    const char *k = ps->p;
    while (ps->p < ps->end && (islower((unsigned char)*ps->p) || *ps->p == '_'))
        ps->p++;
    cn_str_t key = cn_str(k, (size_t)(ps->p - k));
    int ki = -1;
    for (int i = 0; i < K__COUNT; i++)
        if (cn_str_eq_c(key, key_names[i]))
            ki = i;
    if (ki < 0) {
        /* the whole word in the message, also past an upper-case letter or digit */
        const char *e = ps->p;
        while (e < ps->end && (isalnum((unsigned char)*e) || *e == '_'))
            e++;
        int wl = (int)(e - k > 40 ? 40 : e - k);
        if (wl == 0)
            return perr(ps, "key expected (ref_type, ref_medium, ref_source, ref_domain, "
                            "campaign, utm_source, utm_medium, utm_campaign, click_id)");
        return cn_err_set(ps->err, CN_ECONFIG,
                          "%s:%d: unknown key \"%.*s\" (ref_type, ref_medium, ref_source, "
                          "ref_domain, campaign, utm_source, utm_medium, utm_campaign, click_id)",
                          ps->name, ps->line, wl, k);
    }
    c->key = (enum key)ki;
    skip_ws(ps);
    if (ps->p >= ps->end)
        return perr(ps, "operator expected after the key");
    bool neg = false;
    if (*ps->p == '!' && ps->p + 1 < ps->end && (ps->p[1] == '=' || ps->p[1] == '~')) {
        neg = true;
        ps->p++;
    }
    char op = *ps->p++;
    if (op == '?' || op == '!') {
        c->op = op == '?' ? OP_SET : OP_UNSET;
        return 0;
    }
    skip_ws(ps);
    if (op == '~') {
        c->op = neg ? OP_NRE : OP_RE;
        if (ps->p >= ps->end || *ps->p != '/')
            return perr(ps, "a regex is written /like this/");
        const char *rs = ++ps->p;
        while (ps->p < ps->end && *ps->p != '/') {
            if (*ps->p == '\\' && ps->p + 1 < ps->end)
                ps->p++;
            ps->p++;
        }
        if (ps->p >= ps->end)
            return perr(ps, "unterminated /regex/");
        int ec;
        PCRE2_SIZE eo;
        c->re = pcre2_compile((PCRE2_SPTR)rs, (size_t)(ps->p - rs), PCRE2_CASELESS, &ec, &eo, NULL);
        ps->p++;
        if (c->re == NULL) {
            PCRE2_UCHAR msg[120];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            return cn_err_set(ps->err, CN_ECONFIG, "%s:%d: regex: %s", ps->name, ps->line,
                              (char *)msg);
        }
        pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
        uint32_t groups = 0;
        pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &groups);
        if (groups <= 9) {
            pcre2_match_data *md = pcre2_match_data_create(10, NULL);
            c->re_empty_known = md != NULL;
            c->re_matches_empty = md && pcre2_match(c->re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) > 0;
            pcre2_match_data_free(md);
        }
        return 0;
    }
    if (op != '=')
        return perr(ps, "operator must be =, !=, ~, !~, ? or !");
    c->op = neg ? OP_NE : OP_EQ;
    const char *vs = ps->p;
    while (ps->p < ps->end && *ps->p != '&' && *ps->p != '|')
        ps->p++;
    cn_str_t rest = cn_str(vs, (size_t)(ps->p - vs)), item;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &item);
        item = cn_str_trim(item);
        c->vals = cn_xrealloc(c->vals, (c->val_count + 1) * sizeof(*c->vals));
        c->val_lens = cn_xrealloc(c->val_lens, (c->val_count + 1) * sizeof(*c->val_lens));
        c->val_lens[c->val_count] = item.len;
        c->vals[c->val_count++] = cn_xstrndup(item.ptr, item.len);
    }
    return 0;
}

static int parse_line(parser_t *ps, rule_t *r)
{
    const char *colon = memchr(ps->p, ':', (size_t)(ps->end - ps->p));
    if (colon == NULL)
        return perr(ps, "expected \"Channel name: condition\"");
    cn_str_t name = cn_str_trim(cn_str(ps->p, (size_t)(colon - ps->p)));
    if (name.len == 0)
        return perr(ps, "empty channel name");
    r->name = cn_xstrndup(name.ptr, name.len);
    r->name_len = name.len;
    ps->p = colon + 1;
    r->alts = cn_xcalloc(1, sizeof(*r->alts));
    r->count = 1;
    for (;;) {
        conj_t *cj = &r->alts[r->count - 1];
        cj->conds = cn_xrealloc(cj->conds, (cj->count + 1) * sizeof(*cj->conds));
        memset(&cj->conds[cj->count], 0, sizeof(cond_t));
        cj->count++;
        CN_RETURN_IF_ERR(parse_cond(ps, &cj->conds[cj->count - 1]));
        CN_RETURN_IF_ERR(check_known(ps, &cj->conds[cj->count - 1]));
        skip_ws(ps);
        if (ps->p >= ps->end)
            return 0;
        if (*ps->p == '&') {
            ps->p++;
        } else if (*ps->p == '|') {
            ps->p++;
            r->alts = cn_xrealloc(r->alts, (r->count + 1) * sizeof(*r->alts));
            memset(&r->alts[r->count], 0, sizeof(conj_t));
            r->count++;
        } else {
            return perr(ps, "expected & or | between conditions");
        }
    }
}

int cn_enrich__chanrules_parse(const char *name, const char *text, size_t len, cn_chanrules_t **out,
                               cn_err_t *err)
{
    cn_chanrules_t *c = cn_xcalloc(1, sizeof(*c));
    cn_str_t rest = cn_str(text, len), line;
    parser_t ps = {.name = name, .err = err};
    int rc = 0;
    while (rest.ptr != NULL && rc == 0) {
        rest = cn_str_split(rest, '\n', &line);
        ps.line++;
        line = cn_str_trim(line);
        if (line.len == 0 || line.ptr[0] == '#')
            continue;
        c->rules = cn_xrealloc(c->rules, (c->count + 1) * sizeof(*c->rules));
        memset(&c->rules[c->count], 0, sizeof(rule_t));
        c->count++;
        ps.p = line.ptr;
        ps.end = line.ptr + line.len;
        rc = parse_line(&ps, &c->rules[c->count - 1]);
    }
    if (rc == 0 && c->count == 0)
        rc = cn_err_set(err, CN_ECONFIG, "%s: no channel rules", name);
    if (rc < 0) {
        cn_enrich__chanrules_free(c);
        return rc;
    }
    flatten(c);
    *out = c;
    return 0;
}

void cn_enrich__chanrules_free(cn_chanrules_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->count; i++) {
        rule_t *r = &c->rules[i];
        for (size_t j = 0; j < r->count; j++) {
            for (size_t k = 0; k < r->alts[j].count; k++) {
                cond_t *cd = &r->alts[j].conds[k];
                for (size_t v = 0; v < cd->val_count; v++)
                    free(cd->vals[v]);
                free(cd->vals);
                free(cd->val_lens);
                pcre2_code_free(cd->re);
            }
            free(r->alts[j].conds);
        }
        free(r->alts);
        free(r->name);
    }
    free(c->rules);
    free(c->frules);
    free(c->falts);
    free(c->fconds);
    free(c->fvals);
    free(c->vtext);
    free(c);
}

/* --- Campaign --- */

bool cn_enrich__has_scheme_sep(cn_str_t s)
{
    if (s.len < 3)
        return false;
    /* most URLs start with their scheme: no search */
    if ((s.len >= 7 && memcmp(s.ptr, "http://", 7) == 0) ||
        (s.len >= 8 && memcmp(s.ptr, "https://", 8) == 0))
        return true;
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p != NULL && end - p >= 3) {
        p = memchr(p, ':', (size_t)(end - p - 2));
        if (p == NULL)
            return false;
        if (p[1] == '/' && p[2] == '/')
            return true;
        p++;
    }
    return false;
}

cn_str_t cn_enrich__landing_query(cn_str_t url)
{
    if (url.ptr == NULL)
        return CN_STR_LIT("");
    const char *qm = memchr(url.ptr, '?', url.len);
    if (qm != NULL) {
        url = cn_str(qm + 1, url.len - (size_t)(qm + 1 - url.ptr));
    } else if (cn_enrich__has_scheme_sep(url)) {
        return CN_STR_LIT(""); /* a URL without a query */
    }
    const char *hash = memchr(url.ptr, '#', url.len);
    if (hash != NULL)
        url.len = (size_t)(hash - url.ptr);
    return url;
}

static cn_str_t decode_into(cn_str_t v, char *buf, size_t cap)
{
    size_t n = cn_enrich__pct_decode(v, buf, cap);
    return cn_str_trim(cn_str(buf, n));
}

static const char *const default_campaign_params[] = {"utm_campaign", "cid"};

/* The utm_* fields, in the order of cn_campaign_t and of t->camp_buf. */
static const cn_str_t utm_names[5] = {{"utm_source", 10},
                                      {"utm_medium", 10},
                                      {"utm_campaign", 12},
                                      {"utm_term", 8},
                                      {"utm_content", 11}};

/* The index in utm_names of key, or -1: one compare of the "utm_" prefix first. */
static int utm_index(cn_str_t key)
{
    if (key.len < 8 || memcmp(key.ptr, "utm_", 4) != 0)
        return -1;
    for (int i = 0; i < 5; i++)
        if (cn_str_eq(key, utm_names[i]))
            return i;
    return -1;
}

/* Campaign parameters looked for in the one walk of a query; a suite with more walks again. */
#define WALK_PARAMS 8

/*
 * cn_enrich_campaign of the landing URL's query and the trimmed v0. One walk of the query
 * finds the utm_* fields, the click id and, when there is no v0, the campaign: for each
 * campaign parameter its first value that is not empty once decoded and trimmed, and of
 * those the first parameter's. A utm_* parameter's is its field (the same decoding into a
 * buffer of the same size).
 */
static void campaign(cn_enrich_thread_t *t, cn_str_t query, cn_str_t v0,
                     const cn_suite_conf_t *suite, cn_campaign_t *out)
{
    cn_str_t *fields[] = {&out->utm_source, &out->utm_medium, &out->utm_campaign, &out->utm_term,
                          &out->utm_content};
    out->campaign = out->click_id = CN_STR_LIT("");
    for (int i = 0; i < 5; i++)
        *fields[i] = CN_STR_LIT("");
    if (query.len == 0 && v0.len == 0)
        return;
    /* the campaign parameters, when the campaign is to come from the query: each one's utm_*
     * field, or -1 */
    const char *const *params = default_campaign_params;
    size_t count = 0;
    cn_str_t pname[WALK_PARAMS];
    int putm[WALK_PARAMS];
    if (v0.len == 0) {
        const cn_enrich_suite_t *es = cn_enrich__suite(t, suite);
        count = 2;
        if (es != NULL && es->campaign_param_count > 0) {
            params = (const char *const *)es->campaign_params;
            count = es->campaign_param_count;
        }
        for (size_t i = 0; i < count && i < WALK_PARAMS; i++) {
            pname[i] = cn_str_c(params[i]);
            putm[i] = utm_index(pname[i]);
        }
    }
    size_t walked = count < WALK_PARAMS ? count : WALK_PARAMS;
    size_t best = walked; /* the first parameter with a value so far (in camp_buf[5]) */
    cn_str_t q = query, k, v;
    const char *click = NULL; /* cn_enrich__click_id(query), in the same walk */
    while (cn_enrich__query_next(&q, &k, &v)) {
        int u = utm_index(k);
        if (u >= 0 && fields[u]->len == 0)
            *fields[u] = decode_into(v, t->camp_buf[u], sizeof(t->camp_buf[u]));
        if (click == NULL && v.len > 0)
            click = cn_enrich__click_name(k);
        for (size_t i = 0; i < best; i++) {
            if (putm[i] >= 0 || !cn_str_eq(k, pname[i]))
                continue;
            /* the parameter's first value that decodes to text; an earlier parameter's
             * later value still wins over it */
            cn_str_t d = decode_into(v, t->camp_buf[6], sizeof(t->camp_buf[6]));
            if (d.len > 0) {
                memcpy(t->camp_buf[5], d.ptr, d.len);
                out->campaign = cn_str(t->camp_buf[5], d.len);
                best = i;
            }
            break;
        }
    }
    if (click != NULL)
        out->click_id = cn_str_c(click);
    if (v0.len > 0) {
        if (v0.len > sizeof(t->camp_buf[5]))
            v0.len = sizeof(t->camp_buf[5]);
        memcpy(t->camp_buf[5], v0.ptr, v0.len);
        out->campaign = cn_str(t->camp_buf[5], v0.len);
        return;
    }
    for (size_t i = 0; i < best; i++) {
        if (putm[i] >= 0 && fields[putm[i]]->len > 0) {
            out->campaign = *fields[putm[i]];
            return;
        }
    }
    if (best < walked)
        return; /* out->campaign was set in the walk */
    for (size_t i = walked; i < count; i++) {
        cn_str_t name = cn_str_c(params[i]);
        int u = utm_index(name);
        if (u >= 0) {
            if (fields[u]->len > 0) {
                out->campaign = *fields[u];
                return;
            }
            continue;
        }
        q = query;
        while (cn_enrich__query_next(&q, &k, &v)) {
            if (!cn_str_eq(k, name))
                continue;
            cn_str_t d = decode_into(v, t->camp_buf[5], sizeof(t->camp_buf[5]));
            if (d.len > 0) {
                out->campaign = d;
                return;
            }
        }
    }
}

/*
 * The campaign fields as the rules read (docs/enrich.md): one walk for the utm_* fields and
 * the click id, then a walk per campaign parameter, in order, for its first value that is not
 * empty once decoded and trimmed. The reference campaign() is compared with.
 */
void cn_enrich__campaign_slow(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                              const cn_suite_conf_t *suite, cn_campaign_t *out)
{
    cn_str_t query = cn_enrich__landing_query(landing_url);
    cn_str_t v0 = cn_str_trim(adobe_v0.ptr ? adobe_v0 : CN_STR_LIT(""));
    cn_str_t *fields[] = {&out->utm_source, &out->utm_medium, &out->utm_campaign, &out->utm_term,
                          &out->utm_content};
    out->campaign = out->click_id = CN_STR_LIT("");
    for (int i = 0; i < 5; i++)
        *fields[i] = CN_STR_LIT("");
    cn_str_t q = query, k, v;
    const char *click = NULL;
    while (cn_enrich__query_next(&q, &k, &v)) {
        for (int i = 0; i < 5; i++) {
            if (fields[i]->len == 0 && cn_str_eq(k, utm_names[i]))
                *fields[i] = decode_into(v, t->camp_buf[i], sizeof(t->camp_buf[i]));
        }
        if (click == NULL && v.len > 0)
            click = cn_enrich__click_name(k);
    }
    if (click != NULL)
        out->click_id = cn_str_c(click);
    if (v0.len > 0) {
        if (v0.len > sizeof(t->camp_buf[5]))
            v0.len = sizeof(t->camp_buf[5]);
        memcpy(t->camp_buf[5], v0.ptr, v0.len);
        out->campaign = cn_str(t->camp_buf[5], v0.len);
        return;
    }
    const cn_enrich_suite_t *es = cn_enrich__suite(t, suite);
    const char *const *params = default_campaign_params;
    size_t count = 2;
    if (es != NULL && es->campaign_param_count > 0) {
        params = (const char *const *)es->campaign_params;
        count = es->campaign_param_count;
    }
    for (size_t i = 0; i < count; i++) {
        q = query;
        while (cn_enrich__query_next(&q, &k, &v)) {
            if (!cn_str_eq_c(k, params[i]))
                continue;
            cn_str_t d = decode_into(v, t->camp_buf[5], sizeof(t->camp_buf[5]));
            if (d.len > 0) {
                out->campaign = d;
                return;
            }
        }
    }
}

void cn_enrich__campaign_nomemo(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                                const cn_suite_conf_t *suite, cn_campaign_t *out)
{
    campaign(t, cn_enrich__landing_query(landing_url),
             cn_str_trim(adobe_v0.ptr ? adobe_v0 : CN_STR_LIT("")), suite, out);
}

/*
 * campaign through the memo (cn_camp_memo_t): the fields are a function of
 * the landing URL's query, the trimmed v0 and the suite, and landing pages
 * repeat their queries (a campaign's link, a social post's utm_* tags). A
 * slot answers only for the same campaign parameters (the suite's, or the
 * defaults) and the same query and v0 bytes; the
 * fields are copied into it (they live until the slot is reused: at the
 * earliest the next call, as t->camp_buf's do). Landing URLs without a query
 * cost little and are not kept.
 */
void cn_enrich_campaign(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                        const cn_suite_conf_t *suite, cn_campaign_t *out)
{
    cn_str_t query = cn_enrich__landing_query(landing_url);
    cn_str_t v0 = cn_str_trim(adobe_v0.ptr ? adobe_v0 : CN_STR_LIT(""));
    if (query.len == 0 && v0.len == 0) { /* most landings: campaign() would set these */
        out->campaign = out->utm_source = out->utm_medium = out->utm_campaign = out->utm_term =
            out->utm_content = out->click_id = CN_STR_LIT("");
        return;
    }
    if (query.len == 0 || query.len + v0.len > CN_ENRICH_CAMP_TEXT) {
        campaign(t, query, v0, suite, out);
        return;
    }
    uint64_t h = XXH3_64bits(query.ptr, query.len);
    if (v0.len > 0)
        h ^= XXH3_64bits(v0.ptr, v0.len) * 0x9e3779b97f4a7c15ULL;
    cn_camp_memo_t *m = &t->camp_memo[h & (CN_ENRICH_CAMP_SLOTS - 1)];
    /* what the suite changes: its campaign parameters (NULL: the defaults) */
    const cn_enrich_suite_t *es = cn_enrich__suite(t, suite);
    const void *params = es != NULL && es->campaign_param_count > 0 ? es->campaign_params : NULL;
    cn_str_t *fields[6] = {&out->campaign,     &out->utm_source, &out->utm_medium,
                           &out->utm_campaign, &out->utm_term,   &out->utm_content};
    if (m->used && m->hash == h && m->params == params && m->key_len == query.len &&
        m->v0_len == v0.len && memcmp(m->text, query.ptr, query.len) == 0 &&
        (v0.len == 0 || memcmp(m->text + query.len, v0.ptr, v0.len) == 0)) {
        size_t off = m->key_len + m->v0_len;
        for (int i = 0; i < 6; i++) {
            *fields[i] = m->len[i] ? cn_str(m->text + off, m->len[i]) : CN_STR_LIT("");
            off += m->len[i];
        }
        out->click_id = m->click_id != NULL ? cn_str_c(m->click_id) : CN_STR_LIT("");
        return;
    }
    campaign(t, query, v0, suite, out);
    size_t need = query.len + v0.len;
    for (int i = 0; i < 6; i++)
        need += fields[i]->len;
    if (need > CN_ENRICH_CAMP_TEXT) {
        m->used = false;
        return;
    }
    m->used = true;
    m->hash = h;
    m->params = params;
    m->key_len = (uint16_t)query.len;
    m->v0_len = (uint16_t)v0.len;
    m->click_id = out->click_id.len > 0 ? out->click_id.ptr : NULL;
    memcpy(m->text, query.ptr, query.len);
    if (v0.len > 0)
        memcpy(m->text + query.len, v0.ptr, v0.len);
    size_t off = query.len + v0.len;
    for (int i = 0; i < 6; i++) {
        m->len[i] = (uint16_t)fields[i]->len;
        if (fields[i]->len > 0)
            memcpy(m->text + off, fields[i]->ptr, fields[i]->len);
        off += fields[i]->len;
    }
}

/* --- Channel --- */

/* The value of every key for one channel lookup, by enum key; never a NULL ptr. */
static void key_values(const cn_ref_info_t *ref, const cn_campaign_t *camp, cn_str_t *kv)
{
    kv[K_REF_TYPE] = (unsigned)ref->type < 7 ? ref_type_names[ref->type] : CN_STR_LIT("");
    kv[K_REF_MEDIUM] = ref->medium;
    kv[K_REF_SOURCE] = ref->source;
    kv[K_REF_DOMAIN] = ref->domain;
    kv[K_CAMPAIGN] = camp->campaign;
    kv[K_UTM_SOURCE] = camp->utm_source;
    kv[K_UTM_MEDIUM] = camp->utm_medium;
    kv[K_UTM_CAMPAIGN] = camp->utm_campaign;
    kv[K_CLICK_ID] = camp->click_id;
    for (int k = 0; k < K__COUNT; k++) {
        if (kv[k].ptr == NULL)
            kv[k] = CN_STR_LIT("");
    }
}

static bool eval(cn_enrich_thread_t *t, const cn_chanrules_t *rules, const fcond_t *c,
                 const cn_str_t *kv)
{
    cn_str_t v = kv[c->key];
    switch (c->op) {
    case OP_SET:
        return v.len > 0;
    case OP_UNSET:
        return v.len == 0;
    case OP_EQ:
    case OP_NE: {
        bool any = false;
        for (uint32_t i = 0; i < c->val_count && !any; i++) {
            const fval_t *fv = &rules->fvals[c->val_first + i];
            any = v.len == fv->len && cn_str_eq_nocase(v, cn_str(rules->vtext + fv->off, v.len));
        }
        return c->op == OP_EQ ? any : !any;
    }
    case OP_RE:
    case OP_NRE: {
        bool m = v.len == 0 && c->re_empty_known ? c->re_matches_empty
                                                 : cn_enrich__match(&t->m, c->re, v) > 0;
        return c->op == OP_RE ? m : !m;
    }
    }
    return false;
}

static cn_str_t walk(cn_enrich_thread_t *t, const cn_chanrules_t *rules, const cn_str_t *kv)
{
    for (size_t i = 0; i < rules->count; i++) {
        const frule_t *r = &rules->frules[i];
        for (uint32_t a = 0; a < r->alt_count; a++) {
            const falt_t *alt = &rules->falts[r->alt_first + a];
            bool all = true;
            for (uint32_t c = 0; c < alt->cond_count && all; c++)
                all = eval(t, rules, &rules->fconds[alt->cond_first + c], kv);
            if (all)
                return cn_str(rules->rules[i].name, rules->rules[i].name_len);
        }
    }
    return CN_STR_LIT("Other");
}

static const cn_chanrules_t *rules_of(cn_enrich_thread_t *t, const cn_suite_conf_t *suite)
{
    const cn_enrich_suite_t *es = cn_enrich__suite(t, suite);
    return es != NULL && es->rules != NULL ? es->rules : t->e->default_rules;
}

cn_str_t cn_enrich__channel_walk(cn_enrich_thread_t *t, const cn_suite_conf_t *suite,
                                 const cn_ref_info_t *ref, const cn_campaign_t *camp)
{
    cn_str_t kv[K__COUNT];
    key_values(ref, camp, kv);
    return walk(t, rules_of(t, suite), kv);
}

/*
 * The channel through the memo (cn_chan_slot_t). The walk reads of each key
 * only what rules->use says: the value (key=, key~...), whether it is empty
 * (key?, key!) or nothing. The key is that, serialized: for a value a u16
 * length then the bytes, for emptiness one byte. A slot answers only when its
 * rules and its key bytes are the same, so the answer is the walk's.
 */
cn_str_t cn_enrich_channel(cn_enrich_thread_t *t, const cn_suite_conf_t *suite,
                           const cn_ref_info_t *ref, const cn_campaign_t *camp)
{
    const cn_chanrules_t *rules = rules_of(t, suite);
    cn_str_t kv[K__COUNT];
    key_values(ref, camp, kv);
    char key[CN_ENRICH_CHAN_KEY];
    size_t n = 0;
    for (unsigned i = 0; i < rules->used_count; i++) {
        unsigned k = rules->used_key[i];
        if (rules->used_use[i] == USE_SET) {
            if (n + 1 > CN_ENRICH_CHAN_KEY)
                return walk(t, rules, kv); /* too long to keep */
            key[n++] = kv[k].len > 0;
            continue;
        }
        if (kv[k].len > CN_ENRICH_CHAN_KEY - 2 || n + 2 + kv[k].len > CN_ENRICH_CHAN_KEY)
            return walk(t, rules, kv); /* too long to keep */
        uint16_t len = (uint16_t)kv[k].len;
        memcpy(key + n, &len, sizeof(len));
        cn_memcpy_short(key + n + 2, kv[k].ptr, len);
        n += 2 + len;
    }
    uint64_t h = XXH3_64bits(key, n);
    cn_chan_slot_t *slot = &t->chan[h & (CN_ENRICH_CHAN_SLOTS - 1)];
    if (slot->rules == rules && slot->hash == h && slot->key_len == n &&
        memcmp(slot->key, key, n) == 0)
        return slot->channel;
    cn_str_t ch = walk(t, rules, kv);
    slot->rules = rules;
    slot->hash = h;
    slot->channel = ch;
    slot->key_len = (uint16_t)n;
    memcpy(slot->key, key, n);
    return ch;
}
