/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The canton command line: main() dispatches to one function per
 * subcommand (commands.def). Helpers shared by the subcommands live here.
 */
#ifndef CN_CLI_CLI_H
#define CN_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/commands.def"

#define CN__CMD_DECL(name, summary) int cn_cmd_##name(int argc, char **argv);
CN_COMMANDS(CN__CMD_DECL)
#undef CN__CMD_DECL

/* True when argv[1..argc) contains -h or --help. */
bool cn_cli_wants_help(int argc, char **argv);

/* The configuration of a command: the file at path (--config), or the
 * defaults when path is NULL. A file is checked whole: conf.c's keys and the
 * suite keys other modules read (cn_pipeline_check_conf), so that every
 * command refuses what `canton process` or `serve` would. On an error it
 * prints "canton <cmd>: <what is wrong, with file:line>" to stderr and returns
 * NULL (exit with CN_EXIT_FAIL). Sets the log level to the file's log_level
 * (unless cn_cli_log_level set one) and logs "config loaded" at debug. Free
 * with cn_conf_free(). */
struct cn_conf;
struct cn_conf *cn_cli_conf(const char *cmd, const char *path);

/* Sets the log level from a --log-level option; it wins over the config's
 * log_level (call before cn_cli_conf). On an unknown name prints "canton
 * <cmd>: unknown log level ..." and returns false (exit with CN_EXIT_USAGE). */
bool cn_cli_log_level(const char *cmd, const char *name);

/* getopt_long(3) for every command, so that each takes `--name value` and `--name=value`
 * alike (and a unique abbreviation of a long name). shortopts lists the short options ("" for
 * none; -h/--help is cn_cli_wants_help's). Returns the option's val, or -1 after the last
 * option: the arguments that are not options are then argv[optind..argc) (getopt moves them
 * there). On an option it cannot take it prints a line naming it (and a blank line, for the
 * usage that follows) to stderr and returns '?':
 * "canton <cmd>: --name needs a value", "canton <cmd>: unknown option '--x'",
 * "canton <cmd>: ambiguous option '--d' (--data, --dimension)" or "canton <cmd>: --flag takes no
 * value ('--flag=1')"; the caller prints its usage and exits with CN_EXIT_USAGE. Set
 * optind = 1 before the first call. */
int cn_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts);

/* Runs fn on signal sig (sigaction, SA_RESTART: a signal fails no read or write). fn must
 * be async-signal-safe: an atomic store, say. */
void cn_cli_on_signal(int sig, void (*fn)(int));

/* True when dir is a folder; else prints "canton <cmd>: <dir>: <why> (the data
 * folder; see --data)" to stderr: a data folder that is not there is a
 * mistyped --data, not an empty store. */
bool cn_cli_data_dir_exists(const char *cmd, const char *dir);

/* Exit codes: 0 success, 1 failure at run time, 2 usage error. */
enum { CN_EXIT_OK = 0, CN_EXIT_FAIL = 1, CN_EXIT_USAGE = 2 };

#endif
