/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server: one h2o event loop, its listeners, the router and the
 * limits of http.h, deferred answers, and the graceful stop.
 *
 * h2o does the protocol work: it parses HTTP/1.x (picohttpparser), buffers
 * the request body up to max_request_entity_size (413 beyond), applies the
 * request timeout to slow clients, and writes responses. Everything reaches
 * one h2o handler registered at "/" (on_req), which applies canton's own
 * limits and picks a route by the raw path.
 *
 * Per request, the only allocation is one cn_http_req_t in h2o's request
 * pool; its dispose callback tells a pending deferral that the request is
 * gone. Deferrals come from a free list and travel back to the loop through
 * an h2o multithread queue, so a hitlog writer thread that finishes a group
 * commit wakes the loop once for the whole group.
 *
 * Connections are accepted here (not by h2o) so that we know each one's fd:
 * a stop can then shut idle keep-alive connections down cleanly, which
 * h2o 2.2.5's HTTP/1 code offers no call for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <h2o.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http/http.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define MAX_ROUTES    32
#define MAX_LISTENERS 4
#define ACCEPT_BATCH  32

/* Statuses counted per route; anything else counts as "other". */
static const int counted_status[] = {200, 204, 301, 302, 304, 400, 403, 404, 405,
                                     408, 413, 414, 415, 429, 431, 500, 503};
#define N_STATUS (sizeof(counted_status) / sizeof(counted_status[0]) + 1)

typedef struct route {
    const char *pattern;
    size_t len;
    bool prefix;
    unsigned methods;
    const char *name;
    cn_http_handler_cb cb;
    void *ud;
    uint64_t count[N_STATUS];      /* answers to every method but HEAD */
    uint64_t head_count[N_STATUS]; /* answers to HEAD: never a hit, so kept apart */
} route_t;

typedef struct conn {
    int fd;
    cn_http_server_t *srv;
    struct conn *prev, *next;
} conn_t;

struct cn_http_req {
    h2o_req_t *h2o;
    cn_http_server_t *srv;
    route_t *route;
    void *data;
    cn_http_defer_t *defer; /* pending deferral, told when the request goes away */
};

struct cn_http_defer {
    h2o_multithread_message_t msg; /* first: messages are cast back */
    cn_http_server_t *srv;
    cn_http_req_t *req; /* NULL once the request was disposed */
    cn_http_resume_cb cb;
    void *ud;
    int status;
    cn_http_defer_t *next_free;
};

typedef struct handler {
    h2o_handler_t super;
    cn_http_server_t *srv;
} handler_t;

struct cn_http_server {
    cn_http_limits_t limits;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;

    h2o_socket_t *listeners[MAX_LISTENERS];
    int listener_fds[MAX_LISTENERS];
    size_t listener_count;
    bool accept_paused;
    h2o_timeout_t retry_timeout; /* resumes accepting after EMFILE */
    h2o_timeout_entry_t retry_entry;

    conn_t conns; /* list head of open connections */
    uint32_t open_conns;
    uint64_t accepted_total;
    uint64_t rejected_total; /* answered 503 for max_connections */

    h2o_multithread_receiver_t receiver;
    cn_http_defer_t *free_defers;
    size_t pending; /* deferrals not yet resumed */

    int stop_pipe[2];
    h2o_socket_t *stop_sock;
    bool stopping;

    route_t routes[MAX_ROUTES];
    size_t route_count;
    route_t unrouted; /* answers given before a route was found (404, 414, 431) */
};

/* --- Status bookkeeping --- */

