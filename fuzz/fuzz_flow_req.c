/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the request parsing of the funnel and paths endpoints
 * (flow.c: kv_parse and the checks of their parameters), against an empty
 * store. The first byte picks the endpoint (bit 0: funnel or paths) and the
 * form (bit 1: a JSON body; else a GET query string). Invariants: never
 * crashes; an error has a message, an answer is a JSON object; a query string
 * whose pairs can be written as JSON (names given once, "step" aside, no NUL
 * byte) gives the same answer or the same error as that JSON body; one with a NUL byte
 * (%00) is an error.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "empty_store.h"
#include "lib/url.h"
#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_store_t *store;

typedef struct answer {
    int rc;
    cn_buf_t out;
    cn_err_t err;
} answer_t;

static void run(cn_query_fn_t fn, cn_str_t in, bool is_json, answer_t *a)
{
    cn_store_snap_t *snap;
    if (cn_store_snapshot(store, &snap) != 0)
        abort();
    memset(a, 0, sizeof(*a));
    cn_buf_init(&a->out);
    a->rc = fn(NULL, store, snap, "f", in, is_json, 1795920000000000, &a->out, &a->err);
    cn_store_snap_release(snap);
    if (a->rc != 0 && a->err.msg[0] == '\0')
        abort();
    if (a->rc == 0 && (a->out.len < 2 || a->out.ptr[0] != '{' || a->out.ptr[a->out.len - 1] != '}'))
        abort();
}

/* The query string's pairs as a JSON object (repeated step= as "steps"), or NULL when they
 * cannot be written as one: a name given twice, a NUL byte (*nul set), a name "steps". */
static char *as_json(cn_str_t in, bool *nul)
{
    json_t *o = json_object(), *steps = NULL;
    cn_str_t rest = in, n, v;
    bool eq, ok = true;
    *nul = false;
    while (ok && cn_query_next(&rest, &n, &v, &eq)) {
        char *kb = malloc(n.len + 1), *vb = malloc(v.len + 1);
        size_t kl = cn_url_decode_to(n, kb), vl = cn_url_decode_to(v, vb);
        kb[kl] = vb[vl] = '\0';
        *nul = strlen(kb) != kl || strlen(vb) != vl;
        ok = !*nul && strcmp(kb, "steps") != 0;
        if (ok && strcmp(kb, "step") == 0) {
            if (steps == NULL) {
                steps = json_array();
                json_object_set_new(o, "steps", steps);
            }
            ok = json_array_append_new(steps, json_stringn(vb, vl)) == 0;
        } else if (ok && json_object_get(o, kb) == NULL) {
            /* a value that is no UTF-8 has no JSON form: json_stringn() gives NULL */
            json_t *s = json_stringn(vb, vl);
            ok = s != NULL && json_object_setn_new(o, kb, kl, s) == 0;
        } else {
            ok = false;
        }
        free(kb);
        free(vb);
    }
    char *text = ok ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store = fuzz_empty_store("flow");
    if (size == 0)
        return 0;
    cn_query_fn_t fn = data[0] & 1 ? cn_paths_json : cn_funnel_json;
    bool is_json = data[0] & 2;
    cn_str_t in = cn_str((const char *)data + 1, size - 1);
    answer_t a;
    run(fn, in, is_json, &a);
    bool nul = false;
    char *json = is_json ? NULL : as_json(in, &nul);
    /* a NUL byte (%00) is an error, never text cut where it is */
    if (nul && a.rc == 0)
        abort();
    if (json != NULL) {
        answer_t b;
        run(fn, cn_str_c(json), true, &b);
        if (a.rc != b.rc)
            abort();
        if (a.rc == 0 && (a.out.len != b.out.len || memcmp(a.out.ptr, b.out.ptr, a.out.len) != 0))
            abort();
        if (a.rc != 0 && strcmp(a.err.msg, b.err.msg) != 0)
            abort();
        cn_buf_dispose(&b.out);
        free(json);
    }
    cn_buf_dispose(&a.out);
    return 0;
}
