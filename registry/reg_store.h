/* SPDX-License-Identifier: Apache-2.0
 * reg_store: the registry's durable log of key/value records (the JSON key and
 * value shapes of Confluent's `_schemas` topic, sr-api §12), behind one ops
 * struct so the embedded journal and a Kafka `_schemas` backend are
 * interchangeable. Every record gets a monotonically increasing offset; the
 * log is also the change feed the linker follows.
 *
 * Write protocol (group commit): the registry's single writer path calls
 * append() (records reach the OS, not yet durable) and then, after releasing
 * its own locks, sync(offset) — which returns once everything up to `offset`
 * is durable. Concurrent sync() callers share one fsync.
 * Thread: append() is called by one writer at a time (the registry's writer
 * mutex); sync(), read_from() and durable_offset() from any thread. */
#ifndef REG_STORE_H
#define REG_STORE_H

#include "common/fy_err.h"
#include "common/fy_metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reg_store_record {
    const char *key;   /* UTF-8 JSON, not NUL-terminated necessarily */
    size_t klen;
    const char *value; /* NULL = tombstone */
    size_t vlen;
    int64_t offset;    /* set by the store (ignored on append) */
    int64_t ts;        /* ms since the epoch; set by the store on append */
};

/* Called for each record in offset order. Return 0 to go on, -1 to stop
 * (the error is passed back to the caller of replay/read_from). The record's
 * memory is borrowed for the duration of the call. */
typedef int (*reg_store_record_fn)(void *arg, const struct reg_store_record *rec,
                                   struct fy_err *err);

struct reg_store;

struct reg_store_ops {
    /* Deliver every record in the log, oldest first, then get ready for appends.
     * Called once, before any append. */
    int (*replay)(struct reg_store *st, reg_store_record_fn fn, void *arg, struct fy_err *err);
    /* Append `n` records atomically with respect to crashes of the
     * record-at-a-time kind (each record is whole or absent after a crash).
     * Fills each record's offset and ts, and *last_offset. Not yet durable. */
    int (*append)(struct reg_store *st, struct reg_store_record *recs, size_t n,
                  int64_t *last_offset, struct fy_err *err);
    /* Block until every record up to `offset` is durable (fsync'd). */
    int (*sync)(struct reg_store *st, int64_t offset, struct fy_err *err);
    /* Highest durable offset, -1 when none. */
    int64_t (*durable_offset)(struct reg_store *st);
    /* Deliver durable records with offset >= `from`, oldest first (change feed).
     * Safe to run concurrently with appends. *next is set to the offset to
     * continue from. */
    int (*read_from)(struct reg_store *st, int64_t from, reg_store_record_fn fn, void *arg,
                     int64_t *next, struct fy_err *err);
    /* Rewrite the log keeping only the latest record per key (offsets kept).
     * Safe to call while the registry runs; appends wait meanwhile. */
    int (*compact)(struct reg_store *st, struct fy_err *err);
    /* Would compact() pay off now (the log has grown well past its live
     * records)? Cheap; any thread. */
    bool (*compact_due)(struct reg_store *st);
    /* Flush, close and free. NULL-safe via reg_store_close(). */
    void (*close)(struct reg_store *st);
};

struct reg_store {
    const struct reg_store_ops *ops;
};

/* Thin dispatchers over st->ops (see the ops contracts above). */
int reg_store_replay(struct reg_store *st, reg_store_record_fn fn, void *arg, struct fy_err *err);
int reg_store_append(struct reg_store *st, struct reg_store_record *recs, size_t n,
                     int64_t *last_offset, struct fy_err *err);
int reg_store_sync(struct reg_store *st, int64_t offset, struct fy_err *err);
int64_t reg_store_durable_offset(struct reg_store *st);
int reg_store_read_from(struct reg_store *st, int64_t from, reg_store_record_fn fn, void *arg,
                        int64_t *next, struct fy_err *err);
int reg_store_compact(struct reg_store *st, struct fy_err *err);
bool reg_store_compact_due(struct reg_store *st);
void reg_store_close(struct reg_store *st);

