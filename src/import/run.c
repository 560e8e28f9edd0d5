/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running an import: input -> blocks of whole lines -> parser threads ->
 * raw hits delivered in file order.
 *
 * A regular file is mmap'd and cut into blocks of about 4 MiB, each ending
 * at a '\n'; stdin and .gz files are read (through zlib) into owned blocks
 * with the partial last line carried into the next one. The blocks sit in a
 * small ring: worker threads (one per core) take the oldest unparsed block
 * and turn its lines into encoded raw hits, framed as hitlog records (a
 * cn_hitlog_batch_t: length, CRC32C, cn_rawhit_encode payload, back to
 * back), and bad-line records; the calling thread fills the
 * ring and, in block order, hands each block's hits and bad lines to the
 * sink (the whole batch at once when the sink takes batches: one queue
 * operation per block). Hits therefore reach the hitlog in the file's order, which keeps
 * every visitor's hits in order for processing, while the parsing (the
 * expensive part) runs on every core.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "import/internal.h"
#include "lib/clock.h"
#include "lib/xalloc.h"

#define BLOCK_BYTES  (4u << 20)
#define READ_BYTES   (1u << 20)
#define MAX_BAD_KEPT 65536 /* a bad line is kept up to this many bytes */

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

typedef struct block {
    const char *data;
    size_t len;
    char *owned;       /* stream input: the bytes, freed with the block */
    uint64_t progress; /* input bytes consumed once this block is delivered */
    uint64_t end;      /* uncompressed offset just past the block's last line */
    int state;
    /* output */
    cn_hitlog_batch_t recs; /* the hits, framed as hitlog records (CRCs computed here) */
    cn_buf_t bads; /* u64le rel line | u32le reason | u32le column | u32le cells | u32le want |
                      u32le len | bytes */
    uint64_t lines, hits, pages, skipped, bad;
    uint64_t bad_by_reason[CN_IMPORT_BAD__COUNT];
} block_t;

typedef struct pool {
    const cn_import_parser_t *parser;
    block_t *ring;
    size_t nring;
    uint64_t next_parse; /* seq of the next block a worker takes */
    uint64_t filled;     /* blocks submitted */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a block is ready, or stop */
    pthread_cond_t done; /* a block is parsed */
} pool_t;

static void parse_block(const cn_import_parser_t *p, cn_import_ctx_t *ctx, block_t *b)
{
    const char *s = b->data, *end = b->data + b->len;
    cn_rawhit_t hit;
    cn_import_info_t info;
    cn_hitlog_batch_clear(&b->recs);
    if (b->recs.buf.cap == 0) /* given away to the sink: about the size of the input again */
        cn_buf_reserve(&b->recs.buf, b->len + b->len / 4);
    cn_buf_clear(&b->bads);
    b->lines = b->hits = b->pages = b->skipped = b->bad = 0;
    memset(b->bad_by_reason, 0, sizeof(b->bad_by_reason));
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        cn_str_t line = cn_str(s, (size_t)(le - s));
        b->lines++;
        int rc = cn_import_parse_line(p, ctx, line, &hit, &info);
        if (rc == 0) {
            size_t mark = cn_hitlog_batch_begin(&b->recs);
            cn_rawhit_encode(&hit, &b->recs.buf);
            if (cn_hitlog_batch_end(&b->recs, mark) != 0)
                cn_panic("import: a raw hit of %zu bytes", b->recs.buf.len - mark);
            b->hits++;
            b->pages += info.is_page;
        } else if (rc == CN_IMPORT_SKIPPED) {
            b->skipped++;
        } else {
            b->bad++;
            b->bad_by_reason[info.bad]++;
            size_t keep = line.len < MAX_BAD_KEPT ? line.len : MAX_BAD_KEPT;
            if (keep > 0 && line.ptr[keep - 1] == '\r')
                keep--;
            cn_buf_put_u64le(&b->bads, b->lines);
            cn_buf_put_u32le(&b->bads, (uint32_t)info.bad);
            cn_buf_put_u32le(&b->bads, (uint32_t)info.column);
            cn_buf_put_u32le(&b->bads, info.bad == CN_IMPORT_BAD_COLUMNS ? info.cells : 0);
            cn_buf_put_u32le(&b->bads, info.bad == CN_IMPORT_BAD_COLUMNS ? info.want : 0);
            cn_buf_put_u32le(&b->bads, (uint32_t)keep);
            cn_buf_append(&b->bads, line.ptr, keep);
        }
        s = le + 1;
    }
}

