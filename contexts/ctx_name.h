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
 * when the text cannot be a qualified subject. As Confluent's QualifiedSubject
 * (single tenant "default": a `tenant_` prefix is part of the name):
 *  - `:.ctx:name` -> (".ctx", "name"); the context runs from the '.' to the
 *    first ':' after the `:.` (so `:.a.b:x` -> ".a.b", `:.a:b:c` -> (".a", "b:c"));
 *  - `:.ctx` with no closing ':' is the context itself (".ctx", "");
 *  - `:.:x` -> (".", "x"), `:.` and `:.:` -> (".", "");
 *  - `:*:x` -> ("*", "x") with wildcard set;
 *  - anything else, including `:ctx:x` (no dot), `:x`, `*` and "", is a name
 *    in the default context, kept verbatim.
 * Java never refuses a non-null string here, so neither do we: the only
 * failure is raw == NULL. On failure *out is zeroed (destroy is a no-op). */
int ctx_subject_parse(const char *raw, struct ctx_subject *out, struct fy_err *err);
void ctx_subject_destroy(struct ctx_subject *cs);

/* Why a subject may be refused, as Confluent's QualifiedSubject.isValidSubject:
 * ISO control characters anywhere in `raw` (Java's CharMatcher.javaIsoControl:
 * U+0000..U+001F and U+007F..U+009F, the latter as UTF-8 C2 80..C2 9F), the
 * reserved names `__GLOBAL` / `__EMPTY` (in any context), and the `.__GLOBAL`
 * context unless `allow_global` (config and mode may use it). The empty name
 * and the wildcard are allowed here (Java: "for backward compatibility");
 * callers that need a real subject check cs->name[0] and cs->wildcard.
 * Returns 0 or -1 with 42208 `The specified subject '<raw>' is not a valid.`. */
int ctx_subject_validate(const char *raw, const struct ctx_subject *cs, bool allow_global,
                         struct fy_err *err);

/* The qualified text of (context, name): "name" in the default context,
 * ":.ctx:name" otherwise (":.ctx:" for the context itself, ":*:name" for the
 * wildcard "*"); a NULL context is the default, a NULL name "". **new** string. */
char *ctx_subject_format(const char *context, const char *name);

/* Normalise a context as written in a path or config (".ctx", "ctx", ":.ctx:",
 * ":ctx:") to its canonical form ".ctx" ("." for the default). Returns a
 * **new** string, or NULL with 42208 when it is not a valid context name.
 * As Confluent's QualifiedSubject.normalizeContext: one leading and one
 * trailing ':' are dropped, then any remaining ':' makes the name invalid
 * (message `Context name cannot contain a colon`), and a '.' is prepended when
 * missing. Nothing else is checked ("" and ":" are the default context,
 * ".a.b" is nested, "*" becomes ".*"). */
char *ctx_context_normalize(const char *raw, struct fy_err *err);

/* True when `context` is the default context "." (NULL counts as default, as
 * Confluent's isDefaultContext(null)). */
bool ctx_is_default(const char *context);

/* Confluent's ContextFilter (sr-api §2.8): rewrite a URL-prefix request
 * `/contexts/{ctx}/<rest>` into the plain API. `path` is the raw request path
 * (still percent-encoded, starting with '/'), `query` the raw query string
 * without '?' (NULL or "" = none). Rules, applied while walking the segments:
 *  - the segment after `subjects` or `deks` (anywhere), and after a root `config`
 *    or `mode`, gets `:.ctx:` prefixed unless it already starts (after decoding)
 *    with `:.` or `:*:`; `/contexts/{ctx}/config` and `/mode` alone become
 *    `/config/:.ctx:` and `/mode/:.ctx:`;
 *  - `/contexts/{ctx}/schemas/ids...` gets query `subject=:.ctx:<subject>`
 *    (unless `subject` is already qualified);
 *  - `/contexts/{ctx}/subjects`, `/schemas` and `/keks...` get every
 *    `subjectPrefix` prefixed with `:.ctx:`, or `subjectPrefix=:.ctx:` added;
 *  - everything else (`/contexts/{ctx}/exporters...`) just loses the prefix:
 *    the context is handed back in *context.
 * In the default context (`.`, `:.:`, "") the prefix is empty, but the query
 * parameters are still added (`subjectPrefix=` = default context only).
 * `{ctx}` may be `.ctx`, `ctx`, `:.ctx:` or `:ctx:`, and percent-encoded;
 * unlike Java (which uses the raw segment) it is decoded first, so
 * `%3A.ctx%3A` means `:.ctx:`. Only `{ctx}` is decoded: other segments and
 * query values are copied as sent, and the context is re-encoded where it is
 * spliced in. The rewritten path has no trailing '/'.
 * Returns 0 and **new** *new_path, *new_query ("" when none) and *context
 * (canonical ".ctx", "." for the default) when a rewrite applies; 0 with all
 * three NULL when none does (any path not under `/contexts/`, and the contexts
 * resource itself: `/contexts`, `/contexts/`, `/contexts/{ctx}`); -1 with
 * err 400 `Context name cannot contain a colon` (Confluent's text) or 400 for
 * a badly percent-encoded {ctx}, outputs NULL. `context` may be NULL when the
 * caller does not want it. */
int ctx_path_rewrite_ctx(const char *path, const char *query, char **new_path, char **new_query,
                         char **context, struct fy_err *err);

/* ctx_path_rewrite_ctx without the context. */
int ctx_path_rewrite(const char *path, const char *query, char **new_path, char **new_query,
                     struct fy_err *err);

#endif
