/* SPDX-License-Identifier: Apache-2.0
 * reg_records: the key and value JSON of the store's records — the shapes
 * Confluent's registry writes to its `_schemas` topic (sr-api §12), so a log
 * written by ferry reads like one written by Confluent and vice versa.
 * Keys are always serialised the same way (compaction compares raw bytes).
 * Thread: any. */
#ifndef REG_RECORDS_H
#define REG_RECORDS_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reg_keytype {
    REG_KEY_SCHEMA,
    REG_KEY_CONFIG,
    REG_KEY_MODE,
    REG_KEY_DELETE_SUBJECT,
    REG_KEY_CLEAR_SUBJECT,
    REG_KEY_CONTEXT,
    REG_KEY_NOOP,
    REG_KEY_ID_HWM, /* ferry's: a context's id high-water mark (docs/internals/journal.md) */
    REG_KEY_PURGED_VERSION, /* ferry's: a version was hard-deleted (docs/internals/journal.md) */
    REG_KEY_OTHER, /* a key type ferry does not use (e.g. 8.x associations): skipped */
};

struct reg_key {
    enum reg_keytype type;
    char *subject;  /* qualified; NULL for the top-level CONFIG/MODE and for CONTEXT/NOOP */
    int32_t version;/* SCHEMA and PURGED_VERSION only */
    char *context;  /* CONTEXT and ID_HWM only: ".ctx" */
};

/* Parse a record key; accepts any property order and "subject":null.
 * 0, or -1 with err (the key is not a JSON object with a keytype). */
int reg_key_parse(const char *json, size_t len, struct reg_key *out, struct fy_err *err);
void reg_key_destroy(struct reg_key *k);

/* Serialised keys, **new** strings. `subject` NULL = top level. */
char *reg_key_schema(const char *subject, int32_t version);
char *reg_key_config(const char *subject);
char *reg_key_mode(const char *subject);
char *reg_key_delete_subject(const char *subject);
char *reg_key_clear_subject(const char *subject);
char *reg_key_context(const char *context);
char *reg_key_id_hwm(const char *context);
char *reg_key_purged_version(const char *subject, int32_t version);

/* SCHEMA value. `references`, `metadata`, `rule_set` are compact JSON texts or NULL. */
char *reg_value_schema(const char *subject, int32_t version, int32_t id, const char *schema_type,
                       const char *references, const char *metadata, const char *rule_set,
                       const char *schema, bool deleted);
char *reg_value_mode(const char *subject, const char *mode);
char *reg_value_delete_subject(const char *subject, int32_t version);
char *reg_value_clear_subject(const char *subject);
char *reg_value_context(const char *context);
/* ID_HWM value: {"context":".ctx","maxId":N}. */
char *reg_value_id_hwm(const char *context, int32_t max_id);
/* The maxId of an ID_HWM value: 0, or -1 when it is malformed (not an integer
 * in 0 .. 2^31-1). */
int reg_value_id_hwm_parse(const char *value, size_t vlen, int32_t *max_id);
/* PURGED_VERSION value: {"subject":"s","version":N}, **new**. */
char *reg_value_purged_version(const char *subject, int32_t version);

#endif
