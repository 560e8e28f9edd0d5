/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the HTTP module (http/http.h): a server runs its loop in a
 * thread; the test talks to it over loopback sockets. Covers routing (exact,
 * prefix, longest match, 404, 405), the limits (414, 431, 413), the request
 * view, deferred answers posted from another thread (also when the client
 * has gone), static files, metrics and a stop that waits for deferrals.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"

#include <cmocka.h>

typedef struct fixture {
    cn_http_server_t *srv;
    uint16_t port;
    int run_rc;
} fixture_t;

static atomic_int gone_seen; /* resume callbacks that saw req == NULL */

static const uint8_t js_data[] = "console.log('hello, hello, hello, hello, hello, hello');\n";
static const uint8_t js_gz[] = {0x1f, 0x8b}; /* stands for a gzip copy; served as is */
static const cn_http_static_t files[] = {
    {"/t.js", "application/javascript", js_data, sizeof(js_data) - 1, js_gz, sizeof(js_gz),
     "\"abc123\""},
    {NULL, NULL, NULL, 0, NULL, 0, NULL},
};

/* --- Handlers --- */

static void on_exact(void *ud, cn_http_req_t *req)
{
    cn_http_reply(req, 200, "text/plain", CN_STR_LIT("exact"));
}

static void on_prefix(void *ud, cn_http_req_t *req)
{
    /* echo: method|path|query|body length|x-a|first header name|peer */
    char ip[CN_HTTP_IP_MAX];
    size_t iplen = cn_http_req_peer_ip(req, ip);
    cn_str_t name, value;
    cn_http_req_header_at(req, 0, &name, &value);
    cn_str_t m = cn_http_req_method(req), p = cn_http_req_path(req), q = cn_http_req_query(req),
             a = cn_http_req_header(req, CN_STR_LIT("x-a"));
    char *out = cn_http_req_alloc(req, 4096);
    int n = snprintf(out, 4096, "%.*s|%.*s|%.*s|%zu|%.*s|%.*s|%.*s", CN_STR_FMT(m), CN_STR_FMT(p),
                     CN_STR_FMT(q), cn_http_req_body(req).len, CN_STR_FMT(a), CN_STR_FMT(name),
                     (int)iplen, ip);
    cn_http_add_header(req, "x-echo", CN_STR_LIT("yes"));
    cn_http_reply(req, 200, "text/plain", cn_str(out, (size_t)n));
}

static void on_headers(void *ud, cn_http_req_t *req)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_http_req_headers_text(req, &b);
    cn_http_reply_copy(req, 200, "text/plain", cn_buf_str(&b));
    cn_buf_dispose(&b);
}

/* 4000 bytes of text: over CN_HTTP_COMPRESS_MIN_BYTES, so gzipped for clients that accept it */
static void on_big(void *ud, cn_http_req_t *req)
{
    char *out = cn_http_req_alloc(req, 4000);
    for (size_t i = 0; i < 4000; i++)
        out[i] = (char)('a' + i % 26);
    cn_http_reply(req, 200, "text/plain; charset=utf-8", cn_str(out, 4000));
}

static void on_long(void *ud, cn_http_req_t *req)
{
    cn_http_reply(req, 200, "text/plain", CN_STR_LIT("long"));
}

static void on_resume(void *ud, cn_http_req_t *req, int status)
{
    if (req == NULL) {
        atomic_fetch_add(&gone_seen, 1);
        return;
    }
    char *out = cn_http_req_alloc(req, 32);
    int n = snprintf(out, 32, "deferred:%d", status);
    cn_http_reply(req, 200, "text/plain", cn_str(out, (size_t)n));
}

typedef struct poster {
    cn_http_defer_t *d;
    int delay_ms;
} poster_t;

