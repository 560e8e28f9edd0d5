/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The processing pass (process.h): per raw hit, decode (decode.c, adobe.c,
 * canton_json.c), then for each suite of the hit: currency conversion
 * (rates.c), visitor key (tracker id, else a salted hash: salt.c), visit
 * boundaries, eVar allocation and expiry, order and event-serialization
 * dedup, enrichment at visit start (enrich.h), and rows to the suite's sink.
 *
 * Determinism: everything that reaches a row depends only on the hitlog,
 * the configuration, the rates table, the salts and the enrichment data
 * sets; per-visitor eVars are kept sorted by number, and no output ever
 * follows hash-table order. The checkpoint (checkpoint.c) snapshots all of
 * this state, so a restart continues exactly where the last checkpoint was.
 * docs/processing.md states the rules in prose.
 */
#include "process/process.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enrich/enrich.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/url.h"
#include "lib/xalloc.h"
#include "process/internal.h"

/* --- Suite configuration (evarN, propN, eventN, unconverted_currency...) --- */

static int parse_attrs(const cn_suite_conf_t *sc, const char *key, const char *value,
                       int (*cb)(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err), void *ud,
                       cn_err_t *err)
{
    if (cn_conf_attrs(value, cb, ud, err) != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return cn_err_set(err, CN_ECONFIG, "[suite %s] %s = %s: %s", sc->id, key, value, msg);
    }
    return 0;
}

/* The error for an attribute no rule took; a bare word (k empty) is named as written. */
static int unknown_attr(cn_str_t k, cn_str_t v, cn_err_t *err)
{
    if (k.len == 0)
        return cn_err_set(err, CN_ECONFIG, "'%.*s' is not an attribute=value pair", CN_STR_FMT(v));
    return cn_err_set(err, CN_ECONFIG, "unknown attribute '%.*s'", CN_STR_FMT(k));
}

static int evar_attr(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err)
{
    cn_evar_conf_t *e = ud;
    if (cn_str_eq_c(k, "name"))
        return 0;
    if (cn_str_eq_c(k, "from")) {
        if (v.len > 2 && memcmp(v.ptr, "c.", 2) == 0)
            v = cn_str(v.ptr + 2, v.len - 2);
        free(e->from);
        e->from = cn_xstrndup(v.ptr, v.len);
        return 0;
    }
    if (cn_str_eq_c(k, "allocation") ||
        (k.len == 0 && (cn_str_eq_c(v, "most_recent") || cn_str_eq_c(v, "original")))) {
        if (cn_str_eq_c(v, "most_recent"))
            e->alloc = CN_ALLOC_RECENT;
        else if (cn_str_eq_c(v, "original"))
            e->alloc = CN_ALLOC_ORIGINAL;
        else
            return cn_err_set(err, CN_ECONFIG, "allocation is most_recent or original");
        return 0;
    }
    if (cn_str_eq_c(k, "expiry") || cn_str_eq_c(k, "expiration")) {
        if (cn_str_eq_c(v, "hit") || cn_str_eq_c(v, "page_view")) {
            e->exp = CN_EXP_HIT;
        } else if (cn_str_eq_c(v, "visit")) {
            e->exp = CN_EXP_VISIT;
        } else if (cn_str_eq_c(v, "never")) {
            e->exp = CN_EXP_NEVER;
        } else if (v.len > 6 && memcmp(v.ptr, "event:", 6) == 0) {
            cn_dbatch_t b;
            cn_dbatch_init(&b);
            cn_dhit_t *h = cn_dbatch_add_hit(&b);
            int rc = cn_decode_events(cn_str(v.ptr + 6, v.len - 6), &b, h, -1, NULL);
            if (rc == 0 && h->ev_count == 1 && !b.events[0].has_value &&
                b.events[0].serial.len == 0) {
                e->exp = CN_EXP_EVENT;
                e->exp_flag = b.events[0].flag;
                e->exp_event = b.events[0].num;
            }
            cn_dbatch_dispose(&b);
            if (e->exp != CN_EXP_EVENT)
                return cn_err_set(err, CN_ECONFIG, "unknown event in expiry");
        } else {
            int64_t d;
            if (v.len < 2 || v.ptr[v.len - 1] != 'd' ||
                cn_str_to_i64(cn_str(v.ptr, v.len - 1), &d) || d < 1 || d > 3650)
                return cn_err_set(err, CN_ECONFIG, "expiry is hit, visit, Nd, event:NAME or never");
            e->exp = CN_EXP_DAYS;
            e->exp_us = d * 86400000000LL;
        }
        return 0;
    }
    return unknown_attr(k, v, err);
}

/* listN = name=TEXT; delimiter=X; expiry=...; allocation=full; max=N */
typedef struct list_conf {
    cn_evar_conf_t *e; /* the expiry (evar[CN_LIST_BASE + N]) */
    char *delim;
    uint16_t *max;
} list_conf_t;

static int list_attr(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err)
{
    list_conf_t *l = ud;
    if (cn_str_eq_c(k, "name"))
        return 0;
    if (cn_str_eq_c(k, "delimiter")) {
        /* one byte, as Adobe's Value Delimiter: a multi-byte character is not supported */
        if (v.len != 1)
            return cn_err_set(err, CN_ECONFIG,
                              "delimiter is one byte (multi-byte delimiters are not supported)");
        *l->delim = v.ptr[0];
        return 0;
    }
    if (cn_str_eq_c(k, "expiry") || cn_str_eq_c(k, "expiration"))
        return evar_attr(l->e, k, v, err);
    if (cn_str_eq_c(k, "allocation") || (k.len == 0 && cn_str_eq_c(v, "full"))) {
        if (cn_str_eq_c(v, "full"))
            return 0;
        return cn_err_set(err, CN_ECONFIG, "allocation is full (linear is not offered)");
    }
    if (cn_str_eq_c(k, "max")) {
        int64_t n;
        if (cn_str_to_i64(v, &n) != 0 || n < 1 || n > CN_LIST_MAX_VALUES)
            return cn_err_set(err, CN_ECONFIG, "max is 1..%d", CN_LIST_MAX_VALUES);
        *l->max = (uint16_t)n;
        return 0;
    }
    return unknown_attr(k, v, err);
}

static int prop_attr(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err)
{
    char **from = ud;
    if (cn_str_eq_c(k, "name"))
        return 0;
    if (cn_str_eq_c(k, "from")) {
        if (v.len > 2 && memcmp(v.ptr, "c.", 2) == 0)
            v = cn_str(v.ptr + 2, v.len - 2);
        free(*from);
        *from = cn_xstrndup(v.ptr, v.len);
        return 0;
    }
    return unknown_attr(k, v, err);
}

static int event_attr(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err)
{
    uint8_t *kind = ud;
    if (cn_str_eq_c(k, "name"))
        return 0;
    if (cn_str_eq_c(k, "type") || k.len == 0) {
        if (cn_str_eq_c(v, "counter"))
            *kind = CN_EVK_COUNTER;
        else if (cn_str_eq_c(v, "numeric"))
            *kind = CN_EVK_NUMERIC;
        else if (cn_str_eq_c(v, "currency"))
            *kind = CN_EVK_CURRENCY;
        else
            return cn_err_set(err, CN_ECONFIG, "type is counter, numeric or currency");
        return 0;
    }
    return unknown_attr(k, v, err);
}

int cn__process_suite_conf(cn_suite_state_t *s, const cn_suite_conf_t *sc, cn_err_t *err)
{
    for (unsigned n = 1; n <= 3; n++) {
        /* a list without settings: split at ',', hit-scoped, no max */
        s->evar[CN_LIST_BASE + n].exp = CN_EXP_HIT;
        s->list_delim[n] = ',';
        s->list_max[n] = 0;
    }
    for (size_t i = 0; i < sc->kv_count; i++) {
        const char *k = sc->kv[i].key, *v = sc->kv[i].value;
        unsigned n;
        int rc = 0;
        if ((n = cn_conf_key_num(k, "evar", 250)) != 0) {
            rc = parse_attrs(sc, k, v, evar_attr, &s->evar[n], err);
        } else if ((n = cn_conf_key_num(k, "list", 3)) != 0) {
            list_conf_t l = {&s->evar[CN_LIST_BASE + n], &s->list_delim[n], &s->list_max[n]};
            rc = parse_attrs(sc, k, v, list_attr, &l, err);
        } else if ((n = cn_conf_key_num(k, "prop", 75)) != 0) {
            rc = parse_attrs(sc, k, v, prop_attr, &s->prop_from[n], err);
        } else if ((n = cn_conf_key_num(k, "event", CN_DEC_MAX_EVENT_NUM)) != 0) {
            rc = parse_attrs(sc, k, v, event_attr, &s->event_kind[n], err);
        } else if (strcmp(k, "unconverted_currency") == 0) {
            if (strcmp(v, "keep") == 0)
                s->keep_unconverted = true;
            else if (strcmp(v, "bad_row") == 0)
                s->keep_unconverted = false;
            else
                rc = cn_err_set(err, CN_ECONFIG,
                                "[suite %s] unconverted_currency is keep or bad_row", sc->id);
        }
        if (rc != 0)
            return rc;
    }
    /* hit-scoped lists never enter the visitor's values (list_hit_rows), so only eVars count
     * for exp_hit */
    for (unsigned n = 1; n < CN_LIST_BASE + 4; n++) {
        s->exp_days |= s->evar[n].exp == CN_EXP_DAYS;
        s->exp_hit |= n <= 250 && s->evar[n].exp == CN_EXP_HIT;
        s->exp_event |= s->evar[n].exp == CN_EXP_EVENT;
        s->list_persist |= n > 250 && s->evar[n].exp != CN_EXP_HIT;
    }
    return 0;
}

/* --- Small helpers --- */

#define pos_le cn__pos_le

/* The path of a URL without its query (cn_url_strip_query: "https://h/a/b" -> "/a/b"), or the
 * URL when it has no scheme. */
