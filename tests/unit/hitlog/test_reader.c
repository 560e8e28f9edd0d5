/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the hitlog reader's two ways of reading a segment
 * (src/hitlog/reader.c, docs/hitlog.md "Reading"): a sealed segment mapped
 * whole, the newest one with pread. Each test writes a log of several
 * segments with the writer and checks that the reader gives exactly the
 * records that the pread window gives, whether or not a segment is mapped
 * (/proc/self/maps tells), also when a mapped segment grows or is damaged,
 * and that the pages behind the reader are given back (/proc/self/smaps).
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
#define SEG_BYTES (256u << 10)
#define BIG_LEN   (70u << 10) /* larger than the pread window's 64 KiB chunk */

/* True when segment segno of the log is mapped in this process (/proc/self/maps). */
static bool is_mapped(const fixture_dir_t *fx, uint32_t segno)
{
    char path[128], line[512];
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, path) != NULL;
    fclose(f);
    return found;
}

/*
 * The bytes of the mapping that holds address p that are mapped in this
 * process now (Rss in /proc/self/smaps), or -1 when no mapping holds p.
 */
static long long mapped_rss(const void *p)
{
    char line[512];
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    bool in = false;
    long long rss = -1;
    uintptr_t a = (uintptr_t)p;
    while (rss < 0 && fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi, kb;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ':') != NULL &&
            strchr(line, '-') < strchr(line, ' '))
            in = a >= lo && a < hi;
        else if (in && sscanf(line, "Rss: %lu kB", &kb) == 1)
            rss = (long long)kb << 10;
    }
    fclose(f);
    return rss;
}

/* Record i's length: mostly 1..3000 bytes, every 23rd one over 64 KiB. */
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

/* Appends records [first, first + count) with the writer, in segments of seg_bytes. */
static void write_log_in(const fixture_dir_t *fx, unsigned first, unsigned count,
                         uint64_t seg_bytes)
{
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = seg_bytes;
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

/* Appends records [first, first + count) with the writer, in segments of SEG_BYTES. */
static void write_log(const fixture_dir_t *fx, unsigned first, unsigned count)
{
    write_log_in(fx, first, count, SEG_BYTES);
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
 * Walks segment segno with the segment code alone, mapped or with pread,
 * into *out (count records, freed by free_walk); returns how it ended.
 */
static cn_hitlog__rec_kind_t walk(const fixture_dir_t *fx, uint32_t segno, bool mapped,
                                  walked_t **out, size_t *count)
{
    char path[128];
    fixture_seg_path(fx->dir, segno, path, sizeof(path));
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint64_t size = (uint64_t)lseek(fd, 0, SEEK_END);
    cn_hitlog__file_t f;
    cn_hitlog__file_init(&f, fd, size);
    if (mapped) {
        assert_int_equal(cn_hitlog__file_map(&f), 0);
        assert_int_equal(f.map_len, size);
    }
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
    assert_int_equal(f.map_len, mapped ? size : 0); /* still mapped to the end */
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
 * A log of several segments read through the reader: sealed segments are
 * mapped while read, the newest is not, and every record (position, length,
 * bytes) is the one that a pread walk of the segment finds, which is the one
 * written. Segment by segment, a mapped walk and a pread walk agree too.
 */
static void mapped_and_pread_reads_agree(void **state)
{
    fixture_dir_t *fx = *state;
    const unsigned total = 400;
    write_log(fx, 0, total);
    uint32_t last = last_segment(fx);
    assert_true(last >= 4);

    /* Each segment walked both ways. */
    walked_t *pread_recs[16] = {0};
    size_t pread_count[16] = {0};
    assert_true(last < 16);
    for (uint32_t s = 1; s <= last; s++) {
        walked_t *m;
        size_t mn;
        assert_int_equal(walk(fx, s, false, &pread_recs[s], &pread_count[s]), CN_HITLOG__REC_END);
        assert_int_equal(walk(fx, s, true, &m, &mn), CN_HITLOG__REC_END);
        assert_int_equal(mn, pread_count[s]);
        for (size_t i = 0; i < mn; i++) {
            assert_int_equal(m[i].off, pread_recs[s][i].off);
            assert_int_equal(m[i].len, pread_recs[s][i].len);
            assert_memory_equal(m[i].payload, pread_recs[s][i].payload, m[i].len);
        }
        free_walk(m, mn);
    }

    /* The reader, from the start, against the pread walks and the records written. */
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
    bool saw_mapped = false;
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
        /* sealed segments mapped, the newest not (a writer may cut it) */
        bool mapped = is_mapped(fx, seg);
        assert_int_equal(mapped, seg < last);
        saw_mapped = saw_mapped || mapped;
        i++;
        k++;
    }
    if (rc != 0)
        fail_msg("reader: %s", cn_err_msg(&err, rc));
    assert_int_equal(i, total);
    assert_int_equal(seg, last);
    assert_true(saw_mapped);
    cn_hitlog_reader_close(r);
    for (uint32_t s = 1; s <= last; s++)
        assert_false(is_mapped(fx, s)); /* nothing left mapped after close */

    /* From a position in the middle of a sealed segment: the same records. */
    size_t mid = pread_count[2] / 2;
    assert_int_equal(
        cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){2, pread_recs[2][mid].off}, &r, &err), 0);
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_int_equal(pos.segment, 2);
    assert_int_equal(pos.offset, pread_recs[2][mid].off);
    assert_int_equal(len, pread_recs[2][mid].len);
    assert_memory_equal(p, pread_recs[2][mid].payload, len);
    assert_true(is_mapped(fx, 2));
    cn_hitlog_reader_close(r);

    free(want);
    for (uint32_t s = 1; s <= last; s++)
        free_walk(pread_recs[s], pread_count[s]);
}