static void *post_later(void *arg)
{
    poster_t *p = arg;
    struct timespec ts = {p->delay_ms / 1000, (long)(p->delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    cn_http_defer_post(p->d, -7);
    free(p);
    return NULL;
}

/* Suspends the request; another thread answers it after ?ms= milliseconds. */
static void on_defer(void *ud, cn_http_req_t *req)
{
    cn_str_t q = cn_http_req_query(req);
    int ms = 50;
    if (q.len > 3 && memcmp(q.ptr, "ms=", 3) == 0)
        ms = atoi(q.ptr + 3);
    poster_t *p = malloc(sizeof(*p));
    p->d = cn_http_defer(req, on_resume, NULL);
    p->delay_ms = ms;
    pthread_t t;
    pthread_create(&t, NULL, post_later, p);
    pthread_detach(t);
}

static void on_static(void *ud, cn_http_req_t *req)
{
    const cn_http_static_t *f = cn_http_static_find(files, cn_http_req_path(req));
    assert_non_null(f);
    cn_http_static_reply(req, f, 60);
}

static void on_metrics(void *ud, cn_http_req_t *req)
{
    cn_buf_t b = CN_BUF_INIT;
    cn_http_server_metrics(ud, &b);
    cn_http_reply_copy(req, 200, "text/plain", cn_buf_str(&b));
    cn_buf_dispose(&b);
}

/* --- Fixture --- */

/*
 * One loop thread runs each test's server in turn and lives until the
 * process exits: h2o keeps recycled buffers in thread-local free lists, which
 * a thread that ended would leave unreachable (LeakSanitizer reports them).
 */
static pthread_mutex_t loop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t loop_cond = PTHREAD_COND_INITIALIZER;
static fixture_t *loop_job;
static bool loop_busy;

static void *loop_thread(void *arg)
{
    pthread_mutex_lock(&loop_mu);
    for (;;) {
        while (loop_job == NULL)
            pthread_cond_wait(&loop_cond, &loop_mu);
        fixture_t *f = loop_job;
        loop_job = NULL;
        pthread_mutex_unlock(&loop_mu);
        f->run_rc = cn_http_server_run(f->srv, 5000);
        pthread_mutex_lock(&loop_mu);
        loop_busy = false;
        pthread_cond_broadcast(&loop_cond);
    }
    return NULL;
}

static void start_thread(void)
{
    pthread_t t;
    pthread_create(&t, NULL, loop_thread, NULL);
    pthread_detach(t);
}

static void start_loop(fixture_t *f)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, start_thread);
    pthread_mutex_lock(&loop_mu);
    loop_job = f;
    loop_busy = true;
    pthread_cond_broadcast(&loop_cond);
    pthread_mutex_unlock(&loop_mu);
}

/* Waits until the loop thread has returned from cn_http_server_run. */
static void wait_loop(void)
{
    pthread_mutex_lock(&loop_mu);
    while (loop_busy)
        pthread_cond_wait(&loop_cond, &loop_mu);
    pthread_mutex_unlock(&loop_mu);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    cn_http_limits_t lim = {.max_uri_bytes = 1024,
                            .max_header_bytes = 2048,
                            .max_body_bytes = 4096,
                            .io_timeout_ms = 2000};
    f->srv = cn_http_server_new(&lim);
    assert_int_equal(cn_http_server_route(f->srv, "/x", CN_HTTP_GET, "x", on_exact, NULL), 0);
    assert_int_equal(
        cn_http_server_route(f->srv, "/p/", CN_HTTP_GET | CN_HTTP_POST, "p", on_prefix, NULL), 0);
    assert_int_equal(cn_http_server_route(f->srv, "/p/long/", CN_HTTP_GET, "long", on_long, NULL),
                     0);
    assert_int_equal(cn_http_server_route(f->srv, "/h", CN_HTTP_GET, "h", on_headers, NULL), 0);
    assert_int_equal(
        cn_http_server_route(f->srv, "/gh", CN_HTTP_GET | CN_HTTP_HEAD, "gh", on_exact, NULL), 0);
    assert_int_equal(cn_http_server_route(f->srv, "/big", CN_HTTP_GET, "big", on_big, NULL), 0);
    assert_int_equal(cn_http_server_route(f->srv, "/defer", CN_HTTP_GET, "defer", on_defer, NULL),
                     0);
    assert_int_equal(cn_http_server_route(f->srv, "/t.js", CN_HTTP_GET, "static", on_static, NULL),
                     0);
    assert_int_equal(
        cn_http_server_route(f->srv, "/metrics", CN_HTTP_GET, "metrics", on_metrics, f->srv), 0);
    assert_int_equal(cn_http_server_route(f->srv, "nope", CN_HTTP_GET, "bad", on_exact, NULL),
                     CN_EINVAL);
    assert_int_equal(cn_http_server_route(f->srv, "/y", 0, "bad", on_exact, NULL), CN_EINVAL);
    cn_err_t err;
    assert_int_equal(cn_http_server_listen(f->srv, "localhost:1", NULL, &err), CN_EINVAL);
    assert_int_equal(cn_http_server_listen(f->srv, "127.0.0.1", NULL, &err), CN_EINVAL);
    assert_int_equal(cn_http_server_listen(f->srv, "127.0.0.1:0", &f->port, &err), 0);
    assert_true(f->port != 0);
    start_loop(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cn_http_server_stop(f->srv);
    wait_loop();
    cn_http_server_free(f->srv);
    free(f);
    return 0;
}

/* Sends req (adding nothing) and reads the whole answer until the server closes. */
static char *exchange(fixture_t *f, const char *req, size_t req_len, size_t *out_len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(f->port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t off = 0;
    while (off < req_len) {
        ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap + 1);
    for (;;) {
        ssize_t n = recv(fd, out + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == cap)
            break;
    }
    out[len] = '\0';
    close(fd);
    if (out_len != NULL)
        *out_len = len;
    return out;
}

static char *get(fixture_t *f, const char *target, const char *extra_headers)
{
    char req[8192];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: test.local\r\n%sConnection: close\r\n\r\n", target,
                     extra_headers ? extra_headers : "");
    return exchange(f, req, (size_t)n, NULL);
}

static int status_of(const char *resp)
{
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    return status;
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : "";
}

/* --- Tests --- */

static void routes_exact_prefix_and_longest(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/x", NULL);
    assert_int_equal(status_of(r), 200);
    assert_string_equal(body_of(r), "exact");
    free(r);
    r = get(f, "/xy", NULL); /* exact routes do not match longer paths */
    assert_int_equal(status_of(r), 404);
    free(r);
    r = get(f, "/p/long/z", NULL);
    assert_string_equal(body_of(r), "long");
    free(r);
    r = get(f, "/p/longer", NULL);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "x-echo: yes"));
    free(r);
    r = get(f, "/p", NULL);
    assert_int_equal(status_of(r), 404);
    free(r);
}

