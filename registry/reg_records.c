/* SPDX-License-Identifier: Apache-2.0
 * reg_records: `_schemas` record keys and values (see reg_records.h). Key
 * property order follows Confluent's @JsonPropertyOrder (keytype, subject,
 * version, magic); SCHEMA keys carry magic 1, the others 0. */
#include "registry/reg_records.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_jsonout.h"
#include "common/fy_jscan.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

static const struct {
    const char *name;
    enum reg_keytype type;
} keytypes[] = {
    {"SCHEMA", REG_KEY_SCHEMA},           {"CONFIG", REG_KEY_CONFIG},
    {"MODE", REG_KEY_MODE},               {"DELETE_SUBJECT", REG_KEY_DELETE_SUBJECT},
    {"CLEAR_SUBJECT", REG_KEY_CLEAR_SUBJECT}, {"CONTEXT", REG_KEY_CONTEXT},
    {"NOOP", REG_KEY_NOOP},               {"ID_HWM", REG_KEY_ID_HWM},
    {"PURGED_VERSION", REG_KEY_PURGED_VERSION},
};

static enum reg_keytype keytype_of(const char *kt, size_t len)
{
    for (size_t i = 0; i < sizeof keytypes / sizeof keytypes[0]; i++)
        if (strlen(keytypes[i].name) == len && memcmp(kt, keytypes[i].name, len) == 0)
            return keytypes[i].type;
    return REG_KEY_OTHER;
}

/* Fast path (one scan, no tree): false when the key needs jansson. */
static bool scan_key(const char *json, size_t len, struct reg_key *out)
{
    struct fy_jscan js;
    struct fy_jscan_member m;
    bool have_type = false;
    int rc;
    if (!fy_jscan_begin(&js, json, len))
        return false;
    while ((rc = fy_jscan_next(&js, &m)) == 1) {
        if (fy_jscan_key_is(&m, "keytype")) {
            if (m.type != FY_JS_STRING || m.escaped)
                return false;
            out->type = keytype_of(m.val, m.vlen);
            have_type = true;
        } else if (fy_jscan_key_is(&m, "subject") && m.type == FY_JS_STRING) {
            free(out->subject);
            if (!(out->subject = fy_jscan_string(&m)))
                return false;
        } else if (fy_jscan_key_is(&m, "context") && m.type == FY_JS_STRING) {
            free(out->context);
            if (!(out->context = fy_jscan_string(&m)))
                return false;
        } else if (fy_jscan_key_is(&m, "version")) {
            int64_t v = 0;
            out->version = fy_jscan_int(&m, &v) ? (int32_t)v : 0;
        }
    }
    return rc == 0 && have_type;
}

int reg_key_parse(const char *json, size_t len, struct reg_key *out, struct fy_err *err)
{
    memset(out, 0, sizeof *out);
    if (scan_key(json, len, out))
        return 0;
    reg_key_destroy(out);
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *k = json_loadb(json, len, 0, &jerr);
    if (!k || !json_is_object(k)) {
        json_decref(k);
        return fy_err_set(err, FY_E_CORRUPT, "record key is not a JSON object");
    }
    const char *kt = json_string_value(json_object_get(k, "keytype"));
    if (!kt) {
        json_decref(k);
        return fy_err_set(err, FY_E_CORRUPT, "record key has no keytype");
    }
    out->type = keytype_of(kt, strlen(kt));
    const char *subject = json_string_value(json_object_get(k, "subject"));
    out->subject = fy_strdup(subject);
    json_t *v = json_object_get(k, "version");
    out->version = json_is_integer(v) ? (int32_t)json_integer_value(v) : 0;
    out->context = fy_strdup(json_string_value(json_object_get(k, "context")));
    json_decref(k);
    return 0;
}

void reg_key_destroy(struct reg_key *k)
{
    free(k->subject);
    free(k->context);
    k->subject = NULL;
    k->context = NULL;
}

static char *simple_key(const char *keytype, const char *subject)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"keytype\":");
    fy_jsonout_str(&b, keytype);
    if (subject) {
        fy_buf_puts(&b, ",\"subject\":");
        fy_jsonout_str(&b, subject);
    }
    fy_buf_puts(&b, ",\"magic\":0}");
    return fy_buf_steal(&b);
}

/* A key naming a subject's version: `head` (the JSON up to "subject":). */
static char *version_key(const char *head, const char *subject, int32_t version, int magic)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, head);
    fy_jsonout_str(&b, subject);
    fy_buf_printf(&b, ",\"version\":%d,\"magic\":%d}", (int)version, magic);
    return fy_buf_steal(&b);
}

