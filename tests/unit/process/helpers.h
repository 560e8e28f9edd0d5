/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers for the process module: raw hits from the shared tracker
 * fixtures (CANTON_SHARED), and an in-memory sink that serializes every row
 * as a text line and keeps a hash over all of them. The sink behaves like the
 * store on a crash: rows after the last checkpoint() are lost by
 * memsink_crash().
 */
#ifndef CN_TESTS_PROCESS_HELPERS_H
#define CN_TESTS_PROCESS_HELPERS_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "hit/hit.h"
#include "hit/rawhit.h"
#include "hit/sink.h"
#include "lib/buf.h"
#include "process/process.h"

/* --- A test's data folder and configuration --- */

/*
 * Makes a fresh folder named after prefix (e.g. "/tmp/cn-proc-test") into
 * dir and, when conf_text is not NULL, parses it into *conf. Returns 0, or
 * -1 with a message on stderr.
 */
static inline int test_dir_setup(char *dir, size_t cap, const char *prefix, const char *conf_text,
                                 size_t conf_len, cn_conf_t **conf)
{
    snprintf(dir, cap, "%s-XXXXXX", prefix);
    if (mkdtemp(dir) == NULL)
        return -1;
    cn_err_t err;
    if (conf_text != NULL && cn_conf_parse("test.conf", conf_text, conf_len, conf, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Writes text to the file name in dir. Returns 0 or -1. */
static inline int test_write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f == NULL)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

/* Frees conf (may be NULL) and removes dir with everything in it. */
static inline int test_dir_teardown(const char *dir, cn_conf_t *conf)
{
    cn_conf_free(conf);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

/*
 * cn_process_new over dir with a sink factory of open alone (no blob). NULL,
 * with the error on stderr, when it fails: callers assert_non_null.
 */
static inline cn_process_t *
test_process_open(const cn_conf_t *conf, cn_enrich_t *e, const char *dir,
                  int (*open)(void *, const cn_suite_conf_t *, cn_sink_t *),
                  const cn_process_opts_t *o)
{
    cn_sink_factory_t f = {NULL, open, NULL};
    cn_process_t *p;
    cn_err_t err;
    if (cn_process_new(conf, e, dir, &f, o, &p, &err) != 0) {
        fprintf(stderr, "cn_process_new: %s\n", err.msg);
        return NULL;
    }
    return p;
}

/* --- Fixtures --- */

typedef struct fixture {
    json_t *json;
    cn_buf_t headers;
    cn_rawhit_t raw;
} fixture_t;

static inline int64_t iso_to_us(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    sscanf(s, "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
           &tm.tm_sec, &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000000 + ms * 1000;
}

/* Loads line seq (1-based) of shared/fixtures/trackers/<tracker>/<scenario>.jsonl. */
static inline int fixture_load(fixture_t *f, const char *tracker, const char *scenario, int seq)
{
    const char *shared = getenv("CANTON_SHARED");
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures/trackers/%s/%s.jsonl", shared ? shared : "../shared",
             tracker, scenario);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    memset(f, 0, sizeof(*f));
    while (getline(&line, &cap, fp) > 0) {
        if (++n == seq) {
            f->json = json_loads(line, 0, NULL);
            break;
        }
    }
    free(line);
    fclose(fp);
    if (f->json == NULL)
        return -1;
    cn_buf_init(&f->headers);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(f->json, "headers"), k, v)
    {
        cn_buf_printf(&f->headers, "%s: %s\n", k, json_string_value(v));
    }
    cn_rawhit_t *r = &f->raw;
    r->recv_us = iso_to_us(json_string_value(json_object_get(f->json, "received_at")));
    r->proto = CN_PROTO_ADOBE;
    r->method = cn_str_c(json_string_value(json_object_get(f->json, "method")));
    r->path = cn_str_c(json_string_value(json_object_get(f->json, "path")));
    json_t *q = json_object_get(f->json, "query");
    r->query = q && json_is_string(q) ? cn_str_c(json_string_value(q)) : CN_STR_LIT("");
    json_t *b = json_object_get(f->json, "body");
    r->body = b && json_is_string(b) ? cn_str_c(json_string_value(b)) : CN_STR_LIT("");
    r->headers = cn_buf_str(&f->headers);
    r->ua = cn_rawhit_header(r, CN_STR_LIT("user-agent"));
    r->ip = CN_STR_LIT("203.0.113.9");
    return 0;
}

static inline void fixture_free(fixture_t *f)
{
    json_decref(f->json);
    cn_buf_dispose(&f->headers);
}

/* --- In-memory sink --- */

typedef struct memsink {
    cn_buf_t committed; /* rows covered by a checkpoint */
    cn_buf_t pending;   /* rows since */
    uint32_t committed_hits, pending_hits;
    uint32_t visits, hits, items, vars, events; /* counts of everything emitted */
    int checkpoints;
    /* called with each var row before it is kept (a test's own view of some rows), or NULL */
    void (*on_var)(const cn_var_row_t *r);
} memsink_t;

static inline void ms_str(cn_buf_t *b, cn_str_t s)
{
    cn_buf_append_json_str(b, s);
    cn_buf_putc(b, ' ');
}

#define ms_put_CN_COLK_TS(b, v)    cn_buf_printf(b, "%lld ", (long long)(v))
#define ms_put_CN_COLK_MONEY(b, v) cn_buf_printf(b, "%lld ", (long long)(v))
#define ms_put_CN_COLK_U8(b, v)    cn_buf_printf(b, "%u ", (unsigned)(v))
#define ms_put_CN_COLK_U32(b, v)   cn_buf_printf(b, "%u ", (unsigned)(v))
#define ms_put_CN_COLK_DICT(b, v)  ms_str(b, v)

static inline int ms_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    memsink_t *m = ud;
    cn_buf_t *b = &m->pending;
    cn_buf_printf(b, "V %u ", visit);
#define XX(name, kind, json, doc) ms_put_##kind(b, r->name);
    CN_VISIT_COLUMNS(XX)
#undef XX
    cn_buf_putc(b, '\n');
    m->visits++;
    return 0;
}

static inline int ms_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    memsink_t *m = ud;
    cn_buf_t *b = &m->pending;
    *out = m->committed_hits + m->pending_hits++;
    cn_buf_printf(b, "H %u ", *out);
#define XX(name, kind, json, doc) ms_put_##kind(b, r->name);
    CN_HIT_COLUMNS(XX)
#undef XX
    cn_buf_putc(b, '\n');
    m->hits++;
    return 0;
}

