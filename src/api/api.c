/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reporting API: routes, tokens, and the query worker pool that keeps
 * reports off the event loop. See api.h and docs/api.md.
 */
#include "api/api.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/url.h"
#include "lib/xalloc.h"
#include "query/query.h"

typedef struct api_suite {
    const cn_suite_conf_t *conf;
    cn_store_t *store;
    char **tokens; /* from the config and the tokens file */
    size_t token_count;
    cn_query_ctx_t *qctx; /* decoded-column cache and threads of this suite's queries */
} api_suite_t;

typedef enum job_kind {
    JOB_REPORT,
    JOB_FUNNEL,
    JOB_PATHS,
    JOB_REALTIME,
} job_kind_t;

typedef struct job job_t;
typedef struct batch batch_t;
struct job {
    job_t *next;
    cn_api_t *api;
    job_kind_t kind;
    api_suite_t *suite;
    char *query; /* copies: the request may go away while the job runs */
    char *body;
    size_t body_len;
    bool is_post;
    cn_http_defer_t *defer; /* a request of its own; NULL for a batch's item */
    batch_t *batch;         /* the batch this job is an item of, or NULL */
    int status;
    cn_buf_t out;
};

/* POST /api/v1/batch: its items (answered on the loop or queued as jobs), answered together. */
struct batch {
    cn_http_defer_t *defer;
    job_t **items;
    size_t count;
    size_t pending;    /* queued items not done yet, under cn_api.lock */
    const char *suite; /* the suite of items without suite=, or NULL */
    int64_t start_us;
};

/* The most requests one batch may hold. */
#define BATCH_MAX 32

struct cn_api {
    api_suite_t *suites;
    size_t suite_count;
    pthread_t *threads;
    unsigned thread_count;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job_t *head, *tail;
    bool stopping;
};

/* --- Tokens --- */

static void load_tokens(cn_api_t *api, const char *data_dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tokens", data_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        char suite[128], token[256];
        if (line[0] == '#' || sscanf(line, "%127s %255s", suite, token) != 2)
            continue;
        for (size_t i = 0; i < api->suite_count; i++) {
            api_suite_t *s = &api->suites[i];
            if (strcmp(s->conf->id, suite) == 0) {
                s->tokens = cn_xrealloc(s->tokens, (s->token_count + 1) * sizeof(char *));
                s->tokens[s->token_count++] = cn_xstrdup(token);
            }
        }
    }
    fclose(f);
}

int cn_api_token_create(const char *data_dir, const char *suite, char out[65], cn_err_t *err)
{
    unsigned char raw[32];
    if (sodium_init() < 0)
        return cn_err_set(err, CN_EINVAL, "libsodium failed to start");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, 65, raw, sizeof(raw));
    char path[4096];
    snprintf(path, sizeof(path), "%s/tokens", data_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    char line[256];
    int n = snprintf(line, sizeof(line), "%s %s\n", suite, out);
    int rc = 0;
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
        rc = cn_err_set(err, -EIO, "%s: write failed", path);
    close(fd);
    return rc;
}

/* Constant-time comparison of a presented token with the suite's tokens. */
static bool token_ok(const api_suite_t *s, cn_str_t token)
{
    if (s->token_count == 0)
        return true;
    bool ok = false;
    for (size_t i = 0; i < s->token_count; i++) {
        size_t n = strlen(s->tokens[i]);
        if (n == token.len && sodium_memcmp(s->tokens[i], token.ptr, n) == 0)
            ok = true;
    }
    return ok;
}

/* --- Replies --- */

static void reply_json(cn_http_req_t *req, int status, cn_str_t body)
{
    cn_http_add_header(req, "cache-control", CN_STR_LIT("no-store"));
    cn_http_reply_copy(req, status, "application/json; charset=utf-8", body);
}

static void reply_error(cn_http_req_t *req, int status, const char *msg)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append_c(&b, "{\"error\":");
    cn_buf_append_json_str(&b, cn_str_c(msg));
    cn_buf_putc(&b, '}');
    reply_json(req, status, cn_buf_str(&b));
    cn_buf_dispose(&b);
}

