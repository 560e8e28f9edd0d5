/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hit-level rows: CSV (RFC 4180, one record per line), TSV, NDJSON and the
 * Adobe Analytics data feed (hit_data.tsv with column_headers.tsv and lookup
 * files). Each row becomes one raw hit with proto CN_PROTO_IMPORT_ROW:
 * recv_us, ip and ua from the row's ts, ip and ua fields, and every other
 * non-empty field in the query string, percent-encoded and sorted by name
 * (the canonical query string of docs/import.md), where processing's
 * import-row decoder reads them.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "import/internal.h"
#include "lib/xalloc.h"

#define MAX_COLUMNS 2048

typedef struct lookup {
    char *column;  /* column it applies to */
    char **values; /* by numeric id */
    size_t count;
} lookup_t;

struct cn_import_rowfmt {
    cn_import_kind_t kind;
    char sep;
    char **map_from, **map_to; /* --map renames */
    size_t map_count;
    char **cols; /* column names after renaming; NULL until the header is known */
    size_t col_count;
    lookup_t *lookups;
    size_t lookup_count;
    int col_lookup[MAX_COLUMNS]; /* lookup index per column, -1 none */
    /* Adobe feed columns read here (-1: absent): rows Adobe says to leave out, and the
     * hit's kind, which becomes the `type` field: post_page_event (page_event_post true, its
     * numbering 0, 100, 101, 102), else page_event (0, 10, 11, 12) */
    int col_exclude_hit, col_hit_source, col_page_event;
    bool page_event_post;
    /* Adobe feed: post_event_list (else event_list), which becomes the `events` field (-1:
     * none), and event.tsv when the lookup folder has it (count 0: not given) */
    int col_event_list;
    lookup_t event_tsv;
    /* Adobe feed: post_product_list when it is the `products` field (-1: not), whose
     * merchandising eVar instances are dropped (merch_instances) */
    int col_post_products;
    /* NDJSON: every line through jansson, without the fast scanner (the fuzz target's
     * reference; cn_import__rowfmt_use_jansson) */
    bool json_ref;
};

/* Canonical field names and the column names that mean them. */
static const char *canonical(const char *name)
{
    static const struct {
        const char *alias, *field;
    } aliases[] = {
        {"ts", "ts"},
        {"timestamp", "ts"},
        {"time", "ts"},
        {"date_time", "ts"},
        {"hit_time_gmt", "ts"},
        {"datetime", "ts"},
        {"ip", "ip"},
        {"client_ip", "ip"},
        {"remote_addr", "ip"},
        {"ua", "ua"},
        {"user_agent", "ua"},
        {"useragent", "ua"},
        {"url", "url"},
        {"page_url", "url"},
        {"referrer", "referrer"},
        {"referer", "referrer"},
        /* Adobe data feed columns with a field of their own */
        {"pagename", "page"},
        {"purchaseid", "order_id"},
        {"product_list", "products"},
        {"page_event_var1", "link_url"},
        {"page_event_var2", "link_name"},
    };
    /* NDJSON asks for every key of every line: the first byte rules most out */
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (name[0] == aliases[i].alias[0] && strcmp(name, aliases[i].alias) == 0)
            return aliases[i].field;
    return name;
}

static const char *mapped(const cn_import_rowfmt_t *r, const char *name)
{
    for (size_t i = 0; i < r->map_count; i++)
        if (name[0] == r->map_from[i][0] && strcmp(r->map_from[i], name) == 0)
            return r->map_to[i];
    return canonical(name);
}

static int parse_map(cn_import_rowfmt_t *r, const char *map, cn_err_t *err)
{
    if (map == NULL)
        return 0;
    cn_str_t rest = cn_str_c(map), item;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &item);
        item = cn_str_trim(item);
        if (item.len == 0)
            continue;
        const char *eq = memchr(item.ptr, '=', item.len);
        if (eq == NULL || eq == item.ptr || eq == item.ptr + item.len - 1)
            return cn_err_set(err, CN_EINVAL, "--map: '%.*s' is not column=field",
                              CN_STR_FMT(item));
        r->map_from = cn_xrealloc(r->map_from, (r->map_count + 1) * sizeof(char *));
        r->map_to = cn_xrealloc(r->map_to, (r->map_count + 1) * sizeof(char *));
        r->map_from[r->map_count] = cn_xstrndup(item.ptr, (size_t)(eq - item.ptr));
        r->map_to[r->map_count] = cn_xstrndup(eq + 1, (size_t)(item.ptr + item.len - eq - 1));
        r->map_count++;
    }
    return 0;
}

/* Reads a whole small file into a buffer (limit 64 MiB). */
static int slurp(const char *path, cn_buf_t *out, cn_err_t *err)
{
    int rc = cn_buf_append_file(out, path, 64u << 20);
    if (rc == CN_ETOOBIG)
        return cn_err_set(err, rc, "%s: larger than 64 MiB", path);
    if (rc != 0)
        return cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    return 0;
}

/* The column named name in the header and left alone by --map (-1: none). */
static int plain_column(const cn_import_rowfmt_t *r, cn_str_t *names, size_t count,
                        const char *name)
{
    for (size_t k = 0; k < r->map_count; k++)
        if (strcmp(r->map_from[k], name) == 0)
            return -1;
    for (size_t i = 0; i < count; i++)
        if (cn_str_eq_c(names[i], name))
            return (int)i;
    return -1;
}

