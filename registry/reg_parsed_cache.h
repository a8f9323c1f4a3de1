/* SPDX-License-Identifier: Apache-2.0
 * reg_parsed_cache: the parsed model (reg_sm, any schema type) of stored schemas, so a
 * registration's compatibility check does not re-parse the subject's latest
 * version (and, at transitive levels, every earlier one) each time, nor a
 * lookup with normalize=true or a `format=resolved` read every version it
 * looks at. An entry is what parsing the stored text with its references
 * gives (reg_register.c parse_stored: references depth-first, validate=false).
 *
 * Keyed by (context, schema id). The index never lets an id change meaning
 * inside a context while its schema lives (reg_index.c apply_schema), so an
 * entry stays right until the index frees that schema or removes/replaces a
 * subject-version that references resolve through; reg_index_apply drops the
 * entries then (reg_parsed_cache_drop, _drop_referencing). Bounded by a byte
 * budget (an estimate of the model's heap size), least recently used first out.
 *
 * Locking: an internal mutex guards the table; it is a leaf lock (nothing is
 * taken under it). Callers fill the cache only from index state that cannot
 * change under them (holding idx.lock shared, or the registry's wlock) and the
 * index drops entries while holding idx.lock exclusively, so a fill can never
 * re-insert what a drop just removed. Entries are immutable once published and
 * refcounted (C11 atomics): a holder keeps using its entry after an eviction or
 * a drop, and the last release frees it.
 * Thread: any. */
#ifndef REG_PARSED_CACHE_H
#define REG_PARSED_CACHE_H

#include "registry/reg_schema_type.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default budget when the registry's options give 0. */
#define REG_PARSED_CACHE_DEFAULT_BYTES ((size_t)64 << 20)

struct reg_parsed_cache;
struct reg_parsed; /* one parsed schema: its model */

/* New empty cache holding at most about `budget` bytes of models (0 = cache
 * nothing: every put hands back an entry only its caller holds). Never NULL. */
struct reg_parsed_cache *reg_parsed_cache_new(size_t budget);
/* Free the cache and drop its references to the entries (entries still kept
 * by someone live until released). NULL is a no-op. */
void reg_parsed_cache_free(struct reg_parsed_cache *pc);
/* Change the budget, evicting down to it at once. */
void reg_parsed_cache_set_budget(struct reg_parsed_cache *pc, size_t budget);

/* The entry for (context, id), kept for the caller (release it), or NULL.
 * A hit makes the entry the most recently used. */
struct reg_parsed *reg_parsed_cache_get(struct reg_parsed_cache *pc, const char *context,
                                        int32_t id);

/* Publish the model of (context, id): **steals** `model` (the stored text
 * parsed after the schema's references).
 * `has_references` says whether parsing needed any (such entries go with
 * reg_parsed_cache_drop_referencing). Returns the entry kept for the caller:
 * the new one, or the one already cached for that key (then `model` is
 * freed). An entry bigger than the whole budget is not cached but still
 * returned. The model must not be changed after this call.
 * Entries this put evicts are released here when `evicted` is NULL; else
 * they are appended to the list *evicted (start it NULL) for the caller to
 * pass to reg_parsed_release_list once it has dropped its own locks —
 * freeing a large model is not work for the registry's writer lock. */
struct reg_parsed *reg_parsed_cache_put(struct reg_parsed_cache *pc, const char *context,
                                        int32_t id, struct reg_sm *model, bool has_references,
                                        struct reg_parsed **evicted);

/* Release a kept entry; the last release frees it. NULL is a no-op. */
void reg_parsed_release(struct reg_parsed *e);
/* Release every entry of a list filled by reg_parsed_cache_put. NULL is a no-op. */
void reg_parsed_release_list(struct reg_parsed *list);
/* The entry's model (borrowed, valid while the entry is kept; read-only). */
const struct reg_sm *reg_parsed_model(const struct reg_parsed *e);

/* Forget (context, id) (its schema is gone from the index). */
void reg_parsed_cache_drop(struct reg_parsed_cache *pc, const char *context, int32_t id);
/* Forget every entry whose parse needed references (a subject-version a
 * reference may resolve through was removed or now holds another schema). */
void reg_parsed_cache_drop_referencing(struct reg_parsed_cache *pc);
/* Forget everything. */
void reg_parsed_cache_clear(struct reg_parsed_cache *pc);

struct reg_parsed_cache_stats {
    size_t entries;
    size_t bytes;       /* estimated size of the cached models */
    size_t budget;
    uint64_t hits, misses, evictions, drops;
};
void reg_parsed_cache_stats(struct reg_parsed_cache *pc, struct reg_parsed_cache_stats *out);

#endif