static int error_status(int rc)
{
    return rc == CN_EPARSE || rc == CN_EINVAL || rc == CN_ETOOBIG ? 400
           : rc == CN_ENOTFOUND                                   ? 404
                                                                  : 500;
}

/* --- Workers --- */

/* Threads one query uses: the machine's two cores (docs/api.md "Speed"). */
#define QUERY_THREADS 2

/* The suite's decoded-column cache budget: suite key query_cache_mb in MiB
 * (0 turns the cache off), else CN_QUERY_CACHE_DEFAULT. */
static int cache_budget(const cn_suite_conf_t *conf, size_t *out, cn_err_t *err)
{
    const char *v = cn_conf_suite_get(conf, "query_cache_mb");
    int64_t mb;
    *out = CN_QUERY_CACHE_DEFAULT;
    if (v == NULL)
        return 0;
    if (cn_str_to_i64(cn_str_c(v), &mb) != 0 || mb < 0 || mb > ((int64_t)1 << 30))
        return cn_err_set(err, CN_ECONFIG,
                          "[suite %s] query_cache_mb: '%s' is not a size in MiB (0 to 1073741824)",
                          conf->id, v);
    *out = (size_t)mb << 20;
    return 0;
}

int cn_api_check_suite_conf(const cn_suite_conf_t *suite, cn_err_t *err)
{
    size_t budget;
    return cache_budget(suite, &budget, err);
}

static void run_job(job_t *j)
{
    cn_err_t err = {0};
    cn_store_snap_t *snap = NULL;
    int rc = cn_store_snapshot(j->suite->store, &snap);
    int64_t now = cn_time_now_us();
    if (rc != 0) {
        cn_err_set(&err, rc, "cannot read the store: %s", cn_strerror(rc));
    } else if (j->kind == JOB_REPORT) {
        cn_report_req_t req;
        cn_report_req_init_suite(&req, j->suite->conf);
        rc = j->is_post
                 ? cn_report_req_parse_json(&req, cn_str(j->body, j->body_len), j->suite->store,
                                            now, &err)
                 : cn_report_req_parse_params(&req, cn_str_c(j->query), j->suite->store, now, &err);
        if (rc == 0) {
            snprintf(req.suite, sizeof(req.suite), "%s", j->suite->conf->id);
            cn_report_t *r;
            rc = cn_report_run_ctx(j->suite->qctx, j->suite->store, snap, &req, &r, &err);
            if (rc == 0) {
                cn_report_to_json(r, &req, &j->out);
                cn_report_free(r);
            }
        }
        cn_report_req_dispose(&req);
    } else {
        cn_query_fn_t fn = j->kind == JOB_FUNNEL  ? cn_funnel_json
                           : j->kind == JOB_PATHS ? cn_paths_json
                                                  : cn_realtime_json;
        rc = fn(j->suite->qctx, j->suite->store, snap, j->suite->conf->id,
                j->is_post ? cn_str(j->body, j->body_len) : cn_str_c(j->query), j->is_post, now,
                &j->out, &err);
    }
    if (snap != NULL)
        cn_store_snap_release(snap);
    if (rc != 0) {
        cn_buf_clear(&j->out);
        cn_buf_append_c(&j->out, "{\"error\":");
        cn_buf_append_json_str(&j->out, cn_str_c(cn_err_msg(&err, rc)));
        cn_buf_putc(&j->out, '}');
        j->status = error_status(rc);
    } else {
        j->status = 200;
    }
}

static void *worker(void *arg)
{
    cn_api_t *api = arg;
    for (;;) {
        pthread_mutex_lock(&api->lock);
        while (api->head == NULL && !api->stopping)
            pthread_cond_wait(&api->cond, &api->lock);
        job_t *j = api->head;
        if (j != NULL) {
            api->head = j->next;
            if (api->head == NULL)
                api->tail = NULL;
        }
        pthread_mutex_unlock(&api->lock);
        if (j == NULL)
            return NULL; /* stopping and nothing left */
        run_job(j);
        if (j->batch == NULL) {
            cn_http_defer_post(j->defer, j->status);
            continue;
        }
        /* The last item of a batch to finish answers it. */
        batch_t *b = j->batch;
        pthread_mutex_lock(&api->lock);
        bool last = --b->pending == 0;
        pthread_mutex_unlock(&api->lock);
        if (last)
            cn_http_defer_post(b->defer, 200);
    }
}

