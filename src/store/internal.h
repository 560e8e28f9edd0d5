/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/store: the pieces store.c is built from. docs/storage.md
 * describes the file formats these functions read and write.
 *
 *   codec.c     page encodings (const, bit-packed, run-length, delta varint, zstd)
 *   segment.c   segment files: write from a column source, open from bytes, decode
 *   vardiff.c   the var group stored as changes from the previous hit of the visit
 *   dict.c      dictionaries: in-memory string <-> id, append-only file
 *   manifest.c  the manifest: live segments, dictionary lengths, checkpoint
 *   tz.c        UTC offsets of a time zone, local days
 *   catalog.c   the column catalogue generated from hit/columns.def
 */
#ifndef CN_STORE_INTERNAL_H
#define CN_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "store/store.h"

/* --- Limits (on-disk values beyond them are corrupt) --- */

#define CN_STORE__MAX_STR        (1u << 20)   /* one dictionary string */
#define CN_STORE__MAX_DICT       (1u << 28)   /* entries of one dictionary */
#define CN_STORE__MAX_GROUP_ROWS (1ull << 32) /* rows of one group in a segment */
#define CN_STORE__MAX_RAW_PAGE   (CN_STORE_PAGE_ROWS * 10u + 16u)

/* --- Catalogue --- */

/* Element size in memory of a column kind: 8 (TS, MONEY), 4 (DICT, U32), 1 (U8). */
size_t cn_store__kind_size(cn_colk_t kind);
/* Smallest and largest value a kind may hold. */
void cn_store__kind_range(cn_colk_t kind, int64_t *min, int64_t *max);

/* Keys of KEYED pages: a column of the same group (>= 0), none, or the
 * derived key of var.value: (var.var, hit.visit of var.hit), falling back to
 * (var.var, hit.page of var.hit), named "var@visit/page" in segment footers. */
#define CN_STORE__KEY_NONE           (-1)
#define CN_STORE__KEY_VAR_VISIT      (-2)
#define CN_STORE__KEY_VAR_VISIT_NAME "var@visit/page"
/* Format 3: var.var keyed by (visit, events, type, the var before it in its
 * hit), falling back to (events, type, the var before it); item.sku keyed by (page, slot of the row
 * in its hit), falling back to (visit, slot). */
#define CN_STORE__KEY_VAR_SLOT       (-3)
#define CN_STORE__KEY_VAR_SLOT_NAME  "next@visit/events"
#define CN_STORE__KEY_ITEM_PAGE      (-4)
#define CN_STORE__KEY_ITEM_PAGE_NAME "slot@page/visit"
/* The key the writer uses for col's KEYED pages (a cn_store_col_t or CN_STORE__KEY_*). */
int cn_store__col_key(cn_store_col_t col);
/* The footer name of a derived key (< CN_STORE__KEY_NONE); "" for none. */
const char *cn_store__key_name(int key);
/* The derived key named name that col may have, or CN_STORE__KEY_NONE. */
int cn_store__key_find(cn_store_col_t col, cn_str_t name);

/* The first column of each group and its column count, at compile time
 * (the catalogue lists the groups' columns consecutively in this order). */
#define CN_STORE__COUNT_COL(n, k, j, d) +1
enum {
    CN_STORE__N_VISIT = 0 CN_VISIT_COLUMNS(CN_STORE__COUNT_COL),
    CN_STORE__N_HIT = 0 CN_HIT_COLUMNS(CN_STORE__COUNT_COL),
    CN_STORE__N_ITEM = 0 CN_ITEM_COLUMNS(CN_STORE__COUNT_COL),
    CN_STORE__N_VAR = 0 CN_VAR_COLUMNS(CN_STORE__COUNT_COL),
    CN_STORE__N_EVENT = 0 CN_EVENT_COLUMNS(CN_STORE__COUNT_COL),
    CN_STORE__FIRST_VISIT = 0,
    CN_STORE__FIRST_HIT = CN_STORE__FIRST_VISIT + CN_STORE__N_VISIT,
    CN_STORE__FIRST_ITEM = CN_STORE__FIRST_HIT + CN_STORE__N_HIT,
    CN_STORE__FIRST_VAR = CN_STORE__FIRST_ITEM + CN_STORE__N_ITEM,
    CN_STORE__FIRST_EVENT = CN_STORE__FIRST_VAR + CN_STORE__N_VAR,
};
#undef CN_STORE__COUNT_COL
_Static_assert(CN_STORE__FIRST_EVENT + CN_STORE__N_EVENT == CN_COL_COUNT,
               "column groups are consecutive");
