/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the hitlog (src/hitlog/hitlog.h): append and read back,
 * damage in the middle, torn tails, roll-over, readers following a growing
 * log, buffered mode, callback positions, the writer lock, concurrent
 * appenders and write errors. Each test works in its own temp folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "hitlog/hitlog.h"
#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/err.h"

#include <cmocka.h>

#define HDR   16u
#define FRAME 8u

/* --- Helpers --- */

static uint64_t seg_size(const fixture_dir_t *fx, uint32_t segno)
{
    char path[128];
    struct stat st;
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void append_raw(const fixture_dir_t *fx, uint32_t segno, const void *p, size_t len)
{
    char path[128];
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, len), (ssize_t)len);
    close(fd);
}

/* Overwrites one byte of a segment with its complement. */
static void flip_byte(const fixture_dir_t *fx, uint32_t segno, uint64_t off)
{
    char path[128];
    uint8_t b;
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b = (uint8_t)~b;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

/* The payload of record i: "rec-<i>-" then filler up to len bytes. */
static size_t make_payload(unsigned i, size_t len, char *out)
{
    char head[32];
    size_t n = (size_t)snprintf(head, sizeof(head), "rec-%u-", i);
    if (n > len)
        n = len;
    memcpy(out, head, n);
    for (size_t k = n; k < len; k++)
        out[k] = (char)('a' + (i + k) % 26);
    return len;
}

static cn_hitlog_t *open_log(const fixture_dir_t *fx, const cn_hitlog_opts_t *opts,
                             cn_hitlog_recovery_t *rec)
{
    return fixture_open_log(fx->dir, opts, rec);
}

/* Appends count records of len bytes (payload i = first + k), synchronously. */
static void append_n(cn_hitlog_t *log, unsigned first, unsigned count, size_t len,
                     cn_hitlog_pos_t *out_pos)
{
    char buf[4096];
    for (unsigned k = 0; k < count; k++) {
        size_t n = make_payload(first + k, len, buf);
        cn_hitlog_pos_t pos;
        assert_int_equal(cn_hitlog_append_sync(log, buf, n, &pos), 0);
        if (out_pos != NULL)
            out_pos[k] = pos;
    }
}

/* Reads every record from pos to the current end, checking payloads first.. */
static unsigned read_all(const fixture_dir_t *fx, cn_hitlog_pos_t from, unsigned first, size_t len)
{
    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, from, &r, &err), 0);
    unsigned count = 0;
    const void *p;
    size_t n;
    int rc;
    char want[4096];
    while ((rc = cn_hitlog_reader_next(r, &p, &n, NULL, &err)) == 1) {
        make_payload(first + count, len, want);
        assert_int_equal(n, len);
        assert_memory_equal(p, want, len);
        count++;
    }
    if (rc != 0)
        fail_msg("reader: %s", cn_err_msg(&err, rc));
    cn_hitlog_reader_close(r);
    return count;
}

/* --- Tests --- */

static void append_and_read_back(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_recovery_t rec;
    cn_hitlog_t *log = open_log(fx, NULL, &rec);
    assert_int_equal(rec.segments, 1);
    assert_int_equal(rec.torn_bytes, 0);
    assert_int_equal(rec.end.segment, 1);
    assert_int_equal(rec.end.offset, HDR);

    cn_hitlog_pos_t pos[20];
    append_n(log, 0, 20, 100, pos);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(pos[i].segment, 1);
        assert_int_equal(pos[i].offset, HDR + i * (FRAME + 100));
    }
    cn_hitlog_close(log);
    assert_int_equal(seg_size(fx, 1), HDR + 20 * (FRAME + 100));
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 100), 20);
    /* From a position in the middle. */
    assert_int_equal(read_all(fx, pos[15], 15, 100), 5);

    /* Reopening continues where the log ended. */
    log = open_log(fx, NULL, &rec);
    assert_int_equal(rec.records, 20);
    assert_int_equal(rec.end.offset, HDR + 20 * (FRAME + 100));
    append_n(log, 20, 1, 100, pos);
    assert_int_equal(pos[0].offset, HDR + 20 * (FRAME + 100));
    cn_hitlog_close(log);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 100), 21);
}

static void reader_returns_positions_and_tell(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_pos_t pos[3];
    append_n(log, 0, 3, 10, pos);
    cn_hitlog_close(log);

    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    cn_hitlog_pos_t at;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cn_hitlog_reader_next(r, &p, &n, &at, NULL), 1);
        assert_int_equal(at.segment, pos[i].segment);
        assert_int_equal(at.offset, pos[i].offset);
        cn_hitlog_pos_t t = cn_hitlog_reader_tell(r);
        assert_int_equal(t.offset, pos[i].offset + FRAME + 10);
    }
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, &at, NULL), 0);
    cn_hitlog_reader_close(r);
}