static void job_free(job_t *j)
{
    free(j->query);
    free(j->body);
    cn_buf_dispose(&j->out);
    free(j);
}

static void on_resume(void *ud, cn_http_req_t *req, int status)
{
    job_t *j = ud;
    if (req != NULL)
        reply_json(req, status, cn_buf_str(&j->out));
    job_free(j);
}

/* --- Routing --- */

static api_suite_t *find_suite(cn_api_t *api, cn_str_t id)
{
    for (size_t i = 0; i < api->suite_count; i++) {
        if (cn_str_eq_c(id, api->suites[i].conf->id))
            return &api->suites[i];
    }
    return NULL;
}

/* The raw (encoded) value of a query parameter, decoded into the request's memory. */
static cn_str_t param(cn_http_req_t *req, cn_str_t query, const char *name)
{
    cn_str_t rest = query, n, v;
    bool eq;
    while (cn_query_next(&rest, &n, &v, &eq)) {
        if (cn_str_eq_c(n, name)) {
            char *dst = cn_http_req_alloc(req, v.len + 1);
            size_t len = cn_url_decode_to(v, dst);
            return cn_str(dst, len);
        }
    }
    return CN_STR_NULL;
}

/* The suite named by ?suite= or by the JSON body's "suite"; the only suite by default. */
static api_suite_t *request_suite(cn_api_t *api, cn_http_req_t *req, cn_str_t query, cn_str_t body,
                                  bool is_post, cn_str_t *out_id)
{
    cn_str_t id = param(req, query, "suite");
    if (id.ptr == NULL && is_post && body.len > 0) {
        json_error_t jerr;
        json_t *j = json_loadb(body.ptr, body.len, 0, &jerr);
        const char *s = json_string_value(json_object_get(j, "suite"));
        if (s != NULL) {
            size_t n = strlen(s);
            char *copy = cn_http_req_alloc(req, n + 1);
            memcpy(copy, s, n + 1);
            id = cn_str(copy, n);
        }
        json_decref(j);
    }
    *out_id = id;
    if (id.ptr == NULL)
        return api->suite_count == 1 ? &api->suites[0] : NULL;
    return find_suite(api, id);
}

static cn_str_t bearer(cn_http_req_t *req, cn_str_t query)
{
    cn_str_t auth = cn_http_req_header(req, CN_STR_LIT("authorization"));
    if (auth.len > 7 && cn_str_eq_nocase(cn_str(auth.ptr, 7), CN_STR_LIT("bearer ")))
        return cn_str_trim(cn_str(auth.ptr + 7, auth.len - 7));
    return param(req, query, "token");
}

/*
 * Checks the parameters of an endpoint that takes only those of allowed (NULL-ended) and
 * token, each once, as reports do: 0, or 400 with msg set naming the first one that is not
 * (docs/api.md: an unknown parameter is a 400, not ignored).
 */
static int check_params(cn_str_t query, const char *const *allowed, char *msg, size_t size)
{
    cn_str_t rest = query, n, v;
    bool eq;
    int status = 0;
    while (status == 0 && cn_query_next(&rest, &n, &v, &eq)) {
        char *name = cn_xmalloc(n.len + 1);
        size_t len = cn_url_decode_to(n, name);
        name[len] = '\0';
        bool known = strlen(name) == len && strcmp(name, "token") == 0;
        for (size_t i = 0; strlen(name) == len && !known && allowed[i] != NULL; i++)
            known = strcmp(name, allowed[i]) == 0;
        if (!known) {
            snprintf(msg, size, "unknown parameter '%.64s'", name);
            status = 400;
        }
        cn_str_t again = rest, n2, v2;
        while (status == 0 && cn_query_next(&again, &n2, &v2, &eq)) {
            char *name2 = cn_xmalloc(n2.len + 1);
            size_t len2 = cn_url_decode_to(n2, name2);
            if (len2 == len && memcmp(name, name2, len) == 0) {
                snprintf(msg, size, "'%s' is given twice (give it once)", name);
                status = 400;
            }
            free(name2);
        }
        free(name);
    }
    return status;
}