_Static_assert((int)CN_COL_HIT_ts == (int)CN_STORE__FIRST_HIT,
               "hit columns follow the visit columns");

/* --- Codec: one page of int64 values --- */

enum {
    CN_STORE__ENC_CONST = 0,
    CN_STORE__ENC_BITPACK = 1,
    CN_STORE__ENC_RLE = 2,
    CN_STORE__ENC_DELTA = 3,
    CN_STORE__ENC_RICE = 4,  /* width: the Rice parameter k (0..63) */
    CN_STORE__ENC_LOCAL = 5, /* width: 8 or 16, bytes per local id */
    CN_STORE__ENC_KEYED = 6, /* width: bits per explicit value; needs the key column's page */
    CN_STORE__ENC_SRICE = 7, /* format 3: RICE of the differences divided by their common factor */
    CN_STORE__ENC_KEYED_NEXT = 8, /* format 3: KEYED predicting the key's last value + 1 */
    CN_STORE__ENC_REF = 9,   /* format 4: distance back to the row of the same value (width: k) */
    CN_STORE__ENC_HUFF = 10, /* format 5: canonical Huffman code (width: the longest code) */
    CN_STORE__ENC_MAX = CN_STORE__ENC_HUFF,
};

typedef struct cn_store__page {
    uint32_t rows;
    uint8_t enc;
    uint8_t width;    /* BITPACK, KEYED(_NEXT): bits per value, 1..64; (S)RICE: k; LOCAL: 8 or 16;
                         HUFF: the longest code, 1..20 */
    uint8_t zstd;     /* 1: payload is zstd-compressed */
    int64_t base;     /* value subtracted before packing (the page minimum) */
    uint32_t raw_len; /* payload length before zstd */
    uint32_t stored_len;
} cn_store__page_t;

/* Encodes v[0..n) (n >= 1): appends the stored payload to out and fills *pg.
 * zstd_level 0 (or zctx NULL): no zstd; else zstd candidates compressed with zctx. */
void cn_store__page_encode(const int64_t *v, uint32_t n, int zstd_level, cn_buf_t *out,
                           cn_store__page_t *pg, void *zctx);
/* The same, where keys (NULL: none) are the rows' values of the column's key
 * and keys2 (NULL: none) those of a fallback key, used for a row whose key
 * was not seen before in the page: with zstd, KEYED is tried too. */
void cn_store__page_encode_keyed(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                 uint32_t n, int zstd_level, cn_buf_t *out, cn_store__page_t *pg,
                                 void *zctx);
/* KEYED predictors (docs/storage.md "KEYED"): the key's last value, else the
 * fallback key's; ADAPTIVE: per var (a key's high 32 bits), the key that has
 * predicted better first; CHAIN: keys with bit 63 set are combined with the
 * previous row's value. A column's derived key decides its mode. */
enum { CN_STORE__KMODE_PLAIN = 0, CN_STORE__KMODE_ADAPTIVE = 1, CN_STORE__KMODE_CHAIN = 2 };
/* Encoder hint ORed into kmode (format 4): also measure REF, for a column whose
 * value mostly repeats a recent row's (hit.visit: hits of the visits in progress). */
