/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared between the files of the process module (not API):
 * the decoded hit every protocol decoder produces, the decoders themselves,
 * the small parsers they use (products string, events string, amounts), the
 * 128-bit-keyed hash map, the rates table, the salts and the bad-row log.
 * The public interface is process.h.
 */
#ifndef CN_PROCESS_INTERNAL_H
#define CN_PROCESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich.h"
#include "hit/hit.h"
#include "hit/pagerule.h"
#include "hit/rawhit.h"
#include "hit/sink.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "process/process.h"

/* --- Scratch arena: decoded strings live here until the next raw hit --- */

typedef struct cn_parena_block cn_parena_block_t;
typedef struct cn_parena {
    char *buf; /* first block, kept across resets */
    size_t len, cap;
    cn_parena_block_t *extra; /* further blocks, freed by reset */
} cn_parena_t;

void cn_parena_init(cn_parena_t *a);
void cn_parena_reset(cn_parena_t *a);
void cn_parena_dispose(cn_parena_t *a);
cn_str_t cn_parena_dup(cn_parena_t *a, cn_str_t s);
/* cn_parena_alloc() of n bytes (rounded up) that the first block has no room for. */
char *cn_parena__alloc_block(cn_parena_t *a, size_t n);
/* n bytes (8-aligned) that live until the next reset; never NULL (cn_xmalloc aborts). Inline:
 * the decoders take a slice of the first block for most values. */
static inline char *cn_parena_alloc(cn_parena_t *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (a->cap - a->len >= n) {
        char *p = a->buf + a->len;
        a->len += n;
        return p;
    }
    return cn_parena__alloc_block(a, n);
}

/* --- The decoded hit --- */

/* Limits on what one raw hit may carry; beyond them it becomes a bad row (too_big). */
#define CN_DEC_MAX_HITS     500        /* events of a canton JSON batch */
#define CN_DEC_MAX_PRODUCTS 1000       /* products of one hit */
#define CN_DEC_MAX_EVENTS   2000       /* success events of one hit, product events included */
#define CN_DEC_MAX_VARS     1000       /* props, eVars, list and hierarchy values of one hit */
#define CN_DEC_MAX_CTX      1000       /* context-data entries of one hit */
#define CN_DEC_MAX_BODY     (8u << 20) /* decompressed body */
#define CN_DEC_MAX_VALUE                                                                           \
    (1u << 20) /* one value (page, URL, variable...): a store's longest                            \
                  dictionary string (CN_STORE__MAX_STR) */
#define CN_DEC_MAX_EVENT_NUM 1000
#define CN_DEC_MAX_QTY       1000000000 /* a product's quantity */

/* A success event: a commerce event (num 0, flag set) or eventN. */
typedef struct cn_devent {
    uint16_t num;    /* N of eventN, 1..1000; 0 for commerce events */
    uint8_t flag;    /* CN_EV_* for commerce events, 0 for eventN */
    bool has_value;  /* "eventN=5.5" */
    int64_t value;   /* fixed point, CN_MONEY_SCALE */
    cn_str_t serial; /* "eventN:ID" serialization id, or empty */
    int32_t product; /* index of the product it is bound to (in the hit), -1 for hit level */
} cn_devent_t;

/* A variable value: CN_VAR_EVAR|n, CN_VAR_PROP|n, CN_VAR_LIST|n, CN_VAR_HIER|n. */
typedef struct cn_dvar {
    uint32_t var;
    int32_t product; /* merchandising eVar (products string, 6th field): index of its product
                        in the hit; -1 for hit level */
    cn_str_t value;
} cn_dvar_t;

/* A product of the products string (or a canton JSON item). */
typedef struct cn_dprod {
    cn_str_t category;
    cn_str_t sku;
    bool has_qty, has_price;
    int64_t qty;   /* units */
    int64_t price; /* line total, fixed point, in the hit's currency */
} cn_dprod_t;

/* A context-data entry (Adobe c. ... .c, canton JSON props): key without "c.". */
typedef struct cn_dkv {
    cn_str_t key;
    cn_str_t value;
} cn_dkv_t;

/* Visitor-id sources, strongest first (docs/processing.md). */
typedef enum cn_vid_src {
    CN_VID_NONE = 0, /* cookieless: keyed hash of (salt, suite, IP, UA) */
    CN_VID_VID,      /* Adobe vid / canton "visitor" */
    CN_VID_AID,
    CN_VID_MID,
    CN_VID_FID,
    CN_VID_COOKIE, /* Adobe s_vi cookie */
} cn_vid_src_t;

/* One decoded hit. Slices point into the raw hit or the decoder's arena. */
typedef struct cn_dhit {
    uint8_t type;      /* cn_hit_type_t */
    uint8_t events;    /* CN_EV_* of the hit's events list */
    uint8_t vid_src;   /* cn_vid_src_t */
    bool truncated;    /* Adobe request without AQE=1 */
    bool dup_purchase; /* a purchase its source marked a repeat (Adobe feed duplicate_purchase) */
    bool has_serial;   /* some event has a serialization id (cn_decode_events) */
    bool has_list;     /* some variable is a listN (add_var): process.c splits only then */
    bool referrer_raw; /* referrer is an Adobe r= still percent-encoded: cn_decode_referrer() */
    int64_t ts_us;     /* explicit hit time (Adobe ts), 0 = receive time */
    cn_str_t page_name, url, referrer, section, server, page_type;
    cn_str_t link_url, link_name, campaign, purchase_id, currency;
    cn_str_t visitor_id, screen, language;
    bool has_revenue; /* JSON "revenue": overrides the sum of product prices */
    int64_t revenue;
    uint32_t ev_first, ev_count;     /* into cn_dbatch_t.events */
    uint32_t prod_first, prod_count; /* into cn_dbatch_t.prods */
    uint32_t var_first, var_count;   /* into cn_dbatch_t.vars */
    uint32_t ctx_first, ctx_count;   /* into cn_dbatch_t.ctx */
} cn_dhit_t;

