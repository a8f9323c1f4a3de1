/* SPDX-License-Identifier: Apache-2.0
 * cmd_failback: `ferry failback --config dr.properties --plan|--apply
 * [--json] [--on-conflict=fail|renumber]` — after a failover, bring what the
 * DR registry took during the outage back to the primary and restore the
 * link's direction (linker/lnk_failback.h does the work; this file is the
 * command line and the readable report).
 * Thread: main thread only. */
#include "cmd/cmd.h"

#include "cmd/cmd_drconf.h"
#include "common/fy_alloc.h"
#include "linker/lnk_client.h"
#include "linker/lnk_failback.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: ferry failback --config FILE (--plan | --apply) [--json]\n"
          "                      [--on-conflict fail|renumber]\n"
          "\n"
          "After `ferry failover`, brings the schemas registered on the DR registry during\n"
          "the outage back to the primary, and restores the link's direction.\n"
          "\n"
          "--plan reads both registries and changes nothing: every version in the DR\n"
          "scopes (dr.context) that the primary does not hold identically, and how it goes\n"
          "back through the link's mapping (read from the primary's exporter.name): with\n"
          "the same id and version where they are free on the primary; a conflict where\n"
          "the primary holds a different schema under that id or subject/version (its own\n"
          "writes that never reached DR).\n"
          "\n"
          "--apply pauses the exporter, puts the DR scopes back into IMPORT (DR stops taking\n"
          "writes there), writes the plan to the primary through IMPORT, makes the primary\n"
          "READWRITE and resumes the exporter. Running it again is harmless.\n"
          "\n"
          "options:\n"
          "  --config FILE          .properties file (keys below; the same file as failover)\n"
          "  --plan                 show the plan only\n"
          "  --apply                carry it out\n"
          "  --on-conflict POLICY   fail (default): a conflict stops --apply before anything\n"
          "                         is written. renumber: the DR schema is kept on the\n"
          "                         primary under a fresh id (free on both sides) and/or the\n"
          "                         subject's next version; the DR copy gives way and the\n"
          "                         link brings the primary's version back. The report lists\n"
          "                         every id that changed: data written on DR with the old id\n"
          "                         needs the new one.\n"
          "  --json                 print the report as one JSON object\n"
          "  --help                 this text\n"
          "\n"
          "exit status:\n"
          "  0  --plan: --apply would go through; --apply: done\n"
          "  1  conflicts under fail, a registry unreachable, or a step refused (the report\n"
          "     says which; --apply again after fixing it)\n"
          "  2  bad command line or configuration\n"
          "\n",
          f);
    cmd_drconf_usage(f);
    fputs("  (failback needs primary.schema.registry.url and exporter.name)\n", f);
}

static const char *str(json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void where(json_t *w, char *buf, size_t len)
{
    snprintf(buf, len, "%s v%lld (id %lld)", str(w, "subject", "?"), num(w, "version"),
             num(w, "id"));
}

static void print_item(json_t *it, FILE *f)
{
    char dr[512], pr[512];
    where(json_object_get(it, "dr"), dr, sizeof dr);
    json_t *p = json_object_get(it, "primary");
    const char *action = str(it, "action", "?");
    if (json_is_true(json_object_get(it, "kept")))
        action = "kept";
    if (p)
        where(p, pr, sizeof pr);
    fprintf(f, "  %-9s %-40s -> %s", action, dr,
            p ? pr : "(not produced by the link: left on DR)");
    if (json_is_true(json_object_get(it, "deleted")))
        fputs(" [soft-deleted]", f);
    fputc('\n', f);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(it, "conflicts"), i, c)
    {
        if (strcmp(str(c, "kind", ""), "version") == 0)
            fprintf(f, "            conflict: the primary's %s v%lld is a different schema (id %lld)\n",
                    str(c, "subject", "?"), num(c, "version"), num(c, "id"));
        else
            fprintf(f, "            conflict: the primary's id %lld is a different schema (%s v%lld)\n",
                    num(c, "id"), str(c, "subject", "?"), num(c, "version"));
    }
    if (json_is_true(json_object_get(it, "references_changed")))
        fputs("            its references follow renumbered versions\n", f);
}