#define CN_STORE__KMODE_TRY_REF 0x100
/* The encoder hints of a column (0 or CN_STORE__KMODE_TRY_REF). */
int cn_store__col_hints(cn_store_col_t col);
void cn_store__page_encode_kmode(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                 int kmode, uint32_t n, int zstd_level, cn_buf_t *out,
                                 cn_store__page_t *pg, void *zctx);
/* The same, also giving the largest value of v (the segment footer's max). */
void cn_store__page_encode_mx(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                              int kmode, uint32_t n, int zstd_level, cn_buf_t *out,
                              cn_store__page_t *pg, void *zctx, int64_t *out_max);
void cn_store__page_encode_as_kmode(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                    int kmode, uint32_t n, uint8_t enc, cn_buf_t *out,
                                    cn_store__page_t *pg);
int cn_store__page_decode_kmode(const uint8_t *p, const cn_store__page_t *pg, const int64_t *keys,
                                const int64_t *keys2, int kmode, int64_t *v, cn_buf_t *scratch);
/* The KEYED mode of a column keyed by key (a column or CN_STORE__KEY_*). */
int cn_store__key_mode(int key);
/* Encodes v[0..n) with the given encoding, without zstd (tests and fuzz corpora;
 * CONST only when all values are equal; KEYED needs keys). Appends the payload to out. */
void cn_store__page_encode_as(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                              uint32_t n, uint8_t enc, cn_buf_t *out, cn_store__page_t *pg);
/* A zstd compression context for cn_store__page_encode (one per thread at a time). */
void *cn_store__zctx_new(void);
void cn_store__zctx_free(void *zctx);
/* Decodes a stored payload into v[0..pg->rows). scratch is a buffer for zstd
 * (grown as needed). Returns 0 or CN_ECORRUPT. Never reads outside [p, p + pg->stored_len). */
int cn_store__page_decode(const uint8_t *p, const cn_store__page_t *pg, int64_t *v,
                          cn_buf_t *scratch);
/* The same for a page that may be KEYED: keys (and keys2, the fallback key,
 * or NULL) are the decoded key values of the same rows (keys NULL: none; a
 * KEYED page is then corrupt). */
int cn_store__page_decode_keyed(const uint8_t *p, const cn_store__page_t *pg, const int64_t *keys,
                                const int64_t *keys2, int64_t *v, cn_buf_t *scratch);

/* --- The var group stored as changes (vardiff.c; format 4) --- */

/* Physical-only columns (not in columns.def), numbered after the catalogue:
 * var "op" (one per stored var row) and hit "runs" (one per hit), both U8. */
#define CN_STORE__XCOL_VAR_OP   ((cn_store_col_t)CN_COL_COUNT)
#define CN_STORE__XCOL_HIT_RUNS ((cn_store_col_t)(CN_COL_COUNT + 1))
#define CN_STORE__NCOLS         (CN_COL_COUNT + 2)
/* Ops of stored var rows: the row as it is; a var set or changed; removed.
 * (Stored as the op minus its likely value, mod 3: docs/storage.md.) */
enum { CN_STORE__VOP_ROW = 0, CN_STORE__VOP_SET = 1, CN_STORE__VOP_DEL = 2 };

/* n var rows (op: stored rows only, else NULL). */
typedef struct cn_store__vrows {
    uint64_t n;
    uint32_t *hit, *var, *value;
    uint8_t *op;
} cn_store__vrows_t;

/* The hit columns the var group's changes follow: hit.visit, hit.type, hit.events. */
typedef struct cn_store__vhits {
    uint32_t *visit;
    uint8_t *type, *events;
} cn_store__vhits_t;

void cn_store__vrows_alloc(cn_store__vrows_t *r, uint64_t n, bool op);
void cn_store__vrows_dispose(cn_store__vrows_t *r);
/*
 * The stored rows of the logical var rows lg of a segment whose hits
 * [first_row, first_row + hits) have the columns vh (hits rows): fills *phys
 * (allocated) and runs[0..hits) (the hit column "runs"). Returns false,
 * touching nothing, when the rows cannot be stored as changes (not sorted by
 * hit, or a hit outside the segment): the group is then stored row for row,
 * without "op" and "runs".
 */
