/* SPDX-License-Identifier: Apache-2.0
 * reg_guid: the `guid` Confluent 8.x writes in Schema, SchemaString and
 * RegisterSchemaResponse objects. It is not stored but derived from what is:
 * the MD5 of (stored text, references, metadata, ruleSet) fed in the order of
 * Confluent's Schema.updateHash (and SchemaReference/Metadata/RuleSet/Rule
 * .updateHash), printed as a java.util.UUID (MD5.toString). So a version keeps
 * its guid across restarts, compaction and replay, and two registries that
 * store the same content (a link's destination included) give it the same
 * guid. Metadata and rule maps/sets are fed in sorted order, as Confluent's
 * TreeMap/TreeSet (byte order; Java compares UTF-16 units, which differs only
 * between supplementary characters and U+E000..U+FFFF). Thread: any. */
#ifndef REG_GUID_H
#define REG_GUID_H

/* 36 characters and the NUL */
#define REG_GUID_LEN 37

/* Fill `out` with the guid of this content (references, metadata, rule_set:
 * stored compact JSON texts or NULL). MD5 is common/fy_md5 (no library
 * state: a few microseconds per schema on replay). */
void reg_guid(const char *schema, const char *references, const char *metadata,
             const char *rule_set, char out[REG_GUID_LEN]);

#endif
