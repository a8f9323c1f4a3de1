/* SPDX-License-Identifier: Apache-2.0
 * lnk_failback_plan: classify every DR version against the primary and lay
 * out the writes (see lnk_failback_plan.h). The planner simulates the
 * primary as it would look after each planned write, so that two DR
 * versions competing for the same spot, or a version that references a
 * renumbered one, are planned against the state the apply will meet.
 * Thread: any. */
#include "linker/lnk_failback_plan.h"

#include "common/fy_alloc.h"
#include "common/fy_map.h"
#include "contexts/ctx_name.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int lnk_fb_policy_parse(const char *s, enum lnk_fb_policy *out)
{
    if (strcmp(s, "fail") == 0)
        *out = LNK_FB_FAIL;
    else if (strcmp(s, "renumber") == 0)
        *out = LNK_FB_RENUMBER;
    else
        return -1;
    return 0;
}

const char *lnk_fb_policy_name(enum lnk_fb_policy p)
{
    return p == LNK_FB_RENUMBER ? "renumber" : "fail";
}

/* A version on the (simulated) primary. */
struct pver {
    char *subject;
    int version, id;
    char *ident;
};

/* A DR version and what the plan does with it. */
struct item {
    json_t *src; /* the DR Schema object (borrowed) */
    const char *subject;
    int version, id;
    bool deleted;
    char *context;  /* DR context of `subject` */
    char *psubject; /* the primary's subject, NULL = unlinked */
    char *pcontext;
    int visit;      /* 0 new, 1 in progress, 2 done */
    bool placed;    /* pversion/pid are valid (in sync, copy, renumber) */
    int pversion, pid;
    bool repair;
    json_t *out;    /* the listed plan item (borrowed from "items") */
};

struct planner {
    const struct lnk_fb_input *in;
    struct item *items;
    size_t n;
    struct fy_map dr_sv;     /* "subject\x1fversion" -> item */
    struct fy_map p_sv;      /* "subject\x1fversion" -> pver */
    struct fy_map p_id;      /* "context\x1fid" -> pver */
    struct fy_map p_ident;   /* "subject\x1fidentity" -> pver */
    struct fy_map p_latest;  /* subject -> pver with the highest version */
    struct fy_map p_max;     /* context -> pver with the highest id */
    struct fy_map renum;     /* "context\x1fdr id" -> (intptr_t) new id */
    struct fy_map id_seen;   /* "context\x1fdr id\x1fprimary id" already in id_changes */
    struct pver **pool;      /* every pver, for freeing */
    size_t n_pool;
    int dr_max_id;
    int next_alloc;          /* highest id handed out by renumbering */
    json_t *plan, *items_out, *counts, *id_changes;
};

static char *key2(const char *a, long long b)
{
    return fy_asprintf("%s\x1f%lld", a, b);
}

static char *key2s(const char *a, const char *b)
{
    return fy_asprintf("%s\x1f%s", a, b);
}

static void count(struct planner *p, const char *what)
{
    json_t *c = json_object_get(p->counts, what);
    json_object_set_new(p->counts, what, json_integer(json_integer_value(c) + 1));
}

/* `ref_subject` as written in a reference of a version of `owner_context`:
 * unqualified names live in the owner's context. **new**, qualified. */
static char *qualify_ref(const char *ref_subject, const char *owner_context)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(ref_subject, &cs, NULL) != 0)
        return fy_strdup(ref_subject);
    bool qualified = strncmp(ref_subject, ":.", 2) == 0;
    char *q = ctx_subject_format(qualified ? cs.context : owner_context, cs.name);
    ctx_subject_destroy(&cs);
    return q;
}

static char *context_of(const char *subject)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(subject, &cs, NULL) != 0)
        return fy_strdup(CTX_DEFAULT);
    char *c = fy_strdup(cs.wildcard ? CTX_DEFAULT : cs.context);
    ctx_subject_destroy(&cs);
    return c;
}