bool cn_store__vars_diff(const cn_store__vrows_t *lg, const cn_store__vhits_t *vh, uint64_t hits,
                         uint64_t first_row, cn_store__vrows_t *phys, uint8_t *runs);
/*
 * The inverse: the logical rows into out, allocated with out->n rows (the
 * group's row count). Returns 0, or CN_ECORRUPT with *why and *at (the
 * stored row) when the stored rows are inconsistent.
 */
int cn_store__vars_expand(const cn_store__vrows_t *phys, const cn_store__vhits_t *vh,
                          const uint8_t *runs, uint64_t hits, uint64_t first_row,
                          cn_store__vrows_t *out, const char **why, uint64_t *at);

/* --- Segments --- */

typedef struct cn_store__pageref {
    uint64_t off;
    cn_store__page_t pg;
    uint32_t crc;
} cn_store__pageref_t;

typedef struct cn_store__colmeta {
    bool present;     /* false: the file predates the column; it reads as 0 */
    int key;          /* key of KEYED pages: a cn_store_col_t, or CN_STORE__KEY_* */
    int64_t min, max; /* over the group's rows */
    uint32_t page_count;
    cn_store__pageref_t *pages;
} cn_store__colmeta_t;

typedef struct cn_store__membuf cn_store__membuf_t;

struct cn_store_seg {
    atomic_int refs;
    uint64_t uid; /* file segments: unique in the process (decoded-page cache) */
    bool is_mem;
    bool is_visit;      /* visit segment (group VISIT) or hit segment (HIT + children) */
    int32_t day;        /* hit segments: the partition's local day */
    uint64_t first_row; /* hit segments: partition row of hit 0; visit: first ordinal */
    uint64_t rows[CN_GROUP_COUNT];
    cn_store__colmeta_t cols[CN_STORE__NCOLS];
    /* file segments */
    bool var_diff;       /* the var group is stored as changes (columns op, runs) */
    uint64_t var_stored; /* stored rows of the var group (= rows[CN_GROUP_VAR] unless var_diff) */
    uint64_t file_id;
    char *path;
    const uint8_t *map;
    size_t map_len;
    bool mapped; /* map is an mmap to unmap at free (else borrowed) */
    cn_store__pageref_t *page_store;
    /* memory segments: a view of the first rows[] rows of a buffer */
    cn_store__membuf_t *mem;
};

/* Limits that references in a segment must respect (checked at open). */
typedef struct cn_store__seg_limits {
    uint32_t dict_len[64]; /* per dictionary domain */
    uint64_t visits;       /* hit.visit < visits */
    uint64_t visitors;     /* visit.visitor < visitors */
} cn_store__seg_limits_t;

/* Where a segment writer takes its values: rows [from, from + n) of col. */
typedef int (*cn_store__fill_cb)(void *ud, cn_store_col_t col, uint64_t from, size_t n,
                                 int64_t *out);

typedef struct cn_store__seg_spec {
    bool is_visit;
    int32_t day;
    uint64_t first_row;
    uint64_t rows[CN_GROUP_COUNT];
    cn_store__fill_cb fill;
    void *ud;
    int zstd_level; /* 0: no zstd (quick flushes); merges use CN_STORE__ZSTD_LEVEL */
} cn_store__seg_spec_t;

#define CN_STORE__ZSTD_LEVEL 3
/* The level a merged page's zstd payload is written at, once its encoding was
 * chosen by trials at CN_STORE__ZSTD_LEVEL (format 5). */
#define CN_STORE__ZSTD_FINAL_LEVEL 15

