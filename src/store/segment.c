/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segment files (docs/storage.md "Segments"): a 16-byte header, the pages of
 * every column, a footer that lists groups, columns and pages, and a 32-byte
 * trailer that locates the footer. Written in one go from a column source
 * (the write buffer, or the segments a merge combines); read through mmap.
 *
 * Parsing validates the whole footer before anything else is used: every
 * offset and length lies inside the file, page row counts add up, min/max
 * lie in the column kind's range and, given limits, dictionary ids, visit
 * and visitor ordinals and child-to-hit pointers lie within what the store
 * holds. A page is checked against its CRC32C when it is decoded, and every
 * decoded value against the column's min/max, so readers can index arrays by
 * what they read without further checks.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "store/internal.h"

#define SEG_MAGIC     "CNSTSEG1"
#define SEG_END_MAGIC "CNSTEND1"
#define SEG_HEADER    16
#define SEG_TRAILER   32

static void put_u8(cn_buf_t *b, uint8_t v)
{
    cn_buf_append(b, &v, 1);
}

static void put_i64(cn_buf_t *b, int64_t v)
{
    cn_buf_put_u64le(b, (uint64_t)v);
}

static bool seg_has_group(bool is_visit, cn_store_group_t g)
{
    return is_visit ? g == CN_GROUP_VISIT : g != CN_GROUP_VISIT;
}

/*
 * The derived keys of n child rows of one page (docs/storage.md "KEYED"),
 * from hit_of, the rows' `hit` (partition rows), and for
 * CN_STORE__KEY_VAR_VISIT var, the rows' var.var (may alias keys):
 *   VAR_VISIT  keys = var << 32 | visit, keys2 = var << 32 | page
 *   VAR_SLOT   keys = C | visit << 16 | events << 8 | type,
 *              keys2 = C | 1 << 62 | events << 8 | type
 *   ITEM_PAGE  keys = page << 16 | slot, keys2 = visit << 16 | slot
 * where visit, page, events and type are the hit's, slot the row's index
 * among the rows of the page with the same hit (at most 65535), and C is
 * 1 << 63 when slot > 0 (KMODE_CHAIN then combines the key with the
 * previous row's value). rd reads a hit column's segment rows [first, first + count).
 */
typedef int (*hit_reader_cb)(void *ud, cn_store_col_t col, uint64_t first, size_t count,
                             int64_t *out);

static int derived_keys(int key, const int64_t *var, const int64_t *hit_of, uint32_t n,
                        uint64_t first_row, uint64_t hits, hit_reader_cb rd, void *ud,
                        int64_t *keys, int64_t *keys2)
{
    int64_t lo = hit_of[0], hi = hit_of[0];
    for (uint32_t i = 1; i < n; i++) {
        lo = hit_of[i] < lo ? hit_of[i] : lo;
        hi = hit_of[i] > hi ? hit_of[i] : hi;
    }
    if ((uint64_t)lo < first_row || (uint64_t)hi >= first_row + hits)
        return CN_ECORRUPT;
    size_t span = (size_t)(hi - lo) + 1;
    int64_t *vis = cn_xmalloc(span * sizeof(int64_t));
    int64_t *page = cn_xmalloc(span * sizeof(int64_t));
    int64_t *ev = NULL, *type = NULL;
    int rc = rd(ud, CN_COL_HIT_visit, (uint64_t)lo - first_row, span, vis);
    if (rc == 0 && key != CN_STORE__KEY_VAR_SLOT)
        rc = rd(ud, CN_COL_HIT_page, (uint64_t)lo - first_row, span, page);
    if (rc == 0 && key == CN_STORE__KEY_VAR_SLOT) {
        ev = cn_xmalloc(span * sizeof(int64_t));
        type = cn_xmalloc(span * sizeof(int64_t));
        rc = rd(ud, CN_COL_HIT_events, (uint64_t)lo - first_row, span, ev);
        if (rc == 0)
            rc = rd(ud, CN_COL_HIT_type, (uint64_t)lo - first_row, span, type);
    }
    uint64_t slot = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint64_t v = (uint32_t)vis[hit_of[i] - lo];
        uint64_t pg = key == CN_STORE__KEY_VAR_SLOT ? 0 : (uint32_t)page[hit_of[i] - lo];
        slot = i > 0 && hit_of[i] == hit_of[i - 1] ? (slot < 0xffff ? slot + 1 : slot) : 0;
        if (key == CN_STORE__KEY_VAR_VISIT) {
            uint64_t hi32 = (uint64_t)var[i] << 32;
            keys[i] = (int64_t)(hi32 | v);
            keys2[i] = (int64_t)(hi32 | pg);
        } else if (key == CN_STORE__KEY_VAR_SLOT) {
            /* slot > 0: bit 63, the codec combines the key with the previous row's var */
            uint64_t chain = slot > 0 ? 1ull << 63 : 0;
            uint64_t et =
                (uint64_t)(uint8_t)ev[hit_of[i] - lo] << 8 | (uint8_t)type[hit_of[i] - lo];
            keys[i] = (int64_t)(chain | v << 16 | et);
            keys2[i] = (int64_t)(chain | 1ull << 62 | et);
        } else {
            keys[i] = (int64_t)(pg << 16 | slot);
            keys2[i] = (int64_t)(v << 16 | slot);
        }
    }
    free(vis);
    free(page);
    free(ev);
    free(type);
    return rc;
}

static int spec_hits(void *ud, cn_store_col_t col, uint64_t first, size_t count, int64_t *out)
{
    const cn_store__seg_spec_t *spec = ud;
    return spec->fill(spec->ud, col, first, count, out);
}

/* The key values of rows [from, from + n) of a column keyed by key (keys2:
 * the fallback key's, for the derived key). */
static int spec_keys(const cn_store__seg_spec_t *spec, int key, uint64_t from, uint32_t n,
                     int64_t *keys, int64_t *keys2, int64_t *tmp)
{
    if (key >= 0)
        return spec->fill(spec->ud, (cn_store_col_t)key, from, n, keys);
    int rc = 0;
    if (key == CN_STORE__KEY_VAR_VISIT)
        rc = spec->fill(spec->ud, CN_COL_VAR_var, from, n, keys);
    if (rc == 0)
        rc = spec->fill(spec->ud, key == CN_STORE__KEY_ITEM_PAGE ? CN_COL_ITEM_hit : CN_COL_VAR_hit,
                        from, n, tmp);
    if (rc == 0)
        rc = derived_keys(key, keys, tmp, n, spec->first_row, spec->rows[CN_GROUP_HIT], spec_hits,
                          (void *)spec, keys, keys2);
    return rc;
}

/* The stored var group of a hit segment (format 4): the logical rows read
 * from the spec, turned into changes (cn_store__vars_diff). */
typedef struct var_store {
    const cn_store__seg_spec_t *spec; /* the caller's */
    bool diff;
    cn_store__vrows_t phys;
    uint8_t *runs;
    int64_t min[3], max[3]; /* logical var.hit, var.var, var.value */
} var_store_t;

/* Reads all n rows of the ncols columns cols (n may exceed a page) as u32,
 * a page of each column in turn (a merge's sources expand their var groups once). */
static int fill_u32(const cn_store__seg_spec_t *spec, const cn_store_col_t *cols,
                    uint32_t *const *out, int ncols, uint64_t n, int64_t *tmp)
{
    for (uint64_t r = 0; r < n; r += CN_STORE_PAGE_ROWS) {
        size_t k = n - r < CN_STORE_PAGE_ROWS ? (size_t)(n - r) : CN_STORE_PAGE_ROWS;
        for (int c = 0; c < ncols; c++) {
            CN_RETURN_IF_ERR(spec->fill(spec->ud, cols[c], r, k, tmp));
            for (size_t i = 0; i < k; i++) {
                if (tmp[i] < 0 || tmp[i] > UINT32_MAX)
                    return CN_ECORRUPT;
                out[c][r + i] = (uint32_t)tmp[i];
            }
        }
    }
    return 0;
}

