/* SPDX-License-Identifier: Apache-2.0
 * reg_register: registration, lookup and compatibility checks — Confluent's
 * KafkaSchemaRegistry.register / lookUpSchemaUnderSubject / testCompatibility
 * (sr-api §5, §6, §9), every schema type through reg_schema_type.h. */
#include "registry/reg_registry.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "common/fy_log.h"
#include "common/fy_props.h"
#include "contexts/ctx_name.h"
#include "registry/reg_metadata.h"
#include "registry/reg_parsed_cache.h"
#include "registry/reg_records.h"
#include "registry/reg_schema_type.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REFERENCE_DEPTH 64

/* A register/lookup/compat request body, validated. */
struct schema_req {
    const char *schema;    /* borrowed from the body; "" when absent */
    const struct reg_schema_type *type; /* schemaType's provider (AVRO when absent) */
    json_t *references;    /* borrowed array or NULL */
    json_t *metadata;      /* borrowed object or NULL */
    json_t *rule_set;      /* borrowed object or NULL */
    bool has_id;
    int32_t id;
    bool has_version;
    bool latest_only;     /* "version": -1 (registerOrForward's isLatestVersion) */
    int32_t version;       /* -1 = unset/latest */
};

static int parse_body(json_t *body, struct schema_req *req, struct fy_err *err)
{
    memset(req, 0, sizeof *req);
    req->version = -1;
    if (!json_is_object(body))
        return fy_err_set(err, FY_E_UNPROCESSABLE,
                          "Request body must be a JSON object with a \"schema\" field");
    json_t *s = json_object_get(body, "schema");
    if (s && !json_is_null(s) && !json_is_string(s))
        return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"schema\" must be a string");
    req->schema = json_is_string(s) ? json_string_value(s) : "";
    /* Confluent trims: a blank schema is an empty one */
    if (strspn(req->schema, " \t\r\n") == strlen(req->schema))
        req->schema = "";
    json_t *t = json_object_get(body, "schemaType");
    req->type = &reg_schema_avro;
    if (t && !json_is_null(t)) {
        if (!json_is_string(t))
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"schemaType\" must be a string");
        req->type = reg_schema_type_find(json_string_value(t));
        if (!req->type)
            /* AbstractSchemaRegistry's "Invalid schema type X", plus what is served */
            return fy_err_set(err, REG_E_INVALID_SCHEMA,
                              "Invalid schema type %s; this registry supports %s",
                              json_string_value(t), reg_schema_type_names());
    }
    json_t *refs = json_object_get(body, "references");
    if (refs && !json_is_null(refs)) {
        if (!json_is_array(refs))
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"references\" must be an array");
        size_t i;
        json_t *ref;
        json_array_foreach(refs, i, ref)
        {
            /* a value of the wrong JSON type is a mapping error (400, as
             * Jackson); a missing one is an invalid reference (42201) */
            if (!json_is_object(ref))
                return fy_err_set(err, FY_E_BAD_REQUEST, "references[%zu] must be an object", i);
            json_t *n = json_object_get(ref, "name");
            json_t *sub = json_object_get(ref, "subject");
            json_t *v = json_object_get(ref, "version");
            if ((n && !json_is_null(n) && !json_is_string(n)) ||
                (sub && !json_is_null(sub) && !json_is_string(sub)) ||
                (v && !json_is_null(v) && !json_is_integer(v)))
                return fy_err_set(err, FY_E_BAD_REQUEST,
                                  "references[%zu]: name and subject must be strings, version an "
                                  "integer",
                                  i);
            if (!json_is_string(n) || !json_is_string(sub) || !json_is_integer(v) ||
                json_integer_value(v) > INT_MAX || json_integer_value(v) < -1 ||
                json_integer_value(v) == 0)
                return fy_err_set(err, REG_E_INVALID_SCHEMA,
                                  "Invalid reference at index %zu: name, subject and version "
                                  "(>= 1 or -1 for latest) are required",
                                  i);
        }
        if (json_array_size(refs))
            req->references = refs;
    }
    json_t *md = json_object_get(body, "metadata");
    if (md && !json_is_null(md)) {
        if (!json_is_object(md))
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"metadata\" must be an object");
        req->metadata = md;
    }
    json_t *rs = json_object_get(body, "ruleSet");
    if (rs && !json_is_null(rs)) {
        if (!json_is_object(rs))
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"ruleSet\" must be an object");
        req->rule_set = rs;
    }
    json_t *id = json_object_get(body, "id");
    if (id && !json_is_null(id)) {
        if (!json_is_integer(id) || json_integer_value(id) > INT_MAX)
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"id\" must be a 32-bit integer");
        /* Confluent treats a negative id as "no id" */
        if (json_integer_value(id) >= 0) {
            req->has_id = true;
            req->id = (int32_t)json_integer_value(id);
        }
    }
    json_t *ver = json_object_get(body, "version");
    if (ver && !json_is_null(ver)) {
        if (!json_is_integer(ver) || json_integer_value(ver) > INT_MAX ||
            json_integer_value(ver) < INT_MIN)
            return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"version\" must be an integer");
        if (json_integer_value(ver) > 0) {
            req->has_version = true;
            req->version = (int32_t)json_integer_value(ver);
        }
        req->latest_only = json_integer_value(ver) == -1;
    }
    return 0;
}

/* Confluent's RuleSet validation (42210): every rule names itself and its
 * type, names are unique within the rule set. */
static int validate_rule_set(json_t *rs, struct fy_err *err)
{
    static const char *const lists[] = {"migrationRules", "domainRules", "encodingRules"};
    json_t *seen = json_object();
    int rc = 0;
    for (size_t l = 0; l < 3 && rc == 0; l++) {
        json_t *arr = json_object_get(rs, lists[l]);
        if (!arr || json_is_null(arr))
            continue;
        if (!json_is_array(arr)) {
            rc = fy_err_set(err, REG_E_INVALID_RULESET, "Invalid rule set: %s must be an array",
                            lists[l]);
            break;
        }
        size_t i;
        json_t *rule;
        json_array_foreach(arr, i, rule)
        {
            const char *name = json_string_value(json_object_get(rule, "name"));
            if (!name || !name[0]) {
                rc = fy_err_set(err, REG_E_INVALID_RULESET, "Rule name missing");
                break;
            }
            if (!json_is_string(json_object_get(rule, "type"))) {
                rc = fy_err_set(err, REG_E_INVALID_RULESET, "Rule type missing for rule %s", name);
                break;
            }
            if (json_object_get(seen, name)) {
                rc = fy_err_set(err, REG_E_INVALID_RULESET, "Found duplicate rule name %s", name);
                break;
            }
            json_object_set_new(seen, name, json_true());
        }
    }
    json_decref(seen);
    return rc;
}

/* Resolve a reference subject relative to the referrer's context. */
static int ref_target(const char *context, const char *ref_subject, struct ctx_subject *out,
                      struct fy_err *err)
{
    if (ctx_subject_parse(ref_subject, out, err) != 0)
        return -1;
    if (ref_subject[0] != ':') {
        free(out->context);
        out->context = fy_strdup(context);
    }
    return 0;
}

/* Find the version a reference names: -1 = latest live. Soft-deleted targets
 * are allowed only when re-reading stored schemas (sr-api §9). */
static struct reg_version *ref_version(struct reg_registry *r, const char *context,
                                       const char *ref_subject, int32_t version,
                                       bool allow_deleted, struct fy_err *err)
{
    struct ctx_subject cs;
    if (ref_target(context, ref_subject, &cs, err) != 0)
        return NULL;
    struct reg_subject *sub = reg_index_subject(&r->idx, cs.context, cs.name);
    ctx_subject_destroy(&cs);
    struct reg_version *v = NULL;
    if (sub)
        v = version == -1 ? reg_subject_latest(sub) : reg_subject_version(sub, version);
    if (!v || (v->deleted && !allow_deleted)) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "No schema reference found for subject \"%s\" and version %d", ref_subject,
                   (int)version);
        return NULL;
    }
    return v;
}