static void wrong_method_is_405(void **state)
{
    fixture_t *f = *state;
    const char req[] = "DELETE /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    char *r = exchange(f, req, sizeof(req) - 1, NULL);
    assert_int_equal(status_of(r), 405);
    assert_non_null(strstr(r, "\r\nallow: GET\r\n")); /* the methods the path has */
    free(r);
    const char req2[] =
        "POST /p/long/a HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    r = exchange(f, req2, sizeof(req2) - 1, NULL);
    assert_int_equal(status_of(r), 405);
    assert_non_null(strstr(r, "\r\nallow: GET\r\n"));
    free(r);
    const char req3[] =
        "PUT /p/a HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    r = exchange(f, req3, sizeof(req3) - 1, NULL);
    assert_int_equal(status_of(r), 405);
    assert_non_null(strstr(r, "\r\nallow: GET, POST\r\n"));
    free(r);
}

static void request_view(void **state)
{
    fixture_t *f = *state;
    const char req[] = "POST /p/a%20b?q=1&r=%2F HTTP/1.1\r\nHost: test.local\r\nX-A: Va lue\r\n"
                       "Content-Length: 5\r\nConnection: close\r\n\r\nhello";
    char *r = exchange(f, req, sizeof(req) - 1, NULL);
    assert_int_equal(status_of(r), 200);
    assert_string_equal(body_of(r), "POST|/p/a%20b|q=1&r=%2F|5|Va lue|host|127.0.0.1");
    free(r);
    r = get(f, "/p/noquery", NULL);
    assert_string_equal(body_of(r), "GET|/p/noquery||0||host|127.0.0.1");
    free(r);
}

static void headers_as_text(void **state)
{
    fixture_t *f = *state;
    const char only_host[] = "GET /h HTTP/1.1\r\nHost: a\r\n\r\n";
    char *r = exchange(f, only_host, sizeof(only_host) - 1, NULL);
    assert_string_equal(body_of(r), "host: a\n");
    free(r);
    const char more[] = "GET /h HTTP/1.1\r\nHost: example.test\r\nX-Mixed-Case: V 1\r\n"
                        "Cookie: a=b\r\nConnection: close\r\n\r\n";
    r = exchange(f, more, sizeof(more) - 1, NULL);
    assert_string_equal(body_of(r),
                        "host: example.test\nx-mixed-case: V 1\ncookie: a=b\nconnection: close\n");
    free(r);
}

