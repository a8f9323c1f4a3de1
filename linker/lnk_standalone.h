/* SPDX-License-Identifier: Apache-2.0
 * lnk_standalone: a link between any two registries that speak the Confluent
 * REST API (`ferry link`): the source is read through REST, one pass at a time
 * (GET /schemas?deleted=true over every context, then subject/context config
 * and mode), compared with a cursor persisted in a state file (which version
 * is applied with which id and deleted flag, which config and mode), and only
 * the differences are applied to the destination through lnk_apply (the
 * exporter's rules: mapping, IMPORT scope, explicit ids and versions).
 * A restart resumes from the cursor; a crash between a call and the cursor
 * write only re-sends idempotent calls.
 * Thread: one owner (the `ferry link` main thread). */
#ifndef LNK_STANDALONE_H
#define LNK_STANDALONE_H

#include "common/fy_err.h"
#include "linker/lnk_exporter.h"

#include <jansson.h>
#include <stddef.h>

struct lnk_standalone;

/* A link with the mapping of `def` (borrowed, must outlive the link;
 * def->config holds the destination's client settings), the source's client
 * settings `src_config` (borrowed; values copied) and its cursor in
 * `state_path` (loaded now when it exists). NULL with err (42250 for a bad
 * client setting, FY_E_IO / FY_E_CORRUPT for the state file). */
struct lnk_standalone *lnk_standalone_new(const struct lnk_def *def, json_t *src_config,
                                          const char *state_path, struct fy_err *err);
void lnk_standalone_free(struct lnk_standalone *ls);

/* One pass: read the source, apply what the cursor does not have yet, save
 * the cursor. *applied counts the destination changes made. 0, or -1 with
 * err (the cursor keeps what was applied before the failure). */
int lnk_standalone_poll(struct lnk_standalone *ls, size_t *applied, struct fy_err *err);

#endif
