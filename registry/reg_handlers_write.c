/* SPDX-License-Identifier: Apache-2.0
 * reg_handlers_write: REST endpoints that change state or take a schema body:
 * register, lookup, compatibility, version/subject/context deletes
 * (sr-api §2.3-2.5, §2.8). Deletes follow Confluent's
 * KafkaSchemaRegistry.deleteSchemaVersion / deleteSubject rules exactly. */
#include "registry/reg_handlers_int.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "contexts/ctx_name.h"
#include "registry/reg_records.h"

#include <stdlib.h>
#include <string.h>

int reg_h_register(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    return reg_registry_register(hc->r, hc->params[0], hc->body, reg_arg_bool(hc, "normalize"),
                                 out, err);
}

int reg_h_lookup(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    return reg_registry_lookup(hc->r, hc->params[0], hc->body, reg_arg_bool(hc, "normalize"),
                               reg_arg_bool(hc, "deleted"), out, err);
}

int reg_h_compat_version(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    return reg_registry_check(hc->r, hc->params[0], hc->params[1], hc->body,
                              reg_arg_bool(hc, "normalize"), reg_arg_bool(hc, "verbose"), out,
                              err);
}

int reg_h_compat_all(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    if (reg_require_body(hc, err) != 0)
        return -1;
    return reg_registry_check(hc->r, hc->params[0], NULL, hc->body,
                              reg_arg_bool(hc, "normalize"), reg_arg_bool(hc, "verbose"), out,
                              err);
}

/* Is (sub, version) referenced by a schema other than through `sub` itself?
 * `live_only`: soft deletes ignore soft-deleted referrers; permanent ones count them. */
static bool referenced(struct reg_registry *r, const struct reg_subject *sub, int32_t version,
                       bool live_only, bool other_subjects_only)
{
    const struct reg_refs *refs = reg_index_referrers(&r->idx, sub->qname, version);
    for (size_t i = 0; refs && i < refs->n; i++) {
        const struct reg_schema *sc = refs->items[i];
        size_t it = 0;
        void *v;
        while (fy_map_next(&sc->ctx->subjects, &it, NULL, &v)) {
            const struct reg_subject *s = v;
            if (other_subjects_only && s == sub)
                continue;
            for (size_t j = 0; j < s->n_versions; j++)
                if (s->versions[j]->schema == sc && (!live_only || !s->versions[j]->deleted))
                    return true;
        }
    }
    return false;
}

/* The subject's own CONFIG and MODE go with its last version (Confluent). */
static size_t drop_subject_settings(struct reg_registry *r, const struct reg_subject *sub,
                                    struct reg_write *recs)
{
    size_t n = 0;
    enum reg_mode m;
    if (reg_index_mode(&r->idx, sub->qname, &m)) {
        recs[n].key = reg_key_mode(sub->qname);
        recs[n].value = NULL;
        n++;
    }
    if (reg_index_config(&r->idx, sub->qname)) {
        recs[n].key = reg_key_config(sub->qname);
        recs[n].value = NULL;
        n++;
    }
    return n;
}

int reg_h_version_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct reg_registry *r = hc->r;
    const char *subject = hc->params[0];
    bool permanent = reg_arg_bool(hc, "permanent");
    int32_t vnum;
    if (reg_version_parse(hc->params[1], &vnum, err) != 0)
        return -1;
    struct ctx_subject cs;
    if (ctx_subject_parse(subject, &cs, NULL) != 0)
        return fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    int rc = -1;
    int64_t offset = -1;
    pthread_mutex_lock(&r->wlock);
    struct reg_subject *sub = reg_index_subject(&r->idx, cs.context, cs.name);
    struct reg_version *v = NULL;
    if (reg_registry_writable(r, cs.context, cs.name, subject, err) != 0)
        goto out;
    if (!sub || sub->n_versions == 0) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        goto out;
    }
    v = vnum == -1 ? reg_subject_latest(sub) : reg_subject_version(sub, vnum);
    if (!v) {
        if (vnum == -1)
            fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        else
            fy_err_set(err, REG_E_VERSION_NOT_FOUND, "Version %d not found.", (int)vnum);
        goto out;
    }
    int32_t version = v->version;
    struct reg_write recs[3];
    size_t n = 0;
    if (!permanent) {
        if (v->deleted) {
            fy_err_set(err, REG_E_VERSION_SOFT_DELETED,
                       "Subject '%s' Version %d was soft deleted.Set permanent=true to delete "
                       "permanently",
                       subject, (int)version);
            goto out;
        }
        if (referenced(r, sub, version, true, false)) {
            fy_err_set(err, REG_E_REFERENCE_EXISTS,
                       "One or more references exist to the schema {subject=%s,version=%d}.",
                       sub->qname, (int)version);
            goto out;
        }
        const struct reg_schema *sc = v->schema;
        recs[n].key = reg_key_schema(sub->qname, version);
        recs[n].value = reg_value_schema(sub->qname, version, sc->id, sc->schema_type,
                                         sc->references, sc->metadata, sc->rule_set, sc->schema,
                                         true);
        n++;
    } else {
        if (!v->deleted) {
            fy_err_set(err, REG_E_VERSION_NOT_SOFT_DELETED,
                       "Subject '%s' Version %d was not deleted first before being permanently "
                       "deleted",
                       subject, (int)version);
            goto out;
        }
        if (referenced(r, sub, version, false, false)) {
            fy_err_set(err, REG_E_REFERENCE_EXISTS,
                       "One or more references exist to the schema {subject=%s,version=%d}.",
                       sub->qname, (int)version);
            goto out;
        }
        recs[n].key = reg_key_schema(sub->qname, version);
        recs[n].value = NULL;
        n++;
        if (sub->n_versions == 1)
            n += drop_subject_settings(r, sub, recs + n);
    }
    if (reg_registry_write(r, recs, n, &offset, err) != 0)
        goto out;
    fy_buf_printf(out, "%d", (int)version);
    rc = 0;
