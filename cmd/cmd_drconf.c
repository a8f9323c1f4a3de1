/* SPDX-License-Identifier: Apache-2.0
 * cmd_drconf: load a dr.properties file (see cmd_drconf.h).
 * Thread: main thread only. */
#include "cmd/cmd_drconf.h"

#include "common/fy_alloc.h"
#include "common/fy_props.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct drconf_table {
    char *scopes;
    char *exporter;
    char *primary_scopes;
    char *mirror_url;
};

#define O(f) offsetof(struct drconf_table, f)
static const struct fy_setting drconf_settings[] = {
    {"dr.context", FY_SET_STRING, O(scopes), NULL, 0, 0, NULL,
     "the DR registry's imported scope(s), comma separated: a context (.primary or "
     ":.primary:), a subject, or . for the top level (required)"},
    {"exporter.name", FY_SET_STRING, O(exporter), "", 0, 0, NULL,
     "the exporter on the primary that feeds DR (failover pauses it and reads its "
     "position; failback reads its mapping and resumes it)"},
    {"primary.context", FY_SET_STRING, O(primary_scopes), ".", 0, 0, NULL,
     "the primary's scope(s) that feed dr.context, comma separated (`ferry dr failover "
     "--planned` makes them READONLY)"},
    {"mirror.admin.url", FY_SET_STRING, O(mirror_url), "", 0, 0, NULL,
     "the topic mirror's admin endpoint, http://HOST:PORT (`ferry dr`; empty = no topic "
     "side); mirror.<key>: its client settings (basic.auth.user.info, ...)"},
};
#undef O
#define N_SETTINGS (sizeof drconf_settings / sizeof drconf_settings[0])

void cmd_drconf_usage(FILE *f)
{
    fputs("settings:\n"
          "  dr.schema.registry.url  the DR registry (required)\n"
          "  primary.schema.registry.url  the primary registry\n"
          "  dr.<key>, primary.<key>  client settings of each side, the keys of an\n"
          "      exporter's config: basic.auth.user.info, bearer.auth.token,\n"
          "      schema.registry.ssl.truststore.location, ..., request.timeout.ms,\n"
          "      connect.timeout.ms, max.retries (see docs/internals/linker.md)\n"
          "  mirror.<key>  client settings of the mirror's admin endpoint (same keys)\n",
          f);
    fy_settings_print(drconf_settings, N_SETTINGS, f);
}

/* `dr.*` / `primary.*` keys (except the table's) become the two client
 * configs, the rest goes through the settings table. */
static void split_props(const struct fy_props *all, struct fy_props *rest, json_t *dr,
                        json_t *primary, json_t *mirror)
{
    rest->path = fy_strdup(all->path);
    for (size_t i = 0; i < all->n; i++) {
        const struct fy_prop *p = &all->items[i];
        bool table = false;
        for (size_t k = 0; k < N_SETTINGS; k++)
            table = table || strcmp(p->key, drconf_settings[k].name) == 0;
        if (!table && strncmp(p->key, "dr.", 3) == 0)
            json_object_set_new(dr, p->key + 3, json_string(p->value));
        else if (!table && strncmp(p->key, "primary.", 8) == 0)
            json_object_set_new(primary, p->key + 8, json_string(p->value));
        else if (!table && strncmp(p->key, "mirror.", 7) == 0)
            json_object_set_new(mirror, p->key + 7, json_string(p->value));
        else
            fy_props_set(rest, p->key, p->value);
    }
}

int cmd_drconf_load(const char *path, struct cmd_drconf *c, struct fy_err *err)
{
    struct fy_props props = {0}, rest = {0};
    struct drconf_table t = {0};
    int rc = -1;
    memset(c, 0, sizeof *c);
    json_t *mirror = json_object();
    c->dr = json_object();
    c->primary = json_object();
    c->path = fy_strdup(path);
    if (fy_props_load(path, &props, err) != 0)
        goto out;
    split_props(&props, &rest, c->dr, c->primary, mirror);
    if (fy_settings_apply(drconf_settings, N_SETTINGS, &rest, NULL, &t, err) != 0)
        goto out;
    if (!t.scopes || !t.scopes[0]) {
        fy_err_set(err, FY_E_CONFIG, "%s: dr.context is required", path);
        goto out;
    }
    if (!json_object_get(c->dr, "schema.registry.url")) {
        fy_err_set(err, FY_E_CONFIG, "%s: dr.schema.registry.url is required", path);
        goto out;
    }
    c->scopes = fy_list_split(t.scopes, ',', false, &c->n_scopes);
    if (!c->n_scopes) {
        fy_err_set(err, FY_E_CONFIG, "%s: dr.context is required", path);
        goto out;
    }
    c->primary_scopes = fy_list_split(t.primary_scopes, ',', false, &c->n_primary_scopes);
    if (t.mirror_url && t.mirror_url[0]) {
        json_object_set_new(mirror, "schema.registry.url", json_string(t.mirror_url));
        c->mirror = json_incref(mirror);
    } else if (json_object_size(mirror)) {
        fy_err_set(err, FY_E_CONFIG, "%s: mirror.* settings without mirror.admin.url", path);
        goto out;
    }
    if (t.exporter && t.exporter[0])
        c->exporter = fy_strdup(t.exporter);
    rc = 0;
out:
    json_decref(mirror);
    if (rc != 0)
        cmd_drconf_destroy(c);
    fy_settings_free(drconf_settings, N_SETTINGS, &t);
    fy_props_destroy(&rest);
    fy_props_destroy(&props);
    return rc;
}

void cmd_drconf_destroy(struct cmd_drconf *c)
{
    json_decref(c->dr);
    json_decref(c->primary);
    fy_list_free(c->scopes, c->n_scopes);
    fy_list_free(c->primary_scopes, c->n_primary_scopes);
    json_decref(c->mirror);
    free(c->exporter);
    free(c->path);
    memset(c, 0, sizeof *c);
}
