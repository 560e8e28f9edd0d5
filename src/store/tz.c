/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time zones: the UTC offsets of an IANA zone as a table of transitions,
 * built once per zone name from the C library's TZ database, so that the
 * local day of a hit is a binary search, thread-safe and without touching
 * the process's TZ afterwards.
 *
 * Building the table sets TZ and calls localtime_r, which is not safe while
 * other threads use localtime; it happens under a process-wide mutex, once
 * per zone (the tables are cached for the life of the process), and restores
 * TZ afterwards. Offsets are sampled every 3 days from 1970 to 2100 and
 * each change is located to the second by bisection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/xalloc.h"
#include "store/internal.h"

#define TZ_FROM 0LL           /* 1970-01-01 */
#define TZ_TO   4102444800LL  /* 2100-01-01 */
#define TZ_STEP (3 * 86400LL) /* two changes within 3 days would be missed: none known */

typedef struct tz_cache {
    char *name;
    cn_store__tz_t tz;
    struct tz_cache *next;
} tz_cache_t;

static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static tz_cache_t *tz_cached;

static bool is_utc(const char *name)
{
    return name == NULL || name[0] == '\0' || strcmp(name, "UTC") == 0 ||
           strcmp(name, "Etc/UTC") == 0 || strcmp(name, "GMT") == 0 || strcmp(name, "Z") == 0;
}

static int32_t sample(time_t t)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

static int build(const char *name, cn_store__tz_t *tz)
{
    size_t cap = 64;
    tz->at = cn_xmalloc(cap * sizeof(*tz->at));
    tz->off = cn_xmalloc(cap * sizeof(*tz->off));
    tz->count = 0;

    char *old = getenv("TZ") ? cn_xstrdup(getenv("TZ")) : NULL;
    setenv("TZ", name, 1);
    tzset();
    int32_t prev = sample((time_t)TZ_FROM);
    tz->at[0] = INT64_MIN;
    tz->off[0] = prev;
    tz->count = 1;
    for (int64_t t = TZ_FROM + TZ_STEP; t <= TZ_TO; t += TZ_STEP) {
        int32_t o = sample((time_t)t);
        if (o == prev)
            continue;
        int64_t lo = t - TZ_STEP, hi = t; /* offset(lo) == prev, offset(hi) == o */
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (sample((time_t)mid) == prev)
                lo = mid;
            else
                hi = mid;
        }
        if (tz->count == cap) {
            cap *= 2;
            tz->at = cn_xrealloc(tz->at, cap * sizeof(*tz->at));
            tz->off = cn_xrealloc(tz->off, cap * sizeof(*tz->off));
        }
        tz->at[tz->count] = hi;
        tz->off[tz->count] = o;
        tz->count++;
        prev = o;
    }
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    return 0;
}

int cn_store__tz_load(const char *name, cn_store__tz_t *tz, cn_err_t *err)
{
    memset(tz, 0, sizeof(*tz));
    if (is_utc(name)) {
        tz->at = cn_xmalloc(sizeof(*tz->at));
        tz->off = cn_xmalloc(sizeof(*tz->off));
        tz->at[0] = INT64_MIN;
        tz->off[0] = 0;
        tz->count = 1;
        return 0;
    }
    if (name[0] == '/' || strstr(name, "..") != NULL || strlen(name) > 128)
        return cn_err_set(err, CN_ECONFIG, "time zone '%s' is not an IANA zone name", name);
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return cn_err_set(err, CN_ECONFIG, "unknown time zone '%s' (no %s)", name, path);

    pthread_mutex_lock(&tz_mu);
    tz_cache_t *c;
    for (c = tz_cached; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            break;
    if (c == NULL) {
        c = cn_xcalloc(1, sizeof(*c));
        c->name = cn_xstrdup(name);
        build(name, &c->tz);
        c->next = tz_cached;
        tz_cached = c;
    }
    pthread_mutex_unlock(&tz_mu);
    tz->count = c->tz.count;
    tz->at = cn_xmalloc(tz->count * sizeof(*tz->at));
    tz->off = cn_xmalloc(tz->count * sizeof(*tz->off));
    memcpy(tz->at, c->tz.at, tz->count * sizeof(*tz->at));
    memcpy(tz->off, c->tz.off, tz->count * sizeof(*tz->off));
    return 0;
}

void cn_store__tz_dispose(cn_store__tz_t *tz)
{
    free(tz->at);
    free(tz->off);
    memset(tz, 0, sizeof(*tz));
}

/* The transition in force at ts_s: at[i] <= ts_s < at[i + 1] (or i = count - 1). */
static size_t transition_at(const cn_store__tz_t *tz, int64_t ts_s)
{
    size_t lo = 0, hi = tz->count; /* at[lo] <= ts_s < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= ts_s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int32_t cn_store__tz_offset(const cn_store__tz_t *tz, int64_t ts_s)
{
    return tz->off[transition_at(tz, ts_s)];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int32_t cn_store__tz_day(const cn_store__tz_t *tz, int64_t ts_us)
{
    int64_t s = floor_div(ts_us, 1000000);
    return (int32_t)floor_div(s + cn_store__tz_offset(tz, s), 86400);
}

int32_t cn_store__tz_day_fill(const cn_store__tz_t *tz, int64_t ts_us, cn_store__tz_memo_t *m)
{
    int64_t s = floor_div(ts_us, 1000000);
    size_t i = transition_at(tz, s);
    int64_t off = tz->off[i];
    int64_t day = floor_div(s + off, 86400);
    /* The seconds of this day under this offset, within the offset's span:
     * each second t of them has t + off in [day * 86400, (day + 1) * 86400),
     * so every instant of them has this day. Not memoized when a bound is
     * out of range in microseconds (the ends of int64). */
    int64_t a = day * 86400 - off, b = (day + 1) * 86400 - off;
    if (a < tz->at[i])
        a = tz->at[i];
    if (i + 1 < tz->count && b > tz->at[i + 1])
        b = tz->at[i + 1];
    int64_t from, to;
    if (__builtin_mul_overflow(a, (int64_t)1000000, &from) ||
        __builtin_mul_overflow(b, (int64_t)1000000, &to))
        from = to = 0;
    m->from_us = from;
    m->to_us = to;
    m->day = (int32_t)day;
    return (int32_t)day;
}

void cn_store__tz_bounds(const cn_store__tz_t *tz, int32_t day, int64_t *start_us, int64_t *end_us)
{
    for (int k = 0; k < 2; k++) {
        int32_t d = day + k;
        /* The first second whose local day is >= d; offsets lie within +-26 h. */
        int64_t lo = (int64_t)d * 86400 - 26 * 3600, hi = (int64_t)d * 86400 + 26 * 3600;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (cn_store__tz_day(tz, mid * 1000000) >= d)
                hi = mid;
            else
                lo = mid;
        }
        if (k == 0)
            *start_us = hi * 1000000;
        else
            *end_us = hi * 1000000;
    }
}
