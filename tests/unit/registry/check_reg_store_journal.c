/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_store_journal.c: the embedded journal — round
 * trips, torn tails at every byte, corruption, compaction, the change feed,
 * group commit, the data-dir lock and the fsync-failure rule. Each test works
 * in its own mkdtemp directory. */
#include "registry/reg_store.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Key number of "k<n>" (strtol, as atoi is banned). */
static int atoi_free(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    ck_assert(end != s && *end == '\0');
    return (int)v;
}

/* ---- helpers ------------------------------------------------------------------ */

struct rec_copy {
    char *key;
    size_t klen;
    char *value; /* NULL = tombstone */
    size_t vlen;
    int64_t offset, ts;
};

struct rec_list {
    struct rec_copy *v;
    size_t n, cap;
    pthread_mutex_t mu;
};

static void list_init(struct rec_list *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
}

static void list_clear(struct rec_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    l->n = 0;
}

static void list_destroy(struct rec_list *l)
{
    list_clear(l);
    free(l->v);
    pthread_mutex_destroy(&l->mu);
}

static int collect(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    struct rec_list *l = arg;
    pthread_mutex_lock(&l->mu);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = fy_realloc(l->v, l->cap * sizeof *l->v);
    }
    struct rec_copy *c = &l->v[l->n++];
    c->key = fy_strndup(rec->key, rec->klen);
    c->klen = rec->klen;
    c->value = rec->value ? fy_strndup(rec->value, rec->vlen) : NULL;
    c->vlen = rec->vlen;
    c->offset = rec->offset;
    c->ts = rec->ts;
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static char *make_dir(void)
{
    char *d = fy_strdup("/tmp/ferry-jnl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void remove_dir(char *d)
{
    DIR *dh = opendir(d);
    if (dh) {
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = fy_asprintf("%s/%s", d, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(dh);
    }
    rmdir(d);
    free(d);
}

static struct reg_store *open_store(const char *dir, bool fsync, struct fy_err *err)
{
    struct reg_journal_opts o = {.dir = dir, .fsync = fsync};
    return reg_journal_open(&o, err);
}

/* Open and replay into `l` (which is cleared first). */
static struct reg_store *open_replay(const char *dir, bool fsync, struct rec_list *l)
{
    struct fy_err err = {0};
    struct reg_store *st = open_store(dir, fsync, &err);
    ck_assert_msg(st != NULL, "open: %s", err.msg);
    if (l)
        list_clear(l);
    ck_assert_msg(reg_store_replay(st, l ? collect : NULL, l, &err) == 0, "replay: %s", err.msg);
    return st;
}

static int64_t append1(struct reg_store *st, const char *key, const char *value)
{
    struct reg_store_record r = {.key = key, .klen = strlen(key), .value = value,
                                 .vlen = value ? strlen(value) : 0};
    int64_t last = -2;
    struct fy_err err = {0};
    ck_assert_msg(reg_store_append(st, &r, 1, &last, &err) == 0, "append: %s", err.msg);
    ck_assert_int_eq(last, r.offset);
    return last;
}

static void sync_ok(struct reg_store *st, int64_t off)
{
    struct fy_err err = {0};
    ck_assert_msg(reg_store_sync(st, off, &err) == 0, "sync: %s", err.msg);
    ck_assert_int_ge(reg_store_durable_offset(st), off);
}

static int64_t file_size(const char *dir, const char *name)
{
    char *p = fy_asprintf("%s/%s", dir, name);
    struct stat sb;
    int64_t sz = stat(p, &sb) == 0 ? (int64_t)sb.st_size : -1;
    free(p);
    return sz;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = fy_malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_file(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* Name of the first dir entry starting with `prefix`, or NULL (new). */
static char *find_entry(const char *dir, const char *prefix)
{
    DIR *dh = opendir(dir);
    ck_assert_ptr_nonnull(dh);
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(dh)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            found = fy_strdup(e->d_name);
    closedir(dh);
    return found;
}

static void check_rec(const struct rec_copy *c, const char *key, const char *value,
                      int64_t offset)
{
    ck_assert_uint_eq(c->klen, strlen(key));
    ck_assert_mem_eq(c->key, key, c->klen);
    if (value) {
        ck_assert_ptr_nonnull(c->value);
        ck_assert_uint_eq(c->vlen, strlen(value));
        ck_assert_mem_eq(c->value, value, c->vlen);
    } else {
        ck_assert_ptr_null(c->value);
    }
    ck_assert_int_eq(c->offset, offset);
}

/* Write `n` records k<i> = v<i> (record i at offset i). */
static void fill(struct reg_store *st, int n)
{
    char k[32], v[64];
    int64_t last = -1;
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "{\"k\":%d}", i);
        snprintf(v, sizeof v, "{\"value\":\"v%d\",\"pad\":\"xxxxxxxx\"}", i);
        last = append1(st, k, v);
        ck_assert_int_eq(last, i);
    }
    sync_ok(st, last);
}

/* ---- round trips ---------------------------------------------------------------- */

START_TEST(test_journal_round_trip_keys_values_tombstones_offsets_ts)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct reg_store *st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_int_eq(reg_store_durable_offset(st), -1);

    struct reg_store_record batch[3] = {
        {.key = "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}", .klen = 0,
         .value = "{\"subject\":\"s\",\"version\":1,\"id\":1,\"schema\":\"\\\"int\\\"\"}"},
        {.key = "{\"keytype\":\"CONFIG\",\"magic\":0}", .value = "{\"compatibilityLevel\":\"NONE\"}"},
        {.key = "{\"keytype\":\"MODE\",\"magic\":0}", .value = NULL},
    };
    for (int i = 0; i < 3; i++) {
        batch[i].klen = strlen(batch[i].key);
        batch[i].vlen = batch[i].value ? strlen(batch[i].value) : 0;
    }
    int64_t last = -2;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_store_append(st, batch, 3, &last, &err), 0);
    ck_assert_int_eq(last, 2);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(batch[i].offset, i);
        ck_assert_int_gt(batch[i].ts, 1600000000000LL);
    }
    /* binary bytes in keys and values, and an empty value (not a tombstone) */
    struct reg_store_record bin = {.key = "a\0b", .klen = 3, .value = "", .vlen = 0};
    ck_assert_int_eq(reg_store_append(st, &bin, 1, &last, &err), 0);
    ck_assert_int_eq(last, 3);
    sync_ok(st, 3);
    reg_store_close(st);

    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 4);
    for (int i = 0; i < 3; i++) {
        check_rec(&l.v[i], batch[i].key, batch[i].value, i);
        ck_assert_int_eq(l.v[i].ts, batch[i].ts);
    }
    ck_assert_uint_eq(l.v[3].klen, 3);
    ck_assert_mem_eq(l.v[3].key, "a\0b", 3);
    ck_assert_ptr_nonnull(l.v[3].value);
    ck_assert_uint_eq(l.v[3].vlen, 0);
    ck_assert_int_eq(reg_store_durable_offset(st), 3);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_reopen_continues_offsets)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct reg_store *st = open_replay(dir, true, &l);
    fill(st, 5);
    reg_store_close(st);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 5);
    ck_assert_int_eq(append1(st, "k-new", "v"), 5);
    sync_ok(st, 5);
    reg_store_close(st);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 6);
    check_rec(&l.v[5], "k-new", "v", 5);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_append_before_replay_replays_first)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 3);
    reg_store_close(st);
    struct fy_err err = {0};
    st = open_store(dir, true, &err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(append1(st, "k", "v"), 3); /* continues, not 0 */
    sync_ok(st, 3);
    reg_store_close(st);
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 4);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

