/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enrichment reload at the process level (cn_process_set_enrich, process.h):
 * two snapshots of the same configuration whose suite referer_list file says
 * news.reload.test is a search engine (E1, channel "Natural Search") and then
 * a social network (E2, "Social Networks"); every raw hit is a new visitor
 * coming from that host, so each visit row shows which snapshot enriched it.
 *   - asked for before a run, the switch gives exactly the rows of a
 *     processor made on E2, on one thread and with the worker; a second call
 *     before the switch replaces the first's snapshot;
 *   - asked for in the middle of a run (from the sink, on the processing
 *     thread), the rows switch once, at a batch boundary shortly after, and
 *     never go back; the worker's old handle is freed only when no record
 *     it enriched is left (ASan would see a use after free otherwise);
 *   - a processor made without enrichment starts enriching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "conf/conf.h"
#include "enrich/enrich.h"
#include "helpers.h"
#include "hitlog/hitlog.h"
#include "process/process.h"

#include <cmocka.h>

#define T0  1795910400000000LL /* 2026-11-29T00:00:00Z */
#define SEC 1000000LL
#define N   3000

static const char SEARCH[] = "search:\n  Reload Engine:\n    parameters:\n      - q\n"
                             "    domains:\n      - news.reload.test\n";
static const char SOCIAL[] = "social:\n  Reload Social:\n    domains:\n      - news.reload.test\n";

static char DIR_[256];
static cn_conf_t *C;
static cn_enrich_t *E1, *E2;

/* The sink: memsink rows, each visit's channel, and a reload asked for at visit ask_at. */
static memsink_t MEM;
static cn_process_t *P;
static uint8_t CHAN[N]; /* per visit: 1 Natural Search, 2 Social Networks, 0 other */
static uint32_t VISITS;
static uint32_t ASK_AT = UINT32_MAX;

static int sink_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    if (VISITS < N)
        CHAN[VISITS] = cn_str_eq_c(r->channel, "Natural Search")    ? 1
                       : cn_str_eq_c(r->channel, "Social Networks") ? 2
                                                                    : 0;
    if (++VISITS == ASK_AT)
        cn_process_set_enrich(P, E2); /* from the processing thread, in the middle of a run */
    return ms_visit(ud, visit, r);
}

