/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton check`: verifies the stores on disk (docs/storage.md) without
 * changing them, and says what is wrong where. Safe while `canton serve`
 * writes: it checks one snapshot, the files of one manifest opened before
 * the writer could delete them (cn_store_check starts over when it did).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "store/store.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton check [--config FILE] [--data DIR] [--suite S] [--quiet]\n\n"
               "Verifies the store of each suite (or of suite S): the manifest, every\n"
               "checksum, every page, dictionary references, visit ordinals, and that each\n"
               "hit lies in the partition of its local day. Prints one line per problem and\n"
               "a summary per suite; exits 1 when a problem was found. Safe while\n"
               "`canton serve` or `canton process` writes the store: it checks the files of\n"
               "one manifest, starting over when the writer replaced them under it.\n\n"
               "Options:\n"
               "  --config FILE   canton.conf (suites and their time zones; default: built-in)\n"
               "  --data DIR      data folder (default: the config's, else ./data)\n"
               "  --suite S       check only suite S (one neither configured nor with a\n"
               "                  folder DIR/store/S is an error: a typo, exit 2)\n"
               "  --quiet         print problems only\n");
}

typedef struct problems {
    const char *suite;
    unsigned long long outside_day; /* problems that are a hit outside its local day */
} problems_t;

static void on_problem(void *ud, const char *msg)
{
    problems_t *p = ud;
    if (strstr(msg, "outside its day's partition") != NULL)
        p->outside_day++;
    fprintf(stdout, "%s: %s\n", p->suite, msg);
}

/* The segment and checkpoint files in the store folder of a suite (0 when it has none).
 * Dictionaries do not count: a writer creating a store makes them just before its first
 * manifest, while segments and checkpoints only come after one. */
static size_t store_files(const char *data, const char *suite)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/store/%s", data, suite);
    DIR *d = opendir(path);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot != NULL && dot != e->d_name &&
            (strcmp(dot, ".seg") == 0 || strcmp(dot, ".ckpt") == 0))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static int check_one(const char *data, const cn_suite_conf_t *sc, bool quiet)
{
    cn_store_check_stats_t st;
    cn_err_t err = {0};
    problems_t pr = {.suite = sc->id};
    int rc = cn_store_check(data, sc, on_problem, &pr, &st, &err);
    if (rc == CN_ENOTFOUND) {
        /* No manifest: a store never written, or one whose MANIFEST was lost. Without it
         * nothing of the files is live, and a writer refuses to open the store. */
        size_t files = store_files(data, sc->id);
        if (files > 0) {
            printf("%s: %s/store/%s/MANIFEST: missing, but the folder holds %zu store files "
                   "(rebuild the store with `canton reprocess --suite %s`)\n",
                   sc->id, data, sc->id, files, sc->id);
            printf("%s: DAMAGED: no manifest, 1 problems\n", sc->id);
            return 1;
        }
        if (!quiet)
            printf("%s: no store\n", sc->id);
        return 0;
    }
    if (rc < 0 && rc != CN_ECORRUPT) {
        printf("%s: cannot check: %s\n", sc->id, cn_err_msg(&err, rc));
        return 1;
    }
    if (!quiet && st.retries)
        fprintf(stderr,
                "canton check: %s: a writer replaced the store's files under the check "
                "(%llu restarts); checked the snapshot of a later manifest\n",
                sc->id, (unsigned long long)st.retries);
    if (!quiet || st.problems)
        printf("%s: %s: %llu segments, %llu pages, %llu rows, %llu dictionary entries, "
               "%llu problems\n",
               sc->id, st.problems ? "DAMAGED" : "ok", (unsigned long long)st.segments,
               (unsigned long long)st.pages, (unsigned long long)st.rows,
               (unsigned long long)st.dict_entries, (unsigned long long)st.problems);
    /* The store does not record the time zone its days were cut in: a suite whose
     * timezone changed since looks like this, with nothing damaged on disk. */
    if (st.problems && pr.outside_day == st.problems)
        printf("%s: every problem is a hit outside its local day: the store was probably "
               "written with another timezone than %s; `canton reprocess --suite %s` "
               "rebuilds it with this one\n",
               sc->id, sc->timezone, sc->id);
    return st.problems ? 1 : 0;
}

int cn_cmd_check(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    enum { O_CONFIG = 256, O_DATA, O_SUITE, O_QUIET };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {"suite", required_argument, NULL, O_SUITE},
        {"quiet", no_argument, NULL, O_QUIET},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *data = NULL, *suite = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("check", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_SUITE:
            suite = optarg;
            break;
        case O_QUIET:
            quiet = true;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "canton check: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_conf_t *conf = cn_cli_conf("check", config);
    if (conf == NULL)
        return CN_EXIT_FAIL;
    if (!data)
        data = conf->data_dir;
    if (!cn_cli_data_dir_exists("check", data)) {
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    int failed = 0;
    if (suite) {
        const cn_suite_conf_t *sc = cn_conf_suite(conf, suite, strlen(suite));
        cn_suite_conf_t tmp = {0};
        if (!sc) {
            /* a suite neither configured nor on disk is a typo, not "no store" */
            char path[4096];
            struct stat stb;
            snprintf(path, sizeof(path), "%s/store/%s", data, suite);
            if (stat(path, &stb) != 0) {
                fprintf(stderr, "canton check: suite '%s' is not configured (", suite);
                if (conf->suite_count == 0)
                    fprintf(stderr, "no suites");
                for (size_t i = 0; i < conf->suite_count; i++)
                    fprintf(stderr, "%s%s", i ? ", " : "configured: ", conf->suites[i].id);
                fprintf(stderr, " in %s) and has no store folder (%s)\n",
                        config ? config : "the built-in configuration: use --config", path);
                cn_conf_free(conf);
                return CN_EXIT_USAGE;
            }
            /* a store folder for a suite the config does not know: assume UTC */
            tmp.id = (char *)suite;
            tmp.timezone = (char *)"UTC";
            sc = &tmp;
            if (!quiet)
                fprintf(stderr, "canton check: suite %s is not configured; assuming UTC days\n",
                        suite);
        }
        failed = check_one(data, sc, quiet);
    } else {
        for (size_t i = 0; i < conf->suite_count; i++)
            failed |= check_one(data, &conf->suites[i], quiet);
        /* stores of suites not in the config */
        char path[4096];
        snprintf(path, sizeof(path), "%s/store", data);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || cn_conf_suite(conf, e->d_name, strlen(e->d_name)))
                continue;
            cn_suite_conf_t tmp = {0};
            tmp.id = e->d_name;
            tmp.timezone = (char *)"UTC";
            if (!quiet)
                fprintf(stderr, "canton check: suite %s is not configured; assuming UTC days\n",
                        e->d_name);
            failed |= check_one(data, &tmp, quiet);
        }
        if (d)
            closedir(d);
    }
    cn_conf_free(conf);
    return failed ? CN_EXIT_FAIL : CN_EXIT_OK;
}
