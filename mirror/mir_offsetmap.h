/* SPDX-License-Identifier: Apache-2.0
 * mir_offsetmap: the source→destination offset map of one mirrored partition.
 * A produce API cannot keep offsets, so the mirror records (src, dst) only
 * where dst - src changes (a source gap: compaction, transaction markers,
 * skipped records; or a new run after a restart) — mirroring.md §0.2, §5.3.
 * The map is piecewise constant, which makes translation exact inside runs,
 * and translation errs early, never late: a group moved to a translated
 * offset re-reads at worst, it never skips a record (KAFKA-12468).
 * Entries are persisted by the worker in the state topic on the destination
 * (mir_state.h); this module is pure data structure.
 * Thread: owned by the mirror worker; not synchronised. */
#ifndef MIR_OFFSETMAP_H
#define MIR_OFFSETMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mir_omap_entry {
    int64_t src; /* first source offset of a run */
    int64_t dst; /* its destination offset; the run maps s -> s + (dst - src) */
};

struct mir_offsetmap {
    struct mir_omap_entry *e; /* sorted by src, strictly increasing */
    size_t n, alloc;
    int64_t end_src; /* last mirrored (acknowledged) record, -1 when none */
    int64_t end_dst;
};

void mir_offsetmap_init(struct mir_offsetmap *m);
void mir_offsetmap_destroy(struct mir_offsetmap *m);

/* The destination acknowledged source offset `src` at `dst`; acks arrive in
 * source order. `run_start` marks the first record of a run (after a start or
 * a rewind), which supersedes whatever the map said about src and later.
 * Returns true when a new entry was added: the caller must persist
 * (src, dst, run_start) before committing any source position past `src`. */
bool mir_offsetmap_ack(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start);

/* Replay one persisted entry, in log order (same rules as ack, end unchanged). */
void mir_offsetmap_apply(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start);

/* After replay: the last record known mirrored, from the committed position's
 * metadata (-1, -1 when none). Entries past it were persisted ahead of a
 * commit that never happened, so they are dropped. */
void mir_offsetmap_loaded(struct mir_offsetmap *m, int64_t end_src, int64_t end_dst);

/* Translate a source position `pos` (next offset to read, as consumer groups
 * commit) into a destination position that is at or before the true one:
 * min(pos + delta of the run containing it, first dst of the next run, or
 * end_dst + 1). 0 and *out, or -1 when nothing has been mirrored. */
int mir_offsetmap_translate(const struct mir_offsetmap *m, int64_t pos, int64_t *out);

/* Encode/decode a persisted entry value: "{"src":S,"dst":D,"run":B}".
 * decode returns 0, or -1 on malformed input. */
char *mir_offsetmap_entry_encode(int64_t src, int64_t dst, bool run_start); /* new */
int mir_offsetmap_entry_decode(const void *val, size_t len, int64_t *src, int64_t *dst,
                               bool *run_start);

#endif
