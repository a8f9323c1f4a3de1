/* SPDX-License-Identifier: Apache-2.0
 * mir_conf: mirror.properties → struct mir_conf through one settings table
 * (fy_settings_apply). Thread: startup only. */
#include "mirror/mir_conf.h"

#include "common/fy_alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const start_offsets[] = {"earliest", "latest", NULL};

#define O(f) offsetof(struct mir_conf, f)
static const char *const auth_methods[] = {"NONE", "BASIC", NULL};

static const struct fy_setting mir_settings[] = {
    {"source.bootstrap.servers", FY_SET_STRING, O(src_bootstrap), NULL, 0, 0, NULL,
     "source cluster bootstrap servers (required)"},
    {"destination.bootstrap.servers", FY_SET_STRING, O(dst_bootstrap), NULL, 0, 0, NULL,
     "destination cluster bootstrap servers (required)"},
    {"mirror.name", FY_SET_STRING, O(name), "ferry", 0, 0, NULL,
     "name of this mirror: keys its records in the state topic and its position group"},
    {"topics", FY_SET_STRING, O(topics), "", 0, 0, NULL, "topics to mirror, literal names"},
    {"topics.prefix", FY_SET_STRING, O(topics_prefix), "", 0, 0, NULL,
     "mirror topics starting with one of these prefixes"},
    {"topics.regex", FY_SET_STRING, O(topics_regex), "", 0, 0, NULL,
     "mirror topics whose whole name matches one of these POSIX extended regexes"},
    {"topics.exclude", FY_SET_STRING, O(topics_exclude), "", 0, 0, NULL,
     "never mirror these topics (literal)"},
    {"topics.exclude.prefix", FY_SET_STRING, O(topics_exclude_prefix), "", 0, 0, NULL,
     "never mirror topics with these prefixes"},
    {"topics.exclude.regex", FY_SET_STRING, O(topics_exclude_regex), "", 0, 0, NULL,
     "never mirror topics matching these regexes"},
    {"topic.prefix", FY_SET_STRING, O(topic_prefix), "", 0, 0, NULL,
     "prefix added to the destination topic name"},
    {"groups", FY_SET_STRING, O(groups), "", 0, 0, NULL,
     "consumer groups whose offsets are translated onto the destination (literal)"},
    {"groups.prefix", FY_SET_STRING, O(groups_prefix), "", 0, 0, NULL,
     "groups to translate, by prefix"},
    {"groups.regex", FY_SET_STRING, O(groups_regex), "", 0, 0, NULL,
     "groups to translate, by regex"},
    {"groups.exclude", FY_SET_STRING, O(groups_exclude), "", 0, 0, NULL,
     "groups never translated (literal)"},
    {"groups.exclude.prefix", FY_SET_STRING, O(groups_exclude_prefix), "", 0, 0, NULL,
     "groups never translated, by prefix"},
    {"groups.exclude.regex", FY_SET_STRING, O(groups_exclude_regex), "", 0, 0, NULL,
     "groups never translated, by regex"},
    {"topics.refresh.interval.ms", FY_SET_INT, O(refresh_ms), "1000", 100, 86400000, NULL,
     "how often the topic list and partition counts are re-evaluated (one metadata request "
     "to the source: a new topic is copied within about this long of its creation)"},
    {"topic.config.sync.interval.ms", FY_SET_INT, O(config_sync_ms), "30000", 100, 86400000,
     NULL, "how often topic configs are synced"},
    {"groups.sync.interval.ms", FY_SET_INT, O(group_sync_ms), "5000", 100, 86400000, NULL,
     "how often group offsets are translated and committed on the destination"},
    {"offset.commit.interval.ms", FY_SET_INT, O(commit_ms), "1000", 10, 600000, NULL,
     "how often acknowledged source positions are committed (on the destination)"},
    {"replication.factor", FY_SET_INT, O(replication_factor), "-1", -1, 32767, NULL,
     "replication factor of created mirror topics (-1: destination broker default)"},
    {"mirror.start.offset", FY_SET_ENUM, O(start_offset), "earliest", 0, 0, start_offsets,
     "where a partition with no stored position starts"},
    {"state.topic", FY_SET_STRING, O(state_topic), "__ferry_mirror", 0, 0, NULL,
     "compacted topic on the destination holding mirror states and the offset map"},
    {"admin.listen", FY_SET_STRING, O(admin_listen), "127.0.0.1:8090", 0, 0, NULL,
     "HOST:PORT of the local admin HTTP endpoint (status, pause, resume, failover, promote)"},
    {"admin.authentication.method", FY_SET_ENUM, O(admin_auth_method), "NONE", 0, 0,
     auth_methods, "NONE or BASIC: the admin endpoint authenticates as ferry serve does"},
    {"admin.authentication.realm", FY_SET_STRING, O(admin_auth_realm), "", 0, 0, NULL,
     "JAAS section naming the user file, and the WWW-Authenticate realm"},
    {"admin.authentication.roles", FY_SET_STRING, O(admin_auth_roles), "*", 0, 0, NULL,
     "roles a user needs one of (403 otherwise); * = any authenticated user"},
    {"admin.auth.user.file", FY_SET_STRING, O(admin_user_file), "", 0, 0, NULL,
     "Jetty PropertyFileLoginModule user file (see ferry passwd)"},
    {"admin.auth.jaas.config", FY_SET_STRING, O(admin_jaas), "", 0, 0, NULL,
     "JAAS file whose admin.authentication.realm section names the user file"},
    {"admin.auth.roles.read", FY_SET_STRING, O(admin_roles_read), "", 0, 0, NULL,
     "roles that may GET /status; with admin.auth.roles.admin unset too, every user is admin"},
    {"admin.auth.roles.admin", FY_SET_STRING, O(admin_roles_admin), "", 0, 0, NULL,
     "roles that may pause, resume, fail over and promote (and read)"},
    {"log.debug", FY_SET_STRING, O(log_debug), "", 0, 0, NULL,
     "modules with DEBUG logging (mirror, librdkafka) or all"},
};
#undef O
#define N_SETTINGS (sizeof mir_settings / sizeof mir_settings[0])