static void append_rejects_empty_and_oversized(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.max_record_bytes = 64;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    char buf[65] = {0};
    assert_int_equal(cn_hitlog_append_sync(log, buf, 0, NULL), CN_EINVAL);
    assert_int_equal(cn_hitlog_append_sync(log, buf, 65, NULL), CN_ETOOBIG);
    assert_int_equal(cn_hitlog_append_sync(log, buf, 64, NULL), 0);
    cn_hitlog_close(log);
}

static void full_queue_refuses_appends(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.max_queue_bytes = 1000;
    opts.group_commit_us = 500000; /* the writer gathers for 0.5 s after open */
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    char buf[100];
    memset(buf, 'q', sizeof(buf));
    /* 9 records of 108 bytes fit in 1000; the 10th does not. */
    for (int i = 0; i < 9; i++)
        assert_int_equal(cn_hitlog_append(log, buf, sizeof(buf), NULL, NULL), 0);
    assert_int_equal(cn_hitlog_append(log, buf, sizeof(buf), NULL, NULL), CN_EFULL);
    assert_int_equal(cn_hitlog_sync(log), 0);
    assert_int_equal(cn_hitlog_append_sync(log, buf, sizeof(buf), NULL), 0);
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    assert_int_equal(st.records, 10);
    cn_hitlog_close(log);
}

static void crc_mismatch_in_middle_is_corruption(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_pos_t pos[3];
    append_n(log, 0, 3, 50, pos);
    cn_hitlog_close(log);
    uint64_t size = seg_size(fx, 1);
    flip_byte(fx, 1, pos[1].offset + FRAME + 7);

    cn_hitlog_t *log2 = NULL;
    cn_err_t err;
    assert_int_equal(cn_hitlog_open(fx->dir, NULL, &log2, NULL, &err), CN_ECORRUPT);
    assert_null(log2);
    char want[64];
    snprintf(want, sizeof(want), "segment 1 is corrupt at offset %llu",
             (unsigned long long)pos[1].offset);
    assert_non_null(strstr(err.msg, want));
    /* Nothing was cut. */
    assert_int_equal(seg_size(fx, 1), size);

    /* A reader returns the first record, then the error. */
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 1);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, want));
    cn_hitlog_reader_close(r);
}

/*
 * Records of sizes around and above the reader's read window (256 KiB) and
 * an older one (64 KiB), so that many start, end or lie across a window's
 * edge: every one reads back, and a byte flipped in each of several records
 * in turn is found at that record, whatever part of the window it is in.
 */
static void records_across_read_windows_read_back(void **state)
{
    fixture_dir_t *fx = *state;
    static const size_t sizes[] = {1,         1100,   9000, (64u << 10) - 8,  64u << 10, 70000,
                                   140000,    300000, 33,   (256u << 10) + 1, 1100,      65536 - 7,
                                   131072 + 9};
    enum { N = 3 * sizeof(sizes) / sizeof(sizes[0]) };
    static char buf[300001], want[300001];
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_pos_t pos[N];
    for (unsigned i = 0; i < N; i++) {
        size_t n = make_payload(i, sizes[i % (N / 3)], buf);
        assert_int_equal(cn_hitlog_append_sync(log, buf, n, &pos[i]), 0);
    }
    cn_hitlog_close(log);
    for (unsigned flip = 0; flip <= N; flip += 5) {
        /* flip == N: no damage; else damage inside record flip (its last byte for odd ones) */
        size_t len = flip < N ? sizes[flip % (N / 3)] : 0;
        uint64_t at = flip < N ? pos[flip].offset + FRAME + (flip % 2 ? len - 1 : len / 2) : 0;
        if (flip < N)
            flip_byte(fx, 1, at);
        cn_hitlog_reader_t *r;
        cn_err_t err;
        assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
        const void *p;
        size_t n;
        cn_hitlog_pos_t got;
        unsigned i = 0;
        int rc;
        while ((rc = cn_hitlog_reader_next(r, &p, &n, &got, &err)) == 1) {
            assert_true(i < N);
            assert_int_equal(got.offset, pos[i].offset);
            assert_int_equal(n, make_payload(i, sizes[i % (N / 3)], want));
            assert_memory_equal(p, want, n);
            i++;
        }
        cn_hitlog_reader_close(r);
        if (flip == N) {
            assert_int_equal(rc, 0);
            assert_int_equal(i, N);
        } else {
            char msg[64];
            snprintf(msg, sizeof(msg), "corrupt at offset %llu",
                     (unsigned long long)pos[flip].offset);
            /* (flip < N - 1: a valid record follows the damage) */
            assert_int_equal(rc, CN_ECORRUPT);
            assert_int_equal(i, flip);
            assert_non_null(strstr(err.msg, msg));
            flip_byte(fx, 1, at); /* mended for the next round */
        }
    }
}

