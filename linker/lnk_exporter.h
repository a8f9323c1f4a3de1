/* SPDX-License-Identifier: Apache-2.0
 * lnk_exporter: an exporter's definition (sr-api §11) as a value — parsed and
 * validated from the REST body, written to / read from the journal, and the
 * two pure decisions a worker makes per record: does this source subject
 * belong to the exporter, and what is its name on the destination.
 * No I/O, no shared state. Thread: any. */
#ifndef LNK_EXPORTER_H
#define LNK_EXPORTER_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum lnk_ctx_type {
    LNK_CTX_AUTO,    /* destination context ".<source cluster id>" (+ source context suffix) */
    LNK_CTX_CUSTOM,  /* destination context `context` (+ source context suffix) */
    LNK_CTX_NONE,    /* subjects keep their source context */
    LNK_CTX_DEFAULT, /* everything lands in the destination's default context */
};

struct lnk_def {
    char *name;
    char **subjects;      /* qualified patterns: "*", "orders-*", ":.ctx:*", ":*:*" */
    size_t n_subjects;
    enum lnk_ctx_type ctx_type;
    char *context;        /* CUSTOM: canonical ".ctx"; NULL otherwise */
    char *rename;         /* subjectRenameFormat, contains "${subject}" */
    char *kek_rename;     /* kekRenameFormat, kept and echoed only (no KEKs here); may be NULL */
    json_t *config;       /* object of string values (destination client settings); owned */
    bool paused;          /* kept with the definition so a restart stays paused */
};

/* Build a definition from a POST /exporters body. `scope_ctx` is the
 * context of a /contexts/{ctx}/exporters request (NULL = none): unqualified
 * subject patterns are then taken inside that context. Validation failures
 * are 42250 with a message naming the field (HTTP 422). On success *out is
 * filled (owned; lnk_def_destroy). */
int lnk_def_from_request(json_t *body, const char *scope_ctx, struct lnk_def *out,
                         struct fy_err *err);
/* Apply a PUT /exporters/{name} body to a copy of `cur`: fields present
 * replace, absent ones keep; `config` keys merge (a null value removes).
 * 0 and a new *out, or -1 with 42250. */
int lnk_def_update(const struct lnk_def *cur, json_t *body, const char *scope_ctx,
                   struct lnk_def *out, struct fy_err *err);
/* Merge a PUT /exporters/{name}/config body into a copy of `cur`. */
int lnk_def_update_config(const struct lnk_def *cur, json_t *body, struct lnk_def *out,
                          struct fy_err *err);
/* Deep copy. */
void lnk_def_copy(const struct lnk_def *src, struct lnk_def *out);
void lnk_def_destroy(struct lnk_def *d);

/* The ExporterInfo JSON of GET /exporters/{name} (**new**); with `journal`
 * also the internal `paused` flag (the journal value of an EXPORTER record). */
json_t *lnk_def_to_json(const struct lnk_def *d, bool journal);
/* Read a journal value back (0, or -1 with FY_E_CORRUPT). */
int lnk_def_from_journal(const char *value, size_t len, struct lnk_def *out, struct fy_err *err);

const char *lnk_ctx_type_name(enum lnk_ctx_type t);

/* Does the source subject (context, name) belong to the exporter? `name` ""
 * is the context itself (its config): it belongs when a pattern covers every
 * subject of that context (`*`). A pattern's `*` matches any run of
 * characters; an unqualified pattern means the default context, `:*:` every
 * context. */
bool lnk_def_matches(const struct lnk_def *d, const char *context, const char *name);

/* The destination context of a source context: AUTO ".<cluster_id>" and
 * CUSTOM `context`, each followed by the source context when it is not the
 * default (".a" -> ".<id>.a"); NONE the source context; DEFAULT ".".
 * **new** string. */
char *lnk_def_dest_context(const struct lnk_def *d, const char *cluster_id, const char *context);
/* The destination qualified subject of (context, name): the destination
 * context and subjectRenameFormat with every "${subject}" replaced by name.
 * name "" (the context itself) is not renamed. **new** string. */
char *lnk_def_dest_subject(const struct lnk_def *d, const char *cluster_id, const char *context,
                           const char *name);

/* The inverse of lnk_def_dest_subject: the source (context, name) whose
 * destination is the qualified subject `dest`, or -1 when no source subject
 * maps there (another context, or a name the rename format cannot produce).
 * With contextType DEFAULT every source context lands in "."; the inverse
 * then answers the default context. The answer is checked by mapping it
 * forward again. Does not check lnk_def_matches. On 0 *context and *name
 * are **new** strings. Used by failback (lnk_failback.c). */
int lnk_def_source_subject(const struct lnk_def *d, const char *cluster_id, const char *dest,
                           char **context, char **name);

/* Validate exporter destination settings (the `config` map): 0, or -1 with
 * 42250 naming the key (see lnk_client.h for the keys). */
int lnk_def_check_config(json_t *config, struct fy_err *err);

#endif
