/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bot detection: crawler-user-agents' patterns (case-sensitive regexes, each
 * with tags; the first tag is kept as the bot type) plus a few simple rules
 * for what the list does not name (empty UA, headless browsers, HTTP
 * libraries).
 *
 * Matching 1,500 patterns one after the other, or as one PCRE2 alternation
 * (JIT), costs about 0.5 ms per UA here: every start position tries every
 * alternative. So each pattern is reduced to the literals a match must
 * contain (one per top-level alternative, e.g. "Googlebot" for
 * "Googlebot\/"), the literals are indexed by their first two bytes, and a
 * UA is scanned once: only the patterns whose literal occurs are run, in
 * list order, plus the few patterns without a usable literal. The first
 * pattern that matches gives the tag. Each pattern is JIT-compiled when it
 * first runs (cn_lazy_re_t): a UA runs a handful of them at most. The joined
 * alternation is the slow reference that tests and the fuzz target compare
 * against; canton never runs it, so it is compiled on its first use, not at
 * load (its text is kept).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

typedef struct bot_pat {
    cn_lazy_re_t rx;
    char *tag; /* first tag, or "crawler" */
} bot_pat_t;

struct cn_bots {
    char *all_text; /* (?:p1)|(?:p2)|..., the slow reference's pattern */
    size_t all_len;
    _Atomic(pcre2_code *) all; /* all_text compiled (JIT), on the reference's first run */
    uint32_t groups;           /* capture groups of all patterns, so of all_text */
    bot_pat_t *pats;
    size_t count;
    cn_litidx_t idx; /* literal prefilter */
};

/*
 * A pattern that starts with a digit (e.g. "008\/") must not start inside a
 * number: unanchored, it would match version strings such as Opera Mini's
 * "4.4.39008/37.9178". Such patterns get a (?<![0-9.]) guard.
 */
static bool digit_start(const char *p, size_t len)
{
    return len > 0 && p[0] >= '0' && p[0] <= '9';
}

int cn_enrich__bots_load(const char *path, cn_bots_t **out, cn_err_t *err)
{
    /* json_loadb on the file's bytes: json_load_file reads through a call per byte */
    char *text;
    size_t text_len;
    CN_RETURN_IF_ERR(cn_enrich__read_file(path, &text, &text_len, err));
    json_error_t je;
    json_t *root = json_loadb(text, text_len, 0, &je);
    free(text);
    if (root == NULL)
        return cn_err_set(err, CN_EPARSE, "%s:%d: %s", path, je.line, je.text);
    if (!json_is_array(root)) {
        json_decref(root);
        return cn_err_set(err, CN_EPARSE, "%s: not a JSON array", path);
    }
    cn_bots_t *b = cn_xcalloc(1, sizeof(*b));
    size_t n = json_array_size(root);
    b->pats = cn_xcalloc(n ? n : 1, sizeof(*b->pats));
    cn_buf_t all = CN_BUF_INIT, one = CN_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *ent = json_array_get(root, i);
        json_t *pat = json_object_get(ent, "pattern");
        if (!json_is_string(pat)) {
            rc = cn_err_set(err, CN_EPARSE, "%s: entry %zu has no pattern", path, i);
            goto done;
        }
        const char *p = json_string_value(pat);
        size_t plen = json_string_length(pat);
        int ec;
        PCRE2_SIZE eo;
        bot_pat_t *bp = &b->pats[b->count];
        cn_buf_clear(&one);
        if (digit_start(p, plen))
            cn_buf_append_c(&one, "(?<![0-9.])");
        cn_buf_append(&one, p, plen);
        bp->rx.re = pcre2_compile((PCRE2_SPTR)one.ptr, one.len, 0, &ec, &eo, NULL);
        if (bp->rx.re == NULL) {
            PCRE2_UCHAR msg[120];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            rc = cn_err_set(err, CN_EPARSE, "%s: pattern %zu (%s): %s at offset %zu", path, i, p,
                            (char *)msg, (size_t)eo);
            goto done;
        }
        json_t *tags = json_object_get(ent, "tags");
        json_t *tag0 = json_is_array(tags) ? json_array_get(tags, 0) : NULL;
        bp->tag = cn_xstrdup(json_is_string(tag0) ? json_string_value(tag0) : "crawler");
        cn_enrich__litidx_add(&b->idx, p, plen, (uint32_t)b->count);
        b->count++;
        uint32_t g = 0;
        pcre2_pattern_info(bp->rx.re, PCRE2_INFO_CAPTURECOUNT, &g);
        b->groups += g; /* (?:...) around each: the alternation numbers them in turn */
        if (all.len > 0)
            cn_buf_append(&all, "|", 1);
        cn_buf_append(&all, "(?:", 3);
        cn_buf_append(&all, one.ptr, one.len);
        cn_buf_append(&all, ")", 1);
    }
    if (b->count > 0) {
        b->all_len = all.len;
        b->all_text = cn_xstrndup(all.ptr, all.len);
    }
    cn_enrich__litidx_build(&b->idx);
done:
    cn_buf_dispose(&all);
    cn_buf_dispose(&one);
    json_decref(root);
    if (rc < 0) {
        cn_enrich__bots_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

void cn_enrich__bots_free(cn_bots_t *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->count; i++) {
        cn_enrich__lazy_free(&b->pats[i].rx);
        free(b->pats[i].tag);
    }
    free(b->pats);
    cn_enrich__litidx_dispose(&b->idx);
    pcre2_code_free(atomic_load_explicit(&b->all, memory_order_relaxed));
    free(b->all_text);
    free(b);
}

size_t cn_enrich__bots_count(const cn_bots_t *b)
{
    return b != NULL ? b->count : 0;
}

