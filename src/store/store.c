/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store of one suite: opening and recovery, the row sink, flushes and
 * checkpoints, snapshots, and maintenance (merges and retention). The file
 * formats are in docs/storage.md; the pieces in internal.h.
 *
 * Threads and locks. One writer thread calls the sink; it alone touches the
 * write buffers and the dictionaries' write side. `mu` guards the manifest
 * (what is on disk), the published writer state (buffer views, dictionary
 * lengths and counts as of the last publish) and the current snapshot;
 * every manifest write happens under it, so the writer's flushes and the
 * maintenance thread's merges never interleave their manifests. Maintenance
 * encodes merged segments without holding `mu` (the segments it reads are
 * immutable) and only swaps them in under it. `maint_mu` keeps one
 * maintenance pass at a time.
 *
 * Durability. A flush writes new dictionary bytes and segment files, then a
 * new manifest that lists them. Rows are durable when a manifest marks them
 * non-tentative, which only a checkpoint does (with processing's blob); a
 * writable open drops tentative segments and dictionary bytes, so the store
 * is exactly at the checkpoint and processing replays from there.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "store/internal.h"

#define MAX_DOMAINS 64
#define PUBLISH_US  200000

typedef struct obuf {
    int32_t day;
    cn_store__membuf_t *mb;
} obuf_t;

struct cn_store_snap {
    atomic_int refs;
    cn_store_t *store;
    uint64_t visits, visitors, first_visit;
    uint32_t dict_len[MAX_DOMAINS];
    size_t part_count;
    struct snap_part {
        int32_t day;
        uint64_t hits;
        size_t seg_count;
        cn_store_seg_t **segs;
    } * parts;
    size_t vseg_count;
    cn_store_seg_t **vsegs;
};

struct cn_store {
    char *dir;
    char *suite_id;
    cn_store_opts_t opts;
    cn_store__tz_t tz;
    int lock_fd;
    int dir_fd;
    size_t ndict;
    cn_store__dict_t *dicts[MAX_DOMAINS];
    int dict_fd[MAX_DOMAINS];

    pthread_mutex_t mu;
    cn_store__manifest_t man;
    int mdict[MAX_DOMAINS];       /* index of each domain in man.dicts */
    bool dict_fresh[MAX_DOMAINS]; /* domain new in this open: its file is started */
    /* published writer state (under mu) */
    cn_store_seg_t **pub_views;
    size_t pub_view_count;
    uint32_t pub_dict_len[MAX_DOMAINS];
    uint64_t pub_visits, pub_visitors;
    cn_store_snap_t *snap;

    /* writer state (sink thread) */
    int broken;
    char w_why[384]; /* what the sink's last error refused, for a person (cn_sink_t why) */
    cn_store__membuf_t *vbuf;
    obuf_t *obufs;
    size_t obuf_count, obuf_cap;
    cn_store__membuf_t *last_mb;
    int col_dict[CN_COL_COUNT]; /* dictionary domain of each DICT column */
    /* each DICT column's cache of recent ids (cn_store__dict_intern_cached) */
    cn_store__dict_cache_t (*w_cache)[1u << CN_STORE__DICT_CACHE_BITS];
    void *w_cache_mem; /* w_cache's allocation (w_cache is 64-byte aligned in it) */
    uint64_t w_visits, w_visitors;
    cn_store__tz_memo_t w_tz_memo; /* the local day of the hits written last */
    uint32_t w_dict_written[MAX_DOMAINS];
    uint64_t w_dict_bytes[MAX_DOMAINS];
    uint32_t w_dict_crc[MAX_DOMAINS];
    uint64_t w_dict_synced[MAX_DOMAINS]; /* bytes known durable (fdatasync'd) */
    void *w_dict_zctx; /* zstd context of the dictionaries' appends (cn_store__dict_encode) */
    uint64_t buffered;
    /* a put left a day buffer's group within a page of CN_STORE__MAX_BUFFER_ROWS
     * (tick then flushes; cleared when flush empties the buffers) */
    bool w_near_full;
    uint32_t tick;
    int64_t last_flush_us, last_publish_us;

    pthread_mutex_t maint_mu;
    pthread_t bg;
    bool bg_running, stopping;
    pthread_cond_t bg_cv;
};

/* --- Files --- */

int cn_store__write_file(const char *path, const void *p, size_t len, bool no_fsync)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    const char *q = p;
    while (len > 0) {
        ssize_t w = write(fd, q, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            close(fd);
            return e;
        }
        q += w;
        len -= (size_t)w;
    }
    if (!no_fsync && fsync(fd) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return close(fd) == 0 ? 0 : -errno;
}

int cn_store__pread_all(int fd, void *p, size_t len, uint64_t off)
{
    char *q = p;
    while (len > 0) {
        ssize_t r = pread(fd, q, len, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return CN_ECORRUPT;
        q += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
    const char *q = p;
    while (len > 0) {
        ssize_t w = pwrite(fd, q, len, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        q += w;
        len -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int cn_store__read_file(const char *path, size_t max, cn_buf_t *out)
{
    cn_buf_clear(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return CN_ETOOBIG;
    }
    cn_buf_reserve(out, (size_t)st.st_size);
    int rc = cn_store__pread_all(fd, out->ptr, (size_t)st.st_size, 0);
    close(fd);
    if (rc < 0)
        return rc;
    out->len = (size_t)st.st_size;
    out->ptr[out->len] = '\0';
    return 0;
}

static char *path_of(const cn_store_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *path_of(const cn_store_t *s, const char *fmt, ...)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_printf(&b, "%s/", s->dir);
    va_list ap;
    va_start(ap, fmt);
    cn_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return b.ptr;
}

static char *seg_path(const cn_store_t *s, uint64_t id)
{
    return path_of(s, "%010llu.seg", (unsigned long long)id);
}

static char *ckpt_path(const cn_store_t *s, uint64_t id)
{
    return path_of(s, "%010llu.ckpt", (unsigned long long)id);
}

static int mkdir_p(const char *path)
{
    char *p = cn_xstrdup(path);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = -errno;
            free(p);
            return e;
        }
        *q = '/';
    }
    int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -errno : 0;
    free(p);
    return rc;
}

/* Writes the manifest atomically. Caller holds mu. */
static int write_manifest(cn_store_t *s)
{
    s->man.generation++;
    cn_buf_t b = CN_BUF_INIT;
    cn_store__manifest_encode(&s->man, &b);
    char *tmp = path_of(s, "MANIFEST.tmp"), *fin = path_of(s, "MANIFEST");
    int rc = cn_store__write_file(tmp, b.ptr, b.len, s->opts.no_fsync);
    if (rc == 0 && rename(tmp, fin) != 0)
        rc = -errno;
    if (rc == 0 && !s->opts.no_fsync && fsync(s->dir_fd) != 0)
        rc = -errno;
    free(tmp);
    free(fin);
    cn_buf_dispose(&b);
    return rc;
}

/* --- Options --- */

void cn_store_opts_init(cn_store_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->flush_interval_us = 5000000;
    o->flush_rows = 1u << 20;
    o->maintain_interval_us = 10000000;
}

static const char *suite_key(const cn_suite_conf_t *suite, const char *key)
{
    for (size_t i = 0; i < suite->kv_count; i++)
        if (strcmp(suite->kv[i].key, key) == 0)
            return suite->kv[i].value;
    return NULL;
}

static int suite_uint(const cn_suite_conf_t *suite, const char *key, uint64_t max, uint64_t *out,
                      cn_err_t *err)
{
    const char *v = suite_key(suite, key);
    if (!v)
        return 1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || x > max || v[0] == '-')
        return cn_err_set(err, CN_ECONFIG, "[suite %s] %s: expected a whole number up to %llu",
                          suite->id, key, (unsigned long long)max);
    *out = x;
    return 0;
}

/* The suite keys the store reads into o: retention_days (unless o has one) and
 * store_flush_seconds. 0 or CN_ECONFIG. */
static int suite_opts(const cn_suite_conf_t *suite, cn_store_opts_t *o, cn_err_t *err)
{
    uint64_t x;
    int rc;
    if ((rc = suite_uint(suite, "retention_days", 100000, &x, err)) < 0)
        return rc;
    if (rc == 0 && o->retention_days == 0)
        o->retention_days = (uint32_t)x;
    if ((rc = suite_uint(suite, "store_flush_seconds", 86400, &x, err)) < 0)
        return rc;
    if (rc == 0 && x > 0)
        o->flush_interval_us = (int64_t)x * 1000000;
    return 0;
}

int cn_store_check_suite_conf(const cn_suite_conf_t *suite, cn_err_t *err)
{
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    return suite_opts(suite, &o, err);
}

/* --- Snapshots --- */

static void snap_free(cn_store_snap_t *sn)
{
    for (size_t i = 0; i < sn->part_count; i++) {
        for (size_t k = 0; k < sn->parts[i].seg_count; k++)
            cn_store__seg_unref(sn->parts[i].segs[k]);
        free(sn->parts[i].segs);
    }
    free(sn->parts);
    for (size_t k = 0; k < sn->vseg_count; k++)
        cn_store__seg_unref(sn->vsegs[k]);
    free(sn->vsegs);
    free(sn);
}

void cn_store_snap_release(cn_store_snap_t *sn)
{
    if (sn && atomic_fetch_sub(&sn->refs, 1) == 1)
        snap_free(sn);
}

/* Builds the current snapshot from the manifest and the published views. Caller holds mu. */
static void publish_locked(cn_store_t *s)
{
    cn_store_snap_t *sn = cn_xcalloc(1, sizeof(*sn));
    atomic_init(&sn->refs, 1);
    sn->store = s;
    sn->visits = s->pub_visits;
    sn->visitors = s->pub_visitors;
    sn->first_visit = s->man.first_visit;
    memcpy(sn->dict_len, s->pub_dict_len, sizeof(sn->dict_len));
    /* visit segments: files, then the buffer view */
    sn->vsegs = cn_xcalloc(s->man.vseg_count + 1, sizeof(*sn->vsegs));
    for (size_t k = 0; k < s->man.vseg_count; k++)
        sn->vsegs[sn->vseg_count++] = cn_store__seg_ref(s->man.vsegs[k].seg);
    for (size_t v = 0; v < s->pub_view_count; v++)
        if (s->pub_views[v]->is_visit && s->pub_views[v]->rows[CN_GROUP_VISIT] > 0)
            sn->vsegs[sn->vseg_count++] = cn_store__seg_ref(s->pub_views[v]);
    /* partitions: manifest days merged with buffered days */
    size_t cap = s->man.part_count + s->pub_view_count;
    sn->parts = cn_xcalloc(cap ? cap : 1, sizeof(*sn->parts));
    for (size_t i = 0; i < s->man.part_count; i++) {
        const cn_store__mpart_t *mp = &s->man.parts[i];
        struct snap_part *sp = &sn->parts[sn->part_count++];
        sp->day = mp->day;
        sp->segs = cn_xcalloc(mp->count + 1, sizeof(*sp->segs));
        for (size_t k = 0; k < mp->count; k++) {
            sp->segs[sp->seg_count++] = cn_store__seg_ref(mp->segs[k].seg);
            sp->hits += mp->segs[k].rows[CN_GROUP_HIT];
        }
    }
    for (size_t v = 0; v < s->pub_view_count; v++) {
        cn_store_seg_t *view = s->pub_views[v];
        if (view->is_visit || view->rows[CN_GROUP_HIT] == 0)
            continue;
        size_t i;
        for (i = 0; i < sn->part_count && sn->parts[i].day < view->day; i++)
            ;
        if (i == sn->part_count || sn->parts[i].day != view->day) {
            memmove(&sn->parts[i + 1], &sn->parts[i], (sn->part_count - i) * sizeof(*sn->parts));
            memset(&sn->parts[i], 0, sizeof(*sn->parts));
            sn->parts[i].day = view->day;
            sn->parts[i].segs = cn_xcalloc(1, sizeof(cn_store_seg_t *));
            sn->part_count++;
        }
        struct snap_part *sp = &sn->parts[i];
        sp->segs = cn_xrealloc(sp->segs, (sp->seg_count + 1) * sizeof(*sp->segs));
        sp->segs[sp->seg_count++] = cn_store__seg_ref(view);
        sp->hits += view->rows[CN_GROUP_HIT];
    }
    cn_store_snap_t *old = s->snap;
    s->snap = sn;
    cn_store_snap_release(old);
}

int cn_store_snapshot(cn_store_t *s, cn_store_snap_t **out)
{
    pthread_mutex_lock(&s->mu);
    cn_store_snap_t *sn = s->snap;
    atomic_fetch_add(&sn->refs, 1);
    pthread_mutex_unlock(&s->mu);
    *out = sn;
    return 0;
}

uint64_t cn_store_snap_visits(const cn_store_snap_t *sn)
{
    return sn->visits;
}

uint64_t cn_store_snap_visitors(const cn_store_snap_t *sn)
{
    return sn->visitors;
}

uint64_t cn_store_snap_first_visit(const cn_store_snap_t *sn)
{
    return sn->first_visit;
}

size_t cn_store_snap_partition_count(const cn_store_snap_t *sn)
{
    return sn->part_count;
}

int32_t cn_store_snap_partition_day(const cn_store_snap_t *sn, size_t part)
{
    return part < sn->part_count ? sn->parts[part].day : 0;
}

uint64_t cn_store_snap_partition_hits(const cn_store_snap_t *sn, size_t part)
{
    return part < sn->part_count ? sn->parts[part].hits : 0;
}

size_t cn_store_snap_partition_find(const cn_store_snap_t *sn, int32_t day)
{
    size_t lo = 0, hi = sn->part_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sn->parts[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t cn_store_snap_segment_count(const cn_store_snap_t *sn, size_t part)
{
    return part < sn->part_count ? sn->parts[part].seg_count : 0;
}

const cn_store_seg_t *cn_store_snap_segment(const cn_store_snap_t *sn, size_t part, size_t k)
{
    if (part >= sn->part_count || k >= sn->parts[part].seg_count)
        return NULL;
    return sn->parts[part].segs[k];
}

size_t cn_store_snap_visit_segment_count(const cn_store_snap_t *sn)
{
    return sn->vseg_count;
}

const cn_store_seg_t *cn_store_snap_visit_segment(const cn_store_snap_t *sn, size_t k)
{
    return k < sn->vseg_count ? sn->vsegs[k] : NULL;
}

const cn_store_seg_t *cn_store_snap_visit_find(const cn_store_snap_t *sn, uint64_t visit)
{
    size_t lo = 0, hi = sn->vseg_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cn_store_seg_t *g = sn->vsegs[mid];
        if (visit < g->first_row)
            hi = mid;
        else if (visit >= g->first_row + g->rows[CN_GROUP_VISIT])
            lo = mid + 1;
        else
            return g;
    }
    return NULL;
}

uint32_t cn_store_snap_dict_len(const cn_store_snap_t *sn, int dict)
{
    if (dict < 0 || (size_t)dict >= sn->store->ndict)
        return 0;
    return sn->dict_len[dict];
}

cn_str_t cn_store_snap_dict_str(const cn_store_snap_t *sn, int dict, uint32_t id)
{
    if (dict < 0 || (size_t)dict >= sn->store->ndict || id >= sn->dict_len[dict])
        return cn_str("", 0);
    return cn_store__dict_str(sn->store->dicts[dict], id);
}

int cn_store_snap_dict_id(const cn_store_snap_t *sn, int dict, cn_str_t str, uint32_t *out_id)
{
    if (dict < 0 || (size_t)dict >= sn->store->ndict)
        return CN_EINVAL;
    return cn_store__dict_find(sn->store->dicts[dict], str, sn->dict_len[dict], out_id);
}

/* --- Opening --- */

static void limits_of(const cn_store_t *s, const cn_store__manifest_t *m, cn_store__seg_limits_t *l)
{
    memset(l, 0, sizeof(*l));
    for (size_t d = 0; d < s->ndict; d++)
        l->dict_len[d] = s->mdict[d] >= 0 ? m->dicts[s->mdict[d]].len : 1;
    l->visits = m->visits;
    l->visitors = m->visitors;
}

static int open_segs(cn_store_t *s, cn_err_t *err)
{
    cn_store__seg_limits_t lim;
    limits_of(s, &s->man, &lim);
    uint64_t expect = s->man.first_visit;
    for (size_t k = 0; k < s->man.vseg_count; k++) {
        cn_store__mseg_t *ms = &s->man.vsegs[k];
        char *p = seg_path(s, ms->file_id);
        int rc = cn_store__seg_open(p, ms->file_id, &lim, &ms->seg, err);
        free(p);
        if (rc < 0)
            return rc;
        if (!ms->seg->is_visit || ms->seg->first_row != ms->first_row || ms->first_row != expect ||
            memcmp(ms->seg->rows, ms->rows, sizeof(ms->rows)) != 0)
            return cn_err_set(err, CN_ECORRUPT,
                              "%s: visit segment %llu does not match the manifest", s->dir,
                              (unsigned long long)ms->file_id);
        expect += ms->rows[CN_GROUP_VISIT];
    }
    if (expect != s->man.visits)
        return cn_err_set(err, CN_ECORRUPT,
                          "%s/MANIFEST: visit segments hold %llu visits, not %llu", s->dir,
                          (unsigned long long)expect, (unsigned long long)s->man.visits);
    for (size_t i = 0; i < s->man.part_count; i++) {
        cn_store__mpart_t *mp = &s->man.parts[i];
        uint64_t row = mp->count ? mp->segs[0].first_row : 0;
        for (size_t k = 0; k < mp->count; k++) {
            cn_store__mseg_t *ms = &mp->segs[k];
            char *p = seg_path(s, ms->file_id);
            int rc = cn_store__seg_open(p, ms->file_id, &lim, &ms->seg, err);
            free(p);
            if (rc < 0)
                return rc;
            if (ms->seg->is_visit || ms->seg->day != mp->day || ms->seg->first_row != row ||
                ms->first_row != row || memcmp(ms->seg->rows, ms->rows, sizeof(ms->rows)) != 0)
                return cn_err_set(err, CN_ECORRUPT, "%s: segment %llu does not match the manifest",
                                  s->dir, (unsigned long long)ms->file_id);
            row += ms->rows[CN_GROUP_HIT];
        }
    }
    return 0;
}

static int load_dicts(cn_store_t *s, bool writable, cn_err_t *err)
{
    for (size_t d = 0; d < s->ndict; d++) {
        const char *name = cn_store_dict_name((int)d);
        s->dicts[d] = cn_store__dict_new(name);
        s->dict_fd[d] = -1;
        int mi = s->mdict[d];
        /* a domain the manifest lacks (a column newer than the store: format 5 had no
         * visit.ip) has no file yet, and reads as empty until a writer starts it */
        if (mi < 0 && !writable)
            continue;
        char *p = path_of(s, "%s.dict", name);
        uint64_t bytes = mi >= 0 ? s->man.dicts[mi].bytes : CN_STORE__DICT_HEADER_LEN;
        uint32_t want_len = mi >= 0 ? s->man.dicts[mi].len : 1;
        int fd = open(p, (writable ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = -errno;
            cn_err_set(err, e, "%s: %s", p, strerror(-e));
            free(p);
            return e;
        }
        int rc = 0;
        cn_buf_t b = CN_BUF_INIT;
        if (mi < 0 || s->dict_fresh[d] || bytes == CN_STORE__DICT_HEADER_LEN) {
            /* a new domain: start its file */
            if (!writable) {
                close(fd);
                free(p);
                continue;
            }
            cn_store__dict_header(&b);
            /* no fsync: a dictionary without entries is rewritten at every open, so a
             * header lost in a crash is restored before anything refers to it */
            rc = pwrite_all(fd, b.ptr, b.len, 0);
            /* cut to w_dict_bytes only once the recovered manifest is written (open) */
        } else {
            cn_buf_reserve(&b, (size_t)bytes);
            rc = cn_store__pread_all(fd, b.ptr, (size_t)bytes, 0);
            if (rc == CN_ECORRUPT)
                cn_err_set(err, rc, "%s: shorter than the %llu bytes the manifest lists", p,
                           (unsigned long long)bytes);
            else if (rc < 0)
                cn_err_set(err, rc, "%s: %s", p, cn_strerror(rc));
            b.len = (size_t)bytes;
            if (rc == 0 && cn_crc32c(0, b.ptr, b.len) != s->man.dicts[mi].crc)
                rc = cn_err_set(err, CN_ECORRUPT,
                                "%s: offset 0: checksum of the first %llu bytes "
                                "does not match the manifest",
                                p, (unsigned long long)bytes);
            uint32_t n = 0;
            if (rc == 0)
                rc = cn_store__dict_parse((const uint8_t *)b.ptr, b.len, p, s->dicts[d], &n, err);
            if (rc == 0 && n != want_len)
                rc = cn_err_set(err, CN_ECORRUPT, "%s: %u entries, the manifest lists %u", p, n,
                                want_len);
            /* cut back to `bytes` only once the recovered manifest is written (open):
             * until then the old manifest may list a longer tentative dictionary */
        }
        s->w_dict_written[d] = cn_store__dict_len(s->dicts[d]);
        s->w_dict_bytes[d] = b.len;
        s->w_dict_crc[d] = cn_crc32c(0, b.ptr, b.len);
        cn_buf_dispose(&b);
        free(p);
        if (rc < 0) {
            close(fd);
            return rc;
        }
        if (writable)
            s->dict_fd[d] = fd;
        else
            close(fd);
    }
    return 0;
}

static bool referenced(const cn_store__manifest_t *m, uint64_t id)
{
    if (id == m->ck_file_id)
        return true;
    for (size_t k = 0; k < m->vseg_count; k++)
        if (m->vsegs[k].file_id == id)
            return true;
    for (size_t i = 0; i < m->part_count; i++)
        for (size_t k = 0; k < m->parts[i].count; k++)
            if (m->parts[i].segs[k].file_id == id)
                return true;
    return false;
}

/* True for the name of a segment or checkpoint file, "<id>.seg" or "<id>.ckpt". */
static bool seg_or_ckpt_name(const char *name, unsigned long long *id)
{
    char ext[8];
    int n = 0;
    return sscanf(name, "%llu.%7s%n", id, ext, &n) == 2 && name[n] == '\0' &&
           (strcmp(ext, "seg") == 0 || strcmp(ext, "ckpt") == 0);
}

/* The count of segment and checkpoint files in the store folder. A writer writes the
 * store's first manifest before any of them, so without a manifest there are none, unless
 * the manifest was lost. */
static size_t count_store_files(const cn_store_t *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    unsigned long long id;
    while ((e = readdir(d)) != NULL)
        n += seg_or_ckpt_name(e->d_name, &id);
    closedir(d);
    return n;
}

/* Deletes segment and checkpoint files the manifest does not list (left by a crash). */
static void collect_garbage(cn_store_t *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long long id;
        if (seg_or_ckpt_name(e->d_name, &id) && !referenced(&s->man, id))
            unlinkat(s->dir_fd, e->d_name, 0);
        else if (strcmp(e->d_name, "MANIFEST.tmp") == 0)
            unlinkat(s->dir_fd, e->d_name, 0);
    }
    closedir(d);
}

/* Back to the last checkpoint: drops tentative segments and dictionary bytes. */
static void recover(cn_store_t *s)
{
    cn_store__manifest_t *m = &s->man;
    size_t w = 0;
    for (size_t k = 0; k < m->vseg_count; k++)
        if (!m->vsegs[k].tentative)
            m->vsegs[w++] = m->vsegs[k];
    m->vseg_count = w;
    w = 0;
    for (size_t i = 0; i < m->part_count; i++) {
        cn_store__mpart_t *p = &m->parts[i];
        size_t kw = 0;
        for (size_t k = 0; k < p->count; k++)
            if (!p->segs[k].tentative)
                p->segs[kw++] = p->segs[k];
        p->count = kw;
        if (kw == 0) {
            free(p->segs);
            continue;
        }
        m->parts[w++] = *p;
    }
    m->part_count = w;
    for (size_t d = 0; d < m->dict_count; d++) {
        m->dicts[d].len = m->dicts[d].ck_len;
        m->dicts[d].bytes = m->dicts[d].ck_bytes;
        m->dicts[d].crc = m->dicts[d].ck_crc;
    }
    m->visits = m->ck_visits;
    m->visitors = m->ck_visitors;
}

static void *bg_main(void *arg);

int cn_store_open(const char *data_dir, const cn_suite_conf_t *suite, const cn_store_opts_t *opts,
                  cn_store_t **out, cn_err_t *err)
{
    *out = NULL;
    if (!suite->id || !suite->id[0] || strchr(suite->id, '/') || strcmp(suite->id, ".") == 0 ||
        strcmp(suite->id, "..") == 0)
        return cn_err_set(err, CN_EINVAL, "suite id '%s' cannot name a folder",
                          suite->id ? suite->id : "");
    cn_store_t *s = cn_xcalloc(1, sizeof(*s));
    if (opts)
        s->opts = *opts;
    else
        cn_store_opts_init(&s->opts);
    s->lock_fd = s->dir_fd = -1;
    for (size_t d = 0; d < MAX_DOMAINS; d++)
        s->dict_fd[d] = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->maint_mu, NULL);
    pthread_cond_init(&s->bg_cv, NULL);
    s->suite_id = cn_xstrdup(suite->id);
    s->ndict = cn_store_dict_count();
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        s->col_dict[c] = cn_store_col((cn_store_col_t)c)->dict;
    /* the writer's caches, zeroed (calloc: pages no cache uses are never
     * touched) and aligned to CPU cache lines (a cache set is in one) */
    if (!s->opts.read_only) {
        s->w_cache_mem = cn_xcalloc(1, CN_COL_COUNT * sizeof(*s->w_cache) + 63);
        s->w_cache = (void *)(((uintptr_t)s->w_cache_mem + 63) & ~(uintptr_t)63);
    }
    cn_buf_t b = CN_BUF_INIT;
    int rc;
    bool writable = !s->opts.read_only;

    if ((rc = suite_opts(suite, &s->opts, err)) < 0)
        goto fail;
    if (s->opts.flush_rows == 0)
        s->opts.flush_rows = 1u << 20;
    if (s->opts.flush_rows > CN_STORE__MAX_BUFFER_ROWS / 2)
        s->opts.flush_rows = (uint32_t)(CN_STORE__MAX_BUFFER_ROWS / 2);
    if (s->opts.flush_interval_us <= 0)
        s->opts.flush_interval_us = 5000000;
    if (s->opts.maintain_interval_us <= 0)
        s->opts.maintain_interval_us = 10000000;
    if ((rc = cn_store__tz_load(suite->timezone, &s->tz, err)) < 0)
        goto fail;

    cn_buf_printf(&b, "%s/store/%s", data_dir, suite->id);
    s->dir = cn_xstrdup(b.ptr);
    if (writable && (rc = mkdir_p(s->dir)) < 0) {
        cn_err_set(err, rc, "%s: %s", s->dir, cn_strerror(rc));
        goto fail;
    }
    s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        rc = errno == ENOENT ? CN_ENOTFOUND : -errno;
        cn_err_set(err, rc, "%s: no store for suite %s", s->dir, suite->id);
        goto fail;
    }
    if (writable) {
        char *lp = path_of(s, "LOCK");
        s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        free(lp);
        if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            rc = cn_err_set(err, CN_EEXIST, "%s: the store is open for writing elsewhere", s->dir);
            goto fail;
        }
    }

    /* The manifest; a read-only open retries when a merge replaced a file under it. */
    for (int attempt = 0;; attempt++) {
        char *mp = path_of(s, "MANIFEST");
        rc = cn_store__read_file(mp, 1u << 30, &b);
        if (rc == -ENOENT) {
            free(mp);
            if (!writable) {
                rc = cn_err_set(err, CN_ENOTFOUND, "%s: no store for suite %s", s->dir, suite->id);
                goto fail;
            }
            /* a lost manifest: starting empty would delete the files as garbage */
            size_t files = count_store_files(s);
            if (files > 0) {
                rc = cn_err_set(err, CN_ECORRUPT,
                                "%s/MANIFEST is missing but the folder holds %zu segment and "
                                "checkpoint files: the store is damaged, nothing was changed "
                                "(`canton reprocess --suite %s` rebuilds it from the hitlog)",
                                s->dir, files, suite->id);
                goto fail;
            }
            memset(&s->man, 0, sizeof(s->man));
            s->man.next_file_id = 1;
            rc = 0;
        } else if (rc < 0) {
            cn_err_set(err, rc, "%s: %s", mp, cn_strerror(rc));
            free(mp);
            goto fail;
        } else {
            rc = cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, mp, &s->man, err);
            free(mp);
            if (rc < 0)
                goto fail;
        }
        if (writable)
            recover(s);
        /* domains by name */
        for (size_t d = 0; d < s->ndict; d++) {
            s->mdict[d] = -1;
            for (size_t i = 0; i < s->man.dict_count; i++)
                if (strcmp(s->man.dicts[i].name, cn_store_dict_name((int)d)) == 0)
                    s->mdict[d] = (int)i;
        }
        if (writable) {
            /* add domains the manifest lacks (a new store, or a column added) */
            for (size_t d = 0; d < s->ndict; d++) {
                if (s->mdict[d] >= 0)
                    continue;
                s->man.dicts =
                    cn_xrealloc(s->man.dicts, (s->man.dict_count + 1) * sizeof(*s->man.dicts));
                cn_store__mdict_t *md = &s->man.dicts[s->man.dict_count];
                memset(md, 0, sizeof(*md));
                cn_buf_t h = CN_BUF_INIT;
                cn_store__dict_header(&h);
                md->name = cn_xstrdup(cn_store_dict_name((int)d));
                md->len = md->ck_len = 1;
                md->bytes = md->ck_bytes = h.len;
                md->crc = md->ck_crc = cn_crc32c(0, h.ptr, h.len);
                cn_buf_dispose(&h);
                s->dict_fresh[d] = true;
                s->mdict[d] = (int)s->man.dict_count++;
            }
        }
        rc = load_dicts(s, writable, err);
        if (rc == 0)
            rc = open_segs(s, err);
        if (rc == 0 || writable || attempt >= 5 || rc != -ENOENT)
            break;
        /* a file vanished: retry with the newer manifest */
        for (size_t d = 0; d < s->ndict; d++) {
            cn_store__dict_free(s->dicts[d]);
            s->dicts[d] = NULL;
        }
        cn_store__manifest_dispose(&s->man);
        usleep(10000);
    }
    if (rc < 0)
        goto fail;
    if (writable) {
        /* the recovered state becomes the manifest before anything is deleted */
        if ((rc = write_manifest(s)) < 0) {
            cn_err_set(err, rc, "%s/MANIFEST: %s", s->dir, cn_strerror(rc));
            goto fail;
        }
        /* the dictionaries' tentative tails, now that no manifest lists them */
        for (size_t d = 0; d < s->ndict; d++) {
            if (s->dict_fd[d] >= 0 && ftruncate(s->dict_fd[d], (off_t)s->w_dict_bytes[d]) != 0) {
                rc = cn_err_set(err, -errno, "%s: truncating a dictionary: %s", s->dir,
                                strerror(errno));
                goto fail;
            }
        }
        collect_garbage(s);
    }
    /* unknown: a header may have been rewritten at this open; the first checkpoint
     * syncs every dictionary (cheap where nothing is dirty) */
    for (size_t d = 0; d < s->ndict; d++)
        s->w_dict_synced[d] = UINT64_MAX;
    s->w_visits = s->pub_visits = s->man.visits;
    s->w_visitors = s->pub_visitors = s->man.visitors;
    for (size_t d = 0; d < s->ndict; d++)
        s->pub_dict_len[d] = s->dicts[d] ? cn_store__dict_len(s->dicts[d]) : 1;
    s->last_flush_us = s->last_publish_us = cn_time_mono_us();
    pthread_mutex_lock(&s->mu);
    publish_locked(s);
    pthread_mutex_unlock(&s->mu);
    if (writable && s->opts.background) {
        if (pthread_create(&s->bg, NULL, bg_main, s) == 0)
            s->bg_running = true;
    }
    cn_buf_dispose(&b);
    *out = s;
    return 0;
fail:
    cn_buf_dispose(&b);
    cn_store_close(s);
    return rc;
}

