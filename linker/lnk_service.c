/* SPDX-License-Identifier: Apache-2.0
 * lnk_service: the /exporters REST API, exporter lifecycle and journal
 * (see lnk_service.h). Journal records, in the registry's store next to the
 * `_schemas` records (the registry index skips unknown key types):
 *   {"keytype":"EXPORTER","name":"x","magic":0}       -> ExporterInfo + "paused"
 *   {"keytype":"EXPORTER_STATE","name":"x","magic":0} -> {"name":"x","offset":N}
 * (N = next source offset to export). Deleting an exporter tombstones both.
 * Errors: 40450 unknown exporter (404), 40950 name taken (409), 42250
 * invalid definition (422). */
#include "linker/lnk_int.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "common/fy_log.h"
#include "common/fy_secret.h"
#include "linker/lnk_client.h"
#include "registry/reg_records.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const state_names[] = {"UNASSIGNED", "STARTING", "RUNNING", "PAUSED",
                                          "ERROR"};

const char *lnk_state_name(enum lnk_state s)
{
    return state_names[s];
}

/* ---- journal ---------------------------------------------------------------- */

static char *exp_key(const char *keytype, const char *name)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"keytype\":");
    fy_jsonout_str(&b, keytype);
    fy_buf_puts(&b, ",\"name\":");
    fy_jsonout_str(&b, name);
    fy_buf_puts(&b, ",\"magic\":0}");
    return fy_buf_steal(&b);
}

/* Write records through the registry's writer path and wait until durable. */
static int journal_put(struct lnk_service *svc, struct reg_write *recs, size_t n,
                       struct fy_err *err)
{
    int64_t offset = -1;
    pthread_mutex_lock(&svc->r->wlock);
    int rc = reg_registry_write(svc->r, recs, n, &offset, err);
    pthread_mutex_unlock(&svc->r->wlock);
    if (rc == 0)
        rc = reg_registry_sync(svc->r, offset, err);
    return rc;
}

static int journal_def(struct lnk_service *svc, const struct lnk_def *d, struct fy_err *err)
{
    json_t *j = lnk_def_to_json(d, true);
    /* credentials never reach the disk in clear once a key is configured */
    if (svc->o.secrets) { /* a copy: the record's config is the live definition's */
        json_t *sealed = json_deep_copy(json_object_get(j, "config"));
        fy_secret_seal_config(svc->o.secrets, sealed);
        json_object_set_new(j, "config", sealed);
    }
    struct reg_write rec = {exp_key("EXPORTER", d->name), json_dumps(j, JSON_COMPACT)};
    json_decref(j);
    return journal_put(svc, &rec, 1, err);
}

int lnk_journal_state(struct lnk_service *svc, const char *name, int64_t next, int64_t epoch,
                      struct fy_err *err)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"name\":");
    fy_jsonout_str(&b, name);
    fy_buf_printf(&b, ",\"offset\":%lld", (long long)next);
    if (epoch)
        fy_buf_printf(&b, ",\"epoch\":%lld", (long long)epoch);
    fy_buf_putc(&b, '}');
    struct reg_write rec = {exp_key("EXPORTER_STATE", name), fy_buf_steal(&b)};
    return journal_put(svc, &rec, 1, err);
}

/* Replay: the last EXPORTER record of each name wins; of its EXPORTER_STATE
 * records the last one of the highest epoch (lnk_journal_state). */
struct replay_pos {
    int64_t offset, epoch;
};

struct replay {
    const struct fy_secret_box *secrets;
    struct fy_map defs;    /* name -> struct lnk_def * */
    struct fy_map offsets; /* name -> struct replay_pos * */
};

bool lnk_has_text(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return true;
    return false;
}

/* An EXPORTER record's value with its config's sealed credentials opened
 * (records written without a key pass through): **new** text, or NULL with err. */
static char *open_sealed(const struct fy_secret_box *box, const char *value, size_t len,
                         struct fy_err *err)
{
    json_t *v = json_loadb(value, len, 0, NULL);
    if (!v)
        return fy_strndup(value, len); /* lnk_def_from_journal reports it */
    char *out = NULL;
    if (fy_secret_open_config(box, json_object_get(v, "config"), err) == 0)
        out = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return out;
}

