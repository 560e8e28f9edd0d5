/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Funnels (fallout), paths (flow) and realtime: single passes over the hits
 * of a range in time order with per-visit (or per-visitor) state in flat
 * arrays indexed by ordinal (DESIGN.md "query").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"
#include "lib/xalloc.h"
#include "query/internal.h"
#include "query/scan.h"

/* --- Parameters from JSON or a query string, as (key, value) pairs --- */

typedef struct kv {
    char **keys, **vals;
    size_t n;
    char *segment_json; /* a JSON "segment" given as an object, in its JSON form; else NULL */
} kv_t;

static void kv_add(kv_t *kv, const char *k, size_t klen, const char *v, size_t vlen)
{
    kv->keys = cn_xrealloc(kv->keys, (kv->n + 1) * sizeof(char *));
    kv->vals = cn_xrealloc(kv->vals, (kv->n + 1) * sizeof(char *));
    kv->keys[kv->n] = cn_xstrndup(k, klen);
    kv->vals[kv->n] = cn_xstrndup(v, vlen);
    kv->n++;
}

static void kv_free(kv_t *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->keys[i]);
        free(kv->vals[i]);
    }
    free(kv->keys);
    free(kv->vals);
    free(kv->segment_json);
}

/* Adds a string, a whole number or a boolean as text; false for any other value. */
static bool kv_json_value(kv_t *kv, const char *key, json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        kv_add(kv, key, strlen(key), json_string_value(v), json_string_length(v));
    else if (json_is_integer(v)) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
        kv_add(kv, key, strlen(key), tmp, strlen(tmp));
    } else if (json_is_boolean(v))
        kv_add(kv, key, strlen(key), json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
    else
        return false;
    return true;
}

static int kv_parse(kv_t *kv, cn_str_t input, bool is_json, cn_err_t *err)
{
    memset(kv, 0, sizeof(*kv));
    if (input.len > (1u << 20))
        return cn_err_set(err, CN_ETOOBIG, "request larger than 1 MiB");
    if (!is_json) {
        cn_str_t rest = input, n, v;
        bool eq;
        while (cn_query_next(&rest, &n, &v, &eq)) {
            char *kb = cn_xmalloc(n.len + 1), *vb = cn_xmalloc(v.len + 1);
            size_t kl = cn_url_decode_to(n, kb), vl = cn_url_decode_to(v, vb);
            /* %00 would cut the text where it is (a JSON body cannot hold one either) */
            bool nul = memchr(kb, '\0', kl) != NULL || memchr(vb, '\0', vl) != NULL;
            if (!nul)
                kv_add(kv, kb, kl, vb, vl);
            free(kb);
            free(vb);
            if (nul)
                return cn_err_set(err, CN_EINVAL,
                                  "parameter %zu holds a NUL byte (%%00): parameters are text",
                                  kv->n + 1);
        }
        return 0;
    }
    json_error_t jerr;
    json_t *j = json_loadb(input.ptr ? input.ptr : "", input.len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL)
        return cn_err_set(err, CN_EPARSE, "bad JSON at line %d column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return cn_err_set(err, CN_EPARSE, "the request must be a JSON object");
    }
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(j, key, v)
    {
        if (json_is_array(v)) {
            size_t i;
            json_t *x;
            /* "steps": [...] is the JSON spelling of repeated step= */
            const char *k = strcmp(key, "steps") == 0 ? "step" : key;
            json_array_foreach(v, i, x)
            {
                if (!kv_json_value(kv, k, x)) {
                    rc = cn_err_set(err, CN_EINVAL,
                                    "'%.64s': item %zu is not a string (a condition is segment "
                                    "text)",
                                    key, i + 1);
                    break;
                }
            }
        } else if (json_is_object(v) && strcmp(key, "segment") == 0) {
            /* the segment's JSON form, as reports take it; kept apart from the parameters
             * so that it is no parameter a request could name */
            kv->segment_json = json_dumps(v, JSON_COMPACT);
        } else if (!json_is_null(v) && !kv_json_value(kv, key, v)) {
            /* null is a key left out */
            rc = cn_err_set(err, CN_EINVAL,
                            "'%.64s' must be a string, a whole number or true/false", key);
        }
        if (rc != 0)
            break;
    }
    json_decref(j);
    return rc;
}

static const char *kv_get(const kv_t *kv, const char *key)
{
    for (size_t i = kv->n; i > 0; i--) {
        if (strcmp(kv->keys[i - 1], key) == 0)
            return kv->vals[i - 1];
    }
    return NULL;
}

/* ranged: the query reads a date range (range, from, to); realtime reads the last minutes. */
static int kv_check(const kv_t *kv, const char *const *allowed, bool ranged, cn_err_t *err)
{
    for (size_t i = 0; i < kv->n; i++) {
        const char *k = kv->keys[i];
        bool range = strcmp(k, "range") == 0 || strcmp(k, "from") == 0 || strcmp(k, "to") == 0;
        if (range && !ranged)
            return cn_err_set(err, CN_EINVAL,
                              "realtime reads the last minutes=N (1..180), not a date range "
                              "('%s')",
                              k);
        bool ok =
            range || strcmp(k, "suite") == 0 || strcmp(k, "token") == 0 || strcmp(k, "bots") == 0;
        for (size_t a = 0; allowed[a] != NULL && !ok; a++)
            ok = strcmp(k, allowed[a]) == 0;
        if (!ok)
            return cn_err_set(err, CN_EINVAL, "unknown parameter '%.64s'", k);
        /* one value each (steps excepted): a second condition or limit would go unread */
        for (size_t e = 0; e < i && strcmp(k, "step") != 0; e++) {
            if (strcmp(kv->keys[e], k) == 0)
                return cn_err_set(err, CN_EINVAL, "'%.64s' is given twice (give it once)", k);
        }
    }
    return 0;
}