/* Add the schemas `refs` (a JSON array) names to `m`, depth-first, each
 * named reference once, as Confluent's AbstractSchemaProvider.resolveReferences. */
static int parse_references(struct reg_registry *r, struct reg_sm *m,
                            const char *context, json_t *refs, bool allow_deleted, json_t *done,
                            int depth, struct fy_err *err)
{
    if (depth > MAX_REFERENCE_DEPTH)
        return fy_err_set(err, REG_E_INVALID_SCHEMA, "References nest deeper than %d levels",
                          MAX_REFERENCE_DEPTH);
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *subject = json_string_value(json_object_get(ref, "subject"));
        int32_t version = (int32_t)json_integer_value(json_object_get(ref, "version"));
        if (!name || !subject)
            return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid reference");
        if (json_object_get(done, name))
            continue;
        struct reg_version *v = ref_version(r, context, subject, version, allow_deleted, err);
        if (!v)
            return -1;
        json_object_set_new(done, name, json_true());
        struct reg_schema *sc = v->schema;
        if (sc->references) {
            json_t *sub_refs = json_loads(sc->references, 0, NULL);
            int rc = parse_references(r, m, sc->ctx->name, sub_refs, true, done, depth + 1, err);
            json_decref(sub_refs);
            if (rc != 0)
                return -1;
        }
        struct fy_err perr = {0};
        struct reg_sm_ref sref = {
            .name = name, .subject = subject, .version = v->version, .direct = depth == 0};
        if (m->type->add_reference(m, &sref, sc->schema, &perr) != 0) {
            fy_err_set(err, REG_E_INVALID_SCHEMA,
                       "Invalid schema reference %s (subject \"%s\" version %d): %s", name,
                       subject, (int)v->version, perr.msg);
            fy_err_destroy(&perr);
            return -1;
        }
    }
    return 0;
}

/* Parse a stored schema (and what it references) into a new model. */
static struct reg_sm *parse_stored(struct reg_registry *r, const struct reg_schema *sc,
                                   struct fy_err *err)
{
    const struct reg_schema_type *t = reg_schema_type_find(sc->schema_type);
    if (!t) {
        /* a record of a type this registry does not serve (written by another) */
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid schema type %s", sc->schema_type);
        return NULL;
    }
    struct reg_sm *m = t->model_new();
    json_t *done = json_object();
    int rc = 0;
    if (sc->references) {
        json_t *refs = json_loads(sc->references, 0, NULL);
        rc = parse_references(r, m, sc->ctx->name, refs, true, done, 0, err);
        json_decref(refs);
    }
    json_decref(done);
    if (rc == 0 && t->parse(m, sc->schema, 0, err) == 0)
        return m;
    reg_sm_free(m);
    return NULL;
}

/* The model of a stored schema: from the parsed cache, else parsed now and
 * cached. Kept for the caller (reg_parsed_release), or NULL with err when it
 * no longer parses (not cached: such a schema fails the same way each time).
 * Locks: idx.lock held (shared is enough) or r->wlock, so the index cannot
 * change between the parse and the put (reg_parsed_cache.h). */
static struct reg_parsed *stored_model(struct reg_registry *r, const struct reg_schema *sc,
                                       struct fy_err *err)
{
    struct reg_parsed *m = reg_parsed_cache_get(r->idx.parsed, sc->ctx->name, sc->id);
    if (m)
        return m;
    struct reg_sm *model = parse_stored(r, sc, err);
    if (!model)
        return NULL;
    return reg_parsed_cache_put(r->idx.parsed, sc->ctx->name, sc->id, model,
                                sc->references != NULL, NULL);
}

/* The request's schema, parsed with its references, and its stored texts. */
struct parsed {
    struct reg_sm *model;      /* the schema with its references */
    char *canonical;   /* what would be stored */
    char *references;  /* compact JSON with concrete versions, or NULL */
    char *metadata;
    char *rule_set;
};

static void parsed_destroy(struct parsed *ps)
{
    reg_sm_free(ps->model);
    free(ps->canonical);
    free(ps->references);
    free(ps->metadata);
    free(ps->rule_set);
    memset(ps, 0, sizeof *ps);
}

static int parse_request(struct reg_registry *r, const char *context, const struct schema_req *req,
                         bool validate, bool normalize, struct parsed *ps, struct fy_err *err)
{
    memset(ps, 0, sizeof *ps);
    ps->model = req->type->model_new();
    if (req->references) {
        /* store references with concrete versions: -1 means latest at registration time */
        json_t *done = json_object();
        int rc = parse_references(r, ps->model, context, req->references, false, done, 0, err);
        json_decref(done);
        if (rc != 0)
            return -1;
        struct fy_buf b;
        fy_buf_init(&b, 0);
        fy_buf_putc(&b, '[');
        size_t i;
        json_t *ref;
        json_array_foreach(req->references, i, ref)
        {
            const char *subject = json_string_value(json_object_get(ref, "subject"));
            int32_t version = (int32_t)json_integer_value(json_object_get(ref, "version"));
            struct reg_version *v = ref_version(r, context, subject, version, false, err);
            if (!v) {
                fy_buf_destroy(&b);
                return -1;
            }
            if (i)
                fy_buf_putc(&b, ',');
            fy_buf_puts(&b, "{\"name\":");
            fy_jsonout_str(&b, json_string_value(json_object_get(ref, "name")));
            fy_buf_puts(&b, ",\"subject\":");
            fy_jsonout_str(&b, subject);
            fy_buf_printf(&b, ",\"version\":%d}", (int)v->version);
        }
        fy_buf_putc(&b, ']');
        ps->references = fy_buf_steal(&b);
    }
    const struct reg_schema_type *t = req->type;
    if (t->parse(ps->model, req->schema, REG_SM_REQUEST | (validate ? REG_SM_VALIDATE : 0),
                 err) != 0) {
        if (err && err->code != REG_E_INVALID_SCHEMA)
            err->code = REG_E_INVALID_SCHEMA;
        return -1;
    }
    if (normalize) {
        if (t->normalize(ps->model, &ps->canonical, err) != 0)
            return -1;
    } else {
        ps->canonical = t->canonical(ps->model);
    }
    if (req->metadata)
        ps->metadata = json_object_size(req->metadata)
                           ? json_dumps(req->metadata, JSON_COMPACT | JSON_SORT_KEYS)
                           : NULL;
    if (req->rule_set)
        ps->rule_set =
            json_object_size(req->rule_set) ? json_dumps(req->rule_set, JSON_COMPACT) : NULL;
    return 0;
}

#define TRACKED_VERSION "confluent:version"

static bool tracks_version(const char *metadata)
{
    if (!metadata)
        return false;
    json_t *md = json_loads(metadata, 0, NULL);
    bool found = json_object_get(json_object_get(md, "properties"), TRACKED_VERSION) != NULL;
    json_decref(md);
    return found;
}

/* `metadata` (compact JSON or NULL) with properties.confluent:version set. **new** */
static char *with_tracked_version(const char *metadata, int32_t version)
{
    json_t *md = metadata ? json_loads(metadata, 0, NULL) : NULL;
    if (!json_is_object(md)) {
        json_decref(md);
        md = json_object();
    }
    json_t *props = json_object_get(md, "properties");
    if (!json_is_object(props)) {
        props = json_object();
        json_object_set_new(md, "properties", props);
    }
    char v[16];
    snprintf(v, sizeof v, "%d", (int)version);
    json_object_set_new(props, TRACKED_VERSION, json_string(v));
    char *text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(md);
    return text;
}

static const char *ctx_display(const char *context, char *buf, size_t len)
{
    /* messages name contexts qualified, as Confluent: ":.dr:" */
    snprintf(buf, len, ":%s:", context);
    return buf;
}