static int var_store_init(var_store_t *vs, const cn_store__seg_spec_t *spec, int64_t *tmp)
{
    memset(vs, 0, sizeof(*vs));
    vs->spec = spec;
    uint64_t n = spec->rows[CN_GROUP_VAR], hits = spec->rows[CN_GROUP_HIT];
    if (spec->is_visit || n == 0)
        return 0;
    cn_store__vrows_t lg;
    cn_store__vrows_alloc(&lg, n, false);
    size_t hn = hits ? (size_t)hits : 1;
    uint32_t *h32[3] = {cn_xmalloc(hn * 4), cn_xmalloc(hn * 4), cn_xmalloc(hn * 4)};
    cn_store__vhits_t vh = {h32[0], cn_xmalloc(hn), cn_xmalloc(hn)};
    const cn_store_col_t vcols[3] = {CN_COL_VAR_hit, CN_COL_VAR_var, CN_COL_VAR_value};
    uint32_t *const vout[3] = {lg.hit, lg.var, lg.value};
    const cn_store_col_t hcols[3] = {CN_COL_HIT_visit, CN_COL_HIT_type, CN_COL_HIT_events};
    int rc = fill_u32(spec, vcols, vout, 3, n, tmp);
    if (rc == 0)
        rc = fill_u32(spec, hcols, h32, 3, hits, tmp);
    for (uint64_t i = 0; i < hits && rc == 0; i++) {
        vh.type[i] = (uint8_t)h32[1][i];
        vh.events[i] = (uint8_t)h32[2][i];
    }
    if (rc == 0) {
        const uint32_t *c[3] = {lg.hit, lg.var, lg.value};
        for (int k = 0; k < 3; k++) {
            vs->min[k] = vs->max[k] = c[k][0];
            for (uint64_t i = 1; i < n; i++) {
                vs->min[k] = c[k][i] < vs->min[k] ? c[k][i] : vs->min[k];
                vs->max[k] = c[k][i] > vs->max[k] ? c[k][i] : vs->max[k];
            }
        }
        vs->runs = cn_xmalloc(hits ? hits : 1);
        vs->diff = cn_store__vars_diff(&lg, &vh, hits, spec->first_row, &vs->phys, vs->runs);
        if (!vs->diff) {
            free(vs->runs);
            vs->runs = NULL;
        }
    }
    cn_store__vrows_dispose(&lg);
    for (int k = 0; k < 3; k++)
        free(h32[k]);
    free(vh.type);
    free(vh.events);
    /* a source whose var rows are not u32 is encoded row for row (and fails there) */
    return rc == CN_ECORRUPT ? 0 : rc;
}

static void var_store_dispose(var_store_t *vs)
{
    cn_store__vrows_dispose(&vs->phys);
    free(vs->runs);
}

/* A fill callback over var_store_t: the var group's stored rows, the "op"
 * and "runs" columns, and everything else from the caller's source. */
static int var_store_fill(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    const var_store_t *vs = ud;
    const uint32_t *src = NULL;
    if (col == CN_STORE__XCOL_HIT_RUNS) {
        for (size_t i = 0; i < n; i++)
            out[i] = vs->runs[from + i];
        return 0;
    }
    if (col == CN_STORE__XCOL_VAR_OP) {
        for (size_t i = 0; i < n; i++)
            out[i] = vs->phys.op[from + i];
        return 0;
    }
    if (col == CN_COL_VAR_hit)
        src = vs->phys.hit;
    else if (col == CN_COL_VAR_var)
        src = vs->phys.var;
    else if (col == CN_COL_VAR_value)
        src = vs->phys.value;
    if (!src)
        return vs->spec->fill(vs->spec->ud, col, from, n, out);
    for (size_t i = 0; i < n; i++)
        out[i] = src[from + i];
    return 0;
}

typedef struct enc_bufs {
    int64_t *vals, *kvals, *kvals2, *ktmp;
    void *zctx;
} enc_bufs_t;

/* The footer entry and pages of column c (a catalogue column or
 * CN_STORE__XCOL_*) over rows stored rows; mm: the min/max to record
 * instead of the stored values' (NULL: theirs). */
static int encode_column(const cn_store__seg_spec_t *spec, cn_store_col_t c, uint64_t rows,
                         const int64_t *mm, enc_bufs_t *eb, cn_buf_t *out, cn_buf_t *footer,
                         cn_err_t *err)
{
    bool x = (size_t)c >= CN_COL_COUNT;
    const cn_store_col_info_t *ci = x ? NULL : cn_store_col(c);
    const char *name = !x ? ci->name : c == CN_STORE__XCOL_VAR_OP ? "op" : "runs";
    const char *gname = !x                           ? cn_store_group_name(ci->group)
                        : c == CN_STORE__XCOL_VAR_OP ? "var"
                                                     : "hit";
    size_t nl = strlen(name);
    put_u8(footer, (uint8_t)nl);
    cn_buf_append(footer, name, nl);
    put_u8(footer, (uint8_t)(x ? CN_COLK_U8 : ci->kind));
    int key = x ? CN_STORE__KEY_NONE : cn_store__col_key(c);
    /* KEYED is tried only with zstd (merges): quick flushes skip the keys */
    bool use_key = key != CN_STORE__KEY_NONE && spec->zstd_level > 0;
    const char *kname = key >= 0 ? cn_store_col(key)->name : cn_store__key_name(key);
    put_u8(footer, (uint8_t)strlen(kname));
    cn_buf_append(footer, kname, strlen(kname));
    uint32_t npages = (uint32_t)((rows + CN_STORE_PAGE_ROWS - 1) / CN_STORE_PAGE_ROWS);
    cn_buf_t pages = CN_BUF_INIT;
    int64_t mn = 0, mx = 0;
    for (uint32_t p = 0; p < npages; p++) {
        uint64_t from = (uint64_t)p * CN_STORE_PAGE_ROWS;
        uint32_t n =
            (uint32_t)(rows - from < CN_STORE_PAGE_ROWS ? rows - from : CN_STORE_PAGE_ROWS);
        int rc = spec->fill(spec->ud, c, from, n, eb->vals);
        if (rc == 0 && use_key)
            rc = spec_keys(spec, key, from, n, eb->kvals, eb->kvals2, eb->ktmp);
        if (rc < 0) {
            cn_buf_dispose(&pages);
            return cn_err_set(err, rc, "reading column %s.%s rows %llu..: %s", gname, name,
                              (unsigned long long)from, cn_strerror(rc));
        }
        cn_store__page_t pg;
        size_t off = out->len;
        int64_t pmx; /* the page's minimum is its base */
        cn_store__page_encode_mx(eb->vals, use_key ? eb->kvals : NULL,
                                 use_key && key < 0 ? eb->kvals2 : NULL,
                                 cn_store__key_mode(key) | cn_store__col_hints(c), n,
                                 spec->zstd_level, out, &pg, eb->zctx, &pmx);
        if (p == 0 || pg.base < mn)
            mn = pg.base;
        if (p == 0 || pmx > mx)
            mx = pmx;
        cn_buf_put_u64le(&pages, off);
        cn_buf_put_u32le(&pages, pg.stored_len);
        cn_buf_put_u32le(&pages, pg.raw_len);
        cn_buf_put_u32le(&pages, pg.rows);
        put_u8(&pages, pg.enc);
        put_u8(&pages, pg.width);
        put_u8(&pages, pg.zstd);
        put_u8(&pages, 0);
        put_i64(&pages, pg.base);
        cn_buf_put_u32le(&pages, cn_crc32c(0, out->ptr + off, pg.stored_len));
    }
    put_i64(footer, mm ? mm[0] : mn);
    put_i64(footer, mm ? mm[1] : mx);
    cn_buf_put_u32le(footer, npages);
    cn_buf_append(footer, pages.ptr, pages.len);
    cn_buf_dispose(&pages);
    return 0;
}

