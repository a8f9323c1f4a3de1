/* SPDX-License-Identifier: Apache-2.0
 * fy_props: .properties parsing and settings tables (see fy_props.h). The
 * escape and continuation rules follow java.util.Properties.load. */
#include "common/fy_props.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fy_props_destroy(struct fy_props *props)
{
    for (size_t i = 0; i < props->n; i++) {
        free(props->items[i].key);
        free(props->items[i].value);
    }
    free(props->items);
    free(props->path);
    memset(props, 0, sizeof *props);
}

const char *fy_props_get(const struct fy_props *props, const char *key)
{
    for (size_t i = props->n; i-- > 0;)
        if (strcmp(props->items[i].key, key) == 0)
            return props->items[i].value;
    return NULL;
}

static void add(struct fy_props *props, char *key, char *value, int line)
{
    props->items = fy_realloc(props->items, (props->n + 1) * sizeof *props->items);
    props->items[props->n].key = key;
    props->items[props->n].value = value;
    props->items[props->n].line = line;
    props->n++;
}

void fy_props_set(struct fy_props *props, const char *key, const char *value)
{
    add(props, fy_strdup(key), fy_strdup(value), 0);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(struct fy_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    fy_buf_append(b, u, n);
}

/* Unescape one logical line's key or value part. */
static int unescape(const char *s, size_t len, struct fy_buf *out, const char *name, int line,
                    struct fy_err *err)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\' || i + 1 >= len) {
            fy_buf_putc(out, s[i]);
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 't': fy_buf_putc(out, '\t'); break;
        case 'n': fy_buf_putc(out, '\n'); break;
        case 'r': fy_buf_putc(out, '\r'); break;
        case 'f': fy_buf_putc(out, '\f'); break;
        case 'u': {
            unsigned cp = 0;
            if (i + 4 >= len)
                return fy_err_set(err, FY_E_CONFIG, "%s:%d: malformed \\uXXXX escape", name, line);
            for (int k = 1; k <= 4; k++) {
                int h = hexval(s[i + (size_t)k]);
                if (h < 0)
                    return fy_err_set(err, FY_E_CONFIG, "%s:%d: malformed \\uXXXX escape", name,
                                      line);
                cp = cp * 16 + (unsigned)h;
            }
            put_utf8(out, cp);
            i += 4;
            break;
        }
        default: fy_buf_putc(out, c);
        }
    }
    return 0;
}

int fy_props_parse(const char *text, size_t len, const char *name, struct fy_props *props,
                   struct fy_err *err)
{
    memset(props, 0, sizeof *props);
    props->path = fy_strdup(name);
    struct fy_buf logical;
    fy_buf_init(&logical, 0);
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        /* gather one logical line: physical lines joined on an odd number of trailing '\' */
        fy_buf_reset(&logical);
        int start_line = lineno + 1;
        bool cont = true;
        bool first = true;
        while (cont && pos < len) {
            size_t e = pos;
            while (e < len && text[e] != '\n' && text[e] != '\r')
                e++;
            lineno++;
            const char *l = text + pos;
            size_t ll = e - pos;
            pos = e;
            if (pos < len && text[pos] == '\r')
                pos++;
            if (pos < len && text[pos] == '\n')
                pos++;
            size_t skip = 0;
            while (skip < ll && (l[skip] == ' ' || l[skip] == '\t' || l[skip] == '\f'))
                skip++;
            if (first && (skip == ll || l[skip] == '#' || l[skip] == '!')) {
                cont = true;
                start_line = lineno + 1;
                continue; /* blank or comment line */
            }
            first = false;
            size_t bs = 0;
            while (bs < ll - skip && l[ll - 1 - bs] == '\\')
                bs++;
            cont = bs % 2 == 1;
            fy_buf_append(&logical, l + skip, ll - skip - (cont ? 1 : 0));
        }
        if (first)
            break;
        const char *s = fy_buf_str(&logical);
        size_t sl = logical.len;
        size_t k = 0;
        while (k < sl && !(s[k] == '=' || s[k] == ':' || s[k] == ' ' || s[k] == '\t' ||
                           s[k] == '\f')) {
            if (s[k] == '\\')
                k++;
            k++;
        }
        if (k > sl)
            k = sl;
        size_t v = k;
        while (v < sl && (s[v] == ' ' || s[v] == '\t' || s[v] == '\f'))
            v++;
        if (v < sl && (s[v] == '=' || s[v] == ':'))
            v++;
        while (v < sl && (s[v] == ' ' || s[v] == '\t' || s[v] == '\f'))
            v++;
        struct fy_buf kb, vb;
        fy_buf_init(&kb, 0);
        fy_buf_init(&vb, 0);
        if (unescape(s, k, &kb, name, start_line, err) != 0 ||
            unescape(s + v, sl - v, &vb, name, start_line, err) != 0) {
            fy_buf_destroy(&kb);
            fy_buf_destroy(&vb);
            fy_buf_destroy(&logical);
            fy_props_destroy(props);
            return -1;
        }
        add(props, fy_buf_steal(&kb), fy_buf_steal(&vb), start_line);
    }
    fy_buf_destroy(&logical);
    return 0;
}

