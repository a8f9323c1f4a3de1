/* SPDX-License-Identifier: Apache-2.0
 * lnk_dr_failover: the journaled DR failover (see lnk_dr_failover.h). The
 * order is Confluent's runbook for Cluster Linking + Schema Linking (fail
 * the mirror topics over, then switch the DR registry from IMPORT to
 * READWRITE), with the group offsets synced once more before the topics
 * stop: a stopped topic's groups belong to the DR side's consumers, the
 * mirror never translates them again (mir_control.c translate_cb).
 * Thread: the caller's. */
#include "linker/lnk_dr_failover.h"

#include "common/fy_alloc.h"
#include "common/fy_file.h"
#include "linker/lnk_client.h"
#include "linker/lnk_failover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOURNAL_MAX (16u << 20)
#define POLL_MS 200

struct run {
    struct lnk_dr *d;
    const struct lnk_dr_failover_opts *o;
    json_t *journal; /* {"operation","planned","started_ms","state","steps":{name: entry}} */
    json_t *rep;
    struct fy_err *err;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t int_of(json_t *o, const char *k, int64_t def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

static int journal_save(struct run *r)
{
    char *text = json_dumps(r->journal, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = fy_file_write_atomic(r->o->journal, text, strlen(text), r->err);
    free(text);
    return rc;
}

/* The journal of an earlier run: NULL when there is none (or it ended
 * refused: a refused planned failover changed nothing lasting). */
static int journal_load(struct run *r, json_t **out)
{
    *out = NULL;
    struct fy_err e = {0};
    char *text = fy_file_read(r->o->journal, JOURNAL_MAX, NULL, &e);
    if (!text) {
        if (errno == ENOENT && e.code == FY_E_IO) {
            fy_err_destroy(&e);
            return 0;
        }
        fy_err_set(r->err, e.code, "journal %s", fy_err_text(&e));
        fy_err_destroy(&e);
        return -1;
    }
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    free(text);
    if (!json_is_object(j) || !json_is_object(json_object_get(j, "steps")) ||
        !json_is_string(json_object_get(j, "state"))) {
        json_decref(j);
        return fy_err_set(r->err, FY_E_CORRUPT,
                          "journal %s is not a ferry dr journal (remove it to start over)",
                          r->o->journal);
    }
    if (strcmp(json_string_value(json_object_get(j, "state")), "refused") == 0) {
        json_decref(j);
        return 0;
    }
    *out = j;
    return 0;
}

/* A step's journaled entry, or NULL when it has not completed. */
static json_t *done_step(struct run *r, const char *name)
{
    json_t *s = json_object_get(json_object_get(r->journal, "steps"), name);
    return json_is_true(json_object_get(s, "ok")) ? s : NULL;
}

/* Record a finished step (steals `res`): journal first, then report. */
static int finish_step(struct run *r, const char *name, json_t *res, bool ok, int64_t t0)
{
    json_object_set_new(res, "step", json_string(name));
    json_object_set_new(res, "ok", json_boolean(ok));
    json_object_set_new(res, "ms", json_integer(wall_ms() - t0));
    json_object_set_new(res, "ended_ms", json_integer(wall_ms()));
    json_object_set(json_object_get(r->journal, "steps"), name, res);
    int rc = journal_save(r);
    json_t *entry = json_deep_copy(res);
    json_object_set_new(entry, "earlier_run", json_false());
    json_array_append_new(json_object_get(r->rep, "steps"), entry);
    if (r->o->progress)
        r->o->progress(r->o->progress_arg, entry);
    json_decref(res);
    return rc;
}

static void replay_step(struct run *r, json_t *done)
{
    json_t *entry = json_deep_copy(done);
    json_object_set_new(entry, "earlier_run", json_true());
    json_array_append_new(json_object_get(r->rep, "steps"), entry);
    if (r->o->progress)
        r->o->progress(r->o->progress_arg, entry);
}

/* ------------------------------------------------------------- steps */

static json_t *step_before(struct run *r)
{
    json_t *st = lnk_dr_status(r->d, wall_ms());
    json_t *res = json_pack("{s:O,s:O}", "rpo", json_object_get(st, "rpo"), "problems",
                            json_object_get(st, "problems"));
    json_decref(st);
    return res;
}

static json_t *step_primary_readonly(struct run *r, bool *ok)
{
    json_t *scopes = json_array();
    json_t *res = json_pack("{s:o}", "scopes", scopes);
    *ok = r->d->primary != NULL;
    if (!r->d->primary) {
        json_object_set_new(res, "note", json_string("no primary.schema.registry.url: a planned "
                                                     "failover needs the primary"));
        return res;
    }
    for (size_t i = 0; i < r->d->conf->n_primary_scopes; i++) {
        const char *scope = r->d->conf->primary_scopes[i];
        struct fy_err e = {0};
        char *mode = NULL;
        json_t *s = json_pack("{s:s}", "scope", scope);
        json_array_append_new(scopes, s);
        if (lnk_failover_mode_get(r->d->primary, scope, &mode, &e) != 0 ||
            (strncmp(mode, "READONLY", 8) != 0 &&
             lnk_failover_mode_put(r->d->primary, scope, "READONLY", &e) != 0)) {
            json_object_set_new(s, "error", json_string(fy_err_text(&e)));
            *ok = false;
        } else {
            json_object_set_new(s, "before", json_string(mode));
            json_object_set_new(s, "after", json_string(strncmp(mode, "READONLY", 8) == 0
                                                            ? mode : "READONLY"));
        }
        free(mode);
        fy_err_destroy(&e);
    }
    return res;
}

/* Give the primary's scopes their modes from before primary_readonly. */
static json_t *undo_readonly(struct run *r)
{
    json_t *undone = json_array();
    json_t *prev = json_object_get(done_step(r, "primary_readonly"), "scopes");
    size_t i;
    json_t *s;
    json_array_foreach(prev, i, s)
    {
        const char *scope = json_string_value(json_object_get(s, "scope"));
        const char *before = json_string_value(json_object_get(s, "before"));
        if (!scope || !before || strncmp(before, "READONLY", 8) == 0)
            continue;
        struct fy_err e = {0};
        json_t *u = json_pack("{s:s,s:s}", "scope", scope, "mode", before);
        if (lnk_failover_mode_put(r->d->primary, scope, before, &e) != 0)
            json_object_set_new(u, "error", json_string(fy_err_text(&e)));
        json_array_append_new(undone, u);
        fy_err_destroy(&e);
    }
    return undone;
}

/* What is not drained yet, in words (appended to `behind`); the source
 * end offsets of every live topic go to *ends for the stability check. */
static void drain_check(struct run *r, json_t *behind, json_t **ends)
{
    struct fy_err e = {0};
    char buf[400];
    *ends = json_object();
    if (r->d->mirror) {
        json_t *ms = lnk_dr_mirror_status(r->d, &e);
        if (!ms) {
            snprintf(buf, sizeof buf, "mirror: %s", fy_err_text(&e));
            json_array_append_new(behind, json_string(buf));
        } else if (!json_is_true(json_object_get(json_object_get(ms, "source"), "reachable"))) {
            json_array_append_new(behind, json_string("mirror: source cluster unreachable"));
        }
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(ms, "topics"), i, t)
        {
            const char *name = json_string_value(json_object_get(t, "topic"));
            const char *state = json_string_value(json_object_get(t, "state"));
            if (!name || !state || strcmp(state, "STOPPED") == 0)
                continue;
            json_t *pe = json_array();
            size_t k;
            json_t *p;
            bool unknown = json_array_size(json_object_get(t, "partitions")) == 0;
            json_array_foreach(json_object_get(t, "partitions"), k, p)
            {
                json_array_append(pe, json_object_get(p, "source_end"));
                unknown = unknown || int_of(p, "source_end", -1) < 0; /* never fetched */
            }
            json_object_set_new(*ends, name, pe);
            int64_t lag = int_of(t, "lag", -1);
            if (unknown) /* lag 0 means nothing while the end is unknown */
                snprintf(buf, sizeof buf, "topic %s: source end offsets not known yet", name);
            else if (strcmp(state, "FAILED") == 0 || strcmp(state, "PAUSED") == 0)
                snprintf(buf, sizeof buf, "topic %s: %s, %lld records behind", name, state,
                         (long long)lag);
            else if (lag != 0)
                snprintf(buf, sizeof buf, "topic %s: %lld records behind (%.1f s)", name,
                         (long long)lag, (double)int_of(t, "lag_ms", 0) / 1000.0);
            else
                continue;
            json_array_append_new(behind, json_string(buf));
        }
        json_decref(ms);
    }
    fy_err_clear(&e);
    if (r->d->primary && r->d->conf->exporter) {
        int64_t rec = 0, ms = 0;
        if (lnk_dr_exporter_lag(r->d, &rec, &ms, &e) != 0) {
            snprintf(buf, sizeof buf, "exporter '%s': %s", r->d->conf->exporter, fy_err_text(&e));
            json_array_append_new(behind, json_string(buf));
        } else if (rec > 0) {
            for (size_t i = 0; i < r->d->conf->n_scopes; i++) {
                snprintf(buf, sizeof buf, "scope %s: %lld schema change(s) behind (%.1f s)",
                         r->d->conf->scopes[i], (long long)rec, (double)ms / 1000.0);
                json_array_append_new(behind, json_string(buf));
            }
        }
    }
    fy_err_destroy(&e);
}

static json_t *step_drain(struct run *r, bool *ok)
{
    int64_t deadline = wall_ms() + r->o->drain_timeout_ms;
    json_t *prev = NULL, *behind = NULL;
    int polls = 0;
    *ok = false;
    for (;;) {
        json_t *ends = NULL;
        json_decref(behind);
        behind = json_array();
        drain_check(r, behind, &ends);
        polls++;
        /* zero lag against end offsets that did not move since the last
         * look: nobody is producing any more, what the mirror saw is all */
        if (!json_array_size(behind) && prev && json_equal(prev, ends)) {
            json_decref(ends);
            *ok = true;
            break;
        }
        if (prev && !json_equal(prev, ends) && !json_array_size(behind))
            json_array_append_new(behind, json_string("source end offsets still moving: "
                                                      "are the producers stopped?"));
        json_decref(prev);
        prev = ends;
        if (wall_ms() >= deadline)
            break;
        sleep_ms(polls == 1 ? 500 : POLL_MS * 2);
    }
    json_decref(prev);
    json_t *res = json_pack("{s:i}", "polls", polls);
    if (!*ok)
        json_object_set_new(res, "behind", behind);
    else
        json_decref(behind);
    return res;
}

static json_t *step_group_sync(struct run *r, bool planned, bool *ok)
{
    struct fy_err e = {0};
    long status = 0;
    json_t *ans = NULL, *res = json_object();
    *ok = true;
    if (!r->d->mirror) {
        json_object_set_new(res, "note", json_string("no mirror configured"));
        goto out;
    }
    json_t *ms = lnk_dr_mirror_status(r->d, &e);
    json_t *g = json_object_get(ms, "groups");
    int64_t last = int_of(g, "last_sync_ms", 0);
    json_object_set_new(res, "previous_sync_ms", last > 0 ? json_integer(last) : json_null());
    bool src_up = json_is_true(json_object_get(json_object_get(ms, "source"), "reachable"));
    json_decref(ms);
    if (!src_up) {
        char *n = fy_asprintf("source unreachable: consumer groups on DR stay as of the last "
                              "sync%s", last > 0 ? "" : " (there was none)");
        json_object_set_new(res, "note", json_string(n));
        json_object_set_new(res, "synced", json_false());
        free(n);
        *ok = !planned;
        goto out;
    }
    if (lnk_client_call(r->d->mirror, "POST", "/groups/sync", NULL, &status, &ans, &e) != 0 ||
        status != 202) {
        char *n = fy_asprintf("sync request failed: %s",
                              e.code ? fy_err_text(&e) : "the mirror does not know /groups/sync");
        json_object_set_new(res, "note", json_string(n));
        json_object_set_new(res, "synced", json_false());
        free(n);
        *ok = !planned;
        goto out;
    }
    int64_t requested = int_of(ans, "requested_ms", 0);
    int64_t deadline = wall_ms() + r->o->group_sync_timeout_ms;
    for (;;) {
        fy_err_clear(&e);
        ms = lnk_dr_mirror_status(r->d, &e);
        g = json_object_get(ms, "groups");
        last = int_of(g, "last_sync_ms", 0);
        if (last >= requested) {
            json_object_set_new(res, "synced", json_true());
            json_object_set_new(res, "sync_ms", json_integer(last));
            json_object_set(res, "groups", json_object_get(g, "synced"));
            json_object_set(res, "offsets", json_object_get(g, "offsets"));
            json_decref(ms);
            break;
        }
        json_decref(ms);
        if (wall_ms() >= deadline) {
            char *n = fy_asprintf("no group sync finished within %lld ms: consumer groups on DR "
                                  "stay as of the last sync",
                                  (long long)r->o->group_sync_timeout_ms);
            json_object_set_new(res, "note", json_string(n));
            json_object_set_new(res, "synced", json_false());
            free(n);
            *ok = !planned;
            break;
        }
        sleep_ms(50);
    }
out:
    json_decref(ans);
    fy_err_destroy(&e);
    return res;
}

static json_t *step_mirror_failover(struct run *r, bool planned, bool *ok)
{
    struct fy_err e = {0};
    long status = 0;
    json_t *ans = NULL, *res = json_object(), *topics = json_array();
    json_object_set_new(res, "topics", topics);
    *ok = true;
    if (!r->d->mirror) {
        json_object_set_new(res, "note", json_string("no mirror configured"));
        goto out;
    }
    if (lnk_client_call(r->d->mirror, "POST", "/failover", NULL, &status, &ans, &e) != 0 ||
        status != 200) {
        const char *m = json_string_value(json_object_get(ans, "message"));
        char *n = fy_asprintf("mirror failover: %s", e.code ? fy_err_text(&e) : m ? m : "refused");
        json_object_set_new(res, "note", json_string(n));
        free(n);
        *ok = false;
        goto out;
    }
    json_array_extend(topics, json_object_get(ans, "topics"));
    /* topics an earlier, crashed run stopped: their report is their last_stop */
    json_t *ms = lnk_dr_mirror_status(r->d, &e);
    size_t i, k;
    json_t *t, *x;
    json_array_foreach(json_object_get(ms, "topics"), i, t)
    {
        const char *name = json_string_value(json_object_get(t, "topic"));
        bool listed = false;
        json_array_foreach(topics, k, x)
            listed = listed || (name && json_equal(json_object_get(x, "topic"),
                                                    json_object_get(t, "topic")));
        const char *state = json_string_value(json_object_get(t, "state"));
        if (listed || !state)
            continue;
        if (strcmp(state, "STOPPED") == 0 && json_object_get(t, "last_stop"))
            json_array_append(topics, json_object_get(t, "last_stop"));
        else if (strcmp(state, "STOPPED") != 0)
            *ok = false; /* still copying: the failover did not reach it */
    }
    json_decref(ms);
    int64_t lost = 0, lost_ms = 0;
    bool complete = true;
    json_array_foreach(topics, i, t)
    {
        lost += int_of(t, "lost_records", 0);
        int64_t l = int_of(t, "lost_ms", 0);
        lost_ms = l > lost_ms ? l : lost_ms;
        complete = complete && json_is_true(json_object_get(t, "complete"));
    }
    json_object_set_new(res, "lost_records", json_integer(lost));
    json_object_set_new(res, "lost_ms", json_integer(lost_ms));
    json_object_set_new(res, "complete", json_boolean(complete));
    if (planned && lost)
        json_object_set_new(res, "note", json_string("records were lost although the mirror "
                                                     "had drained: were producers still running?"));
out:
    json_decref(ans);
    fy_err_destroy(&e);
    return res;
}

static json_t *step_registry(struct run *r, bool *ok)
{
    const struct lnk_dr_conf *c = r->d->conf;
    struct lnk_failover_opts fo = {
        .dr_config = c->dr,
        .primary_config = c->primary,
        .scopes = c->scopes,
        .n_scopes = c->n_scopes,
        .exporter = c->exporter,
    };
    int st = 0;
    struct fy_err e = {0};
    /* the exporter's lag just before it is paused is what never reaches DR
     * (read after, it would count the pause's own journal record) */
    int64_t rec = 0, ms = 0;
    bool lag_known = r->d->primary && c->exporter && lnk_dr_exporter_lag(r->d, &rec, &ms, &e) == 0;
    fy_err_clear(&e);
    json_t *res = lnk_failover_run(&fo, wall_ms(), &st, &e);
    if (!res) {
        res = json_pack("{s:s}", "note", fy_err_text(&e));
        *ok = false;
        fy_err_destroy(&e);
        return res;
    }
    *ok = st == LNK_FAILOVER_OK;
    if (lag_known) {
        json_object_set_new(res, "schema_changes_lost", json_integer(rec));
        json_object_set_new(res, "schema_lost_ms", json_integer(ms));
    } else {
        json_object_set_new(res, "schema_changes_lost", json_null());
        json_object_set(res, "schema_lost_ms", json_object_get(res, "rpo_ms"));
    }
    fy_err_destroy(&e);
    return res;
}

/* ------------------------------------------------------------- driver */

static void summarize(struct run *r, int64_t t_run)
{
    json_t *rep = r->rep;
    json_t *mf = json_object_get(json_object_get(r->journal, "steps"), "mirror_failover");
    json_t *rg = json_object_get(json_object_get(r->journal, "steps"), "registry");
    json_t *topics = json_object_get(mf, "topics"), *scopes = json_object_get(rg, "scopes");
    json_object_set_new(rep, "topics", topics ? json_incref(topics) : json_array());
    json_object_set_new(rep, "scopes", scopes ? json_incref(scopes) : json_array());
    json_t *sl = json_object_get(rg, "schema_changes_lost");
    json_t *sm = json_object_get(rg, "schema_lost_ms");
    json_object_set(rep, "schema_changes_lost", sl ? sl : json_null());
    json_object_set(rep, "schema_lost_ms", sm ? sm : json_null());
    json_object_set(rep, "topic_records_lost",
                    mf && json_object_get(mf, "lost_records") ? json_object_get(mf, "lost_records")
                                                              : json_null());
    int64_t accepted = int_of(rg, "ended_ms", 0);
    int64_t mfe = int_of(mf, "ended_ms", 0);
    accepted = mfe > accepted ? mfe : accepted;
    json_object_set_new(rep, "rto_ms",
                        done_step(r, "registry") && done_step(r, "mirror_failover")
                            ? json_integer(accepted - int_of(r->journal, "started_ms", 0))
                            : json_null());
    json_object_set_new(rep, "run_ms", json_integer(wall_ms() - t_run));
}

json_t *lnk_dr_failover(struct lnk_dr *d, const struct lnk_dr_failover_opts *o, int *status,
                        struct fy_err *err)
{
    struct run r = {.d = d, .o = o, .err = err};
    int64_t t_run = wall_ms();
    *status = LNK_DR_FAILED;
    if (journal_load(&r, &r.journal) != 0) {
        *status = LNK_DR_USAGE;
        return NULL;
    }
    bool resumed = r.journal != NULL;
    if (!r.journal)
        r.journal = json_pack("{s:s,s:b,s:I,s:s,s:{}}", "operation", "failover", "planned",
                              o->planned, "started_ms", (json_int_t)t_run, "state", "running",
                              "steps");
    const char *jstate = json_string_value(json_object_get(r.journal, "state"));
    bool already = strcmp(jstate, "done") == 0;
    r.rep = json_pack("{s:s,s:b,s:s,s:b,s:b,s:O,s:I,s:[]}", "operation", "failover", "planned",
                      o->planned, "journal", o->journal, "resumed", resumed && !already,
                      "already_done", already, "started_ms",
                      json_object_get(r.journal, "started_ms"), "run_started_ms",
                      (json_int_t)t_run, "steps");
    if (!resumed && journal_save(&r) != 0)
        goto fail;
    static const char *const unplanned[] = {"before", "group_sync", "mirror_failover",
                                            "registry", NULL};
    static const char *const planned[] = {"before", "primary_readonly", "drain", "group_sync",
                                          "mirror_failover", "registry", NULL};
    /* a failover begun planned and resumed unplanned (the primary died in
     * between) keeps what the planned steps did */
    const char *const *steps = o->planned ? planned : unplanned;
    bool ok = true;
    for (size_t i = 0; steps[i] && ok; i++) {
        const char *name = steps[i];
        json_t *done = done_step(&r, name);
        if (done) {
            replay_step(&r, done);
            continue;
        }
        if (already)
            continue;
        int64_t t0 = wall_ms();
        json_t *res = NULL;
        ok = true;
        if (strcmp(name, "before") == 0)
            res = step_before(&r);
        else if (strcmp(name, "primary_readonly") == 0)
            res = step_primary_readonly(&r, &ok);
        else if (strcmp(name, "drain") == 0)
            res = step_drain(&r, &ok);
        else if (strcmp(name, "group_sync") == 0)
            res = step_group_sync(&r, o->planned, &ok);
        else if (strcmp(name, "mirror_failover") == 0)
            res = step_mirror_failover(&r, o->planned, &ok);
        else
            res = step_registry(&r, &ok);
        json_t *behind = json_incref(json_object_get(res, "behind"));
        if (finish_step(&r, name, res, ok, t0) != 0) {
            json_decref(behind);
            goto fail;
        }
        if (!ok && o->planned && (strcmp(name, "drain") == 0 || strcmp(name, "group_sync") == 0 ||
                                  strcmp(name, "primary_readonly") == 0)) {
            /* refused before anything irreversible: the primary goes on as before */
            char *why = fy_asprintf("planned failover refused at step %s: %s", name,
                                    behind ? "not drained within the timeout"
                                           : "see the step's note");
            json_object_set_new(r.rep, "refused", json_string(why));
            free(why);
            json_object_set_new(r.rep, "behind", behind ? behind : json_array());
            behind = NULL;
            if (d->primary)
                json_object_set_new(r.rep, "restored", undo_readonly(&r));
            json_object_set_new(r.journal, "state", json_string("refused"));
            if (journal_save(&r) != 0)
                goto fail;
        }
        json_decref(behind);
    }
    if (ok && !already) {
        json_object_set_new(r.journal, "state", json_string("done"));
        if (journal_save(&r) != 0)
            goto fail;
    }
    summarize(&r, t_run);
    *status = ok ? LNK_DR_OK : LNK_DR_FAILED;
    json_object_set_new(r.rep, "status", json_integer(*status));
    json_decref(r.journal);
    return r.rep;
fail:
    json_decref(r.journal);
    json_decref(r.rep);
    *status = LNK_DR_USAGE;
    return NULL;
}
