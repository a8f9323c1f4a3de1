/* SPDX-License-Identifier: Apache-2.0
 * reg_metadata: merges of metadata and ruleSet as Confluent's
 * Metadata.mergeMetadata and RuleSet.mergeRuleSets (see the header). */
#include "registry/reg_metadata.h"

#include "common/fy_alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool absent(const json_t *v)
{
    return !v || json_is_null(v);
}

static bool empty(const json_t *v)
{
    return absent(v) || (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* Confluent's merge of two sorted maps: the other side when one is empty,
 * else base with over's entries put over it. **new** or NULL. */
static json_t *merge_maps(const json_t *base, const json_t *over)
{
    if (empty(base))
        return empty(over) ? NULL : json_deep_copy(over);
    if (empty(over))
        return json_deep_copy(base);
    json_t *out = json_deep_copy(base);
    json_t *top = json_deep_copy(over);  /* nothing shared with the index's config */
    if (json_is_object(out) && json_is_object(top))
        json_object_update(out, top);
    json_decref(top);
    return out;
}

static int cmp_strings(const void *a, const void *b)
{
    const char *x = json_string_value(*(json_t *const *)a);
    const char *y = json_string_value(*(json_t *const *)b);
    return strcmp(x ? x : "", y ? y : "");
}

/* The sorted union of two string arrays (a TreeSet). **new** or NULL. */
static json_t *merge_sets(const json_t *base, const json_t *over)
{
    if (empty(base))
        return empty(over) ? NULL : json_deep_copy(over);
    if (empty(over))
        return json_deep_copy(base);
    size_t n = json_array_size(base) + json_array_size(over), k = 0;
    json_t **all = fy_calloc(n ? n : 1, sizeof *all);
    size_t i;
    json_t *v;
    json_array_foreach(base, i, v) all[k++] = v;
    json_array_foreach(over, i, v) all[k++] = v;
    qsort(all, k, sizeof *all, cmp_strings);
    json_t *out = json_array();
    for (i = 0; i < k; i++)
        if (i == 0 || cmp_strings(&all[i - 1], &all[i]) != 0)
            json_array_append(out, all[i]);
    free(all);
    return out;
}

static void set_if(json_t *obj, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(obj, key, v);
}

json_t *reg_metadata_merge(const json_t *base, const json_t *over)
{
    if (absent(base))
        return absent(over) ? NULL : json_deep_copy(over);
    if (absent(over))
        return json_deep_copy(base);
    json_t *out = json_object();
    set_if(out, "tags", merge_maps(json_object_get(base, "tags"), json_object_get(over, "tags")));
    set_if(out, "properties",
           merge_maps(json_object_get(base, "properties"), json_object_get(over, "properties")));
    set_if(out, "sensitive",
           merge_sets(json_object_get(base, "sensitive"), json_object_get(over, "sensitive")));
    return out;
}

static bool named_in(const json_t *rules, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        const char *n = json_string_value(json_object_get(r, "name"));
        if (n && name && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* RuleSet's list merge: base's rules not named in over, then over's. */
static json_t *merge_rules(const json_t *base, const json_t *over)
{
    if (empty(base))
        return empty(over) ? NULL : json_deep_copy(over);
    if (empty(over))
        return json_deep_copy(base);
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(base, i, r)
        if (!named_in(over, json_string_value(json_object_get(r, "name"))))
            json_array_append_new(out, json_deep_copy(r));
    json_array_foreach(over, i, r) json_array_append_new(out, json_deep_copy(r));
    return out;
}

json_t *reg_ruleset_merge(const json_t *base, const json_t *over)
{
    if (absent(base))
        return absent(over) ? NULL : json_deep_copy(over);
    if (absent(over))
        return json_deep_copy(base);
    static const char *const lists[] = {"migrationRules", "domainRules", "encodingRules"};
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        set_if(out, lists[i],
               merge_rules(json_object_get(base, lists[i]), json_object_get(over, lists[i])));
    json_t *at = json_object_get(over, "enableAt");
    if (absent(at))
        at = json_object_get(base, "enableAt");
    if (!absent(at))
        json_object_set_new(out, "enableAt", json_deep_copy(at));
    return out;
}
