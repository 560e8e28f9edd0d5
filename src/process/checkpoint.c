/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creating and freeing a processor, and its checkpoint: the snapshot of
 * processing state in <data>/process/checkpoint, written atomically (temp
 * file, fsync, rename, fsync of the folder). Format (version 4, little
 * endian, varints LEB128; docs/processing.md):
 *
 *   "CNPROCK1", varint version, varint seq, u8 has_pos, varint segment,
 *   varint offset, varint bad-row log size, varint suite count, then per
 *   suite: bytes id, varint visit_count, varint pool count + bytes each,
 *   varint visitor count + per visitor (u64 key.a, u64 key.b, zigzag
 *   last_ts, varint visit_num, visit, hit_num, visit_campaign, visit_ref
 *   (version 2; version 1 has neither: they read as 0), evar count, per eVar: num,
 *   str, zigzag set_ts, set_visit, then (version 3; versions 1 and 2 read as
 *   none) merchandising binding count, per binding: evar, SKU hash (64 bits),
 *   value (pool id), zigzag set_ts, set_visit, then (version 4; older read as none)
 *   list value count, per value: list number 1..3, str, zigzag set_ts, set_visit, by
 *   list and oldest first), varint order count + keys, varint
 *   serial count + keys; finally u32 CRC32C of everything before it.
 *
 * Loading refuses, beyond bytes that do not fit this layout, visit numbers
 * that processing cannot have written (load(); docs/processing.md lists the
 * rules), with the offset and the numbers in the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrich/enrich.h"
#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "process/internal.h"

#define CK_MAGIC   "CNPROCK1"
#define CK_VERSION 4

/* --- eVar value pool --- */

/* cn__pool_intern (internal.h) past its memo: the map's probe, then a new id. */
uint32_t cn__pool_intern_slow(cn_suite_state_t *s, cn_str_t v, uint32_t *slot)
{
    if (slot == NULL) {
        if (s->pool_memo == NULL)
            s->pool_memo = cn_xcalloc(CN_POOL_MEMO, sizeof(*s->pool_memo));
        slot = &s->pool_memo[cn__str_mix(v) >> 40 & (CN_POOL_MEMO - 1)];
        if (*slot != 0 && cn_str_eq_short(cn__pool_get(s, *slot - 1), v))
            return *slot - 1;
    }
    cn_key_t k = cn_key_of(0x706f6f6c, v);
    uint32_t *id = cn_kmap_get(&s->pool_map, k);
    if (id != NULL) {
        *slot = *id + 1;
        return *id;
    }
    if (s->pool_count == s->pool_cap) {
        s->pool_cap = s->pool_cap ? s->pool_cap * 2 : 256;
        s->pool = cn_xrealloc(s->pool, s->pool_cap * sizeof(*s->pool));
    }
    uint32_t nid = (uint32_t)s->pool_count++;
    s->pool[nid] = (cn_pool_ent_t){(uint32_t)s->pool_data.len, (uint32_t)v.len};
    cn_buf_append(&s->pool_data, v.ptr, v.len);
    cn_kmap_put(&s->pool_map, k, nid);
    *slot = nid + 1;
    return nid;
}

/* --- Pools of small blocks (internal.h) --- */

void cn__bpool_init(cn_bpool_t *p, size_t size)
{
    *p = (cn_bpool_t){.size = (size + 15) & ~(size_t)15, .chunk = CN_BPOOL_CHUNK_MIN};
}

void cn__bpool_dispose(cn_bpool_t *p)
{
    for (void *c = p->chunks; c != NULL;) {
        void *prev;
        size_t len;
        memcpy(&len, (char *)c + sizeof(void *), sizeof(len));
        cn_asan_poison(c, len, false);
        memcpy(&prev, c, sizeof(prev));
        free(c);
        c = prev;
    }
    cn__bpool_init(p, p->size);
}

/*
 * A new chunk, twice the last one's size up to CN_BPOOL_CHUNK_MAX. The large chunks
 * are on huge pages: the pools of a large log's visitors grew by a 4 KiB page
 * fault at a time, two thirds of the page faults of `reprocess --all`'s pass on
 * the 1M log (perf -e page-faults), and a fault costs ~11 us of CPU on a machine
 * whose page tables the hypervisor keeps (docs/processing.md, Speed).
 */
void *cn__bpool_chunk(cn_bpool_t *p)
{
    size_t len = p->chunk;
    char *c = cn_xmalloc_huge(len, false);
    if (p->chunk < CN_BPOOL_CHUNK_MAX)
        p->chunk *= 2;
    memcpy(c, &p->chunks, sizeof(void *));
    memcpy(c + sizeof(void *), &len, sizeof(len));
    p->chunks = c;
    p->at = c + 16; /* blocks 16-byte aligned after the link and the size */
    p->end = c + len;
    cn_asan_poison(p->at, (size_t)(p->end - p->at), true);
    return cn__bpool_get(p);
}

void *cn__bpool_grow(cn_bpool_t *p, void *arr, size_t entry_size, size_t count, uint16_t *cap,
                     size_t need)
{
    if (need <= *cap)
        return arr;
    if (*cap == 0 && need <= CN_BPOOL_CAP) {
        *cap = CN_BPOOL_CAP;
        return cn__bpool_get(p);
    }
    size_t n = (size_t)*cap * 2 > need ? (size_t)*cap * 2 : need;
    CN_ASSERT(n > CN_BPOOL_CAP && n <= 0x7fff);
    void *na;
    if (*cap == CN_BPOOL_CAP || *cap == 0) {
        na = cn_xmalloc(n * entry_size);
        if (count > 0)
            memcpy(na, arr, count * entry_size);
        if (*cap == CN_BPOOL_CAP)
            cn__bpool_put(p, arr);
    } else {
        na = cn_xrealloc(arr, n * entry_size);
    }
    *cap = (uint16_t)n;
    return na;
}