/* Same text, references, metadata and rule set? (the dedupe identity) */
static bool same_identity(const struct reg_schema *sc, const char *identity)
{
    return strcmp(sc->identity, identity) == 0;
}

void reg_put_version_state(struct fy_buf *out, const struct reg_version *v)
{
    /* KafkaStoreMessageHandler.validateUpdate stamps each value with its
     * record's timestamp: a soft-deleted version's is the delete's */
    fy_buf_printf(out, ",\"ts\":%lld,\"deleted\":%s",
                  (long long)(v->deleted && v->deleted_ts ? v->deleted_ts : v->ts),
                  v->deleted ? "true" : "false");
}

/* The stored references with each subject qualified with `context`
 * (referenceFormat=qualified): **new** compact JSON text. */
static char *qualified_references(const char *references, const char *context)
{
    json_t *refs = json_loads(references, 0, NULL);
    for (size_t i = 0; json_is_array(refs) && i < json_array_size(refs); i++) {
        json_t *r = json_array_get(refs, i);
        char *q = reg_qualify_with_parent(context,
                                          json_string_value(json_object_get(r, "subject")));
        if (q)
            json_object_set_new(r, "subject", json_string(q));
        free(q);
    }
    char *text = refs ? json_dumps(refs, JSON_COMPACT) : NULL;
    json_decref(refs);
    return text;
}

void reg_put_schema_extras_in(struct fy_buf *out, const struct reg_schema *sc,
                              const char *qualify)
{
    if (sc->references) {
        char *q = qualify && !ctx_is_default(qualify)
                      ? qualified_references(sc->references, qualify)
                      : NULL;
        fy_buf_puts(out, ",\"references\":");
        fy_buf_puts(out, q ? q : sc->references);
        free(q);
    }
    if (sc->metadata) {
        fy_buf_puts(out, ",\"metadata\":");
        fy_buf_puts(out, sc->metadata);
    }
    if (sc->rule_set) {
        fy_buf_puts(out, ",\"ruleSet\":");
        fy_buf_puts(out, sc->rule_set);
    }
}

void reg_put_schema_extras(struct fy_buf *out, const struct reg_schema *sc)
{
    reg_put_schema_extras_in(out, sc, NULL);
}

static void put_schema_obj(struct fy_buf *out, const struct reg_subject *sub,
                           const struct reg_version *v, bool qualified_refs, const char *text)
{
    const struct reg_schema *sc = v->schema;
    fy_buf_puts(out, "{\"subject\":");
    fy_jsonout_str(out, sub->qname);
    char g[REG_GUID_LEN];
    fy_buf_printf(out, ",\"version\":%d,\"id\":%d,\"guid\":\"%s\"", (int)v->version,
                  (int)sc->id, reg_schema_guid(sc, g));
    /* 8.x writes schemaType always (7.x's SchemaTypeConverter left AVRO out) */
    fy_buf_puts(out, ",\"schemaType\":");
    fy_jsonout_str(out, sc->schema_type);
    reg_put_schema_extras_in(out, sc, qualified_refs ? sub->ctx->name : NULL);
    fy_buf_puts(out, ",\"schema\":");
    fy_jsonout_str(out, text ? text : sc->schema);
    reg_put_version_state(out, v);
    fy_buf_putc(out, '}');
}

/* Build the 409 / verbose messages of one failed check. */
static void put_messages(struct fy_buf *out, const struct reg_compat_msgs *msgs)
{
    for (size_t i = 0; i < msgs->n; i++) {
        if (i)
            fy_buf_puts(out, ", ");
        fy_buf_puts(out, msgs->items[i]);
    }
}

/* Check `candidate` against the subject's live versions at `level`.
 * Returns 1 compatible, 0 not (msgs filled), -1 on error. */
/* metadata.properties[key] of a stored metadata text: **new** or NULL. */
static char *metadata_property(const char *metadata, const char *key)
{
    if (!metadata || !key)
        return NULL;
    json_t *md = json_loads(metadata, 0, NULL);
    const char *v = json_string_value(json_object_get(json_object_get(md, "properties"), key));
    char *out = v ? fy_strdup(v) : NULL;
    json_decref(md);
    return out;
}

/* The config's validateFields in scope (schema.validate.fields: false). */
static bool validate_fields(const struct reg_registry *r, const struct ctx_subject *cs)
{
    return json_is_true(reg_registry_config_field(r, cs->context, cs->name, "validateFields"));
}

/* The compatibility group a candidate with `metadata` belongs to: set when
 * the config in scope names a `compatibilityGroup` property. */
struct compat_group {
    const char *key;   /* NULL: no grouping; borrowed from the index */
    char *value;       /* the candidate's value of it, NULL when it has none */
};

static void compat_group_init(struct compat_group *g, const struct reg_registry *r,
                              const struct ctx_subject *cs, const char *metadata)
{
    g->key = json_string_value(
        reg_registry_config_field(r, cs->context, cs->name, "compatibilityGroup"));
    g->value = metadata_property(metadata, g->key);
}

/* Is `v` in the candidate's group? isCompatibleWithPrevious keeps only the
 * previous versions whose value equals the candidate's, absent included. */
static bool in_group(const struct compat_group *g, const struct reg_version *v)
{
    if (!g || !g->key)
        return true;
    char *have = metadata_property(v->schema->metadata, g->key);
    bool same = (!have && !g->value) || (have && g->value && strcmp(have, g->value) == 0);
    free(have);
    return same;
}

/* The newest live version of `sub` in the group, or NULL. */
static const struct reg_version *latest_in_group(const struct reg_subject *sub,
                                                 const struct compat_group *g)
{
    for (size_t i = sub->n_versions; i-- > 0;)
        if (!sub->versions[i]->deleted && in_group(g, sub->versions[i]))
            return sub->versions[i];
    return NULL;
}

/* Is `name` (len bytes) in the list `list`, before `upto` when that is set? */
static bool reserved_has(const char *list, const char *name, size_t len, const char *upto)
{
    const char *p = list;
    const char *t;
    size_t n;
    while ((t = fy_list_next(&p, ',', false, &n)) && (!upto || t < upto))
        if (n == len && memcmp(t, name, len) == 0)
            return true;
    return false;
}

/* Confluent's validateReservedFields: a name `prev` reserved that `metadata`
 * no longer does, and a reserved name that is a field of `candidate`, each
 * one message (the set semantics: a name listed twice counts once). */
static void check_reserved(const char *metadata, const struct reg_sm *candidate,
                           const struct reg_version *prev, struct reg_compat_msgs *msgs)
{
    char *now = metadata_property(metadata, "confluent:reserved");
    char *before = prev ? metadata_property(prev->schema->metadata, "confluent:reserved") : NULL;
    const char *p = before;
    const char *t;
    size_t n;
    while ((t = fy_list_next(&p, ',', false, &n)))
        if (!reserved_has(before, t, n, t) && !reserved_has(now, t, n, NULL)) {
            char *m = fy_asprintf("The new schema has reserved field %.*s removed from its "
                                  "metadata which is present in the old schema's metadata.",
                                  (int)n, t);
            reg_compat_msgs_add(msgs, m);
            free(m);
        }
    p = now;
    while ((t = fy_list_next(&p, ',', false, &n)))
        if (!reserved_has(now, t, n, t) && candidate->type->has_top_level_field(candidate, t, n)) {
            char *m = fy_asprintf("The new schema has field that conflicts with the reserved "
                                  "field %.*s.", (int)n, t);
            reg_compat_msgs_add(msgs, m);
            free(m);
        }
    free(now);
    free(before);
}

/* The newest live version of `sub`, or NULL. */
static const struct reg_version *latest_live(const struct reg_subject *sub)
{
    for (size_t i = sub ? sub->n_versions : 0; i-- > 0;)
        if (!sub->versions[i]->deleted)
            return sub->versions[i];
    return NULL;
}