/* Embedded journal options. */
struct reg_journal_opts {
    const char *dir;              /* data dir; created if missing; the journal is dir/journal */
    bool fsync;                   /* false only for tests/benchmarks that say so */
    double compact_ratio;         /* compact when file bytes > ratio x live bytes (default 2.0) */
    int64_t compact_min_bytes;    /* ...and the file is at least this big (default 64 MiB) */
    struct fy_metrics *metrics;   /* borrowed, may be NULL: fsync latency, group-commit
                                   * batch sizes and the file size are published there */
};

/* Open (creating if needed) the embedded journal in opts->dir. A second
 * process opening the same dir fails (flock). Returns a store, or NULL with
 * err (FY_E_IO with the path and errno text). */
struct reg_store *reg_journal_open(const struct reg_journal_opts *opts, struct fy_err *err);

/* ---- reading a journal file without opening the store (ferry store check/repair) ----
 *
 * A damaged byte range of a journal: bytes that are not part of any record
 * that could be confirmed (docs/internals/journal.md, "Resynchronisation"). */
struct reg_journal_damage {
    int64_t pos, len;       /* file byte range [pos, pos + len) */
    const char *why;        /* what was wrong at `pos` (static text) */
    bool tail;              /* nothing valid follows it: it runs to the end of the file */
    bool torn;              /* a tail that is only an incomplete last record (a crash during
                             * an append: normal, nothing worth keeping) */
    int64_t offset_before;  /* offset of the last valid record before it, -1 none */
    int64_t offset_after;   /* offset of the first valid record after it, -1 for a tail */
    int64_t claimed_offset; /* the damaged record's own offset field if its header still looks
                             * right (magic and lengths), unverified; else -1 */
    char claimed_key[256];  /* ...and the first bytes of its key as they are on disk (unverified:
                             * the record's CRC failed), claimed_klen of them; names what was
                             * lost when the damage is in the value */
    size_t claimed_klen;
    size_t n_inside;        /* whole checksummed records found inside it that could not be
                             * confirmed as record boundaries (reported to `inside`) */
};

/* Callbacks of reg_journal_inspect (any may be NULL). Records and keys are
 * borrowed for the call. Return 0 to go on, -1 to stop with err. */
struct reg_journal_visit {
    /* Each valid record, in file order (what replay delivers). */
    int (*record)(void *arg, const struct reg_store_record *rec, int64_t pos, size_t len,
                  struct fy_err *err);
    /* A whole checksummed record inside the damaged range starting at `range_pos`
     * (called before that range's `damage`): identified, but not replayed. */
    int (*inside)(void *arg, int64_t range_pos, const struct reg_store_record *rec, int64_t pos,
                  struct fy_err *err);
    /* Each damaged range, after the records before it. */
    int (*damage)(void *arg, const struct reg_journal_damage *d, struct fy_err *err);
    void *arg;
};

/* What reg_journal_inspect saw of the file as a whole. */
struct reg_journal_file_info {
    bool has_header;     /* a ferry journal file header was there (else a set-aside file) */
    int64_t floor;       /* the header's offset floor, 0 without a header */
    int64_t size;        /* bytes */
};

/* Read `path` read-only with the replay rules (resynchronising past damage)
 * and report through `v`. `raw_ok`: a file without a journal header (a
 * `journal.corrupt-*` file) is scanned from byte 0; else such a file is
 * refused. Changes nothing and takes no lock. 0, or -1 with err: FY_E_IO
 * (open/read), FY_E_CORRUPT (the file header is damaged or of another
 * version), or what a callback set. Thread: any. */
int reg_journal_inspect(const char *path, bool raw_ok, const struct reg_journal_visit *v,
                        struct reg_journal_file_info *info, struct fy_err *err);

/* Test hook (fault injection, style S9.6): make the next fsync of journal
 * store `st` (one returned by reg_journal_open) fail with `errnum`, as if
 * fdatasync had returned it. The store then refuses every later write and
 * sync with FY_E_IO (see docs/internals/journal.md). Thread: any. */
void reg_journal_fault_fsync(struct reg_store *st, int errnum);

#endif
