/* SPDX-License-Identifier: Apache-2.0
 * cmd_failover: `ferry failover --config dr.properties [--json]` — the schema
 * side of a DR switch in one command (linker/lnk_failover.h does the work):
 * pause the primary's exporter if the primary answers, switch the DR's
 * imported scopes IMPORT -> READWRITE, and print what was switched and the
 * link's last replicated position and time (the schema RPO).
 * Thread: main thread only. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_props.h"
#include "linker/lnk_client.h"
#include "linker/lnk_failover.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct failover_conf {
    char *scopes;
    char *exporter;
};

#define O(f) offsetof(struct failover_conf, f)
static const struct fy_setting failover_settings[] = {
    {"dr.context", FY_SET_STRING, O(scopes), NULL, 0, 0, NULL,
     "the DR registry's imported scope(s), comma separated: a context (.primary or "
     ":.primary:), a subject, or . for the top level (required)"},
    {"exporter.name", FY_SET_STRING, O(exporter), "", 0, 0, NULL,
     "the exporter on the primary that feeds DR (to pause it and read its position)"},
};
#undef O
#define N_SETTINGS (sizeof failover_settings / sizeof failover_settings[0])

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
          "\n"
          "settings:\n"
          "  dr.schema.registry.url  the DR registry (required)\n"
          "  primary.schema.registry.url  the primary registry (optional)\n"
          "  dr.<key>, primary.<key>  client settings of each side, the keys of an\n"
          "      exporter's config: basic.auth.user.info, bearer.auth.token,\n"
          "      schema.registry.ssl.truststore.location, ..., request.timeout.ms,\n"
          "      connect.timeout.ms, max.retries (see docs/internals/linker.md)\n",
          f);
    fy_settings_print(failover_settings, N_SETTINGS, f);
}

/* Split the file: `dr.*` / `primary.*` keys (except the table's) become the
 * two client configs, the rest goes through the settings table. */
static void split_props(const struct fy_props *all, struct fy_props *rest, json_t *dr,
                        json_t *primary)
{
    rest->path = fy_strdup(all->path);
    for (size_t i = 0; i < all->n; i++) {
        const struct fy_prop *p = &all->items[i];
        bool table = false;
        for (size_t k = 0; k < N_SETTINGS; k++)
            table = table || strcmp(p->key, failover_settings[k].name) == 0;
        if (!table && strncmp(p->key, "dr.", 3) == 0)
            json_object_set_new(dr, p->key + 3, json_string(p->value));
        else if (!table && strncmp(p->key, "primary.", 8) == 0)
            json_object_set_new(primary, p->key + 8, json_string(p->value));
        else
            fy_props_set(rest, p->key, p->value);
    }
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
    struct fy_props props = {0}, rest = {0};
    struct fy_err err = {0};
    struct failover_conf conf = {0};
    const char *config_path = NULL;
    bool as_json = false;
    json_t *dr = json_object(), *primary = json_object(), *rep = NULL;
    char **scopes = NULL;
    size_t n_scopes = 0;
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
    if (fy_props_load(config_path, &props, &err) != 0)
        goto out;
    split_props(&props, &rest, dr, primary);
    if (fy_settings_apply(failover_settings, N_SETTINGS, &rest, NULL, &conf, &err) != 0)
        goto out;
    if (!conf.scopes || !conf.scopes[0]) {
        fy_err_set(&err, FY_E_CONFIG, "%s: dr.context is required", config_path);
        goto out;
    }
    if (!json_object_get(dr, "schema.registry.url")) {
        fy_err_set(&err, FY_E_CONFIG, "%s: dr.schema.registry.url is required", config_path);
        goto out;
    }
    for (const char *s = conf.scopes; *s;) {
        size_t len = strcspn(s, ",");
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        size_t l2 = len;
        while (l2 && (s[l2 - 1] == ' ' || s[l2 - 1] == '\t'))
            l2--;
        if (l2) {
            scopes = fy_realloc(scopes, (n_scopes + 1) * sizeof *scopes);
            scopes[n_scopes++] = fy_strndup(s, l2);
        }
        s += len;
        if (*s == ',')
            s++;
    }
    lnk_client_global_init();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct lnk_failover_opts o = {
        .dr_config = dr,
        .primary_config = json_object_get(primary, "schema.registry.url") ? primary : NULL,
        .scopes = (const char *const *)scopes,
        .n_scopes = n_scopes,
        .exporter = conf.exporter && conf.exporter[0] ? conf.exporter : NULL,
    };
    rep = lnk_failover_run(&o, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &status,
                           &err);
    lnk_client_global_cleanup();
    if (!rep) {
        status = LNK_FAILOVER_USAGE;
        goto out;
    }
    if (as_json) {
        char *text = json_dumps(rep, JSON_COMPACT);
        puts(text);
        free(text);
    } else {
        print_report(rep, stdout);
    }
out:
    if (err.code != FY_OK)
        fprintf(stderr, "ferry failover: %s\n", fy_err_text(&err));
    for (size_t i = 0; i < n_scopes; i++)
        free(scopes[i]);
    free(scopes);
    json_decref(rep);
    json_decref(dr);
    json_decref(primary);
    fy_settings_free(failover_settings, N_SETTINGS, &conf);
    fy_props_destroy(&rest);
    fy_props_destroy(&props);
    fy_err_destroy(&err);
    return status;
}
