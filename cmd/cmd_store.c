/* SPDX-License-Identifier: Apache-2.0
 * cmd_store: `ferry store check|repair` — the operator's tools for a damaged
 * embedded journal (registry/reg_store_journal.c). `check` reads the journal
 * with the replay rules and changes nothing; `repair` opens the store (the
 * data-dir lock, so never beside a running server), which resynchronises past
 * damage and sets the damaged bytes aside, and with `--import FILE` appends
 * the valid records of a set-aside file that the journal lacks, never over a
 * newer value. Format and rules: docs/internals/journal.md.
 * Thread: main thread only. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_map.h"
#include "registry/reg_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: ferry store check  --data-dir DIR [--json]\n"
          "       ferry store repair --data-dir DIR [--import FILE] [--json]\n"
          "\n"
          "check   reads DIR/journal without changing anything and reports its records\n"
          "        (per key type), every damaged byte range, the records that could be\n"
          "        identified inside one, a torn tail, and the journal.corrupt-* files\n"
          "        that hold bytes set aside earlier. Safe while a server runs.\n"
          "repair  opens the store as the server does at start (refused while a server\n"
          "        holds DIR): every valid record is kept, each damaged range is moved\n"
          "        to a journal.corrupt-* file, the journal is rewritten and fsync'd.\n"
          "        With --import FILE (a journal.corrupt-* file, or a copy of a journal),\n"
          "        then appends each valid record of FILE whose key the journal does not\n"
          "        hold at a newer offset; records already there, or older than what is\n"
          "        there, are skipped, and so is a schema whose id now means another\n"
          "        schema. Both lists are reported.\n"
          "\n"
          "options:\n"
          "  --data-dir DIR  the server's ferry.data.dir\n"
          "  --import FILE   (repair) re-import the valid records of FILE\n"
          "  --json          print the report as one JSON object\n"
          "  --help          this text\n"
          "\n"
          "exit status:\n"
          "  0  check: clean (a torn tail is normal after a crash: the next open cuts it);\n"
          "     repair: the journal is clean now (and the import, if any, was done)\n"
          "  1  check: damage found (ranges, or a damaged file header); repair: the\n"
          "     journal could not be repaired\n"
          "  2  bad command line, I/O error, or DIR is in use by a running ferry\n",
          f);
}

/* ---- what a scan found ------------------------------------------------------- */

/* A key (or any bytes) as a JSON string: as is when it is UTF-8, else with
 * the bytes that are not printable ASCII written \xNN. **new** */
static json_t *bytes_json(const char *p, size_t len)
{
    json_t *s = json_stringn(p, len);
    if (s)
        return s;
    char *out = fy_malloc(len * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f)
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
    }
    s = json_stringn(out, o);
    free(out);
    return s;
}

/* The "keytype" of a record key, or "(unparsed)". **new** */
static char *key_type(const char *key, size_t klen)
{
    json_t *k = json_loadb(key, klen, 0, NULL);
    const char *t = json_string_value(json_object_get(k, "keytype"));
    char *out = fy_strdup(t ? t : "(unparsed)");
    json_decref(k);
    return out;
}

/* The latest record of one key in the journal. */
struct latest {
    int64_t offset, ts;
    char *value; /* NULL = tombstone */
    size_t vlen;
};

struct findings {
    size_t records, tombstones;
    int64_t last_offset;
    json_t *by_type; /* keytype -> count */
    json_t *damage;  /* [{byte, length, reason, ...}] */
    json_t *inside;  /* [{range_byte, byte, offset, key}] */
    size_t ranges;   /* damaged ranges that are not a plain torn tail */
    bool torn_tail;
    int64_t damaged_bytes;
    struct fy_map *latest; /* optional: key -> struct latest */
};

static void findings_init(struct findings *fd)
{
    memset(fd, 0, sizeof *fd);
    fd->last_offset = -1;
    fd->by_type = json_object();
    fd->damage = json_array();
    fd->inside = json_array();
}

static void latest_free_all(struct fy_map *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(m, &it, &k, &v)) {
        struct latest *l = v;
        free(l->value);
        free(l);
    }
    fy_map_destroy(m);
}

