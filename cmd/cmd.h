/* SPDX-License-Identifier: Apache-2.0
 * cmd: the ferry command line — global flags and subcommand dispatch. */
#ifndef CMD_H
#define CMD_H

#include "common/fy_version.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One command-line flag: `value` for `--flag VALUE`, or `set` for a boolean
 * `--flag` (exactly one of them non-NULL). */
struct cmd_flag {
    const char *name;
    const char **value;
    bool *set;
};

/* Parse `argv` (the arguments after the subcommand) against `flags`;
 * a value flag is `--flag VALUE` or `--flag=VALUE`.
 * 0 = parsed; 1 = --help/-h (usage printed to stdout: exit 0); -1 = an
 * unknown flag or a missing value (said on stderr: exit 2). */
int cmd_flags_parse(const char *cmd, int argc, char **argv, const struct cmd_flag *flags,
                    size_t n, void (*usage)(FILE *));

/* Block SIGTERM and SIGINT in this thread and every thread created after it
 * (the main thread then takes them with sigwait(sigs)), and ignore SIGPIPE. */
void cmd_signals_block(sigset_t *sigs);

/* Print a command's report: one compact JSON line with `as_json`, else
 * through `readable`. */
void cmd_report_print(json_t *rep, bool as_json, void (*readable)(json_t *rep, FILE *f));

/* Run ferry with the process arguments; returns the exit status. */
int cmd_main(int argc, char **argv);

/* Subcommands: `argv` holds the arguments after the subcommand name. */
int cmd_serve(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_failover(int argc, char **argv);
int cmd_failback(int argc, char **argv);
int cmd_dr(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_passwd(int argc, char **argv);

#endif
