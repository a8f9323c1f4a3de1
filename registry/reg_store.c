/* SPDX-License-Identifier: Apache-2.0
 * reg_store: dispatch to the backend's ops (see reg_store.h). */
#include "registry/reg_store.h"

#include <stddef.h>

int reg_store_replay(struct reg_store *st, reg_store_record_fn fn, void *arg, struct fy_err *err)
{
    return st->ops->replay(st, fn, arg, err);
}

int reg_store_append(struct reg_store *st, struct reg_store_record *recs, size_t n,
                     int64_t *last_offset, struct fy_err *err)
{
    return st->ops->append(st, recs, n, last_offset, err);
}

int reg_store_sync(struct reg_store *st, int64_t offset, struct fy_err *err)
{
    return st->ops->sync(st, offset, err);
}

int64_t reg_store_durable_offset(struct reg_store *st)
{
    return st->ops->durable_offset(st);
}

int reg_store_read_from(struct reg_store *st, int64_t from, reg_store_record_fn fn, void *arg,
                        int64_t *next, struct fy_err *err)
{
    return st->ops->read_from(st, from, fn, arg, next, err);
}

int reg_store_compact(struct reg_store *st, struct fy_err *err)
{
    return st->ops->compact(st, err);
}

bool reg_store_compact_due(struct reg_store *st)
{
    return st->ops->compact_due && st->ops->compact_due(st);
}

void reg_store_close(struct reg_store *st)
{
    if (st)
        st->ops->close(st);
}
