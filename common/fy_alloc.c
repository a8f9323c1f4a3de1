/* SPDX-License-Identifier: Apache-2.0
 * fy_alloc: abort-on-OOM allocation (see fy_alloc.h). */
#include "fy_alloc.h"

#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t size)
{
    char line[96];
    int n = snprintf(line, sizeof line, "level=ERROR module=alloc msg=\"out of memory\" size=%zu\n",
                     size);
    if (n > 0 && write(2, line, (size_t)n) < 0) {
        /* nothing left to do: we abort anyway */
    }
    abort();
}

void *fy_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *fy_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom(nmemb * size);
    return p;
}

void *fy_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *fy_strdup(const char *s)
{
    if (!s)
        return NULL;
    return fy_strndup(s, strlen(s));
}

char *fy_strndup(const char *s, size_t len)
{
    char *p = fy_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *fy_asprintf(const char *fmt, ...)
{
    /* one formatting pass for the usual short text (compatibility checks
     * format one message per incompatibility); a second only when longer */
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    char *p = fy_malloc((size_t)n + 1);
    if ((size_t)n < sizeof tmp) {
        memcpy(p, tmp, (size_t)n + 1);
        return p;
    }
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *fy_strconcat(const char *s, ...)
{
    va_list ap;
    size_t len = 0;
    va_start(ap, s);
    for (const char *p = s; p; p = va_arg(ap, const char *))
        len += strlen(p);
    va_end(ap);
    char *out = fy_malloc(len + 1), *w = out;
    va_start(ap, s);
    for (const char *p = s; p; p = va_arg(ap, const char *)) {
        size_t n = strlen(p);
        memcpy(w, p, n);
        w += n;
    }
    va_end(ap);
    *w = '\0';
    return out;
}

void fy_alloc_init(void)
{
#ifdef M_MXFAST
    /* glibc without fastbins: a small block freed past the per-thread cache
     * is merged with its free neighbours at once. With fastbins, freeing a
     * parsed schema of 40,000 types (a million small blocks: jansson's tree,
     * the model) ran malloc_consolidate again and again over them; bench 9's
     * shapes spend about 20% less CPU without (id reads: no difference). */
    mallopt(M_MXFAST, 0);
#endif
    json_set_alloc_funcs(fy_malloc, free);
}
