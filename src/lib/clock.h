/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks and time conversions. All canton timestamps are µs since the Unix epoch, UTC. */
#ifndef CN_LIB_CLOCK_H
#define CN_LIB_CLOCK_H

#include <stdint.h>

/* Wall-clock time in µs since the epoch (CLOCK_REALTIME). */
int64_t cn_time_now_us(void);
/* Monotonic time in µs, for durations and timeouts. */
int64_t cn_time_mono_us(void);
/* Formats us as ISO 8601 UTC with µs, "2026-11-29T03:40:00.123456Z"; out needs 32 bytes. */
void cn_time_fmt_iso(int64_t us, char out[32]);

#endif
