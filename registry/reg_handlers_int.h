/* SPDX-License-Identifier: Apache-2.0
 * reg_handlers_int: what reg_route.c hands every REST handler (internal to
 * registry/). A handler appends its JSON answer to `out` and returns 0 for
 * 200, or returns -1 with `err` set (the router turns it into Confluent's
 * error body). Thread: MHD pool threads. */
#ifndef REG_HANDLERS_INT_H
#define REG_HANDLERS_INT_H

#include "common/fy_buf.h"
#include "common/fy_err.h"
#include "registry/reg_registry.h"
#include "registry/reg_route.h"

#include <jansson.h>
#include <stdbool.h>

#define REG_MAX_PARAMS 4

struct reg_hctx {
    struct reg_registry *r;
    const struct reg_req *req;
    const char *params[REG_MAX_PARAMS]; /* decoded path captures, borrowed */
    json_t *body;                       /* parsed body (object) or NULL; borrowed */
    char **arg_names;                   /* decoded query arguments */
    char **arg_values;
    size_t n_args;
    int status;                         /* 200 unless the handler says otherwise (204) */
};

/* Decoded query argument `name` (last occurrence), or NULL. Borrowed. */
const char *reg_arg(const struct reg_hctx *hc, const char *name);
/* true iff the argument is "true" (any case) — absent or anything else is false */
bool reg_arg_bool(const struct reg_hctx *hc, const char *name);
/* Integer argument: `def` when absent or not a number. */
long long reg_arg_int(const struct reg_hctx *hc, const char *name, long long def);
/* A body is required: 0, or -1 with 422 when none was sent. */
int reg_require_body(const struct reg_hctx *hc, struct fy_err *err);

typedef int (*reg_handler_fn)(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);

/* reg_handlers_read.c */
int reg_h_root(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_metadata_id(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_metadata_version(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_types(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schemas_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_by_id(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_by_id_text(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_by_id_subjects(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_by_id_versions(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_by_guid(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_schema_guid_ids(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_subjects_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_versions_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_version_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_version_schema(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_referenced_by(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
/* GET /subjects/{s}/metadata?key=..&value=.. (SubjectsResource.getLatestWithMetadata) */
int reg_h_latest_with_metadata(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_contexts_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);

/* reg_handlers_write.c */
int reg_h_register(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_lookup(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_compat_version(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_compat_all(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_subject_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_version_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_context_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);

/* reg_handlers_config.c */
int reg_h_config_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_config_put(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_config_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_mode_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_mode_put(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);
int reg_h_mode_delete(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err);

#endif
