/* SPDX-License-Identifier: Apache-2.0
 * lnk_dr_failover: the whole DR switch for topics and schemas as one
 * journaled procedure (issue 16), over the REST APIs of the two registries
 * and the topic mirror's admin endpoint (lnk_dr.h):
 *
 *   unplanned: before -> group_sync -> mirror_failover -> registry
 *   planned:   before -> primary_readonly -> drain -> group_sync ->
 *              mirror_failover -> registry
 *
 * before           the status at the start (what the RPO was)
 * primary_readonly the primary's scopes READONLY, their old modes kept
 * drain            every mirror topic at lag 0 with the source end offsets
 *                  unchanged, and the exporter at lag 0, twice in a row
 * group_sync       a consumer-group offset sync that began after the request
 *                  (skipped, with a note, when the mirror's source is down)
 * mirror_failover  every mirror topic STOPPED, with the per-partition loss
 * registry         the exporter paused (primary answering), every DR scope
 *                  IMPORT -> READWRITE, and the schema changes left behind
 *
 * Each step's result is written to the journal (fy_file: temp, fsync,
 * rename) before the next begins; a run that finds an unfinished journal
 * skips the steps it holds (a crash, kill -9, resumes) and a finished one is
 * reported again without doing anything. A planned failover that does not
 * drain within its timeout is refused: the primary's scopes get their old
 * modes back, the journal says `refused`, and the next run starts anew.
 * Thread: the caller's. */
#ifndef LNK_DR_FAILOVER_H
#define LNK_DR_FAILOVER_H

#include "common/fy_err.h"
#include "linker/lnk_dr.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum lnk_dr_status {
    LNK_DR_OK = 0,      /* done: the DR side accepts writes on every topic and scope */
    LNK_DR_FAILED = 1,  /* a step failed or the planned failover was refused (see report) */
    LNK_DR_USAGE = 2,   /* bad command line, configuration or journal */
};

struct lnk_dr_failover_opts {
    bool planned;
    const char *journal;          /* the journal file's path */
    int64_t drain_timeout_ms;     /* planned: how long to wait for lag 0 */
    int64_t group_sync_timeout_ms;/* how long to wait for the final group sync */
    /* Called after every step with its entry of "steps" (borrowed for the
     * call), e.g. to print it at once; may be NULL. */
    void (*progress)(void *arg, json_t *step);
    void *progress_arg;
};

/* Run (or resume) the failover. Returns the report (**new**), or NULL with
 * err (FY_E_IO / FY_E_CORRUPT: the journal cannot be read or written):
 *   {"operation": "failover", "planned", "journal", "resumed": bool,
 *    "already_done": bool, "started_ms", "run_started_ms",
 *    "steps": [{"step", "ok", "ms", "earlier_run": bool, "note"?, ...result}],
 *    "topics": [{"topic", "mirror_topic", "lost_records", "lost_ms", "complete",
 *                "note", "partitions": [...]}],          (the mirror's failover report)
 *    "scopes": [{"scope", "before", "after", "switched", "error"?}],
 *    "schema_changes_lost": N | null, "schema_lost_ms": ms | null,
 *    "rto_ms": ms from the first run's start until the DR side accepted writes,
 *    "run_ms", "refused"?: text, "behind"?: [text], "status"}
 * and sets *status (enum lnk_dr_status). */
json_t *lnk_dr_failover(struct lnk_dr *d, const struct lnk_dr_failover_opts *o, int *status,
                        struct fy_err *err);

#endif
