/* SPDX-License-Identifier: Apache-2.0
 * fy_props: Java `.properties` files (the form every Kafka operator writes)
 * and the settings tables that subcommands declare (style S8): parsing,
 * defaults, range checks and the --help text all come from one table.
 * Thread: startup only. */
#ifndef FY_PROPS_H
#define FY_PROPS_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>

struct fy_prop {
    char *key;
    char *value;
    int line;
};

struct fy_props {
    struct fy_prop *items;
    size_t n;
    char *path; /* file name for messages ("" when built in memory) */
};

/* Parse a .properties file: `#`/`!` comments, `=`, `:` or whitespace
 * separators, backslash line continuation, \uXXXX and \t\n\r\f escapes.
 * Later keys override earlier ones. Errors name the file and line (FY_E_CONFIG). */
int fy_props_load(const char *path, struct fy_props *props, struct fy_err *err);
/* Parse text (for tests); `name` is used in messages. */
int fy_props_parse(const char *text, size_t len, const char *name, struct fy_props *props,
                   struct fy_err *err);
void fy_props_destroy(struct fy_props *props);
/* Value of the last occurrence of `key`, or NULL. Borrowed. */
const char *fy_props_get(const struct fy_props *props, const char *key);
/* Set (or override) a key, e.g. from a command-line flag. */
void fy_props_set(struct fy_props *props, const char *key, const char *value);

enum fy_setting_type { FY_SET_STRING, FY_SET_INT, FY_SET_BOOL, FY_SET_ENUM };

struct fy_setting {
    const char *name;
    enum fy_setting_type type;
    size_t offset;          /* offsetof the field in the settings struct */
    const char *def;        /* default as text (NULL = none) */
    long long min, max;     /* FY_SET_INT range */
    const char *const *choices; /* FY_SET_ENUM: NULL-terminated, case-insensitive; stored as index */
    const char *doc;
};

/* Apply `props` to `conf` through `table` (n entries): defaults first, then
 * every key. Fields: char * (new string) for STRING, long long for INT, bool
 * for BOOL, int for ENUM. A key not in the table is an error unless it is in
 * `ignored` (NULL-terminated list of prefixes accepted with a warning, e.g.
 * Confluent keys ferry does not need). */
int fy_settings_apply(const struct fy_setting *table, size_t n, const struct fy_props *props,
                      const char *const *ignored, void *conf, struct fy_err *err);
/* Free the STRING fields of `conf`. */
void fy_settings_free(const struct fy_setting *table, size_t n, void *conf);
/* Print the table as help text (key, default, doc). */
void fy_settings_print(const struct fy_setting *table, size_t n, void *file);

/* Lists in values ("a, b,,c"): items split at `sep`, trimmed of every byte
 * <= ' ' (Java's String.trim), empty ones skipped. With `parens`, a `sep`
 * inside parentheses does not split ("r(a;b),s" is two items).
 * fy_list_next: the next item of *p (not NUL-terminated, *len bytes) and *p
 * moved past it; NULL at the end. fy_list_split: every item as a new string
 * in a new array (*n items; NULL when s is NULL or holds none), freed by
 * fy_list_free. */
const char *fy_list_next(const char **p, char sep, bool parens, size_t *len);
char **fy_list_split(const char *s, char sep, bool parens, size_t *n);
void fy_list_free(char **items, size_t n);

#endif
