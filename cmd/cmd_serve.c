/* SPDX-License-Identifier: Apache-2.0
 * cmd_serve: `ferry serve` — reads the settings (a .properties file with
 * Confluent's key names where one exists, overridden by flags), opens the
 * registry and its exporters (linker), serves HTTP until SIGTERM/SIGINT,
 * then shuts down cleanly. The only place that knows both registry/ and linker/.
 * Thread: main thread; signals are blocked everywhere and taken by sigwait. */
#include "cmd/cmd.h"

#include "cmd/cmd_drpage.h"
#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"
#include "common/fy_metrics.h"
#include "common/fy_obs.h"
#include "common/fy_props.h"
#include "common/fy_auth.h"
#include "common/fy_secret.h"
#include "common/fy_tls.h"
#include "linker/lnk_service.h"
#include "registry/reg_avro.h"
#include "registry/reg_compat.h"
#include "registry/reg_http.h"
#include "registry/reg_registry.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

struct serve_conf {
    char *listeners;
    char *data_dir;
    int compat_level;
    int default_mode;
    bool mode_mutability;
    char *group_id;
    long long max_body;
    long long http_threads;
    long long max_conns;
    long long max_conns_per_addr;
    long long idle_timeout_ms;
    long long header_timeout_ms;
    long long body_timeout_ms;
    long long conn_memory;
    long long conn_memory_increment;
    long long max_uri;
    long long max_header_bytes;
    long long max_query_params;
    long long graceful_ms;
    long long max_exporters;
    long long max_lanes;
    bool fsync;
    long long compact_min;
    long long parsed_cache;
    long long sch_bytes, sch_json_depth, sch_depth, sch_names, sch_branches, sch_symbols,
        sch_fields, compat_steps, compat_bytes; /* reg_avro_limits, reg_compat_limits */
    char *log_debug;
    /* TLS (rest-utils' ssl.* keys, PEM or PKCS12 keystores) */
    char *ks_location, *ks_password, *key_password, *key_location, *ts_location, *ts_password;
    int ks_type, ts_type, client_authn;
    bool client_auth_legacy;
    char *tls_protocols;
    /* authentication (rest-utils' authentication.* keys) and ferry's role levels */
    int auth_method;
    char *auth_realm, *auth_roles, *auth_skip, *user_file, *jaas_file, *jaas_java;
    char *grants[3];
    char *secrets_key_file;
    bool metrics;
    bool access_log;
    char *dr_config;
};

static const char *const levels[] = {"none", "backward", "backward_transitive", "forward",
                                     "forward_transitive", "full", "full_transitive", NULL};
static const char *const modes[] = {"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", NULL};
static const char *const ks_types[] = {"PEM", "PKCS12", NULL};
static const char *const ts_types[] = {"PEM", NULL};
static const char *const client_authns[] = {"NONE", "REQUESTED", "REQUIRED", NULL};
static const char *const auth_methods[] = {"NONE", "BASIC", NULL};

