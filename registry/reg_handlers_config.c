/* SPDX-License-Identifier: Apache-2.0
 * reg_handlers_config: /config and /mode at top level, context and subject
 * scope (sr-api §2.6, §2.7, §7). Config PUT is a partial merge (absent keeps,
 * explicit null clears) as Confluent's ConfigValue.update. */
#include "registry/reg_handlers_int.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "contexts/ctx_name.h"
#include "registry/reg_records.h"

#include <stdlib.h>
#include <string.h>

/* The scope named by the optional {subject} param. The default context
 * (`:.:`, empty) is the top level. `*ctx` and `*name` are **new**. */
static int scope_param(struct reg_hctx *hc, char **context, char **name, char **scope,
                       struct fy_err *err)
{
    const char *raw = hc->params[0];
    *context = NULL;
    *name = NULL;
    *scope = NULL;
    if (!raw) {
        *context = fy_strdup(CTX_DEFAULT);
        *name = fy_strdup("");
    } else {
        struct ctx_subject cs;
        if (ctx_subject_parse(raw, &cs, err) != 0)
            return -1;
        if (ctx_subject_validate(raw, &cs, true, err) != 0 || cs.wildcard) {
            ctx_subject_destroy(&cs);
            return fy_err_set(err, REG_E_INVALID_SUBJECT,
                              "The specified subject '%s' is not a valid.", raw);
        }
        *context = cs.context;
        *name = cs.name;
    }
    *scope = reg_registry_scope(*context, *name);
    return 0;
}

static void scope_free(char *context, char *name, char *scope)
{
    free(context);
    free(name);
    free(scope);
}

/* Config obj (GET shape): compatibilityLevel first, then the other fields. */
static void put_config(struct fy_buf *out, json_t *cfg, const char *level_key,
                       enum reg_compat_level fallback, bool with_fallback)
{
    fy_buf_putc(out, '{');
    bool first = true;
    json_t *lvl = cfg ? json_object_get(cfg, "compatibilityLevel") : NULL;
    if (lvl && json_is_string(lvl)) {
        fy_jsonout_key(out, level_key);
        fy_jsonout_str(out, json_string_value(lvl));
        first = false;
    } else if (with_fallback) {
        fy_jsonout_key(out, level_key);
        fy_jsonout_str(out, reg_compat_level_name(fallback));
        first = false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(cfg, k, v)
    {
        if (strcmp(k, "compatibilityLevel") == 0 || json_is_null(v))
            continue;
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!first)
            fy_buf_putc(out, ',');
        fy_jsonout_key(out, k);
        fy_buf_puts(out, text);
        free(text);
        first = false;
    }
    fy_buf_putc(out, '}');
}

int reg_h_config_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    int rc = 0;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    json_t *cfg = reg_index_config(&hc->r->idx, scope);
    bool top = scope[0] == '\0';
    if (cfg || top) {
        put_config(out, cfg, "compatibilityLevel", hc->r->opts.default_level, true);
    } else if (reg_arg_bool(hc, "defaultToGlobal")) {
        put_config(out, NULL, "compatibilityLevel", reg_registry_level(hc->r, context, name),
                   true);
    } else {
        rc = fy_err_set(err, REG_E_SUBJECT_CONFIG_NOT_FOUND,
                        "Subject '%s' does not have subject-level compatibility configured",
                        hc->params[0]);
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    scope_free(context, name, scope);
    return rc;
}

/* ConfigUpdateRequest fields (sr-api §2.6) */
static bool known_config_field(const char *k)
{
    static const char *const fields[] = {
        "compatibility", "compatibilityLevel", "alias", "aliasForDeks", "normalize",
        "validateFields", "validateNewSchemas", "validateRules", "compatibilityPolicy",
        "compatibilityGroup", "defaultMetadata", "overrideMetadata", "defaultRuleSet",
        "overrideRuleSet"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(k, fields[i]) == 0)
            return true;
    return false;
}

