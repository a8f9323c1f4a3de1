/* SPDX-License-Identifier: Apache-2.0
 * cmd_drconf: the dr.properties file shared by `ferry failover`,
 * `ferry failback` and `ferry dr`: `dr.*` and `primary.*` keys become the two
 * registries' client settings (lnk_client.h keys), `mirror.*` keys the
 * client settings of the topic mirror's admin endpoint (`mirror.admin.url`
 * its base URL), `dr.context` lists the DR's imported scopes,
 * `primary.context` the primary's scopes they come from (made READONLY by a
 * planned failover) and `exporter.name` names the primary's exporter feeding
 * DR. A file without `mirror.*` keys (an older dr.properties) still loads:
 * there is then no topic side.
 * Thread: main thread only. */
#ifndef CMD_DRCONF_H
#define CMD_DRCONF_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct cmd_drconf {
    json_t *dr;      /* client settings of the DR registry (owned) */
    json_t *primary; /* of the primary; no schema.registry.url = none configured */
    char **scopes;   /* dr.context split at commas, trimmed */
    size_t n_scopes;
    char *exporter;  /* exporter.name, NULL when empty */
    json_t *mirror;  /* client settings of the mirror's admin endpoint; NULL = no mirror */
    char **primary_scopes; /* primary.context split at commas (default ".") */
    size_t n_primary_scopes;
    char *path;      /* the file loaded (journals live beside it) */
};

/* Load and check `path` (dr.schema.registry.url and dr.context required).
 * 0, or -1 with FY_E_CONFIG naming the file and key; *c is then empty. */
int cmd_drconf_load(const char *path, struct cmd_drconf *c, struct fy_err *err);
void cmd_drconf_destroy(struct cmd_drconf *c);

/* The settings part of a command's --help. */
void cmd_drconf_usage(FILE *f);

#endif
