/* SPDX-License-Identifier: Apache-2.0
 * fy_auth: HTTP Basic authentication as Confluent's rest-utils configures it
 * (authentication.method=BASIC, authentication.realm, authentication.roles,
 * authentication.skip.paths) over a Jetty PropertyFileLoginModule user file
 * (`user: credential[,role ...]`, credential plain, MD5:hex, CRYPT:crypt(3) —
 * DES, MD5-crypt, SHA-crypt, bcrypt, yescrypt — or OBF:), found directly or
 * through the JAAS file's section named by the realm; plus ferry's levels
 * (read < write < admin) granted to roles, optionally only for subjects with a
 * prefix or for contexts. Used by ferry serve (registry/reg_access.c) and the
 * mirror's admin endpoint.
 * Thread: new/reload/free on the main thread; everything else on any thread. */
#ifndef FY_AUTH_H
#define FY_AUTH_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>

enum fy_level { FY_LEVEL_NONE, FY_LEVEL_READ, FY_LEVEL_WRITE, FY_LEVEL_ADMIN };

struct fy_auth_conf {
    bool basic;             /* authentication.method=BASIC (else NONE: everyone is admin) */
    const char *realm;      /* authentication.realm: the JAAS section and WWW-Authenticate realm */
    const char *roles;      /* authentication.roles: comma list, "*" (default) = any user */
    const char *skip_paths; /* authentication.skip.paths: comma list of paths served to anyone */
    const char *user_file;  /* the Jetty user file; NULL/"" = the JAAS section's file= */
    const char *jaas_file;  /* java.security.auth.login.config */
    /* ferry.auth.roles.{read,write,admin}: comma lists of ROLE or ROLE(SCOPE;SCOPE...),
     * SCOPE = subject:PREFIX or context:.CTX. All NULL/"": every user is admin. */
    const char *grants[3];
};

/* Who made a request: borrowed from the fy_auth that authenticated it (valid
 * until fy_auth_free; reloads keep old users alive). */
struct fy_auth_user;

struct fy_auth;

/* The settings of `c` (strings copied), the user file read. NULL with
 * FY_E_CONFIG naming the file and line (never a credential). */
struct fy_auth *fy_auth_new(const struct fy_auth_conf *c, struct fy_err *err);
/* Read the user file again (SIGHUP); on failure the old users stay. */
int fy_auth_reload(struct fy_auth *a, struct fy_err *err);
/* True when authentication is on. */
bool fy_auth_enabled(const struct fy_auth *a);
/* `path` is in authentication.skip.paths (served without authentication). */
bool fy_auth_skipped(const struct fy_auth *a, const char *path);
/* The WWW-Authenticate value of a 401: `Basic realm="..."`. Borrowed. */
const char *fy_auth_challenge(const struct fy_auth *a);

/* Authenticate a request from its Authorization header (may be NULL) or, when
 * it has none, from a verified TLS client certificate's name (`tls_name`, may
 * be NULL: the user file entry of that name, password not checked). 0 with
 * *user (NULL when authentication is off); -1 with err 401 "Unauthorized"
 * (no, bad or unknown credentials) or 403 (none of authentication.roles). */
int fy_auth_authenticate(const struct fy_auth *a, const char *authorization,
                         const char *tls_name, const struct fy_auth_user **user,
                         struct fy_err *err);
/* May `user` act at `level` on `subject` (qualified form, may be NULL) in
 * `context` (".ctx", NULL = none named)? A grant scoped to subjects or
 * contexts counts only for a request that names a matching one, except at
 * READ for requests that name none (listings, ids). */
bool fy_auth_allows(const struct fy_auth *a, const struct fy_auth_user *user,
                    enum fy_level level, const char *subject, const char *context);
/* The user's name, "" for NULL. Borrowed. */
const char *fy_auth_user_name(const struct fy_auth_user *user);
/* "read", "write", "admin". */
const char *fy_level_name(enum fy_level level);
void fy_auth_free(struct fy_auth *a);

/* A user-file credential for `password`: scheme "bcrypt" (CRYPT:$2b$...),
 * "sha512" (CRYPT:$6$...), "md5" (Jetty's MD5:hex) or "plain". **new**, or
 * NULL with FY_E_CONFIG for an unknown scheme. */
char *fy_auth_credential_new(const char *scheme, const char *password, struct fy_err *err);
/* Does `password` match the user-file credential `cred`? Constant time in
 * the password for a given credential. */
bool fy_auth_credential_ok(const char *cred, const char *password);

#endif