int cn_store__seg_encode(const cn_store__seg_spec_t *spec_in, cn_buf_t *out, cn_err_t *err)
{
    cn_buf_t footer = CN_BUF_INIT;
    enc_bufs_t eb = {cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t)),
                     cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t)),
                     cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t)),
                     cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t)),
                     spec_in->zstd_level > 0 ? cn_store__zctx_new() : NULL};
    var_store_t vs;
    int rc = var_store_init(&vs, spec_in, eb.vals);
    if (rc < 0) {
        cn_err_set(err, rc, "reading the var group: %s", cn_strerror(rc));
        goto done;
    }
    /* the var group's columns come from its stored rows */
    cn_store__seg_spec_t spec_v = *spec_in;
    if (vs.diff) {
        spec_v.fill = var_store_fill;
        spec_v.ud = &vs;
    }
    const cn_store__seg_spec_t *spec = &spec_v;
    cn_buf_clear(out);
    cn_buf_append(out, SEG_MAGIC, 8);
    cn_buf_put_u32le(out, CN_STORE_FORMAT);
    cn_buf_put_u32le(out, 0);

    uint32_t ngroups = 0;
    for (int g = 0; g < CN_GROUP_COUNT; g++)
        ngroups += seg_has_group(spec->is_visit, (cn_store_group_t)g);
    cn_buf_put_u32le(&footer, spec->is_visit ? 0 : 1);
    cn_buf_put_u32le(&footer, (uint32_t)spec->day);
    cn_buf_put_u64le(&footer, spec->first_row);
    cn_buf_put_u32le(&footer, ngroups);
    for (int g = 0; g < CN_GROUP_COUNT && rc == 0; g++) {
        if (!seg_has_group(spec->is_visit, (cn_store_group_t)g))
            continue;
        uint64_t rows = spec->rows[g];
        bool var = g == CN_GROUP_VAR && vs.diff;
        uint64_t stored = var ? vs.phys.n : rows;
        /* the hit and var groups of a diffed var group have one more column each */
        bool extra = vs.diff && (g == CN_GROUP_HIT || g == CN_GROUP_VAR);
        cn_buf_put_u32le(&footer, (uint32_t)g);
        cn_buf_put_u64le(&footer, rows);
        cn_buf_put_u64le(&footer, stored);
        cn_store_col_t first = cn_store_group_first((cn_store_group_t)g);
        size_t ncols = cn_store_group_cols((cn_store_group_t)g);
        cn_buf_put_u32le(&footer, (uint32_t)(ncols + extra));
        for (size_t c = first; c < first + ncols && rc == 0; c++) {
            int64_t mm[2];
            if (var) {
                size_t k = c == CN_COL_VAR_hit ? 0 : c == CN_COL_VAR_var ? 1 : 2;
                mm[0] = vs.min[k];
                mm[1] = vs.max[k];
            }
            rc = encode_column(spec, (cn_store_col_t)c, stored, var ? mm : NULL, &eb, out, &footer,
                               err);
        }
        if (extra && rc == 0)
            rc = encode_column(spec,
                               g == CN_GROUP_VAR ? CN_STORE__XCOL_VAR_OP : CN_STORE__XCOL_HIT_RUNS,
                               stored, NULL, &eb, out, &footer, err);
    }
    if (rc < 0)
        goto done;
    uint64_t footer_off = out->len;
    cn_buf_append(out, footer.ptr, footer.len);
    cn_buf_put_u64le(out, footer_off);
    cn_buf_put_u64le(out, footer.len);
    cn_buf_put_u32le(out, cn_crc32c(0, footer.ptr, footer.len));
    cn_buf_put_u32le(out, CN_STORE_FORMAT);
    cn_buf_append(out, SEG_END_MAGIC, 8);
done:
    var_store_dispose(&vs);
    cn_buf_dispose(&footer);
    free(eb.vals);
    free(eb.kvals);
    free(eb.kvals2);
    free(eb.ktmp);
    cn_store__zctx_free(eb.zctx);
    return rc;
}

/* --- Parsing --- */

typedef struct cursor {
    const uint8_t *base, *p, *end;
    const char *name;
    cn_err_t *err;
} cursor_t;

static int corrupt(cursor_t *c, const char *what)
{
    return cn_err_set(c->err, CN_ECORRUPT, "%s: offset %zu: %s", c->name, (size_t)(c->p - c->base),
                      what);
}

static int need(cursor_t *c, size_t n, const char *what)
{
    if ((size_t)(c->end - c->p) < n)
        return corrupt(c, what);
    return 0;
}

static int rd_u8(cursor_t *c, uint8_t *v, const char *what)
{
    CN_RETURN_IF_ERR(need(c, 1, what));
    *v = *c->p++;
    return 0;
}

static int rd_u32(cursor_t *c, uint32_t *v, const char *what)
{
    CN_RETURN_IF_ERR(need(c, 4, what));
    *v = cn_load_u32le(c->p);
    c->p += 4;
    return 0;
}

static int rd_u64(cursor_t *c, uint64_t *v, const char *what)
{
    CN_RETURN_IF_ERR(need(c, 8, what));
    *v = cn_load_u64le(c->p);
    c->p += 8;
    return 0;
}

static void seg_free(cn_store_seg_t *seg)
{
    if (seg->is_mem) {
        cn_store__membuf_unref(seg->mem);
    } else {
        if (seg->mapped && seg->map_len > 0)
            munmap((void *)seg->map, seg->map_len);
        free(seg->page_store);
        free(seg->path);
    }
    free(seg);
}

cn_store_seg_t *cn_store__seg_ref(cn_store_seg_t *seg)
{
    atomic_fetch_add(&seg->refs, 1);
    return seg;
}

void cn_store__seg_unref(cn_store_seg_t *seg)
{
    if (seg && atomic_fetch_sub(&seg->refs, 1) == 1)
        seg_free(seg);
}

static int check_limits(cursor_t *c, cn_store_seg_t *seg, const cn_store__seg_limits_t *lim)
{
    for (size_t col = 0; col < CN_COL_COUNT; col++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)col);
        const cn_store__colmeta_t *m = &seg->cols[col];
        if (!m->present || seg->rows[ci->group] == 0)
            continue;
        char what[160];
        if (ci->kind == CN_COLK_DICT && lim && (uint64_t)m->max >= lim->dict_len[ci->dict]) {
            snprintf(what, sizeof(what), "column %s.%s: id %lld beyond dictionary %s (%u entries)",
                     cn_store_group_name(ci->group), ci->name, (long long)m->max,
                     cn_store_dict_name(ci->dict), lim->dict_len[ci->dict]);
            return corrupt(c, what);
        }
        if (col == CN_COL_HIT_visit && lim && (uint64_t)m->max >= lim->visits) {
            snprintf(what, sizeof(what), "hit.visit %lld beyond the %llu visits", (long long)m->max,
                     (unsigned long long)lim->visits);
            return corrupt(c, what);
        }
        if (col == CN_COL_VISIT_visitor && lim && (uint64_t)m->max >= lim->visitors) {
            snprintf(what, sizeof(what), "visit.visitor %lld beyond the %llu visitors",
                     (long long)m->max, (unsigned long long)lim->visitors);
            return corrupt(c, what);
        }
        if ((col == CN_COL_ITEM_hit || col == CN_COL_VAR_hit || col == CN_COL_EVENT_hit) &&
            ((uint64_t)m->min < seg->first_row ||
             (uint64_t)m->max >= seg->first_row + seg->rows[CN_GROUP_HIT])) {
            snprintf(what, sizeof(what), "%s.hit points outside the segment's hits",
                     cn_store_group_name(ci->group));
            return corrupt(c, what);
        }
    }
    return 0;
}

