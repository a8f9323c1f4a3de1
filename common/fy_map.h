/* SPDX-License-Identifier: Apache-2.0
 * fy_map: an open-addressing hash map from byte-string keys to borrowed
 * `void *` values. Keys are copied in and owned by the map; values are not
 * (the caller frees them, e.g. while iterating before fy_map_destroy).
 * Thread: not synchronised; callers lock. */
#ifndef FY_MAP_H
#define FY_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fy_map_slot {
    char *key;     /* NULL = empty; FY_MAP_TOMBSTONE = deleted */
    size_t klen;
    uint64_t hash;
    void *value;
};

struct fy_map {
    struct fy_map_slot *slots;
    size_t cap;   /* power of two */
    size_t count; /* live entries */
    size_t used;  /* live + tombstones */
};

void fy_map_init(struct fy_map *map);
/* Free the keys and the table (not the values). */
void fy_map_destroy(struct fy_map *map);

/* Value for the key, or NULL. */
void *fy_map_get(const struct fy_map *map, const char *key);
void *fy_map_getn(const struct fy_map *map, const void *key, size_t klen);
/* Insert or replace; returns the previous value (or NULL). */
void *fy_map_put(struct fy_map *map, const char *key, void *value);
void *fy_map_putn(struct fy_map *map, const void *key, size_t klen, void *value);
/* Make room for `n` entries in all without growing. Copying one map into
 * another goes in the source's slot order, i.e. by hash: into a smaller table
 * those keys pile up in one run and every insert probes it (quadratic), so a
 * copy reserves the final size first. */
void fy_map_reserve(struct fy_map *map, size_t n);
/* Remove; returns the removed value (or NULL). */
void *fy_map_del(struct fy_map *map, const char *key);
void *fy_map_deln(struct fy_map *map, const void *key, size_t klen);

/* Iterate: `size_t it = 0; const char *k; void *v; while (fy_map_next(map, &it, &k, &v))`.
 * The map must not change during iteration. */
bool fy_map_next(const struct fy_map *map, size_t *it, const char **key, void **value);

/* 64-bit FNV-1a-style hash of bytes (also for callers building their own keys). */
uint64_t fy_hash_bytes(const void *data, size_t len);

/* Int64-keyed convenience: the key is the 8 bytes of `k`. */
void *fy_map_geti(const struct fy_map *map, int64_t k);
void *fy_map_puti(struct fy_map *map, int64_t k, void *value);
void *fy_map_deli(struct fy_map *map, int64_t k);

#endif
