/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks; see time.h. */
#include "lib/clock.h"

#include <stdio.h>
#include <time.h>

int64_t cn_time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cn_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cn_time_fmt_iso(int64_t us, char out[32])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) { /* floor, without overflowing at INT64_MIN */
        frac += 1000000;
        sec--;
    }
    time_t s = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        snprintf(out, 32, "(time out of range)");
        return;
    }
    /* the modulos tell the compiler each field's width (they change nothing) */
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
             (unsigned)frac % 1000000u);
}