/* The bots parameter (cn_query__flag): false when not given. */
static int kv_bots(const kv_t *kv, bool *out, cn_err_t *err)
{
    *out = false;
    return cn_query__flag("bots", kv_get(kv, "bots"), out, err);
}

static void json_day(cn_buf_t *out, const char *name, int32_t day)
{
    int y, m, d;
    cn_store_day_to_ymd(day, &y, &m, &d);
    cn_buf_printf(out, "\"%s\":\"%04d-%02d-%02d\"", name, y, m, d);
}

/* Range and optional segment filter, shared by funnels and paths. */
static int open_range(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                      const kv_t *kv, int64_t now_us, cn_scan_t *scan, uint64_t **filter,
                      cn_err_t *err)
{
    int32_t from, to;
    int rc = cn_report_resolve_range(store, now_us, kv_get(kv, "range"), kv_get(kv, "from"),
                                     kv_get(kv, "to"), &from, &to, err);
    if (rc != 0)
        return rc;
    bool bots;
    if ((rc = kv_bots(kv, &bots, err)) != 0 ||
        (rc = cn_scan_open(scan, ctx, store, snap, from, to, bots, err)) != 0)
        return rc;
    *filter = NULL;
    const char *segtext = kv_get(kv, "segment"), *segjson = kv->segment_json;
    if (segtext != NULL || segjson != NULL) {
        cn_segment_t *seg;
        rc = segtext ? cn_segment_parse(cn_str_c(segtext), &seg, NULL, err)
                     : cn_segment_parse_json(cn_str_c(segjson), &seg, err);
        if (rc == 0) {
            rc = cn_scan_segment(scan, seg, filter);
            cn_segment_free(seg);
        }
    }
    return rc;
}

static inline bool selected(const cn_scan_t *s, const uint64_t *filter, const cn_scanseg_t *ss,
                            size_t i)
{
    uint64_t vi = ss->visit[i] - s->first_visit;
    return !s->v_bot[vi] && (filter == NULL || cn_bit_get(filter, ss->base + i));
}

/* Evaluates a condition (segment syntax) to a hit bitset; err names the parameter. */
static int condition_bits(cn_scan_t *s, const char *what, const char *text, uint64_t **out,
                          cn_err_t *err)
{
    cn_segment_t *seg;
    cn_err_t e2 = {0};
    int rc = cn_segment_parse(cn_str_c(text), &seg, NULL, &e2);
    if (rc == 0) {
        cn_err_t *saved = s->err;
        s->err = &e2;
        rc = cn_scan_segment(s, seg, out);
        s->err = saved;
        cn_segment_free(seg);
    }
    if (rc != 0)
        return cn_err_set(err, rc, "%s: %s", what, cn_err_msg(&e2, rc));
    return 0;
}

/* --- Threads by entity --- */

/*
 * Funnels and paths follow each visit (visitor) in time order, so they
 * split by entity instead of by segment: thread t owns the entities
 * [lo, hi) and reads every segment (loaded first, cn_scan_load_all), skipping
 * a segment whose visits are all outside its range. Each entity's state is
 * touched by one thread only.
 */
static void entity_range(uint64_t n, unsigned nt, unsigned t, uint64_t *lo, uint64_t *hi)
{
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

static bool seg_visits_outside(const cn_scan_t *s, const cn_scanseg_t *ss, uint64_t lo, uint64_t hi)
{
    int64_t mn, mx;
    cn_store_seg_minmax(ss->seg, CN_COL_HIT_visit, &mn, &mx);
    return (uint64_t)mx - s->first_visit < lo || (uint64_t)mn - s->first_visit >= hi;
}

/* --- Funnels --- */

#define FUNNEL_MAX_STEPS 10

typedef struct funnel_par {
    cn_scan_t *s;
    const uint64_t *filter;
    uint64_t *const *steps;
    size_t nsteps;
    bool by_visitor;
    uint64_t n; /* entities */
    unsigned nt;
    uint8_t *state, *entered;
    uint64_t entered_count[CN_QUERY_MAX_THREADS];
    /* without a segment filter: each segment's distinct visits, and the hits
     * that match any step (the others cannot move a visit) */
    const uint32_t **segvis;
    size_t *segvis_n;
    uint64_t *any;
} funnel_par_t;

/* Segment k without a filter: entries from its visits, steps from its hits
 * that match a step. Returns the entities entered. */
static uint64_t funnel_seg_fast(funnel_par_t *f, size_t k, uint64_t lo, uint64_t hi)
{
    const cn_scan_t *s = f->s;
    const cn_scanseg_t *ss = &s->segs[k];
    uint64_t count = 0;
    for (size_t j = 0; j < f->segvis_n[k]; j++) {
        uint64_t vi = f->segvis[k][j] - s->first_visit;
        uint64_t e = f->by_visitor ? s->v_visitor[vi] : vi;
        if (e < lo || e >= hi || s->v_bot[vi] || f->entered[e])
            continue;
        f->entered[e] = 1;
        count++;
    }
    uint64_t end = ss->base + ss->n;
    for (uint64_t w = ss->base >> 6; w <= (end - 1) >> 6; w++) {
        uint64_t m = f->any[w];
        if (w == ss->base >> 6)
            m &= ~0ULL << (ss->base & 63);
        if (w == (end - 1) >> 6 && (end & 63) != 0)
            m &= (1ULL << (end & 63)) - 1;
        for (; m != 0; m &= m - 1) {
            uint64_t g = w * 64 + (uint64_t)__builtin_ctzll(m);
            size_t i = (size_t)(g - ss->base);
            uint64_t vi = ss->visit[i] - s->first_visit;
            uint64_t e = f->by_visitor ? s->v_visitor[vi] : vi;
            if (e < lo || e >= hi || s->v_bot[vi])
                continue;
            uint8_t st = f->state[e];
            if (st < f->nsteps && cn_bit_get(f->steps[st], g))
                f->state[e] = st + 1;
        }
    }
    return count;
}

static void funnel_thread(void *arg, unsigned t)
{
    funnel_par_t *f = arg;
    const cn_scan_t *s = f->s;
    uint64_t lo, hi, count = 0;
    entity_range(f->n, f->nt, t, &lo, &hi);
    for (size_t k = 0; k < s->seg_count; k++) {
        const cn_scanseg_t *ss = &s->segs[k];
        if (!f->by_visitor && seg_visits_outside(s, ss, lo, hi))
            continue;
        if (f->any != NULL) {
            count += funnel_seg_fast(f, k, lo, hi);
            continue;
        }
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t vi = ss->visit[i] - s->first_visit;
            uint64_t e = f->by_visitor ? s->v_visitor[vi] : vi;
            if (e < lo || e >= hi || !selected(s, f->filter, ss, i))
                continue;
            if (!f->entered[e]) {
                f->entered[e] = 1;
                count++;
            }
            uint8_t st = f->state[e];
            if (st < f->nsteps && cn_bit_get(f->steps[st], ss->base + i))
                f->state[e] = st + 1;
        }
    }
    f->entered_count[t] = count;
}

