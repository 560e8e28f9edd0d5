/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The visitor table and the checkpoint at scale: tens of thousands of
 * visitors (several chunks of the table, several doublings of its index, a
 * checkpoint written in many pieces). A resumed run gives the rows of an
 * uninterrupted one, every visitor is found again after a restart, and a
 * checkpoint loaded and written again has the same bytes (but its sequence
 * number and CRC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "helpers.h"
#include "lib/crc32c.h"
#include "lib/xalloc.h"
#include "process/internal.h"
#include "process/process.h"

#include <cmocka.h>

/* 2 chunks of the table, its index (1 MiB) in huge-page blocks (checkpoint.c); a checkpoint
 * over 1 MiB */
#define VISITORS 40000
#define MIN      60000000LL
#define T0       1795910400000000LL /* 2026-11-29T00:00:00Z */

static const char CONF[] = "[suite shop]\n"
                           "currency = USD\n"
                           "evar1 = name=Campaign; allocation=original; expiry=30d\n"
                           "evar4 = expiry=never\n";

static char DIR_[256];
static cn_conf_t *C;
static memsink_t MEM;
static uint32_t POS;

static int mem_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = memsink_sink(&MEM);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-ckpt-test", CONF, sizeof(CONF) - 1, &C);
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_teardown(DIR_, C);
}

static cn_process_t *open_proc(const cn_process_opts_t *o)
{
    cn_process_t *p = test_process_open(C, NULL, DIR_, mem_open, o);
    assert_non_null(p);
    return p;
}

/*
 * Hit i of the script: visitor i % VISITORS (by visitor id, in a scrambled
 * order) in rounds an hour apart, so that each round starts new visits of
 * known visitors; some set eVars, some are cookieless (by IP).
 */
static void hit(cn_process_t *p, int i)
{
    int v = (int)((uint64_t)(i % VISITORS) * 7919 % VISITORS); /* a permutation */
    int round = i / VISITORS;
    int64_t ts = T0 + (int64_t)round * 60 * MIN + (i % VISITORS) * 1000;
    char q[256], ip[32];
    if (v % 3 == 0)
        snprintf(q, sizeof(q), "g=https%%3A%%2F%%2Fs%%2Fp%d&v1=c%d&v4=n%d&vid=u%d", i % 50, v % 7,
                 round, v);
    else if (v % 3 == 1)
        snprintf(q, sizeof(q), "g=https%%3A%%2F%%2Fs%%2Fp%d&vid=u%d", i % 50, v);
    else
        snprintf(q, sizeof(q), "g=https%%3A%%2F%%2Fs%%2Fq%d", i % 50); /* cookieless */
    snprintf(ip, sizeof(ip), "198.%d.%d.%d", (v >> 16) & 255, (v >> 8) & 255, v & 255);
    cn_rawhit_t r = {0};
    r.recv_us = ts;
    r.proto = CN_PROTO_ADOBE;
    r.suite = CN_STR_LIT("shop");
    r.ip = cn_str_c(ip);
    r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/x/1/JS-2.21.0/s1");
    r.query = cn_str_c(q);
    assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
}

static void script(cn_process_t *p, int from, int to)
{
    POS = (uint32_t)from;
    for (int i = from; i < to; i++)
        hit(p, i);
}

static char *read_checkpoint(size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/process/checkpoint", DIR_);
    cn_buf_t b = CN_BUF_INIT;
    assert_int_equal(cn_buf_append_file(&b, path, 0), 0);
    *len = b.len;
    return b.ptr;
}