/* ---- torn tails and corruption --------------------------------------------------- */

START_TEST(test_journal_torn_tail_at_every_byte_is_cut)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 4);
    int64_t before_last = file_size(dir, "journal");
    ck_assert_int_eq(append1(st, "{\"k\":\"last\"}", "{\"last\":true}"), 4);
    sync_ok(st, 4);
    reg_store_close(st);
    size_t full_len;
    char *full = read_file(jpath, &full_len);

    struct rec_list l;
    list_init(&l);
    for (size_t len = (size_t)before_last; len <= full_len; len++) {
        write_file(jpath, full, len);
        st = open_replay(dir, true, &l);
        bool whole = len == full_len;
        ck_assert_uint_eq(l.n, whole ? 5 : 4);
        for (size_t i = 0; i < 4; i++)
            ck_assert_int_eq(l.v[i].offset, (int64_t)i);
        ck_assert_int_eq(file_size(dir, "journal"), whole ? (int64_t)full_len : before_last);
        ck_assert_int_eq(reg_store_durable_offset(st), whole ? 4 : 3);
        /* the next append lands after the last whole record and replays */
        int64_t off = append1(st, "{\"k\":\"after\"}", "{}");
        ck_assert_int_eq(off, whole ? 5 : 4);
        sync_ok(st, off);
        reg_store_close(st);
        st = open_replay(dir, true, &l);
        ck_assert_uint_eq(l.n, whole ? 6 : 5);
        check_rec(&l.v[l.n - 1], "{\"k\":\"after\"}", "{}", off);
        reg_store_close(st);
        /* a plain torn tail is not kept as a corrupt copy */
        char *c = find_entry(dir, "journal.corrupt-");
        ck_assert_ptr_null(c);
    }
    free(full);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_bad_checksum_in_last_record_is_cut_and_kept)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 3);
    int64_t before_last = file_size(dir, "journal");
    append1(st, "{\"k\":\"last\"}", "{\"last\":true}");
    sync_ok(st, 3);
    reg_store_close(st);
    size_t len;
    char *buf = read_file(jpath, &len);
    buf[len - 3] ^= 0x20; /* one flipped bit in the value */
    write_file(jpath, buf, len);

    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(file_size(dir, "journal"), before_last);
    char *c = find_entry(dir, "journal.corrupt-");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(file_size(dir, c), (int64_t)len - before_last);
    free(c);
    ck_assert_int_eq(append1(st, "k", "v"), 3);
    reg_store_close(st);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

/* Remove every journal.corrupt-* file of `dir`; how many there were. */
static int remove_corrupt_files(const char *dir)
{
    int n = 0;
    char *c;
    while ((c = find_entry(dir, "journal.corrupt-")) != NULL) {
        char *p = fy_asprintf("%s/%s", dir, c);
        ck_assert_int_eq(unlink(p), 0);
        free(p);
        free(c);
        n++;
    }
    return n;
}

/* Where each record of a clean journal sits (from reg_journal_inspect). */
struct rec_pos {
    int64_t offset, pos;
    size_t len;
};

struct pos_list {
    struct rec_pos v[512];
    size_t n;
    struct reg_journal_damage dmg[16];
    size_t n_dmg;
    int64_t inside[64];
    size_t n_inside;
};

static int note_pos(void *arg, const struct reg_store_record *rec, int64_t pos, size_t len,
                    struct fy_err *err)
{
    (void)err;
    struct pos_list *pl = arg;
    ck_assert_uint_lt(pl->n, 512);
    pl->v[pl->n++] = (struct rec_pos){rec->offset, pos, len};
    return 0;
}

static int note_inside(void *arg, int64_t range_pos, const struct reg_store_record *rec,
                       int64_t pos, struct fy_err *err)
{
    (void)err;
    (void)range_pos;
    (void)pos;
    struct pos_list *pl = arg;
    ck_assert_uint_lt(pl->n_inside, 64);
    pl->inside[pl->n_inside++] = rec->offset;
    return 0;
}

static int note_damage(void *arg, const struct reg_journal_damage *d, struct fy_err *err)
{
    (void)err;
    struct pos_list *pl = arg;
    ck_assert_uint_lt(pl->n_dmg, 16);
    pl->dmg[pl->n_dmg++] = *d;
    return 0;
}

static void inspect(const char *dir, struct pos_list *pl)
{
    char *jpath = fy_asprintf("%s/journal", dir);
    memset(pl, 0, sizeof *pl);
    struct reg_journal_visit v = {note_pos, note_inside, note_damage, pl};
    struct fy_err err = {0};
    ck_assert_msg(reg_journal_inspect(jpath, false, &v, NULL, &err) == 0, "inspect: %s", err.msg);
    free(jpath);
}