static void findings_destroy(struct findings *fd)
{
    json_decref(fd->by_type);
    json_decref(fd->damage);
    json_decref(fd->inside);
}

static void note_latest(struct fy_map *m, const struct reg_store_record *rec)
{
    struct latest *l = fy_map_getn(m, rec->key, rec->klen);
    if (!l) {
        l = fy_calloc(1, sizeof *l);
        fy_map_putn(m, rec->key, rec->klen, l);
    }
    free(l->value);
    l->offset = rec->offset;
    l->ts = rec->ts;
    l->value = rec->value ? fy_strndup(rec->value, rec->vlen) : NULL;
    l->vlen = rec->value ? rec->vlen : 0;
}

static int on_record(void *arg, const struct reg_store_record *rec, int64_t pos, size_t len,
                     struct fy_err *err)
{
    (void)pos;
    (void)len;
    (void)err;
    struct findings *fd = arg;
    fd->records++;
    if (!rec->value)
        fd->tombstones++;
    fd->last_offset = rec->offset;
    char *t = key_type(rec->key, rec->klen);
    json_object_set_new(fd->by_type, t,
                        json_integer(json_integer_value(json_object_get(fd->by_type, t)) + 1));
    free(t);
    if (fd->latest)
        note_latest(fd->latest, rec);
    return 0;
}

static int on_inside(void *arg, int64_t range_pos, const struct reg_store_record *rec, int64_t pos,
                     struct fy_err *err)
{
    (void)err;
    struct findings *fd = arg;
    json_array_append_new(fd->inside, json_pack("{sI sI sI so}", "range_byte", (json_int_t)range_pos,
                                                 "byte", (json_int_t)pos, "offset",
                                                 (json_int_t)rec->offset, "key",
                                                 bytes_json(rec->key, rec->klen)));
    return 0;
}

static int on_damage(void *arg, const struct reg_journal_damage *d, struct fy_err *err)
{
    (void)err;
    struct findings *fd = arg;
    json_t *o = json_pack("{sI sI ss sb sb sI sI sI sI}", "byte", (json_int_t)d->pos, "length",
                          (json_int_t)d->len, "reason", d->why, "tail", d->tail, "torn", d->torn,
                          "offset_before", (json_int_t)d->offset_before, "offset_after",
                          (json_int_t)d->offset_after, "claimed_offset",
                          (json_int_t)d->claimed_offset, "records_inside",
                          (json_int_t)d->n_inside);
    if (d->claimed_klen > 0) /* unverified: what the damaged record's header says */
        json_object_set_new(o, "claimed_key", bytes_json(d->claimed_key, d->claimed_klen));
    json_array_append_new(fd->damage, o);
    if (d->torn)
        fd->torn_tail = true;
    else
        fd->ranges++;
    fd->damaged_bytes += d->len;
    return 0;
}

/* Scan `path` into `fd` (raw_ok: see reg_journal_inspect). */
static int scan_file(const char *path, bool raw_ok, struct findings *fd,
                     struct reg_journal_file_info *fi, struct fy_err *err)
{
    struct reg_journal_visit v = {on_record, on_inside, on_damage, fd};
    return reg_journal_inspect(path, raw_ok, &v, fi, err);
}

static json_t *findings_json(const struct findings *fd, const struct reg_journal_file_info *fi)
{
    return json_pack("{sI sI sI sI sO sI sb sI sO sO}", "bytes", (json_int_t)fi->size, "records",
                     (json_int_t)fd->records, "tombstones", (json_int_t)fd->tombstones,
                     "last_offset", (json_int_t)fd->last_offset, "records_by_keytype",
                     fd->by_type, "damaged_ranges", (json_int_t)fd->ranges, "torn_tail",
                     fd->torn_tail, "damaged_bytes", (json_int_t)fd->damaged_bytes, "damage",
                     fd->damage, "records_inside_damage", fd->inside);
}

/* The journal.corrupt-* files of `dir`, with their size and the checksummed
 * records each holds. **new** array */
