/* SPDX-License-Identifier: Apache-2.0
 * fy_statuspage: the DR status page and its sampler (fy_statuspage.h).
 * The page is one static text: HTML, CSS and script inline (no external
 * assets, so it works offline and behind any proxy), drawing the document
 * of /dr.json with the DOM API only (textContent, never innerHTML: topic
 * names and error texts are data). window.onerror counts script errors in
 * <body data-errors>, which the headless-browser test reads.
 * Thread: the sampler's; serve from any (under `mu`). */
#include "common/fy_statuspage.h"

#include "common/fy_alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char page[] =
    "<!doctype html>\n"
    "<html lang='en'><head><meta charset='utf-8'>\n"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
    "<title>ferry DR status</title>\n"
    "<noscript><meta http-equiv='refresh' content='10'></noscript>\n"
    "<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}\n"
    "h1{font-size:1.3em;margin:0 0 .3em} h2{font-size:1.05em;margin:1.2em 0 .3em}\n"
    "table{border-collapse:collapse;min-width:40em} th,td{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.lagging td,tr.wrong td{background:#fff3cd} tr.failed td{background:#f8d7da}\n"
    "#summary.ok{color:#155724} #summary.bad{color:#721c24;font-weight:bold}\n"
    "#problems li{color:#721c24} .muted{color:#777} svg text{font-size:11px;fill:#555}\n"
    "</style></head>\n"
    "<body data-errors='0' data-loaded='0'>\n"
    "<h1>ferry DR status <span id='asof' class='muted'></span></h1>\n"
    "<div id='summary'>loading...</div>\n"
    "<div id='rpo'></div>\n"
    "<ul id='problems'></ul>\n"
    "<div id='endpoints' class='muted'></div>\n"
    "<h2>Schema scopes (DR)</h2>\n"
    "<table id='scopes'><thead><tr><th>scope</th><th>mode</th><th>lag</th><th>lag time</th><th>wrong</th></tr></thead><tbody></tbody></table>\n"
    "<h2>Mirrored topics</h2>\n"
    "<table id='topics'><thead><tr><th>topic</th><th>state</th><th>partitions</th><th>lag</th><th>lag time</th><th>wrong</th></tr></thead><tbody></tbody></table>\n"
    "<h2>Lag, last hour</h2>\n"
    "<svg id='chart' width='760' height='220' role='img' aria-label='lag over the last hour'></svg>\n"
    "<div class='muted'>solid: topic records not yet on DR; dashed: schema changes not yet on DR</div>\n"
    "<pre id='errors'></pre>\n"
    "<script>\n"
    "'use strict';\n"
    "window.onerror = function (msg, src, line) {\n"
    "  var b = document.body;\n"
    "  b.setAttribute('data-errors', String(Number(b.getAttribute('data-errors')) + 1));\n"
    "  document.getElementById('errors').textContent += 'script error: ' + msg + ' (line ' + line + ')\\n';\n"
    "};\n"
    "function el(tag, text, cls) {\n"
    "  var e = document.createElement(tag);\n"
    "  if (text !== undefined && text !== null) e.textContent = String(text);\n"
    "  if (cls) e.className = cls;\n"
    "  return e;\n"
    "}\n"
    "function count(v, unit) { return typeof v === 'number' ? v + ' ' + unit : 'unknown'; }\n"
    "function secs(v) { return typeof v === 'number' ? (v / 1000).toFixed(1) + ' s' : 'unknown'; }\n"
    "function fill(id, rows) {\n"
    "  var tb = document.querySelector('#' + id + ' tbody');\n"
    "  while (tb.firstChild) tb.removeChild(tb.firstChild);\n"
    "  rows.forEach(function (r) { tb.appendChild(r); });\n"
    "}\n"
    "function row(cells, cls) {\n"
    "  var tr = el('tr', null, cls);\n"
    "  cells.forEach(function (c) { tr.appendChild(el('td', c[0], c[1])); });\n"
    "  return tr;\n"
    "}\n"
    "function render(d) {\n"
    "  document.body.setAttribute('data-loaded', String(Number(document.body.getAttribute('data-loaded')) + 1));\n"
    "  document.getElementById('asof').textContent = 'as of ' + new Date(d.now).toISOString();\n"
    "  var probs = d.problems || [];\n"
    "  var s = document.getElementById('summary');\n"
    "  s.textContent = probs.length ? probs.length + ' thing(s) wrong' : 'nothing wrong';\n"
    "  s.className = probs.length ? 'bad' : 'ok';\n"
    "  var r = d.rpo || {};\n"
    "  document.getElementById('rpo').textContent = 'RPO if the primary died now: topics ' +\n"
    "    count(r.topic_records, 'records') + ' (' + secs(r.topic_ms) + '), schemas ' +\n"
    "    count(r.schema_changes, 'schema changes') + ' (' + secs(r.schema_ms) + ')';\n"
    "  var ul = document.getElementById('problems');\n"
    "  while (ul.firstChild) ul.removeChild(ul.firstChild);\n"
    "  probs.forEach(function (p) { ul.appendChild(el('li', p)); });\n"
    "  var ep = [];\n"
    "  if (d.dr) ep.push('DR registry ' + d.dr.url + (d.dr.reachable ? ' reachable' : ' UNREACHABLE'));\n"
    "  if (d.primary) ep.push('primary ' + d.primary.url + (d.primary.reachable ? ' reachable' : ' UNREACHABLE'));\n"
    "  if (d.exporter) ep.push('exporter ' + d.exporter.name + ' ' + (d.exporter.state || 'state unknown'));\n"
    "  if (d.mirror) ep.push('mirror ' + (d.mirror.name || d.mirror.url || '') + ', source ' +\n"
    "    (d.mirror.source_reachable ? 'reachable' : 'UNREACHABLE') + ', group offsets synced ' +\n"
    "    (typeof d.mirror.group_sync_age_ms === 'number' ? secs(d.mirror.group_sync_age_ms) + ' ago' : 'never'));\n"
    "  document.getElementById('endpoints').textContent = ep.join(' | ');\n"
    "  fill('scopes', (d.scopes || []).map(function (x) {\n"
    "    return row([[x.scope], [x.mode || 'unknown'], [count(x.rpo_records, 'changes'), 'num'],\n"
    "                [secs(x.rpo_ms), 'num'], [x.problem || '-']], x.problem ? 'wrong' : '');\n"
    "  }));\n"
    "  fill('topics', (d.topics || []).map(function (t) {\n"
    "    var lagging = typeof t.lag === 'number' && t.lag > 0 && t.state !== 'STOPPED';\n"
    "    var cls = t.state === 'FAILED' ? 'failed' : lagging ? 'lagging' : t.problem ? 'wrong' : '';\n"
    "    return row([[t.topic], [t.state + (lagging ? ' LAGGING' : '')], [t.partitions, 'num'],\n"
    "                [count(t.lag, 'records'), 'num'], [secs(t.lag_ms), 'num'], [t.problem || '-']], cls);\n"
    "  }));\n"
    "  chart(d.history || [], d.now);\n"
    "}\n"
    "function chart(h, now) {\n"
    "  var svg = document.getElementById('chart'), ns = 'http://www.w3.org/2000/svg';\n"
    "  while (svg.firstChild) svg.removeChild(svg.firstChild);\n"
    "  var W = 760, H = 220, L = 60, B = 20, T = 10, from = now - 3600000;\n"
    "  var max = 1;\n"
    "  h.forEach(function (p) { max = Math.max(max, p[1] || 0, p[3] || 0); });\n"
    "  function x(t) { return L + (W - L - 10) * (t - from) / 3600000; }\n"
    "  function y(v) { return T + (H - T - B) * (1 - v / max); }\n"
    "  function add(tag, attrs, text) {\n"
    "    var e = document.createElementNS(ns, tag);\n"
    "    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });\n"
    "    if (text) e.textContent = text;\n"
    "    svg.appendChild(e);\n"
    "    return e;\n"
    "  }\n"
    "  add('line', {x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: '#999'});\n"
    "  add('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#999'});\n"
    "  add('text', {x: 2, y: T + 10}, String(max));\n"
    "  add('text', {x: 2, y: H - B}, '0');\n"
    "  add('text', {x: L, y: H - 4}, '-60 min');\n"
    "  add('text', {x: W - 40, y: H - 4}, 'now');\n"
    "  [[1, '#c0392b', ''], [3, '#2c3e50', '4 3']].forEach(function (s) {\n"
    "    var pts = h.filter(function (p) { return typeof p[s[0]] === 'number' && p[0] >= from; })\n"
    "               .map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[s[0]]).toFixed(1); });\n"
    "    if (pts.length) add('polyline', {points: pts.join(' '), fill: 'none', stroke: s[1],\n"
    "                                     'stroke-width': 1.5, 'stroke-dasharray': s[2]});\n"
    "  });\n"
    "}\n"
    "function load() {\n"
    "  fetch('dr.json', {cache: 'no-store', credentials: 'same-origin'})\n"
    "    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })\n"
    "    .then(render)\n"
    "    .catch(function (e) {\n"
    "      var s = document.getElementById('summary');\n"
    "      s.textContent = 'status unavailable: ' + e.message;\n"
    "      s.className = 'bad';\n"
    "    });\n"
    "}\n"
    "load();\n"
    "setInterval(load, 5000);\n"
    "</script>\n"
    "</body></html>\n"
    "\n";

