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
bool cn_log_enabled(cn_log_level_t level);

/*
 * Writes one line: msg is the message; fmt (may be NULL) gives further
 * logfmt fields, e.g. cn_log(CN_LOG_INFO, "listening", "addr=%s", addr).
 * Values with spaces must be quoted by the caller (use cn_log_quote()).
 */
void cn_log(cn_log_level_t level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define cn_log_debug(msg, ...) cn_log(CN_LOG_DEBUG, msg, __VA_ARGS__)
#define cn_log_info(msg, ...)  cn_log(CN_LOG_INFO, msg, __VA_ARGS__)
#define cn_log_warn(msg, ...)  cn_log(CN_LOG_WARN, msg, __VA_ARGS__)
#define cn_log_error(msg, ...) cn_log(CN_LOG_ERROR, msg, __VA_ARGS__)

#endif