/*
 * An Adobe feed's post_ columns hold the values after Adobe's processing (processing rules,
 * VISTA rules, currency conversion), the ones Adobe's reports show: post_pagename,
 * post_page_url, post_purchaseid, post_product_list, post_page_event_var1 and
 * post_page_event_var2 become page, url, order_id, products, link_url and link_name, and the
 * column as sent stays context data under its own name (post_event_list and post_page_event
 * are chosen in set_columns). Columns renamed by --map are the user's choice and left alone.
 *
 * Currency: post_product_list holds its amounts converted to the report suite's base currency
 * (Adobe's "Calculate metrics" page), and so, as a post_ column, does post_event_list for
 * currency events; product_list and event_list hold them as sent, in `currency` (the
 * transaction's currency code; post_currency is that code after processing, not the suite's).
 * A hit has one currency, so the products column decides: post_product_list, or no products
 * column and post_event_list, make the amounts the suite's own and `currency` becomes the
 * context column `currency_sent`; with product_list the amounts are as sent and `currency`
 * stays the hit's currency. post_currency stays context data either way.
 * Not here: post_evarN and post_campaign hold the value in force (persisted) on every hit,
 * and processing persists eVars and campaigns itself (docs/import.md "Adobe feed post_
 * columns").
 */
static void prefer_post(cn_import_rowfmt_t *r, cn_str_t *names, size_t count, bool post_events)
{
    static const struct {
        const char *sent, *post, *field;
    } pairs[] = {
        {"pagename", "post_pagename", "page"},
        {"page_url", "post_page_url", "url"},
        {"purchaseid", "post_purchaseid", "order_id"},
        {"product_list", "post_product_list", "products"},
        {"page_event_var1", "post_page_event_var1", "link_url"},
        {"page_event_var2", "post_page_event_var2", "link_name"},
    };
    bool post_money = post_events && plain_column(r, names, count, "product_list") < 0;
    for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
        int post = plain_column(r, names, count, pairs[p].post);
        if (post < 0)
            continue;
        if (strcmp(pairs[p].field, "products") == 0) {
            post_money = true;
            r->col_post_products = post;
        }
        int sent = plain_column(r, names, count, pairs[p].sent);
        if (sent >= 0) {
            free(r->cols[sent]);
            r->cols[sent] = cn_xstrdup(pairs[p].sent);
        }
        free(r->cols[post]);
        r->cols[post] = cn_xstrdup(pairs[p].field);
    }
    if (!post_money)
        return;
    int sent = plain_column(r, names, count, "currency");
    if (sent >= 0) {
        free(r->cols[sent]);
        r->cols[sent] = cn_xstrdup("currency_sent");
    }
}

static int set_columns(cn_import_rowfmt_t *r, cn_str_t *names, size_t count, cn_err_t *err)
{
    if (count == 0 || count > MAX_COLUMNS)
        return cn_err_set(err, CN_EPARSE, "the header has %zu columns (1..%d allowed)", count,
                          MAX_COLUMNS);
    /* a column named twice would give its field twice (two prop rows, two page names):
     * which one the user meant is theirs to say (an Adobe feed's names are Adobe's) */
    for (size_t i = 0; r->kind != CN_IMPORT_KIND_ADOBE && i < count; i++)
        for (size_t k = i + 1; k < count; k++)
            if (cn_str_eq(names[i], names[k]))
                return cn_err_set(err, CN_EPARSE,
                                  "the header names column '%.*s' twice (columns %zu and %zu)",
                                  CN_STR_FMT(names[i]), i + 1, k + 1);
    r->cols = cn_xcalloc(count, sizeof(char *));
    r->col_count = count;
    r->col_exclude_hit = r->col_hit_source = r->col_page_event = r->col_event_list = -1;
    r->col_post_products = -1;
    r->page_event_post = false;
    int col_post_events = -1, col_post_page_event = -1;
    for (size_t i = 0; i < count; i++) {
        char *raw = cn_xstrndup(names[i].ptr, names[i].len);
        r->cols[i] = cn_xstrdup(mapped(r, raw));
        r->col_lookup[i] = -1;
        for (size_t k = 0; k < r->lookup_count; k++)
            if (strcmp(raw, r->lookups[k].column) == 0)
                r->col_lookup[i] = (int)k;
        /* An Adobe feed's date_time is the report suite's local time without a zone:
         * with hit_time_gmt (UTC) present it stays a plain column, not the time. */
        bool renamed = false; /* by --map: then the user's choice stands */
        for (size_t k = 0; k < r->map_count; k++)
            renamed |= strcmp(r->map_from[k], raw) == 0;
        if (strcmp(raw, "date_time") == 0 && strcmp(r->cols[i], "ts") == 0 && !renamed) {
            for (size_t k = 0; k < count; k++)
                if (cn_str_eq_c(names[k], "hit_time_gmt")) {
                    free(r->cols[i]);
                    r->cols[i] = cn_xstrdup(raw);
                    break;
                }
        }
        if (r->kind == CN_IMPORT_KIND_ADOBE && strcmp(r->cols[i], raw) == 0) {
            if (strcmp(raw, "exclude_hit") == 0)
                r->col_exclude_hit = (int)i;
            else if (strcmp(raw, "hit_source") == 0)
                r->col_hit_source = (int)i;
            else if (strcmp(raw, "page_event") == 0)
                r->col_page_event = (int)i;
            else if (strcmp(raw, "event_list") == 0)
                r->col_event_list = (int)i;
            else if (strcmp(raw, "post_event_list") == 0)
                col_post_events = (int)i;
            else if (strcmp(raw, "post_page_event") == 0)
                col_post_page_event = (int)i;
        }
        free(raw);
    }
    /* the events after Adobe's processing (serialization, processing rules) win over those
     * sent; either becomes the `events` field unless a column already is `events` */
    if (col_post_events >= 0)
        r->col_event_list = col_post_events;
    if (r->kind == CN_IMPORT_KIND_ADOBE)
        prefer_post(r, names, count, col_post_events >= 0);
    for (size_t i = 0; i < count && r->col_event_list >= 0; i++)
        if (strcmp(r->cols[i], "events") == 0)
            r->col_event_list = -1;
    /* post_page_event (the hit type Adobe reports, after its processing), else page_event,
     * becomes the type, unless a column already is the type; the other stays a plain column */
    if (col_post_page_event >= 0) {
        r->col_page_event = col_post_page_event;
        r->page_event_post = true;
    }
    for (size_t i = 0; i < count && r->col_page_event >= 0; i++)
        if (strcmp(r->cols[i], "type") == 0)
            r->col_page_event = -1;
    if (r->col_page_event >= 0) {
        free(r->cols[r->col_page_event]);
        r->cols[r->col_page_event] = cn_xstrdup("type");
    }
    return 0;
}