/* --- The visitor table (internal.h) --- */

static void vis_init(cn_suite_state_t *s)
{
    s->vis = NULL;
    s->vis_count = s->vis_chunks = 0;
    s->vidx_bits = 10;
    s->vidx = cn_xcalloc((size_t)1 << s->vidx_bits, sizeof(*s->vidx));
    cn__bpool_init(&s->evar_pool, CN_BPOOL_CAP * sizeof(cn_evar_val_t));
}

static void vis_dispose(cn_suite_state_t *s)
{
    for (size_t i = 0; i < s->vis_count; i++) {
        const cn_visitor_t *v = cn__vis_at(s, (uint32_t)i);
        if (v->evar_cap > CN_BPOOL_CAP)
            free(v->evars); /* the pool's blocks go with its chunks */
    }
    cn__bpool_dispose(&s->evar_pool);
    free(s->vmemo);
    s->vmemo = NULL;
    for (size_t c = 0; c < s->vis_chunks && s->vis[c] != NULL; c++)
        free(s->vis[c]);
    free(s->vis);
    free(s->vidx);
    s->vis = NULL;
    s->vidx = NULL;
    s->vis_count = s->vis_chunks = 0;
}

static void vidx_insert(uint64_t *idx, unsigned bits, uint64_t slot)
{
    size_t mask = ((size_t)1 << bits) - 1;
    size_t i = (size_t)((uint32_t)(slot >> 32) >> (32 - bits));
    while (idx[i] != 0)
        i = (i + 1) & mask;
    idx[i] = slot;
}

uint32_t cn__vis_add(cn_suite_state_t *s, cn_key_t key)
{
    CN_ASSERT(s->vis_count < UINT32_MAX - 1);
    uint32_t ord = (uint32_t)s->vis_count;
    size_t c = ord >> CN_VIS_CHUNK_BITS;
    if (c == s->vis_chunks) {
        size_t n = s->vis_chunks ? s->vis_chunks * 2 : 16;
        s->vis = cn_xrealloc(s->vis, n * sizeof(*s->vis));
        memset(s->vis + s->vis_chunks, 0, (n - s->vis_chunks) * sizeof(*s->vis));
        s->vis_chunks = n;
    }
    if (s->vis[c] == NULL)
        s->vis[c] = cn_xmalloc_huge(CN_VIS_CHUNK * sizeof(cn_visitor_t), false);
    cn_visitor_t *v = cn__vis_at(s, ord);
    memset(v, 0, sizeof(*v));
    v->key = key;
    s->vis_count++;
    if (s->vis_count * 2 > ((size_t)1 << s->vidx_bits)) {
        /* double the index: its slots hold their home (the tag's top bits) */
        unsigned nbits = s->vidx_bits + 1;
        CN_ASSERT(nbits <= 32);
        uint64_t *ni = cn_xmalloc_huge(((size_t)1 << nbits) * sizeof(*ni), true);
        for (size_t i = 0; i < ((size_t)1 << s->vidx_bits); i++)
            if (s->vidx[i] != 0)
                vidx_insert(ni, nbits, s->vidx[i]);
        free(s->vidx);
        s->vidx = ni;
        s->vidx_bits = nbits;
    }
    vidx_insert(s->vidx, s->vidx_bits,
                ((uint64_t)(uint32_t)(key.a >> 32) << 32) | ((uint64_t)ord + 1));
    return ord;
}

/* --- Suite state --- */

static void suite_reset(cn_suite_state_t *s)
{
    vis_dispose(s);
    vis_init(s);
    cn__merch_free(s->merch);
    s->merch = NULL;
    s->visit_count = 0;
    cn_kmap_dispose(&s->orders);
    cn_kmap_dispose(&s->serials);
    cn_kmap_dispose(&s->pool_map);
    cn_kmap_init(&s->orders);
    cn_kmap_init(&s->serials);
    cn_kmap_init(&s->pool_map);
    free(s->pool);
    s->pool = NULL;
    s->pool_count = s->pool_cap = 0;
    free(s->pool_memo);
    s->pool_memo = NULL;
    cn_buf_clear(&s->pool_data);
}

static void suite_dispose(cn_suite_state_t *s)
{
    suite_reset(s);
    vis_dispose(s);
    cn_kmap_dispose(&s->orders);
    cn_kmap_dispose(&s->serials);
    cn_kmap_dispose(&s->pool_map);
    cn_buf_dispose(&s->pool_data);
    for (size_t i = 0; i < sizeof(s->evar) / sizeof(s->evar[0]); i++)
        free(s->evar[i].from);
    for (int i = 0; i < 76; i++)
        free(s->prop_from[i]);
}

/* --- Serialization --- */

static void put_key(cn_buf_t *b, cn_key_t k)
{
    cn_buf_put_u64le(b, k.a);
    cn_buf_put_u64le(b, k.b);
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/*
 * The checkpoint is written in pieces of about CK_PIECE bytes (its CRC
 * carried from piece to piece), so writing it takes no buffer the size of
 * the visitor table: at a million visitors that is some 25 MB every second.
 */
#define CK_PIECE (1u << 20)

typedef struct ckw {
    int fd;
    cn_buf_t b;
    uint32_t crc; /* of everything flushed */
    int rc;       /* the first write error */
} ckw_t;

static int write_all(int fd, const void *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        off += (size_t)n;
    }
    return 0;
}

