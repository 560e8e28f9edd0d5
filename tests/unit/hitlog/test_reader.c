/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the hitlog reader across segments (src/hitlog/reader.c,
 * docs/hitlog.md "Reading"). Each test writes a log of several segments
 * with the writer and checks that the reader gives exactly the records
 * that a walk of each segment's window gives, which are the ones written,
 * also when a sealed segment grows under it or is damaged.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "hitlog/hitlog.h"
#include "hitlog/internal.h"
#include "lib/buf.h"
#include "lib/crc32c.h"
#include "lib/err.h"

#include <cmocka.h>

#define HDR       16u
#define FRAME     8u
#define SEG_BYTES (1u << 20)
#define BIG_LEN   (260u << 10) /* larger than the pread window's 256 KiB chunk */

/* Record i's length: mostly 1..3000 bytes, every 23rd one over 256 KiB. */
static size_t rec_len(unsigned i)
{
    return i % 23 == 5 ? BIG_LEN + i : 1 + (i * 7919u) % 3000;
}

/* Record i's payload, len bytes (rec_len(i)) into out. */
static void make_payload(unsigned i, size_t len, uint8_t *out)
{
    uint32_t x = 2166136261u ^ i;
    for (size_t k = 0; k < len; k++) {
        x = x * 16777619u + (uint32_t)k;
        out[k] = (uint8_t)(x >> 24);
    }
}

/* Appends records [first, first + count) with the writer, in segments of SEG_BYTES. */
static void write_log(const fixture_dir_t *fx, unsigned first, unsigned count)
{
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = SEG_BYTES;
    opts.group_commit_us = 0;
    cn_hitlog_t *log = fixture_open_log(fx->dir, &opts, NULL);
    uint8_t *buf = malloc(BIG_LEN + first + count); /* rec_len(i) <= BIG_LEN + i */
    for (unsigned i = first; i < first + count; i++) {
        size_t len = rec_len(i);
        make_payload(i, len, buf);
        assert_int_equal(cn_hitlog_append(log, buf, len, NULL, NULL), 0);
    }
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_close(log);
    free(buf);
}

/* Appends one framed record (payload i) to segment segno by hand; returns its offset. */
static uint64_t append_framed(const fixture_dir_t *fx, uint32_t segno, unsigned i)
{
    char path[128];
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    size_t len = rec_len(i);
    uint8_t *buf = malloc(FRAME + len);
    make_payload(i, len, buf + FRAME);
    uint32_t crc = cn_crc32c(0, buf + FRAME, len);
    for (int k = 0; k < 4; k++) {
        buf[k] = (uint8_t)(len >> (8 * k));
        buf[4 + k] = (uint8_t)(crc >> (8 * k));
    }
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    off_t at = lseek(fd, 0, SEEK_END);
    assert_int_equal(write(fd, buf, FRAME + len), (ssize_t)(FRAME + len));
    close(fd);
    free(buf);
    return (uint64_t)at;
}

/* One record as a walk of a segment file found it. */
typedef struct walked {
    uint64_t off;
    uint32_t len;
    uint8_t *payload; /* a copy */
} walked_t;

/*
 * Walks segment segno with the segment code alone into *out (count records,
 * freed by free_walk); returns how it ended.
 */
static cn_hitlog__rec_kind_t walk(const fixture_dir_t *fx, uint32_t segno, walked_t **out,
                                  size_t *count)
{
    char path[128];
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint64_t size = (uint64_t)lseek(fd, 0, SEEK_END);
    cn_hitlog__file_t f;
    cn_hitlog__file_init(&f, fd, size);
    size_t n = 0, cap = 16;
    walked_t *v = malloc(cap * sizeof(*v));
    uint64_t off = HDR;
    cn_hitlog__rec_t rec;
    for (;;) {
        assert_int_equal(cn_hitlog__file_record(&f, off, &rec), 0);
        if (rec.kind != CN_HITLOG__REC_OK)
            break;
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof(*v));
        v[n].off = off;
        v[n].len = rec.len;
        v[n].payload = malloc(rec.len);
        memcpy(v[n].payload, rec.payload, rec.len);
        n++;
        off = rec.next;
    }
    cn_hitlog__file_dispose(&f);
    close(fd);
    *out = v;
    *count = n;
    return rec.kind;
}

static void free_walk(walked_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].payload);
    free(v);
}

/* Walks segments 1..last (< 16), each whole, into segs[s] and counts[s]. */
static void walk_all(const fixture_dir_t *fx, uint32_t last, walked_t *segs[16], size_t counts[16])
{
    assert_true(last < 16);
    for (uint32_t s = 1; s <= last; s++)
        assert_int_equal(walk(fx, s, &segs[s], &counts[s]), CN_HITLOG__REC_END);
}