static void many_visitors_survive_a_restart(void **state)
{
    (void)state;
    const int N = 3 * VISITORS, CUT = 3 * VISITORS / 2;
    cn_process_opts_t scratch = {.from_scratch = true};

    /* 1. uninterrupted */
    memsink_init(&MEM);
    cn_process_t *p = open_proc(&scratch);
    script(p, 0, N);
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    assert_int_equal(st.visitors, VISITORS);
    assert_int_equal(st.visits, N); /* each round is an hour later: a new visit each */
    cn_process_free(p);
    char *a = memsink_text(&MEM);

    /* 2. checkpoint in the middle, crash, resume from the checkpoint */
    memsink_dispose(&MEM);
    memsink_init(&MEM);
    p = open_proc(&scratch);
    script(p, 0, CUT);
    assert_int_equal(cn_process_checkpoint(p), 0);
    script(p, CUT, CUT + 1000);
    cn_process_free(p); /* no checkpoint: a crash */
    memsink_crash(&MEM);
    size_t len1;
    char *ck1 = read_checkpoint(&len1);
    assert_true(len1 > (1u << 20)); /* written in pieces */

    /* the checkpoint loaded and written again: the same bytes but seq and CRC */
    p = open_proc(NULL);
    assert_int_equal(cn_process_checkpoint(p), 0);
    size_t len2;
    char *ck2 = read_checkpoint(&len2);
    assert_int_equal(len1, len2);
    int diff = 0;
    for (size_t i = 0; i + 4 < len1; i++)
        diff += ck1[i] != ck2[i];
    assert_int_equal(diff, 1); /* the sequence number (a one-byte varint here) */
    free(ck1);
    free(ck2);

    /* the resumed run skips what the checkpoint covers and finds every visitor again */
    script(p, 0, N);
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_stats(p, &st);
    assert_int_equal(st.visitors, 0);
    cn_process_free(p);
    char *b = memsink_text(&MEM);
    assert_string_equal(a, b);
    free(a);
    free(b);
    memsink_dispose(&MEM);
}

/* The checkpoint's eVar value pool is loaded by id: a value twice (bytes a correct CRC
 * covers, as the writer never repeats one) shifted the ids of the values after it, so that a
 * visitor's eVar silently became another value. Such a file does not decode. */
