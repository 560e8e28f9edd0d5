/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the nginx log_format and GoAccess log-format compilers, and
 * the matcher they compile for. Input: one selector byte (even: nginx, odd:
 * GoAccess), the format up to the first '\n', then one log line. A format
 * either compiles or fails with a message; a compiled format parses the
 * line into a hit or a bad line with a known reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 8192)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(s, '\n', n);
    size_t flen = nl ? (size_t)(nl - s) : n;
    if (memchr(s, '\0', flen) != NULL)
        return 0;
    const char *prefix = data[0] & 1 ? "goaccess:" : "nginx:";
    size_t plen = strlen(prefix);
    char *fmt = cn_xmalloc(plen + flen + 1);
    memcpy(fmt, prefix, plen);
    memcpy(fmt + plen, s, flen);
    fmt[plen + flen] = '\0';
    cn_import_opts_t o = {.format = fmt, .suite = "fz"};
    if (data[0] & 2) {
        o.date_format = "%Y-%m-%d";
        o.time_format = "%T";
    }
    cn_import_parser_t *p = NULL;
    cn_err_t err = {0};
    int rc = cn_import_parser_new(&o, &p, &err);
    if (rc != 0) {
        if (err.msg[0] == '\0' || rc >= 0)
            abort();
        free(fmt);
        return 0;
    }
    if (nl != NULL) {
        cn_str_t rest = cn_str(nl + 1, n - flen - 1), line;
        cn_import_ctx_t ctx;
        cn_import_ctx_init(&ctx);
        while (rest.ptr != NULL) {
            rest = cn_str_split(rest, '\n', &line);
            cn_rawhit_t h;
            cn_import_info_t info;
            int r = cn_import_parse_line(p, &ctx, line, &h, &info);
            if (r == CN_EPARSE && (info.bad >= CN_IMPORT_BAD__COUNT || info.column > line.len))
                abort();
            if (r != 0 && r != CN_EPARSE && r != CN_IMPORT_SKIPPED)
                abort();
        }
        cn_import_ctx_dispose(&ctx);
    }
    cn_import_parser_free(p);
    free(fmt);
    return 0;
}