static void *worker_main(void *arg)
{
    pool_t *pl = arg;
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && pl->next_parse >= pl->filled)
            pthread_cond_wait(&pl->work, &pl->mu);
        if (pl->next_parse >= pl->filled && pl->stop)
            break;
        block_t *b = &pl->ring[pl->next_parse % pl->nring];
        pl->next_parse++;
        b->state = SLOT_BUSY;
        pthread_mutex_unlock(&pl->mu);
        parse_block(pl->parser, &ctx, b);
        pthread_mutex_lock(&pl->mu);
        b->state = SLOT_DONE;
        pthread_cond_broadcast(&pl->done);
    }
    pthread_mutex_unlock(&pl->mu);
    cn_import_ctx_dispose(&ctx);
    return NULL;
}

/* --- Input --- */

typedef struct source {
    const char *path;
    /* mmap */
    const char *map;
    size_t map_len, pos;
    size_t released; /* mapped bytes before this offset are dropped from memory */
    /* stream */
    int fd;
    gzFile gz;
    char *carry; /* partial last line of the previous read */
    size_t carry_len;
    bool eof;
    bool skip_line;        /* discarding the rest of an over-long line */
    bool magic_checked;    /* the first bytes were checked for gzip data */
    bool hold_partial;     /* leave a last line without '\n' unread (a file still written) */
    uint64_t held;         /* the bytes of that line */
    uint64_t stream_bytes; /* uncompressed bytes read from the stream */
    uint64_t consumed;     /* uncompressed offset just past the last line handed out */
} source_t;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* True when s starts with gzip's magic bytes (RFC 1952: 1f 8b). */
static bool is_gzip_magic(const char *s, size_t n)
{
    return n >= 2 && (unsigned char)s[0] == 0x1f && (unsigned char)s[1] == 0x8b;
}

/* The error for gzip data in an input not named .gz (docs/import.md). */
static int gzip_unnamed(const source_t *src, cn_err_t *err)
{
    return cn_err_set(err, CN_EPARSE,
                      "%s: gzip data, though the name does not end in .gz (name it .gz, or pipe "
                      "it through zcat)",
                      strcmp(src->path, "-") == 0 ? "stdin" : src->path);
}

static int source_open(source_t *src, const char *path, bool hold, cn_import_stats_t *st,
                       cn_err_t *err)
{
    memset(src, 0, sizeof(*src));
    src->path = path;
    src->fd = -1;
    if (strcmp(path, "-") == 0) {
        src->fd = 0;
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return cn_err_set(err, -e, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return cn_err_set(err, -EISDIR, "%s: is a folder", path);
    }
    st->bytes_total += S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    if (ends_with(path, ".gz") && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        /* the name says gzip: the bytes must too, else the file would be read as text */
        unsigned char magic[2] = {0, 0};
        if (pread(fd, magic, 2, 0) != 2 || !is_gzip_magic((const char *)magic, 2)) {
            close(fd);
            return cn_err_set(err, CN_EPARSE,
                              "%s: not gzip data, though the name ends in .gz (rename the file "
                              "to import it as text)",
                              path);
        }
    }
    /* a regular file may still be written; stdin and .gz are complete once read */
    src->hold_partial = hold && S_ISREG(sb.st_mode) && !ends_with(path, ".gz");
    if (ends_with(path, ".gz")) {
        src->gz = gzdopen(fd, "rb");
        if (src->gz == NULL) {
            close(fd);
            return cn_err_set(err, -ENOMEM, "%s: cannot start zlib", path);
        }
        gzbuffer(src->gz, 256 * 1024);
        return 0;
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
            src->map = m;
            src->map_len = (size_t)sb.st_size;
            close(fd);
            if (is_gzip_magic(src->map, src->map_len)) {
                int rc = gzip_unnamed(src, err);
                munmap((void *)src->map, src->map_len);
                src->map = NULL;
                return rc;
            }
            return 0;
        }
    }
    src->fd = fd;
    return 0;
}

