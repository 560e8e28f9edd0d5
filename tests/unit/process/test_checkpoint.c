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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(many_visitors_survive_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pool_value_twice_does_not_decode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