/* The identity text of a version: what makes two versions "the same". */
static char *identity(json_t *schema_obj, json_t *refs)
{
    json_t *o = json_object();
    json_object_set(o, "schema", json_object_get(schema_obj, "schema"));
    json_t *st = json_object_get(schema_obj, "schemaType");
    json_object_set_new(o, "schemaType", json_string(json_is_string(st) ? json_string_value(st)
                                                                         : "AVRO"));
    json_object_set(o, "references", refs);
    json_t *md = json_object_get(schema_obj, "metadata");
    json_t *rs = json_object_get(schema_obj, "ruleSet");
    json_object_set(o, "metadata", json_is_object(md) ? md : json_null());
    json_object_set(o, "ruleSet", json_is_object(rs) ? rs : json_null());
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* References of a stored version with qualified subjects (**new** array). */
static json_t *refs_qualified(json_t *schema_obj, const char *context)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(schema_obj, "references"), i, r)
    {
        const char *s = json_string_value(json_object_get(r, "subject"));
        char *q = qualify_ref(s ? s : "", context);
        json_t *c = json_pack("{s:O?,s:s,s:O?}", "name", json_object_get(r, "name"), "subject", q,
                              "version", json_object_get(r, "version"));
        free(q);
        json_array_append_new(out, c);
    }
    return out;
}

static bool well_formed(json_t *v)
{
    return json_is_string(json_object_get(v, "subject")) &&
           json_is_integer(json_object_get(v, "version")) &&
           json_is_integer(json_object_get(v, "id")) &&
           json_is_string(json_object_get(v, "schema"));
}

/* Record a version in the simulated primary. Takes `ident`. */
static void p_add(struct planner *p, const char *subject, int version, int id, char *ident)
{
    struct pver *pv = fy_calloc(1, sizeof *pv);
    pv->subject = fy_strdup(subject);
    pv->version = version;
    pv->id = id;
    pv->ident = ident;
    p->pool = fy_realloc(p->pool, (p->n_pool + 1) * sizeof *p->pool);
    p->pool[p->n_pool++] = pv;
    char *k = key2(subject, version);
    fy_map_put(&p->p_sv, k, pv);
    free(k);
    char *ctx = context_of(subject);
    k = key2(ctx, id);
    if (!fy_map_get(&p->p_id, k))
        fy_map_put(&p->p_id, k, pv);
    free(k);
    k = key2s(subject, ident);
    if (!fy_map_get(&p->p_ident, k))
        fy_map_put(&p->p_ident, k, pv);
    free(k);
    struct pver *l = fy_map_get(&p->p_latest, subject);
    if (!l || l->version < version)
        fy_map_put(&p->p_latest, subject, pv);
    struct pver *m = fy_map_get(&p->p_max, ctx);
    if (!m || m->id < id)
        fy_map_put(&p->p_max, ctx, pv);
    free(ctx);
}

static void load_primary(struct planner *p)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->in->primary, i, v)
    {
        if (!well_formed(v))
            continue;
        const char *subject = json_string_value(json_object_get(v, "subject"));
        char *ctx = context_of(subject);
        json_t *refs = refs_qualified(v, ctx);
        free(ctx);
        p_add(p, subject, (int)json_integer_value(json_object_get(v, "version")),
              (int)json_integer_value(json_object_get(v, "id")), identity(v, refs));
        json_decref(refs);
    }
}

/* DR's subject order: each subject's versions ascending. A renumbered version
 * takes its subject's next version on the primary, so walking a subject in
 * version order keeps DR's order there ("latest" stays DR's latest); across
 * subjects the walk follows references (visit). */
static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->subject, y->subject);
    if (c)
        return c;
    return (x->version > y->version) - (x->version < y->version);
}

