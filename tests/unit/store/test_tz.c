/* SPDX-License-Identifier: Apache-2.0 */
/* Local days (tz.c): the writer's memo of a hit's local day
 * (cn_store__tz_day_memo) gives the day cn_store__tz_day gives, for instants
 * in time order, around offset changes and midnights, out of order, and at
 * the ends of the int64 range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#include <cmocka.h>

/* Zones with DST (New York), none (Shanghai, UTC), a 30-minute DST (Lord
 * Howe), a skipped day (Apia, 2011-12-30) and a quarter-hour offset
 * (Kathmandu). */
static const char *const zones[] = {"America/New_York",    "Asia/Shanghai", "UTC",
                                    "Australia/Lord_Howe", "Pacific/Apia",  "Asia/Kathmandu"};

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void check(const cn_store__tz_t *tz, cn_store__tz_memo_t *m, int64_t ts_us, uint64_t *hits)
{
    bool held = ts_us >= m->from_us && ts_us < m->to_us;
    int32_t got = cn_store__tz_day_memo(tz, ts_us, m);
    int32_t want = cn_store__tz_day(tz, ts_us);
    if (got != want)
        fail_msg("ts %lld: memo day %d, day %d", (long long)ts_us, got, want);
    /* the memo now holds the instant (unless a bound was out of range) */
    assert_true(m->from_us == m->to_us || (ts_us >= m->from_us && ts_us < m->to_us));
    *hits += held;
}

static void memo_gives_the_days_of_tz_day(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        cn_store__tz_t tz;
        cn_err_t err = {0};
        assert_int_equal(cn_store__tz_load(zones[z], &tz, &err), 0);
        cn_store__tz_memo_t m;
        memset(&m, 0, sizeof(m));
        uint64_t hits = 0, x = 0x9E3779B97F4A7C15ull + z;
        /* 2010 to 2030 in time order, random steps of up to 3 hours */
        int64_t t = 1262304000LL * 1000000;
        while (t < 1893456000LL * 1000000) {
            check(&tz, &m, t, &hits);
            t += (int64_t)(next_rand(&x) % (3 * 3600 * 1000000ull));
        }
        assert_true(hits > 0);
        /* every second around each transition and each midnight of a year */
        for (size_t i = 1; i < tz.count; i++) {
            if (tz.at[i] < 1262304000LL || tz.at[i] > 1893456000LL)
                continue;
            for (int64_t s = tz.at[i] - 2; s <= tz.at[i] + 2; s++)
                for (int64_t us = -1; us <= 1; us++)
                    check(&tz, &m, s * 1000000 + us, &hits);
        }
        for (int64_t day = 14610; day < 14610 + 366; day++)
            for (int64_t s = day * 86400 - 15 * 3600; s <= day * 86400 + 15 * 3600; s += 900)
                for (int64_t us = -1; us <= 1; us++)
                    check(&tz, &m, s * 1000000 + us, &hits);
        /* out of order: a late hit of the day before, then back */
        for (int k = 0; k < 20000; k++) {
            int64_t base =
                1600000000LL * 1000000 + (int64_t)(next_rand(&x) % (400 * 86400ull)) * 1000000;
            check(&tz, &m, base, &hits);
            check(&tz, &m, base - (int64_t)(next_rand(&x) % (30 * 3600ull)) * 1000000, &hits);
            check(&tz, &m, base + 1, &hits);
        }
        /* the ends of the range: no overflow, and no memo beyond it */
        const int64_t ends[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 1, INT64_MAX};
        for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
            check(&tz, &m, ends[i], &hits);
            check(&tz, &m, ends[i], &hits);
        }
        cn_store__tz_dispose(&tz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memo_gives_the_days_of_tz_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