START_TEST(test_journal_garbage_between_records_is_skipped_and_set_aside)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 3);
    int64_t mid = file_size(dir, "journal");
    for (int i = 3; i < 6; i++)
        append1(st, "{\"k\":\"later\"}", "{\"later\":1}");
    sync_ok(st, 5);
    reg_store_close(st);
    size_t len;
    char *buf = read_file(jpath, &len);
    /* 17 bytes of garbage between record 2 and record 3, with the record magic in it */
    size_t glen = 17;
    char *bad = fy_malloc(len + glen);
    memcpy(bad, buf, (size_t)mid);
    memset(bad + mid, 0x5a, glen);
    bad[mid + 12] = (char)0xa7;
    bad[mid + 13] = (char)0xf3;
    memcpy(bad + mid + glen, buf + mid, len - (size_t)mid);
    write_file(jpath, bad, len + glen);

    /* check first: it sees the range and changes nothing */
    struct pos_list pl;
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n, 6);
    ck_assert_uint_eq(pl.n_dmg, 1);
    ck_assert_int_eq(pl.dmg[0].pos, mid);
    ck_assert_int_eq(pl.dmg[0].len, (int64_t)glen);
    ck_assert(!pl.dmg[0].tail);
    ck_assert_int_eq(pl.dmg[0].offset_before, 2);
    ck_assert_int_eq(pl.dmg[0].offset_after, 3);
    ck_assert_int_eq(file_size(dir, "journal"), (int64_t)(len + glen));

    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 6); /* resynchronised: nothing valid is lost */
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(l.v[i].offset, (int64_t)i);
    /* the garbage is out of the journal and kept aside, byte for byte */
    ck_assert_int_eq(file_size(dir, "journal"), (int64_t)len);
    char *c = find_entry(dir, "journal.corrupt-");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(file_size(dir, c), (int64_t)glen);
    free(c);
    ck_assert_int_eq(append1(st, "k", "v"), 6);
    sync_ok(st, 6);
    reg_store_close(st);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 7);
    ck_assert_int_eq(l.v[6].offset, 6);
    reg_store_close(st);
    ck_assert_int_eq(remove_corrupt_files(dir), 1); /* the clean reopen set nothing aside */
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n_dmg, 0);
    free(bad);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_flipped_byte_in_middle_record_loses_only_that_record)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 2);
    int64_t mid = file_size(dir, "journal");
    append1(st, "{\"k\":\"x\"}", "{\"x\":1}");
    append1(st, "{\"k\":\"y\"}", "{\"y\":1}");
    sync_ok(st, 3);
    reg_store_close(st);
    size_t len;
    char *buf = read_file(jpath, &len);
    buf[mid + 16] ^= 1; /* the offset field of record 2 */
    write_file(jpath, buf, len);
    struct pos_list pl;
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n_dmg, 1);
    ck_assert_int_eq(pl.dmg[0].claimed_offset, 3); /* 2 with bit 0 flipped */
    ck_assert_uint_eq(pl.dmg[0].claimed_klen, 9);    /* names the lost record */
    ck_assert_mem_eq(pl.dmg[0].claimed_key, "{\"k\":\"x\"}", 9);
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 3);
    check_rec(&l.v[2], "{\"k\":\"y\"}", "{\"y\":1}", 3);
    ck_assert_int_eq(append1(st, "k", "v"), 4);
    reg_store_close(st);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

/* Records of different sizes: k<i> = v<i> plus i*7 bytes of padding. */
static void fill_varied(struct reg_store *st, int n)
{
    int64_t last = -1;
    for (int i = 0; i < n; i++) {
        char k[32], v[256];
        snprintf(k, sizeof k, "{\"k\":%d}", i);
        int pad = (i * 7) % 90;
        snprintf(v, sizeof v, "{\"value\":\"v%d\",\"pad\":\"%.*s\"}", i, pad,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxx");
        last = append1(st, k, v);
    }
    sync_ok(st, last);
}

/* A new journal of `n` records from fill_varied, closed: its dir and path
 * (**new**), its bytes (**new**) and where each record sits. */
static void varied_journal(int n, bool fsync, char **dir, char **jpath, char **buf, size_t *len,
                           struct pos_list *clean)
{
    *dir = make_dir();
    *jpath = fy_asprintf("%s/journal", *dir);
    struct reg_store *st = open_replay(*dir, fsync, NULL);
    fill_varied(st, n);
    reg_store_close(st);
    inspect(*dir, clean);
    *buf = read_file(*jpath, len);
}

/* After damage to [dpos, dend) of a journal whose clean layout is `clean`:
 * every record that does not overlap the damage is replayed, in order, with
 * its offset; the others are not. */
static void check_survivors(const struct rec_list *l, const struct pos_list *clean, int64_t dpos,
                            int64_t dend)
{
    size_t k = 0;
    for (size_t i = 0; i < clean->n; i++) {
        const struct rec_pos *r = &clean->v[i];
        bool hit = r->pos < dend && r->pos + (int64_t)r->len > dpos;
        if (hit)
            continue;
        ck_assert_msg(k < l->n, "damage [%" PRId64 ",%" PRId64 "): record %" PRId64 " lost",
                      dpos, dend, r->offset);
        ck_assert_msg(l->v[k].offset == r->offset,
                      "damage [%" PRId64 ",%" PRId64 "): got offset %" PRId64 ", want %" PRId64,
                      dpos, dend, l->v[k].offset, r->offset);
        char key[32];
        snprintf(key, sizeof key, "{\"k\":%d}", (int)r->offset);
        ck_assert_mem_eq(l->v[k].key, key, strlen(key));
        k++;
    }
    ck_assert_msg(k == l->n, "damage [%" PRId64 ",%" PRId64 "): %zu extra records", dpos, dend,
                  l->n - k);
}

START_TEST(test_journal_flip_at_every_byte_of_middle_records_keeps_all_others)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, false, NULL);
    fill_varied(st, 12);
    reg_store_close(st);
    struct pos_list clean;
    inspect(dir, &clean);
    ck_assert_uint_eq(clean.n, 12);
    size_t len;
    char *buf = read_file(jpath, &len);
    struct rec_list l;
    list_init(&l);
    /* every byte of records 3..8, each flipped in two ways */
    for (int64_t p = clean.v[3].pos; p < clean.v[9].pos; p++) {
        for (int how = 0; how < 2; how++) {
            buf[p] ^= how ? (char)0xff : (char)0x01;
            write_file(jpath, buf, len);
            buf[p] ^= how ? (char)0xff : (char)0x01;
            st = open_replay(dir, false, &l);
            check_survivors(&l, &clean, p, p + 1);
            ck_assert_int_eq(append1(st, "{\"k\":99}", "{}"), 12); /* offsets never reused */
            reg_store_close(st);
            ck_assert_int_eq(remove_corrupt_files(dir), 1);
            /* the journal left behind is clean and holds the same plus the append */
            struct pos_list after;
            inspect(dir, &after);
            ck_assert_uint_eq(after.n_dmg, 0);
            ck_assert_uint_eq(after.n, 12);
        }
    }
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_zeroed_page_loses_only_the_records_it_covers)
{
    char *dir, *jpath, *buf;
    size_t len;
    struct pos_list clean;
    varied_journal(200, false, &dir, &jpath, &buf, &len, &clean);
    struct reg_store *st = NULL;
    ck_assert_uint_gt(len, 3 * 4096);
    struct rec_list l;
    list_init(&l);
    for (int64_t page = 4096; page + 4096 < (int64_t)len; page += 4096) {
        char *bad = fy_malloc(len);
        memcpy(bad, buf, len);
        memset(bad + page, 0, 4096);
        write_file(jpath, bad, len);
        free(bad);
        st = open_replay(dir, false, &l);
        check_survivors(&l, &clean, page, page + 4096);
        reg_store_close(st);
        ck_assert_int_eq(remove_corrupt_files(dir), 1);
    }
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_damage_in_middle_and_torn_tail)
{
    char *dir, *jpath, *buf;
    size_t len;
    struct pos_list clean;
    varied_journal(8, true, &dir, &jpath, &buf, &len, &clean);
    struct reg_store *st = NULL;
    buf[clean.v[2].pos + 40] ^= 0x10;
    write_file(jpath, buf, len - 5); /* and the last append torn */
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 6); /* 0 1 3 4 5 6 */
    ck_assert_int_eq(l.v[2].offset, 3);
    ck_assert_int_eq(l.v[5].offset, 6);
    ck_assert_int_eq(append1(st, "k", "v"), 7);
    reg_store_close(st);
    /* only the middle range is kept; a torn append holds nothing */
    ck_assert_int_eq(remove_corrupt_files(dir), 1);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

