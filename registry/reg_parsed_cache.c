/* SPDX-License-Identifier: Apache-2.0
 * reg_parsed_cache: parsed stored schemas by (context, id), refcounted, in
 * one hash table plus an LRU list under one mutex, bounded by an estimated
 * byte budget (see reg_parsed_cache.h for the invalidation contract).
 * Thread: any. */
#include "registry/reg_parsed_cache.h"

#include "common/fy_alloc.h"
#include "common/fy_map.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct reg_parsed {
    atomic_int refs;               /* the table's reference counts as one */
    struct reg_sm *model;
    size_t cost;                   /* the type's footprint at put time */
    bool has_references;
    /* under pc->mu while in the table */
    struct reg_parsed *prev, *next; /* LRU: head = most recent */
    char *key;
    size_t klen;
};

struct reg_parsed_cache {
    pthread_mutex_t mu;
    struct fy_map table; /* key -> struct reg_parsed (one reference) */
    struct reg_parsed *head, *tail;
    size_t bytes, budget;
    uint64_t hits, misses, evictions, drops;
};

/* Key bytes: the id's 4 bytes, then the context name (no NUL). **new** */
static char *make_key(const char *context, int32_t id, size_t *klen)
{
    size_t clen = strlen(context);
    char *k = fy_malloc(sizeof id + clen);
    memcpy(k, &id, sizeof id);
    memcpy(k + sizeof id, context, clen);
    *klen = sizeof id + clen;
    return k;
}

static void entry_free(struct reg_parsed *e)
{
    reg_sm_free(e->model);
    free(e->key);
    free(e);
}

void reg_parsed_release(struct reg_parsed *e)
{
    if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        entry_free(e);
}

