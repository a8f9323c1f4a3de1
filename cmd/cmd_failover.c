/* SPDX-License-Identifier: Apache-2.0
 * cmd_failover: `ferry failover --config dr.properties [--json]` — the schema
 * side of a DR switch in one command (linker/lnk_failover.h does the work):
 * pause the primary's exporter if the primary answers, switch the DR's
 * imported scopes IMPORT -> READWRITE, and print what was switched and the
 * link's last replicated position and time (the schema RPO).
 * Thread: main thread only. */
#include "cmd/cmd.h"

#include "cmd/cmd_drconf.h"
#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "linker/lnk_client.h"
#include "linker/lnk_failover.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: ferry failover --config FILE [--json]\n"
          "\n"
          "Fails the schemas over to the DR registry: if the primary still answers, pauses\n"
          "its exporter `exporter.name` and reads its last position; then switches every\n"
          "scope of `dr.context` on the DR registry from IMPORT to READWRITE, and reports\n"
          "what was switched and the last replicated offset and time (the schema RPO:\n"
          "changes made on the primary after that time may be missing on DR).\n"
          "Running it again is harmless: a scope already READWRITE counts as done.\n"
          "\n"
          "options:\n"
          "  --config FILE   .properties file (keys below)\n"
          "  --json          print the report as one JSON object\n"
          "  --help          this text\n"
          "\n"
          "exit status:\n"
          "  0  every scope is READWRITE (switched now or before)\n"
          "  1  a scope was not switched: DR unreachable, scope neither IMPORT nor\n"
          "     READWRITE (e.g. READONLY: left alone), or the switch was refused\n"
          "  2  bad command line or configuration\n"
          "A primary that does not answer is not an error: the report says the last\n"
          "position is unknown.\n"
          "\n",
          f);
    cmd_drconf_usage(f);
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

static const char *str(json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

static void print_report(json_t *rep, FILE *f)
{
    fprintf(f, "failover of DR registry %s\n", str(rep, "dr", "?"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rep, "scopes"), i, s)
    {
        const char *before = str(s, "before", "?");
        if (json_is_true(json_object_get(s, "switched")))
            fprintf(f, "  scope %s: %s -> READWRITE (switched)\n", str(s, "scope", ""), before);
        else if (!json_object_get(s, "error"))
            fprintf(f, "  scope %s: already READWRITE (nothing to do)\n", str(s, "scope", ""));
        else
            fprintf(f, "  scope %s: NOT switched (mode %s): %s\n", str(s, "scope", ""), before,
                    str(s, "error", ""));
    }
    json_t *p = json_object_get(rep, "primary");
    if (!json_is_object(p)) {
        fputs("no primary configured: last position unknown\n", f);
        return;
    }
    if (!json_is_true(json_object_get(p, "reachable"))) {
        fprintf(f, "primary unreachable: last position unknown (%s)\n", str(p, "error", ""));
        return;
    }
    const char *ex = str(p, "exporter", NULL);
    if (ex && json_is_true(json_object_get(p, "paused")))
        fprintf(f, "primary %s: exporter '%s' paused (state %s)\n", str(p, "url", ""), ex,
                str(p, "state", "?"));
    else
        fprintf(f, "primary %s: answers; exporter not paused: %s\n", str(p, "url", ""),
                str(p, "error", ""));
    if (!json_is_true(json_object_get(rep, "position_known"))) {
        fputs("last position unknown\n", f);
        return;
    }
    int64_t ts = (int64_t)json_integer_value(json_object_get(p, "ts"));
    long long off = (long long)json_integer_value(json_object_get(p, "offset"));
    json_t *rpo = json_object_get(rep, "rpo_ms");
    if (ts > 0 && json_is_integer(rpo)) {
        char when[48];
        fmt_time(ts, when, sizeof when);
        fprintf(f, "last replicated position: offset %lld at %s\n", off, when);
        fprintf(f, "schema RPO: at most %.1f s (changes on the primary after %s may be "
                   "missing on DR)\n",
                (double)json_integer_value(rpo) / 1000.0, when);
    } else {
        fprintf(f, "last replicated position: offset %lld (time unknown: nothing exported "
                   "since the exporter started)\n", off);
    }
}

int cmd_failover(int argc, char **argv)
{
    struct fy_err err = {0};
    struct cmd_drconf conf = {0};
    const char *config_path = NULL;
    bool as_json = false;
    json_t *rep = NULL;
    int status = LNK_FAILOVER_USAGE;

    const struct cmd_flag flags[] = {{"--config", &config_path, NULL}, {"--json", NULL, &as_json}};
    int frc = cmd_flags_parse("failover", argc, argv, flags, sizeof flags / sizeof flags[0], usage);
    if (frc != 0) {
        status = frc > 0 ? 0 : LNK_FAILOVER_USAGE;
        goto out;
    }
    if (!config_path) {
        fprintf(stderr, "ferry failover: --config FILE is required\n");
        goto out;
    }
    if (cmd_drconf_load(config_path, &conf, &err) != 0)
        goto out;
    lnk_client_global_init();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct lnk_failover_opts o = {
        .dr_config = conf.dr,
        .primary_config = json_object_get(conf.primary, "schema.registry.url") ? conf.primary
                                                                                : NULL,
        .scopes = (const char *const *)conf.scopes,
        .n_scopes = conf.n_scopes,
        .exporter = conf.exporter,
    };
    rep = lnk_failover_run(&o, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &status,
                           &err);
    lnk_client_global_cleanup();
    if (!rep) {
        status = LNK_FAILOVER_USAGE;
        goto out;
    }
    cmd_report_print(rep, as_json, print_report);
out:
    if (err.code != FY_OK)
        fprintf(stderr, "ferry failover: %s\n", fy_err_text(&err));
    json_decref(rep);
    cmd_drconf_destroy(&conf);
    fy_err_destroy(&err);
    return status;
}
