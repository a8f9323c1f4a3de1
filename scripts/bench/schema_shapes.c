/* SPDX-License-Identifier: Apache-2.0
 * Bench tool (scenario 9, scripts/bench/README.md): the worst schema shapes
 * of issue 11, parsed and checked in-process the way a registration does
 * (parse writer and reader, then a FULL compatibility check: both
 * directions). Each shape runs in a child process so that its peak memory
 * (ru_maxrss) is its own. Prints one SHAPE_RESULT line per shape:
 *   SHAPE_RESULT name=<n> bytes=<text> ms=<wall> cpu_ms=<user+sys> parse_cpu_ms=<..>
 *                check_cpu_ms=<..> peak_mib=<rss> answer=<...>
 * (ms and cpu_ms: parse of both texts + the check; peak_mib: the child's
 * maximum resident set, parse trees included).
 * usage: schema_shapes [N [SHAPE]]   (N = 40000 by default: records, branches, symbols;
 *        SHAPE: run only the shape of that name, e.g. under a profiler) */
#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_compat.h"
#include "tests/hostile_shapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static size_t n_items = 40000;
static const char *only; /* run just this shape */

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* In the child: parse both texts, check FULL; print the answer on fd 1. */
static int run_shape(const char *name, const char *writer, const char *reader)
{
    double t0 = now_ms(), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), c1 = c0;
    struct reg_avro_parser *pw = reg_avro_parser_new(), *pr = reg_avro_parser_new();
    const struct reg_avro *w = NULL, *r = NULL;
    struct fy_err err = {0};
    char answer[160] = "";
    if (reg_avro_parser_parse(pw, writer, true, &w, &err) != 0 ||
        reg_avro_parser_parse(pr, reader, true, &r, &err) != 0) {
        snprintf(answer, sizeof answer, "parse-%d", err.code);
    } else {
        c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        struct reg_compat_prior prior = {.schema = w, .version = 1, .canonical = writer};
        struct reg_compat_msgs msgs;
        reg_compat_msgs_init(&msgs);
        int rc = reg_compat_check_bounded(REG_COMPAT_FULL, r, &prior, 1, &msgs, &err);
        if (rc < 0)
            snprintf(answer, sizeof answer, "refused-%d", err.code);
        else
            snprintf(answer, sizeof answer, "%s(%zu-messages)",
                     rc ? "compatible" : "incompatible", msgs.n);
        reg_compat_msgs_destroy(&msgs);
    }
    double ms = now_ms() - t0, c2 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    char why[200] = "";
    if (err.code)
        snprintf(why, sizeof why, " reason=\"%.150s\"", err.msg);
    printf("%s %zu %.1f %.1f %.1f %s%s\n", name, strlen(writer) + strlen(reader), ms, c1 - c0,
           c2 - c1, answer, why);
    fflush(stdout);
    fy_err_destroy(&err);
    reg_avro_parser_free(pw);
    reg_avro_parser_free(pr);
    return 0;
}

static void shape(const char *name, char *writer, char *reader)
{
    if (only && strcmp(only, name) != 0) {
        free(writer);
        free(reader);
        return;
    }
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        _exit(run_shape(name, writer, reader));
    }
    close(fds[1]);
    char line[512] = "";
    ssize_t got = read(fds[0], line, sizeof line - 1);
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    wait4(pid, &status, 0, &ru);
    char nm[64] = "?", ans[160] = "?", reason[220] = "";
    size_t bytes = 0;
    double ms = 0, parse_cpu = 0, check_cpu = 0;
    if (got > 0) {
        line[got] = '\0';
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        sscanf(line, "%63s %zu %lf %lf %lf %159s", nm, &bytes, &ms, &parse_cpu, &check_cpu, ans);
        char *rs = strstr(line, " reason=");
        if (rs)
            snprintf(reason, sizeof reason, "%s", rs);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(ans, sizeof ans, "CRASHED(status-%d)", status);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    printf("SHAPE_RESULT name=%s bytes=%zu ms=%.1f cpu_ms=%.1f parse_cpu_ms=%.1f check_cpu_ms=%.1f "
           "peak_mib=%.1f answer=%s%s\n",
           name, bytes, ms, cpu, parse_cpu, check_cpu, (double)ru.ru_maxrss / 1024.0, ans, reason);
    fflush(stdout);
    free(writer);
    free(reader);
}

int main(int argc, char **argv)
{
    fy_alloc_init(); /* as ferry's main: the same allocator setup */
    if (argc > 1)
        n_items = (size_t)strtoull(argv[1], NULL, 10);
    if (argc > 2)
        only = argv[2];
    if (n_items < 2)
        n_items = 2;
    size_t n = n_items;
    shape("chained_records", hostile_chain(n, "wdefs", false), hostile_chain(n, "rdefs", true));
    shape("union_vs_union_same", hostile_fixed_union("U", n), hostile_fixed_union("U", n));
    shape("union_vs_union_disjoint", hostile_fixed_union("W", n), hostile_fixed_union("R", n));
    shape("union_one_name_many_namespaces", hostile_same_name_union(n, "boolean"),
          hostile_same_name_union(n, "int"));
    shape("enum_symbols", hostile_enum(0, n), hostile_enum(1, n));
    shape("record_fields", hostile_record(n, "int"), hostile_record(n, "long"));
    return 0;
}