static json_t *set_aside_files(const char *dir)
{
    json_t *arr = json_array();
    DIR *dh = opendir(dir);
    if (!dh)
        return arr;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (strncmp(e->d_name, "journal.corrupt-", 16) != 0)
            continue;
        char *p = fy_asprintf("%s/%s", dir, e->d_name);
        struct findings fd;
        findings_init(&fd);
        struct reg_journal_file_info fi = {0};
        struct fy_err err = {0};
        json_t *o = json_pack("{ss}", "file", e->d_name);
        if (scan_file(p, true, &fd, &fi, &err) == 0) {
            json_object_set_new(o, "bytes", json_integer(fi.size));
            json_object_set_new(o, "valid_records",
                                json_integer((json_int_t)(fd.records + json_array_size(fd.inside))));
        } else {
            json_object_set_new(o, "error", json_string(fy_err_text(&err)));
        }
        json_array_append_new(arr, o);
        findings_destroy(&fd);
        fy_err_destroy(&err);
        free(p);
    }
    closedir(dh);
    return arr;
}

/* Does a process hold the data dir's lock? (a shared lock conflicts with the
 * server's exclusive one; a missing LOCK file means nobody). */
static bool dir_in_use(const char *dir)
{
    char *p = fy_asprintf("%s/LOCK", dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    free(p);
    if (fd < 0)
        return false;
    bool busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

/* ---- readable reports -------------------------------------------------------- */

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void print_findings(json_t *j, FILE *f)
{
    fprintf(f, "  %" JSON_INTEGER_FORMAT " bytes, %" JSON_INTEGER_FORMAT " valid records (%"
            JSON_INTEGER_FORMAT " tombstones), last offset %" JSON_INTEGER_FORMAT "\n",
            num(j, "bytes"), num(j, "records"), num(j, "tombstones"), num(j, "last_offset"));
    const char *t;
    json_t *v;
    json_object_foreach(json_object_get(j, "records_by_keytype"), t, v)
        fprintf(f, "    %-16s %" JSON_INTEGER_FORMAT "\n", t, json_integer_value(v));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(j, "damage"), i, d)
    {
        if (json_is_true(json_object_get(d, "torn")))
            fprintf(f, "  torn tail at byte %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
                    " bytes, %s): an append cut short by a crash, cut at open\n",
                    num(d, "byte"), num(d, "length"), json_string_value(json_object_get(d, "reason")));
        else
            fprintf(f, "  DAMAGED bytes %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT
                    " (%" JSON_INTEGER_FORMAT " bytes, %s)%s: between offsets %"
                    JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT
                    "; damaged record claims offset %" JSON_INTEGER_FORMAT " key %s"
                    "; %" JSON_INTEGER_FORMAT " whole records inside\n",
                    num(d, "byte"), num(d, "byte") + num(d, "length"), num(d, "length"),
                    json_string_value(json_object_get(d, "reason")),
                    json_is_true(json_object_get(d, "tail")) ? " at the end" : "",
                    num(d, "offset_before"), num(d, "offset_after"), num(d, "claimed_offset"),
                    json_object_get(d, "claimed_key")
                        ? json_string_value(json_object_get(d, "claimed_key"))
                        : "(unreadable)",
                    num(d, "records_inside"));
    }
    json_array_foreach(json_object_get(j, "records_inside_damage"), i, d)
        fprintf(f, "    inside: record at byte %" JSON_INTEGER_FORMAT ", offset %"
                JSON_INTEGER_FORMAT ", key %s\n",
                num(d, "byte"), num(d, "offset"), json_string_value(json_object_get(d, "key")));
}

static void print_files(json_t *files, FILE *f)
{
    size_t i;
    json_t *o;
    json_array_foreach(files, i, o)
    {
        if (json_object_get(o, "error"))
            fprintf(f, "  set aside: %s (%s)\n", json_string_value(json_object_get(o, "file")),
                    json_string_value(json_object_get(o, "error")));
        else
            fprintf(f, "  set aside: %s, %" JSON_INTEGER_FORMAT " bytes, %" JSON_INTEGER_FORMAT
                    " valid records (ferry store repair --import can re-import them)\n",
                    json_string_value(json_object_get(o, "file")), num(o, "bytes"),
                    num(o, "valid_records"));
    }
}

static void print_check(json_t *rep, FILE *f)
{
    fprintf(f, "journal %s: %s\n", json_string_value(json_object_get(rep, "journal")),
            json_string_value(json_object_get(rep, "status")));
    if (json_object_get(rep, "error"))
        fprintf(f, "  %s\n", json_string_value(json_object_get(rep, "error")));
    if (json_object_get(rep, "found"))
        print_findings(json_object_get(rep, "found"), f);
    print_files(json_object_get(rep, "set_aside_files"), f);
    if (json_is_true(json_object_get(rep, "in_use")))
        fprintf(f, "  the data dir is in use by a running ferry\n");
}

static void print_list(json_t *arr, const char *what, FILE *f)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        const char *why = json_string_value(json_object_get(o, "reason"));
        fprintf(f, "  %s offset %" JSON_INTEGER_FORMAT " key %s%s%s\n", what, num(o, "offset"),
                json_string_value(json_object_get(o, "key")), why ? ": " : "", why ? why : "");
    }
}