/* Encodes a segment into out (the whole file). */
int cn_store__seg_encode(const cn_store__seg_spec_t *spec, cn_buf_t *out, cn_err_t *err);
/*
 * Parses and validates a segment held in [p, p + len) (borrowed: must stay
 * valid for the segment's life). name is used in error messages. limits may
 * be NULL (no reference checks). Returns 0 and *out (refs = 1), or CN_ECORRUPT.
 */
int cn_store__seg_parse(const uint8_t *p, size_t len, const char *name,
                        const cn_store__seg_limits_t *limits, cn_store_seg_t **out, cn_err_t *err);
/* Opens and mmaps a segment file and parses it. */
int cn_store__seg_open(const char *path, uint64_t file_id, const cn_store__seg_limits_t *limits,
                       cn_store_seg_t **out, cn_err_t *err);
cn_store_seg_t *cn_store__seg_ref(cn_store_seg_t *seg);
void cn_store__seg_unref(cn_store_seg_t *seg);
/* Decodes rows [from, from+n) of col as int64 (any kind). */
int cn_store__seg_read(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                       int64_t *out, cn_err_t *err);
/* Verifies the checksum and decodes every page of every column. */
int cn_store__seg_verify(const cn_store_seg_t *seg, cn_err_t *err);

/* --- The write buffer (memory segments) --- */

/* Chunk k of a buffer column holds CHUNK_ROWS << k rows, so 13 chunks hold
 * 32 Mi rows and a small buffer stays small. */
#define CN_STORE__CHUNK_ROWS      4096u
#define CN_STORE__CHUNKS          13u
#define CN_STORE__MAX_BUFFER_ROWS ((uint64_t)CN_STORE__CHUNK_ROWS * ((1u << CN_STORE__CHUNKS) - 1))

struct cn_store__membuf {
    atomic_int refs;
    bool is_visit;
    int32_t day;
    uint64_t first_row;
    uint64_t rows[CN_GROUP_COUNT];
    struct {
        void *chunks[CN_STORE__CHUNKS]; /* allocated as rows arrive, never moved */
        bool used;                      /* the column belongs to the buffer's groups */
        int64_t min, max;               /* of the group's first mm_rows rows */
    } cols[CN_COL_COUNT];
    uint64_t mm_rows[CN_GROUP_COUNT]; /* rows min and max cover (brought up to date by a view) */
};

cn_store__membuf_t *cn_store__membuf_new(bool is_visit, int32_t day, uint64_t first_row);
void cn_store__membuf_unref(cn_store__membuf_t *mb);
/* Appends one row of group g from a row struct (DICT fields given as ids in dict_ids). */
void cn_store__membuf_put(cn_store__membuf_t *mb, cn_store_group_t g, const void *row,
                          const uint32_t *dict_ids);
int64_t cn_store__membuf_get(const cn_store__membuf_t *mb, cn_store_col_t col, uint64_t row);
/* Rows [from, from + n) of col as int64 (all below the buffer's row count). */
void cn_store__membuf_read(const cn_store__membuf_t *mb, cn_store_col_t col, uint64_t from,
                           size_t n, int64_t *out);
/* A read-only view of the first rows of a buffer, as a segment, with its
 * columns' min and max (brought up to date here: the writer's thread). */
cn_store_seg_t *cn_store__membuf_view(cn_store__membuf_t *mb);

/* --- Dictionaries --- */

typedef struct cn_store__dict cn_store__dict_t;

cn_store__dict_t *cn_store__dict_new(const char *name);
void cn_store__dict_free(cn_store__dict_t *d);
/* Entries including id 0 (""). */
uint32_t cn_store__dict_len(const cn_store__dict_t *d);
/* Writer: the id of s, adding it when new. CN_ETOOBIG for an over-long string or a full dict. */
int cn_store__dict_intern(cn_store__dict_t *d, cn_str_t s, uint32_t *out);
/* The same, trying first a small two-way cache (the writer's, one per
 * column, 1 << CN_STORE__DICT_CACHE_BITS entries, zeroed at first, best
 * 32-byte aligned: a set in one CPU cache line) keyed by a cheap hash of
 * the string: a repeated value skips the hash table. A cache is used with
 * one dictionary only. */