void cn_store_close(cn_store_t *s)
{
    if (!s)
        return;
    if (s->bg_running) {
        pthread_mutex_lock(&s->maint_mu);
        s->stopping = true;
        pthread_cond_signal(&s->bg_cv);
        pthread_mutex_unlock(&s->maint_mu);
        pthread_join(s->bg, NULL);
    }
    cn_store_snap_release(s->snap);
    for (size_t v = 0; v < s->pub_view_count; v++)
        cn_store__seg_unref(s->pub_views[v]);
    free(s->pub_views);
    cn_store__membuf_unref(s->vbuf);
    for (size_t i = 0; i < s->obuf_count; i++)
        cn_store__membuf_unref(s->obufs[i].mb);
    free(s->obufs);
    cn_store__manifest_dispose(&s->man);
    for (size_t d = 0; d < MAX_DOMAINS; d++) {
        cn_store__dict_free(s->dicts[d]);
        if (s->dict_fd[d] >= 0)
            close(s->dict_fd[d]);
    }
    cn_store__tz_dispose(&s->tz);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->maint_mu);
    pthread_cond_destroy(&s->bg_cv);
    free(s->w_cache_mem);
    cn_store__zctx_free(s->w_dict_zctx);
    free(s->dir);
    free(s->suite_id);
    free(s);
}