/* What one raw hit decodes to: one or more hits for a list of suites. */
typedef struct cn_dbatch {
    cn_str_t suites; /* comma-separated suite ids */
    cn_dhit_t *hits;
    size_t hit_count, hit_cap;
    cn_devent_t *events;
    size_t event_count, event_cap;
    cn_dprod_t *prods;
    size_t prod_count, prod_cap;
    cn_dvar_t *vars;
    size_t var_count, var_cap;
    cn_dkv_t *ctx;
    size_t ctx_count, ctx_cap;
    cn_parena_t arena;
    cn_buf_t body;                /* gunzipped body */
    const cn_conf_t *conf;        /* optional: suite keys for decoders (import_static_extensions) */
    struct cn_charsets *charsets; /* request charsets' converters (charset.c), made on first use */
} cn_dbatch_t;

/*
 * An Adobe hit's referrer (r) reaches only the visit row, the enrichment of a visit's first
 * hit and the new-visit-on-referrer rule, so cn_decode_adobe may keep it as the request gave
 * it, escapes and all (h->referrer_raw), to be decoded when a visit needs it: most hits
 * continue a visit. Returns h's referrer decoded (into b's arena when it was raw), the bytes
 * cn_decode_adobe would have given. A raw referrer is empty only when its decoded value is,
 * and within CN_DEC_MAX_VALUE decoded (cn_decode_adobe checks).
 */
cn_str_t cn_decode_referrer(cn_dbatch_t *b, const cn_dhit_t *h);

void cn_dbatch_init(cn_dbatch_t *b);
/* cn_dbatch_init with smaller first buffers (an 8 KiB arena, 2 hits), for batches decoded
 * ahead many at a time: they then sit close together, which spares TLB and cache misses.
 * The decoders grow them when a raw hit needs more. */
void cn_dbatch_init_small(cn_dbatch_t *b);
/* Whether a big raw hit grew b's buffers past what a batch kept for the next records should
 * hold (over 1 MiB of body, 64 hits): its owner then disposes of it. */
bool cn_dbatch_grown(const cn_dbatch_t *b);
void cn_dbatch_dispose(cn_dbatch_t *b);
void cn_dbatch_reset(cn_dbatch_t *b);
cn_dhit_t *cn_dbatch_add_hit(cn_dbatch_t *b);

/*
 * Request charsets (charset.c): cn_charset_find() gives the charset a label names (the Adobe
 * `ce` parameter), as browsers read labels: CN_CHARSET_UTF8 for UTF-8 and for a label no
 * converter reads (the value is then taken as UTF-8), CN_CHARSET_CP1252 for the windows-1252
 * family, or a converter of glibc's iconv kept in b. cn_charset_to_utf8() converts a value,
 * into b's arena when anything changes; a byte the charset does not have becomes U+FFFD, and
 * so does each invalid byte or sequence of a value taken as UTF-8 (cn_utf8_valid).
 */
enum { CN_CHARSET_UTF8 = 0, CN_CHARSET_CP1252 = 1, CN_CHARSET_ICONV = 2 };
int cn_charset_find(cn_dbatch_t *b, cn_str_t label);
cn_str_t cn_charset_to_utf8(cn_dbatch_t *b, int charset, cn_str_t s);
/* s as valid UTF-8: s itself when it is (the common case: an ASCII scan), else a copy in b's
 * arena where each invalid byte or sequence is U+FFFD (cn_utf8_repair_to). Values taken as
 * UTF-8 (CN_CHARSET_UTF8, the pixel's) pass here once, when they are decoded. */
cn_str_t cn_utf8_repair(cn_dbatch_t *b, cn_str_t s, size_t valid);
static inline cn_str_t cn_utf8_valid(cn_dbatch_t *b, cn_str_t s)
{
    if (cn_str_is_ascii(s))
        return s;
    size_t v = cn_utf8_valid_prefix(s);
    return v == s.len ? s : cn_utf8_repair(b, s, v);
}
/* Whether a hit's currency is acceptable: empty (the suite's currency) or an ISO 4217 code,
 * 3 upper-case letters; any other is a bad_currency bad row in every decoder. */
static inline bool cn_decode_currency_ok(cn_str_t c)
{
    if (c.len == 0)
        return true;
    bool ok = c.len == 3;
    for (size_t i = 0; ok && i < 3; i++)
        ok = c.ptr[i] >= 'A' && c.ptr[i] <= 'Z';
    return ok;
}
/* An Adobe parameter value (still encoded) decoded as adobe.c decodes every value: percent
 * escapes, %uXXXX (escape()), the charset ce names, then valid UTF-8. */
cn_str_t cn_adobe_decode_value(cn_dbatch_t *b, int charset, cn_str_t raw);
void cn_charsets_free(struct cn_charsets *cs);

/*
 * Decoders. Each returns 0 and fills b, or a bad-row reason (> 0, a
 * cn_badrow_reason_t) with a detail in err. The raw hit must outlive b's use.
 */