static size_t status_index(int status)
{
    for (size_t i = 0; i < N_STATUS - 1; i++) {
        if (counted_status[i] == status)
            return i;
    }
    return N_STATUS - 1;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* --- Connections --- */

static void start_accepting(cn_http_server_t *srv);

static void on_conn_close(void *data)
{
    conn_t *c = data;
    cn_http_server_t *srv = c->srv;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    free(c);
    srv->open_conns--;
    if (srv->accept_paused && !srv->stopping && srv->open_conns < srv->limits.max_connections)
        start_accepting(srv);
}

/*
 * Answers a connection over max_connections with 503 and closes it, without
 * h2o. The request bytes already received are read first: closing a socket
 * with unread input sends a reset, which can destroy the answer in flight.
 */
static void reject_connection(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                               "Content-Length: 0\r\nRetry-After: 1\r\n\r\n";
    char drain[4096];
    for (int i = 0; i < 16 && recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0; i++) {
    }
    ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n; /* a full socket buffer on a fresh connection: the client gets a bare close */
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void stop_accepting(cn_http_server_t *srv)
{
    for (size_t i = 0; i < srv->listener_count; i++)
        h2o_socket_read_stop(srv->listeners[i]);
    srv->accept_paused = true;
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void start_accepting(cn_http_server_t *srv)
{
    for (size_t i = 0; i < srv->listener_count; i++)
        h2o_socket_read_start(srv->listeners[i], on_accept);
    srv->accept_paused = false;
}

static void on_retry_accept(h2o_timeout_entry_t *entry)
{
    cn_http_server_t *srv = H2O_STRUCT_FROM_MEMBER(cn_http_server_t, retry_entry, entry);
    if (!srv->stopping && srv->open_conns < srv->limits.max_connections)
        start_accepting(srv);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    cn_http_server_t *srv = listener->data;
    if (err != NULL)
        return;
    int lfd = -1;
    for (size_t i = 0; i < srv->listener_count; i++) {
        if (srv->listeners[i] == listener)
            lfd = srv->listener_fds[i];
    }
    for (int n = 0; n < ACCEPT_BATCH; n++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: the listener would stay readable and spin. */
                cn_log_warn("accept failed, pausing", "err=%s", strerror(errno));
                stop_accepting(srv);
                if (!h2o_timeout_is_linked(&srv->retry_entry))
                    h2o_timeout_link(srv->loop, &srv->retry_timeout, &srv->retry_entry);
            }
            return;
        }
        if (srv->open_conns >= srv->limits.max_connections) {
            reject_connection(fd);
            srv->rejected_total++;
            continue;
        }
        h2o_socket_t *sock = h2o_evloop_socket_create(srv->loop, fd, 0);
        conn_t *c = cn_xmalloc(sizeof(*c));
        c->fd = fd;
        c->srv = srv;
        c->next = srv->conns.next;
        c->prev = &srv->conns;
        c->next->prev = c;
        srv->conns.next = c;
        srv->open_conns++;
        srv->accepted_total++;
        sock->on_close.cb = on_conn_close;
        sock->on_close.data = c;
        h2o_accept(&srv->accept_ctx, sock);
    }
}

/* --- Requests --- */

static void on_req_dispose(void *p)
{
    cn_http_req_t *req = p;
    if (req->defer != NULL)
        req->defer->req = NULL;
}

/* Size of the headers as "name: value\n" lines (host first); also what max_header_bytes limits. */
static size_t header_bytes(const h2o_req_t *hr)
{
    size_t n = hr->input.authority.len + 7; /* "host: " ... "\n" */
    for (size_t i = 0; i < hr->headers.size; i++)
        n += hr->headers.entries[i].name->len + hr->headers.entries[i].value.len + 3;
    return n;
}

static unsigned method_bit(h2o_iovec_t m)
{
    switch (m.len) {
    case 3:
        if (memcmp(m.base, "GET", 3) == 0)
            return CN_HTTP_GET;
        if (memcmp(m.base, "PUT", 3) == 0)
            return CN_HTTP_PUT;
        break;
    case 4:
        if (memcmp(m.base, "POST", 4) == 0)
            return CN_HTTP_POST;
        if (memcmp(m.base, "HEAD", 4) == 0)
            return CN_HTTP_HEAD;
        break;
    case 5:
        if (memcmp(m.base, "PATCH", 5) == 0)
            return CN_HTTP_PATCH;
        break;
    case 6:
        if (memcmp(m.base, "DELETE", 6) == 0)
            return CN_HTTP_DELETE;
        break;
    case 7:
        if (memcmp(m.base, "OPTIONS", 7) == 0)
            return CN_HTTP_OPTIONS;
        break;
    }
    return 0;
}

static route_t *find_route(cn_http_server_t *srv, cn_str_t path)
{
    route_t *best = NULL;
    for (size_t i = 0; i < srv->route_count; i++) {
        route_t *r = &srv->routes[i];
        if (r->prefix ? (path.len >= r->len && memcmp(path.ptr, r->pattern, r->len) == 0)
                      : (path.len == r->len && memcmp(path.ptr, r->pattern, r->len) == 0)) {
            if (best == NULL || r->len > best->len)
                best = r;
        }
    }
    return best;
}

static const char plain[] = "text/plain; charset=utf-8";

static int on_req(h2o_handler_t *self, h2o_req_t *hr)
{
    cn_http_server_t *srv = ((handler_t *)self)->srv;
    cn_http_req_t *req = h2o_mem_alloc_shared(&hr->pool, sizeof(*req), on_req_dispose);
    req->h2o = hr;
    req->srv = srv;
    req->route = &srv->unrouted;
    req->data = NULL;
    req->defer = NULL;

    if (srv->stopping) {
        /* Draining: take no new work, and end the connection after this answer. */
        hr->http1_is_persistent = 0;
        cn_http_reply(req, 503, plain, CN_STR_LIT("shutting down\n"));
        return 0;
    }
    if (hr->input.path.len > srv->limits.max_uri_bytes) {
        cn_http_reply(req, 414, plain, CN_STR_LIT("URI too long\n"));
        return 0;
    }
    if (header_bytes(hr) > srv->limits.max_header_bytes) {
        cn_http_reply(req, 431, plain, CN_STR_LIT("request headers too large\n"));
        return 0;
    }
    cn_str_t path = cn_http_req_path(req);
    route_t *r = find_route(srv, path);
    bool allowed = r != NULL && (method_bit(hr->input.method) & r->methods) != 0;
    if (r == NULL || (!allowed && r->prefix && r->len == 1 && path.len != 1)) {
        /* no route, or only the catch-all "/" (the dashboard's files), which has no
         * resource to refuse the method of: POST /matomo.php is not found. "/" itself is
         * the dashboard's page, a resource like the others: PUT / is a 405. */
        cn_http_reply(req, 404, plain, CN_STR_LIT("not found\n"));
        return 0;
    }
    req->route = r;
    if (!allowed) {
        /* RFC 9110 15.5.6: a 405 lists the methods the resource has */
        static const char *const names[] = {"GET",    "HEAD",    "POST", "PUT",
                                            "DELETE", "OPTIONS", "PATCH"};
        char allow[64];
        size_t n = 0;
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (r->methods & (1u << i))
                n +=
                    (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", names[i]);
        }
        cn_http_add_header(req, "allow", cn_str(allow, n));
        cn_http_reply(req, 405, plain, CN_STR_LIT("method not allowed\n"));
        return 0;
    }
    r->cb(r->ud, req);
    return 0;
}

/* --- Deferred answers --- */

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    cn_http_server_t *srv = H2O_STRUCT_FROM_MEMBER(cn_http_server_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        cn_http_defer_t *d = (cn_http_defer_t *)messages->next;
        h2o_linklist_unlink(&d->msg.link);
        cn_http_req_t *req = d->req;
        if (req != NULL)
            req->defer = NULL;
        srv->pending--;
        d->cb(d->ud, req, d->status);
        d->next_free = srv->free_defers;
        srv->free_defers = d;
    }
}