int cn_funnel_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                   const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                   cn_err_t *err)
{
    static const char *const allowed[] = {"step", "within", "segment", NULL};
    kv_t kv;
    cn_scan_t scan;
    uint64_t *filter = NULL, *steps[FUNNEL_MAX_STEPS] = {0};
    const char *texts[FUNNEL_MAX_STEPS];
    size_t nsteps = 0;
    uint8_t *state = NULL;
    int rc = kv_parse(&kv, input, is_json, err);
    memset(&scan, 0, sizeof(scan));
    if (rc == 0)
        rc = kv_check(&kv, allowed, true, err);
    for (size_t i = 0; rc == 0 && i < kv.n; i++) {
        if (strcmp(kv.keys[i], "step") != 0)
            continue;
        if (nsteps == FUNNEL_MAX_STEPS)
            rc = cn_err_set(err, CN_EINVAL, "at most %d steps", FUNNEL_MAX_STEPS);
        else
            texts[nsteps++] = kv.vals[i];
    }
    if (rc == 0 && nsteps < 2)
        rc = cn_err_set(err, CN_EINVAL, "a funnel needs at least 2 steps (step=<condition>)");
    const char *within = kv_get(&kv, "within");
    bool by_visitor = within != NULL && strcmp(within, "visitor") == 0;
    if (rc == 0 && within != NULL && !by_visitor && strcmp(within, "visit") != 0)
        rc = cn_err_set(err, CN_EINVAL, "within must be visit or visitor");
    if (rc == 0)
        rc = open_range(ctx, store, snap, &kv, now_us, &scan, &filter, err);
    for (size_t k = 0; rc == 0 && k < nsteps; k++) {
        char what[32];
        snprintf(what, sizeof(what), "step %zu", k + 1);
        rc = condition_bits(&scan, what, texts[k], &steps[k], err);
    }
    uint64_t counts[FUNNEL_MAX_STEPS + 1] = {0};
    if (rc == 0) {
        uint64_t n = by_visitor ? scan.visitor_count : scan.visit_count;
        state = cn_xcalloc(n ? n : 1, 1);
        uint64_t *entered = cn_xcalloc((n + 63) / 64 + 1, 8);
        bool par = scan.threads > 1 && scan.seg_count > 1;
        if (par && (rc = cn_scan_load_all(&scan, CN_COL_COUNT)) == 0) {
            funnel_par_t fp = {.s = &scan,
                               .filter = filter,
                               .steps = steps,
                               .nsteps = nsteps,
                               .by_visitor = by_visitor,
                               .n = n,
                               .nt = scan.threads,
                               .state = state,
                               .entered = cn_xcalloc(n ? n : 1, 1)};
            if (filter == NULL) {
                size_t words = (scan.hit_count + 63) / 64 + 1;
                fp.any = cn_xcalloc(words, 8);
                for (size_t st = 0; st < nsteps; st++) {
                    for (size_t w = 0; w < words; w++)
                        fp.any[w] |= steps[st][w];
                }
                fp.segvis = cn_xcalloc(scan.seg_count, sizeof(*fp.segvis));
                fp.segvis_n = cn_xcalloc(scan.seg_count, sizeof(*fp.segvis_n));
                for (size_t k = 0; rc == 0 && k < scan.seg_count; k++)
                    rc = cn_scan_seg_visits(&scan, k, &fp.segvis[k], &fp.segvis_n[k]);
            }
            if (rc == 0)
                cn_query__parallel(fp.nt, funnel_thread, &fp);
            free(fp.any);
            free(fp.segvis);
            free(fp.segvis_n);
            for (unsigned t = 0; t < fp.nt; t++)
                counts[0] += fp.entered_count[t];
            free(fp.entered);
            for (size_t k = 0; k < scan.seg_count; k++)
                cn_scan_unload(&scan, k);
        }
        /* hits in time order: each hit moves its visit (visitor) one step at most */
        for (size_t k = 0; rc == 0 && !par && k < scan.seg_count; k++) {
            cn_scanseg_t *ss = &scan.segs[k];
            if ((rc = cn_scan_load(&scan, k, false, false)) != 0)
                break;
            for (size_t i = 0; i < ss->n; i++) {
                if (!selected(&scan, filter, ss, i))
                    continue;
                uint64_t vi = ss->visit[i] - scan.first_visit;
                uint64_t e = by_visitor ? scan.v_visitor[vi] : vi;
                if (!cn_bit_get(entered, e)) {
                    cn_bit_set(entered, e);
                    counts[0]++;
                }
                uint8_t st = state[e];
                if (st < nsteps && cn_bit_get(steps[st], ss->base + i))
                    state[e] = st + 1;
            }
            cn_scan_unload(&scan, k);
        }
        for (uint64_t e = 0; e < n; e++) {
            for (uint8_t s = 1; s <= state[e]; s++)
                counts[s]++;
        }
        free(entered);
    }
    if (rc == 0) {
        cn_buf_append_c(out, "{\"suite\":");
        cn_buf_append_json_str(out, cn_str_c(suite));
        cn_buf_putc(out, ',');
        json_day(out, "from", scan.from_day);
        cn_buf_putc(out, ',');
        json_day(out, "to", scan.to_day);
        cn_buf_printf(out, ",\"within\":\"%s\",\"total\":%llu,\"steps\":[",
                      by_visitor ? "visitor" : "visit", (unsigned long long)counts[0]);
        for (size_t s = 0; s < nsteps; s++) {
            uint64_t c = counts[s + 1], prev = s == 0 ? counts[0] : counts[s];
            cn_buf_append_c(out, s ? ",{\"step\":" : "{\"step\":");
            cn_buf_printf(out, "%zu,\"condition\":", s + 1);
            cn_buf_append_json_str(out, cn_str_c(texts[s]));
            cn_buf_printf(out,
                          ",\"count\":%llu,\"dropoff\":%llu,\"conversion\":", (unsigned long long)c,
                          (unsigned long long)(prev - c));
            cn_query__json_number(out, prev ? (double)c / (double)prev * 100 : 0.0,
                                  CN_UNIT_PERCENT);
            cn_buf_append_c(out, ",\"conversion_from_start\":");
            cn_query__json_number(out, counts[0] ? (double)c / (double)counts[0] * 100 : 0.0,
                                  CN_UNIT_PERCENT);
            cn_buf_putc(out, '}');
        }
        cn_buf_append_c(out, "]}");
    }
    for (size_t k = 0; k < nsteps; k++)
        free(steps[k]);
    free(state);
    free(filter);
    if (scan.segs != NULL || scan.v_bot != NULL)
        cn_scan_close(&scan);
    kv_free(&kv);
    return rc;
}

