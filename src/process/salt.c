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
 * from the receive day's.
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
    FILE *f = fopen(path, "r");
    if (f == NULL && errno != ENOENT) {
        int rc = cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
        cn_salts_free(s);
        return rc;
    }
    char line[128];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        int y;
        unsigned m, d;
        char hex[64];
        salt_t st;
        size_t bin_len;
        if (sscanf(line, "%d-%u-%u %40s", &y, &m, &d, hex) != 4 || strlen(hex) != 32 ||
            sodium_hex2bin(st.key, 16, hex, 32, NULL, &bin_len, NULL) != 0 || bin_len != 16) {
            fclose(f);
            cn_salts_free(s);
            return cn_err_set(err, CN_ECORRUPT, "%s: bad line '%s'", path, line);
        }
        st.day = days_of(y, m, d);
        if (s->count == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->v = cn_xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        s->v[s->count++] = st;
        if (st.day > s->max_day)
            s->max_day = st.day;
    }
    if (f != NULL)
        fclose(f);
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

int cn_salts_get(cn_salts_t *s, int64_t ts_us, int64_t recv_us, uint8_t out[16])
{
    int32_t day = day_of(ts_us);
    if (s->has_cached && s->cached_day == day) {
        memcpy(out, s->cached, 16);
        return 0;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (s->v[i].day == day) {
            memcpy(out, s->v[i].key, 16);
            memcpy(s->cached, out, 16);
            s->cached_day = day;
            s->has_cached = true;
            return 0;
        }
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
        for (size_t i = 0; i < s->late_count; i++) {
            if (s->late[i].day == day) {
                memcpy(out, s->late[i].key, 16);
                return 0;
            }
        }
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