int cn_store__seg_parse(const uint8_t *p, size_t len, const char *name,
                        const cn_store__seg_limits_t *limits, cn_store_seg_t **out, cn_err_t *err)
{
    cursor_t c = {p, p, p + len, name, err};
    *out = NULL;
    if (len < SEG_HEADER + SEG_TRAILER || memcmp(p, SEG_MAGIC, 8) != 0)
        return corrupt(&c, "not a segment file (bad header)");
    uint32_t version = cn_load_u32le(p + 8);
    if (version < CN_STORE_FORMAT_MIN || version > CN_STORE_FORMAT)
        return cn_err_set(err, CN_EVERSION, "%s: segment format %u, this canton reads %u to %u",
                          name, version, CN_STORE_FORMAT_MIN, CN_STORE_FORMAT);
    if (cn_load_u32le(p + 12) != 0)
        return corrupt(&c, "reserved header bytes are not zero");
    const uint8_t *tr = p + len - SEG_TRAILER;
    c.p = tr;
    if (memcmp(tr + 24, SEG_END_MAGIC, 8) != 0 || cn_load_u32le(tr + 20) != version)
        return corrupt(&c, "bad trailer (torn or truncated file)");
    uint64_t foff = cn_load_u64le(tr), flen = cn_load_u64le(tr + 8);
    uint32_t fcrc = cn_load_u32le(tr + 16);
    if (foff < SEG_HEADER || foff > len - SEG_TRAILER || flen != len - SEG_TRAILER - foff)
        return corrupt(&c, "footer offset or length out of bounds");
    if (cn_crc32c(0, p + foff, flen) != fcrc) {
        c.p = p + foff;
        return corrupt(&c, "footer checksum mismatch");
    }

    cn_store_seg_t *seg = cn_xcalloc(1, sizeof(*seg));
    atomic_init(&seg->refs, 1);
    static atomic_uint_fast64_t next_uid;
    seg->uid = atomic_fetch_add(&next_uid, 1) + 1;
    seg->map = p;
    seg->map_len = len;
    c.p = p + foff;
    c.end = p + foff + flen;
    int rc;
    uint32_t kind, day, ngroups;
    size_t npages_total = 0, pages_cap = 0;
    cn_store__pageref_t **pagelists = cn_xcalloc(CN_STORE__NCOLS, sizeof(*pagelists));
    if ((rc = rd_u32(&c, &kind, "truncated footer")) < 0 ||
        (rc = rd_u32(&c, &day, "truncated footer")) < 0 ||
        (rc = rd_u64(&c, &seg->first_row, "truncated footer")) < 0 ||
        (rc = rd_u32(&c, &ngroups, "truncated footer")) < 0)
        goto fail;
    if (kind > 1) {
        rc = corrupt(&c, "unknown segment kind");
        goto fail;
    }
    seg->is_visit = kind == 0;
    seg->day = (int32_t)day;
    if (ngroups > CN_GROUP_COUNT) {
        rc = corrupt(&c, "too many groups");
        goto fail;
    }
    bool seen_group[CN_GROUP_COUNT] = {0};
    for (uint32_t gi = 0; gi < ngroups; gi++) {
        uint32_t g, ncols;
        uint64_t rows, stored;
        if ((rc = rd_u32(&c, &g, "truncated group")) < 0 ||
            (rc = rd_u64(&c, &rows, "truncated group")) < 0 ||
            (rc = rd_u64(&c, &stored, "truncated group")) < 0 ||
            (rc = rd_u32(&c, &ncols, "truncated group")) < 0)
            goto fail;
        if (g >= CN_GROUP_COUNT || seen_group[g] || !seg_has_group(seg->is_visit, g)) {
            rc = corrupt(&c, "unexpected or repeated group");
            goto fail;
        }
        seen_group[g] = true;
        if (rows > CN_STORE__MAX_GROUP_ROWS || stored > CN_STORE__MAX_GROUP_ROWS) {
            rc = corrupt(&c, "group row count too large");
            goto fail;
        }
        /* only the var group stores other rows than it holds (format 4, "op") */
        if (stored != rows && g != CN_GROUP_VAR) {
            rc = corrupt(&c, "stored rows differ from the group's rows");
            goto fail;
        }
        seg->rows[g] = rows;
        if (g == CN_GROUP_VAR)
            seg->var_stored = stored;
        uint64_t want_pages = (stored + CN_STORE_PAGE_ROWS - 1) / CN_STORE_PAGE_ROWS;
        if (ncols > 4096) {
            rc = corrupt(&c, "too many columns");
            goto fail;
        }
        for (uint32_t ki = 0; ki < ncols; ki++) {
            uint8_t nl, ck;
            if ((rc = rd_u8(&c, &nl, "truncated column")) < 0 ||
                (rc = need(&c, nl, "truncated column name")) < 0)
                goto fail;
            cn_str_t cname = cn_str((const char *)c.p, nl);
            c.p += nl;
            uint8_t kl;
            if ((rc = rd_u8(&c, &ck, "truncated column")) < 0 ||
                (rc = rd_u8(&c, &kl, "truncated column")) < 0 ||
                (rc = need(&c, kl, "truncated key column name")) < 0)
                goto fail;
            cn_str_t kname = cn_str((const char *)c.p, kl);
            c.p += kl;
            uint64_t mn, mx;
            uint32_t npages;
            if ((rc = rd_u64(&c, &mn, "truncated column")) < 0 ||
                (rc = rd_u64(&c, &mx, "truncated column")) < 0 ||
                (rc = rd_u32(&c, &npages, "truncated column")) < 0)
                goto fail;
            if (npages != want_pages) {
                rc = corrupt(&c, "page count does not match the row count");
                goto fail;
            }
            if ((uint64_t)(c.end - c.p) / 36 < npages) {
                rc = corrupt(&c, "page table runs past the footer");
                goto fail;
            }
            cn_store_col_t col = cn_store_col_find((cn_store_group_t)g, cname);
            bool known = col != CN_COL_COUNT;
            if (!known && g == CN_GROUP_VAR && cn_str_eq_c(cname, "op")) {
                col = CN_STORE__XCOL_VAR_OP;
                known = true;
            } else if (!known && g == CN_GROUP_HIT && cn_str_eq_c(cname, "runs")) {
                col = CN_STORE__XCOL_HIT_RUNS;
                known = true;
            }
            cn_store__colmeta_t *m = NULL;
            if (known) {
                bool x = (size_t)col >= CN_COL_COUNT;
                cn_colk_t ckind = x ? CN_COLK_U8 : cn_store_col(col)->kind;
                m = &seg->cols[col];
                int64_t kmin, kmax;
                cn_store__kind_range(ckind, &kmin, &kmax);
                if (m->present || ck != ckind || (int64_t)mn > (int64_t)mx || (x && kl > 0) ||
                    (int64_t)mn < kmin || (int64_t)mx > kmax) {
                    rc = corrupt(&c, "column repeated, of the wrong kind or with a bad range");
                    goto fail;
                }
                m->key = CN_STORE__KEY_NONE;
                int dk = kl > 0 ? cn_store__key_find(col, kname) : CN_STORE__KEY_NONE;
                if (dk != CN_STORE__KEY_NONE) {
                    m->key = dk;
                } else if (kl > 0) {
                    cn_store_col_t kc = cn_store_col_find((cn_store_group_t)g, kname);
                    if (kc == CN_COL_COUNT || kc == col) {
                        rc = corrupt(&c, "unknown key column");
                        goto fail;
                    }
                    m->key = (int)kc;
                }
                m->present = true;
                m->min = (int64_t)mn;
                m->max = (int64_t)mx;
                m->page_count = npages;
                pagelists[col] = cn_xmalloc((npages ? npages : 1) * sizeof(cn_store__pageref_t));
            }
            for (uint32_t pi = 0; pi < npages; pi++) {
                cn_store__pageref_t pr;
                uint8_t pad;
                uint64_t base;
                memset(&pr, 0, sizeof(pr));
                const uint8_t *at = c.p;
                if ((rc = rd_u64(&c, &pr.off, "truncated page")) < 0 ||
                    (rc = rd_u32(&c, &pr.pg.stored_len, "truncated page")) < 0 ||
                    (rc = rd_u32(&c, &pr.pg.raw_len, "truncated page")) < 0 ||
                    (rc = rd_u32(&c, &pr.pg.rows, "truncated page")) < 0 ||
                    (rc = rd_u8(&c, &pr.pg.enc, "truncated page")) < 0 ||
                    (rc = rd_u8(&c, &pr.pg.width, "truncated page")) < 0 ||
                    (rc = rd_u8(&c, &pr.pg.zstd, "truncated page")) < 0 ||
                    (rc = rd_u8(&c, &pad, "truncated page")) < 0 ||
                    (rc = rd_u64(&c, &base, "truncated page")) < 0 ||
                    (rc = rd_u32(&c, &pr.crc, "truncated page")) < 0)
                    goto fail;
                pr.pg.base = (int64_t)base;
                uint64_t prow = (uint64_t)pi * CN_STORE_PAGE_ROWS;
                uint64_t expect =
                    stored - prow < CN_STORE_PAGE_ROWS ? stored - prow : CN_STORE_PAGE_ROWS;
                if (pr.pg.rows != expect || pr.off < SEG_HEADER || pr.off > foff ||
                    pr.pg.stored_len > foff - pr.off || pr.pg.enc > CN_STORE__ENC_MAX ||
                    pr.pg.raw_len > CN_STORE__MAX_RAW_PAGE) {
                    c.p = at;
                    rc = corrupt(&c, "page entry out of bounds");
                    goto fail;
                }
                if (m)
                    pagelists[col][pi] = pr;
            }
            npages_total += m ? npages : 0;
        }
    }
    if (c.p != c.end) {
        rc = corrupt(&c, "trailing bytes in the footer");
        goto fail;
    }
    (void)pages_cap;
    /* one allocation for every page table */
    seg->page_store = cn_xmalloc((npages_total ? npages_total : 1) * sizeof(cn_store__pageref_t));
    size_t k = 0;
    for (size_t col = 0; col < CN_STORE__NCOLS; col++) {
        if (!pagelists[col])
            continue;
        memcpy(seg->page_store + k, pagelists[col],
               seg->cols[col].page_count * sizeof(cn_store__pageref_t));
        seg->cols[col].pages = seg->page_store + k;
        k += seg->cols[col].page_count;
        free(pagelists[col]);
        pagelists[col] = NULL;
    }
    free(pagelists);
    pagelists = NULL;
    c.p = p + foff;
    /* key columns: present, and no cycle (a chain longer than the columns is one) */
    for (size_t col = 0; col < CN_COL_COUNT; col++) {
        int kc = seg->cols[col].present ? seg->cols[col].key : -1;
        for (size_t steps = 0; kc >= 0; steps++) {
            if (!seg->cols[kc].present || steps >= CN_COL_COUNT) {
                rc = corrupt(&c, "key column missing or keys in a cycle");
                goto fail;
            }
            kc = seg->cols[kc].key;
        }
    }
    /* a derived key reads its child's hit, hit.visit and hit.page, none of them keyed
     * (and var@visit/page var.var, keyed at most by slot@visit/page) */
    for (size_t col = 0; col < CN_COL_COUNT; col++) {
        int key = seg->cols[col].present ? seg->cols[col].key : CN_STORE__KEY_NONE;
        if (key >= CN_STORE__KEY_NONE)
            continue;
        cn_store_col_t need_cols[] = {
            key == CN_STORE__KEY_ITEM_PAGE ? CN_COL_ITEM_hit : CN_COL_VAR_hit, CN_COL_HIT_visit,
            CN_COL_HIT_page, key == CN_STORE__KEY_VAR_VISIT ? CN_COL_VAR_var : CN_COL_HIT_events,
            CN_COL_HIT_type};
        size_t nn = key == CN_STORE__KEY_ITEM_PAGE ? 3 : key == CN_STORE__KEY_VAR_VISIT ? 4 : 5;
        for (size_t i = 0; i < nn; i++) {
            const cn_store__colmeta_t *nm = &seg->cols[need_cols[i]];
            if (!nm->present ||
                (nm->key != CN_STORE__KEY_NONE &&
                 !(need_cols[i] == CN_COL_VAR_var && nm->key == CN_STORE__KEY_VAR_SLOT))) {
                rc = corrupt(&c, "a derived key needs its columns present and unkeyed");
                goto fail;
            }
        }
    }
    /* format 4: a var group stored as changes has both "op" and "runs" and
     * its three columns; any other stores its rows as they are */
    seg->var_diff = seg->cols[CN_STORE__XCOL_VAR_OP].present;
    if (seg->var_diff != seg->cols[CN_STORE__XCOL_HIT_RUNS].present ||
        (!seg->var_diff && seg->var_stored != seg->rows[CN_GROUP_VAR]) ||
        (seg->var_diff &&
         (!seg->cols[CN_COL_VAR_hit].present || !seg->cols[CN_COL_VAR_var].present ||
          !seg->cols[CN_COL_VAR_value].present))) {
        rc = corrupt(&c, "var group: columns op, runs, hit, var and value not all present");
        goto fail;
    }
    if ((rc = check_limits(&c, seg, limits)) < 0)
        goto fail;
    *out = seg;
    return 0;
fail:
    if (pagelists) {
        for (size_t col = 0; col < CN_STORE__NCOLS; col++)
            free(pagelists[col]);
        free(pagelists);
    }
    seg_free(seg);
    return rc;
}