/* --- Paths --- */

typedef struct counter {
    uint64_t key;
    uint64_t count;
} counter_t;

#define PATH_NONE 0xffffffffu /* "(entry)" / "(exit)" */

/* How counted keys are named, to order equal counts by label as reports do (docs/api.md
 * "Order"): dictionary ids of dict, a pair of them (pairs), or PATH_NONE, named none. */
typedef struct label_ctx {
    const cn_store_snap_t *snap;
    int dict;
    bool pairs;
    const char *none;
} label_ctx_t;

static cn_str_t key_label(const label_ctx_t *c, uint32_t id)
{
    return id == PATH_NONE ? cn_str_c(c->none) : cn_store_snap_dict_str(c->snap, c->dict, id);
}

/* The bytes of a and b, as SQL's binary collation: a prefix first. */
static int label_cmp(cn_str_t a, cn_str_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int r = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return r != 0 ? r : a.len < b.len ? -1 : a.len > b.len;
}

/* Counts descending, then labels ascending (the first of a pair first). */
static int cmp_counter(const void *a, const void *b, void *ud)
{
    const counter_t *x = a, *y = b;
    const label_ctx_t *c = ud;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int r = 0;
    if (c->pairs)
        r = label_cmp(key_label(c, (uint32_t)(x->key >> 32)),
                      key_label(c, (uint32_t)(y->key >> 32)));
    if (r == 0)
        r = label_cmp(key_label(c, (uint32_t)x->key), key_label(c, (uint32_t)y->key));
    return r != 0 ? r : x->key < y->key ? -1 : x->key > y->key;
}

/* A small open-addressing counter table keyed by u64. */
typedef struct ctable {
    counter_t *slots;
    size_t cap, n;
} ctable_t;

static void ct_add(ctable_t *t, uint64_t key)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        counter_t *ns = cn_xcalloc(ncap, sizeof(*ns));
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].count == 0)
                continue;
            size_t j = (t->slots[i].key * 0x9e3779b97f4a7c15ULL >> 20) & (ncap - 1);
            while (ns[j].count != 0)
                j = (j + 1) & (ncap - 1);
            ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    size_t j = (key * 0x9e3779b97f4a7c15ULL >> 20) & (t->cap - 1);
    while (t->slots[j].count != 0 && t->slots[j].key != key)
        j = (j + 1) & (t->cap - 1);
    if (t->slots[j].count == 0) {
        t->slots[j].key = key;
        t->n++;
    }
    t->slots[j].count++;
}

static void ct_add_n(ctable_t *t, uint64_t key, uint64_t n)
{
    ct_add(t, key);
    size_t j = (key * 0x9e3779b97f4a7c15ULL >> 20) & (t->cap - 1);
    while (t->slots[j].key != key)
        j = (j + 1) & (t->cap - 1);
    t->slots[j].count += n - 1;
}