static void a_pool_value_twice_does_not_decode(void **state)
{
    (void)state;
    memsink_init(&MEM);
    cn_process_t *p = open_proc(&(cn_process_opts_t){.from_scratch = true});
    POS = 0;
    static const char *const q[] = {"g=x&vid=u1&v4=qa", "g=x&vid=u2&v4=qb", "g=x&vid=u3&v4=qc",
                                    "g=x&vid=u3&v4=qa"}; /* qc in the pool, no longer used */
    for (int i = 0; i < 4; i++) {
        cn_rawhit_t r = {0};
        r.recv_us = T0 + i * MIN;
        r.proto = CN_PROTO_ADOBE;
        r.suite = CN_STR_LIT("shop");
        r.ip = CN_STR_LIT("198.51.100.7");
        r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
        r.method = CN_STR_LIT("GET");
        r.path = CN_STR_LIT("/b/ss/x/1/JS-2.21.0/s1");
        r.query = cn_str_c(q[i]);
        assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
    }
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    memsink_dispose(&MEM);
    size_t len;
    char *ck = read_checkpoint(&len);
    /* the pool "qa", "qb", "qc": qb becomes qa, and the CRC is made right again */
    char *at = memmem(ck, len, "\x02qa\x02qb\x02qc", 9);
    assert_non_null(at);
    at[5] = 'a';
    uint32_t crc = cn_crc32c(0, ck, len - 4);
    for (int i = 0; i < 4; i++)
        ck[len - 4 + i] = (char)(crc >> (8 * i));
    char path[512];
    snprintf(path, sizeof(path), "%s/process/checkpoint", DIR_);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(ck, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(ck);
    cn_sink_factory_t fac = {NULL, mem_open, NULL};
    cn_err_t err;
    char want[600];
    snprintf(want, sizeof(want), "%s: checkpoint does not decode", path);
    memsink_init(&MEM);
    assert_int_equal(cn_process_new(C, NULL, DIR_, &fac, NULL, &p, &err), CN_ECORRUPT);
    assert_string_equal(err.msg, want);
    memsink_dispose(&MEM);
}

/* --- The visit numbers a checkpoint holds --- */

/* A visitor of a hand-made checkpoint: its visit number, current visit's ordinal, the visit
 * number when its one eVar (eVar4 = "x") was set, and when a merchandising binding (eVar1)
 * and a value of list1 were set (0: it has none). */
typedef struct ckvis {
    uint64_t visit_num, visit, set_visit, merch_visit, list_visit;
} ckvis_t;

/* Where the fields of visitor i end in a hand-made checkpoint, for the expected offsets. */
typedef struct ckoff {
    size_t visit[4];     /* just past the visitor's visit ordinal */
    size_t set_visit[4]; /* just past its eVar's set_visit */
    size_t merch[4];     /* just past its binding's set_visit */
    size_t list[4];      /* just past its list value's set_visit */
    size_t visitors;     /* just past the last visitor */
} ckoff_t;

/* A version 4 checkpoint of suite shop, as serialize() lays it out, with visit count vc and
 * the n visitors vis (one hit each in their current visit), written to the checkpoint file. */
static void write_ck(uint64_t vc, const ckvis_t *vis, size_t n, ckoff_t *off)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append(&b, "CNPROCK1", 8);
    cn_buf_put_varint(&b, 4); /* version */
    cn_buf_put_varint(&b, 7); /* sequence */
    cn_buf_putc(&b, 1);       /* has a position: */
    cn_buf_put_varint(&b, 1); /* segment */
    cn_buf_put_varint(&b, 9); /* offset */
    cn_buf_put_varint(&b, 0); /* bad-row log size */
    cn_buf_put_varint(&b, 1); /* suites */
    cn_buf_put_varint(&b, 4);
    cn_buf_append(&b, "shop", 4);
    cn_buf_put_varint(&b, vc); /* visit count */
    cn_buf_put_varint(&b, 1);  /* pool: "x" */
    cn_buf_put_varint(&b, 1);
    cn_buf_append(&b, "x", 1);
    cn_buf_put_varint(&b, n); /* visitors */
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "u%zu", i);
        cn_key_t k = cn_key_of(0x7669736974, cn_str_c(id));
        cn_buf_put_u64le(&b, k.a);
        cn_buf_put_u64le(&b, k.b);
        cn_buf_put_varint(&b, (uint64_t)T0 << 1); /* last_ts, zigzag */
        cn_buf_put_varint(&b, vis[i].visit_num);
        cn_buf_put_varint(&b, vis[i].visit);
        off->visit[i] = b.len;
        cn_buf_put_varint(&b, 1); /* hit_num */
        cn_buf_put_varint(&b, 0); /* visit_campaign */
        cn_buf_put_varint(&b, 0); /* visit_ref */
        cn_buf_put_varint(&b, 1); /* eVars: eVar4 = pool id 0 */
        cn_buf_put_varint(&b, 4);
        cn_buf_put_varint(&b, 0);
        cn_buf_put_varint(&b, (uint64_t)T0 << 1);
        cn_buf_put_varint(&b, vis[i].set_visit);
        off->set_visit[i] = b.len;
        cn_buf_put_varint(&b, vis[i].merch_visit ? 1 : 0); /* merchandising bindings */
        if (vis[i].merch_visit) {
            cn_buf_put_varint(&b, 1);      /* eVar1 */
            cn_buf_put_varint(&b, 0x5a5a); /* the SKU's hash */
            cn_buf_put_varint(&b, 0);      /* value: pool id 0 */
            cn_buf_put_varint(&b, (uint64_t)T0 << 1);
            cn_buf_put_varint(&b, vis[i].merch_visit);
        }
        off->merch[i] = b.len;
        cn_buf_put_varint(&b, vis[i].list_visit ? 1 : 0); /* list values */
        if (vis[i].list_visit) {
            cn_buf_put_varint(&b, 1); /* list1 */
            cn_buf_put_varint(&b, 0); /* pool id 0 */
            cn_buf_put_varint(&b, (uint64_t)T0 << 1);
            cn_buf_put_varint(&b, vis[i].list_visit);
        }
        off->list[i] = b.len;
    }
    off->visitors = b.len;
    cn_buf_put_varint(&b, 0); /* orders */
    cn_buf_put_varint(&b, 0); /* serials */
    cn_buf_put_u32le(&b, cn_crc32c(0, b.ptr, b.len));
    char path[512];
    snprintf(path, sizeof(path), "%s/process", DIR_);
    mkdir(path, 0755); /* made by processing; the first call here may come before */
    snprintf(path, sizeof(path), "%s/process/checkpoint", DIR_);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.ptr, 1, b.len, f), b.len);
    assert_int_equal(fclose(f), 0);
    cn_buf_dispose(&b);
}

/* Loads the checkpoint file: CN_ECORRUPT with the message "<path>: checkpoint does not
 * decode: offset <at>: <what>" when what is given, else 0 (and the processor is freed). */
static void expect_load(const char *what, size_t at)
{
    cn_sink_factory_t fac = {NULL, mem_open, NULL};
    cn_process_opts_t dry = {.dry_run = true};
    cn_process_t *p = NULL;
    cn_err_t err = {0};
    memsink_init(&MEM);
    int rc = cn_process_new(C, NULL, DIR_, &fac, &dry, &p, &err);
    if (what == NULL) {
        if (rc != 0)
            fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(rc, 0);
        cn_process_free(p);
    } else {
        char want[600];
        snprintf(want, sizeof(want),
                 "%s/process/checkpoint: checkpoint does not decode: offset %zu: %s", DIR_, at,
                 what);
        assert_int_equal(rc, CN_ECORRUPT);
        assert_string_equal(err.msg, want);
    }
    memsink_dispose(&MEM);
}