int cn_store__seg_open(const char *path, uint64_t file_id, const cn_store__seg_limits_t *limits,
                       cn_store_seg_t **out, cn_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = -errno;
        close(fd);
        return cn_err_set(err, e, "%s: %s", path, strerror(-e));
    }
    size_t len = (size_t)st.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            int e = -errno;
            close(fd);
            return cn_err_set(err, e, "%s: mmap: %s", path, strerror(-e));
        }
    }
    close(fd);
    int rc = cn_store__seg_parse(map ? map : (const uint8_t *)"", len, path, limits, out, err);
    if (rc < 0) {
        if (map)
            munmap(map, len);
        return rc;
    }
    (*out)->mapped = map != NULL;
    (*out)->path = cn_xstrdup(path);
    (*out)->file_id = file_id;
    return 0;
}

/* --- Reading --- */

/*
 * Per thread: the last few decoded pages of the columns other columns' keys
 * read (a KEYED page decodes its key's page, and a query reads the key
 * column too), found by segment uid, column and page; and a pool of page
 * buffers, so that decoding does not map and unmap memory page after page.
 * Segments are immutable and uids never reused, so an entry never goes stale.
 * Also the logical var rows of the last VX_N segments whose var group is
 * stored as changes (expanded whole: a reader reads hit, var and value in turn).
 */
#define PCACHE_N 8
#define POOL_N   12
#define VX_N     2

typedef struct pcache {
    struct {
        uint64_t uid, pi, tick;
        int col;
        uint32_t rows;
        int64_t *v;
    } e[PCACHE_N];
    uint64_t tick;
    int64_t *pool[POOL_N];
    int npool;
    struct {
        uint64_t uid, tick; /* uid 0: empty */
        cn_store__vrows_t r;
    } vx[VX_N];
} pcache_t;

static pthread_key_t pc_key;
static pthread_once_t pc_once = PTHREAD_ONCE_INIT;
static bool pc_source[CN_STORE__NCOLS];

static void pc_free(void *p)
{
    pcache_t *c = p;
    for (int i = 0; i < PCACHE_N; i++)
        free(c->e[i].v);
    for (int i = 0; i < c->npool; i++)
        free(c->pool[i]);
    for (int i = 0; i < VX_N; i++)
        cn_store__vrows_dispose(&c->vx[i].r);
    free(c);
}

static void pc_init(void)
{
    CN_ASSERT(pthread_key_create(&pc_key, pc_free) == 0);
    static const cn_store_col_t derived_src[] = {
        CN_COL_VAR_var,  CN_COL_VAR_hit,    CN_COL_ITEM_hit, CN_COL_HIT_visit,
        CN_COL_HIT_page, CN_COL_HIT_events, CN_COL_HIT_type};
    for (size_t i = 0; i < sizeof(derived_src) / sizeof(derived_src[0]); i++)
        pc_source[derived_src[i]] = true;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        int k = cn_store__col_key((cn_store_col_t)c);
        if (k >= 0)
            pc_source[k] = true;
    }
}