/* Encode one record the way the journal does, by writing it to a scratch
 * journal with `offset` records before it and cutting it out. */
static char *encoded_record(const char *key, const char *value, int offset, size_t *len)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, false, NULL);
    for (int i = 0; i < offset; i++)
        append1(st, "pad", "pad");
    int64_t before = file_size(dir, "journal");
    append1(st, key, value);
    reg_store_close(st);
    char *jpath = fy_asprintf("%s/journal", dir);
    size_t flen;
    char *all = read_file(jpath, &flen);
    *len = flen - (size_t)before;
    char *rec = fy_malloc(*len);
    memcpy(rec, all + before, *len);
    free(all);
    free(jpath);
    remove_dir(dir);
    return rec;
}

START_TEST(test_journal_fake_record_inside_a_value_does_not_fool_resync)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    size_t flen;
    char *fake = encoded_record("{\"k\":\"fake\"}", "{\"fake\":1}", 3, &flen);
    /* value 2: a whole valid record (offset 3, above everything before it)
     * followed by more bytes; value 3: a plausible header claiming a length
     * that covers the records after it */
    char v2[512], v3[128];
    memcpy(v2, "AAAA", 4);
    memcpy(v2 + 4, fake, flen);
    memcpy(v2 + 4 + flen, "BBBBBBBB", 8);
    size_t v2len = 4 + flen + 8;
    memset(v3, 'C', sizeof v3);
    memcpy(v3 + 8, fake, 32);
    v3[8 + 8] = 0x40; /* vlen 0x40 + ...: runs over records 4.. */
    v3[8 + 9] = 0x02;
    size_t v3len = sizeof v3;
    struct reg_store *st = open_replay(dir, true, NULL);
    append1(st, "{\"k\":0}", "{}");
    append1(st, "{\"k\":1}", "{}");
    struct reg_store_record r2 = {.key = "{\"k\":2}", .klen = 7, .value = v2, .vlen = v2len};
    struct reg_store_record r3 = {.key = "{\"k\":3}", .klen = 7, .value = v3, .vlen = v3len};
    struct fy_err err = {0};
    ck_assert_int_eq(reg_store_append(st, &r2, 1, NULL, &err), 0);
    ck_assert_int_eq(reg_store_append(st, &r3, 1, NULL, &err), 0);
    for (int i = 4; i < 8; i++) {
        char k[32];
        snprintf(k, sizeof k, "{\"k\":%d}", i);
        append1(st, k, "{}");
    }
    sync_ok(st, 7);
    reg_store_close(st);
    struct pos_list clean;
    inspect(dir, &clean);
    ck_assert_uint_eq(clean.n, 8);
    size_t len;
    char *buf = read_file(jpath, &len);
    struct rec_list l;
    list_init(&l);
    /* break record 2's magic (no length to trust: every byte is tried), then
     * record 3's: the fake record and the fake header are skipped */
    for (int which = 2; which <= 3; which++) {
        int64_t p = clean.v[which].pos + 12;
        buf[p] ^= 0x55;
        write_file(jpath, buf, len);
        buf[p] ^= 0x55;
        st = open_replay(dir, true, &l);
        ck_assert_uint_eq(l.n, 7);
        for (size_t i = 0; i < l.n; i++) {
            ck_assert_int_eq(l.v[i].offset, (int64_t)(i < (size_t)which ? i : i + 1));
            ck_assert(l.v[i].klen != 12 || memcmp(l.v[i].key, "{\"k\":\"fake\"}", 12) != 0);
        }
        reg_store_close(st);
        ck_assert_int_eq(remove_corrupt_files(dir), 1);
    }
    free(fake);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_two_damaged_records_one_apart_keep_the_one_between)
{
    char *dir, *jpath, *buf;
    size_t len;
    struct pos_list clean;
    varied_journal(8, true, &dir, &jpath, &buf, &len, &clean);
    struct reg_store *st = NULL;
    /* records 2 and 4 damaged: 3 is whole, followed by damage, and its offset
     * lies between 1 (before) and 5 (the next confirmed record) */
    buf[clean.v[2].pos + 36] ^= 1;
    buf[clean.v[4].pos + 36] ^= 1;
    write_file(jpath, buf, len);
    struct pos_list pl;
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n, 6);
    ck_assert_uint_eq(pl.n_dmg, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pl.dmg[i].pos, clean.v[2 + 2 * i].pos);
        ck_assert_int_eq(pl.dmg[i].len, (int64_t)clean.v[2 + 2 * i].len);
    }
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    static const int64_t want[] = {0, 1, 3, 5, 6, 7};
    ck_assert_uint_eq(l.n, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(l.v[i].offset, want[i]);
    reg_store_close(st);
    ck_assert_int_eq(remove_corrupt_files(dir), 2);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_inspect_reports_records_inside_damage_and_changes_nothing)
{
    char *dir, *jpath, *buf;
    size_t len;
    struct pos_list clean;
    varied_journal(8, true, &dir, &jpath, &buf, &len, &clean);
    struct reg_store *st = NULL;
    /* between records 4 and 5: garbage, a second copy of record 1 (an offset
     * not above 4: never replayed there), garbage */
    size_t r1 = clean.v[1].len, at = (size_t)clean.v[5].pos, ins = 10 + r1 + 10;
    char *bad = fy_malloc(len + ins);
    memcpy(bad, buf, at);
    memset(bad + at, 0x33, 10);
    memcpy(bad + at + 10, buf + clean.v[1].pos, r1);
    memset(bad + at + 10 + r1, 0x33, 10);
    memcpy(bad + at + ins, buf + at, len - at);
    write_file(jpath, bad, len + ins);
    struct pos_list pl;
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n, 8);
    ck_assert_uint_eq(pl.n_dmg, 1);
    ck_assert_int_eq(pl.dmg[0].pos, (int64_t)at);
    ck_assert_int_eq(pl.dmg[0].len, (int64_t)ins);
    ck_assert_int_eq(pl.dmg[0].offset_before, 4);
    ck_assert_int_eq(pl.dmg[0].offset_after, 5);
    ck_assert_uint_eq(pl.dmg[0].n_inside, 1);
    ck_assert_uint_eq(pl.n_inside, 1);
    ck_assert_int_eq(pl.inside[0], 1);
    size_t len2;
    char *now = read_file(jpath, &len2);
    ck_assert_uint_eq(len2, len + ins);
    ck_assert_mem_eq(now, bad, len2);
    ck_assert_ptr_null(find_entry(dir, "journal.corrupt-"));
    /* a replay sets the range aside: the file holds the copy, whole */
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 8);
    reg_store_close(st);
    char *c = find_entry(dir, "journal.corrupt-");
    ck_assert_ptr_nonnull(c);
    char *cpath = fy_asprintf("%s/%s", dir, c);
    struct fy_err err = {0};
    struct reg_journal_file_info fi;
    ck_assert_int_eq(reg_journal_inspect(cpath, false, NULL, &fi, &err), -1);
    ck_assert_int_eq(err.code, FY_E_CORRUPT);
    memset(&pl, 0, sizeof pl);
    struct reg_journal_visit v = {note_pos, note_inside, note_damage, &pl};
    ck_assert_int_eq(reg_journal_inspect(cpath, true, &v, &fi, &err), 0);
    ck_assert(!fi.has_header);
    ck_assert_int_eq(fi.size, (int64_t)ins);
    ck_assert_uint_eq(pl.n, 1);
    ck_assert_int_eq(pl.v[0].offset, 1);
    free(cpath);
    free(c);
    free(now);
    free(bad);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_length_that_lands_on_a_later_record_reports_the_one_it_covers)
{
    char *dir, *jpath, *buf;
    size_t len;
    struct pos_list clean;
    varied_journal(8, false, &dir, &jpath, &buf, &len, &clean);
    /* record 2's value length grows by exactly record 3's size: its claimed end
     * is record 4, so record 3 sits inside its body: reported, kept aside */
    uint32_t vlen = (uint32_t)(unsigned char)buf[clean.v[2].pos + 8] |
                    (uint32_t)(unsigned char)buf[clean.v[2].pos + 9] << 8;
    vlen += (uint32_t)clean.v[3].len;
    buf[clean.v[2].pos + 8] = (char)(vlen & 0xff);
    buf[clean.v[2].pos + 9] = (char)(vlen >> 8);
    write_file(jpath, buf, len);
    struct pos_list pl;
    inspect(dir, &pl);
    ck_assert_uint_eq(pl.n_dmg, 1);
    ck_assert_int_eq(pl.dmg[0].len, (int64_t)(clean.v[2].len + clean.v[3].len));
    ck_assert_uint_eq(pl.n_inside, 1);
    ck_assert_int_eq(pl.inside[0], 3);
    ck_assert_uint_eq(pl.n, 6);
    free(buf);
    free(jpath);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_record_between_garbage_at_the_end_is_kept)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill_varied(st, 4);
    reg_store_close(st);
    size_t len, rlen;
    char *buf = read_file(jpath, &len);
    char *rec = encoded_record("{\"k\":\"late\"}", "{\"late\":1}", 9, &rlen);
    /* the end of the file: garbage, a whole record with offset 9, garbage */
    char *bad = fy_malloc(len + 5 + rlen + 5);
    memcpy(bad, buf, len);
    memset(bad + len, 0x44, 5);
    memcpy(bad + len + 5, rec, rlen);
    memset(bad + len + 5 + rlen, 0x44, 5);
    write_file(jpath, bad, len + 5 + rlen + 5);
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 5);
    check_rec(&l.v[4], "{\"k\":\"late\"}", "{\"late\":1}", 9);
    ck_assert_int_eq(file_size(dir, "journal"), (int64_t)(len + rlen));
    reg_store_close(st);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 5);
    ck_assert_int_eq(append1(st, "k", "v"), 10);
    reg_store_close(st);
    /* the 5 bytes at the very end look like a torn header: cut, not kept */
    ck_assert_int_eq(remove_corrupt_files(dir), 1);
    free(rec);
    free(bad);
    free(buf);
    free(jpath);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_foreign_file_is_refused_untouched)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    const char *text = "this is not a journal, but it is somebody's file\n";
    write_file(jpath, text, strlen(text));
    struct fy_err err = {0};
    struct reg_store *st = open_store(dir, true, &err);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(err.code, FY_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.msg, jpath));
    ck_assert_int_eq(file_size(dir, "journal"), (int64_t)strlen(text));
    free(jpath);
    remove_dir(dir);
}
END_TEST