static void ckw_flush(ckw_t *w)
{
    w->crc = cn_crc32c(w->crc, w->b.ptr, w->b.len);
    if (w->rc == 0)
        w->rc = write_all(w->fd, w->b.ptr, w->b.len);
    cn_buf_clear(&w->b);
}

static inline void ckw_spill(ckw_t *w)
{
    if (w->b.len >= CK_PIECE)
        ckw_flush(w);
}

static void put_set(ckw_t *w, const cn_kmap_t *m)
{
    cn_buf_put_varint(&w->b, m->count);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].used) {
            put_key(&w->b, m->slots[i].key);
            ckw_spill(w);
        }
    }
}

/* Writes the checkpoint to w->fd; returns 0 or the first write error. */
static int serialize(const cn_process_t *p, uint64_t badlog_size, ckw_t *w)
{
    cn_buf_t *b = &w->b;
    cn_buf_append(b, CK_MAGIC, 8);
    cn_buf_put_varint(b, CK_VERSION);
    cn_buf_put_varint(b, p->ck_seq);
    cn_buf_putc(b, p->has_pos ? 1 : 0);
    cn_buf_put_varint(b, p->pos.segment);
    cn_buf_put_varint(b, p->pos.offset);
    cn_buf_put_varint(b, badlog_size);
    cn_buf_put_varint(b, p->suite_count);
    for (size_t si = 0; si < p->suite_count; si++) {
        const cn_suite_state_t *s = &p->suites[si];
        cn_buf_put_varint(b, s->id.len);
        cn_buf_append_str(b, s->id);
        cn_buf_put_varint(b, s->visit_count);
        cn_buf_put_varint(b, s->pool_count);
        for (size_t i = 0; i < s->pool_count; i++) {
            cn_str_t v = cn__pool_get(s, (uint32_t)i);
            cn_buf_put_varint(b, v.len);
            cn_buf_append_str(b, v);
            ckw_spill(w);
        }
        cn_buf_put_varint(b, s->vis_count);
        for (size_t i = 0; i < s->vis_count; i++) {
            const cn_visitor_t *v = cn__vis_at(s, (uint32_t)i);
            put_key(b, v->key);
            cn_buf_put_varint(b, zz(v->last_ts));
            cn_buf_put_varint(b, v->visit_num);
            cn_buf_put_varint(b, v->visit);
            cn_buf_put_varint(b, v->hit_num);
            cn_buf_put_varint(b, v->visit_campaign);
            cn_buf_put_varint(b, v->visit_ref);
            size_t ec = 0; /* the eVars; then, after the bindings, the list values */
            while (ec < v->evar_count && v->evars[ec].num <= CN_LIST_BASE)
                ec++;
            cn_buf_put_varint(b, ec);
            for (size_t k = 0; k < ec; k++) {
                cn_buf_put_varint(b, v->evars[k].num);
                cn_buf_put_varint(b, v->evars[k].str);
                cn_buf_put_varint(b, zz(v->evars[k].set_ts));
                cn_buf_put_varint(b, v->evars[k].set_visit);
            }
            cn__merch_put(s, (uint32_t)i, b);
            cn_buf_put_varint(b, v->evar_count - ec);
            for (size_t k = ec; k < v->evar_count; k++) {
                cn_buf_put_varint(b, v->evars[k].num - CN_LIST_BASE);
                cn_buf_put_varint(b, v->evars[k].str);
                cn_buf_put_varint(b, zz(v->evars[k].set_ts));
                cn_buf_put_varint(b, v->evars[k].set_visit);
            }
            ckw_spill(w);
        }
        put_set(w, &s->orders);
        put_set(w, &s->serials);
    }
    ckw_flush(w);
    cn_buf_put_u32le(b, w->crc);
    ckw_flush(w);
    return w->rc;
}

typedef struct rd {
    const uint8_t *base, *p, *end;
    bool bad;
    size_t why_at; /* where the first inconsistency named in why was found */
    char why[160]; /* what it is; empty when the bytes simply do not decode */
} rd_t;

/* Marks the checkpoint bad for the reason given, unless it already is (the first reason is
 * the one reported). */
static void __attribute__((format(printf, 2, 3))) refuse(rd_t *r, const char *fmt, ...)
{
    if (r->bad)
        return;
    r->bad = true;
    r->why_at = (size_t)(r->p - r->base);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
}

static uint64_t rv(rd_t *r)
{
    uint64_t v = 0;
    if (!r->bad && cn_get_varint(&r->p, r->end, &v) != 0)
        refuse(r, "bad varint (cut short, past 64 bits or not in its shortest form)");
    return r->bad ? 0 : v;
}

static cn_key_t rkey(rd_t *r)
{
    if (r->bad || r->end - r->p < 16) {
        r->bad = true;
        return (cn_key_t){0, 0};
    }
    cn_key_t k = {cn_load_u64le(r->p), cn_load_u64le(r->p + 8)};
    r->p += 16;
    return k;
}

static cn_str_t rbytes(rd_t *r)
{
    uint64_t n = rv(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return CN_STR_NULL;
    }
    cn_str_t s = cn_str((const char *)r->p, (size_t)n);
    r->p += n;
    return s;
}