static void bad_length_in_middle_is_corruption(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_pos_t pos[4];
    append_n(log, 0, 4, 50, pos);
    cn_hitlog_close(log);
    flip_byte(fx, 1, pos[1].offset + 3); /* length's top byte: far past the end */
    /* The length is now above the format limit: damage, and valid records follow. */
    cn_hitlog_t *log2 = NULL;
    cn_err_t err;
    assert_int_equal(cn_hitlog_open(fx->dir, NULL, &log2, NULL, &err), CN_ECORRUPT);
    char want[64];
    snprintf(want, sizeof(want), "segment 1 is corrupt at offset %llu",
             (unsigned long long)pos[1].offset);
    assert_non_null(strstr(err.msg, want));
}

/* Opens after appending junk to a log of 5 records; the junk must be cut. */
static void check_torn_tail(fixture_dir_t *fx, const void *junk, size_t junk_len)
{
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    append_n(log, 0, 5, 40, NULL);
    cn_hitlog_close(log);
    uint64_t clean = seg_size(fx, 1);
    append_raw(fx, 1, junk, junk_len);

    /* Before recovery, a reader sees the torn tail as the end for now. */
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 40), 5);

    cn_hitlog_recovery_t rec;
    log = open_log(fx, NULL, &rec);
    assert_int_equal(rec.torn_bytes, junk_len);
    assert_int_equal(rec.records, 5);
    assert_int_equal(rec.end.segment, 1);
    assert_int_equal(rec.end.offset, clean);
    assert_int_equal(seg_size(fx, 1), clean);
    cn_hitlog_pos_t pos;
    append_n(log, 5, 1, 40, &pos);
    assert_int_equal(pos.offset, clean);
    cn_hitlog_close(log);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 40), 6);
}

static void torn_tail_partial_frame_is_cut(void **state)
{
    check_torn_tail(*state, "\x30\x00\x00", 3);
}

static void torn_tail_partial_payload_is_cut(void **state)
{
    uint8_t junk[8 + 10] = {100, 0, 0, 0, 1, 2, 3, 4, 'r', 'e', 'c'};
    check_torn_tail(*state, junk, sizeof(junk));
}

static void torn_tail_crc_mismatch_at_end_is_cut(void **state)
{
    uint8_t junk[8 + 10] = {10, 0, 0, 0, 1, 2, 3, 4, 'r', 'e', 'c'};
    check_torn_tail(*state, junk, sizeof(junk));
}

static void torn_tail_zeros_are_cut(void **state)
{
    static uint8_t zeros[4096];
    check_torn_tail(*state, zeros, sizeof(zeros));
}

static void torn_segment_header_is_rewritten(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    append_n(log, 0, 2, 40, NULL);
    cn_hitlog_close(log);
    /* A crash while creating segment 2 left 5 bytes of its header. */
    char path[128];
    fixture_seg_path(fx->dir, 2, path, sizeof(path));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("CNHIT", 1, 5, f);
    fclose(f);
    cn_hitlog_recovery_t rec;
    log = open_log(fx, &opts, &rec);
    assert_int_equal(rec.segments, 2);
    assert_int_equal(rec.torn_bytes, 5);
    assert_int_equal(rec.end.segment, 2);
    assert_int_equal(rec.end.offset, HDR);
    append_n(log, 2, 1, 40, NULL);
    cn_hitlog_close(log);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 40), 3);
}

static void bad_magic_is_corruption(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_close(log);
    flip_byte(fx, 1, 0);
    cn_err_t err;
    assert_int_equal(cn_hitlog_open(fx->dir, NULL, &log, NULL, &err), CN_ECORRUPT);
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), CN_ECORRUPT);
    cn_hitlog_reader_close(r);
}

