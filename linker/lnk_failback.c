/* SPDX-License-Identifier: Apache-2.0
 * lnk_failback: fetch both inventories, plan (lnk_failback_plan.c), and with
 * --apply carry the plan out and restore the link's direction (the steps are
 * listed in lnk_failback.h). Each step appends {"step", "ok", ...} to the
 * report so that an operator sees how far it got.
 * Thread: the caller's. */
#include "linker/lnk_failback.h"

#include "common/fy_alloc.h"
#include "common/fy_map.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "linker/lnk_client.h"
#include "linker/lnk_exporter.h"
#include "linker/lnk_failover.h"

#include <stdlib.h>
#include <string.h>

/* A primary subject put into IMPORT by this run, with its own mode before. */
struct frozen {
    char *subject;
    char *mode; /* NULL: none of its own */
};

struct fb {
    const struct lnk_failback_opts *o;
    struct lnk_client *dr, *pr;
    struct lnk_def def;
    bool have_def;
    char *cluster_id;
    json_t *rep, *steps;
    char **dr_before; /* each scope's mode before the freeze, NULL = not frozen */
    struct frozen *frozen;
    size_t n_frozen;
};

static const char *msg_of(json_t *ans)
{
    const char *m = json_string_value(json_object_get(ans, "message"));
    return m ? m : "";
}

static long code_of(json_t *ans, long status)
{
    json_t *c = json_object_get(ans, "error_code");
    return json_is_integer(c) ? (long)json_integer_value(c) : status;
}

static json_t *step(struct fb *f, const char *what, bool ok, const char *detail)
{
    json_t *s = json_pack("{s:s,s:b}", "step", what, "ok", ok);
    if (detail)
        json_object_set_new(s, ok ? "detail" : "error", json_string(detail));
    json_array_append_new(f->steps, s);
    return s;
}

/* One call that must answer 2xx, or one of `accept` (error codes or HTTP
 * statuses). 0 / -1 with a message in `why` (caller frees). */
static int call(struct lnk_client *cl, const char *method, const char *path, const char *body,
                const long *accept, json_t **out, char **why)
{
    struct fy_err e = {0};
    long status = 0;
    json_t *ans = NULL;
    int rc = -1;
    if (lnk_client_call(cl, method, path, body, &status, &ans, &e) != 0) {
        *why = fy_asprintf("%s %s: %s", method, path, fy_err_text(&e));
        goto out;
    }
    long code = code_of(ans, status);
    bool ok = status >= 200 && status < 300;
    for (size_t i = 0; !ok && accept && accept[i]; i++)
        ok = accept[i] == code || accept[i] == status;
    if (!ok) {
        *why = fy_asprintf("%s %s answered HTTP %ld (error_code %ld): %s", method, path, status,
                           code, msg_of(ans));
        goto out;
    }
    rc = 0;
    if (out) {
        *out = ans;
        ans = NULL;
    }
out:
    json_decref(ans);
    fy_err_destroy(&e);
    return rc;
}

static char *seg(const char *s)
{
    return fy_url_encode(s, FY_URL_SAFE_SEGMENT);
}

/* ---- the link's mapping --------------------------------------------------- */

static int load_exporter(struct fb *f)
{
    char *name = seg(f->o->exporter);
    char *path = fy_asprintf("/exporters/%s", name);
    json_t *info = NULL, *md = NULL;
    char *why = NULL;
    struct fy_err e = {0};
    int rc = -1;
    if (call(f->pr, "GET", path, NULL, NULL, &info, &why) != 0)
        goto out;
    if (lnk_def_from_request(info, NULL, &f->def, &e) != 0) {
        why = fy_asprintf("exporter '%s' on the primary: %s", f->o->exporter, fy_err_text(&e));
        goto out;
    }
    f->have_def = true;
    if (call(f->pr, "GET", "/v1/metadata/id", NULL, NULL, &md, &why) != 0)
        goto out;
    /* the same id the exporter names AUTO contexts after (lnk_standalone.c) */
    const char *cid = json_string_value(json_object_get(
        json_object_get(json_object_get(md, "scope"), "clusters"), "kafka-cluster"));
    f->cluster_id = fy_strdup(cid ? cid : "source");
    rc = 0;
out:
    step(f, "read the link's mapping (the primary's exporter)", rc == 0, why);
    free(why);
    json_decref(md);
    json_decref(info);
    free(path);
    free(name);
    fy_err_destroy(&e);
    return rc;
}

