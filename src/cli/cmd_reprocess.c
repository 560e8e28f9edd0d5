/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton reprocess --suite S`: replays the whole hitlog for one suite with
 * fresh visitor state, up to the position of the live processing checkpoint,
 * and gives the rows to the suite's sink; then stores the recomputed state
 * in the checkpoint. `--all` replays every suite from empty state to the end
 * of the log, as a first run would (bad-row log and checkpoint rewritten). Rows are counted and
 * hashed (XXH3 over every row), so that two runs can be compared: the same hitlog, configuration,
 * rates and salts give the same digest. Until the store is wired in here, rows are only counted and
 * hashed (docs/processing.md).
 */
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "enrich/enrich.h"
#include "process/process.h"

typedef struct digest {
    XXH3_state_t *st;
    uint64_t visits, hits, items, vars, events;
} digest_t;

static void put_str(XXH3_state_t *st, cn_str_t s)
{
    uint64_t n = s.len;
    XXH3_64bits_update(st, &n, sizeof(n));
    XXH3_64bits_update(st, s.ptr ? s.ptr : "", s.len);
}

#define D_CN_COLK_TS(st, v)            XXH3_64bits_update(st, &(v), sizeof(v))
#define D_CN_COLK_MONEY(st, v)         XXH3_64bits_update(st, &(v), sizeof(v))
#define D_CN_COLK_U8(st, v)            XXH3_64bits_update(st, &(v), sizeof(v))
#define D_CN_COLK_U32(st, v)           XXH3_64bits_update(st, &(v), sizeof(v))
#define D_CN_COLK_DICT(st, v)          put_str(st, v)
#define D_FIELD(name, kind, json, doc) D_##kind(d->st, r->name);

static int d_visit(void *ud, uint32_t visit, const cn_visit_row_t *r)
{
    digest_t *d = ud;
    XXH3_64bits_update(d->st, "V", 1);
    XXH3_64bits_update(d->st, &visit, sizeof(visit));
    CN_VISIT_COLUMNS(D_FIELD)
    d->visits++;
    return 0;
}

static int d_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    digest_t *d = ud;
    *out = (uint32_t)d->hits++;
    XXH3_64bits_update(d->st, "H", 1);
    CN_HIT_COLUMNS(D_FIELD)
    return 0;
}

static int d_item(void *ud, const cn_item_row_t *r)
{
    digest_t *d = ud;
    XXH3_64bits_update(d->st, "I", 1);
    CN_ITEM_COLUMNS(D_FIELD)
    d->items++;
    return 0;
}

static int d_var(void *ud, const cn_var_row_t *r)
{
    digest_t *d = ud;
    XXH3_64bits_update(d->st, "R", 1);
    CN_VAR_COLUMNS(D_FIELD)
    d->vars++;
    return 0;
}

static int d_event(void *ud, const cn_event_row_t *r)
{
    digest_t *d = ud;
    XXH3_64bits_update(d->st, "E", 1);
    CN_EVENT_COLUMNS(D_FIELD)
    d->events++;
    return 0;
}

static const char *g_suite; /* NULL: every suite */

static int d_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    static digest_t none;
    digest_t *d = g_suite == NULL || strcmp(suite->id, g_suite) == 0 ? ud : &none;
    *out = (cn_sink_t){d, d_visit, d_hit, d_item, d_var, d_event, NULL};
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: canton reprocess --suite S [--config FILE] [--data DIR]\n\n"
            "Replays the whole hitlog (DIR/hitlog) for suite S with fresh visitor state, up\n"
            "to where live processing has got (its checkpoint), and prints the row counts\n"
            "and a digest over every row: the same hitlog, configuration, rates and salts\n"
            "give the same digest. The recomputed state replaces S's state in the checkpoint.\n\n"
            "  --suite S       the report suite (required)\n"
            "  --config FILE   INI configuration (default: the built-in demo suite)\n"
            "  --data DIR      data folder (overrides [server] data)\n");
}

int cn_cmd_reprocess(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *config = NULL, *data = NULL, *suite = NULL;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc)
            suite = argv[++i];
        else if (strcmp(argv[i], "--all") == 0)
            all = true;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else {
            fprintf(stderr, "canton reprocess: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if ((suite == NULL) == !all) {
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_err_t err;
    cn_err_clear(&err);
    cn_conf_t *conf = NULL;
    int rc;
    if (config != NULL) {
        if ((rc = cn_conf_load(config, &conf, &err)) != 0) {
            fprintf(stderr, "canton reprocess: %s\n", cn_err_msg(&err, rc));
            return CN_EXIT_FAIL;
        }
    } else {
        conf = cn_conf_default();
    }
    if (data == NULL)
        data = conf->data_dir;
    g_suite = suite;
    digest_t d = {.st = XXH3_createState()};
    XXH3_64bits_reset(d.st);
    cn_sink_factory_t f = {&d, d_open};
    cn_process_opts_t o = {.only_suite = suite, .from_scratch = all};
    cn_process_t *p = NULL;
    int code = CN_EXIT_OK;
    /* the same enrichment data sets as live processing, so the rows are the same */
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    cn_enrich_t *e = NULL;
    if ((rc = cn_enrich_open(&eo, &e, &err)) != 0) {
        fprintf(stderr, "canton reprocess: enrichment: %s\n", cn_err_msg(&err, rc));
        XXH3_freeState(d.st);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/hitlog", data);
    if ((rc = cn_process_new(conf, e, data, &f, &o, &p, &err)) != 0 ||
        (rc = cn_process_run(p, dir, NULL, &err)) != 0 || (rc = cn_process_checkpoint(p)) != 0) {
        fprintf(stderr, "canton reprocess: %s\n", cn_err_msg(&err, rc));
        code = CN_EXIT_FAIL;
    } else {
        cn_process_stats_t st;
        cn_process_stats(p, &st);
        printf("suite %s: %llu raw hits read, %llu visits, %llu hits, %llu items, %llu vars, "
               "%llu events, %llu bad rows\ndigest %016llx\n",
               all ? "(all)" : suite, (unsigned long long)st.raw_hits, (unsigned long long)d.visits,
               (unsigned long long)d.hits, (unsigned long long)d.items, (unsigned long long)d.vars,
               (unsigned long long)d.events, (unsigned long long)st.bad_rows,
               (unsigned long long)XXH3_64bits_digest(d.st));
    }
    cn_process_free(p);
    cn_enrich_unref(e);
    XXH3_freeState(d.st);
    cn_conf_free(conf);
    return code;
}