/* Processing starts a visit with visit_num++ and visit = visit_count++ together and never
 * drops a visitor: in every checkpoint it writes, each visitor's visit number is 1..visit
 * count, its current visit is below the visit count, the visit numbers add up to the visit
 * count, and a value was set in a visit so far. A checkpoint that holds to that loads; each
 * way of breaking it (bytes a correct CRC covers) is refused, naming the file, the offset
 * and the numbers. Before, each loaded: visits numbered past the count, a current visit
 * the suite would hand out again, values set in visits to come. */
static void visit_numbers_beyond_the_visits_started_do_not_decode(void **state)
{
    (void)state;
    ckoff_t o;
    /* two visitors, at their 2nd and 1st visit: visits 0 and 2 were u0's, 1 was u1's */
    write_ck(3, (ckvis_t[]){{2, 2, 1, 0, 0}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load(NULL, 0);
    write_ck(3, (ckvis_t[]){{2, 2, 2, 2, 2}, {1, 1, 1, 1, 1}}, 2, &o);
    expect_load(NULL, 0);

    write_ck(3, (ckvis_t[]){{4, 2, 1, 0, 0}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: a visitor's visit number 4 is not in 1..3 (the visits started)",
                o.visit[0]);
    write_ck(3, (ckvis_t[]){{2, 2, 1, 0, 0}, {0, 1, 0, 0, 0}}, 2, &o);
    expect_load("suite shop: a visitor's visit number 0 is not in 1..3 (the visits started)",
                o.visit[1]);
    write_ck(3, (ckvis_t[]){{2, 3, 1, 0, 0}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: a visitor's current visit 3 is not below the visit count 3",
                o.visit[0]);
    /* a value above 32 bits (it was cut to 32: 2^32 + 1 read as 1) */
    write_ck(3, (ckvis_t[]){{2, 2, 1, 0, 0}, {1, (1ull << 32) + 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: a visitor's current visit 4294967297 is not below the visit count 3",
                o.visit[1]);
    write_ck(4, (ckvis_t[]){{2, 2, 1, 0, 0}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: the visitors' visit numbers add up to 3, not the visit count 4",
                o.visitors);
    write_ck(3, (ckvis_t[]){{2, 2, 3, 0, 0}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: an eVar set in visit 3 of a visitor at visit 2", o.set_visit[0]);
    write_ck(3, (ckvis_t[]){{2, 2, 1, 0, 0}, {1, 1, 1, 2, 0}}, 2, &o);
    expect_load("suite shop: a merchandising binding set in visit 2 of a visitor at visit 1",
                o.merch[1]);
    write_ck(3, (ckvis_t[]){{2, 2, 1, 0, 3}, {1, 1, 1, 0, 0}}, 2, &o);
    expect_load("suite shop: a list value set in visit 3 of a visitor at visit 2", o.list[0]);
    /* an empty suite: no visitors, no visits */
    write_ck(0, NULL, 0, &o);
    expect_load(NULL, 0);
    write_ck(1, NULL, 0, &o);
    expect_load("suite shop: the visitors' visit numbers add up to 0, not the visit count 1",
                o.visitors);
}

/* A checkpoint canton writes after many visitors' visits, new and returning, loads again
 * under those rules (processed, checkpointed, reopened, checkpointed again: same visits). */
static void a_written_checkpoint_holds_its_visit_numbers(void **state)
{
    (void)state;
    memsink_init(&MEM);
    cn_process_t *p = open_proc(&(cn_process_opts_t){.from_scratch = true});
    /* 2,000 visitors, each seen in 3 rounds an hour apart: 6,000 visits */
    POS = 0;
    for (int i = 0; i < 3 * 2000; i++) {
        char q[128];
        int v = i % 2000, round = i / 2000;
        snprintf(q, sizeof(q), "g=x&vid=u%d&v4=r%d", v, round);
        cn_rawhit_t r = {0};
        r.recv_us = T0 + (int64_t)round * 60 * MIN + v * 1000;
        r.proto = CN_PROTO_ADOBE;
        r.suite = CN_STR_LIT("shop");
        r.ip = CN_STR_LIT("198.51.100.7");
        r.ua = CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0");
        r.method = CN_STR_LIT("GET");
        r.path = CN_STR_LIT("/b/ss/x/1/JS-2.21.0/s1");
        r.query = cn_str_c(q);
        assert_int_equal(cn_process_raw(p, &r, (cn_hitlog_pos_t){1, ++POS}), 0);
    }
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    assert_int_equal(st.visits, 6000);
    cn_process_free(p);
    memsink_dispose(&MEM);
    expect_load(NULL, 0);
    /* reopened live, written again: the same bytes but the sequence number and CRC */
    size_t len1, len2;
    char *a = read_checkpoint(&len1);
    memsink_init(&MEM);
    p = open_proc(NULL);
    assert_int_equal(cn_process_checkpoint(p), 0);
    cn_process_free(p);
    memsink_dispose(&MEM);
    char *b = read_checkpoint(&len2);
    assert_int_equal(len1, len2);
    int diff = 0;
    for (size_t i = 0; i + 4 < len1; i++)
        diff += a[i] != b[i];
    assert_int_equal(diff, 1);
    free(a);
    free(b);
    expect_load(NULL, 0);
}

/* The pool of small arrays (cn__bpool_grow): an array's first CN_BPOOL_CAP entries are a pool
 * block, a block given back is the next one handed out, an array that outgrows its block moves
 * to malloc with its entries, and one that starts bigger (a checkpoint's) never takes a block. */
static void small_arrays_come_from_a_pool_and_move_out_of_it(void **state)
{
    (void)state;
    cn_bpool_t pool;
    cn__bpool_init(&pool, CN_BPOOL_CAP * sizeof(uint64_t));
    assert_int_equal(pool.size, 32);
    enum { N = 3000 }; /* more blocks than a chunk holds */
    uint64_t *arr[N];
    uint16_t cap[N];
    for (size_t i = 0; i < N; i++) {
        cap[i] = 0;
        arr[i] = cn__bpool_grow(&pool, NULL, sizeof(uint64_t), 0, &cap[i], 1);
        assert_int_equal(cap[i], CN_BPOOL_CAP);
        assert_int_equal((uintptr_t)arr[i] % 16, 0);
        for (size_t k = 0; k < CN_BPOOL_CAP; k++)
            arr[i][k] = i * 10 + k;
    }
    /* within a block, growing keeps it */
    assert_ptr_equal(cn__bpool_grow(&pool, arr[0], sizeof(uint64_t), 2, &cap[0], 3), arr[0]);
    /* past it: twice the capacity, the entries copied, the block free for the next array */
    uint64_t *old = arr[7];
    arr[7] = cn__bpool_grow(&pool, arr[7], sizeof(uint64_t), CN_BPOOL_CAP, &cap[7], 5);
    assert_int_equal(cap[7], 2 * CN_BPOOL_CAP);
    for (size_t k = 0; k < CN_BPOOL_CAP; k++)
        assert_int_equal(arr[7][k], 70 + k);
    uint16_t c = 0;
    uint64_t *again = cn__bpool_grow(&pool, NULL, sizeof(uint64_t), 0, &c, 1);
    assert_ptr_equal(again, old);
    /* further growth reallocs; the count asked wins over doubling */
    arr[7] = cn__bpool_grow(&pool, arr[7], sizeof(uint64_t), 8, &cap[7], 40);
    assert_int_equal(cap[7], 40);
    for (size_t k = 0; k < CN_BPOOL_CAP; k++)
        assert_int_equal(arr[7][k], 70 + k);
    /* an array that starts past the pool's size is malloc'd at once */
    uint16_t big_cap = 0;
    uint64_t *big = cn__bpool_grow(&pool, NULL, sizeof(uint64_t), 0, &big_cap, 9);
    assert_int_equal(big_cap, 9);
    big[8] = 1;
    /* every other array intact */
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; i != 7 && k < CN_BPOOL_CAP; k++)
            assert_int_equal(arr[i][k], i * 10 + k);
    }
    /* an owner frees the malloc'd arrays, the pool its chunks */
    free(big);
    free(arr[7]);
    cn__bpool_put(&pool, again);
    cn__bpool_dispose(&pool);
    assert_null(pool.chunks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(many_visitors_survive_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pool_value_twice_does_not_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(visit_numbers_beyond_the_visits_started_do_not_decode,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_written_checkpoint_holds_its_visit_numbers, setup,
                                        teardown),
        cmocka_unit_test(small_arrays_come_from_a_pool_and_move_out_of_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
