/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest (docs/storage.md "Manifest"): the one file that says what the
 * store holds. It lists the live segment files of the visit group and of each
 * day, the live length and checksum of every dictionary file, the counts of
 * visits and visitors, and the checkpoint: processing's blob file and the
 * state at the moment it was taken. Segments and dictionary bytes written
 * after the checkpoint are marked tentative: recovery drops them. Each
 * dictionary is listed once, by name; a manifest that names one twice is
 * refused. The file is replaced atomically (temp file, fsync, rename, fsync of
 * the folder), so a crash leaves either the old or the new manifest, each
 * complete.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "store/internal.h"

#define MAN_MAGIC "CNSTMAN1"

static void put_seg(cn_buf_t *b, const cn_store__mseg_t *s)
{
    cn_buf_put_varint(b, s->file_id);
    cn_buf_put_varint(b, s->first_row);
    for (int g = 0; g < CN_GROUP_COUNT; g++)
        cn_buf_put_varint(b, s->rows[g]);
    cn_buf_put_varint(b, s->file_len);
    cn_buf_put_varint(b, (uint64_t)s->tentative | (uint64_t)s->final << 1);
}

void cn_store__manifest_encode(const cn_store__manifest_t *m, cn_buf_t *out)
{
    cn_buf_clear(out);
    cn_buf_append(out, MAN_MAGIC, 8);
    cn_buf_put_u32le(out, CN_STORE_FORMAT);
    uint64_t head[] = {m->generation, m->next_file_id, m->visits,     m->visitors, m->first_visit,
                       m->ck_visits,  m->ck_visitors,  m->ck_file_id, m->ck_len,   m->ck_crc};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        cn_buf_put_varint(out, head[i]);
    cn_buf_put_varint(out, m->dict_count);
    for (size_t i = 0; i < m->dict_count; i++) {
        const cn_store__mdict_t *d = &m->dicts[i];
        size_t nl = strlen(d->name);
        cn_buf_put_varint(out, nl);
        cn_buf_append(out, d->name, nl);
        cn_buf_put_varint(out, d->len);
        cn_buf_put_varint(out, d->bytes);
        cn_buf_put_varint(out, d->crc);
        cn_buf_put_varint(out, d->ck_len);
        cn_buf_put_varint(out, d->ck_bytes);
        cn_buf_put_varint(out, d->ck_crc);
    }
    cn_buf_put_varint(out, m->vseg_count);
    for (size_t i = 0; i < m->vseg_count; i++)
        put_seg(out, &m->vsegs[i]);
    cn_buf_put_varint(out, m->part_count);
    for (size_t i = 0; i < m->part_count; i++) {
        const cn_store__mpart_t *p = &m->parts[i];
        int64_t day = p->day;
        cn_buf_put_varint(out, ((uint64_t)day << 1) ^ (uint64_t)(day >> 63));
        cn_buf_put_varint(out, p->count);
        for (size_t k = 0; k < p->count; k++)
            put_seg(out, &p->segs[k]);
    }
    cn_buf_put_u32le(out, cn_crc32c(0, out->ptr, out->len));
}

typedef struct rd {
    const uint8_t *base, *p, *end;
    const char *name;
    cn_err_t *err;
} rd_t;

static int bad(rd_t *r, const char *what)
{
    return cn_err_set(r->err, CN_ECORRUPT, "%s: offset %zu: %s", r->name, (size_t)(r->p - r->base),
                      what);
}

static int v64(rd_t *r, uint64_t *v)
{
    if (cn_get_varint(&r->p, r->end, v) != 0)
        return bad(r, "bad varint (cut short, past 64 bits or not in its shortest form)");
    return 0;
}

static int v32(rd_t *r, uint32_t *v)
{
    uint64_t x;
    CN_RETURN_IF_ERR(v64(r, &x));
    if (x > UINT32_MAX)
        return bad(r, "value out of range");
    *v = (uint32_t)x;
    return 0;
}

