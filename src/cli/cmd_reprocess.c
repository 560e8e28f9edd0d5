/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton reprocess --suite S`: rebuilds suite S's store from the whole
 * hitlog. Replays the log for S with fresh visitor state, up to the position
 * of the live processing checkpoint, into a fresh store in
 * DATA/store/.reprocess-S/store/S, makes it durable with a checkpoint blob at
 * that position, then swaps it in for DATA/store/S with one atomic
 * renameat2(RENAME_EXCHANGE) and deletes the old one. The other suites'
 * stores are not touched. It refuses while another process (`canton serve`,
 * `canton process`) holds S's store (its LOCK), and holds that lock itself
 * until the swap is done. The recomputed state of S replaces S's state in
 * the checkpoint (it is the same state: processing is deterministic).
 *
 * Rows are also counted and hashed (XXH3 over every row) so that two runs can
 * be compared. `--all` is a dry run over every suite from empty state to the
 * end of the log: it prints the counts and the digest and writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "enrich/enrich.h"
#include "lib/buf.h"
#include "process/process.h"
#include "store/store.h"

typedef struct digest {
    XXH3_state_t *st; /* NULL: rows of a suite not digested */
    cn_buf_t b;       /* row bytes not yet hashed: one XXH3 update per 64 KiB */
    size_t lim;       /* b.len a row may take the buffer to (0 until it has room) */
    uint64_t visits, hits, items, vars, events;
    cn_sink_t next; /* the store rows also go to (next.ud NULL: none) */
} digest_t;

/*
 * Row bytes go to the buffer: a fixed column is its bytes in memory, a string
 * its length as a u64 then its bytes. The buffer is hashed when the next row
 * would take it past D_FLUSH (the digest of a stream does not depend on how it
 * is cut). Each row function checks once that its row fits (its fixed
 * columns, at most D_FIXED_MAX bytes, and its strings' lengths), writes it
 * without a call, and tail-calls the next sink; a row that does not fit goes
 * through its *_slow twin, which hashes the buffer (and grows it for a row
 * larger than D_FLUSH) and then writes the row the same way. The fast path
 * makes no call of its own, so it saves no registers.
 */
enum { D_FLUSH = 1 << 16, D_FIXED_MAX = 256 };

#if defined(__x86_64__) && defined(__ELF__)
/*
 * libxxhash built with its x86 dispatcher (Debian's is) has this variant of
 * XXH3_64bits_update, which takes the AVX2 path where the CPU has it (the
 * plain one is SSE2): the same value, in about half the instructions. The
 * reference is weak so that a libxxhash without it links and falls back.
 */
extern XXH_errorcode XXH3_64bits_update_dispatch(XXH3_state_t *state, const void *input, size_t len)
    __attribute__((weak));
#define HAVE_XXH_DISPATCH() (XXH3_64bits_update_dispatch != NULL)
#else
#define HAVE_XXH_DISPATCH()         0
#define XXH3_64bits_update_dispatch XXH3_64bits_update
#endif

/* Hashes the buffered bytes. */
static void d_flush(digest_t *d)
{
    if (d->st != NULL && d->b.len > 0) {
        if (HAVE_XXH_DISPATCH())
            XXH3_64bits_update_dispatch(d->st, d->b.ptr, d->b.len);
        else
            XXH3_64bits_update(d->st, d->b.ptr, d->b.len);
    }
    d->b.len = 0;
}

/* Whether a row of need bytes fits without hashing the buffer first. */
static inline bool d_fits(const digest_t *d, size_t need)
{
    return __builtin_expect(d->b.len + need <= d->lim, 1);
}

/* Makes room for a row of need bytes that does not fit: hashes the buffer, grows it. */
static __attribute__((noinline)) void d_room(digest_t *d, size_t need)
{
    d_flush(d);
    cn_buf_reserve(&d->b, need > D_FLUSH ? need : D_FLUSH);
    d->lim = D_FLUSH;
}

/* 16 bytes from s to w. */
static inline void copy16(char *w, const char *s)
{
    char t[16];
    memcpy(t, s, 16);
    memcpy(w, t, 16);
}

/*
 * A string's length word, then its bytes, without a call: most are short (a
 * currency, an eVar value, a browser) or empty (most of a hit's), the longer
 * ones (URLs) 16 bytes at a time, the last 16 ending at the string's end. It
 * reads no byte past the string.
 */
static inline char *w_str(char *w, cn_str_t s)
{
    uint64_t n = s.len;
    memcpy(w, &n, sizeof(n));
    w += sizeof(n);
    if (n > 16) {
        size_t i = 0;
        do {
            copy16(w + i, s.ptr + i);
            i += 16;
        } while (i + 16 < n);
        copy16(w + n - 16, s.ptr + n - 16);
    } else {
        cn_memcpy_short(w, s.ptr, n); /* 0..16: inline */
    }
    return w + n;
}

/*
 * The columns of a row, in columns.def's order. Fixed columns that lie next to
 * each other in the row struct (no padding between them) go in one copy: the
 * writer keeps the run of such columns not yet written (run, run_len) and
 * writes it before a string or at the end. The tests on addresses and sizes
 * are constants, so an optimizing compiler leaves only the copies.
 */
#define W_RUN()                                                                                    \
    do {                                                                                           \
        if (run_len > 0) {                                                                         \
            memcpy(w, run, run_len);                                                               \
            w += run_len;                                                                          \
            run_len = 0;                                                                           \
        }                                                                                          \
    } while (0)
#define W_FIXED(v)                                                                                 \
    do {                                                                                           \
        if (run_len > 0 && run + run_len == (const char *)&(v)) {                                  \
            run_len += sizeof(v);                                                                  \
        } else {                                                                                   \
            W_RUN();                                                                               \
            run = (const char *)&(v);                                                              \
            run_len = sizeof(v);                                                                   \
        }                                                                                          \
    } while (0)
#define W_CN_COLK_TS(v)    W_FIXED(v)
#define W_CN_COLK_MONEY(v) W_FIXED(v)
#define W_CN_COLK_U8(v)    W_FIXED(v)
#define W_CN_COLK_U32(v)   W_FIXED(v)
#define W_CN_COLK_DICT(v)                                                                          \
    do {                                                                                           \
        W_RUN();                                                                                   \
        w = w_str(w, v);                                                                           \
    } while (0)
#define W_FIELD(name, kind, json, doc) W_##kind(r->name);
/* the bytes a row takes beyond its fixed columns: its strings' */
#define L_CN_COLK_TS(v)
#define L_CN_COLK_MONEY(v)
#define L_CN_COLK_U8(v)
#define L_CN_COLK_U32(v)
#define L_CN_COLK_DICT(v)              +(v).len
#define L_FIELD(name, kind, json, doc) L_##kind(r->name)
/* the bytes of its fixed columns and length words */
#define F_CN_COLK_TS                   +sizeof(int64_t)
#define F_CN_COLK_MONEY                +sizeof(int64_t)
#define F_CN_COLK_U8                   +sizeof(uint8_t)
#define F_CN_COLK_U32                  +sizeof(uint32_t)
#define F_CN_COLK_DICT                 +sizeof(uint64_t)
#define F_FIELD(name, kind, json, doc) F_##kind

/*
 * One row function per group (and its slow twin): tag, then head (a fixed
 * part before the columns: the visit's ordinal), then the columns of the row type ROW (named r in
 * PARAMS); count is the counter the row adds to, cb the next sink's function.
 */
#define D_ROW(fn, COLUMNS, tag, ROW, PARAMS, ARGS, HEAD, count, cb)                                \
    static inline __attribute__((always_inline)) void fn##_write(digest_t *d, PARAMS)              \
    {                                                                                              \
        char *w = d->b.ptr + d->b.len;                                                             \
        const char *run = NULL;                                                                    \
        size_t run_len = 0;                                                                        \
        *w++ = tag;                                                                                \
        HEAD;                                                                                      \
        COLUMNS(W_FIELD)                                                                           \
        W_RUN();                                                                                   \
        (void)run;                                                                                 \
        d->b.len = (size_t)(w - d->b.ptr);                                                         \
        d->count++;                                                                                \
    }                                                                                              \
    static inline size_t fn##_need(const ROW *r)                                                   \
    {                                                                                              \
        _Static_assert(1 + 8 COLUMNS(F_FIELD) <= D_FIXED_MAX, "a row's fixed part");               \
        return D_FIXED_MAX COLUMNS(L_FIELD);                                                       \
    }                                                                                              \
    static __attribute__((noinline)) int fn##_slow(digest_t *d, PARAMS)                            \
    {                                                                                              \
        d_room(d, fn##_need(r));                                                                   \
        fn##_write(d, ARGS);                                                                       \
        return d->next.ud ? d->next.cb(d->next.ud, ARGS) : 0;                                      \
    }                                                                                              \
    static int fn(void *ud, PARAMS)                                                                \
    {                                                                                              \
        digest_t *d = ud;                                                                          \
        if (!d_fits(d, fn##_need(r)))                                                              \
            return fn##_slow(d, ARGS);                                                             \
        fn##_write(d, ARGS);                                                                       \
        return d->next.ud ? d->next.cb(d->next.ud, ARGS) : 0;                                      \
    }

#define P(...) __VA_ARGS__
D_ROW(d_visit, CN_VISIT_COLUMNS, 'V', cn_visit_row_t, P(uint32_t visit, const cn_visit_row_t *r),
      P(visit, r), (memcpy(w, &visit, sizeof(visit)), w += sizeof(visit)), visits, visit)
/* (the hit's number is set before the row is written: the store's sink sets it again) */
D_ROW(d_hit, CN_HIT_COLUMNS, 'H', cn_hit_row_t, P(const cn_hit_row_t *r, uint32_t *out), P(r, out),
      *out = (uint32_t)d->hits, hits, hit)
D_ROW(d_item, CN_ITEM_COLUMNS, 'I', cn_item_row_t, P(const cn_item_row_t *r), P(r), (void)0, items,
      item)
D_ROW(d_var, CN_VAR_COLUMNS, 'R', cn_var_row_t, P(const cn_var_row_t *r), P(r), (void)0, vars, var)
D_ROW(d_event, CN_EVENT_COLUMNS, 'E', cn_event_row_t, P(const cn_event_row_t *r), P(r), (void)0,
      events, event)
#undef P

static int d_checkpoint(void *ud, const void *blob, size_t len)
{
    digest_t *d = ud;
    return d->next.checkpoint(d->next.ud, blob, len);
}

static const char *d_why(void *ud)
{
    digest_t *d = ud;
    return d->next.why != NULL ? d->next.why(d->next.ud) : NULL;
}

static const char *g_suite; /* NULL: every suite */

static int d_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    static digest_t none;
    digest_t *d = g_suite == NULL || strcmp(suite->id, g_suite) == 0 ? ud : &none;
    *out = (cn_sink_t){d,
                       d_visit,
                       d_hit,
                       d_item,
                       d_var,
                       d_event,
                       d->next.ud ? d_checkpoint : NULL,
                       d->next.ud ? d_why : NULL};
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: canton reprocess --suite S [--config FILE] [--data DIR] [--threads N]\n"
            "       canton reprocess --all [--config FILE] [--data DIR] [--threads N]\n\n"
            "Rebuilds suite S's store (DIR/store/S) from the whole hitlog (DIR/hitlog): replays\n"
            "it for S with fresh visitor state, up to where live processing has got (its\n"
            "checkpoint), into a fresh store that then replaces the old one atomically. The\n"
            "other suites' stores are not touched. Refused while `canton serve` or `canton\n"
            "process` holds the store. Prints the row counts and a digest over every row:\n"
            "the same hitlog, configuration, rates and salts give the same digest.\n"
            "--all replays every suite from empty state to the end of the log and only\n"
            "prints the counts and the digest (a dry run: nothing is written). The two\n"
            "digests differ on the same log (rows name their hit by its row number, the\n"
            "store's per-day one with --suite, a count over the run with --all): compare\n"
            "--suite with --suite and --all with --all.\n\n"
            "  --suite S       the report suite to rebuild\n"
            "  --all           dry run over every suite\n"
            "  --config FILE   INI configuration (default: the built-in demo suite)\n"
            "  --data DIR      data folder (default: the config's, else ./data)\n"
            "  --threads N     1: decode and enrich on the processing thread; 2: on a worker\n"
            "                  thread ahead of it (default: 2 on 2+ cores; same rows)\n");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) != 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Takes the live store's LOCK (creating the folder): -1 and a message when it is held. */
