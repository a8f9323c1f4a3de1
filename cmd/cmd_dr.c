/* SPDX-License-Identifier: Apache-2.0
 * cmd_dr: `ferry dr status|failover` — one DR control plane for topics and
 * schemas (issue 16) from one dr.properties file (cmd_drconf.h). The
 * gathering and the procedure are linker/lnk_dr.h and lnk_dr_failover.h;
 * this file parses flags and prints.
 * Thread: main thread only. */
#include "cmd/cmd.h"

#include "cmd/cmd_drconf.h"
#include "common/fy_alloc.h"
#include "linker/lnk_client.h"
#include "linker/lnk_dr.h"
#include "linker/lnk_dr_failover.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: ferry dr status   --config FILE [--json]\n"
          "       ferry dr failover --config FILE [--planned] [--timeout-ms N]\n"
          "                         [--group-sync-timeout-ms N] [--journal FILE] [--json]\n"
          "\n"
          "One control plane for a DR setup of topics (ferry mirror) and schemas (a primary\n"
          "registry exporting into a DR registry).\n"
          "\n"
          "status    every linked registry scope and every mirrored topic: state, lag in\n"
          "          records and time, the last consumer-group offset sync, the RPO you\n"
          "          would accept if the primary died now, and what is wrong, in words.\n"
          "          Exit 0 nothing wrong, 1 something is (listed), 2 bad configuration.\n"
          "failover  unplanned (the primary is lost): a last group-offset sync if the\n"
          "          source still answers, every mirror topic failed over (STOPPED), the\n"
          "          exporter paused if the primary answers, every DR scope IMPORT ->\n"
          "          READWRITE; prints per topic and scope what was lost and the RTO.\n"
          "          --planned (zero RPO; stop the producers first): the primary scopes\n"
          "          (primary.context) READONLY, wait until every mirror topic and the\n"
          "          exporter are at lag 0 with the source end offsets still, then the\n"
          "          same steps; refused, saying which topic or scope is behind, when\n"
          "          that does not happen within --timeout-ms (default 60000): the\n"
          "          primary scopes get their modes back.\n"
          "          Every step is journaled (--journal, default FILE.dr-journal): a run\n"
          "          after a crash resumes, a run after a finished one reports it again.\n"
          "          Exit 0 done, 1 a step failed or refused, 2 bad configuration.\n"
          "\n",
          f);
    cmd_drconf_usage(f);
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "never");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

/* "12" / "unknown" for a record count, "1.5 s" / "unknown" for ms. */
static void fmt_count(json_t *v, const char *unit, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%lld%s%s", (long long)json_integer_value(v), unit[0] ? " " : "",
                 unit);
    else
        snprintf(buf, len, "unknown");
}

static void fmt_ms(json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%.1f s", (double)json_integer_value(v) / 1000.0);
    else
        snprintf(buf, len, "unknown");
}

/* A table: rows of `ncol` cells, printed with every column as wide as its
 * widest cell. */
#define MAX_COLS 6
struct table {
    size_t ncol, nrow;
    char (*cells)[MAX_COLS][160];
};

static void table_add(struct table *t, const char *const *cols)
{
    t->cells = fy_realloc(t->cells, (t->nrow + 1) * sizeof *t->cells);
    for (size_t c = 0; c < t->ncol; c++)
        snprintf(t->cells[t->nrow][c], sizeof t->cells[t->nrow][c], "%s", cols[c] ? cols[c] : "");
    t->nrow++;
}

static void table_print(struct table *t, FILE *f)
{
    size_t w[MAX_COLS] = {0};
    for (size_t r = 0; r < t->nrow; r++)
        for (size_t c = 0; c < t->ncol; c++) {
            size_t l = strlen(t->cells[r][c]);
            w[c] = l > w[c] ? l : w[c];
        }
    for (size_t r = 0; r < t->nrow; r++) {
        fputs("  ", f);
        for (size_t c = 0; c < t->ncol; c++)
            fprintf(f, c + 1 < t->ncol ? "%-*s  " : "%-*s", c + 1 < t->ncol ? (int)w[c] : 0,
                    t->cells[r][c]);
        fputc('\n', f);
    }
    free(t->cells);
    t->cells = NULL;
    t->nrow = 0;
}

