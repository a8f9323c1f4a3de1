/* SPDX-License-Identifier: Apache-2.0
 * ctx_name: the grammar of schema contexts (sr-api §8, Confluent's
 * QualifiedSubject): qualified subjects `:.ctx:subject`, the default context
 * `.` written unprefixed (`:.:x` is `x`), nested contexts (`.a.b`), the context
 * itself (`:.ctx:`, empty subject), the wildcard `:*:`, reserved names.
 * Pure string functions. Thread: any. */
#ifndef CTX_NAME_H
#define CTX_NAME_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>

#define CTX_DEFAULT "."
#define CTX_GLOBAL ".__GLOBAL"

/* A parsed, normalised qualified subject. Both strings are **new** (owned by
 * the struct, freed by ctx_subject_destroy). */
struct ctx_subject {
    char *context;  /* ".", ".ctx", ".a.b" — or "*" for the wildcard `:*:` */
    char *name;     /* the subject inside the context; "" = the context itself */
    bool wildcard;  /* context was `*` */
};

/* Parse and normalise `raw` (already percent-decoded). Does not judge
 * reserved names (see ctx_subject_validate). Returns 0, or -1 with 42208
 * when the text cannot be a qualified subject. */
int ctx_subject_parse(const char *raw, struct ctx_subject *out, struct fy_err *err);
void ctx_subject_destroy(struct ctx_subject *cs);

/* Why a subject may be refused, as Confluent's QualifiedSubject.isValidSubject:
 * ISO control characters, the reserved names `__GLOBAL` / `__EMPTY`, and the
 * `.__GLOBAL` context unless `allow_global` (config and mode may use it).
 * Returns 0 or -1 with 42208 `The specified subject '<raw>' is not a valid.`. */
int ctx_subject_validate(const char *raw, const struct ctx_subject *cs, bool allow_global,
                         struct fy_err *err);

/* The qualified text of (context, name): "name" in the default context,
 * ":.ctx:name" otherwise (":.ctx:" for the context itself). **new** string. */
char *ctx_subject_format(const char *context, const char *name);

/* Normalise a context as written in a path or config (".ctx", "ctx", ":.ctx:",
 * ":ctx:") to its canonical form ".ctx" ("." for the default). Returns a
 * **new** string, or NULL with 42208 when it is not a valid context name. */
char *ctx_context_normalize(const char *raw, struct fy_err *err);

/* True when `context` is the default context "." */
bool ctx_is_default(const char *context);

#endif