/* GET /api/v1/suites: the suites this token may read; an unknown parameter is a 400. Returns
 * the HTTP status. */
static int suites_json(const cn_api_t *api, cn_str_t query, cn_str_t token, cn_buf_t *b)
{
    static const char *const allowed[] = {NULL};
    char msg[160];
    if (check_params(query, allowed, msg, sizeof(msg)) != 0) {
        cn_buf_append_c(b, "{\"error\":");
        cn_buf_append_json_str(b, cn_str_c(msg));
        cn_buf_putc(b, '}');
        return 400;
    }
    cn_buf_append_c(b, "{\"suites\":[");
    size_t n = 0;
    for (size_t i = 0; i < api->suite_count; i++) {
        const api_suite_t *s = &api->suites[i];
        if (!token_ok(s, token))
            continue;
        cn_buf_append_c(b, n++ ? ",{\"id\":" : "{\"id\":");
        cn_buf_append_json_str(b, cn_str_c(s->conf->id));
        cn_buf_append_c(b, ",\"name\":");
        cn_buf_append_json_str(b, cn_str_c(s->conf->name));
        cn_buf_append_c(b, ",\"timezone\":");
        cn_buf_append_json_str(b, cn_str_c(s->conf->timezone));
        cn_buf_append_c(b, ",\"currency\":");
        cn_buf_append_json_str(b, cn_str_c(s->conf->currency));
        cn_buf_append_c(b, ",\"home_country\":");
        cn_buf_append_json_str(b, cn_str_c(s->conf->home_country));
        /* the events the suite defines, as the catalogue lists them (names, money or not) */
        cn_buf_append_c(b, ",\"events\":[");
        cn_query_events_json(s->conf, true, b);
        cn_buf_putc(b, ']');
        cn_store_stats_t st;
        cn_store_stats(s->store, &st);
        cn_buf_printf(b, ",\"hits\":%llu,\"visits\":%llu,\"visitors\":%llu}",
                      (unsigned long long)st.hits, (unsigned long long)st.visits,
                      (unsigned long long)st.visitors);
    }
    cn_buf_append_c(b, "]}");
    return 200;
}

/*
 * GET /api/v1/catalog into out: the catalogue; with suite=ID, the suite's own events too (their
 * names and whether they are money), for a token that may read the suite, as its reports need.
 * Returns the HTTP status; out then holds the answer or {"error":...}.
 */
static int catalog_json(cn_api_t *api, cn_http_req_t *req, cn_str_t query, cn_str_t token,
                        cn_buf_t *out)
{
    static const char *const allowed[] = {"suite", NULL};
    char tmp[160];
    int status = check_params(query, allowed, tmp, sizeof(tmp));
    const char *msg = status != 0 ? tmp : NULL;
    cn_str_t id = param(req, query, "suite");
    if (msg == NULL && id.ptr == NULL) {
        cn_catalog_to_json(NULL, out);
        return 200;
    }
    api_suite_t *s = NULL;
    if (msg == NULL && (s = find_suite(api, id)) == NULL) {
        snprintf(tmp, sizeof(tmp), "unknown suite '%.*s'", (int)(id.len > 64 ? 64 : id.len),
                 id.ptr);
        msg = tmp;
        status = 404;
    } else if (msg == NULL && !token_ok(s, token)) {
        msg = token.len ? "this token does not grant access to the suite"
                        : "this suite needs a token: Authorization: Bearer <token>";
        status = 401;
    }
    if (msg != NULL) {
        cn_buf_append_c(out, "{\"error\":");
        cn_buf_append_json_str(out, cn_str_c(msg));
        cn_buf_putc(out, '}');
        return status;
    }
    cn_catalog_to_json(s->conf, out);
    return 200;
}