size_t cn_enrich__bots_jit_count(const cn_bots_t *b, bool *has_alternation)
{
    size_t n = 0;
    for (size_t i = 0; b != NULL && i < b->count; i++)
        n += cn_enrich__lazy_is_made(&b->pats[i].rx);
    *has_alternation = b != NULL && atomic_load_explicit(&b->all, memory_order_acquire) != NULL;
    return n;
}

uint32_t cn_enrich__bots_max_groups(const cn_bots_t *b)
{
    /* the alternation's groups are every pattern's: the most any one match of the slow
     * reference fills, so matchers are sized for it before it is compiled */
    return b != NULL && b->count > 0 ? b->groups + 1 : 1;
}

/* --- Simple rules --- */

/* Prefixes of HTTP client libraries and tools that the list may miss. */
static const char *const lib_prefixes[] = {"curl/",
                                           "Wget/",
                                           "python-requests/",
                                           "Python-urllib/",
                                           "Go-http-client/",
                                           "Java/",
                                           "okhttp/",
                                           "libwww-perl/",
                                           "Apache-HttpClient/",
                                           "axios/",
                                           "node-fetch/",
                                           "Scrapy/",
                                           "aiohttp/",
                                           "python-httpx/",
                                           "PostmanRuntime/",
                                           "HTTPie/",
                                           "Ruby",
                                           "Dart/",
                                           "undici",
                                           "Deno/",
                                           NULL};

static const char *const headless_markers[] = {"HeadlessChrome", "PhantomJS", "Headless",
                                               "SlimerJS",       "Puppeteer", "Playwright",
                                               "Selenium",       NULL};

static bool simple_rules(cn_str_t ua, cn_str_t *type)
{
    cn_str_t t = cn_str_trim(ua);
    if (t.len == 0 || cn_str_eq_c(t, "-")) {
        *type = CN_STR_LIT("empty");
        return true;
    }
    for (const char *const *m = headless_markers; *m != NULL; m++) {
        if (cn_enrich__contains(ua, *m, strlen(*m))) {
            *type = CN_STR_LIT("headless");
            return true;
        }
    }
    for (const char *const *p = lib_prefixes; *p != NULL; p++) {
        if (cn_str_starts_with(t, cn_str_c(*p))) {
            *type = CN_STR_LIT("http-library");
            return true;
        }
    }
    return false;
}

/* The first pattern (in list order) that matches ua, or -1. Uses the literal index. */
static long first_pattern(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua)
{
    cn_str_t lower = cn_str(m->lower, cn_enrich__lower(ua, m->lower, sizeof(m->lower)));
    size_t cap = sizeof(m->cand) / sizeof(m->cand[0]);
    size_t nc = cn_enrich__litidx_candidates(&b->idx, lower, m->cand, cap);
    if (nc == SIZE_MAX) {
        for (size_t i = 0; i < b->count; i++)
            if (cn_enrich__match(m, cn_enrich__lazy_code(&b->pats[i].rx), ua) > 0)
                return (long)i;
        return -1;
    }
    for (size_t i = 0; i < nc; i++)
        if (cn_enrich__match(m, cn_enrich__lazy_code(&b->pats[m->cand[i]].rx), ua) > 0)
            return (long)m->cand[i];
    return -1;
}

bool cn_enrich__bot_check(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua, cn_str_t *type)
{
    if (ua.len > CN_ENRICH_UA_MAX)
        ua.len = CN_ENRICH_UA_MAX;
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    long p = b != NULL && b->count > 0 ? first_pattern(b, m, ua) : -1;
    if (p >= 0) {
        *type = cn_str_c(b->pats[p].tag);
        return true;
    }
    if (simple_rules(ua, type))
        return true;
    *type = CN_STR_NULL;
    return false;
}

/*
 * The joined alternation, compiled on first use and published as cn_enrich__lazy_code
 * publishes a JIT copy (b is shared by threads). NULL when it does not compile (each
 * pattern did at load: the joined one may still exceed PCRE2's limits).
 */
static const pcre2_code *alternation(cn_bots_t *b)
{
    pcre2_code *c = atomic_load_explicit(&b->all, memory_order_acquire);
    if (c != NULL || b->all_text == NULL)
        return c;
    int ec;
    PCRE2_SIZE eo;
    c = pcre2_compile((PCRE2_SPTR)b->all_text, b->all_len, 0, &ec, &eo, NULL);
    if (c == NULL)
        return NULL;
    (void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    pcre2_code *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&b->all, &expected, c, memory_order_acq_rel,
                                                memory_order_acquire))
        return c;
    pcre2_code_free(c);
    return expected;
}

long cn_enrich__bot_pattern_slow(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua)
{
    if (ua.len > CN_ENRICH_UA_MAX)
        ua.len = CN_ENRICH_UA_MAX;
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    if (b == NULL || b->count == 0)
        return -1;
    /* b is the snapshot's, shared and otherwise immutable: the alternation is a cache of it */
    const pcre2_code *all = alternation((cn_bots_t *)b);
    if (all == NULL)
        return -2; /* the reference cannot run: flagged as a mismatch */
    if (cn_enrich__match(m, all, ua) <= 0)
        return -1;
    for (size_t i = 0; i < b->count; i++)
        if (cn_enrich__match(m, cn_enrich__lazy_code(&b->pats[i].rx), ua) > 0)
            return (long)i;
    return -2; /* the alternation matched but no single pattern did: a bug */
}

long cn_enrich__bot_pattern(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua)
{
    if (ua.len > CN_ENRICH_UA_MAX)
        ua.len = CN_ENRICH_UA_MAX;
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    return b != NULL && b->count > 0 ? first_pattern(b, m, ua) : -1;
}

size_t cn_enrich__bots_always_count(const cn_bots_t *b)
{
    return b != NULL ? b->idx.always_count : 0;
}