/* --- Time zone --- */

int32_t cn_store_tz_offset(const cn_store_t *s, int64_t ts_us)
{
    int64_t sec = ts_us / 1000000 - (ts_us % 1000000 < 0);
    return cn_store__tz_offset(&s->tz, sec);
}

int32_t cn_store_day_of(const cn_store_t *s, int64_t ts_us)
{
    return cn_store__tz_day(&s->tz, ts_us);
}

void cn_store_day_bounds(const cn_store_t *s, int32_t day, int64_t *out_start_us,
                         int64_t *out_end_us)
{
    cn_store__tz_bounds(&s->tz, day, out_start_us, out_end_us);
}

/* days_from_civil / civil_from_days (H. Hinnant's public-domain algorithms). */
int32_t cn_store_day_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

void cn_store_day_to_ymd(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

/* --- Writing --- */

/* Source for encoding a buffer into a segment. */
static int fill_membuf(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    cn_store__membuf_read(ud, col, from, n, out);
    return 0;
}

/* Publishes the writer's buffers for readers. Writer thread. */
static void publish(cn_store_t *s)
{
    size_t n = s->obuf_count + 1;
    cn_store_seg_t **views = cn_xcalloc(n, sizeof(*views));
    size_t k = 0;
    if (s->vbuf)
        views[k++] = cn_store__membuf_view(s->vbuf);
    for (size_t i = 0; i < s->obuf_count; i++)
        views[k++] = cn_store__membuf_view(s->obufs[i].mb);
    pthread_mutex_lock(&s->mu);
    for (size_t v = 0; v < s->pub_view_count; v++)
        cn_store__seg_unref(s->pub_views[v]);
    free(s->pub_views);
    s->pub_views = views;
    s->pub_view_count = k;
    for (size_t d = 0; d < s->ndict; d++)
        s->pub_dict_len[d] = cn_store__dict_len(s->dicts[d]);
    s->pub_visits = s->w_visits;
    s->pub_visitors = s->w_visitors;
    publish_locked(s);
    pthread_mutex_unlock(&s->mu);
    s->last_publish_us = cn_time_mono_us();
}

static uint64_t alloc_file_id(cn_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t id = s->man.next_file_id++;
    pthread_mutex_unlock(&s->mu);
    return id;
}

static int write_segment(cn_store_t *s, const cn_store__seg_spec_t *spec,
                         const cn_store__seg_limits_t *lim, bool sync, cn_store__mseg_t *ms,
                         cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_store__seg_encode(spec, &b, err);
    memset(ms, 0, sizeof(*ms));
    ms->file_id = alloc_file_id(s);
    ms->first_row = spec->first_row;
    memcpy(ms->rows, spec->rows, sizeof(ms->rows));
    ms->file_len = b.len;
    char *p = seg_path(s, ms->file_id);
    if (rc == 0 && (rc = cn_store__write_file(p, b.ptr, b.len, s->opts.no_fsync || !sync)) < 0)
        cn_err_set(err, rc, "%s: %s", p, cn_strerror(rc));
    if (rc == 0)
        rc = cn_store__seg_open(p, ms->file_id, lim, &ms->seg, err);
    free(p);
    cn_buf_dispose(&b);
    return rc;
}

static cn_store__mpart_t *part_get(cn_store__manifest_t *m, int32_t day, bool create)
{
    size_t i;
    for (i = 0; i < m->part_count && m->parts[i].day < day; i++)
        ;
    if (i < m->part_count && m->parts[i].day == day)
        return &m->parts[i];
    if (!create)
        return NULL;
    if (m->part_count == m->part_cap) {
        m->part_cap = m->part_cap ? m->part_cap * 2 : 16;
        m->parts = cn_xrealloc(m->parts, m->part_cap * sizeof(*m->parts));
    }
    memmove(&m->parts[i + 1], &m->parts[i], (m->part_count - i) * sizeof(*m->parts));
    memset(&m->parts[i], 0, sizeof(*m->parts));
    m->parts[i].day = day;
    m->part_count++;
    return &m->parts[i];
}

static void part_push(cn_store__mpart_t *p, const cn_store__mseg_t *ms)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->segs = cn_xrealloc(p->segs, p->cap * sizeof(*p->segs));
    }
    p->segs[p->count++] = *ms;
}

