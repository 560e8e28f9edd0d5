/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threaded runner: blocks at line boundaries, hits in file order with
 * any number of threads, bad lines with their line numbers, .gz input,
 * resuming at an offset and at every offset reported after a block, a last
 * line without '\n', over-long lines, a UTF-8 byte order mark, a truncated .gz, and
 * block batches appended to a hitlog.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "import/import.h"

#include <cmocka.h>

typedef struct collected {
    uint64_t hits, next_seq, bad;
    uint64_t bad_lines[16];
    int bad_reasons[16];
    bool out_of_order;
    int fail_after; /* sink error after this many hits (0: never) */
} collected_t;

static int on_hit(void *ud, const void *rec, size_t len)
{
    collected_t *c = ud;
    cn_rawhit_t h;
    assert_int_equal(cn_rawhit_decode(rec, len, &h), 0);
    /* paths are /n<seq>: check file order */
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "/n%llu", (unsigned long long)c->next_seq);
    if (!cn_str_eq_c(h.path, tmp))
        c->out_of_order = true;
    c->next_seq++;
    c->hits++;
    if (c->fail_after > 0 && c->hits >= (uint64_t)c->fail_after)
        return CN_EFULL;
    return 0;
}

static void on_bad(void *ud, uint64_t line_no, cn_import_bad_t reason, size_t column,
                   uint32_t cells, uint32_t want, cn_str_t line)
{
    collected_t *c = ud;
    (void)column;
    (void)cells;
    (void)want;
    (void)line;
    if (c->bad < 16) {
        c->bad_lines[c->bad] = line_no;
        c->bad_reasons[c->bad] = (int)reason;
    }
    c->bad++;
}

/* Writes lines lines; every 100000th (1-based line 100000k + 7) is bad. Returns bytes. */
static size_t write_log(const char *path, size_t lines, bool gz, bool final_newline)
{
    FILE *f = gz ? NULL : fopen(path, "w");
    gzFile g = gz ? gzopen(path, "wb1") : NULL;
    size_t bytes = 0, seq = 0;
    for (size_t i = 1; i <= lines; i++) {
        char line[512];
        int n;
        if (i % 100000 == 7)
            n = snprintf(line, sizeof(line), "garbage line %zu has no fields\n", i);
        else
            n = snprintf(line, sizeof(line),
                         "10.0.%zu.%zu - - [10/Oct/2000:13:55:%02zu -0700] \"GET /n%zu HTTP/1.1\" "
                         "200 %zu \"-\" \"Mozilla/5.0 (test)\"\n",
                         (i / 250) % 250, i % 250 + 1, i % 60, seq++, i);
        if (i == lines && !final_newline)
            n--;
        if (gz)
            gzwrite(g, line, (unsigned)n);
        else
            fwrite(line, 1, (size_t)n, f);
        bytes += (size_t)n;
    }
    if (gz)
        gzclose(g);
    else
        fclose(f);
    return bytes;
}

static cn_import_parser_t *combined_opts(bool final)
{
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "combined", .suite = "s", .final = final};
    assert_int_equal(cn_import_parser_new(&o, &p, NULL), 0);
    return p;
}

static cn_import_parser_t *combined(void)
{
    return combined_opts(false);
}

static void run_file_opts(const char *path, bool final, unsigned threads, uint64_t start,
                          collected_t *c, cn_import_stats_t *st, int want_rc)
{
    cn_import_parser_t *p = combined_opts(final);
    cn_import_sink_t sink = {.hit = on_hit, .bad = on_bad, .ud = c};
    cn_err_t err = {0};
    int rc = cn_import_run(p, path, start, threads, &sink, st, &err);
    if (rc != want_rc)
        fail_msg("rc %d: %s", rc, err.msg);
    cn_import_parser_free(p);
}