static cn_str_t url_path(cn_str_t u)
{
    cn_str_t host = cn_url_host(u);
    if (host.ptr == NULL)
        return u;
    const char *p = memchr(host.ptr, '/', (size_t)(u.ptr + u.len - host.ptr));
    if (p == NULL)
        return CN_STR_LIT("/");
    return cn_str(p, (size_t)(u.ptr + u.len - p));
}

static cn_str_t primary_language(cn_str_t al)
{
    for (size_t i = 0; i < al.len; i++) {
        if (al.ptr[i] == ',' || al.ptr[i] == ';')
            return cn_str_trim(cn_str(al.ptr, i));
    }
    return cn_str_trim(al);
}

static cn_suite_state_t *find_suite(cn_process_t *p, cn_str_t id)
{
    for (size_t i = 0; i < p->suite_count; i++) {
        if (cn_str_eq(p->suites[i].id, id))
            return &p->suites[i];
    }
    return NULL;
}

/* --- Bad rows --- */

static int bad_row(cn_process_t *p, const cn_rawhit_t *raw, const void *rec, size_t rec_len,
                   cn_hitlog_pos_t pos, int reason, const char *detail)
{
    p->stats.bad_rows++;
    p->stats.bad_by_reason[reason < CN_BADROW__COUNT ? reason : 0]++;
    if (p->only_suite != NULL || p->badlog == NULL)
        return 0; /* reprocessing one suite: the first pass kept the bad rows */
    cn_buf_clear(&p->recbuf);
    if (rec == NULL && raw != NULL) {
        cn_rawhit_encode(raw, &p->recbuf);
        rec = p->recbuf.ptr;
        rec_len = p->recbuf.len;
    }
    cn_badrow_t row = {
        .recv_us = raw ? raw->recv_us : 0,
        .reason = (uint8_t)reason,
        .suite = raw ? raw->suite : CN_STR_NULL,
        .detail = cn_str_c(detail),
        .pos = pos,
        .raw = cn_str(rec, rec_len),
    };
    return cn_badlog_append(p->badlog, &row);
}

/* --- Visitors and eVars --- */

/* The cookieless key of a raw hit for suite s under a day's salt: SipHash over (suite, IP, UA),
 * separated by NULs, keyed with the salt. */
static cn_key_t cookieless_hash(cn_process_t *p, const cn_suite_state_t *s, const cn_rawhit_t *raw,
                                const uint8_t salt[16])
{
    uint8_t out[crypto_shorthash_BYTES];
    size_t n = s->id.len + 1 + raw->ip.len + 1 + raw->ua.len;
    char local[512]; /* the usual case: on the stack, no buffer to grow */
    char *w = local;
    if (n > sizeof(local)) {
        cn_buf_clear(&p->recbuf);
        cn_buf_reserve(&p->recbuf, n);
        w = p->recbuf.ptr;
    }
    char *at = w;
    memcpy(at, s->id.ptr, s->id.len); /* s->id: the configured suite's id, never NULL */
    at += s->id.len;
    *at++ = 0;
    if (raw->ip.len > 0)
        memcpy(at, raw->ip.ptr, raw->ip.len);
    at += raw->ip.len;
    *at++ = 0;
    if (raw->ua.len > 0)
        memcpy(at, raw->ua.ptr, raw->ua.len);
    crypto_shorthash(out, (const unsigned char *)w, n, salt);
    uint64_t a;
    memcpy(&a, out, 8);
    return (cn_key_t){a, 0x636f6f6b69656c73ULL}; /* "cookiels": never an XXH3 high half by design */
}

/* The slot of cookieless_key's memo for raw, or NULL when the memo cannot hold its inputs. */
static inline cn_ckmemo_t *ckmemo_slot(cn_process_t *p, const cn_rawhit_t *raw)
{
    cn_str_t ip = raw->ip, ua = raw->ua;
    if (p->ckmemo == NULL || ip.len + ua.len > CN_CKMEMO_BYTES)
        return NULL;
    /* the IP's ends, the UA's ends and its middle (UAs start alike) */
    uint64_t h =
        cn__str_mix(ip) ^ cn__str_mix(ua) >> 7 ^ cn__str_mix(cn_str(ua.ptr, ua.len / 2)) >> 13;
    return &p->ckmemo[(h >> 40) & (CN_CKMEMO_SLOTS - 1)];
}

/*
 * cookieless_hash through a memo of recent inputs (cn_ckmemo_t): a visitor's hits come close
 * together, and SipHash costs about 6 instructions a byte of IP and UA (~900 a hit), a found
 * entry about a tenth of that. An entry holds the whole input (suite, IP, UA) and its salt,
 * compared byte for byte: the memo gives what SipHash would. Its slot is chosen from the
 * input's lengths and a few of its bytes (the ends of the IP and UA, the UA's middle): inputs
 * that share a slot only evict each other.
 */
static cn_key_t cookieless_key(cn_process_t *p, const cn_suite_state_t *s, const cn_rawhit_t *raw,
                               const uint8_t salt[16])
{
    cn_str_t ip = raw->ip, ua = raw->ua;
    if (ip.len + ua.len > CN_CKMEMO_BYTES)
        return cookieless_hash(p, s, raw, salt);
    if (p->ckmemo == NULL)
        p->ckmemo = cn_xcalloc(CN_CKMEMO_SLOTS, sizeof(*p->ckmemo));
    cn_ckmemo_t *e = ckmemo_slot(p, raw);
    if (e->suite == s && e->ip_len == ip.len && e->ua_len == ua.len &&
        memcmp(e->salt, salt, 16) == 0 && (ip.len == 0 || memcmp(e->in, ip.ptr, ip.len) == 0) &&
        (ua.len == 0 || memcmp(e->in + ip.len, ua.ptr, ua.len) == 0))
        return e->key;
    e->key = cookieless_hash(p, s, raw, salt);
    e->suite = s;
    e->ip_len = (uint16_t)ip.len;
    e->ua_len = (uint16_t)ua.len;
    memcpy(e->salt, salt, 16);
    if (ip.len > 0)
        memcpy(e->in, ip.ptr, ip.len);
    if (ua.len > 0)
        memcpy(e->in + ip.len, ua.ptr, ua.len);
    return e->key;
}

static inline uint32_t visitor_added(cn_process_t *p, cn_suite_state_t *s, cn_key_t key,
                                     bool *is_new)
{
    *is_new = true;
    p->stats.visitors++;
    return cn__vis_add(s, key);
}

/*
 * A visitor's hits come close together: a memo of recent ids (docs/processing.md "Visitors")
 * gives most of them their ordinal without the key's XXH3-128 and the index probe. Ordinals
 * never change while the table lives (vis_dispose drops the memo with it). The memo's slot of
 * the hit's visitor id, or NULL (no id, or one too long for the memo): process_hit asks for it
 * first and reads it after the hit's amounts, so that the slot's cache miss (the memo is 256
 * KiB) overlaps that work.
 */
static inline cn_vmemo_t *visitor_memo(cn_suite_state_t *s, const cn_dhit_t *h)
{
    cn_str_t id = h->visitor_id;
    if (id.len == 0 || id.len > CN_VMEMO_BYTES)
        return NULL;
    if (s->vmemo == NULL)
        s->vmemo = cn_xcalloc(CN_VMEMO_SLOTS, sizeof(*s->vmemo));
    return &s->vmemo[cn__str_mix(id) >> 40 & (CN_VMEMO_SLOTS - 1)];
}

/* The ordinal of the hit's visitor (new ones added, *is_new set); *rc a salt's error. e: the
 * memo slot of its id (visitor_memo), NULL when none. A visitor the memo gives is not read
 * here (the caller starts loading its record); the others are, by the index probe. */
static uint32_t visitor_of(cn_process_t *p, cn_suite_state_t *s, const cn_rawhit_t *raw,
                           const cn_dhit_t *h, cn_vmemo_t *e, int64_t ts, bool *is_new, int *rc)
{
    cn_key_t key;
    uint32_t ord;
    *is_new = false;
    if (h->visitor_id.len > 0) {
        cn_str_t id = h->visitor_id;
        if (e != NULL && e->len == id.len && cn_memeq_short(e->id, id.ptr, id.len))
            return e->ord;
        key = cn_key_of(0x7669736974, id);
        ord = cn__vis_find(s, key);
        if (ord == UINT32_MAX)
            ord = visitor_added(p, s, key, is_new);
        if (e != NULL) {
            e->len = (uint8_t)id.len;
            memcpy(e->id, id.ptr, id.len);
            e->ord = ord;
        }
        return ord;
    }
    uint8_t salt[16];
    if ((*rc = cn_salts_get(p->salts, ts, raw->recv_us, salt)) != 0)
        return 0;
    key = cookieless_key(p, s, raw, salt);
    ord = cn__vis_find(s, key);
    /* Not seen under its day's salt: a visit going on over midnight UTC, when the salts
     * change, keeps its visitor (and so its visit) while it lasts, as Plausible looks a
     * session up under the previous salt too. Only a visitor new for the day pays this. */
    if (ord == UINT32_MAX && cn_salts_prev(p->salts, ts, salt) == 0) {
        uint32_t prev = cn__vis_find(s, cookieless_hash(p, s, raw, salt));
        if (prev != UINT32_MAX && ts - cn__vis_at(s, prev)->last_ts <= s->conf->visit_timeout_us)
            ord = prev;
    }
    return ord != UINT32_MAX ? ord : visitor_added(p, s, key, is_new);
}

static void evar_remove(cn_visitor_t *v, size_t i)
{
    memmove(&v->evars[i], &v->evars[i + 1], (v->evar_count - i - 1) * sizeof(v->evars[0]));
    v->evar_count--;
}

/* Drops eVar values that expired before this hit (visit end, N days). */
static void evars_expire_before(cn_suite_state_t *s, cn_visitor_t *v, int64_t ts)
{
    for (size_t i = v->evar_count; i > 0; i--) {
        cn_evar_val_t *e = &v->evars[i - 1];
        const cn_evar_conf_t *c = &s->evar[e->num];
        bool gone = (c->exp == CN_EXP_VISIT && e->set_visit != v->visit_num) ||
                    (c->exp == CN_EXP_DAYS && ts >= e->set_ts + c->exp_us) ||
                    (c->exp == CN_EXP_HIT);
        if (gone)
            evar_remove(v, i - 1);
    }
}