/* ---- locking, fsync ------------------------------------------------------------------ */

START_TEST(test_journal_lock_prevents_second_open)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    struct fy_err err = {0};
    struct reg_store *st2 = open_store(dir, true, &err);
    ck_assert_ptr_null(st2);
    ck_assert_int_eq(err.code, FY_E_IO);
    char *lock = fy_asprintf("%s/LOCK", dir);
    ck_assert_msg(strstr(err.msg, lock) != NULL, "message names the lock: %s", err.msg);
    free(lock);
    reg_store_close(st);
    st2 = open_store(dir, true, &err);
    ck_assert_ptr_nonnull(st2);
    reg_store_close(st2);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_creates_missing_data_dir)
{
    char *dir = make_dir();
    char *sub = fy_asprintf("%s/a/b", dir);
    struct reg_store *st = open_replay(sub, true, NULL);
    fill(st, 1);
    reg_store_close(st);
    char *a = fy_asprintf("%s/a", dir);
    char *p;
    p = fy_asprintf("%s/journal", sub);
    unlink(p);
    free(p);
    p = fy_asprintf("%s/LOCK", sub);
    unlink(p);
    free(p);
    rmdir(sub);
    rmdir(a);
    free(a);
    free(sub);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_fsync_false_still_works)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct reg_store *st = open_replay(dir, false, &l);
    fill(st, 50);
    ck_assert_int_eq(reg_store_durable_offset(st), 49);
    reg_store_close(st);
    st = open_replay(dir, false, &l);
    ck_assert_uint_eq(l.n, 50);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_fsync_error_fails_waiters_and_refuses_writes)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 2);
    int64_t off = append1(st, "k", "v");
    reg_journal_fault_fsync(st, EIO);
    struct fy_err err = {0};
    ck_assert_int_eq(reg_store_sync(st, off, &err), -1);
    ck_assert_int_eq(err.code, FY_E_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "Input/output error"));
    ck_assert_int_eq(reg_store_durable_offset(st), 1);
    /* durable before the failure: still fine */
    ck_assert_int_eq(reg_store_sync(st, 1, &err), 0);
    /* nothing more is accepted */
    struct reg_store_record r = {.key = "k", .klen = 1, .value = "v", .vlen = 1};
    fy_err_clear(&err);
    ck_assert_int_eq(reg_store_append(st, &r, 1, NULL, &err), -1);
    ck_assert_int_eq(err.code, FY_E_IO);
    ck_assert_int_eq(reg_store_sync(st, off, &err), -1);
    ck_assert_int_eq(reg_store_compact(st, &err), -1);
    reg_store_close(st);
    /* a restart recovers from what the file holds */
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_ge(l.n, 2);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST


