/* SPDX-License-Identifier: Apache-2.0
 * fy_log: structured single-write log lines (see fy_log.h). */
#include "fy_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char debug_modules[256];
static enum fy_log_level max_level = FY_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void fy_log_set_debug(const char *modules)
{
    snprintf(debug_modules, sizeof debug_modules, "%s", modules ? modules : "");
    if (debug_modules[0])
        max_level = FY_LOG_DEBUG;
}

void fy_log_set_level(enum fy_log_level level)
{
    max_level = level;
}

bool fy_log_debug_enabled(const char *module)
{
    if (!debug_modules[0])
        return false;
    if (strcmp(debug_modules, "all") == 0)
        return true;
    size_t n = strlen(module);
    for (const char *p = debug_modules; (p = strstr(p, module)) != NULL; p += n) {
        bool starts = p == debug_modules || p[-1] == ',';
        bool ends = p[n] == '\0' || p[n] == ',';
        if (starts && ends)
            return true;
    }
    return false;
}

void fy_log(enum fy_log_level level, const char *module, const char *fmt, ...)
{
    if (level > max_level)
        return;
    if (level == FY_LOG_DEBUG && !fy_log_debug_enabled(module))
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s module=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], module);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    if (write(2, line, len) < 0) {
        /* stderr is gone: there is nobody left to tell */
    }
}