static inline void evar_set(cn_suite_state_t *s, cn_visitor_t *v, unsigned num, cn_str_t value,
                            int64_t ts)
{
    cn_evar_val_t *ev = v->evars;
    size_t n = v->evar_count, i = 0;
    while (i < n && ev[i].num < num)
        i++;
    if (i < n && ev[i].num == num) {
        if (s->evar[num].alloc == CN_ALLOC_ORIGINAL)
            return;
        if (cn_str_eq_short(cn__pool_get(s, ev[i].str), value)) {
            /* the value in force again: its pool id is the one interning would give */
            ev[i].set_ts = ts;
            ev[i].set_visit = v->visit_num;
            return;
        }
    } else {
        if (n == v->evar_cap) {
            cn__evars_grow(s, v, n + 1);
            ev = v->evars;
        }
        if (i < n) /* (most values come in eVar order: appended) */
            memmove(&ev[i + 1], &ev[i], (n - i) * sizeof(ev[0]));
        v->evar_count = (uint16_t)(n + 1);
    }
    ev[i] = (cn_evar_val_t){(uint16_t)num, cn__pool_intern(s, value), ts, v->visit_num};
}

/* Drops eVar values that expire on an event this hit carries (events: its commerce flags
 * that count; ev_val: CN_EV_REPEAT for a serialized event already seen, which ends nothing). */
static void evars_expire_after(cn_suite_state_t *s, cn_visitor_t *v, const cn_dbatch_t *b,
                               const cn_dhit_t *h, uint8_t events, const int64_t *ev_val)
{
    for (size_t i = v->evar_count; i > 0; i--) {
        const cn_evar_conf_t *c = &s->evar[v->evars[i - 1].num];
        if (c->exp != CN_EXP_EVENT)
            continue;
        bool hit = c->exp_flag ? (events & c->exp_flag) != 0 : false;
        for (uint32_t k = 0; !hit && k < h->ev_count; k++)
            hit = b->events[h->ev_first + k].num == c->exp_event && c->exp_event != 0 &&
                  ev_val[k] != CN_EV_REPEAT;
        if (hit)
            evar_remove(v, i - 1);
    }
}

/* --- List variables (listN: values in force per visitor, after the eVars) --- */

/* The next value of a list split at delim, trimmed; empty ones are skipped. False at the end. */
static bool list_next(cn_str_t *rest, char delim, cn_str_t *item)
{
    while (rest->ptr != NULL) {
        *rest = cn_str_split(*rest, delim, item);
        *item = cn_str_trim(*item);
        if (item->len > 0)
            return true;
    }
    return false;
}

static size_t list_count(cn_str_t v, char delim)
{
    size_t n = 0;
    cn_str_t item;
    while (list_next(&v, delim, &item))
        n++;
    return n;
}

/* Adds value to list n's values in force as the most recent one (a value already in force
 * moves there, with a new set time), then drops the oldest beyond the list's max. */
static void list_add(cn_suite_state_t *s, cn_visitor_t *v, unsigned n, cn_str_t value, int64_t ts)
{
    unsigned num = CN_LIST_BASE + n;
    size_t lo = 0, hi;
    while (lo < v->evar_count && v->evars[lo].num < num)
        lo++;
    for (hi = lo; hi < v->evar_count && v->evars[hi].num == num; hi++)
        ;
    for (size_t i = lo; i < hi; i++) {
        if (cn_str_eq_short(cn__pool_get(s, v->evars[i].str), value)) {
            evar_remove(v, i);
            hi--;
            break;
        }
    }
    if (v->evar_count == v->evar_cap)
        cn__evars_grow(s, v, (size_t)v->evar_count + 1);
    memmove(&v->evars[hi + 1], &v->evars[hi], (v->evar_count - hi) * sizeof(v->evars[0]));
    v->evar_count++;
    v->evars[hi++] = (cn_evar_val_t){(uint16_t)num, cn__pool_intern(s, value), ts, v->visit_num};
    size_t max = s->list_max[n] ? s->list_max[n] : CN_LIST_MAX_VALUES;
    for (; hi - lo > max; hi--)
        evar_remove(v, lo);
}

/* Rows of a hit-scoped list value: its values on this hit, the last `max` of them. */
static int list_hit_rows(cn_process_t *p, cn_suite_state_t *s, uint32_t hid, unsigned n,
                         cn_str_t value)
{
    char delim = s->list_delim[n];
    size_t skip = 0;
    if (s->list_max[n] != 0) {
        size_t count = list_count(value, delim);
        skip = count > s->list_max[n] ? count - s->list_max[n] : 0;
    }
    cn_str_t item;
    while (list_next(&value, delim, &item)) {
        if (skip > 0) {
            skip--;
            continue;
        }
        cn_var_row_t vr = {.hit = hid, .var = CN_VAR_LIST | n, .value = item};
        int rc = s->sink.var(s->sink.ud, &vr);
        if (rc != 0)
            return rc;
        p->stats.vars++;
    }
    return 0;
}

static cn_str_t ctx_get(const cn_dbatch_t *b, const cn_dhit_t *h, const char *key)
{
    for (uint32_t i = 0; i < h->ctx_count; i++) {
        const cn_dkv_t *kv = &b->ctx[h->ctx_first + i];
        if (cn_str_eq_nocase(kv->key, cn_str_c(key)))
            return kv->value;
    }
    return CN_STR_NULL;
}

/* True when the hit sets var (CN_VAR_EVAR|n, CN_VAR_PROP|n) itself: a from= rule of
 * context data then gives way (docs/processing.md "eVars, props, events"). Only asked when a
 * rule found its key in the hit's context data. */
static bool hit_sets(const cn_dbatch_t *b, const cn_dhit_t *h, uint32_t var)
{
    for (uint32_t i = 0; i < h->var_count; i++) {
        if (b->vars[h->var_first + i].var == var)
            return true;
    }
    return false;
}

/* --- Visit rows --- */

static cn_str_t keep_str(cn_parena_t *keep, cn_str_t v)
{
    return keep != NULL && v.ptr != NULL ? cn_parena_dup(keep, v) : v;
}

void cn__penrich(cn_enrich_thread_t *et, const cn_suite_conf_t *sc, const cn_rawhit_t *raw,
                 const cn_dhit_t *h, cn_parena_t *keep, cn_penrich_t *out)
{
    /* every field is written below (no memset: a `rep stos` of the whole struct) */
    CN_ASSERT(!h->referrer_raw); /* (the callers decode it: cn_decode_referrer) */
    out->ok = true;
    cn_enrich_prefetch(et, raw->ua, raw->ip);
    cn_enrich_ua(et, raw->ua, &out->ua);
    size_t ip_len;
    out->has_geo =
        cn_enrich_geo_ip_text(et, raw->ip, sc->keep_ip, &out->geo, out->ip, &ip_len) == 0;
    out->ip_len = (uint8_t)ip_len;
    cn_enrich_source(et, h->referrer, h->url, h->campaign, sc, &out->ref, &out->camp,
                     &out->channel);
    /* what enrichment derived from the input lives until its next call: copy what rows take */
    out->ref.domain = keep_str(keep, out->ref.domain);
    out->ref.terms = keep_str(keep, out->ref.terms);
    out->camp.campaign = keep_str(keep, out->camp.campaign);
    out->camp.utm_source = keep_str(keep, out->camp.utm_source);
    out->camp.utm_medium = keep_str(keep, out->camp.utm_medium);
}

/* A row's fields zeroed one by one, not its bytes: a memset of the struct is a `rep stos`
 * (its start-up cost was ~0.5% of the pass per row type), and field stores that a value
 * follows are dropped by the compiler. */
#define ZERO_FIELD(name, kind, json, doc) row->name = (CN_COLK_CTYPE(kind)){0};

/* ip_buf (CN_ENRICH_IP_TEXT_CAP bytes) holds the row's ip until the row is emitted. */
static void fill_visit(cn_process_t *p, cn_suite_state_t *s, const cn_rawhit_t *raw,
                       const cn_dhit_t *h, cn_visit_row_t *r, cn_str_t page, const cn_penrich_t *pe,
                       char *ip_buf)
{
    cn_visit_row_t *row = r;
    CN_VISIT_COLUMNS(ZERO_FIELD)
    r->entry_page = page;
    r->ref_url = h->referrer;
    r->campaign = h->campaign;
    r->screen = h->screen;
    r->language = h->language.len
                      ? h->language
                      : primary_language(cn_rawhit_header(raw, CN_STR_LIT("accept-language")));
    cn_penrich_t local;
    if ((pe == NULL || !pe->ok) && p->et != NULL) {
        cn__penrich(p->et, s->conf, raw, h, NULL, &local);
        pe = &local;
    }
    /* the IP geo is looked up from, anonymized unless the suite keeps it (cn_enrich_ip_text):
     * enrichment made its text with the geo (one parse), else it is made below */
    if (pe != NULL && pe->ok) {
        memcpy(ip_buf, pe->ip, CN_ENRICH_IP_TEXT_CAP);
        r->ip = cn_str(ip_buf, pe->ip_len);
        r->browser = pe->ua.browser;
        r->browser_ver = pe->ua.browser_ver;
        r->os = pe->ua.os;
        r->os_ver = pe->ua.os_ver;
        r->device = (uint8_t)pe->ua.type;
        r->bot = pe->ua.is_bot ? pe->ua.bot : CN_STR_LIT("");
        if (pe->has_geo) {
            r->country = pe->geo.country;
            r->region = pe->geo.region;
            r->city = pe->geo.city;
        }
        r->ref_domain = pe->ref.domain;
        r->ref_type = (uint8_t)pe->ref.type;
        r->search_term = pe->ref.terms;
        r->campaign = pe->camp.campaign;
        r->utm_source = pe->camp.utm_source;
        r->utm_medium = pe->camp.utm_medium;
        r->channel = pe->channel;
        r->cross_border =
            r->country.len > 0 && s->home.len > 0 && !cn_str_eq_short(r->country, s->home);
        return;
    }
    /* Without enrichment: the IP's text, and the referrer host, internal when it is one of the
     * suite's domains. */
    r->ip = cn_str(ip_buf, cn_enrich_ip_text(raw->ip, s->conf->keep_ip, ip_buf));
    r->ref_domain = cn_url_host(h->referrer);
    if (r->ref_domain.ptr == NULL)
        r->ref_domain = CN_STR_LIT("");
    if (h->referrer.len == 0) {
        r->ref_type = CN_REF_NONE;
    } else {
        r->ref_type = CN_REF_OTHER;
        for (size_t i = 0; i < s->conf->domain_count; i++) {
            if (cn_str_eq_nocase(r->ref_domain, cn_str_c(s->conf->domains[i])))
                r->ref_type = CN_REF_INTERNAL;
        }
    }
}