int cn_decode_raw(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
/* Inflates a gzip body into out (appended, NUL-terminated), at most CN_DEC_MAX_BODY bytes:
 * 0, CN_BADROW_BAD_GZIP or CN_BADROW_TOO_BIG (err says why). */
int cn_decode_gunzip(cn_str_t in, cn_buf_t *out, cn_err_t *err);
int cn_decode_adobe(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
int cn_decode_canton_json(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
int cn_decode_canton_pixel(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
/* cn_decode_canton_json() through jansson only, without the light parser: the reference
 * the fast path must match (fuzz_canton_json compares them). */
int cn__decode_canton_json_ref(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
/* cn_decode_canton_json() through its fast path only (decoding while parsing): -1 when the
 * fast path leaves the body to the general one (for tests and fuzz_canton_json, which
 * compare it with the reference whenever it takes a body). */
int cn__decode_canton_json_fast(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
/* Imported access-log lines and hit-level rows (import_log.c, import_row.c). */
int cn_decode_import_log(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);
int cn_decode_import_row(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err);

/* Appends a variable value / a context-data entry to hit h. Reason or 0. */
int cn_decode_vars_add(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var, cn_str_t value, cn_err_t *err);
/* The same for a merchandising eVar bound to the hit's product index product (-1: hit level). */
int cn_decode_vars_add_at(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var, int32_t product,
                          cn_str_t value, cn_err_t *err);
int cn_decode_ctx_add(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t key, cn_str_t value, cn_err_t *err);
/* Parses an Adobe products string (decoded) into b for hit h. Reason or 0. */
int cn_decode_products(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, cn_err_t *err);
/* Parses an Adobe events string (decoded) into b for hit h. Reason or 0. */
int cn_decode_events(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, int32_t product, cn_err_t *err);
/*
 * Decodes context data from a query string's parameters: walks the pairs
 * of q between "c." and ".c" with a stack of open groups and appends the
 * entries to b for hit h. For the fuzz target and the Adobe decoder.
 */
int cn_decode_contextdata(cn_str_t q, cn_dbatch_t *b, cn_dhit_t *h, int charset, cn_err_t *err);
/* cn_parse_money(): hit/pagerule.h. */
/*
 * Why cn_parse_money refused s, for a bad row's detail (a static string, to follow the value):
 * "is not a decimal amount such as 12.50" or "is out of range (at most 14 digits before the
 * point)".
 */
const char *cn_decode_money_why(cn_str_t s);
/*
 * Why s is not a quantity (a whole number from 0 to CN_DEC_MAX_QTY), or NULL when it is one
 * (static): "is not a number", "is not a whole number", "is negative", "is over 1000000000".
 */
const char *cn_decode_qty_why(cn_str_t s);
/* Name of a commerce event flag ("purchase"...) or NULL. */
const char *cn_commerce_event_name(uint8_t flag);

/* --- 128-bit keys and the hash map --- */

typedef struct cn_key {
    uint64_t a, b;
} cn_key_t;

cn_key_t cn_key_of(uint64_t seed, cn_str_t s);

/* Open-addressing map from a 128-bit key to a u32; keys are never removed. */
typedef struct cn_kmap_slot {
    cn_key_t key;
    uint32_t val;
    uint32_t used;
} cn_kmap_slot_t;

typedef struct cn_kmap {
    cn_kmap_slot_t *slots;
    size_t cap; /* power of two */
    size_t count;
} cn_kmap_t;

void cn_kmap_init(cn_kmap_t *m);
void cn_kmap_dispose(cn_kmap_t *m);
/* Returns a pointer to key's value, or NULL. */
uint32_t *cn_kmap_get(const cn_kmap_t *m, cn_key_t key);
/* Inserts key with val when missing; returns true when it was inserted. */
bool cn_kmap_put(cn_kmap_t *m, cn_key_t key, uint32_t val);

/* --- Currency rates (rates.c) --- */

typedef struct cn_rates cn_rates_t;

/*
 * Loads rates from CSV text (date,currency,rate; a header line and '#'
 * comments allowed; "# base=CNY" names the base). Returns 0 or CN_EPARSE with
 * err naming the line.
 */
int cn_rates_parse(const char *text, size_t len, cn_rates_t **out, cn_err_t *err);
/* Loads <data>/rates.csv; a missing file gives an empty table. Errors name the file. */
int cn_rates_load(const char *path, cn_rates_t **out, cn_err_t *err);
void cn_rates_free(cn_rates_t *r);
size_t cn_rates_count(const cn_rates_t *r);
/*
 * Converts amount (fixed point) from currency `from` to `to` on the UTC day of
 * ts_us, with the latest rates on or before that day. Returns 0, CN_ENOTFOUND
 * when a rate is missing, or CN_ETOOBIG when the result does not fit 64 bits.
 */
int cn_rates_convert(const cn_rates_t *r, cn_str_t from, cn_str_t to, int64_t ts_us, int64_t amount,
                     int64_t *out);

/* --- Daily salts for cookieless visitor keys (salt.c) --- */

typedef struct cn_salts cn_salts_t;

/* Opens (creating when missing) the salt file at path. */
int cn_salts_open(const char *path, int64_t retention_days, cn_salts_t **out, cn_err_t *err);
void cn_salts_free(cn_salts_t *s);
/*
 * The 16-byte salt of the UTC day of ts_us, created (random) and persisted
 * when missing; salts older than retention days before the newest day seen
 * are destroyed. A day past the retention gets a salt kept in memory only; a
 * day after the day of recv_us (the receive time; 0: unknown) gets the receive
 * day's salt hashed with the day. Returns 0 or a negated errno.
 */
int cn_salts_get(cn_salts_t *s, int64_t ts_us, int64_t recv_us, uint8_t out[16]);
/*
 * The salt of the UTC day before the day of ts_us, when it is kept (in the file or in memory),
 * without making one: 0, or CN_ENOTFOUND. For a cookieless visit going on over midnight UTC.
 */
int cn_salts_prev(const cn_salts_t *s, int64_t ts_us, uint8_t out[16]);
/*
 * The salt cn_salts_get would give for the UTC day of ts_us when the day has one kept in the
 * file, without making or changing anything: 0, or CN_ENOTFOUND (a day without a salt yet, a
 * late day, a day ahead of its receive day: cn_salts_get's other cases).
 */
int cn_salts_peek(const cn_salts_t *s, int64_t ts_us, uint8_t out[16]);
/*
 * The wall clock's side of the retention (the live pass only: a pass by hit times stays
 * repeatable): the UTC day of now_us becomes the newest day seen when it is later, and the
 * salts more than the retention before the newest day are destroyed (zeroed; also ones the
 * file kept from a longer retention), the file rewritten when one went. A later hit of a
 * destroyed day gets a salt kept in memory only, as a late hit does. Nothing with retention
 * never. Returns how many salts went (0 when none: the file is not touched), or a negated
 * errno from writing the file.
 */
int cn_salts_expire(cn_salts_t *s, int64_t now_us);

/* --- Bad-row log (badrows.c); format in docs/processing.md --- */

typedef struct cn_badlog cn_badlog_t;

/* Opens dir/badrows.log for appending, cutting it to keep_bytes (UINT64_MAX: keep all). */
int cn_badlog_open(const char *dir, uint64_t keep_bytes, cn_badlog_t **out, cn_err_t *err);
int cn_badlog_append(cn_badlog_t *l, const cn_badrow_t *row);
uint64_t cn_badlog_size(const cn_badlog_t *l);
int cn_badlog_sync(cn_badlog_t *l);
void cn_badlog_close(cn_badlog_t *l);

/* --- Processing state (process.c, checkpoint.c) --- */

typedef struct cn_enrich_thread cn_enrich_thread_t;

enum { CN_ALLOC_RECENT = 0, CN_ALLOC_ORIGINAL = 1 };
enum { CN_EXP_VISIT = 0, CN_EXP_HIT, CN_EXP_DAYS, CN_EXP_EVENT, CN_EXP_NEVER };
enum { CN_EVK_COUNTER = 0, CN_EVK_NUMERIC, CN_EVK_CURRENCY };

/* The value processing gives an event of a hit whose serialization id (eventN:ID, scAdd:ID)
 * was seen before: it is not counted and ends no eVar (no amount is this far out of range). */
#define CN_EV_REPEAT INT64_MIN

/* How one eVar persists (suite key evarN). */
typedef struct cn_evar_conf {
    uint8_t alloc;      /* CN_ALLOC_* */
    uint8_t exp;        /* CN_EXP_* */
    uint8_t exp_flag;   /* CN_EXP_EVENT: a commerce event flag, or 0 */
    uint16_t exp_event; /* CN_EXP_EVENT: N of eventN, or 0 */
    int64_t exp_us;     /* CN_EXP_DAYS */
    char *from;         /* context-data key that sets it (without "c."), or NULL */
} cn_evar_conf_t;

/*
 * List variables (suite key listN, docs/processing.md "List variables"): list N's values in
 * force are kept in the visitor's evars array under the number CN_LIST_BASE + N, after the
 * eVars, oldest first, and its expiry in the suite's evar[CN_LIST_BASE + N]. A hit-scoped list
 * (expiry=hit, the default) keeps nothing: its rows are the hit's own values.
 */
#define CN_LIST_BASE       250
#define CN_LIST_MAX_VALUES 250 /* values in force per list and visitor (Adobe's cap) */

/* The most var rows one hit can give (items and events are fewer): its own values, lists
 * split (CN_DEC_MAX_VARS, a too_big bad row beyond); merchandising eVars bound earlier, each
 * of the 250 eVars at most once per item (merch.c); the 250 eVars and 3 lists in force; the
 * 75 props from context data. The store takes fewer than CN_SINK_HIT_CHILD_ROWS per hit. */
#define CN_HIT_MAX_VAR_ROWS                                                                        \
    (CN_DEC_MAX_VARS + CN_DEC_MAX_PRODUCTS * 250 + 250 + 3 * CN_LIST_MAX_VALUES + 75)
_Static_assert(CN_HIT_MAX_VAR_ROWS < CN_SINK_HIT_CHILD_ROWS &&
                   CN_DEC_MAX_PRODUCTS < CN_SINK_HIT_CHILD_ROWS &&
                   CN_DEC_MAX_EVENTS < CN_SINK_HIT_CHILD_ROWS,
               "the rows of any hit fit what the sink takes (a store's write buffer)");

/* An eVar value (or a list value: num > CN_LIST_BASE) in force for a visitor. */
typedef struct cn_evar_val {
    uint16_t num;       /* N of eVarN; CN_LIST_BASE + N for a value of listN */
    uint32_t str;       /* id in the suite's value pool */
    int64_t set_ts;     /* when it was set */
    uint32_t set_visit; /* the visitor's visit number when it was set */
} cn_evar_val_t;

typedef struct cn_visitor {
    cn_key_t key;
    int64_t last_ts;    /* time of the last hit */
    uint32_t visit_num; /* visits so far */
    uint32_t visit;     /* ordinal of the current visit */
    uint32_t hit_num;   /* hits in the current visit */
    uint32_t
        visit_campaign; /* new_visit_on_campaign: pool id + 1 of the visit's campaign, 0 none */
    uint32_t visit_ref; /* new_visit_on_referrer: pool id + 1 of the visit's external
                           referrer domain, 0 none */
    uint16_t evar_count;
    uint16_t evar_cap : 15;
    uint16_t merch : 1;   /* has merchandising bindings (merch.c sets and clears it) */
    cn_evar_val_t *evars; /* sorted by num; a list's values oldest first */
} cn_visitor_t;

/*
 * A pool of fixed-size blocks: the first array of a visitor's eVars and of its merchandising
 * bindings (CN_BPOOL_CAP entries), which most visitors never outgrow. A block comes from a
 * free list or the newest chunk, and goes back on the free list when its array grows past it
 * (to malloc); the chunks are freed together (cn__bpool_dispose), so an owner frees only its
 * arrays of more than CN_BPOOL_CAP entries. Ends a malloc and a free per visitor. Under ASan,
 * free blocks and the unused part of a chunk are poisoned. Chunks double from
 * CN_BPOOL_CHUNK_MIN to CN_BPOOL_CHUNK_MAX bytes, the large ones on huge pages
 * (cn_xmalloc_huge): a pool of a few visitors stays small, and a large one is not
 * a page fault every 4 KiB (checkpoint.c, cn__bpool_chunk).
 */
#define CN_BPOOL_CAP       4           /* entries of an array in a pool block */
#define CN_BPOOL_CHUNK_MIN (64u << 10) /* bytes of the first chunk */
#define CN_BPOOL_CHUNK_MAX (2u << 20)  /* bytes of a chunk, at most */
typedef struct cn_bpool {
    void *free;     /* free blocks, each starting with the next one's address */
    char *at, *end; /* the newest chunk's unused part */
    void *chunks;   /* the chunks, each starting with the previous one's address, then its size */
    size_t size;    /* bytes of a block */
    size_t chunk;   /* bytes of the next chunk */
} cn_bpool_t;

void cn__bpool_init(cn_bpool_t *p, size_t size);
void cn__bpool_dispose(cn_bpool_t *p);
void *cn__bpool_chunk(cn_bpool_t *p); /* cn__bpool_get's slow path: a block of a new chunk */

static inline void *cn__bpool_get(cn_bpool_t *p)
{
    void *blk = p->free;
    if (blk != NULL) {
        cn_asan_poison(blk, p->size, false);
        memcpy(&p->free, blk, sizeof(void *));
        return blk;
    }
    if ((size_t)(p->end - p->at) < p->size)
        return cn__bpool_chunk(p);
    blk = p->at;
    p->at += p->size;
    cn_asan_poison(blk, p->size, false);
    return blk;
}

static inline void cn__bpool_put(cn_bpool_t *p, void *blk)
{
    memcpy(blk, &p->free, sizeof(void *));
    p->free = blk;
    cn_asan_poison(blk, p->size, true);
}

/*
 * Makes room for at least need entries of an array of entry_size bytes whose capacity is
 * *cap (0: none yet; CN_BPOOL_CAP: a block of pool; more: malloc'd): a pool block up to
 * CN_BPOOL_CAP, beyond it twice the capacity or need, whichever is more (copied out of a
 * pool block, realloc'd otherwise). Returns the array, moved or not, *cap updated.
 */
void *cn__bpool_grow(cn_bpool_t *p, void *arr, size_t entry_size, size_t count, uint16_t *cap,
                     size_t need);

#define CN_POOL_MEMO 4096 /* slots of cn__pool_intern's memo */

/* A visitor id's ordinal (process.c, visitor_of): ids of up to CN_VMEMO_BYTES bytes. */
#define CN_VMEMO_SLOTS 4096 /* direct-mapped by cn__str_mix */
#define CN_VMEMO_BYTES 59
typedef struct cn_vmemo {
    uint32_t ord;
    uint8_t len; /* of id; 0: empty (a visitor id is never empty) */
    char id[CN_VMEMO_BYTES];
} cn_vmemo_t;

/* A few bytes of s (the first and last 8) and its length, mixed: the slot of a direct-mapped
 * memo, whose entries hold what they stand for (two values that share a slot only evict each
 * other). Top bits are the best mixed. */
static inline uint64_t cn__str_mix(cn_str_t s)
{
    uint64_t a = 0, b = 0;
    if (s.len >= 8) {
        memcpy(&a, s.ptr, 8);
        memcpy(&b, s.ptr + s.len - 8, 8);
    } else if (s.len > 0) {
        a = (uint64_t)(unsigned char)s.ptr[0] << 8 | (unsigned char)s.ptr[s.len / 2];
        b = (unsigned char)s.ptr[s.len - 1];
    }
    uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ ((b ^ s.len) * 0xc2b2ae3d27d4eb4fULL);
    h ^= h >> 29;
    return h * 0x165667b19e3779f9ULL;
}

/* A value of the suite's value pool (cn__pool_get): its bytes in pool_data, one load. */
typedef struct cn_pool_ent {
    uint32_t off, len;
} cn_pool_ent_t;

typedef struct cn_suite_state {
    const cn_suite_conf_t *conf;
    cn_str_t id;
    cn_str_t base;       /* base currency */
    cn_str_t home;       /* conf->home_country ("": no cross-border) */
    cn_sink_t sink;      /* the sink rows go to: real_sink, or a null sink while suppressed */
    cn_sink_t real_sink; /* from the factory */
    bool suppress;       /* the sink holds rows up to suppress_to already (it is ahead of the */
    cn_hitlog_pos_t suppress_to;           /* checkpoint file): emit nothing until pos passes it */
    cn_evar_conf_t evar[CN_LIST_BASE + 4]; /* eVars 1..250, then lists 1..3 (expiry only) */
    char list_delim[4];                    /* listN's value delimiter */
    uint16_t list_max[4];                  /* listN's max values; 0: none set */
    char *prop_from[76];
    uint8_t event_kind[CN_DEC_MAX_EVENT_NUM + 1];
    bool keep_unconverted;
    bool has_from; /* some evar/prop has from= */
    /* Which expiry loops a hit needs (cn__process_suite_conf): an eVar or list value that
     * expires after N days, an eVar that ends with its hit, one that ends on an event.
     * Without the first two, a visit's values only expire when a visit starts. */
    bool exp_days, exp_hit, exp_event;
    bool list_persist; /* some list keeps values (an expiry other than hit): they follow the
                          eVars in a visitor's array */
    /* The visitors, by ordinal (cn__vis_at), and their index by key (cn__vis_find). */
    cn_visitor_t **vis;   /* chunks of CN_VIS_CHUNK visitors: growing never copies them */
    size_t vis_count;     /* visitors */
    size_t vis_chunks;    /* chunk pointers allocated in vis */
    cn_bpool_t evar_pool; /* the visitors' first eVar arrays (cn__bpool_grow) */
    cn_vmemo_t *vmemo;    /* CN_VMEMO_SLOTS: recent visitor ids' ordinals; NULL until used */
    uint64_t *vidx;       /* open addressing: tag << 32 | (ordinal + 1), 0 empty */
    unsigned vidx_bits;   /* log2 of the slots */
    uint32_t visit_count; /* next visit ordinal */
    cn_kmap_t orders;     /* purchase ids seen */
    cn_kmap_t serials;    /* (eventN, id) seen */
    cn_kmap_t pool_map;   /* eVar value -> id */
    cn_pool_ent_t *pool;  /* by id: where each value is in pool_data */
    size_t pool_count, pool_cap;
    cn_buf_t pool_data;
    uint32_t *pool_memo;    /* CN_POOL_MEMO slots: pool id + 1 of a value interned lately, or 0 */
    struct cn_merch *merch; /* merchandising eVar bindings (merch.c); NULL until one is made */
} cn_suite_state_t;

/* A cookieless visitor key computed (process.c, cookieless_key) and its input: the suite, the
 * salt, the IP and UA. */
#define CN_CKMEMO_SLOTS 2048 /* direct-mapped */
#define CN_CKMEMO_BYTES 376  /* of IP and UA; longer ones are hashed every time */
typedef struct cn_ckmemo {
    const struct cn_suite_state *suite; /* NULL: empty */
    cn_key_t key;
    uint8_t salt[16];
    uint16_t ip_len, ua_len;
    char in[CN_CKMEMO_BYTES]; /* the IP, then the UA */
} cn_ckmemo_t;

struct cn_process {
    const cn_conf_t *conf;
    char *data_dir;
    char ck_why[4096 + 128]; /* what failed in the last cn_process_checkpoint (cn_process_why) */
    char *only_suite;
    bool no_ck_file;
    bool dry_run;          /* no checkpoint file, no bad-row log */
    int64_t checkpoint_us; /* cn_process_run's checkpoint period */
    cn_suite_state_t *suites;
    size_t suite_count;
    size_t last_suite; /* the suite the last raw hit named (process_batch's first guess) */
    cn_enrich_thread_t *et;
    cn_rates_t *rates;
    cn_salts_t *salts;
    cn_badlog_t *badlog;
    cn_dbatch_t batch;
    cn_buf_t recbuf;
    cn_ckmemo_t *ckmemo; /* CN_CKMEMO_SLOTS, made at the first cookieless hit */
    int64_t *tmp_items, *tmp_events;
    size_t tmp_cap;
    bool has_pos;         /* pos is valid */
    cn_hitlog_pos_t pos;  /* last raw hit processed */
    bool has_last;        /* last is valid */
    cn_hitlog_pos_t last; /* last raw hit read (also when reprocessing one suite) */
    bool has_limit;       /* reprocessing: stop after limit */
    cn_hitlog_pos_t limit;
    bool dirty;
    uint64_t ck_seq;
    uint64_t badlog_size; /* from the checkpoint; kept as is when reprocessing (no log open) */
    cn_process_stats_t stats;
    cn_enrich_t *enrich;  /* the snapshot et is on (held by et), or NULL */
    unsigned threads;     /* cn_process_opts_t.threads */
    bool salt_clock;      /* cn_process_opts_t.salt_clock */
    int64_t salt_next_us; /* cn_time_mono_us of the next expiry by the clock (salt_clock) */
    struct cn_pipe *pipe; /* the decoding and enrichment worker (pipe.c), made by its first run */
    struct cn_grec *grp;  /* a one-thread run's group of records (process.c), made by its first */
    _Atomic(cn_enrich_t *) enrich_next; /* cn_process_set_enrich's snapshot, with a reference,
                                           until a run takes it (cn__process_enrich_use) */
};

/*
 * The state stage's side of a reload (process.h, cn_process_set_enrich): moves p->et to
 * snapshot e (rebinding it, or making it when p had no enrichment) and drops the reference e
 * came with. Called by the thread that runs p, between two records.
 */
void cn__process_enrich_use(cn_process_t *p, cn_enrich_t *e);

/*
 * The visitor table (checkpoint.c). Visitors live in chunks of CN_VIS_CHUNK
 * records, so the table grows without a copy of the records it holds. The
 * index is an open-addressing table of 8-byte slots (no key: the record has
 * it), at most half full: the slot's tag is the upper half of key.a, whose
 * top vidx_bits bits are the home slot, so growing the index reads only the
 * index. Memory per visitor: the record and 16 to 32 bytes of index.
 */
#define CN_VIS_CHUNK_BITS 15 /* a chunk fills most of a 2 MiB huge page (checkpoint.c) */
#define CN_VIS_CHUNK      ((size_t)1 << CN_VIS_CHUNK_BITS)

static inline cn_visitor_t *cn__vis_at(const cn_suite_state_t *s, uint32_t ord)
{
    return &s->vis[ord >> CN_VIS_CHUNK_BITS][ord & (CN_VIS_CHUNK - 1)];
}

/* The ordinal of the visitor with key, or UINT32_MAX. */
static inline uint32_t cn__vis_find(const cn_suite_state_t *s, cn_key_t key)
{
    uint32_t tag = (uint32_t)(key.a >> 32);
    size_t mask = ((size_t)1 << s->vidx_bits) - 1;
    for (size_t i = (size_t)(tag >> (32 - s->vidx_bits));; i = (i + 1) & mask) {
        uint64_t slot = s->vidx[i];
        if (slot == 0)
            return UINT32_MAX;
        if ((uint32_t)(slot >> 32) == tag) {
            uint32_t ord = (uint32_t)slot - 1;
            const cn_visitor_t *v = cn__vis_at(s, ord);
            if (v->key.a == key.a && v->key.b == key.b)
                return ord;
        }
    }
}

/* Makes room for need entries in v's eVar array (its first CN_BPOOL_CAP from the suite's pool). */
static inline void cn__evars_grow(cn_suite_state_t *s, cn_visitor_t *v, size_t need)
{
    uint16_t cap = v->evar_cap;
    v->evars =
        cn__bpool_grow(&s->evar_pool, v->evars, sizeof(*v->evars), v->evar_count, &cap, need);
    v->evar_cap = cap;
}

/* Appends a visitor with key (not in the table), zeroed otherwise; returns its ordinal. */
uint32_t cn__vis_add(cn_suite_state_t *s, cn_key_t key);

int cn__process_suite_conf(cn_suite_state_t *s, const cn_suite_conf_t *sc, cn_err_t *err);
/* salt_retention of sc (confcheck.c): leaves *days, or raises it to the suite's days (-1 for
 * never, which wins over any number). 0 or CN_ECONFIG. */
int cn__process_salt_retention(const cn_suite_conf_t *sc, int64_t *days, cn_err_t *err);
/* The value of pool id (valid while the pool does not grow). */
static inline cn_str_t cn__pool_get(const cn_suite_state_t *s, uint32_t id)
{
    cn_pool_ent_t e = s->pool[id];
    return cn_str(s->pool_data.ptr + e.off, e.len);
}
/* cn__pool_intern's path past its memo: slot is v's memo slot (NULL: no memo yet). */
uint32_t cn__pool_intern_slow(cn_suite_state_t *s, cn_str_t v, uint32_t *slot);
/*
 * The pool id of v, added when new. A memo of recently interned values (their ids, by a slot
 * from a few of their bytes) answers most calls with one compare against the pool's copy,
 * without the XXH3-128 and the map's probe: the pool holds each value once, so the id whose
 * value is v is the map's answer. The memo's probe is inline.
 */
static inline uint32_t cn__pool_intern(cn_suite_state_t *s, cn_str_t v)
{
    if (s->pool_memo == NULL)
        return cn__pool_intern_slow(s, v, NULL);
    uint32_t *slot = &s->pool_memo[cn__str_mix(v) >> 40 & (CN_POOL_MEMO - 1)];
    uint32_t id = *slot;
    if (id != 0 && cn_str_eq_short(cn__pool_get(s, id - 1), v))
        return id - 1;
    return cn__pool_intern_slow(s, v, slot);
}
/* A sink that drops every row: what a suppressed suite emits to (checkpoint.c). */
extern const cn_sink_t cn__null_sink;

/* --- Merchandising eVar bindings (merch.c; docs/processing.md "Merchandising eVars") --- */

#define CN_MERCH_MAX 512 /* bindings per visitor; beyond, the oldest set one is dropped */
typedef struct cn_merch cn_merch_t;
/*
 * For hit h (row hid) of visitor vord, after its own var rows: expires the visitor's bindings,
 * binds the hit's merchandising eVars to their SKUs, writes a CN_VAR_MERCH row for each item
 * whose SKU is bound and that does not give that eVar itself, then ends the bindings that
 * expire on the hit's events. ev_val: the value of each of the hit's
 * events, CN_EV_REPEAT for a serialized event already seen (it ends nothing). own: the
 * index (from h->var_first) of the hit's first
 * merchandising eVar (a CN_VAR_EVAR var with product >= 0), UINT32_MAX when none. Call it
 * for hits with products and such a var, and, when the visitor's merch bit is set, for hits
 * with products or events (without either it has nothing to do). Returns 0 or the sink's
 * error.
 */
int cn__merch_hit(cn_process_t *p, cn_suite_state_t *s, uint32_t vord, const cn_dbatch_t *b,
                  const cn_dhit_t *h, uint32_t hid, int64_t ts, uint8_t events,
                  const int64_t *ev_val, uint32_t own);
/* Starts loading visitor vord's bindings' list header (a cache miss), to be read later. */
void cn__merch_prefetch(const cn_suite_state_t *s, uint32_t vord);
/* The same for the bindings themselves, once the list header is in the cache. */
void cn__merch_prefetch_binds(const cn_suite_state_t *s, uint32_t vord);
void cn__merch_free(cn_merch_t *m);
/* Checkpoint: writes visitor vord's live bindings (count, then evar, SKU hash, val, zigzag set_ts,
 * set_visit each); cn__merch_restore adds one back (-1 when it is out of range or too many). */
void cn__merch_put(const cn_suite_state_t *s, uint32_t vord, cn_buf_t *b);
int cn__merch_restore(cn_suite_state_t *s, uint32_t vord, unsigned evar, uint64_t sku_fp,
                      uint32_t val, int64_t set_ts, uint32_t set_visit);
/* a <= b in log order */
static inline bool cn__pos_le(cn_hitlog_pos_t a, cn_hitlog_pos_t b)
{
    return a.segment < b.segment || (a.segment == b.segment && a.offset <= b.offset);
}
/* Ends a suite's suppression once pos is past its sink's position. */
void cn__suite_unsuppress(cn_suite_state_t *s, cn_hitlog_pos_t pos);

/* --- The pipeline (pipe.c): decoding and enrichment ahead of the state, on a worker --- */

/*
 * What a visit row takes from enrichment for one decoded hit and one suite.
 * Strings that enrichment derives from the input (referrer domain, search
 * terms, campaign, utm_*) are copied into an arena when one is given, so the
 * result outlives the next enrichment call; the others live while the
 * enrichment thread handle does.
 */
typedef struct cn_penrich {
    bool ok;        /* computed */
    bool has_geo;   /* the IP looked up */
    uint8_t ip_len; /* the visit's ip column (cn_enrich_ip_text): ip_len bytes of ip */
    char ip[CN_ENRICH_IP_TEXT_CAP];
    cn_ua_info_t ua;
    cn_geo_t geo;
    cn_ref_info_t ref;
    cn_campaign_t camp;
    cn_str_t channel;
} cn_penrich_t;

/* Enriches hit h of raw for suite sc with et; keep (may be NULL) holds copies of input strings. */
void cn__penrich(cn_enrich_thread_t *et, const cn_suite_conf_t *sc, const cn_rawhit_t *raw,
                 const cn_dhit_t *h, cn_parena_t *keep, cn_penrich_t *out);

/* A hitlog record decoded and enriched by the worker, waiting for the state stage. */
typedef struct cn_prec {
    bool init;           /* rec and b are initialized */
    cn_hitlog_pos_t pos; /* where the record is */
    cn_buf_t rec;        /* its bytes */
    bool rec_ok;         /* they decode as a raw hit */
    cn_rawhit_t raw;     /* slices into rec */
    int reason;          /* cn_decode_raw's result: 0 or a bad-row reason */
    cn_dbatch_t b;       /* the decoded hits */
    cn_penrich_t *pe;    /* [suite index * b.hit_count + hit index]; NULL without enrichment */
    size_t pe_cap;
    cn_err_t err; /* reason's detail (last: the state stage seldom reads it) */
} cn_prec_t;

/*
 * Decodes a hitlog record of len bytes at rec into raw and b for p: false when it is not a raw
 * hit (b emptied), else true with *reason cn_decode_raw's result (0, or a bad-row reason with
 * err). The decoding both the worker (pipe.c) and a one-thread run do ahead of the state stage.
 */
bool cn__decode_record(const cn_process_t *p, const void *rec, size_t len, cn_rawhit_t *raw,
                       cn_dbatch_t *b, int *reason, cn_err_t *err);
/* The state stage for one prepared record: as cn_process_record (a hit's raw referrer may be
 * decoded into r's batch: cn_decode_referrer). */
int cn__process_prec(cn_process_t *p, cn_prec_t *r);
/*
 * cn_process_run's loop over reader r with decoding and enrichment on a
 * worker thread. Returns 1 when the worker cannot start (the caller then
 * runs on one thread), else 0 or the first error (err set).
 */
int cn__pipe_run(cn_process_t *p, cn_hitlog_reader_t *r, atomic_bool *stop, cn_err_t *err);
void cn__pipe_free(struct cn_pipe *pp);
/* Frees a one-thread run's group of records (process.c); NULL is allowed. */
void cn__group_free(struct cn_grec *g);
/*
 * Checkpoints when it is time (cn_process_run's rule), and with p->salt_clock expires the
 * salts by the wall clock every CN_SALT_CLOCK_US; 0 or an error with err set. The run
 * loops call it every CN_CK_EVERY_RECS records and at the end of what they read (it reads the
 * clock).
 */
#define CN_CK_EVERY_RECS 64
#define CN_SALT_CLOCK_US (60 * 1000000LL)
int cn__process_ck_maybe(cn_process_t *p, int64_t *last_ck, int64_t *ck_every, cn_err_t *err);

#endif
