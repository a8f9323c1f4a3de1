/* SPDX-License-Identifier: Apache-2.0
 * mir_filter: include/exclude name filters (see mir_filter.h).
 * Thread: match is read-only and reentrant (regexec on a compiled regex_t). */
#include "mirror/mir_filter.h"

#include "common/fy_alloc.h"

#include <stdlib.h>
#include <string.h>

/* Split a comma list into trimmed, non-empty items (new array of new strings). */
static char **split(const char *list, size_t *n)
{
    char **items = NULL;
    *n = 0;
    for (const char *p = list ? list : ""; *p;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            items = fy_realloc(items, (*n + 1) * sizeof *items);
            items[(*n)++] = fy_strndup(a, (size_t)(b - a));
        }
        p = *end ? end + 1 : end;
    }
    return items;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void patterns_destroy(struct mir_patterns *p)
{
    free_list(p->lits, p->n_lits);
    free_list(p->prefixes, p->n_prefixes);
    for (size_t i = 0; i < p->n_regs; i++)
        regfree(&p->regs[i]);
    free(p->regs);
    memset(p, 0, sizeof *p);
}

static int patterns_init(struct mir_patterns *p, const char *lits, const char *prefixes,
                         const char *regexes, struct fy_err *err)
{
    size_t n_re = 0;
    char **res = split(regexes, &n_re);
    int rc = -1;
    memset(p, 0, sizeof *p);
    p->lits = split(lits, &p->n_lits);
    p->prefixes = split(prefixes, &p->n_prefixes);
    p->regs = fy_calloc(n_re ? n_re : 1, sizeof *p->regs);
    for (size_t i = 0; i < n_re; i++) {
        /* anchored, so `orders.*` cannot select `old-orders-x` by a partial match */
        char *anchored = fy_asprintf("^(%s)$", res[i]);
        int e = regcomp(&p->regs[i], anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (e != 0) {
            char msg[128];
            regerror(e, &p->regs[i], msg, sizeof msg);
            fy_err_set(err, FY_E_CONFIG, "bad regex '%s': %s", res[i], msg);
            goto out;
        }
        p->n_regs++;
    }
    rc = 0;
out:
    free_list(res, n_re);
    if (rc != 0)
        patterns_destroy(p);
    return rc;
}

static bool patterns_match(const struct mir_patterns *p, const char *name)
{
    for (size_t i = 0; i < p->n_lits; i++)
        if (strcmp(p->lits[i], name) == 0)
            return true;
    for (size_t i = 0; i < p->n_prefixes; i++)
        if (strncmp(p->prefixes[i], name, strlen(p->prefixes[i])) == 0)
            return true;
    for (size_t i = 0; i < p->n_regs; i++)
        if (regexec(&p->regs[i], name, 0, NULL, 0) == 0)
            return true;
    return false;
}

int mir_filter_init(struct mir_filter *f, const char *lits, const char *prefixes,
                    const char *regexes, const char *ex_lits, const char *ex_prefixes,
                    const char *ex_regexes, struct fy_err *err)
{
    memset(f, 0, sizeof *f);
    if (patterns_init(&f->inc, lits, prefixes, regexes, err) != 0)
        return -1;
    if (patterns_init(&f->exc, ex_lits, ex_prefixes, ex_regexes, err) != 0) {
        patterns_destroy(&f->inc);
        return -1;
    }
    return 0;
}

void mir_filter_destroy(struct mir_filter *f)
{
    patterns_destroy(&f->inc);
    patterns_destroy(&f->exc);
}

bool mir_filter_match(const struct mir_filter *f, const char *name)
{
    return patterns_match(&f->inc, name) && !patterns_match(&f->exc, name);
}

bool mir_filter_empty(const struct mir_filter *f)
{
    return f->inc.n_lits + f->inc.n_prefixes + f->inc.n_regs == 0;
}

bool mir_topic_is_internal(const char *name)
{
    size_t n = strlen(name);
    static const char suffix[] = ".internal";
    if (strncmp(name, "__", 2) == 0 || strncmp(name, "_confluent", 10) == 0 ||
        strncmp(name, "mm2-", 4) == 0 || strcmp(name, "heartbeats") == 0)
        return true;
    return n >= sizeof suffix - 1 && strcmp(name + n - (sizeof suffix - 1), suffix) == 0;
}
