/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What was imported: <data>/import/state, a small text file with one line
 * per file imported (docs/import.md):
 *
 *   # canton import state v2 ...
 *   <xxh64 of the first prefix_len bytes, hex> <prefix_len> <size> <offset>
 *       <lines> <done> <segment> <seg_offset> <count> <path>
 *
 * (one line; v1 files, with only the first four fields and the path, are
 * still read: their entries were written once a file was imported to its
 * end, so they count as done.) A file is known by the hash of its first
 * 64 KiB (or all of it when it is smaller), not by its name, so a renamed or
 * rotated file is still recognised; a file that grew keeps its prefix and
 * resumes at offset. An import in progress saves its entry (done 0) about
 * twice a second, after syncing the hitlog, with the hitlog position of the
 * last batch it covers (segment, seg_offset, count) for the tail check of
 * docs/import.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "import/internal.h"
#include "lib/xalloc.h"

typedef struct entry {
    uint64_t hash;
    uint32_t prefix_len;
    uint64_t size;
    cn_import_progress_t prog;
    char *path;
} entry_t;

struct cn_import_state {
    char *file;
    entry_t *e;
    size_t count;
};

static int hash_prefix(const char *path, uint32_t len, uint64_t *out, cn_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    char *buf = cn_xmalloc(len ? len : 1);
    size_t have = 0;
    while (have < len) {
        ssize_t r = read(fd, buf + have, len - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    close(fd);
    int rc = 0;
    if (have != len)
        rc = cn_err_set(err, -EIO, "%s: shorter than expected", path);
    else
        *out = XXH64(buf, len, 0);
    free(buf);
    return rc;
}

int cn_import_ident(const char *path, cn_import_ident_t *out, cn_err_t *err)
{
    if (strcmp(path, "-") == 0)
        return cn_err_set(err, CN_EUNSUPPORTED, "stdin has no identity");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return cn_err_set(err, CN_EUNSUPPORTED, "%s: not a regular file", path);
    out->size = (uint64_t)sb.st_size;
    out->prefix_len =
        out->size < CN_IMPORT_IDENT_PREFIX ? (uint32_t)out->size : CN_IMPORT_IDENT_PREFIX;
    return hash_prefix(path, out->prefix_len, &out->prefix_hash, err);
}

int cn_import_state_load(const char *dir, cn_import_state_t **out, cn_err_t *err)
{
    cn_import_state_t *st = cn_xcalloc(1, sizeof(*st));
    size_t n = strlen(dir) + 8;
    st->file = cn_xmalloc(n);
    snprintf(st->file, n, "%s/state", dir);
    FILE *f = fopen(st->file, "r");
    if (f == NULL) {
        if (errno == ENOENT) {
            *out = st;
            return 0;
        }
        int e = errno;
        cn_import_state_free(st);
        return cn_err_set(err, -e, "%s/state: %s", dir, strerror(e));
    }
    char line[8192];
    int lineno = 0, rc = 0, version = 1;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (lineno == 1 && strncmp(line, "# canton import state v2", 24) == 0)
            version = 2;
        if (len == 0 || line[0] == '#')
            continue;
        entry_t e = {0};
        int used = 0, ok;
        unsigned plen, done = 1;
        if (version == 1) {
            ok = sscanf(line, "%" SCNx64 " %u %" SCNu64 " %" SCNu64 " %n", &e.hash, &plen, &e.size,
                        &e.prog.offset, &used) == 4;
        } else {
            uint32_t seg;
            ok = sscanf(line,
                        "%" SCNx64 " %u %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %" SCNu32 " %" SCNu64
                        " %" SCNu64 " %n",
                        &e.hash, &plen, &e.size, &e.prog.offset, &e.prog.lines, &done, &seg,
                        &e.prog.last_batch.offset, &e.prog.last_count, &used) == 9;
            e.prog.last_batch.segment = seg;
        }
        if (!ok || used == 0 || plen > CN_IMPORT_IDENT_PREFIX || done > 1) {
            rc = cn_err_set(err, CN_ECORRUPT, "%s:%d: not an import state line", st->file, lineno);
            break;
        }
        e.prefix_len = plen;
        e.prog.done = done == 1;
        e.path = cn_xstrdup(line + used);
        st->e = cn_xrealloc(st->e, (st->count + 1) * sizeof(entry_t));
        st->e[st->count++] = e;
    }
    fclose(f);
    if (rc != 0) {
        cn_import_state_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

/* The entry for this file, or -1. */
static long find(const cn_import_state_t *st, const char *path, const cn_import_ident_t *id)
{
    for (size_t i = 0; i < st->count; i++) {
        const entry_t *e = &st->e[i];
        if (e->prefix_len == id->prefix_len && e->hash == id->prefix_hash)
            return (long)i;
    }
    /*
     * A file that was smaller than the identity prefix and has grown since. Not an empty
     * one: its prefix (no bytes) is every file's (state files written before empty files
     * were left out can hold one; it would take a grown file back to offset 0).
     */
    for (size_t i = 0; i < st->count; i++) {
        const entry_t *e = &st->e[i];
        uint64_t h;
        if (e->prefix_len > 0 && e->prefix_len < id->prefix_len && e->size <= id->size &&
            hash_prefix(path, e->prefix_len, &h, NULL) == 0 && h == e->hash)
            return (long)i;
    }
    return -1;
}

bool cn_import_state_get(const cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         cn_import_progress_t *out, bool *out_unchanged)
{
    long i = find(st, path, id);
    if (out != NULL) {
        if (i >= 0)
            *out = st->e[i].prog;
        else
            memset(out, 0, sizeof(*out));
    }
    if (out_unchanged != NULL)
        *out_unchanged = i >= 0 && st->e[i].prog.done && st->e[i].size == id->size;
    return i >= 0;
}

uint64_t cn_import_state_offset(const cn_import_state_t *st, const char *path,
                                const cn_import_ident_t *id, bool *out_unchanged)
{
    cn_import_progress_t prog;
    cn_import_state_get(st, path, id, &prog, out_unchanged);
    return prog.offset;
}

void cn_import_state_put(cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         const cn_import_progress_t *prog)
{
    if (id->size == 0)
        return; /* an empty file: nothing imported, nothing to know it by */
    long i = find(st, path, id);
    if (i < 0) {
        st->e = cn_xrealloc(st->e, (st->count + 1) * sizeof(entry_t));
        i = (long)st->count++;
        st->e[i].path = NULL;
    }
    entry_t *e = &st->e[i];
    free(e->path);
    e->hash = id->prefix_hash;
    e->prefix_len = id->prefix_len;
    e->size = id->size;
    e->prog = *prog;
    e->path = cn_xstrdup(path);
    for (char *c = e->path; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = '?';
}

void cn_import_state_set(cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         uint64_t offset)
{
    cn_import_progress_t prog = {.offset = offset, .done = true};
    cn_import_state_put(st, path, id, &prog);
}

int cn_import_state_save(const cn_import_state_t *st, cn_err_t *err)
{
    size_t n = strlen(st->file) + 8;
    char *tmp = cn_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", st->file);
    int rc = 0;
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        rc = cn_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(f, "# canton import state v2: xxh64(prefix) prefix_len size offset lines done "
               "hitlog_segment hitlog_offset records path\n");
    for (size_t i = 0; i < st->count; i++) {
        const entry_t *e = &st->e[i];
        fprintf(f,
                "%016" PRIx64 " %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %" PRIu32 " %" PRIu64
                " %" PRIu64 " %s\n",
                e->hash, e->prefix_len, e->size, e->prog.offset, e->prog.lines,
                e->prog.done ? 1 : 0, e->prog.last_batch.segment, e->prog.last_batch.offset,
                e->prog.last_count, e->path);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = cn_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0 || rename(tmp, st->file) != 0) {
        rc = cn_err_set(err, -errno, "%s: %s", st->file, strerror(errno));
        goto out;
    }
    /* make the rename durable: fsync the folder */
    char *slash = strrchr(tmp, '/');
    if (slash != NULL)
        *slash = '\0';
    int dfd =
        open(slash != NULL ? (slash == tmp ? "/" : tmp) : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0)
        rc = cn_err_set(err, -errno, "%s: fsync of its folder: %s", st->file, strerror(errno));
    if (dfd >= 0)
        close(dfd);
out:
    free(tmp);
    return rc;
}

void cn_import_state_free(cn_import_state_t *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->count; i++)
        free(st->e[i].path);
    free(st->e);
    free(st->file);
    free(st);
}
