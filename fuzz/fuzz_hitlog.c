/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the hitlog record reader (bytes from disk). The input becomes
 * segment 1 of a log in a temp folder; a reader reads every record, and the
 * recovery scan walks the same file. Invariants beyond "no crash, no
 * over-read": every record returned lies inside the file and starts where
 * the previous one ended, its payload matches its CRC, and the reader and
 * the scan agree on how many records there are and on how the segment ends
 * (end, torn tail: "end for now", or corruption). Then an empty segment 2
 * seals segment 1, and a second reader must return the same records and
 * call a torn tail corruption.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitlog/hitlog.h"
#include "hitlog/internal.h"
#include "lib/buf.h"
#include "lib/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[128];
static char path2[128]; /* segment 2: a header only, to seal segment 1 */

static void remove_dir(void)
{
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

static void make_dir(void)
{
    if (dir[0] != '\0')
        return;
    snprintf(dir, sizeof(dir), "%s", "/tmp/cn-fuzz-hitlog-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/00000001.log", dir);
    snprintf(path2, sizeof(path2), "%s/00000002.log", dir);
    atexit(remove_dir);
}

static void write_file(const char *at, const uint8_t *data, size_t size)
{
    int fd = open(at, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_dir();
    unlink(path2);
    write_file(path, data, size);

    /* The recovery scan, as the writer runs it at open. */
    bool header_ok = size >= CN_HITLOG__HEADER_LEN && cn_hitlog__header_check(data, 1, NULL) == 0;
    cn_hitlog__scan_result_t scan = {0};
    if (header_ok) {
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            abort();
        cn_hitlog__file_t f;
        cn_hitlog__file_init(&f, fd, size);
        if (cn_hitlog__scan(&f, &scan) != 0)
            abort();
        cn_hitlog__file_dispose(&f);
        if (scan.end < CN_HITLOG__HEADER_LEN || scan.end > size)
            abort();
        close(fd);
    }

    /* The reader. */
    cn_hitlog_reader_t *r;
    cn_err_t err;
    if (cn_hitlog_reader_open(dir, (cn_hitlog_pos_t){0, 0}, &r, &err) != 0)
        abort();
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    uint64_t expect = CN_HITLOG__HEADER_LEN, records = 0;
    int rc;
    while ((rc = cn_hitlog_reader_next(r, &p, &len, &pos, &err)) == 1) {
        if (pos.segment != 1 || pos.offset != expect || len == 0 ||
            pos.offset + CN_HITLOG__FRAME_LEN + len > size ||
            memcmp(p, data + pos.offset + CN_HITLOG__FRAME_LEN, len) != 0 ||
            cn_crc32c(0, p, len) != cn_load_u32le(data + pos.offset + 4))
            abort();
        expect = pos.offset + CN_HITLOG__FRAME_LEN + len;
        records++;
    }
    if (!header_ok) {
        /* Too short to hold a header: not written yet. Else: a bad header. */
        if (size < CN_HITLOG__HEADER_LEN ? rc != 0 : rc >= 0 || records != 0)
            abort();
    } else {
        if (records != scan.records)
            abort();
        if (scan.kind == CN_HITLOG__REC_CORRUPT) {
            if (rc != CN_ECORRUPT)
                abort();
        } else {
            /* A clean end or a torn tail: the end for now, twice. */
            if (rc != 0 || cn_hitlog_reader_tell(r).offset != scan.end ||
                cn_hitlog_reader_next(r, &p, &len, &pos, &err) != 0)
                abort();
        }
    }
    cn_hitlog_reader_close(r);

    /* Segment 1 sealed by an empty segment 2: read again. */
    uint8_t hdr2[CN_HITLOG__HEADER_LEN];
    cn_hitlog__header_encode(2, hdr2);
    write_file(path2, hdr2, sizeof(hdr2));
    if (cn_hitlog_reader_open(dir, (cn_hitlog_pos_t){0, 0}, &r, &err) != 0)
        abort();
    expect = CN_HITLOG__HEADER_LEN;
    uint64_t sealed_records = 0;
    while ((rc = cn_hitlog_reader_next(r, &p, &len, &pos, &err)) == 1) {
        if (pos.segment != 1 || pos.offset != expect ||
            pos.offset + CN_HITLOG__FRAME_LEN + len > size ||
            memcmp(p, data + pos.offset + CN_HITLOG__FRAME_LEN, len) != 0)
            abort();
        expect = pos.offset + CN_HITLOG__FRAME_LEN + len;
        sealed_records++;
    }
    if (!header_ok) {
        if (rc >= 0 || sealed_records != 0)
            abort();
    } else {
        if (sealed_records != scan.records)
            abort();
        if (scan.kind == CN_HITLOG__REC_END) {
            /* all of segment 1, then the end of the (empty) segment 2 */
            cn_hitlog_pos_t at = cn_hitlog_reader_tell(r);
            if (rc != 0 || at.segment != 2 || at.offset != CN_HITLOG__HEADER_LEN)
                abort();
        } else if (rc != CN_ECORRUPT) {
            abort(); /* a sealed segment is complete: a torn tail is corruption */
        }
    }
    cn_hitlog_reader_close(r);
    return 0;
}
