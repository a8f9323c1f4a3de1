/* SPDX-License-Identifier: Apache-2.0
 * reg_metrics: see reg_metrics.h. One pass over every context under the
 * index's read lock, counting into a few integers; the text is written after
 * the lock is released (style S6.4). */
#include "registry/reg_metrics.h"

#include "registry/reg_registry.h"

#include <string.h>

enum { T_AVRO, T_JSON, T_PROTOBUF, T_OTHER, N_TYPES };
static const char *const type_names[N_TYPES] = {"AVRO", "JSON", "PROTOBUF", "other"};

static int type_of(const char *t)
{
    for (int i = 0; i < T_OTHER; i++)
        if (t && strcmp(t, type_names[i]) == 0)
            return i;
    return t ? T_OTHER : T_AVRO; /* no schemaType = AVRO, as Confluent */
}

struct counts {
    long long schemas[N_TYPES], subjects[N_TYPES], versions[N_TYPES];
    long long deleted_versions, contexts, applied;
};

static void count_context(const struct reg_context *c, struct counts *n)
{
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&c->ids, &it, &key, &val)) {
        const struct reg_schema *sc = val;
        n->schemas[type_of(sc->schema_type)]++;
    }
    it = 0;
    while (fy_map_next(&c->subjects, &it, &key, &val)) {
        const struct reg_subject *sub = val;
        const struct reg_version *latest = reg_subject_latest(sub);
        if (latest)
            n->subjects[type_of(latest->schema->schema_type)]++;
        for (size_t i = 0; i < sub->n_versions; i++) {
            const struct reg_version *v = sub->versions[i];
            if (v->deleted)
                n->deleted_versions++;
            else
                n->versions[type_of(v->schema->schema_type)]++;
        }
    }
}

static void out_by_type(struct fy_metrics_out *out, const char *name, const char *help,
                        const long long *v)
{
    fy_metrics_out_family(out, name, FY_METRIC_GAUGE, help);
    for (int i = 0; i < N_TYPES; i++) {
        const char *labels[] = {"type", type_names[i], NULL};
        fy_metrics_out_sample(out, name, labels, (double)v[i]);
    }
}

void reg_metrics_collect(void *arg, struct fy_metrics_out *out)
{
    struct reg_registry *r = arg;
    struct counts n = {0};
    pthread_rwlock_rdlock(&r->idx.lock);
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&r->idx.contexts, &it, &key, &val)) {
        n.contexts++;
        count_context(val, &n);
    }
    n.applied = r->idx.applied_offset;
    pthread_rwlock_unlock(&r->idx.lock);

    out_by_type(out, "ferry_registry_schemas",
                "Schemas stored (one per context and id), by schema type.", n.schemas);
    out_by_type(out, "ferry_registry_subjects",
                "Subjects with a live version, by the schema type of their latest version.",
                n.subjects);
    out_by_type(out, "ferry_registry_versions", "Live (not soft-deleted) subject versions, by "
                "schema type.", n.versions);
    fy_metrics_out_one(out, "ferry_registry_deleted_versions", FY_METRIC_GAUGE,
                       "Soft-deleted subject versions still stored.", (double)n.deleted_versions);
    fy_metrics_out_one(out, "ferry_registry_contexts", FY_METRIC_GAUGE,
                       "Schema contexts, the default context included.", (double)n.contexts);
    fy_metrics_out_one(out, "ferry_registry_applied_offset", FY_METRIC_GAUGE,
                       "Offset of the last store record applied to the index.", (double)n.applied);
}