static void print_repair(json_t *rep, FILE *f)
{
    fprintf(f, "repair of %s: %s\n", json_string_value(json_object_get(rep, "journal")),
            json_string_value(json_object_get(rep, "status")));
    if (json_object_get(rep, "error"))
        fprintf(f, "  %s\n", json_string_value(json_object_get(rep, "error")));
    if (json_object_get(rep, "found")) {
        fprintf(f, " before:\n");
        print_findings(json_object_get(rep, "found"), f);
    }
    if (json_object_get(rep, "after")) {
        fprintf(f, " after:\n");
        print_findings(json_object_get(rep, "after"), f);
    }
    print_files(json_object_get(rep, "set_aside_now"), f);
    json_t *imp = json_object_get(rep, "import");
    if (imp) {
        fprintf(f, " import of %s: %" JSON_INTEGER_FORMAT " imported, %" JSON_INTEGER_FORMAT
                " skipped\n",
                json_string_value(json_object_get(imp, "file")),
                (json_int_t)json_array_size(json_object_get(imp, "imported")),
                (json_int_t)json_array_size(json_object_get(imp, "skipped")));
        print_list(json_object_get(imp, "imported"), "imported", f);
        print_list(json_object_get(imp, "skipped"), "skipped", f);
    }
}

/* ---- check ---------------------------------------------------------------------- */

static int store_check(const char *dir, bool as_json)
{
    char *jpath = fy_asprintf("%s/journal", dir);
    struct findings fd;
    findings_init(&fd);
    struct reg_journal_file_info fi = {0};
    struct fy_err err = {0};
    json_t *rep = json_pack("{ss sb}", "journal", jpath, "in_use", dir_in_use(dir));
    int status;
    if (scan_file(jpath, false, &fd, &fi, &err) != 0) {
        status = err.code == FY_E_CORRUPT ? 1 : 2;
        json_object_set_new(rep, "status", json_string(status == 1 ? "damaged" : "error"));
        json_object_set_new(rep, "error", json_string(fy_err_text(&err)));
    } else {
        status = fd.ranges > 0 ? 1 : 0;
        json_object_set_new(rep, "status", json_string(status ? "damaged" : fd.torn_tail
                                                                    ? "clean (torn tail)"
                                                                    : "clean"));
        json_object_set_new(rep, "found", findings_json(&fd, &fi));
    }
    json_object_set_new(rep, "set_aside_files", set_aside_files(dir));
    cmd_report_print(rep, as_json, print_check);
    json_decref(rep);
    findings_destroy(&fd);
    fy_err_destroy(&err);
    free(jpath);
    return status;
}

/* ---- repair and import ------------------------------------------------------------ */

/* A record found in the file to import (copied). */
struct found {
    char *key, *value; /* value NULL = tombstone */
    size_t klen, vlen;
    int64_t offset, ts;
};

struct found_list {
    struct found *v;
    size_t n, cap;
};

