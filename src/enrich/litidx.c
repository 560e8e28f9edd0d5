/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A literal prefilter for ordered regex lists (uap-core's parsers, the
 * crawler patterns), so that a first-match search runs only the regexes that
 * can match. Trying ~1,000 regexes one after another on a 150-byte UA costs
 * 120-170 µs with PCRE2-JIT (most never match, and each still scans the
 * string); one alternation of 1,500 crawler patterns about 0.5 ms.
 *
 * Each regex is reduced to sets of literals, and every match contains a
 * literal of each set: in a sequence, each run of plain bytes that no
 * quantifier makes optional ("Googlebot" for "Googlebot\\/") is a set of
 * one, and each mandatory group gives the sets of its body or, when it has
 * alternatives, one set: the union of its alternatives' best sets ({"chrome",
 * "crios"} for "(Chrome|CriOS)/"), "best" being the set whose shortest literal
 * is longest. A class of one letter in both cases ("[Ss]") reads as the
 * letter. The extraction is conservative: other classes, escapes like \\d,
 * lookarounds and anything unclear end a run, and a regex without such a set
 * (of literals of two bytes or more), or with inline options, is "always
 * run". Literals are lowered (ASCII) and matched against the lowered UA, which
 * also covers the caseless regexes and can only add candidates, never lose
 * one. Each distinct literal is indexed once by its first two bytes, with the
 * list of (regex, set) it stands for; a UA is scanned once (a 4-byte compare
 * rejects most literals of a bucket before memcmp), each literal found marks
 * its sets as found, and the regexes with all their sets found (plus the
 * always-run ones) are returned in list order. The first one that matches is
 * then what a plain first-match loop would have found. Requiring every set
 * matters for uap's device list: nearly all of its regexes end in
 * "(?: Build|\\) AppleWebKit)", which most UAs hold. docs/enrich.md has the
 * figures.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

