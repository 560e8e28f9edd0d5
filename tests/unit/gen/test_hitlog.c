/* SPDX-License-Identifier: Apache-2.0 */
/*
 * canton gen into the hitlog: what a reader gets back decodes into exactly
 * the raw hits the generator produced, in time order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/gen.h"
#include "hit/rawhit.h"
#include "hitlog/hitlog.h"

#include <cmocka.h>

static cn_gen_opts_t opts(void)
{
    cn_gen_opts_t o;
    cn_gen_opts_init(&o);
    o.seed = 17;
    o.from_us = (int64_t)1794182400 * 1000000;
    o.to_us = o.from_us + (int64_t)86400 * 1000000;
    o.visits_per_day = 2000;
    return o;
}

static void appended(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    if (status < 0)
        *(int *)ud = status;
}

static void hits_round_trip_through_the_hitlog(void **state)
{
    (void)state;
    char dir[] = "/tmp/canton-gen-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char logdir[256];
    snprintf(logdir, sizeof(logdir), "%s/hitlog", dir);

    cn_gen_opts_t o = opts();
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_hitlog_opts_t ho;
    cn_hitlog_opts_init(&ho);
    ho.buffered = true;
    cn_hitlog_t *log;
    assert_int_equal(cn_hitlog_open(logdir, &ho, &log, NULL, NULL), 0);
    cn_buf_t rec = CN_BUF_INIT;
    cn_gen_hit_t h;
    uint64_t n = 0;
    int status = 0;
    while (cn_gen_next(g, &h) == 1) {
        cn_buf_clear(&rec);
        cn_rawhit_encode(&h.raw, &rec);
        assert_int_equal(cn_hitlog_append(log, rec.ptr, rec.len, appended, &status), 0);
        n++;
    }
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_close(log);
    assert_int_equal(status, 0);
    cn_gen_free(g);
    assert_true(n > 3000);

    /* Read back and compare with a second run of the same generator. */
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(logdir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    uint64_t m = 0;
    int64_t last = 0;
    while (cn_hitlog_reader_next(r, &p, &len, &pos, NULL) == 1) {
        cn_rawhit_t got;
        assert_int_equal(cn_rawhit_decode(p, len, &got), 0);
        assert_int_equal(cn_gen_next(g, &h), 1);
        assert_true(got.recv_us >= last);
        last = got.recv_us;
        assert_int_equal(got.recv_us, h.raw.recv_us);
        assert_int_equal(got.proto, h.raw.proto);
        assert_true(cn_str_eq(got.suite, h.raw.suite));
        assert_true(cn_str_eq(got.ip, h.raw.ip));
        assert_true(cn_str_eq(got.ua, h.raw.ua));
        assert_true(cn_str_eq(got.method, h.raw.method));
        assert_true(cn_str_eq(got.path, h.raw.path));
        assert_true(cn_str_eq(got.query, h.raw.query));
        cn_buf_t t = CN_BUF_INIT; /* as received: the user agent is kept once */
        cn_rawhit_headers_text(&got, &t);
        assert_true(cn_str_eq(cn_buf_str(&t), h.raw.headers));
        assert_true(got.headers.len < h.raw.headers.len);
        cn_buf_dispose(&t);
        assert_true(cn_str_eq(got.body, h.raw.body));
        m++;
    }
    cn_hitlog_reader_close(r);
    assert_int_equal(cn_gen_next(g, &h), 0);
    cn_gen_free(g);
    assert_int_equal(m, n);
    cn_buf_dispose(&rec);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hits_round_trip_through_the_hitlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
