/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton check` for the store: walks a suite's store without changing it
 * and reports every problem with its file and offset: the manifest's
 * checksum and consistency, every dictionary's checksum and entries, every
 * segment's footer, every page's checksum and decoding, every reference
 * (dictionary ids, visit and visitor ordinals, child rows to their hit),
 * visit ordinals dense, and each hit in the partition of its local day.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "store/internal.h"
#include "store/store.h"

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

static cn_store_seg_t *check_seg(ck_t *c, const char *dir, const cn_store__mseg_t *ms,
                                 const cn_store__seg_limits_t *lim, bool is_visit, int32_t day,
                                 const cn_store__tz_t *tz)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/%010llu.seg", dir, (unsigned long long)ms->file_id);
    cn_err_t err;
    cn_err_clear(&err);
    cn_store_seg_t *seg = NULL;
    int rc = cn_store__seg_open(path, ms->file_id, lim, &seg, &err);
    if (rc < 0) {
        problem(c, "%s", cn_err_msg(&err, rc));
        return NULL;
    }
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
    if ((rc = cn_store__seg_verify(seg, &err)) < 0) {
        problem(c, "%s", cn_err_msg(&err, rc));
        return seg;
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
    return seg;
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
    char dir[4096], path[4400];
    snprintf(dir, sizeof(dir), "%.2048s/store/%.1024s", data_dir, suite->id);
    snprintf(path, sizeof(path), "%s/MANIFEST", dir);
    cn_buf_t b = CN_BUF_INIT;
    cn_store__manifest_t m;
    memset(&m, 0, sizeof(m));
    rc = cn_store__read_file(path, 1u << 30, &b);
    if (rc < 0) {
        cn_err_set(err, rc == -ENOENT ? CN_ENOTFOUND : rc, "%s: %s", path, cn_strerror(rc));
        cn_buf_dispose(&b);
        cn_store__tz_dispose(&tz);
        return rc == -ENOENT ? CN_ENOTFOUND : rc;
    }
    cn_err_t e2;
    cn_err_clear(&e2);
    if ((rc = cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, path, &m, &e2)) < 0) {
        problem(&c, "%s", cn_err_msg(&e2, rc));
        goto done;
    }

    /* dictionaries */
    cn_store__seg_limits_t lim;
    memset(&lim, 0, sizeof(lim));
    for (size_t d = 0; d < cn_store_dict_count(); d++) {
        const char *name = cn_store_dict_name((int)d);
        const cn_store__mdict_t *md = NULL;
        for (size_t i = 0; i < m.dict_count; i++)
            if (strcmp(m.dicts[i].name, name) == 0)
                md = &m.dicts[i];
        lim.dict_len[d] = md ? md->len : 1;
        if (!md)
            continue;
        snprintf(path, sizeof(path), "%s/%s.dict", dir, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            problem(&c, "%s: %s", path, strerror(errno));
            continue;
        }
        cn_buf_clear(&b);
        cn_buf_reserve(&b, md->bytes);
        ssize_t got = pread(fd, b.ptr, md->bytes, 0);
        close(fd);
        if (got != (ssize_t)md->bytes) {
            problem(&c, "%s: shorter than the %llu bytes the manifest lists", path,
                    (unsigned long long)md->bytes);
            continue;
        }
        b.len = md->bytes;
        if (cn_crc32c(0, b.ptr, b.len) != md->crc) {
            problem(&c, "%s: offset 0..%llu: checksum mismatch", path,
                    (unsigned long long)md->bytes);
            continue;
        }
        uint32_t n = 0;
        cn_store__dict_t *dict = cn_store__dict_new(name);
        cn_err_clear(&e2);
        if ((rc = cn_store__dict_parse((const uint8_t *)b.ptr, b.len, path, dict, &n, &e2)) < 0)
            problem(&c, "%s", cn_err_msg(&e2, rc));
        else if (n != md->len)
            problem(&c, "%s: %u entries, the manifest lists %u", path, n, md->len);
        stats->dict_entries += n;
        cn_store__dict_free(dict);
    }
    lim.visits = m.visits;
    lim.visitors = m.visitors;

    /* visits: dense ordinals */
    uint64_t expect = m.first_visit;
    for (size_t k = 0; k < m.vseg_count; k++) {
        const cn_store__mseg_t *ms = &m.vsegs[k];
        if (ms->first_row != expect)
            problem(&c, "%s/MANIFEST: visit segment %llu starts at visit %llu, expected %llu", dir,
                    (unsigned long long)ms->file_id, (unsigned long long)ms->first_row,
                    (unsigned long long)expect);
        expect = ms->first_row + ms->rows[CN_GROUP_VISIT];
        cn_store__seg_unref(check_seg(&c, dir, ms, &lim, true, 0, &tz));
    }
    if (expect != m.visits)
        problem(&c, "%s/MANIFEST: visit segments end at %llu, the manifest counts %llu visits", dir,
                (unsigned long long)expect, (unsigned long long)m.visits);
    for (size_t i = 0; i < m.part_count; i++) {
        const cn_store__mpart_t *p = &m.parts[i];
        uint64_t row = p->count ? p->segs[0].first_row : 0;
        for (size_t k = 0; k < p->count; k++) {
            const cn_store__mseg_t *ms = &p->segs[k];
            if (ms->first_row != row)
                problem(&c, "%s/MANIFEST: day %d: segment %llu starts at row %llu, expected %llu",
                        dir, p->day, (unsigned long long)ms->file_id,
                        (unsigned long long)ms->first_row, (unsigned long long)row);
            row = ms->first_row + ms->rows[CN_GROUP_HIT];
            cn_store__seg_unref(check_seg(&c, dir, ms, &lim, false, p->day, &tz));
        }
    }
    if (m.ck_file_id) {
        snprintf(path, sizeof(path), "%s/%010llu.ckpt", dir, (unsigned long long)m.ck_file_id);
        rc = cn_store__read_file(path, 1ull << 34, &b);
        if (rc < 0)
            problem(&c, "%s: %s", path, cn_strerror(rc));
        else if (b.len != m.ck_len || cn_crc32c(0, b.ptr, b.len) != m.ck_crc)
            problem(&c, "%s: checkpoint blob does not match its checksum", path);
    }
done:
    cn_store__manifest_dispose(&m);
    cn_buf_dispose(&b);
    cn_store__tz_dispose(&tz);
    return stats->problems ? CN_ECORRUPT : 0;
}