/*
 * A visit's path is the sequence of its steps. With repeats=include a step is a page view; with
 * repeats=exclude (the default, as "Include repeat instances" is off by default in Analysis
 * Workspace's Flow) it is a run of consecutive page views with the same value, so a reload or a
 * persisting eVar is one step. "Consecutive" is among the page views the path reads (those of
 * the segment, bots left out): other hits (link clicks, custom events) never split a run.
 *
 * A step matches the condition when one of its page views does, and it counts once, however
 * many of its page views match:
 *   next      the value of the step after it (the first value after the run that differs from
 *             it), or PATH_NONE ("(exit)") when the run ends the visit;
 *   previous  the value of the step before it (the last value before the run, which differs from
 *             it), or PATH_NONE ("(entry)") when the run starts the visit;
 *   length=2  each pair of consecutive steps once: without repeats no pair is a value and itself.
 * total is then the number of matching steps (of pairs of steps), and each row's share its count
 * over total. Repeats included, each page view is a step and these are the page-view counts.
 *
 * path_step() reads one page view of a visit in time order and says what it counts; the state
 * is per visit (arrays indexed by visit ordinal), so a visit is read by one thread only.
 */
typedef struct path_state {
    int64_t plen;     /* 2: pairs; 0: next or previous after a condition */
    bool previous;    /* previous rather than next */
    bool repeats;     /* repeats=include: every page view is a step */
    uint32_t *last;   /* the value of the visit's current step; PATH_NONE before its first */
    uint32_t *before; /* previous: the value of the step before the current one */
    uint8_t *pending; /* next: the current step matches; previous: it has been counted */
} path_state_t;

/* Reads the page view of visit vi with value cur, matching the condition or not; true when it
 * counts a key, in out: a value id or PATH_NONE, or a pair (first << 32 | second). */
static inline bool path_step(path_state_t *ps, uint64_t vi, uint32_t cur, bool match, uint64_t *out)
{
    uint32_t last = ps->last[vi];
    bool same_step = !ps->repeats && last == cur; /* PATH_NONE is never a value id */
    if (ps->plen > 0) {
        if (same_step)
            return false;
        ps->last[vi] = cur;
        *out = (uint64_t)last << 32 | cur;
        return last != PATH_NONE;
    }
    if (!ps->previous) {
        if (same_step) {
            ps->pending[vi] |= match;
            return false;
        }
        bool counts = ps->pending[vi];
        ps->pending[vi] = match;
        ps->last[vi] = cur;
        *out = cur;
        return counts;
    }
    if (!same_step) {
        ps->before[vi] = last;
        ps->last[vi] = cur;
        ps->pending[vi] = 0;
    }
    if (!match || ps->pending[vi])
        return false;
    ps->pending[vi] = 1;
    *out = ps->before[vi];
    return true;
}

typedef struct paths_par {
    cn_scan_t *s;
    const uint64_t *filter, *from_bits;
    cn_store_col_t col; /* the dimension's hit column, loaded */
    path_state_t ps;
    unsigned nt;
    ctable_t ct[CN_QUERY_MAX_THREADS];
    /* next/previous values: counts by dictionary id in flat arrays, or NULL
     * (other ids, PATH_NONE among them, go to the tables) */
    uint64_t *flat[CN_QUERY_MAX_THREADS];
    uint32_t dict_len;
} paths_par_t;

static inline void flat_add(const paths_par_t *pp, uint64_t *flat, ctable_t *ct, uint32_t id)
{
    if (flat != NULL && id < pp->dict_len)
        flat[id]++;
    else
        ct_add(ct, id);
}

static void paths_thread(void *arg, unsigned t)
{
    paths_par_t *pp = arg;
    const cn_scan_t *s = pp->s;
    ctable_t *ct = &pp->ct[t];
    uint64_t *flat = pp->flat[t];
    uint64_t lo, hi;
    entity_range(s->visit_count, pp->nt, t, &lo, &hi);
    for (size_t k = 0; k < s->seg_count; k++) {
        const cn_scanseg_t *ss = &s->segs[k];
        if (seg_visits_outside(s, ss, lo, hi))
            continue;
        const uint32_t *vals = ss->cols32[pp->col];
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t vi = ss->visit[i] - s->first_visit;
            if (vi < lo || vi >= hi || ss->type[i] != CN_HIT_PAGEVIEW ||
                !selected(s, pp->filter, ss, i))
                continue;
            bool match = pp->from_bits != NULL && cn_bit_get(pp->from_bits, ss->base + i);
            uint64_t key;
            if (!path_step(&pp->ps, vi, vals[i], match, &key))
                continue;
            if (pp->ps.plen > 0)
                ct_add(ct, key);
            else
                flat_add(pp, flat, ct, (uint32_t)key);
        }
    }
}

