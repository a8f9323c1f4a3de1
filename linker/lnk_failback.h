/* SPDX-License-Identifier: Apache-2.0
 * lnk_failback: bring a DR registry's outage-time writes back to the primary
 * and restore the link's direction, over both registries' REST APIs
 * (lnk_client). The plan itself is lnk_failback_plan.h; this module fetches
 * the inputs and carries the plan out. Used by `ferry failback`
 * (cmd_failback.c).
 *
 * The link's mapping comes from the primary's exporter (GET /exporters/{name}
 * and the primary's cluster id for AUTO contexts): a DR subject goes back to
 * the primary subject the exporter would have written it from.
 *
 * --plan reads both sides and changes nothing. --apply, in this order:
 *   1. pause the exporter (it must not write into DR while DR is reconciled)
 *   2. freeze each DR scope: IMPORT (force) — DR clients can no longer
 *      register there, and it is the mode the link needs afterwards
 *   3. put every primary subject the plan writes to into IMPORT (force),
 *      remembering its own mode, then plan again against the frozen primary
 *   4. a plan with conflicts under --on-conflict=fail: undo 3 and 2 (DR back
 *      to the mode it had), write nothing, fail
 *   5. write the plan to the primary (explicit ids and versions), soft-delete
 *      what DR has soft-deleted
 *   6. DR repairs: the DR versions that give way are hard-deleted (referrers
 *      first); the link brings the primary's versions back
 *   7. restore the primary subjects' modes, and make the primary's contexts
 *      READWRITE
 *   8. reset the exporter when DR gave way (so it re-sends everything), then
 *      resume it
 * Every step is idempotent, so running --apply again after a failure (or
 * after success) is harmless: what is already in sync is not listed again.
 * Thread: the caller's (blocking HTTP calls, no shared state). */
#ifndef LNK_FAILBACK_H
#define LNK_FAILBACK_H

#include "common/fy_err.h"
#include "linker/lnk_failback_plan.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of `ferry failback` (documented in its --help). */
enum lnk_failback_status {
    LNK_FAILBACK_OK = 0,     /* plan: apply would succeed; apply: done */
    LNK_FAILBACK_FAILED = 1, /* conflicts under fail, a side unreachable, a step refused */
    LNK_FAILBACK_USAGE = 2,  /* bad command line or configuration */
};

struct lnk_failback_opts {
    json_t *dr_config;         /* lnk_client settings of the DR registry (borrowed) */
    json_t *primary_config;    /* of the primary (borrowed) */
    const char *const *scopes; /* the DR's imported scopes (contexts or subjects) */
    size_t n_scopes;
    const char *exporter;      /* the primary's exporter feeding DR */
    enum lnk_fb_policy policy;
    bool apply;
};

/* Run it. Returns a report (**new**):
 *   {"dr", "primary", "exporter", "apply": bool, "plan": {...} | null,
 *    "steps": [{"step", "ok", "detail"?, "error"?}], "status": N}
 * and sets *status (enum lnk_failback_status). NULL with 42250 only when a
 * client setting is invalid. */
json_t *lnk_failback_run(const struct lnk_failback_opts *o, int *status, struct fy_err *err);

#endif