#define O(f) offsetof(struct serve_conf, f)
static const struct fy_setting serve_settings[] = {
    {"listeners", FY_SET_STRING, O(listeners), "http://127.0.0.1:8081", 0, 0, NULL,
     "where to listen: a comma list of http://HOST:PORT and https://HOST:PORT (at most 8)"},
    {"ssl.keystore.location", FY_SET_STRING, O(ks_location), "", 0, 0, NULL,
     "https: the server certificate chain and its private key in one PEM file (Kafka's PEM "
     "keystore), or a PKCS12 file; with ferry.ssl.key.location the PEM file holds the chain "
     "only"},
    {"ssl.keystore.type", FY_SET_ENUM, O(ks_type), "PEM", 0, 0, ks_types,
     "PEM or PKCS12 (Java JKS keystores: convert with keytool -importkeystore to PKCS12)"},
    {"ssl.keystore.password", FY_SET_STRING, O(ks_password), "", 0, 0, NULL,
     "password of a PKCS12 keystore"},
    {"ssl.key.password", FY_SET_STRING, O(key_password), "", 0, 0, NULL,
     "password of an encrypted PEM private key (PKCS#8)"},
    {"ferry.ssl.key.location", FY_SET_STRING, O(key_location), "", 0, 0, NULL,
     "https: the private key in its own PEM file (ssl.keystore.location then holds the "
     "certificate chain)"},
    {"ssl.truststore.location", FY_SET_STRING, O(ts_location), "", 0, 0, NULL,
     "PEM bundle of the CAs that client certificates must chain to (mTLS)"},
    {"ssl.truststore.type", FY_SET_ENUM, O(ts_type), "PEM", 0, 0, ts_types,
     "PEM only"},
    {"ssl.truststore.password", FY_SET_STRING, O(ts_password), "", 0, 0, NULL,
     "accepted for Confluent files; a PEM truststore has no password"},
    {"ssl.client.authentication", FY_SET_ENUM, O(client_authn), "NONE", 0, 0, client_authns,
     "client certificates on https: NONE, REQUESTED (one that is sent must verify) or "
     "REQUIRED (the handshake fails without one)"},
    {"ssl.client.auth", FY_SET_BOOL, O(client_auth_legacy), "false", 0, 0, NULL,
     "deprecated (rest-utils): true = ssl.client.authentication=REQUIRED"},
    {"authentication.method", FY_SET_ENUM, O(auth_method), "NONE", 0, 0, auth_methods,
     "NONE or BASIC (HTTP Basic against the user file; 401 without valid credentials)"},
    {"authentication.realm", FY_SET_STRING, O(auth_realm), "", 0, 0, NULL,
     "the JAAS section naming the user file, and the realm of WWW-Authenticate"},
    {"authentication.roles", FY_SET_STRING, O(auth_roles), "*", 0, 0, NULL,
     "roles a user needs one of (403 otherwise); * = any authenticated user"},
    {"authentication.skip.paths", FY_SET_STRING, O(auth_skip), "", 0, 0, NULL,
     "paths served without authentication (comma list; /x/* matches below /x)"},
    {"ferry.auth.user.file", FY_SET_STRING, O(user_file), "", 0, 0, NULL,
     "the Jetty PropertyFileLoginModule user file (user: credential[,role ...]; "
     "credential plain, MD5:hex, CRYPT:crypt(3) incl. bcrypt, OBF:); see `ferry passwd`"},
    {"ferry.auth.jaas.config", FY_SET_STRING, O(jaas_file), "", 0, 0, NULL,
     "the JAAS file Confluent gets as -Djava.security.auth.login.config: its section "
     "authentication.realm names the user file (file=\"...\")"},
    {"java.security.auth.login.config", FY_SET_STRING, O(jaas_java), "", 0, 0, NULL,
     "same as ferry.auth.jaas.config"},
    {"ferry.auth.roles.read", FY_SET_STRING, O(grants[0]), "", 0, 0, NULL,
     "roles with read access (GET, lookups, compatibility checks): ROLE or "
     "ROLE(subject:PREFIX;context:.CTX) to restrict it; none of the three set = every "
     "user is admin (Confluent)"},
    {"ferry.auth.roles.write", FY_SET_STRING, O(grants[1]), "", 0, 0, NULL,
     "roles with write access (register, delete versions and subjects) and read"},
    {"ferry.auth.roles.admin", FY_SET_STRING, O(grants[2]), "", 0, 0, NULL,
     "roles with admin access (config, mode, contexts, exporters, registering with an id) "
     "and write"},
    {"ferry.secrets.key.file", FY_SET_STRING, O(secrets_key_file), "", 0, 0, NULL,
     "key sealing the credentials of exporter configs in the journal (AES-256-GCM): a file "
     "of 32 bytes, 64 hex digits or base64; else the FERRY_SECRETS_KEY environment variable; "
     "neither = kept in clear"},
    {"ssl.enabled.protocols", FY_SET_STRING, O(tls_protocols), "TLSv1.2,TLSv1.3", 0, 0, NULL,
     "TLS versions offered: TLSv1.2 and/or TLSv1.3 (older ones are refused)"},
    {"ferry.data.dir", FY_SET_STRING, O(data_dir), "./data", 0, 0, NULL,
     "directory of the embedded store (journal)"},
    {"schema.compatibility.level", FY_SET_ENUM, O(compat_level), "backward", 0, 0, levels,
     "default compatibility level"},
    {"mode", FY_SET_ENUM, O(default_mode), "READWRITE", 0, 0, modes,
     "top-level mode when none was ever set"},
    {"mode.mutability", FY_SET_BOOL, O(mode_mutability), "true", 0, 0, NULL,
     "allow PUT/DELETE /mode"},
    {"schema.registry.group.id", FY_SET_STRING, O(group_id), "schema-registry", 0, 0, NULL,
     "registry cluster name shown by /v1/metadata/id"},
    {"ferry.request.max.bytes", FY_SET_INT, O(max_body), "16777216", 1024, 1LL << 30, NULL,
     "largest accepted request body in bytes (413 beyond)"},
    {"ferry.http.threads", FY_SET_INT, O(http_threads), "8", 1, 256, NULL,
     "HTTP worker threads"},
    {"ferry.http.max.connections", FY_SET_INT, O(max_conns), "4096", 16, 1000000, NULL,
     "open client connections in all; at the limit the one that has waited longest for a "
     "request is closed to admit a new one (refused only when all are busy)"},
    {"ferry.http.max.connections.per.address", FY_SET_INT, O(max_conns_per_addr), "1024", 0,
     1000000, NULL, "open connections per client IP address (0 = no limit)"},
    {"idle.timeout.ms", FY_SET_INT, O(idle_timeout_ms), "30000", 1000, 86400000, NULL,
     "a connection with no byte in either direction for this long is closed (rest-utils)"},
    {"ferry.http.request.header.timeout.ms", FY_SET_INT, O(header_timeout_ms), "10000", 100,
     3600000, NULL,
     "request line and headers must be complete this long after the connection opened (after "
     "a kept-alive answer: plus idle.timeout.ms), however slowly they trickle in"},
    {"ferry.http.request.body.timeout.ms", FY_SET_INT, O(body_timeout_ms), "60000", 100,
     3600000, NULL, "the whole request body must arrive this long after its headers"},
    {"ferry.http.connection.memory.bytes", FY_SET_INT, O(conn_memory), "65536", 8192,
     16777216, NULL,
     "libmicrohttpd memory pool per connection (request line, headers and their records, "
     "buffers), at least twice ferry.http.max.header.bytes; twice MHD's 32 KiB so that a "
     "header block just over the limit still gets ferry's 431"},
    {"ferry.http.connection.memory.increment.bytes", FY_SET_INT, O(conn_memory_increment),
     "1024", 256, 1048576, NULL, "step by which libmicrohttpd grows a connection's read buffer"},
    {"ferry.http.max.uri.bytes", FY_SET_INT, O(max_uri), "8192", 256, 1048576, NULL,
     "longest request target (path and query); 414 beyond"},
    {"ferry.http.max.header.bytes", FY_SET_INT, O(max_header_bytes), "8192", 1024, 8388608,
     NULL, "largest request line plus headers; 431 beyond"},
    {"ferry.http.max.query.params", FY_SET_INT, O(max_query_params), "256", 1, 100000, NULL,
     "most query parameters in one request; 431 beyond"},
    {"shutdown.graceful.ms", FY_SET_INT, O(graceful_ms), "1000", 0, 60000, NULL,
     "on SIGTERM, how long running requests may take to finish; a request still running "
     "after it is not acknowledged (rest-utils)"},
    {"ferry.link.max.exporters", FY_SET_INT, O(max_exporters), "32", 1, 10000, NULL,
     "schema exporters (links) that may exist; creating one more answers 40964"},
    {"ferry.link.max.threads.per.exporter", FY_SET_INT, O(max_lanes), "8", 1, 64, NULL,
     "sender threads (and connections) per exporter: its max.in.flight is capped to this"},
    {"ferry.fsync", FY_SET_BOOL, O(fsync), "true", 0, 0, NULL,
     "fsync before acknowledging writes (false only for throwaway benchmarks)"},
    {"ferry.store.compact.min.bytes", FY_SET_INT, O(compact_min), "67108864", 4096,
     1LL << 40, NULL,
     "the journal is compacted (latest record per key) once it is this big and twice its "
     "live data"},
    {"ferry.schema.cache.bytes", FY_SET_INT, O(parsed_cache), "67108864", 1048576, 1LL << 40,
     NULL,
     "memory for parsed stored schemas (compatibility checks, normalized lookups), least "
     "recently used out"},
    {"ferry.schema.max.bytes", FY_SET_INT, O(sch_bytes), "16777216", 1024, 1LL << 31, NULL,
     "longest schema text (42201 beyond)"},
    {"ferry.schema.max.json.depth", FY_SET_INT, O(sch_json_depth), "1000", 8, 100000, NULL,
     "deepest nesting of [ and { in a schema text"},
    {"ferry.schema.max.depth", FY_SET_INT, O(sch_depth), "1000", 8, 100000, NULL,
     "deepest nesting of types, through names, in a schema and in a compatibility check"},
    {"ferry.schema.max.names", FY_SET_INT, O(sch_names), "100000", 1, 1LL << 31, NULL,
     "named types (record, enum, fixed) one schema text defines"},
    {"ferry.schema.max.union.branches", FY_SET_INT, O(sch_branches), "100000", 1, 1LL << 31,
     NULL, "branches of one union"},
    {"ferry.schema.max.enum.symbols", FY_SET_INT, O(sch_symbols), "100000", 1, 1LL << 31, NULL,
     "symbols of one enum"},
    {"ferry.schema.max.fields", FY_SET_INT, O(sch_fields), "100000", 1, 1LL << 31, NULL,
     "fields of one record"},
    {"ferry.compatibility.max.steps", FY_SET_INT, O(compat_steps), "2000000", 1000, 1LL << 40,
     NULL, "CPU budget of one compatibility check, in units of work (42201 beyond)"},
    {"ferry.compatibility.max.bytes", FY_SET_INT, O(compat_bytes), "67108864", 65536,
     1LL << 40, NULL, "memory budget of one compatibility check (42201 beyond)"},
    {"log.debug", FY_SET_STRING, O(log_debug), "", 0, 0, NULL,
     "modules with DEBUG logging: registry,http,... or all"},
    {"ferry.metrics.enabled", FY_SET_BOOL, O(metrics), "true", 0, 0, NULL,
     "serve GET /metrics (Prometheus text format) and keep the request metrics"},
    {"ferry.http.access.log", FY_SET_BOOL, O(access_log), "false", 0, 0, NULL,
     "log one line per request (module=access: method, route, path, status, bytes, "
     "duration, client address; never bodies or headers)"},
    {"ferry.dr.config", FY_SET_STRING, O(dr_config), "", 0, 0, NULL,
     "a dr.properties (ferry dr): serve its status page at GET /dr (and /dr.json), behind "
     "the same authentication as /metrics"},
};
#undef O
#define N_SETTINGS (sizeof serve_settings / sizeof serve_settings[0])