/* The dimensions paths take, as the catalogue names them ("page, url, ..., evar1..evar250"). */
static void paths_dims_list(char *out, size_t n)
{
    size_t count, len = 0;
    const cn_dim_def_t *dims = cn_query__dims(&count);
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        const cn_dim_def_t *d = &dims[i];
        if (cn_query__paths_dim(d, d->max_arg > 0 ? 1 : 0, NULL) != 0)
            continue;
        int w = d->max_arg > 0 ? snprintf(out + len, n - len, "%s%s1..%s%d", len ? ", " : "",
                                          d->name, d->name, d->max_arg)
                               : snprintf(out + len, n - len, "%s%s", len ? ", " : "", d->name);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

/*
 * A path is a sequence of one value per page view, and there is no documented order among the
 * values of one hit (Adobe's flows take such dimensions without saying how the values of a hit
 * follow each other), so paths refuse a dimension with several values per hit
 * (cn_query__dim_is_multi) rather than pick one value. Conditions on them are fine: a page view
 * matches when one of its values does (scan.c). A visit dimension (country, channel, entry_page,
 * exit_page...) has one value for all the page views of a visit: its path would be the value
 * followed by itself, then (exit), so paths refuse it too and name the dimensions they take.
 */
int cn_query__paths_dim(const cn_dim_def_t *d, int arg, cn_err_t *err)
{
    cn_field_t field = {.dim = d, .arg = arg};
    char dname[32], list[160];
    if (d != NULL)
        cn_query__dim_name(d, arg, dname, sizeof(dname));
    if (d == NULL || cn_field_dict(&field) < 0) {
        if (err == NULL)
            return CN_EINVAL;
        paths_dims_list(list, sizeof(list));
        if (d == NULL)
            return cn_err_set(err, CN_EINVAL, "paths need a text dimension of hits: %s", list);
        return cn_err_set(err, CN_EINVAL,
                          "paths cannot follow %s: it is not a text dimension; paths take %s",
                          dname, list);
    }
    if (cn_query__dim_is_multi(d)) {
        return cn_err_set(err, CN_EINVAL,
                          "%s has several values per hit: paths cannot follow it; use a report "
                          "(dimension=%s) or a condition on it (condition=%s = \"...\")",
                          dname, dname, dname);
    }
    if (d->src == CN_DIMSRC_VISIT_COL || d->src == CN_DIMSRC_EXIT_PAGE ||
        d->src == CN_DIMSRC_NEW_RETURN) {
        if (err == NULL)
            return CN_EINVAL;
        paths_dims_list(list, sizeof(list));
        return cn_err_set(err, CN_EINVAL,
                          "paths cannot follow %s: it has one value per visit (it would only "
                          "follow itself); paths take %s",
                          dname, list);
    }
    return 0;
}

int cn_paths_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                  const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                  cn_err_t *err)
{
    static const char *const allowed[] = {"condition", "direction", "dimension", "limit",
                                          "length",    "repeats",   "segment",   NULL};
    kv_t kv;
    cn_scan_t scan;
    memset(&scan, 0, sizeof(scan));
    uint64_t *filter = NULL, *from_bits = NULL;
    path_state_t ps = {0};
    int64_t *vals = NULL;
    ctable_t ct = {0};
    int rc = kv_parse(&kv, input, is_json, err);
    if (rc == 0)
        rc = kv_check(&kv, allowed, true, err);
    const char *dir = kv_get(&kv, "direction"), *fromc = kv_get(&kv, "condition");
    const char *dimname = kv_get(&kv, "dimension"), *lim = kv_get(&kv, "limit");
    const char *lenp = kv_get(&kv, "length"), *repeats = kv_get(&kv, "repeats");
    bool previous = dir != NULL && strcmp(dir, "previous") == 0;
    bool include = repeats != NULL && strcmp(repeats, "include") == 0;
    if (rc == 0 && repeats != NULL && !include && strcmp(repeats, "exclude") != 0)
        rc = cn_err_set(err, CN_EINVAL,
                        "repeats must be exclude (the default: consecutive page views with the "
                        "same value are one step) or include, not '%.64s'",
                        repeats);
    int64_t limit = 10, plen = 0;
    if (rc == 0 && dir != NULL && !previous && strcmp(dir, "next") != 0)
        rc = cn_err_set(err, CN_EINVAL, "direction must be next or previous");
    if (rc == 0 && lim != NULL &&
        (cn_str_to_i64(cn_str_c(lim), &limit) != 0 || limit < 0 || limit > 10000))
        rc = cn_err_set(err, CN_EINVAL, "limit must be 0 (all rows) or 1..10000");
    if (limit == 0) /* every row, as a report's limit=0 */
        limit = INT64_MAX;
    if (rc == 0 && lenp != NULL && (cn_str_to_i64(cn_str_c(lenp), &plen) != 0 || plen != 2))
        rc = cn_err_set(err, CN_EINVAL, "length must be 2 (pairs of consecutive pages)");
    if (rc == 0 && plen > 0 && (fromc != NULL || dir != NULL))
        rc = cn_err_set(err, CN_EINVAL,
                        "length=2 gives the top pairs of the range: it takes no %s (that is the "
                        "next or previous values after condition=...)",
                        fromc != NULL ? "condition" : "direction");
    if (rc == 0 && plen == 0 && fromc == NULL)
        rc = cn_err_set(err, CN_EINVAL,
                        "paths need condition=<condition> (e.g. page = \"cart\") or length=2");
    cn_field_t field = {0};
    int arg = 0;
    field.dim = cn_dim_find(cn_str_c(dimname ? dimname : "page"), &arg);
    field.arg = arg;
    if (rc == 0)
        rc = cn_query__paths_dim(field.dim, field.arg, err);
    if (rc == 0)
        rc = open_range(ctx, store, snap, &kv, now_us, &scan, &filter, err);
    if (rc == 0 && fromc != NULL && plen == 0)
        rc = condition_bits(&scan, "condition", fromc, &from_bits, err);
    int dict = rc == 0 ? cn_field_dict(&field) : -1;
    if (rc == 0) {
        size_t nv = scan.visit_count ? scan.visit_count : 1;
        ps = (path_state_t){.plen = plen, .previous = previous, .repeats = include};
        ps.last = cn_xmalloc(nv * sizeof(uint32_t));
        memset(ps.last, 0xff, nv * sizeof(uint32_t));
        if (previous && plen == 0)
            ps.before = cn_xmalloc(nv * sizeof(uint32_t));
        ps.pending = cn_xcalloc(nv, 1);
        size_t cap = 0;
        bool par = scan.threads > 1 && scan.seg_count > 1 && field.dim->src == CN_DIMSRC_HIT_COL &&
                   cn_store_col(field.dim->col)->kind == CN_COLK_DICT;
        if (par && (rc = cn_scan_load_all(&scan, field.dim->col)) == 0) {
            paths_par_t pp = {.s = &scan,
                              .filter = filter,
                              .from_bits = from_bits,
                              .col = field.dim->col,
                              .ps = ps,
                              .nt = scan.threads};
            uint64_t dlen = cn_store_snap_dict_len(snap, dict);
            if (plen == 0 && dlen < ((uint64_t)1 << 22)) {
                pp.dict_len = (uint32_t)dlen;
                for (unsigned t = 0; t < pp.nt; t++)
                    pp.flat[t] = cn_xcalloc(dlen ? dlen : 1, sizeof(uint64_t));
            }
            cn_query__parallel(pp.nt, paths_thread, &pp);
            for (unsigned t = 0; t < pp.nt; t++) {
                for (size_t i = 0; i < pp.ct[t].cap; i++) {
                    if (pp.ct[t].slots[i].count != 0)
                        ct_add_n(&ct, pp.ct[t].slots[i].key, pp.ct[t].slots[i].count);
                }
                free(pp.ct[t].slots);
                for (uint64_t id = 0; pp.flat[t] != NULL && id < dlen; id++) {
                    if (pp.flat[t][id] != 0)
                        ct_add_n(&ct, id, pp.flat[t][id]);
                }
                free(pp.flat[t]);
            }
            for (size_t k = 0; k < scan.seg_count; k++)
                cn_scan_unload(&scan, k);
        }
        for (size_t k = 0; rc == 0 && !par && k < scan.seg_count; k++) {
            cn_scanseg_t *ss = &scan.segs[k];
            if ((rc = cn_scan_load(&scan, k, false, false)) != 0)
                break;
            if (ss->n > cap) {
                cap = ss->n;
                vals = cn_xrealloc(vals, cap * sizeof(*vals));
            }
            if ((rc = cn_scan_field(&scan, k, &field, vals)) != 0)
                break;
            for (size_t i = 0; i < ss->n; i++) {
                if (ss->type[i] != CN_HIT_PAGEVIEW || !selected(&scan, filter, ss, i))
                    continue;
                uint64_t vi = ss->visit[i] - scan.first_visit;
                bool match = from_bits != NULL && cn_bit_get(from_bits, ss->base + i);
                uint64_t key;
                if (path_step(&ps, vi, (uint32_t)vals[i], match, &key))
                    ct_add(&ct, key);
            }
            cn_scan_unload(&scan, k);
        }
        /* next: a matching last step leads to the visit's exit */
        if (rc == 0 && plen == 0 && !previous) {
            for (uint64_t v = 0; v < scan.visit_count; v++) {
                if (ps.pending[v])
                    ct_add(&ct, PATH_NONE);
            }
        }
    }
    if (rc == 0) {
        counter_t *list = cn_xmalloc((ct.n + 1) * sizeof(*list));
        size_t n = 0;
        uint64_t total = 0;
        for (size_t i = 0; i < ct.cap; i++) {
            if (ct.slots[i].count != 0) {
                list[n++] = ct.slots[i];
                total += ct.slots[i].count;
            }
        }
        label_ctx_t lc = {snap, dict, plen > 0, previous ? "(entry)" : "(exit)"};
        qsort_r(list, n, sizeof(*list), cmp_counter, &lc);
        cn_buf_append_c(out, "{\"suite\":");
        cn_buf_append_json_str(out, cn_str_c(suite));
        cn_buf_putc(out, ',');
        json_day(out, "from", scan.from_day);
        cn_buf_putc(out, ',');
        json_day(out, "to", scan.to_day);
        char dname[32];
        cn_query__dim_name(field.dim, field.arg, dname, sizeof(dname));
        cn_buf_append_c(out, ",\"dimension\":");
        cn_buf_append_json_str(out, cn_str_c(dname));
        if (plen == 0) {
            cn_buf_printf(out,
                          ",\"direction\":\"%s\",\"condition\":", previous ? "previous" : "next");
            cn_buf_append_json_str(out, cn_str_c(fromc));
        } else {
            cn_buf_printf(out, ",\"length\":%lld", (long long)plen);
        }
        cn_buf_printf(out, ",\"repeats\":\"%s\",\"total\":%llu,\"rows\":[",
                      include ? "include" : "exclude", (unsigned long long)total);
        for (size_t i = 0; i < n && i < (size_t)limit; i++) {
            cn_buf_append_c(out, i ? ",{\"keys\":[" : "{\"keys\":[");
            if (plen == 0) {
                uint32_t id = (uint32_t)list[i].key;
                if (id == PATH_NONE)
                    cn_buf_append_c(out, previous ? "\"(entry)\"" : "\"(exit)\"");
                else
                    cn_buf_append_json_str(out, cn_store_snap_dict_str(snap, dict, id));
            } else {
                cn_buf_append_json_str(
                    out, cn_store_snap_dict_str(snap, dict, (uint32_t)(list[i].key >> 32)));
                cn_buf_putc(out, ',');
                cn_buf_append_json_str(out,
                                       cn_store_snap_dict_str(snap, dict, (uint32_t)list[i].key));
            }
            cn_buf_printf(out, "],\"count\":%llu,\"share\":", (unsigned long long)list[i].count);
            cn_query__json_number(out, total ? (double)list[i].count / (double)total * 100 : 0.0,
                                  CN_UNIT_PERCENT);
            cn_buf_putc(out, '}');
        }
        cn_buf_append_c(out, "]}");
        free(list);
    }
    free(ct.slots);
    free(vals);
    free(ps.last);
    free(ps.before);
    free(ps.pending);
    free(filter);
    free(from_bits);
    if (scan.segs != NULL || scan.v_bot != NULL)
        cn_scan_close(&scan);
    kv_free(&kv);
    return rc;
}

