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
};

/* Open (creating if needed) the embedded journal in opts->dir. A second
 * process opening the same dir fails (flock). Returns a store, or NULL with
 * err (FY_E_IO with the path and errno text). */
struct reg_store *reg_journal_open(const struct reg_journal_opts *opts, struct fy_err *err);

/* Test hook (fault injection, style S9.6): make the next fsync of journal
 * store `st` (one returned by reg_journal_open) fail with `errnum`, as if
 * fdatasync had returned it. The store then refuses every later write and
 * sync with FY_E_IO (see docs/internals/journal.md). Thread: any. */
void reg_journal_fault_fsync(struct reg_store *st, int errnum);

#endif
