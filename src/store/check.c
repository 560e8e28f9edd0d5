/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton check` for the store: walks a suite's store without changing it
 * and reports every problem with its file and offset: the manifest's
 * checksum and consistency, every dictionary's checksum and entries, every
 * segment's footer, every page's checksum and decoding, every reference
 * (dictionary ids, visit and visitor ordinals, child rows to their hit),
 * visit ordinals dense, and each hit in the partition of its local day.
 *
 * A live store (a writer checkpointing, flushing and merging while the check
 * runs) is checked as one snapshot, as a read-only cn_store_open() sees it:
 * first every file the MANIFEST names is opened (segments mapped, the
 * checkpoint blob held by a descriptor, the dictionaries' listed bytes read
 * and matched to their CRC). Segment and blob files are written once under
 * names never reused, so what is open stays as that manifest saw it even
 * when the writer replaces the manifest and deletes the files. When a file
 * could not be opened or read (or did not parse), the MANIFEST is read again: if it
 * changed, the writer replaced the file under the check, and the check
 * starts over with the new manifest; if it did not, the problem is real.
 * Only then is everything read and verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "store/internal.h"
#include "store/store.h"

/* How often the check starts over when the manifest changed under it. */
#define PIN_ATTEMPTS 100
#define MAX_DOMAINS  64

void (*cn_store__check_hook)(unsigned attempt);

typedef struct ck {
    cn_store_problem_cb cb;
    void *ud;
    cn_store_check_stats_t *st;
} ck_t;

static void problem(ck_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(ck_t *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->st->problems++;
    if (c->cb)
        c->cb(c->ud, msg);
}

/* The files of one manifest, open. */
typedef struct pinned {
    cn_buf_t mbytes;        /* the MANIFEST as read */
    cn_store__manifest_t m; /* parsed (zeroed when it does not parse); each ms->seg opened */
    bool parsed;
    cn_store__seg_limits_t lim;
    const cn_store__mdict_t *md[MAX_DOMAINS]; /* each domain's entry in m.dicts, or NULL */
    cn_buf_t dict[MAX_DOMAINS];               /* the bytes md lists, read and matching its CRC */
    bool dict_ok[MAX_DOMAINS];
    int ck_fd;
    cn_buf_t problems; /* found while opening: messages, each ended by '\0' */
    size_t nproblems;
} pinned_t;

static void pin_problem(pinned_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pin_problem(pinned_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cn_buf_vprintf(&p->problems, fmt, ap);
    va_end(ap);
    cn_buf_putc(&p->problems, '\0');
    p->nproblems++;
}

static void unpin(pinned_t *p)
{
    for (size_t d = 0; d < MAX_DOMAINS; d++)
        cn_buf_dispose(&p->dict[d]);
    if (p->ck_fd >= 0)
        close(p->ck_fd);
    cn_store__manifest_dispose(&p->m);
    cn_buf_dispose(&p->mbytes);
    cn_buf_dispose(&p->problems);
}

static void pin_seg(pinned_t *p, const char *dir, cn_store__mseg_t *ms)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/%010llu.seg", dir, (unsigned long long)ms->file_id);
    cn_err_t err;
    cn_err_clear(&err);
    int rc = cn_store__seg_open(path, ms->file_id, &p->lim, &ms->seg, &err);
    if (rc < 0) {
        ms->seg = NULL;
        pin_problem(p, "%s", cn_err_msg(&err, rc));
    }
}

/* Reads the bytes of a dictionary the manifest lists and checks their CRC: a
 * dictionary file is appended to in place, and a writer reopening the store
 * cuts it back to its checkpoint, so it is read now, not when verified. */
static void pin_dict(pinned_t *p, const char *dir, size_t d)
{
    const cn_store__mdict_t *md = p->md[d];
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s.dict", dir, md->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pin_problem(p, "%s: %s", path, strerror(errno));
        return;
    }
    cn_buf_t *b = &p->dict[d];
    cn_buf_reserve(b, md->bytes);
    int rc = cn_store__pread_all(fd, b->ptr, md->bytes, 0);
    close(fd);
    if (rc == CN_ECORRUPT) {
        pin_problem(p, "%s: shorter than the %llu bytes the manifest lists", path,
                    (unsigned long long)md->bytes);
        return;
    }
    if (rc < 0) {
        pin_problem(p, "%s: %s", path, cn_strerror(rc));
        return;
    }
    b->len = md->bytes;
    if (cn_crc32c(0, b->ptr, b->len) != md->crc) {
        pin_problem(p, "%s: offset 0..%llu: checksum mismatch", path,
                    (unsigned long long)md->bytes);
        return;
    }
    p->dict_ok[d] = true;
}

/*
 * Reads the MANIFEST and opens every file it names (reads the dictionaries). Returns 0 (problems in
 * p->problems), CN_ENOTFOUND when there is no manifest, or another error
 * when it cannot be read.
 */
static int pin(const char *dir, unsigned attempt, pinned_t *p, cn_err_t *err)
{
    memset(p, 0, sizeof(*p));
    p->ck_fd = -1;
    char path[4400];
    snprintf(path, sizeof(path), "%s/MANIFEST", dir);
    int rc = cn_store__read_file(path, 1u << 30, &p->mbytes);
    if (rc < 0) {
        int code = rc == -ENOENT ? CN_ENOTFOUND : rc;
        return cn_err_set(err, code, "%s: %s", path, cn_strerror(rc));
    }
    if (cn_store__check_hook)
        cn_store__check_hook(attempt);
    cn_err_t e2;
    cn_err_clear(&e2);
    rc = cn_store__manifest_parse((const uint8_t *)p->mbytes.ptr, p->mbytes.len, path, &p->m, &e2);
    if (rc < 0) {
        pin_problem(p, "%s", cn_err_msg(&e2, rc));
        return 0;
    }
    p->parsed = true;
    /* the checkpoint blob first: a writer replaces it at every checkpoint, so it is opened
     * right after the manifest is read, not after every dictionary and segment (a writer
     * checkpointing more often than those take to open would make every attempt miss it) */
    if (p->m.ck_file_id) {
        snprintf(path, sizeof(path), "%s/%010llu.ckpt", dir, (unsigned long long)p->m.ck_file_id);
        p->ck_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (p->ck_fd < 0)
            pin_problem(p, "%s: %s", path, strerror(errno));
    }
    size_t ndict = cn_store_dict_count();
    CN_ASSERT(ndict <= MAX_DOMAINS);
    for (size_t d = 0; d < ndict; d++) {
        const char *name = cn_store_dict_name((int)d);
        for (size_t i = 0; i < p->m.dict_count; i++)
            if (strcmp(p->m.dicts[i].name, name) == 0)
                p->md[d] = &p->m.dicts[i];
        p->lim.dict_len[d] = p->md[d] ? p->md[d]->len : 1;
        if (!p->md[d])
            continue;
        pin_dict(p, dir, d);
    }
    p->lim.visits = p->m.visits;
    p->lim.visitors = p->m.visitors;
    for (size_t k = 0; k < p->m.vseg_count; k++)
        pin_seg(p, dir, &p->m.vsegs[k]);
    for (size_t i = 0; i < p->m.part_count; i++)
        for (size_t k = 0; k < p->m.parts[i].count; k++)
            pin_seg(p, dir, &p->m.parts[i].segs[k]);
    return 0;
}

/* True when the MANIFEST in dir no longer has the bytes p was opened from. */
static bool manifest_changed(const char *dir, const pinned_t *p)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/MANIFEST", dir);
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_store__read_file(path, 1u << 30, &b);
    bool changed = rc < 0 || b.len != p->mbytes.len || memcmp(b.ptr, p->mbytes.ptr, b.len) != 0;
    cn_buf_dispose(&b);
    return changed;
}

static void check_seg(ck_t *c, const cn_store__mseg_t *ms, bool is_visit, int32_t day,
                      const cn_store__tz_t *tz)
{
    cn_store_seg_t *seg = ms->seg;
    if (!seg)
        return; /* reported when it was opened */
    const char *path = seg->path;
    cn_err_t err;
    c->st->segments++;
    if (seg->is_visit != is_visit || seg->first_row != ms->first_row ||
        memcmp(seg->rows, ms->rows, sizeof(ms->rows)) != 0 || (!is_visit && seg->day != day))
        problem(c, "%s: header says %s rows from %llu, the manifest something else", path,
                seg->is_visit ? "visit" : "hit", (unsigned long long)seg->first_row);
    for (size_t col = 0; col < CN_STORE__NCOLS; col++)
        c->st->pages += seg->cols[col].page_count;
    for (int g = 0; g < CN_GROUP_COUNT; g++)
        c->st->rows += seg->rows[g];
    cn_err_clear(&err);
    int rc = cn_store__seg_verify(seg, &err);
    if (rc < 0) {
        problem(c, "%s", cn_err_msg(&err, rc));
        return;
    }
    if (!is_visit && seg->rows[CN_GROUP_HIT] > 0) {
        /* every hit in the partition of its local day */
        int64_t *ts = cn_xmalloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
        uint64_t rows = seg->rows[CN_GROUP_HIT];
        for (uint64_t r = 0; r < rows; r += CN_STORE_PAGE_ROWS) {
            size_t n = rows - r < CN_STORE_PAGE_ROWS ? rows - r : CN_STORE_PAGE_ROWS;
            if (cn_store__seg_read(seg, CN_COL_HIT_ts, r, n, ts, NULL) < 0)
                break;
            for (size_t i = 0; i < n; i++)
                if (cn_store__tz_day(tz, ts[i]) != day) {
                    problem(c, "%s: hit row %llu has a time outside its day's partition", path,
                            (unsigned long long)(seg->first_row + r + i));
                    r = rows;
                    break;
                }
        }
        free(ts);
    }
}

static void check_dict(ck_t *c, const char *dir, const pinned_t *p, size_t d)
{
    if (!p->dict_ok[d])
        return; /* not listed, or reported when it was read */
    const cn_store__mdict_t *md = p->md[d];
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s.dict", dir, md->name);
    uint32_t n = 0;
    cn_store__dict_t *dict = cn_store__dict_new(md->name);
    cn_err_t e2;
    cn_err_clear(&e2);
    int rc =
        cn_store__dict_parse((const uint8_t *)p->dict[d].ptr, p->dict[d].len, path, dict, &n, &e2);
    if (rc < 0)
        problem(c, "%s", cn_err_msg(&e2, rc));
    else if (n != md->len)
        problem(c, "%s: %u entries, the manifest lists %u", path, n, md->len);
    c->st->dict_entries += n;
    cn_store__dict_free(dict);
}

static void check_ckpt(ck_t *c, const char *dir, const pinned_t *p)
{
    if (!p->m.ck_file_id || p->ck_fd < 0)
        return;
    char path[4400];
    snprintf(path, sizeof(path), "%s/%010llu.ckpt", dir, (unsigned long long)p->m.ck_file_id);
    enum { CHUNK = 1 << 20 };
    char *chunk = cn_xmalloc(CHUNK);
    uint64_t len = 0;
    uint32_t crc = 0;
    for (;;) {
        ssize_t r = pread(p->ck_fd, chunk, CHUNK, (off_t)len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            problem(c, "%s: %s", path, strerror(errno));
            free(chunk);
            return;
        }
        if (r == 0)
            break;
        crc = cn_crc32c(crc, chunk, (size_t)r);
        len += (uint64_t)r;
    }
    free(chunk);
    if (len != p->m.ck_len || crc != p->m.ck_crc)
        problem(c, "%s: checkpoint blob does not match its checksum", path);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int cn_store_check(const char *data_dir, const cn_suite_conf_t *suite, cn_store_problem_cb cb,
                   void *ud, cn_store_check_stats_t *stats, cn_err_t *err)
{
    cn_store_check_stats_t local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    ck_t c = {cb, ud, stats};
    if (!suite->id || !suite->id[0] || strchr(suite->id, '/') || strcmp(suite->id, ".") == 0 ||
        strcmp(suite->id, "..") == 0)
        return cn_err_set(err, CN_EINVAL, "suite id '%s' cannot name a folder",
                          suite->id ? suite->id : "");
    cn_store__tz_t tz;
    int rc = cn_store__tz_load(suite->timezone, &tz, err);
    if (rc < 0)
        return rc;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%.2048s/store/%.1024s", data_dir, suite->id);

    /* 1. a snapshot: the files of one manifest, open */
    pinned_t p;
    for (unsigned attempt = 0;; attempt++) {
        if ((rc = pin(dir, attempt, &p, err)) < 0) {
            unpin(&p);
            cn_store__tz_dispose(&tz);
            return rc;
        }
        if (p.nproblems == 0 || !manifest_changed(dir, &p))
            break;
        /* a writer replaced the manifest (and deleted files) under the check */
        unpin(&p);
        stats->retries++;
        if (attempt + 1 >= PIN_ATTEMPTS) {
            cn_store__tz_dispose(&tz);
            return cn_err_set(err, -EAGAIN,
                              "%s: the store changed under the check %u times in a row "
                              "(a busy writer); try again",
                              dir, PIN_ATTEMPTS);
        }
        sleep_ms(attempt < 10 ? 1 + attempt : 20);
    }
    for (size_t off = 0; off < p.problems.len; off += strlen(p.problems.ptr + off) + 1)
        problem(&c, "%s", p.problems.ptr + off);
    if (!p.parsed)
        goto done;

    /* 2. dictionaries */
    for (size_t d = 0; d < cn_store_dict_count(); d++)
        check_dict(&c, dir, &p, d);

    /* 3. visits: dense ordinals */
    const cn_store__manifest_t *m = &p.m;
    uint64_t expect = m->first_visit;
    for (size_t k = 0; k < m->vseg_count; k++) {
        const cn_store__mseg_t *ms = &m->vsegs[k];
        if (ms->first_row != expect)
            problem(&c, "%s/MANIFEST: visit segment %llu starts at visit %llu, expected %llu", dir,
                    (unsigned long long)ms->file_id, (unsigned long long)ms->first_row,
                    (unsigned long long)expect);
        expect = ms->first_row + ms->rows[CN_GROUP_VISIT];
        check_seg(&c, ms, true, 0, &tz);
    }
    if (expect != m->visits)
        problem(&c, "%s/MANIFEST: visit segments end at %llu, the manifest counts %llu visits", dir,
                (unsigned long long)expect, (unsigned long long)m->visits);

    /* 4. partitions: rows contiguous */
    for (size_t i = 0; i < m->part_count; i++) {
        const cn_store__mpart_t *mp = &m->parts[i];
        uint64_t row = mp->count ? mp->segs[0].first_row : 0;
        for (size_t k = 0; k < mp->count; k++) {
            const cn_store__mseg_t *ms = &mp->segs[k];
            if (ms->first_row != row)
                problem(&c, "%s/MANIFEST: day %d: segment %llu starts at row %llu, expected %llu",
                        dir, mp->day, (unsigned long long)ms->file_id,
                        (unsigned long long)ms->first_row, (unsigned long long)row);
            row = ms->first_row + ms->rows[CN_GROUP_HIT];
            check_seg(&c, ms, false, mp->day, &tz);
        }
    }

    /* 5. processing's checkpoint blob */
    check_ckpt(&c, dir, &p);
done:
    unpin(&p);
    cn_store__tz_dispose(&tz);
    return stats->problems ? CN_ECORRUPT : 0;
}