/* lnk_fb_map_fn: DR subject -> the primary subject the exporter maps there. */
static char *to_primary(void *arg, const char *dr_subject)
{
    struct fb *f = arg;
    char *ctx = NULL, *name = NULL, *out = NULL;
    if (lnk_def_source_subject(&f->def, f->cluster_id, dr_subject, &ctx, &name) != 0)
        return NULL;
    if (name[0] && lnk_def_matches(&f->def, ctx, name))
        out = ctx_subject_format(ctx, name);
    free(ctx);
    free(name);
    return out;
}

/* ---- inventories ---------------------------------------------------------- */

/* The listing prefix of a DR scope and, for a subject scope, the exact
 * subject (a prefix lists "orders-v2" with "orders"). */
static int scope_prefix(const char *scope, char **prefix, char **exact)
{
    struct fy_err e = {0};
    *exact = NULL;
    if (scope[0] == '.') {
        char *c = ctx_context_normalize(scope, &e);
        fy_err_destroy(&e);
        if (!c)
            return -1;
        *prefix = ctx_is_default(c) ? fy_strdup("") : ctx_subject_format(c, "");
        free(c);
        return 0;
    }
    struct ctx_subject cs;
    if (ctx_subject_parse(scope, &cs, &e) != 0) {
        fy_err_destroy(&e);
        return -1;
    }
    *prefix = ctx_subject_format(cs.context, cs.name);
    if (cs.name[0])
        *exact = fy_strdup(*prefix);
    ctx_subject_destroy(&cs);
    return 0;
}

/* Every version of the DR scopes, with "deleted" set. */
static json_t *dr_inventory(struct fb *f, char **why)
{
    json_t *inv = json_array();
    struct fy_err e = {0};
    for (size_t i = 0; i < f->o->n_scopes; i++) {
        char *prefix = NULL, *exact = NULL;
        if (scope_prefix(f->o->scopes[i], &prefix, &exact) != 0) {
            *why = fy_asprintf("DR scope '%s' is not a valid context or subject",
                               f->o->scopes[i]);
            goto fail;
        }
        char *px = seg(prefix);
        char *all_path = fy_asprintf("/schemas?deleted=true&subjectPrefix=%s", px);
        char *live_path = fy_asprintf("/schemas?subjectPrefix=%s", px);
        json_t *all = NULL, *live = NULL;
        int rc = lnk_client_get_all(f->dr, all_path, LNK_LIST_PAGE, &all, &e);
        if (rc == 0)
            rc = lnk_client_get_all(f->dr, live_path, LNK_LIST_PAGE, &live, &e);
        free(all_path);
        free(live_path);
        free(px);
        if (rc != 0) {
            *why = fy_asprintf("reading DR scope '%s': %s", f->o->scopes[i], fy_err_text(&e));
            free(prefix);
            free(exact);
            json_decref(all);
            goto fail;
        }
        struct fy_map live_set;
        fy_map_init(&live_set);
        size_t k;
        json_t *v;
        json_array_foreach(live, k, v)
        {
            char *key = fy_asprintf("%s\x1f%lld", json_string_value(json_object_get(v, "subject")),
                                    (long long)json_integer_value(json_object_get(v, "version")));
            fy_map_put(&live_set, key, v);
            free(key);
        }
        json_array_foreach(all, k, v)
        {
            const char *s = json_string_value(json_object_get(v, "subject"));
            /* a context scope lists only that context; a prefix may list more */
            if (!s || (exact && strcmp(s, exact) != 0) ||
                (!exact && prefix[0] && strncmp(s, prefix, strlen(prefix)) != 0) ||
                (!exact && !prefix[0] && s[0] == ':'))
                continue;
            char *key = fy_asprintf("%s\x1f%lld", s,
                                    (long long)json_integer_value(json_object_get(v, "version")));
            json_object_set_new(v, "deleted", json_boolean(!fy_map_get(&live_set, key)));
            free(key);
            json_array_append(inv, v);
        }
        fy_map_destroy(&live_set);
        json_decref(all);
        json_decref(live);
        free(prefix);
        free(exact);
    }
    fy_err_destroy(&e);
    return inv;
fail:
    fy_err_destroy(&e);
    json_decref(inv);
    return NULL;
}