/* The first known field whose JSON type Jackson could not map (400), or NULL. */
static const char *mistyped_config_field(json_t *body)
{
    static const char *const bools[] = {"normalize", "validateFields", "validateNewSchemas",
                                        "validateRules"};
    static const char *const strings[] = {"alias", "aliasForDeks", "compatibilityPolicy",
                                          "compatibilityGroup"};
    static const char *const objects[] = {"defaultMetadata", "overrideMetadata",
                                          "defaultRuleSet", "overrideRuleSet"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(body, bools[i]);
        if (v && !json_is_null(v) && !json_is_boolean(v))
            return bools[i];
        v = json_object_get(body, strings[i]);
        if (v && !json_is_null(v) && !json_is_string(v))
            return strings[i];
        v = json_object_get(body, objects[i]);
        if (v && !json_is_null(v) && !json_is_object(v))
            return objects[i];
    }
    return NULL;
}

int reg_h_config_put(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    int rc = -1;
    int64_t offset = -1;
    json_t *merged = NULL;
    json_t *lvl = json_object_get(hc->body, "compatibility");
    if (!lvl)
        lvl = json_object_get(hc->body, "compatibilityLevel");
    enum reg_compat_level level = REG_COMPAT_NONE;
    if (lvl && (json_is_array(lvl) || json_is_object(lvl))) {
        fy_err_set(err, FY_E_BAD_REQUEST, "Field \"compatibility\" must be a string");
        goto out_nolock;
    }
    /* a number or boolean is coerced to text by Jackson, then refused as a level */
    if (lvl && !json_is_null(lvl) &&
        (!json_is_string(lvl) || reg_compat_level_parse(json_string_value(lvl), &level) != 0)) {
        fy_err_set(err, REG_E_INVALID_COMPAT_LEVEL,
                   "Invalid compatibility level. Valid values are none, backward, forward, full, "
                   "backward_transitive, forward_transitive, and full_transitive");
        goto out_nolock;
    }
    pthread_mutex_lock(&hc->r->wlock);
    if (reg_registry_writable(hc->r, context, name, hc->params[0] ? hc->params[0] : "", err) != 0)
        goto out;
    const char *bad = mistyped_config_field(hc->body);
    if (bad) {
        fy_err_set(err, FY_E_BAD_REQUEST, "Field \"%s\" has the wrong type", bad);
        goto out;
    }
    json_t *old = reg_index_config(&hc->r->idx, scope);
    merged = old ? json_deep_copy(old) : json_object();
    const char *k;
    json_t *v;
    json_object_foreach(hc->body, k, v)
    {
        if (!known_config_field(k))
            continue; /* unknown fields are tolerated and ignored, as Jackson does */
        if (strcmp(k, "compatibility") == 0 || strcmp(k, "compatibilityLevel") == 0) {
            if (json_is_null(v))
                json_object_del(merged, "compatibilityLevel");
            else
                json_object_set_new(merged, "compatibilityLevel",
                                    json_string(reg_compat_level_name(level)));
        } else if (json_is_null(v)) {
            json_object_del(merged, k);
        } else {
            json_object_set(merged, k, v);
        }
    }
    struct reg_write rec = {reg_key_config(scope[0] ? scope : NULL),
                            json_dumps(merged, JSON_COMPACT)};
    if (reg_registry_write(hc->r, &rec, 1, &offset, err) != 0)
        goto out;
    put_config(out, merged, "compatibility", REG_COMPAT_NONE, false);
    rc = 0;
out:
    rc = reg_registry_unlock_sync(hc->r, rc, offset, err);
out_nolock:
    json_decref(merged);
    scope_free(context, name, scope);
    return rc;
}

int reg_h_config_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    int rc = -1;
    int64_t offset = -1;
    pthread_mutex_lock(&hc->r->wlock);
    json_t *old = reg_index_config(&hc->r->idx, scope);
    if (reg_registry_writable(hc->r, context, name, hc->params[0] ? hc->params[0] : "", err) != 0)
        goto out;
    if (!old && scope[0]) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", hc->params[0]);
        goto out;
    }
    /* answer with the config that was in force before the delete */
    put_config(out, old, "compatibilityLevel", hc->r->opts.default_level, !scope[0] || old);
    if (old) {
        struct reg_write rec = {reg_key_config(scope[0] ? scope : NULL), NULL};
        if (reg_registry_write(hc->r, &rec, 1, &offset, err) != 0) {
            fy_buf_reset(out);
            goto out;
        }
    }
    rc = 0;
