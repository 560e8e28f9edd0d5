/* SPDX-License-Identifier: Apache-2.0 */
/* Error names and messages, generated from CN_ERRNO_MAP. */
#include "lib/err.h"

#include <stdio.h>
#include <string.h>

const char *cn_strerror(int code)
{
    switch (code) {
#define XX(name, off, msg)                                                                         \
    case CN_##name:                                                                                \
        return msg;
        CN_ERRNO_MAP(XX)
#undef XX
    case 0:
        return "success";
    default:
        return code < 0 && code > CN__ERRBASE ? strerror(-code) : "unknown error";
    }
}

const char *cn_errname(int code)
{
    switch (code) {
#define XX(name, off, msg)                                                                         \
    case CN_##name:                                                                                \
        return #name;
        CN_ERRNO_MAP(XX)
#undef XX
    case 0:
        return "OK";
    default:
        break;
    }
    if (code < 0 && code > CN__ERRBASE) {
        const char *n = strerrorname_np(-code);
        return n ? n : "ERRNO";
    }
    return "UNKNOWN";
}

int cn_err_set(cn_err_t *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void cn_err_clear(cn_err_t *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *cn_err_msg(const cn_err_t *err, int code)
{
    if (err != NULL && err->msg[0] != '\0')
        return err->msg;
    return cn_strerror(code);
}