/* --- Visit rules beyond the timeout (new_visit_on_campaign, new_visit_on_referrer) --- */

/* The hit's campaign as a visit row would take it: enrichment's, else Adobe v0. */
static cn_str_t hit_campaign(cn_process_t *p, cn_suite_state_t *s, const cn_dhit_t *h,
                             const cn_penrich_t *pe)
{
    if (pe != NULL && pe->ok)
        return pe->camp.campaign;
    if (p->et == NULL)
        return h->campaign;
    cn_campaign_t camp;
    cn_enrich_campaign(p->et, h->url, h->campaign, s->conf, &camp);
    return camp.campaign;
}

/* The hit's referrer domain when it is another site (not internal, not empty), else "". */
static cn_str_t external_ref_domain(cn_process_t *p, cn_suite_state_t *s, cn_dbatch_t *b,
                                    const cn_dhit_t *h, const cn_penrich_t *pe)
{
    if (h->referrer.len == 0) /* (a raw one is empty only when its decoded value is) */
        return CN_STR_LIT("");
    const cn_str_t referrer = cn_decode_referrer(b, h);
    if ((pe != NULL && pe->ok) || p->et != NULL) {
        cn_ref_info_t ref;
        if (pe != NULL && pe->ok)
            ref = pe->ref;
        else
            cn_enrich_referrer(p->et, referrer, h->url, s->conf, &ref);
        if (ref.type == CN_REF_INTERNAL || ref.type == CN_REF_NONE || ref.domain.ptr == NULL)
            return CN_STR_LIT("");
        return ref.domain;
    }
    cn_str_t host = cn_url_host(referrer);
    if (host.ptr == NULL)
        return CN_STR_LIT("");
    for (size_t i = 0; i < s->conf->domain_count; i++) {
        if (cn_str_eq_nocase(host, cn_str_c(s->conf->domains[i])))
            return CN_STR_LIT("");
    }
    return host;
}

/* True when a rule opens a new visit at this hit of an ongoing visit. */
static bool visit_rule_splits(cn_process_t *p, cn_suite_state_t *s, cn_dbatch_t *b,
                              const cn_visitor_t *v, const cn_dhit_t *h, const cn_penrich_t *pe)
{
    if (s->conf->new_visit_on_campaign) {
        cn_str_t c = hit_campaign(p, s, h, pe);
        if (c.len > 0 && cn__pool_intern(s, c) + 1 != v->visit_campaign)
            return true;
    }
    if (s->conf->new_visit_on_referrer && h->type == CN_HIT_PAGEVIEW) {
        cn_str_t d = external_ref_domain(p, s, b, h, pe);
        if (d.len > 0 && cn__pool_intern(s, d) + 1 != v->visit_ref)
            return true;
    }
    return false;
}

/* Remembers what the rules compare later hits with: the new visit's campaign and referrer. */
static void visit_marks(cn_suite_state_t *s, cn_visitor_t *v, const cn_visit_row_t *vr)
{
    v->visit_campaign = s->conf->new_visit_on_campaign && vr->campaign.len > 0
                            ? cn__pool_intern(s, vr->campaign) + 1
                            : 0;
    bool external =
        vr->ref_type != CN_REF_INTERNAL && vr->ref_type != CN_REF_NONE && vr->ref_domain.len > 0;
    v->visit_ref =
        s->conf->new_visit_on_referrer && external ? cn__pool_intern(s, vr->ref_domain) + 1 : 0;
}

/* --- One hit for one suite --- */

/* The key of a serialized event in the suite's set: eventN by N (1..1000), a commerce
 * event by its flag above that range (the keys of eventN are those of earlier versions). */
static cn_key_t serial_key(const cn_devent_t *ev)
{
    return cn_key_of(0x73657269616c ^ (ev->num != 0 ? ev->num : (uint64_t)ev->flag << 16),
                     ev->serial);
}

typedef struct conv {
    int64_t revenue, revenue_orig;
    int64_t *item_rev; /* per product, base currency */
    int64_t *ev_val;   /* per event of the hit */
    bool dup;          /* purchase id seen before */
    bool purchase;     /* counted purchase */
} conv_t;

/* 0, CN_ENOTFOUND (no rate, amount not kept) or CN_ETOOBIG (the result does not fit 64
 * bits: never kept unconverted, as a rate exists). */
static int convert(cn_process_t *p, cn_suite_state_t *s, cn_str_t cur, int64_t ts, int64_t amount,
                   int64_t *out)
{
    int rc = cn_rates_convert(p->rates, cur, s->base, ts, amount, out);
    if (rc == CN_ENOTFOUND && s->keep_unconverted) {
        *out = amount;
        return 0;
    }
    return rc;
}

/*
 * The paths of process_hit that most hits do not take are functions of their own, out of line
 * (GCC's `cold` puts them apart from the hot code): the hot path of a hit is then fewer lines
 * of code, which the decoder and the sinks evict between two hits.
 */
#define CN_COLD __attribute__((noinline, cold))

/* The scratch arrays of a hit's amounts, for more products or events than they hold. */
static CN_COLD void tmp_grow(cn_process_t *p, const cn_dhit_t *h)
{
    p->tmp_cap = h->prod_count > h->ev_count ? h->prod_count : h->ev_count;
    p->tmp_items = cn_xrealloc(p->tmp_items, p->tmp_cap * sizeof(int64_t));
    p->tmp_events = cn_xrealloc(p->tmp_events, p->tmp_cap * sizeof(int64_t));
}

/*
 * A hit with the purchase event: a repeat of an order (a refreshed confirmation page), seen
 * here or marked by the source (an Adobe feed's duplicate_purchase, for an order canton may
 * never have seen), becomes *dup_hit: as Adobe does with a duplicate purchase, the hit keeps
 * its traffic data (page view, props) and loses its conversion data: every event, its products
 * and the eVars it sets (*hp points to dup_hit, *events is 0). Otherwise the order's amounts
 * are converted into cv. 0, or why an amount could not be converted (as convert()).
 */
static CN_COLD int purchase_amounts(cn_process_t *p, cn_suite_state_t *s, const cn_dbatch_t *b,
                                    const cn_dhit_t **hp, cn_dhit_t *dup_hit, cn_str_t cur,
                                    int64_t ts, conv_t *cv, uint8_t *events)
{
    const cn_dhit_t *h = *hp;
    if (h->dup_purchase ||
        (h->purchase_id.len > 0 &&
         cn_kmap_get(&s->orders, cn_key_of(0x6f72646572, h->purchase_id)) != NULL)) {
        cv->dup = true;
        *events = 0;
        *dup_hit = *h;
        dup_hit->ev_count = 0;
        dup_hit->prod_count = 0;
        *hp = dup_hit;
        return 0;
    }
    cv->purchase = true;
    int64_t sum = 0;
    int crc;
    for (uint32_t i = 0; i < h->prod_count; i++) {
        const cn_dprod_t *pr = &b->prods[h->prod_first + i];
        cv->item_rev[i] = 0;
        if (!pr->has_price)
            continue;
        /* up to 1000 prices of up to 10^13: their sum can pass 64 bits */
        if (__builtin_add_overflow(sum, pr->price, &sum))
            return CN_ETOOBIG;
        if ((crc = convert(p, s, cur, ts, pr->price, &cv->item_rev[i])) != 0)
            return crc;
    }
    cv->revenue_orig = h->has_revenue ? h->revenue : sum;
    return convert(p, s, cur, ts, cv->revenue_orig, &cv->revenue);
}

/* The bad row of a hit whose amount could not be converted (crc: convert()'s error). */
static CN_COLD int no_rate(cn_process_t *p, cn_suite_state_t *s, const cn_rawhit_t *raw,
                           cn_hitlog_pos_t pos, cn_str_t cur, int crc)
{
    char detail[160];
    if (crc == CN_ETOOBIG) {
        snprintf(detail, sizeof(detail),
                 "an amount in %.*s does not fit 64 bits summed or converted to %.*s",
                 CN_STR_FMT(cur), CN_STR_FMT(s->base));
        return bad_row(p, raw, NULL, 0, pos, CN_BADROW_TOO_BIG, detail);
    }
    snprintf(detail, sizeof(detail), "no %.*s->%.*s rate on or before the hit's day",
             CN_STR_FMT(cur), CN_STR_FMT(s->base));
    return bad_row(p, raw, NULL, 0, pos, CN_BADROW_NO_RATE, detail);
}

/* How many variables a hit with lists has, its lists split with the suite's delimiters. */
static CN_COLD size_t list_var_count(const cn_suite_state_t *s, const cn_dvar_t *vars,
                                     uint32_t var_count)
{
    size_t nvars = var_count;
    for (uint32_t i = 0; i < var_count; i++) {
        const cn_dvar_t *dv = &vars[i];
        if ((dv->var & CN_VAR_FAMILY_MASK) == CN_VAR_LIST)
            nvars += list_count(dv->value, s->list_delim[dv->var & 0xffff]) - 1;
    }
    return nvars;
}