/* ---- compaction ------------------------------------------------------------------------ */

/* The latest record per key, as a map-free list: keys "k<i>" for i < nkeys. */
struct latest {
    int64_t offset[64];
    bool tomb[64];
    char value[64][48];
};

static void write_history(struct reg_store *st, int nkeys, int rounds, struct latest *lt)
{
    char k[16];
    int64_t last = -1;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nkeys; i++) {
            snprintf(k, sizeof k, "k%d", i);
            bool tomb = r == rounds - 1 && i % 4 == 3; /* every 4th key ends deleted */
            snprintf(lt->value[i], sizeof lt->value[i], "{\"round\":%d,\"pad\":\"yyyyyyyyyy\"}", r);
            last = append1(st, k, tomb ? NULL : lt->value[i]);
            lt->offset[i] = last;
            lt->tomb[i] = tomb;
        }
    sync_ok(st, last);
}

/* `l` holds exactly the latest record of each key, in offset order. */
static void check_latest(const struct rec_list *l, int nkeys, const struct latest *lt)
{
    ck_assert_uint_eq(l->n, (size_t)nkeys);
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0)
            ck_assert_int_gt(l->v[i].offset, l->v[i - 1].offset);
        int key = atoi_free(l->v[i].key + 1);
        ck_assert_int_eq(l->v[i].offset, lt->offset[key]);
        if (lt->tomb[key])
            ck_assert_ptr_null(l->v[i].value);
        else
            ck_assert_str_eq(l->v[i].value, lt->value[key]);
    }
}