cn_http_defer_t *cn_http_defer(cn_http_req_t *req, cn_http_resume_cb cb, void *ud)
{
    cn_http_server_t *srv = req->srv;
    cn_http_defer_t *d = srv->free_defers;
    if (d != NULL)
        srv->free_defers = d->next_free;
    else
        d = cn_xmalloc(sizeof(*d));
    memset(&d->msg, 0, sizeof(d->msg));
    d->srv = srv;
    d->req = req;
    d->cb = cb;
    d->ud = ud;
    d->status = 0;
    d->next_free = NULL;
    CN_ASSERT(req->defer == NULL);
    req->defer = d;
    srv->pending++;
    return d;
}

void cn_http_defer_post(cn_http_defer_t *d, int status)
{
    d->status = status;
    h2o_multithread_send_message(&d->srv->receiver, &d->msg);
}

/* --- Replies --- */

void cn_http_add_header(cn_http_req_t *req, const char *name, cn_str_t value)
{
    h2o_req_t *hr = req->h2o;
    /* h2o keeps the pointer: the value is copied into the request's pool, so that it may live
     * on the caller's stack */
    h2o_iovec_t v = h2o_strdup(&hr->pool, value.ptr, value.len);
    h2o_add_header_by_str(&hr->pool, &hr->res.headers, name, strlen(name), 1, NULL, v.base, v.len);
}