static json_t *primary_inventory(struct fb *f, char **why)
{
    struct fy_err e = {0};
    json_t *inv = NULL;
    if (lnk_client_get_all(f->pr, "/schemas?deleted=true&subjectPrefix=%3A%2A%3A",
                           LNK_LIST_PAGE, &inv, &e) != 0)
        *why = fy_asprintf("reading the primary: %s", fy_err_text(&e));
    fy_err_destroy(&e);
    return inv;
}

static json_t *make_plan(struct fb *f, const char *label)
{
    char *why = NULL;
    json_t *plan = NULL, *pinv = NULL;
    json_t *dinv = dr_inventory(f, &why);
    if (dinv)
        pinv = primary_inventory(f, &why);
    if (pinv) {
        struct lnk_fb_input in = {.dr = dinv, .primary = pinv, .to_primary = to_primary,
                                  .arg = f, .policy = f->o->policy};
        plan = lnk_failback_plan(&in);
    }
    char *detail = NULL;
    if (plan) {
        json_t *c = json_object_get(plan, "counts");
        detail = fy_asprintf("%lld DR versions: %lld in sync, %lld to copy, %lld to renumber, "
                             "%lld kept, %lld conflicts, %lld unlinked",
                             (long long)json_integer_value(json_object_get(c, "dr_versions")),
                             (long long)json_integer_value(json_object_get(c, "in_sync")),
                             (long long)json_integer_value(json_object_get(c, "copy")),
                             (long long)json_integer_value(json_object_get(c, "renumber")),
                             (long long)json_integer_value(json_object_get(c, "kept")),
                             (long long)json_integer_value(json_object_get(c, "conflict")),
                             (long long)json_integer_value(json_object_get(c, "unlinked")));
    }
    step(f, label, plan != NULL, plan ? detail : why);
    free(detail);
    free(why);
    json_decref(dinv);
    json_decref(pinv);
    return plan;
}

/* ---- modes ---------------------------------------------------------------- */

static char *mode_path(const char *scope_seg, bool force)
{
    const char *q = force ? "?force=true" : "";
    return scope_seg[0] ? fy_asprintf("/mode/%s%s", scope_seg, q) : fy_asprintf("/mode%s", q);
}

/* The effective mode of a scope path segment ("" = top level), **new**. */
static char *effective_mode(struct lnk_client *cl, const char *scope_seg, char **why)
{
    char *p = mode_path(scope_seg, false);
    char *get = fy_asprintf("%s?defaultToGlobal=true", p);
    json_t *ans = NULL;
    char *m = NULL;
    if (call(cl, "GET", get, NULL, NULL, &ans, why) == 0) {
        const char *s = json_string_value(json_object_get(ans, "mode"));
        m = s ? fy_strdup(s) : NULL;
        if (!m)
            *why = fy_asprintf("GET %s: no mode in the answer", get);
    }
    json_decref(ans);
    free(get);
    free(p);
    return m;
}

static int put_mode(struct lnk_client *cl, const char *scope_seg, const char *mode, bool force,
                    char **why)
{
    char *p = mode_path(scope_seg, force);
    char *body = fy_asprintf("{\"mode\":\"%s\"}", mode);
    int rc = call(cl, "PUT", p, body, NULL, NULL, why);
    free(body);
    free(p);
    return rc;
}

/* Step 2: every DR scope into IMPORT, remembering its mode. */
static int freeze_dr(struct fb *f)
{
    f->dr_before = fy_calloc(f->o->n_scopes + 1, sizeof *f->dr_before);
    for (size_t i = 0; i < f->o->n_scopes; i++) {
        const char *scope = f->o->scopes[i];
        char *why = NULL, *sseg = NULL, *before = NULL;
        struct fy_err e = {0};
        sseg = lnk_failover_scope_path(scope, &e);
        if (!sseg)
            why = fy_asprintf("DR scope '%s': %s", scope, fy_err_text(&e));
        if (sseg)
            before = effective_mode(f->dr, sseg, &why);
        if (before && strcmp(before, "IMPORT") != 0 && put_mode(f->dr, sseg, "IMPORT", true, &why) == 0)
            f->dr_before[i] = fy_strdup(before);
        char *label = fy_asprintf("DR scope %s: %s -> IMPORT (DR stops taking writes there)",
                                  scope, before ? before : "?");
        step(f, label, why == NULL, why);
        free(label);
        free(before);
        free(sseg);
        fy_err_destroy(&e);
        if (why) {
            free(why);
            return -1;
        }
    }
    return 0;
}