static void load_dr(struct planner *p)
{
    size_t i;
    json_t *v;
    p->items = fy_calloc(json_array_size(p->in->dr) + 1, sizeof *p->items);
    json_array_foreach(p->in->dr, i, v)
    {
        if (!well_formed(v)) {
            count(p, "skipped");
            continue;
        }
        struct item *it = &p->items[p->n++];
        it->src = v;
        it->subject = json_string_value(json_object_get(v, "subject"));
        it->version = (int)json_integer_value(json_object_get(v, "version"));
        it->id = (int)json_integer_value(json_object_get(v, "id"));
        it->deleted = json_is_true(json_object_get(v, "deleted"));
        it->context = context_of(it->subject);
        it->psubject = p->in->to_primary(p->in->arg, it->subject);
        it->pcontext = it->psubject ? context_of(it->psubject) : NULL;
        if (it->id > p->dr_max_id)
            p->dr_max_id = it->id;
    }
    qsort(p->items, p->n, sizeof *p->items, cmp_item);
    for (size_t k = 0; k < p->n; k++) {
        char *key = key2(p->items[k].subject, p->items[k].version);
        fy_map_put(&p->dr_sv, key, &p->items[k]);
        free(key);
    }
}

/* The DR item a reference of `it` points at, or NULL. */
static struct item *ref_target(struct planner *p, const struct item *it, json_t *ref)
{
    const char *s = json_string_value(json_object_get(ref, "subject"));
    json_t *ver = json_object_get(ref, "version");
    if (!s || !json_is_integer(ver))
        return NULL;
    char *q = qualify_ref(s, it->context);
    char *k = key2(q, (long long)json_integer_value(ver));
    struct item *t = fy_map_get(&p->dr_sv, k);
    free(k);
    free(q);
    return t;
}

/* The references of `it` as the primary will store them; sets *changed when
 * a referenced version moved. **new** array. */
static json_t *map_refs(struct planner *p, const struct item *it, bool *changed)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(it->src, "references"), i, r)
    {
        const char *s = json_string_value(json_object_get(r, "subject"));
        char *q = qualify_ref(s ? s : "", it->context);
        char *ps = p->in->to_primary(p->in->arg, q);
        json_t *ver = json_object_get(r, "version");
        json_int_t v = json_integer_value(ver);
        struct item *t = ref_target(p, it, r);
        if (t && t->placed && t->pversion != v) {
            v = t->pversion;
            *changed = true;
        }
        json_t *c = json_pack("{s:O?,s:s,s:I}", "name", json_object_get(r, "name"), "subject",
                              ps ? ps : q, "version", v);
        json_array_append_new(out, c);
        free(ps);
        free(q);
    }
    return out;
}

static json_t *where(const char *subject, int version, int id)
{
    return json_pack("{s:s,s:i,s:i}", "subject", subject, "version", version, "id", id);
}

/* A fresh id in `context`: above everything either side holds there. */
static int fresh_id(struct planner *p, const char *context)
{
    struct pver *m = fy_map_get(&p->p_max, context);
    int top = m ? m->id : 0;
    if (p->dr_max_id > top)
        top = p->dr_max_id;
    if (p->next_alloc > top)
        top = p->next_alloc;
    p->next_alloc = top + 1;
    return top + 1;
}

static json_t *body_for(const struct item *it, json_t *refs)
{
    json_t *b = json_object();
    json_object_set(b, "schema", json_object_get(it->src, "schema"));
    json_t *st = json_object_get(it->src, "schemaType");
    if (json_is_string(st))
        json_object_set(b, "schemaType", st);
    if (json_array_size(refs))
        json_object_set(b, "references", refs);
    json_t *md = json_object_get(it->src, "metadata");
    if (json_is_object(md))
        json_object_set(b, "metadata", md);
    json_t *rs = json_object_get(it->src, "ruleSet");
    if (json_is_object(rs))
        json_object_set(b, "ruleSet", rs);
    json_object_set_new(b, "id", json_integer(it->pid));
    json_object_set_new(b, "version", json_integer(it->pversion));
    return b;
}

/* Report that data DR produced with it->id must be read with it->pid on the
 * primary: every placed version whose id differs (renumbered, or kept from an
 * earlier run), once per (context, DR id, primary id). */
static void id_change(struct planner *p, const struct item *it)
{
    char *k = fy_asprintf("%s\x1f%d\x1f%d", it->pcontext, it->id, it->pid);
    if (!fy_map_get(&p->id_seen, k)) {
        fy_map_put(&p->id_seen, k, (void *)1);
        json_array_append_new(p->id_changes, json_pack("{s:i,s:i,s:s}", "dr_id", it->id,
                                                       "primary_id", it->pid, "context",
                                                       it->pcontext));
    }
    free(k);
}