static int check_level(struct reg_registry *r, const struct reg_subject *sub,
                       enum reg_compat_level level, bool validate_fields,
                       const struct reg_sm *candidate, const struct reg_version *only,
                       const struct compat_group *group, struct reg_compat_msgs *msgs,
                       struct fy_err *err);

/* Confluent's isCompatibleWithPrevious: with `validate_fields` the reserved
 * fields against `only` or else the latest live version (whatever the
 * level), then the level's check against the versions of the group; every
 * failure ends with one {validateFields, compatibility} trailer.
 * `metadata` is the candidate's. Returns 1 compatible, 0 not, -1 error. */
static int check_against(struct reg_registry *r, const struct reg_subject *sub,
                         enum reg_compat_level level, bool validate_fields,
                         const char *metadata, const struct reg_sm *candidate,
                         const struct reg_version *only, const struct compat_group *group,
                         struct reg_compat_msgs *msgs, struct fy_err *err)
{
    struct reg_compat_msgs reserved;
    reg_compat_msgs_init(&reserved);
    if (validate_fields)
        check_reserved(metadata, candidate, only ? only : latest_live(sub), &reserved);
    int rc = check_level(r, sub, level, validate_fields, candidate, only, group, msgs, err);
    if (rc >= 0 && reserved.n) {
        /* reserved-field messages come first, the level's (with its trailer) after */
        struct reg_compat_msgs all;
        reg_compat_msgs_init(&all);
        for (size_t i = 0; i < reserved.n; i++)
            reg_compat_msgs_add(&all, reserved.items[i]);
        for (size_t i = 0; i < msgs->n; i++)
            reg_compat_msgs_add(&all, msgs->items[i]);
        if (rc == 1)
            reg_compat_msgs_add_trailer(&all, level, validate_fields);
        reg_compat_msgs_destroy(msgs);
        *msgs = all;
        rc = 0;
    }
    reg_compat_msgs_destroy(&reserved);
    return rc;
}

/* The level's check of check_against. */
static int check_level(struct reg_registry *r, const struct reg_subject *sub,
                       enum reg_compat_level level, bool validate_fields,
                       const struct reg_sm *candidate, const struct reg_version *only,
                       const struct compat_group *group, struct reg_compat_msgs *msgs,
                       struct fy_err *err)
{
    if (!sub || level == REG_COMPAT_NONE)
        return 1;
    if (only && !in_group(group, only))
        return 1;  /* filtered out: nothing to be compatible with */
    size_t n = 0;
    struct reg_compat_prior *prior = fy_calloc(sub->n_versions + 1, sizeof *prior);
    struct reg_parsed **models = fy_calloc(sub->n_versions + 1, sizeof *models);
    int rc = -1;
    /* non-transitive levels only ever compare with the latest live version
     * (of the group): parse just that one, so registering stays cheap on
     * long subjects */
    bool transitive = level == REG_COMPAT_BACKWARD_TRANSITIVE ||
                      level == REG_COMPAT_FORWARD_TRANSITIVE || level == REG_COMPAT_FULL_TRANSITIVE;
    if (!only && !transitive) {
        only = latest_in_group(sub, group);
        if (!only)
            goto none;
    }
    for (size_t i = 0; i < sub->n_versions; i++) {
        const struct reg_version *v = sub->versions[i];
        /* Confluent: "Don't check compatibility against deleted schema" */
        if (only ? v != only : (v->deleted || !in_group(group, v)))
            continue;
        models[n] = stored_model(r, v->schema, err);
        if (!models[n]) {
            fy_log(FY_LOG_ERROR, "registry",
                   "msg=\"stored schema no longer parses\" subject=%s version=%d reason=\"%s\"",
                   sub->qname, (int)v->version, err ? err->msg : "");
            goto out;
        }
        prior[n].schema = reg_parsed_model(models[n]);
        prior[n].version = v->version;
        prior[n].canonical = v->schema->schema;
        n++;
    }
none:
    rc = reg_compat_check_levels(level, validate_fields, reg_sm_compat_direction, candidate, prior,
                                 n, msgs, err);
out:
    for (size_t i = 0; i < n; i++)
        reg_parsed_release(models[i]);
    free(models);
    free(prior);
    return rc;
}

/* After a registration wrote (context, id): when the text the request parsed
 * is the text now stored (clients send the canonical form) and its
 * references were parsed the way parse_stored parses the stored ones, the
 * request's model *is* the stored schema's model — publish it, so the next
 * registration on this subject does not parse this version again. Otherwise
 * the first reader parses the stored text. Locks: r->wlock (the index cannot
 * change before the put, and a drop can only come from a later write). */
static void keep_model(struct reg_registry *r, const char *context, int32_t id,
                       const struct schema_req *eff, struct parsed *ps,
                       struct reg_parsed **evicted)
{
    struct reg_schema *sc = reg_index_schema(&r->idx, context, id);
    if (!sc || !ps->model || strcmp(eff->schema, sc->schema) != 0)
        return;
    /* references: the request's list (concrete versions now) is what was stored;
     * a schema-less update inherits the latest's, which this parse did not see */
    if ((eff->references != NULL) != (sc->references != NULL))
        return;
    if (sc->references && (!ps->references || strcmp(sc->references, ps->references) != 0))
        return;
    if (ps->model->type->mark_stored)
        ps->model->type->mark_stored(ps->model);
    reg_parsed_release(reg_parsed_cache_put(r->idx.parsed, context, id, ps->model,
                                            sc->references != NULL, evicted));
    ps->model = NULL; /* the cache's now */
}

/* Hand the error in `from` to `to` (which may be NULL); `from` is left empty. */
static void err_move(struct fy_err *to, struct fy_err *from)
{
    if (to) {
        fy_err_destroy(to);
        *to = *from;
    } else {
        fy_err_destroy(from);
    }
    memset(from, 0, sizeof *from);
}

static int subject_arg(const char *subject, struct ctx_subject *cs, struct fy_err *err)
{
    if (ctx_subject_parse(subject, cs, err) != 0)
        return -1;
    if (ctx_subject_validate(subject, cs, false, err) != 0 || cs->wildcard || !cs->name[0]) {
        ctx_subject_destroy(cs);
        return fy_err_set(err, REG_E_INVALID_SUBJECT, "The specified subject '%s' is not a valid.",
                          subject);
    }
    return 0;
}

/* ---- registration (Confluent's KafkaSchemaRegistry.register), in steps ----
 *
 * parse (no lock) -> resolve (under wlock: mode, subject, the schema as it
 * will be stored) -> known (the idempotent answer) -> check (mode,
 * compatibility, version number, IMPORT overwrites) -> allocate (the id)
 * -> append (the records). Each step either moves the job on or fails it
 * with the error the client sees; nothing is written before append. */

/* One registration as it moves through its steps. */
struct reg_job {
    struct reg_registry *r;
    bool normalize;
    struct schema_req req;     /* the body as sent */
    struct schema_req eff;     /* req, an empty schema taken from the latest version */
    struct ctx_subject cs;
    char *qsub;                /* qualified subject, for records and messages */
    char cbuf[300];
    const char *cdisp;         /* ":.ctx:", for messages */
    struct parsed early;       /* parsed before wlock (schemas without references) */
    struct fy_err early_err;   /* ... or why that failed */
    bool early_done;
    struct parsed ps;          /* the schema as it will be stored */
    char *identity;            /* its dedupe key (reg_schema_identity) */
    enum reg_mode mode;
    bool import;
    struct reg_subject *sub;   /* borrowed (wlock); NULL for a new subject */
    struct reg_version *latest;/* its latest live version, or NULL */
    struct reg_context *ctx;   /* borrowed (wlock); NULL for a new context */
    int32_t version;           /* the version it becomes */
    int32_t id;                /* the id it gets */
};