/* The bad row of a hit with more variables than the decoder's limit, lists split. */
static CN_COLD int too_many_vars(cn_process_t *p, const cn_rawhit_t *raw, cn_hitlog_pos_t pos)
{
    char detail[160];
    snprintf(detail, sizeof(detail), "more than %d variables", CN_DEC_MAX_VARS);
    return bad_row(p, raw, NULL, 0, pos, CN_BADROW_TOO_BIG, detail);
}

/* The amount of each of the hit's events in cv->ev_val, converted for currency events: 0 or
 * convert()'s error. */
static inline int event_values(cn_process_t *p, cn_suite_state_t *s, const cn_dbatch_t *b,
                               const cn_dhit_t *h, cn_str_t cur, int64_t ts, conv_t *cv)
{
    int crc;
    for (uint32_t i = 0; i < h->ev_count; i++) {
        const cn_devent_t *ev = &b->events[h->ev_first + i];
        cv->ev_val[i] = ev->has_value ? ev->value : CN_MONEY_SCALE;
        if (ev->num != 0 && ev->has_value && s->event_kind[ev->num] == CN_EVK_CURRENCY &&
            (crc = convert(p, s, cur, ts, ev->value, &cv->ev_val[i])) != 0)
            return crc;
    }
    return 0;
}

/*
 * Serialized events (eventN:ID, scAdd:ID...) count once per (event, id) and suite, ever: a
 * repeat is not counted (CN_EV_REPEAT in cv->ev_val) and ends no eVar; a commerce flag goes
 * from *events when every entry of it is a repeat. Returns how many events are repeats.
 */
static CN_COLD uint32_t serial_events(cn_suite_state_t *s, const cn_dbatch_t *b, const cn_dhit_t *h,
                                      conv_t *cv, uint8_t *events)
{
    uint8_t repeat_flags = 0, counted_flags = 0;
    uint32_t repeats = 0;
    for (uint32_t i = 0; i < h->ev_count; i++) {
        const cn_devent_t *ev = &b->events[h->ev_first + i];
        if (ev->serial.len > 0 && !cn_kmap_put(&s->serials, serial_key(ev), 0)) {
            cv->ev_val[i] = CN_EV_REPEAT;
            repeat_flags |= ev->flag;
            repeats++;
        } else {
            counted_flags |= ev->flag;
        }
    }
    *events &= (uint8_t) ~(repeat_flags & ~counted_flags);
    return repeats;
}

/* A list that persists (listN with an expiry): each of its values on the hit becomes the
 * most recent in force (list_add). */
static CN_COLD void list_set(cn_suite_state_t *s, cn_visitor_t *v, unsigned n, cn_str_t value,
                             int64_t ts, bool *sets_list)
{
    cn_str_t rest = value, item;
    while (list_next(&rest, s->list_delim[n], &item)) {
        list_add(s, v, n, item, ts);
        *sets_list = true;
    }
}

/* eVars of context-data rules (evarN from=KEY) the hit does not set itself. */
static CN_COLD void ctx_evars(cn_suite_state_t *s, cn_visitor_t *v, const cn_dbatch_t *b,
                              const cn_dhit_t *h, int64_t ts)
{
    for (unsigned n = 1; n <= 250; n++) {
        if (s->evar[n].from == NULL)
            continue;
        cn_str_t val = ctx_get(b, h, s->evar[n].from);
        if (val.len > 0 && !hit_sets(b, h, CN_VAR_EVAR | n))
            evar_set(s, v, n, val, ts);
    }
}

/* Rows of props of context-data rules (propN from=KEY) the hit does not give itself. */
static CN_COLD int ctx_props(cn_process_t *p, cn_suite_state_t *s, const cn_dbatch_t *b,
                             const cn_dhit_t *h, uint32_t hid)
{
    for (unsigned n = 1; n <= 75; n++) {
        if (s->prop_from[n] == NULL)
            continue;
        cn_str_t val = ctx_get(b, h, s->prop_from[n]);
        if (val.len == 0 || hit_sets(b, h, CN_VAR_PROP | n))
            continue;
        cn_var_row_t vr = {.hit = hid, .var = CN_VAR_PROP | n, .value = val};
        int rc = s->sink.var(s->sink.ud, &vr);
        if (rc != 0)
            return rc;
        p->stats.vars++;
    }
    return 0;
}

/* Rows of the list values in force (lists that persist: evars[ne..evar_count)). */
static CN_COLD int list_rows(cn_process_t *p, cn_suite_state_t *s, const cn_visitor_t *v,
                             uint32_t ne, uint32_t hid)
{
    for (uint32_t k = ne; k < v->evar_count; k++) {
        cn_var_row_t vr = {.hit = hid,
                           .var = CN_VAR_LIST | (v->evars[k].num - CN_LIST_BASE),
                           .value = cn__pool_get(s, v->evars[k].str)};
        int rc = s->sink.var(s->sink.ud, &vr);
        if (rc != 0)
            return rc;
        p->stats.vars++;
    }
    return 0;
}

/* Drops the eVar values that end with their hit (expiry=hit). */
static CN_COLD void evars_expire_hit(cn_suite_state_t *s, cn_visitor_t *v)
{
    for (size_t i = v->evar_count; i > 0; i--) {
        if (s->evar[v->evars[i - 1].num].exp == CN_EXP_HIT)
            evar_remove(v, i - 1);
    }
}

/* After a purchase or a repeat of one: the order id is spent. */
static CN_COLD void order_spent(cn_process_t *p, cn_suite_state_t *s, const cn_dhit_t *h,
                                const conv_t *cv)
{
    if (cv->purchase) {
        p->stats.orders++;
        if (h->purchase_id.len > 0)
            cn_kmap_put(&s->orders, cn_key_of(0x6f72646572, h->purchase_id), 0);
    } else {
        p->stats.duplicate_orders++;
        /* a marked repeat's id is spent too: the order it repeats was counted by its source */
        if (h->dup_purchase && h->purchase_id.len > 0)
            cn_kmap_put(&s->orders, cn_key_of(0x6f72646572, h->purchase_id), 0);
    }
}

/* A visit starts at this hit: its number and ordinal, and its row. */
static __attribute__((noinline)) int visit_start(cn_process_t *p, cn_suite_state_t *s,
                                                 const cn_rawhit_t *raw, cn_dbatch_t *b,
                                                 const cn_dhit_t *h, cn_visitor_t *v, uint32_t vord,
                                                 int64_t ts, cn_str_t page, const cn_penrich_t *pe,
                                                 bool rules)
{
    cn_dhit_t decoded;
    if (h->referrer_raw) { /* an Adobe r= kept raw: the visit row takes it decoded */
        decoded = *h;
        decoded.referrer = cn_decode_referrer(b, h);
        decoded.referrer_raw = false;
        h = &decoded;
    }
    v->visit_num++;
    v->visit = s->visit_count++;
    v->hit_num = 0;
    cn_visit_row_t vr;
    char ip_buf[CN_ENRICH_IP_TEXT_CAP];
    fill_visit(p, s, raw, h, &vr, page, pe, ip_buf);
    vr.visitor = vord;
    vr.visit_num = v->visit_num;
    /* to the second, as Adobe's visit_start_time_gmt: the exact time is
     * the first hit's ts, and a visit's second costs the store a few bits
     * where its millisecond cost twelve (docs/hit.md) */
    vr.start_ts = ts - (ts % 1000000 + 1000000) % 1000000;
    if (rules)
        visit_marks(s, v, &vr);
    int rc = s->sink.visit(s->sink.ud, v->visit, &vr);
    if (rc != 0)
        return rc;
    p->stats.visits++;
    return 0;
}