static void limits_414_431_413(void **state)
{
    fixture_t *f = *state;
    char target[2048];
    memcpy(target, "/p/", 3);
    memset(target + 3, 'a', 1021); /* exactly 1024 bytes: allowed */
    target[1024] = '\0';
    char *r = get(f, target, NULL);
    assert_int_equal(status_of(r), 200);
    free(r);
    memset(target + 3, 'a', 1022);
    target[1025] = '\0';
    r = get(f, target, NULL);
    assert_int_equal(status_of(r), 414);
    free(r);

    char big[2101], hdr[4096];
    memset(big, 'b', 2100);
    big[2100] = '\0';
    snprintf(hdr, sizeof(hdr), "X-Big: %s\r\n", big);
    r = get(f, "/p/h", hdr);
    assert_int_equal(status_of(r), 431);
    free(r);

    char req[8192];
    int len = snprintf(
        req, sizeof(req),
        "POST /p/b HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\nConnection: close\r\n\r\n");
    memset(req + len, 'z', 4097);
    r = exchange(f, req, (size_t)len + 4097, NULL);
    assert_int_equal(status_of(r), 413);
    free(r);
    len = snprintf(
        req, sizeof(req),
        "POST /p/b HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n");
    memset(req + len, 'z', 4096);
    r = exchange(f, req, (size_t)len + 4096, NULL);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(body_of(r), "|4096|"));
    free(r);
}

static void deferred_answer_from_another_thread(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/defer?ms=30", NULL);
    assert_int_equal(status_of(r), 200);
    assert_string_equal(body_of(r), "deferred:-7");
    free(r);
}

