/* SPDX-License-Identifier: Apache-2.0
 * lnk_int: what lnk_service.c and lnk_worker.c share (internal to linker/):
 * the runtime exporter, its status, and the journal helpers.
 * Locking: `svc->mu` guards every field marked (mu); `svc->ctl_mu`
 * serialises control operations (create, update, delete, pause, resume,
 * reset), which may join a worker or write the journal while holding it.
 * Never hold `mu` across I/O (journal, libcurl). Order: ctl_mu, jmu, mu. */
#ifndef LNK_INT_H
#define LNK_INT_H

#include "common/fy_map.h"
#include "linker/lnk_exporter.h"
#include "linker/lnk_service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum lnk_state { LNK_UNASSIGNED, LNK_STARTING, LNK_RUNNING, LNK_PAUSED, LNK_ERROR };

struct lnk_exp {
    struct lnk_service *svc;
    struct lnk_def def;   /* (mu) the current definition */
    uint64_t gen;         /* (mu) bumped on every definition change */
    bool stop;            /* (mu) the worker must exit */
    atomic_bool abort;    /* set with `stop`: in-flight destination calls give up now */
    bool reset;           /* (mu) the worker must restart from offset 0 */
    enum lnk_state state; /* (mu) */
    int64_t next;         /* (mu) next source offset to export (the journaled position) */
    int64_t epoch;        /* (mu) bumped by every reset; journaled with each position */
    int64_t ts;           /* (mu) ms of the last progress */
    char *trace;          /* (mu) last error text, NULL when none */
    int64_t errors;       /* (mu) failed attempts since it started (metrics) */
    pthread_t thread;
    bool started;
};

struct lnk_service {
    struct reg_registry *r;
    pthread_mutex_t mu;
    pthread_mutex_t ctl_mu;
    pthread_mutex_t jmu;  /* held across journaling a position and the check before it,
                           * and across a reset's journal + flag: no worker position
                           * is ever journaled after a reset's offset 0 (compaction keeps
                           * only the latest EXPORTER_STATE record of a name) */
    struct fy_map exps;   /* (mu) name -> struct lnk_exp */
    struct lnk_service_opts o; /* fixed at lnk_service_new */
};

const char *lnk_state_name(enum lnk_state s);

/* Journal an EXPORTER_STATE record: the position `next` of reset epoch
 * `epoch`. At replay the highest epoch wins, then the latest record, so a
 * worker's position journaled (with the old epoch) after a reset journaled
 * its offset 0 cannot undo the reset; a record without "epoch" (older
 * ferry) is epoch 0. Locks: none held (takes r->wlock, then waits for
 * durability). */
int lnk_journal_state(struct lnk_service *svc, const char *name, int64_t next, int64_t epoch,
                      struct fy_err *err);

/* Does s[0..len) contain `needle`? (a cheap pre-filter on record keys) */
bool lnk_has_text(const char *s, size_t len, const char *needle);

/* The exporters' metrics collector (lnk_metrics.c; fy_metrics_collect_fn),
 * `arg` the service. Locks: takes mu briefly; none across the store read. */
void lnk_metrics_collect(void *arg, struct fy_metrics_out *out);

/* The worker thread's body (lnk_worker.c); `arg` is the struct lnk_exp. */
void *lnk_worker_main(void *arg);

#endif