static inline int ms_item(void *ud, const cn_item_row_t *r)
{
    memsink_t *m = ud;
    cn_buf_t *b = &m->pending;
    cn_buf_append_c(b, "I ");
#define XX(name, kind, json, doc) ms_put_##kind(b, r->name);
    CN_ITEM_COLUMNS(XX)
#undef XX
    cn_buf_putc(b, '\n');
    m->items++;
    return 0;
}

static inline int ms_var(void *ud, const cn_var_row_t *r)
{
    memsink_t *m = ud;
    cn_buf_t *b = &m->pending;
    if (m->on_var != NULL)
        m->on_var(r);
    cn_buf_append_c(b, "R ");
#define XX(name, kind, json, doc) ms_put_##kind(b, r->name);
    CN_VAR_COLUMNS(XX)
#undef XX
    cn_buf_putc(b, '\n');
    m->vars++;
    return 0;
}

static inline int ms_event(void *ud, const cn_event_row_t *r)
{
    memsink_t *m = ud;
    cn_buf_t *b = &m->pending;
    cn_buf_append_c(b, "E ");
#define XX(name, kind, json, doc) ms_put_##kind(b, r->name);
    CN_EVENT_COLUMNS(XX)
#undef XX
    cn_buf_putc(b, '\n');
    m->events++;
    return 0;
}

static inline int ms_checkpoint(void *ud, const void *blob, size_t len)
{
    memsink_t *m = ud;
    (void)blob;
    (void)len;
    cn_buf_append(&m->committed, m->pending.ptr, m->pending.len);
    cn_buf_clear(&m->pending);
    m->committed_hits += m->pending_hits;
    m->pending_hits = 0;
    m->checkpoints++;
    return 0;
}

/* What the store keeps after a crash: the committed rows only. */
static inline void memsink_crash(memsink_t *m)
{
    cn_buf_clear(&m->pending);
    m->pending_hits = 0;
}

/* Every row emitted so far (committed, then pending) as one string (caller frees). */
static inline char *memsink_text(const memsink_t *m)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append(&b, m->committed.ptr, m->committed.len);
    cn_buf_append(&b, m->pending.ptr, m->pending.len);
    cn_buf_putc(&b, 0);
    return b.ptr;
}

static inline void memsink_init(memsink_t *m)
{
    memset(m, 0, sizeof(*m));
    cn_buf_init(&m->committed);
    cn_buf_init(&m->pending);
}

static inline void memsink_dispose(memsink_t *m)
{
    cn_buf_dispose(&m->committed);
    cn_buf_dispose(&m->pending);
}

static inline cn_sink_t memsink_sink(memsink_t *m)
{
    return (cn_sink_t){m, ms_visit, ms_hit, ms_item, ms_var, ms_event, ms_checkpoint, NULL};
}

#endif