static void run_file(const char *path, unsigned threads, uint64_t start, collected_t *c,
                     cn_import_stats_t *st, int want_rc)
{
    cn_import_parser_t *p = combined();
    cn_import_sink_t sink = {.hit = on_hit, .bad = on_bad, .ud = c};
    cn_err_t err = {0};
    int rc = cn_import_run(p, path, start, threads, &sink, st, &err);
    if (rc != want_rc)
        fail_msg("rc %d: %s", rc, err.msg);
    cn_import_parser_free(p);
}

static void hits_arrive_in_file_order_with_many_threads(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t lines = 250000; /* ~30 MB: several blocks */
    size_t bytes = write_log(path, lines, false, true);
    unsigned threads[] = {1, 2, 5};
    for (size_t t = 0; t < 3; t++) {
        collected_t c = {0};
        cn_import_stats_t st = {0};
        run_file(path, threads[t], 0, &c, &st, 0);
        assert_false(c.out_of_order);
        assert_int_equal(st.lines, lines);
        assert_int_equal(st.bad, 3);
        assert_int_equal(st.hits, lines - 3);
        assert_int_equal(c.hits, lines - 3);
        assert_int_equal(st.bad_by_reason[CN_IMPORT_BAD_NO_MATCH], 3);
        assert_int_equal(c.bad_lines[0], 7);
        assert_int_equal(c.bad_lines[1], 100007);
        assert_int_equal(c.bad_lines[2], 200007);
        assert_int_equal(st.end_offset, bytes);
        assert_int_equal(st.bytes_total, bytes);
        assert_int_equal(st.bytes_read, bytes);
    }
    unlink(path);
}

static void gzip_input_gives_the_same_hits(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX.gz";
    int fd = mkstemps(path, 3);
    close(fd);
    size_t lines = 120000;
    size_t bytes = write_log(path, lines, true, true);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    run_file(path, 2, 0, &c, &st, 0);
    assert_false(c.out_of_order);
    assert_int_equal(st.lines, lines);
    assert_int_equal(st.hits, lines - 2);
    assert_int_equal(c.bad_lines[1], 100007);
    assert_int_equal(st.end_offset, bytes);
    unlink(path);
}

/* A .gz cut short is an error, not a complete import of its first part. */
static void truncated_gzip_is_an_error(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX.gz";
    int fd = mkstemps(path, 3);
    close(fd);
    write_log(path, 20000, true, true);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    run_file(path, 2, 0, &c, &st, CN_ECORRUPT);
    assert_true(c.hits < 20000);
    unlink(path);
}

static void f_one_line(const char *path)
{
    FILE *f = fopen(path, "w");
    fputs("10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /n0 HTTP/1.1\" 200 1 \"-\" \"u\"", f);
    fclose(f);
}

/*
 * A regular file's last line without '\n' may be half written: it is left for a later run
 * (held), which imports it whole once the writer ends it; final takes it as it is.
 */
static void last_line_without_newline_waits(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t bytes = write_log(path, 5, false, false);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    run_file(path, 2, 0, &c, &st, 0);
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.hits, 4);
    assert_int_equal(st.bad, 0);
    uint64_t last = st.held;
    assert_true(last > 50 && last < 200);
    assert_int_equal(st.end_offset, bytes - last);

    /* the writer ends the line and goes on: the next run starts at the held line */
    FILE *f = fopen(path, "a");
    fputs("\n", f);
    fclose(f);
    collected_t c2 = {.next_seq = 4};
    cn_import_stats_t st2 = {0};
    run_file(path, 2, st.end_offset, &c2, &st2, 0);
    assert_int_equal(st2.lines, 1);
    assert_int_equal(st2.hits, 1);
    assert_int_equal(st2.bad, 0);
    assert_false(c2.out_of_order);
    assert_int_equal(st2.held, 0);
    assert_int_equal(st2.end_offset, bytes + 1);
    unlink(path);
}

