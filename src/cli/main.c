/* SPDX-License-Identifier: Apache-2.0 */
/*
 * canton's main(): finds the subcommand in commands.def and runs it.
 * `serve` wires the boxes of DESIGN.md together; the other subcommands are
 * tools over the same modules.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/pipeline.h"
#include "conf/conf.h"
#include "lib/clock.h"
#include "lib/log.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
#define XX(name, summary) {#name, cn_cmd_##name, summary},
    CN_COMMANDS(XX)
#undef XX
};

/* Command names are C identifiers in commands.def; on the command line and in
 * the usage text a '_' is a '-' (bad_rows is `canton bad-rows`). */
static bool command_is(const char *arg, const char *name)
{
    for (; *arg && *name; arg++, name++) {
        if (*arg != *name && !(*arg == '-' && *name == '_'))
            return false;
    }
    return *arg == *name;
}

static void usage(FILE *f)
{
    fprintf(f,
            "canton %s: self-hosted web and e-commerce analytics\n\n"
            "Usage: canton <command> [options]\n\nCommands:\n",
            CN_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s", commands[i].name);
        for (char *c = name; *c; c++)
            *c = *c == '_' ? '-' : *c;
        fprintf(f, "  %-12s %s\n", name, commands[i].summary);
    }
    fprintf(f, "\nRun `canton <command> --help` for a command's options.\n"
               "Documentation: README.md and docs/ in the source tree.\n");
}

void cn_cli_on_signal(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, NULL);
}

bool cn_cli_data_dir_exists(const char *cmd, const char *dir)
{
    struct stat st;
    const char *why = stat(dir, &st) != 0    ? strerror(errno)
                      : !S_ISDIR(st.st_mode) ? "not a folder"
                                             : NULL;
    if (why != NULL)
        fprintf(stderr, "canton %s: %s: %s (the data folder; see --data)\n", cmd, dir, why);
    return why == NULL;
}

/* The long option arg (text as typed: "--name", "--name=value" or an abbreviation) names: the
 * options whose names begin with its name part. Returns how many; *out is the first
 * (or the one named exactly). */
static size_t long_matches(const struct option *longopts, const char *arg,
                           const struct option **out)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    size_t n = 0;
    for (const struct option *o = longopts; o->name != NULL; o++) {
        if (strncmp(o->name, name, len) == 0) {
            if (strlen(o->name) == len) { /* an exact name is never ambiguous */
                *out = o;
                return 1;
            }
            if (n++ == 0)
                *out = o;
        }
    }
    return n;
}

int cn_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts)
{
    /* A leading ':' makes getopt quiet and return ':' for a missing value; the messages are
     * ours, in the form of every other usage error. */
    char spec[32];
    snprintf(spec, sizeof(spec), ":%s", shortopts);
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    /* After an error on a long option, getopt has moved optind past it. A short option's
     * error (optopt is its letter) may leave optind inside its cluster, so that
     * argv[optind - 1] is another argument; a long option's text is told apart by its name. */
    const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
    const struct option *o = NULL;
    size_t n = strncmp(arg, "--", 2) == 0 ? long_matches(longopts, arg, &o) : 0;
    bool is_long = n > 0 && (optopt == 0 || o->val == optopt);
    if (c == ':') {
        if (is_long)
            fprintf(stderr, "canton %s: --%s needs a value\n\n", cmd, o->name);
        else
            fprintf(stderr, "canton %s: -%c needs a value\n\n", cmd, optopt);
    } else if (is_long && optopt != 0) { /* a value given to an option that takes none */
        fprintf(stderr, "canton %s: --%s takes no value ('%s')\n\n", cmd, o->name, arg);
    } else if (n > 1 && optopt == 0) {
        fprintf(stderr, "canton %s: ambiguous option '%s' (", cmd, arg);
        size_t len = strcspn(arg + 2, "=");
        const char *sep = "";
        for (o = longopts; o->name != NULL; o++) {
            if (strncmp(o->name, arg + 2, len) == 0) {
                fprintf(stderr, "%s--%s", sep, o->name);
                sep = ", ";
            }
        }
        fprintf(stderr, ")\n\n");
    } else if (optopt == 0) {
        fprintf(stderr, "canton %s: unknown option '%s'\n\n", cmd, arg);
    } else {
        fprintf(stderr, "canton %s: unknown option '-%c'\n\n", cmd, optopt);
    }
    return '?';
}

bool cn_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
        if (strcmp(argv[i], "--") == 0)
            break;
    }
    return false;
}

/* Set by cn_cli_log_level (a --log-level option, once at start): cn_cli_conf leaves the level. */
static bool log_level_pinned;

bool cn_cli_log_level(const char *cmd, const char *name)
{
    cn_log_level_t level;
    if (cn_log_parse_level(name, &level) != 0) {
        fprintf(stderr, "canton %s: unknown log level '%s' (debug, info, warn, error)\n", cmd,
                name);
        return false;
    }
    cn_log_set_level(level);
    log_level_pinned = true;
    return true;
}

cn_conf_t *cn_cli_conf(const char *cmd, const char *path)
{
    if (path == NULL)
        return cn_conf_default();
    cn_err_t err;
    cn_err_clear(&err);
    cn_conf_t *conf = NULL;
    int64_t t0 = cn_time_mono_us();
    int rc = cn_conf_load(path, &conf, &err);
    if (rc == 0 && (rc = cn_pipeline_check_conf(conf, &err)) != 0) {
        cn_conf_free(conf);
        conf = NULL;
    }
    if (rc != 0) {
        fprintf(stderr, "canton %s: %s\n", cmd, cn_err_msg(&err, rc));
        return NULL;
    }
    cn_log_level_t level;
    if (!log_level_pinned && cn_log_parse_level(conf->log_level, &level) == 0) /* conf.c checked */
        cn_log_set_level(level);
    char q[512];
    cn_log_debug("config loaded", "path=%s suites=%zu ms=%lld",
                 cn_log_quote(q, sizeof(q), cn_str_c(path)), conf->suite_count,
                 (long long)((cn_time_mono_us() - t0) / 1000));
    return conf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cn_cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (command_is(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "canton: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CN_EXIT_USAGE;
}