/* Reads an Adobe lookup file of "<id>\t<value>" lines into *lk; false when it is absent. */
static bool read_lookup(const char *dir, const char *file, const char *column, lookup_t *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    cn_buf_t b = CN_BUF_INIT;
    if (slurp(path, &b, NULL) != 0) {
        cn_buf_dispose(&b);
        return false;
    }
    lookup_t lk = {.column = cn_xstrdup(column)};
    cn_str_t rest = cn_buf_str(&b), line;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len && line.ptr[line.len - 1] == '\r')
            line.len--;
        cn_str_t idtext, value = cn_str_split(line, '\t', &idtext);
        int64_t id;
        if (value.ptr == NULL || cn_str_to_i64(idtext, &id) != 0 || id < 0 || id > 10000000)
            continue;
        if ((size_t)id >= lk.count) {
            size_t n = (size_t)id + 1;
            lk.values = cn_xrealloc(lk.values, n * sizeof(char *));
            memset(lk.values + lk.count, 0, (n - lk.count) * sizeof(char *));
            lk.count = n;
        }
        free(lk.values[id]);
        lk.values[id] = cn_xstrndup(value.ptr, value.len);
    }
    cn_buf_dispose(&b);
    *out = lk;
    return true;
}

/* A lookup file keyed by the column it decodes. */
static void load_lookup(cn_import_rowfmt_t *r, const char *dir, const char *file,
                        const char *column)
{
    lookup_t lk;
    if (!read_lookup(dir, file, column, &lk))
        return;
    r->lookups = cn_xrealloc(r->lookups, (r->lookup_count + 1) * sizeof(lookup_t));
    r->lookups[r->lookup_count++] = lk;
}

static void lookup_dispose(lookup_t *lk)
{
    for (size_t k = 0; k < lk->count; k++)
        free(lk->values[k]);
    free(lk->values);
    free(lk->column);
}

static int adobe_setup(cn_import_rowfmt_t *r, const char *dir, cn_err_t *err)
{
    static const struct {
        const char *file, *column;
    } lookups[] = {
        {"browser.tsv", "browser"},
        {"browser_type.tsv", "browser_type"},
        {"color_depth.tsv", "color"},
        {"connection_type.tsv", "connection_type"},
        {"country.tsv", "country"},
        {"javascript_version.tsv", "javascript"},
        {"languages.tsv", "language"},
        {"operating_systems.tsv", "os"},
        {"plugins.tsv", "plugins"},
        {"referrer_type.tsv", "ref_type"},
        {"resolution.tsv", "resolution"},
        {"search_engines.tsv", "search_engine"},
        {"search_engines.tsv", "post_search_engine"},
    };
    if (dir == NULL)
        dir = ".";
    for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++)
        load_lookup(r, dir, lookups[i].file, lookups[i].column);
    (void)read_lookup(dir, "event.tsv", "event_list", &r->event_tsv);
    char path[4096];
    snprintf(path, sizeof(path), "%s/column_headers.tsv", dir);
    cn_buf_t b = CN_BUF_INIT;
    int rc = slurp(path, &b, err);
    if (rc == 0) {
        cn_str_t line, rest = cn_str_split(cn_buf_str(&b), '\n', &line);
        (void)rest;
        if (line.len && line.ptr[line.len - 1] == '\r')
            line.len--;
        cn_str_t *names = cn_xmalloc(MAX_COLUMNS * sizeof(cn_str_t));
        size_t n = 0;
        cn_str_t cell, more = line;
        while (more.ptr != NULL && n < MAX_COLUMNS) {
            more = cn_str_split(more, '\t', &cell);
            names[n++] = cn_str_trim(cell);
        }
        rc = set_columns(r, names, n, err);
        free(names);
    }
    cn_buf_dispose(&b);
    return rc;
}