static void last_line_without_newline_final(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t bytes = write_log(path, 5, false, false);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    run_file_opts(path, true, 2, 0, &c, &st, 0);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.hits, 5);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.end_offset, bytes);
    /* one line, no '\n' at all: nothing yet, or that line */
    f_one_line(path);
    collected_t c2 = {0};
    cn_import_stats_t st2 = {0};
    run_file(path, 1, 0, &c2, &st2, 0);
    assert_int_equal(st2.lines, 0);
    assert_int_equal(st2.end_offset, 0);
    assert_true(st2.held > 0);
    collected_t c3 = {0};
    cn_import_stats_t st3 = {0};
    run_file_opts(path, true, 1, 0, &c3, &st3, 0);
    assert_int_equal(st3.hits, 1);
    /* a .gz is complete once read: its last line counts */
    char gzp[64];
    snprintf(gzp, sizeof(gzp), "%s.gz", path);
    bytes = write_log(gzp, 5, true, false);
    collected_t c4 = {0};
    cn_import_stats_t st4 = {0};
    run_file(gzp, 2, 0, &c4, &st4, 0);
    assert_int_equal(st4.hits, 5);
    assert_int_equal(st4.held, 0);
    assert_int_equal(st4.end_offset, bytes);
    unlink(gzp);
    unlink(path);
}

static void resumes_at_an_offset(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_log(path, 10, false, true);
    /* the offset after the 4th line */
    FILE *f = fopen(path, "r");
    char line[512];
    long off = 0;
    for (int i = 0; i < 4; i++) {
        assert_non_null(fgets(line, sizeof(line), f));
        off += (long)strlen(line);
    }
    fclose(f);
    collected_t c = {.next_seq = 4};
    cn_import_stats_t st = {0};
    run_file(path, 1, (uint64_t)off, &c, &st, 0);
    assert_false(c.out_of_order);
    assert_int_equal(st.lines, 6);
    assert_int_equal(c.hits, 5);         /* line 7 is bad */
    assert_int_equal(c.bad_lines[0], 3); /* counted from where the import started */
    unlink(path);
}

/* What an importer records after each delivered block (docs/import.md, "Resuming"). */
typedef struct marks {
    collected_t c;
    uint64_t offsets[64], hits[64], lines[64];
    size_t n;
    bool not_increasing;
} marks_t;

static int on_mark_hit(void *ud, const void *rec, size_t len)
{
    return on_hit(&((marks_t *)ud)->c, rec, len);
}

static int on_delivered(void *ud, const cn_import_stats_t *st)
{
    marks_t *m = ud;
    if (m->n > 0 && st->end_offset <= m->offsets[m->n - 1])
        m->not_increasing = true;
    if (m->n < 64) {
        m->offsets[m->n] = st->end_offset;
        m->hits[m->n] = m->c.hits;
        m->lines[m->n] = st->lines;
        m->n++;
    }
    return 0;
}

/*
 * After each block, end_offset is a line boundary just past every line whose
 * hit was delivered: resuming there gives exactly the hits not yet delivered,
 * for plain and .gz input.
 */
static void delivered_offsets_resume_exactly(void **state)
{
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        char path[] = "/tmp/cn_run_XXXXXX.gz";
        if (!gz)
            path[strlen(path) - 3] = '\0';
        int fd = mkstemps(path, gz ? 3 : 0);
        close(fd);
        size_t bytes = write_log(path, 120000, gz, true);
        marks_t m = {0};
        cn_import_parser_t *p = combined();
        cn_import_sink_t sink = {.hit = on_mark_hit, .delivered = on_delivered, .ud = &m};
        cn_import_stats_t st = {0};
        assert_int_equal(cn_import_run(p, path, 0, 2, &sink, &st, NULL), 0);
        cn_import_parser_free(p);
        assert_false(m.c.out_of_order);
        assert_false(m.not_increasing);
        if (m.n < 3)
            fail_msg("gz %d: %zu marks for %zu bytes", gz, m.n, bytes);
        assert_int_equal(m.offsets[m.n - 1], bytes);
        assert_int_equal(st.end_offset, bytes);
        assert_int_equal(m.hits[m.n - 1], 120000 - 2);
        for (size_t i = 0; i + 1 < m.n; i++) {
            /* the rest from a mark: no hit twice, none lost, lines counted on */
            collected_t c = {.next_seq = m.hits[i]};
            cn_import_stats_t rs = {0};
            run_file(path, 2, m.offsets[i], &c, &rs, 0);
            assert_false(c.out_of_order);
            assert_int_equal(m.hits[i] + c.hits, 120000 - 2);
            assert_int_equal(m.lines[i] + rs.lines, 120000);
        }
        unlink(path);
    }
}

