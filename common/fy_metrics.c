/* SPDX-License-Identifier: Apache-2.0
 * fy_metrics: see fy_metrics.h. A family's series sit in a fixed open-
 * addressing table of atomic pointers: a lookup hashes the label values and
 * probes with acquire loads, so the hot path takes no lock; only the first
 * use of a label combination takes the family's mutex, which also guards the
 * creation-order list the renderer walks. Values are relaxed atomics: a
 * scrape may see a histogram's count and sum from slightly different moments,
 * which Prometheus clients accept too. */
#include "common/fy_metrics.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 1024 /* > 2 x FY_METRIC_MAX_SERIES: probes stay short */
#if FY_METRIC_MAX_SERIES * 2 > SLOTS
#error "SLOTS too small"
#endif

struct fy_metric {
    struct fy_metric_family *f;
    uint64_t hash;
    char *values[FY_METRIC_MAX_LABELS];
    struct fy_metric *next; /* creation order (under f->mu) */
    _Atomic int64_t value;  /* counter/gauge value; histogram: unused */
    _Atomic int64_t sum;    /* histogram: sum of observations, in units */
    _Atomic uint64_t buckets[]; /* histogram: n_bounds + 1 (the last is > every bound) */
};

struct fy_metric_family {
    enum fy_metric_type type;
    char *name, *help;
    char *labels[FY_METRIC_MAX_LABELS];
    size_t n_labels;
    int64_t bounds[FY_METRIC_MAX_BUCKETS];
    size_t n_bounds;
    double scale;
    pthread_mutex_t mu;
    struct fy_metric *head, *tail; /* (mu) */
    size_t n_series;               /* (mu) */
    _Atomic(struct fy_metric *) slots[SLOTS];
    struct fy_metric_family *next; /* registration order (under m->mu) */
};

struct collector {
    fy_metrics_collect_fn fn;
    void *arg;
    struct collector *next;
};

struct fy_metrics {
    pthread_mutex_t mu;       /* families list */
    pthread_mutex_t coll_mu;  /* collectors list; held while they run */
    struct fy_metric_family *head, *tail;
    struct collector *colls;
};

struct fy_metrics_out {
    struct fy_buf *b;
};

struct fy_metrics *fy_metrics_new(void)
{
    struct fy_metrics *m = fy_calloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->coll_mu, NULL);
    return m;
}

void fy_metrics_free(struct fy_metrics *m)
{
    if (!m)
        return;
    for (struct fy_metric_family *f = m->head, *fn; f; f = fn) {
        fn = f->next;
        for (struct fy_metric *c = f->head, *cn; c; c = cn) {
            cn = c->next;
            for (size_t i = 0; i < f->n_labels; i++)
                free(c->values[i]);
            free(c);
        }
        for (size_t i = 0; i < f->n_labels; i++)
            free(f->labels[i]);
        free(f->name);
        free(f->help);
        pthread_mutex_destroy(&f->mu);
        free(f);
    }
    for (struct collector *c = m->colls, *cn; c; c = cn) {
        cn = c->next;
        free(c);
    }
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->coll_mu);
    free(m);
}

struct fy_metric_family *fy_metrics_family(struct fy_metrics *m, enum fy_metric_type type,
                                           const char *name, const char *help,
                                           const char *const *labels, const int64_t *bounds,
                                           size_t n_bounds, double scale)
{
    size_t n_labels = 0;
    while (labels && labels[n_labels])
        n_labels++;
    bool bad = !m || !name || !name[0] || n_labels > FY_METRIC_MAX_LABELS ||
               (type == FY_METRIC_HISTOGRAM && (n_bounds == 0 || n_bounds > FY_METRIC_MAX_BUCKETS ||
                                                !bounds || !(scale > 0)));
    for (size_t i = 1; !bad && type == FY_METRIC_HISTOGRAM && i < n_bounds; i++)
        bad = bounds[i] <= bounds[i - 1];
    if (bad) {
        fy_log(FY_LOG_ERROR, "metrics", "msg=\"invalid metric family\" name=%s",
               name ? name : "(null)");
        return NULL;
    }
    struct fy_metric_family *f = fy_calloc(1, sizeof *f);
    f->type = type;
    f->name = fy_strdup(name);
    f->help = fy_strdup(help ? help : "");
    f->n_labels = n_labels;
    for (size_t i = 0; i < n_labels; i++)
        f->labels[i] = fy_strdup(labels[i]);
    if (type == FY_METRIC_HISTOGRAM) {
        memcpy(f->bounds, bounds, n_bounds * sizeof *bounds);
        f->n_bounds = n_bounds;
        f->scale = scale;
    } else {
        f->scale = 1;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_lock(&m->mu);
    if (m->tail)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->mu);
    return f;
}

