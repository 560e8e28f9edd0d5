/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes and the error-detail buffer used across canton.
 *
 * Functions that can fail return int: 0 on success, a negative code on
 * failure. System errors are negated errno values; canton's own codes sit in
 * a reserved range below CN__ERRBASE and are listed once in CN_ERRNO_MAP,
 * which also yields cn_strerror() and cn_errname(). When a person needs
 * details (config errors, report-request errors, bad-row reasons), functions
 * take an optional cn_err_t; NULL means "don't care".
 */
#ifndef CN_LIB_ERR_H
#define CN_LIB_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define CN__ERRBASE (-10000)

/* name, offset from CN__ERRBASE, message */
#define CN_ERRNO_MAP(XX)                                                                           \
    XX(EPARSE, 1, "cannot parse input")                                                            \
    XX(ETOOBIG, 2, "input exceeds a limit")                                                        \
    XX(ECORRUPT, 3, "data on disk is corrupt")                                                     \
    XX(ECONFIG, 4, "invalid configuration")                                                        \
    XX(ENOTFOUND, 5, "not found")                                                                  \
    XX(EINVAL, 6, "invalid argument")                                                              \
    XX(EVERSION, 7, "unsupported format version")                                                  \
    XX(EEXIST, 8, "already exists")                                                                \
    XX(EFULL, 9, "no space left")                                                                  \
    XX(ECLOSED, 10, "closed")                                                                      \
    XX(EUNSUPPORTED, 11, "not supported")

enum {
#define XX(name, off, msg) CN_##name = CN__ERRBASE - (off),
    CN_ERRNO_MAP(XX)
#undef XX
};

/* Returns a static message for code (a CN_ code or a negated errno). */
const char *cn_strerror(int code);
/* Returns a static name for code, e.g. "ECORRUPT" or "ENOENT". */
const char *cn_errname(int code);

/* Error details for a person: a code and a short message. */
typedef struct cn_err {
    int code;
    char msg[256];
} cn_err_t;

/*
 * Sets err (when not NULL) to code and a printf-formatted message, and
 * returns code, so that callers can write `return cn_err_set(err, CN_EPARSE, ...)`.
 */
int cn_err_set(cn_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clears err (when not NULL). */
void cn_err_clear(cn_err_t *err);

/* Returns err's message, or cn_strerror(code) when err is NULL or empty. */
const char *cn_err_msg(const cn_err_t *err, int code);

#define CN_RETURN_IF_ERR(expr)                                                                     \
    do {                                                                                           \
        int cn__rc = (expr);                                                                       \
        if (cn__rc < 0)                                                                            \
            return cn__rc;                                                                         \
    } while (0)

#endif
