/* SPDX-License-Identifier: Apache-2.0
 * fy_err: filling the error record (see fy_err.h). */
#include "fy_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fy_err_set(struct fy_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    free(err->detail);
    err->detail = NULL;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* messages are one line: a newline from a library text would split a log event */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

int fy_err_set_long(struct fy_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    free(err->detail);
    err->detail = NULL;
    err->code = code;
    if (n < 0)
        n = 0;
    char *full = malloc((size_t)n + 1);
    if (full) {
        va_start(ap, fmt);
        vsnprintf(full, (size_t)n + 1, fmt, ap);
        va_end(ap);
        for (char *p = full; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        snprintf(err->msg, sizeof err->msg, "%s", full);
        if ((size_t)n >= sizeof err->msg)
            err->detail = full;
        else
            free(full);
    } else {
        snprintf(err->msg, sizeof err->msg, "out of memory formatting an error");
    }
    return -1;
}

const char *fy_err_text(const struct fy_err *err)
{
    return err->detail ? err->detail : err->msg;
}

void fy_err_clear(struct fy_err *err)
{
    if (!err)
        return;
    free(err->detail);
    err->detail = NULL;
    err->code = FY_OK;
    err->msg[0] = '\0';
}

void fy_err_destroy(struct fy_err *err)
{
    if (!err)
        return;
    free(err->detail);
    err->detail = NULL;
}