int cn_import__rowfmt_new(const cn_import_opts_t *opts, cn_import_kind_t kind,
                          cn_import_rowfmt_t **out, cn_err_t *err)
{
    cn_import_rowfmt_t *r = cn_xcalloc(1, sizeof(*r));
    r->kind = kind;
    r->sep = kind == CN_IMPORT_KIND_CSV ? ',' : '\t';
    int rc = parse_map(r, opts->map, err);
    if (rc == 0 && kind == CN_IMPORT_KIND_ADOBE)
        rc = adobe_setup(r, opts->lookup_dir, err);
    if (rc != 0) {
        cn_import__rowfmt_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void cn_import__rowfmt_free(cn_import_rowfmt_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->map_count; i++) {
        free(r->map_from[i]);
        free(r->map_to[i]);
    }
    free(r->map_from);
    free(r->map_to);
    for (size_t i = 0; i < r->col_count; i++)
        free(r->cols[i]);
    free(r->cols);
    for (size_t i = 0; i < r->lookup_count; i++)
        lookup_dispose(&r->lookups[i]);
    free(r->lookups);
    lookup_dispose(&r->event_tsv);
    free(r);
}

void cn_import__rowfmt_use_jansson(cn_import_rowfmt_t *r)
{
    r->json_ref = true;
}

bool cn_import__rowfmt_needs_header(const cn_import_rowfmt_t *r)
{
    return (r->kind == CN_IMPORT_KIND_CSV || r->kind == CN_IMPORT_KIND_TSV) && r->cols == NULL;
}

/*
 * Splits one CSV/TSV line into cells. CSV cells may be "quoted" with ""
 * for a quote; TSV and Adobe cells use backslash escapes (\t \n \\).
 * Unescaped cells are written to scratch (reserved by the caller).
 * Returns the cell count, or -1 for an unterminated quote.
 */
static long split_cells(const cn_import_rowfmt_t *r, cn_str_t line, cn_buf_t *sc, cn_str_t *cells,
                        size_t max)
{
    size_t n = 0, i = 0;
    for (;;) {
        if (n == max)
            return (long)max + 1;
        if (r->kind == CN_IMPORT_KIND_CSV && i < line.len && line.ptr[i] == '"') {
            char *o = sc->ptr + sc->len, *start = o;
            i++;
            for (;;) {
                if (i >= line.len)
                    return -1;
                if (line.ptr[i] == '"') {
                    if (i + 1 < line.len && line.ptr[i + 1] == '"') {
                        *o++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = line.ptr[i++];
            }
            sc->len += (size_t)(o - start);
            cells[n++] = cn_str(start, (size_t)(o - start));
            if (i < line.len && line.ptr[i] != r->sep)
                return -1;
        } else {
            const char *e = i < line.len ? memchr(line.ptr + i, r->sep, line.len - i) : NULL;
            size_t j = e ? (size_t)(e - line.ptr) : line.len;
            cn_str_t cell = cn_str(line.ptr + i, j - i);
            if (r->kind != CN_IMPORT_KIND_CSV && memchr(cell.ptr, '\\', cell.len) != NULL) {
                char *o = sc->ptr + sc->len, *start = o;
                for (size_t k = 0; k < cell.len; k++) {
                    if (cell.ptr[k] == '\\' && k + 1 < cell.len) {
                        char c = cell.ptr[++k];
                        *o++ = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
                    } else {
                        *o++ = cell.ptr[k];
                    }
                }
                sc->len += (size_t)(o - start);
                cell = cn_str(start, (size_t)(o - start));
            }
            cells[n++] = cell;
            i = j;
        }
        if (i >= line.len)
            break;
        i++; /* the separator */
        if (i == line.len) {
            if (n == max)
                return (long)max + 1;
            cells[n++] = cn_str(line.ptr + i, 0);
            break;
        }
    }
    return (long)n;
}

int cn_import__rowfmt_set_header(cn_import_rowfmt_t *r, cn_str_t line, cn_err_t *err)
{
    if (r->cols != NULL)
        return cn_err_set(err, CN_EINVAL, "the header is already set");
    cn_buf_t sc = CN_BUF_INIT;
    cn_buf_reserve(&sc, line.len + 16);
    cn_str_t *cells = cn_xmalloc(MAX_COLUMNS * sizeof(cn_str_t));
    long n = split_cells(r, line, &sc, cells, MAX_COLUMNS);
    int rc;
    if (n < 0)
        rc = cn_err_set(err, CN_EPARSE, "the header row has an unterminated quote");
    else
        rc = set_columns(r, cells, (size_t)n, err);
    free(cells);
    cn_buf_dispose(&sc);
    return rc;
}

/* --- Building the raw hit --- */

typedef struct kv {
    const char *key;
    cn_str_t value;
} kv_t;

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const kv_t *)a)->key, ((const kv_t *)b)->key);
}

void cn_import__put_qescaped(cn_buf_t *b, cn_str_t s)
{
    static const char hex[] = "0123456789ABCDEF";
    cn_buf_reserve(b, s.len * 3);
    char *o = b->ptr + b->len;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    b->len = (size_t)(o - b->ptr);
    b->ptr[b->len] = '\0';
}

static int parse_ts(cn_str_t v, int64_t *out)
{
    if (v.len > 0 && v.ptr[0] >= '0' && v.ptr[0] <= '9') {
        if (cn_import__parse_epoch(v, out) == 0)
            return 0;
        if (cn_import__parse_iso_time(v, out) == 0)
            return 0;
        return cn_import__parse_clf_time(v, out);
    }
    return CN_EPARSE;
}

static int bad(cn_import_info_t *info, cn_import_bad_t why, size_t column)
{
    info->bad = why;
    info->column = column;
    info->cells = info->want = 0;
    return CN_EPARSE;
}

/*
 * True for a column that names an eVar, prop, list variable or hierarchy the way
 * processing's import-row decoder numbers them in its packed `vars` cell: evar1..evar250,
 * prop1..prop75, list1..list3, hier1..hier5 (prefix in any case, no leading zero).
 */
static bool is_var_column(const char *key)
{
    static const struct {
        const char *prefix;
        long max;
    } fams[] = {{"evar", 250}, {"prop", 75}, {"list", 3}, {"hier", 5}};
    size_t len = strlen(key);
    if (len < 5 || len > 7 || key[4] < '1' || key[4] > '9')
        return false;
    for (size_t f = 0; f < 4; f++) {
        if (strncasecmp(key, fams[f].prefix, 4) != 0)
            continue;
        long n = 0;
        for (size_t i = 4; i < len; i++) {
            if (key[i] < '0' || key[i] > '9')
                return false;
            n = n * 10 + (key[i] - '0');
        }
        return n <= fams[f].max;
    }
    return false;
}

/*
 * Folds evarN, propN, listN and hierN columns into the `vars` field, as the packed cell
 * "evar1=v,prop2=w" that processing reads (values percent-encoded, so that a ',' or '='
 * in a value stays in it), after the packed `vars` cell the row may already have. A row
 * whose `vars` is a JSON array (export NDJSON) keeps such columns as they are. Returns
 * the new count of kvs; the cell is built in *cell.
 */
static size_t fold_vars(kv_t *kvs, size_t m, cn_buf_t *cell)
{
    size_t vars_at = m, nvar = 0;
    for (size_t i = 0; i < m; i++) {
        if (strcmp(kvs[i].key, "vars") == 0)
            vars_at = i;
        else if (is_var_column(kvs[i].key))
            nvar++;
    }
    if (nvar == 0 || (vars_at < m && kvs[vars_at].value.ptr[0] == '['))
        return m;
    cn_buf_clear(cell);
    if (vars_at < m)
        cn_buf_append(cell, kvs[vars_at].value.ptr, kvs[vars_at].value.len);
    size_t out = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == vars_at)
            continue;
        if (!is_var_column(kvs[i].key)) {
            kvs[out++] = kvs[i];
            continue;
        }
        if (cell->len > 0)
            cn_buf_putc(cell, ',');
        for (const char *k = kvs[i].key; *k; k++)
            cn_buf_putc(cell, (char)((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k));
        cn_buf_putc(cell, '=');
        cn_import__put_qescaped(cell, kvs[i].value);
    }
    kvs[out++] = (kv_t){"vars", cn_buf_str(cell)};
    return out;
}

