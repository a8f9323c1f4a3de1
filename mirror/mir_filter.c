/* SPDX-License-Identifier: Apache-2.0
 * mir_filter: include/exclude name filters (see mir_filter.h).
 * Thread: match is read-only and reentrant (regexec on a compiled regex_t). */
#include "mirror/mir_filter.h"

#include "common/fy_alloc.h"
#include "common/fy_props.h"

#include <stdlib.h>
#include <string.h>

static void patterns_destroy(struct mir_patterns *p)
{
    fy_list_free(p->lits, p->n_lits);
    fy_list_free(p->prefixes, p->n_prefixes);
    for (size_t i = 0; i < p->n_regs; i++)
        regfree(&p->regs[i]);
    free(p->regs);
    memset(p, 0, sizeof *p);
}

static int patterns_init(struct mir_patterns *p, const char *lits, const char *prefixes,
                         const char *regexes, struct fy_err *err)
{
    size_t n_re = 0;
    char **res = fy_list_split(regexes, ',', false, &n_re);
    int rc = -1;
    memset(p, 0, sizeof *p);
    p->lits = fy_list_split(lits, ',', false, &p->n_lits);
    p->prefixes = fy_list_split(prefixes, ',', false, &p->n_prefixes);
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
    fy_list_free(res, n_re);
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