/* The endpoints that run a query on a worker; false for any other name. */
static bool query_kind(cn_str_t name, job_kind_t *kind)
{
    if (cn_str_eq_c(name, "report"))
        *kind = JOB_REPORT;
    else if (cn_str_eq_c(name, "funnel"))
        *kind = JOB_FUNNEL;
    else if (cn_str_eq_c(name, "paths"))
        *kind = JOB_PATHS;
    else if (cn_str_eq_c(name, "realtime"))
        *kind = JOB_REALTIME;
    else
        return false;
    return true;
}

#define UNKNOWN_ENDPOINT                                                                           \
    "unknown endpoint (suites, catalog, report, funnel, paths, realtime, batch)"
/* inside a batch: the endpoints a batch may hold */
#define UNKNOWN_BATCH_ENDPOINT                                                                     \
    "unknown endpoint in a batch (suites, catalog, report, funnel, paths, realtime)"

static job_t *job_new(cn_api_t *api, job_kind_t kind, api_suite_t *s, cn_str_t query, cn_str_t body,
                      bool is_post)
{
    job_t *j = cn_xcalloc(1, sizeof(*j));
    j->api = api;
    j->kind = kind;
    j->suite = s;
    j->is_post = is_post;
    j->query = cn_xstrndup(query.ptr ? query.ptr : "", query.len);
    j->body = cn_xstrndup(body.ptr ? body.ptr : "", body.len);
    j->body_len = body.len;
    return j;
}

/* Appends jobs[0..n) to the queue and wakes the workers (one lock for all of a batch). */
static void enqueue(cn_api_t *api, job_t **jobs, size_t n, batch_t *b, size_t pending)
{
    pthread_mutex_lock(&api->lock);
    if (b != NULL)
        b->pending = pending;
    for (size_t i = 0; i < n; i++) {
        job_t *j = jobs[i];
        if (j == NULL)
            continue;
        j->next = NULL;
        if (api->tail)
            api->tail->next = j;
        else
            api->head = j;
        api->tail = j;
    }
    pthread_cond_broadcast(&api->cond);
    pthread_mutex_unlock(&api->lock);
}

/* An answer known at once: status and a JSON body in j->out. */
static void job_answer(job_t *j, int status, const char *error)
{
    j->status = status;
    if (error != NULL) {
        cn_buf_clear(&j->out);
        cn_buf_append_c(&j->out, "{\"error\":");
        cn_buf_append_json_str(&j->out, cn_str_c(error));
        cn_buf_putc(&j->out, '}');
    }
}

/* The first suite this token may read (the first of /suites), or NULL. */
static api_suite_t *first_readable(cn_api_t *api, cn_str_t token)
{
    for (size_t i = 0; i < api->suite_count; i++) {
        if (token_ok(&api->suites[i], token))
            return &api->suites[i];
    }
    return NULL;
}

/*
 * One request of a batch, "NAME?QUERY" as after "/api/v1/" in a GET: a job
 * answered at once (status set) or one to queue (status 0).
 */
static job_t *batch_item(cn_api_t *api, cn_http_req_t *req, cn_str_t token, cn_str_t item,
                         api_suite_t *dflt)
{
    cn_str_t name, query = cn_str_split(item, '?', &name);
    if (cn_str_starts_with(name, CN_STR_LIT("/api/v1/")))
        name = cn_str(name.ptr + 8, name.len - 8);
    job_kind_t kind = JOB_REPORT;
    bool is_query = query_kind(name, &kind);
    job_t *j = job_new(api, kind, NULL, query, CN_STR_NULL, false);
    if (cn_str_eq_c(name, "catalog")) {
        job_answer(j, catalog_json(api, req, query, token, &j->out), NULL);
    } else if (cn_str_eq_c(name, "suites")) {
        job_answer(j, suites_json(api, query, token, &j->out), NULL);
    } else if (cn_str_eq_c(name, "batch")) {
        /* listed among the endpoints, but one batch does not run another */
        job_answer(j, 400, "a batch cannot hold a batch: list its requests in this one");
    } else if (!is_query) {
        job_answer(j, 404, UNKNOWN_BATCH_ENDPOINT);
    } else {
        cn_str_t id = param(req, query, "suite");
        api_suite_t *s = id.ptr ? find_suite(api, id) : dflt;
        char msg[160];
        if (s == NULL) {
            snprintf(msg, sizeof(msg), id.ptr ? "unknown suite '%.*s'" : "no suite to read%.*s",
                     (int)(id.len > 64 ? 64 : id.len), id.ptr ? id.ptr : "");
            job_answer(j, id.ptr || api->suite_count == 0 ? 404 : 401, msg);
        } else if (!token_ok(s, token)) {
            job_answer(j, 401,
                       token.len ? "this token does not grant access to the suite"
                                 : "this suite needs a token: Authorization: Bearer <token>");
        } else {
            j->suite = s;
        }
    }
    return j;
}

