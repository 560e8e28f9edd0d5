/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daily salts for cookieless visitor keys, as Plausible does: the key of a
 * visitor without a tracker id is SipHash(salt of the day; suite, IP, UA),
 * so the same browser is one visitor within a day and cannot be followed
 * across days once the salt is gone. The salts are kept in <data>/salts, one
 * "YYYY-MM-DD <32 hex>" line per UTC day, rewritten atomically, so that
 * reprocessing gives the same keys while a salt is kept. A salt is destroyed
 * when it is older than the retention (in days) before the newest day seen:
 * of the hits' times, and in the live pass also of the wall clock
 * (cn_salts_expire), so that salts go when cookieless traffic stops.
 * A hit of a day already past the retention gets a salt kept in memory only;
 * one stamped with a day after the one it was received on gets a salt derived
 * from the receive day's. The day before a hit's keeps its salt at least until
 * that hit's day ends (the retention is at least 2 days), so that a visit going
 * on over midnight UTC keeps its visitor (cn_salts_prev, process.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "process/internal.h"

typedef struct salt {
    int32_t day;
    uint8_t key[16];
} salt_t;

struct cn_salts {
    char *path;
    int64_t retention_days;
    salt_t *v;
    size_t count, cap;
    int32_t max_day;
    int32_t cached_day; /* last lookup */
    uint8_t cached[16];
    bool has_cached;
    /* Days already past the retention when a hit of theirs came (late or
     * timestamped hits): salts made in memory only, never written, so that
     * such hits neither keep a destroyed day's salt nor rewrite the file. */
    salt_t late[8];
    size_t late_count, late_next;
};

static void civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static int32_t days_of(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

/*
 * One line of the file as save() writes it ("%04d-%02u-%02u <32 hex>": "2026-11-30 ...", and
 * for a day far off, a year of more digits or a sign), into *out; 0, or -1 when it is anything
 * else (a calendar day that does not exist included: read as another day, it would give that
 * day's visitors a salt that is not theirs).
 */
static int parse_line(cn_str_t line, salt_t *out)
{
    size_t i = line.len > 0 && line.ptr[0] == '-' ? 1 : 0, y0 = i;
    int y = 0;
    while (i < line.len && i - y0 < 7 && line.ptr[i] >= '0' && line.ptr[i] <= '9')
        y = y * 10 + (line.ptr[i++] - '0');
    if (i == y0 || y > 5000000 || line.len != i + 6 + 1 + 32 || line.ptr[i] != '-' ||
        line.ptr[i + 3] != '-' || line.ptr[i + 6] != ' ')
        return -1;
    if (y0 == 1)
        y = -y;
    int v[2] = {0};
    for (int k = 0; k < 2; k++) {
        for (size_t j = i + 1 + 3 * (size_t)k; j < i + 3 + 3 * (size_t)k; j++) {
            char c = line.ptr[j];
            if (c < '0' || c > '9')
                return -1;
            v[k] = v[k] * 10 + (c - '0');
        }
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > mdays[v[0] - 1] ||
        (v[0] == 2 && v[1] == 29 && !leap))
        return -1;
    size_t bin_len;
    if (sodium_hex2bin(out->key, 16, line.ptr + i + 7, 32, NULL, &bin_len, NULL) != 0 ||
        bin_len != 16)
        return -1;
    out->day = days_of(y, (unsigned)v[0], (unsigned)v[1]);
    return 0;
}

static int save(cn_salts_t *s)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    cn_buf_t b = CN_BUF_INIT;
    for (size_t i = 0; i < s->count; i++) {
        int y;
        unsigned m, d;
        civil_from_days(s->v[i].day, &y, &m, &d);
        char hex[33];
        sodium_bin2hex(hex, sizeof(hex), s->v[i].key, 16);
        cn_buf_printf(&b, "%04d-%02u-%02u %s\n", y, m, d, hex);
    }
    int rc = 0;
    if (write(fd, b.ptr ? b.ptr : "", b.len) != (ssize_t)b.len || fsync(fd) != 0)
        rc = -errno;
    close(fd);
    cn_buf_dispose(&b);
    if (rc == 0 && rename(tmp, s->path) != 0)
        rc = -errno;
    return rc;
}

int cn_salts_open(const char *path, int64_t retention_days, cn_salts_t **out, cn_err_t *err)
{
    if (sodium_init() < 0)
        return cn_err_set(err, CN_EINVAL, "libsodium does not start");
    cn_salts_t *s = cn_xcalloc(1, sizeof(*s));
    s->path = cn_xstrdup(path);
    s->retention_days = retention_days;
    s->max_day = INT32_MIN;
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_buf_append_file(&b, path, 0);
    if (rc != 0 && rc != -ENOENT) {
        cn_buf_dispose(&b);
        cn_salts_free(s);
        return cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    }
    rc = 0; /* a missing file: no salts yet */
    /* Errors name the line, never its bytes: a salt is not for the log. */
    cn_str_t rest = cn_str(b.ptr, b.len), line;
    for (int lineno = 1; rc == 0 && rest.ptr != NULL && rest.len > 0; lineno++) {
        rest = cn_str_split(rest, '\n', &line);
        salt_t st;
        if (parse_line(line, &st) != 0) {
            rc = cn_err_set(err, CN_ECORRUPT,
                            "%s: line %d: want 'YYYY-MM-DD' (a calendar day), a space and 32 "
                            "hex digits",
                            path, lineno);
            break;
        }
        for (size_t i = 0; i < s->count; i++) {
            if (s->v[i].day == st.day)
                rc = cn_err_set(err, CN_ECORRUPT, "%s: line %d: a second salt for line %zu's day",
                                path, lineno, i + 1);
        }
        if (rc != 0)
            break;
        if (s->count == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->v = cn_xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        s->v[s->count++] = st;
        if (st.day > s->max_day)
            s->max_day = st.day;
    }
    if (b.ptr != NULL)
        sodium_memzero(b.ptr, b.len);
    cn_buf_dispose(&b);
    if (rc != 0) {
        cn_salts_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void cn_salts_free(cn_salts_t *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s->v, s->cap * sizeof(*s->v));
    sodium_memzero(s->late, sizeof(s->late));
    free(s->v);
    free(s->path);
    free(s);
}

static int32_t day_of(int64_t us)
{
    return (int32_t)(us >= 0 ? us / 86400000000LL : (us - 86399999999LL) / 86400000000LL);
}

/* Destroys the salts more than the retention before max_day; returns how many went. */
static size_t destroy_old(cn_salts_t *s)
{
    size_t o = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (s->retention_days >= 0 && (int64_t)s->max_day - s->v[i].day > s->retention_days) {
            sodium_memzero(&s->v[i], sizeof(s->v[i]));
            continue;
        }
        s->v[o++] = s->v[i];
    }
    size_t gone = s->count - o;
    s->count = o;
    if (gone > 0)
        s->has_cached = false;
    return gone;
}

int cn_salts_expire(cn_salts_t *s, int64_t now_us)
{
    if (s->retention_days < 0)
        return 0;
    int32_t day = day_of(now_us);
    if (day > s->max_day)
        s->max_day = day;
    size_t gone = destroy_old(s);
    if (gone == 0)
        return 0;
    int rc = save(s);
    return rc != 0 ? rc : (int)gone;
}

/* The salt of day among the n salts at v, into out: 0, or CN_ENOTFOUND. */
static int find_day(const salt_t *v, size_t n, int32_t day, uint8_t out[16])
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].day == day) {
            memcpy(out, v[i].key, 16);
            return 0;
        }
    }
    return CN_ENOTFOUND;
}