static void read_set(rd_t *r, cn_kmap_t *m)
{
    uint64_t n = rv(r);
    for (uint64_t i = 0; i < n && !r->bad; i++)
        cn_kmap_put(m, rkey(r), 0);
}

/*
 * Keeps, of each list's values in force read from a checkpoint (v->evars[first..evar_count),
 * by list, oldest first), the most recent as many as the list's max allows now. A checkpoint
 * written under a higher max can hold more, and list_add (process.c) trims a list only when a
 * hit sets it: trimmed here, on the way in, the values in force never exceed max. Suite
 * settings only change with a restart, and a restart reads them back through here. As max
 * keeps the most recent values, the values kept are the ones processing under the new max
 * from the start would have.
 */
static void trim_lists(const cn_suite_state_t *s, cn_visitor_t *v, size_t first)
{
    size_t out = first;
    for (size_t i = first; i < v->evar_count;) {
        unsigned n = v->evars[i].num - CN_LIST_BASE;
        size_t end = i;
        while (end < v->evar_count && v->evars[end].num == v->evars[i].num)
            end++;
        size_t max = s->list_max[n] ? s->list_max[n] : CN_LIST_MAX_VALUES;
        size_t from = end - i > max ? end - max : i;
        memmove(&v->evars[out], &v->evars[from], (end - from) * sizeof(v->evars[0]));
        out += end - from;
        i = end;
    }
    v->evar_count = (uint16_t)out;
}

/*
 * Drops, of the values in force read from a checkpoint, those that expire before the
 * visitor's next hit whatever it is: a value of an earlier visit that ends with its visit, a
 * hit-scoped one. Processing leaves none (a visit's start expires its visit-scoped values,
 * and a hit's end its hit-scoped ones); a checkpoint written under other settings can hold
 * some, and process.c runs the visit expiry only when a visit starts.
 */
static void drop_dead(const cn_suite_state_t *s, cn_visitor_t *v)
{
    size_t out = 0;
    for (size_t i = 0; i < v->evar_count; i++) {
        const cn_evar_conf_t *c = &s->evar[v->evars[i].num];
        if ((c->exp == CN_EXP_VISIT && v->evars[i].set_visit != v->visit_num) ||
            c->exp == CN_EXP_HIT)
            continue;
        v->evars[out++] = v->evars[i];
    }
    v->evar_count = (uint16_t)out;
}