static int get_seg(rd_t *r, cn_store__mseg_t *s)
{
    uint64_t t;
    memset(s, 0, sizeof(*s));
    CN_RETURN_IF_ERR(v64(r, &s->file_id));
    CN_RETURN_IF_ERR(v64(r, &s->first_row));
    for (int g = 0; g < CN_GROUP_COUNT; g++) {
        CN_RETURN_IF_ERR(v64(r, &s->rows[g]));
        if (s->rows[g] > CN_STORE__MAX_GROUP_ROWS)
            return bad(r, "row count out of range");
    }
    CN_RETURN_IF_ERR(v64(r, &s->file_len));
    CN_RETURN_IF_ERR(v64(r, &t));
    if (t > 3 || s->file_id == 0)
        return bad(r, "bad segment entry");
    s->tentative = (t & 1) != 0;
    s->final = (t & 2) != 0;
    return 0;
}

/* A dictionary entry's name and where the entry ends, for the duplicate check. */
typedef struct dname {
    const char *name;
    size_t end; /* offset just past the entry */
} dname_t;

static int dname_cmp(const void *a, const void *b)
{
    const dname_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x->end > y->end) - (x->end < y->end);
}

/*
 * Each dictionary name once: the store finds a domain's entry by name, so a second entry
 * of a name would be ignored (its lengths and CRC never checked) or, written back, kept
 * beside the first. The writer adds an entry only for a name it does not find. Sorted
 * copies, so that a long list costs n log n; the error is at the later entry.
 */
static int dicts_unique(rd_t *r, const cn_store__manifest_t *m, dname_t *names)
{
    qsort(names, m->dict_count, sizeof(*names), dname_cmp);
    for (size_t i = 1; i < m->dict_count; i++)
        if (strcmp(names[i - 1].name, names[i].name) == 0)
            return cn_err_set(r->err, CN_ECORRUPT, "%s: offset %zu: dictionary %s listed twice",
                              r->name, names[i].end, names[i].name);
    return 0;
}

static int count(rd_t *r, size_t *out)
{
    uint64_t n;
    CN_RETURN_IF_ERR(v64(r, &n));
    if (n > (uint64_t)(r->end - r->p))
        return bad(r, "count larger than the file");
    *out = (size_t)n;
    return 0;
}

