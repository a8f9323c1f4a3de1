/* SPDX-License-Identifier: Apache-2.0
 * reg_metadata: Confluent's merge rules for a schema's `metadata` and
 * `ruleSet` (Metadata.mergeMetadata, RuleSet.mergeRuleSets), used when a
 * registration applies its subject's config defaultMetadata/overrideMetadata
 * and defaultRuleSet/overrideRuleSet (AbstractSchemaRegistry
 * .maybeSetMetadataRuleSet). Pure functions over jansson values. Thread: any. */
#ifndef REG_METADATA_H
#define REG_METADATA_H

#include <jansson.h>

/* merge(base, over) of two Metadata objects (either may be NULL or JSON null):
 * NULL when both are absent, else a **new** object where `properties` and
 * `tags` are base's maps with over's keys put over them and `sensitive` is
 * the sorted union; a member empty on one side is the other side's. */
json_t *reg_metadata_merge(const json_t *base, const json_t *over);

/* merge(base, over) of two RuleSet objects: NULL when both are absent, else a
 * **new** object whose migrationRules, domainRules and encodingRules are
 * base's rules without those named in over's list, then over's list, and
 * whose enableAt is over's when set, else base's. */
json_t *reg_ruleset_merge(const json_t *base, const json_t *over);

#endif