static void deferred_request_whose_client_left(void **state)
{
    fixture_t *f = *state;
    int before = atomic_load(&gone_seen);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(f->port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    const char req[] = "GET /defer?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)(sizeof(req) - 1));
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
    close(fd);
    /* Whether h2o notices the close before the answer (then the callback
     * sees req == NULL) is its business; either way the deferral must be
     * resolved, the server must not crash or leak, and must keep serving. */
    bool resolved = false;
    for (int i = 0; i < 100 && !resolved; i++) {
        char *r = get(f, "/metrics", NULL);
        resolved = strstr(r, "canton_http_deferred_requests 0\n") != NULL;
        free(r);
        ts.tv_nsec = 20 * 1000000;
        nanosleep(&ts, NULL);
    }
    assert_true(resolved);
    assert_true(atomic_load(&gone_seen) - before <= 1);
    char *r = get(f, "/x", NULL);
    assert_int_equal(status_of(r), 200);
    free(r);
}

static void static_file_gzip_etag(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/t.js", NULL);
    assert_int_equal(status_of(r), 200);
    assert_string_equal(body_of(r), (const char *)js_data);
    assert_non_null(strstr(r, "etag: \"abc123\""));
    assert_non_null(strstr(r, "cache-control: public, max-age=60"));
    assert_null(strstr(r, "content-encoding"));
    free(r);
    r = get(f, "/t.js", "Accept-Encoding: deflate, gzip;q=0.5\r\n");
    assert_non_null(strstr(r, "content-encoding: gzip"));
    assert_int_equal(strlen(body_of(r)), 2);
    free(r);
    r = get(f, "/t.js", "Accept-Encoding: gzip;q=0\r\n");
    assert_null(strstr(r, "content-encoding"));
    free(r);
    r = get(f, "/t.js", "If-None-Match: \"zzz\", W/\"abc123\"\r\n");
    assert_int_equal(status_of(r), 304);
    assert_string_equal(body_of(r), "");
    free(r);
    assert_null(cn_http_static_find(files, CN_STR_LIT("/t.jsx")));
}

static bool has_header_nocase(const char *resp, const char *line)
{
    const char *end = strstr(resp, "\r\n\r\n");
    size_t n = strlen(line);
    for (const char *p = resp; end != NULL && p < end; p++) {
        if ((p == resp || p[-1] == '\n') && strncasecmp(p, line, n) == 0)
            return true;
    }
    return false;
}

static void answers_gzipped_when_accepted(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/big", NULL);
    assert_int_equal(status_of(r), 200);
    assert_int_equal(strlen(body_of(r)), 4000);
    assert_false(has_header_nocase(r, "content-encoding"));
    assert_true(has_header_nocase(r, "vary: accept-encoding")); /* varies, also when plain */
    free(r);
    size_t len;
    const char req[] = "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br, gzip\r\n"
                       "Connection: close\r\n\r\n";
    r = exchange(f, req, sizeof(req) - 1, &len);
    assert_int_equal(status_of(r), 200);
    assert_true(has_header_nocase(r, "content-encoding: gzip"));
    assert_true(has_header_nocase(r, "vary: accept-encoding"));
    assert_true(has_header_nocase(r, "transfer-encoding: chunked"));
    /* first chunk: "<hex size>\r\n" then the gzip magic; far fewer than 4000 bytes */
    const char *b = body_of(r), *crlf = strstr(b, "\r\n");
    assert_non_null(crlf);
    assert_int_equal((uint8_t)crlf[2], 0x1f);
    assert_int_equal((uint8_t)crlf[3], 0x8b);
    assert_true(len - (size_t)(b - r) < 1000);
    free(r);
    r = get(f, "/big", "Accept-Encoding: gzip;q=0\r\n");
    assert_false(has_header_nocase(r, "content-encoding"));
    assert_int_equal(strlen(body_of(r)), 4000);
    free(r);
    /* small answers go as they are, without Vary */
    r = get(f, "/x", "Accept-Encoding: gzip\r\n");
    assert_string_equal(body_of(r), "exact");
    assert_false(has_header_nocase(r, "content-encoding"));
    assert_false(has_header_nocase(r, "vary"));
    free(r);
}

static void metrics_count_by_route_and_status(void **state)
{
    fixture_t *f = *state;
    free(get(f, "/x", NULL));
    free(get(f, "/nowhere", NULL));
    char *r = get(f, "/metrics", NULL);
    assert_non_null(strstr(r, "canton_http_requests_total{endpoint=\"x\",status=\"200\"} "));
    assert_non_null(strstr(r, "canton_http_requests_total{endpoint=\"none\",status=\"404\"} "));
    assert_non_null(strstr(r, "canton_http_open_connections 1\n"));
    free(r);
}

/* HEAD answers are counted apart: a monitor probing a hit endpoint with HEAD must not look
 * like hits answered 200 (canton_http_requests_total{endpoint="adobe",status="200"}). */
static void metrics_count_head_apart(void **state)
{
    fixture_t *f = *state;
    const char head[] = "HEAD /gh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    const char head_404[] = "HEAD /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    free(get(f, "/gh", NULL));
    for (int i = 0; i < 2; i++) {
        char *r = exchange(f, head, sizeof(head) - 1, NULL);
        assert_int_equal(status_of(r), 200);
        free(r);
    }
    free(exchange(f, head_404, sizeof(head_404) - 1, NULL));
    char *r = get(f, "/metrics", NULL);
    assert_non_null(strstr(r, "\ncanton_http_requests_total{endpoint=\"gh\",status=\"200\"} 1\n"));
    assert_non_null(
        strstr(r, "\ncanton_http_head_requests_total{endpoint=\"gh\",status=\"200\"} 2\n"));
    assert_non_null(
        strstr(r, "\ncanton_http_head_requests_total{endpoint=\"none\",status=\"404\"} 1\n"));
    assert_null(strstr(r, "canton_http_requests_total{endpoint=\"none\""));
    assert_non_null(strstr(r, "# TYPE canton_http_head_requests_total counter\n"));
    free(r);
}

static void stop_waits_for_deferred_answers(void **state)
{
    fixture_t *f = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(f->port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const char req[] = "GET /defer?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)(sizeof(req) - 1));
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
    cn_http_server_stop(f->srv);
    wait_loop();
    assert_int_equal(f->run_rc, 0);
    char buf[1024];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_int_equal(status_of(buf), 200);
    assert_string_equal(body_of(buf), "deferred:-7");
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(routes_exact_prefix_and_longest, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_method_is_405, setup, teardown),
        cmocka_unit_test_setup_teardown(request_view, setup, teardown),
        cmocka_unit_test_setup_teardown(headers_as_text, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_414_431_413, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_answer_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_request_whose_client_left, setup, teardown),
        cmocka_unit_test_setup_teardown(static_file_gzip_etag, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_gzipped_when_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_count_by_route_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_count_head_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_waits_for_deferred_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