/* Confluent settings that configure things ferry does not have (Kafka store,
 * leader election, auth plugins): accepted so an existing file loads. */
static const char *const ignored_prefixes[] = {"kafkastore.", "host.name", "inter.instance.",
                                               "leader.", "master.", "debug", "access.control.",
                                               "schema.registry.inter.", "metrics.",
                                               "ssl.protocol", "ssl.provider", "ssl.cipher.suites",
                                               "ssl.keymanager.", "ssl.trustmanager.",
                                               "ssl.endpoint.identification.", NULL};

static void usage(FILE *f)
{
    fputs("usage: ferry serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
          "\n"
          "Runs a Confluent-compatible schema registry on the embedded store.\n"
          "\n"
          "options:\n"
          "  --config FILE      .properties file (keys below)\n"
          "  --listen HOST:PORT overrides `listeners`\n"
          "  --data-dir DIR     overrides `ferry.data.dir`\n"
          "  --help             this text\n"
          "\n"
          "settings:\n",
          f);
    fy_settings_print(serve_settings, N_SETTINGS, f);
}

/* Every client connection is a descriptor: take all the process may have. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fy_log(FY_LOG_WARN, "serve", "msg=\"cannot raise the open-file limit\"");
}

#define MAX_LISTENERS 8

struct listener {
    char *host;
    int port;
    bool https;
    struct reg_http *http;
};

/* One "http://h:p", "https://h:p", "h:p" or "[::1]:p" of the `listeners`
 * list, `len` bytes long -> host, port and scheme. */