/* The number of the newest segment. */
static uint32_t last_segment(const fixture_dir_t *fx)
{
    uint32_t *segs;
    size_t n;
    assert_int_equal(cn_hitlog__list(fx->dir, &segs, &n), 0);
    assert_true(n > 0);
    uint32_t last = segs[n - 1];
    free(segs);
    return last;
}

/* --- Tests --- */

/*
 * A log of several segments read through the reader: every record
 * (position, length, bytes) is the one that a walk of its segment finds,
 * which is the one written, records larger than the window's chunk among
 * them; and so from a position in the middle of a sealed segment.
 */
static void reader_gives_every_record_across_segments(void **state)
{
    fixture_dir_t *fx = *state;
    const unsigned total = 400;
    write_log(fx, 0, total);
    uint32_t last = last_segment(fx);
    assert_true(last >= 4);

    walked_t *pread_recs[16] = {0};
    size_t pread_count[16] = {0};
    walk_all(fx, last, pread_recs, pread_count);

    /* The reader, from the start, against the walks and the records written. */
    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    uint8_t *want = malloc(BIG_LEN + 1000);
    unsigned i = 0;
    size_t k = 0;
    uint32_t seg = 1;
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    int rc;
    while ((rc = cn_hitlog_reader_next(r, &p, &len, &pos, &err)) == 1) {
        if (pos.segment != seg) {
            assert_int_equal(k, pread_count[seg]); /* all of the last one */
            assert_int_equal(pos.segment, seg + 1);
            seg = pos.segment;
            k = 0;
        }
        assert_true(k < pread_count[seg]);
        assert_int_equal(pos.offset, pread_recs[seg][k].off);
        assert_int_equal(len, pread_recs[seg][k].len);
        assert_memory_equal(p, pread_recs[seg][k].payload, len);
        assert_int_equal(len, rec_len(i));
        make_payload(i, len, want);
        assert_memory_equal(p, want, len);
        i++;
        k++;
    }
    if (rc != 0)
        fail_msg("reader: %s", cn_err_msg(&err, rc));
    assert_int_equal(i, total);
    assert_int_equal(seg, last);
    cn_hitlog_reader_close(r);

    /* From a position in the middle of a sealed segment: the same records. */
    size_t mid = pread_count[2] / 2;
    assert_int_equal(
        cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){2, pread_recs[2][mid].off}, &r, &err), 0);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_int_equal(pos.segment, 2);
    assert_int_equal(pos.offset, pread_recs[2][mid].off);
    assert_int_equal(len, pread_recs[2][mid].len);
    assert_memory_equal(p, pread_recs[2][mid].payload, len);
    cn_hitlog_reader_close(r);

    free(want);
    for (uint32_t s = 1; s <= last; s++)
        free_walk(pread_recs[s], pread_count[s]);
}

/*
 * Records taken by groups (cn_hitlog_reader_next_n), some calls of one
 * record between them: every record once, in order, at the positions a walk
 * of its segment finds; all of a group's records valid together, their
 * bytes the ones written when the call returns; a group never more than
 * asked for, and more than one record where the window holds them.
 */
static void reader_gives_records_by_groups(void **state)
{
    fixture_dir_t *fx = *state;
    const unsigned total = 400;
    write_log(fx, 0, total);
    uint32_t last = last_segment(fx);
    walked_t *segs[16] = {0};
    size_t counts[16] = {0};
    walk_all(fx, last, segs, counts);

    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    uint8_t *want = malloc(BIG_LEN + 1000);
    unsigned i = 0, calls = 0, most = 0;
    uint32_t seg = 1;
    size_t k = 0;
    int rc;
    for (;;) {
        cn_hitlog_ref_t refs[8];
        size_t max = calls % 5 == 4 ? 1 : 8;
        if (max == 1)
            rc = cn_hitlog_reader_next(r, &refs[0].p, &refs[0].len, &refs[0].pos, &err);
        else
            rc = cn_hitlog_reader_next_n(r, refs, max, &err);
        calls++;
        if (rc <= 0)
            break;
        assert_true((size_t)rc <= max);
        most = (unsigned)rc > most ? (unsigned)rc : most;
        for (int j = 0; j < rc; j++, i++, k++) {
            if (refs[j].pos.segment != seg) {
                assert_int_equal(k, counts[seg]);
                assert_int_equal(refs[j].pos.segment, seg + 1);
                seg = refs[j].pos.segment;
                k = 0;
            }
            assert_true(k < counts[seg]);
            assert_int_equal(refs[j].pos.offset, segs[seg][k].off);
            assert_int_equal(refs[j].len, rec_len(i));
            make_payload(i, refs[j].len, want);
            assert_memory_equal(refs[j].p, want, refs[j].len);
        }
    }
    if (rc != 0)
        fail_msg("reader: %s", cn_err_msg(&err, rc));
    assert_int_equal(i, total);
    assert_int_equal(seg, last);
    assert_int_equal(most, 8);
    cn_hitlog_pos_t end = cn_hitlog_reader_tell(r);
    assert_int_equal(end.segment, last);
    cn_hitlog_reader_close(r);
    free(want);
    for (uint32_t s = 1; s <= last; s++)
        free_walk(segs[s], counts[s]);
}