/* Index just past the group that opens at p[i] == '('. */
static size_t skip_group(const char *p, size_t i, size_t n)
{
    int depth = 0;
    bool cls = false;
    for (; i < n; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (cls) {
            cls = p[i] != ']';
        } else if (p[i] == '[') {
            cls = true;
            if (i + 1 < n && p[i + 1] == '^')
                i++;
            if (i + 1 < n && p[i + 1] == ']')
                i++;
        } else if (p[i] == '(') {
            depth++;
        } else if (p[i] == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return n;
}

/* Index just past the class that opens at p[i] == '['. */
static size_t skip_class(const char *p, size_t i, size_t n)
{
    i++;
    if (i < n && p[i] == '^')
        i++;
    if (i < n && p[i] == ']')
        i++;
    for (; i < n && p[i] != ']'; i++)
        if (p[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

/* Index just past a quantifier starting at p[i] ("?", "*", "+", "{...}"), with a lazy/possessive
 * suffix. */
static size_t skip_quant(const char *p, size_t i, size_t n)
{
    if (p[i] == '{') {
        const char *close = memchr(p + i, '}', n - i);
        i = close ? (size_t)(close - p) + 1 : n;
    } else {
        i++;
    }
    if (i < n && (p[i] == '?' || p[i] == '+'))
        i++;
    return i;
}

/*
 * A set of literals of which every match contains at least one: a run of
 * plain bytes ({"Googlebot"}) or, for a group with alternatives, the union
 * of each alternative's set ({"chrome", "crios"} for (Chrome|CriOS)).
 */
typedef struct lset {
    char **s;
    size_t *len;
    size_t count;
    size_t min_len; /* the shortest literal: the set's worth */
} lset_t;

static void lset_free(lset_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->s[i]);
    free(l->s);
    free(l->len);
    memset(l, 0, sizeof(*l));
}

static void lset_add(lset_t *l, const char *p, size_t len)
{
    l->s = cn_xrealloc(l->s, (l->count + 1) * sizeof(*l->s));
    l->len = cn_xrealloc(l->len, (l->count + 1) * sizeof(*l->len));
    l->s[l->count] = cn_xstrndup(p, len);
    l->len[l->count] = len;
    if (l->count == 0 || len < l->min_len)
        l->min_len = len;
    l->count++;
}

/* Keeps cand in *best when it is worth more (longer shortest literal, then fewer). */
static void lset_offer(lset_t *best, lset_t *cand)
{
    if (cand->count > 0 && cand->min_len >= 2 &&
        (best->count == 0 || cand->min_len > best->min_len ||
         (cand->min_len == best->min_len && cand->count < best->count))) {
        lset_free(best);
        *best = *cand;
        memset(cand, 0, sizeof(*cand));
    } else {
        lset_free(cand);
    }
}

/*
 * The body of the group at p[i] == '(' that ends before p[end - 1] == ')',
 * or false for lookarounds and option groups, which say nothing usable.
 */
static bool group_body(const char *p, size_t i, size_t end, size_t *b0, size_t *b1)
{
    size_t s = i + 1, e = end > 0 ? end - 1 : 0;
    if (e <= s || p[e] != ')')
        return false;
    if (p[s] == '?') {
        if (s + 1 < e && p[s + 1] == ':') {
            s += 2;
        } else if (s + 1 < e && (p[s + 1] == '<' || p[s + 1] == 'P') && s + 2 < e &&
                   p[s + 2] != '=' && p[s + 2] != '!') {
            const char *gt = memchr(p + s, '>', e - s);
            if (gt == NULL)
                return false;
            s = (size_t)(gt - p) + 1; /* named group */
        } else {
            return false;
        }
    }
    *b0 = s;
    *b1 = e;
    return true;
}

/* A list of literal sets, all of which a match needs (one literal of each). */
typedef struct lsets {
    lset_t *v;
    size_t count;
} lsets_t;

static void lsets_free(lsets_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        lset_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Moves *set into l when it is usable (every literal two bytes or more). */
static void lsets_push(lsets_t *l, lset_t *set)
{
    if (set->count == 0 || set->min_len < 2) {
        lset_free(set);
        return;
    }
    l->v = cn_xrealloc(l->v, (l->count + 1) * sizeof(*l->v));
    l->v[l->count++] = *set;
    memset(set, 0, sizeof(*set));
}

/* The byte a class of one letter in both cases stands for ("[Ss]" -> 's'), or -1. Literals are
 * lowered and compared with the lowered UA, so either case of the letter is found. */
static int case_pair(const char *p, size_t i, size_t n)
{
    if (i + 3 >= n || p[i + 3] != ']')
        return -1;
    unsigned char a = (unsigned char)p[i + 1], b = (unsigned char)p[i + 2];
    if (!isalpha(a) || !isalpha(b) || a == b || tolower(a) != tolower(b))
        return -1;
    return tolower(a);
}

static bool alt_union(const char *p, size_t n, lset_t *out, int depth);

/* True when p[0..n) has a '|' outside groups and classes. */
static bool has_top_alt(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '[')
            i = skip_class(p, i, n) - 1;
        else if (p[i] == '(')
            i = skip_group(p, i, n) - 1;
        else if (p[i] == '|')
            return true;
    }
    return false;
}

/*
 * The literal sets of a sequence (no top-level '|'), each of which every match needs one
 * literal of: its runs of plain bytes that no quantifier makes optional ("Googlebot" for
 * "Googlebot\\/"), and for each mandatory group the sets of its body, or for a group with
 * alternatives one set, the union of each alternative's best ({"chrome", "crios"} for
 * "(Chrome|CriOS)/").
 */
static void seq_sets(const char *p, size_t n, lsets_t *out, int depth)
{
    char run[256];
    size_t run_len = 0;
#define END_RUN()                                                                                  \
    do {                                                                                           \
        if (run_len >= 2) {                                                                        \
            lset_t rc_ = {0};                                                                      \
            lset_add(&rc_, run, run_len);                                                          \
            lsets_push(out, &rc_);                                                                 \
        }                                                                                          \
        run_len = 0;                                                                               \
    } while (0)
    size_t i = 0;
    while (i < n) {
        int tok = -1;
        size_t next = i + 1;
        bool group = false;
        char c = p[i];
        if (c == '\\') {
            if (i + 1 < n && !isalnum((unsigned char)p[i + 1]))
                tok = (unsigned char)p[i + 1];
            next = i + 2 < n ? i + 2 : n;
        } else if (c == '[') {
            tok = case_pair(p, i, n);
            next = skip_class(p, i, n);
        } else if (c == '(') {
            next = skip_group(p, i, n);
            group = true;
        } else if (strchr(".^$|?*+{}", c) == NULL) {
            tok = (unsigned char)c;
        }
        char q = next < n ? p[next] : '\0';
        bool optional = q == '?' || q == '*' ||
                        (q == '{' && next + 1 < n && (p[next + 1] == '0' || p[next + 1] == ','));
        if (optional) {
            END_RUN();
            i = skip_quant(p, next, n);
            continue;
        }
        if (tok < 0) {
            END_RUN();
            size_t b0, b1;
            if (group && depth < 8 && group_body(p, i, next, &b0, &b1)) {
                if (!has_top_alt(p + b0, b1 - b0)) {
                    seq_sets(p + b0, b1 - b0, out, depth + 1);
                } else {
                    lset_t g = {0};
                    if (alt_union(p + b0, b1 - b0, &g, depth + 1))
                        lsets_push(out, &g);
                    else
                        lset_free(&g);
                }
            }
        } else if (run_len < sizeof(run)) {
            run[run_len++] = (char)tok;
        } else {
            END_RUN();
        }
        i = next;
        if (q == '+' || q == '{') {
            END_RUN(); /* the token repeats: what follows is not adjacent */
            i = skip_quant(p, next, n);
        }
    }
    END_RUN();
#undef END_RUN
}

/*
 * The set of an alternation: the union over its alternatives of each one's best set (the
 * longest shortest literal, then the fewest). False when an alternative has none.
 */
static bool alt_union(const char *p, size_t n, lset_t *out, int depth)
{
    lset_t all = {0};
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] == '\\') {
            i++;
            continue;
        }
        if (i < n && p[i] == '[') {
            i = skip_class(p, i, n) - 1;
            continue;
        }
        if (i < n && p[i] == '(') {
            i = skip_group(p, i, n) - 1;
            continue;
        }
        if (i < n && p[i] != '|')
            continue;
        lsets_t sets = {0};
        seq_sets(p + start, i - start, &sets, depth);
        lset_t best = {0};
        for (size_t k = 0; k < sets.count; k++) {
            lset_t one = sets.v[k];
            memset(&sets.v[k], 0, sizeof(sets.v[k]));
            lset_offer(&best, &one);
        }
        lsets_free(&sets);
        if (best.count == 0) {
            lset_free(&all);
            return false;
        }
        for (size_t k = 0; k < best.count; k++)
            lset_add(&all, best.s[k], best.len[k]);
        lset_free(&best);
        start = i + 1;
    }
    *out = all;
    return all.count > 0;
}