static pcache_t *pc_get(void)
{
    pthread_once(&pc_once, pc_init);
    pcache_t *c = pthread_getspecific(pc_key);
    if (!c) {
        c = cn_xcalloc(1, sizeof(*c));
        pthread_setspecific(pc_key, c);
    }
    return c;
}

static int64_t *page_buf(void)
{
    pcache_t *c = pc_get();
    return c->npool > 0 ? c->pool[--c->npool] : cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
}

static void page_buf_put(int64_t *p)
{
    if (!p)
        return;
    pcache_t *c = pc_get();
    if (c->npool < POOL_N)
        c->pool[c->npool++] = p;
    else
        free(p);
}

static bool pc_find(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t pi, int64_t *dst)
{
    if (!pc_source[col])
        return false;
    pcache_t *c = pc_get();
    for (int i = 0; i < PCACHE_N; i++)
        if (c->e[i].v && c->e[i].uid == seg->uid && c->e[i].col == (int)col && c->e[i].pi == pi) {
            memcpy(dst, c->e[i].v, c->e[i].rows * sizeof(int64_t));
            c->e[i].tick = ++c->tick;
            return true;
        }
    return false;
}

static void pc_put(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t pi, uint32_t rows,
                   const int64_t *src)
{
    if (!pc_source[col])
        return;
    pcache_t *c = pc_get();
    int victim = 0;
    for (int i = 1; i < PCACHE_N; i++)
        if (c->e[i].tick < c->e[victim].tick)
            victim = i;
    if (!c->e[victim].v)
        c->e[victim].v = cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    memcpy(c->e[victim].v, src, rows * sizeof(int64_t));
    c->e[victim].uid = seg->uid;
    c->e[victim].col = (int)col;
    c->e[victim].pi = pi;
    c->e[victim].rows = rows;
    c->e[victim].tick = ++c->tick;
}

static int derived_page(const cn_store_seg_t *seg, int key, uint64_t pi, uint32_t rows,
                        int64_t **out, int64_t **out2, int depth, cn_err_t *err);

/* "group.name" of a column or a physical-only column, for messages. */
static void col_label(cn_store_col_t col, char *buf, size_t len)
{
    if (col == CN_STORE__XCOL_VAR_OP)
        snprintf(buf, len, "var.op");
    else if (col == CN_STORE__XCOL_HIT_RUNS)
        snprintf(buf, len, "hit.runs");
    else
        snprintf(buf, len, "%s.%s", cn_store_group_name(cn_store_col(col)->group),
                 cn_store_col(col)->name);
}

/*
 * Decodes page pi of col into dst (CN_STORE_PAGE_ROWS values): checksum,
 * payload, and every value within the column's min/max. A KEYED page first
 * decodes the same page of its key column (depth bounds the chain; the
 * parser refused cycles).
 */
static int decode_page(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t pi, int64_t *dst,
                       cn_buf_t *scratch, int depth, cn_err_t *err)
{
    const cn_store__colmeta_t *m = &seg->cols[col];
    const cn_store__pageref_t *pr = &m->pages[pi];
    const uint8_t *payload = seg->map + pr->off;
    char label[80];
    if (pc_find(seg, col, pi, dst))
        return 0; /* decoded and checked before by this thread */
    if (cn_crc32c(0, payload, pr->pg.stored_len) != pr->crc) {
        col_label(col, label, sizeof(label));
        return cn_err_set(err, CN_ECORRUPT, "%s: offset %llu: page %llu of %s: checksum mismatch",
                          seg->path ? seg->path : "segment", (unsigned long long)pr->off,
                          (unsigned long long)pi, label);
    }
    int64_t *keys = NULL, *keys2 = NULL;
    int rc = 0;
    bool keyed = pr->pg.enc == CN_STORE__ENC_KEYED || pr->pg.enc == CN_STORE__ENC_KEYED_NEXT;
    if (keyed && m->key < CN_STORE__KEY_NONE && depth < (int)CN_COL_COUNT) {
        rc = derived_page(seg, m->key, pi, pr->pg.rows, &keys, &keys2, depth, err);
        if (rc < 0)
            return rc;
    } else if (keyed && m->key >= 0 && depth < (int)CN_COL_COUNT) {
        const cn_store__colmeta_t *km = &seg->cols[m->key];
        if (!km->present || km->page_count <= pi || km->pages[pi].pg.rows != pr->pg.rows) {
            rc = CN_ECORRUPT;
        } else {
            keys = page_buf();
            cn_buf_t ks = CN_BUF_INIT;
            rc = decode_page(seg, (cn_store_col_t)m->key, pi, keys, &ks, depth + 1, err);
            cn_buf_dispose(&ks);
            if (rc < 0) {
                page_buf_put(keys);
                return rc;
            }
        }
    }
    if (rc == 0)
        rc = cn_store__page_decode_kmode(payload, &pr->pg, keys, keys2, cn_store__key_mode(m->key),
                                         dst, scratch);
    page_buf_put(keys);
    page_buf_put(keys2);
    if (rc == 0) {
        for (uint32_t i = 0; i < pr->pg.rows; i++)
            if (dst[i] < m->min || dst[i] > m->max) {
                rc = CN_ECORRUPT;
                break;
            }
    }
    if (rc == 0)
        pc_put(seg, col, pi, pr->pg.rows, dst);
    if (rc < 0) {
        col_label(col, label, sizeof(label));
        return cn_err_set(err, CN_ECORRUPT, "%s: offset %llu: page %llu of %s does not decode",
                          seg->path ? seg->path : "segment", (unsigned long long)pr->off,
                          (unsigned long long)pi, label);
    }
    return 0;
}

static int read_file_seg(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                         int64_t *out, cn_err_t *err);

static int seg_hits(void *ud, cn_store_col_t col, uint64_t first, size_t count, int64_t *out)
{
    const cn_store_seg_t *seg = ((void **)ud)[0];
    return read_file_seg(seg, col, first, count, out, ((void **)ud)[1]);
}

/* The derived keys (key < 0) of child page pi (rows values): *out and *out2 are allocated. */
static int derived_page(const cn_store_seg_t *seg, int key, uint64_t pi, uint32_t rows,
                        int64_t **out, int64_t **out2, int depth, cn_err_t *err)
{
    bool var = key == CN_STORE__KEY_VAR_VISIT;
    const cn_store__colmeta_t *vm = &seg->cols[CN_COL_VAR_var];
    const cn_store__colmeta_t *hm =
        &seg->cols[key == CN_STORE__KEY_ITEM_PAGE ? CN_COL_ITEM_hit : CN_COL_VAR_hit];
    if ((var && (!vm->present || vm->page_count <= pi || vm->pages[pi].pg.rows != rows)) ||
        !hm->present || hm->page_count <= pi || hm->pages[pi].pg.rows != rows ||
        seg->cols[CN_COL_HIT_visit].key != CN_STORE__KEY_NONE ||
        seg->cols[CN_COL_HIT_page].key != CN_STORE__KEY_NONE)
        return CN_ECORRUPT;
    int64_t *keys = page_buf(), *keys2 = page_buf(), *hits = page_buf();
    cn_buf_t ks = CN_BUF_INIT;
    int rc = var ? decode_page(seg, CN_COL_VAR_var, pi, keys, &ks, depth + 1, err) : 0;
    if (rc == 0)
        rc = decode_page(seg, key == CN_STORE__KEY_ITEM_PAGE ? CN_COL_ITEM_hit : CN_COL_VAR_hit, pi,
                         hits, &ks, depth + 1, err);
    if (rc == 0) {
        void *r[2] = {(void *)seg, err};
        rc = derived_keys(key, keys, hits, rows, seg->first_row, seg->rows[CN_GROUP_HIT], seg_hits,
                          r, keys, keys2);
    }
    cn_buf_dispose(&ks);
    page_buf_put(hits);
    if (rc < 0) {
        page_buf_put(keys);
        page_buf_put(keys2);
        return rc;
    }
    *out = keys;
    *out2 = keys2;
    return 0;
}