static int parse_listener(const char *spec, size_t len, char **host, int *port, bool *https)
{
    const char *s = spec;
    const char *scheme = strstr(s, "://");
    *https = false;
    if (scheme && (size_t)(scheme - spec) < len) {
        if (strncasecmp(s, "https://", 8) == 0)
            *https = true;
        else if (strncasecmp(s, "http://", 7) != 0)
            return -1;
        len -= (size_t)(scheme + 3 - s);
        s = scheme + 3;
    }
    char *hp = fy_strndup(s, len);
    char *colon = NULL;
    char *h = hp;
    if (hp[0] == '[') {
        char *rb = strchr(hp, ']');
        if (!rb || rb[1] != ':') {
            free(hp);
            return -1;
        }
        *rb = '\0';
        h = hp + 1;
        colon = rb + 1;
    } else {
        colon = strrchr(hp, ':');
    }
    if (!colon) {
        free(hp);
        return -1;
    }
    *colon = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535) {
        free(hp);
        return -1;
    }
    *host = fy_strdup(strcmp(h, "0.0.0.0") == 0 || !h[0] ? "0.0.0.0" : h);
    *port = (int)p;
    free(hp);
    return 0;
}

/* The comma list of `listeners` into `ls` (at most MAX_LISTENERS). */
static int parse_listeners(const char *spec, struct listener *ls, size_t *n, struct fy_err *err)
{
    *n = 0;
    for (const char *p = spec; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (!len)
            break;
        if (*n == MAX_LISTENERS)
            return fy_err_set(err, FY_E_CONFIG, "listeners: more than %d listeners",
                              MAX_LISTENERS);
        struct listener *l = &ls[*n];
        if (parse_listener(p, len, &l->host, &l->port, &l->https) != 0)
            return fy_err_set(err, FY_E_CONFIG,
                              "listeners: '%.*s' is not http://HOST:PORT or https://HOST:PORT",
                              (int)len, p);
        (*n)++;
        p += len;
    }
    if (*n == 0)
        return fy_err_set(err, FY_E_CONFIG, "listeners: no listener in '%s'", spec);
    return 0;
}