/* Undo freeze_dr (a refused apply): each scope back to the mode it had. */
static void thaw_dr(struct fb *f)
{
    for (size_t i = 0; f->dr_before && i < f->o->n_scopes; i++) {
        if (!f->dr_before[i])
            continue;
        struct fy_err e = {0};
        char *why = NULL;
        char *sseg = lnk_failover_scope_path(f->o->scopes[i], &e);
        if (sseg)
            put_mode(f->dr, sseg, f->dr_before[i], false, &why);
        char *label = fy_asprintf("DR scope %s: back to %s (nothing was applied)",
                                  f->o->scopes[i], f->dr_before[i]);
        step(f, label, why == NULL, why);
        free(label);
        free(why);
        free(sseg);
        fy_err_destroy(&e);
    }
}

static bool is_frozen(const struct fb *f, const char *subject)
{
    for (size_t i = 0; i < f->n_frozen; i++)
        if (strcmp(f->frozen[i].subject, subject) == 0)
            return true;
    return false;
}

/* Step 3: the primary subjects `plan` writes to, each into IMPORT. Returns
 * how many were newly frozen, or -1. */
static long freeze_primary(struct fb *f, json_t *plan)
{
    static const long no_mode[] = {40401, 40409, 404, 0};
    long added = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(plan, "items"), i, it)
    {
        if (!json_object_get(it, "body"))
            continue;
        const char *s = json_string_value(json_object_get(json_object_get(it, "primary"),
                                                          "subject"));
        if (!s || is_frozen(f, s))
            continue;
        char *why = NULL, *sseg = seg(s);
        char *get = fy_asprintf("/mode/%s", sseg);
        json_t *ans = NULL;
        int rc = call(f->pr, "GET", get, NULL, no_mode, &ans, &why);
        const char *own = json_string_value(json_object_get(ans, "mode"));
        if (rc == 0)
            rc = put_mode(f->pr, sseg, "IMPORT", true, &why);
        if (rc == 0) {
            f->frozen = fy_realloc(f->frozen, (f->n_frozen + 1) * sizeof *f->frozen);
            f->frozen[f->n_frozen].subject = fy_strdup(s);
            f->frozen[f->n_frozen].mode = own ? fy_strdup(own) : NULL;
            f->n_frozen++;
            added++;
        } else {
            char *label = fy_asprintf("primary subject %s -> IMPORT", s);
            step(f, label, false, why);
            free(label);
        }
        json_decref(ans);
        free(get);
        free(sseg);
        free(why);
        if (rc != 0)
            return -1;
    }
    return added;
}

/* Step 7a: every frozen primary subject back to its own mode. */
static int thaw_primary(struct fb *f)
{
    static const long gone[] = {40401, 40409, 404, 0};
    int rc = 0;
    for (size_t i = 0; i < f->n_frozen; i++) {
        char *why = NULL, *sseg = seg(f->frozen[i].subject);
        int r;
        if (f->frozen[i].mode) {
            r = put_mode(f->pr, sseg, f->frozen[i].mode, false, &why);
        } else {
            char *p = fy_asprintf("/mode/%s", sseg);
            r = call(f->pr, "DELETE", p, NULL, gone, NULL, &why);
            free(p);
        }
        if (r != 0) {
            char *label = fy_asprintf("primary subject %s: mode back to %s", f->frozen[i].subject,
                                      f->frozen[i].mode ? f->frozen[i].mode : "inherited");
            step(f, label, false, why);
            free(label);
            rc = -1;
        }
        free(why);
        free(sseg);
    }
    if (rc == 0 && f->n_frozen) {
        char *d = fy_asprintf("%zu subject(s) back to their own modes", f->n_frozen);
        step(f, "primary subjects out of IMPORT", true, d);
        free(d);
    }
    return rc;
}

