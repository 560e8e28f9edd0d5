/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dated currency-rates table: CSV lines "date,currency,rate" where rate
 * is how many units of the table's base currency one unit of `currency` is
 * worth on that date (docs/processing.md, docs/rates-sample.csv). A lookup
 * takes the latest rate on or before the hit's UTC day. Rates are kept as
 * fixed point with 10^9 scale; conversions round half away from zero.
 *
 * The same rules serve `canton rates import` and processing's load: every
 * field is checked and an error names the line and the field; "# base=XXX"
 * must be 3 upper-case letters (a malformed base line is an error, not a
 * comment); a rate line for the base itself must give 1; two different rates
 * for one (date, currency) are an error naming both lines (the same rate twice
 * is kept once). `canton rates import` also refuses a file without rate lines
 * (cn_process_rates_import); processing reads one as an empty table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/xalloc.h"
#include "process/internal.h"

#define RATE_SCALE 1000000000LL

typedef struct rate {
    char cur[4];
    int32_t day; /* days since 1970-01-01 */
    int64_t rate;
} rate_t;

struct cn_rates {
    rate_t *v;
    size_t count, cap;
    char base[4]; /* "" when the file names none */
};

static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

static int parse_date(cn_str_t s, int32_t *out)
{
    if (s.len != 10 || s.ptr[4] != '-' || s.ptr[7] != '-')
        return -1;
    int v[3] = {0};
    const int pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < pos[k][1]; i++) {
            char c = s.ptr[pos[k][0] + i];
            if (c < '0' || c > '9')
                return -1;
            v[k] = v[k] * 10 + (c - '0');
        }
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
        (v[1] == 2 && v[2] == 29 && !leap))
        return -1;
    *out = days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
    return 0;
}

/* Decimal with up to 9 fraction digits → RATE_SCALE fixed point. */
static int parse_rate(cn_str_t s, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0, nd = 0;
    int fd = 0;
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
        whole = whole * 10 + (s.ptr[i++] - '0');
        if (whole > (INT64_MAX - (RATE_SCALE - 1)) / RATE_SCALE) /* whole * scale + frac fits */
            return -1;
        nd++;
    }
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
            if (fd < 9) {
                frac = frac * 10 + (s.ptr[i] - '0');
                fd++;
            }
            i++;
            nd++;
        }
    }
    if (i != s.len || nd == 0)
        return -1;
    for (; fd < 9; fd++)
        frac *= 10;
    *out = whole * RATE_SCALE + frac;
    return *out > 0 ? 0 : -1;
}

static int cmp_rate(const void *a, const void *b)
{
    const rate_t *x = a, *y = b;
    int c = memcmp(x->cur, y->cur, 3);
    if (c != 0)
        return c;
    return (x->day > y->day) - (x->day < y->day);
}

/* A parsed line: its rate and where it came from, for the duplicate check. */
typedef struct line_rate {
    rate_t r;
    int line;
} line_rate_t;