static void job_destroy(struct reg_job *j)
{
    parsed_destroy(&j->ps);
    parsed_destroy(&j->early);
    fy_err_destroy(&j->early_err);
    free(j->identity);
    free(j->qsub);
    ctx_subject_destroy(&j->cs);
}

/* parse: the body and the subject, and (no lock yet) the schema itself.
 * Parsing is most of a registration's CPU; without references it needs
 * nothing from the index, so it runs here, where registrations run in
 * parallel. Its result (or error) is used at the same step as before, so
 * answers and their precedence do not change. It assumes the usual modes;
 * under IMPORT (known only under the lock) the schema is parsed again
 * without validation. */
static int job_parse(struct reg_job *j, const char *subject, json_t *body, struct fy_err *err)
{
    /* Confluent's order: ruleSet, then subject, before touching the store */
    if (parse_body(body, &j->req, err) != 0)
        return -1;
    if (j->req.rule_set && validate_rule_set(j->req.rule_set, err) != 0)
        return -1;
    if (subject_arg(subject, &j->cs, err) != 0)
        return -1;
    if (j->req.schema[0] && !j->req.references) {
        j->early_done = true;
        if (parse_request(j->r, j->cs.context, &j->req, true, j->normalize, &j->early,
                          &j->early_err) != 0)
            parsed_destroy(&j->early);
    }
    return 0;
}

typedef json_t *(*merge_fn)(const json_t *base, const json_t *over);

/* AbstractSchemaRegistry.maybeSetMetadataRuleSet: what a new version carries
 * is merge(merge(config default, its own or the previous one's), config
 * override); *text (compact JSON or NULL) is replaced by the result, which is
 * part of the identity. Locks: r->wlock. */
static void apply_config_defaults(const struct reg_registry *r, const struct ctx_subject *cs,
                                  const char *default_field, const char *override_field,
                                  merge_fn merge, size_t dump_flags, char **text)
{
    const json_t *dflt = reg_registry_config_field(r, cs->context, cs->name, default_field);
    const json_t *over = reg_registry_config_field(r, cs->context, cs->name, override_field);
    if (!dflt && !over)
        return;
    json_t *own = *text ? json_loads(*text, 0, NULL) : NULL;
    json_t *mid = merge(dflt, own);
    json_t *merged = merge(mid, over);
    free(*text);
    *text = merged && json_object_size(merged) ? json_dumps(merged, dump_flags) : NULL;
    json_decref(merged);
    json_decref(mid);
    json_decref(own);
}

/* resolve: mode and subject, and the schema as it would be stored (an empty
 * schema re-uses the latest version's — a metadata-only update — and a new
 * version inherits the previous live one's metadata and ruleSet, sr-api §10).
 * Locks: r->wlock. */
static int job_resolve(struct reg_job *j, struct fy_err *err)
{
    struct reg_registry *r = j->r;
    j->mode = reg_registry_mode(r, j->cs.context, j->cs.name);
    j->import = j->mode == REG_MODE_IMPORT;
    j->sub = reg_index_subject(&r->idx, j->cs.context, j->cs.name);
    j->latest = j->sub ? reg_subject_latest(j->sub) : NULL;
    j->ctx = reg_index_context(&r->idx, j->cs.context);
    j->qsub = ctx_subject_format(j->cs.context, j->cs.name);
    j->cdisp = ctx_display(j->cs.context, j->cbuf, sizeof j->cbuf);
    j->eff = j->req;
    if (!j->eff.schema[0]) {
        if (j->import || !j->latest)
            return fy_err_set(err, REG_E_INVALID_SCHEMA, "Empty schema");
        j->eff.schema = j->latest->schema->schema;
        /* populateSchema: the previous version's text and schemaType */
        j->eff.type = reg_schema_type_find(j->latest->schema->schema_type);
        if (!j->eff.type)
            return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid schema type %s",
                              j->latest->schema->schema_type);
    }
    if (j->early_done && !j->import) {
        if (j->early_err.code != FY_OK) {
            err_move(err, &j->early_err);
            return -1;
        }
        j->ps = j->early;
        memset(&j->early, 0, sizeof j->early);
    } else if (parse_request(r, j->cs.context, &j->eff, !j->import, j->normalize && !j->import,
                             &j->ps, err) != 0) {
        return -1;
    }
    const struct reg_schema *prev = j->latest ? j->latest->schema : NULL;
    if (!j->eff.references && !j->req.schema[0] && prev && prev->references)
        j->ps.references = fy_strdup(prev->references);
    if (!j->import && prev && !j->req.metadata && prev->metadata)
        j->ps.metadata = fy_strdup(prev->metadata);
    if (!j->import && prev && !j->req.rule_set && prev->rule_set)
        j->ps.rule_set = fy_strdup(prev->rule_set);
    if (!j->import) {
        apply_config_defaults(r, &j->cs, "defaultMetadata", "overrideMetadata",
                              reg_metadata_merge, JSON_COMPACT | JSON_SORT_KEYS, &j->ps.metadata);
        apply_config_defaults(r, &j->cs, "defaultRuleSet", "overrideRuleSet", reg_ruleset_merge,
                              JSON_COMPACT, &j->ps.rule_set);
    }
    j->identity = reg_schema_identity(j->eff.type->name, j->ps.canonical, j->ps.references,
                                      j->ps.metadata, j->ps.rule_set);
    return 0;
}

/* known: the idempotent answer, in any mode (sr-api §5 step 1) — the
 * newest live version with this identity (and id, when given), or, for an
 * import naming its version, that very version with this id and identity.
 * true when *id is the answer. Locks: r->wlock. */
static bool lookup_one(struct reg_registry *r, const struct reg_version *v,
                       const struct parsed *ps, const char *metadata, const char *rule_set,
                       bool normalize, bool deleted, bool exact);

static bool job_known(struct reg_job *j)
{
    if (!j->sub)
        return false;
    if (j->req.latest_only) {
        /* registerOrForward with version -1: only the latest live version,
         * compared with the request as sent (canLookup); otherwise a new
         * version, which records its confluent:version (track_version) */
        const struct reg_version *l = j->latest;
        char *md = j->req.metadata && json_object_size(j->req.metadata)
                       ? json_dumps(j->req.metadata, JSON_COMPACT | JSON_SORT_KEYS)
                       : NULL;
        char *rs = j->req.rule_set && json_object_size(j->req.rule_set)
                       ? json_dumps(j->req.rule_set, JSON_COMPACT)
                       : NULL;
        bool found = l && (!j->req.has_id || l->schema->id == j->req.id) &&
                     lookup_one(j->r, l, &j->ps, md, rs, j->normalize, false, false);
        free(md);
        free(rs);
        if (found) {
            j->id = l->schema->id;
            j->version = l->version;
        }
        return found;
    }
    if (!j->req.has_version) {
        const struct reg_version *v =
            reg_subject_find_identity(j->sub, j->identity, j->req.has_id ? j->req.id : -1);
        /* KafkaSchemaRegistry.register's canLookup pass: the newest live
         * version that differs only by a confluent:version one side has */
        for (size_t i = j->sub->n_versions; !v && i-- > 0;) {
            const struct reg_version *c = j->sub->versions[i];
            if ((!j->req.has_id || c->schema->id == j->req.id) &&
                lookup_one(j->r, c, &j->ps, j->ps.metadata, j->ps.rule_set, j->normalize,
                           false, false))
                v = c;
        }
        if (v) {
            j->id = v->schema->id;
            j->version = v->version;
            return true;
        }
    }
    if (j->import && j->req.has_id && j->req.has_version) {
        const struct reg_version *v = reg_subject_version(j->sub, j->req.version);
        if (v && !v->deleted && v->schema->id == j->req.id &&
            same_identity(v->schema, j->identity)) {
            j->id = j->req.id;
            j->version = v->version;
            return true;
        }
    }
    return false;
}

