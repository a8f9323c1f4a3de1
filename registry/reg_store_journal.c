/* SPDX-License-Identifier: Apache-2.0
 * reg_store_journal: the embedded store backend (reg_store.h), an append-only
 * file <dir>/journal of checksummed, length-prefixed records with group commit,
 * replay with torn-tail cut, a change feed (read_from) and compaction.
 * Thread: append() on the registry's writer path; sync(), read_from(),
 * durable_offset() and compact() from any thread. Format, recovery rules and
 * the lock order are written up in docs/internals/journal.md. */
#include "registry/reg_store.h"

#include "common/fy_alloc.h"
#include "common/fy_crc32c.h"
#include "common/fy_log.h"
#include "common/fy_map.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- file format (all integers little-endian) -------------------------------
 * File header, 32 bytes:
 *   0  magic "FERRYJNL"   8  u32 version (1)   12 u32 header size (32)
 *   16 i64 offset floor (next offset is at least this; set by compaction)
 *   24 u32 reserved (0)   28 u32 CRC-32C of bytes 0..27
 * Record: 32-byte header, then key bytes, then value bytes.
 *   0  u32 CRC-32C of bytes 4..(32 + klen + vlen) of the record
 *   4  u32 klen (>= 1)     8  u32 vlen (0 for a tombstone)
 *   12 u16 record magic    14 u8 flags (bit 0: tombstone)   15 u8 reserved (0)
 *   16 i64 offset          24 i64 ts (ms since the epoch)
 * The CRC covers the lengths, so a torn header cannot pass for a shorter record;
 * a record whose bytes did not all reach the disk fails the length or the CRC. */
#define JNL_MAGIC "FERRYJNL"
#define JNL_VERSION 1u
#define JNL_FILE_HDR 32
#define REC_HDR 32
#define REC_MAGIC 0xF3A7u
#define REC_TOMBSTONE 0x01u
#define REC_MAX_KEY (1u << 20)         /* 1 MiB: keys are small JSON objects */
#define REC_MAX_VALUE (256u << 20)     /* 256 MiB: far above any schema body cap */
#define SCAN_CHUNK ((size_t)4 << 20)   /* replay/compaction: sequential reads in 4 MiB chunks */
#define FEED_CHUNK ((size_t)256 << 10) /* read_from: usually a short tail, polled often */
#define SPARSE_EVERY ((int64_t)64 << 10) /* read_from index: one entry per 64 KiB */
#define DEFAULT_COMPACT_RATIO 2.0
#define DEFAULT_COMPACT_MIN ((int64_t)64 << 20)

_Static_assert(sizeof(uintptr_t) >= sizeof(int64_t), "map values carry int64 positions");

/* One generation of the journal file. Appends and fsyncs go to the current
 * one; readers hold a reference so a compaction can swap files under them
 * (the renamed-over inode stays readable through the open fd). */
struct sparse_ent {
    int64_t offset;
    int64_t pos;
};

struct jfile {
    int fd;
    int refs;                 /* under st->mu */
    struct sparse_ent *ents;  /* ascending; under st->mu once published */
    size_t n_ents, cap_ents;
    int64_t last_ent_pos;
};

enum jnl_state { JNL_OPEN, JNL_READY, JNL_BROKEN };

struct journal {
    struct reg_store base;
    char *dir, *path, *lock_path, *tmp_path;
    bool fsync;
    double compact_ratio;
    int64_t compact_min;
    int lock_fd;

    /* Lock order: compact_mu -> append_mu -> mu. Nobody holds mu across I/O. */
    pthread_mutex_t compact_mu; /* one compaction at a time */
    pthread_mutex_t append_mu;  /* the bytes of the file: appends, the compaction swap */
    pthread_mutex_t mu;         /* everything below */
    pthread_cond_t cv;          /* durable_offset moved, fsync leader finished, or broken */

    struct jfile *cur;
    enum jnl_state state;
    int64_t next_offset;     /* offset of the next appended record */
    int64_t appended_offset; /* last appended (written, maybe not durable); -1 none */
    int64_t write_pos;       /* file size as far as appends are concerned */
    int64_t durable_offset;  /* -1 none */
    int64_t durable_pos;     /* bytes [0, durable_pos) of cur are durable */
    bool syncing;            /* a leader is in fsync, or compaction is swapping files */
    char broken_msg[200];    /* why the store refuses writes */
    int fault_fsync;         /* test hook: errno for the next fsync, 0 = none */

    /* metrics (NULL without a registry): observed by the fsync leader */
    struct fy_metrics *metrics;
    struct fy_metric *m_fsync; /* ferry_journal_fsync_duration_seconds */
    struct fy_metric *m_batch; /* ferry_journal_group_commit_records */

    char *wbuf; /* append encoding buffer; under append_mu */
    size_t wcap;

    /* Bytes of the latest record of each key (the compaction trigger), kept
     * from replay on and updated by every append. `live` under append_mu,
     * `live_bytes` under mu (read by compact_due from any thread). */
    struct live_set *live;
    int64_t live_bytes;
};

static struct journal *journal_of(struct reg_store *st)
{
    return (struct journal *)st;
}

/* ---- little helpers ---------------------------------------------------------- */

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_i64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t get_i64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[i];
    return (int64_t)u;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void encode_file_header(unsigned char *h, int64_t floor)
{
    memset(h, 0, JNL_FILE_HDR);
    memcpy(h, JNL_MAGIC, 8);
    put_u32(h + 8, JNL_VERSION);
    put_u32(h + 12, JNL_FILE_HDR);
    put_i64(h + 16, floor);
    put_u32(h + 28, fy_crc32c(0, h, 28));
}

/* Encode one record at p (REC_HDR + klen + vlen bytes). */
static void encode_record(unsigned char *p, const struct reg_store_record *rec)
{
    size_t vlen = rec->value ? rec->vlen : 0;
    put_u32(p + 4, (uint32_t)rec->klen);
    put_u32(p + 8, (uint32_t)vlen);
    put_u16(p + 12, REC_MAGIC);
    p[14] = rec->value ? 0 : REC_TOMBSTONE;
    p[15] = 0;
    put_i64(p + 16, rec->offset);
    put_i64(p + 24, rec->ts);
    memcpy(p + REC_HDR, rec->key, rec->klen);
    if (vlen)
        memcpy(p + REC_HDR + rec->klen, rec->value, vlen);
    put_u32(p, fy_crc32c(0, p + 4, REC_HDR - 4 + rec->klen + vlen));
}

/* Header checks that need no body: NULL when plausible, else the reason. */
static const char *check_rec_header(const unsigned char *p, size_t *total)
{
    uint32_t klen = get_u32(p + 4), vlen = get_u32(p + 8);
    if (get_u16(p + 12) != REC_MAGIC || (p[14] & ~REC_TOMBSTONE) != 0 || p[15] != 0)
        return "bad record magic";
    if (klen == 0 || klen > REC_MAX_KEY || vlen > REC_MAX_VALUE ||
        ((p[14] & REC_TOMBSTONE) && vlen != 0))
        return "bad length";
    *total = REC_HDR + (size_t)klen + vlen;
    return NULL;
}

static bool rec_crc_ok(const unsigned char *p, size_t total)
{
    return get_u32(p) == fy_crc32c(0, p + 4, total - 4);
}

static void decode_record(const unsigned char *p, struct reg_store_record *rec)
{
    uint32_t klen = get_u32(p + 4), vlen = get_u32(p + 8);
    rec->key = (const char *)p + REC_HDR;
    rec->klen = klen;
    rec->value = (p[14] & REC_TOMBSTONE) ? NULL : (const char *)p + REC_HDR + klen;
    rec->vlen = vlen;
    rec->offset = get_i64(p + 16);
    rec->ts = get_i64(p + 24);
}

static int fsync_dir(const char *dir, struct fy_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fy_err_set(err, FY_E_IO, "cannot open directory %s: %s", dir, strerror(errno));
    int rc = 0;
    if (fsync(fd) != 0)
        rc = fy_err_set(err, FY_E_IO, "fsync of directory %s failed: %s", dir, strerror(errno));
    close(fd);
    return rc;
}

/* pwrite all of buf at pos: 0, or -1 with errno set. */
static int pwrite_all(int fd, const void *buf, size_t len, int64_t pos)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, (off_t)pos);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        pos += w;
    }
    return 0;
}

static int mkdir_p(const char *dir, struct fy_err *err)
{
    char *p = fy_strdup(dir);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s == '/' || end) {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = fy_err_set(err, FY_E_IO, "cannot create data directory %s: %s", p,
                                strerror(errno));
                break;
            }
            if (end)
                break;
            *s = '/';
        }
    }
    free(p);
    return rc;
}

/* ---- jfile and the sparse offset index ---------------------------------------- */

static struct jfile *jfile_new(int fd)
{
    struct jfile *jf = fy_calloc(1, sizeof *jf);
    jf->fd = fd;
    jf->refs = 1;
    jf->last_ent_pos = -SPARSE_EVERY;
    return jf;
}

/* Locks: st->mu once jf is published (or jf not yet visible to others). */
static void jfile_release(struct jfile *jf)
{
    if (!jf || --jf->refs > 0)
        return;
    if (jf->fd >= 0)
        close(jf->fd);
    free(jf->ents);
    free(jf);
}

