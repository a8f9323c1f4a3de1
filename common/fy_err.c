/* SPDX-License-Identifier: Apache-2.0
 * fy_err: filling the error record (see fy_err.h). */
#include "fy_err.h"

#include <stdio.h>
#include <string.h>

int fy_err_set(struct fy_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* messages are one line: a newline from a library text would split a log event */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

void fy_err_clear(struct fy_err *err)
{
    if (!err)
        return;
    err->code = FY_OK;
    err->msg[0] = '\0';
}