/*
 * A mapped segment that grows after the reader mapped it (a sealed segment
 * does not, but the reader must not miss what was added nor read past its
 * mapping): the reader gives the added records too, read with pread, then
 * moves on to the next segment.
 */
static void mapped_segment_that_grows_is_read_on_with_pread(void **state)
{
    fixture_dir_t *fx = *state;
    write_log(fx, 0, 150);
    uint32_t last = last_segment(fx);
    assert_true(last >= 2);
    walked_t *seg1, *seg2;
    size_t n1, n2;
    assert_int_equal(walk(fx, 1, false, &seg1, &n1), CN_HITLOG__REC_END);
    assert_int_equal(walk(fx, 2, false, &seg2, &n2), CN_HITLOG__REC_END);

    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_true(is_mapped(fx, 1));

    /* Three records added to segment 1 under the reader, one of them over 64 KiB. */
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
        assert_false(is_mapped(fx, 1)); /* unmapped once its size changed */
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
 * Damage in a sealed (mapped) segment is reported as in a segment read with
 * pread: a CRC mismatch with valid records after it is corruption at its
 * offset, and so is a record cut by the end of a sealed segment.
 */
static void damage_in_a_mapped_segment_is_corruption(void **state)
{
    fixture_dir_t *fx = *state;
    write_log(fx, 0, 200);
    assert_true(last_segment(fx) >= 3);
    walked_t *seg1, *seg2;
    size_t n1, n2;
    assert_int_equal(walk(fx, 1, false, &seg1, &n1), CN_HITLOG__REC_END);
    assert_int_equal(walk(fx, 2, false, &seg2, &n2), CN_HITLOG__REC_END);
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
    assert_true(is_mapped(fx, 1));
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), CN_ECORRUPT);
    snprintf(want, sizeof(want), "hitlog segment 1 is corrupt at offset %llu: CRC mismatch",
             (unsigned long long)seg1[5].off);
    assert_string_equal(err.msg, want);
    cn_hitlog_reader_close(r);

    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){2, 0}, &r, &err), 0);
    for (size_t k = 0; k + 1 < n2; k++)
        assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
    assert_true(is_mapped(fx, 2));
    assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), CN_ECORRUPT);
    snprintf(want, sizeof(want),
             "hitlog segment 2 is corrupt at offset %llu: record cut by the end of the segment",
             (unsigned long long)seg2[n2 - 1].off);
    assert_string_equal(err.msg, want);
    cn_hitlog_reader_close(r);
    free_walk(seg1, n1);
    free_walk(seg2, n2);
}