static void source_close(source_t *src)
{
    if (src->map != NULL)
        munmap((void *)src->map, src->map_len);
    if (src->gz != NULL)
        gzclose(src->gz);
    else if (src->fd > 0)
        close(src->fd);
    free(src->carry);
}

static ssize_t stream_read(source_t *src, char *buf, size_t n, cn_err_t *err)
{
    if (src->gz != NULL) {
        int r = gzread(src->gz, buf, (unsigned)n);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(src->gz, &zerr);
            return cn_err_set(err, CN_ECORRUPT, "%s: %s", src->path, msg);
        }
        if (r == 0) {
            /* zlib ends a stream cut short (a copy or a compression still running) as if
             * it were complete, only noting Z_BUF_ERROR: its last line is cut too, and
             * the rest of the log is missing */
            int zerr;
            gzerror(src->gz, &zerr);
            if (zerr == Z_BUF_ERROR)
                return cn_err_set(err, CN_ECORRUPT,
                                  "%s: the gzip data ends early (a truncated or unfinished "
                                  "file)",
                                  src->path);
        }
        return r;
    }
    for (;;) {
        ssize_t r = read(src->fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return cn_err_set(err, -errno, "%s: %s", src->path, strerror(errno));
        return r;
    }
}

static uint64_t source_progress(const source_t *src)
{
    if (src->map != NULL)
        return src->pos;
    if (src->gz != NULL)
        return (uint64_t)gzoffset(src->gz);
    return src->stream_bytes;
}

/*
 * The length of a UTF-8 byte order mark at the start of s (3), else 0. Spreadsheets ("CSV
 * UTF-8") and Windows tools write one before the first line; it is not part of the first
 * field (a CSV header's first column, a log's address) and is dropped at offset 0.
 */