/* The https credentials from the ssl.* settings. */
static struct fy_tls *tls_open(const struct serve_conf *c, struct fy_err *err)
{
    struct fy_tls_conf tc = {
        .cert_file = c->ks_location,
        .key_file = c->key_location,
        .key_password = c->ks_type == 1 ? c->ks_password
                                        : (c->key_password[0] ? c->key_password : c->ks_password),
        .pkcs12 = c->ks_type == 1,
        .ca_file = c->ts_location,
        .client_auth = c->client_auth_legacy && c->client_authn == 0
                           ? FY_TLS_CLIENT_REQUIRED
                           : (enum fy_tls_client_auth)c->client_authn,
        .protocols = c->tls_protocols,
    };
    return fy_tls_new(&tc, err);
}

static struct fy_auth *auth_open(const struct serve_conf *c, struct fy_err *err)
{
    struct fy_auth_conf ac = {
        .basic = c->auth_method == 1,
        .realm = c->auth_realm,
        .roles = c->auth_roles,
        .skip_paths = c->auth_skip,
        .user_file = c->user_file,
        .jaas_file = c->jaas_file[0] ? c->jaas_file : c->jaas_java,
        .grants = {c->grants[0], c->grants[1], c->grants[2]},
    };
    return fy_auth_new(&ac, err);
}

/* SIGHUP: new connections get the certificates as the files hold them now;
 * open ones keep theirs. A file that does not load keeps the old ones. The
 * user file is read again too. */
static void reload(struct fy_tls *tls, struct fy_auth *auth)
{
    struct fy_err err = {0};
    if (fy_auth_enabled(auth)) {
        if (fy_auth_reload(auth, &err) == 0)
            fy_log(FY_LOG_INFO, "serve", "msg=\"user file reloaded\"");
        else
            fy_log(FY_LOG_WARN, "serve", "msg=\"user file reload failed; the previous users "
                   "stay: %s\"", fy_err_text(&err));
        fy_err_clear(&err);
    }
    if (tls) {
        if (fy_tls_reload(tls, &err) == 0)
            fy_log(FY_LOG_INFO, "serve", "msg=\"TLS certificates reloaded\" generation=%u",
                   fy_tls_generation(tls));
        else
            fy_log(FY_LOG_WARN, "serve", "msg=\"TLS reload failed; the previous certificates "
                   "stay in use: %s\"", fy_err_text(&err));
    }
    fy_err_destroy(&err);
}

