/* SPDX-License-Identifier: Apache-2.0
 * cmd: the ferry command line — global flags and subcommand dispatch. */
#ifndef CMD_H
#define CMD_H

#define FERRY_VERSION "0.1.0"
#ifndef FERRY_COMMIT
#define FERRY_COMMIT "unknown"
#endif

/* Run ferry with the process arguments; returns the exit status. */
int cmd_main(int argc, char **argv);

/* Subcommands: `argv` holds the arguments after the subcommand name. */
int cmd_serve(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_failover(int argc, char **argv);
int cmd_link(int argc, char **argv);

#endif