START_TEST(test_journal_compact_keeps_latest_per_key_and_offsets)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct latest lt;
    struct reg_store *st = open_replay(dir, true, &l);
    write_history(st, 20, 10, &lt);
    int64_t before = file_size(dir, "journal");
    struct fy_err err = {0};
    ck_assert_msg(reg_store_compact(st, &err) == 0, "compact: %s", err.msg);
    int64_t after = file_size(dir, "journal");
    ck_assert_int_lt(after, before / 5);
    ck_assert_ptr_null(find_entry(dir, "journal.compact.tmp"));
    ck_assert_int_eq(reg_store_durable_offset(st), 199);

    /* the change feed sees the compacted log, same offsets */
    list_clear(&l);
    int64_t next = -1;
    ck_assert_int_eq(reg_store_read_from(st, 0, collect, &l, &next, &err), 0);
    ck_assert_int_eq(next, 200);
    check_latest(&l, 20, &lt);

    /* replay after compaction equals the state before it */
    reg_store_close(st);
    st = open_replay(dir, true, &l);
    check_latest(&l, 20, &lt);

    /* appends go on after the swap, offsets continue; compaction drops the old k0 */
    ck_assert_int_eq(append1(st, "k0", "{\"after\":1}"), 200);
    sync_ok(st, 200);
    lt.offset[0] = 200;
    lt.tomb[0] = false;
    snprintf(lt.value[0], sizeof lt.value[0], "{\"after\":1}");
    ck_assert_int_eq(reg_store_compact(st, &err), 0);
    list_clear(&l);
    ck_assert_int_eq(reg_store_read_from(st, 0, collect, &l, &next, &err), 0);
    check_latest(&l, 20, &lt);
    /* compacting twice is harmless */
    ck_assert_int_eq(reg_store_compact(st, &err), 0);
    ck_assert_int_eq(reg_store_compact(st, &err), 0);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_compacts_at_open_over_ratio_and_min)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct latest lt;
    struct reg_store *st = open_replay(dir, true, &l);
    write_history(st, 8, 30, &lt);
    reg_store_close(st);
    int64_t before = file_size(dir, "journal");

    /* below compact_min_bytes: left alone */
    struct reg_journal_opts o = {.dir = dir, .fsync = true, .compact_min_bytes = before + 1};
    struct fy_err err = {0};
    st = reg_journal_open(&o, &err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(reg_store_replay(st, NULL, NULL, &err), 0);
    reg_store_close(st);
    ck_assert_int_eq(file_size(dir, "journal"), before);

    /* over both: compacted after the replay delivered everything */
    o.compact_min_bytes = 1;
    st = reg_journal_open(&o, &err);
    ck_assert_ptr_nonnull(st);
    list_clear(&l);
    ck_assert_int_eq(reg_store_replay(st, collect, &l, &err), 0);
    ck_assert_uint_eq(l.n, 240);
    ck_assert_int_lt(file_size(dir, "journal"), before / 10);
    ck_assert_int_eq(append1(st, "k0", "z"), 240);
    reg_store_close(st);

    /* a ratio that the file does not exceed: left alone */
    before = file_size(dir, "journal");
    o.compact_ratio = 100.0;
    st = reg_journal_open(&o, &err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(reg_store_replay(st, NULL, NULL, &err), 0);
    reg_store_close(st);
    ck_assert_int_eq(file_size(dir, "journal"), before);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

/* ---- change feed --------------------------------------------------------------------------- */

static int stop_at_7(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    if (rec->offset == 7)
        return fy_err_set(err, FY_E_INTERNAL, "stop");
    return collect(arg, rec, err);
}

START_TEST(test_journal_read_from_offsets)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 3000); /* > 64 KiB: the sparse seek index is used */
    struct fy_err err = {0};
    static const int64_t froms[] = {0, 1, 37, 999, 1500, 2047, 2999, 3000, 5000, -5};
    for (size_t f = 0; f < sizeof froms / sizeof froms[0]; f++) {
        int64_t from = froms[f], next = -1, first = from < 0 ? 0 : from;
        list_clear(&l);
        ck_assert_int_eq(reg_store_read_from(st, from, collect, &l, &next, &err), 0);
        size_t want = first >= 3000 ? 0 : (size_t)(3000 - first);
        ck_assert_uint_eq(l.n, want);
        for (size_t i = 0; i < l.n; i++)
            ck_assert_int_eq(l.v[i].offset, first + (int64_t)i);
        ck_assert_int_eq(next, first > 3000 ? first : 3000);
    }
    /* a callback that stops: next is the record it refused */
    list_clear(&l);
    int64_t next = -1;
    ck_assert_int_eq(reg_store_read_from(st, 5, stop_at_7, &l, &next, &err), -1);
    ck_assert_str_eq(err.msg, "stop");
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(next, 7);

    /* appended but not synced: not in the feed yet */
    int64_t off = append1(st, "k", "v");
    list_clear(&l);
    ck_assert_int_eq(reg_store_read_from(st, 3000, collect, &l, &next, &err), 0);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_int_eq(next, 3000);
    sync_ok(st, off);
    ck_assert_int_eq(reg_store_read_from(st, 3000, collect, &l, &next, &err), 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_int_eq(next, 3001);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

struct writer_arg {
    struct reg_store *st;
    int n;
    int nkeys;
    bool tombstones;
    int64_t last;
    struct latest lt;
};

static void *writer_main(void *p)
{
    struct writer_arg *w = p;
    char k[16];
    for (int i = 0; i < w->n; i++) {
        int key = i % w->nkeys;
        snprintf(k, sizeof k, "k%d", key);
        bool tomb = w->tombstones && i % 7 == 3;
        snprintf(w->lt.value[key], sizeof w->lt.value[key], "{\"i\":%d}", i);
        w->last = append1(w->st, k, tomb ? NULL : w->lt.value[key]);
        w->lt.offset[key] = w->last;
        w->lt.tomb[key] = tomb;
        if (i % 10 == 9 || i == w->n - 1)
            sync_ok(w->st, w->last);
    }
    return NULL;
}

struct follow_state {
    int64_t expect; /* next offset expected, when contiguous */
    bool contiguous;
    int64_t seen;
};

static int follow(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    struct follow_state *f = arg;
    if (f->contiguous)
        ck_assert_int_eq(rec->offset, f->expect);
    else
        ck_assert_int_ge(rec->offset, f->expect);
    f->expect = rec->offset + 1;
    f->seen++;
    return 0;
}

/* Follow the feed until offset `last` is delivered (deadline-bounded). */
static void follow_until(struct reg_store *st, struct follow_state *f, const volatile int64_t *last,
                         const volatile int *writer_done)
{
    int64_t next = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct fy_err err = {0};
        ck_assert_msg(reg_store_read_from(st, next, follow, f, &next, &err) == 0, "%s", err.msg);
        if (__atomic_load_n(writer_done, __ATOMIC_ACQUIRE) && next > *last)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ck_assert_msg(t.tv_sec - t0.tv_sec < 30, "feed did not reach the end");
        sched_yield();
    }
}

struct writer_thread {
    struct writer_arg w;
    volatile int done;
};

static void *writer_thread_main(void *p)
{
    struct writer_thread *wt = p;
    writer_main(&wt->w);
    __atomic_store_n(&wt->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

START_TEST(test_journal_read_from_concurrent_with_appends)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    struct writer_thread wt = {.w = {.st = st, .n = 3000, .nkeys = 50}};
    pthread_t th;
    pthread_create(&th, NULL, writer_thread_main, &wt);
    struct follow_state f = {.contiguous = true};
    follow_until(st, &f, &wt.w.last, &wt.done);
    pthread_join(th, NULL);
    ck_assert_int_eq(f.seen, 3000);
    reg_store_close(st);
    remove_dir(dir);
}
END_TEST

struct reader_thread {
    struct reg_store *st;
    struct writer_thread *wt;
    struct follow_state f;
};

static void *reader_thread_main(void *p)
{
    struct reader_thread *rt = p;
    follow_until(rt->st, &rt->f, &rt->wt->w.last, &rt->wt->done);
    return NULL;
}

START_TEST(test_journal_compact_concurrent_with_appends_and_feed)
{
    char *dir = make_dir();
    struct rec_list l;
    list_init(&l);
    struct reg_store *st = open_replay(dir, false, NULL);
    struct writer_thread wt = {.w = {.st = st, .n = 6000, .nkeys = 40, .tombstones = true}};
    struct reader_thread rt = {.st = st, .wt = &wt, .f = {.contiguous = false}};
    pthread_t th, rth;
    pthread_create(&th, NULL, writer_thread_main, &wt);
    pthread_create(&rth, NULL, reader_thread_main, &rt);
    struct fy_err err = {0};
    int compactions = 0;
    while (!__atomic_load_n(&wt.done, __ATOMIC_ACQUIRE)) {
        ck_assert_msg(reg_store_compact(st, &err) == 0, "compact: %s", err.msg);
        compactions++;
    }
    pthread_join(th, NULL);
    pthread_join(rth, NULL);
    ck_assert_int_ge(compactions, 1);
    ck_assert_int_ge(rt.f.seen, 40);        /* at least the latest of each key */
    ck_assert_int_eq(rt.f.expect, 6000);    /* and it got to the end */
    ck_assert_int_eq(reg_store_compact(st, &err), 0);
    reg_store_close(st);
    st = open_replay(dir, false, &l);
    check_latest(&l, 40, &wt.w.lt);
    reg_store_close(st);
    list_destroy(&l);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_tail_claiming_huge_length_is_cut)
{
    char *dir = make_dir();
    char *jpath = fy_asprintf("%s/journal", dir);
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 2);
    reg_store_close(st);
    int64_t good = file_size(dir, "journal");
    /* a plausible header promising a 200 MB value that never arrived */
    unsigned char h[40] = {0};
    h[4] = 1;                                   /* klen 1 */
    h[8] = 0x00, h[9] = 0x00, h[10] = 0x80, h[11] = 0x0c; /* vlen ~200 MB */
    h[12] = 0xa7, h[13] = 0xf3;                 /* record magic */
    FILE *f = fopen(jpath, "ab");
    ck_assert_ptr_nonnull(f);
    fwrite(h, 1, sizeof h, f);
    fclose(f);
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(file_size(dir, "journal"), good);
    ck_assert_ptr_null(find_entry(dir, "journal.corrupt-"));
    ck_assert_int_eq(append1(st, "k", "v"), 2);
    reg_store_close(st);
    list_destroy(&l);
    free(jpath);
    remove_dir(dir);
}
END_TEST

START_TEST(test_journal_stale_compaction_temp_is_removed)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    fill(st, 3);
    reg_store_close(st);
    char *tmp = fy_asprintf("%s/journal.compact.tmp", dir);
    write_file(tmp, "half a compaction", 17);
    struct rec_list l;
    list_init(&l);
    st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    reg_store_close(st);
    list_destroy(&l);
    free(tmp);
    remove_dir(dir);
}
END_TEST