static void segments_roll_over(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 4096;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    cn_hitlog_pos_t pos[100];
    append_n(log, 0, 100, 200, pos);
    /* 4096 - 16 bytes hold 19 records of 208 bytes (3952); the 20th rolls. */
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(pos[i].segment, 1 + i / 19);
        assert_int_equal(pos[i].offset, HDR + (i % 19) * (FRAME + 200));
    }
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    cn_hitlog_close(log);
    uint64_t total = 0;
    for (uint32_t s = 1; s <= 6; s++) {
        assert_true(seg_size(fx, s) <= 4096);
        total += seg_size(fx, s);
    }
    assert_int_equal(st.disk_bytes, total);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 200), 100);
    /* A reader starting in a middle segment. */
    assert_int_equal(read_all(fx, pos[40], 40, 200), 60);
    /* The end of a full segment leads to the next one. */
    cn_hitlog_pos_t end1 = {1, HDR + 19 * (FRAME + 200)};
    assert_int_equal(read_all(fx, end1, 19, 200), 81);

    cn_hitlog_recovery_t rec;
    log = open_log(fx, &opts, &rec);
    assert_int_equal(rec.segments, 6);
    assert_int_equal(rec.records, 100 - 5 * 19);
    assert_int_equal(rec.end.segment, 6);
    cn_hitlog_close(log);
}

/*
 * A new segment is written under NAME.log.tmp and renamed into place (docs/hitlog.md
 * "Roll-over"): a temporary file left by a crash or a failed attempt is invisible to readers
 * and the segment list, and the next roll-over writes over it; none is left after a roll.
 */
static void segments_are_renamed_into_place(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 4096;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    append_n(log, 0, 10, 200, NULL); /* segment 1 only */
    char path[128], tmp[160];
    fixture_seg_path(fx->dir, 2, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    for (int i = 0; i < 1000; i++) /* longer than a header, and no header */
        fputc('x', f);
    fclose(f);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 200), 10);
    cn_hitlog_close(log);
    cn_hitlog_recovery_t rec;
    log = open_log(fx, &opts, &rec);
    assert_int_equal(rec.segments, 1);
    cn_hitlog_pos_t pos[30];
    append_n(log, 10, 30, 200, pos); /* 19 records a segment: rolls to 2 and 3 */
    assert_int_equal(pos[29].segment, 3);
    cn_hitlog_close(log);
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);
    for (uint32_t seg = 2; seg <= 3; seg++) {
        char tp[160];
        fixture_seg_path(fx->dir, seg, path, sizeof(path));
        snprintf(tp, sizeof(tp), "%s.tmp", path);
        assert_int_equal(stat(tp, &st), -1);
    }
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 200), 40);
}

static void record_larger_than_segment_gets_its_own(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 4096;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    static char big[6000];
    memset(big, 'x', sizeof(big));
    cn_hitlog_pos_t a, b, c;
    assert_int_equal(cn_hitlog_append_sync(log, "small", 5, &a), 0);
    assert_int_equal(cn_hitlog_append_sync(log, big, sizeof(big), &b), 0);
    assert_int_equal(cn_hitlog_append_sync(log, "small", 5, &c), 0);
    cn_hitlog_close(log);
    assert_int_equal(a.segment, 1);
    assert_int_equal(b.segment, 2);
    assert_int_equal(b.offset, HDR);
    assert_int_equal(c.segment, 3);
}

static void reader_follows_growing_log(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 4096;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    char want[256];
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    unsigned next = 0;
    for (unsigned round = 0; round < 10; round++) {
        /* 7 records per round: 70 in all, across 4 segments. */
        append_n(log, round * 7, 7, 200, NULL);
        int rc;
        while ((rc = cn_hitlog_reader_next(r, &p, &n, NULL, &err)) == 1) {
            make_payload(next, 200, want);
            assert_int_equal(n, 200);
            assert_memory_equal(p, want, 200);
            next++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(next, (round + 1) * 7);
    }
    assert_int_equal(cn_hitlog_reader_tell(r).segment, 4);
    cn_hitlog_reader_close(r);
    cn_hitlog_close(log);
}

static void reader_waits_on_partial_record(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    append_n(log, 0, 1, 30, NULL);
    cn_hitlog_close(log);
    /* Write a record in three pieces, as a slow writer would. */
    char payload[32];
    make_payload(1, 30, payload);
    uint8_t frame[8];
    uint32_t len = 30, crc = cn_crc32c(0, payload, 30);
    memcpy(frame, &len, 4);
    memcpy(frame + 4, &crc, 4);

    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 1);
    append_raw(fx, 1, frame, 5);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    append_raw(fx, 1, frame + 5, 3);
    append_raw(fx, 1, payload, 12);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    append_raw(fx, 1, payload + 12, 18);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 1);
    assert_int_equal(n, 30);
    assert_memory_equal(p, payload, 30);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    cn_hitlog_reader_close(r);
}