/*
 * A sealed segment that grows after the reader opened it (a sealed segment
 * does not, but the reader must not miss what was added): the reader gives
 * the added records too, then moves on to the next segment.
 */
static void sealed_segment_that_grows_is_read_on(void **state)
{
    fixture_dir_t *fx = *state;
    write_log(fx, 0, 150);
    uint32_t last = last_segment(fx);
    assert_true(last >= 2);
    walked_t *seg1, *seg2;
    size_t n1, n2;
    assert_int_equal(walk(fx, 1, &seg1, &n1), CN_HITLOG__REC_END);
    assert_int_equal(walk(fx, 2, &seg2, &n2), CN_HITLOG__REC_END);

    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);

    /* Three records added to segment 1 under the reader, one of them over 256 KiB. */
    uint64_t added[3];
    unsigned added_ids[3] = {1000, 1017, 1002};
    assert_true(rec_len(1017) > BIG_LEN);
    for (int a = 0; a < 3; a++)
        added[a] = append_framed(fx, 1, added_ids[a]);

    for (size_t k = 1; k < n1; k++) {
        assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
        assert_int_equal(pos.segment, 1);
        assert_int_equal(pos.offset, seg1[k].off);
        assert_memory_equal(p, seg1[k].payload, len);
    }
    uint8_t *want = malloc(BIG_LEN + 2000);
    for (int a = 0; a < 3; a++) {
        int rc = cn_hitlog_reader_next(r, &p, &len, &pos, &err);
        if (rc != 1)
            fail_msg("added record %d: rc %d %s", a, rc, cn_err_msg(&err, rc));
        assert_int_equal(pos.segment, 1);
        assert_int_equal(pos.offset, added[a]);
        assert_int_equal(len, rec_len(added_ids[a]));
        make_payload(added_ids[a], len, want);
        assert_memory_equal(p, want, len);
    }
    free(want);
    /* then segment 2, from its start */
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_int_equal(pos.segment, 2);
    assert_int_equal(pos.offset, seg2[0].off);
    assert_memory_equal(p, seg2[0].payload, len);
    cn_hitlog_reader_close(r);
    free_walk(seg1, n1);
    free_walk(seg2, n2);
}

/*
 * Damage in a sealed segment: a CRC mismatch with valid records after it is
 * corruption at its offset, and so is a record cut by the end of a sealed
 * segment.
 */
static void damage_in_a_sealed_segment_is_corruption(void **state)
{
    fixture_dir_t *fx = *state;
    write_log(fx, 0, 200);
    assert_true(last_segment(fx) >= 3);
    walked_t *seg1, *seg2;
    size_t n1, n2;
    assert_int_equal(walk(fx, 1, &seg1, &n1), CN_HITLOG__REC_END);
    assert_int_equal(walk(fx, 2, &seg2, &n2), CN_HITLOG__REC_END);
    assert_true(n1 > 10 && n2 > 2);

    /* A payload byte of record 5 of segment 1. */
    char path[128];
    fixture_seg_path(fx->dir, 1, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    off_t at = (off_t)(seg1[5].off + FRAME + seg1[5].len / 2);
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b = (uint8_t)~b;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    /* And segment 2 loses the last 3 bytes of its last record. */
    fixture_seg_path(fx->dir, 2, path, sizeof(path));
    assert_int_equal(truncate(path, (off_t)(seg2[n2 - 1].off + FRAME + seg2[n2 - 1].len - 3)), 0);

    cn_hitlog_reader_t *r;
    cn_err_t err;
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    char want[160];
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    for (int k = 0; k < 5; k++)
        assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), CN_ECORRUPT);
    snprintf(want, sizeof(want), "hitlog segment 1 is corrupt at offset %llu: CRC mismatch",
             (unsigned long long)seg1[5].off);
    assert_string_equal(err.msg, want);
    cn_hitlog_reader_close(r);

    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){2, 0}, &r, &err), 0);
    for (size_t k = 0; k + 1 < n2; k++)
        assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), CN_ECORRUPT);
    snprintf(want, sizeof(want),
             "hitlog segment 2 is corrupt at offset %llu: record cut by the end of the segment",
             (unsigned long long)seg2[n2 - 1].off);
    assert_string_equal(err.msg, want);
    cn_hitlog_reader_close(r);
    free_walk(seg1, n1);
    free_walk(seg2, n2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reader_gives_every_record_across_segments,
                                        fixture_dir_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_gives_records_by_groups, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(sealed_segment_that_grows_is_read_on, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(damage_in_a_sealed_segment_is_corruption, fixture_dir_setup,
                                        fixture_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