static int sink_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud;
    (void)suite;
    *out = memsink_sink(&MEM);
    out->visit = sink_visit;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (test_dir_setup(DIR_, sizeof(DIR_), "/tmp/cn-reload-test", NULL, 0, NULL) != 0)
        return -1;
    char conf[1024];
    int n =
        snprintf(conf, sizeof(conf),
                 "[suite shop]\ndomains = shop.canton.test\nreferer_list = %s/refs.yml\n", DIR_);
    cn_err_t err;
    if (cn_conf_parse("test.conf", conf, (size_t)n, &C, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    char hl[512];
    snprintf(hl, sizeof(hl), "%s/hitlog", DIR_);
    cn_hitlog_opts_t ho;
    cn_hitlog_opts_init(&ho);
    ho.buffered = true;
    cn_hitlog_t *log;
    if (cn_hitlog_open(hl, &ho, &log, NULL, &err) != 0)
        return -1;
    cn_buf_t b = CN_BUF_INIT;
    for (int i = 0; i < N; i++) {
        char q[512], ip[64];
        snprintf(q, sizeof(q),
                 "vid=v%d&pageName=home&g=https%%3A%%2F%%2Fshop.canton.test%%2F"
                 "&r=https%%3A%%2F%%2Fnews.reload.test%%2Fx%%3Fq%%3Dtea",
                 i);
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
        cn_rawhit_t r = {.recv_us = T0 + (int64_t)i * SEC,
                         .proto = CN_PROTO_ADOBE,
                         .suite = CN_STR_LIT("shop"),
                         .ip = cn_str_c(ip),
                         .ua = CN_STR_LIT("Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                                          "AppleWebKit/537.36 (KHTML, like Gecko) "
                                          "Chrome/120.0.0.0 Safari/537.36"),
                         .method = CN_STR_LIT("GET"),
                         .path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1"),
                         .query = cn_str_c(q)};
        cn_buf_clear(&b);
        cn_rawhit_encode(&r, &b);
        if (cn_hitlog_append_sync(log, b.ptr, b.len, NULL) != 0)
            return -1;
    }
    cn_buf_dispose(&b);
    cn_hitlog_sync(log);
    cn_hitlog_close(log);
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = C;
    if (test_write_file(DIR_, "refs.yml", SEARCH) != 0 || cn_enrich_open(&eo, &E1, &err) != 0 ||
        test_write_file(DIR_, "refs.yml", SOCIAL) != 0 || cn_enrich_open(&eo, &E2, &err) != 0) {
        fprintf(stderr, "enrichment: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_enrich_unref(E1);
    cn_enrich_unref(E2);
    return test_dir_teardown(DIR_, C);
}

/*
 * Runs a processor made on e over the whole hitlog; first (may be NULL) and second are handed
 * to cn_process_set_enrich before the run, ask_at asks for E2 at that visit. out gets the rows.
 */
static void run(cn_enrich_t *e, unsigned threads, cn_enrich_t *first, cn_enrich_t *second,
                uint32_t ask_at, cn_buf_t *out, cn_process_stats_t *st)
{
    memsink_init(&MEM);
    memset(CHAN, 0, sizeof(CHAN));
    VISITS = 0;
    ASK_AT = ask_at;
    cn_process_opts_t o = {
        .from_scratch = true, .no_checkpoint_file = true, .dry_run = true, .threads = threads};
    cn_err_t err;
    P = test_process_open(C, e, DIR_, sink_open, &o);
    assert_non_null(P);
    if (first != NULL)
        cn_process_set_enrich(P, first);
    if (second != NULL)
        cn_process_set_enrich(P, second);
    char hl[512];
    snprintf(hl, sizeof(hl), "%s/hitlog", DIR_);
    assert_int_equal(cn_process_run(P, hl, NULL, &err), 0);
    cn_process_stats(P, st);
    cn_process_free(P);
    P = NULL;
    cn_buf_clear(out);
    cn_buf_append(out, MEM.committed.ptr, MEM.committed.len);
    cn_buf_append(out, MEM.pending.ptr, MEM.pending.len);
    memsink_dispose(&MEM);
    assert_int_equal(st->raw_hits, N);
    assert_int_equal(VISITS, N);
}

static size_t count(int chan)
{
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        n += CHAN[i] == chan;
    return n;
}

static void a_switch_before_the_run_gives_the_rows_of_the_new_data(void **state)
{
    (void)state;
    cn_buf_t want = CN_BUF_INIT, got = CN_BUF_INIT;
    cn_process_stats_t st;
    for (unsigned threads = 1; threads <= 2; threads++) {
        run(E1, threads, NULL, NULL, UINT32_MAX, &want, &st);
        assert_int_equal(count(1), N); /* E1: every visit from the search engine */
        assert_int_equal(st.enrich_switches, 0);
        run(E2, threads, NULL, NULL, UINT32_MAX, &want, &st);
        assert_int_equal(count(2), N);
        /* made on E1, switched to E2 before its run: E2's rows */
        run(E1, threads, E2, NULL, UINT32_MAX, &got, &st);
        assert_int_equal(st.enrich_switches, 1);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
        /* two calls before the switch: the second's snapshot, one switch */
        run(E2, threads, E1, E2, UINT32_MAX, &got, &st);
        assert_int_equal(st.enrich_switches, 1);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
        /* made without enrichment: it starts enriching */
        run(NULL, threads, E2, NULL, UINT32_MAX, &got, &st);
        assert_int_equal(st.enrich_switches, 1);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
    }
    cn_buf_dispose(&want);
    cn_buf_dispose(&got);
}

static void a_switch_during_a_run_happens_once_at_a_batch_boundary(void **state)
{
    (void)state;
    cn_buf_t rows = CN_BUF_INIT;
    cn_process_stats_t st;
    for (unsigned threads = 1; threads <= 2; threads++) {
        /* (not near the end with the worker: it may have read the whole log by then, and the
         * switch is left for the next run) */
        static const uint32_t ats[] = {1, 200, 978, 1700, N - 30};
        for (size_t k = 0; k < sizeof(ats) / sizeof(ats[0]); k++) {
            uint32_t at = ats[k];
            if (threads == 2 && at > N - 5 * 256)
                continue;
            run(E1, threads, NULL, NULL, at, &rows, &st);
            assert_int_equal(st.enrich_switches, 1);
            /* E1 up to the switch, E2 after it, no going back */
            size_t first2 = 0;
            while (first2 < N && CHAN[first2] == 1)
                first2++;
            for (size_t i = first2; i < N; i++)
                assert_int_equal(CHAN[i], 2);
            assert_true(first2 >= at); /* never within what was enriched before the call */
            /* one thread: at the next reload point (every 64 records); the worker: at its next
             * slot, behind the at most 4 slots of 256 records it filled before */
            assert_true(first2 <= at + (threads == 1 ? 64 : 5 * 256));
            assert_true(first2 < N || at > N - 64); /* (a switch after the last record) */
        }
    }
    cn_buf_dispose(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_switch_before_the_run_gives_the_rows_of_the_new_data),
        cmocka_unit_test(a_switch_during_a_run_happens_once_at_a_batch_boundary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
