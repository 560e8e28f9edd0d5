/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sends generated hits to a running collector over HTTP/1.1 with keep-alive
 * (libcurl multi, one easy handle per connection, reused). Each request
 * carries the hit's method, path, query, headers and body as a browser
 * would send them, plus X-Forwarded-For with the visitor's address so that
 * a collector trusting the local proxy attributes the hit to the visitor.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "lib/xalloc.h"

typedef struct conn {
    CURL *easy;
    struct curl_slist *headers;
    cn_buf_t url, body;
    bool busy;
} conn_t;

struct cn_gen_http {
    CURLM *multi;
    char *base;
    conn_t *conns;
    unsigned count, busy;
    cn_gen_http_stats_t stats;
};

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

int cn_gen_http_new(const char *base_url, unsigned connections, cn_gen_http_t **out, cn_err_t *err)
{
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return cn_err_set(err, CN_EINVAL, "--url must start with http:// or https://");
    if (connections == 0 || connections > 256)
        return cn_err_set(err, CN_EINVAL, "connections must be 1..256");
    static bool curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return cn_err_set(err, CN_EINVAL, "libcurl failed to initialise");
        curl_ready = true;
    }
    cn_gen_http_t *h = cn_xcalloc(1, sizeof(*h));
    h->multi = curl_multi_init();
    h->base = cn_xstrdup(base_url);
    size_t bl = strlen(h->base);
    while (bl > 0 && h->base[bl - 1] == '/')
        h->base[--bl] = 0;
    h->count = connections;
    h->conns = cn_xcalloc(connections, sizeof(*h->conns));
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)connections);
    for (unsigned i = 0; i < connections; i++) {
        conn_t *c = &h->conns[i];
        c->easy = curl_easy_init();
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, discard_cb);
        curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    }
    *out = h;
    return 0;
}

/* Collects finished transfers and frees their connections. */
static void reap(cn_gen_http_t *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        conn_t *c;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        if (m->data.result != CURLE_OK) {
            h->stats.failed++;
        } else {
            long status = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (status >= 200 && status < 300)
                h->stats.ok++;
            else
                h->stats.rejected++;
        }
        curl_multi_remove_handle(h->multi, m->easy_handle);
        curl_slist_free_all(c->headers);
        c->headers = NULL;
        c->busy = false;
        h->busy--;
    }
}

void cn_gen_http_poll(cn_gen_http_t *h, int timeout_ms)
{
    int running;
    unsigned was_busy = h->busy;
    curl_multi_perform(h->multi, &running);
    reap(h);
    if (timeout_ms > 0 && (h->busy > 0 || was_busy == 0)) {
        /* Called with nothing in flight, curl_multi_poll sleeps the whole timeout (a signal
         * ends it early): the live trickle waits here for its next hit instead of spinning.
         * Called while requests were in flight that have all just ended, it returns at once. */
        curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
        curl_multi_perform(h->multi, &running);
        reap(h);
    }
}

int cn_gen_http_send(cn_gen_http_t *h, const cn_gen_hit_t *hit)
{
    while (h->busy == h->count)
        cn_gen_http_poll(h, 100);
    conn_t *c = NULL;
    for (unsigned i = 0; i < h->count; i++) {
        if (!h->conns[i].busy) {
            c = &h->conns[i];
            break;
        }
    }
    CN_ASSERT(c);
    cn_buf_clear(&c->url);
    cn_buf_append_c(&c->url, h->base);
    cn_buf_append_str(&c->url, hit->raw.path);
    if (hit->raw.query.len) {
        cn_buf_putc(&c->url, '?');
        cn_buf_append_str(&c->url, hit->raw.query);
    }
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url.ptr);

    /* Headers: the hit's own, minus those libcurl writes itself. */
    cn_str_t rest = hit->raw.headers, line;
    char tmp[4096];
    while (rest.len) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len == 0 || line.len >= sizeof(tmp))
            continue;
        if (cn_str_starts_with(line, CN_STR_LIT("host:")) ||
            cn_str_starts_with(line, CN_STR_LIT("content-length:")))
            continue;
        memcpy(tmp, line.ptr, line.len);
        tmp[line.len] = 0;
        c->headers = curl_slist_append(c->headers, tmp);
    }
    snprintf(tmp, sizeof(tmp), "x-forwarded-for: %.*s", CN_STR_FMT(hit->raw.ip));
    c->headers = curl_slist_append(c->headers, tmp);
    c->headers = curl_slist_append(c->headers, "Expect:");
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);

    if (cn_str_eq_c(hit->raw.method, "POST")) {
        cn_buf_clear(&c->body);
        cn_buf_append_str(&c->body, hit->raw.body);
        curl_easy_setopt(c->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body.len ? c->body.ptr : "");
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)c->body.len);
    } else {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    }
    c->busy = true;
    h->busy++;
    h->stats.sent++;
    curl_multi_add_handle(h->multi, c->easy);
    int running;
    curl_multi_perform(h->multi, &running);
    reap(h);
    return 0;
}

void cn_gen_http_drain(cn_gen_http_t *h)
{
    while (h->busy > 0)
        cn_gen_http_poll(h, 100);
}

void cn_gen_http_stats(const cn_gen_http_t *h, cn_gen_http_stats_t *out)
{
    *out = h->stats;
}

void cn_gen_http_free(cn_gen_http_t *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->count; i++) {
        conn_t *c = &h->conns[i];
        if (c->busy)
            curl_multi_remove_handle(h->multi, c->easy);
        curl_slist_free_all(c->headers);
        curl_easy_cleanup(c->easy);
        cn_buf_dispose(&c->url);
        cn_buf_dispose(&c->body);
    }
    curl_multi_cleanup(h->multi);
    free(h->conns);
    free(h->base);
    free(h);
}
