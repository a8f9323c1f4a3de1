/* SPDX-License-Identifier: Apache-2.0
 * fy_alloc: allocation wrappers that log and abort on OOM (Redis zmalloc), so
 * callers never NULL-check them. fy_alloc_init() routes jansson through them.
 * Thread: any. */
#ifndef FY_ALLOC_H
#define FY_ALLOC_H

#include <stddef.h>

void *fy_malloc(size_t size);
void *fy_calloc(size_t nmemb, size_t size);
void *fy_realloc(void *ptr, size_t size);
/* new copy of `s`; fy_strdup(NULL) is NULL */
char *fy_strdup(const char *s);
/* new copy of the first `len` bytes of `s`, NUL-terminated */
char *fy_strndup(const char *s, size_t len);
/* new printf-formatted string */
char *fy_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The strings up to the NULL joined, as a **new** string: fy_asprintf's job
 * for "%s%s%s" without a formatting pass (hot paths: one per message). */
char *fy_strconcat(const char *s, ...) __attribute__((sentinel));

/* Install fy_malloc/free as jansson's allocator and tune glibc's malloc
 * (no fastbins, see fy_alloc.c). Call once at startup. */
void fy_alloc_init(void);

#endif
