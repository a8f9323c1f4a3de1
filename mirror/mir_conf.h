/* SPDX-License-Identifier: Apache-2.0
 * mir_conf: the settings of `ferry mirror --config mirror.properties`, one
 * static table (style S8). Keys under `source.` / `destination.` that the
 * table does not declare are librdkafka client properties, passed through
 * unchanged to the source and destination clients (librdkafka validates them).
 * Thread: startup only; read-only afterwards. */
#ifndef MIR_CONF_H
#define MIR_CONF_H

#include "common/fy_err.h"
#include "common/fy_props.h"

#include <stdbool.h>
#include <stdio.h>

struct mir_conf {
    char *src_bootstrap;
    char *dst_bootstrap;
    char *name;            /* mirror.name: keys the state/offset-map records and our group */
    /* topic selection (comma lists; regexes are POSIX ERE, whole-name match) */
    char *topics;
    char *topics_prefix;
    char *topics_regex;
    char *topics_exclude;
    char *topics_exclude_prefix;
    char *topics_exclude_regex;
    char *topic_prefix;    /* prepended to the destination topic name */
    /* consumer groups whose offsets are translated onto the destination */
    char *groups;
    char *groups_prefix;
    char *groups_regex;
    char *groups_exclude;
    char *groups_exclude_prefix;
    char *groups_exclude_regex;
    long long refresh_ms;        /* topic list / partition count re-evaluation */
    long long config_sync_ms;    /* topic config sync */
    long long group_sync_ms;     /* group offset translation */
    long long commit_ms;         /* source-position commit (on the destination) */
    long long replication_factor; /* for created mirror topics; -1 = broker default */
    int start_offset;            /* index into {earliest, latest} */
    char *state_topic;           /* internal topic on the destination */
    char *admin_listen;          /* HOST:PORT of the admin HTTP endpoint */
    int admin_auth_method;       /* 0 NONE, 1 BASIC (as ferry serve's authentication.*) */
    char *admin_auth_realm, *admin_auth_roles, *admin_user_file, *admin_jaas;
    char *admin_roles_read, *admin_roles_admin; /* GET /status; POST operations */
    char *log_debug;
    /* pass-through librdkafka properties, prefix removed */
    struct fy_props src_props;
    struct fy_props dst_props;
};

/* Fill `conf` from `props`: defaults, range checks, required keys, and the
 * source./destination. pass-through lists. 0, or -1 with err (FY_E_CONFIG,
 * naming file and line). On failure `conf` holds nothing to free.
 * Thread: startup. */
int mir_conf_load(struct mir_conf *conf, const struct fy_props *props, struct fy_err *err);
/* Free everything `conf` owns. Safe on a zeroed struct. */
void mir_conf_destroy(struct mir_conf *conf);
/* The settings table as help text. */
void mir_conf_print_help(FILE *f);

#endif