static size_t bom_len(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/*
 * Hands out the next run of whole lines: *data and *len, *owned (free it after
 * parsing; NULL for mmap). Returns 1, 0 at the end, or a negative code.
 */
static int source_next(source_t *src, const char **data, size_t *len, char **owned, cn_err_t *err)
{
    if (src->map != NULL) {
        if (src->pos >= src->map_len)
            return 0;
        size_t want = src->map_len - src->pos < BLOCK_BYTES ? src->map_len - src->pos : BLOCK_BYTES;
        const char *s = src->map + src->pos, *cut = s + want;
        if (src->pos + want < src->map_len) {
            const char *nl = memrchr(s, '\n', want);
            if (nl != NULL) {
                cut = nl + 1;
            } else {
                nl = memchr(s + want, '\n', src->map_len - src->pos - want);
                cut = nl ? nl + 1 : src->map + src->map_len;
            }
        }
        if (cut == src->map + src->map_len && src->hold_partial && cut[-1] != '\n') {
            /* the last line has no line end yet: leave it for a later run */
            const char *nl = memrchr(s, '\n', (size_t)(cut - s));
            const char *keep = nl ? nl + 1 : s;
            src->held = (uint64_t)(cut - keep);
            cut = keep;
            if (cut == s) {
                src->pos = src->map_len;
                return 0;
            }
        }
        size_t skip = src->pos == 0 ? bom_len(s, (size_t)(cut - s)) : 0;
        *data = s + skip;
        *len = (size_t)(cut - s) - skip;
        *owned = NULL;
        src->pos += (size_t)(cut - s);
        src->consumed = src->pos;
        return 1;
    }
    for (;;) {
        if (src->eof && src->carry_len == 0)
            return 0;
        /* the carried partial line, then as much as fits in one more block */
        size_t cap = src->carry_len + BLOCK_BYTES, have = src->carry_len;
        char *buf = cn_xmalloc(cap);
        if (src->carry_len)
            memcpy(buf, src->carry, src->carry_len);
        free(src->carry);
        src->carry = NULL;
        src->carry_len = 0;
        while (have < cap && !src->eof) {
            ssize_t r = stream_read(src, buf + have, cap - have, err);
            if (r < 0) {
                free(buf);
                return (int)r;
            }
            if (r == 0)
                src->eof = true;
            src->stream_bytes += (uint64_t)r;
            have += (size_t)r;
        }
        if (src->gz == NULL && src->consumed == 0 && !src->magic_checked) {
            src->magic_checked = true;
            if (is_gzip_magic(buf, have)) {
                free(buf);
                return gzip_unnamed(src, err);
            }
        }
        size_t start = 0;
        if (src->skip_line) { /* the rest of an over-long line already handed out */
            const char *nl = have ? memchr(buf, '\n', have) : NULL;
            start = nl ? (size_t)(nl - buf) + 1 : have;
            src->consumed += start;
            src->skip_line = nl == NULL;
        }
        const char *nl = have > start ? memrchr(buf + start, '\n', have - start) : NULL;
        size_t cut;
        if (nl != NULL)
            cut = (size_t)(nl - buf) + 1;
        else if (src->eof && src->hold_partial) {
            src->held = have - start; /* a last line without '\n': left for a later run */
            free(buf);
            src->carry_len = 0;
            return 0;
        } else if (src->eof)
            cut = have; /* a last line without '\n' */
        else if (have - start > CN_IMPORT_MAX_LINE) {
            cut = have; /* hand out this much as one (too long) line, skip the rest */
            src->skip_line = true;
        } else
            cut = start; /* no line end yet: read more */
        if (cut < have) {
            src->carry_len = have - cut;
            src->carry = cn_xmalloc(src->carry_len);
            memcpy(src->carry, buf + cut, src->carry_len);
        }
        if (cut == start) {
            free(buf);
            continue;
        }
        if (start > 0)
            memmove(buf, buf + start, cut - start);
        size_t skip = src->consumed == 0 ? bom_len(buf, cut - start) : 0;
        *owned = buf;
        *data = buf + skip;
        *len = cut - start - skip;
        src->consumed += cut - start;
        return 1;
    }
}

/* Skips start uncompressed bytes (a resumed import). */
static int source_skip(source_t *src, uint64_t start, cn_err_t *err)
{
    if (start == 0)
        return 0;
    if (src->map != NULL) {
        if (start > src->map_len)
            return cn_err_set(err, CN_EINVAL, "%s: offset %llu is past the end", src->path,
                              (unsigned long long)start);
        src->pos = (size_t)start;
        src->consumed = start;
        return 0;
    }
    char *buf = cn_xmalloc(READ_BYTES);
    uint64_t left = start;
    while (left > 0) {
        ssize_t r = stream_read(src, buf, left < READ_BYTES ? (size_t)left : READ_BYTES, err);
        if (r <= 0) {
            free(buf);
            return r < 0 ? (int)r
                         : cn_err_set(err, CN_EINVAL, "%s: offset %llu is past the end", src->path,
                                      (unsigned long long)start);
        }
        left -= (uint64_t)r;
        src->stream_bytes += (uint64_t)r;
    }
    free(buf);
    src->consumed = start;
    return 0;
}

/* A header row's error (a parser's, which knows no file), naming the file as other errors do. */
static int header_err(const source_t *src, int rc, cn_err_t *err)
{
    if (rc != 0 && err != NULL) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", cn_err_msg(err, rc));
        cn_err_set(err, rc, "%s: %s", strcmp(src->path, "-") == 0 ? "stdin" : src->path, msg);
    }
    return rc;
}

