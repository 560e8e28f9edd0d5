/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the store writer's interning fast paths (dict.c). The input is
 * a stream of rows of strings for three columns, two of them on one
 * dictionary; each row is interned through the columns' caches, with
 * cn_store__dict_intern_many (a row) or cn_store__dict_intern_cached (one
 * value), and every id must be the one the hash table alone gives
 * (cn_store__dict_intern on a second dictionary), whatever the strings'
 * lengths, repeats, near-repeats (one byte changed, a string cut or grown)
 * and cache evictions. Each string is copied to a fresh allocation of its
 * exact length, so that a read past it is caught.
 *
 * Input: records of a control byte c, then (c >> 4) & 3 selects the string:
 * 0: a length byte and that many input bytes (at most 40); 1: the column's
 * previous string with its byte at (next byte) set to (the byte after);
 * 2: the previous string cut or grown by one byte; 3: the previous string
 * again. c & 3 is the column (3: the empty string, column 0); c & 4 ends the
 * row; c & 8 interns the row one value at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STR 40
#define MAX_ROW 6

typedef struct value {
    char *p; /* exact-size copy (NULL for "") */
    size_t len;
    int col;
} value_t;

static void check_row(cn_store__dict_t *const *dicts, cn_store__dict_t *const *refs,
                      cn_store__dict_cache_t (*cache)[1u << CN_STORE__DICT_CACHE_BITS],
                      value_t *row, size_t n, bool one_by_one)
{
    static const int dict_of[3] = {0, 0, 1}; /* columns 0 and 1 share a dictionary */
    cn_store__dict_req_t req[MAX_ROW];
    uint32_t got[MAX_ROW], want[MAX_ROW];
    size_t nreq = 0;
    for (size_t k = 0; k < n; k++) {
        cn_str_t s = cn_str(row[k].p ? row[k].p : "", row[k].len);
        if (one_by_one || s.len == 0) {
            if (cn_store__dict_intern_cached(dicts[dict_of[row[k].col]], s, cache[row[k].col],
                                             &got[k]) != 0)
                abort();
        } else {
            /* cn_store__dict_intern_many takes non-empty strings only */
            req[nreq++] =
                (cn_store__dict_req_t){dicts[dict_of[row[k].col]], s, cache[row[k].col], &got[k]};
        }
    }
    if (nreq > 0 && cn_store__dict_intern_many(req, nreq) != 0)
        abort();
    /* the ids the table gives, in row order (many gives them in row order too) */
    for (size_t k = 0; k < n; k++) {
        cn_str_t s = cn_str(row[k].p ? row[k].p : "", row[k].len);
        if (cn_store__dict_intern(refs[dict_of[row[k].col]], s, &want[k]) != 0)
            abort();
        if (got[k] != want[k])
            abort();
        if (!cn_str_eq(cn_store__dict_str(dicts[dict_of[row[k].col]], got[k]), s))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_store__dict_t *dicts[2] = {cn_store__dict_new("a"), cn_store__dict_new("b")};
    cn_store__dict_t *refs[2] = {cn_store__dict_new("a"), cn_store__dict_new("b")};
    static cn_store__dict_cache_t cache[3][1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    char prev[3][MAX_STR + 1];
    size_t prev_len[3] = {0, 0, 0};
    value_t row[MAX_ROW];
    size_t n = 0;
    size_t i = 0;
    while (i < size) {
        uint8_t c = data[i++];
        int col = c & 3;
        char s[MAX_STR + 1];
        size_t len = 0;
        if (col == 3) {
            col = 0;
        } else {
            size_t pl = prev_len[col];
            memcpy(s, prev[col], pl);
            len = pl;
            switch ((c >> 4) & 3) {
            case 0:
                len = i < size ? data[i++] % (MAX_STR + 1) : 0;
                if (len > size - i)
                    len = size - i;
                memcpy(s, data + i, len);
                i += len;
                break;
            case 1:
                if (len > 0 && i + 1 < size) {
                    s[data[i] % len] = (char)data[i + 1];
                    i += 2;
                }
                break;
            case 2:
                if (len < MAX_STR && i < size && (data[i] & 1))
                    s[len++] = (char)data[i];
                else if (len > 0)
                    len--;
                i += i < size;
                break;
            default:
                break;
            }
            memcpy(prev[col], s, len);
            prev_len[col] = len;
        }
        row[n].col = col;
        row[n].len = len;
        row[n].p = NULL;
        if (len > 0) {
            row[n].p = malloc(len);
            memcpy(row[n].p, s, len);
        }
        n++;
        if ((c & 4) || n == MAX_ROW || i >= size) {
            check_row(dicts, refs, cache, row, n, (c & 8) != 0);
            for (size_t k = 0; k < n; k++)
                free(row[k].p);
            n = 0;
        }
    }
    for (int d = 0; d < 2; d++) {
        if (cn_store__dict_len(dicts[d]) != cn_store__dict_len(refs[d]))
            abort();
        cn_store__dict_free(dicts[d]);
        cn_store__dict_free(refs[d]);
    }
    return 0;
}