char *reg_key_schema(const char *subject, int32_t version)
{
    return version_key("{\"keytype\":\"SCHEMA\",\"subject\":", subject, version, 1);
}

char *reg_key_config(const char *subject)
{
    return simple_key("CONFIG", subject);
}

char *reg_key_mode(const char *subject)
{
    return simple_key("MODE", subject);
}

char *reg_key_delete_subject(const char *subject)
{
    return simple_key("DELETE_SUBJECT", subject);
}

char *reg_key_clear_subject(const char *subject)
{
    return simple_key("CLEAR_SUBJECT", subject);
}

/* A key naming a context: `head` (the JSON up to "context":), the context, magic 0. */
static char *context_key(const char *head, const char *context)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, head);
    fy_jsonout_str(&b, context);
    fy_buf_puts(&b, ",\"magic\":0}");
    return fy_buf_steal(&b);
}

char *reg_key_context(const char *context)
{
    return context_key("{\"keytype\":\"CONTEXT\",\"tenant\":\"default\",\"context\":", context);
}

char *reg_key_id_hwm(const char *context)
{
    return context_key("{\"keytype\":\"ID_HWM\",\"context\":", context);
}

char *reg_key_purged_version(const char *subject, int32_t version)
{
    return version_key("{\"keytype\":\"PURGED_VERSION\",\"subject\":", subject, version, 0);
}

char *reg_value_purged_version(const char *subject, int32_t version)
{
    return reg_value_delete_subject(subject, version); /* the same shape */
}

char *reg_value_schema(const char *subject, int32_t version, int32_t id, const char *schema_type,
                       const char *references, const char *metadata, const char *rule_set,
                       const char *schema, bool deleted)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"subject\":");
    fy_jsonout_str(&b, subject);
    fy_buf_printf(&b, ",\"version\":%d,\"id\":%d", (int)version, (int)id);
    /* schemaType omitted for Avro, as Confluent <= 7.9 writes it (absent = AVRO) */
    if (schema_type && strcmp(schema_type, "AVRO") != 0) {
        fy_buf_puts(&b, ",\"schemaType\":");
        fy_jsonout_str(&b, schema_type);
    }
    if (references) {
        fy_buf_puts(&b, ",\"references\":");
        fy_buf_puts(&b, references);
    }
    if (metadata) {
        fy_buf_puts(&b, ",\"metadata\":");
        fy_buf_puts(&b, metadata);
    }
    if (rule_set) {
        fy_buf_puts(&b, ",\"ruleSet\":");
        fy_buf_puts(&b, rule_set);
    }
    fy_buf_puts(&b, ",\"schema\":");
    fy_jsonout_str(&b, schema);
    fy_buf_printf(&b, ",\"deleted\":%s}", deleted ? "true" : "false");
    return fy_buf_steal(&b);
}

char *reg_value_mode(const char *subject, const char *mode)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_putc(&b, '{');
    if (subject) {
        fy_buf_puts(&b, "\"subject\":");
        fy_jsonout_str(&b, subject);
        fy_buf_putc(&b, ',');
    }
    fy_buf_puts(&b, "\"mode\":");
    fy_jsonout_str(&b, mode);
    fy_buf_putc(&b, '}');
    return fy_buf_steal(&b);
}

char *reg_value_delete_subject(const char *subject, int32_t version)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"subject\":");
    fy_jsonout_str(&b, subject);
    fy_buf_printf(&b, ",\"version\":%d}", (int)version);
    return fy_buf_steal(&b);
}

char *reg_value_clear_subject(const char *subject)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"subject\":");
    fy_jsonout_str(&b, subject);
    fy_buf_putc(&b, '}');
    return fy_buf_steal(&b);
}

char *reg_value_context(const char *context)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"tenant\":\"default\",\"context\":");
    fy_jsonout_str(&b, context);
    fy_buf_putc(&b, '}');
    return fy_buf_steal(&b);
}

char *reg_value_id_hwm(const char *context, int32_t max_id)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"context\":");
    fy_jsonout_str(&b, context);
    fy_buf_printf(&b, ",\"maxId\":%d}", (int)max_id);
    return fy_buf_steal(&b);
}

int reg_value_id_hwm_parse(const char *value, size_t vlen, int32_t *max_id)
{
    json_t *v = json_loadb(value, vlen, 0, NULL);
    json_t *m = json_object_get(v, "maxId");
    int rc = -1;
    if (json_is_integer(m) && json_integer_value(m) >= 0 && json_integer_value(m) <= INT32_MAX) {
        *max_id = (int32_t)json_integer_value(m);
        rc = 0;
    }
    json_decref(v);
    return rc;
}