static int lock_live(const char *live, const char *suite)
{
    char path[4400];
    if (mkdir(live, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "canton reprocess: %s: %s\n", live, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/LOCK", live);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "canton reprocess: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr,
                "canton reprocess: the store of suite %s is in use (canton serve or canton "
                "process holds %s): stop it first\n",
                suite, path);
        close(fd);
        return -1;
    }
    return fd;
}

int cn_cmd_reprocess(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *config = NULL, *data = NULL, *suite = NULL;
    bool all = false;
    unsigned threads = 0;
    enum { O_SUITE = 256, O_ALL, O_CONFIG, O_DATA, O_THREADS };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, O_SUITE},     {"all", no_argument, NULL, O_ALL},
        {"config", required_argument, NULL, O_CONFIG},   {"data", required_argument, NULL, O_DATA},
        {"threads", required_argument, NULL, O_THREADS}, {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("reprocess", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_SUITE:
            suite = optarg;
            break;
        case O_ALL:
            all = true;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_THREADS:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
                fprintf(stderr, "canton reprocess: --threads takes 1 or 2, not '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            threads = (unsigned)(optarg[0] - '0');
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton reprocess: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    if ((suite == NULL) == !all) {
        fprintf(stderr, "canton reprocess: give one of --suite S and --all\n\n");
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_err_t err;
    cn_err_clear(&err);
    cn_conf_t *conf = NULL;
    int rc;
    if ((conf = cn_cli_conf("reprocess", config)) == NULL)
        return CN_EXIT_FAIL;
    if (data == NULL)
        data = conf->data_dir;
    const cn_suite_conf_t *sc = NULL;
    if (suite != NULL && (sc = cn_conf_suite(conf, suite, strlen(suite))) == NULL) {
        fprintf(stderr, "canton reprocess: suite '%s' is not configured\n", suite);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    g_suite = suite;
    digest_t d = {.st = XXH3_createState()};
    XXH3_64bits_reset(d.st);
    cn_sink_factory_t f = {.ud = &d, .open = d_open};
    cn_process_opts_t o = {
        .only_suite = suite, .from_scratch = all, .dry_run = all, .threads = threads};
    cn_process_t *p = NULL;
    cn_enrich_t *e = NULL;
    cn_store_t *store = NULL;
    int code = CN_EXIT_FAIL, lock_fd = -1;
    /* live: the suite's store; tmpdata: a data folder for the fresh store, whose
     * store folder is fresh */
    char stores[4096], live[4200], tmpdata[4200], fresh[4400];
    snprintf(stores, sizeof(stores), "%s/store", data);
    snprintf(live, sizeof(live), "%s/%s", stores, suite ? suite : "");
    snprintf(tmpdata, sizeof(tmpdata), "%s/.reprocess-%s", stores, suite ? suite : "");
    snprintf(fresh, sizeof(fresh), "%s/store/%s", tmpdata, suite ? suite : "");
    if (suite != NULL) {
        mkdir(data, 0755);
        mkdir(stores, 0755);
        if ((lock_fd = lock_live(live, suite)) < 0)
            goto out;
        rm_rf(tmpdata); /* left by an interrupted run */
        cn_store_opts_t so;
        cn_store_opts_init(&so);
        if ((rc = cn_store_open(tmpdata, sc, &so, &store, &err)) != 0) {
            fprintf(stderr, "canton reprocess: %s\n", cn_err_msg(&err, rc));
            goto out;
        }
        d.next = cn_store_sink(store);
    }
    /* the same enrichment data sets as live processing, so the rows are the same */
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    if ((rc = cn_enrich_open(&eo, &e, &err)) != 0) {
        fprintf(stderr, "canton reprocess: enrichment: %s\n", cn_err_msg(&err, rc));
        goto out;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/hitlog", data);
    struct timespec c0, c1, w0, w1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    if ((rc = cn_process_new(conf, e, data, &f, &o, &p, &err)) != 0 ||
        (rc = cn_process_run(p, dir, NULL, &err)) != 0 ||
        ((rc = cn_process_checkpoint(p)) != 0 &&
         cn_err_set(&err, rc, "checkpoint: %s", cn_process_why(p, rc)) != 0)) {
        fprintf(stderr, "canton reprocess: %s\n", cn_err_msg(&err, rc));
        goto out;
    }
    if (store != NULL) {
        /* durable (the checkpoint above); now swap the folders */
        cn_store_close(store);
        store = NULL;
        if (renameat2(AT_FDCWD, fresh, AT_FDCWD, live, RENAME_EXCHANGE) != 0) {
            fprintf(stderr, "canton reprocess: swapping %s and %s: %s\n", fresh, live,
                    strerror(errno));
            goto out;
        }
        if ((rc = fsync_dir(stores)) != 0 || (rc = fsync_dir(tmpdata)) != 0) {
            fprintf(stderr, "canton reprocess: fsync %s: %s\n", stores, strerror(-rc));
            goto out;
        }
        rm_rf(tmpdata); /* the old store */
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    cn_process_stats_t st;
    cn_process_stats(p, &st);
    d_flush(&d);
    printf("suite %s: %llu raw hits read, %llu visits, %llu hits, %llu items, %llu vars, "
           "%llu events, %llu bad rows\ndigest %016llx\n",
           all ? "(all)" : suite, (unsigned long long)st.raw_hits, (unsigned long long)d.visits,
           (unsigned long long)d.hits, (unsigned long long)d.items, (unsigned long long)d.vars,
           (unsigned long long)d.events, (unsigned long long)st.bad_rows,
           (unsigned long long)XXH3_64bits_digest(d.st));
    printf("time %.3f s wall, %.3f s cpu\n",
           (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9,
           (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9);
    if (suite != NULL)
        printf("store %s rebuilt\n", live);
    code = CN_EXIT_OK;
out:
    cn_process_free(p);
    if (store != NULL)
        cn_store_close(store);
    if (code != CN_EXIT_OK && suite != NULL && lock_fd >= 0)
        rm_rf(tmpdata);
    if (lock_fd >= 0)
        close(lock_fd);
    if (e != NULL)
        cn_enrich_unref(e);
    XXH3_freeState(d.st);
    cn_buf_dispose(&d.b);
    cn_conf_free(conf);
    return code;
}