static void found_add(struct found_list *fl, const struct reg_store_record *rec)
{
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 64;
        fl->v = fy_realloc(fl->v, fl->cap * sizeof *fl->v);
    }
    struct found *f = &fl->v[fl->n++];
    f->key = fy_strndup(rec->key, rec->klen);
    f->klen = rec->klen;
    f->value = rec->value ? fy_strndup(rec->value, rec->vlen) : NULL;
    f->vlen = rec->value ? rec->vlen : 0;
    f->offset = rec->offset;
    f->ts = rec->ts;
}

static int found_record(void *arg, const struct reg_store_record *rec, int64_t pos, size_t len,
                        struct fy_err *err)
{
    (void)pos;
    (void)len;
    (void)err;
    found_add(arg, rec);
    return 0;
}

static int found_inside(void *arg, int64_t range_pos, const struct reg_store_record *rec,
                        int64_t pos, struct fy_err *err)
{
    (void)range_pos;
    (void)pos;
    (void)err;
    found_add(arg, rec);
    return 0;
}

static int cmp_found(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Context of a qualified subject (":.ctx:name" -> ".ctx"; "" = default). **new** */
static char *subject_context(const char *subject)
{
    if (subject[0] == ':' && subject[1] == '.') {
        const char *end = strchr(subject + 1, ':');
        if (end)
            return fy_strndup(subject + 1, (size_t)(end - subject - 1));
    }
    return fy_strdup("");
}

/* "<context> <id>" of a SCHEMA value, and its schema text (borrowed from *v,
 * which is **new**). NULL when the value is not a schema with an id. */
static char *schema_id_key(const char *value, size_t vlen, json_t **v, const char **schema)
{
    *v = json_loadb(value, vlen, 0, NULL);
    const char *subject = json_string_value(json_object_get(*v, "subject"));
    json_t *id = json_object_get(*v, "id");
    *schema = json_string_value(json_object_get(*v, "schema"));
    if (!subject || !json_is_integer(id) || !*schema)
        return NULL;
    char *ctx = subject_context(subject);
    char *k = fy_asprintf("%s %" JSON_INTEGER_FORMAT, ctx, json_integer_value(id));
    free(ctx);
    return k;
}

/* Schema text per "<context> <id>" and the highest offset of any record per
 * subject, from the journal's latest records. Values **new** strings / int64. */
struct present {
    struct fy_map ids;     /* "<ctx> <id>" -> char *schema */
    struct fy_map subject; /* subject -> struct latest (highest offset and ts, no value) */
};

static void present_note(struct present *pr, const char *key, size_t klen, const struct latest *l)
{
    json_t *k = json_loadb(key, klen, 0, NULL);
    const char *type = json_string_value(json_object_get(k, "keytype"));
    const char *subject = json_string_value(json_object_get(k, "subject"));
    const char *value = l->value;
    size_t vlen = l->vlen;
    if (subject) {
        struct latest *sl = fy_map_get(&pr->subject, subject);
        if (!sl) {
            sl = fy_calloc(1, sizeof *sl);
            sl->offset = sl->ts = -1;
            fy_map_put(&pr->subject, subject, sl);
        }
        if (l->offset > sl->offset)
            sl->offset = l->offset;
        if (l->ts > sl->ts)
            sl->ts = l->ts;
    }
    if (type && strcmp(type, "SCHEMA") == 0 && value) {
        json_t *v = NULL;
        const char *schema = NULL;
        char *idk = schema_id_key(value, vlen, &v, &schema);
        if (idk && !fy_map_get(&pr->ids, idk))
            fy_map_put(&pr->ids, idk, fy_strdup(schema));
        free(idk);
        json_decref(v);
    }
    json_decref(k);
}

static void present_destroy(struct present *pr)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(&pr->ids, &it, &k, &v))
        free(v);
    fy_map_destroy(&pr->ids);
    latest_free_all(&pr->subject);
}

