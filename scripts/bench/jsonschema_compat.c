/* SPDX-License-Identifier: Apache-2.0
 * Bench tool (scenario 12, scripts/bench/README.md): the JSON Schema
 * compatibility check of issue 13 in-process, the way a BACKWARD_TRANSITIVE
 * registration checks: a new 200-property object schema (closed content
 * model, strings, numbers, enums, nested objects, arrays, a $ref) against
 * its 50 previous versions, each of which added one optional property.
 * Per check: parse the new text, then reg_jsonschema_compat against every
 * previous version (parsed once, as the registry's parsed-schema cache keeps
 * them). Also times the same with the 50 previous texts parsed each time
 * (a cold cache). Prints one line per measure:
 *   JSONSCHEMA_RESULT name=<n> checks=<n> p50_ms=<..> p99_ms=<..> max_ms=<..>
 * usage: jsonschema_compat [ITERATIONS [PROPS [VERSIONS]]]  (default 300 200 50) */
#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_jsonschema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double cpu_ms(void)
{
    return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

/* Version `v` (0-based) of the subject: `props` base properties plus v added ones. */
static char *schema_text(int props, int v)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
                    "\"title\":\"Bench\",\"definitions\":{\"Money\":{\"type\":\"object\","
                    "\"properties\":{\"amount\":{\"type\":\"number\",\"minimum\":0},"
                    "\"currency\":{\"type\":\"string\",\"maxLength\":3}},"
                    "\"required\":[\"amount\"]}},\"properties\":{");
    int total = props + v;
    for (int i = 0; i < total; i++) {
        if (i)
            fy_buf_putc(&b, ',');
        switch (i % 6) {
        case 0:
            fy_buf_printf(&b, "\"field_%d\":{\"type\":\"string\",\"maxLength\":%d}", i, 64 + i);
            break;
        case 1:
            fy_buf_printf(&b, "\"field_%d\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":%d}", i,
                          1000 + i);
            break;
        case 2:
            fy_buf_printf(&b, "\"field_%d\":{\"enum\":[\"A\",\"B\",\"C%d\"]}", i, i);
            break;
        case 3:
            fy_buf_printf(&b, "\"field_%d\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
                              "\"maxItems\":%d}",
                          i, 10 + i);
            break;
        case 4:
            fy_buf_printf(&b, "\"field_%d\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
                              "\"string\"},\"b\":{\"type\":[\"null\",\"number\"]}},"
                              "\"additionalProperties\":false}",
                          i);
            break;
        default:
            fy_buf_printf(&b, "\"field_%d\":{\"$ref\":\"#/definitions/Money\"}", i);
            break;
        }
    }
    fy_buf_puts(&b, "},\"required\":[\"field_0\",\"field_1\"],\"additionalProperties\":false}");
    return fy_buf_steal(&b);
}

static struct reg_jsonschema *parse(const char *text)
{
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    if (reg_jsonschema_parse(text, strlen(text), NULL, 0, &js, &err) != 0) {
        fprintf(stderr, "jsonschema_compat: parse: %s\n", err.msg);
        exit(1);
    }
    return js;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *ms, double *cpu, double parse_cpu, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
    int p99 = (int)((n - 1) * 0.99);
    printf("JSONSCHEMA_RESULT name=%s checks=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "cpu_p50_ms=%.3f cpu_p99_ms=%.3f parse_cpu_ms=%.3f\n",
           name, n, ms[n / 2], ms[p99], ms[n - 1], cpu[n / 2], cpu[p99], parse_cpu);
}

int main(int argc, char **argv)
{
    fy_alloc_init();
    int iters = argc > 1 ? atoi(argv[1]) : 300;
    int props = argc > 2 ? atoi(argv[2]) : 200;
    int versions = argc > 3 ? atoi(argv[3]) : 50;
    if (iters < 1 || props < 1 || versions < 1)
        return 2;
    char **texts = fy_calloc((size_t)versions + 1, sizeof *texts);
    struct reg_jsonschema **prev = fy_calloc((size_t)versions, sizeof *prev);
    for (int v = 0; v <= versions; v++)
        texts[v] = schema_text(props, v);
    for (int v = 0; v < versions; v++)
        prev[v] = parse(texts[v]);
    double *ms = fy_malloc((size_t)iters * sizeof *ms);
    double *cpu = fy_malloc((size_t)iters * sizeof *cpu);
    /* the parse of one new text alone */
    double c0 = cpu_ms();
    for (int i = 0; i < iters; i++)
        reg_jsonschema_free(parse(texts[versions]));
    double parse_cpu = (cpu_ms() - c0) / iters;
    for (int pass = 0; pass < 2; pass++) {
        bool cold = pass == 1;
        for (int i = 0; i < iters; i++) {
            double t0 = now_ms(), u0 = cpu_ms();
            struct reg_jsonschema *cand = parse(texts[versions]);
            /* validateAll: newest to oldest */
            for (int v = versions - 1; v >= 0; v--) {
                struct reg_jsonschema *p = cold ? parse(texts[v]) : prev[v];
                char **msgs = NULL;
                struct fy_err err = {0};
                int bad = reg_jsonschema_compat(cand, p, false, "new", "old", &msgs, &err);
                if (bad != 0) {
                    fprintf(stderr, "jsonschema_compat: version %d: %d (%s) %s\n", v + 1, bad,
                            err.msg, msgs && msgs[0] ? msgs[0] : "");
                    return 1;
                }
                reg_jsonschema_messages_free(msgs);
                if (cold)
                    reg_jsonschema_free(p);
            }
            reg_jsonschema_free(cand);
            ms[i] = now_ms() - t0;
            cpu[i] = cpu_ms() - u0;
        }
        char name[64];
        snprintf(name, sizeof name, "%dprops_x%d_transitive%s", props, versions,
                 cold ? "_cold" : "");
        report(name, ms, cpu, parse_cpu, iters);
    }
    for (int v = 0; v < versions; v++)
        reg_jsonschema_free(prev[v]);
    for (int v = 0; v <= versions; v++)
        free(texts[v]);
    free(texts);
    free(prev);
    free(ms);
    free(cpu);
    return 0;
}
