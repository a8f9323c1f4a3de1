/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the request router and the body parser, through
 * reg_route() on a registry in a temporary data dir (as the unit tests of
 * tests/unit/unit_registry.h drive it, without a socket). The input is
 * "METHOD PATH[?QUERY]\nBODY"; the answer must always be a status in
 * 200..599 and, for an error, Confluent's {"error_code","message"} shape.
 * The registry is replaced by a fresh one every RESET_EVERY inputs so the
 * state (and the journal on disk) stays small in long runs. */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_registry.h"
#include "registry/reg_route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define RESET_EVERY 2000
#define MAX_ARGS 64

static char dir[64];
static struct reg_registry *reg;
static unsigned long runs;

static void registry_drop(void)
{
    if (!reg)
        return;
    reg_registry_close(reg);
    reg = NULL;
    fuzz_rmdir(dir);
}

static void registry_reset(void)
{
    registry_drop();
    fuzz_tmpdir(dir, "route");
    struct reg_registry_opts o = {.data_dir = dir, .fsync = false,
                                  .default_level = REG_COMPAT_BACKWARD,
                                  .default_mode = REG_MODE_READWRITE, .mode_mutability = true};
    struct fy_err err = {0};
    reg = reg_registry_open(&o, &err);
    if (!reg) {
        fprintf(stderr, "open: %s\n", err.msg);
        abort();
    }
    fy_err_destroy(&err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    registry_reset();
    atexit(registry_drop);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++runs % RESET_EVERY == 0)
        registry_reset();
    char *text = fuzz_text(data, size);
    char *nl = memchr(text, '\n', size);
    const char *body = NULL;
    size_t body_len = 0;
    if (nl) {
        *nl = '\0';
        body = nl + 1;
        body_len = size - (size_t)(nl + 1 - text);
    }
    char *line = text;
    char *sp = strchr(line, ' ');
    const char *method = "GET";
    char *path = line;
    if (sp) {
        *sp = '\0';
        method = line;
        path = sp + 1;
    }
    struct reg_query_arg args[MAX_ARGS];
    size_t n_args = 0;
    char *query = strchr(path, '?');
    if (query) {
        *query++ = '\0';
        for (char *a = query; a && *a && n_args < MAX_ARGS;) {
            char *amp = strchr(a, '&');
            if (amp)
                *amp++ = '\0';
            char *eq = strchr(a, '=');
            if (eq)
                *eq++ = '\0';
            args[n_args].name = a;
            args[n_args].value = eq;
            n_args++;
            a = amp;
        }
    }
    struct reg_req req = {.method = method, .path = path, .args = args, .n_args = n_args,
                          .body = body, .body_len = body_len,
                          .content_type = "application/vnd.schemaregistry.v1+json",
                          .accept = NULL};
    struct reg_resp resp = {0};
    reg_route(reg, &req, &resp);
    if (resp.status < 200 || resp.status > 599)
        abort();
    if (resp.status >= 400 && resp.body) {
        json_t *j = json_loads(resp.body, 0, NULL);
        if (!j || !json_is_integer(json_object_get(j, "error_code")) ||
            !json_is_string(json_object_get(j, "message"))) {
            fprintf(stderr, "error answer not in Confluent's shape: %d %s\n", resp.status,
                    resp.body);
            abort();
        }
        json_decref(j);
    }
    free(resp.body);
    free(text);
    return 0;
}