struct sample {
    int64_t ms;
    json_t *topic_records, *topic_ms, *schema_changes; /* integers or null (owned) */
};

struct fy_statuspage {
    fy_statuspage_fn fn;
    void *arg;
    int interval_ms;
    pthread_t thread;
    pthread_mutex_t mu;  /* everything below */
    pthread_cond_t cond; /* stop */
    bool stop;
    json_t *latest;      /* the last document (owned), NULL before the first */
    struct sample *ring; /* n_ring slots: an hour of samples */
    size_t n_ring, next, used;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sample_clear(struct sample *s)
{
    json_decref(s->topic_records);
    json_decref(s->topic_ms);
    json_decref(s->schema_changes);
    memset(s, 0, sizeof *s);
}

static json_t *num_or_null(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_incref(v) : json_null();
}

static void *sampler(void *arg)
{
    struct fy_statuspage *sp = arg;
    pthread_mutex_lock(&sp->mu);
    while (!sp->stop) {
        pthread_mutex_unlock(&sp->mu);
        int64_t now = wall_ms();
        json_t *doc = sp->fn(sp->arg, now); /* endpoints may be slow: no lock held */
        json_t *rpo = json_object_get(doc, "rpo");
        struct sample s = {now, num_or_null(rpo, "topic_records"), num_or_null(rpo, "topic_ms"),
                           num_or_null(rpo, "schema_changes")};
        pthread_mutex_lock(&sp->mu);
        json_decref(sp->latest);
        sp->latest = doc;
        sample_clear(&sp->ring[sp->next]);
        sp->ring[sp->next] = s;
        sp->next = (sp->next + 1) % sp->n_ring;
        sp->used += sp->used < sp->n_ring;
        struct timespec abs;
        clock_gettime(CLOCK_REALTIME, &abs);
        abs.tv_sec += sp->interval_ms / 1000;
        abs.tv_nsec += (long)(sp->interval_ms % 1000) * 1000000L;
        if (abs.tv_nsec >= 1000000000L) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000L;
        }
        while (!sp->stop && pthread_cond_timedwait(&sp->cond, &sp->mu, &abs) == 0)
            ; /* woken for stop, or spuriously */
    }
    pthread_mutex_unlock(&sp->mu);
    return NULL;
}

