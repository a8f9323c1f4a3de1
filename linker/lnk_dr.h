/* SPDX-License-Identifier: Apache-2.0
 * lnk_dr: the view of a whole DR setup (issue 16) — both registries, the
 * primary's exporter feeding DR, and the topic mirror's admin endpoint —
 * gathered through their REST APIs (lnk_client) into one JSON document:
 * every linked registry scope and every mirrored topic with its state, lag
 * in records and time, the last consumer-group offset sync, the RPO one
 * would accept if the primary died now, and what is wrong in words. Used
 * by `ferry dr status` and `ferry dr failover` (cmd/cmd_dr.c); the printing
 * is the command's.
 * Thread: the caller's (blocking HTTP calls, no shared state). */
#ifndef LNK_DR_H
#define LNK_DR_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The topic side's wording and thresholds are common/fy_drview.h's. */
struct lnk_dr_conf {
    json_t *dr;                        /* lnk_client settings of the DR registry (borrowed) */
    json_t *primary;                   /* of the primary, NULL = none configured */
    json_t *mirror;                    /* of the mirror's admin endpoint, NULL = no topic side */
    const char *const *scopes;         /* the DR's imported scopes */
    size_t n_scopes;
    const char *const *primary_scopes; /* the primary's scopes feeding them */
    size_t n_primary_scopes;
    const char *exporter;              /* the primary's exporter feeding DR, or NULL */
};

struct lnk_client;

/* The clients of one DR setup (`primary`, `mirror` NULL when not configured). */
struct lnk_dr {
    const struct lnk_dr_conf *conf;
    struct lnk_client *dr, *primary, *mirror;
};

/* Create the clients. 0, or -1 with 42250 when a client setting is invalid
 * (nothing is contacted). */
int lnk_dr_open(struct lnk_dr *d, const struct lnk_dr_conf *conf, struct fy_err *err);
void lnk_dr_close(struct lnk_dr *d);

/* Gather the status; never fails (what cannot be read is said in it). **new**:
 *   {"now": ms, "ok": bool, "problems": [text],
 *    "dr": {"url", "reachable", "error"?},
 *    "primary": null | {"url", "reachable", "error"?},
 *    "exporter": null | {"name", "state", "offset", "ts", "lag_records", "lag_ms", "error"?},
 *    "scopes": [{"scope", "mode", "rpo_records", "rpo_ms", "problem"?}],
 *    "mirror": null | {"url", "reachable", "name", "source_reachable",
 *                      "source_last_contact_ms", "last_group_sync_ms", "group_sync_age_ms",
 *                      "groups_synced", "offsets_synced", "error"?},
 *    "topics": [{"topic", "mirror_topic", "state", "lag", "lag_ms", "partitions",
 *                "rpo_records", "rpo_ms", "problem"?}],
 *    "rpo": {"topic_records", "topic_ms", "schema_changes", "schema_ms"}}
 * Numbers that are not known are null (e.g. every lag with the primary or
 * the mirror unreachable). `now_ms` is the wall clock. */
json_t *lnk_dr_status(struct lnk_dr *d, int64_t now_ms);

/* The mirror's /status (**new** JSON), or NULL with FY_E_HTTP. */
json_t *lnk_dr_mirror_status(struct lnk_dr *d, struct fy_err *err);

/* The exporter's lag on the primary from its /metrics
 * (ferry_exporter_lag_records / _seconds): 0 with both set, -1 with err
 * when the primary does not answer or does not export them. */
int lnk_dr_exporter_lag(struct lnk_dr *d, int64_t *records, int64_t *ms, struct fy_err *err);

#endif