static void over_long_lines_in_a_stream(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX.gz";
    int fd = mkstemps(path, 3);
    close(fd);
    gzFile g = gzopen(path, "wb1");
    const char *ok = "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /n%d HTTP/1.1\" 200 1 \"-\" "
                     "\"ua\"\n";
    char line[256];
    int n = snprintf(line, sizeof(line), ok, 0);
    gzwrite(g, line, (unsigned)n);
    size_t big = 3 * CN_IMPORT_MAX_LINE;
    char *junk = malloc(big);
    memset(junk, 'x', big);
    gzwrite(g, junk, (unsigned)big);
    gzwrite(g, "\n", 1);
    free(junk);
    n = snprintf(line, sizeof(line), ok, 1);
    gzwrite(g, line, (unsigned)n);
    gzclose(g);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    run_file(path, 2, 0, &c, &st, 0);
    assert_false(c.out_of_order);
    assert_int_equal(c.hits, 2);
    assert_int_equal(st.bad, 1);
    assert_int_equal(st.bad_by_reason[CN_IMPORT_BAD_TOO_LONG], 1);
    assert_int_equal(c.bad_lines[0], 2);
    assert_int_equal(st.lines, 3);
    unlink(path);
}

static void sink_errors_stop_the_import(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_log(path, 50000, false, true);
    collected_t c = {.fail_after = 10};
    cn_import_stats_t st = {0};
    run_file(path, 2, 0, &c, &st, CN_EFULL);
    assert_int_equal(c.hits, 10);
    unlink(path);
}

static void csv_header_from_the_file(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("ts,url,ip\n971211336,/n0,10.0.0.1\n971211337,/n1,10.0.0.2\nbad\n", f);
    fclose(f);
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "csv", .suite = "s"};
    assert_int_equal(cn_import_parser_new(&o, &p, NULL), 0);
    collected_t c = {0};
    cn_import_stats_t st = {0};
    cn_import_sink_t sink = {.hit = on_hit, .bad = on_bad, .ud = &c};
    assert_int_equal(cn_import_run(p, path, 0, 2, &sink, &st, NULL), 0);
    cn_import_parser_free(p);
    assert_int_equal(c.hits, 0 + 2); /* path is empty for rows: order is checked elsewhere */
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(c.bad_lines[0], 4);
    assert_int_equal(c.bad_reasons[0], CN_IMPORT_BAD_COLUMNS);
    unlink(path);
}

/* Writes text to a new temporary file (gzip-compressed when path ends in .gz). */
static void write_text(char *path, int suffix_len, const char *text)
{
    int fd = mkstemps(path, suffix_len);
    assert_true(fd >= 0);
    close(fd);
    if (suffix_len > 0) {
        gzFile g = gzopen(path, "wb1");
        gzwrite(g, text, (unsigned)strlen(text));
        gzclose(g);
    } else {
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
    }
}

/* A bad header row's error names the file, as the other errors of an input do, whether the
 * file is mapped (plain) or read as a stream (gzip). */