out:
    rc = reg_registry_unlock_sync(r, rc, offset, err);
    ctx_subject_destroy(&cs);
    return rc;
}

int reg_h_subject_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct reg_registry *r = hc->r;
    const char *subject = hc->params[0];
    bool permanent = reg_arg_bool(hc, "permanent");
    struct ctx_subject cs;
    if (ctx_subject_parse(subject, &cs, NULL) != 0)
        return fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    int rc = -1;
    int64_t offset = -1;
    struct reg_write *recs = NULL;
    size_t n = 0;
    pthread_mutex_lock(&r->wlock);
    struct reg_subject *sub = reg_index_subject(&r->idx, cs.context, cs.name);
    if (!sub || sub->n_versions == 0) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        goto out;
    }
    if (reg_registry_writable(r, cs.context, cs.name, subject, err) != 0)
        goto out;
    struct reg_version *latest = reg_subject_latest(sub);
    if (!permanent && !latest) {
        fy_err_set(err, REG_E_SUBJECT_SOFT_DELETED,
                   "Subject '%s' was soft deleted.Set permanent=true to delete permanently",
                   subject);
        goto out;
    }
    if (permanent && latest) {
        fy_err_set(err, REG_E_SUBJECT_NOT_SOFT_DELETED,
                   "Subject '%s' was not deleted first before being permanently deleted",
                   subject);
        goto out;
    }
    for (size_t i = 0; i < sub->n_versions; i++) {
        struct reg_version *v = sub->versions[i];
        if (!permanent && v->deleted)
            continue;
        if (referenced(r, sub, v->version, !permanent, true)) {
            fy_err_set(err, REG_E_REFERENCE_EXISTS,
                       "One or more references exist to the schema {subject=%s,version=%d}.",
                       sub->qname, (int)v->version);
            goto out;
        }
    }
    recs = fy_calloc(sub->n_versions + 3, sizeof *recs);
    fy_buf_putc(out, '[');
    if (!permanent) {
        recs[n].key = reg_key_delete_subject(sub->qname);
        recs[n].value = reg_value_delete_subject(sub->qname, latest->version);
        n++;
        size_t shown = 0;
        for (size_t i = 0; i < sub->n_versions; i++)
            if (!sub->versions[i]->deleted)
                fy_buf_printf(out, shown++ ? ",%d" : "%d", (int)sub->versions[i]->version);
    } else {
        for (size_t i = 0; i < sub->n_versions; i++)
            fy_buf_printf(out, i ? ",%d" : "%d", (int)sub->versions[i]->version);
        /* tombstones newest first, as Confluent */
        for (size_t i = sub->n_versions; i-- > 0;) {
            recs[n].key = reg_key_schema(sub->qname, sub->versions[i]->version);
            recs[n].value = NULL;
            n++;
        }
        n += drop_subject_settings(r, sub, recs + n);
    }
    fy_buf_putc(out, ']');
    if (reg_registry_write(r, recs, n, &offset, err) != 0) {
        fy_buf_reset(out);
        goto out;
    }
    rc = 0;
out:
    rc = reg_registry_unlock_sync(r, rc, offset, err);
    free(recs);
    ctx_subject_destroy(&cs);
    return rc;
}

int reg_h_context_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)out;
    struct reg_registry *r = hc->r;
    struct fy_err cerr = {0};
    char *context = ctx_context_normalize(hc->params[0], &cerr);
    fy_err_destroy(&cerr);
    if (!context)
        return fy_err_set(err, FY_E_BAD_REQUEST, "Invalid context '%s'", hc->params[0]);
    int rc = -1;
    int64_t offset = -1;
    pthread_mutex_lock(&r->wlock);
    struct reg_context *c = reg_index_context(&r->idx, context);
    if (!c || ctx_is_default(context)) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Context '%s' not found.", hc->params[0]);
        goto out;
    }
    if (c->subjects.count) {
        fy_err_set(err, REG_E_CONTEXT_NOT_EMPTY, "The specified context ':%s:' is not empty.",
                   context);
        goto out;
    }
    struct reg_write rec = {reg_key_context(context), NULL};
    if (reg_registry_write(r, &rec, 1, &offset, err) != 0)
        goto out;
    hc->status = 204;
    rc = 0;
out:
    rc = reg_registry_unlock_sync(r, rc, offset, err);
    free(context);
    return rc;
}