static void classify(struct planner *p, struct item *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "dr", where(it->subject, it->version, it->id));
    json_object_set_new(o, "deleted", json_boolean(it->deleted));
    if (!it->psubject) {
        json_object_set_new(o, "action", json_string("unlinked"));
        json_array_append_new(p->items_out, o);
        count(p, "unlinked");
        return;
    }
    bool changed = false;
    json_t *refs = map_refs(p, it, &changed);
    char *ident = identity(it->src, refs);
    char *k = key2(it->psubject, it->version);
    struct pver *at = fy_map_get(&p->p_sv, k);
    free(k);
    if (at && at->id == it->id && strcmp(at->ident, ident) == 0) {
        it->placed = true;
        it->pversion = it->version;
        it->pid = it->id;
        count(p, "in_sync");
        json_decref(o);
        json_decref(refs);
        free(ident);
        return;
    }
    k = key2(it->pcontext, it->id);
    struct pver *by_id = fy_map_get(&p->p_id, k);
    free(k);
    bool id_conflict = by_id && strcmp(by_id->ident, ident) != 0;
    json_t *conflicts = json_array();
    if (at)
        json_array_append_new(conflicts, json_pack("{s:s,s:s,s:i,s:i}", "kind", "version",
                                                   "subject", at->subject, "version",
                                                   at->version, "id", at->id));
    if (id_conflict)
        json_array_append_new(conflicts, json_pack("{s:s,s:i,s:s,s:i}", "kind", "id", "id",
                                                   by_id->id, "subject", by_id->subject,
                                                   "version", by_id->version));
    json_object_set_new(o, "conflicts", conflicts);
    json_object_set_new(o, "references_changed", json_boolean(changed));
    const char *action = "copy";
    bool kept = false, write = true;
    if (!at && !id_conflict) {
        it->pversion = it->version;
        it->pid = it->id;
        it->repair = changed; /* DR holds the old references: it gives way */
    } else {
        k = key2s(it->psubject, ident);
        struct pver *same = fy_map_get(&p->p_ident, k);
        free(k);
        if (same) { /* an earlier run kept it already: nothing to write */
            action = "renumber";
            kept = true;
            write = false;
            it->pversion = same->version;
            it->pid = same->id;
            if (same->id != it->id) { /* later DR uses of that id follow the same way */
                k = key2(it->pcontext, it->id);
                if (!fy_map_get(&p->renum, k))
                    fy_map_put(&p->renum, k, (void *)(intptr_t)same->id);
                free(k);
            }
        } else if (p->in->policy == LNK_FB_FAIL) {
            action = "conflict";
            write = false;
            it->pversion = it->version;
            it->pid = it->id;
            json_object_set_new(p->plan, "ok", json_false());
        } else {
            action = "renumber";
            struct pver *latest = fy_map_get(&p->p_latest, it->psubject);
            it->pversion = at ? latest->version + 1 : it->version;
            it->pid = it->id;
            if (id_conflict) {
                k = key2(it->pcontext, it->id);
                intptr_t prev = (intptr_t)fy_map_get(&p->renum, k);
                it->pid = prev ? (int)prev : fresh_id(p, it->pcontext);
                if (!prev)
                    fy_map_put(&p->renum, k, (void *)(intptr_t)it->pid);
                free(k);
            }
        }
        it->repair = strcmp(action, "conflict") != 0;
    }
    it->placed = strcmp(action, "conflict") != 0;
    if (it->placed && it->pid != it->id)
        id_change(p, it);
    json_object_set_new(o, "action", json_string(action));
    json_object_set_new(o, "kept", json_boolean(kept));
    json_object_set_new(o, "primary", where(it->psubject, it->pversion, it->pid));
    json_object_set_new(o, "dr_repair", json_boolean(it->repair));
    if (write) {
        json_object_set_new(o, "body", body_for(it, refs));
        p_add(p, it->psubject, it->pversion, it->pid, ident);
        ident = NULL;
    }
    count(p, kept ? "kept" : action);
    it->out = o;
    json_array_append_new(p->items_out, o);
    json_decref(refs);
    free(ident);
}