/* 8.x's RegisterSchemaResponse (NON_EMPTY) of the version the job is now:
 * id, version, schemaType, references/metadata/ruleSet, the stored text; no
 * subject. Locks: r->wlock (the version was just found or written). */
static void put_register_response(struct fy_buf *out, const struct reg_job *j)
{
    const struct reg_subject *sub = reg_index_subject(&j->r->idx, j->cs.context, j->cs.name);
    const struct reg_version *v = sub ? reg_subject_version(sub, j->version) : NULL;
    fy_buf_printf(out, "{\"id\":%d", (int)j->id);
    if (v && v->schema->id == j->id) {
        char g[REG_GUID_LEN];
        fy_buf_printf(out, ",\"version\":%d,\"guid\":\"%s\",\"schemaType\":",
                      (int)v->version, reg_schema_guid(v->schema, g));
        fy_jsonout_str(out, v->schema->schema_type);
        reg_put_schema_extras(out, v->schema);
        fy_buf_puts(out, ",\"schema\":");
        fy_jsonout_str(out, v->schema->schema);
    }
    fy_buf_putc(out, '}');
}

/* checkRegisterMode: a read-only scope refuses; an explicit id needs IMPORT,
 * no id needs READWRITE. */
static int check_mode(const struct reg_job *j, struct fy_err *err)
{
    if (reg_registry_writable(j->r, j->cs.context, j->cs.name, j->qsub, err) != 0)
        return -1;
    if (j->req.has_id && !j->import)
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                          "Subject %s in context %s is not in import mode", j->qsub, j->cdisp);
    if (!j->req.has_id && j->mode != REG_MODE_READWRITE)
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                          "Subject %s in context %s is not in read-write mode", j->qsub,
                          j->cdisp);
    return 0;
}

/* Compatibility against the live versions (skipped in IMPORT): 409. */
static int check_compatible(const struct reg_job *j, struct fy_err *err)
{
    if (j->import)
        return 0;
    struct reg_compat_msgs msgs;
    reg_compat_msgs_init(&msgs);
    enum reg_compat_level level = reg_registry_level(j->r, j->cs.context, j->cs.name);
    struct compat_group group;
    compat_group_init(&group, j->r, &j->cs, j->ps.metadata);
    int c = check_against(j->r, j->sub, level, validate_fields(j->r, &j->cs), j->ps.metadata,
                          j->ps.model, NULL, &group, &msgs, err);
    free(group.value);
    if (c == 0) {
        struct fy_buf m;
        fy_buf_init(&m, 0);
        put_messages(&m, &msgs);
        fy_err_set_long(err, REG_E_INCOMPATIBLE,
                        "Schema being registered is incompatible with an earlier schema for "
                        "subject \"%s\", details: [%s]",
                        j->qsub, fy_buf_str(&m));
        fy_buf_destroy(&m);
    }
    reg_compat_msgs_destroy(&msgs);
    return c == 1 ? 0 : -1;
}

/* The version number: one more than the highest kept (live or soft-deleted;
 * Confluent's register: a subject whose versions were all hard-deleted
 * starts again at 1), or the one an import names. Versions are 32-bit and
 * never wrap: past 2^31-1 a subject takes no new version (42201, the code of
 * Confluent's own version-number refusal in register). */
static int check_version(struct reg_job *j, struct fy_err *err)
{
    int32_t top = j->sub && j->sub->n_versions ? j->sub->versions[j->sub->n_versions - 1]->version
                                               : 0;
    if (j->req.has_version && j->import) {
        j->version = j->req.version;
        return 0;
    }
    if (top == INT32_MAX)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Subject %s in context %s has no version number left: version %d is "
                          "the largest a version can be",
                          j->qsub, j->cdisp, (int)INT32_MAX);
    j->version = top + 1;
    if (j->req.has_version && j->req.version != j->version)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Version is not one more than previous version");
    return 0;
}

/* Optimistic concurrency (sr-api §10): a request that names its version, or
 * metadata already tracking it, records the version it became. */
static void track_version(struct reg_job *j)
{
    if (j->import ||
        !(j->req.has_version || j->req.latest_only || tracks_version(j->ps.metadata)))
        return;
    char *md = with_tracked_version(j->ps.metadata, j->version);
    free(j->ps.metadata);
    j->ps.metadata = md;
    free(j->identity);
    j->identity = reg_schema_identity(j->eff.type->name, j->ps.canonical, j->ps.references,
                                      j->ps.metadata, j->ps.rule_set);
}

/* An import never gives an id or a version a new meaning: an id the context
 * already holds for other content is refused (Confluent's
 * checkIfSchemaWithIdExist, 42205), and so is a version of the subject that
 * exists (live or soft-deleted) with another id or content. Confluent's
 * register has no such version check (its store would overwrite); ferry
 * refuses with the same code and message form, since an overwritten version
 * is data a client can no longer read. The same content again is fine
 * (re-importing a soft-deleted version revives it, as Confluent's put). */
static int check_import(const struct reg_job *j, struct fy_err *err)
{
    if (!j->req.has_id)
        return 0;
    const struct reg_schema *taken = j->ctx ? fy_map_geti(&j->ctx->ids, j->req.id) : NULL;
    if (taken && !same_identity(taken, j->identity))
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                          "Overwrite new schema with id %d in context %s is not permitted.",
                          (int)j->req.id, j->cdisp);
    const struct reg_version *v = j->sub ? reg_subject_version(j->sub, j->version) : NULL;
    if (v && (v->schema->id != j->req.id || !same_identity(v->schema, j->identity)))
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                          "Overwrite new schema with id %d in context %s is not permitted: "
                          "version %d of subject %s is already schema id %d.",
                          (int)j->req.id, j->cdisp, (int)j->version, j->qsub,
                          (int)v->schema->id);
    return 0;
}

/* check: everything that can refuse the registration, in Confluent's order. */
static int job_check(struct reg_job *j, struct fy_err *err)
{
    if (check_mode(j, err) != 0 || check_compatible(j, err) != 0 ||
        check_version(j, err) != 0)
        return -1;
    track_version(j);
    return check_import(j, err);
}

/* allocate: the id — the one imported, the context's id for the same
 * content, or a new one above every id the context ever had (never reused:
 * reg_index_max_id counts hard-deleted ids too). Ids are 32-bit and never
 * wrap: once 2^31-1 is used, the context hands out no new id (42205, as
 * Confluent refuses to give an id a second meaning). */
static int job_allocate(struct reg_job *j, struct fy_err *err)
{
    const struct reg_schema *same = j->ctx ? fy_map_get(&j->ctx->identities, j->identity) : NULL;
    if (j->req.has_id) {
        j->id = j->req.id;
        return 0;
    }
    if (same) {
        j->id = same->id;
        return 0;
    }
    int32_t top = reg_index_max_id(&j->r->idx, j->cs.context);
    if (top == INT32_MAX)
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                          "No schema id left in context %s: id %d, the largest an id can be, "
                          "has been used, and ids are never reused",
                          j->cdisp, (int)INT32_MAX);
    j->id = top + 1;
    return 0;
}

/* append: the records (a CONTEXT record for a new context; tombstones for
 * soft-deleted older versions the new one supersedes, Confluent step 11,
 * unless something references them; the SCHEMA record), written and applied.
 * Locks: r->wlock. */