/* Why the salvaged record `f` must not be appended, or NULL to import it. */
static const char *skip_reason(const struct found *f, struct fy_map *latest, struct present *pr)
{
    struct latest *l = fy_map_getn(latest, f->key, f->klen);
    if (l && (l->value == NULL) == (f->value == NULL) && l->vlen == f->vlen &&
        (!f->value || memcmp(l->value, f->value, f->vlen) == 0))
        return "already present (same key, same value)";
    /* newer by offset or by time: an older ferry could hand out an offset again
     * after cutting a journal, the clock cannot go back that far */
    if (l && (l->offset > f->offset || l->ts > f->ts))
        return "the journal holds a newer value of this key";
    if (!l && !f->value)
        return "a deletion of a key the journal does not hold";
    json_t *k = json_loadb(f->key, f->klen, 0, NULL);
    const char *type = json_string_value(json_object_get(k, "keytype"));
    const char *subject = json_string_value(json_object_get(k, "subject"));
    const char *why = NULL;
    const struct latest *sl;
    if (!type) {
        why = "not a registry record key";
    } else if ((strcmp(type, "DELETE_SUBJECT") == 0 || strcmp(type, "CLEAR_SUBJECT") == 0) &&
               subject && (sl = fy_map_get(&pr->subject, subject)) != NULL &&
               (sl->offset > f->offset || sl->ts > f->ts)) {
        /* a deletion applies to the versions there when it is read: re-applied
         * now it could delete versions registered after it */
        why = "the subject changed after this deletion";
    } else if (strcmp(type, "SCHEMA") == 0 && f->value) {
        json_t *v = NULL;
        const char *schema = NULL;
        char *idk = schema_id_key(f->value, f->vlen, &v, &schema);
        const char *now = idk ? fy_map_get(&pr->ids, idk) : NULL;
        if (now && strcmp(now, schema) != 0)
            why = "its id now belongs to another schema";
        free(idk);
        json_decref(v);
    }
    json_decref(k);
    return why;
}

static json_t *found_json(const struct found *f, const char *reason)
{
    json_t *o = json_pack("{sI so}", "offset", (json_int_t)f->offset, "key",
                          bytes_json(f->key, f->klen));
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    return o;
}

/* Append the records of `file` that the journal lacks (see skip_reason). */
static int import_file(struct reg_store *st, const char *file, struct fy_map *latest, json_t *rep,
                       struct fy_err *err)
{
    struct found_list fl = {0};
    struct present pr;
    fy_map_init(&pr.ids);
    fy_map_init(&pr.subject);
    struct reg_store_record *recs = NULL;
    json_t *imported = json_array(), *skipped = json_array();
    int rc = -1;
    struct reg_journal_visit v = {found_record, found_inside, NULL, &fl};
    if (reg_journal_inspect(file, true, &v, NULL, err) != 0)
        goto out;
    if (fl.n > 1)
        qsort(fl.v, fl.n, sizeof *fl.v, cmp_found);
    size_t it = 0;
    const char *k;
    void *val;
    while (fy_map_next(latest, &it, &k, &val)) {
        present_note(&pr, k, strlen(k), val);
    }
    /* only the latest record of each key in the file counts */
    struct fy_map last_in_file;
    fy_map_init(&last_in_file);
    for (size_t i = 0; i < fl.n; i++)
        fy_map_putn(&last_in_file, fl.v[i].key, fl.v[i].klen, (void *)(uintptr_t)(i + 1));
    recs = fy_calloc(fl.n ? fl.n : 1, sizeof *recs);
    size_t n = 0;
    for (size_t i = 0; i < fl.n; i++) {
        const struct found *f = &fl.v[i];
        if ((uintptr_t)fy_map_getn(&last_in_file, f->key, f->klen) != i + 1) {
            json_array_append_new(skipped,
                                  found_json(f, "a newer record of this key is in the same file"));
            continue;
        }
        const char *why = skip_reason(f, latest, &pr);
        if (why) {
            json_array_append_new(skipped, found_json(f, why));
            continue;
        }
        recs[n++] = (struct reg_store_record){.key = f->key, .klen = f->klen, .value = f->value,
                                              .vlen = f->vlen};
        json_array_append_new(imported, found_json(f, NULL));
    }
    fy_map_destroy(&last_in_file);
    int64_t last = -1;
    if (n > 0 && (reg_store_append(st, recs, n, &last, err) != 0 ||
                  reg_store_sync(st, last, err) != 0))
        goto out;
    json_object_set_new(rep, "import", json_pack("{ss sO sO}", "file", file, "imported", imported,
                                                 "skipped", skipped));
    rc = 0;
out:
    json_decref(imported);
    json_decref(skipped);
    free(recs);
    for (size_t i = 0; i < fl.n; i++) {
        free(fl.v[i].key);
        free(fl.v[i].value);
    }
    free(fl.v);
    present_destroy(&pr);
    return rc;
}