static int load(cn_process_t *p, const char *path, uint64_t *badlog_size, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_buf_append_file(&b, path, 0);
    if (rc != 0) {
        cn_buf_dispose(&b);
        return rc == -ENOENT ? 0 : cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    }
    if (b.len < 12 || memcmp(b.ptr, CK_MAGIC, 8) != 0 ||
        cn_crc32c(0, b.ptr, b.len - 4) != cn_load_u32le(b.ptr + b.len - 4)) {
        rc = cn_err_set(err, CN_ECORRUPT, "%s: not a checkpoint or damaged", path);
        goto out;
    }
    rd_t r = {.base = (const uint8_t *)b.ptr,
              .p = (const uint8_t *)b.ptr + 8,
              .end = (const uint8_t *)b.ptr + b.len - 4};
    uint64_t version = rv(&r);
    if (version < 1 || version > CK_VERSION) {
        rc = cn_err_set(err, CN_EVERSION, "%s: unknown checkpoint version", path);
        goto out;
    }
    p->ck_seq = rv(&r);
    if (r.p >= r.end) {
        r.bad = true;
    } else {
        p->has_pos = *r.p++ != 0;
    }
    p->pos.segment = (uint32_t)rv(&r);
    p->pos.offset = rv(&r);
    *badlog_size = rv(&r);
    uint64_t sc = rv(&r);
    for (uint64_t si = 0; si < sc && !r.bad; si++) {
        cn_str_t id = rbytes(&r);
        cn_suite_state_t *s = NULL, dummy;
        for (size_t i = 0; i < p->suite_count; i++) {
            if (cn_str_eq(p->suites[i].id, id))
                s = &p->suites[i];
        }
        if (s == NULL) {
            /* a suite no longer configured: read past its state */
            memset(&dummy, 0, sizeof(dummy));
            cn_buf_init(&dummy.pool_data);
            vis_init(&dummy);
            cn_kmap_init(&dummy.orders);
            cn_kmap_init(&dummy.serials);
            cn_kmap_init(&dummy.pool_map);
            s = &dummy;
        }
        suite_reset(s);
        /* the suite's id, as a string for the messages below: at most 64 bytes of it */
        int idl = id.len > 64 ? 64 : (int)id.len;
        uint64_t visit_count = rv(&r);
        if (visit_count > UINT32_MAX)
            refuse(&r, "suite %.*s: visit count %" PRIu64 " out of range", idl, id.ptr,
                   visit_count);
        s->visit_count = (uint32_t)visit_count;
        /* The visits of the suite's visitors, checked against its visit count: processing
         * starts a visit with visit_num++ and visit = visit_count++ together (process.c), and
         * never drops a visitor, so each visitor has visit numbers 1..visit_num with its
         * current visit's ordinal below visit_count, and their visit numbers add up to
         * visit_count. A value in force was set in one of the visitor's visits so far. */
        uint64_t visit_sum = 0;
        uint64_t pc = rv(&r);
        for (uint64_t i = 0; i < pc && !r.bad; i++) {
            cn_str_t v = rbytes(&r);
            /* the writer's pool holds each value once, in id order: a value twice would
             * shift the ids of the values after it onto other values */
            if (!r.bad && cn__pool_intern(s, v) != i)
                r.bad = true;
        }
        uint64_t vc = rv(&r);
        if (vc > (uint64_t)(r.end - r.p))
            r.bad = true;
        for (uint64_t i = 0; i < vc && !r.bad; i++) {
            cn_key_t key = rkey(&r);
            if (r.bad)
                break;
            if (cn__vis_find(s, key) != UINT32_MAX) {
                r.bad = true; /* a visitor twice */
                break;
            }
            uint32_t ord = cn__vis_add(s, key);
            cn_visitor_t *v = cn__vis_at(s, ord);
            v->last_ts = unzz(rv(&r));
            uint64_t visit_num = rv(&r), visit = rv(&r);
            if (!r.bad && (visit_num == 0 || visit_num > s->visit_count))
                refuse(&r,
                       "suite %.*s: a visitor's visit number %" PRIu64 " is not in 1..%" PRIu32
                       " (the visits started)",
                       idl, id.ptr, visit_num, s->visit_count);
            if (!r.bad && visit >= s->visit_count)
                refuse(&r,
                       "suite %.*s: a visitor's current visit %" PRIu64
                       " is not below the visit count %" PRIu32,
                       idl, id.ptr, visit, s->visit_count);
            visit_sum += visit_num;
            v->visit_num = (uint32_t)visit_num;
            v->visit = (uint32_t)visit;
            v->hit_num = (uint32_t)rv(&r);
            if (version >= 2) {
                v->visit_campaign = (uint32_t)rv(&r);
                v->visit_ref = (uint32_t)rv(&r);
                if (v->visit_campaign > s->pool_count || v->visit_ref > s->pool_count)
                    r.bad = true;
            }
            uint64_t ec = rv(&r);
            if (ec > 250) {
                r.bad = true;
                break;
            }
            cn__evars_grow(s, v, (size_t)ec);
            v->evar_count = (uint16_t)ec;
            for (uint64_t k = 0; k < ec; k++) {
                v->evars[k].num = (uint16_t)rv(&r);
                v->evars[k].str = (uint32_t)rv(&r);
                v->evars[k].set_ts = unzz(rv(&r));
                uint64_t set_visit = rv(&r);
                if (v->evars[k].num == 0 || v->evars[k].num > 250 ||
                    v->evars[k].str >= s->pool_count)
                    r.bad = true;
                if (set_visit > v->visit_num)
                    refuse(&r,
                           "suite %.*s: an eVar set in visit %" PRIu64
                           " of a visitor at visit %" PRIu32,
                           idl, id.ptr, set_visit, v->visit_num);
                v->evars[k].set_visit = (uint32_t)set_visit;
            }
            /* merchandising bindings (version 3; older checkpoints have none) */
            uint64_t mc = version >= 3 ? rv(&r) : 0;
            if (mc > CN_MERCH_MAX)
                r.bad = true;
            for (uint64_t k = 0; k < mc && !r.bad; k++) {
                uint64_t n = rv(&r), sku = rv(&r), val = rv(&r);
                int64_t set_ts = unzz(rv(&r));
                uint64_t set_visit = rv(&r);
                if (!r.bad && set_visit > v->visit_num)
                    refuse(&r,
                           "suite %.*s: a merchandising binding set in visit %" PRIu64
                           " of a visitor at visit %" PRIu32,
                           idl, id.ptr, set_visit, v->visit_num);
                if (r.bad || n > 250 || val > UINT32_MAX ||
                    cn__merch_restore(s, ord, (unsigned)n, sku, (uint32_t)val, set_ts,
                                      (uint32_t)set_visit) != 0)
                    r.bad = true;
            }
            /* list values in force (version 4; older checkpoints have none): by list, oldest
             * first, after the eVars in the visitor's array */
            uint64_t lc = version >= 4 ? rv(&r) : 0;
            if (lc > 3 * CN_LIST_MAX_VALUES) {
                r.bad = true;
                break;
            }
            if (lc > 0)
                cn__evars_grow(s, v, (size_t)(ec + lc));
            unsigned last = 0, run = 0;
            for (uint64_t k = 0; k < lc && !r.bad; k++) {
                uint64_t n = rv(&r), str = rv(&r);
                int64_t set_ts = unzz(rv(&r));
                uint64_t set_visit = rv(&r);
                run = n == last ? run + 1 : 1;
                if (!r.bad && set_visit > v->visit_num)
                    refuse(&r,
                           "suite %.*s: a list value set in visit %" PRIu64
                           " of a visitor at visit %" PRIu32,
                           idl, id.ptr, set_visit, v->visit_num);
                if (r.bad || n < last || n < 1 || n > 3 || str >= s->pool_count ||
                    run > CN_LIST_MAX_VALUES) {
                    r.bad = true;
                    break;
                }
                last = (unsigned)n;
                v->evars[v->evar_count++] = (cn_evar_val_t){
                    (uint16_t)(CN_LIST_BASE + n), (uint32_t)str, set_ts, (uint32_t)set_visit};
            }
            if (lc > 0 && !r.bad)
                trim_lists(s, v, (size_t)ec);
            if (!r.bad)
                drop_dead(s, v);
        }
        if (!r.bad && visit_sum != s->visit_count)
            refuse(&r,
                   "suite %.*s: the visitors' visit numbers add up to %" PRIu64
                   ", not the visit count %" PRIu32,
                   idl, id.ptr, visit_sum, s->visit_count);
        read_set(&r, &s->orders);
        read_set(&r, &s->serials);
        if (s == &dummy)
            suite_dispose(&dummy);
    }
    if (r.bad && r.why[0] != '\0')
        rc = cn_err_set(err, CN_ECORRUPT, "%s: checkpoint does not decode: offset %zu: %s", path,
                        r.why_at, r.why);
    else if (r.bad || r.p != r.end)
        rc = cn_err_set(err, CN_ECORRUPT, "%s: checkpoint does not decode", path);
out:
    cn_buf_dispose(&b);
    return rc;
}