static void vseg_push(cn_store__manifest_t *m, const cn_store__mseg_t *ms)
{
    if (m->vseg_count == m->vseg_cap) {
        m->vseg_cap = m->vseg_cap ? m->vseg_cap * 2 : 16;
        m->vsegs = cn_xrealloc(m->vsegs, m->vseg_cap * sizeof(*m->vsegs));
    }
    m->vsegs[m->vseg_count++] = *ms;
}

/*
 * Makes durable what was written since the last checkpoint: the segments
 * still tentative in the manifest, this flush's segments (newsegs[i] where
 * used[i]), the dictionaries' appended tails, the checkpoint blob (ck_id, 0:
 * none) and the folder's new entries. fdatasync of just these files, rather
 * than a syncfs() that would also write back every other dirty file of the
 * file system (the hitlog, other suites, anything else on the disk). Write-
 * back of every file is started first (sync_file_range), so that the block
 * allocations of all of them land in the journal commit of the first
 * fdatasync and the others find little left to commit.
 */
static int sync_written(cn_store_t *s, const cn_store__mseg_t *newsegs, const bool *used,
                        size_t nbuf, uint64_t ck_id, cn_err_t *err)
{
    size_t n = 0, cap = nbuf + 2;
    uint64_t *ids = cn_xmalloc(cap * sizeof(*ids));
    for (size_t i = 0; i < nbuf; i++)
        if (used[i])
            ids[n++] = newsegs[i].file_id;
    pthread_mutex_lock(&s->mu);
    const cn_store__manifest_t *m = &s->man;
    for (size_t p = 0; p <= m->part_count; p++) {
        const cn_store__mseg_t *list = p < m->part_count ? m->parts[p].segs : m->vsegs;
        size_t count = p < m->part_count ? m->parts[p].count : m->vseg_count;
        for (size_t k = 0; k < count; k++) {
            if (!list[k].tentative)
                continue;
            if (n + 1 >= cap) {
                cap *= 2;
                ids = cn_xrealloc(ids, cap * sizeof(*ids));
            }
            ids[n++] = list[k].file_id;
        }
    }
    pthread_mutex_unlock(&s->mu);
    /* the files: segments, then the blob, then the dictionaries (borrowed fds) */
    size_t nfd = n + (ck_id ? 1 : 0) + s->ndict;
    int *fds = cn_xmalloc((nfd ? nfd : 1) * sizeof(int));
    bool *owned = cn_xcalloc(nfd ? nfd : 1, sizeof(bool));
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        if (i == n && !ck_id)
            break;
        char *p = i < n ? seg_path(s, ids[i]) : ckpt_path(s, ck_id);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            rc = cn_err_set(err, -errno, "%s: %s", p, strerror(errno));
        else {
            owned[k] = true;
            fds[k++] = fd;
        }
        free(p);
    }
    for (size_t d = 0; d < s->ndict && rc == 0; d++)
        if (s->dict_fd[d] >= 0 && s->w_dict_synced[d] != s->w_dict_bytes[d])
            fds[k++] = s->dict_fd[d];
    for (size_t i = 0; i < k && rc == 0; i++)
        (void)sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fdatasync decides */
    for (size_t i = 0; i < k && rc == 0; i++)
        if (fdatasync(fds[i]) != 0)
            rc = cn_err_set(err, -errno, "%s: fdatasync: %s", s->dir, strerror(errno));
    for (size_t i = 0; i < k; i++)
        if (owned[i])
            close(fds[i]);
    if (rc == 0)
        for (size_t d = 0; d < s->ndict; d++)
            s->w_dict_synced[d] = s->w_dict_bytes[d];
    if (rc == 0 && fsync(s->dir_fd) != 0)
        rc = cn_err_set(err, -errno, "%s: fsync: %s", s->dir, strerror(errno));
    free(fds);
    free(owned);
    free(ids);
    return rc;
}