static int process_hit(cn_process_t *p, cn_suite_state_t *s, const cn_rawhit_t *raw,
                       cn_hitlog_pos_t pos, cn_dbatch_t *b, const cn_dhit_t *h,
                       const cn_penrich_t *pe)
{
    int64_t ts = h->ts_us ? h->ts_us : raw->recv_us;
    /* hit and visit times are kept to the millisecond (docs/hit.md), in µs */
    int64_t ms_rest = ts % 1000;
    ts -= ms_rest < 0 ? ms_rest + 1000 : ms_rest;
    cn_str_t cur = h->currency.len ? h->currency : s->base;
    conv_t cv = {0};
    uint8_t events = h->events;
    int crc; /* why an amount could not be converted */
    cn_vmemo_t *memo = visitor_memo(s, h);
    if (memo != NULL)
        __builtin_prefetch(memo);

    /* 1. Money first: a hit that cannot be converted becomes a bad row before any state changes. */
    if (__builtin_expect(h->prod_count > p->tmp_cap || h->ev_count > p->tmp_cap, 0))
        tmp_grow(p, h);
    cv.item_rev = p->tmp_items;
    cv.ev_val = p->tmp_events;
    cn_dhit_t dup_hit;
    if ((events & CN_EV_PURCHASE) &&
        (crc = purchase_amounts(p, s, b, &h, &dup_hit, cur, ts, &cv, &events)) != 0)
        return no_rate(p, s, raw, pos, cur, crc);
    /* the hit's variables, in locals: the sinks' calls below would make the compiler reload
     * b->vars and h->var_first for every variable */
    const uint32_t var_count = h->var_count;
    const cn_dvar_t *vars = var_count > 0 ? &b->vars[h->var_first] : NULL; /* NULL + 0: UB */
    /* the hit's lists split with the suite's delimiters: more than the decoder's limit on
     * variables makes it a bad row, as when the decoder split them */
    const bool has_list = h->has_list;
    if (has_list && list_var_count(s, vars, var_count) > CN_DEC_MAX_VARS)
        return too_many_vars(p, raw, pos);
    if ((crc = event_values(p, s, b, h, cur, ts, &cv)) != 0)
        return no_rate(p, s, raw, pos, cur, crc);
    /* Serialized events (eventN:ID, scAdd:ID...): after the amounts, so that a hit that
     * becomes a bad row spends no id. */
    uint32_t repeats = h->has_serial ? serial_events(s, b, h, &cv, &events) : 0;

    /* 2. Visitor and visit. */
    cn_str_t url = cn_url_strip_query(h->url);
    cn_str_t page = h->page_name.len ? h->page_name : url_path(url);
    bool is_new;
    int rc = 0;
    uint32_t vord = visitor_of(p, s, raw, h, memo, ts, &is_new, &rc);
    if (rc != 0)
        return rc;
    cn_visitor_t *v = cn__vis_at(s, vord);
    __builtin_prefetch(v, 1); /* (a record can span two lines) */
    __builtin_prefetch((const char *)(v + 1) - 1, 1);
    /* while the record comes: the hit row's fields that need no visitor */
    cn_hit_row_t hr, *row = &hr;
    CN_HIT_COLUMNS(ZERO_FIELD)
    hr.type = h->type;
    hr.events = events;
    hr.page = page;
    hr.url = url;
    hr.page_type = h->page_type;
    hr.section = h->section;
    hr.server = h->server;
    hr.link_url = h->link_url;
    hr.link_name = h->link_name;
    hr.order_id = cv.purchase ? h->purchase_id : CN_STR_LIT("");
    hr.currency = cur;
    hr.revenue = cv.revenue;
    hr.revenue_orig = cv.revenue_orig;
    bool rules = s->conf->new_visit_on_campaign || s->conf->new_visit_on_referrer;
    /* its eVars are read after the visit's and the hit's rows: start loading them */
    if (v->evars != NULL)
        __builtin_prefetch(v->evars);
    /* A hit older than the visitor's last one (Adobe ts; imported logs out of order): reports
     * read a visit's hits in the order they came, so a visit's times never go back. Within
     * the timeout it joins the visit at its last hit's time; further back it is a visit of
     * its own at its own time and becomes the visitor's last hit: hits stamped just after it
     * (the rest of an offline queue) continue that visit, and a hit at the later times
     * again is more than the timeout after it and opens another. */
    bool late = !is_new && v->last_ts - ts > s->conf->visit_timeout_us;
    if (!is_new && !late && ts < v->last_ts)
        ts = v->last_ts;
    bool split = is_new || late || ts - v->last_ts > s->conf->visit_timeout_us;
    if (!split && rules)
        split = visit_rule_splits(p, s, b, v, h, pe);
    if (split && (rc = visit_start(p, s, raw, b, h, v, vord, ts, page, pe, rules)) != 0)
        return rc;
    v->hit_num++;
    if (ts > v->last_ts || is_new || late)
        v->last_ts = ts;
    /* merchandising eVars (merch.c): for hits with products or events of visitors with
     * bindings (and for hits that bind some, below); read after the rows: start loading */
    bool merch = v->merch && (h->prod_count > 0 || events != 0 || h->ev_count > 0);
    if (merch)
        cn__merch_prefetch(s, vord);

    /* 3. The hit row (before the eVars: nothing in it depends on them). */
    hr.ts = ts;
    hr.visit = v->visit;
    hr.hit_num = v->hit_num;
    if (cv.purchase) {
        for (uint32_t i = 0; i < h->prod_count; i++)
            hr.units += (uint32_t)b->prods[h->prod_first + i].qty;
    }
    uint32_t hid;
    if ((rc = s->sink.hit(s->sink.ud, &hr, &hid)) != 0)
        return rc;
    p->stats.hits++;

    /* 4. Items. */
    for (uint32_t i = 0; i < h->prod_count; i++) {
        const cn_dprod_t *pr = &b->prods[h->prod_first + i];
        cn_item_row_t ir = {
            .hit = hid,
            .sku = pr->sku,
            .category = pr->category,
            .quantity = cv.purchase ? (uint32_t)pr->qty : 0,
            .revenue = cv.purchase ? cv.item_rev[i] : 0,
        };
        if ((rc = s->sink.item(s->sink.ud, &ir)) != 0)
            return rc;
        p->stats.items++;
    }

    /* 5. eVars: expire, then apply this hit's values (query, products, context-data rules).
     * Values of the visit expire when a visit starts (values set in this visit carry its
     * number; the checkpoint's reader drops any of an earlier one: checkpoint.c); N-day ones
     * can on any hit. (Hit-scoped ones never reach here: step 7 ends them after their hit,
     * and the checkpoint's reader drops any it holds.) In the same pass, the rows of the
     * hit's own variables: hit-scoped props, lists, hierarchies, merchandising eVars; then
     * the eVars and lists in force. */
    if (split || s->exp_days)
        evars_expire_before(s, v, ts);
    uint32_t own = UINT32_MAX; /* the first merchandising eVar, for cn__merch_hit */
    bool sets_list = false;    /* sets a list that persists */
    for (uint32_t i = 0; i < var_count; i++) {
        const cn_dvar_t *dv = &vars[i];
        uint32_t var = dv->var;
        if ((var & CN_VAR_FAMILY_MASK) == CN_VAR_EVAR) {
            if (cv.dup)
                continue;
            evar_set(s, v, var & 0xffff, dv->value, ts);
            if (dv->product < 0)
                continue; /* its row is the eVar in force's, below */
            own = own == UINT32_MAX ? i : own;
            /* a merchandising eVar of the products string: bound to its item row */
            var = cn_var_merch(var & 0xffff, (unsigned)dv->product);
        } else if ((var & CN_VAR_FAMILY_MASK) == CN_VAR_LIST) {
            unsigned n = var & 0xffff;
            if (s->evar[CN_LIST_BASE + n].exp != CN_EXP_HIT) {
                /* a list that persists: its values in force are written below */
                if (has_list && !cv.dup)
                    list_set(s, v, n, dv->value, ts, &sets_list);
                continue;
            }
            /* split with the suite's delimiter */
            if ((rc = list_hit_rows(p, s, hid, n, dv->value)) != 0)
                return rc;
            continue;
        }
        cn_var_row_t vr = {.hit = hid, .var = var, .value = dv->value};
        if ((rc = s->sink.var(s->sink.ud, &vr)) != 0)
            return rc;
        p->stats.vars++;
    }
    if (h->ctx_count > 0 && s->has_from && !cv.dup)
        ctx_evars(s, v, b, h, ts);
    /* merchandising eVars bound to products on earlier hits (merch.c), and this hit's */
    if (!merch && own != UINT32_MAX && h->prod_count > 0) {
        merch = true;
        cn__merch_prefetch(s, vord);
    }
    if (merch && (rc = cn__merch_hit(p, s, vord, b, h, hid, ts, events, cv.ev_val, own)) != 0)
        return rc;
    if (h->ctx_count > 0 && s->has_from && (rc = ctx_props(p, s, b, h, hid)) != 0)
        return rc;
    /* list values in force (lists that persist), on hits with success events (repeats of
     * serialized ones are none) and hits that set a list: each value gets the events' full credit.
     * Before the eVars: the store codes the eVar rows that end a hit's rows as changes
     * (docs/storage.md "Var group"). */
    uint32_t ne = v->evar_count; /* the eVars in force: evars[0..ne); list values follow */
    while (s->list_persist && ne > 0 && v->evars[ne - 1].num > CN_LIST_BASE)
        ne--;
    if (ne < v->evar_count && (events != 0 || h->ev_count > repeats || sets_list) &&
        (rc = list_rows(p, s, v, ne, hid)) != 0)
        return rc;
    /* every hit carries the eVars in force (Adobe credits a hit, link or page view, to the
     * values set or persisting on it) */
    for (uint32_t k = 0; k < ne; k++) {
        cn_var_row_t vr = {.hit = hid,
                           .var = CN_VAR_EVAR | v->evars[k].num,
                           .value = cn__pool_get(s, v->evars[k].str)};
        if ((rc = s->sink.var(s->sink.ud, &vr)) != 0)
            return rc;
        p->stats.vars++;
    }

    /* 6. Numbered events (serialized ones once per id and suite). */
    for (uint32_t i = 0; i < h->ev_count; i++) {
        const cn_devent_t *ev = &b->events[h->ev_first + i];
        if (ev->num == 0 || cv.ev_val[i] == CN_EV_REPEAT)
            continue;
        cn_event_row_t er = {.hit = hid, .event = ev->num, .value = cv.ev_val[i]};
        if ((rc = s->sink.event(s->sink.ud, &er)) != 0)
            return rc;
        p->stats.events++;
    }

    /* 7. After the hit: event- and hit-scoped eVars end; the order id is spent. */
    if (s->exp_event)
        evars_expire_after(s, v, b, h, events, cv.ev_val);
    if (s->exp_hit)
        evars_expire_hit(s, v);
    if (cv.purchase || cv.dup)
        order_spent(p, s, h, &cv);
    return 0;
}

/* --- Public entry points --- */

/* The hits of b for suite s, one of the suites its list names. */
static inline int suite_hits(cn_process_t *p, cn_suite_state_t *s, const cn_rawhit_t *raw,
                             const void *rec, size_t rec_len, cn_hitlog_pos_t pos, cn_dbatch_t *b,
                             const cn_penrich_t *pe)
{
    if (p->only_suite != NULL && !cn_str_eq_c(s->id, p->only_suite))
        return 0;
    if (s->suppress)
        cn__suite_unsuppress(s, pos);
    if (s->conf->exclude_ip_count > 0 &&
        cn_conf_is_excluded_ip(s->conf, raw->ip.ptr, raw->ip.len)) {
        char d[200];
        snprintf(d, sizeof(d), "IP %.*s is in suite %.*s's exclude_ips",
                 (int)(raw->ip.len > 64 ? 64 : raw->ip.len), raw->ip.ptr ? raw->ip.ptr : "",
                 CN_STR_FMT(s->id));
        return bad_row(p, raw, rec, rec_len, pos, CN_BADROW_EXCLUDED_IP, d);
    }
    int rc = 0;
    for (size_t i = 0; i < b->hit_count && rc == 0; i++)
        rc = process_hit(p, s, raw, pos, b, &b->hits[i],
                         pe ? &pe[(size_t)(s - p->suites) * b->hit_count + i] : NULL);
    return rc;
}

/*
 * The state stage for one decoded raw hit: b holds its hits (reason 0) or
 * reason is why it is a bad row; pe (may be NULL) its enrichment computed
 * ahead, indexed [suite index * b->hit_count + hit index].
 */