static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < b->count; i++)
        job_free(b->items[i]);
    free(b->items);
    free(b);
}

/* {"suite":..., "responses":[{"status":200,"body":{...}}, ...], "elapsed_ms":...} */
static void batch_reply(cn_http_req_t *req, batch_t *b)
{
    cn_buf_t out = CN_BUF_INIT;
    cn_buf_append_c(&out, "{\"suite\":");
    if (b->suite != NULL)
        cn_buf_append_json_str(&out, cn_str_c(b->suite));
    else
        cn_buf_append_c(&out, "null");
    cn_buf_append_c(&out, ",\"responses\":[");
    for (size_t i = 0; i < b->count; i++) {
        job_t *j = b->items[i];
        cn_buf_printf(&out, "%s{\"status\":%d,\"body\":", i ? "," : "", j->status);
        cn_buf_append(&out, j->out.ptr, j->out.len);
        cn_buf_putc(&out, '}');
    }
    cn_buf_printf(&out, "],\"elapsed_ms\":%.3f}", (double)(cn_time_mono_us() - b->start_us) / 1e3);
    reply_json(req, 200, cn_buf_str(&out));
    cn_buf_dispose(&out);
}

static void on_batch_resume(void *ud, cn_http_req_t *req, int status)
{
    batch_t *b = ud;
    (void)status;
    if (req != NULL)
        batch_reply(req, b);
    batch_free(b);
}

/*
 * POST /api/v1/batch {"suite": "demo", "requests": ["suites", "report?..."]}:
 * every request at once (the queries on the workers side by side), answered
 * together in the requests' order. See docs/api.md.
 */