static uint64_t hash_values(const struct fy_metric_family *f, const char *const *values)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, a 0xff between values */
    for (size_t i = 0; i < f->n_labels; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

static bool same_values(const struct fy_metric_family *f, const struct fy_metric *c,
                        const char *const *values)
{
    for (size_t i = 0; i < f->n_labels; i++)
        if (strcmp(c->values[i], values[i]) != 0)
            return false;
    return true;
}

/* The series or NULL, probing from the hash; *free_slot is the first empty slot. */
static struct fy_metric *probe(struct fy_metric_family *f, uint64_t h, const char *const *values,
                               size_t *free_slot)
{
    for (size_t n = 0, i = (size_t)h & (SLOTS - 1); n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
        struct fy_metric *c = atomic_load_explicit(&f->slots[i], memory_order_acquire);
        if (!c) {
            *free_slot = i;
            return NULL;
        }
        if (c->hash == h && same_values(f, c, values))
            return c;
    }
    *free_slot = SLOTS;
    return NULL;
}

struct fy_metric *fy_metric_child(struct fy_metric_family *f, const char *const *values)
{
    if (!f)
        return NULL;
    static const char *const none[1] = {NULL};
    if (!values)
        values = none;
    uint64_t h = hash_values(f, values);
    size_t slot;
    struct fy_metric *c = probe(f, h, values, &slot);
    if (c)
        return c;
    pthread_mutex_lock(&f->mu);
    c = probe(f, h, values, &slot); /* another thread may have created it */
    if (!c && slot < SLOTS && f->n_series < FY_METRIC_MAX_SERIES) {
        size_t nb = f->type == FY_METRIC_HISTOGRAM ? f->n_bounds + 1 : 0;
        c = fy_calloc(1, sizeof *c + nb * sizeof c->buckets[0]);
        c->f = f;
        c->hash = h;
        for (size_t i = 0; i < f->n_labels; i++)
            c->values[i] = fy_strdup(values[i]);
        if (f->tail)
            f->tail->next = c;
        else
            f->head = c;
        f->tail = c;
        f->n_series++;
        atomic_store_explicit(&f->slots[slot], c, memory_order_release);
    } else if (!c && f->n_series == FY_METRIC_MAX_SERIES) {
        f->n_series++; /* log once */
        fy_log(FY_LOG_WARN, "metrics", "msg=\"too many series, new ones not recorded\" metric=%s",
               f->name);
    }
    pthread_mutex_unlock(&f->mu);
    return c;
}

void fy_metric_add(struct fy_metric *c, int64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

void fy_metric_set(struct fy_metric *c, int64_t v)
{
    if (c)
        atomic_store_explicit(&c->value, v, memory_order_relaxed);
}

void fy_metric_observe(struct fy_metric *c, int64_t v)
{
    if (!c)
        return;
    const struct fy_metric_family *f = c->f;
    size_t i = 0;
    while (i < f->n_bounds && v > f->bounds[i])
        i++;
    atomic_fetch_add_explicit(&c->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum, v, memory_order_relaxed);
}

int64_t fy_metric_value(const struct fy_metric *c)
{
    if (!c)
        return 0;
    if (c->f->type != FY_METRIC_HISTOGRAM)
        return atomic_load_explicit(&c->value, memory_order_relaxed);
    uint64_t n = 0;
    for (size_t i = 0; i <= c->f->n_bounds; i++)
        n += atomic_load_explicit(&c->buckets[i], memory_order_relaxed);
    return (int64_t)n;
}

void fy_metrics_add_collector(struct fy_metrics *m, fy_metrics_collect_fn fn, void *arg)
{
    struct collector *c = fy_calloc(1, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    pthread_mutex_lock(&m->coll_mu);
    struct collector **p = &m->colls;
    while (*p)
        p = &(*p)->next;
    *p = c;
    pthread_mutex_unlock(&m->coll_mu);
}

void fy_metrics_remove_collector(struct fy_metrics *m, fy_metrics_collect_fn fn, void *arg)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->coll_mu);
    for (struct collector **p = &m->colls; *p; p = &(*p)->next)
        if ((*p)->fn == fn && (*p)->arg == arg) {
            struct collector *c = *p;
            *p = c->next;
            free(c);
            break;
        }
    pthread_mutex_unlock(&m->coll_mu);
}

/* ---- text format 0.0.4 */

static const char *type_name(enum fy_metric_type t)
{
    return t == FY_METRIC_COUNTER ? "counter" : t == FY_METRIC_GAUGE ? "gauge" : "histogram";
}

/* HELP text: backslash and line feed escaped; label values: also '"'. */
static void put_escaped(struct fy_buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fy_buf_puts(b, "\\\\");
        else if (*s == '\n')
            fy_buf_puts(b, "\\n");
        else if (quote && *s == '"')
            fy_buf_puts(b, "\\\"");
        else
            fy_buf_putc(b, *s);
    }
}