/* --- Realtime --- */

int cn_realtime_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                     const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                     cn_err_t *err)
{
    static const char *const allowed[] = {"minutes", NULL};
    kv_t kv;
    cn_scan_t scan;
    memset(&scan, 0, sizeof(scan));
    int rc = kv_parse(&kv, input, is_json, err);
    if (rc == 0)
        rc = kv_check(&kv, allowed, false, err);
    int64_t minutes = 30;
    const char *mp = kv_get(&kv, "minutes");
    if (rc == 0 && mp != NULL &&
        (cn_str_to_i64(cn_str_c(mp), &minutes) != 0 || minutes < 1 || minutes > 180))
        rc = cn_err_set(err, CN_EINVAL, "minutes must be 1..180");
    int64_t start = (now_us / 60000000 - minutes + 1) * 60000000;
    int32_t today = cn_store_day_of(store, now_us), first = cn_store_day_of(store, start);
    bool bots;
    if (rc == 0)
        rc = kv_bots(&kv, &bots, err);
    if (rc == 0)
        rc = cn_scan_open(&scan, ctx, store, snap, first, today, bots, err);
    uint64_t *pv = cn_xcalloc((size_t)minutes, 8), *hits = cn_xcalloc((size_t)minutes, 8);
    uint64_t *visitors = NULL;
    ctable_t pages = {0};
    uint64_t nvisitors = 0;
    if (rc == 0) {
        visitors = cn_xcalloc((scan.visitor_count + 63) / 64 + 1, 8);
        cn_field_t page = {.dim = cn_dim_find(CN_STR_LIT("page"), &(int){0})};
        int64_t *vals = NULL;
        size_t cap = 0;
        for (size_t k = 0; rc == 0 && k < scan.seg_count; k++) {
            cn_scanseg_t *ss = &scan.segs[k];
            int64_t mn, mx;
            cn_store_seg_minmax(ss->seg, CN_COL_HIT_ts, &mn, &mx);
            if (mx < start && !cn_store_seg_is_memory(ss->seg))
                continue;
            if ((rc = cn_scan_load(&scan, k, true, false)) != 0)
                break;
            if (ss->n > cap) {
                cap = ss->n;
                vals = cn_xrealloc(vals, cap * sizeof(*vals));
            }
            if ((rc = cn_scan_field(&scan, k, &page, vals)) != 0)
                break;
            for (size_t i = 0; i < ss->n; i++) {
                int64_t ts = ss->ts[i];
                if (ts < start || ts >= now_us + 60000000 || !selected(&scan, NULL, ss, i))
                    continue;
                size_t m = (size_t)((ts - start) / 60000000);
                if (m >= (size_t)minutes)
                    continue;
                hits[m]++;
                uint32_t visitor = scan.v_visitor[ss->visit[i] - scan.first_visit];
                if (!cn_bit_get(visitors, visitor)) {
                    cn_bit_set(visitors, visitor);
                    nvisitors++;
                }
                if (ss->type[i] == CN_HIT_PAGEVIEW) {
                    pv[m]++;
                    ct_add(&pages, (uint64_t)vals[i]);
                }
            }
            cn_scan_unload(&scan, k);
        }
        free(vals);
    }
    if (rc == 0) {
        uint64_t tpv = 0, thits = 0;
        cn_buf_append_c(out, "{\"suite\":");
        cn_buf_append_json_str(out, cn_str_c(suite));
        cn_buf_printf(out, ",\"minutes\":[");
        for (int64_t m = 0; m < minutes; m++) {
            int64_t t = start + m * 60000000;
            int64_t local = t / 1000000 + cn_store_tz_offset(store, t);
            int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
            int y, mo, d;
            cn_store_day_to_ymd((int32_t)day, &y, &mo, &d);
            int sec = (int)(local - day * 86400);
            cn_buf_printf(
                out, "%s{\"time\":\"%04d-%02d-%02dT%02d:%02d\",\"hits\":%llu,\"pageviews\":%llu}",
                m ? "," : "", y, mo, d, sec / 3600, sec / 60 % 60, (unsigned long long)hits[m],
                (unsigned long long)pv[m]);
            tpv += pv[m];
            thits += hits[m];
        }
        cn_buf_printf(out, "],\"hits\":%llu,\"pageviews\":%llu,\"visitors\":%llu,\"top_pages\":[",
                      (unsigned long long)thits, (unsigned long long)tpv,
                      (unsigned long long)nvisitors);
        counter_t *list = cn_xmalloc((pages.n + 1) * sizeof(*list));
        size_t n = 0;
        for (size_t i = 0; i < pages.cap; i++) {
            if (pages.slots[i].count != 0)
                list[n++] = pages.slots[i];
        }
        int dict = cn_store_col(CN_COL_HIT_page)->dict;
        label_ctx_t lc = {snap, dict, false, ""};
        qsort_r(list, n, sizeof(*list), cmp_counter, &lc);
        for (size_t i = 0; i < n && i < 10; i++) {
            cn_buf_append_c(out, i ? ",{\"page\":" : "{\"page\":");
            cn_buf_append_json_str(out, cn_store_snap_dict_str(snap, dict, (uint32_t)list[i].key));
            cn_buf_printf(out, ",\"pageviews\":%llu}", (unsigned long long)list[i].count);
        }
        free(list);
        cn_buf_append_c(out, "]}");
    }
    free(pv);
    free(hits);
    free(visitors);
    free(pages.slots);
    if (scan.segs != NULL || scan.v_bot != NULL)
        cn_scan_close(&scan);
    kv_free(&kv);
    return rc;
}