static int replay_latest(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    note_latest(arg, rec);
    return 0;
}

static int store_repair(const char *dir, const char *import, bool as_json)
{
    char *jpath = fy_asprintf("%s/journal", dir);
    struct fy_err err = {0};
    struct findings before, after;
    findings_init(&before);
    findings_init(&after);
    struct fy_map latest;
    fy_map_init(&latest);
    struct reg_journal_file_info fi = {0};
    json_t *rep = json_pack("{ss}", "journal", jpath);
    int status = 2;
    /* the lock first: nothing below runs beside a server */
    struct reg_journal_opts o = {.dir = dir, .fsync = true};
    struct stat sb;
    struct reg_store *st = NULL;
    /* no journal: only an import makes sense (into a new one: the way back
     * from a damaged file header, docs/internals/journal.md) */
    if (stat(jpath, &sb) != 0 && (errno != ENOENT || !import)) {
        fy_err_set(&err, FY_E_IO, "cannot stat %s: %s", jpath, strerror(errno));
        goto out;
    }
    st = reg_journal_open(&o, &err);
    if (!st) {
        if (err.code == FY_E_CORRUPT) /* the file header: see "damaged file header" in the docs */
            status = 1;
        goto out;
    }
    status = 1; /* from here on a failure means the journal could not be repaired */
    if (scan_file(jpath, false, &before, &fi, &err) != 0)
        goto out;
    json_object_set_new(rep, "found", findings_json(&before, &fi));
    if (reg_store_replay(st, replay_latest, &latest, &err) != 0 ||
        scan_file(jpath, false, &after, &fi, &err) != 0)
        goto out;
    json_object_set_new(rep, "after", findings_json(&after, &fi));
    if (after.ranges > 0 || after.torn_tail) {
        fy_err_set(&err, FY_E_CORRUPT, "%s is still damaged after the repair", jpath);
        goto out;
    }
    status = 2; /* the import: reading FILE or appending */
    if (import && import_file(st, import, &latest, rep, &err) != 0)
        goto out;
    status = 0;
out:
    reg_store_close(st);
    json_object_set_new(rep, "status",
                        json_string(status == 0 ? (before.ranges || before.torn_tail ? "repaired"
                                                                                    : "clean")
                                                : "failed"));
    if (err.code != FY_OK)
        json_object_set_new(rep, "error", json_string(fy_err_text(&err)));
    json_object_set_new(rep, "set_aside_now", set_aside_files(dir));
    cmd_report_print(rep, as_json, print_repair);
    json_decref(rep);
    findings_destroy(&before);
    findings_destroy(&after);
    latest_free_all(&latest);
    fy_err_destroy(&err);
    free(jpath);
    return status;
}

int cmd_store(int argc, char **argv)
{
    if (argc < 1 || (strcmp(argv[0], "check") != 0 && strcmp(argv[0], "repair") != 0)) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    bool repair = strcmp(argv[0], "repair") == 0;
    const char *dir = NULL, *import = NULL;
    bool as_json = false;
    const struct cmd_flag flags[] = {{"--data-dir", &dir, NULL},
                                     {"--import", &import, NULL},
                                     {"--json", NULL, &as_json}};
    int frc = cmd_flags_parse("store", argc - 1, argv + 1, flags, sizeof flags / sizeof flags[0],
                              usage);
    if (frc != 0)
        return frc > 0 ? 0 : 2;
    if (!dir || (import && !repair)) {
        fprintf(stderr, "ferry store: %s\n",
                !dir ? "--data-dir DIR is required" : "--import is a repair option");
        usage(stderr);
        return 2;
    }
    /* the journal's own log lines (what was set aside) go to stderr */
    return repair ? store_repair(dir, import, as_json) : store_check(dir, as_json);
}
