/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton export`: the data feed. Streams every hit of a date range from a
 * suite's store, one row per hit, every column decoded: the hit's own
 * columns, its visit's columns joined by visit ordinal, and its item, var
 * and event rows (docs/storage.md "Export" gives the format). Reads a
 * snapshot of the store read-only, so it runs while `canton serve` writes.
 */
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
    fprintf(f, "Usage: canton export --suite S --from YYYY-MM-DD --to YYYY-MM-DD [options]\n\n"
               "Writes every hit of the days from..to (inclusive, the suite's time zone) with\n"
               "every column decoded: hit columns, then the columns of the hit's visit, then\n"
               "its items, vars and events (docs/storage.md, \"Export\"). Rows stream in\n"
               "time order; progress goes to stderr on a terminal.\n\n"
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

/* --- Cells --- */

typedef struct out {
    fmt_t fmt;
    cn_buf_t b;
    FILE *f;
    bool first_cell;
} out_t;

static void flush_out(out_t *o, bool force)
{
    if (o->b.len >= (1u << 16) || (force && o->b.len)) {
        fwrite(o->b.ptr, 1, o->b.len, o->f);
        cn_buf_clear(&o->b);
    }
}

static void sep(out_t *o)
{
    if (!o->first_cell)
        cn_buf_putc(&o->b, o->fmt == FMT_CSV ? ',' : o->fmt == FMT_TSV ? '\t' : ',');
    o->first_cell = false;
}

static void text_cell(out_t *o, cn_str_t s)
{
    if (o->fmt == FMT_TSV) {
        for (size_t i = 0; i < s.len; i++) {
            char c = s.ptr[i];
            if (c == '\t')
                cn_buf_append(&o->b, "\\t", 2);
            else if (c == '\n')
                cn_buf_append(&o->b, "\\n", 2);
            else if (c == '\r')
                cn_buf_append(&o->b, "\\r", 2);
            else if (c == '\\')
                cn_buf_append(&o->b, "\\\\", 2);
            else
                cn_buf_putc(&o->b, c);
        }
    } else if (o->fmt == FMT_CSV) {
        bool q = false;
        for (size_t i = 0; i < s.len && !q; i++)
            q = s.ptr[i] == ',' || s.ptr[i] == '"' || s.ptr[i] == '\n' || s.ptr[i] == '\r';
        if (!q) {
            cn_buf_append_str(&o->b, s);
            return;
        }
        cn_buf_putc(&o->b, '"');
        for (size_t i = 0; i < s.len; i++) {
            if (s.ptr[i] == '"')
                cn_buf_putc(&o->b, '"');
            cn_buf_putc(&o->b, s.ptr[i]);
        }
        cn_buf_putc(&o->b, '"');
    } else {
        cn_buf_append_json_str(&o->b, s);
    }
}

static void money(cn_buf_t *b, int64_t v)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    cn_buf_printf(b, "%s%llu.%04llu", v < 0 ? "-" : "", (unsigned long long)(a / CN_MONEY_SCALE),
                  (unsigned long long)(a % CN_MONEY_SCALE));
}

/* Percent-encodes the separators of the packed item/var/event cells. */
static void packed(cn_buf_t *b, cn_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '%' || c == ';' || c == ',' || c == '=' || c == '\t' || c == '\n' || c == '\r' ||
            c == '"' || c == '\\')
            cn_buf_printf(b, "%%%02X", (unsigned char)c);
        else
            cn_buf_putc(b, c);
    }
}

static void var_name(cn_buf_t *b, uint32_t var)
{
    static const char *fam[] = {"var", "evar", "prop", "list", "hier"};
    uint32_t f = (var & CN_VAR_FAMILY_MASK) >> 16;
    if ((var & CN_VAR_FAMILY_MASK) == CN_VAR_MERCH) {
        /* a merchandising eVar bound to the hit's item K (0-based): "evar5@0" */
        cn_buf_printf(b, "evar%u@%u", cn_var_merch_evar(var), cn_var_merch_item(var));
        return;
    }
    cn_buf_printf(b, "%s%u", f < 5 ? fam[f] : "var", var & 0xffff);
}

/* --- Column blocks --- */

typedef struct block {
    const cn_store_seg_t *seg;
    uint64_t from;
    size_t n;
    int64_t *v[CN_COL_COUNT];
} block_t;

static int load_block(block_t *bl, const cn_store_seg_t *seg, cn_store_group_t g, uint64_t from,
                      size_t n, cn_err_t *err)
{
    bl->seg = seg;
    bl->from = from;
    bl->n = n;
    cn_store_col_t first = cn_store_group_first(g);
    for (size_t c = first; c < first + cn_store_group_cols(g); c++) {
        if (!bl->v[c])
            bl->v[c] = cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        int rc;
        if (ci->kind == CN_COLK_TS || ci->kind == CN_COLK_MONEY) {
            rc = cn_store_read_i64(seg, (cn_store_col_t)c, from, n, bl->v[c], err);
        } else if (ci->kind == CN_COLK_U8) {
            uint8_t *t = cn_xmalloc(n ? n : 1);
            rc = cn_store_read_u8(seg, (cn_store_col_t)c, from, n, t, err);
            for (size_t i = 0; rc == 0 && i < n; i++)
                bl->v[c][i] = t[i];
            free(t);
        } else {
            uint32_t *t = cn_xmalloc((n ? n : 1) * 4);
            rc = cn_store_read_u32(seg, (cn_store_col_t)c, from, n, t, err);
            for (size_t i = 0; rc == 0 && i < n; i++)
                bl->v[c][i] = t[i];
            free(t);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void free_block(block_t *bl)
{
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        free(bl->v[c]);
}

/* A few decoded pages of visit segments, least recently used replaced. */
#define VCACHE 8
typedef struct vcache {
    block_t pages[VCACHE];
    uint64_t used[VCACHE];
    uint64_t clock;
} vcache_t;

static int visit_row(vcache_t *vc, const cn_store_snap_t *sn, uint64_t visit, block_t **out,
                     size_t *row, cn_err_t *err)
{
    const cn_store_seg_t *seg = cn_store_snap_visit_find(sn, visit);
    if (!seg)
        return CN_ENOTFOUND;
    uint64_t r = visit - cn_store_seg_first_row(seg);
    uint64_t from = r / CN_STORE_PAGE_ROWS * CN_STORE_PAGE_ROWS;
    size_t victim = 0;
    for (size_t i = 0; i < VCACHE; i++) {
        if (vc->pages[i].seg == seg && vc->pages[i].from == from) {
            vc->used[i] = ++vc->clock;
            *out = &vc->pages[i];
            *row = (size_t)(r - from);
            return 0;
        }
        if (vc->used[i] < vc->used[victim])
            victim = i;
    }
    uint64_t rows = cn_store_seg_rows(seg, CN_GROUP_VISIT);
    size_t n = rows - from < CN_STORE_PAGE_ROWS ? (size_t)(rows - from) : CN_STORE_PAGE_ROWS;
    vc->pages[victim].seg = NULL;
    CN_RETURN_IF_ERR(load_block(&vc->pages[victim], seg, CN_GROUP_VISIT, from, n, err));
    vc->used[victim] = ++vc->clock;
    *out = &vc->pages[victim];
    *row = (size_t)(r - from);
    return 0;
}

/* --- Rows --- */

static void header(out_t *o)
{
    if (o->fmt == FMT_NDJSON)
        return;
    o->first_cell = true;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == CN_GROUP_HIT) {
            sep(o);
            cn_buf_append_c(&o->b, ci->json_key);
            if (c == CN_COL_HIT_ts) {
                sep(o);
                cn_buf_append_c(&o->b, "local_time");
            }
        }
    }
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == CN_GROUP_VISIT) {
            sep(o);
            cn_buf_append_c(&o->b, ci->json_key);
        }
    }
    sep(o);
    cn_buf_append_c(&o->b, "items");
    sep(o);
    cn_buf_append_c(&o->b, "vars");
    sep(o);
    cn_buf_append_c(&o->b, "event_rows");
    cn_buf_putc(&o->b, '\n');
}

static void value(out_t *o, const cn_store_snap_t *sn, cn_store_col_t c, int64_t v)
{
    const cn_store_col_info_t *ci = cn_store_col(c);
    if (o->fmt == FMT_NDJSON) {
        cn_buf_printf(&o->b, "\"%s\":", ci->json_key);
    }
    switch (ci->kind) {
    case CN_COLK_DICT:
        text_cell(o, cn_store_snap_dict_str(sn, ci->dict, (uint32_t)v));
        break;
    case CN_COLK_MONEY:
        money(&o->b, v);
        break;
    default:
        cn_buf_printf(&o->b, "%lld", (long long)v);
        break;
    }
}

static void local_time(out_t *o, const cn_store_t *st, int64_t ts)
{
    int64_t s = ts / 1000000 - (ts % 1000000 < 0);
    int64_t l = s + cn_store_tz_offset(st, ts);
    int64_t day = l / 86400 - (l % 86400 < 0);
    int64_t sod = l - day * 86400;
    int y, m, d;
    cn_store_day_to_ymd((int32_t)day, &y, &m, &d);
    if (o->fmt == FMT_NDJSON)
        cn_buf_append_c(&o->b, "\"local_time\":\"");
    cn_buf_printf(&o->b, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(sod / 3600),
                  (int)(sod / 60 % 60), (int)(sod % 60));
    if (o->fmt == FMT_NDJSON)
        cn_buf_putc(&o->b, '"');
}

/* Child rows of a segment, decoded whole, with a cursor per group. */
typedef struct kids {
    block_t g[3];
    size_t at[3];
    uint64_t rows[3];
} kids_t;

static const cn_store_group_t kid_group[3] = {CN_GROUP_ITEM, CN_GROUP_VAR, CN_GROUP_EVENT};
static const cn_store_col_t kid_hit[3] = {CN_COL_ITEM_hit, CN_COL_VAR_hit, CN_COL_EVENT_hit};

static void kids_cell(out_t *o, const cn_store_snap_t *sn, kids_t *k, int which, uint64_t hit)
{
    block_t *bl = &k->g[which];
    cn_store_col_t hc = kid_hit[which];
    /* loaded one page at a time by the caller; rows for this hit are consecutive */
    bool any = false;
    if (o->fmt == FMT_NDJSON) {
        static const char *names[] = {"items", "vars", "event_rows"};
        cn_buf_printf(&o->b, "\"%s\":[", names[which]);
    } else {
        sep(o);
    }
    cn_buf_t cell = CN_BUF_INIT;
    while (k->at[which] < bl->n && (uint64_t)bl->v[hc][k->at[which]] <= hit) {
        size_t i = k->at[which]++;
        if ((uint64_t)bl->v[hc][i] < hit)
            continue;
        if (o->fmt == FMT_NDJSON) {
            if (any)
                cn_buf_putc(&o->b, ',');
            cn_buf_putc(&o->b, '{');
            bool first = true;
            cn_store_col_t f0 = cn_store_group_first(kid_group[which]);
            for (size_t c = f0; c < f0 + cn_store_group_cols(kid_group[which]); c++) {
                if (c == (size_t)hc)
                    continue;
                if (!first)
                    cn_buf_putc(&o->b, ',');
                first = false;
                if (c == CN_COL_VAR_var) {
                    cn_buf_append_c(&o->b, "\"var\":\"");
                    var_name(&o->b, (uint32_t)bl->v[c][i]);
                    cn_buf_putc(&o->b, '"');
                } else {
                    value(o, sn, (cn_store_col_t)c, bl->v[c][i]);
                }
            }
            cn_buf_putc(&o->b, '}');
        } else {
            if (any)
                cn_buf_putc(&cell, ',');
            if (which == 0) {
                /* sku;category;quantity;revenue */
                packed(&cell, cn_store_snap_dict_str(sn, cn_store_col(CN_COL_ITEM_sku)->dict,
                                                     (uint32_t)bl->v[CN_COL_ITEM_sku][i]));
                cn_buf_putc(&cell, ';');
                packed(&cell, cn_store_snap_dict_str(sn, cn_store_col(CN_COL_ITEM_category)->dict,
                                                     (uint32_t)bl->v[CN_COL_ITEM_category][i]));
                cn_buf_printf(&cell, ";%lld;", (long long)bl->v[CN_COL_ITEM_quantity][i]);
                money(&cell, bl->v[CN_COL_ITEM_revenue][i]);
            } else if (which == 1) {
                var_name(&cell, (uint32_t)bl->v[CN_COL_VAR_var][i]);
                cn_buf_putc(&cell, '=');
                packed(&cell, cn_store_snap_dict_str(sn, cn_store_col(CN_COL_VAR_value)->dict,
                                                     (uint32_t)bl->v[CN_COL_VAR_value][i]));
            } else {
                cn_buf_printf(&cell, "event%lld=", (long long)bl->v[CN_COL_EVENT_event][i]);
                money(&cell, bl->v[CN_COL_EVENT_value][i]);
            }
        }
        any = true;
    }
    if (o->fmt == FMT_NDJSON)
        cn_buf_putc(&o->b, ']');
    else
        text_cell(o, cn_buf_str(&cell));
    cn_buf_dispose(&cell);
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

static int export_segment(out_t *o, cn_store_t *st, const cn_store_snap_t *sn,
                          const cn_store_seg_t *seg, vcache_t *vc, progress_t *pg, cn_err_t *err)
{
    block_t hb = {0};
    kids_t k;
    memset(&k, 0, sizeof(k));
    int rc = 0;
    for (int w = 0; w < 3; w++) {
        k.rows[w] = cn_store_seg_rows(seg, kid_group[w]);
        /* child rows are few: decode them whole, a page at a time into one block */
        size_t n = (size_t)k.rows[w];
        block_t *bl = &k.g[w];
        cn_store_col_t f0 = cn_store_group_first(kid_group[w]);
        for (size_t c = f0; c < f0 + cn_store_group_cols(kid_group[w]); c++)
            bl->v[c] = cn_xmalloc((n ? n : 1) * sizeof(int64_t));
        bl->n = n;
        for (uint64_t r = 0; r < n && rc == 0; r += CN_STORE_PAGE_ROWS) {
            size_t m = n - r < CN_STORE_PAGE_ROWS ? (size_t)(n - r) : CN_STORE_PAGE_ROWS;
            block_t tmp = {0};
            rc = load_block(&tmp, seg, kid_group[w], r, m, err);
            for (size_t c = f0; rc == 0 && c < f0 + cn_store_group_cols(kid_group[w]); c++)
                memcpy(bl->v[c] + r, tmp.v[c], m * sizeof(int64_t));
            free_block(&tmp);
        }
    }
    uint64_t rows = cn_store_seg_rows(seg, CN_GROUP_HIT);
    for (uint64_t r = 0; r < rows && rc == 0; r += CN_STORE_PAGE_ROWS) {
        size_t n = rows - r < CN_STORE_PAGE_ROWS ? (size_t)(rows - r) : CN_STORE_PAGE_ROWS;
        if ((rc = load_block(&hb, seg, CN_GROUP_HIT, r, n, err)) < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            uint64_t hit = cn_store_seg_first_row(seg) + r + i;
            o->first_cell = true;
            if (o->fmt == FMT_NDJSON)
                cn_buf_putc(&o->b, '{');
            for (size_t c = 0; c < CN_COL_COUNT; c++) {
                if (cn_store_col((cn_store_col_t)c)->group != CN_GROUP_HIT)
                    continue;
                sep(o);
                value(o, sn, (cn_store_col_t)c, hb.v[c][i]);
                if (c == CN_COL_HIT_ts) {
                    sep(o);
                    local_time(o, st, hb.v[c][i]);
                }
            }
            block_t *vb = NULL;
            size_t vr = 0;
            int vrc = visit_row(vc, sn, (uint64_t)hb.v[CN_COL_HIT_visit][i], &vb, &vr, err);
            if (vrc < 0 && vrc != CN_ENOTFOUND) {
                rc = vrc;
                break;
            }
            for (size_t c = 0; c < CN_COL_COUNT; c++) {
                if (cn_store_col((cn_store_col_t)c)->group != CN_GROUP_VISIT)
                    continue;
                sep(o);
                if (vb)
                    value(o, sn, (cn_store_col_t)c, vb->v[c][vr]);
                else if (o->fmt == FMT_NDJSON) /* dropped by retention */
                    cn_buf_printf(&o->b, "\"%s\":null", cn_store_col((cn_store_col_t)c)->json_key);
            }
            for (int w = 0; w < 3; w++) {
                if (o->fmt == FMT_NDJSON)
                    sep(o);
                kids_cell(o, sn, &k, w, hit);
            }
            cn_buf_append_c(&o->b, o->fmt == FMT_NDJSON ? "}\n" : "\n");
            flush_out(o, false);
            pg->done++;
        }
        show(pg, false);
    }
    free_block(&hb);
    for (int w = 0; w < 3; w++)
        free_block(&k.g[w]);
    return rc;
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
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
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
    out_t o = {.b = CN_BUF_INIT};
    int32_t d0, d1;
    if (optind != argc || !from || parse_date(from, &d0) != 0 ||
        parse_date(to ? to : from, &d1) != 0 || d1 < d0) {
        fprintf(stderr, "canton export: give --from and --to as YYYY-MM-DD, from <= to\n");
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
    cn_conf_t *conf = cn_cli_conf("export", config);
    if (conf == NULL)
        return CN_EXIT_FAIL;
    const cn_suite_conf_t *sc = NULL;
    if (suite)
        sc = cn_conf_suite(conf, suite, strlen(suite));
    else if (conf->suite_count == 1)
        sc = &conf->suites[0];
    if (!sc) {
        fprintf(stderr, "canton export: %s\n",
                suite ? "unknown suite" : "which suite? use --suite");
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
    o.f = stdout;
    if (outp && !(o.f = fopen(outp, "w"))) {
        perror(outp);
        cn_store_close(st);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    cn_store_snap_t *sn;
    cn_store_snapshot(st, &sn);
    progress_t pg = {.on = isatty(STDERR_FILENO) != 0};
    size_t p0 = cn_store_snap_partition_find(sn, d0), p1 = cn_store_snap_partition_find(sn, d1 + 1);
    for (size_t p = p0; p < p1; p++)
        pg.total += cn_store_snap_partition_hits(sn, p);
    vcache_t *vc = cn_xcalloc(1, sizeof(*vc));
    header(&o);
    for (size_t p = p0; p < p1 && rc == 0; p++)
        for (size_t k = 0; k < cn_store_snap_segment_count(sn, p) && rc == 0; k++)
            rc = export_segment(&o, st, sn, cn_store_snap_segment(sn, p, k), vc, &pg, &err);
    flush_out(&o, true);
    show(&pg, true);
    for (size_t i = 0; i < VCACHE; i++)
        free_block(&vc->pages[i]);
    free(vc);
    cn_store_snap_release(sn);
    cn_store_close(st);
    cn_conf_free(conf);
    cn_buf_dispose(&o.b);
    bool wfail = ferror(o.f) != 0;
    if (o.f != stdout)
        wfail |= fclose(o.f) != 0;
    else
        wfail |= fflush(o.f) != 0;
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