static void on_batch(cn_api_t *api, cn_http_req_t *req, cn_str_t token, cn_str_t body)
{
    json_error_t jerr;
    json_t *root = json_loadb(body.ptr ? body.ptr : "", body.len, 0, &jerr);
    json_t *list = json_object_get(root, "requests");
    json_t *suite = json_object_get(root, "suite");
    char msg[256] = "";
    if (root == NULL)
        snprintf(msg, sizeof(msg), "bad JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
    else if (!json_is_object(root) || !json_is_array(list) || json_array_size(list) == 0 ||
             json_array_size(list) > BATCH_MAX)
        snprintf(msg, sizeof(msg),
                 "the body must be {\"suite\": \"ID\", \"requests\": [...]} with 1 to %d requests",
                 BATCH_MAX);
    else if (suite != NULL && !json_is_string(suite) && !json_is_null(suite))
        snprintf(msg, sizeof(msg), "\"suite\" must be a suite id");
    for (size_t i = 0; msg[0] == '\0' && i < json_array_size(list); i++) {
        if (!json_is_string(json_array_get(list, i)))
            snprintf(msg, sizeof(msg), "request %zu is not a string like \"report?dimension=page\"",
                     i + 1);
    }
    if (msg[0] != '\0') {
        json_decref(root);
        reply_error(req, 400, msg);
        return;
    }
    /* Requests without suite= read the batch's suite, by default the first readable one. */
    api_suite_t *dflt = NULL;
    const char *sid = json_string_value(suite);
    if (sid != NULL && sid[0] != '\0') {
        dflt = find_suite(api, cn_str_c(sid));
        if (dflt == NULL) {
            snprintf(msg, sizeof(msg), "unknown suite '%.64s'", sid);
            json_decref(root);
            reply_error(req, 404, msg);
            return;
        }
    } else {
        dflt = first_readable(api, token);
    }
    batch_t *b = cn_xcalloc(1, sizeof(*b));
    b->start_us = cn_time_mono_us();
    b->count = json_array_size(list);
    b->items = cn_xcalloc(b->count, sizeof(job_t *));
    b->suite = dflt != NULL ? dflt->conf->id : NULL;
    job_t **queue = cn_xcalloc(b->count, sizeof(job_t *));
    size_t pending = 0;
    for (size_t i = 0; i < b->count; i++) {
        json_t *it = json_array_get(list, i);
        job_t *j = batch_item(api, req, token,
                              cn_str(json_string_value(it), json_string_length(it)), dflt);
        b->items[i] = j;
        if (j->status == 0) {
            j->batch = b;
            queue[pending++] = j;
        }
    }
    json_decref(root);
    if (pending == 0) {
        batch_reply(req, b);
        batch_free(b);
    } else {
        b->defer = cn_http_defer(req, on_batch_resume, b);
        enqueue(api, queue, pending, b, pending);
    }
    free(queue);
}

static void on_api(void *ud, cn_http_req_t *req)
{
    cn_api_t *api = ud;
    cn_str_t path = cn_http_req_path(req), query = cn_http_req_query(req);
    cn_str_t method = cn_http_req_method(req), body = cn_http_req_body(req);
    bool is_post = cn_str_eq_c(method, "POST");
    cn_str_t name = cn_str(path.ptr + 8, path.len - 8); /* after "/api/v1/" */

    if (cn_str_eq_c(method, "OPTIONS")) {
        /* The API is same-origin: the dashboard is served from the same origin, and no
         * answer carries CORS headers (private data). So a cross-origin preflight (a
         * request with an Origin) is refused, not approved for answers the page could not
         * read anyway; a plain OPTIONS gets the methods. */
        if (cn_http_req_header(req, CN_STR_LIT("origin")).ptr != NULL) {
            reply_error(req, 403,
                        "the reporting API is same-origin: cross-origin requests are not "
                        "allowed (docs/api.md, \"Access\")");
            return;
        }
        cn_http_add_header(req, "allow", CN_STR_LIT("GET, POST, OPTIONS"));
        cn_http_reply(req, 204, NULL, CN_STR_NULL);
        return;
    }
    /* the lists are GET only, the batch POST only: another method is a 405 naming the ones
     * the resource has (RFC 9110 15.5.6), not an answer that ignores a body */
    bool listing = cn_str_eq_c(name, "catalog") || cn_str_eq_c(name, "suites");
    if ((listing && is_post) || (cn_str_eq_c(name, "batch") && !is_post)) {
        cn_http_add_header(req, "allow",
                           listing ? CN_STR_LIT("GET, OPTIONS") : CN_STR_LIT("POST, OPTIONS"));
        reply_error(req, 405,
                    listing ? "this endpoint takes GET only (docs/api.md)"
                            : "POST a JSON object: {\"suite\": \"ID\", \"requests\": "
                              "[\"report?...\", ...]}");
        return;
    }
    cn_str_t token = bearer(req, query);
    if (cn_str_eq_c(name, "catalog")) {
        cn_buf_t b = CN_BUF_INIT;
        int status = catalog_json(api, req, query, token, &b);
        if (status == 401)
            cn_http_add_header(req, "www-authenticate", CN_STR_LIT("Bearer"));
        reply_json(req, status, cn_buf_str(&b));
        cn_buf_dispose(&b);
        return;
    }
    if (cn_str_eq_c(name, "suites")) {
        cn_buf_t b = CN_BUF_INIT;
        int status = suites_json(api, query, token, &b);
        reply_json(req, status, cn_buf_str(&b));
        cn_buf_dispose(&b);
        return;
    }
    if (cn_str_eq_c(name, "batch")) {
        on_batch(api, req, token, body); /* a POST: on_api answers GET 405 */
        return;
    }
    job_kind_t kind;
    if (!query_kind(name, &kind)) {
        reply_error(req, 404, UNKNOWN_ENDPOINT);
        return;
    }
    if (is_post && body.len > 0) {
        json_error_t jerr;
        json_t *j = json_loadb(body.ptr, body.len, 0, &jerr);
        if (!json_is_object(j)) {
            char msg[256] = "the request body must be a JSON object";
            if (j == NULL)
                snprintf(msg, sizeof(msg), "bad JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
            json_decref(j);
            reply_error(req, 400, msg);
            return;
        }
        json_decref(j);
    }
    cn_str_t id;
    api_suite_t *s = request_suite(api, req, query, body, is_post, &id);
    if (s == NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 id.ptr ? "unknown suite '%.*s'" : "which suite? add suite=ID%.*s",
                 (int)(id.len > 64 ? 64 : id.len), id.ptr ? id.ptr : "");
        reply_error(req, id.ptr ? 404 : 400, msg);
        return;
    }
    if (!token_ok(s, token)) {
        cn_http_add_header(req, "www-authenticate", CN_STR_LIT("Bearer"));
        reply_error(req, 401,
                    token.len ? "this token does not grant access to the suite"
                              : "this suite needs a token: Authorization: Bearer <token>");
        return;
    }
    job_t *j = job_new(api, kind, s, query, body, is_post);
    j->defer = cn_http_defer(req, on_resume, j);
    enqueue(api, &j, 1, NULL, 0);
}

int cn_api_new(const cn_conf_t *conf, const char *data_dir, const cn_api_suite_t *suites,
               size_t count, unsigned threads, cn_http_server_t *srv, cn_api_t **out, cn_err_t *err)
{
    (void)conf;
    if (sodium_init() < 0)
        return cn_err_set(err, CN_EINVAL, "libsodium failed to start");
    size_t *budget = cn_xcalloc(count ? count : 1, sizeof(*budget));
    for (size_t i = 0; i < count; i++) {
        int rc = cache_budget(suites[i].conf, &budget[i], err);
        if (rc != 0) {
            free(budget);
            return rc;
        }
    }
    cn_api_t *api = cn_xcalloc(1, sizeof(*api));
    api->suites = cn_xcalloc(count ? count : 1, sizeof(*api->suites));
    api->suite_count = count;
    for (size_t i = 0; i < count; i++) {
        api_suite_t *s = &api->suites[i];
        s->conf = suites[i].conf;
        s->store = suites[i].store;
        for (size_t t = 0; t < s->conf->token_count; t++) {
            s->tokens = cn_xrealloc(s->tokens, (s->token_count + 1) * sizeof(char *));
            s->tokens[s->token_count++] = cn_xstrdup(s->conf->tokens[t]);
        }
        s->qctx = cn_query_ctx_new(budget[i], QUERY_THREADS);
    }
    free(budget);
    load_tokens(api, data_dir);
    pthread_mutex_init(&api->lock, NULL);
    pthread_cond_init(&api->cond, NULL);
    api->thread_count = threads ? threads : 2;
    api->threads = cn_xcalloc(api->thread_count, sizeof(pthread_t));
    for (unsigned i = 0; i < api->thread_count; i++)
        pthread_create(&api->threads[i], NULL, worker, api);
    int rc = cn_http_server_route(srv, "/api/v1/", CN_HTTP_GET | CN_HTTP_POST | CN_HTTP_OPTIONS,
                                  "api", on_api, api);
    if (rc != 0) {
        cn_api_free(api);
        return cn_err_set(err, rc, "cannot register the API routes");
    }
    *out = api;
    return 0;
}

void cn_api_free(cn_api_t *api)
{
    if (api == NULL)
        return;
    pthread_mutex_lock(&api->lock);
    api->stopping = true;
    pthread_cond_broadcast(&api->cond);
    pthread_mutex_unlock(&api->lock);
    for (unsigned i = 0; i < api->thread_count; i++)
        pthread_join(api->threads[i], NULL);
    free(api->threads);
    for (size_t i = 0; i < api->suite_count; i++) {
        for (size_t t = 0; t < api->suites[i].token_count; t++)
            free(api->suites[i].tokens[t]);
        free(api->suites[i].tokens);
        cn_query_ctx_free(api->suites[i].qctx);
    }
    free(api->suites);
    pthread_mutex_destroy(&api->lock);
    pthread_cond_destroy(&api->cond);
    free(api);
}