static void reader_on_empty_and_missing_logs(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_reader_t *r;
    cn_err_t err;
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/nope", fx->dir);
    assert_int_equal(cn_hitlog_reader_open(missing, (cn_hitlog_pos_t){0, 0}, &r, &err), -ENOENT);

    /* An empty folder: the reader waits for the first segment. */
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    const void *p;
    size_t n;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    append_n(log, 0, 1, 10, NULL);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 1);
    assert_int_equal(n, 10);
    cn_hitlog_reader_close(r);
    cn_hitlog_close(log);

    /* A segment that is not there. */
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){7, 16}, &r, &err), 0);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, &err), 0);
    cn_hitlog_reader_close(r);
}

static void buffered_mode_acknowledges_before_fsync(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.buffered = true;
    opts.group_commit_us = 1000000; /* one background fsync per second */
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    cn_hitlog_stats_t before, after;
    cn_hitlog_stats(log, &before);
    append_n(log, 0, 50, 64, NULL);
    cn_hitlog_stats(log, &after);
    /* 50 acknowledged appends, at most one fsync (the window may expire once). */
    assert_true(after.fsyncs - before.fsyncs <= 1);
    assert_int_equal(after.records, 50);
    /* Written, so readers see them already. */
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 64), 50);
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_stats(log, &after);
    assert_true(after.fsyncs - before.fsyncs >= 1);
    assert_true(cn_hitlog_is_healthy(log));
    cn_hitlog_close(log);
}

static void fsync_mode_groups_commits(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.group_commit_us = 20000;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    cn_hitlog_stats_t before, after;
    cn_hitlog_stats(log, &before);
    /* 200 appends queued at once need far fewer than 200 fsyncs. */
    char buf[64];
    for (unsigned i = 0; i < 200; i++) {
        make_payload(i, 64, buf);
        assert_int_equal(cn_hitlog_append(log, buf, 64, NULL, NULL), 0);
    }
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_stats(log, &after);
    assert_int_equal(after.records - before.records, 200);
    assert_true(after.fsyncs - before.fsyncs >= 1);
    assert_true(after.fsyncs - before.fsyncs <= 10);
    uint64_t hist = 0;
    for (int i = 0; i < 12; i++)
        hist += after.fsync_hist[i];
    assert_int_equal(hist, after.fsyncs);
    assert_int_equal(after.bytes - before.bytes, 200 * (FRAME + 64));
    cn_hitlog_close(log);
    assert_int_equal(read_all(fx, (cn_hitlog_pos_t){0, 0}, 0, 64), 200);
}

/* Records every callback: status and position, by the append index in ud. */
typedef struct cb_log {
    pthread_mutex_t mu;
    unsigned calls[1000];
    int status[1000];
    cn_hitlog_pos_t pos[1000];
    unsigned order[1000];
    unsigned ncalls;
} cb_log_t;

static cb_log_t cbs;

static void record_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    unsigned i = (unsigned)(uintptr_t)ud;
    pthread_mutex_lock(&cbs.mu);
    cbs.calls[i]++;
    cbs.status[i] = status;
    cbs.pos[i] = pos;
    cbs.order[cbs.ncalls++] = i;
    pthread_mutex_unlock(&cbs.mu);
}

static void callbacks_carry_positions_in_order(void **state)
{
    fixture_dir_t *fx = *state;
    memset(&cbs, 0, sizeof(cbs));
    pthread_mutex_init(&cbs.mu, NULL);
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 8192;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    char buf[512];
    for (unsigned i = 0; i < 300; i++) {
        size_t len = 1 + (i * 37) % 300;
        make_payload(i, len, buf);
        assert_int_equal(cn_hitlog_append(log, buf, len, record_cb, (void *)(uintptr_t)i), 0);
    }
    assert_int_equal(cn_hitlog_sync(log), 0);
    assert_int_equal(cbs.ncalls, 300);
    for (unsigned i = 0; i < 300; i++) {
        assert_int_equal(cbs.calls[i], 1);
        assert_int_equal(cbs.status[i], 0);
        assert_int_equal(cbs.order[i], i);
    }
    cn_hitlog_close(log);

    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    cn_hitlog_pos_t at;
    for (unsigned i = 0; i < 300; i++) {
        assert_int_equal(cn_hitlog_reader_next(r, &p, &n, &at, NULL), 1);
        assert_int_equal(at.segment, cbs.pos[i].segment);
        assert_int_equal(at.offset, cbs.pos[i].offset);
        size_t len = 1 + (i * 37) % 300;
        assert_int_equal(n, len);
        make_payload(i, len, buf);
        assert_memory_equal(p, buf, len);
    }
    assert_true(cbs.pos[299].segment > 1);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, &at, NULL), 0);
    cn_hitlog_reader_close(r);
    pthread_mutex_destroy(&cbs.mu);
}