static int job_append(struct reg_job *j, int64_t *sync_offset, struct reg_parsed **evicted,
                      struct fy_err *err)
{
    struct reg_write recs[64];
    size_t n = 0;
    if (!ctx_is_default(j->cs.context) && (!j->ctx || !j->ctx->recorded)) {
        recs[n].key = reg_key_context(j->cs.context);
        recs[n].value = reg_value_context(j->cs.context);
        n++;
    }
    for (size_t i = 0; j->sub && i < j->sub->n_versions && n < 60; i++) {
        const struct reg_version *v = j->sub->versions[i];
        if (!v->deleted || v->schema->id != j->id || v->version == j->version)
            continue;
        if (reg_index_referrers(&j->r->idx, j->sub->qname, v->version))
            continue;
        recs[n].key = reg_key_schema(j->qsub, v->version);
        recs[n].value = NULL;
        n++;
    }
    recs[n].key = reg_key_schema(j->qsub, j->version);
    recs[n].value = reg_value_schema(j->qsub, j->version, j->id, j->eff.type->name,
                                     j->ps.references, j->ps.metadata, j->ps.rule_set,
                                     j->ps.canonical, false);
    n++;
    if (reg_registry_write(j->r, recs, n, sync_offset, err) != 0)
        return -1;
    keep_model(j->r, j->cs.context, j->id, &j->eff, &j->ps, evicted);
    return 0;
}

int reg_registry_register(struct reg_registry *r, const char *subject, json_t *body,
                          bool normalize, struct fy_buf *out, struct fy_err *err)
{
    int rc = -1;
    int64_t sync_offset = -1;
    struct reg_parsed *evicted = NULL;
    bool locked = false;
    struct reg_job j = {.r = r, .normalize = normalize};
    if (job_parse(&j, subject, body, err) != 0)
        goto out;
    pthread_mutex_lock(&r->wlock);
    locked = true;
    if (job_resolve(&j, err) != 0)
        goto out;
    if (job_known(&j)) {
        /* may name a version another writer has not yet seen synced */
        sync_offset = r->idx.applied_offset;
    } else if (job_check(&j, err) != 0 || job_allocate(&j, err) != 0 ||
               job_append(&j, &sync_offset, &evicted, err) != 0) {
        goto out;
    }
    put_register_response(out, &j);
    rc = 0;
out:
    /* acknowledged only once durable, the idempotent answer included */
    if (locked)
        rc = reg_registry_unlock_sync(r, rc, sync_offset, err);
    reg_parsed_release_list(evicted);
    job_destroy(&j);
    return rc;
}

/* A metadata or rule set text as compared by lookups: NULL for none or an
 * object without members (Metadata(null, null, null) is no metadata). */
static json_t *lookup_json(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (j && json_is_object(j)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(j, tmp, k, v) {
            if (json_is_null(v) || ((json_is_object(v) && !json_object_size(v)) ||
                                    (json_is_array(v) && !json_array_size(v))))
                json_object_del(j, k);
        }
    }
    if (j && (!json_is_object(j) || !json_object_size(j))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Drop properties.confluent:version from `md` (may empty it). */
static json_t *drop_tracked_version(json_t *md)
{
    json_t *props = json_object_get(md, "properties");
    json_object_del(props, TRACKED_VERSION);
    char *text = md ? json_dumps(md, JSON_COMPACT) : NULL;
    json_decref(md);
    json_t *out = lookup_json(text);
    free(text);
    return out;
}

/* AbstractSchemaProvider.canLookupIgnoringVersion, for the metadata: equal,
 * except that a confluent:version only one side has is ignored (and one only
 * the request has must name the stored version). */
static bool metadata_equivalent(const char *want, const char *have, int32_t have_version,
                                bool exact)
{
    json_t *a = lookup_json(want), *b = lookup_json(have);
    if (exact) {
        bool same = (!a && !b) || (a && b && json_equal(a, b));
        json_decref(a);
        json_decref(b);
        return same;
    }
    const char *va = json_string_value(
        json_object_get(json_object_get(a, "properties"), TRACKED_VERSION));
    const char *vb = json_string_value(
        json_object_get(json_object_get(b, "properties"), TRACKED_VERSION));
    bool ok = true;
    if (!va && vb) {
        b = drop_tracked_version(b);
    } else if (va && !vb) {
        char num[16];
        snprintf(num, sizeof num, "%d", (int)have_version);
        ok = strcmp(va, num) == 0;
        a = drop_tracked_version(a);
    }
    ok = ok && ((!a && !b) || (a && b && json_equal(a, b)));
    json_decref(a);
    json_decref(b);
    return ok;
}

static bool rule_set_equal(const char *want, const char *have)
{
    json_t *a = lookup_json(want), *b = lookup_json(have);
    bool ok = (!a && !b) || (a && b && json_equal(a, b));
    json_decref(a);
    json_decref(b);
    return ok;
}

/* The newest version of `sub` (live, or any with `deleted`) with the parsed
 * text and references and this metadata and rule set: first the identity
 * itself (lookupCache.schemaIdAndSubjects), then one whose metadata differs
 * only by a one-sided confluent:version (canLookup, newest first).
 * Locks: idx.lock. */
static const struct reg_version *lookup_match(struct reg_registry *r,
                                              const struct reg_subject *sub,
                                              const struct parsed *ps, const char *metadata,
                                              const char *rule_set, bool normalize, bool deleted)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = sub->n_versions; i-- > 0;)
            if (lookup_one(r, sub->versions[i], ps, metadata, rule_set, normalize, deleted,
                           pass == 0))
                return sub->versions[i];
    return NULL;
}