/*
 * A reader gives back the pages of a mapped segment behind it: after
 * reading more than three release steps of a sealed segment, the mapping
 * holds at most two steps' worth of pages, where it would hold all it has
 * read; every record is still the one written, also a record read again
 * from pages given back (mapped anew from the file).
 */
static void mapped_pages_behind_the_reader_are_given_back(void **state)
{
    fixture_dir_t *fx = *state;
    const uint64_t step = CN_HITLOG__RELEASE_STEP;
    write_log_in(fx, 0, 6000, 4 * step + step / 2); /* ~27 MB: segment 1 sealed, ~18 MiB */
    assert_true(last_segment(fx) >= 2);
    walked_t *seg1;
    size_t n1;
    assert_int_equal(walk(fx, 1, false, &seg1, &n1), CN_HITLOG__REC_END);
    assert_true(seg1[n1 - 1].off > 4 * step);

    cn_hitlog_reader_t *r;
    cn_err_t err;
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    long long most = 0, read = 0;
    for (size_t k = 0; k < n1; k++) {
        assert_int_equal(cn_hitlog_reader_next(r, &p, &len, &pos, &err), 1);
        assert_int_equal(pos.segment, 1);
        assert_int_equal(pos.offset, seg1[k].off);
        assert_int_equal(len, seg1[k].len);
        assert_memory_equal(p, seg1[k].payload, len);
        if (pos.offset > 3 * step && read == 0) {
            read = (long long)pos.offset;
            most = mapped_rss(p);
        }
    }
    assert_true(read > 0);
    /* mapped: more than 3 steps read, at most 2 (the step read in, and the kernel's fault-around
     * ahead of it) still mapped */
    assert_true(most > 0);
    if (most > (long long)(2 * step))
        fail_msg("%lld bytes of segment 1 mapped after reading %lld", most, read);
    cn_hitlog_reader_close(r);

    /* A mapped walk with the first steps given back reads them again from the file. */
    char path[128];
    fixture_seg_path(fx->dir, 1, path, sizeof(path));
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    cn_hitlog__file_t f;
    cn_hitlog__file_init(&f, fd, (uint64_t)lseek(fd, 0, SEEK_END));
    assert_int_equal(cn_hitlog__file_map(&f), 0);
    cn_hitlog__rec_t rec;
    for (size_t k = 0; k < n1; k++) { /* maps every page */
        assert_int_equal(cn_hitlog__file_record(&f, seg1[k].off, &rec), 0);
        assert_int_equal(rec.kind, CN_HITLOG__REC_OK);
    }
    cn_hitlog__file_release(&f, 3 * step + 1);
    assert_int_equal(f.released, 3 * step);
    /* what stays mapped: the pages from 3 steps to the end of the file (a last page in part) */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    long long rest = (long long)((f.map_len - 3 * step + page - 1) / page * page);
    if (mapped_rss(f.buf) > rest)
        fail_msg("%lld bytes mapped after giving back 3 steps of %zu", mapped_rss(f.buf),
                 f.map_len);
    for (size_t k = 0; k < n1; k++) {
        assert_int_equal(cn_hitlog__file_record(&f, seg1[k].off, &rec), 0);
        assert_int_equal(rec.kind, CN_HITLOG__REC_OK);
        assert_int_equal(rec.len, seg1[k].len);
        assert_memory_equal(rec.payload, seg1[k].payload, rec.len);
    }
    cn_hitlog__file_release(&f, step); /* behind what was given back: nothing to do */
    assert_int_equal(f.released, 3 * step);
    cn_hitlog__file_dispose(&f);
    close(fd);
    free_walk(seg1, n1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mapped_and_pread_reads_agree, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(mapped_segment_that_grows_is_read_on_with_pread,
                                        fixture_dir_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(damage_in_a_mapped_segment_is_corruption, fixture_dir_setup,
                                        fixture_dir_teardown),
        cmocka_unit_test_setup_teardown(mapped_pages_behind_the_reader_are_given_back,
                                        fixture_dir_setup, fixture_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
