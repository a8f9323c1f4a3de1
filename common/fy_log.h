/* SPDX-License-Identifier: Apache-2.0
 * fy_log: one structured line per event on stderr, written with a single
 * write() so threads never interleave: `ts=... level=INFO module=registry ...`.
 * Identifiers go in key=value form in `fmt`. Thread: any. */
#ifndef FY_LOG_H
#define FY_LOG_H

#include <stdbool.h>

enum fy_log_level { FY_LOG_ERROR = 0, FY_LOG_WARN = 1, FY_LOG_INFO = 2, FY_LOG_DEBUG = 3 };

/* Log one event. DEBUG lines appear only for modules enabled by fy_log_set_debug(). */
void fy_log(enum fy_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Enable DEBUG for a comma-separated module list ("registry,linker", or "all").
 * Call before starting threads. */
void fy_log_set_debug(const char *modules);

/* Lowest level printed (default INFO; DEBUG also needs the module enabled). */
void fy_log_set_level(enum fy_log_level level);

bool fy_log_debug_enabled(const char *module);

#endif