out:
    rc = reg_registry_unlock_sync(hc->r, rc, offset, err);
    scope_free(context, name, scope);
    return rc;
}

int reg_h_mode_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    int rc = 0;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    enum reg_mode m;
    bool stored = reg_index_mode(&hc->r->idx, scope, &m);
    if (!stored && (!scope[0] || reg_arg_bool(hc, "defaultToGlobal"))) {
        m = reg_registry_mode(hc->r, context, name);
        stored = true;
    }
    if (stored)
        fy_buf_printf(out, "{\"mode\":\"%s\"}", reg_mode_name(m));
    else
        rc = fy_err_set(err, REG_E_SUBJECT_MODE_NOT_FOUND,
                        "Subject '%s' does not have subject-level mode configured",
                        hc->params[0]);
    pthread_rwlock_unlock(&hc->r->idx.lock);
    scope_free(context, name, scope);
    return rc;
}

/* Subjects in a mode scope: one subject, a whole context, or (top level)
 * every subject of every context. Locks: wlock held. */
static size_t scope_subjects(struct reg_registry *r, const char *context, const char *name,
                             struct reg_subject ***out)
{
    size_t n = 0, cap = 16;
    struct reg_subject **subs = fy_malloc(cap * sizeof *subs);
    bool top = ctx_is_default(context) && !name[0];
    size_t it = 0;
    void *cv;
    while (fy_map_next(&r->idx.contexts, &it, NULL, &cv)) {
        struct reg_context *c = cv;
        if (!top && strcmp(c->name, context) != 0)
            continue;
        size_t sit = 0;
        void *sv;
        while (fy_map_next(&c->subjects, &sit, NULL, &sv)) {
            struct reg_subject *sub = sv;
            if (name[0] && strcmp(sub->name, name) != 0)
                continue;
            if (n == cap) {
                cap *= 2;
                subs = fy_realloc(subs, cap * sizeof *subs);
            }
            subs[n++] = sub;
        }
    }
    *out = subs;
    return n;
}

/* Switching a scope to IMPORT (Confluent KafkaSchemaRegistry.setMode): live
 * subjects block it (42205); soft-deleted leftovers are hard-deleted, unless
 * one is referenced (42206), and a CLEAR_SUBJECT record follows. Fills `recs`
 * (caller frees through reg_registry_write) and returns their count, or -1. */
static long import_switch_records(struct reg_registry *r, const char *context, const char *name,
                                  const char *scope, struct reg_write **recs, struct fy_err *err)
{
    struct reg_subject **subs;
    size_t n = scope_subjects(r, context, name, &subs);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (reg_subject_live(subs[i])) {
            free(subs);
            return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                              "Cannot import since found existing subjects");
        }
        total += subs[i]->n_versions;
    }
    struct reg_write *w = fy_calloc(total + 2, sizeof *w);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct reg_subject *sub = subs[i];
        for (size_t j = sub->n_versions; j-- > 0;) {
            int32_t version = sub->versions[j]->version;
            if (reg_index_referrers(&r->idx, sub->qname, version)) {
                fy_err_set(err, REG_E_REFERENCE_EXISTS,
                           "One or more references exist to the schema {subject=%s,version=%d}.",
                           sub->qname, (int)version);
                for (size_t x = 0; x < k; x++)
                    free(w[x].key);
                free(w);
                free(subs);
                return -1;
            }
            w[k].key = reg_key_schema(sub->qname, version);
            w[k].value = NULL;
            k++;
        }
    }
    free(subs);
    w[k].key = reg_key_clear_subject(scope[0] ? scope : NULL);
    w[k].value = reg_value_clear_subject(scope);
    k++;
    *recs = w;
    return (long)k;
}