/*
 * Finishes a row given as (key, value) pairs: picks ts, ip, ua; the rest
 * go into the canonical query string (in ctx->scratch, after the values).
 */
static int build(cn_import_ctx_t *ctx, kv_t *kvs, size_t n, cn_rawhit_t *out,
                 cn_import_info_t *info, cn_buf_t *qbuf)
{
    memset(out, 0, sizeof(*out));
    out->proto = CN_PROTO_IMPORT_ROW;
    out->method = CN_STR_LIT("GET");
    bool has_ts = false;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (kvs[i].value.len == 0)
            continue;
        if (strcmp(kvs[i].key, "ts") == 0) {
            if (parse_ts(kvs[i].value, &out->recv_us) != 0)
                return bad(info, CN_IMPORT_BAD_TIMESTAMP, i);
            has_ts = true;
        } else if (strcmp(kvs[i].key, "ip") == 0) {
            out->ip = kvs[i].value;
        } else if (strcmp(kvs[i].key, "ua") == 0) {
            out->ua = kvs[i].value;
        } else {
            kvs[m++] = kvs[i];
        }
    }
    if (!has_ts)
        return bad(info, CN_IMPORT_BAD_NO_TIMESTAMP, 0);
    cn_buf_t vars = CN_BUF_INIT;
    m = fold_vars(kvs, m, &vars);
    qsort(kvs, m, sizeof(kv_t), kv_cmp);
    cn_buf_clear(qbuf);
    cn_hit_rowfacts_t facts = {0};
    for (size_t i = 0; i < m; i++) {
        if (i > 0)
            cn_buf_putc(qbuf, '&');
        cn_import__put_qescaped(qbuf, cn_str_c(kvs[i].key));
        cn_buf_putc(qbuf, '=');
        cn_import__put_qescaped(qbuf, kvs[i].value);
        cn_hit_rowfacts_add(&facts, cn_str_c(kvs[i].key), kvs[i].value);
    }
    cn_buf_dispose(&vars);
    out->query = cn_buf_str(qbuf);
    /*
     * The address and user agent never hold a control byte (raw, or from a TSV or JSON
     * escape): it becomes a space, as in logs (docs/import.md "Control bytes").
     */
    size_t ctl_len = 0;
    if (cn_import__has_ctl(out->ip))
        ctl_len += out->ip.len + 1;
    if (cn_import__has_ctl(out->ua))
        ctl_len += out->ua.len + 1;
    if (ctl_len > 0) {
        cn_buf_clear(&ctx->clean);
        cn_buf_reserve(&ctx->clean, ctl_len);
        if (cn_import__has_ctl(out->ip))
            out->ip = cn_import__ctl_to_space(out->ip, &ctx->clean);
        if (cn_import__has_ctl(out->ua))
            out->ua = cn_import__ctl_to_space(out->ua, &ctx->clean);
    }
    /* a page view by processing's rule, with the default static extensions (hit/pagerule.h) */
    info->is_page = cn_hit_row_type(&facts, NULL) == CN_HIT_PAGEVIEW;
    return 0;
}

/*
 * An NDJSON line through jansson: the reference, which takes every line (and names the column
 * of an error); json_row_fast gives the same for the lines it takes.
 */
static int parse_json_row_ref(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, cn_str_t line,
                              cn_rawhit_t *out, cn_import_info_t *info)
{
    json_error_t jerr;
    json_t *root = json_loadb(line.ptr, line.len, JSON_DECODE_ANY, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return bad(info, CN_IMPORT_BAD_JSON, root == NULL ? (size_t)jerr.position : 0);
    }
    /* values are copied into scratch, keys into a key buffer, both freed per line */
    size_t n = json_object_size(root);
    if (n > MAX_COLUMNS) {
        json_decref(root);
        return bad(info, CN_IMPORT_BAD_COLUMNS, 0);
    }
    kv_t *kvs = cn_xmalloc((n + 1) * sizeof(kv_t));
    /* nested values dumped once, in the first pass, and copied in the second */
    char **dumps = cn_xcalloc(n + 1, sizeof(char *));
    size_t ndump = 0;
    cn_buf_t *sc = &ctx->scratch;
    cn_buf_clear(sc);
    size_t m = 0;
    const char *key;
    json_t *v;
    /* first pass: sizes, so that scratch never moves while slices point into it */
    size_t need = 0;
    json_object_foreach(root, key, v)
    {
        need += strlen(key) + 1;
        if (json_is_string(v)) {
            need += json_string_length(v) + 1;
        } else if (json_is_array(v) || json_is_object(v)) {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            need += (t ? strlen(t) : 0) + 1;
            dumps[ndump++] = t;
        } else {
            need += 64;
        }
    }
    cn_buf_reserve(sc, need + 16);
    size_t idump = 0;
    json_object_foreach(root, key, v)
    {
        char *k = sc->ptr + sc->len;
        size_t kl = strlen(key);
        memcpy(k, key, kl + 1);
        sc->len += kl + 1;
        const char *canon = mapped(r, k);
        char *val = sc->ptr + sc->len;
        size_t vl = 0;
        if (json_is_string(v)) {
            vl = json_string_length(v);
            memcpy(val, json_string_value(v), vl);
        } else if (json_is_integer(v)) {
            vl = (size_t)snprintf(val, 64, "%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
            vl = cn_import__shortest_double(json_real_value(v), val);
        } else if (json_is_true(v) || json_is_false(v)) {
            vl = (size_t)snprintf(val, 64, "%s", json_is_true(v) ? "true" : "false");
        } else if (json_is_array(v) || json_is_object(v)) {
            /* nested values (export's items, vars, events) are kept as compact JSON */
            const char *t = dumps[idump++];
            if (t == NULL)
                continue;
            vl = strlen(t);
            memcpy(val, t, vl);
        } else {
            continue; /* null is an absent field */
        }
        sc->len += vl + 1;
        kvs[m++] = (kv_t){canon, cn_str(val, vl)};
    }
    int rc = build(ctx, kvs, m, out, info, &ctx->query);
    json_decref(root);
    for (size_t i = 0; i < ndump; i++)
        free(dumps[i]);
    free(dumps);
    free(kvs);
    return rc;
}

/*
 * The field names of the last NDJSON line's members by position: lines of one file mostly
 * have the same names in the same order (an export's always), and mapped() would otherwise
 * compare every name of every line with the aliases and --map. canon NULL: the name itself.
 */
typedef struct jname {
    char *key;
    size_t len;
    const char *canon;
} jname_t;

struct cn_import_jnames {
    const cn_import_rowfmt_t *r; /* the parser the names were mapped by */
    jname_t *names;
    size_t count;
};

void cn_import__jnames_free(cn_import_jnames_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->count; i++)
        free(c->names[i].key);
    free(c->names);
    free(c);
}