/*
 * Writes the buffers to segments and a new manifest. With ck, the manifest
 * also makes everything durable with the blob as processing's checkpoint.
 */
static int flush(cn_store_t *s, bool ck, const void *blob, size_t blob_len, cn_err_t *err)
{
    if (s->opts.read_only)
        return CN_EINVAL;
    if (s->broken)
        return s->broken;
    int rc = 0;
    size_t nbuf = s->obuf_count + 1;
    cn_store__mseg_t *newsegs = cn_xcalloc(nbuf, sizeof(*newsegs));
    bool *used = cn_xcalloc(nbuf, sizeof(bool));
    uint64_t ck_id = 0, ck_len = 0;
    uint32_t ck_crc = 0;
    cn_buf_t b = CN_BUF_INIT;

    /* 1. new dictionary entries */
    for (size_t d = 0; d < s->ndict && rc == 0; d++) {
        uint32_t len = cn_store__dict_len(s->dicts[d]);
        if (len == s->w_dict_written[d])
            continue;
        cn_buf_clear(&b);
        cn_store__dict_encode(s->dicts[d], s->w_dict_written[d], len, &s->w_dict_zctx, &b);
        rc = pwrite_all(s->dict_fd[d], b.ptr, b.len, s->w_dict_bytes[d]);
        if (rc < 0) {
            cn_err_set(err, rc, "%s/%s.dict: %s", s->dir, cn_store_dict_name((int)d),
                       cn_strerror(rc));
            break;
        }
        s->w_dict_crc[d] = cn_crc32c(s->w_dict_crc[d], b.ptr, b.len);
        s->w_dict_bytes[d] += b.len;
        s->w_dict_written[d] = len;
    }
    cn_store__seg_limits_t lim;
    memset(&lim, 0, sizeof(lim));
    for (size_t d = 0; d < s->ndict; d++)
        lim.dict_len[d] = s->w_dict_written[d];
    lim.visits = s->w_visits;
    lim.visitors = s->w_visitors;

    /* 2. segments */
    if (rc == 0 && s->vbuf && s->vbuf->rows[CN_GROUP_VISIT] > 0) {
        cn_store__seg_spec_t spec = {
            .is_visit = true, .first_row = s->vbuf->first_row, .fill = fill_membuf, .ud = s->vbuf};
        memcpy(spec.rows, s->vbuf->rows, sizeof(spec.rows));
        rc = write_segment(s, &spec, &lim, false, &newsegs[0], err);
        used[0] = rc == 0;
    }
    for (size_t i = 0; i < s->obuf_count && rc == 0; i++) {
        cn_store__membuf_t *mb = s->obufs[i].mb;
        if (mb->rows[CN_GROUP_HIT] == 0)
            continue;
        cn_store__seg_spec_t spec = {.is_visit = false,
                                     .day = mb->day,
                                     .first_row = mb->first_row,
                                     .fill = fill_membuf,
                                     .ud = mb};
        memcpy(spec.rows, mb->rows, sizeof(spec.rows));
        rc = write_segment(s, &spec, &lim, false, &newsegs[i + 1], err);
        used[i + 1] = rc == 0;
    }
    /* 3. the checkpoint blob */
    if (rc == 0 && ck && blob_len > 0) {
        ck_id = alloc_file_id(s);
        char *p = ckpt_path(s, ck_id);
        rc = cn_store__write_file(p, blob, blob_len, true);
        if (rc < 0)
            cn_err_set(err, rc, "%s: %s", p, cn_strerror(rc));
        free(p);
        ck_len = blob_len;
        ck_crc = cn_crc32c(0, blob, blob_len);
    }
    /*
     * A checkpoint makes everything written so far durable: this flush's files, the
     * segments of earlier tentative flushes, the dictionary appends, the blob and the
     * folder's entries (sync_written). A tentative flush syncs nothing but its
     * manifest: recovery drops what it wrote.
     */
    if (rc == 0 && ck && !s->opts.no_fsync)
        rc = sync_written(s, newsegs, used, nbuf, ck_id, err);
    if (rc < 0) {
        for (size_t i = 0; i < nbuf; i++)
            if (used[i]) {
                char *p = seg_path(s, newsegs[i].file_id);
                unlink(p);
                free(p);
                cn_store__seg_unref(newsegs[i].seg);
            }
        goto done;
    }

    /* 4. the manifest */
    pthread_mutex_lock(&s->mu);
    cn_store__manifest_t *m = &s->man;
    uint64_t old_ck = 0;
    if (used[0]) {
        newsegs[0].tentative = !ck;
        vseg_push(m, &newsegs[0]);
    }
    for (size_t i = 0; i < s->obuf_count; i++) {
        if (!used[i + 1])
            continue;
        newsegs[i + 1].tentative = !ck;
        part_push(part_get(m, s->obufs[i].mb->day, true), &newsegs[i + 1]);
    }
    m->visits = s->w_visits;
    m->visitors = s->w_visitors;
    for (size_t d = 0; d < s->ndict; d++) {
        cn_store__mdict_t *md = &m->dicts[s->mdict[d]];
        md->len = s->w_dict_written[d];
        md->bytes = s->w_dict_bytes[d];
        md->crc = s->w_dict_crc[d];
        if (ck) {
            md->ck_len = md->len;
            md->ck_bytes = md->bytes;
            md->ck_crc = md->crc;
        }
    }
    if (ck) {
        for (size_t k = 0; k < m->vseg_count; k++)
            m->vsegs[k].tentative = false;
        for (size_t i = 0; i < m->part_count; i++)
            for (size_t k = 0; k < m->parts[i].count; k++)
                m->parts[i].segs[k].tentative = false;
        m->ck_visits = m->visits;
        m->ck_visitors = m->visitors;
        old_ck = m->ck_file_id;
        m->ck_file_id = ck_id;
        m->ck_len = ck_len;
        m->ck_crc = ck_crc;
    }
    rc = write_manifest(s);
    if (rc < 0) {
        /* memory and disk disagree now: stop writing until reopened */
        s->broken = rc;
        pthread_mutex_unlock(&s->mu);
        cn_err_set(err, rc, "%s/MANIFEST: %s", s->dir, cn_strerror(rc));
        goto done;
    }
    /* Readers see the new segments, the dictionaries they reference and no more
     * of the buffers they came from, all at once: a snapshot published meanwhile
     * by maintenance (a merge, retention) must not pair these segments with the
     * old buffer views (rows twice) or with older dictionary lengths. */
    for (size_t v = 0; v < s->pub_view_count; v++)
        cn_store__seg_unref(s->pub_views[v]);
    s->pub_view_count = 0;
    for (size_t d = 0; d < s->ndict; d++)
        s->pub_dict_len[d] = cn_store__dict_len(s->dicts[d]);
    s->pub_visits = s->w_visits;
    s->pub_visitors = s->w_visitors;
    publish_locked(s);
    pthread_mutex_unlock(&s->mu);
    if (old_ck && old_ck != ck_id) {
        char *p = ckpt_path(s, old_ck);
        unlink(p);
        free(p);
    }

    /* 5. fresh buffers */
    if (s->vbuf) {
        uint64_t next = s->vbuf->first_row + s->vbuf->rows[CN_GROUP_VISIT];
        cn_store__membuf_unref(s->vbuf);
        s->vbuf = cn_store__membuf_new(true, 0, next);
    }
    for (size_t i = 0; i < s->obuf_count; i++)
        cn_store__membuf_unref(s->obufs[i].mb);
    s->obuf_count = 0;
    s->last_mb = NULL;
    s->buffered = 0;
    s->w_near_full = false;
    publish(s);
done:
    s->last_flush_us = cn_time_mono_us();
    cn_buf_dispose(&b);
    free(newsegs);
    free(used);
    return rc;
}

