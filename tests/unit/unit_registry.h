/* SPDX-License-Identifier: Apache-2.0
 * Support for unit tests that drive a real registry through reg_route()
 * without a socket: a fresh temporary data dir, the registry opened there the
 * way those tests expect it (no fsync, BACKWARD, READWRITE, mode changes
 * allowed), and the dir's removal. Header-only: each check_*.c is its own
 * program. */
#ifndef UNIT_REGISTRY_H
#define UNIT_REGISTRY_H

#include "registry/reg_registry.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Make /tmp/ferry-<tag>-XXXXXX in `dir` (at least 64 bytes). */
static inline void unit_dir_make(char *dir, const char *tag)
{
    snprintf(dir, 64, "/tmp/ferry-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline struct reg_registry *unit_registry_open(const char *dir)
{
    struct reg_registry_opts o = {.data_dir = dir, .fsync = false,
                                  .default_level = REG_COMPAT_BACKWARD,
                                  .default_mode = REG_MODE_READWRITE, .mode_mutability = true};
    struct fy_err err = {0};
    struct reg_registry *r = reg_registry_open(&o, &err);
    ck_assert_msg(r != NULL, "open: %s", err.msg);
    fy_err_destroy(&err);
    return r;
}

static inline void unit_dir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#endif
