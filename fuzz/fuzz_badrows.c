/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the bad-row log (<data>/badrows/badrows.log, bytes from
 * disk) as `canton bad-rows` reads it: cn_badrows_read, and for each row
 * what the command does with it (reason name, time, the raw hit decoded and
 * written as JSON). Invariants: never a crash or undefined behaviour; an
 * error is CN_ECORRUPT or CN_EVERSION with a message naming the file; every
 * row delivered has its byte strings inside the frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hit/rawhit.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "process/process.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *dir;
static char path[128];

static void setup(void)
{
    dir = fuzz_tmpdir("badrows", "badrows");
    snprintf(path, sizeof(path), "%s/badrows/badrows.log", dir);
}

static int on_row(void *ud, const cn_badrow_t *row)
{
    size_t *rows = ud;
    (*rows)++;
    char ts[32];
    cn_time_fmt_iso(row->recv_us, ts);
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_printf(&b, "{\"ts\":\"%s\",\"reason\":\"%s\",\"suite\":", ts,
                  cn_badrow_reason_name(row->reason));
    cn_buf_append_json_str(&b, row->suite);
    cn_buf_append_json_str(&b, row->detail);
    cn_rawhit_t raw;
    if (cn_rawhit_decode(row->raw.ptr, row->raw.len, &raw) == 0) {
        cn_buf_printf(&b, ",\"proto\":\"%s\"", cn_proto_name(raw.proto));
        cn_buf_append_json_str(&b, raw.method);
        cn_buf_append_json_str(&b, raw.path);
        cn_buf_append_json_str(&b, raw.query);
        cn_buf_append_json_str(&b, raw.body);
    }
    cn_buf_dispose(&b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir == NULL)
        setup();
    fuzz_write_file(path, data, size);
    size_t rows = 0;
    cn_err_t err = {0};
    int rc = cn_badrows_read(dir, on_row, &rows, &err);
    if (rc != 0 &&
        ((rc != CN_ECORRUPT && rc != CN_EVERSION) || strncmp(err.msg, path, strlen(path)) != 0))
        abort();
    return 0;
}
