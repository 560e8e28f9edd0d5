/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dated currency-rates table: CSV lines "date,currency,rate" where rate
 * is how many units of the table's base currency one unit of `currency` is
 * worth on that date (docs/processing.md, docs/rates-sample.csv). A lookup
 * takes the latest rate on or before the hit's UTC day. Rates are kept as
 * fixed point with 10^9 scale; conversions round half away from zero.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
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
        if (whole > 1000000000LL)
            return -1;
        whole = whole * 10 + (s.ptr[i++] - '0');
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

int cn_rates_parse(const char *text, size_t len, cn_rates_t **out, cn_err_t *err)
{
    cn_rates_t *r = cn_xcalloc(1, sizeof(*r));
    cn_str_t rest = cn_str(text, len), line;
    int lineno = 0;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        lineno++;
        line = cn_str_trim(line);
        if (line.len == 0)
            continue;
        if (line.ptr[0] == '#') {
            cn_str_t c = cn_str_trim(cn_str(line.ptr + 1, line.len - 1));
            if (c.len == 8 && memcmp(c.ptr, "base=", 5) == 0 && is_code(cn_str(c.ptr + 5, 3)))
                memcpy(r->base, c.ptr + 5, 3);
            continue;
        }
        if (cn_str_eq_c(line, "date,currency,rate"))
            continue;
        cn_str_t f[3], l2 = line;
        int nf = 0;
        while (l2.ptr != NULL && nf < 3)
            l2 = cn_str_split(l2, ',', &f[nf++]);
        rate_t rt = {0};
        if (nf != 3 || l2.ptr != NULL || parse_date(cn_str_trim(f[0]), &rt.day) != 0 ||
            !is_code(cn_str_trim(f[1])) || parse_rate(cn_str_trim(f[2]), &rt.rate) != 0) {
            cn_rates_free(r);
            return cn_err_set(err, CN_EPARSE,
                              "line %d: want date,currency,rate as 2026-01-31,USD,7.1234: '%.*s'",
                              lineno, CN_STR_FMT(line));
        }
        memcpy(rt.cur, cn_str_trim(f[1]).ptr, 3);
        if (r->count == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->v = cn_xrealloc(r->v, r->cap * sizeof(*r->v));
        }
        r->v[r->count++] = rt;
    }
    if (r->count > 1)
        qsort(r->v, r->count, sizeof(*r->v), cmp_rate);
    *out = r;
    return 0;
}

int cn_rates_load(const char *path, cn_rates_t **out, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_buf_append_file(&b, path, 0);
    if (rc == -ENOENT)
        rc = cn_rates_parse("", 0, out, err);
    else if (rc != 0)
        cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    else if ((rc = cn_rates_parse(b.ptr ? b.ptr : "", b.len, out, err)) != 0 && err != NULL) {
        char msg[sizeof(err->msg)]; /* every message names the file */
        memcpy(msg, err->msg, sizeof(msg));
        cn_err_set(err, rc, "%s: %s", path, msg);
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
    *out = (int64_t)q;
    return 0;
}