/* Creates dir/name.tmp; returns an fd or a negated errno. */
static int tmp_open(const char *dir, const char *name)
{
    char tmp[4096 + 64];
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

/* Makes dir/name.tmp (written to fd, which this closes) durable as dir/name; rc: how writing went.
 */
static int tmp_commit(const char *dir, const char *name, int fd, int rc)
{
    char tmp[4096 + 64], path[4096 + 64];
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp); /* a failed write leaves nothing behind */
        return rc;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    int fd = tmp_open(dir, name);
    if (fd < 0)
        return fd;
    return tmp_commit(dir, name, fd, write_all(fd, data, len));
}

/* --- The sinks' blob: "CNPROCK1", u64le seq, u32le segment, u64le offset --- */

#define BLOB_LEN 28

static void blob_make(uint8_t blob[BLOB_LEN], uint64_t seq, cn_hitlog_pos_t pos)
{
    memcpy(blob, CK_MAGIC, 8);
    for (int i = 0; i < 8; i++) {
        blob[8 + i] = (uint8_t)(seq >> (8 * i));
        blob[20 + i] = (uint8_t)(pos.offset >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        blob[16 + i] = (uint8_t)(pos.segment >> (8 * i));
}

/* 0 and the blob's fields; 1 when the blob is empty; CN_ECORRUPT when it is not a blob. */
static int blob_parse(const cn_buf_t *b, uint64_t *seq, cn_hitlog_pos_t *pos)
{
    if (b->len == 0)
        return 1;
    if (b->len != BLOB_LEN || memcmp(b->ptr, CK_MAGIC, 8) != 0)
        return CN_ECORRUPT;
    const uint8_t *u = (const uint8_t *)b->ptr;
    *seq = cn_load_u64le(u + 8);
    pos->segment = cn_load_u32le(u + 16);
    pos->offset = cn_load_u64le(u + 20);
    return 0;
}

/* A sink that drops rows: what a suppressed suite emits to. */
static int null_visit(void *ud, uint32_t visit, const cn_visit_row_t *row)
{
    (void)ud, (void)visit, (void)row;
    return 0;
}
static int null_hit(void *ud, const cn_hit_row_t *row, uint32_t *out_hit)
{
    (void)ud, (void)row;
    *out_hit = 0;
    return 0;
}
static int null_item(void *ud, const cn_item_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}
static int null_var(void *ud, const cn_var_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}
static int null_event(void *ud, const cn_event_row_t *row)
{
    (void)ud, (void)row;
    return 0;
}
const cn_sink_t cn__null_sink = {NULL,     null_visit, null_hit, null_item,
                                 null_var, null_event, NULL,     NULL};

void cn__suite_unsuppress(cn_suite_state_t *s, cn_hitlog_pos_t pos)
{
    if (s->suppress && !cn__pos_le(pos, s->suppress_to)) {
        s->suppress = false;
        s->sink = s->real_sink;
    }
}

/* The debug line of a checkpoint: where, how many visitors its state holds, how long. */
static void log_checkpoint(const cn_process_t *p, cn_hitlog_pos_t at, bool file, int64_t t0)
{
    size_t visitors = 0;
    for (size_t i = 0; i < p->suite_count; i++)
        visitors += p->suites[i].vis_count;
    cn_log_debug("checkpoint written", "pos=%u:%llu visitors=%zu file=%s ms=%.1f", at.segment,
                 (unsigned long long)at.offset, visitors, file ? "yes" : "no",
                 (double)(cn_time_mono_us() - t0) / 1000.0);
}

int cn_process_checkpoint(cn_process_t *p)
{
    int64_t t0 = cn_log_enabled(CN_LOG_DEBUG) ? cn_time_mono_us() : 0;
    int rc;
    p->ck_why[0] = 0;
    if (p->badlog != NULL && (rc = cn_badlog_sync(p->badlog)) != 0) {
        snprintf(p->ck_why, sizeof(p->ck_why), "%s/badrows/badrows.log: %s", p->data_dir,
                 cn_strerror(rc));
        return rc;
    }
    p->ck_seq++;
    /* 1. The sinks first: the file below is never ahead of any sink. A
     * reprocessing pass gives its sink the last position it read. */
    cn_hitlog_pos_t at = p->only_suite != NULL ? (p->has_last ? p->last : (cn_hitlog_pos_t){0, 0})
                                               : (p->has_pos ? p->pos : (cn_hitlog_pos_t){0, 0});
    if (p->only_suite != NULL && p->has_limit)
        at = p->limit;
    uint8_t blob[BLOB_LEN];
    blob_make(blob, p->ck_seq, at);
    for (size_t i = 0; i < p->suite_count; i++) {
        cn_suite_state_t *s = &p->suites[i];
        if (p->only_suite != NULL && !cn_str_eq_c(s->id, p->only_suite))
            continue;
        if (s->suppress)
            cn__suite_unsuppress(s, at);
        if (s->suppress)
            continue; /* its sink is still ahead of this checkpoint */
        if (s->sink.checkpoint != NULL &&
            (rc = s->sink.checkpoint(s->sink.ud, blob, sizeof(blob))) != 0)
            return rc;
    }
    /* 2. The file. Reprocessing with no live checkpoint to align with keeps none. */
    bool write_file = !p->no_ck_file && !p->dry_run && !(p->only_suite != NULL && !p->has_limit);
    if (write_file) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/process", p->data_dir);
        int fd = tmp_open(dir, "checkpoint");
        if (fd >= 0) {
            ckw_t w = {.fd = fd, .b = CN_BUF_INIT};
            cn_buf_reserve(&w.b, CK_PIECE + 4096);
            rc = serialize(p, p->badlog ? cn_badlog_size(p->badlog) : p->badlog_size, &w);
            cn_buf_dispose(&w.b);
            rc = tmp_commit(dir, "checkpoint", fd, rc);
        }
        if ((rc = fd < 0 ? fd : rc) != 0) {
            snprintf(p->ck_why, sizeof(p->ck_why), "%s/checkpoint: %s", dir, cn_strerror(rc));
            return rc;
        }
    }
    p->dirty = false;
    p->stats.checkpoints++;
    if (cn_log_enabled(CN_LOG_DEBUG))
        log_checkpoint(p, at, write_file, t0);
    return 0;
}

/*
 * Reconciles the checkpoint file with the sinks' durable blobs. The file is
 * written after the sinks, so a sink is at the file's position or ahead of
 * it: a suite whose sink is ahead is suppressed until the hitlog passes the
 * sink's position (processing is deterministic: the rows it would emit are
 * the ones the sink holds). A sink behind the file lost rows outside
 * processing's control (a store deleted or restored): logged, and left to
 * `canton reprocess --suite S`.
 */
static int reconcile(cn_process_t *p, const cn_sink_factory_t *factory, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < p->suite_count; i++) {
        cn_suite_state_t *s = &p->suites[i];
        uint64_t seq = 0;
        cn_hitlog_pos_t at = {0, 0};
        if ((rc = factory->blob(factory->ud, s->conf, &b)) != 0) {
            cn_err_set(err, rc, "checkpoint blob of suite %s: %s", s->conf->id, cn_strerror(rc));
            break;
        }
        int pr = blob_parse(&b, &seq, &at);
        if (pr == CN_ECORRUPT) {
            rc = cn_err_set(err, CN_ECORRUPT,
                            "suite %s: its store's checkpoint blob is not processing's",
                            s->conf->id);
            break;
        }
        if (pr == 1 || at.segment == 0) {
            if (p->has_pos)
                cn_log_warn(
                    "a suite's store has no checkpoint but processing has: rows before "
                    "the checkpoint are missing there (canton reprocess --suite rebuilds it)",
                    "suite=%s", s->conf->id);
            continue;
        }
        if (seq > p->ck_seq)
            p->ck_seq = seq;
        if (p->has_pos && cn__pos_le(at, p->pos)) {
            if (at.segment != p->pos.segment || at.offset != p->pos.offset)
                cn_log_warn("a suite's store is behind processing's checkpoint: rows are missing "
                            "there (canton reprocess --suite rebuilds it)",
                            "suite=%s store_pos=%u:%llu pos=%u:%llu", s->conf->id, at.segment,
                            (unsigned long long)at.offset, p->pos.segment,
                            (unsigned long long)p->pos.offset);
            continue;
        }
        s->suppress = true;
        s->suppress_to = at;
        s->sink = cn__null_sink;
        cn_log_info("a suite's store is ahead of processing's checkpoint: its rows are suppressed "
                    "until the hitlog passes its position",
                    "suite=%s store_pos=%u:%llu", s->conf->id, at.segment,
                    (unsigned long long)at.offset);
    }
    cn_buf_dispose(&b);
    return rc;
}