static void put_value(struct fy_buf *b, double v)
{
    if (isnan(v))
        fy_buf_puts(b, "NaN");
    else if (isinf(v))
        fy_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fy_buf_printf(b, "%lld", (long long)v);
    else {
        /* the shortest text that reads back as the same double (0.00025, not
         * 0.00025000000000000001) */
        char t[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(t, sizeof t, "%.*g", prec, v);
            if (strtod(t, NULL) == v)
                break;
        }
        fy_buf_puts(b, t);
    }
}

static void put_head(struct fy_buf *b, const char *name, enum fy_metric_type type,
                     const char *help)
{
    fy_buf_printf(b, "# HELP %s ", name);
    put_escaped(b, help, false);
    fy_buf_printf(b, "\n# TYPE %s %s\n", name, type_name(type));
}

/* name{l1="v1",...[,extra="xv"]} */
static void put_series(struct fy_buf *b, const char *name, const char *suffix,
                       char *const *lnames, const char *const *lvalues, size_t n,
                       const char *extra, const char *extra_value)
{
    fy_buf_puts(b, name);
    fy_buf_puts(b, suffix);
    if (n == 0 && !extra) {
        fy_buf_putc(b, ' ');
        return;
    }
    fy_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        fy_buf_printf(b, "%s%s=\"", i ? "," : "", lnames[i]);
        put_escaped(b, lvalues[i], true);
        fy_buf_putc(b, '"');
    }
    if (extra) {
        fy_buf_printf(b, "%s%s=\"%s\"", n ? "," : "", extra, extra_value);
    }
    fy_buf_puts(b, "} ");
}

static void render_family(struct fy_buf *b, struct fy_metric_family *f)
{
    put_head(b, f->name, f->type, f->help);
    pthread_mutex_lock(&f->mu);
    for (const struct fy_metric *c = f->head; c; c = c->next) {
        const char *const *vals = (const char *const *)c->values;
        if (f->type != FY_METRIC_HISTOGRAM) {
            put_series(b, f->name, "", f->labels, vals, f->n_labels, NULL, NULL);
            put_value(b, (double)atomic_load_explicit(&c->value, memory_order_relaxed));
            fy_buf_putc(b, '\n');
            continue;
        }
        uint64_t cum = 0;
        for (size_t i = 0; i <= f->n_bounds; i++) {
            cum += atomic_load_explicit(&c->buckets[i], memory_order_relaxed);
            char le[40];
            if (i < f->n_bounds) {
                struct fy_buf lb;
                fy_buf_init(&lb, 0);
                put_value(&lb, (double)f->bounds[i] / f->scale);
                snprintf(le, sizeof le, "%s", fy_buf_str(&lb));
                fy_buf_destroy(&lb);
            } else {
                snprintf(le, sizeof le, "+Inf");
            }
            put_series(b, f->name, "_bucket", f->labels, vals, f->n_labels, "le", le);
            fy_buf_printf(b, "%llu\n", (unsigned long long)cum);
        }
        put_series(b, f->name, "_sum", f->labels, vals, f->n_labels, NULL, NULL);
        put_value(b, (double)atomic_load_explicit(&c->sum, memory_order_relaxed) / f->scale);
        fy_buf_putc(b, '\n');
        put_series(b, f->name, "_count", f->labels, vals, f->n_labels, NULL, NULL);
        fy_buf_printf(b, "%llu\n", (unsigned long long)cum);
    }
    pthread_mutex_unlock(&f->mu);
}

void fy_metrics_render(struct fy_metrics *m, struct fy_buf *b)
{
    pthread_mutex_lock(&m->mu);
    struct fy_metric_family *head = m->head;
    pthread_mutex_unlock(&m->mu);
    /* families are only ever appended, never freed before the registry */
    for (struct fy_metric_family *f = head; f; f = f->next)
        render_family(b, f);
    struct fy_metrics_out out = {.b = b};
    pthread_mutex_lock(&m->coll_mu);
    for (struct collector *c = m->colls; c; c = c->next)
        c->fn(c->arg, &out);
    pthread_mutex_unlock(&m->coll_mu);
}

void fy_metrics_out_family(struct fy_metrics_out *out, const char *name,
                           enum fy_metric_type type, const char *help)
{
    put_head(out->b, name, type, help);
}