static int process_batch(cn_process_t *p, const cn_rawhit_t *raw, const void *rec, size_t rec_len,
                         cn_hitlog_pos_t pos, cn_dbatch_t *b, int reason, const char *detail,
                         const cn_penrich_t *pe)
{
    if (reason != 0)
        return bad_row(p, raw, rec, rec_len, pos, reason, detail);
    /* One hit per configured suite of the list; a suite named twice (shop,shop) is one. The
     * usual list is one id, the suite of the raw hit before: compared whole first (a
     * configured id has no ',' nor space, so a list equal to it names that suite alone). One
     * call of suite_hits, so that process_hit is inlined once. */
    cn_str_t rest = b->suites, id;
    size_t matched = 0, unknown = 0;
    int rc = 0;
    cn_suite_state_t *s = NULL;
    if (p->suite_count > 0 && cn_str_eq_short(b->suites, p->suites[p->last_suite].id)) {
        s = &p->suites[p->last_suite];
        rest = CN_STR_NULL;
    }
    while (rc == 0 && (s != NULL || rest.ptr != NULL)) {
        if (s == NULL) {
            const char *at = rest.ptr;
            rest = cn_str_split(rest, ',', &id);
            id = cn_str_trim(id);
            if (id.len == 0 ||
                (at != b->suites.ptr && /* the first id: none before it */
                 cn_str_list_has(cn_str(b->suites.ptr, (size_t)(at - b->suites.ptr)), ',', id)))
                continue;
            if ((s = find_suite(p, id)) == NULL) {
                unknown++;
                continue;
            }
            p->last_suite = (size_t)(s - p->suites);
        }
        matched++;
        rc = suite_hits(p, s, raw, rec, rec_len, pos, b, pe);
        s = NULL;
    }
    if (rc != 0)
        return rc;
    if (matched == 0) {
        char d[160];
        if (unknown == 0) /* say so, not "suite '' is not configured" (a pixel without suite=) */
            snprintf(d, sizeof(d), "the hit names no suite");
        else
            snprintf(d, sizeof(d), "suite '%.*s' is not configured",
                     (int)(b->suites.len > 100 ? 100 : b->suites.len),
                     b->suites.ptr ? b->suites.ptr : "");
        return bad_row(p, raw, rec, rec_len, pos, CN_BADROW_UNKNOWN_SUITE, d);
    }
    p->stats.skipped_suites += unknown;
    return 0;
}

static int process_decoded(cn_process_t *p, const cn_rawhit_t *raw, const void *rec, size_t rec_len,
                           cn_hitlog_pos_t pos)
{
    cn_err_t err;
    cn_err_clear(&err);
    p->batch.conf = p->conf; /* suite keys some decoders read (import_log.c) */
    int reason = cn_decode_raw(raw, &p->batch, &err);
    return process_batch(p, raw, rec, rec_len, pos, &p->batch, reason, err.msg, NULL);
}

static bool should_skip(cn_process_t *p, cn_hitlog_pos_t pos)
{
    if (p->only_suite != NULL)
        return p->has_limit && !pos_le(pos, p->limit);
    return p->has_pos && pos_le(pos, p->pos);
}

/* A record processed without error: the run's position moves past it. */
static void record_done(cn_process_t *p, cn_hitlog_pos_t pos)
{
    if (p->only_suite == NULL) {
        p->pos = pos;
        p->has_pos = true;
    }
    p->last = pos;
    p->has_last = true;
    p->dirty = true;
}

int cn_process_raw(cn_process_t *p, const cn_rawhit_t *raw, cn_hitlog_pos_t pos)
{
    if (should_skip(p, pos))
        return 0;
    p->stats.raw_hits++;
    int rc = process_decoded(p, raw, NULL, 0, pos);
    if (rc == 0)
        record_done(p, pos);
    return rc;
}

int cn_process_record(cn_process_t *p, const void *rec, size_t len, cn_hitlog_pos_t pos)
{
    if (should_skip(p, pos))
        return 0;
    p->stats.raw_hits++;
    cn_rawhit_t raw;
    int rc;
    if (cn_rawhit_decode(rec, len, &raw) != 0) {
        rc = bad_row(p, NULL, rec, len, pos, CN_BADROW_BAD_RECORD,
                     "hitlog record does not decode as a raw hit");
    } else {
        rc = process_decoded(p, &raw, rec, len, pos);
    }
    if (rc == 0)
        record_done(p, pos);
    return rc;
}

/*
 * The state stage for one record decoded ahead (rec_ok: it decodes as a raw hit, raw and b its
 * decoding, reason and detail cn_decode_raw's result; pe may be NULL), with the run's position.
 */
static int process_prepared(cn_process_t *p, bool rec_ok, const cn_rawhit_t *raw, const void *rec,
                            size_t len, cn_hitlog_pos_t pos, cn_dbatch_t *b, int reason,
                            const char *detail, const cn_penrich_t *pe)
{
    if (should_skip(p, pos))
        return 0;
    p->stats.raw_hits++;
    int rc = rec_ok ? process_batch(p, raw, rec, len, pos, b, reason, detail, pe)
                    : bad_row(p, NULL, rec, len, pos, CN_BADROW_BAD_RECORD,
                              "hitlog record does not decode as a raw hit");
    if (rc == 0)
        record_done(p, pos);
    return rc;
}

int cn__process_prec(cn_process_t *p, cn_prec_t *r)
{
    return process_prepared(p, r->rec_ok, &r->raw, r->rec.ptr, r->rec.len, r->pos, &r->b, r->reason,
                            r->err.msg, r->pe);
}

bool cn__decode_record(const cn_process_t *p, const void *rec, size_t len, cn_rawhit_t *raw,
                       cn_dbatch_t *b, int *reason, cn_err_t *err)
{
    *reason = 0;
    if (cn_rawhit_decode(rec, len, raw) != 0) {
        cn_dbatch_reset(b);
        return false;
    }
    cn_err_clear(err);
    b->conf = p->conf; /* suite keys some decoders read (import_log.c) */
    *reason = cn_decode_raw(raw, b, err);
    return true;
}

/* --- A one-thread run, by groups of records --- */

/*
 * A one-thread run takes the records CN_GROUP at a time (as many as lie in
 * the reader's window: cn_hitlog_reader_next_n), decodes them all, then
 * processes them in order. Between the two, the visitor of each record's
 * hit is looked up ahead, in stages over the whole group, so that the
 * memory they read (the memo slot, the index slot, the visitor record,
 * random lines of tables larger than the caches) comes while other records
 * are decoded and processed instead of stalling each hit in turn. The
 * lookups ahead only prefetch: the state stage looks everything up again
 * and never depends on them, so the rows are those of one record at a time.
 */
#define CN_GROUP  32
#define AHEAD_GAP 4 /* records decoded between two stages of a record's lookups ahead */

/* What the lookup ahead of a record's visitor asked for last. */
enum { AHEAD_NONE, AHEAD_MEMO, AHEAD_CKMEMO, AHEAD_INDEX, AHEAD_DEEP };

typedef struct cn_grec {
    bool init;     /* b is initialized */
    bool skip;     /* before the run's position: not decoded */
    bool rec_ok;   /* the record decodes as a raw hit */
    uint8_t ahead; /* the visitor lookup ahead: AHEAD_* */
    int reason;    /* cn_decode_raw's result: 0 or a bad-row reason */
    uint32_t ord;  /* AHEAD_DEEP: the visitor's ordinal */
    cn_key_t key;  /* AHEAD_INDEX: the visitor's key */
    cn_hitlog_ref_t ref;
    cn_rawhit_t raw;
    cn_dbatch_t b;
    cn_err_t err;
} cn_grec_t;

void cn__group_free(cn_grec_t *g)
{
    for (size_t i = 0; g != NULL && i < CN_GROUP; i++)
        if (g[i].init)
            cn_dbatch_dispose(&g[i].b);
    free(g);
}

/* The suite state of batch b when it names only the suite of the last raw hit, else NULL. */
static inline cn_suite_state_t *usual_suite(cn_process_t *p, const cn_dbatch_t *b)
{
    if (p->suite_count == 0 || b->hit_count == 0 ||
        !cn_str_eq_short(b->suites, p->suites[p->last_suite].id))
        return NULL;
    return &p->suites[p->last_suite];
}

/* Stage 1, as g is decoded: the memo slot of its first hit's visitor id, or of its
 * cookieless key's inputs. */
static void ahead_memo(cn_process_t *p, cn_grec_t *g)
{
    g->ahead = AHEAD_NONE;
    if (g->skip || !g->rec_ok || g->reason != 0)
        return;
    cn_suite_state_t *s = usual_suite(p, &g->b);
    if (s == NULL)
        return;
    const void *e;
    if (g->b.hits[0].visitor_id.len > 0) {
        if ((e = visitor_memo(s, &g->b.hits[0])) == NULL)
            return;
        g->ahead = AHEAD_MEMO;
    } else {
        if ((e = ckmemo_slot(p, &g->raw)) == NULL)
            return;
        g->ahead = AHEAD_CKMEMO;
    }
    __builtin_prefetch(e);
}

/* The visitor with ordinal ord is known: ask for its record and its merchandising list. */
static inline void ahead_visitor(cn_suite_state_t *s, cn_grec_t *g, uint32_t ord)
{
    g->ahead = AHEAD_NONE;
    if (ord >= s->vis_count)
        return;
    const cn_visitor_t *v = cn__vis_at(s, ord);
    __builtin_prefetch(v);
    __builtin_prefetch((const char *)(v + 1) - 1); /* (a record can span two lines) */
    cn__merch_prefetch(s, ord);
    g->ord = ord;
    g->ahead = AHEAD_DEEP;
}

/*
 * The later stages, one step a call: a visitor the memo knows, its record; else the index slot
 * of its key (from the id, or the cookieless memo's entry for the same inputs). Then the
 * record the index slot names (a guess by the slot's tag). Last, what the record points to:
 * its eVars and its merchandising bindings.
 */