static void print_report(json_t *rep, FILE *f)
{
    bool apply = json_is_true(json_object_get(rep, "apply"));
    fprintf(f, "failback %s: DR %s -> primary %s (exporter '%s', on conflict: %s)\n",
            apply ? "apply" : "plan", str(rep, "dr", "?"), str(rep, "primary", "?"),
            str(rep, "exporter", "?"), str(rep, "policy", "?"));
    json_t *plan = json_object_get(rep, "plan");
    if (json_is_object(plan)) {
        json_t *c = json_object_get(plan, "counts");
        fprintf(f, "%lld DR versions: %lld in sync, %lld to copy, %lld to renumber, %lld kept "
                   "before, %lld conflicts, %lld not linked\n",
                num(c, "dr_versions"), num(c, "in_sync"), num(c, "copy"), num(c, "renumber"),
                num(c, "kept"), num(c, "conflict"), num(c, "unlinked"));
        size_t i;
        json_t *it;
        if (json_array_size(json_object_get(plan, "items")))
            fprintf(f, "\n  %-9s %-40s -> %s\n", "action", "DR subject version (id)",
                    "primary subject version (id)");
        json_array_foreach(json_object_get(plan, "items"), i, it)
            print_item(it, f);
        json_t *ids = json_object_get(plan, "id_changes");
        if (json_array_size(ids))
            fputs("\nids that change (data serialized on DR with the old id needs the new one):\n",
                  f);
        json_array_foreach(ids, i, it)
            fprintf(f, "  context %s: DR id %lld -> primary id %lld\n", str(it, "context", "."),
                    num(it, "dr_id"), num(it, "primary_id"));
        json_t *rp = json_object_get(plan, "dr_repairs");
        if (json_array_size(rp))
            fputs("\nDR versions that give way (the link then brings the primary's back):\n", f);
        json_array_foreach(rp, i, it)
            fprintf(f, "  %s v%lld (id %lld): %s\n", str(it, "subject", "?"), num(it, "version"),
                    num(it, "id"), str(it, "why", ""));
    }
    fputs("\nsteps:\n", f);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rep, "steps"), i, s)
    {
        bool ok = json_is_true(json_object_get(s, "ok"));
        fprintf(f, "  [%s] %s", ok ? "ok" : "FAILED", str(s, "step", ""));
        const char *extra = str(s, ok ? "detail" : "error", NULL);
        if (extra)
            fprintf(f, ": %s", extra);
        fputc('\n', f);
    }
    long long st = num(rep, "status");
    if (!apply)
        fputs(st == 0 ? "\nresult: --apply would go through\n"
                      : "\nresult: --apply would refuse (see above)\n",
              f);
    else
        fputs(st == 0 ? "\nresult: failed back; the link runs primary -> DR again\n"
                      : "\nresult: NOT complete (see the failed step; --apply again is safe)\n",
              f);
}

int cmd_failback(int argc, char **argv)
{
    struct fy_err err = {0};
    struct cmd_drconf conf = {0};
    const char *config_path = NULL, *policy_name = "fail";
    bool as_json = false, plan = false, apply = false;
    json_t *rep = NULL;
    int status = LNK_FAILBACK_USAGE;

    const struct cmd_flag flags[] = {{"--config", &config_path, NULL},
                                     {"--json", NULL, &as_json},
                                     {"--plan", NULL, &plan},
                                     {"--apply", NULL, &apply},
                                     {"--on-conflict", &policy_name, NULL}};
    int frc = cmd_flags_parse("failback", argc, argv, flags, sizeof flags / sizeof flags[0], usage);
    if (frc != 0) {
        status = frc > 0 ? 0 : LNK_FAILBACK_USAGE;
        goto out;
    }
    enum lnk_fb_policy policy;
    if (!config_path) {
        fprintf(stderr, "ferry failback: --config FILE is required\n");
        goto out;
    }
    if (plan == apply) {
        fprintf(stderr, "ferry failback: exactly one of --plan and --apply\n");
        goto out;
    }
    if (lnk_fb_policy_parse(policy_name, &policy) != 0) {
        fprintf(stderr, "ferry failback: --on-conflict is fail or renumber, not '%s'\n",
                policy_name);
        goto out;
    }
    if (cmd_drconf_load(config_path, &conf, &err) != 0)
        goto out;
    if (!json_object_get(conf.primary, "schema.registry.url") || !conf.exporter) {
        fy_err_set(&err, FY_E_CONFIG,
                   "%s: failback needs primary.schema.registry.url and exporter.name", config_path);
        goto out;
    }
    lnk_client_global_init();
    struct lnk_failback_opts o = {
        .dr_config = conf.dr,
        .primary_config = conf.primary,
        .scopes = (const char *const *)conf.scopes,
        .n_scopes = conf.n_scopes,
        .exporter = conf.exporter,
        .policy = policy,
        .apply = apply,
    };
    rep = lnk_failback_run(&o, &status, &err);
    lnk_client_global_cleanup();
    if (!rep) {
        status = LNK_FAILBACK_USAGE;
        goto out;
    }
    if (as_json) {
        /* the request bodies are for the apply, not for readers */
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(json_object_get(rep, "plan"), "items"), i, it)
            json_object_del(it, "body");
    }
    cmd_report_print(rep, as_json, print_report);
out:
    if (err.code != FY_OK)
        fprintf(stderr, "ferry failback: %s\n", fy_err_text(&err));
    json_decref(rep);
    cmd_drconf_destroy(&conf);
    fy_err_destroy(&err);
    return status;
}