static bool declared(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(mir_settings[i].name, key) == 0)
            return true;
    return false;
}

static void push(struct fy_props *dst, const struct fy_prop *pr, const char *key)
{
    dst->items = fy_realloc(dst->items, (dst->n + 1) * sizeof *dst->items);
    dst->items[dst->n].key = fy_strdup(key);
    dst->items[dst->n].value = fy_strdup(pr->value);
    dst->items[dst->n].line = pr->line;
    dst->n++;
}

/* Destination producer settings the no-skip guarantee cannot live with: the
 * commit logic assumes every record is acknowledged, in order, eventually —
 * an idempotent producer with no local timeout. `ok` is the only value
 * accepted (NULL: the key is refused whatever its value). */
static const struct {
    const char *key, *ok, *why;
} refused_dst[] = {
    {"enable.idempotence", "true", "acknowledgements must arrive in order per partition"},
    {"message.timeout.ms", "0", "a record that times out would leave a hole behind later ones"},
    {"delivery.timeout.ms", "0", "a record that times out would leave a hole behind later ones"},
    {"acks", "all", "a record acknowledged by the leader alone can be lost on failover"},
    {"transactional.id", NULL, "the mirror's producer is not transactional"},
};

static int check_refused(const struct fy_props *dst, struct fy_err *err)
{
    for (size_t i = 0; i < dst->n; i++)
        for (size_t k = 0; k < sizeof refused_dst / sizeof refused_dst[0]; k++) {
            const struct fy_prop *pr = &dst->items[i];
            if (strcmp(pr->key, refused_dst[k].key) != 0)
                continue;
            if (refused_dst[k].ok && (strcmp(pr->value, refused_dst[k].ok) == 0 ||
                                      (strcmp(pr->key, "acks") == 0 &&
                                       strcmp(pr->value, "-1") == 0)))
                continue;
            char allowed[64] = "";
            if (refused_dst[k].ok)
                snprintf(allowed, sizeof allowed, " (only %s is accepted)", refused_dst[k].ok);
            return fy_err_set(err, FY_E_CONFIG,
                              "%s:%d: destination.%s=%s is refused: the mirror never skips a "
                              "record, and %s%s", dst->path, pr->line, pr->key, pr->value,
                              refused_dst[k].why, allowed);
        }
    return 0;
}

int mir_conf_load(struct mir_conf *conf, const struct fy_props *props, struct fy_err *err)
{
    int rc = -1;
    struct fy_props own = {0};
    memset(conf, 0, sizeof *conf);
    own.path = fy_strdup(props->path ? props->path : "");
    conf->src_props.path = fy_strdup(own.path);
    conf->dst_props.path = fy_strdup(own.path);
    /* Undeclared source./destination. keys belong to librdkafka; splitting them
     * off here keeps the table strict (a typo in a ferry key is still an error). */
    for (size_t i = 0; i < props->n; i++) {
        const struct fy_prop *pr = &props->items[i];
        if (declared(pr->key))
            push(&own, pr, pr->key);
        else if (strncmp(pr->key, "source.", 7) == 0)
            push(&conf->src_props, pr, pr->key + 7);
        else if (strncmp(pr->key, "destination.", 12) == 0)
            push(&conf->dst_props, pr, pr->key + 12);
        else
            push(&own, pr, pr->key);
    }
    if (fy_settings_apply(mir_settings, N_SETTINGS, &own, NULL, conf, err) != 0)
        goto out;
    if (check_refused(&conf->dst_props, err) != 0)
        goto out;
    if (!conf->src_bootstrap || !conf->src_bootstrap[0]) {
        fy_err_set(err, FY_E_CONFIG, "%s: source.bootstrap.servers is required", own.path);
        goto out;
    }
    if (!conf->dst_bootstrap || !conf->dst_bootstrap[0]) {
        fy_err_set(err, FY_E_CONFIG, "%s: destination.bootstrap.servers is required", own.path);
        goto out;
    }
    if (!conf->topics[0] && !conf->topics_prefix[0] && !conf->topics_regex[0]) {
        fy_err_set(err, FY_E_CONFIG, "%s: no topic selected (set topics, topics.prefix or "
                   "topics.regex)", own.path);
        goto out;
    }
    if (!conf->name[0] || strchr(conf->name, '/')) {
        fy_err_set(err, FY_E_CONFIG, "%s: mirror.name must be non-empty and without '/'",
                   own.path);
        goto out;
    }
    rc = 0;
out:
    fy_props_destroy(&own);
    if (rc != 0)
        mir_conf_destroy(conf);
    return rc;
}

void mir_conf_destroy(struct mir_conf *conf)
{
    fy_settings_free(mir_settings, N_SETTINGS, conf);
    fy_props_destroy(&conf->src_props);
    fy_props_destroy(&conf->dst_props);
}

void mir_conf_print_help(FILE *f)
{
    fy_settings_print(mir_settings, N_SETTINGS, f);
    fputs("  source.<librdkafka property>       passed to the source clients\n"
          "  destination.<librdkafka property>  passed to the destination clients\n", f);
}
