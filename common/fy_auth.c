/* SPDX-License-Identifier: Apache-2.0
 * fy_auth: Basic authentication, the Jetty user file and ferry's role levels
 * (see fy_auth.h).
 *
 * The user file is read as Java properties, as Jetty's PropertyUserStore
 * does: the value is `credential[,role,...]`, the credential one of Jetty's
 * Credential forms (MD5:, CRYPT:, OBF:, plain). CRYPT: goes to crypt(3) of
 * libxcrypt, which also takes bcrypt ($2b$), SHA-crypt ($5$, $6$), MD5-crypt
 * ($1$) and yescrypt ($y$) hashes besides Jetty's DES one. A slow hash is not
 * recomputed on every request of a kept-alive client: a user remembers a
 * salted SHA-256 of the last password that matched, compared in constant time.
 * Reloads build a new user list; old ones stay until fy_auth_free, because
 * requests in flight hold users from them. */
#include "common/fy_auth.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_props.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIGEST 32 /* SHA-256 */

struct fy_auth_user {
    char *name;
    char *cred;
    char **roles;
    size_t n_roles;
    bool has_ok;                /* ok_digest holds the last matching password's digest */
    unsigned char ok_digest[DIGEST];
};

struct users {
    struct users *older;
    struct fy_auth_user *u; /* sorted by name */
    size_t n;
};

struct grant {
    char *role;
    enum fy_level level;
    char **scopes; /* "subject:PREFIX" / "context:.CTX"; none = everywhere */
    size_t n_scopes;
};

struct fy_auth {
    bool basic;
    char *realm, *challenge, *user_file;
    char **roles, **skip;
    size_t n_roles, n_skip;
    struct grant *grants;
    size_t n_grants;
    unsigned char salt[16];
    pthread_mutex_t lock; /* guards cur and every user's has_ok/ok_digest */
    struct users *cur;
};

/* ---- small helpers */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

static void sha256(const unsigned char *salt, size_t salt_len, const char *s, unsigned char *out)
{
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
        memset(out, 0, DIGEST);
        return;
    }
    if (salt_len)
        gnutls_hash(h, salt, salt_len);
    gnutls_hash(h, s, strlen(s));
    gnutls_hash_deinit(h, out);
}

/* Equal strings, in time that depends on neither their contents nor lengths. */
static bool ct_equal(const char *a, const char *b)
{
    unsigned char da[DIGEST], db[DIGEST];
    sha256(NULL, 0, a, da);
    sha256(NULL, 0, b, db);
    unsigned char d = 0;
    for (size_t i = 0; i < DIGEST; i++)
        d |= (unsigned char)(da[i] ^ db[i]);
    return d == 0;
}

