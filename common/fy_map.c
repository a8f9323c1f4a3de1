/* SPDX-License-Identifier: Apache-2.0
 * fy_map: linear-probing hash map with tombstones (see fy_map.h). The table
 * stays at most 3/4 full counting tombstones, so probes always terminate. */
#include "fy_map.h"

#include "fy_alloc.h"

#include <stdlib.h>
#include <string.h>

static char tombstone_key;
#define TOMBSTONE (&tombstone_key)

uint64_t fy_hash_bytes(const void *data, size_t len)
{
    /* FNV-1a with a final avalanche (splitmix64) so that linear probing on the
     * low bits sees well-mixed values even for keys that differ in one byte */
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

void fy_map_init(struct fy_map *map)
{
    memset(map, 0, sizeof *map);
}

void fy_map_destroy(struct fy_map *map)
{
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key && map->slots[i].key != TOMBSTONE)
            free(map->slots[i].key);
    free(map->slots);
    memset(map, 0, sizeof *map);
}

static struct fy_map_slot *find(const struct fy_map *map, const void *key, size_t klen,
                                uint64_t h)
{
    if (!map->cap)
        return NULL;
    size_t mask = map->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct fy_map_slot *s = &map->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
}

/* Rehash into a table that holds `want` entries at most half full. */
static void rehash(struct fy_map *map, size_t want)
{
    size_t ncap = map->cap ? map->cap : 16;
    while (want * 2 >= ncap)
        ncap *= 2;
    struct fy_map_slot *old = map->slots;
    size_t ocap = map->cap;
    map->slots = fy_calloc(ncap, sizeof *map->slots);
    map->cap = ncap;
    map->used = map->count;
    size_t mask = ncap - 1;
    for (size_t j = 0; j < ocap; j++) {
        struct fy_map_slot *s = &old[j];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        size_t i = s->hash & mask;
        while (map->slots[i].key)
            i = (i + 1) & mask;
        map->slots[i] = *s;
    }
    free(old);
}

static void grow(struct fy_map *map)
{
    rehash(map, map->count);
}

void fy_map_reserve(struct fy_map *map, size_t n)
{
    /* putn grows past 3/4 (live + tombstones): stay below that for n */
    if ((n + 1) * 4 > map->cap * 3)
        rehash(map, n < map->count ? map->count : n);
}

void *fy_map_getn(const struct fy_map *map, const void *key, size_t klen)
{
    struct fy_map_slot *s = find(map, key, klen, fy_hash_bytes(key, klen));
    return s ? s->value : NULL;
}

void *fy_map_get(const struct fy_map *map, const char *key)
{
    return fy_map_getn(map, key, strlen(key));
}

void *fy_map_putn(struct fy_map *map, const void *key, size_t klen, void *value)
{
    uint64_t h = fy_hash_bytes(key, klen);
    struct fy_map_slot *s = find(map, key, klen, h);
    if (s) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    if ((map->used + 1) * 4 > map->cap * 3)
        grow(map);
    size_t mask = map->cap - 1;
    size_t i = h & mask;
    while (map->slots[i].key && map->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    s = &map->slots[i];
    if (!s->key)
        map->used++;
    s->key = fy_malloc(klen + 1);
    memcpy(s->key, key, klen);
    s->key[klen] = '\0';
    s->klen = klen;
    s->hash = h;
    s->value = value;
    map->count++;
    return NULL;
}

void *fy_map_put(struct fy_map *map, const char *key, void *value)
{
    return fy_map_putn(map, key, strlen(key), value);
}

void *fy_map_deln(struct fy_map *map, const void *key, size_t klen)
{
    struct fy_map_slot *s = find(map, key, klen, fy_hash_bytes(key, klen));
    if (!s)
        return NULL;
    void *old = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    map->count--;
    return old;
}

void *fy_map_del(struct fy_map *map, const char *key)
{
    return fy_map_deln(map, key, strlen(key));
}

bool fy_map_next(const struct fy_map *map, size_t *it, const char **key, void **value)
{
    while (*it < map->cap) {
        struct fy_map_slot *s = &map->slots[(*it)++];
        if (s->key && s->key != TOMBSTONE) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}

void *fy_map_geti(const struct fy_map *map, int64_t k)
{
    return fy_map_getn(map, &k, sizeof k);
}

void *fy_map_puti(struct fy_map *map, int64_t k, void *value)
{
    return fy_map_putn(map, &k, sizeof k, value);
}

void *fy_map_deli(struct fy_map *map, int64_t k)
{
    return fy_map_deln(map, &k, sizeof k);
}
