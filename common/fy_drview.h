/* SPDX-License-Identifier: Apache-2.0
 * fy_drview: the topic half of the DR status document (linker/lnk_dr.h
 * describes the whole shape) from a ferry mirror's GET /status answer, and
 * the RPO sums; used by `ferry dr status` and by the mirror's status page.
 * Thread: any (pure JSON). */
#ifndef FY_DRVIEW_H
#define FY_DRVIEW_H

#include <jansson.h>
#include <stdint.h>

/* A mirror topic lagging longer than this, or a group sync older than
 * this, is reported as a problem. */
#define FY_DRVIEW_LAG_WARN_MS 30000
#define FY_DRVIEW_GROUP_SYNC_WARN_MS 60000

/* Append `fmt` (two %s: a, b) to st.problems. */
void fy_drview_problem(json_t *st, const char *fmt, const char *a, const char *b);

/* From the mirror status `ms` (borrowed) at wall time `now`: fill the mirror
 * object `m` (name, source_reachable, source_last_contact_ms,
 * last_group_sync_ms, group_sync_age_ms, groups_synced, offsets_synced),
 * append one entry per topic to st.topics (an array `st` must hold) and
 * the problems in words to st.problems. */
void fy_drview_mirror(json_t *ms, int64_t now, json_t *m, json_t *st);

/* st.rpo = {topic_records, topic_ms, schema_changes, schema_ms} from
 * st.topics, st.mirror and st.exporter (null where not known). */
void fy_drview_rpo(json_t *st);

#endif
