/* SPDX-License-Identifier: Apache-2.0
 * lnk_standalone: REST-polling link with a persisted cursor (see
 * lnk_standalone.h). Cursor file (JSON, replaced atomically):
 *   {"versions": {"<qualified subject>": {"<version>": {"id": N, "deleted": b}}},
 *    "config":   {"<qualified subject or :.ctx:>": <GET /config answer>},
 *    "mode":     {"<qualified subject>": "<subject-level mode>"},
 *    "cluster_id": "<source id>", "updated": <ms>}
 * Versions are applied in id order so that a reference is always imported
 * before its referrer. Loop rule as the exporter's: a subject whose effective
 * mode on the source is IMPORT was written by a link and is not copied. */
#include "linker/lnk_standalone.h"

#include "common/fy_alloc.h"
#include "common/fy_file.h"
#include "common/fy_log.h"
#include "common/fy_map.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "linker/lnk_apply.h"
#include "linker/lnk_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct lnk_standalone {
    const struct lnk_def *def;
    struct lnk_client *src, *dst;
    struct lnk_apply ap;
    char *state_path;
    char *cluster_id;
    json_t *cur; /* the cursor (owned) */
};

static json_t *section(json_t *cur, const char *k)
{
    json_t *o = json_object_get(cur, k);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(cur, k, o);
    }
    return o;
}

static int load_state(struct lnk_standalone *ls, struct fy_err *err)
{
    json_error_t je;
    FILE *f = fopen(ls->state_path, "r");
    if (!f) {
        if (errno != ENOENT)
            return fy_err_set(err, FY_E_IO, "%s: %s", ls->state_path, strerror(errno));
        ls->cur = json_object();
        return 0;
    }
    ls->cur = json_loadf(f, 0, &je);
    fclose(f);
    if (!json_is_object(ls->cur)) {
        json_decref(ls->cur);
        ls->cur = NULL;
        return fy_err_set(err, FY_E_CORRUPT, "%s: not a link cursor: %s (line %d)",
                          ls->state_path, je.text, je.line);
    }
    const char *cid = json_string_value(json_object_get(ls->cur, "cluster_id"));
    if (cid)
        ls->cluster_id = fy_strdup(cid);
    return 0;
}