static void print_status(json_t *st, FILE *f)
{
    char now[40], a[64], b[64], c[64], e[64];
    fmt_time((int64_t)json_integer_value(json_object_get(st, "now")), now, sizeof now);
    fprintf(f, "ferry dr status at %s\n\n", now);
    json_t *dr = json_object_get(st, "dr"), *pr = json_object_get(st, "primary");
    fprintf(f, "DR registry       %s  %s\n", str(dr, "url", "?"),
            json_is_true(json_object_get(dr, "reachable")) ? "reachable" : "UNREACHABLE");
    if (json_is_object(pr))
        fprintf(f, "primary registry  %s  %s\n", str(pr, "url", "?"),
                json_is_true(json_object_get(pr, "reachable")) ? "reachable" : "UNREACHABLE");
    else
        fputs("primary registry  not configured\n", f);
    json_t *x = json_object_get(st, "exporter");
    if (json_is_object(x)) {
        fmt_count(json_object_get(x, "lag_records"), "changes", a, sizeof a);
        fmt_ms(json_object_get(x, "lag_ms"), b, sizeof b);
        fprintf(f, "exporter          %s  %s, lag %s / %s\n", str(x, "name", "?"),
                str(x, "state", "state unknown"), a, b);
    }
    json_t *m = json_object_get(st, "mirror");
    if (json_is_object(m)) {
        if (json_is_true(json_object_get(m, "reachable"))) {
            fmt_ms(json_object_get(m, "group_sync_age_ms"), a, sizeof a);
            fprintf(f, "mirror            %s  %s, source %s, group offsets synced %s ago\n",
                    str(m, "url", "?"), str(m, "name", "?"),
                    json_is_true(json_object_get(m, "source_reachable")) ? "reachable"
                                                                          : "UNREACHABLE",
                    json_is_integer(json_object_get(m, "group_sync_age_ms")) ? a : "(never)");
        } else {
            fprintf(f, "mirror            %s  UNREACHABLE\n", str(m, "url", "?"));
        }
    } else {
        fputs("mirror            not configured (no mirror.admin.url)\n", f);
    }
    struct table t = {.ncol = 5};
    size_t i;
    json_t *s;
    fputs("\nschema scopes (DR)\n", f);
    table_add(&t, (const char *[]){"SCOPE", "MODE", "LAG", "LAG TIME", "WRONG"});
    json_array_foreach(json_object_get(st, "scopes"), i, s)
    {
        fmt_count(json_object_get(s, "rpo_records"), "changes", a, sizeof a);
        fmt_ms(json_object_get(s, "rpo_ms"), b, sizeof b);
        table_add(&t, (const char *[]){str(s, "scope", "?"), str(s, "mode", "unknown"), a, b,
                                       str(s, "problem", "-")});
    }
    table_print(&t, f);
    if (json_is_object(m)) {
        fputs("\nmirrored topics\n", f);
        t.ncol = 6;
        table_add(&t, (const char *[]){"TOPIC", "STATE", "PARTS", "LAG", "LAG TIME", "WRONG"});
        json_array_foreach(json_object_get(st, "topics"), i, s)
        {
            fmt_count(json_object_get(s, "lag"), "records", a, sizeof a);
            fmt_ms(json_object_get(s, "lag_ms"), b, sizeof b);
            fmt_count(json_object_get(s, "partitions"), "", c, sizeof c);
            table_add(&t, (const char *[]){str(s, "topic", "?"), str(s, "state", "?"), c, a, b,
                                           str(s, "problem", "-")});
        }
        if (t.nrow == 1)
            fputs("  (none)\n", f);
        table_print(&t, f);
    }
    json_t *rpo = json_object_get(st, "rpo");
    fmt_count(json_object_get(rpo, "topic_records"), "records", a, sizeof a);
    fmt_ms(json_object_get(rpo, "topic_ms"), b, sizeof b);
    fmt_count(json_object_get(rpo, "schema_changes"), "schema changes", c, sizeof c);
    fmt_ms(json_object_get(rpo, "schema_ms"), e, sizeof e);
    fprintf(f, "\nRPO if the primary died now: topics %s (%s), schemas %s (%s)\n", a, b, c, e);
    json_t *probs = json_object_get(st, "problems");
    if (!json_array_size(probs)) {
        fputs("nothing wrong\n", f);
        return;
    }
    fprintf(f, "%zu thing(s) wrong:\n", json_array_size(probs));
    json_array_foreach(probs, i, s)
        fprintf(f, "  - %s\n", json_string_value(s));
}