/* Depth first: whatever `it` references is planned (and so written) first. */
static void visit(struct planner *p, struct item *it)
{
    if (it->visit)
        return;
    it->visit = 1;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(it->src, "references"), i, r)
    {
        struct item *t = ref_target(p, it, r);
        if (t)
            visit(p, t);
    }
    classify(p, it);
    it->visit = 2;
}

/* Does `it` reference `target`? */
static bool references(struct planner *p, const struct item *it, const struct item *target)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(it->src, "references"), i, r)
    {
        if (ref_target(p, it, r) == target)
            return true;
    }
    return false;
}

/* Append `it` to the repairs after every referrer (a referenced version
 * cannot be deleted while something refers to it). */
static void emit_repair(struct planner *p, struct item *it, bool *emitted, json_t *out,
                        const char *why)
{
    size_t self = (size_t)(it - p->items);
    if (emitted[self])
        return;
    emitted[self] = true;
    for (size_t k = 0; k < p->n; k++) {
        struct item *y = &p->items[k];
        if (y != it && y->psubject && references(p, y, it))
            emit_repair(p, y, emitted, out, "references a version that gives way");
    }
    json_t *w = where(it->subject, it->version, it->id);
    json_object_set_new(w, "why", json_string(why));
    json_array_append_new(out, w);
}

static void plan_repairs(struct planner *p)
{
    bool *emitted = fy_calloc(p->n + 1, sizeof *emitted);
    json_t *out = json_array();
    for (size_t k = 0; k < p->n; k++) {
        struct item *it = &p->items[k];
        if (it->repair)
            emit_repair(p, it, emitted, out,
                        json_is_true(json_object_get(it->out, "references_changed")) &&
                                !json_array_size(json_object_get(it->out, "conflicts"))
                            ? "its references were renumbered"
                            : "the primary holds a different schema there");
    }
    json_object_set_new(p->plan, "dr_repairs", out);
    free(emitted);
}

json_t *lnk_failback_plan(const struct lnk_fb_input *in)
{
    struct planner p = {.in = in};
    fy_map_init(&p.dr_sv);
    fy_map_init(&p.p_sv);
    fy_map_init(&p.p_id);
    fy_map_init(&p.p_ident);
    fy_map_init(&p.p_latest);
    fy_map_init(&p.p_max);
    fy_map_init(&p.renum);
    fy_map_init(&p.id_seen);
    p.plan = json_object();
    p.items_out = json_array();
    p.id_changes = json_array();
    p.counts = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "dr_versions", 0, "in_sync", 0,
                         "copy", 0, "renumber", 0, "kept", 0, "conflict", 0, "unlinked", 0,
                         "skipped", 0);
    json_object_set_new(p.plan, "policy", json_string(lnk_fb_policy_name(in->policy)));
    json_object_set_new(p.plan, "ok", json_true());

    load_primary(&p);
    load_dr(&p);
    json_object_set_new(p.counts, "dr_versions", json_integer((json_int_t)p.n));
    for (size_t k = 0; k < p.n; k++)
        visit(&p, &p.items[k]);
    plan_repairs(&p);

    json_object_set_new(p.plan, "counts", p.counts);
    json_object_set_new(p.plan, "items", p.items_out);
    json_object_set_new(p.plan, "id_changes", p.id_changes);
    for (size_t k = 0; k < p.n; k++) {
        free(p.items[k].context);
        free(p.items[k].psubject);
        free(p.items[k].pcontext);
    }
    free(p.items);
    for (size_t k = 0; k < p.n_pool; k++) {
        free(p.pool[k]->subject);
        free(p.pool[k]->ident);
        free(p.pool[k]);
    }
    free(p.pool);
    fy_map_destroy(&p.dr_sv);
    fy_map_destroy(&p.p_sv);
    fy_map_destroy(&p.p_id);
    fy_map_destroy(&p.p_ident);
    fy_map_destroy(&p.p_latest);
    fy_map_destroy(&p.p_max);
    fy_map_destroy(&p.renum);
    fy_map_destroy(&p.id_seen);
    return p.plan;
}