/* Rows [from, from + n) of col as stored in the file (pages). */
static int read_stored(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                       int64_t *out, cn_err_t *err)
{
    const cn_store__colmeta_t *m = &seg->cols[col];
    if (!m->present) {
        memset(out, 0, n * sizeof(*out));
        return 0;
    }
    cn_buf_t scratch = CN_BUF_INIT;
    int64_t *tmp = NULL;
    int rc = 0;
    uint64_t end = from + n;
    for (uint64_t r = from; r < end;) {
        uint64_t pi = r / CN_STORE_PAGE_ROWS;
        uint64_t pstart = pi * CN_STORE_PAGE_ROWS;
        const cn_store__pageref_t *pr = &m->pages[pi];
        uint64_t pend = pstart + pr->pg.rows;
        uint64_t take_end = end < pend ? end : pend;
        int64_t *dst;
        bool whole = r == pstart && take_end == pend;
        if (whole) {
            dst = out + (r - from);
        } else {
            if (!tmp)
                tmp = page_buf();
            dst = tmp;
        }
        if ((rc = decode_page(seg, col, pi, dst, &scratch, 0, err)) < 0)
            break;
        if (!whole)
            memcpy(out + (r - from), tmp + (r - pstart), (take_end - r) * sizeof(int64_t));
        r = take_end;
    }
    page_buf_put(tmp);
    cn_buf_dispose(&scratch);
    return rc;
}

/* All n stored rows of col (u32 or u8 values) into out32 or out8. */
static int read_stored_all(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t n,
                           uint32_t *out32, uint8_t *out8, cn_err_t *err)
{
    int64_t *tmp = page_buf();
    int rc = 0;
    for (uint64_t r = 0; r < n && rc == 0; r += CN_STORE_PAGE_ROWS) {
        size_t k = n - r < CN_STORE_PAGE_ROWS ? (size_t)(n - r) : CN_STORE_PAGE_ROWS;
        rc = read_stored(seg, col, r, k, tmp, err);
        for (size_t i = 0; i < k && rc == 0; i++) {
            if (out32)
                out32[r + i] = (uint32_t)tmp[i];
            else
                out8[r + i] = (uint8_t)tmp[i];
        }
    }
    page_buf_put(tmp);
    return rc;
}

/* The logical var rows of a segment whose var group is stored as changes
 * (docs/storage.md "Var group"), expanded once per thread and kept (VX_N). */
static int var_rows(const cn_store_seg_t *seg, const cn_store__vrows_t **out, cn_err_t *err)
{
    pcache_t *c = pc_get();
    int victim = 0;
    for (int i = 0; i < VX_N; i++) {
        if (c->vx[i].uid == seg->uid) {
            c->vx[i].tick = ++c->tick;
            *out = &c->vx[i].r;
            return 0;
        }
        if (c->vx[i].tick < c->vx[victim].tick)
            victim = i;
    }
    uint64_t hits = seg->rows[CN_GROUP_HIT], stored = seg->var_stored;
    /* a run holds at most the vars set in the segment: no more rows than
     * stored + 2 * hits * stored can expand from the stored ones */
    uint64_t most = stored == 0                            ? 0
                    : hits > (UINT64_MAX / 2 - 1) / stored ? UINT64_MAX
                                                           : stored * (2 * hits + 1);
    if (seg->rows[CN_GROUP_VAR] > most)
        return cn_err_set(err, CN_ECORRUPT,
                          "%s: offset %llu: var group: %llu rows cannot expand from %llu",
                          seg->path ? seg->path : "segment",
                          (unsigned long long)(seg->cols[CN_COL_VAR_hit].page_count > 0
                                                   ? seg->cols[CN_COL_VAR_hit].pages[0].off
                                                   : 0),
                          (unsigned long long)seg->rows[CN_GROUP_VAR], (unsigned long long)stored);
    cn_store__vrows_t phys, lg;
    cn_store__vrows_alloc(&phys, stored, true);
    cn_store__vrows_alloc(&lg, seg->rows[CN_GROUP_VAR], false);
    size_t hn = hits ? (size_t)hits : 1;
    cn_store__vhits_t vh = {cn_xmalloc(hn * 4), cn_xmalloc(hn), cn_xmalloc(hn)};
    uint8_t *runs = cn_xmalloc(hn);
    int rc = read_stored_all(seg, CN_COL_HIT_visit, hits, vh.visit, NULL, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_COL_HIT_type, hits, NULL, vh.type, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_COL_HIT_events, hits, NULL, vh.events, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_STORE__XCOL_HIT_RUNS, hits, NULL, runs, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_COL_VAR_hit, stored, phys.hit, NULL, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_COL_VAR_var, stored, phys.var, NULL, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_COL_VAR_value, stored, phys.value, NULL, err);
    if (rc == 0)
        rc = read_stored_all(seg, CN_STORE__XCOL_VAR_OP, stored, NULL, phys.op, err);
    const char *why = NULL;
    uint64_t at = 0;
    if (rc == 0 &&
        cn_store__vars_expand(&phys, &vh, runs, hits, seg->first_row, &lg, &why, &at) != 0) {
        const cn_store__colmeta_t *m = &seg->cols[CN_COL_VAR_hit];
        uint64_t off =
            m->page_count > 0
                ? m->pages[at / CN_STORE_PAGE_ROWS < m->page_count ? at / CN_STORE_PAGE_ROWS
                                                                   : m->page_count - 1]
                      .off
                : 0;
        rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %llu: var group, stored row %llu: %s",
                        seg->path ? seg->path : "segment", (unsigned long long)off,
                        (unsigned long long)at, why);
    }
    /* every expanded hit within the column's recorded range, as for any column */
    const cn_store__colmeta_t *hm = &seg->cols[CN_COL_VAR_hit];
    for (uint64_t i = 0; i < lg.n && rc == 0; i++)
        if (lg.hit[i] < hm->min || lg.hit[i] > hm->max)
            rc = cn_err_set(err, CN_ECORRUPT,
                            "%s: offset %llu: var group: row %llu points at hit %u outside "
                            "var.hit's range",
                            seg->path ? seg->path : "segment",
                            (unsigned long long)seg->cols[CN_COL_VAR_hit].pages[0].off,
                            (unsigned long long)i, lg.hit[i]);
    cn_store__vrows_dispose(&phys);
    free(vh.visit);
    free(vh.type);
    free(vh.events);
    free(runs);
    if (rc < 0) {
        cn_store__vrows_dispose(&lg);
        return rc;
    }
    cn_store__vrows_dispose(&c->vx[victim].r);
    c->vx[victim].r = lg;
    c->vx[victim].uid = seg->uid;
    c->vx[victim].tick = ++c->tick;
    *out = &c->vx[victim].r;
    return 0;
}

static int read_file_seg(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                         int64_t *out, cn_err_t *err)
{
    if (!seg->var_diff ||
        (col != CN_COL_VAR_hit && col != CN_COL_VAR_var && col != CN_COL_VAR_value))
        return read_stored(seg, col, from, n, out, err);
    const cn_store__vrows_t *r;
    CN_RETURN_IF_ERR(var_rows(seg, &r, err));
    const uint32_t *v = col == CN_COL_VAR_hit ? r->hit : col == CN_COL_VAR_var ? r->var : r->value;
    for (size_t i = 0; i < n; i++)
        out[i] = v[from + i];
    return 0;
}

int cn_store__seg_read(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                       int64_t *out, cn_err_t *err)
{
    if ((size_t)col >= CN_COL_COUNT)
        return cn_err_set(err, CN_EINVAL, "no such column");
    const cn_store_col_info_t *ci = cn_store_col(col);
    uint64_t rows = seg->rows[ci->group];
    if (from > rows || n > rows - from)
        return cn_err_set(err, CN_EINVAL, "rows %llu+%zu beyond the %llu rows of %s",
                          (unsigned long long)from, n, (unsigned long long)rows,
                          cn_store_group_name(ci->group));
    if (n == 0)
        return 0;
    if (seg->is_mem) {
        for (size_t i = 0; i < n; i++)
            out[i] = cn_store__membuf_get(seg->mem, col, from + i);
        return 0;
    }
    return read_file_seg(seg, col, from, n, out, err);
}

