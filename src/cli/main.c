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

void cn_cli_bad_arg(const char *cmd, const char *arg, bool is_last, const char *const *value_opts)
{
    for (size_t i = 0; is_last && value_opts[i] != NULL; i++) {
        if (strcmp(arg, value_opts[i]) == 0) {
            fprintf(stderr, "canton %s: %s needs a value\n\n", cmd, arg);
            return;
        }
    }
    fprintf(stderr, "canton %s: %s '%s'\n\n", cmd,
            arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
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
        if (command_is(argv[1], commands[i].name)) {
            /* getopt_long names argv[0] in its messages: "canton import: unrecognized
             * option '--x'", as the commands' own messages begin */
            char prog[64];
            snprintf(prog, sizeof(prog), "canton %s", argv[1]);
            argv[1] = prog;
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "canton: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CN_EXIT_USAGE;
}