static int replay_record(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    struct replay *rp = arg;
    if (!lnk_has_text(rec->key, rec->klen, "\"EXPORTER"))
        return 0; /* cheap pre-filter: most records are schemas */
    json_t *k = json_loadb(rec->key, rec->klen, 0, NULL);
    const char *kt = json_string_value(json_object_get(k, "keytype"));
    const char *name = json_string_value(json_object_get(k, "name"));
    if (!kt || !name) {
        json_decref(k);
        return 0;
    }
    if (strcmp(kt, "EXPORTER") == 0) {
        struct lnk_def *old = fy_map_del(&rp->defs, name);
        if (old) {
            lnk_def_destroy(old);
            free(old);
        }
        if (rec->value) {
            struct lnk_def *d = fy_calloc(1, sizeof *d);
            struct fy_err e = {0};
            char *clear = open_sealed(rp->secrets, rec->value, rec->vlen, &e);
            if (!clear) {
                /* a wrong or missing key: refuse to start rather than drop the exporter */
                free(d);
                fy_err_set(err, FY_E_CONFIG, "exporter '%s': %s", name, e.msg);
                json_decref(k); /* `name` is borrowed from it */
                fy_err_destroy(&e);
                return -1;
            }
            int prc = lnk_def_from_journal(clear, strlen(clear), d, &e);
            free(clear);
            if (prc == 0) {
                fy_map_put(&rp->defs, name, d);
            } else {
                fy_log(FY_LOG_ERROR, "linker", "msg=\"unreadable exporter record skipped\" "
                       "exporter=%s offset=%lld reason=\"%s\"", name, (long long)rec->offset,
                       e.msg);
                free(d);
            }
            fy_err_destroy(&e);
        }
    } else if (strcmp(kt, "EXPORTER_STATE") == 0) {
        if (!rec->value) {
            free(fy_map_del(&rp->offsets, name));
        } else {
            json_t *v = json_loadb(rec->value, rec->vlen, 0, NULL);
            json_t *o = json_object_get(v, "offset");
            int64_t epoch = json_integer_value(json_object_get(v, "epoch")); /* absent: 0 */
            struct replay_pos *p = fy_map_get(&rp->offsets, name);
            if (json_is_integer(o) && (!p || epoch >= p->epoch)) {
                if (!p) {
                    p = fy_malloc(sizeof *p);
                    fy_map_put(&rp->offsets, name, p);
                }
                p->offset = json_integer_value(o);
                p->epoch = epoch;
            }
            json_decref(v);
        }
    }
    json_decref(k);
    return 0;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A runtime exporter for `d` (stolen) at position `next`, worker started. Locks: mu held. */
static struct lnk_exp *exp_start(struct lnk_service *svc, struct lnk_def *d, int64_t next,
                                 int64_t epoch)
{
    struct lnk_exp *ex = fy_calloc(1, sizeof *ex);
    ex->svc = svc;
    ex->def = *d;
    memset(d, 0, sizeof *d);
    ex->next = next;
    ex->epoch = epoch;
    ex->ts = now_ms();
    ex->state = ex->def.paused ? LNK_PAUSED : LNK_STARTING;
    fy_map_put(&svc->exps, ex->def.name, ex);
    if (pthread_create(&ex->thread, NULL, lnk_worker_main, ex) == 0)
        ex->started = true;
    else
        fy_log(FY_LOG_ERROR, "linker", "msg=\"cannot start worker\" exporter=%s", ex->def.name);
    return ex;
}

/* Stop and join the worker, free. Locks: ctl_mu held, mu NOT held (the join
 * waits for the worker, which takes mu). The exporter is already unlinked. */
static void exp_stop_free(struct lnk_service *svc, struct lnk_exp *ex)
{
    pthread_mutex_lock(&svc->mu);
    ex->stop = true;
    atomic_store(&ex->abort, true);
    pthread_mutex_unlock(&svc->mu);
    reg_registry_feed_wake(svc->r);
    if (ex->started)
        pthread_join(ex->thread, NULL);
    lnk_def_destroy(&ex->def);
    free(ex->trace);
    free(ex);
}

struct lnk_service *lnk_service_new(struct reg_registry *r, const struct lnk_service_opts *opts,
                                    struct fy_err *err)
{
    struct lnk_service *svc = fy_calloc(1, sizeof *svc);
    svc->r = r;
    if (opts)
        svc->o = *opts;
    if (!svc->o.max_exporters)
        svc->o.max_exporters = 32;
    if (!svc->o.max_lanes)
        svc->o.max_lanes = 8;
    pthread_mutex_init(&svc->mu, NULL);
    pthread_mutex_init(&svc->ctl_mu, NULL);
    pthread_mutex_init(&svc->jmu, NULL);
    fy_map_init(&svc->exps);
    lnk_client_global_init();

    struct replay rp = {.secrets = svc->o.secrets};
    fy_map_init(&rp.defs);
    fy_map_init(&rp.offsets);
    int rc = reg_store_read_from(r->store, 0, replay_record, &rp, NULL, err);
    size_t it = 0;
    const char *name;
    void *v;
    pthread_mutex_lock(&svc->mu);
    while (fy_map_next(&rp.defs, &it, &name, &v)) {
        struct lnk_def *d = v;
        if (rc == 0) {
            struct replay_pos *pos = fy_map_get(&rp.offsets, name);
            fy_log(FY_LOG_INFO, "linker", "msg=\"exporter resumed\" exporter=%s offset=%lld "
                   "paused=%s", name, (long long)(pos ? pos->offset : 0),
                   d->paused ? "true" : "false");
            exp_start(svc, d, pos ? pos->offset : 0, pos ? pos->epoch : 0);
        }
        lnk_def_destroy(d);
        free(d);
    }
    pthread_mutex_unlock(&svc->mu);
    it = 0;
    while (fy_map_next(&rp.offsets, &it, &name, &v))
        free(v);
    fy_map_destroy(&rp.defs);
    fy_map_destroy(&rp.offsets);
    if (rc == 0)
        rc = reg_route_add_extension(r, "exporters", lnk_service_handle, svc, err);
    if (rc != 0) {
        lnk_service_free(svc);
        return NULL;
    }
    if (svc->o.metrics)
        fy_metrics_add_collector(svc->o.metrics, lnk_metrics_collect, svc);
    return svc;
}

void lnk_service_free(struct lnk_service *svc)
{
    if (!svc)
        return;
    fy_metrics_remove_collector(svc->o.metrics, lnk_metrics_collect, svc);
    pthread_mutex_lock(&svc->ctl_mu);
    for (;;) {
        size_t it = 0;
        const char *name;
        void *v;
        pthread_mutex_lock(&svc->mu);
        bool any = fy_map_next(&svc->exps, &it, &name, &v);
        if (any)
            fy_map_del(&svc->exps, name);
        pthread_mutex_unlock(&svc->mu);
        if (!any)
            break;
        exp_stop_free(svc, v);
    }
    pthread_mutex_unlock(&svc->ctl_mu);
    fy_map_destroy(&svc->exps);
    pthread_mutex_destroy(&svc->mu);
    pthread_mutex_destroy(&svc->ctl_mu);
    pthread_mutex_destroy(&svc->jmu);
    lnk_client_global_cleanup();
    free(svc);
}

/* ---- REST --------------------------------------------------------------------- */

static int not_found(const char *name, struct fy_err *err)
{
    return fy_err_set(err, REG_E_EXPORTER_NOT_FOUND, "Exporter '%s' not found.", name);
}

static void put_name(struct fy_buf *out, const char *name)
{
    fy_buf_puts(out, "{\"name\":");
    fy_jsonout_str(out, name);
    fy_buf_putc(out, '}');
}

static void put_json(struct fy_buf *out, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    fy_buf_puts(out, text);
    free(text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int h_list(struct lnk_service *svc, struct fy_buf *out)
{
    pthread_mutex_lock(&svc->mu);
    size_t n = 0, it = 0;
    const char **names = fy_calloc(svc->exps.count + 1, sizeof *names);
    const char *name;
    void *v;
    while (fy_map_next(&svc->exps, &it, &name, &v))
        names[n++] = ((struct lnk_exp *)v)->def.name;
    qsort(names, n, sizeof *names, cmp_str);
    fy_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            fy_buf_putc(out, ',');
        fy_jsonout_str(out, names[i]);
    }
    fy_buf_putc(out, ']');
    pthread_mutex_unlock(&svc->mu);
    free(names);
    return 0;
}

static int h_create(struct lnk_service *svc, const struct reg_ext_req *req, struct fy_buf *out,
                    struct fy_err *err)
{
    struct lnk_def d;
    if (lnk_def_from_request(req->body, req->context, &d, err) != 0)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&svc->ctl_mu);
    pthread_mutex_lock(&svc->mu);
    bool taken = fy_map_get(&svc->exps, d.name) != NULL;
    size_t count = svc->exps.count;
    pthread_mutex_unlock(&svc->mu);
    if (taken) {
        fy_err_set(err, REG_E_EXPORTER_EXISTS, "Exporter '%s' already exists.", d.name);
        goto out;
    }
    /* every exporter is threads and connections: bounded like Confluent's
     * TooManySchemaExportersException (40964) */
    if (count >= svc->o.max_exporters) {
        fy_err_set(err, REG_E_TOO_MANY_EXPORTERS,
                   "Too many exporters: the limit is %zu (ferry.link.max.exporters)",
                   svc->o.max_exporters);
        goto out;
    }
    /* the position first: a crash between the two leaves no exporter */
    if (lnk_journal_state(svc, d.name, 0, 0, err) != 0 || journal_def(svc, &d, err) != 0)
        goto out;
    char *shown = fy_secret_url_redact(
        json_string_value(json_object_get(d.config, "schema.registry.url")));
    fy_log(FY_LOG_INFO, "linker", "msg=\"exporter created\" exporter=%s contextType=%s url=%s",
           d.name, lnk_ctx_type_name(d.ctx_type), shown ? shown : "");
    free(shown);
    put_name(out, d.name);
    pthread_mutex_lock(&svc->mu);
    exp_start(svc, &d, 0, 0);
    pthread_mutex_unlock(&svc->mu);
    rc = 0;
out:
    pthread_mutex_unlock(&svc->ctl_mu);
    lnk_def_destroy(&d);
    return rc;
}

enum change { CH_UPDATE, CH_CONFIG, CH_PAUSE, CH_RESUME, CH_RESET };

/* Every control change of an existing exporter: build the new definition,
 * journal it, publish it to the worker and wake it. */
static int h_change(struct lnk_service *svc, const char *name, enum change ch,
                    const struct reg_ext_req *req, struct fy_buf *out, struct fy_err *err)
{
    int rc = -1;
    struct lnk_def nd = {0};
    pthread_mutex_lock(&svc->ctl_mu);
    pthread_mutex_lock(&svc->mu);
    struct lnk_exp *ex = fy_map_get(&svc->exps, name);
    struct lnk_def cur = {0};
    int64_t epoch = 0;
    if (ex)
        lnk_def_copy(&ex->def, &cur);
    pthread_mutex_unlock(&svc->mu);
    if (!ex) {
        not_found(name, err);
        goto out;
    }
    switch (ch) {
    case CH_UPDATE:
        /* a config read back masked keeps its credentials */
        fy_secret_unmask_config(json_object_get(req->body, "config"), cur.config);
        rc = lnk_def_update(&cur, req->body, req->context, &nd, err);
        break;
    case CH_CONFIG:
        fy_secret_unmask_config(req->body, cur.config);
        rc = lnk_def_update_config(&cur, req->body, &nd, err);
        break;
    case CH_PAUSE:
    case CH_RESUME:
        lnk_def_copy(&cur, &nd);
        nd.paused = ch == CH_PAUSE;
        rc = 0;
        break;
    case CH_RESET:
        pthread_mutex_lock(&svc->jmu); /* until the flag is set: see lnk_int.h */
        pthread_mutex_lock(&svc->mu);
        epoch = ex->epoch + 1; /* only control operations (ctl_mu, held) change it */
        pthread_mutex_unlock(&svc->mu);
        rc = lnk_journal_state(svc, name, 0, epoch, err);
        break;
    }
    if (rc != 0) {
        if (ch == CH_RESET)
            pthread_mutex_unlock(&svc->jmu);
        goto out;
    }
    rc = -1;
    if (ch != CH_RESET && journal_def(svc, &nd, err) != 0)
        goto out;
    pthread_mutex_lock(&svc->mu);
    if (ch == CH_RESET) {
        ex->reset = true;
        ex->next = 0;
        ex->epoch = epoch;
    } else {
        lnk_def_destroy(&ex->def);
        ex->def = nd;
        memset(&nd, 0, sizeof nd);
        ex->gen++;
        if (ch == CH_PAUSE)
            ex->state = LNK_PAUSED;
        else if (ch == CH_RESUME && ex->state == LNK_PAUSED)
            ex->state = LNK_STARTING;
    }
    pthread_mutex_unlock(&svc->mu);
    if (ch == CH_RESET)
        pthread_mutex_unlock(&svc->jmu);
    reg_registry_feed_wake(svc->r);
    static const char *const what[] = {"updated", "config updated", "paused", "resumed", "reset"};
    fy_log(FY_LOG_INFO, "linker", "msg=\"exporter %s\" exporter=%s", what[ch], name);
    put_name(out, name);
    rc = 0;
out:
    pthread_mutex_unlock(&svc->ctl_mu);
    lnk_def_destroy(&cur);
    lnk_def_destroy(&nd);
    return rc;
}

static int h_delete(struct lnk_service *svc, const char *name, struct fy_buf *out,
                    struct fy_err *err)
{
    int rc = -1;
    pthread_mutex_lock(&svc->ctl_mu);
    pthread_mutex_lock(&svc->mu);
    struct lnk_exp *ex = fy_map_del(&svc->exps, name);
    pthread_mutex_unlock(&svc->mu);
    if (!ex) {
        not_found(name, err);
        goto out;
    }
    exp_stop_free(svc, ex);
    struct reg_write recs[2] = {{exp_key("EXPORTER", name), NULL},
                                {exp_key("EXPORTER_STATE", name), NULL}};
    if (journal_put(svc, recs, 2, err) != 0)
        goto out;
    fy_log(FY_LOG_INFO, "linker", "msg=\"exporter deleted\" exporter=%s", name);
    put_name(out, name);
    rc = 0;
out:
    pthread_mutex_unlock(&svc->ctl_mu);
    return rc;
}

/* ?showSecrets=true: an admin asks for the credentials in clear. */
static int show_secrets(const struct reg_ext_req *req, bool *show, struct fy_err *err)
{
    *show = false;
    for (size_t i = 0; i < req->n_args; i++)
        if (strcmp(req->args[i].name, "showSecrets") == 0 && req->args[i].value &&
            strcasecmp(req->args[i].value, "true") == 0)
            *show = true;
    if (*show && !req->admin)
        return fy_err_set(err, 40301, "showSecrets=true is for admins only");
    return 0;
}

/* GET /exporters/{name}, /status, /config: a consistent read under mu.
 * Credentials in the config are masked unless `show` (deviation from
 * Confluent, which returns them verbatim). */
static int h_read(struct lnk_service *svc, const char *name, const char *what, bool show,
                  struct fy_buf *out, struct fy_err *err)
{
    int rc = 0;
    json_t *j = NULL;
    pthread_mutex_lock(&svc->mu);
    struct lnk_exp *ex = fy_map_get(&svc->exps, name);
    if (!ex) {
        rc = not_found(name, err);
    } else if (!what) {
        j = lnk_def_to_json(&ex->def, false);
        if (!show)
            json_object_set_new(j, "config", fy_secret_mask_config(ex->def.config));
    } else if (strcmp(what, "config") == 0) {
        j = show ? json_incref(ex->def.config) : fy_secret_mask_config(ex->def.config);
    } else {
        /* Confluent's ExporterStatus; `offset` = last source offset exported */
        j = json_pack("{s:s,s:s,s:I,s:I}", "name", ex->def.name, "state",
                      lnk_state_name(ex->state), "offset", (json_int_t)(ex->next - 1), "ts",
                      (json_int_t)ex->ts);
        if (ex->trace)
            json_object_set_new(j, "trace", json_string(ex->trace));
    }
    pthread_mutex_unlock(&svc->mu);
    if (j)
        put_json(out, j);
    json_decref(j);
    return rc;
}

int lnk_service_handle(void *arg, const struct reg_ext_req *req, struct fy_buf *out,
                       struct fy_err *err)
{
    struct lnk_service *svc = arg;
    const char *m = req->method;
    const char *name = req->n_segs >= 2 ? req->segs[1] : NULL;
    const char *sub = req->n_segs >= 3 ? req->segs[2] : NULL;
    bool get = strcmp(m, "GET") == 0, put = strcmp(m, "PUT") == 0;
    bool show = false;
    if (get && show_secrets(req, &show, err) != 0)
        return -1;
    if (req->n_segs == 1) {
        if (get)
            return h_list(svc, out);
        if (strcmp(m, "POST") == 0)
            return h_create(svc, req, out, err);
    } else if (req->n_segs == 2) {
        if (get)
            return h_read(svc, name, NULL, show, out, err);
        if (put)
            return h_change(svc, name, CH_UPDATE, req, out, err);
        if (strcmp(m, "DELETE") == 0)
            return h_delete(svc, name, out, err);
    } else if (req->n_segs == 3) {
        if (strcmp(sub, "status") == 0) {
            if (get)
                return h_read(svc, name, "status", false, out, err);
        } else if (strcmp(sub, "config") == 0) {
            if (get)
                return h_read(svc, name, "config", show, out, err);
            if (put)
                return h_change(svc, name, CH_CONFIG, req, out, err);
        } else if (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0 ||
                   strcmp(sub, "reset") == 0) {
            if (put)
                return h_change(svc, name,
                                strcmp(sub, "pause") == 0   ? CH_PAUSE
                                : strcmp(sub, "reset") == 0 ? CH_RESET
                                                            : CH_RESUME,
                                req, out, err);
        } else {
            return fy_err_set(err, FY_E_NOT_FOUND, "HTTP 404 Not Found");
        }
    } else {
        return fy_err_set(err, FY_E_NOT_FOUND, "HTTP 404 Not Found");
    }
    return fy_err_set(err, FY_E_METHOD, "HTTP 405 Method Not Allowed");
}