/* By currency, day, then line: duplicates end up next to each other, first line first. */
static int cmp_line_rate(const void *a, const void *b)
{
    const line_rate_t *x = a, *y = b;
    int c = cmp_rate(&x->r, &y->r);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static bool is_code(cn_str_t s)
{
    if (s.len != 3)
        return false;
    for (int i = 0; i < 3; i++) {
        if (s.ptr[i] < 'A' || s.ptr[i] > 'Z')
            return false;
    }
    return true;
}

/* A RATE_SCALE fixed-point rate as the shortest decimal, e.g. "7.1". */
static const char *fmt_rate(int64_t v, char out[32])
{
    int n =
        snprintf(out, 32, "%lld.%09lld", (long long)(v / RATE_SCALE), (long long)(v % RATE_SCALE));
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
    return out;
}

/* day as "YYYY-MM-DD", for messages. */
static void ymd_of(int32_t day, char out[32])
{
    cn_time_fmt_iso((int64_t)day * 86400000000LL, out);
    out[10] = '\0';
}

/* At most this many bytes of a bad field go into a message (err.msg is short). */
#define SHOW(s) (int)((s).len < 40 ? (s).len : 40), (s).ptr

/*
 * A comment line: "# base=CNY" names the base; any other comment whose text
 * starts with "base" and then "=" (after optional spaces) is a malformed base
 * and an error, so that "# base=cny" or "# base = CNY" is not silently ignored.
 * 1 when c declares a base (copied to code), 0 for an ordinary comment, or
 * CN_EPARSE.
 */
static int parse_comment(cn_str_t c, int lineno, char code[4], cn_err_t *err)
{
    if (c.len < 4 || memcmp(c.ptr, "base", 4) != 0)
        return 0;
    size_t i = 4;
    while (i < c.len && (c.ptr[i] == ' ' || c.ptr[i] == '\t'))
        i++;
    if (i == c.len || c.ptr[i] != '=')
        return 0;
    cn_str_t v = cn_str(c.ptr + i + 1, c.len - i - 1);
    if (i != 4 || !is_code(v))
        return cn_err_set(err, CN_EPARSE,
                          "line %d, base: want '# base=XXX' with 3 upper-case letters "
                          "(ISO 4217) like '# base=CNY', got '# %.*s'",
                          lineno, SHOW(c));
    memcpy(code, v.ptr, 3);
    code[3] = '\0';
    return 1;
}

/* One "date,currency,rate" line into *out; 0 or CN_EPARSE naming the field. */
static int parse_line(cn_str_t line, int lineno, rate_t *out, cn_err_t *err)
{
    cn_str_t f[3], rest = line;
    int nf = 0;
    while (rest.ptr != NULL && nf < 3)
        rest = cn_str_split(rest, ',', &f[nf++]);
    if (nf != 3 || rest.ptr != NULL) {
        size_t commas = 0;
        for (size_t i = 0; i < line.len; i++)
            commas += line.ptr[i] == ',';
        return cn_err_set(err, CN_EPARSE,
                          "line %d: want 3 fields date,currency,rate like 2026-01-31,USD,7.1234, "
                          "got %zu: '%.*s'",
                          lineno, commas + 1, SHOW(line));
    }
    for (int k = 0; k < 3; k++)
        f[k] = cn_str_trim(f[k]);
    if (parse_date(f[0], &out->day) != 0)
        return cn_err_set(
            err, CN_EPARSE,
            "line %d, date: want a calendar day YYYY-MM-DD like 2026-01-31, got '%.*s'", lineno,
            SHOW(f[0]));
    if (!is_code(f[1]))
        return cn_err_set(err, CN_EPARSE,
                          "line %d, currency: want 3 upper-case letters (ISO 4217) like USD, "
                          "got '%.*s'",
                          lineno, SHOW(f[1]));
    if (parse_rate(f[2], &out->rate) != 0)
        return cn_err_set(err, CN_EPARSE,
                          "line %d, rate: want a positive decimal number like 7.1234 "
                          "(units of the base per unit of %.3s), got '%.*s'",
                          lineno, f[1].ptr, SHOW(f[2]));
    memcpy(out->cur, f[1].ptr, 3);
    out->cur[3] = '\0';
    return 0;
}

int cn_rates_parse(const char *text, size_t len, cn_rates_t **out, cn_err_t *err)
{
    cn_str_t rest = cn_str(text, len), line;
    if (rest.len >= 3 && memcmp(rest.ptr, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 BOM (spreadsheets) */
        rest = cn_str(rest.ptr + 3, rest.len - 3);
    line_rate_t *v = NULL;
    size_t count = 0, cap = 0;
    char base[4] = "";
    int lineno = 0, base_line = 0, rc = 0;
    while (rest.ptr != NULL && rc == 0) {
        rest = cn_str_split(rest, '\n', &line);
        lineno++;
        line = cn_str_trim(line);
        if (line.len == 0 || cn_str_eq_c(line, "date,currency,rate"))
            continue;
        if (line.ptr[0] == '#') {
            char code[4];
            rc = parse_comment(cn_str_trim(cn_str(line.ptr + 1, line.len - 1)), lineno, code, err);
            if (rc == 1 && base_line != 0 && memcmp(code, base, 3) != 0)
                rc = cn_err_set(err, CN_EPARSE,
                                "line %d, base: '# base=%s', but line %d already says "
                                "'# base=%s': one base per table",
                                lineno, code, base_line, base);
            if (rc == 1) {
                if (base_line == 0) {
                    memcpy(base, code, sizeof(base));
                    base_line = lineno;
                }
                rc = 0;
            }
            continue;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            v = cn_xrealloc(v, cap * sizeof(*v));
        }
        v[count].line = lineno;
        if ((rc = parse_line(line, lineno, &v[count].r, err)) == 0)
            count++;
    }
    if (rc == 0 && count > 1)
        qsort(v, count, sizeof(*v), cmp_line_rate);
    /* One rate per (date, currency); a repeat of the same rate is harmless and kept once. */
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (n > 0 && cmp_rate(&v[n - 1].r, &v[i].r) == 0) {
            if (v[n - 1].r.rate == v[i].r.rate)
                continue;
            char d[32], a[32], b[32];
            ymd_of(v[i].r.day, d);
            rc = cn_err_set(err, CN_EPARSE,
                            "line %d, rate: %s for %s on %s, but line %d gives %s: one rate "
                            "per date and currency",
                            v[i].line, fmt_rate(v[i].r.rate, b), v[i].r.cur, d, v[n - 1].line,
                            fmt_rate(v[n - 1].r.rate, a));
            break;
        }
        if (base_line != 0 && memcmp(v[i].r.cur, base, 3) == 0 && v[i].r.rate != RATE_SCALE) {
            char a[32];
            rc = cn_err_set(err, CN_EPARSE,
                            "line %d, rate: want 1 for %s, the table's base (line %d), got %s",
                            v[i].line, base, base_line, fmt_rate(v[i].r.rate, a));
            break;
        }
        v[n++] = v[i];
    }
    if (rc != 0) {
        free(v);
        return rc;
    }
    cn_rates_t *r = cn_xcalloc(1, sizeof(*r));
    memcpy(r->base, base, sizeof(base));
    r->count = r->cap = n;
    r->v = n ? cn_xmalloc(n * sizeof(*r->v)) : NULL;
    for (size_t i = 0; i < n; i++)
        r->v[i] = v[i].r;
    free(v);
    *out = r;
    return 0;
}

int cn_rates_load(const char *path, cn_rates_t **out, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_buf_append_file(&b, path, 0);
    if (rc == -ENOENT) {
        rc = cn_rates_parse("", 0, out, err);
    } else if (rc != 0) {
        cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    } else if ((rc = cn_rates_parse(b.ptr ? b.ptr : "", b.len, out, err)) != 0) {
        if (err != NULL) {
            char msg[sizeof(err->msg)]; /* every message names the file */
            memcpy(msg, err->msg, sizeof(msg));
            cn_err_set(err, rc, "%s: %s", path, msg);
        }
    }
    cn_buf_dispose(&b);
    return rc;
}

void cn_rates_free(cn_rates_t *r)
{
    if (r == NULL)
        return;
    free(r->v);
    free(r);
}

size_t cn_rates_count(const cn_rates_t *r)
{
    return r->count;
}

/* Latest rate of cur on or before day, in RATE_SCALE; 0 when none. */
static int64_t lookup(const cn_rates_t *r, cn_str_t cur, int32_t day)
{
    if (r->base[0] && memcmp(cur.ptr, r->base, 3) == 0)
        return RATE_SCALE;
    size_t lo = 0, hi = r->count;
    rate_t key = {.day = day};
    memcpy(key.cur, cur.ptr, 3);
    /* first element > key */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_rate(&r->v[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || memcmp(r->v[lo - 1].cur, cur.ptr, 3) != 0)
        return 0;
    return r->v[lo - 1].rate;
}

int cn_rates_convert(const cn_rates_t *r, cn_str_t from, cn_str_t to, int64_t ts_us, int64_t amount,
                     int64_t *out)
{
    if (cn_str_eq(from, to)) {
        *out = amount;
        return 0;
    }
    if (from.len != 3 || to.len != 3)
        return CN_ENOTFOUND;
    int64_t days = ts_us >= 0 ? ts_us / 86400000000LL : (ts_us - 86399999999LL) / 86400000000LL;
    int32_t day = (int32_t)days;
    int64_t rf = lookup(r, from, day);
    /* A table without a declared base is taken to be in the suite's base currency. */
    int64_t rt = r->base[0] ? lookup(r, to, day) : RATE_SCALE;
    if (rf == 0 || rt == 0)
        return CN_ENOTFOUND;
    __int128 num = (__int128)amount * rf;
    __int128 q = num / rt, rem = num % rt;
    if (rem < 0)
        rem = -rem;
    if (rem * 2 >= rt)
        q += amount >= 0 ? 1 : -1;
    /* A rate can be up to 9e18 times another: the result may not fit 64 bits, and is then
     * refused rather than wrapped into a wrong amount of the other sign. */
    if (q > INT64_MAX || q < INT64_MIN)
        return CN_ETOOBIG;
    *out = (int64_t)q;
    return 0;
}