static void lock_keeps_out_a_second_writer(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    cn_hitlog_t *second = NULL;
    cn_err_t err;
    assert_int_equal(cn_hitlog_open(fx->dir, NULL, &second, NULL, &err), CN_EEXIST);
    assert_null(second);
    assert_non_null(strstr(err.msg, "another process"));
    /* Readers are welcome. */
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    cn_hitlog_reader_close(r);
    cn_hitlog_close(log);
    log = open_log(fx, NULL, NULL);
    cn_hitlog_close(log);
}

#define THREADS        8
#define PER_THREAD     2500
#define THREAD_REC_LEN 48

typedef struct appender {
    cn_hitlog_t *log;
    unsigned id;
    pthread_mutex_t *mu;
    unsigned *acked;
    int failures;
} appender_t;

static void count_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    appender_t *a = ud;
    pthread_mutex_lock(a->mu);
    if (status == 0)
        (*a->acked)++;
    else
        a->failures++;
    pthread_mutex_unlock(a->mu);
}

static void *appender_main(void *arg)
{
    appender_t *a = arg;
    char buf[THREAD_REC_LEN];
    for (unsigned i = 0; i < PER_THREAD; i++) {
        memset(buf, ' ', sizeof(buf));
        snprintf(buf, sizeof(buf), "%u %u", a->id, i);
        int rc = i % 50 == 0 ? cn_hitlog_append_sync(a->log, buf, sizeof(buf), NULL)
                             : cn_hitlog_append(a->log, buf, sizeof(buf), count_cb, a);
        if (rc != 0)
            a->failures++;
        else if (i % 50 == 0)
            count_cb(a, 0, (cn_hitlog_pos_t){0, 0});
    }
    return NULL;
}

