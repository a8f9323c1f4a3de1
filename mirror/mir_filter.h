/* SPDX-License-Identifier: Apache-2.0
 * mir_filter: which topics (or consumer groups) a mirror selects — literal
 * names, prefixes and POSIX extended regexes, each as include and exclude
 * lists. Exclusion wins. Also the rule that internal topics are never mirrored.
 * Thread: built at startup, then read-only (match may run on any thread). */
#ifndef MIR_FILTER_H
#define MIR_FILTER_H

#include "common/fy_err.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct mir_patterns {
    char **lits;
    size_t n_lits;
    char **prefixes;
    size_t n_prefixes;
    regex_t *regs;
    size_t n_regs;
};

struct mir_filter {
    struct mir_patterns inc;
    struct mir_patterns exc;
};

/* Build a filter from comma-separated lists (each may be NULL or ""; blanks
 * around items are ignored). Regexes match the whole name. 0, or -1 with err
 * (FY_E_CONFIG naming the bad regex); on failure nothing is left to free.
 * Thread: startup. */
int mir_filter_init(struct mir_filter *f, const char *lits, const char *prefixes,
                    const char *regexes, const char *ex_lits, const char *ex_prefixes,
                    const char *ex_regexes, struct fy_err *err);
/* Free what `f` owns. Safe on a zeroed struct. */
void mir_filter_destroy(struct mir_filter *f);
/* True when `name` is included by a pattern and excluded by none. */
bool mir_filter_match(const struct mir_filter *f, const char *name);
/* True when `name` selects nothing, i.e. the filter has no include pattern. */
bool mir_filter_empty(const struct mir_filter *f);

/* Internal topics are never mirrored whatever the filter says: Kafka's and
 * ferry's own (`__*`), Confluent's (`_confluent*`), MirrorMaker 2's
 * (`*.internal`, `mm2-*`, heartbeats). */
bool mir_topic_is_internal(const char *name);

#endif
