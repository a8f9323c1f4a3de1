/* SPDX-License-Identifier: Apache-2.0
 * reg_access: who may call which REST route of ferry serve. Classifies a
 * request by the level it needs — read (GET, lookups, compatibility checks),
 * write (register, delete versions and subjects), admin (config, mode,
 * contexts, exporters, and registering with an explicit id, i.e. IMPORT) —
 * and what it names (subject, context), then asks fy_auth whether the
 * authenticated user holds it. reg_http calls reg_access_check once per
 * request, before reg_route.
 * Thread: any (pure functions over a read-only fy_auth). */
#ifndef REG_ACCESS_H
#define REG_ACCESS_H

#include "common/fy_auth.h"
#include "registry/reg_route.h"

struct reg_access_need {
    enum fy_level level;
    char *subject;     /* **new** subject name inside `context`, or NULL */
    char *context;     /* **new** canonical ".ctx" ("." for a plain subject), or NULL */
    const char *what;  /* static: "Subject", "Config", "Mode", "Context", "Exporter", "Registry" */
};

/* The level `req` needs and the subject/context it names. Never fails (a path
 * it does not know needs admin unless it is a GET). */
void reg_access_classify(const struct reg_req *req, struct reg_access_need *need);
void reg_access_need_destroy(struct reg_access_need *need);

/* The guard of one request: 0 when it may run (*admin: the user may act as
 * admin on what the request names); -1 with *deny filled (status 401 or 403,
 * **new** Confluent error body, content type). `authorization` is the
 * Authorization header, `tls_name` a verified client certificate's name
 * (both may be NULL). */
int reg_access_check(const struct fy_auth *a, const struct reg_req *req,
                     const char *authorization, const char *tls_name, bool *admin,
                     struct reg_resp *deny);

#endif