/* Step 7b: the primary's contexts that received versions are READWRITE. */
static int primary_readwrite(struct fb *f, json_t *plan)
{
    struct fy_map seen;
    fy_map_init(&seen);
    int rc = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(plan, "items"), i, it)
    {
        const char *s = json_string_value(json_object_get(json_object_get(it, "primary"),
                                                          "subject"));
        struct ctx_subject cs;
        if (!s || ctx_subject_parse(s, &cs, NULL) != 0)
            continue;
        char *scope = ctx_is_default(cs.context) ? fy_strdup("") : ctx_subject_format(cs.context, "");
        ctx_subject_destroy(&cs);
        if (fy_map_get(&seen, scope)) {
            free(scope);
            continue;
        }
        fy_map_put(&seen, scope, (void *)1);
        char *why = NULL, *sseg = seg(scope);
        char *m = effective_mode(f->pr, sseg, &why);
        if (m && strcmp(m, "READWRITE") != 0 && put_mode(f->pr, sseg, "READWRITE", false, &why) == 0) {
            char *label = fy_asprintf("primary scope %s: %s -> READWRITE", scope[0] ? scope : ".", m);
            step(f, label, true, NULL);
            free(label);
        }
        if (why) {
            step(f, "primary READWRITE", false, why);
            rc = -1;
        }
        free(m);
        free(why);
        free(sseg);
        free(scope);
    }
    fy_map_destroy(&seen);
    return rc;
}

/* ---- writes --------------------------------------------------------------- */

/* Step 5: the plan's versions onto the primary, in plan order (referenced
 * versions first). */
static int write_primary(struct fb *f, json_t *plan)
{
    static const long soft_gone[] = {40406, 0};
    size_t i, n = 0;
    json_t *it;
    json_array_foreach(json_object_get(plan, "items"), i, it)
    {
        json_t *body = json_object_get(it, "body");
        if (!body)
            continue;
        json_t *pw = json_object_get(it, "primary");
        const char *s = json_string_value(json_object_get(pw, "subject"));
        long long v = (long long)json_integer_value(json_object_get(pw, "version"));
        char *sseg = seg(s), *why = NULL;
        char *path = fy_asprintf("/subjects/%s/versions", sseg);
        char *text = json_dumps(body, JSON_COMPACT);
        int rc = call(f->pr, "POST", path, text, NULL, NULL, &why);
        if (rc == 0 && json_is_true(json_object_get(it, "deleted"))) {
            char *d = fy_asprintf("/subjects/%s/versions/%lld", sseg, v);
            rc = call(f->pr, "DELETE", d, NULL, soft_gone, NULL, &why);
            free(d);
        }
        free(text);
        free(path);
        free(sseg);
        if (rc != 0) {
            char *label = fy_asprintf("write %s version %lld to the primary", s, v);
            step(f, label, false, why);
            free(label);
            free(why);
            return -1;
        }
        n++;
    }
    char *d = fy_asprintf("%zu version(s) written with their planned ids and versions", n);
    step(f, "write to the primary (IMPORT)", true, d);
    free(d);
    return 0;
}

/* Step 6: DR versions that give way, referrers first: soft, then hard. */
static int repair_dr(struct fb *f, json_t *plan)
{
    static const long soft_gone[] = {40401, 40402, 40406, 0};
    static const long hard_gone[] = {40401, 40402, 0};
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(json_object_get(plan, "dr_repairs"), i, r)
    {
        const char *s = json_string_value(json_object_get(r, "subject"));
        long long v = (long long)json_integer_value(json_object_get(r, "version"));
        char *sseg = seg(s), *why = NULL;
        char *soft = fy_asprintf("/subjects/%s/versions/%lld", sseg, v);
        char *hard = fy_asprintf("%s?permanent=true", soft);
        int rc = call(f->dr, "DELETE", soft, NULL, soft_gone, NULL, &why);
        if (rc == 0)
            rc = call(f->dr, "DELETE", hard, NULL, hard_gone, NULL, &why);
        free(hard);
        free(soft);
        free(sseg);
        if (rc != 0) {
            char *label = fy_asprintf("DR %s version %lld gives way", s, v);
            step(f, label, false, why);
            free(label);
            free(why);
            return -1;
        }
        n++;
    }
    if (n) {
        char *d = fy_asprintf("%zu DR version(s) removed; the link brings the primary's back", n);
        step(f, "DR versions give way", true, d);
        free(d);
    }
    return 0;
}