int cn_store_flush(cn_store_t *s)
{
    return flush(s, false, NULL, 0, NULL);
}

/* Sets the sink's why (cn_sink_t why) to "store of suite ID: " and the message; returns rc.
 * Only on the way out of an error. */
static int __attribute__((cold, format(printf, 3, 4)))
refuse(cn_store_t *s, int rc, const char *fmt, ...)
{
    int n = snprintf(s->w_why, sizeof(s->w_why), "store of suite %s: ", s->suite_id);
    if (n < 0 || (size_t)n >= sizeof(s->w_why))
        return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->w_why + n, sizeof(s->w_why) - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

/* The error of a store whose manifest could not be written. */
static int __attribute__((cold)) broken(cn_store_t *s)
{
    return refuse(s, s->broken,
                  "writing its manifest failed earlier (%s): it takes no more rows until it is "
                  "opened again",
                  cn_strerror(s->broken));
}

/* A flush from the sink: on an error, its message (the file and the errno's text) is the
 * sink's why. */
static int sink_flush(cn_store_t *s, bool ck, const void *blob, size_t len)
{
    cn_err_t err;
    cn_err_clear(&err);
    int rc = flush(s, ck, blob, len, &err);
    if (rc == 0)
        return 0;
    if (err.msg[0] == 0 && s->broken)
        return broken(s);
    return refuse(s, rc, "%s", cn_err_msg(&err, rc));
}

/* Periodic work at a row boundary: publish, or flush when due. */
static int tick(cn_store_t *s)
{
    if (s->broken)
        return broken(s);
    bool full = s->buffered >= s->opts.flush_rows || s->w_near_full;
    if (s->vbuf && s->vbuf->rows[CN_GROUP_VISIT] + 1 >= CN_STORE__MAX_BUFFER_ROWS)
        full = true;
    if (full)
        return sink_flush(s, false, NULL, 0);
    if ((++s->tick & 255) != 0)
        return 0;
    int64_t now = cn_time_mono_us();
    if (now - s->last_flush_us >= s->opts.flush_interval_us)
        return sink_flush(s, false, NULL, 0);
    if (now - s->last_publish_us >= PUBLISH_US)
        publish(s);
    return 0;
}

/* Adds the interning of one column's value (to ids[i]) to req when the
 * column is DICT and the value not empty (kind is a constant where this is
 * inlined). */
static inline __attribute__((always_inline)) int intern_col(cn_store_t *s, size_t col,
                                                            cn_colk_t kind, const void *f,
                                                            uint32_t *id, cn_store__dict_req_t *req,
                                                            size_t *n)
{
    if (kind != CN_COLK_DICT)
        return 0;
    cn_str_t str;
    memcpy(&str, f, sizeof(str));
    if (str.len == 0) {
        *id = 0;
        return 0;
    }
    if (str.ptr == NULL)
        return CN_EINVAL;
    req[(*n)++] = (cn_store__dict_req_t){s->dicts[s->col_dict[col]], str, s->w_cache[col], id};
    return 0;
}

/* One intern function per group, its DICT columns unrolled from columns.def:
 * ids[i] is the id of the group's column i (other entries are left alone).
 * The row's values are interned in one cn_store__dict_intern_many call (in
 * column order, up to a column in error), or one cn_store__dict_intern_cached
 * call for a single value. Inlined where the group is a constant, so that a
 * var row's value costs no call but the cache lookup's. */
_Static_assert(CN_STORE__N_VISIT <= CN_STORE__DICT_MANY && CN_STORE__N_HIT <= CN_STORE__DICT_MANY &&
                   CN_STORE__N_ITEM <= CN_STORE__DICT_MANY &&
                   CN_STORE__N_VAR <= CN_STORE__DICT_MANY &&
                   CN_STORE__N_EVENT <= CN_STORE__DICT_MANY,
               "a group's DICT columns fit one cn_store__dict_intern_many call");
#define INTERN_GROUP(fn, rowtype, COLUMNS, EACH)                                                   \
    static inline __attribute__((always_inline)) int fn(cn_store_t *s, const rowtype *row,         \
                                                        uint32_t *ids)                             \
    {                                                                                              \
        cn_store__dict_req_t req[CN_STORE__DICT_MANY];                                             \
        size_t nreq = 0;                                                                           \
        int rc = 0;                                                                                \
        COLUMNS(EACH)                                                                              \
        int irc = 0;                                                                               \
        if (nreq == 1) /* nothing to overlap: a var row's value, most often */                     \
            irc = cn_store__dict_intern_cached(req[0].d, req[0].s, req[0].cache, req[0].out);      \
        else if (nreq > 1)                                                                         \
            irc = cn_store__dict_intern_many(req, nreq);                                           \
        return irc != 0 ? irc : rc;                                                                \
    }
#define INTERN_COL(G, n, k)                                                                        \
    if (rc == 0)                                                                                   \
        rc = intern_col(s, CN_COL_##G##_##n, k, &row->n,                                           \
                        &ids[CN_COL_##G##_##n - CN_STORE__FIRST_##G], req, &nreq);
#define INTERN_VISIT(n, k, j, d) INTERN_COL(VISIT, n, k)
#define INTERN_HIT(n, k, j, d)   INTERN_COL(HIT, n, k)
#define INTERN_ITEM(n, k, j, d)  INTERN_COL(ITEM, n, k)
#define INTERN_VAR(n, k, j, d)   INTERN_COL(VAR, n, k)
#define INTERN_EVENT(n, k, j, d) INTERN_COL(EVENT, n, k)
INTERN_GROUP(intern_visit, cn_visit_row_t, CN_VISIT_COLUMNS, INTERN_VISIT)
INTERN_GROUP(intern_hit, cn_hit_row_t, CN_HIT_COLUMNS, INTERN_HIT)
INTERN_GROUP(intern_item, cn_item_row_t, CN_ITEM_COLUMNS, INTERN_ITEM)
INTERN_GROUP(intern_var, cn_var_row_t, CN_VAR_COLUMNS, INTERN_VAR)
INTERN_GROUP(intern_event, cn_event_row_t, CN_EVENT_COLUMNS, INTERN_EVENT)
#undef INTERN_GROUP
#undef INTERN_COL
#undef INTERN_VISIT
#undef INTERN_HIT
#undef INTERN_ITEM
#undef INTERN_VAR
#undef INTERN_EVENT

static inline __attribute__((always_inline)) int intern_row(cn_store_t *s, cn_store_group_t g,
                                                            const void *row, uint32_t *ids)
{
    switch (g) {
    case CN_GROUP_VISIT:
        return intern_visit(s, row, ids);
    case CN_GROUP_HIT:
        return intern_hit(s, row, ids);
    case CN_GROUP_ITEM:
        return intern_item(s, row, ids);
    case CN_GROUP_VAR:
        return intern_var(s, row, ids);
    case CN_GROUP_EVENT:
        return intern_event(s, row, ids);
    default:
        return CN_EINVAL;
    }
}

/* The sink's why when interning a row of group g failed with rc: the value too long for a
 * dictionary, or the dictionary full. */
static int __attribute__((cold, noinline))
intern_failed(cn_store_t *s, cn_store_group_t g, const void *row, int rc)
{
    cn_store_col_t first = cn_store_group_first(g);
    for (size_t c = first; c < first + cn_store_group_cols(g); c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->kind != CN_COLK_DICT)
            continue;
        cn_str_t str;
        memcpy(&str, (const char *)row + ci->row_offset, sizeof(str));
        if (str.len > CN_STORE__MAX_STR)
            return refuse(s, rc,
                          "%s.%s: a value of %zu bytes (a dictionary string is at most %u bytes)",
                          cn_store_group_name(g), ci->name, str.len, CN_STORE__MAX_STR);
        if (str.len > 0 && str.ptr == NULL)
            return refuse(s, rc, "%s.%s: a value of %zu bytes without its bytes",
                          cn_store_group_name(g), ci->name, str.len);
        if (str.len > 0 && cn_store__dict_len(s->dicts[s->col_dict[c]]) >= CN_STORE__MAX_DICT)
            return refuse(s, rc,
                          "%s.%s: dictionary %s is full (%u distinct values, the most one "
                          "holds); docs/storage.md \"When the store refuses a row\"",
                          cn_store_group_name(g), ci->name, cn_store_dict_name(s->col_dict[c]),
                          CN_STORE__MAX_DICT);
    }
    return refuse(s, rc, "a %s row's values: %s", cn_store_group_name(g), cn_strerror(rc));
}

static int sink_visit(void *ud, uint32_t visit, const cn_visit_row_t *row)
{
    cn_store_t *s = ud;
    CN_RETURN_IF_ERR(tick(s));
    if (visit != s->w_visits)
        return refuse(s, CN_EINVAL, "visit ordinal %u given where %llu was next", visit,
                      (unsigned long long)s->w_visits); /* visit ordinals are dense, in order */
    uint32_t ids[CN_COL_COUNT];
    int rc = intern_row(s, CN_GROUP_VISIT, row, ids);
    if (rc != 0)
        return intern_failed(s, CN_GROUP_VISIT, row, rc);
    if (!s->vbuf)
        s->vbuf = cn_store__membuf_new(true, 0, s->w_visits);
    cn_store__membuf_put(s->vbuf, CN_GROUP_VISIT, row, ids);
    s->w_visits++;
    if ((uint64_t)row->visitor + 1 > s->w_visitors)
        s->w_visitors = (uint64_t)row->visitor + 1;
    return 0;
}

static cn_store__membuf_t *obuf_for(cn_store_t *s, int32_t day)
{
    if (s->last_mb && s->last_mb->day == day)
        return s->last_mb;
    for (size_t i = 0; i < s->obuf_count; i++)
        if (s->obufs[i].day == day)
            return s->obufs[i].mb;
    pthread_mutex_lock(&s->mu);
    cn_store__mpart_t *p = part_get(&s->man, day, false);
    uint64_t first = 0;
    if (p && p->count > 0)
        first = p->segs[p->count - 1].first_row + p->segs[p->count - 1].rows[CN_GROUP_HIT];
    pthread_mutex_unlock(&s->mu);
    if (s->obuf_count == s->obuf_cap) {
        s->obuf_cap = s->obuf_cap ? s->obuf_cap * 2 : 4;
        s->obufs = cn_xrealloc(s->obufs, s->obuf_cap * sizeof(*s->obufs));
    }
    cn_store__membuf_t *mb = cn_store__membuf_new(false, day, first);
    s->obufs[s->obuf_count].day = day;
    s->obufs[s->obuf_count].mb = mb;
    s->obuf_count++;
    return mb;
}

static int sink_hit(void *ud, const cn_hit_row_t *row, uint32_t *out_hit)
{
    cn_store_t *s = ud;
    CN_RETURN_IF_ERR(tick(s));
    if (row->visit >= s->w_visits)
        return refuse(s, CN_EINVAL, "a hit of visit %u, before that visit's row",
                      row->visit); /* the visit must have been emitted */
    uint32_t ids[CN_COL_COUNT];
    int rc = intern_row(s, CN_GROUP_HIT, row, ids);
    if (rc != 0)
        return intern_failed(s, CN_GROUP_HIT, row, rc);
    cn_store__membuf_t *mb = obuf_for(s, cn_store__tz_day_memo(&s->tz, row->ts, &s->w_tz_memo));
    uint64_t id = mb->first_row + mb->rows[CN_GROUP_HIT];
    if (id > UINT32_MAX)
        return refuse(s, CN_ETOOBIG,
                      "the partition of day %d (days since 1970-01-01) holds %llu hits, the "
                      "most one holds",
                      mb->day, (unsigned long long)UINT32_MAX + 1);
    cn_store__membuf_put(mb, CN_GROUP_HIT, row, ids);
    if (mb->rows[CN_GROUP_HIT] + CN_STORE_PAGE_ROWS >= CN_STORE__MAX_BUFFER_ROWS)
        s->w_near_full = true;
    s->last_mb = mb;
    s->buffered++;
    *out_hit = (uint32_t)id;
    return 0;
}

_Static_assert(CN_STORE_PAGE_ROWS >= CN_SINK_HIT_CHILD_ROWS,
               "a hit's child rows fit the page a near-full buffer keeps free");

#define CHILD_MAX_COLS 8
_Static_assert(CN_STORE__N_ITEM <= CHILD_MAX_COLS && CN_STORE__N_VAR <= CHILD_MAX_COLS &&
                   CN_STORE__N_EVENT <= CHILD_MAX_COLS,
               "child rows fit the ids array");

/* Inlined in each sink function, where g is a constant. */
static inline __attribute__((always_inline)) int child(cn_store_t *s, cn_store_group_t g,
                                                       const void *row, uint32_t hit)
{
    cn_store__membuf_t *mb = s->last_mb;
    if (!mb || hit < mb->first_row || hit >= mb->first_row + mb->rows[CN_GROUP_HIT])
        return refuse(s, CN_EINVAL, "%s row of hit %u, which is not the hit written last",
                      cn_store_group_name(g), hit); /* a child row follows its hit */
    if (mb->rows[g] + 1 >= CN_STORE__MAX_BUFFER_ROWS)
        return refuse(s, CN_ETOOBIG,
                      "a hit with more %s rows than a write buffer holds (a hit has fewer "
                      "than %u)",
                      cn_store_group_name(g), CN_SINK_HIT_CHILD_ROWS);
    /* ids of the child group's DICT columns (entries of other columns stay 0) */
    uint32_t ids[CHILD_MAX_COLS] = {0};
    int rc = intern_row(s, g, row, ids);
    if (rc != 0)
        return intern_failed(s, g, row, rc);
    cn_store__membuf_put(mb, g, row, ids);
    if (mb->rows[g] + CN_STORE_PAGE_ROWS >= CN_STORE__MAX_BUFFER_ROWS)
        s->w_near_full = true;
    return 0;
}

static int sink_item(void *ud, const cn_item_row_t *row)
{
    return child(ud, CN_GROUP_ITEM, row, row->hit);
}

static int sink_var(void *ud, const cn_var_row_t *row)
{
    return child(ud, CN_GROUP_VAR, row, row->hit);
}

static int sink_event(void *ud, const cn_event_row_t *row)
{
    return child(ud, CN_GROUP_EVENT, row, row->hit);
}

static int sink_checkpoint(void *ud, const void *blob, size_t len)
{
    return sink_flush(ud, true, blob, blob ? len : 0);
}

static const char *sink_why(void *ud)
{
    cn_store_t *s = ud;
    return s->w_why;
}

cn_sink_t cn_store_sink(cn_store_t *s)
{
    CN_ASSERT(!s->opts.read_only);
    return (cn_sink_t){.ud = s,
                       .visit = sink_visit,
                       .hit = sink_hit,
                       .item = sink_item,
                       .var = sink_var,
                       .event = sink_event,
                       .checkpoint = sink_checkpoint,
                       .why = sink_why};
}

int cn_store_checkpoint_blob(cn_store_t *s, cn_buf_t *out)
{
    cn_buf_clear(out);
    pthread_mutex_lock(&s->mu);
    uint64_t id = s->man.ck_file_id, len = s->man.ck_len;
    uint32_t crc = s->man.ck_crc;
    pthread_mutex_unlock(&s->mu);
    if (id == 0)
        return 0;
    char *p = ckpt_path(s, id);
    int rc = cn_store__read_file(p, 1ull << 34, out);
    free(p);
    if (rc < 0)
        return rc;
    if (out->len != len || cn_crc32c(0, out->ptr, out->len) != crc) {
        cn_buf_clear(out);
        return CN_ECORRUPT;
    }
    return 0;
}

void cn_store_stats(cn_store_t *s, cn_store_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->mu);
    cn_store_snap_t *sn = s->snap;
    out->visits = sn->visits;
    out->visitors = sn->visitors;
    out->partitions = (uint32_t)sn->part_count;
    for (size_t i = 0; i < sn->part_count; i++)
        out->hits += sn->parts[i].hits;
    for (size_t k = 0; k < s->man.vseg_count; k++)
        out->bytes += s->man.vsegs[k].file_len;
    out->segments = (uint32_t)s->man.vseg_count;
    for (size_t i = 0; i < s->man.part_count; i++)
        for (size_t k = 0; k < s->man.parts[i].count; k++) {
            out->bytes += s->man.parts[i].segs[k].file_len;
            out->segments++;
        }
    for (size_t d = 0; d < s->man.dict_count; d++)
        out->bytes += s->man.dicts[d].bytes;
    pthread_mutex_unlock(&s->mu);
}

/* --- Maintenance --- */

typedef struct merge_src {
    cn_store_seg_t **segs;
    size_t count;
} merge_src_t;

/* Concatenates the sources' rows: group row r lives in the source whose range holds it. */
static int fill_merge(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    merge_src_t *src = ud;
    cn_store_group_t g = cn_store_col(col)->group;
    uint64_t base = 0;
    for (size_t k = 0; k < src->count && n > 0; k++) {
        uint64_t rows = src->segs[k]->rows[g];
        if (from < base + rows) {
            uint64_t off = from - base;
            size_t take = rows - off < n ? (size_t)(rows - off) : n;
            CN_RETURN_IF_ERR(cn_store__seg_read(src->segs[k], col, off, take, out, NULL));
            out += take;
            from += take;
            n -= take;
        }
        base += rows;
    }
    return n == 0 ? 0 : CN_ECORRUPT;
}

static int tier(uint64_t rows)
{
    int t = 0;
    for (rows /= 4096; rows >= 4; rows /= 4)
        t++;
    return t;
}

/*
 * Picks a run of durable segments to merge in list[0..count): every one of
 * them when `all` (a closed day), else the first run of >= 4 neighbours of
 * the same size tier. Returns the run length (0: nothing to do).
 */
static size_t pick_run(const cn_store__mseg_t *list, size_t count, bool all, cn_store_group_t g,
                       size_t *start)
{
    size_t durable = 0;
    while (durable < count && !list[durable].tentative)
        durable++;
    if (all) {
        /* a closed day: everything into one segment, compressed by a merge */
        *start = 0;
        return durable >= 2 || (durable == 1 && !list[0].final) ? durable : 0;
    }
    for (size_t i = 0; i < durable;) {
        size_t j = i + 1;
        while (j < durable && tier(list[j].rows[g]) == tier(list[i].rows[g]))
            j++;
        if (j - i >= 4) {
            *start = i;
            return j - i;
        }
        i = j;
    }
    return 0;
}

/* Merges list[start..start+len) of partition `day` (or the visit group). */
static int merge_run(cn_store_t *s, bool is_visit, int32_t day, size_t start, size_t len,
                     cn_err_t *err)
{
    /* under mu: take the sources */
    pthread_mutex_lock(&s->mu);
    cn_store__mseg_t *list;
    if (is_visit) {
        list = s->man.vsegs;
    } else {
        cn_store__mpart_t *p = part_get(&s->man, day, false);
        list = p->segs;
    }
    merge_src_t src = {cn_xcalloc(len, sizeof(cn_store_seg_t *)), len};
    uint64_t *ids = cn_xcalloc(len, sizeof(uint64_t));
    cn_store__seg_spec_t spec = {.is_visit = is_visit,
                                 .day = day,
                                 .first_row = list[start].first_row,
                                 .fill = fill_merge,
                                 .ud = &src,
                                 .zstd_level = CN_STORE__ZSTD_LEVEL};
    for (size_t k = 0; k < len; k++) {
        src.segs[k] = cn_store__seg_ref(list[start + k].seg);
        ids[k] = list[start + k].file_id;
        for (int g = 0; g < CN_GROUP_COUNT; g++)
            spec.rows[g] += list[start + k].rows[g];
    }
    cn_store__seg_limits_t lim;
    limits_of(s, &s->man, &lim);
    pthread_mutex_unlock(&s->mu);

    cn_store__mseg_t ms;
    int rc = write_segment(s, &spec, &lim, true, &ms, err);
    ms.final = true;
    if (rc == 0 && !s->opts.no_fsync && fsync(s->dir_fd) != 0)
        rc = -errno;
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        /* the run may have gone (retention) meanwhile: then drop the merge */
        cn_store__mseg_t *l2 = NULL;
        size_t *cnt = NULL;
        if (is_visit) {
            l2 = s->man.vsegs;
            cnt = &s->man.vseg_count;
        } else {
            cn_store__mpart_t *p = part_get(&s->man, day, false);
            if (p) {
                l2 = p->segs;
                cnt = &p->count;
            }
        }
        bool same = l2 && *cnt >= start + len;
        for (size_t k = 0; same && k < len; k++)
            same = l2[start + k].file_id == ids[k] && !l2[start + k].tentative;
        if (same) {
            for (size_t k = 0; k < len; k++)
                cn_store__seg_unref(l2[start + k].seg);
            l2[start] = ms;
            memmove(&l2[start + 1], &l2[start + len], (*cnt - start - len) * sizeof(*l2));
            *cnt -= len - 1;
            rc = write_manifest(s);
            if (rc < 0) {
                s->broken = rc;
                cn_err_set(err, rc, "%s/MANIFEST: %s", s->dir, cn_strerror(rc));
            } else {
                publish_locked(s);
            }
        }
        pthread_mutex_unlock(&s->mu);
        if (same && rc == 0) {
            for (size_t k = 0; k < len; k++) {
                char *p = seg_path(s, ids[k]);
                unlink(p);
                free(p);
            }
        } else if (!same) {
            char *p = seg_path(s, ms.file_id);
            unlink(p);
            free(p);
            cn_store__seg_unref(ms.seg);
        }
    }
    for (size_t k = 0; k < len; k++)
        cn_store__seg_unref(src.segs[k]);
    free(src.segs);
    free(ids);
    return rc;
}