/* --- Creating and freeing --- */

static int mkdir_p(const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int cn_process_new(const cn_conf_t *conf, cn_enrich_t *e, const char *data_dir,
                   const cn_sink_factory_t *factory, const cn_process_opts_t *opts,
                   cn_process_t **out, cn_err_t *err)
{
    cn_process_opts_t defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    cn_process_t *p = cn_xcalloc(1, sizeof(*p));
    p->conf = conf;
    p->data_dir = cn_xstrdup(data_dir);
    p->only_suite = opts->only_suite ? cn_xstrdup(opts->only_suite) : NULL;
    p->no_ck_file = opts->no_checkpoint_file;
    p->dry_run = opts->dry_run;
    p->checkpoint_us = opts->checkpoint_us > 0 ? opts->checkpoint_us : 1000000;
    p->threads = opts->threads;
    p->salt_clock = opts->salt_clock && opts->only_suite == NULL && !opts->dry_run;
    cn_dbatch_init(&p->batch);
    cn_buf_init(&p->recbuf);
    int rc = 0;
    char path[4096];
    if ((rc = mkdir_p(data_dir)) != 0) {
        cn_err_set(err, rc, "%s: %s", data_dir, cn_strerror(rc));
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/process", data_dir);
    if ((rc = mkdir_p(path)) != 0) {
        cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
        goto fail;
    }
    if (p->only_suite != NULL &&
        cn_conf_suite(conf, opts->only_suite, strlen(opts->only_suite)) == NULL) {
        rc = cn_err_set(err, CN_ENOTFOUND, "suite '%s' is not configured", opts->only_suite);
        goto fail;
    }
    p->suite_count = conf->suite_count;
    p->suites = cn_xcalloc(conf->suite_count ? conf->suite_count : 1, sizeof(*p->suites));
    int64_t retention = 2;
    for (size_t i = 0; i < conf->suite_count; i++) {
        cn_suite_state_t *s = &p->suites[i];
        const cn_suite_conf_t *sc = &conf->suites[i];
        s->conf = sc;
        s->id = cn_str_c(sc->id);
        s->base = cn_str_c(sc->currency);
        s->home = cn_str_c(sc->home_country);
        vis_init(s);
        cn_kmap_init(&s->orders);
        cn_kmap_init(&s->serials);
        cn_kmap_init(&s->pool_map);
        cn_buf_init(&s->pool_data);
        if ((rc = cn__process_suite_conf(s, sc, err)) != 0)
            goto fail;
        for (int k = 1; k <= 250; k++)
            s->has_from |= s->evar[k].from != NULL;
        for (int k = 1; k <= 75; k++)
            s->has_from |= s->prop_from[k] != NULL;
        if ((rc = cn__process_salt_retention(sc, &retention, err)) != 0)
            goto fail;
    }
    snprintf(path, sizeof(path), "%s/rates.csv", data_dir);
    if ((rc = cn_rates_load(path, &p->rates, err)) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/salts", data_dir);
    if ((rc = cn_salts_open(path, retention, &p->salts, err)) != 0)
        goto fail;
    uint64_t badlog_keep = 0;
    if (!opts->from_scratch || p->only_suite != NULL) {
        snprintf(path, sizeof(path), "%s/process/checkpoint", data_dir);
        if ((rc = load(p, path, &badlog_keep, err)) != 0)
            goto fail;
        p->badlog_size = badlog_keep;
    }
    if (p->only_suite != NULL) {
        /* reprocess one suite: fresh state for it, replay up to the live checkpoint */
        for (size_t i = 0; i < p->suite_count; i++) {
            if (cn_str_eq_c(p->suites[i].id, p->only_suite))
                suite_reset(&p->suites[i]);
        }
        p->has_limit = p->has_pos;
        p->limit = p->pos;
    } else if (!opts->dry_run) {
        snprintf(path, sizeof(path), "%s/badrows", data_dir);
        if ((rc = cn_badlog_open(path, badlog_keep, &p->badlog, err)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < p->suite_count; i++) {
        cn_suite_state_t *s = &p->suites[i];
        if ((rc = factory->open(factory->ud, s->conf, &s->sink)) != 0) {
            cn_err_set(err, rc, "sink for suite %s: %s", s->conf->id, cn_strerror(rc));
            goto fail;
        }
        s->real_sink = s->sink;
    }
    if (factory->blob != NULL && p->only_suite == NULL && !opts->from_scratch &&
        (rc = reconcile(p, factory, err)) != 0)
        goto fail;
    if (e != NULL)
        p->et = cn_enrich_thread_new(e);
    p->enrich = e;
    *out = p;
    return 0;
fail:
    cn_process_free(p);
    return rc;
}

void cn_process_free(cn_process_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->suite_count; i++)
        suite_dispose(&p->suites[i]);
    free(p->suites);
    cn__pipe_free(p->pipe);
    cn__group_free(p->grp);
    if (p->et != NULL)
        cn_enrich_thread_free(p->et);
    cn_enrich_unref(atomic_exchange(&p->enrich_next, NULL)); /* a reload never taken */
    cn_rates_free(p->rates);
    cn_salts_free(p->salts);
    cn_badlog_close(p->badlog);
    cn_dbatch_dispose(&p->batch);
    cn_buf_dispose(&p->recbuf);
    free(p->ckmemo);
    free(p->tmp_items);
    free(p->tmp_events);
    free(p->only_suite);
    free(p->data_dir);
    free(p);
}

int cn_process_rates_import(const char *data_dir, const char *csv_path, size_t *out_count,
                            cn_err_t *err)
{
    /* the bytes checked are the bytes installed: the file is read once */
    cn_buf_t b = CN_BUF_INIT;
    int rc = cn_buf_append_file(&b, csv_path, 0);
    if (rc != 0) {
        cn_buf_dispose(&b);
        return cn_err_set(err, rc, "%s: %s", csv_path, cn_strerror(rc));
    }
    cn_rates_t *r;
    if ((rc = cn_rates_parse(b.ptr ? b.ptr : "", b.len, &r, err)) != 0) {
        cn_buf_dispose(&b);
        if (err != NULL) {
            char msg[sizeof(err->msg)]; /* every message names the file */
            memcpy(msg, err->msg, sizeof(msg));
            cn_err_set(err, rc, "%s: %s", csv_path, msg);
        }
        return rc;
    }
    *out_count = cn_rates_count(r);
    cn_rates_free(r);
    if (*out_count == 0) {
        /* A table without rates would leave every foreign amount unconvertible: almost
         * always the wrong file, so it is refused rather than installed. (Processing still
         * reads an installed file without rates as an empty table.) */
        cn_buf_dispose(&b);
        return cn_err_set(err, CN_EPARSE,
                          "%s: no rate lines: want date,currency,rate lines like "
                          "2026-01-31,USD,7.1234",
                          csv_path);
    }
    if ((rc = mkdir_p(data_dir)) == 0)
        rc = write_atomic(data_dir, "rates.csv", b.ptr ? b.ptr : "", b.len);
    cn_buf_dispose(&b);
    if (rc != 0)
        return cn_err_set(err, rc, "%s/rates.csv: %s", data_dir, cn_strerror(rc));
    return 0;
}