/* The debug line of an answer: method, path (without the query), status, body bytes and the
 * time since the request began. */
static void log_request(const cn_http_req_t *req, int status, size_t bytes)
{
    const h2o_req_t *hr = req->h2o;
    char method[32], path[512];
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t us = (int64_t)(now.tv_sec - hr->timestamps.request_begin_at.tv_sec) * 1000000 +
                 (now.tv_usec - hr->timestamps.request_begin_at.tv_usec);
    cn_log_debug("http request", "method=%s path=%s status=%d bytes=%zu us=%lld",
                 cn_log_quote(method, sizeof(method), cn_http_req_method(req)),
                 cn_log_quote(path, sizeof(path), cn_http_req_path(req)), status, bytes,
                 (long long)us);
}

void cn_http_reply(cn_http_req_t *req, int status, const char *content_type, cn_str_t body)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_req_t *hr = req->h2o;
    if (cn_log_enabled(CN_LOG_DEBUG))
        log_request(req, status, status != 204 && status != 304 ? body.len : 0);
    bool head = hr->input.method.len == 4 && memcmp(hr->input.method.base, "HEAD", 4) == 0;
    (head ? req->route->head_count : req->route->count)[status_index(status)]++;
    hr->res.status = status;
    hr->res.reason = reason_phrase(status);
    if (content_type != NULL)
        h2o_add_header(&hr->pool, &hr->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    if (status != 204 && status != 304)
        hr->res.content_length = body.len;
    else
        body.len = 0;
    /* Answers h2o's compress filter would gzip for a client that accepts it
     * vary by Accept-Encoding, also when this client gets them plain. */
    if (!req->srv->limits.no_compress && status == 200 && body.len >= CN_HTTP_COMPRESS_MIN_BYTES &&
        hr->compress_hint != H2O_COMPRESS_HINT_DISABLE) {
        h2o_req_fill_mime_attributes(hr);
        if (hr->res.mime_attr->is_compressible)
            h2o_set_header_token(&hr->pool, &hr->res.headers, H2O_TOKEN_VARY,
                                 H2O_STRLIT("Accept-Encoding"));
    }
    h2o_start_response(hr, &generator);
    h2o_iovec_t buf = h2o_iovec_init(body.ptr, body.len);
    h2o_send(hr, &buf, body.len != 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
}

void cn_http_req_no_compress(cn_http_req_t *req)
{
    req->h2o->compress_hint = H2O_COMPRESS_HINT_DISABLE;
}

void cn_http_reply_copy(cn_http_req_t *req, int status, const char *content_type, cn_str_t body)
{
    char *p = h2o_mem_alloc_pool(&req->h2o->pool, body.len + 1);
    memcpy(p, body.ptr, body.len);
    cn_http_reply(req, status, content_type, cn_str(p, body.len));
}

/* --- The request view --- */

cn_str_t cn_http_req_method(const cn_http_req_t *req)
{
    return cn_str(req->h2o->input.method.base, req->h2o->input.method.len);
}

cn_str_t cn_http_req_path(const cn_http_req_t *req)
{
    const h2o_req_t *hr = req->h2o;
    size_t len = hr->input.query_at != SIZE_MAX ? hr->input.query_at : hr->input.path.len;
    return cn_str(hr->input.path.base, len);
}

cn_str_t cn_http_req_query(const cn_http_req_t *req)
{
    const h2o_req_t *hr = req->h2o;
    if (hr->input.query_at == SIZE_MAX)
        return cn_str(hr->input.path.base + hr->input.path.len, 0);
    return cn_str(hr->input.path.base + hr->input.query_at + 1,
                  hr->input.path.len - hr->input.query_at - 1);
}

cn_str_t cn_http_req_body(const cn_http_req_t *req)
{
    const h2o_req_t *hr = req->h2o;
    if (hr->entity.base == NULL)
        return cn_str("", 0);
    return cn_str(hr->entity.base, hr->entity.len);
}

cn_str_t cn_http_req_header(const cn_http_req_t *req, cn_str_t name)
{
    const h2o_req_t *hr = req->h2o;
    if (name.len == 4 && memcmp(name.ptr, "host", 4) == 0)
        return cn_str(hr->input.authority.base, hr->input.authority.len);
    for (size_t i = 0; i < hr->headers.size; i++) {
        const h2o_header_t *h = &hr->headers.entries[i];
        if (h->name->len == name.len &&
            h2o_lcstris(h->name->base, h->name->len, name.ptr, name.len))
            return cn_str(h->value.base, h->value.len);
    }
    return CN_STR_NULL;
}

/*
 * h2o moves the Host header into input.authority, so the view shows it as
 * the first header, as browsers send it.
 */
size_t cn_http_req_header_count(const cn_http_req_t *req)
{
    return req->h2o->headers.size + (req->h2o->input.authority.len != 0 ? 1 : 0);
}

void cn_http_req_header_at(const cn_http_req_t *req, size_t i, cn_str_t *name, cn_str_t *value)
{
    const h2o_req_t *hr = req->h2o;
    if (hr->input.authority.len != 0) {
        if (i == 0) {
            *name = CN_STR_LIT("host");
            *value = cn_str(hr->input.authority.base, hr->input.authority.len);
            return;
        }
        i--;
    }
    const h2o_header_t *h = &hr->headers.entries[i];
    *name = cn_str(h->name->base, h->name->len);
    *value = cn_str(h->value.base, h->value.len);
}

void cn_http_req_headers_text(const cn_http_req_t *req, cn_buf_t *out)
{
    const h2o_req_t *hr = req->h2o;
    size_t need = header_bytes(hr);
    cn_buf_reserve(out, need);
    char *p = out->ptr + out->len;
    if (hr->input.authority.len != 0) {
        memcpy(p, "host: ", 6);
        memcpy(p + 6, hr->input.authority.base, hr->input.authority.len);
        p += 6 + hr->input.authority.len;
        *p++ = '\n';
    }
    for (size_t i = 0; i < hr->headers.size; i++) {
        const h2o_header_t *h = &hr->headers.entries[i];
        for (size_t j = 0; j < h->name->len; j++) {
            char c = h->name->base[j];
            p[j] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        p += h->name->len;
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, h->value.base, h->value.len);
        p += h->value.len;
        *p++ = '\n';
    }
    out->len = (size_t)(p - out->ptr);
    out->ptr[out->len] = '\0';
}

size_t cn_http_req_peer_ip(const cn_http_req_t *req, char out[CN_HTTP_IP_MAX])
{
    struct sockaddr_storage ss;
    h2o_conn_t *conn = req->h2o->conn;
    socklen_t len = conn->callbacks->get_peername(conn, (struct sockaddr *)&ss);
    if (len == 0) {
        out[0] = '\0';
        return 0;
    }
    /* inet_ntop rather than h2o_socket_getnumerichost, which formats with sprintf */
    const void *addr = ss.ss_family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    if ((ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
        inet_ntop(ss.ss_family, addr, out, CN_HTTP_IP_MAX) == NULL) {
        out[0] = '\0';
        return 0;
    }
    return strlen(out);
}

int64_t cn_http_req_time_us(const cn_http_req_t *req)
{
    (void)req;
    return cn_time_now_us();
}

void *cn_http_req_alloc(cn_http_req_t *req, size_t len)
{
    return h2o_mem_alloc_pool(&req->h2o->pool, len);
}

void cn_http_req_set_data(cn_http_req_t *req, void *data)
{
    req->data = data;
}

void *cn_http_req_data(const cn_http_req_t *req)
{
    return req->data;
}

/* --- Server life --- */

static void on_stop_readable(h2o_socket_t *sock, const char *err)
{
    cn_http_server_t *srv = sock->data;
    char drain[64];
    while (read(srv->stop_pipe[0], drain, sizeof(drain)) > 0) {
    }
    srv->stopping = true;
}

cn_http_server_t *cn_http_server_new(const cn_http_limits_t *limits)
{
    cn_http_server_t *srv = cn_xcalloc(1, sizeof(*srv));
    cn_http_limits_t l = limits != NULL ? *limits : (cn_http_limits_t){0};
    if (l.max_connections == 0)
        l.max_connections = 10000;
    if (l.max_uri_bytes == 0)
        l.max_uri_bytes = 65536;
    if (l.max_header_bytes == 0)
        l.max_header_bytes = 65536;
    if (l.max_body_bytes == 0)
        l.max_body_bytes = 2 << 20;
    if (l.io_timeout_ms == 0)
        l.io_timeout_ms = 10000;
    srv->limits = l;
    srv->conns.next = srv->conns.prev = &srv->conns;
    srv->unrouted.name = "none";

    h2o_config_init(&srv->config);
    srv->config.server_name = h2o_iovec_init(H2O_STRLIT("canton"));
    srv->config.max_request_entity_size = (size_t)l.max_body_bytes;
    srv->config.http1.req_timeout = l.io_timeout_ms;
    srv->config.http1.upgrade_to_http2 = 0;
    srv->config.http2.idle_timeout = l.io_timeout_ms;
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    handler_t *h = (handler_t *)h2o_create_handler(pathconf, sizeof(*h));
    h->super.on_req = on_req;
    h->srv = srv;
    if (!l.no_compress) {
        /* h2o's gzip output filter; level 1 keeps the query path fast */
        h2o_compress_args_t ca = {.min_size = CN_HTTP_COMPRESS_MIN_BYTES,
                                  .gzip = {.quality = CN_HTTP_GZIP_LEVEL},
                                  .brotli = {.quality = -1}};
        h2o_compress_register(pathconf, &ca);
    }

    srv->loop = h2o_evloop_create();
    h2o_context_init(&srv->ctx, srv->loop, &srv->config);
    srv->accept_ctx.ctx = &srv->ctx;
    srv->accept_ctx.hosts = srv->config.hosts;
    h2o_multithread_register_receiver(srv->ctx.queue, &srv->receiver, on_messages);
    h2o_timeout_init(srv->loop, &srv->retry_timeout, 100);
    srv->retry_entry.cb = on_retry_accept;

    if (pipe2(srv->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        cn_panic("pipe2: %s", strerror(errno));
    srv->stop_sock =
        h2o_evloop_socket_create(srv->loop, srv->stop_pipe[0], H2O_SOCKET_FLAG_DONT_READ);
    srv->stop_sock->data = srv;
    h2o_socket_read_start(srv->stop_sock, on_stop_readable);
    return srv;
}

int cn_http_server_route(cn_http_server_t *srv, const char *pattern, unsigned methods,
                         const char *name, cn_http_handler_cb cb, void *ud)
{
    size_t len = strlen(pattern);
    if (len == 0 || pattern[0] != '/' || methods == 0 || cb == NULL ||
        srv->route_count == MAX_ROUTES)
        return CN_EINVAL;
    route_t *r = &srv->routes[srv->route_count++];
    memset(r, 0, sizeof(*r));
    r->pattern = pattern;
    r->len = len;
    r->prefix = pattern[len - 1] == '/';
    r->methods = methods;
    r->name = name;
    r->cb = cb;
    r->ud = ud;
    return 0;
}

int cn_http_server_listen(cn_http_server_t *srv, const char *addr, uint16_t *out_port,
                          cn_err_t *err)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= sizeof(host))
        return cn_err_set(err, CN_EINVAL, "listen address '%s': want host:port", addr);
    if (srv->listener_count == MAX_LISTENERS)
        return cn_err_set(err, CN_EINVAL, "too many listen addresses");
    const char *h = addr;
    size_t hlen = (size_t)(colon - addr);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    int64_t port;
    if (cn_str_to_i64(cn_str_c(colon + 1), &port) != 0 || port < 0 || port > 65535)
        return cn_err_set(err, CN_EINVAL, "listen address '%s': bad port", addr);

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sslen;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sslen = sizeof(*sin);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sslen = sizeof(*sin6);
    } else {
        return cn_err_set(err, CN_EINVAL, "listen address '%s': host must be a numeric IP", addr);
    }

    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cn_err_set(err, -errno, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Accepted sockets inherit TCP_NODELAY: each answer is one write. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return cn_err_set(err, -e, "listen on %s: %s", addr, strerror(e));
    }
    sslen = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    if (out_port != NULL)
        *out_port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);

    h2o_socket_t *sock = h2o_evloop_socket_create(srv->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = srv;
    srv->listeners[srv->listener_count] = sock;
    srv->listener_fds[srv->listener_count] = fd;
    srv->listener_count++;
    h2o_socket_read_start(sock, on_accept);
    return 0;
}

int cn_http_server_run(cn_http_server_t *srv, uint32_t drain_timeout_ms)
{
    while (!srv->stopping)
        h2o_evloop_run(srv->loop, INT32_MAX);

    /* Stop accepting; close the listeners (their fds go with the sockets). */
    for (size_t i = 0; i < srv->listener_count; i++) {
        h2o_socket_read_stop(srv->listeners[i]);
        h2o_socket_close(srv->listeners[i]);
    }
    srv->listener_count = 0;
    if (h2o_timeout_is_linked(&srv->retry_entry))
        h2o_timeout_unlink(&srv->retry_entry);

    /* Wait for the deferred answers (hits waiting for their fsync). */
    int64_t deadline = cn_time_mono_us() + (int64_t)drain_timeout_ms * 1000;
    while (srv->pending > 0 && cn_time_mono_us() < deadline)
        h2o_evloop_run(srv->loop, 10);
    int rc = srv->pending > 0 ? CN_ETOOBIG : 0;

    /*
     * Let the answers go out, then end the connections: shutting a socket
     * down makes h2o see the end of input and close its connection itself.
     */
    for (int i = 0; i < 5; i++)
        h2o_evloop_run(srv->loop, 0);
    for (conn_t *c = srv->conns.next; c != &srv->conns; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    deadline = cn_time_mono_us() + 1000000;
    while (srv->open_conns > 0 && cn_time_mono_us() < deadline)
        h2o_evloop_run(srv->loop, 10);
    return rc;
}

void cn_http_server_stop(cn_http_server_t *srv)
{
    ssize_t n = write(srv->stop_pipe[1], "x", 1);
    (void)n; /* a full pipe already holds a wake-up */
}

void cn_http_server_free(cn_http_server_t *srv)
{
    if (srv == NULL)
        return;
    /* Deliver deferrals posted meanwhile (e.g. by a hitlog being closed). */
    for (int i = 0; i < 3 && srv->pending > 0; i++)
        h2o_evloop_run(srv->loop, 10);
    for (size_t i = 0; i < srv->listener_count; i++)
        h2o_socket_close(srv->listeners[i]);
    h2o_socket_read_stop(srv->stop_sock);
    h2o_socket_close(srv->stop_sock);
    close(srv->stop_pipe[1]);
    h2o_multithread_unregister_receiver(srv->ctx.queue, &srv->receiver);
    h2o_evloop_run(srv->loop, 0);
    h2o_multithread_queue_t *queue = srv->ctx.queue;
    h2o_context_dispose(&srv->ctx);
#if H2O_LIBRARY_VERSION_MAJOR == 0 && H2O_LIBRARY_VERSION_MINOR == 13
    /* libh2o 0.13 (h2o 2.2.x) destroys the context's queue without freeing it. */
    free(queue);
#else
    (void)queue;
#endif
    h2o_timeout_dispose(srv->loop, &srv->retry_timeout);
    h2o_config_dispose(&srv->config);
    h2o_evloop_destroy(srv->loop);
    while (srv->free_defers != NULL) {
        cn_http_defer_t *d = srv->free_defers;
        srv->free_defers = d->next_free;
        free(d);
    }
    free(srv);
}

uint32_t cn_http_server_open_connections(const cn_http_server_t *srv)
{
    return srv->open_conns;
}

static void route_metrics(const route_t *r, const uint64_t count[N_STATUS], const char *family,
                          cn_buf_t *out)
{
    for (size_t i = 0; i < N_STATUS; i++) {
        if (count[i] == 0)
            continue;
        if (i < N_STATUS - 1)
            cn_buf_printf(out, "%s{endpoint=\"%s\",status=\"%d\"} %lu\n", family, r->name,
                          counted_status[i], (unsigned long)count[i]);
        else
            cn_buf_printf(out, "%s{endpoint=\"%s\",status=\"other\"} %lu\n", family, r->name,
                          (unsigned long)count[i]);
    }
}

void cn_http_server_metrics(cn_http_server_t *srv, cn_buf_t *out)
{
    cn_buf_append_c(out, "# HELP canton_http_requests_total HTTP requests answered, by endpoint "
                         "and status; HEAD requests are apart, in "
                         "canton_http_head_requests_total.\n"
                         "# TYPE canton_http_requests_total counter\n");
    for (size_t i = 0; i < srv->route_count; i++)
        route_metrics(&srv->routes[i], srv->routes[i].count, "canton_http_requests_total", out);
    route_metrics(&srv->unrouted, srv->unrouted.count, "canton_http_requests_total", out);
    cn_buf_append_c(out, "# HELP canton_http_head_requests_total HEAD requests answered, by "
                         "endpoint and status (no HEAD is a hit).\n"
                         "# TYPE canton_http_head_requests_total counter\n");
    for (size_t i = 0; i < srv->route_count; i++)
        route_metrics(&srv->routes[i], srv->routes[i].head_count, "canton_http_head_requests_total",
                      out);
    route_metrics(&srv->unrouted, srv->unrouted.head_count, "canton_http_head_requests_total", out);
    cn_buf_printf(out,
                  "# HELP canton_http_open_connections Open client connections.\n"
                  "# TYPE canton_http_open_connections gauge\n"
                  "canton_http_open_connections %u\n"
                  "# HELP canton_http_connections_total Connections accepted.\n"
                  "# TYPE canton_http_connections_total counter\n"
                  "canton_http_connections_total %lu\n"
                  "# HELP canton_http_connections_rejected_total Connections answered 503 "
                  "because max_connections were open.\n"
                  "# TYPE canton_http_connections_rejected_total counter\n"
                  "canton_http_connections_rejected_total %lu\n"
                  "# HELP canton_http_deferred_requests Requests waiting for their hit to be "
                  "durable.\n"
                  "# TYPE canton_http_deferred_requests gauge\n"
                  "canton_http_deferred_requests %zu\n",
                  srv->open_conns, (unsigned long)srv->accepted_total,
                  (unsigned long)srv->rejected_total, srv->pending);
}