static int apply_retention(cn_store_t *s, int64_t now_us)
{
    if (s->opts.retention_days == 0)
        return 0;
    int32_t cutoff = cn_store__tz_day(&s->tz, now_us) - (int32_t)s->opts.retention_days;
    int64_t cut_us, dummy;
    cn_store__tz_bounds(&s->tz, cutoff, &cut_us, &dummy);
    uint64_t *gone = NULL;
    size_t ngone = 0, cap = 0;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    cn_store__manifest_t *m = &s->man;
    size_t drop = 0;
    while (drop < m->part_count && m->parts[drop].day < cutoff) {
        for (size_t k = 0; k < m->parts[drop].count; k++) {
            if (ngone == cap) {
                cap = cap ? cap * 2 : 64;
                gone = cn_xrealloc(gone, cap * sizeof(*gone));
            }
            gone[ngone++] = m->parts[drop].segs[k].file_id;
            cn_store__seg_unref(m->parts[drop].segs[k].seg);
        }
        free(m->parts[drop].segs);
        drop++;
    }
    memmove(m->parts, m->parts + drop, (m->part_count - drop) * sizeof(*m->parts));
    m->part_count -= drop;
    /* visits that started more than a day before the first kept day */
    size_t vdrop = 0;
    while (vdrop + 1 < m->vseg_count && !m->vsegs[vdrop].tentative &&
           m->vsegs[vdrop].seg->cols[CN_COL_VISIT_start_ts].max < cut_us - 86400000000LL) {
        if (ngone == cap) {
            cap = cap ? cap * 2 : 64;
            gone = cn_xrealloc(gone, cap * sizeof(*gone));
        }
        gone[ngone++] = m->vsegs[vdrop].file_id;
        cn_store__seg_unref(m->vsegs[vdrop].seg);
        vdrop++;
    }
    if (vdrop) {
        memmove(m->vsegs, m->vsegs + vdrop, (m->vseg_count - vdrop) * sizeof(*m->vsegs));
        m->vseg_count -= vdrop;
        m->first_visit = m->vsegs[0].first_row;
    }
    if (drop || vdrop) {
        rc = write_manifest(s);
        if (rc < 0)
            s->broken = rc;
        else
            publish_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; rc == 0 && i < ngone; i++) {
        char *p = seg_path(s, gone[i]);
        unlink(p);
        free(p);
    }
    free(gone);
    return rc;
}