int cn_store__seg_verify(const cn_store_seg_t *seg, cn_err_t *err)
{
    if (seg->is_mem)
        return 0;
    int64_t *buf = cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    const cn_store__vrows_t *vr;
    int rc = seg->var_diff ? var_rows(seg, &vr, err) : 0;
    for (size_t col = 0; col < CN_COL_COUNT && rc == 0; col++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)col);
        uint64_t rows = seg->rows[ci->group];
        for (uint64_t r = 0; r < rows && rc == 0; r += CN_STORE_PAGE_ROWS) {
            size_t n = rows - r < CN_STORE_PAGE_ROWS ? rows - r : CN_STORE_PAGE_ROWS;
            rc = read_file_seg(seg, (cn_store_col_t)col, r, n, buf, err);
        }
    }
    free(buf);
    return rc;
}

/* --- Public readers --- */

uint64_t cn_store_seg_rows(const cn_store_seg_t *seg, cn_store_group_t group)
{
    return (size_t)group < CN_GROUP_COUNT ? seg->rows[group] : 0;
}

uint64_t cn_store_seg_first_row(const cn_store_seg_t *seg)
{
    return seg->first_row;
}

void cn_store_seg_minmax(const cn_store_seg_t *seg, cn_store_col_t col, int64_t *out_min,
                         int64_t *out_max)
{
    *out_min = *out_max = 0;
    if ((size_t)col >= CN_COL_COUNT || !seg->cols[col].present)
        return;
    if (seg->rows[cn_store_col(col)->group] == 0)
        return;
    *out_min = seg->cols[col].min;
    *out_max = seg->cols[col].max;
}

bool cn_store_seg_is_memory(const cn_store_seg_t *seg)
{
    return seg->is_mem;
}

uint64_t cn_store_seg_id(const cn_store_seg_t *seg)
{
    return seg->is_mem ? 0 : seg->file_id;
}

/*
 * The common case of a query's read, decoded without the int64 detour: a whole
 * page of a u32 column that is constant or bit-packed without zstd. Returns 1
 * when done, 0 when the caller must take the general path, or CN_ECORRUPT.
 */
static int fast_page_u32(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t pi, uint32_t *out,
                         cn_err_t *err)
{
    const cn_store__colmeta_t *m = &seg->cols[col];
    const cn_store__pageref_t *pr = &m->pages[pi];
    const cn_store__page_t *pg = &pr->pg;
    if (pg->zstd || (pg->enc != CN_STORE__ENC_CONST && pg->enc != CN_STORE__ENC_BITPACK) ||
        pg->width > 32 || pg->base < m->min || pg->base > m->max)
        return 0;
    const uint8_t *p = seg->map + pr->off;
    if (cn_crc32c(0, p, pg->stored_len) != pr->crc)
        return 0; /* the general path reports it */
    uint32_t base = (uint32_t)pg->base, n = pg->rows;
    if (pg->enc == CN_STORE__ENC_CONST) {
        if (pg->stored_len != 0 || pg->width != 0)
            return 0;
        for (uint32_t i = 0; i < n; i++)
            out[i] = base;
        return 1;
    }
    unsigned w = pg->width;
    size_t len = pg->stored_len;
    if (w == 0 || pg->raw_len != len || len != ((uint64_t)n * w + 7) / 8)
        return 0;
    uint64_t mask = (1ull << w) - 1;
    uint32_t hi = (uint32_t)m->max;
    uint32_t bad = 0;
    uint64_t bitpos = 0;
    uint32_t i = 0;
    /* 8-byte loads while they stay inside the payload */
    for (; i < n && (bitpos >> 3) + 8 <= len; i++, bitpos += w) {
        uint64_t word;
        memcpy(&word, p + (bitpos >> 3), 8);
        uint32_t v = base + (uint32_t)((le64toh(word) >> (bitpos & 7)) & mask);
        bad |= v > hi;
        out[i] = v;
    }
    for (; i < n; i++, bitpos += w) {
        uint64_t word = 0;
        for (size_t k = 0; k < 8 && (bitpos >> 3) + k < len; k++)
            word |= (uint64_t)p[(bitpos >> 3) + k] << (8 * k);
        uint32_t v = base + (uint32_t)((word >> (bitpos & 7)) & mask);
        bad |= v > hi;
        out[i] = v;
    }
    if (bad || base + mask < base) {
        const cn_store_col_info_t *ci = cn_store_col(col);
        return cn_err_set(err, CN_ECORRUPT, "%s: offset %llu: page %llu of %s.%s out of range",
                          seg->path ? seg->path : "segment", (unsigned long long)pr->off,
                          (unsigned long long)pi, cn_store_group_name(ci->group), ci->name);
    }
    return 1;
}

static int read_narrow(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                       void *out, size_t width, cn_err_t *err)
{
    if (n == 0)
        return cn_store__seg_read(seg, col, from, 0, NULL, err);
    bool var_diff = seg->var_diff && cn_store_col(col)->group == CN_GROUP_VAR;
    if (width == 4 && !seg->is_mem && seg->cols[col].present && !var_diff &&
        from + n <= seg->rows[cn_store_col(col)->group]) {
        /* whole pages straight into the caller's buffer */
        size_t done = 0;
        while (done < n) {
            uint64_t pos = from + done;
            uint64_t pi = pos / CN_STORE_PAGE_ROWS;
            if (pos % CN_STORE_PAGE_ROWS != 0 || n - done < seg->cols[col].pages[pi].pg.rows)
                break;
            int rc = fast_page_u32(seg, col, pi, (uint32_t *)out + done, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
            done += seg->cols[col].pages[pi].pg.rows;
        }
        if (done == n)
            return 0;
        out = (uint32_t *)out + done;
        from += done;
        n -= done;
    }
    int64_t *tmp = cn_xmalloc((n < CN_STORE_PAGE_ROWS ? n : CN_STORE_PAGE_ROWS) * sizeof(int64_t));
    int rc = 0;
    for (size_t done = 0; done < n;) {
        /* one page at a time, so that each page is decoded once */
        uint64_t pos = from + done;
        uint64_t page_end = (pos / CN_STORE_PAGE_ROWS + 1) * CN_STORE_PAGE_ROWS;
        size_t k = n - done < page_end - pos ? n - done : (size_t)(page_end - pos);
        rc = cn_store__seg_read(seg, col, pos, k, tmp, err);
        if (rc < 0)
            break;
        if (width == 4) {
            uint32_t *o = (uint32_t *)out + done;
            for (size_t i = 0; i < k; i++)
                o[i] = (uint32_t)tmp[i];
        } else {
            uint8_t *o = (uint8_t *)out + done;
            for (size_t i = 0; i < k; i++)
                o[i] = (uint8_t)tmp[i];
        }
        done += k;
    }
    free(tmp);
    return rc;
}

int cn_store_read_u32(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                      uint32_t *out, cn_err_t *err)
{
    if ((size_t)col >= CN_COL_COUNT ||
        (cn_store_col(col)->kind != CN_COLK_DICT && cn_store_col(col)->kind != CN_COLK_U32))
        return cn_err_set(err, CN_EINVAL, "not a u32 column");
    return read_narrow(seg, col, from, n, out, 4, err);
}

int cn_store_read_u8(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                     uint8_t *out, cn_err_t *err)
{
    if ((size_t)col >= CN_COL_COUNT || cn_store_col(col)->kind != CN_COLK_U8)
        return cn_err_set(err, CN_EINVAL, "not a u8 column");
    return read_narrow(seg, col, from, n, out, 1, err);
}

int cn_store_read_i64(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                      int64_t *out, cn_err_t *err)
{
    if ((size_t)col >= CN_COL_COUNT ||
        (cn_store_col(col)->kind != CN_COLK_TS && cn_store_col(col)->kind != CN_COLK_MONEY))
        return cn_err_set(err, CN_EINVAL, "not an i64 column");
    return cn_store__seg_read(seg, col, from, n, out, err);
}