/* mapped(r, key) for the member at index i of a line (key NUL-terminated, len bytes). */
static const char *field_name(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, size_t i,
                              const char *key, size_t len)
{
    cn_import_jnames_t *c = ctx->jnames;
    if (c == NULL || c->r != r) {
        cn_import__jnames_free(c);
        c = ctx->jnames = cn_xcalloc(1, sizeof(*c));
        c->r = r;
    }
    if (i < c->count && c->names[i].len == len && memcmp(c->names[i].key, key, len) == 0)
        return c->names[i].canon != NULL ? c->names[i].canon : key;
    if (i >= c->count) {
        /* the scanner gives at most MAX_COLUMNS members */
        c->names = cn_xrealloc(c->names, (i + 1) * sizeof(jname_t));
        memset(c->names + c->count, 0, (i + 1 - c->count) * sizeof(jname_t));
        c->count = i + 1;
    }
    const char *canon = mapped(r, key);
    jname_t *jn = &c->names[i];
    free(jn->key);
    *jn = (jname_t){cn_xstrndup(key, len), len, canon == key ? NULL : canon};
    return canon;
}

/*
 * An NDJSON line without jansson's tree (ndjson.c), when the scanner takes it: the same
 * (key, value) pairs in the same order as parse_json_row_ref, so the same raw hit. 1 when
 * the scanner leaves the line to jansson.
 */
static int json_row_fast(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info)
{
    cn_buf_t *sc = &ctx->scratch;
    cn_buf_clear(sc);
    long n = cn_import__json_scan(line, sc, &ctx->jmembers, &ctx->jkeys);
    if (n < 0)
        return 1;
    /* scratch is complete: slices into it stay valid from here on */
    const cn_import_jmember_t *mem = (const cn_import_jmember_t *)(void *)ctx->jmembers.ptr;
    kv_t *kvs = cn_xmalloc(((size_t)n + 1) * sizeof(kv_t));
    size_t m = 0;
    for (long i = 0; i < n; i++) {
        if (mem[i].is_null)
            continue; /* null is an absent field */
        const char *key = sc->ptr + mem[i].key;
        kvs[m++] = (kv_t){field_name(r, ctx, (size_t)i, key, mem[i].val - mem[i].key - 1),
                          cn_str(sc->ptr + mem[i].val, mem[i].val_len)};
    }
    int rc = build(ctx, kvs, m, out, info, &ctx->query);
    free(kvs);
    return rc;
}

static int parse_json_row(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, cn_str_t line,
                          cn_rawhit_t *out, cn_import_info_t *info)
{
    if (!r->json_ref) {
        int rc = json_row_fast(r, ctx, line, out, info);
        if (rc != 1)
            return rc;
    }
    return parse_json_row_ref(r, ctx, line, out, info);
}

/*
 * An Adobe data feed row: true when Adobe's rules leave it out of every metric
 * (exclude_hit > 0: excluded by a rule, a bot or a filter; hit_source 5, 7, 8 or 9: data
 * sources and summary rows), else turns the page event into the type processing reads.
 * Adobe's "Page event lookup" numbers page_event 0 page view, 10 custom link, 11 download,
 * 12 exit link, and the same kinds in post_page_event 0, 100, 101, 102; other kinds (media,
 * survey, Target: 31.., 76..) are left to processing's default.
 */
static bool adobe_row(const cn_import_rowfmt_t *r, kv_t *kvs)
{
    int64_t n;
    if (r->col_exclude_hit >= 0 && cn_str_to_i64(kvs[r->col_exclude_hit].value, &n) == 0 && n > 0)
        return true;
    if (r->col_hit_source >= 0 && cn_str_to_i64(kvs[r->col_hit_source].value, &n) == 0 &&
        (n == 5 || n == 7 || n == 8 || n == 9))
        return true;
    if (r->col_page_event >= 0) {
        cn_str_t *v = &kvs[r->col_page_event].value;
        n = -1;
        (void)cn_str_to_i64(*v, &n);
        int64_t link = r->page_event_post ? 100 : 10; /* the custom link; +1, +2 follow */
        *v = n == 0          ? CN_STR_LIT("pageview")
             : n == link     ? CN_STR_LIT("link")
             : n == link + 1 ? CN_STR_LIT("download")
             : n == link + 2 ? CN_STR_LIT("exit")
                             : CN_STR_LIT("");
    }
    return false;
}

/*
 * Adobe's numbering of the ids in a data feed's event_list (the ids event.tsv names, the same
 * in every report suite): 1 purchase, 2 prodView, 10 scOpen, 11 scCheckout, 12 scAdd,
 * 13 scRemove, 14 scView, 200..299 event1..event100, 20100..20999 event101..event1000
 * (sources in docs/import.md "Adobe feed events").
 * Writes the name processing reads into out (16 bytes) and returns 1 for a commerce event,
 * 2 for a numbered one, 0 for any other id (instances of eVars, ClickMap...: no success event).
 */
