/* SPDX-License-Identifier: Apache-2.0
 * fy_file: small files replaced whole and crash-safely (state files,
 * cursors, journals of commands): write a temp file beside the target,
 * fsync it, rename it over the target, fsync the directory. A crash leaves
 * the old content or the new one, never a mix. Thread: any. */
#ifndef FY_FILE_H
#define FY_FILE_H

#include "common/fy_err.h"

#include <stddef.h>

/* Replace `path` by `len` bytes of `data` as above (temp file `path`.tmp,
 * mode 0644). 0, or -1 with FY_E_IO naming the file and errno's text; the
 * target is then unchanged. */
int fy_file_write_atomic(const char *path, const void *data, size_t len, struct fy_err *err);

/* The whole of `path` as a **new** NUL-terminated string (*len bytes, may be
 * NULL), at most `max` bytes. NULL with FY_E_IO (errno ENOENT kept in errno
 * for the caller that treats a missing file as empty), or FY_E_TOO_LARGE. */
char *fy_file_read(const char *path, size_t max, size_t *len, struct fy_err *err);

#endif