int cn_salts_prev(const cn_salts_t *s, int64_t ts_us, uint8_t out[16])
{
    int32_t day = day_of(ts_us) - 1;
    if (find_day(s->v, s->count, day, out) == 0)
        return 0;
    return find_day(s->late, s->late_count, day, out);
}

int cn_salts_peek(const cn_salts_t *s, int64_t ts_us, uint8_t out[16])
{
    int32_t day = day_of(ts_us);
    if (s->has_cached && s->cached_day == day) {
        memcpy(out, s->cached, 16);
        return 0;
    }
    return find_day(s->v, s->count, day, out);
}

int cn_salts_get(cn_salts_t *s, int64_t ts_us, int64_t recv_us, uint8_t out[16])
{
    int32_t day = day_of(ts_us);
    if (cn_salts_peek(s, ts_us, out) == 0) {
        memcpy(s->cached, out, 16);
        s->cached_day = day;
        s->has_cached = true;
        return 0;
    }
    /* A hit stamped after the day it was received (Adobe ts from a device's clock ahead)
     * is of a future day. Its salt is derived from the receive day's salt and the stamped
     * day, so that it neither destroys the salts of the days before it nor makes them
     * late, is the same in a restart or a reprocess, and is gone with the receive day's. */
    if (recv_us > 0 && day > day_of(recv_us)) {
        uint8_t base[16], msg[4] = {(uint8_t)day, (uint8_t)(day >> 8), (uint8_t)(day >> 16),
                                    (uint8_t)((uint32_t)day >> 24)};
        int rc = cn_salts_get(s, recv_us, 0, base);
        if (rc == 0 && crypto_generichash(out, 16, msg, sizeof(msg), base, 16) != 0)
            rc = -EINVAL;
        sodium_memzero(base, sizeof(base));
        return rc;
    }
    salt_t st = {.day = day};
    if (s->retention_days >= 0 && s->max_day != INT32_MIN &&
        (int64_t)s->max_day - day > s->retention_days) {
        if (find_day(s->late, s->late_count, day, out) == 0)
            return 0;
        randombytes_buf(st.key, 16);
        s->late[s->late_next] = st;
        s->late_next = (s->late_next + 1) % 8;
        if (s->late_count < 8)
            s->late_count++;
        memcpy(out, st.key, 16);
        return 0;
    }
    randombytes_buf(st.key, 16);
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = cn_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->count++] = st;
    if (day > s->max_day)
        s->max_day = day;
    destroy_old(s);
    int rc = save(s);
    if (rc != 0)
        return rc;
    memcpy(out, st.key, 16);
    return 0;
}