static void header_error_names_the_file(void **state)
{
    (void)state;
    char plain[] = "/tmp/cn_run_XXXXXX", gz[] = "/tmp/cn_run_XXXXXX.gz";
    char *paths[] = {plain, gz};
    int suffix[] = {0, 3};
    for (int i = 0; i < 2; i++) {
        write_text(paths[i], suffix[i], "url,prop1,prop1\n/a,x,y\n");
        cn_import_parser_t *p = NULL;
        cn_import_opts_t o = {.format = "csv", .suite = "s"};
        assert_int_equal(cn_import_parser_new(&o, &p, NULL), 0);
        collected_t c = {0};
        cn_import_stats_t st = {0};
        cn_import_sink_t sink = {.hit = on_hit, .bad = on_bad, .ud = &c};
        cn_err_t err = {0};
        assert_int_equal(cn_import_run(p, paths[i], 0, 1, &sink, &st, &err), CN_EPARSE);
        cn_import_parser_free(p);
        char want[256];
        snprintf(want, sizeof(want), "%s: the header names column 'prop1' twice (columns 2 and 3)",
                 paths[i]);
        assert_string_equal(err.msg, want);
        assert_int_equal(c.hits, 0);
        unlink(paths[i]);
    }
}

/* A UTF-8 byte order mark before the first line is not part of its first field. */
static void utf8_bom_is_dropped(void **state)
{
    (void)state;
    const char *log =
        "\xef\xbb\xbf"
        "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /n0 HTTP/1.1\" 200 1 \"-\" \"u\"\r\n"
        "10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] \"GET /n1 HTTP/1.1\" 200 1 \"-\" \"u\"\r\n";
    for (int gz = 0; gz < 2; gz++) { /* mapped, then read as a stream */
        char path[32];
        snprintf(path, sizeof(path), "/tmp/cn_run_XXXXXX%s", gz ? ".gz" : "");
        write_text(path, gz ? 3 : 0, log);
        collected_t c = {0};
        cn_import_stats_t st = {0};
        run_file(path, 2, 0, &c, &st, 0);
        assert_int_equal(c.bad, 0);
        assert_int_equal(st.hits, 2);
        assert_false(c.out_of_order);
        assert_int_equal(st.end_offset, strlen(log));
        unlink(path);
    }
    /* a CSV header: the first column is "ts", not "\xef\xbb\xbfts" */
    for (int gz = 0; gz < 2; gz++) {
        char path[32];
        snprintf(path, sizeof(path), "/tmp/cn_run_XXXXXX%s", gz ? ".gz" : "");
        write_text(path, gz ? 3 : 0, "\xef\xbb\xbfts,url,ip\r\n971211336,/n0,10.0.0.1\r\n");
        cn_import_parser_t *p = NULL;
        cn_import_opts_t o = {.format = "csv", .suite = "s"};
        assert_int_equal(cn_import_parser_new(&o, &p, NULL), 0);
        collected_t c = {0};
        cn_import_stats_t st = {0};
        cn_import_sink_t sink = {.hit = on_hit, .bad = on_bad, .ud = &c};
        assert_int_equal(cn_import_run(p, path, 0, 2, &sink, &st, NULL), 0);
        cn_import_parser_free(p);
        assert_int_equal(c.bad, 0);
        assert_int_equal(st.hits, 1);
        assert_int_equal(st.lines, 2);
        assert_int_equal(st.skipped, 1);
        unlink(path);
    }
}

/* A batch sink: takes every other block's batch into a hitlog, copies the others record by record.
 */
typedef struct batch_sink {
    cn_hitlog_t *log;
    uint64_t batches, records;
    int fail_at; /* return CN_ECLOSED at this batch (1-based; 0: never) */
} batch_sink_t;

