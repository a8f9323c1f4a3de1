/* SPDX-License-Identifier: Apache-2.0
 * lnk_failback_plan: the reconciliation plan of a failback, computed from two
 * inventories without any I/O (lnk_failback.c fetches them and carries the
 * plan out). After a failover the DR registry took writes in a scope that
 * used to be a copy of the primary; the primary may have come back with
 * writes of its own that never reached DR. The plan says, for every version
 * in the DR scope that the primary does not hold identically, how it goes
 * back:
 *
 *   copy      free on the primary: imported there with its DR id and version
 *   renumber  (policy renumber) its id or its subject/version is taken on the
 *             primary by a different schema: imported under a fresh id (free
 *             on both sides) and/or the subject's next version; the DR copy
 *             gives way (dr_repair) so that the resumed link can bring the
 *             primary's truth back to DR. "kept" when an earlier run already
 *             put the same schema into that subject (no new write).
 *   conflict  (policy fail) as renumber, but nothing is written: the apply
 *             refuses the whole plan
 *   unlinked  the link does not produce this DR subject: left alone
 *
 * Versions identical on both sides (same subject, version, id, schema,
 * references, metadata, ruleSet) are counted as in sync and not listed.
 * Identity compares the schema text as stored (both sides store canonical
 * text), schemaType (absent = AVRO), references (subject qualified, version),
 * metadata and ruleSet.
 *
 * A DR version whose references point at a renumbered version is written
 * with the references renumbered too, and gives way on DR as well; so does
 * every DR version referencing one that gives way (they come back through
 * the link). Items are ordered so that a referenced version is written
 * before its referrers, and each DR subject's versions in DR's version
 * order (renumbered versions take the primary's next versions in that
 * order, so the subject's latest version is the same on both sides).
 * "id_changes" lists every placed DR version whose primary id differs
 * (renumbered now or kept from an earlier run), once per (context, DR id,
 * primary id).
 * Thread: any (pure function of its inputs). */
#ifndef LNK_FAILBACK_PLAN_H
#define LNK_FAILBACK_PLAN_H

#include <jansson.h>
#include <stdbool.h>

enum lnk_fb_policy {
    LNK_FB_FAIL,     /* conflicts stop the apply */
    LNK_FB_RENUMBER, /* conflicts are imported under a fresh id / next version */
};

/* "fail" / "renumber" -> policy; -1 otherwise. */
int lnk_fb_policy_parse(const char *s, enum lnk_fb_policy *out);
const char *lnk_fb_policy_name(enum lnk_fb_policy p);

/* The primary's qualified subject for a DR qualified subject (the inverse of
 * the link's name mapping), **new**, or NULL when the link does not produce
 * `dr_subject`. */
typedef char *(*lnk_fb_map_fn)(void *arg, const char *dr_subject);

struct lnk_fb_input {
    /* Both inventories are arrays of Schema objects as GET /schemas lists
     * them (subject qualified, version, id, schema, schemaType?, references?,
     * metadata?, ruleSet?), each with a boolean "deleted" (soft-deleted). */
    json_t *dr;       /* the DR scope's versions (borrowed) */
    json_t *primary;  /* every version on the primary, all contexts (borrowed) */
    lnk_fb_map_fn to_primary;
    void *arg;
    enum lnk_fb_policy policy;
};

/* The plan (**new**):
 *   {"policy", "ok": bool (false: conflicts under fail),
 *    "counts": {"dr_versions", "in_sync", "copy", "renumber", "kept", "conflict", "unlinked"},
 *    "items": [{"action": "copy"|"renumber"|"conflict"|"unlinked",
 *               "kept": bool, "deleted": bool,
 *               "dr": {"subject", "version", "id"},
 *               "primary": {"subject", "version", "id"} (absent when unlinked),
 *               "conflicts": [{"kind": "version", "subject", "version", "id"} |
 *                             {"kind": "id", "id", "subject", "version"}]  (the
 *                             primary's version in the way),
 *               "references_changed": bool, "dr_repair": bool,
 *               "body": the POST /subjects/{s}/versions body for the primary
 *                       (copy/renumber without kept)}],
 *    "id_changes": [{"dr_id", "primary_id", "context"}],
 *    "dr_repairs": [{"subject", "version", "id", "why"}] referrers first}
 * Never fails on odd input: a version without subject/version/id/schema is
 * skipped and counted in "counts.skipped". */
json_t *lnk_failback_plan(const struct lnk_fb_input *in);

#endif
