/* SPDX-License-Identifier: Apache-2.0
 * lnk_apply: the destination side of a link as plain calls — "this source
 * version / config / mode is now so" becomes idempotent destination REST
 * calls (IMPORT scope first, explicit id and version, mapped names and
 * references), exactly the rules of docs/internals/linker.md "Record ->
 * destination". Used by the standalone link (lnk_standalone.c) and by every
 * lane of the in-server worker (lnk_worker.c).
 * Thread: one owner at a time (it borrows one lnk_client); lanes of one
 * worker may share the set of ensured scopes (lnk_apply_init_shared). */
#ifndef LNK_APPLY_H
#define LNK_APPLY_H

#include "common/fy_err.h"
#include "common/fy_map.h"
#include "linker/lnk_client.h"
#include "linker/lnk_exporter.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

struct lnk_apply {
    const struct lnk_def *def; /* borrowed: mapping rules */
    const char *cluster_id;    /* borrowed: the source's id (AUTO contexts) */
    struct lnk_client *cl;     /* borrowed: the destination */
    struct fy_map own;         /* the ensured set when not shared */
    struct fy_map *ensured;    /* destination scopes already put into IMPORT */
    pthread_mutex_t *mu;       /* guards *ensured when shared, else NULL */
    /* Optional (NULL = unknown): does the source hold the version behind
     * destination subject `dsubject` / `version` now, with id `id`, and live
     * when `live_only`? (true for a subject this link does not map.) Lets a
     * delete refused for referrers the source no longer has clear those first
     * (see docs/internals/linker.md). Set by the in-server worker. */
    bool (*source_has)(void *arg, const char *dsubject, int version, int32_t id,
                       bool live_only);
    void *source_arg;
    int stale_depth;           /* nesting of stale-referrer clearing (bounded) */
};

void lnk_apply_init(struct lnk_apply *ap, const struct lnk_def *def, const char *cluster_id,
                    struct lnk_client *cl);
/* Like lnk_apply_init, with the ensured-scope set `ensured` (borrowed) shared
 * with other appliers under `mu` (borrowed): the lanes of one worker. */
void lnk_apply_init_shared(struct lnk_apply *ap, const struct lnk_def *def,
                           const char *cluster_id, struct lnk_client *cl,
                           struct fy_map *ensured, pthread_mutex_t *mu);
void lnk_apply_destroy(struct lnk_apply *ap);
/* Forget the IMPORT scopes already ensured (after a failure: the destination
 * may have been replaced). */
void lnk_apply_forget(struct lnk_apply *ap);

/* Source (context, name) version `v`: `schema` is the source's Schema object
 * (borrowed: schema, id, schemaType, references, metadata, ruleSet). Imports
 * it with its id and version, then soft-deletes it when `deleted`. 0 or -1
 * with FY_E_HTTP naming the call. */
int lnk_apply_version(struct lnk_apply *ap, const char *context, const char *name, int v,
                      json_t *schema, bool deleted, struct fy_err *err);
/* The version is gone from the source (hard delete): soft, then permanent. */
int lnk_apply_version_purge(struct lnk_apply *ap, const char *context, const char *name, int v,
                            struct fy_err *err);
/* The source hard-deleted version `v` once (a PURGED_VERSION record): purge the
 * destination's version `v` unless it has `current_id`, the id of the version
 * the source holds at `v` now (-1: none), whose own later record applies. A
 * number handed out again after a hard delete thus never meets the old
 * version on the destination. 0 or -1 with FY_E_HTTP naming the call. */
int lnk_apply_version_purge_stale(struct lnk_apply *ap, const char *context, const char *name,
                                  int v, int32_t current_id, struct fy_err *err);
/* The source soft-deleted the subject's versions 1..upto (a DELETE_SUBJECT
 * record): each of them still live on the destination is soft-deleted, not
 * the versions registered after (a re-sent record meets them after a reset);
 * upto < 0 = every version (DELETE /subjects/{d}). "Already gone" answers
 * count as done. */
int lnk_apply_subject_delete(struct lnk_apply *ap, const char *context, const char *name,
                             int upto, struct fy_err *err);
/* Subject (name) or context (name "") config: `config` is the source's GET
 * /config answer (borrowed), NULL = none (DELETE). The destination's top
 * level is never touched. */
int lnk_apply_config(struct lnk_apply *ap, const char *context, const char *name,
                     json_t *config, struct fy_err *err);
/* Subject-level mode (`mode` NULL = none): READONLY* copied, READWRITE/none
 * becomes DELETE (the IMPORT scope applies) or IMPORT in the default context. */
int lnk_apply_mode(struct lnk_apply *ap, const char *context, const char *name,
                   const char *mode, struct fy_err *err);

#endif