static void print_step(void *arg, json_t *s)
{
    FILE *f = arg;
    const char *name = str(s, "step", "?");
    bool ok = json_is_true(json_object_get(s, "ok"));
    char line[600] = "";
    if (strcmp(name, "before") == 0) {
        json_t *rpo = json_object_get(s, "rpo");
        char a[64], b[64], c[64];
        fmt_count(json_object_get(rpo, "topic_records"), "records", a, sizeof a);
        fmt_ms(json_object_get(rpo, "topic_ms"), b, sizeof b);
        fmt_count(json_object_get(rpo, "schema_changes"), "schema changes", c, sizeof c);
        snprintf(line, sizeof line, "lag at the start: topics %s (%s), %s", a, b, c);
    } else if (strcmp(name, "primary_readonly") == 0) {
        snprintf(line, sizeof line, "%zu primary scope(s) READONLY%s%s",
                 json_array_size(json_object_get(s, "scopes")), ok ? "" : ": ",
                 ok ? "" : str(s, "note", "a scope could not be switched"));
    } else if (strcmp(name, "drain") == 0) {
        snprintf(line, sizeof line, ok ? "every topic and the exporter at lag 0, source still"
                                       : "not drained");
    } else if (strcmp(name, "group_sync") == 0) {
        snprintf(line, sizeof line, "%s",
                 json_is_true(json_object_get(s, "synced")) ? "consumer-group offsets synced"
                                                             : str(s, "note", "not synced"));
    } else if (strcmp(name, "mirror_failover") == 0) {
        snprintf(line, sizeof line, "%zu topic(s) STOPPED, %lld record(s) lost%s%s",
                 json_array_size(json_object_get(s, "topics")),
                 (long long)json_integer_value(json_object_get(s, "lost_records")),
                 json_object_get(s, "note") ? ": " : "", str(s, "note", ""));
    } else if (strcmp(name, "registry") == 0) {
        snprintf(line, sizeof line, "%zu DR scope(s) READWRITE%s",
                 json_array_size(json_object_get(s, "scopes")),
                 ok ? "" : " (not all: see below)");
    }
    fprintf(f, "step %-17s %-6s %6.2f s  %s%s\n", name, ok ? "ok" : "FAILED",
            (double)json_integer_value(json_object_get(s, "ms")) / 1000.0, line,
            json_is_true(json_object_get(s, "earlier_run")) ? "  (done by an earlier run)" : "");
    fflush(f);
}

static void print_failover(json_t *rep, FILE *f)
{
    size_t i;
    json_t *t;
    char a[64], b[64];
    if (json_is_true(json_object_get(rep, "already_done")))
        fputs("this failover was completed by an earlier run (nothing done now)\n", f);
    if (json_array_size(json_object_get(rep, "topics")))
        fputs("\nlost per topic (known: the source end offsets the mirror last saw)\n", f);
    struct table tb = {.ncol = 4};
    json_array_foreach(json_object_get(rep, "topics"), i, t)
    {
        fmt_count(json_object_get(t, "lost_records"), "records", a, sizeof a);
        fmt_ms(json_object_get(t, "lost_ms"), b, sizeof b);
        table_add(&tb, (const char *[]){str(t, "topic", "?"), a, b, str(t, "note", "")});
    }
    table_print(&tb, f);
    if (json_array_size(json_object_get(rep, "scopes")))
        fputs("\nschema scopes on DR\n", f);
    fmt_count(json_object_get(rep, "schema_changes_lost"), "schema changes", a, sizeof a);
    fmt_ms(json_object_get(rep, "schema_lost_ms"), b, sizeof b);
    json_array_foreach(json_object_get(rep, "scopes"), i, t)
    {
        const char *err = str(t, "error", NULL);
        fprintf(f, "  %s: %s -> %s%s%s; lost %s (%s)\n", str(t, "scope", "?"),
                str(t, "before", "?"), str(t, "after", "?"), err ? ": " : "", err ? err : "", a,
                b);
    }
    const char *refused = str(rep, "refused", NULL);
    if (refused) {
        fprintf(f, "\n%s\n", refused);
        json_array_foreach(json_object_get(rep, "behind"), i, t)
            fprintf(f, "  behind: %s\n", json_string_value(t));
        json_array_foreach(json_object_get(rep, "restored"), i, t)
            fprintf(f, "  primary scope %s back to %s%s%s\n", str(t, "scope", "?"),
                    str(t, "mode", "?"), t && json_object_get(t, "error") ? ": " : "",
                    str(t, "error", ""));
        return;
    }
    json_t *rto = json_object_get(rep, "rto_ms");
    if (json_is_integer(rto))
        fprintf(f, "\nRTO %.2f s (from the %s start to the DR side accepting writes)%s\n",
                (double)json_integer_value(rto) / 1000.0,
                json_is_true(json_object_get(rep, "resumed")) ? "first run's" : "command's",
                json_is_true(json_object_get(rep, "resumed")) ? ", resumed after a crash" : "");
    else
        fputs("\nnot failed over: run it again once the failed step can succeed\n", f);
}