/* A regex may name at most this many sets: one bit each in a word (more are not checked). */
#define MAX_SETS 32

/*
 * Adds the literal sets of regex `id` to x's raw list (lowered); returns false (and adds
 * none) when it has no usable literal set or sets inline options.
 */
static bool add_literals(cn_litidx_t *x, const char *p, size_t n, uint32_t id)
{
    if (memmem(p, n, "(?i", 3) != NULL || memmem(p, n, "\\Q", 2) != NULL ||
        memmem(p, n, "(?x", 3) != NULL || memmem(p, n, "(?s", 3) != NULL ||
        memmem(p, n, "(?m", 3) != NULL || memmem(p, n, "(?-", 3) != NULL)
        return false; /* inline options change what a literal means */
    lsets_t sets = {0};
    if (has_top_alt(p, n)) {
        lset_t u = {0};
        if (alt_union(p, n, &u, 0))
            lsets_push(&sets, &u);
        else
            lset_free(&u);
    } else {
        seq_sets(p, n, &sets, 0);
    }
    if (sets.count == 0) {
        lsets_free(&sets);
        return false;
    }
    size_t used = sets.count < MAX_SETS ? sets.count : MAX_SETS;
    for (size_t k = 0; k < used; k++) {
        lset_t *set = &sets.v[k];
        for (size_t j = 0; j < set->count; j++) {
            char *lw = set->s[j];
            for (size_t b = 0; b < set->len[j]; b++)
                lw[b] = (char)tolower((unsigned char)lw[b]);
            x->raw = cn_xrealloc(x->raw, (x->raw_count + 1) * sizeof(*x->raw));
            x->raw[x->raw_count++] = (cn_litraw_t){lw, (uint32_t)set->len[j], id, 1u << k};
            set->s[j] = NULL; /* now owned by x->raw */
        }
    }
    lsets_free(&sets);
    return true;
}