#define CN_STORE__DICT_CACHE_BITS 9
typedef struct cn_store__dict_cache {
    union {
        const char *ptr; /* len > 8: the dictionary's copy of the string */
        uint64_t bytes;  /* len <= 8: the string's bytes, packed (dict.c) */
    };
    uint32_t len; /* 0: empty entry */
    uint32_t id;
} cn_store__dict_cache_t;
int cn_store__dict_intern_cached(cn_store__dict_t *d, cn_str_t s, cn_store__dict_cache_t *cache,
                                 uint32_t *out);
/* The first entry of s's set in a cache (even; the set's other way is the
 * next entry): the two values of a set used last stay in its two ways. */
size_t cn_store__dict_cache_set(cn_str_t s);
/* How many times the writer looked a string up in d's hash table (a cache
 * miss, or cn_store__dict_intern): tests and statistics. */
uint64_t cn_store__dict_lookups(const cn_store__dict_t *d);
/* One interning of a row's column: s not empty, its id to *out. */
typedef struct cn_store__dict_req {
    cn_store__dict_t *d;
    cn_str_t s;
    cn_store__dict_cache_t *cache;
    uint32_t *out;
} cn_store__dict_req_t;
#define CN_STORE__DICT_MANY 64
/* n <= CN_STORE__DICT_MANY cn_store__dict_intern_cached calls in one (the
 * same ids, in order; their memory accesses overlap); stops at an error. */
int cn_store__dict_intern_many(const cn_store__dict_req_t *req, size_t n);
/* Readers: lookups (thread-safe for id < a length published before). */
cn_str_t cn_store__dict_str(const cn_store__dict_t *d, uint32_t id);
int cn_store__dict_find(cn_store__dict_t *d, cn_str_t s, uint32_t limit, uint32_t *out);
/* The file encoding of entries [from, to) (appended to out): blocks, raw or
 * zstd with the entries of ids < from as a prefix (docs/storage.md
 * "Dictionaries"), to follow the file's blocks of ids < from. zctx: a zstd
 * compression context the caller keeps between calls (*zctx NULL: made at
 * the first frame; freed with cn_store__zctx_free), or NULL for one of the
 * call's own. */
void cn_store__dict_encode(const cn_store__dict_t *d, uint32_t from, uint32_t to, void **zctx,
                           cn_buf_t *out);
/*
 * Parses a dictionary file's bytes [p, p + len): header then blocks. Adds
 * every entry to d (which must be empty) when d is not NULL. Returns 0 and
 * the entry count including id 0, or CN_ECORRUPT naming the offset.
 */
int cn_store__dict_parse(const uint8_t *p, size_t len, const char *name, cn_store__dict_t *d,
                         uint32_t *out_len, cn_err_t *err);
#define CN_STORE__DICT_HEADER_LEN 16
/* A block's zstd prefix: the last this many bytes of the entries before it. */
#define CN_STORE__DICT_PREFIX_LEN (64u << 10)
/* The writer's zstd level for dictionary blocks (the reader takes any). */
#define CN_STORE__DICT_ZSTD_LEVEL 3
void cn_store__dict_header(cn_buf_t *out);

/* --- Manifest --- */

typedef struct cn_store__mseg {
    uint64_t file_id;
    uint64_t first_row;
    uint64_t rows[CN_GROUP_COUNT];
    uint64_t file_len;
    bool tentative;      /* written after the last checkpoint: dropped by recovery */
    bool final;          /* written by a merge (fully compressed) rather than a flush */
    cn_store_seg_t *seg; /* opened handle (not in the file) */
} cn_store__mseg_t;

typedef struct cn_store__mpart {
    int32_t day;
    cn_store__mseg_t *segs;
    size_t count, cap;
} cn_store__mpart_t;