/* Reads the first line (a CSV/TSV header) from the start of the input. */
static int source_header(source_t *src, cn_import_parser_t *p, uint64_t start,
                         cn_import_stats_t *st, cn_err_t *err)
{
    if (src->map != NULL) {
        const char *nl = memchr(src->map, '\n', src->map_len);
        size_t n = nl ? (size_t)(nl - src->map) : src->map_len, b = bom_len(src->map, n);
        if (nl == NULL && n == b) { /* a byte order mark alone: an empty file */
            src->pos = src->map_len;
            src->consumed = src->pos;
            return 0;
        }
        CN_RETURN_IF_ERR(
            header_err(src, cn_import_parser_set_header(p, cn_str(src->map + b, n - b), err), err));
        if (start == 0) {
            src->pos = nl ? n + 1 : n;
            src->consumed = src->pos;
            st->lines++;
            st->skipped++;
        }
        return 0;
    }
    if (start > 0)
        return cn_err_set(err, CN_EUNSUPPORTED,
                          "%s: resuming a CSV/TSV stream needs its header; use --force", src->path);
    const char *data;
    size_t len;
    char *owned;
    int rc = source_next(src, &data, &len, &owned, err);
    if (rc <= 0) /* an empty file (or stream): no header and no rows, nothing to import */
        return rc;
    if (len == 0 && src->eof && src->carry_len == 0) { /* a byte order mark alone */
        free(owned);
        return 0;
    }
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    rc = header_err(src, cn_import_parser_set_header(p, cn_str(data, n), err), err);
    if (rc == 0) {
        st->lines++;
        st->skipped++;
        size_t rest = nl ? len - n - 1 : 0;
        /* put the rest back in front of the carry */
        char *c = cn_xmalloc(rest + src->carry_len + 1);
        memcpy(c, data + len - rest, rest);
        if (src->carry_len)
            memcpy(c + rest, src->carry, src->carry_len);
        free(src->carry);
        src->carry = c;
        src->carry_len += rest;
        src->consumed -= rest;
    }
    free(owned);
    return rc;
}

/* --- The loop --- */

static int deliver(block_t *b, const cn_import_sink_t *sink, cn_import_stats_t *st,
                   uint64_t line_base)
{
    if (sink->batch != NULL && b->recs.count > 0) {
        int rc = sink->batch(sink->ud, &b->recs);
        if (rc < 0)
            return rc;
    } else if (sink->hit != NULL) {
        size_t off = 0, n;
        const void *rec;
        while (cn_hitlog_batch_next(&b->recs, &off, &rec, &n) == 1) {
            int rc = sink->hit(sink->ud, rec, n);
            if (rc < 0)
                return rc;
        }
    }
    if (sink->bad != NULL && b->bads.len > 0) {
        const char *q = b->bads.ptr, *qe = b->bads.ptr + b->bads.len;
        while (q < qe) {
            uint64_t rel = cn_load_u64le(q);
            uint32_t reason = cn_load_u32le(q + 8), col = cn_load_u32le(q + 12),
                     cells = cn_load_u32le(q + 16), want = cn_load_u32le(q + 20),
                     n = cn_load_u32le(q + 24);
            sink->bad(sink->ud, st->lines - line_base + rel, (cn_import_bad_t)reason, col, cells,
                      want, cn_str(q + 28, n));
            q += 28 + n;
        }
    }
    st->lines += b->lines;
    st->hits += b->hits;
    st->pages += b->pages;
    st->skipped += b->skipped;
    st->bad += b->bad;
    for (int i = 0; i < CN_IMPORT_BAD__COUNT; i++)
        st->bad_by_reason[i] += b->bad_by_reason[i];
    return 0;
}

