/* SPDX-License-Identifier: Apache-2.0
 * fy_err: the one error record every fallible ferry function fills, and the
 * error codes. Codes >= 10000 mirror Confluent's Errors.java (HTTP status is
 * code / 100); small codes are bare HTTP statuses; FY_E_* are internal and
 * become 50001/50002 at the HTTP edge (registry/reg_errors.c).
 * Thread: any (no shared state). */
#ifndef FY_ERR_H
#define FY_ERR_H

#include <stdarg.h>

enum fy_code {
    FY_OK = 0,
    /* framework errors: the bare HTTP status is the error_code */
    FY_E_BAD_REQUEST = 400,
    FY_E_NOT_FOUND = 404,
    FY_E_METHOD = 405,
    FY_E_NOT_ACCEPTABLE = 406,
    FY_E_CONFLICT = 409,
    FY_E_TOO_LARGE = 413,
    FY_E_UNSUPPORTED_MEDIA = 415,
    FY_E_UNPROCESSABLE = 422,
    FY_E_INTERNAL = 500,
    /* Confluent Schema Registry codes (sr-api §4) */
    REG_E_SUBJECT_NOT_FOUND = 40401,
    REG_E_VERSION_NOT_FOUND = 40402,
    REG_E_SCHEMA_NOT_FOUND = 40403,
    REG_E_SUBJECT_SOFT_DELETED = 40404,
    REG_E_SUBJECT_NOT_SOFT_DELETED = 40405,
    REG_E_VERSION_SOFT_DELETED = 40406,
    REG_E_VERSION_NOT_SOFT_DELETED = 40407,
    REG_E_SUBJECT_CONFIG_NOT_FOUND = 40408,
    REG_E_SUBJECT_MODE_NOT_FOUND = 40409,
    REG_E_EXPORTER_NOT_FOUND = 40450,
    REG_E_INCOMPATIBLE = 409,          /* Confluent <= 8.0.3 answers error_code 409 */
    REG_E_EXPORTER_EXISTS = 40950,
    REG_E_TOO_MANY_EXPORTERS = 40964, /* Confluent schema exporter: "Too many exporters" */
    REG_E_INVALID_SCHEMA = 42201,
    REG_E_INVALID_VERSION = 42202,
    REG_E_INVALID_COMPAT_LEVEL = 42203,
    REG_E_INVALID_MODE = 42204,
    REG_E_OPERATION_NOT_PERMITTED = 42205,
    REG_E_REFERENCE_EXISTS = 42206,
    REG_E_ID_DOES_NOT_MATCH = 42207,
    REG_E_INVALID_SUBJECT = 42208,
    REG_E_SCHEMA_TOO_LARGE = 42209,
    REG_E_INVALID_RULESET = 42210,
    REG_E_CONTEXT_NOT_EMPTY = 42211,
    REG_E_INVALID_EXPORTER = 42250,
    REG_E_STORE = 50001,
    REG_E_TIMEOUT = 50002,
    /* internal codes (never sent as such) */
    FY_E_NOMEM = -1000,
    FY_E_IO = -1001,
    FY_E_TIMEOUT = -1002,
    FY_E_KAFKA = -1003,
    FY_E_HTTP = -1004,
    FY_E_CONFIG = -1005,
    FY_E_CORRUPT = -1006,
};

struct fy_err {
    int code;      /* enum fy_code */
    char msg[256]; /* one line, no newline */
    char *detail;  /* NULL, or the whole message when it outgrew msg (owned; fy_err_destroy) */
};

/* Fill `err` (may be NULL) with `code` and a printf-formatted message.
 * Always returns -1 so a failure is one line: `return fy_err_set(...)`. */
int fy_err_set(struct fy_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like fy_err_set, for messages that may exceed msg[] (Confluent's 409
 * details quote whole schemas): the full text goes to err->detail, a
 * truncated copy to err->msg. Always returns -1. */
int fy_err_set_long(struct fy_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message to show: detail when set, else msg. Borrowed. */
const char *fy_err_text(const struct fy_err *err);

/* Reset `err` (may be NULL) to FY_OK with an empty message, freeing detail. */
void fy_err_clear(struct fy_err *err);
/* Free what `err` owns (detail). The record may be reused after fy_err_clear. */
void fy_err_destroy(struct fy_err *err);

#endif