int cn_store__manifest_parse(const uint8_t *p, size_t len, const char *name,
                             cn_store__manifest_t *m, cn_err_t *err)
{
    memset(m, 0, sizeof(*m));
    rd_t r = {p, p, p + len, name, err};
    if (len < 16 || memcmp(p, MAN_MAGIC, 8) != 0)
        return bad(&r, "not a manifest");
    uint32_t version = cn_load_u32le(p + 8);
    if (version < CN_STORE_FORMAT_MIN || version > CN_STORE_FORMAT)
        return cn_err_set(err, CN_EVERSION,
                          "%s: store format %u, this canton reads %u to %u: rebuild the store "
                          "from the hitlog with `canton reprocess --suite <suite>`",
                          name, version, CN_STORE_FORMAT_MIN, CN_STORE_FORMAT);
    if (cn_crc32c(0, p, len - 4) != cn_load_u32le(p + len - 4)) {
        r.p = p + len - 4;
        return bad(&r, "checksum mismatch");
    }
    r.p = p + 12;
    r.end = p + len - 4;
    int rc;
    dname_t *names = NULL;
    uint64_t *head[] = {&m->generation,  &m->next_file_id, &m->visits,
                        &m->visitors,    &m->first_visit,  &m->ck_visits,
                        &m->ck_visitors, &m->ck_file_id,   &m->ck_len};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        if ((rc = v64(&r, head[i])) < 0)
            goto fail;
    if ((rc = v32(&r, &m->ck_crc)) < 0)
        goto fail;
    if (m->ck_visits > m->visits || m->ck_visitors > m->visitors || m->first_visit > m->visits) {
        rc = bad(&r, "inconsistent counts");
        goto fail;
    }
    if ((rc = count(&r, &m->dict_count)) < 0)
        goto fail;
    m->dicts = cn_xcalloc(m->dict_count ? m->dict_count : 1, sizeof(*m->dicts));
    names = cn_xcalloc(m->dict_count ? m->dict_count : 1, sizeof(*names));
    for (size_t i = 0; i < m->dict_count; i++) {
        cn_store__mdict_t *d = &m->dicts[i];
        size_t nl;
        if ((rc = count(&r, &nl)) < 0)
            goto fail;
        if (nl == 0 || nl > 255) {
            rc = bad(&r, "bad dictionary name");
            goto fail;
        }
        d->name = cn_xstrndup((const char *)r.p, nl);
        r.p += nl;
        if ((rc = v32(&r, &d->len)) < 0 || (rc = v64(&r, &d->bytes)) < 0 ||
            (rc = v32(&r, &d->crc)) < 0 || (rc = v32(&r, &d->ck_len)) < 0 ||
            (rc = v64(&r, &d->ck_bytes)) < 0 || (rc = v32(&r, &d->ck_crc)) < 0)
            goto fail;
        if (d->len == 0 || d->ck_len == 0 || d->ck_len > d->len || d->ck_bytes > d->bytes ||
            d->len > CN_STORE__MAX_DICT || d->ck_bytes < CN_STORE__DICT_HEADER_LEN) {
            rc = bad(&r, "inconsistent dictionary lengths");
            goto fail;
        }
        /* a NUL in the name would cut it short: another dictionary's name */
        if (strlen(d->name) != nl) {
            rc = bad(&r, "bad dictionary name");
            goto fail;
        }
        for (char *c = d->name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
                rc = bad(&r, "bad dictionary name");
                goto fail;
            }
        names[i] = (dname_t){d->name, (size_t)(r.p - r.base)};
    }
    if ((rc = dicts_unique(&r, m, names)) < 0)
        goto fail;
    free(names);
    names = NULL;
    if ((rc = count(&r, &m->vseg_count)) < 0)
        goto fail;
    m->vseg_cap = m->vseg_count;
    m->vsegs = cn_xcalloc(m->vseg_count ? m->vseg_count : 1, sizeof(*m->vsegs));
    for (size_t i = 0; i < m->vseg_count; i++)
        if ((rc = get_seg(&r, &m->vsegs[i])) < 0)
            goto fail;
    if ((rc = count(&r, &m->part_count)) < 0)
        goto fail;
    m->part_cap = m->part_count;
    m->parts = cn_xcalloc(m->part_count ? m->part_count : 1, sizeof(*m->parts));
    for (size_t i = 0; i < m->part_count; i++) {
        cn_store__mpart_t *pt = &m->parts[i];
        uint64_t z;
        if ((rc = v64(&r, &z)) < 0)
            goto fail;
        int64_t day = (int64_t)((z >> 1) ^ (uint64_t)(-(int64_t)(z & 1)));
        if (day < INT32_MIN || day > INT32_MAX || (i > 0 && day <= m->parts[i - 1].day)) {
            rc = bad(&r, "partition days out of order");
            goto fail;
        }
        pt->day = (int32_t)day;
        if ((rc = count(&r, &pt->count)) < 0)
            goto fail;
        pt->cap = pt->count;
        pt->segs = cn_xcalloc(pt->count ? pt->count : 1, sizeof(*pt->segs));
        for (size_t k = 0; k < pt->count; k++)
            if ((rc = get_seg(&r, &pt->segs[k])) < 0)
                goto fail;
    }
    if (r.p != r.end) {
        rc = bad(&r, "trailing bytes");
        goto fail;
    }
    return 0;
fail:
    free(names);
    cn_store__manifest_dispose(m);
    return rc;
}

void cn_store__manifest_dispose(cn_store__manifest_t *m)
{
    for (size_t i = 0; i < m->dict_count; i++)
        free(m->dicts[i].name);
    free(m->dicts);
    for (size_t i = 0; i < m->vseg_count; i++)
        cn_store__seg_unref(m->vsegs[i].seg);
    free(m->vsegs);
    for (size_t i = 0; i < m->part_count; i++) {
        for (size_t k = 0; k < m->parts[i].count; k++)
            cn_store__seg_unref(m->parts[i].segs[k].seg);
        free(m->parts[i].segs);
    }
    free(m->parts);
    memset(m, 0, sizeof(*m));
}
