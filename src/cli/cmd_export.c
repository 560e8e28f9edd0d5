/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton export`: the data feed. Streams every hit of a date range from a
 * suite's store, one row per hit, every column decoded: the hit's own
 * columns, its visit's columns joined by visit ordinal, and its item, var
 * and event rows (docs/storage.md "Export" gives the format). Reads a
 * snapshot of the store read-only, so it runs while `canton serve` writes.
 *
 * Speed (issue 4): a page of hit columns is decoded once; rows are printed a
 * chunk at a time after the chunk's dictionary strings were looked up in a
 * tight loop; each string's need for escaping is computed once per
 * dictionary id; a visit's cells are printed once and copied for its other
 * hits; child rows are walked in step with the hits a page at a time; numbers
 * are formatted by hand; output goes to one buffer written in 1 MiB blocks.
 * Memory stays bounded: a page per group, a few visit pages, one byte per
 * dictionary entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include "store/store.h"

typedef enum { FMT_TSV, FMT_CSV, FMT_NDJSON } fmt_t;

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton export --from YYYY-MM-DD [--to YYYY-MM-DD] [--suite S] [options]\n\n"
               "Writes every hit of the days from..to (inclusive, the suite's time zone) with\n"
               "every column decoded: hit columns, then the columns of the hit's visit, then\n"
               "its items, vars and events (docs/storage.md, \"Export\"). Rows stream day\n"
               "by day, each day's hits in the order processing wrote them (time order but\n"
               "for hits stamped earlier than hits processed before them); progress goes\n"
               "to stderr on a terminal.\n\n"
               "Options:\n"
               "  --suite S          the report suite (default: the only one configured)\n"
               "  --from DATE        first day\n"
               "  --to DATE          last day (default: --from)\n"
               "  --format F         tsv (default), csv or ndjson\n"
               "  --out FILE         write to FILE instead of stdout\n"
               "  --config FILE      configuration (default: built-in demo suite)\n"
               "  --data DIR         data folder (default: the config's, else ./data)\n");
}

static int parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31 ||
        y < 1970 || y > 9999)
        return -1;
    *out = cn_store_day_from_ymd(y, m, d);
    int yy, mm, dd;
    cn_store_day_to_ymd(*out, &yy, &mm, &dd);
    return yy == y && mm == m && dd == d ? 0 : -1;
}

/* --- Output: one big buffer, written with write(2) in large blocks --- */

#define OUT_BLOCK (1u << 20)

typedef struct out {
    fmt_t fmt;
    char sepc; /* between cells: '\t' (tsv) or ',' (csv, ndjson) */
    cn_buf_t b;
    int fd;
    bool werr;
} out_t;

static void out_write(out_t *o)
{
    size_t off = 0;
    while (off < o->b.len && !o->werr) {
        ssize_t w = write(o->fd, o->b.ptr + off, o->b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            o->werr = true;
        else
            off += (size_t)w;
    }
    o->b.len = 0;
}

static void flush_out(out_t *o, bool force)
{
    if (o->b.len >= OUT_BLOCK || (force && o->b.len))
        out_write(o);
}

/* Room for n more bytes at the end of the buffer. */
static inline char *room(out_t *o, size_t n)
{
    if (o->b.cap - o->b.len < n + 1)
        cn_buf_reserve(&o->b, n);
    return o->b.ptr + o->b.len;
}

static inline void put(out_t *o, const void *p, size_t n)
{
    memcpy(room(o, n), p, n);
    o->b.len += n;
}

static inline void putch(out_t *o, char c)
{
    *room(o, 1) = c;
    o->b.len++;
}

#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static const char dig2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

static inline void put_u64(out_t *o, uint64_t v)
{
    char t[24], *e = t + sizeof(t), *p = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, dig2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, dig2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    put(o, p, (size_t)(e - p));
}

static inline void put_i64(out_t *o, int64_t v)
{
    if (v < 0) {
        putch(o, '-');
        put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

_Static_assert(CN_MONEY_SCALE == 10000, "money() prints 4 decimals");

/* Fixed point money: "-12.3400". */
static inline void money(out_t *o, int64_t v)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        putch(o, '-');
    put_u64(o, a / CN_MONEY_SCALE);
    unsigned f = (unsigned)(a % CN_MONEY_SCALE);
    char *p = room(o, 5);
    p[0] = '.';
    memcpy(p + 1, dig2 + 2 * (f / 100), 2);
    memcpy(p + 3, dig2 + 2 * (f % 100), 2);
    o->b.len += 5;
}

/* Byte classes: which bytes each format must escape (built once). */
enum {
    BC_TSV = 1,    /* \t \n \r \\ : backslash-escaped in tsv */
    BC_CSV = 2,    /* , " \n \r : the cell is quoted in csv */
    BC_JSON = 4,   /* not printable ASCII, or " \ : cn_buf_append_json_str escapes */
    BC_PACKED = 8, /* % ; , = \t \n \r " \ : percent-encoded in packed cells */
};
static uint8_t bclass[256];

static void init_bclass(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        if (c == '\t' || c == '\n' || c == '\r' || c == '\\')
            k |= BC_TSV;
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            k |= BC_CSV;
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            k |= BC_JSON;
        if (c == '%' || c == ';' || c == ',' || c == '=' || c == '\t' || c == '\n' || c == '\r' ||
            c == '"' || c == '\\')
            k |= BC_PACKED;
        bclass[c] = k;
    }
}

/* CLS_KNOWN | the classes of the bytes of s. */
#define CLS_KNOWN 0x80
static uint8_t str_class(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint8_t acc = 0;
    for (size_t i = 0; i < s.len; i++)
        acc |= bclass[p[i]];
    return (uint8_t)(acc | CLS_KNOWN);
}

/* The classes of every dictionary string, computed once per id. */
typedef struct dcache {
    const cn_store_snap_t *sn;
    size_t ndict;
    uint8_t **cls;
    uint32_t *len;
} dcache_t;

static void dcache_init(dcache_t *dc, const cn_store_snap_t *sn)
{
    dc->sn = sn;
    dc->ndict = cn_store_dict_count();
    dc->cls = cn_xcalloc(dc->ndict ? dc->ndict : 1, sizeof(*dc->cls));
    dc->len = cn_xcalloc(dc->ndict ? dc->ndict : 1, sizeof(*dc->len));
    for (size_t d = 0; d < dc->ndict; d++) {
        dc->len[d] = cn_store_snap_dict_len(sn, (int)d);
        dc->cls[d] = cn_xcalloc(dc->len[d] ? dc->len[d] : 1, 1);
    }
}

static void dcache_free(dcache_t *dc)
{
    for (size_t d = 0; d < dc->ndict; d++)
        free(dc->cls[d]);
    free(dc->cls);
    free(dc->len);
}

/* The string of a dictionary id and its byte classes. */
static inline cn_str_t dstr(dcache_t *dc, int dict, uint32_t id, uint8_t *cls)
{
    if (id == 0) { /* id 0 is the empty string (store.h) */
        *cls = CLS_KNOWN;
        return cn_str("", 0);
    }
    cn_str_t s = cn_store_snap_dict_str(dc->sn, dict, id);
    if (dict < 0 || (size_t)dict >= dc->ndict || id >= dc->len[dict]) {
        *cls = str_class(s);
        return s;
    }
    uint8_t k = dc->cls[dict][id];
    if (!k)
        dc->cls[dict][id] = k = str_class(s);
    *cls = k;
    return s;
}

static void text_cell(out_t *o, cn_str_t s, uint8_t k)
{
    if (o->fmt == FMT_TSV) {
        if (!(k & BC_TSV)) {
            put(o, s.ptr, s.len);
            return;
        }
        char *p = room(o, 2 * s.len), *p0 = p;
        for (size_t i = 0; i < s.len; i++) {
            char c = s.ptr[i];
            if (c == '\t') {
                *p++ = '\\';
                *p++ = 't';
            } else if (c == '\n') {
                *p++ = '\\';
                *p++ = 'n';
            } else if (c == '\r') {
                *p++ = '\\';
                *p++ = 'r';
            } else if (c == '\\') {
                *p++ = '\\';
                *p++ = '\\';
            } else {
                *p++ = c;
            }
        }
        o->b.len += (size_t)(p - p0);
    } else if (o->fmt == FMT_CSV) {
        if (!(k & BC_CSV)) {
            put(o, s.ptr, s.len);
            return;
        }
        char *p = room(o, 2 * s.len + 2), *p0 = p;
        *p++ = '"';
        for (size_t i = 0; i < s.len; i++) {
            if (s.ptr[i] == '"')
                *p++ = '"';
            *p++ = s.ptr[i];
        }
        *p++ = '"';
        o->b.len += (size_t)(p - p0);
    } else {
        if (k & BC_JSON) {
            cn_buf_append_json_str(&o->b, s);
            return;
        }
        char *p = room(o, s.len + 2);
        p[0] = '"';
        memcpy(p + 1, s.ptr, s.len);
        p[s.len + 1] = '"';
        o->b.len += s.len + 2;
    }
}

/* Percent-encodes the separators of the packed item/var/event cells. */
static void packed(out_t *o, cn_str_t s, uint8_t k)
{
    if (!(k & BC_PACKED)) {
        put(o, s.ptr, s.len);
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    char *p = room(o, 3 * s.len), *p0 = p;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (bclass[c] & BC_PACKED) {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    o->b.len += (size_t)(p - p0);
}

static void var_name(out_t *o, uint32_t var)
{
    static const char *fam[] = {"var", "evar", "prop", "list", "hier"};
    uint32_t f = (var & CN_VAR_FAMILY_MASK) >> 16;
    if ((var & CN_VAR_FAMILY_MASK) == CN_VAR_MERCH) {
        /* a merchandising eVar bound to the hit's item K (0-based): "evar5@0" */
        PUT_LIT(o, "evar");
        put_u64(o, cn_var_merch_evar(var));
        putch(o, '@');
        put_u64(o, cn_var_merch_item(var));
        return;
    }
    const char *name = f < 5 ? fam[f] : "var";
    put(o, name, strlen(name));
    put_u64(o, var & 0xffff);
}

/* --- Columns --- */

/* A column as the export prints it: catalogue facts looked up once. */
typedef struct xcol {
    cn_store_col_t col;
    cn_colk_t kind;
    int dict;
    char key[48]; /* ndjson: "json_key": */
    size_t key_len;
} xcol_t;

typedef struct cols {
    xcol_t hit[CN_COL_COUNT], visit[CN_COL_COUNT], kid[3][CN_COL_COUNT];
    size_t nhit, nvisit, nkid[3];
} cols_t;

static const cn_store_group_t kid_group[3] = {CN_GROUP_ITEM, CN_GROUP_VAR, CN_GROUP_EVENT};
static const cn_store_col_t kid_hit[3] = {CN_COL_ITEM_hit, CN_COL_VAR_hit, CN_COL_EVENT_hit};

static void xcol_init(xcol_t *x, cn_store_col_t c)
{
    const cn_store_col_info_t *ci = cn_store_col(c);
    x->col = c;
    x->kind = ci->kind;
    x->dict = ci->dict;
    int n = snprintf(x->key, sizeof(x->key), "\"%s\":", ci->json_key);
    CN_ASSERT(n > 0 && (size_t)n < sizeof(x->key));
    x->key_len = (size_t)n;
}

static void cols_init(cols_t *cs)
{
    memset(cs, 0, sizeof(*cs));
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == CN_GROUP_HIT)
            xcol_init(&cs->hit[cs->nhit++], (cn_store_col_t)c);
        else if (ci->group == CN_GROUP_VISIT)
            xcol_init(&cs->visit[cs->nvisit++], (cn_store_col_t)c);
        for (int w = 0; w < 3; w++)
            if (ci->group == kid_group[w] && (cn_store_col_t)c != kid_hit[w])
                xcol_init(&cs->kid[w][cs->nkid[w]++], (cn_store_col_t)c);
    }
}

/* --- Column blocks: a page of a group's columns, each in its own C type --- */

typedef struct block {
    const cn_store_seg_t *seg;
    uint64_t from;
    size_t n;
    void *v[CN_COL_COUNT]; /* int64_t (TS, MONEY), uint8_t (U8), uint32_t (DICT, U32) */
    /* with load_block(want_strs): room for the DICT columns' strings and
     * byte classes, filled by resolve() */
    cn_str_t *s[CN_COL_COUNT];
    uint8_t *k[CN_COL_COUNT];
} block_t;

static size_t kind_size(cn_colk_t k)
{
    return k == CN_COLK_TS || k == CN_COLK_MONEY ? 8 : k == CN_COLK_U8 ? 1 : 4;
}

static int load_block(block_t *bl, const cn_store_seg_t *seg, cn_store_group_t g, uint64_t from,
                      size_t n, bool want_strs, cn_err_t *err)
{
    bl->seg = seg;
    bl->from = from;
    bl->n = 0;
    cn_store_col_t first = cn_store_group_first(g);
    for (size_t c = first; c < first + cn_store_group_cols(g); c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        cn_colk_t k = ci->kind;
        if (!bl->v[c])
            bl->v[c] = cn_xmalloc(CN_STORE_PAGE_ROWS * kind_size(k));
        int rc;
        if (k == CN_COLK_TS || k == CN_COLK_MONEY)
            rc = cn_store_read_i64(seg, (cn_store_col_t)c, from, n, bl->v[c], err);
        else if (k == CN_COLK_U8)
            rc = cn_store_read_u8(seg, (cn_store_col_t)c, from, n, bl->v[c], err);
        else
            rc = cn_store_read_u32(seg, (cn_store_col_t)c, from, n, bl->v[c], err);
        if (rc < 0) {
            bl->seg = NULL;
            return rc;
        }
        if (want_strs && k == CN_COLK_DICT && !bl->s[c]) {
            bl->s[c] = cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(cn_str_t));
            bl->k[c] = cn_xmalloc(CN_STORE_PAGE_ROWS);
        }
    }
    bl->n = n;
    return 0;
}

/* Looks up the strings of rows [from, to) of the DICT columns of group g. */
static void resolve(block_t *bl, dcache_t *dc, cn_store_group_t g, size_t from, size_t to)
{
    cn_store_col_t first = cn_store_group_first(g);
    for (size_t c = first; c < first + cn_store_group_cols(g); c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->kind != CN_COLK_DICT)
            continue;
        const uint32_t *id = bl->v[c];
        for (size_t i = from; i < to; i++) {
            bl->s[c][i] = dstr(dc, ci->dict, id[i], &bl->k[c][i]);
            __builtin_prefetch(bl->s[c][i].ptr);
        }
    }
}

static void free_block(block_t *bl)
{
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        free(bl->v[c]);
        free(bl->s[c]);
        free(bl->k[c]);
    }
}

static inline int64_t cell_i64(const block_t *bl, cn_store_col_t c, cn_colk_t k, size_t i)
{
    if (k == CN_COLK_TS || k == CN_COLK_MONEY)
        return ((const int64_t *)bl->v[c])[i];
    if (k == CN_COLK_U8)
        return ((const uint8_t *)bl->v[c])[i];
    return ((const uint32_t *)bl->v[c])[i];
}

/* A few decoded pages of visit segments, least recently used replaced. */
#define VCACHE 8
typedef struct vcache {
    block_t pages[VCACHE];
    uint64_t lo[VCACHE], hi[VCACHE]; /* visit ordinals held: [lo, hi) */
    uint64_t used[VCACHE];
    uint64_t clock;
    size_t last;
} vcache_t;

static int visit_row(vcache_t *vc, const cn_store_snap_t *sn, uint64_t visit, block_t **out,
                     size_t *row, cn_err_t *err)
{
    size_t l = vc->last;
    if (vc->pages[l].seg && visit >= vc->lo[l] && visit < vc->hi[l]) {
        *out = &vc->pages[l];
        *row = (size_t)(visit - vc->lo[l]);
        return 0;
    }
    size_t victim = 0;
    for (size_t i = 0; i < VCACHE; i++) {
        if (vc->pages[i].seg && visit >= vc->lo[i] && visit < vc->hi[i]) {
            vc->used[i] = ++vc->clock;
            vc->last = i;
            *out = &vc->pages[i];
            *row = (size_t)(visit - vc->lo[i]);
            return 0;
        }
        if (vc->used[i] < vc->used[victim])
            victim = i;
    }
    const cn_store_seg_t *seg = cn_store_snap_visit_find(sn, visit);
    if (!seg)
        return CN_ENOTFOUND;
    uint64_t first = cn_store_seg_first_row(seg);
    uint64_t r = visit - first;
    uint64_t from = r / CN_STORE_PAGE_ROWS * CN_STORE_PAGE_ROWS;
    uint64_t rows = cn_store_seg_rows(seg, CN_GROUP_VISIT);
    size_t n = rows - from < CN_STORE_PAGE_ROWS ? (size_t)(rows - from) : CN_STORE_PAGE_ROWS;
    CN_RETURN_IF_ERR(load_block(&vc->pages[victim], seg, CN_GROUP_VISIT, from, n, false, err));
    vc->lo[victim] = first + from;
    vc->hi[victim] = first + from + n;
    vc->used[victim] = ++vc->clock;
    vc->last = victim;
    *out = &vc->pages[victim];
    *row = (size_t)(r - from);
    return 0;
}

/* --- Rows --- */

static void header(out_t *o)
{
    if (o->fmt == FMT_NDJSON)
        return;
    bool first = true;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == CN_GROUP_HIT) {
            if (!first)
                putch(o, o->sepc);
            first = false;
            put(o, ci->json_key, strlen(ci->json_key));
            if (c == CN_COL_HIT_ts) {
                putch(o, o->sepc);
                PUT_LIT(o, "local_time");
            }
        }
    }
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == CN_GROUP_VISIT) {
            putch(o, o->sepc);
            put(o, ci->json_key, strlen(ci->json_key));
        }
    }
    putch(o, o->sepc);
    PUT_LIT(o, "items");
    putch(o, o->sepc);
    PUT_LIT(o, "vars");
    putch(o, o->sepc);
    PUT_LIT(o, "event_rows");
    putch(o, '\n');
}

/* One number or string of a column (with its "key": in ndjson). */
static inline void value_num(out_t *o, const xcol_t *x, int64_t v)
{
    if (o->fmt == FMT_NDJSON)
        put(o, x->key, x->key_len);
    if (x->kind == CN_COLK_MONEY)
        money(o, v);
    else
        put_i64(o, v);
}

static inline void value_str(out_t *o, const xcol_t *x, cn_str_t s, uint8_t k)
{
    if (o->fmt == FMT_NDJSON)
        put(o, x->key, x->key_len);
    text_cell(o, s, k);
}

/* Local time "YYYY-MM-DD hh:mm:ss"; the date part is kept for the last day seen. */
typedef struct ltime {
    int64_t day;
    char date[40];
    size_t date_len;
} ltime_t;

static void local_time(out_t *o, const cn_store_t *st, ltime_t *lt, int64_t ts)
{
    int64_t s = ts / 1000000 - (ts % 1000000 < 0);
    int64_t l = s + cn_store_tz_offset(st, ts);
    int64_t day = l / 86400 - (l % 86400 < 0);
    int64_t sod = l - day * 86400;
    if (day != lt->day || lt->date_len == 0) {
        int y, m, d;
        cn_store_day_to_ymd((int32_t)day, &y, &m, &d);
        int n = snprintf(lt->date, sizeof(lt->date), "%04d-%02d-%02d ", y, m, d);
        lt->date_len = n > 0 && (size_t)n < sizeof(lt->date) ? (size_t)n : 0;
        lt->day = day;
    }
    if (o->fmt == FMT_NDJSON)
        PUT_LIT(o, "\"local_time\":\"");
    put(o, lt->date, lt->date_len);
    char *p = room(o, 8);
    unsigned h = (unsigned)(sod / 3600), mi = (unsigned)(sod / 60 % 60), se = (unsigned)(sod % 60);
    memcpy(p, dig2 + 2 * h, 2);
    p[2] = ':';
    memcpy(p + 3, dig2 + 2 * mi, 2);
    p[5] = ':';
    memcpy(p + 6, dig2 + 2 * se, 2);
    o->b.len += 8;
    if (o->fmt == FMT_NDJSON)
        putch(o, '"');
}

/* Child rows of a segment, streamed a page at a time in step with the hits
 * (they are sorted by hit), their strings looked up a page at a time. */
typedef struct kid {
    block_t bl;
    uint64_t rows; /* rows of the group in the segment */
    size_t at;     /* cursor in bl */
    size_t res;    /* strings of bl rows [0, res) are looked up */
} kid_t;

/* Child rows' strings are looked up this many rows at a time. */
#define KID_RESOLVE 512

/* Makes the cursor point at a loaded row: 1, or 0 at the end of the group. */
static inline int kid_ready(kid_t *k, const cn_store_seg_t *seg, int which, dcache_t *dc,
                            cn_err_t *err)
{
    if (k->at < k->bl.n)
        return 1;
    uint64_t next = k->bl.from + k->bl.n;
    if (next >= k->rows)
        return 0;
    size_t m = k->rows - next < CN_STORE_PAGE_ROWS ? (size_t)(k->rows - next) : CN_STORE_PAGE_ROWS;
    CN_RETURN_IF_ERR(load_block(&k->bl, seg, kid_group[which], next, m, true, err));
    k->at = 0;
    k->res = 0;
    return 1;
}

static int kids_cell(out_t *o, dcache_t *dc, const cols_t *cs, const cn_store_seg_t *seg, kid_t *k,
                     int which, uint64_t hit, cn_err_t *err)
{
    static const char *names[] = {"\"items\":[", "\"vars\":[", "\"event_rows\":["};
    putch(o, o->sepc);
    if (o->fmt == FMT_NDJSON)
        put(o, names[which], strlen(names[which]));
    size_t start = o->b.len;
    size_t count = 0;
    int rc;
    for (;;) {
        if ((rc = kid_ready(k, seg, which, dc, err)) <= 0)
            break;
        const block_t *bl = &k->bl;
        const uint32_t *hv = bl->v[kid_hit[which]];
        size_t i = k->at;
        if ((uint64_t)hv[i] > hit)
            break;
        k->at++;
        if ((uint64_t)hv[i] < hit)
            continue;
        if (i >= k->res) {
            size_t to = bl->n - i < KID_RESOLVE ? bl->n : i + KID_RESOLVE;
            resolve(&k->bl, dc, kid_group[which], i, to);
            k->res = to;
        }
        if (count)
            putch(o, ',');
        count++;
        if (o->fmt == FMT_NDJSON) {
            putch(o, '{');
            for (size_t j = 0; j < cs->nkid[which]; j++) {
                const xcol_t *x = &cs->kid[which][j];
                if (j)
                    putch(o, ',');
                if (x->col == CN_COL_VAR_var) {
                    PUT_LIT(o, "\"var\":\"");
                    var_name(o, ((const uint32_t *)bl->v[x->col])[i]);
                    putch(o, '"');
                } else if (x->kind == CN_COLK_DICT) {
                    value_str(o, x, bl->s[x->col][i], bl->k[x->col][i]);
                } else {
                    value_num(o, x, cell_i64(bl, x->col, x->kind, i));
                }
            }
            putch(o, '}');
        } else if (which == 0) {
            /* sku;category;quantity;revenue */
            packed(o, bl->s[CN_COL_ITEM_sku][i], bl->k[CN_COL_ITEM_sku][i]);
            putch(o, ';');
            packed(o, bl->s[CN_COL_ITEM_category][i], bl->k[CN_COL_ITEM_category][i]);
            putch(o, ';');
            put_u64(o, ((const uint32_t *)bl->v[CN_COL_ITEM_quantity])[i]);
            putch(o, ';');
            money(o, ((const int64_t *)bl->v[CN_COL_ITEM_revenue])[i]);
        } else if (which == 1) {
            var_name(o, ((const uint32_t *)bl->v[CN_COL_VAR_var])[i]);
            putch(o, '=');
            packed(o, bl->s[CN_COL_VAR_value][i], bl->k[CN_COL_VAR_value][i]);
        } else {
            PUT_LIT(o, "event");
            put_u64(o, ((const uint32_t *)bl->v[CN_COL_EVENT_event])[i]);
            putch(o, '=');
            money(o, ((const int64_t *)bl->v[CN_COL_EVENT_value])[i]);
        }
    }
    if (rc < 0)
        return rc;
    if (o->fmt == FMT_NDJSON) {
        putch(o, ']');
    } else if (o->fmt == FMT_CSV && count > 1) {
        /* Packed values percent-encode , " CR LF: only the row separators
         * need the cell quoted, and there is no quote to double. */
        size_t len = o->b.len - start;
        room(o, 2);
        memmove(o->b.ptr + start + 1, o->b.ptr + start, len);
        o->b.ptr[start] = '"';
        o->b.len++;
        putch(o, '"');
    }
    /* tsv: packed values already escape tab, CR, LF and backslash */
    return 0;
}

typedef struct progress {
    bool on;
    uint64_t done, total;
    int64_t last_us;
} progress_t;

static void show(progress_t *p, bool end)
{
    if (!p->on)
        return;
    int64_t now = cn_time_mono_us();
    if (!end && now - p->last_us < 250000)
        return;
    p->last_us = now;
    fprintf(stderr, "\rcanton export: %llu of %llu hits (%.0f%%)%s", (unsigned long long)p->done,
            (unsigned long long)p->total,
            p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, end ? "\n" : "");
}

/* Rows are written a chunk at a time: the strings of the chunk's hits are
 * looked up first, in a tight loop (the dictionary lookups are cache misses
 * that then overlap), then the rows are printed. */
#define CHUNK 128
typedef struct chunk {
    cn_str_t hs[CN_COL_COUNT][CHUNK]; /* [hit column j][row] */
    uint8_t hk[CN_COL_COUNT][CHUNK];
    int64_t hv[CN_COL_COUNT][CHUNK]; /* numbers */
} chunk_t;

/* The visit cells as printed, kept for the visits seen last: a visit's
 * hits are close together, so most rows copy them from here. */
#define VRCACHE 4096
typedef struct vrcache {
    uint64_t key[VRCACHE]; /* visit ordinal + 1; 0: empty slot */
    cn_buf_t cells[VRCACHE];
} vrcache_t;

/* What export_segment reuses from one segment to the next. */
typedef struct xstate {
    const cols_t *cs;
    dcache_t dc;
    block_t hb;
    kid_t kids[3];
    vcache_t vc;
    ltime_t lt;
    progress_t pg;
    chunk_t ch;
    vrcache_t vrc;
} xstate_t;

static void gather(xstate_t *x, size_t i0, size_t m)
{
    const cols_t *cs = x->cs;
    chunk_t *ch = &x->ch;
    const block_t *hb = &x->hb;
    for (size_t j = 0; j < cs->nhit; j++) {
        const xcol_t *xc = &cs->hit[j];
        if (xc->kind != CN_COLK_DICT) {
            for (size_t t = 0; t < m; t++)
                ch->hv[j][t] = cell_i64(hb, xc->col, xc->kind, i0 + t);
            continue;
        }
        const uint32_t *id = (const uint32_t *)hb->v[xc->col] + i0;
        for (size_t t = 0; t < m; t++) {
            ch->hs[j][t] = dstr(&x->dc, xc->dict, id[t], &ch->hk[j][t]);
            __builtin_prefetch(ch->hs[j][t].ptr);
        }
    }
}

/* The cells of a visit's columns, each after a separator. */
static int visit_cells(out_t *o, xstate_t *x, const cn_store_snap_t *sn, uint64_t visit,
                       cn_err_t *err)
{
    const cols_t *cs = x->cs;
    vrcache_t *vrc = &x->vrc;
    size_t slot = (size_t)(visit % VRCACHE);
    if (vrc->key[slot] == visit + 1) {
        put(o, vrc->cells[slot].ptr, vrc->cells[slot].len);
        return 0;
    }
    block_t *vb = NULL;
    size_t vr = 0;
    int rc = visit_row(&x->vc, sn, visit, &vb, &vr, err);
    if (rc < 0 && rc != CN_ENOTFOUND)
        return rc;
    /* loads first, then lookups, then printing: the cache misses overlap */
    int64_t v[CN_COL_COUNT];
    cn_str_t str[CN_COL_COUNT];
    uint8_t cls[CN_COL_COUNT];
    if (vb) {
        for (size_t j = 0; j < cs->nvisit; j++)
            v[j] = cell_i64(vb, cs->visit[j].col, cs->visit[j].kind, vr);
        for (size_t j = 0; j < cs->nvisit; j++)
            if (cs->visit[j].kind == CN_COLK_DICT)
                str[j] = dstr(&x->dc, cs->visit[j].dict, (uint32_t)v[j], &cls[j]);
    }
    size_t start = o->b.len;
    for (size_t j = 0; j < cs->nvisit; j++) {
        const xcol_t *xc = &cs->visit[j];
        putch(o, o->sepc);
        if (!vb) {
            if (o->fmt == FMT_NDJSON) { /* dropped by retention */
                put(o, xc->key, xc->key_len);
                PUT_LIT(o, "null");
            }
        } else if (xc->kind == CN_COLK_DICT) {
            value_str(o, xc, str[j], cls[j]);
        } else {
            value_num(o, xc, v[j]);
        }
    }
    if (vb) {
        vrc->key[slot] = visit + 1;
        cn_buf_clear(&vrc->cells[slot]);
        cn_buf_append(&vrc->cells[slot], o->b.ptr + start, o->b.len - start);
    }
    return 0;
}

static int export_segment(out_t *o, cn_store_t *st, const cn_store_snap_t *sn,
                          const cn_store_seg_t *seg, xstate_t *x, cn_err_t *err)
{
    const cols_t *cs = x->cs;
    chunk_t *ch = &x->ch;
    for (int w = 0; w < 3; w++) {
        kid_t *k = &x->kids[w];
        k->rows = cn_store_seg_rows(seg, kid_group[w]);
        k->bl.seg = seg;
        k->bl.from = 0;
        k->bl.n = 0;
        k->at = 0;
        k->res = 0;
    }
    const bool nd = o->fmt == FMT_NDJSON;
    const char sepc = o->sepc;
    block_t *hb = &x->hb;
    uint64_t rows = cn_store_seg_rows(seg, CN_GROUP_HIT);
    uint64_t first_row = cn_store_seg_first_row(seg);
    for (uint64_t r = 0; r < rows; r += CN_STORE_PAGE_ROWS) {
        size_t n = rows - r < CN_STORE_PAGE_ROWS ? (size_t)(rows - r) : CN_STORE_PAGE_ROWS;
        CN_RETURN_IF_ERR(load_block(hb, seg, CN_GROUP_HIT, r, n, false, err));
        const uint32_t *hvisit = hb->v[CN_COL_HIT_visit];
        for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
            size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
            gather(x, i0, m);
            for (size_t t = 0; t < m; t++) {
                size_t i = i0 + t;
                if (nd)
                    putch(o, '{');
                for (size_t j = 0; j < cs->nhit; j++) {
                    const xcol_t *xc = &cs->hit[j];
                    if (j)
                        putch(o, sepc);
                    if (xc->kind == CN_COLK_DICT)
                        value_str(o, xc, ch->hs[j][t], ch->hk[j][t]);
                    else
                        value_num(o, xc, ch->hv[j][t]);
                    if (xc->col == CN_COL_HIT_ts) {
                        putch(o, sepc);
                        local_time(o, st, &x->lt, ch->hv[j][t]);
                    }
                }
                CN_RETURN_IF_ERR(visit_cells(o, x, sn, hvisit[i], err));
                uint64_t hit = first_row + r + i;
                for (int w = 0; w < 3; w++)
                    CN_RETURN_IF_ERR(kids_cell(o, &x->dc, cs, seg, &x->kids[w], w, hit, err));
                if (nd)
                    PUT_LIT(o, "}\n");
                else
                    putch(o, '\n');
            }
            flush_out(o, false);
            if (o->werr)
                return 0;
            x->pg.done += m;
        }
        show(&x->pg, false);
    }
    return 0;
}

int cn_cmd_export(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    enum { O_SUITE = 256, O_FROM, O_TO, O_FORMAT, O_OUT, O_CONFIG, O_DATA };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, O_SUITE}, {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},       {"format", required_argument, NULL, O_FORMAT},
        {"out", required_argument, NULL, O_OUT},     {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},   {NULL, 0, NULL, 0},
    };
    const char *suite = NULL, *from = NULL, *to = NULL, *format = "tsv", *outp = NULL;
    const char *config = NULL, *data = NULL;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("export", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_SUITE:
            suite = optarg;
            break;
        case O_FROM:
            from = optarg;
            break;
        case O_TO:
            to = optarg;
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case O_OUT:
            outp = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    out_t o = {.b = CN_BUF_INIT, .fd = STDOUT_FILENO};
    int32_t d0, d1;
    if (optind != argc) {
        fprintf(stderr, "canton export: unexpected argument '%s'\n", argv[optind]);
        return CN_EXIT_USAGE;
    }
    if (!from || parse_date(from, &d0) != 0 || parse_date(to ? to : from, &d1) != 0 || d1 < d0) {
        fprintf(stderr, "canton export: give --from (and --to) as YYYY-MM-DD, from <= to\n");
        return CN_EXIT_USAGE;
    }
    if (strcmp(format, "tsv") == 0)
        o.fmt = FMT_TSV;
    else if (strcmp(format, "csv") == 0)
        o.fmt = FMT_CSV;
    else if (strcmp(format, "ndjson") == 0)
        o.fmt = FMT_NDJSON;
    else {
        fprintf(stderr, "canton export: --format is tsv, csv or ndjson\n");
        return CN_EXIT_USAGE;
    }
    o.sepc = o.fmt == FMT_TSV ? '\t' : ',';
    cn_conf_t *conf = cn_cli_conf("export", config);
    if (conf == NULL)
        return CN_EXIT_FAIL;
    const cn_suite_conf_t *sc = NULL;
    if (suite)
        sc = cn_conf_suite(conf, suite, strlen(suite));
    else if (conf->suite_count == 1)
        sc = &conf->suites[0];
    if (!sc) {
        if (suite)
            fprintf(stderr, "canton export: unknown suite '%s' (not in %s)\n", suite,
                    config ? config : "the built-in configuration: use --config");
        else
            fprintf(stderr, "canton export: which suite? use --suite\n");
        cn_conf_free(conf);
        return CN_EXIT_USAGE;
    }
    cn_store_opts_t so;
    cn_store_opts_init(&so);
    so.read_only = true;
    cn_store_t *st = NULL;
    cn_err_t err = {0};
    int rc = cn_store_open(data ? data : conf->data_dir, sc, &so, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "canton export: %s\n", cn_err_msg(&err, rc));
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    if (outp && (o.fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
        fprintf(stderr, "canton export: %s: %s\n", outp, strerror(errno));
        cn_store_close(st);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    init_bclass();
    cols_t *cs = cn_xmalloc(sizeof(*cs));
    cols_init(cs);
    xstate_t *x = cn_xcalloc(1, sizeof(*x));
    x->cs = cs;
    cn_store_snap_t *sn;
    cn_store_snapshot(st, &sn);
    dcache_init(&x->dc, sn);
    x->pg.on = isatty(STDERR_FILENO) != 0;
    size_t p0 = cn_store_snap_partition_find(sn, d0), p1 = cn_store_snap_partition_find(sn, d1 + 1);
    for (size_t p = p0; p < p1; p++)
        x->pg.total += cn_store_snap_partition_hits(sn, p);
    cn_buf_reserve(&o.b, OUT_BLOCK + (OUT_BLOCK >> 2));
    header(&o);
    for (size_t p = p0; p < p1 && rc == 0 && !o.werr; p++)
        for (size_t k = 0; k < cn_store_snap_segment_count(sn, p) && rc == 0 && !o.werr; k++)
            rc = export_segment(&o, st, sn, cn_store_snap_segment(sn, p, k), x, &err);
    flush_out(&o, true);
    show(&x->pg, true);
    free_block(&x->hb);
    for (int w = 0; w < 3; w++)
        free_block(&x->kids[w].bl);
    for (size_t i = 0; i < VCACHE; i++)
        free_block(&x->vc.pages[i]);
    dcache_free(&x->dc);
    for (size_t i = 0; i < VRCACHE; i++)
        cn_buf_dispose(&x->vrc.cells[i]);
    free(x);
    free(cs);
    cn_store_snap_release(sn);
    cn_store_close(st);
    cn_conf_free(conf);
    cn_buf_dispose(&o.b);
    bool wfail = o.werr;
    if (o.fd != STDOUT_FILENO)
        wfail |= close(o.fd) != 0;
    if (rc < 0) {
        fprintf(stderr, "canton export: %s\n", cn_err_msg(&err, rc));
        return CN_EXIT_FAIL;
    }
    if (wfail) {
        fprintf(stderr, "canton export: write error\n");
        return CN_EXIT_FAIL;
    }
    return CN_EXIT_OK;
}