int cmd_serve(int argc, char **argv)
{
    struct fy_props props = {0};
    struct fy_err err = {0};
    struct serve_conf conf = {0};
    const char *config_path = NULL, *listen = NULL, *data_dir = NULL;
    struct reg_registry *r = NULL;
    struct lnk_service *links = NULL;
    struct fy_tls *tls = NULL;
    struct fy_auth *auth = NULL;
    struct fy_secret_box *secrets = NULL;
    struct listener ls[MAX_LISTENERS] = {{0}};
    size_t n_ls = 0;
    struct fy_metrics *metrics = NULL;
    struct fy_obs obs;
    struct cmd_drpage *drpage = NULL;
    bool obs_ready = false; /* obs initialised (fy_obs_destroy at the end) */
    int status = 1;

    const struct cmd_flag flags[] = {{"--config", &config_path, NULL},
                                     {"--listen", &listen, NULL},
                                     {"--data-dir", &data_dir, NULL}};
    int frc = cmd_flags_parse("serve", argc, argv, flags, sizeof flags / sizeof flags[0], usage);
    if (frc != 0)
        return frc > 0 ? 0 : 2;
    if (config_path && fy_props_load(config_path, &props, &err) != 0)
        goto out;
    if (!config_path)
        props.path = fy_strdup("");
    if (listen)
        fy_props_set(&props, "listeners", listen);
    if (data_dir)
        fy_props_set(&props, "ferry.data.dir", data_dir);
    if (fy_settings_apply(serve_settings, N_SETTINGS, &props, ignored_prefixes, &conf, &err) != 0)
        goto out;
    if (conf.log_debug[0])
        fy_log_set_debug(conf.log_debug);
    /* the header limits answer 414/431 only while MHD still has pool room to build it */
    if (conf.max_header_bytes * 2 > conf.conn_memory || conf.max_uri * 2 > conf.conn_memory) {
        fy_err_set(&err, FY_E_CONFIG,
                   "ferry.http.connection.memory.bytes (%lld) must be at least twice "
                   "ferry.http.max.header.bytes (%lld) and ferry.http.max.uri.bytes (%lld)",
                   conf.conn_memory, conf.max_header_bytes, conf.max_uri);
        goto out;
    }
    raise_nofile();
    if (parse_listeners(conf.listeners, ls, &n_ls, &err) != 0)
        goto out;
    bool any_https = false;
    for (size_t i = 0; i < n_ls; i++)
        any_https |= ls[i].https;
    if (any_https && !(tls = tls_open(&conf, &err)))
        goto out;
    if (!(auth = auth_open(&conf, &err)))
        goto out;
    if (fy_secret_box_new(conf.secrets_key_file, "FERRY_SECRETS_KEY", &secrets, &err) != 0)
        goto out;

    /* every thread created from here on inherits the blocked set; main takes them by
     * sigwait (SIGHUP: reload the certificates) */
    sigset_t sigs;
    cmd_signals_block(&sigs);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    if (conf.metrics) {
        metrics = fy_metrics_new();
        fy_metrics_add_collector(metrics, fy_metrics_collect_process, NULL);
    }
    fy_obs_init(&obs, metrics, conf.access_log);
    obs_ready = true;
    if (conf.dr_config[0]) {
        if (!(drpage = cmd_drpage_start(conf.dr_config, &err)))
            goto out;
        obs.page = cmd_drpage_page(drpage);
    }

    static const enum reg_compat_level level_map[] = {
        REG_COMPAT_NONE, REG_COMPAT_BACKWARD, REG_COMPAT_BACKWARD_TRANSITIVE, REG_COMPAT_FORWARD,
        REG_COMPAT_FORWARD_TRANSITIVE, REG_COMPAT_FULL, REG_COMPAT_FULL_TRANSITIVE};
    reg_avro_set_limits(&(struct reg_avro_limits){
        .max_bytes = (size_t)conf.sch_bytes, .max_json_depth = (unsigned)conf.sch_json_depth,
        .max_depth = (unsigned)conf.sch_depth, .max_names = (size_t)conf.sch_names,
        .max_branches = (size_t)conf.sch_branches, .max_symbols = (size_t)conf.sch_symbols,
        .max_fields = (size_t)conf.sch_fields});
    reg_compat_set_limits(&(struct reg_compat_limits){.max_steps = (uint64_t)conf.compat_steps,
                                                      .max_bytes = (size_t)conf.compat_bytes});
    struct reg_registry_opts ro = {
        .data_dir = conf.data_dir,
        .fsync = conf.fsync,
        .default_level = level_map[conf.compat_level],
        .default_mode = (enum reg_mode)conf.default_mode,
        .mode_mutability = conf.mode_mutability,
        .group_id = conf.group_id,
        .compact_min_bytes = conf.compact_min,
        .parsed_cache_bytes = (size_t)conf.parsed_cache,
        .metrics = metrics,
    };
    r = reg_registry_open(&ro, &err);
    if (!r)
        goto out;
    /* exporters resume from their journaled positions; their REST API is a
     * route extension, so it must exist before the first request */
    struct lnk_service_opts lo = {.max_exporters = (size_t)conf.max_exporters,
                                  .max_lanes = (size_t)conf.max_lanes,
                                  .secrets = secrets,
                                  .metrics = metrics};
    links = lnk_service_new(r, &lo, &err);
    if (!links)
        goto out;
    struct reg_http_opts ho = {
        .threads = (int)conf.http_threads,
        .max_body = (size_t)conf.max_body,
        .max_conns = (int)conf.max_conns,
        .max_conns_per_addr = (int)conf.max_conns_per_addr,
        .idle_timeout_ms = (int)conf.idle_timeout_ms,
        .header_timeout_ms = (int)conf.header_timeout_ms,
        .body_timeout_ms = (int)conf.body_timeout_ms,
        .conn_memory = (size_t)conf.conn_memory,
        .conn_memory_increment = (size_t)conf.conn_memory_increment,
        .max_uri = (size_t)conf.max_uri,
        .max_header_bytes = (size_t)conf.max_header_bytes,
        .max_query_params = (int)conf.max_query_params,
        .obs = &obs,
    };
    struct fy_buf where;
    fy_buf_init(&where, 0);
    for (size_t i = 0; i < n_ls; i++) {
        ho.host = ls[i].host;
        ho.port = ls[i].port;
        ho.tls = ls[i].https ? tls : NULL;
        ho.auth = auth;
        ls[i].http = reg_http_start(r, &ho, &err);
        if (!ls[i].http) {
            fy_buf_destroy(&where);
            goto out;
        }
        fy_buf_printf(&where, "%s%s://%s:%d", i ? "," : "", ls[i].https ? "https" : "http",
                      ls[i].host, reg_http_port(ls[i].http));
    }
    /* the ports are bound only once the store is replayed and the exporters
     * resumed: /health/ready answers 200 from the first request on */
    fy_obs_set_ready(&obs, true);
    fy_log(FY_LOG_INFO, "serve",
           "msg=\"ferry started\" version=%s listen=%s data_dir=%s compatibility=%s fsync=%s",
           FERRY_VERSION, fy_buf_str(&where), conf.data_dir,
           reg_compat_level_name(ro.default_level), conf.fsync ? "true" : "false");
    fy_buf_destroy(&where);
    int sig = 0;
    for (;;) {
        sigwait(&sigs, &sig);
        if (sig != SIGHUP)
            break;
        reload(tls, auth);
    }
    fy_log(FY_LOG_INFO, "serve", "msg=\"stopping\" signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    int still = 0;
    for (size_t i = 0; i < n_ls; i++)
        still |= reg_http_quiesce(ls[i].http, (int)conf.graceful_ms) != 0;
    if (still) {
        /* a handler is still running (a long check, a write queued behind one): freeing
         * the registry under it is not possible, waiting breaks the stop deadline, and
         * what it has not answered was never acknowledged — so end here, as a crash
         * would, which the journal is built to survive */
        fy_log(FY_LOG_WARN, "serve",
               "msg=\"requests still running after shutdown.graceful.ms; exiting without "
               "them (not acknowledged)\" graceful_ms=%lld",
               conf.graceful_ms);
        fflush(NULL);
        _exit(0);
    }
    status = 0;
out:
    if (err.code != FY_OK) {
        fy_log(FY_LOG_ERROR, "serve", "msg=\"%s\"", fy_err_text(&err));
        status = err.code == FY_E_CONFIG ? 2 : 1;
    }
    for (size_t i = 0; i < n_ls; i++)
        reg_http_stop(ls[i].http);
    cmd_drpage_stop(drpage); /* after the listeners: no request reads the page any more */
    lnk_service_free(links);
    reg_registry_close(r);
    fy_tls_free(tls);
    fy_auth_free(auth);
    fy_secret_box_free(secrets);
    if (obs_ready)
        fy_obs_destroy(&obs);
    fy_metrics_free(metrics);
    if (status == 0)
        fy_log(FY_LOG_INFO, "serve", "msg=\"ferry stopped\"");
    for (size_t i = 0; i < n_ls; i++)
        free(ls[i].host);
    fy_settings_free(serve_settings, N_SETTINGS, &conf);
    fy_props_destroy(&props);
    fy_err_destroy(&err);
    return status;
}