int cn_import_run(cn_import_parser_t *p, const char *path, uint64_t start, unsigned threads,
                  const cn_import_sink_t *sink, cn_import_stats_t *st, cn_err_t *err)
{
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > 64)
        threads = 64;
    source_t src;
    /* A server ends every log line with a line end, so a log whose last line has none is
     * still being written; rows files (exports, hand-made CSV) often just lack the last one. */
    bool hold = !p->final && p->kind == CN_IMPORT_KIND_LOG;
    CN_RETURN_IF_ERR(source_open(&src, path, hold, st, err));
    int rc = 0;
    uint64_t base_bytes = st->bytes_read, base_lines = st->lines;
    if (cn_import_parser_needs_header(p))
        rc = source_header(&src, p, start, st, err);
    if (rc == 0)
        rc = source_skip(&src, start, err);
    if (rc != 0) {
        source_close(&src);
        return rc;
    }

    pool_t pl = {.parser = p, .nring = threads * 3};
    pl.ring = cn_xcalloc(pl.nring, sizeof(block_t));
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.work, NULL);
    pthread_cond_init(&pl.done, NULL);
    pthread_t *tids = cn_xcalloc(threads, sizeof(pthread_t));
    for (unsigned i = 0; i < threads; i++)
        if (pthread_create(&tids[i], NULL, worker_main, &pl) != 0)
            cn_panic("import: cannot start a thread");

    uint64_t delivered = 0;
    int64_t last_progress = cn_time_mono_us();
    bool at_end = false;
    while (rc == 0 && (!at_end || delivered < pl.filled)) {
        /* fill the ring while there is room */
        pthread_mutex_lock(&pl.mu);
        bool room = pl.filled - delivered < pl.nring;
        pthread_mutex_unlock(&pl.mu);
        if (!at_end && room) {
            const char *data;
            size_t len;
            char *owned;
            int r = source_next(&src, &data, &len, &owned, err);
            if (r < 0) {
                rc = r;
                break;
            }
            if (r == 0) {
                at_end = true;
                continue;
            }
            pthread_mutex_lock(&pl.mu);
            block_t *b = &pl.ring[pl.filled % pl.nring];
            b->data = data;
            b->len = len;
            b->owned = owned;
            b->progress = source_progress(&src);
            b->end = src.consumed;
            b->state = SLOT_READY;
            pl.filled++;
            pthread_cond_signal(&pl.work);
            pthread_mutex_unlock(&pl.mu);
            continue;
        }
        /* deliver the oldest block once parsed */
        block_t *b = &pl.ring[delivered % pl.nring];
        pthread_mutex_lock(&pl.mu);
        while (b->state != SLOT_DONE)
            pthread_cond_wait(&pl.done, &pl.mu);
        pthread_mutex_unlock(&pl.mu);
        rc = deliver(b, sink, st, base_lines);
        if (src.map != NULL) {
            /* the file stays in the page cache; drop delivered pages from our RSS */
            size_t page = (size_t)sysconf(_SC_PAGESIZE);
            size_t done_to = (size_t)(b->data + b->len - src.map) / page * page;
            if (done_to > src.released) {
                madvise((void *)(src.map + src.released), done_to - src.released, MADV_DONTNEED);
                src.released = done_to;
            }
        }
        free(b->owned);
        b->owned = NULL;
        b->state = SLOT_FREE;
        delivered++;
        st->bytes_read = base_bytes + b->progress;
        if (rc == 0) {
            st->end_offset = b->end;
            if (sink->delivered != NULL)
                rc = sink->delivered(sink->ud, st);
        }
        int64_t now = cn_time_mono_us();
        if (sink->progress != NULL && now - last_progress >= 100000) {
            sink->progress(sink->ud, st);
            last_progress = now;
        }
        if (rc != 0)
            cn_err_set(err, rc, "%s: the sink failed: %s", path, cn_strerror(rc));
    }

    pthread_mutex_lock(&pl.mu);
    pl.stop = true;
    pthread_cond_broadcast(&pl.work);
    pthread_mutex_unlock(&pl.mu);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    for (size_t i = 0; i < pl.nring; i++) {
        free(pl.ring[i].owned);
        cn_hitlog_batch_dispose(&pl.ring[i].recs);
        cn_buf_dispose(&pl.ring[i].bads);
    }
    free(pl.ring);
    free(tids);
    pthread_mutex_destroy(&pl.mu);
    pthread_cond_destroy(&pl.work);
    pthread_cond_destroy(&pl.done);
    if (rc == 0) {
        st->end_offset = src.consumed;
        st->held += src.held;
        st->bytes_read = base_bytes + (src.map != NULL ? src.map_len : source_progress(&src));
        if (sink->progress != NULL)
            sink->progress(sink->ud, st);
    }
    source_close(&src);
    return rc;
}
