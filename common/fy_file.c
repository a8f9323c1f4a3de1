/* SPDX-License-Identifier: Apache-2.0
 * fy_file: crash-safe whole-file replacement and bounded reads (fy_file.h).
 * Thread: any. */
#include "common/fy_file.h"

#include "common/fy_alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rename is durable only once the directory entry is: fsync the parent. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? fy_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : fy_strdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int fy_file_write_atomic(const char *path, const void *data, size_t len, struct fy_err *err)
{
    int rc = -1;
    char *tmp = fy_asprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fy_err_set(err, FY_E_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fy_err_set(err, FY_E_IO, "%s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        fy_err_set(err, FY_E_IO, "%s: fsync: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0) {
        fy_err_set(err, FY_E_IO, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        fy_err_set(err, FY_E_IO, "%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    sync_dir(path);
    rc = 0;
out:
    free(tmp);
    return rc;
}

char *fy_file_read(const char *path, size_t max, size_t *len, struct fy_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        fy_err_set(err, FY_E_IO, "%s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    size_t cap = max < 4096 ? max : 4096, n = 0;
    char *buf = fy_malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= max)
                break;
            cap = cap * 2 > max ? max : cap * 2;
            buf = fy_realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    int more = n == max && fgetc(f) != EOF;
    fclose(f);
    if (bad) {
        free(buf);
        fy_err_set(err, FY_E_IO, "%s: read error", path);
        return NULL;
    }
    if (more) {
        free(buf);
        fy_err_set(err, FY_E_TOO_LARGE, "%s: larger than %zu bytes", path, max);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
