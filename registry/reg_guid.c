/* SPDX-License-Identifier: Apache-2.0
 * reg_guid: Confluent's content guid of a schema (reg_guid.h). */
#include "registry/reg_guid.h"

#include "common/fy_alloc.h"

#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void feed(gnutls_hash_hd_t md, const char *s)
{
    if (s)
        gnutls_hash(md, s, strlen(s));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The object's keys, sorted (TreeMap order): **new** array of borrowed keys. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    *n = json_is_object(obj) ? json_object_size(obj) : 0;
    const char **keys = fy_malloc((*n + 1) * sizeof *keys);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        (void)v;
        keys[i++] = k;
    }
    qsort(keys, *n, sizeof *keys, cmp_str);
    return keys;
}

/* The strings of an array, sorted and without duplicates (TreeSet). */
static void feed_string_set(gnutls_hash_hd_t md, const json_t *arr)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    const char **items = fy_malloc((n + 1) * sizeof *items);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s)
            items[m++] = s;
    }
    qsort(items, m, sizeof *items, cmp_str);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(items[i], items[i - 1]) != 0)
            feed(md, items[i]);
    free(items);
}

/* A String -> String map in key order: key, value, key, value... */
static void feed_string_map(gnutls_hash_hd_t md, const json_t *obj)
{
    size_t n;
    const char **keys = sorted_keys(obj, &n);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(obj, keys[i]));
        feed(md, keys[i]);
        feed(md, v);
    }
    free(keys);
}

/* SchemaReference.updateHash: name, subject, version as 4 bytes big-endian. */
static void feed_references(gnutls_hash_hd_t md, const json_t *refs)
{
    for (size_t i = 0; json_is_array(refs) && i < json_array_size(refs); i++) {
        const json_t *r = json_array_get(refs, i);
        feed(md, json_string_value(json_object_get(r, "name")));
        feed(md, json_string_value(json_object_get(r, "subject")));
        const json_t *v = json_object_get(r, "version");
        if (json_is_integer(v)) {
            uint32_t x = (uint32_t)(int32_t)json_integer_value(v);
            unsigned char b[4] = {(unsigned char)(x >> 24), (unsigned char)(x >> 16),
                                  (unsigned char)(x >> 8), (unsigned char)x};
            gnutls_hash(md, b, sizeof b);
        }
    }
}

/* Metadata.updateHash: tags (key, then its sorted values), properties, sensitive. */
static void feed_metadata(gnutls_hash_hd_t md, const json_t *m)
{
    const json_t *tags = json_object_get(m, "tags");
    size_t n;
    const char **keys = sorted_keys(tags, &n);
    for (size_t i = 0; i < n; i++) {
        feed(md, keys[i]);
        feed_string_set(md, json_object_get(tags, keys[i]));
    }
    free(keys);
    feed_string_map(md, json_object_get(m, "properties"));
    feed_string_set(md, json_object_get(m, "sensitive"));
}

/* Rule.updateHash; kind and mode default to TRANSFORM and WRITEREAD as the
 * Rule constructor sets them. */
static void feed_rule(gnutls_hash_hd_t md, const json_t *r)
{
    const char *kind = json_string_value(json_object_get(r, "kind"));
    const char *mode = json_string_value(json_object_get(r, "mode"));
    feed(md, json_string_value(json_object_get(r, "name")));
    feed(md, json_string_value(json_object_get(r, "doc")));
    feed(md, kind ? kind : "TRANSFORM");
    feed(md, mode ? mode : "WRITEREAD");
    feed(md, json_string_value(json_object_get(r, "type")));
    feed_string_set(md, json_object_get(r, "tags"));
    feed_string_map(md, json_object_get(r, "params"));
    feed(md, json_string_value(json_object_get(r, "expr")));
    feed(md, json_string_value(json_object_get(r, "onSuccess")));
    feed(md, json_string_value(json_object_get(r, "onFailure")));
    if (json_is_true(json_object_get(r, "disabled"))) {
        unsigned char one = 1;
        gnutls_hash(md, &one, 1);
    }
}

/* RuleSet.updateHash: migration, domain, encoding rules, then enableAt. */
static void feed_rule_set(gnutls_hash_hd_t md, const json_t *rs)
{
    static const char *const lists[] = {"migrationRules", "domainRules", "encodingRules"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        const json_t *a = json_object_get(rs, lists[l]);
        for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++)
            feed_rule(md, json_array_get(a, i));
    }
    feed(md, json_string_value(json_object_get(rs, "enableAt")));
}

void reg_guid(const char *schema, const char *references, const char *metadata,
             const char *rule_set, char out[REG_GUID_LEN])
{
    /* GnuTLS's MD5, as fy_auth's MD5: credentials; it fails only without
     * memory or with MD5 disabled (FIPS mode), and a guid cannot be made then */
    gnutls_hash_hd_t md;
    if (gnutls_hash_init(&md, GNUTLS_DIG_MD5) < 0) {
        fprintf(stderr, "ferry: MD5 is not available from GnuTLS: cannot compute schema guids\n");
        abort();
    }
    unsigned char one = 1;
    feed(md, schema);
    if (references) {
        json_t *refs = json_loads(references, 0, NULL);
        feed_references(md, refs);
        json_decref(refs);
    }
    if (metadata) {
        json_t *m = json_loads(metadata, 0, NULL);
        gnutls_hash(md, &one, 1); /* "to distinguish from null" */
        feed_metadata(md, m);
        json_decref(m);
    }
    if (rule_set) {
        json_t *rs = json_loads(rule_set, 0, NULL);
        gnutls_hash(md, &one, 1);
        feed_rule_set(md, rs);
        json_decref(rs);
    }
    unsigned char d[16];
    gnutls_hash_deinit(md, d);
    /* java.util.UUID(high, low).toString(): 8-4-4-4-12 lowercase hex */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[d[i] >> 4];
        out[o++] = hex[d[i] & 15];
    }
    out[o] = '\0';
}