static int on_batch(void *ud, cn_hitlog_batch_t *b)
{
    batch_sink_t *bs = ud;
    bs->batches++;
    if (bs->fail_at > 0 && bs->batches == (uint64_t)bs->fail_at)
        return CN_ECLOSED;
    size_t count = b->count;
    assert_true(count > 0);
    if (bs->batches % 2 == 1) {
        assert_int_equal(cn_hitlog_append_batch(bs->log, b, NULL, NULL), 0);
        assert_int_equal(b->count, 0); /* taken */
    } else {
        size_t off = 0, len;
        const void *rec;
        while (cn_hitlog_batch_next(b, &off, &rec, &len) == 1)
            assert_int_equal(cn_hitlog_append(bs->log, rec, len, NULL, NULL), 0);
    }
    bs->records += count;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void batches_reach_the_hitlog_in_file_order(void **state)
{
    (void)state;
    char path[] = "/tmp/cn_run_XXXXXX", dir[] = "/tmp/cn_run_log_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_non_null(mkdtemp(dir));
    size_t lines = 120000; /* ~15 MB: several blocks */
    write_log(path, lines, false, true);
    for (int fail = 0; fail < 2; fail++) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        cn_hitlog_t *log = NULL;
        assert_int_equal(cn_hitlog_open(dir, NULL, &log, NULL, NULL), 0);
        batch_sink_t bs = {.log = log, .fail_at = fail ? 2 : 0};
        collected_t c = {0};
        cn_import_sink_t sink = {.batch = on_batch, .ud = &bs};
        cn_import_stats_t st = {0};
        cn_err_t err = {0};
        cn_import_parser_t *p = combined();
        int rc = cn_import_run(p, path, 0, 3, &sink, &st, &err);
        cn_import_parser_free(p);
        assert_int_equal(rc, fail ? CN_ECLOSED : 0);
        assert_int_equal(cn_hitlog_sync(log), 0);
        cn_hitlog_close(log);
        if (fail) {
            assert_int_equal(bs.batches, 2);
        } else {
            assert_true(bs.batches >= 3);
            assert_int_equal(bs.records, lines - 2);
            assert_int_equal(st.hits, lines - 2);
        }
        /* the hitlog holds the hits of the delivered blocks, in file order */
        cn_hitlog_reader_t *r;
        assert_int_equal(cn_hitlog_reader_open(dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
        const void *rec;
        size_t len;
        while ((rc = cn_hitlog_reader_next(r, &rec, &len, NULL, NULL)) == 1)
            assert_int_equal(on_hit(&c, rec, len), 0);
        assert_int_equal(rc, 0);
        cn_hitlog_reader_close(r);
        assert_false(c.out_of_order);
        assert_int_equal(c.hits, bs.records);
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(path);
}

static void missing_file_is_an_error(void **state)
{
    (void)state;
    cn_import_parser_t *p = combined();
    collected_t c = {0};
    cn_import_stats_t st = {0};
    cn_import_sink_t sink = {.hit = on_hit, .ud = &c};
    cn_err_t err = {0};
    assert_int_equal(cn_import_run(p, "/nonexistent/x.log", 0, 1, &sink, &st, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/x.log"));
    cn_import_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hits_arrive_in_file_order_with_many_threads),
        cmocka_unit_test(gzip_input_gives_the_same_hits),
        cmocka_unit_test(truncated_gzip_is_an_error),
        cmocka_unit_test(last_line_without_newline_waits),
        cmocka_unit_test(last_line_without_newline_final),
        cmocka_unit_test(resumes_at_an_offset),
        cmocka_unit_test(delivered_offsets_resume_exactly),
        cmocka_unit_test(over_long_lines_in_a_stream),
        cmocka_unit_test(sink_errors_stop_the_import),
        cmocka_unit_test(csv_header_from_the_file),
        cmocka_unit_test(header_error_names_the_file),
        cmocka_unit_test(utf8_bom_is_dropped),
        cmocka_unit_test(missing_file_is_an_error),
        cmocka_unit_test(batches_reach_the_hitlog_in_file_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