typedef struct cn_store__mdict {
    char *name;
    uint32_t len;    /* entries (with id 0) referenced by live segments */
    uint64_t bytes;  /* file length holding them */
    uint32_t crc;    /* CRC32C of the file's first `bytes` bytes */
    uint32_t ck_len; /* the same at the last checkpoint */
    uint64_t ck_bytes;
    uint32_t ck_crc;
} cn_store__mdict_t;

typedef struct cn_store__manifest {
    uint64_t generation;
    uint64_t next_file_id;
    uint64_t visits, visitors, first_visit;
    uint64_t ck_visits, ck_visitors;
    uint64_t ck_file_id; /* 0: no checkpoint blob */
    uint64_t ck_len;
    uint32_t ck_crc;
    cn_store__mdict_t *dicts;
    size_t dict_count;
    cn_store__mseg_t *vsegs;
    size_t vseg_count, vseg_cap;
    cn_store__mpart_t *parts;
    size_t part_count, part_cap;
} cn_store__manifest_t;

void cn_store__manifest_encode(const cn_store__manifest_t *m, cn_buf_t *out);
int cn_store__manifest_parse(const uint8_t *p, size_t len, const char *name,
                             cn_store__manifest_t *m, cn_err_t *err);
void cn_store__manifest_dispose(cn_store__manifest_t *m);

/* --- Time zones --- */

typedef struct cn_store__tz {
    size_t count;
    int64_t *at;  /* transition instants, seconds, ascending; at[0] = INT64_MIN */
    int32_t *off; /* UTC offset from at[i] on */
} cn_store__tz_t;

/* Loads the offsets of an IANA zone. CN_ECONFIG for an unknown zone. */
int cn_store__tz_load(const char *name, cn_store__tz_t *tz, cn_err_t *err);
void cn_store__tz_dispose(cn_store__tz_t *tz);
int32_t cn_store__tz_offset(const cn_store__tz_t *tz, int64_t ts_s);
int32_t cn_store__tz_day(const cn_store__tz_t *tz, int64_t ts_us);
void cn_store__tz_bounds(const cn_store__tz_t *tz, int32_t day, int64_t *start_us, int64_t *end_us);
/* A writer's memo of cn_store__tz_day: the instants [from_us, to_us), all of
 * local day `day` under one UTC offset (zeroed: empty). */
typedef struct cn_store__tz_memo {
    int64_t from_us, to_us;
    int32_t day;
} cn_store__tz_memo_t;
/* cn_store__tz_day, filling *m with the instants around ts_us of the same day. */
int32_t cn_store__tz_day_fill(const cn_store__tz_t *tz, int64_t ts_us, cn_store__tz_memo_t *m);
/* cn_store__tz_day of ts_us, from *m when it holds ts_us (hits come in time
 * order: nearly always), else refilling it. */
static inline int32_t cn_store__tz_day_memo(const cn_store__tz_t *tz, int64_t ts_us,
                                            cn_store__tz_memo_t *m)
{
    if (ts_us >= m->from_us && ts_us < m->to_us)
        return m->day;
    return cn_store__tz_day_fill(tz, ts_us, m);
}

/* --- Check (check.c) --- */

/* Tests only: when set, cn_store_check calls it after reading the MANIFEST
 * and before opening the files it names (attempt: 0, then 1 after a retry),
 * so that a test can change the store at that moment. */
extern void (*cn_store__check_hook)(unsigned attempt);

/* --- Files --- */

/* Writes len bytes to path (created/truncated), fsyncs unless no_fsync. */
int cn_store__write_file(const char *path, const void *p, size_t len, bool no_fsync);
/* Reads a whole file into out (cleared first); CN_ETOOBIG beyond max. */
int cn_store__read_file(const char *path, size_t max, cn_buf_t *out);
/* Reads exactly len bytes at off: 0, CN_ECORRUPT when the file ends first, or -errno. */
int cn_store__pread_all(int fd, void *p, size_t len, uint64_t off);

#endif
