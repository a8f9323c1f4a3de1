/* SPDX-License-Identifier: Apache-2.0
 * lnk_failover: the schema side of a disaster-recovery switch (sr-api §11
 * "Failover / failback pattern"), as one procedure over two registries'
 * REST APIs (lnk_client): pause the primary's exporter when the primary still
 * answers and read its last position, then switch the DR registry's imported
 * scopes IMPORT -> READWRITE. Used by `ferry failover` (cmd_failover.c).
 * Thread: the caller's (blocking HTTP calls, no shared state). */
#ifndef LNK_FAILOVER_H
#define LNK_FAILOVER_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of `ferry failover` (documented in its --help). */
enum lnk_failover_status {
    LNK_FAILOVER_OK = 0,      /* every scope is READWRITE now (switched or already) */
    LNK_FAILOVER_FAILED = 1,  /* a scope was not switched (DR unreachable, wrong mode, refused) */
    LNK_FAILOVER_USAGE = 2,   /* bad command line or configuration */
};

struct lnk_failover_opts {
    json_t *dr_config;        /* lnk_client settings of the DR registry (borrowed) */
    json_t *primary_config;   /* of the primary, or NULL when there is none to ask */
    const char *const *scopes;/* the DR's imported scopes as written by the user */
    size_t n_scopes;
    const char *exporter;     /* the primary's exporter feeding DR, or NULL */
};

/* The scope's /mode path segment, percent-encoded: ".ctx" / ":.ctx:" / ":.ctx"
 * -> ":.ctx:" (the context), "." -> "" (the top level, path /mode), anything
 * else is a subject. **new** string, or NULL with 42208 when a context name
 * is invalid. */
char *lnk_failover_scope_path(const char *scope, struct fy_err *err);

struct lnk_client;

/* The effective mode of `scope` (GET /mode/..?defaultToGlobal=true): 0 with
 * *mode a **new** string, or -1 with FY_E_HTTP (transport error, or "GET
 * /mode/.. answered HTTP N: message"), 42208 for an invalid context name. */
int lnk_failover_mode_get(struct lnk_client *cl, const char *scope, char **mode,
                          struct fy_err *err);
/* PUT `mode` on `scope`: 0 when answered 200, else -1 with FY_E_HTTP as above. */
int lnk_failover_mode_put(struct lnk_client *cl, const char *scope, const char *mode,
                          struct fy_err *err);

/* Run the procedure. Always returns a report (**new**):
 *   {"dr": url, "scopes": [{"scope", "before", "after", "switched", "error"?}],
 *    "primary": null | {"url", "reachable", "exporter", "paused", "state",
 *                       "offset", "ts", "error"?},
 *    "position_known": bool, "now": ms, "rpo_ms": ms | null, "status": N}
 * and sets *status (enum lnk_failover_status). `now_ms` is the wall clock
 * used for the RPO estimate (now - the exporter's last progress). NULL with
 * 42250 only when a client setting is invalid. */
json_t *lnk_failover_run(const struct lnk_failover_opts *o, int64_t now_ms, int *status,
                         struct fy_err *err);

#endif