static void concurrent_appends_land_exactly_once(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 64 << 10;
    opts.group_commit_us = 200;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    pthread_t th[THREADS];
    appender_t ap[THREADS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    unsigned acked = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        ap[t] = (appender_t){log, t, &mu, &acked, 0};
        assert_int_equal(pthread_create(&th[t], NULL, appender_main, &ap[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    cn_hitlog_close(log); /* drains: every callback has run */
    assert_int_equal(acked, THREADS * PER_THREAD);
    for (unsigned t = 0; t < THREADS; t++)
        assert_int_equal(ap[t].failures, 0);

    static unsigned char seen[THREADS][PER_THREAD];
    memset(seen, 0, sizeof(seen));
    unsigned last[THREADS];
    memset(last, 0xff, sizeof(last));
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    unsigned count = 0;
    int rc;
    while ((rc = cn_hitlog_reader_next(r, &p, &n, NULL, NULL)) == 1) {
        assert_int_equal(n, THREAD_REC_LEN);
        unsigned id, seq;
        assert_int_equal(sscanf(p, "%u %u", &id, &seq), 2);
        assert_true(id < THREADS && seq < PER_THREAD);
        assert_int_equal(seen[id][seq], 0);
        seen[id][seq] = 1;
        /* One thread's appends keep their order. */
        assert_true(last[id] == 0xffffffffu || seq == last[id] + 1);
        last[id] = seq;
        count++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(count, THREADS * PER_THREAD);
    assert_true(cn_hitlog_reader_tell(r).segment > 1);
    cn_hitlog_reader_close(r);
}

typedef struct follower {
    const char *dir;
    unsigned want;
    unsigned got;
    int rc;
} follower_t;

static void *follower_main(void *arg)
{
    follower_t *f = arg;
    cn_hitlog_reader_t *r;
    f->rc = cn_hitlog_reader_open(f->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL);
    if (f->rc != 0)
        return NULL;
    int64_t deadline = cn_time_mono_us() + 60000000;
    const void *p;
    size_t n;
    while (f->got < f->want && cn_time_mono_us() < deadline) {
        int rc = cn_hitlog_reader_next(r, &p, &n, NULL, NULL);
        if (rc < 0) {
            f->rc = rc;
            break;
        }
        if (rc == 0)
            usleep(50);
        else if (n == THREAD_REC_LEN)
            f->got++;
    }
    cn_hitlog_reader_close(r);
    return NULL;
}

/* A reader in another thread follows the log while 8 threads append and the
 * writer rolls over every 64 KiB: it must see every record and no damage. */
static void reader_follows_concurrent_appends(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 64 << 10;
    opts.group_commit_us = 100;
    cn_hitlog_t *log = open_log(fx, &opts, NULL);
    follower_t fo = {fx->dir, THREADS * PER_THREAD, 0, 0};
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, NULL, follower_main, &fo), 0);
    pthread_t th[THREADS];
    appender_t ap[THREADS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    unsigned acked = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        ap[t] = (appender_t){log, t, &mu, &acked, 0};
        assert_int_equal(pthread_create(&th[t], NULL, appender_main, &ap[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_join(reader, NULL);
    cn_hitlog_close(log);
    assert_int_equal(fo.rc, 0);
    assert_int_equal(fo.got, THREADS * PER_THREAD);
}

static void write_error_fails_callbacks_and_health(void **state)
{
    fixture_dir_t *fx = *state;
    memset(&cbs, 0, sizeof(cbs));
    pthread_mutex_init(&cbs.mu, NULL);
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    append_n(log, 0, 10, 100, NULL);
    assert_true(cn_hitlog_is_healthy(log));

    /* A file size limit makes writes past it fail with EFBIG, as a full disk fails with ENOSPC. */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = seg_size(fx, 1) + 1000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char buf[128];
    for (unsigned i = 0; i < 30; i++) {
        make_payload(10 + i, 100, buf);
        assert_int_equal(cn_hitlog_append(log, buf, 100, record_cb, (void *)(uintptr_t)i), 0);
    }
    int rc = cn_hitlog_sync(log);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(cbs.ncalls, 30);
    unsigned ok = 0;
    for (unsigned i = 0; i < 30; i++) {
        assert_int_equal(cbs.calls[i], 1);
        assert_true(cbs.status[i] == 0 || cbs.status[i] == -EFBIG);
        ok += cbs.status[i] == 0;
    }
    assert_true(ok < 30);
    assert_true(rc == 0 || rc == -EFBIG);
    assert_false(cn_hitlog_is_healthy(log));
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    assert_true(st.write_errors >= 1);

    /* Room again: the log recovers. */
    make_payload(999, 100, buf);
    assert_int_equal(cn_hitlog_append_sync(log, buf, 100, NULL), 0);
    assert_true(cn_hitlog_is_healthy(log));
    cn_hitlog_close(log);

    /* On disk: exactly the acknowledged records, in order, and a clean tail. */
    cn_hitlog_recovery_t rec;
    log = open_log(fx, NULL, &rec);
    assert_int_equal(rec.torn_bytes, 0);
    assert_int_equal(rec.records, 10 + ok + 1);
    cn_hitlog_close(log);
    unsigned want_ids[64], nwant = 0;
    for (unsigned i = 0; i < 10; i++)
        want_ids[nwant++] = i;
    for (unsigned i = 0; i < 30; i++) {
        if (cbs.status[i] == 0)
            want_ids[nwant++] = 10 + i;
    }
    want_ids[nwant++] = 999;
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t n;
    for (unsigned k = 0; k < nwant; k++) {
        assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, NULL), 1);
        make_payload(want_ids[k], 100, buf);
        assert_int_equal(n, 100);
        assert_memory_equal(p, buf, 100);
    }
    assert_int_equal(cn_hitlog_reader_next(r, &p, &n, NULL, NULL), 0);
    cn_hitlog_reader_close(r);
    pthread_mutex_destroy(&cbs.mu);
}

/* --- kill -9 --- */

static int ack_fd = -1;

static void ack_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    uint32_t id = (uint32_t)(uintptr_t)ud;
    if (status == 0 && write(ack_fd, &id, sizeof(id)) != sizeof(id))
        _exit(3);
}

static void *killed_appender(void *arg)
{
    cn_hitlog_t *log = arg;
    static _Atomic uint32_t next_id;
    char buf[300];
    for (;;) {
        uint32_t id = next_id++;
        size_t len = 20 + id % 280;
        memset(buf, 'k', len);
        snprintf(buf, len, "id %u ", id);
        if (cn_hitlog_append(log, buf, len, ack_cb, (void *)(uintptr_t)id) != 0)
            _exit(4);
        if (id % 64 == 0)
            usleep(100);
    }
    return NULL;
}

/* A child appends from 2 threads and reports acknowledged ids through a pipe
 * until it is killed with SIGKILL; every acknowledged id must then be in the
 * log exactly once, after a recovery that may cut a torn tail. */
static void kill_9_loses_no_acknowledged_record(void **state)
{
    fixture_dir_t *fx = *state;
    static unsigned char seen[1 << 22];
    uint64_t prev_records = 0;
    for (int cycle = 0; cycle < 4; cycle++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            ack_fd = fds[1];
            alarm(20);
            cn_hitlog_opts_t opts;
            cn_hitlog_opts_init(&opts);
            opts.segment_bytes = 256 << 10;
            opts.group_commit_us = 300;
            cn_hitlog_t *log;
            if (cn_hitlog_open(fx->dir, &opts, &log, NULL, NULL) != 0)
                _exit(2);
            pthread_t th[2];
            for (int i = 0; i < 2; i++)
                pthread_create(&th[i], NULL, killed_appender, log);
            pthread_join(th[0], NULL);
            _exit(5);
        }
        close(fds[1]);
        /* Once it acknowledges (10 s at most), let it run 20-220 ms more,
         * reading acks, then kill it. */
        static uint32_t acked[1 << 20];
        size_t nacked = 0;
        int64_t stop = cn_time_mono_us() + 10000000;
        bool started = false;
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        while (cn_time_mono_us() < stop) {
            ssize_t n = read(fds[0], acked + nacked, sizeof(acked) - nacked * 4);
            if (n > 0)
                nacked += (size_t)n / 4;
            else
                usleep(200);
            if (!started && nacked > 0) {
                started = true;
                stop = cn_time_mono_us() + 20000 + (cycle * 67000) % 200000;
            }
        }
        kill(pid, SIGKILL);
        int wst;
        assert_int_equal(waitpid(pid, &wst, 0), pid);
        assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
        ssize_t n;
        while ((n = read(fds[0], acked + nacked, sizeof(acked) - nacked * 4)) > 0)
            nacked += (size_t)n / 4;
        close(fds[0]);
        assert_true(nacked > 0);

        /* Recover, then read every record: ids are unique within a cycle. */
        cn_hitlog_recovery_t rec;
        cn_hitlog_opts_t opts;
        cn_hitlog_opts_init(&opts);
        opts.segment_bytes = 256 << 10;
        cn_hitlog_t *log = open_log(fx, &opts, &rec);
        cn_hitlog_close(log);
        memset(seen, 0, sizeof(seen));
        cn_hitlog_reader_t *r;
        assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
        const void *p;
        size_t len;
        uint64_t records = 0;
        int rc;
        while ((rc = cn_hitlog_reader_next(r, &p, &len, NULL, NULL)) == 1) {
            records++;
            if (records <= prev_records)
                continue; /* earlier cycles */
            unsigned id;
            assert_int_equal(sscanf(p, "id %u ", &id), 1);
            assert_true(id < sizeof(seen));
            assert_int_equal(seen[id], 0);
            seen[id] = 1;
            assert_int_equal(len, 20 + id % 280);
        }
        assert_int_equal(rc, 0);
        cn_hitlog_reader_close(r);
        for (size_t i = 0; i < nacked; i++) {
            if (!seen[acked[i]])
                fail_msg("cycle %d: acknowledged id %u is not in the log", cycle, acked[i]);
        }
        prev_records = records;
    }
}

static void stats_count_records_and_disk(void **state)
{
    fixture_dir_t *fx = *state;
    cn_hitlog_t *log = open_log(fx, NULL, NULL);
    append_n(log, 0, 7, 93, NULL);
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    assert_int_equal(st.records, 7);
    assert_int_equal(st.bytes, 7 * (FRAME + 93));
    assert_int_equal(st.disk_bytes, HDR + 7 * (FRAME + 93));
    assert_true(st.fsyncs >= 7); /* fsync mode: each synchronous append is synced */
    assert_int_equal(st.write_errors, 0);
    assert_int_equal(cn_hitlog_fsync_buckets_us[11], UINT64_MAX);
    for (int i = 1; i < 12; i++)
        assert_true(cn_hitlog_fsync_buckets_us[i] > cn_hitlog_fsync_buckets_us[i - 1]);
    cn_hitlog_close(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(append_and_read_back, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_returns_positions_and_tell, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(append_rejects_empty_and_oversized, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(full_queue_refuses_appends, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(crc_mismatch_in_middle_is_corruption, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(bad_length_in_middle_is_corruption, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(torn_tail_partial_frame_is_cut, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(torn_tail_partial_payload_is_cut, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(torn_tail_crc_mismatch_at_end_is_cut, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(torn_tail_zeros_are_cut, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(torn_segment_header_is_rewritten, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(bad_magic_is_corruption, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(segments_roll_over, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(segments_are_renamed_into_place, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(record_larger_than_segment_gets_its_own, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(records_across_read_windows_read_back, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_follows_growing_log, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_waits_on_partial_record, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_on_empty_and_missing_logs, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(buffered_mode_acknowledges_before_fsync, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(fsync_mode_groups_commits, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(callbacks_carry_positions_in_order, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(lock_keeps_out_a_second_writer, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(concurrent_appends_land_exactly_once, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_follows_concurrent_appends, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(write_error_fails_callbacks_and_health, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(kill_9_loses_no_acknowledged_record, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(stats_count_records_and_disk, fixture_dir_setup,
                                        fixture_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
