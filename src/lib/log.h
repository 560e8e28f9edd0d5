/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: one line per event, logfmt on stderr:
 *   ts=2026-11-29T03:40:00.123Z level=info msg="hitlog opened" dir=data/hitlog
 * Log once, where a decision is made (request handlers, CLI main); lower code
 * returns error codes and never prints. Thread-safe: each line is written
 * with one write(2).
 */
#ifndef CN_LIB_LOG_H
#define CN_LIB_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/str.h"

typedef enum cn_log_level {
    CN_LOG_DEBUG,
    CN_LOG_INFO,
    CN_LOG_WARN,
    CN_LOG_ERROR,
} cn_log_level_t;

/* Sets the lowest level written; the default is CN_LOG_INFO. Call at start. */
void cn_log_set_level(cn_log_level_t level);
/* Parses "debug", "info", "warn" or "error"; returns 0 or CN_EINVAL. */
int cn_log_parse_level(const char *name, cn_log_level_t *out);
/* True when lines of this level are written. One comparison (inline, below). */
static inline bool cn_log_enabled(cn_log_level_t level);

/*
 * Writes one line: msg is the message; fmt (may be NULL) gives further
 * logfmt fields, e.g. cn_log(CN_LOG_INFO, "listening", "addr=%s", addr).
 * Values with spaces must be quoted by the caller (use cn_log_quote()).
 */
void cn_log(cn_log_level_t level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Writes s into out (out_len bytes) as one logfmt value: as it is when it is
 * made of printable ASCII without space, '"', '\\' or '=', else quoted and
 * escaped as a JSON string; cut to fit. Returns out.
 */
const char *cn_log_quote(char *out, size_t out_len, cn_str_t s);

/* Debug lines cost one comparison when debug is off: the arguments are not even evaluated. */
#define cn_log_debug(msg, ...)                                                                     \
    do {                                                                                           \
        if (cn_log_enabled(CN_LOG_DEBUG))                                                          \
            cn_log(CN_LOG_DEBUG, msg, __VA_ARGS__);                                                \
    } while (0)
#define cn_log_info(msg, ...)  cn_log(CN_LOG_INFO, msg, __VA_ARGS__)
#define cn_log_warn(msg, ...)  cn_log(CN_LOG_WARN, msg, __VA_ARGS__)
#define cn_log_error(msg, ...) cn_log(CN_LOG_ERROR, msg, __VA_ARGS__)

/* --- Inline bodies --- */

extern cn_log_level_t cn_log__min_level; /* cn_log_set_level's; set once, before threads */

static inline bool cn_log_enabled(cn_log_level_t level)
{
    return level >= cn_log__min_level;
}

#endif