static int adobe_event_name(int64_t id, char *out)
{
    static const char *const commerce[15] = {
        [1] = "purchase", [2] = "prodView",  [10] = "scOpen", [11] = "scCheckout",
        [12] = "scAdd",   [13] = "scRemove", [14] = "scView",
    };
    if (id >= 1 && id <= 14 && commerce[id] != NULL) {
        snprintf(out, 16, "%s", commerce[id]);
        return 1;
    }
    if (id >= 200 && id <= 299) {
        snprintf(out, 16, "event%d", (int)(id - 199));
        return 2;
    }
    if (id >= 20100 && id <= 20999) {
        snprintf(out, 16, "event%d", (int)(id - 19999));
        return 2;
    }
    return 0;
}

/* True for an event value: [-]digits[.digits]. */
static bool is_event_value(cn_str_t v)
{
    size_t i = v.len > 0 && v.ptr[0] == '-' ? 1 : 0, digits = 0;
    bool dot = false;
    for (; i < v.len; i++) {
        if (v.ptr[i] >= '0' && v.ptr[i] <= '9')
            digits++;
        else if (v.ptr[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digits > 0 && digits <= 30;
}

/* True for an event's serialization ID: 1..64 bytes, none a space, control byte, ',', ':' or
 * '=' (Adobe takes up to 20 alphanumeric bytes; a feed may have kept more). */
static bool is_event_serial(cn_str_t v)
{
    if (v.len == 0 || v.len > 64)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c <= 0x20 || c == 0x7f || c == ',' || c == ':' || c == '=')
            return false;
    }
    return true;
}

/*
 * Splits one entry of an Adobe event list: the id, then at most one "=value" and at most one
 * ":serial" in either order ("201", "201=2.5", "201:ABC", "201:ABC=2.5", "201=2.5:ABC"; Adobe:
 * entries "may have a value and/or a unique ID", s.events writes the ID "event1:ABC").
 * value and serial are CN_STR_NULL when absent. False when the entry is not of that form.
 */
static bool event_entry(cn_str_t ent, cn_str_t *id, cn_str_t *value, cn_str_t *serial)
{
    size_t k = 0;
    while (k < ent.len && ent.ptr[k] >= '0' && ent.ptr[k] <= '9')
        k++;
    *id = cn_str(ent.ptr, k);
    *value = *serial = CN_STR_NULL;
    cn_str_t rest = cn_str_trim(cn_str(ent.ptr + k, ent.len - k));
    while (rest.len > 0) {
        char kind = rest.ptr[0];
        size_t end = 1;
        while (end < rest.len && rest.ptr[end] != '=' && rest.ptr[end] != ':')
            end++;
        cn_str_t part = cn_str_trim(cn_str(rest.ptr + 1, end - 1));
        if (kind == '=' && value->ptr == NULL && is_event_value(part))
            *value = part;
        else if (kind == ':' && serial->ptr == NULL && is_event_serial(part))
            *serial = part;
        else
            return false;
        rest = cn_str(rest.ptr + end, rest.len - end);
    }
    return id->len > 0 && id->len <= 9;
}

/*
 * Turns an Adobe event list ("1,200,201=2.5,202:ABC") into the events string processing reads
 * ("purchase,event1,event2=2.5,event3") in out. Serialization IDs are dropped: canton does not
 * de-duplicate by them (post_event_list is already de-duplicated by Adobe). Ids without a
 * success event are left out (the column itself stays in the row as context data); with
 * event.tsv, an id it does not name is an error. Returns 0, or -1 with *bad_at the byte offset
 * of the bad entry in list.
 */
static int adobe_events(const cn_import_rowfmt_t *r, cn_str_t list, cn_buf_t *out, size_t *bad_at)
{
    cn_buf_clear(out);
    size_t i = 0;
    while (i < list.len) {
        const char *comma = memchr(list.ptr + i, ',', list.len - i);
        size_t j = comma ? (size_t)(comma - list.ptr) : list.len;
        cn_str_t ent = cn_str_trim(cn_str(list.ptr + i, j - i)), idtext, value, serial;
        size_t at = i;
        i = j + 1;
        if (ent.len == 0)
            continue;
        int64_t id;
        if (!event_entry(ent, &idtext, &value, &serial) || cn_str_to_i64(idtext, &id) != 0 ||
            (r->event_tsv.count > 0 &&
             ((size_t)id >= r->event_tsv.count || r->event_tsv.values[id] == NULL))) {
            *bad_at = at;
            return -1;
        }
        char name[16];
        int kind = adobe_event_name(id, name);
        if (kind == 0)
            continue;
        if (kind == 1 && value.ptr != NULL) { /* a commerce event counts, it takes no value */
            *bad_at = at;
            return -1;
        }
        if (out->len > 0)
            cn_buf_putc(out, ',');
        cn_buf_append(out, name, strlen(name));
        if (value.ptr != NULL) {
            cn_buf_putc(out, '=');
            cn_buf_append(out, value.ptr, value.len);
        }
    }
    return 0;
}

/* True for the number of a merchandising eVar instance in post_product_list: Adobe's own
 * numbering there, 101..175 eVar1..eVar75, 275..299 eVar76..eVar100, 1200..1349
 * eVar101..eVar250 (not event_list's). */
static bool is_merch_instance(cn_str_t id)
{
    id = cn_str_trim(id);
    if (id.len < 3 || id.len > 4)
        return false;
    int64_t n = 0;
    for (size_t i = 0; i < id.len; i++) {
        if (id.ptr[i] < '0' || id.ptr[i] > '9')
            return false;
        n = n * 10 + (id.ptr[i] - '0');
    }
    return (n >= 101 && n <= 175) || (n >= 275 && n <= 299) || (n >= 1200 && n <= 1349);
}

/* The next piece of *rest up to sep (all of it without one); *rest is then past the sep, or
 * CN_STR_NULL after the last piece. */
static cn_str_t piece(cn_str_t *rest, char sep)
{
    const char *at = memchr(rest->ptr, sep, rest->len);
    cn_str_t out = at != NULL ? cn_str(rest->ptr, (size_t)(at - rest->ptr)) : *rest;
    *rest = at != NULL ? cn_str(at + 1, rest->len - out.len - 1) : CN_STR_NULL;
    return out;
}

/*
 * post_product_list without its merchandising eVar instances (a bare number in a product's
 * events field, the 5th: ";SKU;1;9.99;101|event3=2"), into out: they count no success event
 * and processing reads only eventN there. False (out untouched) when there are none.
 */
static bool merch_instances(cn_str_t list, cn_buf_t *out)
{
    bool any = false;
    /* the 5th field of each product, entry by entry */
    cn_str_t prods = list;
    while (prods.ptr != NULL && !any) {
        cn_str_t prod = piece(&prods, ','), fields = prod;
        for (int k = 0; fields.ptr != NULL && k <= 4; k++) {
            cn_str_t f = piece(&fields, ';');
            while (k == 4 && f.ptr != NULL && !any)
                any = is_merch_instance(piece(&f, '|'));
        }
    }
    if (!any)
        return false;
    cn_buf_clear(out);
    prods = list;
    for (bool first = true; prods.ptr != NULL; first = false) {
        cn_str_t prod = piece(&prods, ','), fields = prod;
        if (!first)
            cn_buf_putc(out, ',');
        for (int k = 0; fields.ptr != NULL; k++) {
            cn_str_t f = piece(&fields, ';');
            if (k > 0)
                cn_buf_putc(out, ';');
            if (k != 4) {
                cn_buf_append(out, f.ptr, f.len);
                continue;
            }
            for (bool kept = false; f.ptr != NULL;) {
                cn_str_t ent = piece(&f, '|');
                if (is_merch_instance(ent))
                    continue;
                if (kept)
                    cn_buf_putc(out, '|');
                cn_buf_append(out, ent.ptr, ent.len);
                kept = true;
            }
        }
    }
    return true;
}

int cn_import__parse_row(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info)
{
    if (r->kind == CN_IMPORT_KIND_NDJSON)
        return parse_json_row(r, ctx, line, out, info);
    if (r->cols == NULL)
        return bad(info, CN_IMPORT_BAD_COLUMNS, 0);
    cn_buf_t *sc = &ctx->scratch;
    cn_buf_clear(sc);
    /* unescaped cells never outgrow the line */
    cn_buf_reserve(sc, line.len * 2 + 64);
    char *const base = sc->ptr;
    cn_str_t *cells = cn_xmalloc((r->col_count + 1) * sizeof(cn_str_t));
    long n = split_cells(r, line, sc, cells, r->col_count);
    int rc;
    if (n < 0) {
        rc = bad(info, CN_IMPORT_BAD_QUOTING, 0);
        goto out;
    }
    if ((size_t)n != r->col_count) {
        rc = bad(info, CN_IMPORT_BAD_COLUMNS, 0);
        info->want = (uint32_t)r->col_count;
        info->cells = (uint32_t)n;
        if ((size_t)n > r->col_count) { /* split stopped after one too many: count them all */
            cn_str_t *all = cn_xmalloc((MAX_COLUMNS + 1) * sizeof(cn_str_t));
            cn_buf_clear(sc);
            cn_buf_reserve(sc, line.len * 2 + 64);
            long m = split_cells(r, line, sc, all, MAX_COLUMNS);
            if (m > 0)
                info->cells = (uint32_t)m;
            free(all);
        }
        goto out;
    }
    CN_ASSERT(sc->ptr == base);
    kv_t *kvs = cn_xmalloc(((size_t)n + 2) * sizeof(kv_t)); /* + events, post_product_list */
    for (long i = 0; i < n; i++) {
        cn_str_t v = cells[i];
        int lk = r->col_lookup[i];
        if (lk >= 0 && v.len > 0) {
            int64_t id;
            const lookup_t *L = &r->lookups[lk];
            if (cn_str_to_i64(v, &id) == 0 && id >= 0 && (size_t)id < L->count &&
                L->values[id] != NULL)
                v = cn_str_c(L->values[id]);
        }
        kvs[i] = (kv_t){r->cols[i], v};
    }
    if (r->kind == CN_IMPORT_KIND_ADOBE && adobe_row(r, kvs)) {
        free(kvs);
        rc = CN_IMPORT_SKIPPED;
        goto out;
    }
    size_t nkv = (size_t)n;
    if (r->col_event_list >= 0 && cells[r->col_event_list].len > 0) {
        cn_str_t list = cells[r->col_event_list];
        size_t at = 0;
        if (adobe_events(r, list, &ctx->events, &at) != 0) {
            /* the column in the line, when the cell is the line's own bytes (no escapes) */
            size_t col = list.ptr >= line.ptr && list.ptr < line.ptr + line.len
                             ? (size_t)(list.ptr - line.ptr) + at
                             : 0;
            free(kvs);
            rc = bad(info, CN_IMPORT_BAD_EVENTS, col);
            goto out;
        }
        if (ctx->events.len > 0)
            kvs[nkv++] = (kv_t){"events", cn_buf_str(&ctx->events)};
    }
    /* post_product_list without merchandising eVar instances; as sent, it stays context data */
    cn_buf_t prods = CN_BUF_INIT;
    if (r->col_post_products >= 0 && merch_instances(cells[r->col_post_products], &prods)) {
        kvs[r->col_post_products].value = cn_buf_str(&prods);
        kvs[nkv++] = (kv_t){"post_product_list", cells[r->col_post_products]};
    }
    /* the query goes to a second buffer: scratch must not move under the cells */
    rc = build(ctx, kvs, nkv, out, info, &ctx->query);
    cn_buf_dispose(&prods);
    free(kvs);
out:
    free(cells);
    return rc;
}
