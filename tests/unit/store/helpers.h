/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the store tests: a temporary data folder, a suite, and rows. */
#ifndef CN_TESTS_STORE_HELPERS_H
#define CN_TESTS_STORE_HELPERS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static inline char *tmp_data_dir(void)
{
    char tmpl[] = "/tmp/cn_store_test.XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        abort();
    return strdup(d);
}

static inline void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        abort();
}

/* A writer on dir without fsync; aborts with the reason when it cannot open. */
static inline cn_store_t *t_open_store(const char *dir, const cn_suite_conf_t *suite)
{
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.no_fsync = true;
    cn_store_t *s = NULL;
    cn_err_t err;
    int rc = cn_store_open(dir, suite, &o, &s, &err);
    if (rc != 0) {
        fprintf(stderr, "open %s: %s\n", dir, cn_err_msg(&err, rc));
        abort();
    }
    return s;
}

/* The files of suite shop's store folder whose name ends in ext (".seg", ".ckpt"). */
static inline size_t t_count_files(const char *dir, const char *ext)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/store/shop", dir);
    DIR *d = opendir(p);
    if (!d)
        abort();
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), el = strlen(ext);
        n += l > el && strcmp(e->d_name + l - el, ext) == 0;
    }
    closedir(d);
    return n;
}

static inline cn_suite_conf_t test_suite(const char *tz)
{
    cn_suite_conf_t s;
    memset(&s, 0, sizeof(s));
    s.id = (char *)"shop";
    s.timezone = (char *)tz;
    s.currency = (char *)"USD";
    return s;
}

/* Test rows: hit i belongs to visit i / 5 of visitor (i / 5) % 1000. */
#define T_BASE_TS 1764547200000000LL /* 2025-12-01T00:00:00Z */

static inline void t_visit_row(uint64_t v, cn_visit_row_t *r, char *buf, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->visitor = (uint32_t)(v % 1000);
    r->visit_num = (uint32_t)(v / 1000 + 1);
    r->start_ts = T_BASE_TS + (int64_t)v * 5 * 37000000;
    snprintf(buf, len, "/landing/%u", (unsigned)(v % 13));
    r->entry_page = cn_str_c(buf);
    r->country = (v % 3) ? CN_STR_LIT("US") : CN_STR_LIT("DE");
    r->channel = CN_STR_LIT("natural search");
    r->device = (uint8_t)(v % 4);
}

static inline void t_hit_row(uint64_t i, int64_t step_us, cn_hit_row_t *r, char *buf, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->ts = T_BASE_TS + (int64_t)i * step_us;
    r->visit = (uint32_t)(i / 5);
    r->hit_num = (uint32_t)i;
    r->type = (uint8_t)(i % 4 == 3);
    r->events = (uint8_t)(i % 7 == 0 ? 1 : 0);
    snprintf(buf, len, "/p/%u", (unsigned)(i % 50));
    r->page = cn_str_c(buf);
    r->url = cn_str_c(buf);
    if (i % 97 == 0) {
        r->revenue = (int64_t)(i % 1000) * 10000 + 99;
        r->units = 2;
        r->currency = CN_STR_LIT("USD");
    }
}

/* Emits hits [from, to) with their visits and child rows; returns 0 or the first error. */
static inline int t_emit(cn_sink_t *k, uint64_t from, uint64_t to, int64_t step_us)
{
    char b1[64], b2[64];
    for (uint64_t i = from; i < to; i++) {
        if (i % 5 == 0) {
            cn_visit_row_t v;
            t_visit_row(i / 5, &v, b1, sizeof(b1));
            int rc = k->visit(k->ud, (uint32_t)(i / 5), &v);
            if (rc < 0)
                return rc;
        }
        cn_hit_row_t h;
        t_hit_row(i, step_us, &h, b2, sizeof(b2));
        uint32_t id;
        int rc = k->hit(k->ud, &h, &id);
        if (rc < 0)
            return rc;
        if (i % 7 == 0) {
            cn_item_row_t it = {
                .hit = id, .sku = CN_STR_LIT("SKU-1"), .quantity = 1, .revenue = 5 * 10000};
            if ((rc = k->item(k->ud, &it)) < 0)
                return rc;
            it.sku = CN_STR_LIT("SKU-2");
            if ((rc = k->item(k->ud, &it)) < 0)
                return rc;
        }
        if (i % 11 == 0) {
            cn_var_row_t vr = {.hit = id, .var = 0x10000 | 3, .value = CN_STR_LIT("blue")};
            if ((rc = k->var(k->ud, &vr)) < 0)
                return rc;
            cn_event_row_t ev = {.hit = id, .event = 5, .value = 10000};
            if ((rc = k->event(k->ud, &ev)) < 0)
                return rc;
        }
    }
    return 0;
}

#endif