void fy_metrics_out_sample(struct fy_metrics_out *out, const char *name,
                           const char *const *labels, double value)
{
    char *names[FY_METRIC_MAX_LABELS * 2];
    const char *values[FY_METRIC_MAX_LABELS * 2];
    size_t n = 0;
    for (; labels && n < FY_METRIC_MAX_LABELS * 2 && labels[2 * n] && labels[2 * n + 1]; n++) {
        names[n] = (char *)labels[2 * n];
        values[n] = labels[2 * n + 1];
    }
    put_series(out->b, name, "", names, values, n, NULL, NULL);
    put_value(out->b, value);
    fy_buf_putc(out->b, '\n');
}

void fy_metrics_out_one(struct fy_metrics_out *out, const char *name, enum fy_metric_type type,
                        const char *help, double value)
{
    fy_metrics_out_family(out, name, type, help);
    fy_metrics_out_sample(out, name, NULL, value);
}

int64_t fy_metrics_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the process collector */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static long long status_field(const char *name)
{
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return -1;
    char line[256];
    size_t len = strlen(name);
    long long v = -1;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            v = strtoll(line + len + 1, NULL, 10);
            break;
        }
    fclose(fp);
    return v;
}

/* utime + stime (clock ticks) and start time (ticks after boot) of /proc/self/stat */
static int self_stat(unsigned long long *cpu_ticks, unsigned long long *start_ticks,
                     unsigned long long *vsize)
{
    FILE *fp = fopen("/proc/self/stat", "r");
    if (!fp)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    p++;
    unsigned long long f[24] = {0};
    /* fields from 3 (state) on; f[k] is field k+3 */
    for (int k = 0; k < 22 && *p; k++) {
        while (*p == ' ')
            p++;
        f[k] = strtoull(p, &p, 10);
        if (k == 0) /* the state is a letter */
            while (*p && *p != ' ')
                p++;
    }
    *cpu_ticks = f[11] + f[12]; /* fields 14, 15 */
    *start_ticks = f[19];       /* field 22 */
    *vsize = f[20];             /* field 23 */
    return 0;
}

static long long boot_time(void)
{
    FILE *fp = fopen("/proc/stat", "r");
    if (!fp)
        return -1;
    char line[256];
    long long v = -1;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "btime ", 6) == 0) {
            v = strtoll(line + 6, NULL, 10);
            break;
        }
    fclose(fp);
    return v;
}

void fy_metrics_collect_process(void *arg, struct fy_metrics_out *out)
{
    (void)arg;
    long long rss_kb = status_field("VmRSS");
    long long threads = status_field("Threads");
    int fds = count_fds();
    struct rlimit rl;
    unsigned long long cpu = 0, start = 0, vsize = 0;
    bool have_stat = self_stat(&cpu, &start, &vsize) == 0;
    long tck = sysconf(_SC_CLK_TCK);
    long long btime = boot_time();
    if (rss_kb >= 0) {
        fy_metrics_out_family(out, "process_resident_memory_bytes", FY_METRIC_GAUGE,
                              "Resident memory size in bytes.");
        fy_metrics_out_sample(out, "process_resident_memory_bytes", NULL, (double)rss_kb * 1024);
    }
    if (have_stat) {
        fy_metrics_out_family(out, "process_virtual_memory_bytes", FY_METRIC_GAUGE,
                              "Virtual memory size in bytes.");
        fy_metrics_out_sample(out, "process_virtual_memory_bytes", NULL, (double)vsize);
        if (tck > 0) {
            fy_metrics_out_family(out, "process_cpu_seconds_total", FY_METRIC_COUNTER,
                                  "Total user and system CPU time spent in seconds.");
            fy_metrics_out_sample(out, "process_cpu_seconds_total", NULL, (double)cpu / tck);
            if (btime > 0) {
                fy_metrics_out_family(out, "process_start_time_seconds", FY_METRIC_GAUGE,
                                      "Start time of the process since unix epoch in seconds.");
                fy_metrics_out_sample(out, "process_start_time_seconds", NULL,
                                      (double)btime + (double)start / tck);
            }
        }
    }
    if (threads >= 0) {
        fy_metrics_out_family(out, "process_threads", FY_METRIC_GAUGE,
                              "Number of OS threads in the process.");
        fy_metrics_out_sample(out, "process_threads", NULL, (double)threads);
    }
    if (fds >= 0) {
        fy_metrics_out_family(out, "process_open_fds", FY_METRIC_GAUGE,
                              "Number of open file descriptors.");
        fy_metrics_out_sample(out, "process_open_fds", NULL, fds);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        fy_metrics_out_family(out, "process_max_fds", FY_METRIC_GAUGE,
                              "Maximum number of open file descriptors.");
        fy_metrics_out_sample(out, "process_max_fds", NULL, (double)rl.rlim_cur);
    }
}