static bool ct_equal_digest(const unsigned char *a, const unsigned char *b)
{
    unsigned char d = 0;
    for (size_t i = 0; i < DIGEST; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* ---- credentials (Jetty's org.eclipse.jetty.util.security.Credential) */

/* MD5:hex — Jetty's Credential.MD5.digest, lower-case hex of MD5(password). */
static void md5_hex(const char *password, char out[33])
{
    unsigned char d[16];
    if (gnutls_hash_fast(GNUTLS_DIG_MD5, password, strlen(password), d) < 0) {
        out[0] = '\0';
        return;
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* OBF: — Jetty's Password.deobfuscate (an obfuscation, not a hash). NULL when malformed. */
static char *deobfuscate(const char *s)
{
    size_t len = strlen(s);
    char *out = fy_calloc(1, len / 2 + 2);
    size_t l = 0;
    for (size_t i = 0; i + 4 <= len; i += 4) {
        bool u = s[i] == 'U';
        if (u && ++i + 4 > len)
            break;
        char x[5];
        memcpy(x, s + i, 4);
        x[4] = '\0';
        char *end;
        long i0 = strtol(x, &end, 36);
        if (*end) {
            free(out);
            return NULL;
        }
        out[l++] = u ? (char)(unsigned char)(i0 >> 8)
                     : (char)(unsigned char)(((i0 / 256) + (i0 % 256) - 254) / 2);
    }
    out[l] = '\0';
    return out;
}

bool fy_auth_credential_ok(const char *cred, const char *password)
{
    if (!cred || !password)
        return false;
    if (strncmp(cred, "MD5:", 4) == 0) {
        char want[64], got[33];
        snprintf(want, sizeof want, "%s", cred + 4);
        for (char *p = want; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        md5_hex(password, got);
        return got[0] && ct_equal(want, got);
    }
    if (strncmp(cred, "CRYPT:", 6) == 0) {
        struct crypt_data *cd = fy_calloc(1, sizeof *cd);
        const char *h = crypt_r(password, cred + 6, cd);
        /* libxcrypt answers a failure with a string starting with '*' */
        bool ok = h && h[0] != '*' && ct_equal(h, cred + 6);
        explicit_bzero(cd, sizeof *cd);
        free(cd);
        return ok;
    }
    if (strncmp(cred, "OBF:", 4) == 0) {
        char *plain = deobfuscate(cred + 4);
        bool ok = plain && ct_equal(plain, password);
        if (plain)
            explicit_bzero(plain, strlen(plain));
        free(plain);
        return ok;
    }
    return ct_equal(cred, password);
}

char *fy_auth_credential_new(const char *scheme, const char *password, struct fy_err *err)
{
    if (strcasecmp(scheme, "plain") == 0)
        return fy_strdup(password);
    if (strcasecmp(scheme, "md5") == 0) {
        char hex[33];
        md5_hex(password, hex);
        return fy_asprintf("MD5:%s", hex);
    }
    const char *prefix = strcasecmp(scheme, "bcrypt") == 0   ? "$2b$"
                         : strcasecmp(scheme, "sha512") == 0 ? "$6$"
                                                             : NULL;
    if (!prefix) {
        fy_err_set(err, FY_E_CONFIG, "unknown hash '%s' (bcrypt, sha512, md5 or plain)", scheme);
        return NULL;
    }
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    /* bcrypt cost 10 (libxcrypt would pick 5); SHA-crypt its default 5000 rounds */
    if (!crypt_gensalt_rn(prefix, prefix[1] == '2' ? 10 : 0, NULL, 0, salt, sizeof salt)) {
        fy_err_set(err, FY_E_CONFIG, "crypt_gensalt: %s", strerror(errno));
        return NULL;
    }
    struct crypt_data *cd = fy_calloc(1, sizeof *cd);
    const char *h = crypt_r(password, salt, cd);
    char *out = h && h[0] != '*' ? fy_asprintf("CRYPT:%s", h) : NULL;
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    if (!out)
        fy_err_set(err, FY_E_CONFIG, "crypt(3) cannot make a %s hash", scheme);
    return out;
}

/* ---- the user file */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct fy_auth_user *)a)->name, ((const struct fy_auth_user *)b)->name);
}

static void users_free(struct users *us)
{
    while (us) {
        struct users *older = us->older;
        for (size_t i = 0; i < us->n; i++) {
            struct fy_auth_user *u = &us->u[i];
            free(u->name);
            if (u->cred)
                explicit_bzero(u->cred, strlen(u->cred));
            free(u->cred);
            fy_list_free(u->roles, u->n_roles);
        }
        free(us->u);
        free(us);
        us = older;
    }
}

static struct users *users_load(const char *path, struct fy_err *err)
{
    struct fy_props props = {0};
    if (fy_props_load(path, &props, err) != 0) {
        fy_props_destroy(&props);
        return NULL;
    }
    struct users *us = fy_calloc(1, sizeof *us);
    us->u = fy_calloc(props.n + 1, sizeof *us->u);
    for (size_t i = 0; i < props.n; i++) {
        const char *name = props.items[i].key;
        /* a later line for the same user wins, as in java.util.Properties */
        if (fy_props_get(&props, name) != props.items[i].value)
            continue;
        struct fy_auth_user *u = &us->u[us->n++];
        u->name = fy_strdup(name);
        trim(u->name);
        const char *v = props.items[i].value;
        const char *comma = strchr(v, ',');
        u->cred = comma ? fy_strndup(v, (size_t)(comma - v)) : fy_strdup(v);
        trim(u->cred);
        u->roles = fy_list_split(comma ? comma + 1 : "", ',', true, &u->n_roles);
    }
    for (size_t i = 0; i < props.n; i++)
        if (props.items[i].value)
            explicit_bzero(props.items[i].value, strlen(props.items[i].value));
    fy_props_destroy(&props);
    qsort(us->u, us->n, sizeof *us->u, by_name);
    return us;
}

/* The `file` option of the JAAS section `realm` (Jetty's PropertyFileLoginModule):
 *   Realm { org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file="/p" debug="false"; };
 * **new**, or NULL with err. */
static char *jaas_user_file(const char *jaas, const char *realm, struct fy_err *err)
{
    FILE *f = fopen(jaas, "r");
    if (!f) {
        fy_err_set(err, FY_E_CONFIG, "cannot open the JAAS file %s: %s", jaas, strerror(errno));
        return NULL;
    }
    struct fy_buf b;
    fy_buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fy_buf_append(&b, chunk, n) != 0)
            break;
    fclose(f);
    const char *text = fy_buf_str(&b);
    char *out = NULL;
    size_t rlen = strlen(realm);
    for (const char *p = text; (p = strstr(p, realm)) != NULL; p += rlen) {
        bool starts = p == text || isspace((unsigned char)p[-1]) || p[-1] == ';' || p[-1] == '}';
        const char *q = p + rlen;
        while (isspace((unsigned char)*q))
            q++;
        if (!starts || *q != '{')
            continue;
        const char *end = strchr(q, '}');
        for (const char *o = q; (o = strstr(o, "file")) && (!end || o < end); o += 4) {
            const char *e = o + 4;
            while (isspace((unsigned char)*e))
                e++;
            if (*e != '=' || (o > q && (isalnum((unsigned char)o[-1]) || o[-1] == '.')))
                continue;
            e++;
            while (isspace((unsigned char)*e))
                e++;
            if (*e != '"')
                continue;
            const char *close = strchr(e + 1, '"');
            if (close)
                out = fy_strndup(e + 1, (size_t)(close - e - 1));
            break;
        }
        break;
    }
    fy_buf_destroy(&b);
    if (!out)
        fy_err_set(err, FY_E_CONFIG,
                   "the JAAS file %s has no section '%s' with a file=\"...\" option "
                   "(PropertyFileLoginModule)",
                   jaas, realm);
    return out;
}

/* ---- settings */

static int parse_grants(struct fy_auth *a, const struct fy_auth_conf *c, struct fy_err *err)
{
    static const enum fy_level lv[3] = {FY_LEVEL_READ, FY_LEVEL_WRITE, FY_LEVEL_ADMIN};
    for (int l = 0; l < 3; l++) {
        size_t n = 0;
        char **items = fy_list_split(c->grants[l], ',', true, &n);
        for (size_t i = 0; i < n; i++) {
            a->grants = fy_realloc(a->grants, (a->n_grants + 1) * sizeof *a->grants);
            struct grant *g = &a->grants[a->n_grants++];
            memset(g, 0, sizeof *g);
            g->level = lv[l];
            char *open = strchr(items[i], '(');
            if (open) {
                char *close = strrchr(open, ')');
                if (!close || close[1]) {
                    fy_err_set(err, FY_E_CONFIG,
                               "ferry.auth.roles.%s: '%s' is not ROLE(SCOPE;...)",
                               fy_level_name(lv[l]), items[i]);
                    fy_list_free(items, n);
                    return -1;
                }
                *close = '\0';
                g->scopes = fy_list_split(open + 1, ';', true, &g->n_scopes);
                *open = '\0';
                for (size_t s = 0; s < g->n_scopes; s++)
                    if (strncmp(g->scopes[s], "subject:", 8) != 0 &&
                        strncmp(g->scopes[s], "context:", 8) != 0) {
                        fy_err_set(err, FY_E_CONFIG,
                                   "ferry.auth.roles.%s: scope '%s' is not subject:PREFIX or "
                                   "context:.CTX",
                                   fy_level_name(lv[l]), g->scopes[s]);
                        fy_list_free(items, n);
                        return -1;
                    }
            }
            g->role = fy_strdup(items[i]);
            trim(g->role);
        }
        fy_list_free(items, n);
    }
    return 0;
}

struct fy_auth *fy_auth_new(const struct fy_auth_conf *c, struct fy_err *err)
{
    struct fy_auth *a = fy_calloc(1, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    a->basic = c->basic;
    a->realm = fy_strdup(c->realm ? c->realm : "");
    a->challenge = fy_asprintf("Basic realm=\"%s\"", a->realm);
    a->roles = fy_list_split(c->roles && c->roles[0] ? c->roles : "*", ',', true, &a->n_roles);
    a->skip = fy_list_split(c->skip_paths, ',', true, &a->n_skip);
    gnutls_rnd(GNUTLS_RND_NONCE, a->salt, sizeof a->salt);
    if (parse_grants(a, c, err) != 0)
        goto fail;
    if (!a->basic)
        return a;
    if (c->user_file && c->user_file[0]) {
        a->user_file = fy_strdup(c->user_file);
    } else if (c->jaas_file && c->jaas_file[0]) {
        if (!(a->user_file = jaas_user_file(c->jaas_file, a->realm, err)))
            goto fail;
    } else {
        fy_err_set(err, FY_E_CONFIG,
                   "authentication.method=BASIC needs a user file (ferry.auth.user.file) or a "
                   "JAAS file (ferry.auth.jaas.config) with a PropertyFileLoginModule section "
                   "named by authentication.realm");
        goto fail;
    }
    if (!(a->cur = users_load(a->user_file, err)))
        goto fail;
    return a;
fail:
    fy_auth_free(a);
    return NULL;
}

int fy_auth_reload(struct fy_auth *a, struct fy_err *err)
{
    if (!a->basic)
        return 0;
    struct users *us = users_load(a->user_file, err);
    if (!us)
        return -1;
    pthread_mutex_lock(&a->lock);
    us->older = a->cur;
    a->cur = us;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

bool fy_auth_enabled(const struct fy_auth *a)
{
    return a && a->basic;
}

bool fy_auth_skipped(const struct fy_auth *a, const char *path)
{
    for (size_t i = 0; a && i < a->n_skip; i++) {
        const char *s = a->skip[i];
        size_t n = strlen(s);
        if (n >= 2 && strcmp(s + n - 2, "/*") == 0) {
            if (strncmp(path, s, n - 2) == 0 && (path[n - 2] == '/' || !path[n - 2]))
                return true;
        } else if (strcmp(path, s) == 0) {
            return true;
        }
    }
    return false;
}

const char *fy_auth_challenge(const struct fy_auth *a)
{
    return a->challenge;
}

/* "Basic dXNlcjpwdw==" -> user and password (**new**), or -1. */
static int basic_decode(const char *header, char **user, char **pass)
{
    while (*header == ' ')
        header++;
    if (strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *b64 = header + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strcspn(b64, " \t\r\n");
    if (len == 0 || len > 4096)
        return -1;
    gnutls_datum_t in = {.data = (unsigned char *)b64, .size = (unsigned)len}, out = {0};
    if (gnutls_base64_decode2(&in, &out) < 0)
        return -1;
    char *text = fy_strndup((const char *)out.data, out.size);
    explicit_bzero(out.data, out.size);
    gnutls_free(out.data);
    char *colon = strchr(text, ':');
    if (!colon || strlen(text) != out.size) {
        explicit_bzero(text, out.size);
        free(text);
        return -1;
    }
    *user = fy_strndup(text, (size_t)(colon - text));
    *pass = fy_strdup(colon + 1);
    explicit_bzero(text, out.size);
    free(text);
    return 0;
}

static struct fy_auth_user *find_user(struct fy_auth *a, const char *name)
{
    pthread_mutex_lock(&a->lock);
    struct users *us = a->cur;
    pthread_mutex_unlock(&a->lock);
    struct fy_auth_user key = {.name = (char *)name};
    return us ? bsearch(&key, us->u, us->n, sizeof *us->u, by_name) : NULL;
}

static bool password_ok(struct fy_auth *a, struct fy_auth_user *u, const char *password)
{
    unsigned char d[DIGEST];
    sha256(a->salt, sizeof a->salt, password, d);
    pthread_mutex_lock(&a->lock);
    bool cached = u->has_ok && ct_equal_digest(u->ok_digest, d);
    pthread_mutex_unlock(&a->lock);
    if (cached)
        return true;
    if (!fy_auth_credential_ok(u->cred, password))
        return false;
    pthread_mutex_lock(&a->lock);
    memcpy(u->ok_digest, d, DIGEST);
    u->has_ok = true;
    pthread_mutex_unlock(&a->lock);
    return true;
}

static bool has_role(const struct fy_auth_user *u, const char *role)
{
    for (size_t i = 0; i < u->n_roles; i++)
        if (strcmp(u->roles[i], role) == 0)
            return true;
    return false;
}

int fy_auth_authenticate(const struct fy_auth *ca, const char *authorization,
                         const char *tls_name, const struct fy_auth_user **user,
                         struct fy_err *err)
{
    struct fy_auth *a = (struct fy_auth *)ca; /* only the verification cache changes */
    *user = NULL;
    if (!fy_auth_enabled(a))
        return 0;
    struct fy_auth_user *u = NULL;
    if (authorization) {
        char *name = NULL, *pass = NULL;
        if (basic_decode(authorization, &name, &pass) == 0) {
            u = find_user(a, name);
            if (u && !password_ok(a, u, pass))
                u = NULL;
            explicit_bzero(pass, strlen(pass));
        }
        free(name);
        free(pass);
    } else if (tls_name && tls_name[0]) {
        u = find_user(a, tls_name); /* the certificate authenticated it */
    }
    if (!u)
        return fy_err_set(err, 401, "Unauthorized");
    bool any = false;
    for (size_t i = 0; i < a->n_roles && !any; i++)
        any = strcmp(a->roles[i], "*") == 0 || strcmp(a->roles[i], "**") == 0 ||
              has_role(u, a->roles[i]);
    if (!any)
        return fy_err_set(err, 403, "Forbidden: user '%s' has none of the roles of "
                          "authentication.roles", u->name);
    *user = u;
    return 0;
}

static bool scope_matches(const struct grant *g, const char *subject, const char *context)
{
    for (size_t i = 0; i < g->n_scopes; i++) {
        const char *s = g->scopes[i];
        if (strncmp(s, "subject:", 8) == 0 && subject &&
            strncmp(subject, s + 8, strlen(s + 8)) == 0)
            return true;
        if (strncmp(s, "context:", 8) == 0 && context && strcmp(context, s + 8) == 0)
            return true;
    }
    return false;
}

bool fy_auth_allows(const struct fy_auth *a, const struct fy_auth_user *user,
                    enum fy_level level, const char *subject, const char *context)
{
    if (!fy_auth_enabled(a) || a->n_grants == 0)
        return true; /* Confluent: an authenticated user may do everything */
    if (!user)
        return false;
    bool named = subject || context;
    for (size_t i = 0; i < a->n_grants; i++) {
        const struct grant *g = &a->grants[i];
        if (g->level < level || !has_role(user, g->role))
            continue;
        if (g->n_scopes == 0 || (named ? scope_matches(g, subject, context)
                                       : level == FY_LEVEL_READ))
            return true;
    }
    return false;
}

const char *fy_auth_user_name(const struct fy_auth_user *user)
{
    return user ? user->name : "";
}

const char *fy_level_name(enum fy_level level)
{
    switch (level) {
    case FY_LEVEL_READ:
        return "read";
    case FY_LEVEL_WRITE:
        return "write";
    case FY_LEVEL_ADMIN:
        return "admin";
    case FY_LEVEL_NONE:
        break;
    }
    return "none";
}

void fy_auth_free(struct fy_auth *a)
{
    if (!a)
        return;
    users_free(a->cur);
    for (size_t i = 0; i < a->n_grants; i++) {
        free(a->grants[i].role);
        fy_list_free(a->grants[i].scopes, a->grants[i].n_scopes);
    }
    free(a->grants);
    fy_list_free(a->roles, a->n_roles);
    fy_list_free(a->skip, a->n_skip);
    free(a->realm);
    free(a->challenge);
    free(a->user_file);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
