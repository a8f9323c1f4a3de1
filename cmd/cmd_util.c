/* SPDX-License-Identifier: Apache-2.0
 * cmd_util: what every subcommand's main needs — its flags parsed from one
 * table, and SIGTERM/SIGINT turned into something the main thread waits for.
 * Thread: main thread, before others start. */
#include "cmd/cmd.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int cmd_flags_parse(const char *cmd, int argc, char **argv, const struct cmd_flag *flags,
                    size_t n, void (*usage)(FILE *))
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        /* "--flag=value" is "--flag value" (GNU style) */
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const struct cmd_flag *f = NULL;
        for (size_t k = 0; k < n && !f; k++)
            if (strlen(flags[k].name) == nlen && strncmp(a, flags[k].name, nlen) == 0)
                f = &flags[k];
        if (!f || (eq && f->set)) {
            fprintf(stderr, "ferry %s: unknown option '%s'\n", cmd, a);
            usage(stderr);
            return -1;
        }
        if (f->set) {
            *f->set = true;
            continue;
        }
        if (eq) {
            *f->value = eq + 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "ferry %s: %s needs a value\n", cmd, a);
            return -1;
        }
        *f->value = argv[++i];
    }
    return 0;
}

void cmd_signals_block(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGTERM);
    sigaddset(sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
    /* a peer that hangs up must cost an error return, not the process */
    signal(SIGPIPE, SIG_IGN);
}

void cmd_report_print(json_t *rep, bool as_json, void (*readable)(json_t *rep, FILE *f))
{
    if (!as_json) {
        readable(rep, stdout);
        return;
    }
    char *text = json_dumps(rep, JSON_COMPACT);
    puts(text);
    free(text);
}