struct fy_statuspage *fy_statuspage_start(fy_statuspage_fn fn, void *arg, int interval_ms,
                                          struct fy_err *err)
{
    if (interval_ms < 100 || interval_ms > 3600000) {
        fy_err_set(err, FY_E_CONFIG, "status page interval %d ms out of 100..3600000",
                   interval_ms);
        return NULL;
    }
    struct fy_statuspage *sp = fy_calloc(1, sizeof *sp);
    sp->fn = fn;
    sp->arg = arg;
    sp->interval_ms = interval_ms;
    sp->n_ring = (size_t)(3600000 / interval_ms) + 1;
    sp->ring = fy_calloc(sp->n_ring, sizeof *sp->ring);
    pthread_mutex_init(&sp->mu, NULL);
    pthread_cond_init(&sp->cond, NULL);
    if (pthread_create(&sp->thread, NULL, sampler, sp) != 0) {
        fy_err_set(err, FY_E_IO, "status page: cannot start its sampler thread");
        pthread_cond_destroy(&sp->cond);
        pthread_mutex_destroy(&sp->mu);
        free(sp->ring);
        free(sp);
        return NULL;
    }
    return sp;
}

void fy_statuspage_stop(struct fy_statuspage *sp)
{
    if (!sp)
        return;
    pthread_mutex_lock(&sp->mu);
    sp->stop = true;
    pthread_cond_broadcast(&sp->cond);
    pthread_mutex_unlock(&sp->mu);
    pthread_join(sp->thread, NULL);
    for (size_t i = 0; i < sp->n_ring; i++)
        sample_clear(&sp->ring[i]);
    free(sp->ring);
    json_decref(sp->latest);
    pthread_cond_destroy(&sp->cond);
    pthread_mutex_destroy(&sp->mu);
    free(sp);
}

const char *fy_statuspage_route(const char *path)
{
    if (strcmp(path, "/dr") == 0)
        return "/dr";
    if (strcmp(path, "/dr.json") == 0)
        return "/dr.json";
    return NULL;
}

/* The last document with the samples of the last hour, oldest first. */
static char *document(struct fy_statuspage *sp, int64_t now)
{
    pthread_mutex_lock(&sp->mu);
    if (!sp->latest) {
        pthread_mutex_unlock(&sp->mu);
        return NULL;
    }
    json_t *doc = json_deep_copy(sp->latest);
    json_t *hist = json_array();
    for (size_t k = 0; k < sp->used; k++) {
        const struct sample *s = &sp->ring[(sp->next + sp->n_ring - sp->used + k) % sp->n_ring];
        if (s->ms < now - 3600000)
            continue;
        json_array_append_new(hist, json_pack("[I,O,O,O]", (json_int_t)s->ms, s->topic_records,
                                              s->topic_ms, s->schema_changes));
    }
    pthread_mutex_unlock(&sp->mu);
    json_object_set_new(doc, "history", hist);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

bool fy_statuspage_serve(struct fy_statuspage *sp, const char *path, int *status, char **body,
                         const char **ctype)
{
    if (!sp || !fy_statuspage_route(path))
        return false;
    if (strcmp(path, "/dr") == 0) {
        *status = 200;
        *body = fy_strdup(page);
        *ctype = "text/html; charset=utf-8";
        return true;
    }
    char *text = document(sp, wall_ms());
    *ctype = "application/json";
    if (!text) {
        *status = 503;
        *body = fy_strdup("{\"error_code\":503,\"message\":\"no status sample yet\"}");
        return true;
    }
    *status = 200;
    *body = text;
    return true;
}
