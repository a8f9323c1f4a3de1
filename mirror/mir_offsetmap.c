/* SPDX-License-Identifier: Apache-2.0
 * mir_offsetmap: piecewise-constant source→destination offset map
 * (see mir_offsetmap.h). Thread: mirror worker only. */
#include "mirror/mir_offsetmap.h"

#include "common/fy_alloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void mir_offsetmap_init(struct mir_offsetmap *m)
{
    memset(m, 0, sizeof *m);
    m->end_src = m->end_dst = -1;
}

void mir_offsetmap_destroy(struct mir_offsetmap *m)
{
    free(m->e);
    mir_offsetmap_init(m);
}

/* Index of the last entry with src <= pos, or -1 when pos precedes them all. */
static ptrdiff_t find(const struct mir_offsetmap *m, int64_t pos)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)m->n - 1, best = -1;
    while (lo <= hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].src <= pos) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static void put(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start)
{
    ptrdiff_t i = find(m, src);
    bool same = i >= 0 && m->e[i].src == src;
    if (run_start) {
        /* A run start supersedes everything at or after src: the new copies are
         * later in the destination log, and an old entry left after a new one
         * would let translation jump back across runs into a skip. */
        m->n = (size_t)(same ? i : i + 1);
    } else if (same) {
        /* same key in the compacted state topic: the later record wins there too */
        m->e[i].dst = dst;
        return;
    }
    if (m->n == m->alloc) {
        m->alloc = m->alloc ? 2 * m->alloc : 8;
        m->e = fy_realloc(m->e, m->alloc * sizeof *m->e);
    }
    size_t at = run_start ? m->n : (size_t)(i + 1);
    memmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof *m->e);
    m->e[at].src = src;
    m->e[at].dst = dst;
    m->n++;
}

bool mir_offsetmap_ack(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start)
{
    bool add = run_start || m->n == 0 ||
               dst - src != m->e[m->n - 1].dst - m->e[m->n - 1].src;
    if (add)
        put(m, src, dst, run_start);
    m->end_src = src;
    m->end_dst = dst;
    return add;
}

void mir_offsetmap_apply(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start)
{
    put(m, src, dst, run_start);
}

void mir_offsetmap_loaded(struct mir_offsetmap *m, int64_t end_src, int64_t end_dst)
{
    while (m->n > 0 && m->e[m->n - 1].src > end_src)
        m->n--;
    m->end_src = m->n ? end_src : -1;
    m->end_dst = m->n ? end_dst : -1;
}

int mir_offsetmap_translate(const struct mir_offsetmap *m, int64_t pos, int64_t *out)
{
    if (m->n == 0 || m->end_src < 0)
        return -1;
    ptrdiff_t i = find(m, pos);
    if (i < 0) {
        /* before the first entry: without an expiry nothing earlier was
         * mirrored; after one, the expired runs' smallest delta is a lower
         * bound of where the first record at or after pos was copied */
        int64_t at = m->e[0].dst;
        if (m->has_base) {
            int64_t low = pos + m->base_delta;
            low = low < 0 ? 0 : low;
            at = low < at ? low : at;
        }
        *out = at;
        return 0;
    }
    int64_t res = pos + (m->e[i].dst - m->e[i].src);
    /* The run may end before pos (a gap follows it). The next run's first
     * destination offset — or the end of what is mirrored — is where the
     * first record at or after pos lives at the latest, so never go past it. */
    int64_t bound = (size_t)i + 1 < m->n ? m->e[i + 1].dst : m->end_dst + 1;
    *out = res < bound ? res : bound;
    return 0;
}

static void base_join(struct mir_offsetmap *m, int64_t delta)
{
    if (!m->has_base || delta < m->base_delta)
        m->base_delta = delta;
    m->has_base = true;
}

size_t mir_offsetmap_expire(struct mir_offsetmap *m, int64_t floor, int64_t **gone)
{
    *gone = NULL;
    ptrdiff_t k = find(m, floor);
    if (k <= 0)
        return 0;
    /* positions before the kept e[k] lie in the runs 0..k-1: the smallest of
     * their deltas bounds them all from below (a gap lowers the delta, a
     * restart's duplicates raise it; the minimum covers both) */
    int64_t *keys = fy_malloc((size_t)k * sizeof *keys);
    for (ptrdiff_t i = 0; i < k; i++) {
        base_join(m, m->e[i].dst - m->e[i].src);
        keys[i] = m->e[i].src;
    }
    memmove(&m->e[0], &m->e[k], (m->n - (size_t)k) * sizeof *m->e);
    m->n -= (size_t)k;
    m->expired += k;
    *gone = keys;
    return (size_t)k;
}

void mir_offsetmap_apply_base(struct mir_offsetmap *m, int64_t delta)
{
    base_join(m, delta);
}

void mir_offsetmap_remove(struct mir_offsetmap *m, int64_t src)
{
    ptrdiff_t i = find(m, src);
    if (i < 0 || m->e[i].src != src)
        return;
    memmove(&m->e[i], &m->e[i + 1], (m->n - (size_t)i - 1) * sizeof *m->e);
    m->n--;
}

char *mir_offsetmap_base_encode(int64_t delta)
{
    return fy_asprintf("{\"delta\":%lld}", (long long)delta);
}

int mir_offsetmap_base_decode(const void *val, size_t len, int64_t *delta)
{
    json_t *j = val ? json_loadb(val, len, 0, NULL) : NULL;
    json_int_t d = 0;
    int rc = -1;
    if (j && json_unpack(j, "{s:I}", "delta", &d) == 0) {
        *delta = d;
        rc = 0;
    }
    json_decref(j);
    return rc;
}

char *mir_offsetmap_entry_encode(int64_t src, int64_t dst, bool run_start)
{
    return fy_asprintf("{\"src\":%lld,\"dst\":%lld,\"run\":%s}", (long long)src,
                       (long long)dst, run_start ? "true" : "false");
}

int mir_offsetmap_entry_decode(const void *val, size_t len, int64_t *src, int64_t *dst,
                               bool *run_start)
{
    json_t *j = val ? json_loadb(val, len, 0, NULL) : NULL;
    json_int_t s = -1, d = -1;
    int run = 0;
    int rc = -1;
    if (j && json_unpack(j, "{s:I,s:I,s?b}", "src", &s, "dst", &d, "run", &run) == 0 &&
        s >= 0 && d >= 0) {
        *src = s;
        *dst = d;
        *run_start = run != 0;
        rc = 0;
    }
    json_decref(j);
    return rc;
}