/* Is `v` what lookup_match looks for (`exact`: the same metadata)? */
static bool lookup_one(struct reg_registry *r, const struct reg_version *v,
                       const struct parsed *ps, const char *metadata, const char *rule_set,
                       bool normalize, bool deleted, bool exact)
{
    {
        if (v->deleted && !deleted)
            return false;
        const struct reg_schema *sc = v->schema;
        bool refs_equal = (!sc->references && !ps->references) ||
                          (sc->references && ps->references &&
                           strcmp(sc->references, ps->references) == 0);
        if (!refs_equal || !metadata_equivalent(metadata, sc->metadata, v->version, exact) ||
            !rule_set_equal(rule_set, sc->rule_set))
            return false;
        /* Schema.equals: the same type too */
        if (strcmp(sc->schema_type, ps->model->type->name) != 0)
            return false;
        bool match = strcmp(sc->schema, ps->canonical) == 0;
        if (!match && normalize) {
            struct reg_parsed *m = stored_model(r, sc, NULL);
            if (m) {
                const struct reg_sm *sm = reg_parsed_model(m);
                char *norm = NULL;
                /* a stored text whose normalization fails compares as stored */
                if (sm->type->normalize(sm, &norm, NULL) != 0)
                    norm = sm->type->canonical(sm);
                match = strcmp(norm, ps->canonical) == 0;
                free(norm);
                reg_parsed_release(m);
            }
        }
        return match;
    }
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* AbstractSchemaRegistry.lookUpSchemaUnderSubject(subject, schema, ...):
 * the identity as sent, then, when the subject has a latest live version,
 * with maybeSetMetadataRuleSet(config, schema, latest) applied (metadata and
 * rule set = merge(merge(default, own or the latest's), override)).
 * Locks: idx.lock. */
static const struct reg_version *lookup_under(struct reg_registry *r,
                                              const struct ctx_subject *cs,
                                              const struct reg_subject *sub,
                                              const struct parsed *ps, bool normalize,
                                              bool deleted)
{
    if (!sub)
        return NULL;
    const struct reg_version *v =
        lookup_match(r, sub, ps, ps->metadata, ps->rule_set, normalize, deleted);
    const struct reg_version *latest = reg_subject_latest(sub);
    if (v || !latest)
        return v;
    char *md = ps->metadata ? fy_strdup(ps->metadata)
                            : latest->schema->metadata ? fy_strdup(latest->schema->metadata)
                                                       : NULL;
    char *rs = ps->rule_set ? fy_strdup(ps->rule_set)
                            : latest->schema->rule_set ? fy_strdup(latest->schema->rule_set)
                                                       : NULL;
    apply_config_defaults(r, cs, "defaultMetadata", "overrideMetadata", reg_metadata_merge,
                          JSON_COMPACT | JSON_SORT_KEYS, &md);
    apply_config_defaults(r, cs, "defaultRuleSet", "overrideRuleSet", reg_ruleset_merge,
                          JSON_COMPACT, &rs);
    if (!same_text(md, ps->metadata) || !same_text(rs, ps->rule_set))
        v = lookup_match(r, sub, ps, md, rs, normalize, deleted);
    free(md);
    free(rs);
    return v;
}

int reg_registry_lookup(struct reg_registry *r, const char *subject, json_t *body, bool normalize,
                        bool deleted, struct fy_buf *out, struct fy_err *err)
{
    int rc = -1;
    struct schema_req req;
    struct ctx_subject cs = {0};
    struct parsed ps = {0};
    struct reg_context **contexts = NULL;
    if (parse_body(body, &req, err) != 0)
        return -1;
    if (ctx_subject_parse(subject, &cs, err) != 0)
        return -1;
    pthread_rwlock_rdlock(&r->idx.lock);
    struct reg_subject *sub = reg_index_subject(&r->idx, cs.context, cs.name);
    bool exists = sub && (deleted ? sub->n_versions > 0 : reg_subject_live(sub));
    const struct reg_subject *found_sub = sub;
    const struct reg_version *v = NULL;
    /* nothing can equal an empty schema (canonicalizeSchema returns null) */
    if (req.schema[0]) {
        /* the schema is parsed (422 when it cannot be) before the subject is looked at */
        if (parse_request(r, cs.context, &req, false, normalize, &ps, err) != 0)
            goto out;
        v = lookup_under(r, &cs, sub, &ps, normalize, deleted);
    }
    /* lookUpSchemaUnderSubjectUsingContexts: a default-context subject is
     * looked for under the same name in every other context too */
    size_t n_ctx = 0;
    if (!v && req.schema[0] && ctx_is_default(cs.context))
        contexts = reg_index_named_contexts(&r->idx, &n_ctx);
    for (size_t i = 0; !v && i < n_ctx; i++) {
        struct reg_subject *other = reg_index_subject(&r->idx, contexts[i]->name, cs.name);
        if (!other)
            continue;
        struct ctx_subject ocs = {.context = contexts[i]->name, .name = cs.name};
        struct parsed ops;
        /* references resolve in that context; a schema that does not parse there is skipped */
        if (parse_request(r, contexts[i]->name, &req, false, normalize, &ops, NULL) == 0) {
            v = lookup_under(r, &ocs, other, &ops, normalize, deleted);
            found_sub = other;
        }
        parsed_destroy(&ops);
    }
    if (v) {
        put_schema_obj(out, found_sub, v, false, NULL);
        rc = 0;
    } else if (!exists) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    } else {
        fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema not found");
    }
out:
    pthread_rwlock_unlock(&r->idx.lock);
    free(contexts);
    parsed_destroy(&ps);
    ctx_subject_destroy(&cs);
    return rc;
}

int reg_registry_check(struct reg_registry *r, const char *subject, const char *version,
                       json_t *body, bool normalize, bool verbose, struct fy_buf *out,
                       struct fy_err *err)
{
    int rc = -1;
    struct schema_req req;
    struct ctx_subject cs = {0};
    struct parsed ps = {0};
    struct reg_compat_msgs msgs;
    reg_compat_msgs_init(&msgs);
    int32_t vnum = -1;
    if (version && reg_version_parse(version, &vnum, err) != 0)
        return -1;
    if (parse_body(body, &req, err) != 0)
        return -1;
    if (ctx_subject_parse(subject, &cs, err) != 0)
        return -1;
    pthread_rwlock_rdlock(&r->idx.lock);
    struct reg_subject *sub = reg_index_subject(&r->idx, cs.context, cs.name);
    const struct reg_version *only = NULL;
    if (version && vnum != -1) {
        only = sub ? reg_subject_version(sub, vnum) : NULL;
        if (!only || only->deleted) {
            fy_err_set(err, REG_E_VERSION_NOT_FOUND, "Version %d not found.", (int)vnum);
            goto out;
        }
    } else if (version) {
        only = sub ? reg_subject_latest(sub) : NULL;
        if (!only) { /* `latest` of an empty subject: nothing to be incompatible with */
            fy_buf_puts(out, verbose ? "{\"is_compatible\":true,\"messages\":[]}"
                                     : "{\"is_compatible\":true}");
            rc = 0;
            goto out;
        }
    }
    if (!req.schema[0]) {
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Empty schema");
        goto out;
    }
    if (parse_request(r, cs.context, &req, true, normalize, &ps, err) != 0) {
        if (!verbose)
            goto out;
        /* verbose: an unparsable schema is an answer, not an error (Confluent) */
        fy_buf_puts(out, "{\"is_compatible\":false,\"messages\":[");
        fy_jsonout_str(out, err ? err->msg : "Invalid schema");
        fy_buf_puts(out, "]}");
        rc = 0;
        goto out;
    }
    enum reg_compat_level level = reg_registry_level(r, cs.context, cs.name);
    /* against one version transitivity is moot (one prior), and the trailer
     * names the configured level, as CompatibilityResource's single-version
     * isCompatible does */
    struct compat_group group;
    compat_group_init(&group, r, &cs, ps.metadata);
    int c = check_against(r, sub, level, validate_fields(r, &cs), ps.metadata, ps.model, only,
                          &group, &msgs, err);
    free(group.value);
    if (c < 0)
        goto out;
    fy_buf_printf(out, "{\"is_compatible\":%s", c ? "true" : "false");
    if (verbose) {
        fy_buf_puts(out, ",\"messages\":[");
        for (size_t i = 0; i < msgs.n; i++) {
            if (i)
                fy_buf_putc(out, ',');
            fy_jsonout_str(out, msgs.items[i]);
        }
        fy_buf_putc(out, ']');
    }
    fy_buf_putc(out, '}');
    rc = 0;
out:
    pthread_rwlock_unlock(&r->idx.lock);
    reg_compat_msgs_destroy(&msgs);
    parsed_destroy(&ps);
    ctx_subject_destroy(&cs);
    return rc;
}

void reg_put_schema_obj(struct fy_buf *out, const struct reg_subject *sub,
                        const struct reg_version *v)
{
    put_schema_obj(out, sub, v, false, NULL);
}

void reg_put_schema_obj_fmt(struct fy_buf *out, const struct reg_subject *sub,
                            const struct reg_version *v, bool qualified_refs, const char *text)
{
    put_schema_obj(out, sub, v, qualified_refs, text);
}

char *reg_registry_formatted(struct reg_registry *r, const struct reg_schema *sc,
                             const char *format, struct fy_err *err)
{
    const struct reg_schema_format *f =
        reg_schema_type_format(reg_schema_type_find(sc->schema_type), format);
    if (!f || (f->needs_references && !sc->references))
        return NULL;
    /* without references the formatted text of a stored schema never changes:
     * kept with the schema after the first read */
    struct reg_schema *msc = (struct reg_schema *)sc;
    for (struct reg_format_memo *fm =
             atomic_load_explicit(&msc->format_memo, memory_order_acquire);
         fm; fm = fm->next)
        if (fm->format == f)
            return fy_strdup(fm->text);
    struct reg_parsed *m = stored_model(r, sc, err);
    if (!m)
        return NULL;
    const struct reg_sm *sm = reg_parsed_model(m);
    char *text = sm->type->format(sm, f->name, err);
    reg_parsed_release(m);
    if (text && !sc->references) {
        struct reg_format_memo *fm = fy_calloc(1, sizeof *fm);
        fm->format = f;
        fm->text = fy_strdup(text);
        fm->next = atomic_load_explicit(&msc->format_memo, memory_order_acquire);
        /* readers racing on a first read may each push one: harmless, bounded */
        while (!atomic_compare_exchange_weak_explicit(&msc->format_memo, &fm->next, fm,
                                                      memory_order_acq_rel,
                                                      memory_order_acquire))
            ;
    }
    return text;
}