int cn_store_maintain(cn_store_t *s, int64_t now_us)
{
    if (s->opts.read_only)
        return CN_EINVAL;
    if (now_us == 0)
        now_us = cn_time_now_us();
    pthread_mutex_lock(&s->maint_mu);
    int rc = 0;
    for (int guard = 0; guard < 100000 && rc == 0; guard++) {
        bool is_visit = false;
        int32_t day = 0;
        size_t start = 0, len = 0;
        pthread_mutex_lock(&s->mu);
        if (s->broken) {
            rc = s->broken;
            pthread_mutex_unlock(&s->mu);
            break;
        }
        int32_t newest = s->man.part_count ? s->man.parts[s->man.part_count - 1].day : 0;
        for (size_t i = 0; i < s->man.part_count && len == 0; i++) {
            const cn_store__mpart_t *p = &s->man.parts[i];
            len = pick_run(p->segs, p->count, p->day < newest, CN_GROUP_HIT, &start);
            day = p->day;
        }
        if (len == 0) {
            len = pick_run(s->man.vsegs, s->man.vseg_count, false, CN_GROUP_VISIT, &start);
            /* else a flushed visit segment alone: rewritten compressed (flushes
             * write them quickly, without zstd, and visits are kept long) */
            for (size_t i = 0; len == 0 && i < s->man.vseg_count && !s->man.vsegs[i].tentative; i++)
                if (!s->man.vsegs[i].final) {
                    start = i;
                    len = 1;
                }
            is_visit = len > 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (len == 0)
            break;
        rc = merge_run(s, is_visit, day, start, len, NULL);
    }
    if (rc == 0)
        rc = apply_retention(s, now_us);
    pthread_mutex_unlock(&s->maint_mu);
    return rc;
}

static void *bg_main(void *arg)
{
    cn_store_t *s = arg;
    pthread_mutex_lock(&s->maint_mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (s->opts.maintain_interval_us % 1000000) * 1000;
        ts.tv_sec += s->opts.maintain_interval_us / 1000000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->bg_cv, &s->maint_mu, &ts);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->maint_mu);
        cn_store_maintain(s, 0);
        pthread_mutex_lock(&s->maint_mu);
    }
    pthread_mutex_unlock(&s->maint_mu);
    return NULL;
}