int fy_props_load(const char *path, struct fy_props *props, struct fy_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fy_err_set(err, FY_E_CONFIG, "cannot open config file %s: %s", path,
                          strerror(errno));
    struct fy_buf b;
    fy_buf_init(&b, 16 << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fy_buf_append(&b, chunk, n) != 0) {
            rc = fy_err_set(err, FY_E_CONFIG, "config file %s is larger than 16 MiB", path);
            break;
        }
    if (rc == 0 && ferror(f))
        rc = fy_err_set(err, FY_E_CONFIG, "cannot read config file %s: %s", path,
                        strerror(errno));
    fclose(f);
    if (rc == 0)
        rc = fy_props_parse(fy_buf_str(&b), b.len, path, props, err);
    fy_buf_destroy(&b);
    return rc;
}

static int set_one(const struct fy_setting *s, const char *value, void *conf, const char *where,
                   struct fy_err *err)
{
    char *field = (char *)conf + s->offset;
    switch (s->type) {
    case FY_SET_STRING: {
        char **p = (char **)(void *)field;
        free(*p);
        *p = fy_strdup(value);
        return 0;
    }
    case FY_SET_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!value[0] || *end || errno || v < s->min || v > s->max)
            return fy_err_set(err, FY_E_CONFIG, "%s%s: '%s' is not an integer in [%lld, %lld]",
                              where, s->name, value, s->min, s->max);
        *(long long *)(void *)field = v;
        return 0;
    }
    case FY_SET_BOOL:
        if (strcasecmp(value, "true") == 0)
            *(bool *)(void *)field = true;
        else if (strcasecmp(value, "false") == 0)
            *(bool *)(void *)field = false;
        else
            return fy_err_set(err, FY_E_CONFIG, "%s%s: '%s' is not true or false", where, s->name,
                              value);
        return 0;
    case FY_SET_ENUM:
        for (int i = 0; s->choices[i]; i++)
            if (strcasecmp(value, s->choices[i]) == 0) {
                *(int *)(void *)field = i;
                return 0;
            }
        return fy_err_set(err, FY_E_CONFIG, "%s%s: '%s' is not one of the allowed values", where,
                          s->name, value);
    }
    return 0;
}

int fy_settings_apply(const struct fy_setting *table, size_t n, const struct fy_props *props,
                      const char *const *ignored, void *conf, struct fy_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].def && set_one(&table[i], table[i].def, conf, "default ", err) != 0)
            return -1;
    for (size_t p = 0; props && p < props->n; p++) {
        const struct fy_prop *pr = &props->items[p];
        char where[512];
        if (pr->line)
            snprintf(where, sizeof where, "%s:%d: ", props->path, pr->line);
        else
            snprintf(where, sizeof where, "command line: ");
        const struct fy_setting *s = NULL;
        for (size_t i = 0; i < n && !s; i++)
            if (strcmp(table[i].name, pr->key) == 0)
                s = &table[i];
        if (!s) {
            bool skip = false;
            for (size_t i = 0; ignored && ignored[i] && !skip; i++)
                skip = strncmp(pr->key, ignored[i], strlen(ignored[i])) == 0;
            if (!skip)
                return fy_err_set(err, FY_E_CONFIG, "%sunknown setting '%s'", where, pr->key);
            fy_log(FY_LOG_WARN, "config", "msg=\"setting not used by ferry, ignored\" key=%s",
                   pr->key);
            continue;
        }
        if (set_one(s, pr->value, conf, where, err) != 0)
            return -1;
    }
    return 0;
}

void fy_settings_free(const struct fy_setting *table, size_t n, void *conf)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].type == FY_SET_STRING) {
            char **p = (char **)(void *)((char *)conf + table[i].offset);
            free(*p);
            *p = NULL;
        }
}

void fy_settings_print(const struct fy_setting *table, size_t n, void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-34s %s%s%s%s\n", table[i].name, table[i].doc,
                table[i].def ? " (default: " : "", table[i].def ? table[i].def : "",
                table[i].def ? ")" : "");
}

const char *fy_list_next(const char **p, char sep, bool parens, size_t *len)
{
    while (*p && **p) {
        const char *s = *p, *e = s;
        int depth = 0;
        while (*e && (*e != sep || depth > 0)) {
            if (parens)
                depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
            e++;
        }
        *p = *e ? e + 1 : e;
        while (s < e && (unsigned char)*s <= ' ')
            s++;
        while (e > s && (unsigned char)e[-1] <= ' ')
            e--;
        if (e > s) {
            *len = (size_t)(e - s);
            return s;
        }
    }
    return NULL;
}

char **fy_list_split(const char *s, char sep, bool parens, size_t *n)
{
    char **items = NULL;
    size_t len = 0;
    *n = 0;
    for (const char *t; (t = fy_list_next(&s, sep, parens, &len));) {
        items = fy_realloc(items, (*n + 1) * sizeof *items);
        items[(*n)++] = fy_strndup(t, len);
    }
    return items;
}

void fy_list_free(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}
