/* SPDX-License-Identifier: Apache-2.0
 * cmd_drconf: the dr.properties file shared by `ferry failover` and
 * `ferry failback`: `dr.*` and `primary.*` keys become the two registries'
 * client settings (lnk_client.h keys), `dr.context` lists the DR's imported
 * scopes and `exporter.name` names the primary's exporter feeding DR.
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
};

/* Load and check `path` (dr.schema.registry.url and dr.context required).
 * 0, or -1 with FY_E_CONFIG naming the file and key; *c is then empty. */
int cmd_drconf_load(const char *path, struct cmd_drconf *c, struct fy_err *err);
void cmd_drconf_destroy(struct cmd_drconf *c);

/* The settings part of a command's --help. */
void cmd_drconf_usage(FILE *f);

#endif
