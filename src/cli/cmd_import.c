/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton import`: web server logs and hit-level files -> raw hits in
 * <data>/hitlog (docs/import.md). Parsing runs on every core (src/import/);
 * this command wires the parser to the hitlog (one batch per block of
 * input), remembers what was imported (<data>/import/state), keeps bad
 * lines (<data>/import/bad-<time>.log), shows progress on a terminal and
 * prints a summary. With --process, a processing thread follows the hitlog
 * while the files are parsed (as `canton serve` does) and the command
 * returns once every hit is in the stores: import and processing overlap.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "enrich/enrich.h"
#include "hitlog/hitlog.h"
#include "import/import.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include "process/process.h"
#include "store/store.h"

#define SHOW_BAD 5 /* bad lines shown on the terminal */

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: canton import --suite S [options] FILE...\n\n"
        "Imports web server access logs or hit-level files as raw hits into the hitlog,\n"
        "where processing turns them into visits and page views like collected hits.\n"
        "FILE may be '-' for stdin; names ending in .gz are decompressed (they must be\n"
        "gzip data, and gzip data needs the name); an empty file imports nothing.\n\n"
        "Options:\n"
        "  --suite S             report suite the hits belong to (required)\n"
        "  --data DIR            data folder (default: [server] data of --config, or ./data)\n"
        "  --config FILE         canton.conf to read the data folder and suites from\n"
        "  --format F            combined (default) | common | vhost_combined |\n"
        "                        nginx:'<log_format string>' | goaccess:'<log-format string>' |\n"
        "                        csv | tsv | ndjson | adobe-feed\n"
        "  --date-format F       GoAccess %%d date format (default %%d/%%b/%%Y)\n"
        "  --time-format F       GoAccess %%t time format (default %%H:%%M:%%S)\n"
        "  --map col=field,...   rows: rename columns to fields (ts, ip, ua, url, referrer...)\n"
        "  --lookup-dir DIR      adobe-feed: folder of column_headers.tsv and lookup files\n"
        "                        (default: the file's folder); its post_ columns (page, URL,\n"
        "                        events, products, purchase id, page event, link URL and\n"
        "                        name) win over those as sent, not post_evarN,\n"
        "                        post_campaign or post_currency: --map to switch\n"
        "  --threads N           parser threads, 1 to 64 (default: one per core, at most\n"
        "                        64)\n"
        "  --process             also process the hits into the stores (UA, bots, geo,\n"
        "                        visits), in a thread that follows the import; returns once\n"
        "                        the stores hold every hit (the suite must be configured)\n"
        "  --force               import again files that were already imported\n"
        "  --final               the logs are complete: import an access log's last line\n"
        "                        that has no line end (by default it is left for the next\n"
        "                        run, as a line still being written; csv, tsv, ndjson and\n"
        "                        adobe-feed files always give their last line)\n"
        "  --dry-run             parse and report, write nothing (checks a format)\n"
        "  --quiet               no progress and no summary text\n"
        "  --summary json|text   json: the summary as one JSON object on stdout (default\n"
        "                        text)\n\n"
        "Importing a file again adds nothing; a file that grew imports only its new tail;\n"
        "an interrupted import (killed, crashed) resumes where it stopped, without\n"
        "duplicates, when the same command runs again (not for stdin).\n"
        "Bad lines are counted by reason, kept in <data>/import/bad-<time>.log, and the\n"
        "import goes on. See docs/import.md.\n");
}

typedef struct run {
    cn_hitlog_t *log;
    atomic_int write_error;
    const char *file;
    bool quiet, progress;
    uint64_t bad_shown;
    FILE *bad_file;
    bool bad_tried; /* opened (or failed to open, or --dry-run) the bad-lines file */
    char bad_path[PATH_MAX];
    const char *import_dir;
    int64_t t0;
    uint64_t files_bytes_base;
    /* Progress of the file being imported (docs/import.md, "Resuming"). */
    cn_import_state_t *state;
    const cn_import_ident_t *id; /* NULL: stdin or --dry-run, nothing recorded */
    uint64_t line_base;          /* st.lines when the file started */
    uint64_t resumed_line;       /* lines before the offset the file resumed at */
    int64_t ckpt_us, last_ckpt;
    bool state_failed;
    pthread_mutex_t pos_mu;
    /* The first record of the latest batch called back, and the records of
     * the latest batch appended; before any append, the end of the log at
     * open and 0: after a cn_hitlog_sync(), the hits that follow are the
     * ones appended since. */
    cn_hitlog_pos_t last_pos;
    uint64_t last_count;
    /* Resuming: hits past the recorded batch that are already in the hitlog. */
    cn_hitlog_reader_t *tail;
    uint64_t dups;
    cn_hitlog_batch_t rest;
} run_t;

static void on_done(void *ud, int status, cn_hitlog_pos_t pos)
{
    run_t *r = ud;
    if (status < 0)
        atomic_store(&r->write_error, status);
    pthread_mutex_lock(&r->pos_mu);
    r->last_pos = pos;
    pthread_mutex_unlock(&r->pos_mu);
}

/* True when the next record of the tail being checked is rec (a duplicate); false ends the check.
 */
static bool tail_matches(run_t *r, const void *rec, size_t len)
{
    const void *p;
    size_t n;
    if (cn_hitlog_reader_next(r->tail, &p, &n, NULL, NULL) == 1 && n == len &&
        memcmp(p, rec, len) == 0) {
        r->dups++;
        return true;
    }
    cn_hitlog_reader_close(r->tail);
    r->tail = NULL;
    return false;
}

static int append_batch(run_t *r, cn_hitlog_batch_t *b)
{
    r->last_count = b->count;
    for (;;) {
        int rc = cn_hitlog_append_batch(r->log, b, on_done, r);
        if (rc != CN_EFULL)
            return rc;
        usleep(500); /* the disk is behind: let the writer drain the queue */
    }
}

static int on_batch(void *ud, cn_hitlog_batch_t *b)
{
    run_t *r = ud;
    if (r->log == NULL) /* --dry-run */
        return 0;
    if (r->tail == NULL)
        return append_batch(r, b);
    /* resuming: drop the hits the interrupted run had already appended */
    size_t off = 0, n;
    const void *rec;
    cn_hitlog_batch_clear(&r->rest);
    while (cn_hitlog_batch_next(b, &off, &rec, &n) == 1)
        if (r->tail == NULL || !tail_matches(r, rec, n))
            CN_RETURN_IF_ERR(cn_hitlog_batch_add(&r->rest, rec, n));
    return r->rest.count > 0 ? append_batch(r, &r->rest) : 0;
}

static int on_hit(void *ud, const void *rec, size_t len)
{
    run_t *r = ud;
    if (r->log == NULL) /* --dry-run */
        return 0;
    if (r->tail != NULL && tail_matches(r, rec, len))
        return 0;
    r->last_count = 1;
    for (;;) {
        int rc = cn_hitlog_append(r->log, rec, len, on_done, r);
        if (rc != CN_EFULL)
            return rc;
        usleep(500); /* the disk is behind: let the writer drain the queue */
    }
}

/*
 * Records how far the file is imported: syncs the hitlog first, so that the
 * record never covers a hit that is not durable, then saves the state file
 * atomically. Skipped while duplicates are being skipped (the saved entry
 * still holds: their hits lie before the hits this run appends).
 */
static int checkpoint(run_t *r, const cn_import_stats_t *st)
{
    if (r->id == NULL || r->log == NULL || r->tail != NULL || r->state_failed)
        return 0;
    int rc = cn_hitlog_sync(r->log);
    if (rc == 0)
        rc = atomic_load(&r->write_error);
    if (rc != 0)
        return rc;
    cn_import_progress_t prog = {.offset = st->end_offset,
                                 .lines = st->lines - r->line_base + r->resumed_line,
                                 .last_count = r->last_count};
    pthread_mutex_lock(&r->pos_mu);
    prog.last_batch = r->last_pos;
    pthread_mutex_unlock(&r->pos_mu);
    cn_import_state_put(r->state, r->file, r->id, &prog);
    cn_err_t err = {0};
    if (cn_import_state_save(r->state, &err) != 0) {
        /* the hits are safe; only resuming is lost: say so once and go on */
        fprintf(stderr, "canton import: cannot record progress: %s\n", err.msg);
        r->state_failed = true;
    }
    return 0;
}

/*
 * Resuming an interrupted import: a reader just past the batch its last
 * record names, or NULL (with a warning) when the log no longer has it.
 */
static cn_hitlog_reader_t *open_tail(const char *hitlog_dir, const cn_import_progress_t *prog,
                                     const char *path)
{
    cn_hitlog_reader_t *tr = NULL;
    const void *q;
    size_t qn;
    uint64_t k = 0;
    if (cn_hitlog_reader_open(hitlog_dir, prog->last_batch, &tr, NULL) == 0) {
        while (k < prog->last_count && cn_hitlog_reader_next(tr, &q, &qn, NULL, NULL) == 1)
            k++;
        if (k == prog->last_count)
            return tr;
        cn_hitlog_reader_close(tr);
    }
    fprintf(stderr,
            "canton import: %s: the hitlog no longer holds the last batch recorded; resuming "
            "without checking for hits already there\n",
            path);
    return NULL;
}

static int on_delivered(void *ud, const cn_import_stats_t *st)
{
    run_t *r = ud;
    int64_t now = cn_time_mono_us();
    if (now - r->last_ckpt < r->ckpt_us)
        return 0;
    r->last_ckpt = now;
    return checkpoint(r, st);
}

static void on_bad(void *ud, uint64_t line_no, cn_import_bad_t reason, size_t column,
                   uint32_t cells, uint32_t want, cn_str_t line)
{
    run_t *r = ud;
    /* bad-columns: how many columns the row has and the header names */
    char counts[96] = "";
    if (want > 0 && cells > 2048)
        snprintf(counts, sizeof(counts), " (the row has more than 2048 columns, the header %u)",
                 want);
    else if (want > 0)
        snprintf(counts, sizeof(counts), " (the row has %u column%s, the header %u)", cells,
                 cells == 1 ? "" : "s", want);
    if (r->bad_file == NULL && !r->bad_tried) {
        r->bad_tried = true;
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(r->bad_path, sizeof(r->bad_path), "%s/bad-%s.log", r->import_dir, stamp);
        r->bad_file = fopen(r->bad_path, "a");
    }
    if (r->bad_file != NULL)
        fprintf(r->bad_file, "%s:%llu: %s at column %zu%s: %.*s\n", r->file,
                (unsigned long long)(line_no + r->resumed_line), cn_import_bad_name(reason),
                column + 1, counts, CN_STR_FMT(line));
    if (!r->quiet && r->bad_shown < SHOW_BAD) {
        if (r->progress)
            fprintf(stderr, "\r\033[K");
        int show = line.len > 160 ? 160 : (int)line.len;
        fprintf(stderr, "%s:%llu: %s at column %zu%s: %.*s%s\n", r->file,
                (unsigned long long)(line_no + r->resumed_line), cn_import_bad_name(reason),
                column + 1, counts, show, line.ptr, (size_t)show < line.len ? "..." : "");
        r->bad_shown++;
    }
}

/* --- Processing while importing (--process) --- */

typedef struct proc {
    const cn_conf_t *conf;
    cn_enrich_t *enrich;
    cn_store_t **stores; /* one per configured suite */
    cn_process_t *p;
    char hitlog_dir[PATH_MAX];
    pthread_t thread;
    bool started;
    atomic_bool stop; /* the import is over: stop following */
    atomic_bool done; /* the thread is about to return */
    int rc;           /* the thread's result */
    cn_err_t err;
} proc_t;

static cn_store_t *proc_store(proc_t *pr, const cn_suite_conf_t *suite)
{
    for (size_t i = 0; i < pr->conf->suite_count; i++) {
        if (&pr->conf->suites[i] == suite || strcmp(pr->conf->suites[i].id, suite->id) == 0)
            return pr->stores[i];
    }
    return NULL;
}

static int proc_open_sink(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    cn_store_t *s = proc_store(ud, suite);
    if (s == NULL)
        return CN_ENOTFOUND;
    *out = cn_store_sink(s);
    return 0;
}

static int proc_blob(void *ud, const cn_suite_conf_t *suite, cn_buf_t *out)
{
    cn_store_t *s = proc_store(ud, suite);
    return s == NULL ? CN_ENOTFOUND : cn_store_checkpoint_blob(s, out);
}

static void proc_close(proc_t *pr)
{
    cn_process_free(pr->p);
    for (size_t i = 0; pr->stores != NULL && i < pr->conf->suite_count; i++) {
        if (pr->stores[i] != NULL)
            cn_store_close(pr->stores[i]);
    }
    free(pr->stores);
    if (pr->enrich != NULL)
        cn_enrich_unref(pr->enrich);
    memset(pr, 0, sizeof(*pr));
}

/* Opens enrichment, every suite's store and processing from its checkpoint (as `canton process`).
 */
static int proc_open(proc_t *pr, const cn_conf_t *conf, const char *data, cn_err_t *err)
{
    memset(pr, 0, sizeof(*pr));
    pr->conf = conf;
    atomic_init(&pr->stop, false);
    atomic_init(&pr->done, false);
    snprintf(pr->hitlog_dir, sizeof(pr->hitlog_dir), "%s/hitlog", data);
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    int rc = cn_enrich_open(&eo, &pr->enrich, err);
    pr->stores = cn_xcalloc(conf->suite_count ? conf->suite_count : 1, sizeof(cn_store_t *));
    for (size_t i = 0; rc == 0 && i < conf->suite_count; i++) {
        cn_store_opts_t so;
        cn_store_opts_init(&so);
        /* A log's hits arrive faster than the flush interval: a whole 1M-line
         * import would wait in the store's buffer (rows and dictionaries)
         * until the end. Flushing every 256k hits bounds that memory (peak
         * RSS at 1M lines 262-278 -> 226-249 MB, the same CPU). */
        so.flush_rows = 1u << 18;
        rc = cn_store_open(data, &conf->suites[i], &so, &pr->stores[i], err);
    }
    cn_sink_factory_t f = {.ud = pr, .open = proc_open_sink, .blob = proc_blob};
    if (rc == 0)
        rc = cn_process_new(conf, pr->enrich, data, &f, NULL, &pr->p, err);
    if (rc != 0)
        proc_close(pr);
    return rc;
}

/*
 * The processing thread: follows the hitlog until the import is over (stop:
 * the last hit is appended and synced), then processes what is left, up to
 * the end of the log.
 */
static void *proc_main(void *arg)
{
    proc_t *pr = arg;
    pr->rc = cn_process_run(pr->p, pr->hitlog_dir, &pr->stop, &pr->err);
    if (pr->rc == 0)
        pr->rc = cn_process_run(pr->p, pr->hitlog_dir, NULL, &pr->err);
    atomic_store(&pr->done, true);
    return NULL;
}

/* Lets processing finish; returns its result. */
static int proc_finish(proc_t *pr)
{
    atomic_store(&pr->stop, true);
    /*
     * Processing outlasts parsing. Meanwhile give back to the kernel what the
     * mallopt() settings of cn_cmd_import keep: the parser threads' batch
     * buffers once, then every second what processing freed while its state
     * and its checkpoint buffers grew (about a sixth of the peak RSS at 1M lines).
     */
    for (int n = 0; pr->started && !atomic_load(&pr->done); n++) {
        if (n % 20 == 0)
            malloc_trim(0);
        usleep(50000);
    }
    if (pr->started)
        pthread_join(pr->thread, NULL);
    pr->started = false;
    return pr->rc;
}

/*
 * Processing is one thread and the end-to-end bottleneck; parsing is
 * spread over every core and finishes long before. So the parser threads
 * (created later by this thread, which they take their niceness from) give
 * way to processing when they compete for a core. Linux niceness is per
 * thread; failing to change it is harmless.
 */
static void yield_to_processing(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0 && cur < 10)
        (void)setpriority(PRIO_PROCESS, (id_t)tid, cur + 5);
}

static void fmt_count(char *out, size_t n, double v)
{
    if (v >= 1e9)
        snprintf(out, n, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, n, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, n, "%.1fk", v / 1e3);
    else
        snprintf(out, n, "%.0f", v);
}

static void on_progress(void *ud, const cn_import_stats_t *st)
{
    run_t *r = ud;
    if (!r->progress)
        return;
    double secs = (double)(cn_time_mono_us() - r->t0) / 1e6;
    if (secs <= 0)
        secs = 1e-3;
    char done[16], total[16], lines[16], rate[16], eta[32] = "";
    fmt_count(done, sizeof(done), (double)st->bytes_read);
    fmt_count(total, sizeof(total), (double)st->bytes_total);
    fmt_count(lines, sizeof(lines), (double)st->lines);
    fmt_count(rate, sizeof(rate), (double)st->lines / secs);
    if (st->bytes_total > 0 && st->bytes_read > 0 && st->bytes_read <= st->bytes_total) {
        double left = secs * (double)(st->bytes_total - st->bytes_read) / (double)st->bytes_read;
        snprintf(eta, sizeof(eta), "  ETA %d:%02d", (int)left / 60, (int)left % 60);
        fprintf(stderr, "\r\033[K%sB / %sB (%.0f%%)  %s lines  %s lines/s%s", done, total,
                100.0 * (double)st->bytes_read / (double)st->bytes_total, lines, rate, eta);
    } else {
        fprintf(stderr, "\r\033[K%sB  %s lines  %s lines/s", done, lines, rate);
    }
}

static int mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

typedef struct file_result {
    const char *path;
    const char *action; /* "imported", "resumed", "unchanged", "failed" */
    uint64_t start, end;
    uint64_t start_line; /* lines before start (resumed), 0 when unknown */
    uint64_t duplicates; /* hits already in the hitlog from an interrupted run, skipped */
    uint64_t lines, hits, bad;
    uint64_t held; /* bytes of a last line without a line end, left for the next run */
} file_result_t;

int cn_cmd_import(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    enum {
        O_SUITE = 1,
        O_DATA,
        O_CONFIG,
        O_FORMAT,
        O_DATEF,
        O_TIMEF,
        O_MAP,
        O_LOOKUP,
        O_THREADS,
        O_FORCE,
        O_QUIET,
        O_SUMMARY,
        O_DRY,
        O_PROCESS,
        O_FINAL
    };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, O_SUITE},
        {"data", required_argument, NULL, O_DATA},
        {"config", required_argument, NULL, O_CONFIG},
        {"format", required_argument, NULL, O_FORMAT},
        {"date-format", required_argument, NULL, O_DATEF},
        {"time-format", required_argument, NULL, O_TIMEF},
        {"map", required_argument, NULL, O_MAP},
        {"lookup-dir", required_argument, NULL, O_LOOKUP},
        {"threads", required_argument, NULL, O_THREADS},
        {"force", no_argument, NULL, O_FORCE},
        {"final", no_argument, NULL, O_FINAL},
        {"dry-run", no_argument, NULL, O_DRY},
        {"process", no_argument, NULL, O_PROCESS},
        {"quiet", no_argument, NULL, O_QUIET},
        {"summary", required_argument, NULL, O_SUMMARY},
        {NULL, 0, NULL, 0},
    };
    cn_import_opts_t opts = {0};
    const char *data = NULL, *config = NULL, *summary = "text";
    unsigned threads = 0;
    bool force = false, quiet = false, dry = false, process = false;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("import", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_SUITE:
            opts.suite = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_FORMAT:
            opts.format = optarg;
            break;
        case O_DATEF:
            opts.date_format = optarg;
            break;
        case O_TIMEF:
            opts.time_format = optarg;
            break;
        case O_MAP:
            opts.map = optarg;
            break;
        case O_LOOKUP:
            opts.lookup_dir = optarg;
            break;
        case O_THREADS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n < 1 || n > 64) {
                fprintf(stderr, "canton import: --threads takes a number from 1 to 64, not '%s'\n",
                        optarg);
                return CN_EXIT_USAGE;
            }
            threads = (unsigned)n;
            break;
        }
        case O_FORCE:
            force = true;
            break;
        case O_FINAL:
            opts.final = true;
            break;
        case O_DRY:
            dry = true;
            break;
        case O_PROCESS:
            process = true;
            break;
        case O_QUIET:
            quiet = true;
            break;
        case O_SUMMARY:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "canton import: --summary takes json or text, not '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            summary = optarg;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (opts.suite == NULL || optind >= argc) {
        fprintf(stderr, "canton import: %s\n\n",
                opts.suite == NULL ? "--suite is required" : "no FILE given");
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    /* Options that only some formats read: refused elsewhere rather than silently ignored. */
    const char *fmt = opts.format ? opts.format : "combined";
    bool rows = strcmp(fmt, "csv") == 0 || strcmp(fmt, "tsv") == 0 || strcmp(fmt, "ndjson") == 0 ||
                strcmp(fmt, "adobe-feed") == 0;
    const char *misplaced = NULL;
    if (opts.map && !rows)
        misplaced = "--map applies to csv, tsv, ndjson and adobe-feed";
    else if (opts.lookup_dir && strcmp(fmt, "adobe-feed") != 0)
        misplaced = "--lookup-dir applies to adobe-feed";
    else if ((opts.date_format || opts.time_format) && strncmp(fmt, "goaccess:", 9) != 0)
        misplaced = "--date-format and --time-format apply to goaccess: formats";
    if (misplaced != NULL) {
        fprintf(stderr, "canton import: %s (--format is %s)\n", misplaced, fmt);
        return CN_EXIT_USAGE;
    }
    bool json = strcmp(summary, "json") == 0;
    /*
     * The parser threads allocate a batch buffer of a few MiB per block of
     * input, and the hitlog's writer thread frees it once written. Serve
     * those from the heap and keep freed memory in the process instead of
     * mapping and trimming it back to the kernel each time, which then has to
     * clear fresh pages again (a fifth of the CPU time in profiles).
     */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);

    cn_err_t err = {0};
    cn_conf_t *conf = NULL;
    if (config != NULL) {
        if ((conf = cn_cli_conf("import", config)) == NULL)
            return CN_EXIT_FAIL;
        if (cn_conf_suite(conf, opts.suite, strlen(opts.suite)) == NULL) {
            fprintf(stderr, "canton import: suite '%s' is not in %s\n", opts.suite, config);
            cn_conf_free(conf);
            return CN_EXIT_FAIL;
        }
        if (data == NULL)
            data = conf->data_dir;
    }
    if (data == NULL)
        data = "./data";
    if (process && dry)
        process = false; /* a dry run writes nothing, so there is nothing to process */
    if (process && conf == NULL) {
        conf = cn_conf_default();
        if (cn_conf_suite(conf, opts.suite, strlen(opts.suite)) == NULL) {
            fprintf(stderr,
                    "canton import: --process: suite '%s' is not configured; give --config with "
                    "a [suite %s] section\n",
                    opts.suite, opts.suite);
            cn_conf_free(conf);
            return CN_EXIT_USAGE;
        }
    }

    /* check the format before touching the data folder */
    {
        cn_import_parser_t *probe = NULL;
        cn_import_opts_t o = opts;
        if (o.format != NULL && strcmp(o.format, "adobe-feed") == 0 && o.lookup_dir == NULL)
            o.lookup_dir = ".";
        if (o.format == NULL || strcmp(o.format, "adobe-feed") != 0) {
            if (cn_import_parser_new(&o, &probe, &err) != 0) {
                fprintf(stderr, "canton import: --format: %s\n", err.msg);
                cn_conf_free(conf);
                return CN_EXIT_USAGE;
            }
            cn_import_parser_free(probe);
        }
    }

    char hitlog_dir[PATH_MAX], import_dir[PATH_MAX];
    if (dry)
        data = "/nonexistent-dry-run"; /* nothing is opened under it */
    snprintf(hitlog_dir, sizeof(hitlog_dir), "%s/hitlog", data);
    snprintf(import_dir, sizeof(import_dir), "%s/import", data);
    int rc = dry ? 0 : mkdir_p(import_dir);
    if (rc != 0) {
        fprintf(stderr, "canton import: %s: %s\n", import_dir, cn_strerror(rc));
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    cn_import_state_t *state = NULL;
    if (cn_import_state_load(dry ? "/nonexistent-dry-run" : import_dir, &state, &err) != 0) {
        fprintf(stderr, "canton import: %s\n", err.msg);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    run_t r = {.quiet = quiet, .import_dir = import_dir, .bad_tried = dry, .state = state};
    atomic_init(&r.write_error, 0);
    pthread_mutex_init(&r.pos_mu, NULL);
    /* how often an import records its progress (docs/import.md, "Resuming") */
    const char *ck = getenv("CANTON_IMPORT_CHECKPOINT_MS");
    r.ckpt_us = ck != NULL && *ck ? (int64_t)strtoul(ck, NULL, 10) * 1000 : 500000;
    r.progress = !quiet && isatty(STDERR_FILENO);
    cn_hitlog_opts_t hopts;
    cn_hitlog_opts_init(&hopts);
    hopts.buffered = true;           /* one cn_hitlog_sync() at the end makes everything durable */
    hopts.group_commit_us = 1000000; /* background fsyncs at most once a second */
    if (process) {
        /* Processing reads what the writer wrote: fsync every batch, as for
         * collected hits, so that its checkpoints run at most one batch ahead
         * of the durable log, as in `canton serve`. */
        hopts.buffered = false;
        hopts.group_commit_us = 100000;
    }
    hopts.max_queue_bytes = 32u << 20; /* a small queue stays in memory already touched */
    if (conf != NULL)
        hopts.segment_bytes = conf->hitlog_segment_bytes;
    cn_hitlog_recovery_t hrec = {0};
    if (!dry && cn_hitlog_open(hitlog_dir, &hopts, &r.log, &hrec, &err) != 0) {
        /* The hitlog's messages name its folder (or a file in it). */
        fprintf(stderr, "canton import: %s\n", cn_err_msg(&err, err.code));
        if (err.code == CN_EEXIST)
            fprintf(stderr, "(`canton serve`, `canton gen` or another import is writing to it: "
                            "stop it, then import again)\n");
        cn_import_state_free(state);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    r.last_pos = hrec.end;

    proc_t pr = {0};
    if (process) {
        rc = proc_open(&pr, conf, data, &err);
        if (rc == 0 && pthread_create(&pr.thread, NULL, proc_main, &pr) != 0)
            rc = cn_err_set(&err, CN_EINVAL, "cannot start the processing thread");
        if (rc != 0) {
            fprintf(stderr, "canton import: --process: %s\n", cn_err_msg(&err, rc));
            proc_close(&pr);
            cn_hitlog_close(r.log);
            cn_import_state_free(state);
            cn_conf_free(conf);
            return CN_EXIT_FAIL;
        }
        pr.started = true;
        yield_to_processing();
    }
    cn_import_sink_t sink = {.batch = on_batch,
                             .hit = on_hit,
                             .bad = on_bad,
                             .progress = on_progress,
                             .delivered = on_delivered,
                             .ud = &r};
    cn_import_stats_t st = {0};
    size_t nfiles = (size_t)(argc - optind);
    file_result_t *res = cn_xcalloc(nfiles, sizeof(*res));
    int status = CN_EXIT_OK;
    r.t0 = cn_time_mono_us();
    for (size_t fi = 0; fi < nfiles; fi++) {
        const char *path = argv[optind + (int)fi];
        file_result_t *fr = &res[fi];
        fr->path = path;
        r.file = path;
        cn_import_ident_t id = {0};
        bool has_id = strcmp(path, "-") != 0 && cn_import_ident(path, &id, &err) == 0;
        uint64_t start = 0;
        fr->action = dry ? "dry-run" : "imported";
        if (strcmp(path, "-") != 0 && !has_id) {
            fprintf(stderr, "canton import: %s\n", err.msg);
            fr->action = "failed";
            status = CN_EXIT_FAIL;
            continue;
        }
        cn_import_progress_t prog = {0};
        r.resumed_line = 0;
        if (has_id && !force && !dry) {
            bool unchanged;
            bool known = cn_import_state_get(state, path, &id, &prog, &unchanged);
            uint64_t off = prog.offset;
            bool gz = strlen(path) > 3 && strcmp(path + strlen(path) - 3, ".gz") == 0;
            /* a last line left without a line end: --final takes it from the file as it is */
            if (known && unchanged && opts.final && !gz && off < id.size)
                unchanged = false;
            if (known && unchanged) {
                fr->action = "unchanged";
                fr->start = fr->end = off;
                fr->start_line = prog.lines; /* 0 for entries of a v1 state file */
                if (!quiet && !json && !gz && off < id.size)
                    fprintf(stderr,
                            "%s: already imported up to its last line, which has no line end "
                            "(%llu bytes): it is imported once the line ends; --final imports "
                            "it as it is\n",
                            path, (unsigned long long)(id.size - off));
                else if (!quiet && !json)
                    fprintf(stderr,
                            "%s: already imported (%llu bytes), nothing to add; "
                            "--force imports it again\n",
                            path, (unsigned long long)off);
                continue;
            }
            if (known && !prog.done) {
                /* an interrupted import: go on after the last recorded line */
                start = off;
                fr->action = "resumed";
                r.resumed_line = fr->start_line = prog.lines;
                if (prog.last_batch.segment > 0)
                    r.tail = open_tail(hitlog_dir, &prog, path);
                if (!quiet && !json)
                    fprintf(stderr, "%s: interrupted import, resuming at line %llu / byte %llu\n",
                            path, (unsigned long long)prog.lines + 1, (unsigned long long)off);
            } else if (known && off > 0 && (gz || off < id.size)) {
                start = off;
                fr->action = "resumed";
                r.resumed_line = fr->start_line = prog.lines;
                if (!quiet && !json)
                    fprintf(stderr, "%s: imported up to byte %llu before, importing the rest\n",
                            path, (unsigned long long)off);
            }
        }
        cn_import_opts_t o = opts;
        char dirbuf[PATH_MAX];
        if (o.lookup_dir == NULL) {
            snprintf(dirbuf, sizeof(dirbuf), "%s", path);
            o.lookup_dir = dirname(dirbuf);
        }
        cn_import_parser_t *p = NULL;
        if (cn_import_parser_new(&o, &p, &err) != 0) {
            fprintf(stderr, "canton import: %s: %s\n", path, err.msg);
            fr->action = "failed";
            status = CN_EXIT_FAIL;
            continue;
        }
        uint64_t l0 = st.lines, h0 = st.hits, b0 = st.bad, held0 = st.held;
        fr->start = start;
        r.id = has_id && !dry ? &id : NULL;
        r.line_base = st.lines;
        r.dups = 0;
        r.last_ckpt = cn_time_mono_us();
        /* record the start first: a kill before the first periodic record
         * must not leave hits in the log that nothing accounts for */
        cn_import_stats_t at_start = {.lines = st.lines, .end_offset = start};
        rc = checkpoint(&r, &at_start);
        if (rc != 0)
            cn_err_set(&err, rc, "%s: syncing the hitlog: %s", path, cn_strerror(rc));
        else
            rc = cn_import_run(p, path, start, threads, &sink, &st, &err);
        cn_import_parser_free(p);
        r.id = NULL;
        if (r.tail != NULL) { /* every hit of the rest was there already */
            cn_hitlog_reader_close(r.tail);
            r.tail = NULL;
        }
        st.hits -= r.dups;
        fr->duplicates = r.dups;
        fr->lines = st.lines - l0;
        fr->hits = st.hits - h0;
        fr->bad = st.bad - b0;
        if (r.dups > 0 && !quiet && !json)
            fprintf(stderr, "%s: %llu hits of the interrupted import were in the hitlog already\n",
                    path, (unsigned long long)r.dups);
        if (rc != 0) {
            if (r.progress)
                fprintf(stderr, "\r\033[K");
            fprintf(stderr, "canton import: %s\n", cn_err_msg(&err, rc));
            fr->action = "failed";
            status = CN_EXIT_FAIL;
            if (atomic_load(&r.write_error) != 0 || rc == CN_ECLOSED)
                break;
            continue;
        }
        fr->end = st.end_offset;
        fr->held = st.held - held0;
        if (fr->held > 0 && !quiet && !json)
            fprintf(stderr,
                    "%s: the last line has no line end (%llu bytes): left for the next run, "
                    "which imports it once the line ends; --final imports it as it is\n",
                    path, (unsigned long long)fr->held);
        else if (fr->lines == 0 && start == 0 && !quiet && !json)
            fprintf(stderr, "%s: empty, nothing to import\n", path);
        if (has_id) {
            cn_import_progress_t fin = {
                .offset = st.end_offset, .lines = fr->start_line + fr->lines, .done = true};
            cn_import_state_put(state, path, &id, &fin);
        }
    }
    if (r.progress)
        fprintf(stderr, "\r\033[K");
    if (process) {
        /*
         * Parsing is over; processing goes on alone. From now on give freed
         * memory back: a thread's arena keeps its free top (up to the trim
         * threshold, and the top pad always) even through malloc_trim(), so
         * with the settings above the parser threads' batch buffers, freed
         * by the hitlog's writer from here on, would stay resident while
         * processing grows its state (some 60 MB at 1M lines).
         */
        mallopt(M_TRIM_THRESHOLD, 8 << 20);
        mallopt(M_TOP_PAD, 1 << 20);
    }

    /* make the hits durable, then remember them as imported */
    rc = dry ? 0 : cn_hitlog_sync(r.log);
    if (rc == 0)
        rc = atomic_load(&r.write_error);
    cn_hitlog_close(r.log);
    if (dry) {
        /* nothing to record */
    } else if (rc != 0) {
        fprintf(stderr,
                "canton import: writing the hitlog failed: %s; nothing is recorded as "
                "imported\n",
                cn_strerror(rc));
        status = CN_EXIT_FAIL;
    } else if (cn_import_state_save(state, &err) != 0) {
        fprintf(stderr, "canton import: %s\n", err.msg);
        status = CN_EXIT_FAIL;
    }
    double import_secs = (double)(cn_time_mono_us() - r.t0) / 1e6;
    cn_process_stats_t ps = {0};
    int proc_rc = 0;
    if (process) {
        rc = proc_rc = proc_finish(&pr);
        cn_process_stats(pr.p, &ps);
        if (rc != 0) {
            fprintf(stderr,
                    "canton import: processing failed: %s; the hits are in the hitlog, "
                    "`canton process --until-end` resumes\n",
                    cn_err_msg(&pr.err, rc));
            status = CN_EXIT_FAIL;
        }
        proc_close(&pr); /* the stores flush their last rows */
    }
    double secs = (double)(cn_time_mono_us() - r.t0) / 1e6;
    if (r.bad_file != NULL)
        fclose(r.bad_file);

    if (json) {
        cn_buf_t b = CN_BUF_INIT;
        cn_buf_printf(&b, "{\"suite\":");
        cn_buf_append_json_str(&b, cn_str_c(opts.suite));
        cn_buf_printf(
            &b,
            ",\"dry_run\":%s,\"lines\":%llu,\"hits\":%llu,\"page_views\":%llu,\"skipped\":%llu,"
            "\"bad_lines\":%llu,\"bad_by_reason\":{",
            dry ? "true" : "false", (unsigned long long)st.lines, (unsigned long long)st.hits,
            (unsigned long long)st.pages, (unsigned long long)st.skipped,
            (unsigned long long)st.bad);
        bool first = true;
        for (int i = 0; i < CN_IMPORT_BAD__COUNT; i++) {
            if (st.bad_by_reason[i] == 0)
                continue;
            cn_buf_printf(&b, "%s\"%s\":%llu", first ? "" : ",", cn_import_bad_name((unsigned)i),
                          (unsigned long long)st.bad_by_reason[i]);
            first = false;
        }
        cn_buf_printf(&b, "},\"bad_lines_file\":");
        if (r.bad_file != NULL)
            cn_buf_append_json_str(&b, cn_str_c(r.bad_path));
        else
            cn_buf_append_c(&b, "null");
        cn_buf_printf(&b, ",\"bytes\":%llu,\"seconds\":%.3f,\"import_seconds\":%.3f,",
                      (unsigned long long)st.bytes_read, secs, import_secs);
        if (process)
            cn_buf_printf(&b,
                          "\"processed\":{\"raw_hits\":%llu,\"hits\":%llu,\"visits\":%llu,"
                          "\"bad_rows\":%llu,\"ok\":%s},",
                          (unsigned long long)ps.raw_hits, (unsigned long long)ps.hits,
                          (unsigned long long)ps.visits, (unsigned long long)ps.bad_rows,
                          proc_rc == 0 ? "true" : "false");
        else
            cn_buf_append_c(&b, "\"processed\":null,");
        cn_buf_printf(&b, "\"lines_per_sec\":%.0f,\"files\":[",
                      secs > 0 ? (double)st.lines / secs : 0.0);
        for (size_t i = 0; i < nfiles; i++) {
            cn_buf_printf(&b, "%s{\"path\":", i ? "," : "");
            cn_buf_append_json_str(&b, cn_str_c(res[i].path));
            cn_buf_printf(&b,
                          ",\"action\":\"%s\",\"start\":%llu,\"start_line\":%llu,"
                          "\"end\":%llu,\"duplicates_skipped\":%llu,\"lines\":%llu,"
                          "\"hits\":%llu,\"bad_lines\":%llu,\"held_back\":%llu}",
                          res[i].action ? res[i].action : "failed",
                          (unsigned long long)res[i].start, (unsigned long long)res[i].start_line,
                          (unsigned long long)res[i].end, (unsigned long long)res[i].duplicates,
                          (unsigned long long)res[i].lines, (unsigned long long)res[i].hits,
                          (unsigned long long)res[i].bad, (unsigned long long)res[i].held);
        }
        cn_buf_printf(&b, "],\"ok\":%s}\n", status == CN_EXIT_OK ? "true" : "false");
        fwrite(b.ptr, 1, b.len, stdout);
        cn_buf_dispose(&b);
    } else if (!quiet) {
        char rate[16];
        fmt_count(rate, sizeof(rate), secs > 0 ? (double)st.lines / secs : 0);
        printf("%s %llu lines %s suite %s in %.2f s (%s lines/s, %.1f MB/s)%s\n",
               dry ? "dry run: parsed" : "imported", (unsigned long long)st.lines,
               dry ? "for" : "into", opts.suite, secs, rate,
               secs > 0 ? (double)st.bytes_read / secs / 1e6 : 0.0,
               dry ? "; nothing was written" : "");
        /* The page-view rule is processing's, hit/pagerule.h (docs/import.md). */
        printf("  hits        %llu\n  page views  %llu (%s)\n"
               "  skipped     %llu (blank, comments, header rows, excluded feed rows)\n  bad lines "
               "  %llu\n",
               (unsigned long long)st.hits, (unsigned long long)st.pages,
               rows ? "a page view type, else a URL that is not a static asset or a page "
                      "name, without commerce events"
                    : "GET or POST; status 2xx, 304 or none; not a static asset; text/html "
                      "when the type is logged",
               (unsigned long long)st.skipped, (unsigned long long)st.bad);
        for (int i = 0; i < CN_IMPORT_BAD__COUNT; i++)
            if (st.bad_by_reason[i] > 0)
                printf("    %-14s %llu\n", cn_import_bad_name((unsigned)i),
                       (unsigned long long)st.bad_by_reason[i]);
        if (r.bad_file != NULL)
            printf("  bad lines kept in %s\n", r.bad_path);
        if (process)
            printf("  processed   %llu raw hits: %llu hits, %llu visits, %llu bad rows "
                   "(import %.2f s, done %.2f s after it)\n",
                   (unsigned long long)ps.raw_hits, (unsigned long long)ps.hits,
                   (unsigned long long)ps.visits, (unsigned long long)ps.bad_rows, import_secs,
                   secs - import_secs);
    }
    free(res);
    cn_hitlog_batch_dispose(&r.rest);
    pthread_mutex_destroy(&r.pos_mu);
    cn_import_state_free(state);
    cn_conf_free(conf);
    return status;
}