int reg_h_mode_put(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    json_t *jm = json_object_get(hc->body, "mode");
    if (jm && (json_is_array(jm) || json_is_object(jm)))
        return fy_err_set(err, FY_E_BAD_REQUEST, "Field \"mode\" must be a string");
    const char *mname = json_string_value(jm);
    enum reg_mode m;
    if (!mname || reg_mode_parse(mname, &m) != 0)
        return fy_err_set(err, REG_E_INVALID_MODE,
                          "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.");
    if (!hc->r->opts.mode_mutability)
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED, "Mode changes are not allowed");
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    int rc = -1;
    int64_t offset = -1;
    pthread_mutex_lock(&hc->r->wlock);
    enum reg_mode current = reg_registry_mode(hc->r, context, name);
    struct reg_write *recs = NULL;
    size_t n = 0;
    if (m == REG_MODE_IMPORT && current != REG_MODE_IMPORT && !reg_arg_bool(hc, "force")) {
        long k = import_switch_records(hc->r, context, name, scope, &recs, err);
        if (k < 0)
            goto out;
        n = (size_t)k;
    }
    recs = fy_realloc(recs, (n + 1) * sizeof *recs);
    recs[n].key = reg_key_mode(scope[0] ? scope : NULL);
    recs[n].value = reg_value_mode(scope[0] ? scope : NULL, reg_mode_name(m));
    n++;
    int wrc = reg_registry_write(hc->r, recs, n, &offset, err);
    free(recs);
    if (wrc != 0)
        goto out;
    /* Confluent's ModeResource answers with the request itself, as sent */
    fy_buf_puts(out, "{\"mode\":");
    fy_jsonout_str(out, mname);
    fy_buf_putc(out, '}');
    rc = 0;
out:
    rc = reg_registry_unlock_sync(hc->r, rc, offset, err);
    scope_free(context, name, scope);
    return rc;
}

/* The mode records of the subjects of `context` (not the context's own), for
 * DELETE /mode/{ctx}?recursive=true (KafkaSchemaRegistry
 * .deleteModesForSubjectsUnderContext: the default context's for the top
 * level). Appends tombstones to recs. Locks: r->wlock held. */
static void subject_mode_tombstones(const struct reg_index *idx, const char *context,
                                    struct reg_write **recs, size_t *n)
{
    size_t it = 0, cap = *n + 8;
    *recs = fy_realloc(*recs, cap * sizeof **recs);
    const char *scope;
    void *v;
    while (fy_map_next(&idx->modes, &it, &scope, &v)) {
        struct ctx_subject cs;
        if (!scope[0] || ctx_subject_parse(scope, &cs, NULL) != 0)
            continue;
        bool mine = cs.name[0] && strcmp(cs.context, context) == 0;
        ctx_subject_destroy(&cs);
        if (!mine)
            continue;
        if (*n == cap) {
            cap *= 2;
            *recs = fy_realloc(*recs, cap * sizeof **recs);
        }
        (*recs)[(*n)++] = (struct reg_write){reg_key_mode(scope), NULL};
    }
}

int reg_h_mode_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (!hc->r->opts.mode_mutability)
        return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED, "Mode changes are not allowed");
    char *context, *name, *scope;
    if (scope_param(hc, &context, &name, &scope, err) != 0)
        return -1;
    bool recursive = reg_arg_bool(hc, "recursive");
    int rc = -1;
    int64_t offset = -1;
    pthread_mutex_lock(&hc->r->wlock);
    enum reg_mode m;
    bool stored = reg_index_mode(&hc->r->idx, scope, &m);
    /* ModeResource.deleteSubjectMode: 404 when nothing is stored, unless
     * recursive (then the answer is Mode(null): {} under NON_EMPTY) */
    if (!stored && scope[0] && !recursive) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", hc->params[0]);
        goto out;
    }
    if (stored || !scope[0])
        fy_buf_printf(out, "{\"mode\":\"%s\"}",
                      reg_mode_name(stored ? m : reg_registry_mode(hc->r, context, name)));
    else
        fy_buf_puts(out, "{}");
    struct reg_write *recs = NULL;
    size_t n = 0;
    if (stored) {
        recs = fy_malloc(sizeof *recs);
        recs[n++] = (struct reg_write){reg_key_mode(scope[0] ? scope : NULL), NULL};
    }
    if (recursive && !name[0])
        subject_mode_tombstones(&hc->r->idx, context, &recs, &n);
    int wrc = n ? reg_registry_write(hc->r, recs, n, &offset, err) : 0;
    free(recs);
    if (wrc != 0) {
        fy_buf_reset(out);
        goto out;
    }
    rc = 0;
out:
    rc = reg_registry_unlock_sync(hc->r, rc, offset, err);
    scope_free(context, name, scope);
    return rc;
}
