/* SPDX-License-Identifier: Apache-2.0 */
/* logfmt logging to stderr; see log.h. */
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"

cn_log_level_t cn_log__min_level = CN_LOG_INFO; /* set once at start, before threads */
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void cn_log_set_level(cn_log_level_t level)
{
    cn_log__min_level = level;
}

int cn_log_parse_level(const char *name, cn_log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (cn_log_level_t)i;
            return 0;
        }
    }
    return CN_EINVAL;
}

const char *cn_log_quote(char *out, size_t out_len, cn_str_t s)
{
    bool plain = s.len > 0;
    for (size_t i = 0; i < s.len && plain; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        plain = c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
    }
    if (out_len == 0)
        return out;
    if (plain) {
        snprintf(out, out_len, "%.*s", (int)(s.len < out_len ? s.len : out_len - 1), s.ptr);
        return out;
    }
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append_json_str(&b, s);
    if (b.len >= out_len) {
        /* too long: escape a head of s that fits even if every byte takes 6 ("\u00XX") */
        cn_buf_clear(&b);
        cn_buf_append_json_str(&b, cn_str(s.ptr, out_len > 3 ? (out_len - 3) / 6 : 0));
    }
    snprintf(out, out_len, "%.*s", (int)(b.len < out_len ? b.len : out_len - 1), b.ptr);
    cn_buf_dispose(&b);
    return out;
}

void cn_log(cn_log_level_t level, const char *msg, const char *fmt, ...)
{
    if (level < cn_log__min_level)
        return;
    struct timeval tv;
    struct tm tm;
    char ts[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

    cn_buf_t b = CN_BUF_INIT;
    cn_buf_printf(&b, "ts=%s.%03dZ level=%s msg=", ts, (int)(tv.tv_usec / 1000),
                  level_names[level]);
    cn_buf_append_json_str(&b, cn_str_c(msg));
    if (fmt != NULL && fmt[0] != '\0') {
        va_list ap;
        cn_buf_putc(&b, ' ');
        va_start(ap, fmt);
        cn_buf_vprintf(&b, fmt, ap);
        va_end(ap);
    }
    cn_buf_putc(&b, '\n');
    ssize_t rc = write(STDERR_FILENO, b.ptr, b.len);
    (void)rc;
    cn_buf_dispose(&b);
}