static void ahead_step(cn_process_t *p, cn_grec_t *g)
{
    if (g->ahead == AHEAD_NONE)
        return;
    cn_suite_state_t *s = usual_suite(p, &g->b);
    if (s == NULL) {
        g->ahead = AHEAD_NONE;
        return;
    }
    switch (g->ahead) {
    case AHEAD_MEMO: {
        cn_str_t id = g->b.hits[0].visitor_id;
        const cn_vmemo_t *e = visitor_memo(s, &g->b.hits[0]);
        if (e->len == id.len && cn_memeq_short(e->id, id.ptr, id.len)) {
            ahead_visitor(s, g, e->ord);
            return;
        }
        g->key = cn_key_of(0x7669736974, id);
        break;
    }
    case AHEAD_CKMEMO: {
        /* cookieless_key as visitor_of calls it, when the day's salt is there: its memo then
         * has the key when the hit is processed (the same key: the memo compares the salt) */
        const cn_dhit_t *h = &g->b.hits[0];
        uint8_t salt[16];
        if (cn_salts_peek(p->salts, h->ts_us ? h->ts_us : g->raw.recv_us, salt) != 0) {
            g->ahead = AHEAD_NONE;
            return;
        }
        g->key = cookieless_key(p, s, &g->raw, salt);
        break;
    }
    case AHEAD_INDEX: {
        uint32_t tag = (uint32_t)(g->key.a >> 32);
        uint64_t slot = s->vidx[tag >> (32 - s->vidx_bits)];
        if (slot != 0 && (uint32_t)(slot >> 32) == tag)
            ahead_visitor(s, g, (uint32_t)slot - 1);
        else
            g->ahead = AHEAD_NONE;
        return;
    }
    case AHEAD_DEEP: {
        g->ahead = AHEAD_NONE;
        if (g->ord >= s->vis_count)
            return;
        const cn_visitor_t *v = cn__vis_at(s, g->ord);
        if (v->evars != NULL)
            __builtin_prefetch(v->evars);
        if (v->merch)
            cn__merch_prefetch_binds(s, g->ord);
        return;
    }
    }
    uint32_t tag = (uint32_t)(g->key.a >> 32);
    __builtin_prefetch(&s->vidx[tag >> (32 - s->vidx_bits)]);
    g->ahead = AHEAD_INDEX;
}

static void group_decode(cn_process_t *p, cn_grec_t *g)
{
    g->skip = should_skip(p, g->ref.pos);
    if (g->skip)
        return;
    if (g->init && cn_dbatch_grown(&g->b)) {
        cn_dbatch_dispose(&g->b); /* a big raw hit grew them: give the memory back */
        g->init = false;
    }
    if (!g->init) {
        cn_dbatch_init_small(&g->b);
        g->init = true;
    }
    g->rec_ok = cn__decode_record(p, g->ref.p, g->ref.len, &g->raw, &g->b, &g->reason, &g->err);
}

static int group_process(cn_process_t *p, cn_grec_t *g)
{
    return process_prepared(p, g->rec_ok, &g->raw, g->ref.p, g->ref.len, g->ref.pos, &g->b,
                            g->reason, g->err.msg, NULL);
}

void cn_process_stats(const cn_process_t *p, cn_process_stats_t *out)
{
    *out = p->stats;
}

void cn_process_set_enrich(cn_process_t *p, cn_enrich_t *e)
{
    cn_enrich_ref(e);
    cn_enrich_unref(atomic_exchange(&p->enrich_next, e)); /* one not yet taken is replaced */
}

void cn__process_enrich_use(cn_process_t *p, cn_enrich_t *e)
{
    if (p->et != NULL)
        cn_enrich_thread_rebind(p->et, e);
    else
        p->et = cn_enrich_thread_new(e);
    p->enrich = e;
    cn_enrich_unref(e); /* the handle holds its own reference */
    p->stats.enrich_switches++;
}

/* A one-thread run's reload point, between two records. */
static void enrich_switch(cn_process_t *p)
{
    if (atomic_load_explicit(&p->enrich_next, memory_order_relaxed) == NULL)
        return;
    cn_enrich_t *e = atomic_exchange(&p->enrich_next, NULL);
    if (e != NULL)
        cn__process_enrich_use(p, e);
}

cn_hitlog_pos_t cn_process_position(const cn_process_t *p)
{
    return p->has_pos ? p->pos : (cn_hitlog_pos_t){0, 0};
}

/* Checkpoint every checkpoint_us, but at least 10x as long as the last one
 * took: the snapshot grows with the visitor state, and writing it must
 * stay a small share of the time. */
int cn__process_ck_maybe(cn_process_t *p, int64_t *last_ck, int64_t *ck_every, cn_err_t *err)
{
    /* a reprocessing pass checkpoints only once it is complete */
    if (p->only_suite != NULL || (!p->dirty && !p->salt_clock))
        return 0;
    int64_t now = cn_time_mono_us();
    if (p->salt_clock && now >= p->salt_next_us) {
        p->salt_next_us = now + CN_SALT_CLOCK_US;
        int rc = cn_process_expire_salts(p, cn_time_now_us());
        if (rc < 0)
            return cn_err_set(err, rc, "salts: %s", cn_strerror(rc));
    }
    if (!p->dirty)
        return 0;
    if (now - *last_ck >= *ck_every) {
        int rc = cn_process_checkpoint(p);
        if (rc != 0)
            return cn_err_set(err, rc, "checkpoint: %s", cn_process_why(p, rc));
        *last_ck = cn_time_mono_us();
        *ck_every = p->checkpoint_us;
        if (10 * (*last_ck - now) > *ck_every)
            *ck_every = 10 * (*last_ck - now);
    }
    return 0;
}

int cn_process_expire_salts(cn_process_t *p, int64_t now_us)
{
    int rc = cn_salts_expire(p->salts, now_us);
    if (rc > 0)
        cn_log_info("salts expired", "count=%d", rc);
    return rc;
}

static bool use_pipe(const cn_process_t *p)
{
    if (p->threads == 1)
        return false;
    if (p->threads >= 2)
        return true;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2;
}

const char *cn_process_why(const cn_process_t *p, int rc)
{
    if (p->ck_why[0] != 0)
        return p->ck_why;
    for (size_t i = 0; i < p->suite_count; i++) {
        const cn_sink_t *k = &p->suites[i].sink;
        const char *why = k->why != NULL ? k->why(k->ud) : NULL;
        if (why != NULL && why[0] != 0)
            return why;
    }
    return cn_strerror(rc);
}

int cn_process_run(cn_process_t *p, const char *hitlog_dir, atomic_bool *stop, cn_err_t *err)
{
    cn_hitlog_reader_t *r;
    cn_hitlog_pos_t start = {0, 0};
    if (p->only_suite == NULL && p->has_pos)
        start = p->pos;
    int rc = cn_hitlog_reader_open(hitlog_dir, start, &r, err);
    if (rc != 0)
        return rc;
    enrich_switch(p); /* a reload asked for between two runs */
    if (use_pipe(p) && (rc = cn__pipe_run(p, r, stop, err)) != 1) {
        if (rc == 0 && p->dirty && (rc = cn_process_checkpoint(p)) != 0)
            cn_err_set(err, rc, "checkpoint: %s", cn_process_why(p, rc));
        cn_hitlog_reader_close(r);
        return rc;
    }
    if (p->grp == NULL)
        p->grp = cn_xcalloc(CN_GROUP, sizeof(*p->grp));
    cn_grec_t *grp = p->grp;
    cn_hitlog_ref_t refs[CN_GROUP];
    int64_t last_ck = cn_time_mono_us(), ck_every = p->checkpoint_us;
    unsigned tick = 0;
    for (;;) {
        if (stop != NULL && atomic_load(stop))
            break;
        if ((rc = cn_hitlog_reader_next_n(r, refs, CN_GROUP, err)) < 0)
            break;
        size_t n = (size_t)rc;
        bool at_end = n == 0, past = false;
        rc = 0;
        /* reprocessing stops where the live pass's checkpoint is */
        for (size_t i = 0; i < n && p->only_suite != NULL && p->has_limit; i++) {
            if (!pos_le(refs[i].pos, p->limit)) {
                n = i;
                past = true;
            }
        }
        /* each stage of the lookups ahead a few decodes after the one before (the time a
         * line takes to come); the group's last records finish theirs before the first is
         * processed, and are processed last */
        for (size_t i = 0; i < n + 3 * AHEAD_GAP; i++) {
            if (i < n) {
                grp[i].ref = refs[i];
                group_decode(p, &grp[i]);
                ahead_memo(p, &grp[i]);
            }
            for (size_t k = 1; k <= 3; k++)
                if (i >= k * AHEAD_GAP && i - k * AHEAD_GAP < n)
                    ahead_step(p, &grp[i - k * AHEAD_GAP]);
        }
        for (size_t i = 0; i < n && rc == 0; i++, tick++) {
            if ((rc = group_process(p, &grp[i])) != 0) {
                cn_err_set(err, rc, "processing the record at %u:%llu: %s", grp[i].ref.pos.segment,
                           (unsigned long long)grp[i].ref.pos.offset, cn_process_why(p, rc));
                break;
            }
            /* the clock is read every CN_CK_EVERY_RECS records and at the end of the log: a
             * read per record cost about 1.5% of the pass */
            if (tick % CN_CK_EVERY_RECS == 0) {
                if ((rc = cn__process_ck_maybe(p, &last_ck, &ck_every, err)) != 0)
                    break;
                enrich_switch(p); /* a reload (cn_process_set_enrich), between two records */
            }
        }
        if (rc != 0 || past)
            break;
        if (at_end) {
            if ((rc = cn__process_ck_maybe(p, &last_ck, &ck_every, err)) != 0)
                break;
            enrich_switch(p);
            if (stop == NULL)
                break;
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc == 0 && p->dirty && (rc = cn_process_checkpoint(p)) != 0)
        cn_err_set(err, rc, "checkpoint: %s", cn_process_why(p, rc));
    cn_hitlog_reader_close(r);
    return rc;
}