static int exporter_op(struct fb *f, const char *op, const char *label)
{
    char *name = seg(f->o->exporter), *why = NULL;
    char *path = fy_asprintf("/exporters/%s/%s", name, op);
    int rc = call(f->pr, "PUT", path, NULL, NULL, NULL, &why);
    char *l = fy_asprintf("%s exporter '%s'", label, f->o->exporter);
    step(f, l, rc == 0, why);
    free(l);
    free(why);
    free(path);
    free(name);
    return rc;
}

/* ---- the procedure -------------------------------------------------------- */

/* Steps 3-8, with DR frozen and the exporter paused. */
static int apply(struct fb *f, json_t **planp)
{
    json_t *plan = *planp;
    /* freeze what the plan writes to, then plan again against the frozen
     * primary; a new target subject means another round */
    for (int round = 0; round < 4; round++) {
        long added = freeze_primary(f, plan);
        if (added < 0)
            goto undo;
        if (added == 0 && round > 0)
            break;
        json_t *again = make_plan(f, "plan again against the frozen primary");
        if (!again)
            goto undo;
        json_decref(plan);
        plan = *planp = again;
        if (added == 0)
            break;
    }
    if (!json_is_true(json_object_get(plan, "ok"))) {
        step(f, "apply", false,
             "conflicts under --on-conflict=fail: nothing written (see the plan; "
             "--on-conflict=renumber keeps the DR schemas under new ids)");
        goto undo;
    }
    if (write_primary(f, plan) != 0 || repair_dr(f, plan) != 0) {
        thaw_primary(f);
        return -1;
    }
    if (thaw_primary(f) != 0 || primary_readwrite(f, plan) != 0)
        return -1;
    if (json_array_size(json_object_get(plan, "dr_repairs")) &&
        exporter_op(f, "reset", "reset (re-send everything to DR)") != 0)
        return -1;
    return exporter_op(f, "resume", "resume");
undo:
    thaw_primary(f);
    thaw_dr(f);
    return -1;
}

json_t *lnk_failback_run(const struct lnk_failback_opts *o, int *status, struct fy_err *err)
{
    struct fb f = {.o = o};
    json_t *plan = NULL;
    int st = LNK_FAILBACK_FAILED;
    f.dr = lnk_client_new(o->dr_config, err);
    if (f.dr)
        f.pr = lnk_client_new(o->primary_config, err);
    if (!f.dr || !f.pr)
        goto out;
    f.rep = json_object();
    f.steps = json_array();
    json_object_set_new(f.rep, "dr", json_string(lnk_client_url(f.dr)));
    json_object_set_new(f.rep, "primary", json_string(lnk_client_url(f.pr)));
    json_object_set_new(f.rep, "exporter", json_string(o->exporter));
    json_object_set_new(f.rep, "apply", json_boolean(o->apply));
    json_object_set_new(f.rep, "policy", json_string(lnk_fb_policy_name(o->policy)));
    if (load_exporter(&f) != 0)
        goto done;
    if (o->apply && (exporter_op(&f, "pause", "pause") != 0 || freeze_dr(&f) != 0)) {
        thaw_dr(&f);
        goto done;
    }
    plan = make_plan(&f, "plan");
    if (!plan) {
        thaw_dr(&f);
        goto done;
    }
    if (!o->apply)
        st = json_is_true(json_object_get(plan, "ok")) ? LNK_FAILBACK_OK : LNK_FAILBACK_FAILED;
    else
        st = apply(&f, &plan) == 0 ? LNK_FAILBACK_OK : LNK_FAILBACK_FAILED;
done:
    json_object_set_new(f.rep, "plan", plan ? plan : json_null());
    json_object_set_new(f.rep, "steps", f.steps);
    json_object_set_new(f.rep, "status", json_integer(st));
    *status = st;
out:
    for (size_t i = 0; f.dr_before && i < o->n_scopes; i++)
        free(f.dr_before[i]);
    free(f.dr_before);
    for (size_t i = 0; i < f.n_frozen; i++) {
        free(f.frozen[i].subject);
        free(f.frozen[i].mode);
    }
    free(f.frozen);
    free(f.cluster_id);
    if (f.have_def)
        lnk_def_destroy(&f.def);
    lnk_client_free(f.pr);
    lnk_client_free(f.dr);
    return f.rep;
}