/* Remember where record `offset` starts, every SPARSE_EVERY bytes of file. */
static void jfile_index(struct jfile *jf, int64_t offset, int64_t pos)
{
    if (pos - jf->last_ent_pos < SPARSE_EVERY)
        return;
    if (jf->n_ents == jf->cap_ents) {
        jf->cap_ents = jf->cap_ents ? jf->cap_ents * 2 : 64;
        jf->ents = fy_realloc(jf->ents, jf->cap_ents * sizeof *jf->ents);
    }
    jf->ents[jf->n_ents++] = (struct sparse_ent){offset, pos};
    jf->last_ent_pos = pos;
}

/* File position of a record boundary from which every record with offset >=
 * `from` follows. Locks: st->mu. */
static int64_t jfile_seek(const struct jfile *jf, int64_t from)
{
    size_t lo = 0, hi = jf->n_ents;
    while (lo < hi) { /* first entry with offset > from */
        size_t mid = lo + (hi - lo) / 2;
        if (jf->ents[mid].offset <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? JNL_FILE_HDR : jf->ents[lo - 1].pos;
}

/* ---- sequential scanner: big preads, records parsed in place ------------------ */

struct scanner {
    int fd;
    const char *path;
    int64_t limit;     /* never read at or past this file position */
    int64_t base;      /* file position of buf[0] */
    size_t chunk;      /* read size (the buffer grows past it for big records) */
    unsigned char *buf;
    size_t cap, len, off; /* valid bytes are buf[off, len) */
};

enum scan_rc { SCAN_REC, SCAN_END, SCAN_BAD, SCAN_ERR };

/* The two reasons a plain torn append gives (compared by address). */
static const char WHY_SHORT_HEADER[] = "short header";
static const char WHY_SHORT_BODY[] = "short body";
static const char WHY_OFFSET_ORDER[] = "offset not above the previous record's";

static void scan_init(struct scanner *sc, int fd, const char *path, int64_t pos, int64_t limit)
{
    memset(sc, 0, sizeof *sc);
    sc->fd = fd;
    sc->path = path;
    sc->base = pos;
    sc->limit = limit;
    sc->chunk = SCAN_CHUNK;
}

static void scan_destroy(struct scanner *sc)
{
    free(sc->buf);
    sc->buf = NULL;
}

static int64_t scan_pos(const struct scanner *sc)
{
    return sc->base + (int64_t)sc->off;
}

/* Make `need` bytes available at buf+off if the file (up to limit) has them.
 * *avail gets what is there (maybe less). 0, or -1 on a read error. */
static int scan_fill(struct scanner *sc, size_t need, size_t *avail, struct fy_err *err)
{
    if (sc->len - sc->off >= need) {
        *avail = sc->len - sc->off;
        return 0;
    }
    if (sc->off > 0) {
        memmove(sc->buf, sc->buf + sc->off, sc->len - sc->off);
        sc->len -= sc->off;
        sc->base += (int64_t)sc->off;
        sc->off = 0;
    }
    size_t want = need > sc->chunk ? need : sc->chunk;
    if (want > need && (int64_t)want > sc->limit - sc->base) /* a small file: a small buffer */
        want = sc->limit - sc->base > (int64_t)need ? (size_t)(sc->limit - sc->base) : need;
    if (sc->cap < want) {
        sc->buf = fy_realloc(sc->buf, want);
        sc->cap = want;
    }
    while (sc->len < need) {
        int64_t at = sc->base + (int64_t)sc->len;
        if (at >= sc->limit)
            break;
        size_t room = sc->cap - sc->len;
        if ((int64_t)room > sc->limit - at)
            room = (size_t)(sc->limit - at);
        ssize_t r = pread(sc->fd, sc->buf + sc->len, room, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fy_err_set(err, FY_E_IO, "read of %s at byte %" PRId64 " failed: %s",
                              sc->path, at, strerror(errno));
        if (r == 0) { /* the file is shorter than the caller believed */
            sc->limit = at;
            break;
        }
        sc->len += (size_t)r;
    }
    *avail = sc->len - sc->off;
    return 0;
}

/* Next record at the current position. SCAN_REC: *rec and *total filled, the
 * bytes valid until the next scanner call, position not yet advanced.
 * SCAN_END: no bytes left. SCAN_BAD: *why says what is wrong at scan_pos(). */
static enum scan_rc scan_next(struct scanner *sc, struct reg_store_record *rec, size_t *total,
                              const char **why, struct fy_err *err)
{
    size_t avail;
    if (scan_fill(sc, REC_HDR, &avail, err) != 0)
        return SCAN_ERR;
    if (avail == 0)
        return SCAN_END;
    if (avail < REC_HDR) {
        *why = WHY_SHORT_HEADER;
        return SCAN_BAD;
    }
    *why = check_rec_header(sc->buf + sc->off, total);
    if (*why)
        return SCAN_BAD;
    if ((int64_t)*total > sc->limit - scan_pos(sc)) { /* no buffer for what is not there */
        *why = WHY_SHORT_BODY;
        return SCAN_BAD;
    }
    if (scan_fill(sc, *total, &avail, err) != 0)
        return SCAN_ERR;
    if (avail < *total) {
        *why = WHY_SHORT_BODY;
        return SCAN_BAD;
    }
    if (!rec_crc_ok(sc->buf + sc->off, *total)) {
        *why = "bad checksum";
        return SCAN_BAD;
    }
    decode_record(sc->buf + sc->off, rec);
    return SCAN_REC;
}

static void scan_skip(struct scanner *sc, size_t n)
{
    assert(sc->off + n <= sc->len);
    sc->off += n;
}

/* ---- opening ---------------------------------------------------------------- */

/* Create an empty journal atomically (header in a temp file, fsync, rename,
 * fsync dir), so a crash never leaves a journal with a partial header. */
static int create_journal(struct journal *j, struct fy_err *err)
{
    unsigned char h[JNL_FILE_HDR];
    encode_file_header(h, 0);
    char *tmp = fy_asprintf("%s/journal.create.tmp", j->dir);
    int rc = -1;
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fy_err_set(err, FY_E_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (pwrite_all(fd, h, sizeof h, 0) != 0 || (j->fsync && fdatasync(fd) != 0)) {
        fy_err_set(err, FY_E_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, j->path) != 0) {
        fy_err_set(err, FY_E_IO, "cannot rename %s to %s: %s", tmp, j->path, strerror(errno));
        goto out;
    }
    if (j->fsync && fsync_dir(j->dir, err) != 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static int lock_dir(struct journal *j, struct fy_err *err)
{
    j->lock_fd = open(j->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->lock_fd < 0)
        return fy_err_set(err, FY_E_IO, "cannot open lock file %s: %s", j->lock_path,
                          strerror(errno));
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            return fy_err_set(err, FY_E_IO,
                              "data directory %s is in use by another ferry process "
                              "(lock %s is held)",
                              j->dir, j->lock_path);
        return fy_err_set(err, FY_E_IO, "cannot lock %s: %s", j->lock_path, strerror(e));
    }
    /* the holder's pid, for whoever wonders who has the lock */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(j->lock_fd, 0) == 0 && pwrite_all(j->lock_fd, pid, (size_t)n, 0) != 0) {
        /* informational only */
    }
    return 0;
}

/* Open dir/journal (creating it), check the file header. */
static int open_journal_file(struct journal *j, int64_t *floor, struct fy_err *err)
{
    struct stat sb;
    if (stat(j->path, &sb) != 0) {
        if (errno != ENOENT)
            return fy_err_set(err, FY_E_IO, "cannot stat %s: %s", j->path, strerror(errno));
        if (create_journal(j, err) != 0)
            return -1;
    } else if (sb.st_size == 0) {
        /* an empty file holds no records; give it a header */
        if (create_journal(j, err) != 0)
            return -1;
    }
    int fd = open(j->path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fy_err_set(err, FY_E_IO, "cannot open %s: %s", j->path, strerror(errno));
    unsigned char h[JNL_FILE_HDR];
    ssize_t r;
    do
        r = pread(fd, h, sizeof h, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        fy_err_set(err, FY_E_IO, "cannot read %s: %s", j->path, strerror(errno));
        close(fd);
        return -1;
    }
    if (r < JNL_FILE_HDR || memcmp(h, JNL_MAGIC, 8) != 0) {
        close(fd);
        return fy_err_set(err, FY_E_CORRUPT,
                          "%s is not a ferry journal (bad file header at byte 0); "
                          "refusing to touch it",
                          j->path);
    }
    if (get_u32(h + 28) != fy_crc32c(0, h, 28)) {
        close(fd);
        return fy_err_set(err, FY_E_CORRUPT, "%s: file header checksum mismatch at byte 0",
                          j->path);
    }
    if (get_u32(h + 8) != JNL_VERSION || get_u32(h + 12) != JNL_FILE_HDR) {
        close(fd);
        return fy_err_set(err, FY_E_CORRUPT,
                          "%s: unsupported journal format version %" PRIu32 " (this ferry "
                          "reads version %u)",
                          j->path, get_u32(h + 8), JNL_VERSION);
    }
    *floor = get_i64(h + 16);
    j->cur = jfile_new(fd);
    return 0;
}

/* ---- recovery: resynchronising past damage ------------------------------------ */

/* Read up to `len` bytes at `pos`: the count (short only at the end of the
 * file), or -1 with errno set. */
static ssize_t pread_full(int fd, void *buf, size_t len, int64_t pos)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(pos + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Scratch buffer for probing records away from the scanner's position. */
struct probe {
    int fd;
    const char *path;
    unsigned char *buf;
    size_t cap;
};

enum probe_rc { PROBE_NONE, PROBE_REC, PROBE_TORN };

/* What is at `pos` (with `end` the end of the range): PROBE_REC, a whole
 * valid record with an offset above `above` (*offset, *total filled);
 * PROBE_TORN, the start of an incomplete last record (fewer than a header's
 * bytes left, or a plausible header whose length runs past `end`); else
 * PROBE_NONE. -1 on a read error. */
static int probe_at(struct probe *pb, int64_t pos, int64_t end, int64_t above, int64_t *offset,
                    size_t *total, struct fy_err *err)
{
    if (end - pos < REC_HDR)
        return PROBE_TORN;
    if (pb->cap < REC_HDR) {
        pb->cap = 65536;
        pb->buf = fy_realloc(pb->buf, pb->cap);
    }
    ssize_t r = pread_full(pb->fd, pb->buf, REC_HDR, pos);
    if (r < 0)
        return fy_err_set(err, FY_E_IO, "read of %s at byte %" PRId64 " failed: %s", pb->path,
                          pos, strerror(errno));
    if (r < REC_HDR)
        return PROBE_TORN;
    if (check_rec_header(pb->buf, total) != NULL)
        return PROBE_NONE;
    if ((int64_t)*total > end - pos)
        return PROBE_TORN;
    if (pb->cap < *total) {
        pb->cap = *total;
        pb->buf = fy_realloc(pb->buf, pb->cap);
    }
    r = pread_full(pb->fd, pb->buf, *total, pos);
    if (r < 0)
        return fy_err_set(err, FY_E_IO, "read of %s at byte %" PRId64 " failed: %s", pb->path,
                          pos, strerror(errno));
    if ((size_t)r < *total)
        return PROBE_TORN;
    if (!rec_crc_ok(pb->buf, *total) || get_i64(pb->buf + 16) <= above)
        return PROBE_NONE;
    *offset = get_i64(pb->buf + 16);
    return PROBE_REC;
}

/* Does a record boundary follow a valid record with offset `offset` that ends
 * at `next`? Yes when `next` is the end, the start of another valid record
 * with a higher offset, or an incomplete last record. A checksummed record
 * embedded in some value is followed by the rest of that value, so it does
 * not pass. 1 yes (*next_off: that record's offset, -1 none), 0 no, -1 error. */
static int boundary_after(struct probe *pb, int64_t next, int64_t end, int64_t offset,
                          int64_t *next_off, struct fy_err *err)
{
    *next_off = -1;
    if (next == end)
        return 1;
    size_t total;
    int r = probe_at(pb, next, end, offset, next_off, &total, err);
    if (r < 0)
        return -1;
    if (r != PROBE_REC)
        *next_off = -1;
    return r != PROBE_NONE;
}

/* Bad bytes start at `bad`: find where valid records start again. A
 * candidate is a whole record with a matching CRC and an offset above
 * `last_off`. It is a record boundary when what follows it is one too
 * (boundary_after), or when its offset lies below that of the first such
 * confirmed record after it: a checksummed record embedded in a value is
 * followed by the rest of the value, and would need an offset inside the gap
 * as well. The damaged record's own length is tried first: when a candidate
 * sits at its claimed end (a flipped byte in a key or value leaves the header
 * right), records inside its body are only reported, never taken. Then every
 * byte after `bad` is tried. Checksummed records that are not taken
 * are reported to v->inside and stay part of the damage. Fills *d; *resume is
 * where valid records start again (`end` for a tail). */
static int resync_from(int fd, const char *path, int64_t bad, int64_t end, int64_t last_off,
                       const char *why, const struct reg_journal_visit *v,
                       struct reg_journal_damage *d, int64_t *resume, struct fy_err *err)
{
    struct probe pb = {.fd = fd, .path = path};
    struct scanner sc;
    struct cand {
        int64_t pos, offset;
    } *cands = NULL;
    size_t n_cands = 0, cap_cands = 0;
    int64_t first = -1, first_off = -1; /* the first candidate above last_off */
    int64_t body_end = -1; /* the damaged record's body, when its claimed end is a record */
    int rc = -1;
    memset(d, 0, sizeof *d);
    d->pos = bad;
    d->why = why;
    d->offset_before = last_off;
    d->offset_after = -1;
    d->claimed_offset = -1;
    *resume = end;

    unsigned char h[REC_HDR];
    size_t claimed = 0;
    ssize_t hr = pread_full(fd, h, sizeof h, bad);
    if (hr < 0) {
        fy_err_set(err, FY_E_IO, "read of %s at byte %" PRId64 " failed: %s", path, bad,
                   strerror(errno));
        goto fail;
    }
    if (hr == REC_HDR && check_rec_header(h, &claimed) == NULL) {
        d->claimed_offset = get_i64(h + 16);
        size_t klen = get_u32(h + 4);
        if (klen > sizeof d->claimed_key)
            klen = sizeof d->claimed_key;
        ssize_t kr = pread_full(fd, d->claimed_key, klen, bad + REC_HDR);
        d->claimed_klen = kr > 0 ? (size_t)kr : 0;
        int64_t at = bad + (int64_t)claimed, off;
        size_t total;
        int r = at < end ? probe_at(&pb, at, end, last_off, &off, &total, err) : PROBE_NONE;
        if (r < 0)
            goto fail;
        if (r == PROBE_REC) {
            first = at;
            first_off = off;
            body_end = at;
        }
    }
    scan_init(&sc, fd, path, bad + 1, end);
    for (;;) {
        size_t avail, total;
        if (scan_fill(&sc, REC_HDR, &avail, err) != 0)
            goto out;
        if (avail < REC_HDR)
            break;
        int64_t p = scan_pos(&sc);
        if (check_rec_header(sc.buf + sc.off, &total) == NULL && (int64_t)total <= end - p) {
            if (scan_fill(&sc, total, &avail, err) != 0)
                goto out;
            if (avail >= total && rec_crc_ok(sc.buf + sc.off, total)) {
                int64_t off = get_i64(sc.buf + sc.off + 16), after;
                /* inside a body whose length checks out: only reported */
                if (off > last_off && p >= body_end) {
                    int b = boundary_after(&pb, p + (int64_t)total, end, off, &after, err);
                    if (b < 0)
                        goto out;
                    if (b) {
                        *resume = p;
                        d->offset_after = off;
                        break;
                    }
                    if (first < 0) {
                        first = p;
                        first_off = off;
                    }
                }
                if (n_cands == cap_cands) {
                    cap_cands = cap_cands ? cap_cands * 2 : 16;
                    cands = fy_realloc(cands, cap_cands * sizeof *cands);
                }
                cands[n_cands++] = (struct cand){p, off};
                scan_skip(&sc, total);
                continue;
            }
        }
        scan_skip(&sc, 1);
    }
    /* the first candidate, if its offset fits below the confirmed record (or
     * nothing confirmed follows), is where records start again */
    if (first >= 0 && (*resume == end || first_off < d->offset_after)) {
        *resume = first;
        d->offset_after = first_off;
    }
    for (size_t i = 0; i < n_cands && cands[i].pos < *resume; i++) {
        int64_t off;
        size_t total;
        int r = probe_at(&pb, cands[i].pos, end, INT64_MIN, &off, &total, err);
        if (r < 0)
            goto out;
        assert(r == PROBE_REC);
        struct reg_store_record rec;
        decode_record(pb.buf, &rec);
        d->n_inside++;
        if (v && v->inside && v->inside(v->arg, bad, &rec, cands[i].pos, err) != 0)
            goto out;
    }
    d->len = *resume - bad;
    d->tail = *resume == end;
    d->torn = d->tail && d->n_inside == 0 && (why == WHY_SHORT_HEADER || why == WHY_SHORT_BODY);
    rc = 0;
out:
    scan_destroy(&sc);
fail:
    free(cands);
    free(pb.buf);
    return rc;
}

/* Walk [start, end) of `fd` with the replay rules: each valid record goes to
 * v->record; at a bad one, resynchronise (resync_from) and report the range to
 * v->damage, then go on. `last_off` is the offset of the record before
 * `start` (-1 none). */
static int walk_records(int fd, const char *path, int64_t start, int64_t end, int64_t last_off,
                        const struct reg_journal_visit *v, struct fy_err *err)
{
    int64_t pos = start;
    for (;;) {
        struct scanner sc;
        scan_init(&sc, fd, path, pos, end);
        const char *why = NULL;
        int64_t bad = -1;
        for (;;) {
            struct reg_store_record rec;
            size_t total;
            enum scan_rc r = scan_next(&sc, &rec, &total, &why, err);
            if (r == SCAN_ERR) {
                scan_destroy(&sc);
                return -1;
            }
            if (r == SCAN_END)
                break;
            if (r == SCAN_REC && rec.offset <= last_off) {
                r = SCAN_BAD;
                why = WHY_OFFSET_ORDER;
            }
            if (r == SCAN_BAD) {
                bad = scan_pos(&sc);
                break;
            }
            if (v->record && v->record(v->arg, &rec, scan_pos(&sc), total, err) != 0) {
                scan_destroy(&sc);
                return -1;
            }
            last_off = rec.offset;
            scan_skip(&sc, total);
        }
        scan_destroy(&sc);
        if (bad < 0)
            return 0;
        struct reg_journal_damage d;
        if (resync_from(fd, path, bad, end, last_off, why, v, &d, &pos, err) != 0)
            return -1;
        if (v->damage && v->damage(v->arg, &d, err) != 0)
            return -1;
        if (d.tail)
            return 0;
    }
}

/* Copy bytes [from, to) of `in` to `out` at byte `at`. 0, or -1 with err. */
static int copy_range(int in, const char *in_path, int64_t from, int64_t to, int out,
                      const char *out_path, int64_t at, struct fy_err *err)
{
    int rc = -1;
    size_t cap = to - from < (int64_t)SCAN_CHUNK ? (size_t)(to - from) + 1 : SCAN_CHUNK;
    char *buf = fy_malloc(cap);
    for (int64_t p = from; p < to;) {
        size_t want = (int64_t)cap < to - p ? cap : (size_t)(to - p);
        ssize_t r = pread(in, buf, want, (off_t)p);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fy_err_set(err, FY_E_IO, "read of %s at byte %" PRId64 " failed: %s", in_path, p,
                       r < 0 ? strerror(errno) : "unexpected end of file");
            goto out;
        }
        if (pwrite_all(out, buf, (size_t)r, at + (p - from)) != 0) {
            fy_err_set(err, FY_E_IO, "write of %s failed: %s", out_path, strerror(errno));
            goto out;
        }
        p += r;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* Copy bytes [pos, end) of the journal to dir/journal.corrupt-<ms> and make
 * the copy durable before the journal is cut: nothing is destroyed silently. */
static int keep_cut_bytes(struct journal *j, int fd, int64_t pos, int64_t end, char **out_path,
                          struct fy_err *err)
{
    int64_t ms = now_ms();
    char *cpath = NULL;
    int cfd = -1;
    for (int attempt = 0; attempt < 1000 && cfd < 0; attempt++) {
        free(cpath);
        cpath = attempt ? fy_asprintf("%s.corrupt-%" PRId64 "-%d", j->path, ms, attempt)
                        : fy_asprintf("%s.corrupt-%" PRId64, j->path, ms);
        cfd = open(cpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (cfd < 0 && errno != EEXIST)
            break;
    }
    if (cfd < 0) {
        fy_err_set(err, FY_E_IO, "cannot create %s to keep the cut bytes: %s", cpath,
                   strerror(errno));
        free(cpath);
        return -1;
    }
    int rc = -1;
    if (copy_range(fd, j->path, pos, end, cfd, cpath, 0, err) != 0)
        goto out;
    if (j->fsync && fsync(cfd) != 0) {
        fy_err_set(err, FY_E_IO, "fsync of %s failed: %s", cpath, strerror(errno));
        goto out;
    }
    if (j->fsync && fsync_dir(j->dir, err) != 0)
        goto out;
    rc = 0;
out:
    close(cfd);
    if (rc == 0)
        *out_path = cpath;
    else
        free(cpath);
    return rc;
}

/* A record key for a log line: printable ASCII as is, `"` `\` and other
 * bytes as \xNN, cut at 160 characters. */
static void key_for_log(const char *key, size_t klen, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < klen && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        if (o >= 160) {
            o += (size_t)snprintf(out + o, cap - o, "...");
            break;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* What a recovery walk past the first bad record found. */
struct seg {
    int64_t pos, end;
};

struct recovery {
    struct journal *j;
    struct seg *segs; /* runs of valid records after the damage, in file order */
    size_t n_segs, cap_segs;
    struct reg_journal_damage *dmg;
    size_t n_dmg, cap_dmg;
    int64_t max_off; /* highest offset of any checksummed record seen, -1 none */
    size_t n_records;
};

static int recovery_record(void *arg, const struct reg_store_record *rec, int64_t pos, size_t len,
                           struct fy_err *err)
{
    (void)err;
    struct recovery *rv = arg;
    if (rv->n_segs > 0 && rv->segs[rv->n_segs - 1].end == pos) {
        rv->segs[rv->n_segs - 1].end = pos + (int64_t)len;
    } else {
        if (rv->n_segs == rv->cap_segs) {
            rv->cap_segs = rv->cap_segs ? rv->cap_segs * 2 : 8;
            rv->segs = fy_realloc(rv->segs, rv->cap_segs * sizeof *rv->segs);
        }
        rv->segs[rv->n_segs++] = (struct seg){pos, pos + (int64_t)len};
    }
    if (rec->offset > rv->max_off)
        rv->max_off = rec->offset;
    rv->n_records++;
    return 0;
}

static int recovery_inside(void *arg, int64_t range_pos, const struct reg_store_record *rec,
                           int64_t pos, struct fy_err *err)
{
    (void)err;
    struct recovery *rv = arg;
    char key[200];
    key_for_log(rec->key, rec->klen, key, sizeof key);
    fy_log(FY_LOG_ERROR, "store",
           "msg=\"checksummed record inside a damaged journal range, not replayed (kept in the "
           "set-aside file; ferry store repair --import can bring it back)\" path=%s "
           "range_byte=%" PRId64 " byte=%" PRId64 " offset=%" PRId64 " key=\"%s\"",
           rv->j->path, range_pos, pos, rec->offset, key);
    if (rec->offset > rv->max_off)
        rv->max_off = rec->offset;
    return 0;
}

static int recovery_damage(void *arg, const struct reg_journal_damage *d, struct fy_err *err)
{
    (void)err;
    struct recovery *rv = arg;
    if (rv->n_dmg == rv->cap_dmg) {
        rv->cap_dmg = rv->cap_dmg ? rv->cap_dmg * 2 : 4;
        rv->dmg = fy_realloc(rv->dmg, rv->cap_dmg * sizeof *rv->dmg);
    }
    rv->dmg[rv->n_dmg++] = *d;
    return 0;
}

/* Log one damaged range and keep its bytes aside (not for a plain torn tail). */
static int set_aside(struct journal *j, const struct reg_journal_damage *d, struct fy_err *err)
{
    char *cpath = NULL;
    if (!d->torn && keep_cut_bytes(j, j->cur->fd, d->pos, d->pos + d->len, &cpath, err) != 0)
        return -1;
    if (d->tail)
        fy_log(FY_LOG_WARN, "store",
               "msg=\"journal has a torn tail; cutting it\" path=%s byte=%" PRId64
               " reason=\"%s\" cut_bytes=%" PRId64 " records_inside=%zu%s%s",
               j->path, d->pos, d->why, d->len, d->n_inside, cpath ? " kept=" : "",
               cpath ? cpath : "");
    else {
        char key[200];
        key_for_log(d->claimed_key, d->claimed_klen, key, sizeof key);
        fy_log(FY_LOG_ERROR, "store",
               "msg=\"journal damaged range removed and set aside\" path=%s byte=%" PRId64
               " length=%" PRId64 " reason=\"%s\" offset_before=%" PRId64
               " offset_after=%" PRId64 " claimed_offset=%" PRId64
               " claimed_key=\"%s\" records_inside=%zu kept=%s",
               j->path, d->pos, d->len, d->why, d->offset_before, d->offset_after,
               d->claimed_offset, key, d->n_inside, cpath);
    }
    free(cpath);
    return 0;
}

/* The record at `bad` cannot be used. Walk the rest with the resync rule.
 * Nothing valid after it: a tail, cut (its bytes kept unless it is a plain
 * torn append). Valid records after it: damage in the middle; every damaged
 * range is kept aside, then the journal is rewritten without them (temp file,
 * fsync, rename, dir fsync), so the next append goes after valid records only
 * and a crash leaves either the old or the new file. *next_offset is raised
 * past every offset seen; *good_end is the new end of the file. The file's
 * bytes before `bad` do not move. Locks: append_mu. */
static int recover_journal(struct journal *j, int64_t bad, int64_t end, int64_t last,
                           int64_t *next_offset, int64_t *good_end, struct fy_err *err)
{
    struct recovery rv = {.j = j, .max_off = -1};
    struct reg_journal_visit v = {recovery_record, recovery_inside, recovery_damage, &rv};
    char *tmp = fy_asprintf("%s/journal.repair.tmp", j->dir);
    int tfd = -1, fd = j->cur->fd;
    bool tmp_made = false;
    int rc = -1;
    if (walk_records(fd, j->path, bad, end, last, &v, err) != 0)
        goto out;
    assert(rv.n_dmg > 0 && rv.dmg[0].pos == bad);
    if (rv.max_off + 1 > *next_offset)
        *next_offset = rv.max_off + 1;
    if (rv.n_segs == 0 && rv.max_off <= last) {
        /* a tail with nothing checksummed in it: cut in place */
        if (set_aside(j, &rv.dmg[0], err) != 0)
            goto out;
        if (ftruncate(fd, (off_t)bad) != 0) {
            fy_err_set(err, FY_E_IO, "cannot truncate %s to byte %" PRId64 ": %s", j->path, bad,
                       strerror(errno));
            goto out;
        }
        if (j->fsync && fdatasync(fd) != 0) {
            fy_err_set(err, FY_E_IO, "fsync of %s failed after truncating to byte %" PRId64 ": %s",
                       j->path, bad, strerror(errno));
            goto out;
        }
        *good_end = bad;
        rc = 0;
        goto out;
    }
    /* Rewritten even for a tail when it held checksummed records: the new
     * header's offset floor keeps their offsets from being handed out again
     * after a restart (ferry store repair --import compares offsets). */
    int64_t set_aside_bytes = 0;
    for (size_t i = 0; i < rv.n_dmg; i++) {
        if (set_aside(j, &rv.dmg[i], err) != 0)
            goto out;
        set_aside_bytes += rv.dmg[i].len;
    }
    tfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tfd < 0) {
        fy_err_set(err, FY_E_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    tmp_made = true;
    unsigned char h[JNL_FILE_HDR];
    encode_file_header(h, *next_offset); /* offsets of what was lost are never handed out */
    if (pwrite_all(tfd, h, sizeof h, 0) != 0) {
        fy_err_set(err, FY_E_IO, "write of %s failed: %s", tmp, strerror(errno));
        goto out;
    }
    int64_t at = JNL_FILE_HDR;
    if (copy_range(fd, j->path, JNL_FILE_HDR, bad, tfd, tmp, at, err) != 0)
        goto out;
    at = bad;
    for (size_t i = 0; i < rv.n_segs; i++) {
        if (copy_range(fd, j->path, rv.segs[i].pos, rv.segs[i].end, tfd, tmp, at, err) != 0)
            goto out;
        at += rv.segs[i].end - rv.segs[i].pos;
    }
    if (j->fsync && fdatasync(tfd) != 0) {
        fy_err_set(err, FY_E_IO, "fsync of %s failed: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, j->path) != 0) {
        fy_err_set(err, FY_E_IO, "cannot rename %s to %s: %s", tmp, j->path, strerror(errno));
        goto out;
    }
    tmp_made = false;
    pthread_mutex_lock(&j->mu);
    close(j->cur->fd);
    j->cur->fd = tfd; /* the bytes before `bad`, and so the sparse index, are unchanged */
    pthread_mutex_unlock(&j->mu);
    tfd = -1;
    if (j->fsync && fsync_dir(j->dir, err) != 0)
        goto out;
    fy_log(FY_LOG_ERROR, "store",
           "msg=\"journal was damaged; resynchronised: every valid record is "
           "kept, the damaged ranges are set aside, the store opens read-write (ferry store "
           "check to see them, ferry store repair --import to re-import what they hold)\" "
           "path=%s damaged_ranges=%zu bytes_set_aside=%" PRId64
           " valid_records_after_damage=%zu next_offset=%" PRId64,
           j->path, rv.n_dmg, set_aside_bytes, rv.n_records, *next_offset);
    *good_end = at;
    rc = 0;
out:
    if (tfd >= 0)
        close(tfd);
    if (tmp_made)
        unlink(tmp);
    free(tmp);
    free(rv.segs);
    free(rv.dmg);
    return rc;
}

/* ---- live-bytes estimate -------------------------------------------------------- */

/* Size of each key's latest record, keyed by the key's 64-bit hash: no key
 * copies, one flat table, so replay of 100k records stays allocation-free.
 * A hash collision only skews the compaction trigger; compaction itself
 * matches keys exactly (fy_map). */
struct live_set {
    uint64_t *hash; /* 0 = empty slot */
    uint32_t *size;
    size_t cap, count;
};

static void live_destroy(struct live_set *ls)
{
    free(ls->hash);
    free(ls->size);
}

/* Record that the key with hash `h` now has a latest record of `size` bytes;
 * returns the previous size, 0 if the key is new. */
static uint32_t live_put(struct live_set *ls, uint64_t h, uint32_t size)
{
    if (h == 0)
        h = 1;
    if ((ls->count + 1) * 3 > ls->cap * 2) {
        struct live_set grown = {.cap = ls->cap ? ls->cap * 2 : 1024};
        grown.hash = fy_calloc(grown.cap, sizeof *grown.hash);
        grown.size = fy_malloc(grown.cap * sizeof *grown.size);
        for (size_t i = 0; i < ls->cap; i++)
            if (ls->hash[i])
                live_put(&grown, ls->hash[i], ls->size[i]);
        live_destroy(ls);
        *ls = grown;
    }
    size_t mask = ls->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (ls->hash[i] == h) {
            uint32_t prev = ls->size[i];
            ls->size[i] = size;
            return prev;
        }
        if (ls->hash[i] == 0) {
            ls->hash[i] = h;
            ls->size[i] = size;
            ls->count++;
            return 0;
        }
    }
}

/* ---- replay ------------------------------------------------------------------- */

static int journal_compact(struct reg_store *st, struct fy_err *err);

/* Worth compacting now? (file over compact_min and over ratio x live bytes) */
static bool journal_compact_due(struct reg_store *st)
{
    struct journal *j = journal_of(st);
    pthread_mutex_lock(&j->mu);
    bool due = j->state == JNL_READY && j->write_pos > j->compact_min &&
               (double)j->write_pos > j->compact_ratio * (double)j->live_bytes;
    pthread_mutex_unlock(&j->mu);
    return due;
}

/* Deliver every good record, cut a bad tail, set the append state. *compact
 * says whether the file is worth compacting now. Locks: append_mu. */
static int do_replay(struct journal *j, reg_store_record_fn fn, void *arg, int64_t floor,
                     bool *compact, struct fy_err *err)
{
    struct jfile *jf = j->cur;
    struct stat sb;
    if (fstat(jf->fd, &sb) != 0)
        return fy_err_set(err, FY_E_IO, "cannot stat %s: %s", j->path, strerror(errno));
    int64_t end = sb.st_size;
    (void)posix_fadvise(jf->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    /* live bytes per key (latest record of each key), for the compaction decision */
    if (!j->live)
        j->live = fy_calloc(1, sizeof *j->live);
    struct live_set *live = j->live;
    live_destroy(live);
    memset(live, 0, sizeof *live);
    int64_t live_bytes = JNL_FILE_HDR;
    int64_t last = -1, n = 0;
    int64_t bad = -1;
    const char *why = NULL;
    int rc = -1;
    int64_t next = floor;
    bool recovered = false;
    struct scanner sc;
    scan_init(&sc, jf->fd, j->path, JNL_FILE_HDR, end);
    for (;;) {
        struct reg_store_record rec;
        size_t total;
        enum scan_rc r = scan_next(&sc, &rec, &total, &why, err);
        if (r == SCAN_ERR)
            goto out;
        if (r == SCAN_END)
            break;
        if (r == SCAN_REC && rec.offset <= last) {
            r = SCAN_BAD;
            why = WHY_OFFSET_ORDER;
        }
        if (r == SCAN_BAD) {
            /* Resynchronise once: what recover_journal leaves after `bad` is
             * only records it checked with these same rules. */
            bad = scan_pos(&sc);
            if (recovered) {
                fy_err_set(err, FY_E_INTERNAL, "journal %s: %s at byte %" PRId64
                           " after recovery", j->path, why, bad);
                goto out;
            }
            recovered = true;
            int64_t new_end;
            if (recover_journal(j, bad, end, last, &next, &new_end, err) != 0)
                goto out;
            if (new_end == bad) /* a tail: cut */
                break;
            end = new_end;
            scan_destroy(&sc);
            scan_init(&sc, jf->fd, j->path, bad, end); /* the same bytes before `bad` */
            bad = -1;
            continue;
        }
        if (fn && fn(arg, &rec, err) != 0)
            goto out;
        int64_t pos = scan_pos(&sc);
        uint32_t prev = live_put(live, fy_hash_bytes(rec.key, rec.klen), (uint32_t)total);
        live_bytes += (int64_t)total - (int64_t)prev;
        if (pos - jf->last_ent_pos >= SPARSE_EVERY) { /* last_ent_pos: only writers touch it */
            pthread_mutex_lock(&j->mu);
            jfile_index(jf, rec.offset, pos);
            pthread_mutex_unlock(&j->mu);
        }
        last = rec.offset;
        n++;
        scan_skip(&sc, total);
    }
    if (last + 1 > next)
        next = last + 1;
    int64_t good_end = bad >= 0 ? bad : end;
    /* What we replayed may sit only in the page cache (the last process died
     * before its fsync): make it durable before calling it durable. (A
     * recovery fsync'd what it wrote.) */
    if (j->fsync && n > 0 && !recovered && fdatasync(jf->fd) != 0) {
        fy_err_set(err, FY_E_IO, "fsync of %s failed: %s", j->path, strerror(errno));
        goto out;
    }
    pthread_mutex_lock(&j->mu);
    j->next_offset = next;
    j->appended_offset = last;
    j->durable_offset = last;
    j->write_pos = good_end;
    j->durable_pos = good_end;
    j->live_bytes = live_bytes;
    j->state = JNL_READY;
    pthread_mutex_unlock(&j->mu);
    fy_log(FY_LOG_DEBUG, "store",
           "msg=\"journal replayed\" path=%s records=%" PRId64 " bytes=%" PRId64
           " live_bytes=%" PRId64 " next_offset=%" PRId64,
           j->path, n, good_end, live_bytes, next);
    rc = 0;
    *compact = good_end > j->compact_min &&
               (double)good_end > j->compact_ratio * (double)live_bytes;
    if (*compact)
        fy_log(FY_LOG_INFO, "store",
               "msg=\"compacting journal at open\" path=%s bytes=%" PRId64 " live_bytes=%" PRId64,
               j->path, good_end, live_bytes);
out:
    scan_destroy(&sc);
    return rc;
}

static int journal_replay(struct reg_store *st, reg_store_record_fn fn, void *arg,
                          struct fy_err *err)
{
    struct journal *j = journal_of(st);
    bool compact = false;
    pthread_mutex_lock(&j->append_mu);
    int rc;
    if (j->state != JNL_OPEN)
        rc = fy_err_set(err, FY_E_INTERNAL, "journal %s: replay called twice", j->path);
    else
        rc = do_replay(j, fn, arg, j->next_offset, &compact, err);
    pthread_mutex_unlock(&j->append_mu);
    if (rc == 0 && compact) {
        struct fy_err cerr = {0};
        if (journal_compact(st, &cerr) != 0) {
            /* the old journal is intact unless the store broke: go on without */
            fy_log(FY_LOG_WARN, "store", "msg=\"compaction at open failed\" path=%s reason=\"%s\"",
                   j->path, fy_err_text(&cerr));
            pthread_mutex_lock(&j->mu);
            if (j->state == JNL_BROKEN)
                rc = fy_err_set(err, cerr.code, "%s", cerr.msg);
            pthread_mutex_unlock(&j->mu);
        }
        fy_err_destroy(&cerr);
    }
    return rc;
}

/* ---- append and group commit ------------------------------------------------ */

/* After an fsync error the kernel may already have dropped the dirty pages it
 * failed to write and marked them clean, so a retried fsync can "succeed"
 * with the data lost (PostgreSQL's fsyncgate, 2018). We cannot know what is
 * on disk any more: the store refuses every later write and sync; a restart
 * replays whatever the file really holds. Locks: st->mu. */
static void set_broken(struct journal *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_broken(struct journal *j, const char *fmt, ...)
{
    if (j->state == JNL_BROKEN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->broken_msg, sizeof j->broken_msg, fmt, ap);
    va_end(ap);
    j->state = JNL_BROKEN;
    pthread_cond_broadcast(&j->cv);
    fy_log(FY_LOG_ERROR, "store",
           "msg=\"journal refuses writes from now on; restart to recover\" path=%s reason=\"%s\"",
           j->path, j->broken_msg);
}

static int broken_err(struct journal *j, struct fy_err *err)
{
    return fy_err_set(err, FY_E_IO, "journal %s refuses writes after an I/O error (%s)",
                      j->path, j->broken_msg);
}

static int journal_append(struct reg_store *st, struct reg_store_record *recs, size_t n,
                          int64_t *last_offset, struct fy_err *err)
{
    struct journal *j = journal_of(st);
    int rc = -1;
    pthread_mutex_lock(&j->append_mu);
    pthread_mutex_lock(&j->mu);
    enum jnl_state state = j->state;
    pthread_mutex_unlock(&j->mu);
    if (state == JNL_OPEN) {
        /* the contract says replay first; a caller that skipped it still must
         * not append after a torn tail, so replay without delivering */
        bool compact_ignored;
        if (do_replay(j, NULL, NULL, j->next_offset, &compact_ignored, err) != 0)
            goto out;
    }
    pthread_mutex_lock(&j->mu);
    if (j->state == JNL_BROKEN) {
        broken_err(j, err);
        pthread_mutex_unlock(&j->mu);
        goto out;
    }
    int64_t first = j->next_offset, pos = j->write_pos;
    struct jfile *jf = j->cur;
    if (n == 0) {
        if (last_offset)
            *last_offset = j->appended_offset;
        pthread_mutex_unlock(&j->mu);
        rc = 0;
        goto out;
    }
    pthread_mutex_unlock(&j->mu);

    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t vlen = recs[i].value ? recs[i].vlen : 0;
        if (recs[i].klen == 0 || recs[i].klen > REC_MAX_KEY || vlen > REC_MAX_VALUE) {
            fy_err_set(err, FY_E_INTERNAL,
                       "journal %s: record %zu has key length %zu, value length %zu "
                       "(limits 1..%u and %u)",
                       j->path, i, recs[i].klen, vlen, REC_MAX_KEY, REC_MAX_VALUE);
            goto out;
        }
        total += REC_HDR + recs[i].klen + vlen;
    }
    if (j->wcap < total || (j->wcap > SCAN_CHUNK && total <= SCAN_CHUNK)) {
        /* grow as needed; give back a huge buffer after a huge record */
        size_t cap = total > 65536 ? total : 65536;
        free(j->wbuf);
        j->wbuf = fy_malloc(cap);
        j->wcap = cap;
    }
    int64_t ts = now_ms();
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        recs[i].offset = first + (int64_t)i;
        recs[i].ts = ts;
        encode_record((unsigned char *)j->wbuf + at, &recs[i]);
        at += REC_HDR + recs[i].klen + (recs[i].value ? recs[i].vlen : 0);
    }
    /* one write per call; the bytes reach the page cache, durable after sync() */
    if (pwrite_all(jf->fd, j->wbuf, total, pos) != 0) {
        int e = errno;
        fy_err_set(err, FY_E_IO, "journal %s: write of %zu bytes at byte %" PRId64 " failed: %s",
                   j->path, total, pos, strerror(e));
        /* a partial record must not stay in front of the next append */
        if (ftruncate(jf->fd, (off_t)pos) != 0) {
            int te = errno;
            pthread_mutex_lock(&j->mu);
            set_broken(j, "write at byte %" PRId64 " failed (%s) and truncating back failed (%s)",
                       pos, strerror(e), strerror(te));
            pthread_mutex_unlock(&j->mu);
        }
        goto out;
    }
    int64_t live_delta = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t size = (uint32_t)(REC_HDR + recs[i].klen + (recs[i].value ? recs[i].vlen : 0));
        live_delta += (int64_t)size -
                      (int64_t)live_put(j->live, fy_hash_bytes(recs[i].key, recs[i].klen), size);
    }
    pthread_mutex_lock(&j->mu);
    j->live_bytes += live_delta;
    at = 0;
    for (size_t i = 0; i < n; i++) {
        jfile_index(jf, recs[i].offset, pos + (int64_t)at);
        at += REC_HDR + recs[i].klen + (recs[i].value ? recs[i].vlen : 0);
    }
    j->write_pos = pos + (int64_t)total;
    j->next_offset = first + (int64_t)n;
    j->appended_offset = first + (int64_t)n - 1;
    pthread_mutex_unlock(&j->mu);
    if (last_offset)
        *last_offset = first + (int64_t)n - 1;
    rc = 0;
out:
    pthread_mutex_unlock(&j->append_mu);
    return rc;
}

/* Group commit: the first waiter becomes the leader, notes how far appends
 * got, fsyncs without the mutex (appends go on meanwhile), publishes and
 * wakes everyone; the others wait. One fsync serves every record appended
 * before it started. */
static int journal_sync(struct reg_store *st, int64_t offset, struct fy_err *err)
{
    struct journal *j = journal_of(st);
    int rc = 0;
    pthread_mutex_lock(&j->mu);
    if (offset > j->appended_offset)
        offset = j->appended_offset; /* nothing beyond what was appended to wait for */
    for (;;) {
        if (j->durable_offset >= offset)
            break;
        if (j->state == JNL_BROKEN) {
            rc = broken_err(j, err);
            break;
        }
        if (j->syncing) {
            pthread_cond_wait(&j->cv, &j->mu);
            continue;
        }
        j->syncing = true;
        int64_t target_off = j->appended_offset, target_pos = j->write_pos;
        int fd = j->cur->fd; /* stable: a compaction swap waits for !syncing */
        int fault = j->fault_fsync;
        j->fault_fsync = 0;
        pthread_mutex_unlock(&j->mu);
        int frc = 0, e = 0;
        if (fault) {
            frc = -1;
            e = fault;
        } else if (j->fsync) {
            int64_t t0 = fy_metrics_now_ns();
            frc = fdatasync(fd);
            e = errno;
            fy_metric_observe(j->m_fsync, fy_metrics_now_ns() - t0);
        }
        pthread_mutex_lock(&j->mu);
        j->syncing = false;
        if (frc != 0)
            set_broken(j, "fsync of %s up to byte %" PRId64 " (offset %" PRId64 ") failed: %s",
                       j->path, target_pos, target_off, strerror(e));
        else if (target_off > j->durable_offset) {
            fy_metric_observe(j->m_batch, target_off - j->durable_offset);
            j->durable_offset = target_off;
            j->durable_pos = target_pos;
        }
        pthread_cond_broadcast(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

static int64_t journal_durable_offset(struct reg_store *st)
{
    struct journal *j = journal_of(st);
    pthread_mutex_lock(&j->mu);
    int64_t off = j->durable_offset;
    pthread_mutex_unlock(&j->mu);
    return off;
}

/* ---- change feed ------------------------------------------------------------ */

static int journal_read_from(struct reg_store *st, int64_t from, reg_store_record_fn fn,
                             void *arg, int64_t *next, struct fy_err *err)
{
    struct journal *j = journal_of(st);
    if (from < 0)
        from = 0;
    /* a consistent snapshot: the file generation, its durable end, and where
     * to start; the records are then read with no lock held */
    pthread_mutex_lock(&j->mu);
    struct jfile *jf = j->cur;
    jf->refs++;
    int64_t start = jfile_seek(jf, from);
    int64_t limit = j->durable_pos, limit_off = j->durable_offset;
    pthread_mutex_unlock(&j->mu);

    int64_t cont = from > limit_off + 1 ? from : limit_off + 1;
    int rc = 0;
    struct scanner sc;
    scan_init(&sc, jf->fd, j->path, start, limit);
    sc.chunk = FEED_CHUNK;
    for (;;) {
        struct reg_store_record rec;
        size_t total;
        const char *why = NULL;
        enum scan_rc r = scan_next(&sc, &rec, &total, &why, err);
        if (r == SCAN_END)
            break;
        if (r == SCAN_ERR) {
            rc = -1;
            cont = from;
            break;
        }
        if (r == SCAN_BAD) { /* durable bytes we wrote ourselves: only a bug or the disk */
            rc = fy_err_set(err, FY_E_CORRUPT, "journal %s: %s at byte %" PRId64, j->path, why,
                            scan_pos(&sc));
            cont = from;
            break;
        }
        if (rec.offset >= from) {
            if (fn(arg, &rec, err) != 0) {
                rc = -1;
                cont = rec.offset;
                break;
            }
            from = rec.offset + 1;
        }
        scan_skip(&sc, total);
    }
    scan_destroy(&sc);
    pthread_mutex_lock(&j->mu);
    jfile_release(jf);
    pthread_mutex_unlock(&j->mu);
    if (next)
        *next = cont;
    return rc;
}

/* ---- compaction ---------------------------------------------------------------- */

struct out_writer {
    int fd;
    const char *path;
    char *buf;
    size_t len, cap;
    int64_t pos; /* file position of buf[0] */
};

static int out_flush(struct out_writer *ow, struct fy_err *err)
{
    if (ow->len && pwrite_all(ow->fd, ow->buf, ow->len, ow->pos) != 0)
        return fy_err_set(err, FY_E_IO, "write of %s at byte %" PRId64 " failed: %s", ow->path,
                          ow->pos, strerror(errno));
    ow->pos += (int64_t)ow->len;
    ow->len = 0;
    return 0;
}

static int out_put(struct out_writer *ow, const void *p, size_t n, struct fy_err *err)
{
    if (ow->len + n > ow->cap && out_flush(ow, err) != 0)
        return -1;
    if (n > ow->cap) {
        if (pwrite_all(ow->fd, p, n, ow->pos) != 0)
            return fy_err_set(err, FY_E_IO, "write of %s at byte %" PRId64 " failed: %s",
                              ow->path, ow->pos, strerror(errno));
        ow->pos += (int64_t)n;
        return 0;
    }
    memcpy(ow->buf + ow->len, p, n);
    ow->len += n;
    return 0;
}

static int64_t out_tell(const struct out_writer *ow)
{
    return ow->pos + (int64_t)ow->len;
}

/* Call `fn` for each record of [from, to) of `fd` with the scanner positioned
 * on it (sc->buf + sc->off holds its `total` bytes); a bad record there is
 * corruption (compaction only reads what replay accepted). */
typedef int (*each_fn)(void *arg, const struct scanner *sc, const struct reg_store_record *rec,
                       size_t total, struct fy_err *err);

static int each_record(struct journal *j, int fd, int64_t from, int64_t to, each_fn fn, void *arg,
                       struct fy_err *err)
{
    struct scanner sc;
    scan_init(&sc, fd, j->path, from, to);
    int rc = -1;
    for (;;) {
        struct reg_store_record rec;
        size_t total;
        const char *why = NULL;
        enum scan_rc r = scan_next(&sc, &rec, &total, &why, err);
        if (r == SCAN_END)
            break;
        if (r == SCAN_ERR)
            goto out;
        if (r == SCAN_BAD) {
            fy_err_set(err, FY_E_CORRUPT, "journal %s: %s at byte %" PRId64 " while compacting",
                       j->path, why, scan_pos(&sc));
            goto out;
        }
        if (fn(arg, &sc, &rec, total, err) != 0)
            goto out;
        scan_skip(&sc, total);
    }
    rc = 0;
out:
    scan_destroy(&sc);
    return rc;
}

struct copy_state {
    const struct fy_map *latest; /* key -> position of its latest record; NULL = copy all */
    struct out_writer *ow;
    struct jfile *njf;
    size_t *kept;
};

static int copy_one(void *arg, const struct scanner *sc, const struct reg_store_record *rec,
                    size_t total, struct fy_err *err)
{
    struct copy_state *cs = arg;
    if (cs->latest &&
        (int64_t)(uintptr_t)fy_map_getn(cs->latest, rec->key, rec->klen) != scan_pos(sc))
        return 0;
    jfile_index(cs->njf, rec->offset, out_tell(cs->ow));
    if (out_put(cs->ow, sc->buf + sc->off, total, err) != 0)
        return -1;
    (*cs->kept)++;
    return 0;
}

/* Copy records of [from, to) of `fd` to ow; with `latest`, only each key's
 * latest record (latest maps key -> position of that record). */
static int copy_records(struct journal *j, int fd, int64_t from, int64_t to,
                        const struct fy_map *latest, struct out_writer *ow,
                        struct jfile *njf, size_t *kept, struct fy_err *err)
{
    struct copy_state cs = {latest, ow, njf, kept};
    return each_record(j, fd, from, to, copy_one, &cs, err);
}

struct latest_state {
    struct fy_map *latest;
    size_t *n_records;
};

static int note_latest(void *arg, const struct scanner *sc, const struct reg_store_record *rec,
                       size_t total, struct fy_err *err)
{
    (void)total;
    (void)err;
    struct latest_state *ls = arg;
    fy_map_putn(ls->latest, rec->key, rec->klen, (void *)(uintptr_t)scan_pos(sc));
    (*ls->n_records)++;
    return 0;
}

/* Each key's latest record position in [from, to). */
static int map_latest(struct journal *j, int fd, int64_t from, int64_t to, struct fy_map *latest,
                      size_t *n_records, struct fy_err *err)
{
    struct latest_state ls = {latest, n_records};
    return each_record(j, fd, from, to, note_latest, &ls, err);
}

/* Rewrite the journal keeping each key's latest record, tombstones included:
 * a tombstone is the only trace that a key was deleted, and change-feed
 * readers (the linker) and the id counters rebuilt at replay rely on seeing
 * it. Offsets are kept, so feed positions stay valid across a compaction.
 * The bulk runs with no lock (the prefix of the file below snap_pos never
 * changes); only the tail appended meanwhile, the fsync and the swap hold
 * append_mu, which is when appends wait. */
static int journal_compact(struct reg_store *st, struct fy_err *err)
{
    struct journal *j = journal_of(st);
    int rc = -1;
    struct fy_map latest;
    fy_map_init(&latest);
    struct out_writer ow = {.fd = -1, .path = j->tmp_path};
    struct jfile *old = NULL, *njf = NULL;
    bool appends_held = false, tmp_created = false;
    size_t n_records = 0, kept = 0;

    pthread_mutex_lock(&j->compact_mu);
    pthread_mutex_lock(&j->append_mu);
    pthread_mutex_lock(&j->mu);
    if (j->state != JNL_READY) {
        if (j->state == JNL_BROKEN)
            broken_err(j, err);
        else
            fy_err_set(err, FY_E_INTERNAL, "journal %s: compact called before replay", j->path);
        pthread_mutex_unlock(&j->mu);
        pthread_mutex_unlock(&j->append_mu);
        goto out;
    }
    old = j->cur;
    old->refs++;
    int64_t snap_pos = j->write_pos, floor = j->next_offset;
    pthread_mutex_unlock(&j->mu);
    pthread_mutex_unlock(&j->append_mu);

    /* phase 1, no lock: the stable prefix */
    if (map_latest(j, old->fd, JNL_FILE_HDR, snap_pos, &latest, &n_records, err) != 0)
        goto out;
    int fd = open(j->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fy_err_set(err, FY_E_IO, "cannot create %s: %s", j->tmp_path, strerror(errno));
        goto out;
    }
    tmp_created = true;
    njf = jfile_new(fd);
    ow.fd = fd;
    ow.cap = SCAN_CHUNK;
    ow.buf = fy_malloc(ow.cap);
    unsigned char h[JNL_FILE_HDR];
    encode_file_header(h, floor);
    if (out_put(&ow, h, sizeof h, err) != 0 ||
        copy_records(j, old->fd, JNL_FILE_HDR, snap_pos, &latest, &ow, njf, &kept, err) != 0)
        goto out;

    /* phase 2, appends wait: the tail appended meanwhile, verbatim */
    pthread_mutex_lock(&j->append_mu);
    appends_held = true;
    pthread_mutex_lock(&j->mu);
    int64_t end_pos = j->write_pos;
    pthread_mutex_unlock(&j->mu);
    size_t tail = 0;
    if (copy_records(j, old->fd, snap_pos, end_pos, NULL, &ow, njf, &tail, err) != 0 ||
        out_flush(&ow, err) != 0)
        goto out;
    n_records += tail;
    kept += tail;
    if (j->fsync && fdatasync(fd) != 0) {
        fy_err_set(err, FY_E_IO, "fsync of %s failed: %s", j->tmp_path, strerror(errno));
        goto out;
    }
    pthread_mutex_lock(&j->mu);
    while (j->syncing)
        pthread_cond_wait(&j->cv, &j->mu);
    if (j->state == JNL_BROKEN) {
        broken_err(j, err);
        pthread_mutex_unlock(&j->mu);
        goto out;
    }
    j->syncing = true; /* no fsync leader may start on the fd we swap */
    pthread_mutex_unlock(&j->mu);
    if (rename(j->tmp_path, j->path) != 0) {
        fy_err_set(err, FY_E_IO, "cannot rename %s to %s: %s", j->tmp_path, j->path,
                   strerror(errno));
        pthread_mutex_lock(&j->mu);
        j->syncing = false;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        goto out;
    }
    tmp_created = false;
    struct fy_err derr = {0};
    int drc = j->fsync ? fsync_dir(j->dir, &derr) : 0;
    pthread_mutex_lock(&j->mu);
    /* Both files hold every record, so the swap goes ahead either way; but a
     * failed directory fsync leaves us not knowing which one a crash would
     * show, and the fsyncgate rule applies. */
    if (drc != 0)
        set_broken(j, "%s", derr.msg);
    struct jfile *prev = j->cur;
    j->cur = njf;
    njf = NULL;
    j->write_pos = j->durable_pos = ow.pos;
    if (j->appended_offset > j->durable_offset)
        j->durable_offset = j->appended_offset; /* all of it is in the fsync'd new file */
    j->syncing = false;
    pthread_cond_broadcast(&j->cv);
    jfile_release(prev);
    pthread_mutex_unlock(&j->mu);
    if (drc != 0) {
        fy_err_set(err, FY_E_IO, "%s", derr.msg);
        goto out;
    }
    fy_log(FY_LOG_INFO, "store",
           "msg=\"journal compacted\" path=%s bytes_before=%" PRId64 " bytes_after=%" PRId64
           " records_before=%zu records_after=%zu",
           j->path, end_pos, ow.pos, n_records, kept);
    rc = 0;
out:
    if (appends_held)
        pthread_mutex_unlock(&j->append_mu);
    if (tmp_created)
        unlink(j->tmp_path);
    free(ow.buf);
    pthread_mutex_lock(&j->mu);
    jfile_release(njf);
    jfile_release(old);
    pthread_mutex_unlock(&j->mu);
    fy_map_destroy(&latest);
    pthread_mutex_unlock(&j->compact_mu);
    return rc;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void journal_collect(void *arg, struct fy_metrics_out *out);

static void journal_close(struct reg_store *st)
{
    struct journal *j = journal_of(st);
    if (j->metrics)
        fy_metrics_remove_collector(j->metrics, journal_collect, j);
    if (j->cur) {
        pthread_mutex_lock(&j->mu);
        bool pending = j->state == JNL_READY && j->appended_offset > j->durable_offset;
        int64_t last = j->appended_offset;
        pthread_mutex_unlock(&j->mu);
        struct fy_err err = {0};
        if (pending && journal_sync(st, last, &err) != 0)
            fy_log(FY_LOG_ERROR, "store", "msg=\"final journal sync failed\" reason=\"%s\"",
                   err.msg);
        fy_err_destroy(&err);
        pthread_mutex_lock(&j->mu);
        jfile_release(j->cur);
        j->cur = NULL;
        pthread_mutex_unlock(&j->mu);
    }
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->append_mu);
    pthread_mutex_destroy(&j->compact_mu);
    free(j->wbuf);
    if (j->live) {
        live_destroy(j->live);
        free(j->live);
    }
    free(j->dir);
    free(j->path);
    free(j->lock_path);
    free(j->tmp_path);
    free(j);
}

static const struct reg_store_ops journal_ops = {
    .replay = journal_replay,
    .append = journal_append,
    .sync = journal_sync,
    .durable_offset = journal_durable_offset,
    .read_from = journal_read_from,
    .compact = journal_compact,
    .compact_due = journal_compact_due,
    .close = journal_close,
};

/* ---- metrics ---------------------------------------------------------------- */

static void journal_collect(void *arg, struct fy_metrics_out *out)
{
    struct journal *j = arg;
    pthread_mutex_lock(&j->mu);
    int64_t size = j->write_pos, durable = j->durable_offset;
    int64_t live = j->live_bytes;
    bool broken = j->state == JNL_BROKEN;
    pthread_mutex_unlock(&j->mu);
    fy_metrics_out_one(out, "ferry_journal_size_bytes", FY_METRIC_GAUGE,
                       "Size of the journal file in bytes.", (double)size);
    fy_metrics_out_one(out, "ferry_journal_live_bytes", FY_METRIC_GAUGE,
                       "Bytes of the latest record of each key (what compaction keeps).",
                       (double)live);
    fy_metrics_out_one(out, "ferry_journal_durable_offset", FY_METRIC_GAUGE,
                       "Offset of the last durable (fsync'd) record; -1 when none.",
                       (double)durable);
    fy_metrics_out_one(out, "ferry_journal_broken", FY_METRIC_GAUGE,
                       "1 when the journal refuses writes after an I/O error.", broken ? 1 : 0);
}

static void journal_metrics_init(struct journal *j, struct fy_metrics *m)
{
    static const int64_t fsync_ns[] = {50000,     100000,    250000,    500000,     1000000,
                                       2500000,   5000000,   10000000,  25000000,   50000000,
                                       100000000, 250000000, 500000000, 1000000000, 2500000000,
                                       10000000000};
    static const int64_t batch[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    j->metrics = m;
    j->m_fsync = fy_metric_child(
        fy_metrics_family(m, FY_METRIC_HISTOGRAM, "ferry_journal_fsync_duration_seconds",
                          "Time one group-commit fsync (fdatasync) of the journal took.", NULL,
                          fsync_ns, sizeof fsync_ns / sizeof fsync_ns[0], 1e9),
        NULL);
    j->m_batch = fy_metric_child(
        fy_metrics_family(m, FY_METRIC_HISTOGRAM, "ferry_journal_group_commit_records",
                          "Records made durable by one group commit.", NULL, batch,
                          sizeof batch / sizeof batch[0], 1),
        NULL);
    fy_metrics_add_collector(m, journal_collect, j);
}

struct reg_store *reg_journal_open(const struct reg_journal_opts *opts, struct fy_err *err)
{
    if (!opts || !opts->dir || !opts->dir[0]) {
        fy_err_set(err, FY_E_CONFIG, "journal: no data directory given");
        return NULL;
    }
    struct journal *j = fy_calloc(1, sizeof *j);
    j->base.ops = &journal_ops;
    j->lock_fd = -1;
    j->dir = fy_strdup(opts->dir);
    j->path = fy_asprintf("%s/journal", opts->dir);
    j->lock_path = fy_asprintf("%s/LOCK", opts->dir);
    j->tmp_path = fy_asprintf("%s/journal.compact.tmp", opts->dir);
    j->fsync = opts->fsync;
    j->compact_ratio = opts->compact_ratio > 0 ? opts->compact_ratio : DEFAULT_COMPACT_RATIO;
    j->compact_min = opts->compact_min_bytes > 0 ? opts->compact_min_bytes : DEFAULT_COMPACT_MIN;
    pthread_mutex_init(&j->compact_mu, NULL);
    pthread_mutex_init(&j->append_mu, NULL);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->state = JNL_OPEN;
    j->appended_offset = j->durable_offset = -1;
    j->write_pos = j->durable_pos = JNL_FILE_HDR;

    int64_t floor = 0;
    if (mkdir_p(j->dir, err) != 0 || lock_dir(j, err) != 0)
        goto fail;
    /* a compaction that died before its rename left only a temp file */
    if (unlink(j->tmp_path) == 0)
        fy_log(FY_LOG_INFO, "store", "msg=\"removed unfinished compaction\" path=%s", j->tmp_path);
    char *repair_tmp = fy_asprintf("%s/journal.repair.tmp", j->dir);
    if (unlink(repair_tmp) == 0) /* a recovery that died before its rename */
        fy_log(FY_LOG_INFO, "store", "msg=\"removed unfinished recovery\" path=%s", repair_tmp);
    free(repair_tmp);
    if (open_journal_file(j, &floor, err) != 0)
        goto fail;
    j->next_offset = floor; /* raised past the last record by replay */
    if (opts->metrics)
        journal_metrics_init(j, opts->metrics);
    return &j->base;
fail:
    journal_close(&j->base);
    return NULL;
}

void reg_journal_fault_fsync(struct reg_store *st, int errnum)
{
    struct journal *j = journal_of(st);
    pthread_mutex_lock(&j->mu);
    j->fault_fsync = errnum;
    pthread_mutex_unlock(&j->mu);
}

/* ---- read-only inspection (ferry store check / repair --import) ----------------- */

int reg_journal_inspect(const char *path, bool raw_ok, const struct reg_journal_visit *v,
                        struct reg_journal_file_info *info, struct fy_err *err)
{
    struct reg_journal_file_info fi = {0};
    static const struct reg_journal_visit none = {0};
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fy_err_set(err, FY_E_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        fy_err_set(err, FY_E_IO, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    fi.size = sb.st_size;
    unsigned char h[JNL_FILE_HDR];
    ssize_t r = pread_full(fd, h, sizeof h, 0);
    if (r < 0) {
        fy_err_set(err, FY_E_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    fi.has_header = r == JNL_FILE_HDR && memcmp(h, JNL_MAGIC, 8) == 0;
    if (fi.has_header) {
        if (get_u32(h + 28) != fy_crc32c(0, h, 28)) {
            fy_err_set(err, FY_E_CORRUPT, "%s: file header checksum mismatch at byte 0", path);
            goto out;
        }
        if (get_u32(h + 8) != JNL_VERSION || get_u32(h + 12) != JNL_FILE_HDR) {
            fy_err_set(err, FY_E_CORRUPT, "%s: unsupported journal format version %" PRIu32,
                       path, get_u32(h + 8));
            goto out;
        }
        fi.floor = get_i64(h + 16);
    } else if (!raw_ok && fi.size > 0) { /* an empty file is an empty journal (open_journal_file) */
        fy_err_set(err, FY_E_CORRUPT, "%s is not a ferry journal (bad file header at byte 0)",
                   path);
        goto out;
    }
    if (info)
        *info = fi;
    rc = walk_records(fd, path, fi.has_header ? JNL_FILE_HDR : 0, fi.size, -1, v ? v : &none,
                      err);
out:
    close(fd);
    return rc;
}