/* Replaced whole (fy_file): a crash leaves the old or the new cursor. */
static int save_state(struct lnk_standalone *ls, struct fy_err *err)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_object_set_new(ls->cur, "updated",
                        json_integer((json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
    char *text = json_dumps(ls->cur, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = fy_file_write_atomic(ls->state_path, text, strlen(text), err);
    free(text);
    return rc;
}

struct lnk_standalone *lnk_standalone_new(const struct lnk_def *def, json_t *src_config,
                                          const char *state_path, struct fy_err *err)
{
    struct lnk_standalone *ls = fy_calloc(1, sizeof *ls);
    ls->def = def;
    ls->state_path = fy_strdup(state_path);
    ls->src = lnk_client_new(src_config, err);
    if (!ls->src)
        goto fail;
    ls->dst = lnk_client_new(def->config, err);
    if (!ls->dst)
        goto fail;
    if (load_state(ls, err) != 0)
        goto fail;
    lnk_apply_init(&ls->ap, def, ls->cluster_id, ls->dst);
    return ls;
fail:
    lnk_client_free(ls->src);
    lnk_client_free(ls->dst);
    free(ls->state_path);
    free(ls->cluster_id);
    free(ls);
    return NULL;
}

void lnk_standalone_free(struct lnk_standalone *ls)
{
    if (!ls)
        return;
    lnk_apply_destroy(&ls->ap);
    lnk_client_free(ls->src);
    lnk_client_free(ls->dst);
    json_decref(ls->cur);
    free(ls->state_path);
    free(ls->cluster_id);
    free(ls);
}

/* GET on the source: 0 with *out (**new**, NULL on 404-class `missing` codes),
 * or -1. `missing` lists error codes meaning "none" (0-terminated). */
static int src_get(struct lnk_standalone *ls, const char *path, const long *missing,
                   json_t **out, struct fy_err *err)
{
    long status;
    json_t *ans = NULL;
    *out = NULL;
    if (lnk_client_call(ls->src, "GET", path, NULL, &status, &ans, err) != 0)
        return -1;
    if (status == 200) {
        *out = ans;
        return 0;
    }
    json_t *c = json_object_get(ans, "error_code");
    long code = json_is_integer(c) ? (long)json_integer_value(c) : status;
    for (size_t i = 0; missing && missing[i]; i++) {
        if (missing[i] == code) {
            json_decref(ans);
            return 0;
        }
    }
    const char *m = json_string_value(json_object_get(ans, "message"));
    fy_err_set(err, FY_E_HTTP, "source GET %s answered %ld (error_code %ld): %s", path, status,
               code, m ? m : "");
    json_decref(ans);
    return -1;
}

static int by_id(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t ix = json_integer_value(json_object_get(x, "id"));
    json_int_t iy = json_integer_value(json_object_get(y, "id"));
    if (ix != iy)
        return ix < iy ? -1 : 1;
    json_int_t vx = json_integer_value(json_object_get(x, "version"));
    json_int_t vy = json_integer_value(json_object_get(y, "version"));
    return vx < vy ? -1 : vx > vy;
}

/* A mode answer's text, or NULL. */
static const char *mode_of(json_t *ans)
{
    return json_string_value(json_object_get(ans, "mode"));
}

struct pass {
    struct lnk_standalone *ls;
    json_t *modes;     /* qualified subject or :.ctx: -> own mode (string) or null */
    const char *top;   /* top-level mode */
};

/* The scope's own mode, fetched once per pass. NULL = none. */
static int own_mode(struct pass *p, const char *qs, const char **out, struct fy_err *err)
{
    static const long none[] = {40401, 40409, 0};
    json_t *m = json_object_get(p->modes, qs);
    if (!m) {
        char *s = fy_url_encode(qs, FY_URL_SAFE_SEGMENT);
        char *path = fy_asprintf("/mode/%s", s);
        json_t *ans = NULL;
        int rc = src_get(p->ls, path, none, &ans, err);
        free(path);
        free(s);
        if (rc != 0)
            return -1;
        m = mode_of(ans) ? json_string(mode_of(ans)) : json_null();
        json_object_set_new(p->modes, qs, m);
        json_decref(ans);
    }
    *out = json_string_value(m);
    return 0;
}

/* Does the subject belong to the link, per patterns and the loop rule? */
static int wanted(struct pass *p, const char *qs, const struct ctx_subject *cs, bool *yes,
                  struct fy_err *err)
{
    *yes = false;
    if (cs->wildcard || !cs->name[0] || !lnk_def_matches(p->ls->def, cs->context, cs->name))
        return 0;
    const char *m = NULL;
    if (own_mode(p, qs, &m, err) != 0)
        return -1;
    if (!m && !ctx_is_default(cs->context)) {
        char *cq = ctx_subject_format(cs->context, "");
        int rc = own_mode(p, cq, &m, err);
        free(cq);
        if (rc != 0)
            return -1;
    }
    if (!m)
        m = p->top;
    *yes = !m || strcmp(m, "IMPORT") != 0;
    return 0;
}

/* Config of `qs` (subject or :.ctx:) against the cursor; applies a change. */
static int sync_config(struct pass *p, const char *qs, const char *context, const char *name,
                       size_t *applied, struct fy_err *err)
{
    static const long none[] = {40401, 40408, 0};
    struct lnk_standalone *ls = p->ls;
    char *s = fy_url_encode(qs, FY_URL_SAFE_SEGMENT);
    char *path = fy_asprintf("/config/%s", s);
    json_t *cfg = NULL;
    int rc = src_get(ls, path, none, &cfg, err);
    free(path);
    free(s);
    if (rc != 0)
        return -1;
    json_t *cc = section(ls->cur, "config");
    json_t *was = json_object_get(cc, qs);
    if ((!cfg && !was) || (cfg && was && json_equal(cfg, was))) {
        json_decref(cfg);
        return 0;
    }
    rc = lnk_apply_config(&ls->ap, context, name, cfg, err);
    if (rc == 0) {
        (*applied)++;
        if (cfg)
            json_object_set(cc, qs, cfg);
        else
            json_object_del(cc, qs);
    }
    json_decref(cfg);
    return rc;
}

static int sync_mode(struct pass *p, const char *qs, const char *context, const char *name,
                     size_t *applied, struct fy_err *err)
{
    struct lnk_standalone *ls = p->ls;
    const char *m = NULL;
    if (own_mode(p, qs, &m, err) != 0)
        return -1;
    json_t *mc = section(ls->cur, "mode");
    const char *was = json_string_value(json_object_get(mc, qs));
    /* none and READWRITE are the same on the destination (the IMPORT scope) */
    const char *a = m && strcmp(m, "READWRITE") != 0 ? m : NULL;
    const char *b = was && strcmp(was, "READWRITE") != 0 ? was : NULL;
    if ((!a && !b) || (a && b && strcmp(a, b) == 0))
        return 0;
    if (lnk_apply_mode(&ls->ap, context, name, m, err) != 0)
        return -1;
    (*applied)++;
    if (a)
        json_object_set_new(mc, qs, json_string(a));
    else
        json_object_del(mc, qs);
    return 0;
}

static int pass_run(struct pass *p, size_t *applied, struct fy_err *err)
{
    struct lnk_standalone *ls = p->ls;
    int rc = -1;
    json_t *every = NULL, *live = NULL, *top = NULL;
    json_t **order = NULL;
    struct fy_map live_set, all_set, subjects, contexts;
    fy_map_init(&live_set);
    fy_map_init(&all_set);
    fy_map_init(&subjects);
    fy_map_init(&contexts);

    if (!ls->cluster_id) {
        json_t *md = NULL;
        if (src_get(ls, "/v1/metadata/id", NULL, &md, err) != 0)
            goto out;
        const char *cid = json_string_value(
            json_object_get(json_object_get(json_object_get(md, "scope"), "clusters"),
                            "kafka-cluster"));
        ls->cluster_id = fy_strdup(cid ? cid : "source");
        json_decref(md);
        json_object_set_new(ls->cur, "cluster_id", json_string(ls->cluster_id));
        ls->ap.cluster_id = ls->cluster_id;
    }
    if (lnk_client_get_all(ls->src, "/schemas?deleted=true&subjectPrefix=%3A%2A%3A",
                           LNK_LIST_PAGE, &every, err) != 0 ||
        lnk_client_get_all(ls->src, "/schemas?subjectPrefix=%3A%2A%3A", LNK_LIST_PAGE, &live,
                           err) != 0 ||
        src_get(ls, "/mode", NULL, &top, err) != 0)
        goto out;
    p->top = mode_of(top);
    size_t i, n = json_array_size(every);
    json_t *s;
    json_array_foreach(live, i, s)
    {
        char *k = fy_asprintf("%s\x1f%lld", json_string_value(json_object_get(s, "subject")),
                              (long long)json_integer_value(json_object_get(s, "version")));
        fy_map_put(&live_set, k, (void *)1);
        free(k);
    }
    order = fy_calloc(n ? n : 1, sizeof *order);
    for (i = 0; i < n; i++)
        order[i] = json_array_get(every, i);
    qsort(order, n, sizeof *order, by_id);

    json_t *vc = section(ls->cur, "versions");
    for (i = 0; i < n; i++) {
        s = order[i];
        const char *qs = json_string_value(json_object_get(s, "subject"));
        json_int_t v = json_integer_value(json_object_get(s, "version"));
        json_t *id = json_object_get(s, "id");
        if (!qs || v <= 0 || !json_is_integer(id))
            continue;
        char *k = fy_asprintf("%s\x1f%lld", qs, (long long)v);
        bool deleted = !fy_map_get(&live_set, k);
        fy_map_put(&all_set, k, (void *)1);
        free(k);
        struct ctx_subject cs;
        if (ctx_subject_parse(qs, &cs, err) != 0)
            goto out;
        bool yes = false;
        int wr = wanted(p, qs, &cs, &yes, err);
        if (wr == 0 && yes) {
            fy_map_put(&subjects, qs, (void *)1);
            if (!ctx_is_default(cs.context))
                fy_map_put(&contexts, cs.context, (void *)1);
        }
        char vkey[24];
        snprintf(vkey, sizeof vkey, "%lld", (long long)v);
        json_t *was = json_object_get(json_object_get(vc, qs), vkey);
        bool same = was && json_equal(json_object_get(was, "id"), id) &&
                    json_is_true(json_object_get(was, "deleted")) == deleted;
        int ar = 0;
        if (wr == 0 && yes && !same)
            ar = lnk_apply_version(&ls->ap, cs.context, cs.name, (int)v, s, deleted, err);
        if (wr == 0 && yes && !same && ar == 0) {
            json_t *sv = json_object_get(vc, qs);
            if (!sv) {
                sv = json_object();
                json_object_set_new(vc, qs, sv);
            }
            json_object_set_new(sv, vkey, json_pack("{s:O,s:b}", "id", id, "deleted", deleted));
            (*applied)++;
        }
        ctx_subject_destroy(&cs);
        if (wr != 0 || ar != 0)
            goto out;
    }
    /* versions in the cursor that the source no longer has: hard deleted */
    const char *qs;
    json_t *sv;
    void *it_tmp;
    json_object_foreach_safe(vc, it_tmp, qs, sv)
    {
        const char *vkey;
        json_t *x;
        void *it2;
        json_object_foreach_safe(sv, it2, vkey, x)
        {
            char *k = fy_asprintf("%s\x1f%s", qs, vkey);
            bool present = fy_map_get(&all_set, k) != NULL;
            free(k);
            if (present)
                continue;
            struct ctx_subject cs;
            if (ctx_subject_parse(qs, &cs, err) != 0)
                goto out;
            int pr = lnk_apply_version_purge(&ls->ap, cs.context, cs.name,
                                             (int)strtol(vkey, NULL, 10), err);
            ctx_subject_destroy(&cs);
            if (pr != 0)
                goto out;
            json_object_del(sv, vkey);
            (*applied)++;
        }
        if (json_object_size(sv) == 0)
            json_object_del(vc, qs);
    }
    /* subject and context config and mode */
    size_t it = 0;
    const char *key;
    while (fy_map_next(&subjects, &it, &key, NULL)) {
        struct ctx_subject cs;
        if (ctx_subject_parse(key, &cs, err) != 0)
            goto out;
        int r1 = sync_config(p, key, cs.context, cs.name, applied, err);
        int r2 = r1 == 0 ? sync_mode(p, key, cs.context, cs.name, applied, err) : -1;
        ctx_subject_destroy(&cs);
        if (r2 != 0)
            goto out;
    }
    it = 0;
    while (fy_map_next(&contexts, &it, &key, NULL)) {
        if (!lnk_def_matches(ls->def, key, ""))
            continue;
        char *cq = ctx_subject_format(key, "");
        int r1 = sync_config(p, cq, key, "", applied, err);
        free(cq);
        if (r1 != 0)
            goto out;
    }
    rc = 0;
out:
    fy_map_destroy(&contexts);
    fy_map_destroy(&subjects);
    fy_map_destroy(&all_set);
    fy_map_destroy(&live_set);
    free(order);
    json_decref(top);
    json_decref(live);
    json_decref(every);
    return rc;
}

int lnk_standalone_poll(struct lnk_standalone *ls, size_t *applied, struct fy_err *err)
{
    struct pass p = {.ls = ls, .modes = json_object()};
    *applied = 0;
    int rc = pass_run(&p, applied, err);
    json_decref(p.modes);
    if (rc != 0)
        lnk_apply_forget(&ls->ap); /* the destination may have been replaced */
    /* keep what was applied, even when the pass failed half way */
    if ((*applied || !json_object_get(ls->cur, "updated")) && save_state(ls, rc ? NULL : err) != 0)
        rc = -1;
    return rc;
}