static void keep(struct reg_parsed *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

const struct reg_sm *reg_parsed_model(const struct reg_parsed *e)
{
    return e->model;
}

/* ---- list and table, under mu ---- */

static void lru_unlink(struct reg_parsed_cache *pc, struct reg_parsed *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        pc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        pc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(struct reg_parsed_cache *pc, struct reg_parsed *e)
{
    e->prev = NULL;
    e->next = pc->head;
    if (pc->head)
        pc->head->prev = e;
    pc->head = e;
    if (!pc->tail)
        pc->tail = e;
}

/* Take `e` out of the table; its table reference goes onto `*victims` (a
 * list through `next`) to be released once mu is dropped, so that no model is
 * freed while the mutex is held. */
static void unlink_entry(struct reg_parsed_cache *pc, struct reg_parsed *e,
                         struct reg_parsed **victims)
{
    fy_map_deln(&pc->table, e->key, e->klen);
    lru_unlink(pc, e);
    pc->bytes -= e->cost;
    e->next = *victims;
    *victims = e;
}

static void evict_to(struct reg_parsed_cache *pc, size_t budget, struct reg_parsed **victims)
{
    while (pc->bytes > budget && pc->tail) {
        unlink_entry(pc, pc->tail, victims);
        pc->evictions++;
    }
}

void reg_parsed_release_list(struct reg_parsed *list)
{
    while (list) {
        struct reg_parsed *next = list->next;
        list->next = NULL;
        reg_parsed_release(list);
        list = next;
    }
}

/* ---- API ---- */

struct reg_parsed_cache *reg_parsed_cache_new(size_t budget)
{
    struct reg_parsed_cache *pc = fy_calloc(1, sizeof *pc);
    pthread_mutex_init(&pc->mu, NULL);
    fy_map_init(&pc->table);
    pc->budget = budget;
    return pc;
}

void reg_parsed_cache_free(struct reg_parsed_cache *pc)
{
    if (!pc)
        return;
    reg_parsed_cache_clear(pc);
    fy_map_destroy(&pc->table);
    pthread_mutex_destroy(&pc->mu);
    free(pc);
}

void reg_parsed_cache_set_budget(struct reg_parsed_cache *pc, size_t budget)
{
    struct reg_parsed *victims = NULL;
    pthread_mutex_lock(&pc->mu);
    pc->budget = budget;
    evict_to(pc, budget, &victims);
    pthread_mutex_unlock(&pc->mu);
    reg_parsed_release_list(victims);
}

struct reg_parsed *reg_parsed_cache_get(struct reg_parsed_cache *pc, const char *context,
                                        int32_t id)
{
    size_t klen;
    char *k = make_key(context, id, &klen);
    pthread_mutex_lock(&pc->mu);
    struct reg_parsed *e = fy_map_getn(&pc->table, k, klen);
    if (e) {
        keep(e);
        if (pc->head != e) {
            lru_unlink(pc, e);
            lru_push_front(pc, e);
        }
        pc->hits++;
    } else {
        pc->misses++;
    }
    pthread_mutex_unlock(&pc->mu);
    free(k);
    return e;
}

struct reg_parsed *reg_parsed_cache_put(struct reg_parsed_cache *pc, const char *context,
                                        int32_t id, struct reg_sm *model, bool has_references,
                                        struct reg_parsed **evicted)
{
    struct reg_parsed *e = fy_calloc(1, sizeof *e);
    atomic_init(&e->refs, 1); /* the caller's */
    e->model = model;
    e->has_references = has_references;
    e->cost = sizeof *e + model->type->footprint(model);
    e->key = make_key(context, id, &e->klen);

    struct reg_parsed *victims = NULL;
    pthread_mutex_lock(&pc->mu);
    struct reg_parsed *old = fy_map_getn(&pc->table, e->key, e->klen);
    if (old) {
        /* another reader parsed the same stored text first: use its entry */
        keep(old);
        pthread_mutex_unlock(&pc->mu);
        entry_free(e);
        return old;
    }
    if (e->cost <= pc->budget) {
        evict_to(pc, pc->budget - e->cost, &victims);
        keep(e); /* the table's */
        fy_map_putn(&pc->table, e->key, e->klen, e);
        lru_push_front(pc, e);
        pc->bytes += e->cost;
    }
    pthread_mutex_unlock(&pc->mu);
    if (evicted) {
        /* hand them over: append the whole chain to the caller's list */
        struct reg_parsed **tail = evicted;
        while (*tail)
            tail = &(*tail)->next;
        *tail = victims;
    } else {
        reg_parsed_release_list(victims);
    }
    return e;
}

void reg_parsed_cache_drop(struct reg_parsed_cache *pc, const char *context, int32_t id)
{
    size_t klen;
    char *k = make_key(context, id, &klen);
    struct reg_parsed *victims = NULL;
    pthread_mutex_lock(&pc->mu);
    struct reg_parsed *e = fy_map_getn(&pc->table, k, klen);
    if (e) {
        unlink_entry(pc, e, &victims);
        pc->drops++;
    }
    pthread_mutex_unlock(&pc->mu);
    free(k);
    reg_parsed_release_list(victims);
}

void reg_parsed_cache_drop_referencing(struct reg_parsed_cache *pc)
{
    struct reg_parsed *victims = NULL;
    pthread_mutex_lock(&pc->mu);
    for (struct reg_parsed *e = pc->head, *next; e; e = next) {
        next = e->next;
        if (e->has_references) {
            unlink_entry(pc, e, &victims);
            pc->drops++;
        }
    }
    pthread_mutex_unlock(&pc->mu);
    reg_parsed_release_list(victims);
}

void reg_parsed_cache_clear(struct reg_parsed_cache *pc)
{
    struct reg_parsed *victims = NULL;
    pthread_mutex_lock(&pc->mu);
    while (pc->head) {
        unlink_entry(pc, pc->head, &victims);
        pc->drops++;
    }
    pthread_mutex_unlock(&pc->mu);
    reg_parsed_release_list(victims);
}

void reg_parsed_cache_stats(struct reg_parsed_cache *pc, struct reg_parsed_cache_stats *out)
{
    pthread_mutex_lock(&pc->mu);
    out->entries = pc->table.count;
    out->bytes = pc->bytes;
    out->budget = pc->budget;
    out->hits = pc->hits;
    out->misses = pc->misses;
    out->evictions = pc->evictions;
    out->drops = pc->drops;
    pthread_mutex_unlock(&pc->mu);
}