static unsigned lit_key(const char *p)
{
    return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

/* By the literal's bytes (so by its first two bytes too), then by regex. */
static int cmp_raw(const void *a, const void *b)
{
    const cn_litraw_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    if (c != 0)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void cn_enrich__litidx_add(cn_litidx_t *x, const char *pattern, size_t len, uint32_t id)
{
    if (id + 1 > x->id_count)
        x->id_count = id + 1;
    if (!add_literals(x, pattern, len, id)) {
        x->always = cn_xrealloc(x->always, (x->always_count + 1) * sizeof(*x->always));
        x->always[x->always_count++] = id;
    }
}

void cn_enrich__litidx_build(cn_litidx_t *x)
{
    qsort(x->raw, x->raw_count, sizeof(*x->raw), cmp_raw);
    x->need = cn_xcalloc(x->id_count ? x->id_count : 1, sizeof(*x->need));
    x->posts = cn_xcalloc(x->raw_count ? x->raw_count : 1, sizeof(*x->posts));
    x->lits = cn_xcalloc(x->raw_count ? x->raw_count : 1, sizeof(*x->lits));
    x->lit_count = 0;
    for (size_t i = 0; i < x->raw_count; i++) {
        cn_litraw_t *r = &x->raw[i];
        x->need[r->id] |= r->set;
        cn_lit_t *l = x->lit_count > 0 ? &x->lits[x->lit_count - 1] : NULL;
        if (l == NULL || l->len != r->len || memcmp(l->p, r->p, r->len) != 0) {
            l = &x->lits[x->lit_count++];
            l->p = r->p;
            l->len = r->len;
            l->post_first = (uint32_t)i;
            uint8_t b[4] = {0, 0, 0, 0};
            size_t n = r->len < 4 ? r->len : 4;
            memcpy(b, r->p, n);
            memcpy(&l->pre, b, 4);
            l->mask = n == 4 ? 0xffffffffu : (1u << (8 * n)) - 1u;
            r->p = NULL; /* now owned by the literal */
        } else {
            free(r->p);
            r->p = NULL;
        }
        x->posts[i] = (cn_litpost_t){r->id, r->set};
        l->post_count++;
    }
    free(x->raw);
    x->raw = NULL;
    x->raw_count = 0;
    x->head = cn_xcalloc(65537, sizeof(*x->head));
    for (size_t i = 0; i < x->lit_count; i++)
        x->head[lit_key(x->lits[i].p) + 1]++;
    for (size_t k = 1; k <= 65536; k++)
        x->head[k] += x->head[k - 1];
}

void cn_enrich__litidx_dispose(cn_litidx_t *x)
{
    for (size_t i = 0; i < x->lit_count; i++)
        free((char *)x->lits[i].p);
    for (size_t i = 0; i < x->raw_count; i++)
        free(x->raw[i].p);
    free(x->raw);
    free(x->lits);
    free(x->posts);
    free(x->need);
    free(x->head);
    free(x->always);
    memset(x, 0, sizeof(*x));
}

/* Ids up to this many are collected in a bitmap on the stack; larger lists run every regex. */
#define MAX_IDS 4096
/* Distinct literals up to this many are marked once each; past it, at every occurrence. */
#define MAX_LITS 16384

size_t cn_enrich__litidx_candidates(const cn_litidx_t *x, cn_str_t lower, uint32_t *out, size_t cap)
{
    uint64_t bits[MAX_IDS / 64];
    uint64_t touched[MAX_IDS / 64]; /* have[id] is set */
    uint32_t have[MAX_IDS];         /* per regex: the bits of its sets found so far */
    uint64_t seen[MAX_LITS / 64];
    if (x->head == NULL || x->id_count > MAX_IDS)
        return SIZE_MAX;
    size_t words = (x->id_count + 63) / 64;
    memset(bits, 0, words * sizeof(bits[0]));
    memset(touched, 0, words * sizeof(touched[0]));
    bool mark_seen = x->lit_count <= MAX_LITS;
    if (mark_seen)
        memset(seen, 0, (x->lit_count + 63) / 64 * sizeof(seen[0]));
    for (size_t i = 0; i < x->always_count; i++)
        bits[x->always[i] / 64] |= 1ull << (x->always[i] % 64);
    const unsigned char *s = (const unsigned char *)lower.ptr;
    for (size_t i = 0; i + 1 < lower.len; i++) {
        unsigned k = (unsigned)s[i] << 8 | s[i + 1];
        uint32_t j = x->head[k], end = x->head[k + 1];
        if (j == end)
            continue;
        size_t rest = lower.len - i;
        uint32_t here = 0;
        if (rest >= 4)
            memcpy(&here, s + i, 4); /* one load, but for the last three positions */
        else
            memcpy(&here, s + i, rest);
        for (; j < end; j++) {
            const cn_lit_t *l = &x->lits[j];
            if ((here & l->mask) != l->pre || l->len > rest)
                continue;
            if (l->len > 4 && memcmp(s + i + 4, l->p + 4, l->len - 4) != 0)
                continue;
            if (mark_seen) {
                if (seen[j / 64] >> (j % 64) & 1)
                    continue;
                seen[j / 64] |= 1ull << (j % 64);
            }
            const cn_litpost_t *pp = &x->posts[l->post_first];
            for (uint32_t q = 0; q < l->post_count; q++) {
                uint32_t id = pp[q].id;
                uint64_t tb = 1ull << (id % 64);
                if (touched[id / 64] & tb) {
                    have[id] |= pp[q].set;
                } else {
                    touched[id / 64] |= tb;
                    have[id] = pp[q].set;
                }
                if (have[id] == x->need[id])
                    bits[id / 64] |= 1ull << (id % 64);
            }
        }
    }
    size_t nc = 0;
    for (size_t w = 0; w < words; w++) {
        for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
            if (nc == cap)
                return SIZE_MAX;
            out[nc++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
        }
    }
    return nc;
}

size_t cn_enrich__lower(cn_str_t s, char *dst, size_t cap)
{
    size_t n = s.len < cap ? s.len : cap;
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)s.ptr[i]);
    return n;
}

bool cn_enrich__contains(cn_str_t s, const char *needle, size_t n)
{
    if (n == 0)
        return true;
    if (s.len < n)
        return false;
    const char *p = s.ptr, *last = s.ptr + (s.len - n); /* the last place it can start */
    while ((p = memchr(p, needle[0], (size_t)(last - p) + 1)) != NULL) {
        if (memcmp(p + 1, needle + 1, n - 1) == 0)
            return true;
        if (p == last)
            return false;
        p++;
    }
    return false;
}