/* ---- group commit ---------------------------------------------------------------------------- */

#define GC_THREADS 16
#define GC_PER_THREAD 100

struct gc_shared {
    struct reg_store *st;
    pthread_mutex_t writer; /* the registry's writer mutex: one append at a time */
    int64_t offsets[GC_THREADS * GC_PER_THREAD];
    int fails;
};

struct gc_arg {
    struct gc_shared *sh;
    int id;
};

static void *gc_main(void *p)
{
    struct gc_arg *a = p;
    struct gc_shared *sh = a->sh;
    char k[32];
    for (int i = 0; i < GC_PER_THREAD; i++) {
        snprintf(k, sizeof k, "t%d-%d", a->id, i);
        struct reg_store_record r = {.key = k, .klen = strlen(k), .value = "{}", .vlen = 2};
        int64_t last = -1;
        struct fy_err err = {0};
        pthread_mutex_lock(&sh->writer);
        int rc = reg_store_append(sh->st, &r, 1, &last, &err);
        pthread_mutex_unlock(&sh->writer);
        if (rc == 0)
            rc = reg_store_sync(sh->st, last, &err);
        if (rc != 0 || reg_store_durable_offset(sh->st) < last)
            __atomic_add_fetch(&sh->fails, 1, __ATOMIC_RELAXED);
        sh->offsets[a->id * GC_PER_THREAD + i] = last;
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(test_journal_group_commit_many_threads)
{
    char *dir = make_dir();
    struct gc_shared sh = {0};
    pthread_mutex_init(&sh.writer, NULL);
    sh.st = open_replay(dir, true, NULL);
    pthread_t th[GC_THREADS];
    struct gc_arg args[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        args[i] = (struct gc_arg){&sh, i};
        pthread_create(&th[i], NULL, gc_main, &args[i]);
    }
    for (int i = 0; i < GC_THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(sh.fails, 0);
    int n = GC_THREADS * GC_PER_THREAD;
    qsort(sh.offsets, (size_t)n, sizeof sh.offsets[0], cmp_i64);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(sh.offsets[i], i); /* distinct, no gaps */
    reg_store_close(sh.st);
    struct rec_list l;
    list_init(&l);
    sh.st = open_replay(dir, true, &l);
    ck_assert_uint_eq(l.n, (size_t)n);
    reg_store_close(sh.st);
    list_destroy(&l);
    pthread_mutex_destroy(&sh.writer);
    remove_dir(dir);
}
END_TEST

struct fail_arg {
    struct reg_store *st;
    int64_t offset;
    int rc, code;
};

static void *fail_sync_main(void *p)
{
    struct fail_arg *a = p;
    struct fy_err err = {0};
    a->rc = reg_store_sync(a->st, a->offset, &err);
    a->code = err.code;
    return NULL;
}

START_TEST(test_journal_fsync_error_reaches_every_waiter)
{
    char *dir = make_dir();
    struct reg_store *st = open_replay(dir, true, NULL);
    struct fail_arg args[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        args[i] = (struct fail_arg){.st = st, .offset = append1(st, "k", "v")};
    reg_journal_fault_fsync(st, EIO);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, fail_sync_main, &args[i]);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(args[i].rc, -1);
        ck_assert_int_eq(args[i].code, FY_E_IO);
    }
    ck_assert_int_eq(reg_store_durable_offset(st), -1);
    reg_store_close(st);
    remove_dir(dir);
}
END_TEST

Suite *journal_suite(void);
Suite *journal_suite(void)
{
    Suite *s = suite_create("reg_store_journal");
    TCase *tc = tcase_create("round_trip");
    tcase_add_test(tc, test_journal_round_trip_keys_values_tombstones_offsets_ts);
    tcase_add_test(tc, test_journal_reopen_continues_offsets);
    tcase_add_test(tc, test_journal_append_before_replay_replays_first);
    suite_add_tcase(s, tc);

    tc = tcase_create("recovery");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_journal_torn_tail_at_every_byte_is_cut);
    tcase_add_test(tc, test_journal_bad_checksum_in_last_record_is_cut_and_kept);
    tcase_add_test(tc, test_journal_garbage_between_records_is_skipped_and_set_aside);
    tcase_add_test(tc, test_journal_flipped_byte_in_middle_record_loses_only_that_record);
    tcase_add_test(tc, test_journal_flip_at_every_byte_of_middle_records_keeps_all_others);
    tcase_add_test(tc, test_journal_zeroed_page_loses_only_the_records_it_covers);
    tcase_add_test(tc, test_journal_damage_in_middle_and_torn_tail);
    tcase_add_test(tc, test_journal_fake_record_inside_a_value_does_not_fool_resync);
    tcase_add_test(tc, test_journal_two_damaged_records_one_apart_keep_the_one_between);
    tcase_add_test(tc, test_journal_inspect_reports_records_inside_damage_and_changes_nothing);
    tcase_add_test(tc, test_journal_record_between_garbage_at_the_end_is_kept);
    tcase_add_test(tc, test_journal_length_that_lands_on_a_later_record_reports_the_one_it_covers);
    tcase_add_test(tc, test_journal_foreign_file_is_refused_untouched);
    tcase_add_test(tc, test_journal_tail_claiming_huge_length_is_cut);
    tcase_add_test(tc, test_journal_stale_compaction_temp_is_removed);
    suite_add_tcase(s, tc);

    tc = tcase_create("lock_fsync");
    tcase_add_test(tc, test_journal_lock_prevents_second_open);
    tcase_add_test(tc, test_journal_creates_missing_data_dir);
    tcase_add_test(tc, test_journal_fsync_false_still_works);
    tcase_add_test(tc, test_journal_fsync_error_fails_waiters_and_refuses_writes);
    tcase_add_test(tc, test_journal_fsync_error_reaches_every_waiter);
    suite_add_tcase(s, tc);

    tc = tcase_create("compact");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_journal_compact_keeps_latest_per_key_and_offsets);
    tcase_add_test(tc, test_journal_compacts_at_open_over_ratio_and_min);
    tcase_add_test(tc, test_journal_compact_concurrent_with_appends_and_feed);
    suite_add_tcase(s, tc);

    tc = tcase_create("feed_and_group_commit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_journal_read_from_offsets);
    tcase_add_test(tc, test_journal_read_from_concurrent_with_appends);
    tcase_add_test(tc, test_journal_group_commit_many_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fy_log_set_level(FY_LOG_ERROR);
    SRunner *sr = srunner_create(journal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