static int load(const char *config, struct cmd_drconf *conf, struct lnk_dr_conf *dc)
{
    struct fy_err err = {0};
    if (!config) {
        fprintf(stderr, "ferry dr: --config FILE is required\n");
        return -1;
    }
    if (cmd_drconf_load(config, conf, &err) != 0) {
        fprintf(stderr, "ferry dr: %s\n", fy_err_text(&err));
        fy_err_destroy(&err);
        return -1;
    }
    *dc = (struct lnk_dr_conf){
        .dr = conf->dr,
        .primary = json_object_get(conf->primary, "schema.registry.url") ? conf->primary : NULL,
        .mirror = conf->mirror,
        .scopes = (const char *const *)conf->scopes,
        .n_scopes = conf->n_scopes,
        .primary_scopes = (const char *const *)conf->primary_scopes,
        .n_primary_scopes = conf->n_primary_scopes,
        .exporter = conf->exporter,
    };
    return 0;
}

static int parse_ms(const char *s, const char *flag, int64_t *out)
{
    if (!s)
        return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0 || v > 86400000) {
        fprintf(stderr, "ferry dr: %s wants milliseconds (0..86400000), not '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_dr(int argc, char **argv)
{
    const char *config = NULL, *journal = NULL, *tmo = NULL, *gtmo = NULL;
    bool as_json = false, planned = false;
    struct cmd_drconf conf = {0};
    struct lnk_dr_conf dc;
    struct lnk_dr d = {0};
    struct fy_err err = {0};
    json_t *rep = NULL;
    char *jpath = NULL;
    int status = 2;
    if (argc < 1 || argv[0][0] == '-') {
        bool help = argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *op = argv[0];
    bool is_status = strcmp(op, "status") == 0, is_failover = strcmp(op, "failover") == 0;
    if (!is_status && !is_failover) {
        fprintf(stderr, "ferry dr: unknown operation '%s' (status, failover)\n", op);
        return 2;
    }
    const struct cmd_flag flags[] = {{"--config", &config, NULL},
                                     {"--json", NULL, &as_json},
                                     {"--planned", NULL, &planned},
                                     {"--timeout-ms", &tmo, NULL},
                                     {"--group-sync-timeout-ms", &gtmo, NULL},
                                     {"--journal", &journal, NULL}};
    size_t nflags = is_status ? 2 : sizeof flags / sizeof flags[0];
    int frc = cmd_flags_parse("dr", argc - 1, argv + 1, flags, nflags, usage);
    if (frc != 0)
        return frc > 0 ? 0 : 2;
    int64_t drain_ms = 60000, gsync_ms = 5000;
    if (parse_ms(tmo, "--timeout-ms", &drain_ms) != 0 ||
        parse_ms(gtmo, "--group-sync-timeout-ms", &gsync_ms) != 0)
        return 2;
    if (load(config, &conf, &dc) != 0)
        return 2;
    lnk_client_global_init();
    if (lnk_dr_open(&d, &dc, &err) != 0)
        goto out;
    if (is_status) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        rep = lnk_dr_status(&d, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        cmd_report_print(rep, as_json, print_status);
        status = json_is_true(json_object_get(rep, "ok")) ? 0 : 1;
        goto out;
    }
    jpath = journal ? fy_strdup(journal) : fy_asprintf("%s.dr-journal", config);
    struct lnk_dr_failover_opts fo = {
        .planned = planned,
        .journal = jpath,
        .drain_timeout_ms = drain_ms,
        .group_sync_timeout_ms = gsync_ms,
        .progress = as_json ? NULL : print_step,
        .progress_arg = stdout,
    };
    if (!as_json)
        printf("ferry dr failover%s (journal %s)\n", planned ? " --planned" : "", jpath);
    rep = lnk_dr_failover(&d, &fo, &status, &err);
    if (rep)
        cmd_report_print(rep, as_json, print_failover);
out:
    if (err.code != FY_OK)
        fprintf(stderr, "ferry dr %s: %s\n", op, fy_err_text(&err));
    json_decref(rep);
    lnk_dr_close(&d);
    lnk_client_global_cleanup();
    cmd_drconf_destroy(&conf);
    fy_err_destroy(&err);
    free(jpath);
    return status;
}
