/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The processing pipeline (internal.h): cn_process_run in two stages on two
 * threads. A worker reads the hitlog, decodes each record (cn_rawhit_decode,
 * cn_decode_raw) and enriches every decoded hit for every suite it goes to
 * (UA, bot, geo and the visit's IP text, referrer, campaign, channel:
 * cn__penrich), filling slots of PIPE_RECS records; the calling thread
 * takes the slots in order and runs the state stage on each record
 * (cn__process_prec: visitors, visits, eVars, orders, currency, rows to the
 * sinks, bad rows) and the checkpoints.
 *
 * Why the rows are the same as on one thread: the worker touches no state
 * (enrichment depends only on the hit and the data sets, never on the caches,
 * enrich.h), records reach the state stage in hitlog order, and everything
 * that depends on earlier hits happens there.
 *
 * Only a visit's first hit needs enrichment (and, with the visit rules, every
 * hit). The worker cannot know which hits open a visit, so it guesses from a
 * small table of the visitors it saw last (visitor id, else IP and user
 * agent; last hit time): a hit within the visit timeout of its visitor's last
 * one is left unenriched. A wrong guess costs time, never rows: the state
 * stage enriches a first hit the worker left out itself (fill_visit), with
 * the same data sets and so the same results.
 *
 * Memory is bounded: PIPE_SLOTS slots of PIPE_RECS records in flight, and a
 * record's buffers are given back when a big raw hit grew them past
 * PIPE_KEEP_BYTES.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

#include "lib/clock.h"
#include "lib/xalloc.h"
#include "process/internal.h"

enum {
    PIPE_SLOTS = 4,
    PIPE_RECS = 256,
    PIPE_KEEP_BYTES = 1 << 20,
    PIPE_GUESS = 1 << 14, /* visitors the worker remembers (16 bytes each) */
};

typedef struct guess {
    uint64_t key; /* hash of the suite and the visitor */
    int64_t ts;   /* latest hit time seen */
} guess_t;

typedef struct slot {
    cn_prec_t *recs; /* PIPE_RECS */
    size_t count;
    bool full;   /* filled by the worker, not yet taken back by the state stage */
    bool at_end; /* the worker was at the end of the log after these records */
    bool last;   /* no slot follows: past the reprocessing limit, or a read error */
    int rc;      /* a read error (negative), with err */
    /* A reload (cn_process_set_enrich) the worker took before filling this slot: its records
     * are enriched with a new handle on next; the state stage moves to next when it takes the
     * slot and then frees old_et, the worker's handle for the slots before (all consumed). */
    cn_enrich_t *next; /* with the reference cn_process_set_enrich gave; NULL: no reload */
    cn_enrich_thread_t *old_et;
    cn_err_t err;
} slot_t;

struct cn_pipe {
    cn_enrich_thread_t *et; /* the worker's handle on p->enrich, kept across runs (warm caches) */
    cn_enrich_t *enrich;    /* the snapshot et is on (held by et) */
    guess_t *guess;         /* PIPE_GUESS visitors, by key */
    slot_t slots[PIPE_SLOTS];
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a slot filled or freed, or quit */
    bool quit;         /* the state stage is done: the worker stops */
    /* this run */
    cn_process_t *p;
    cn_hitlog_reader_t *r;
    bool follow; /* at the end of the log, wait for more (cn_process_run with stop) */
};

static void rec_dispose(cn_prec_t *r)
{
    if (!r->init)
        return;
    cn_buf_dispose(&r->rec);
    cn_dbatch_dispose(&r->b);
    free(r->pe);
    memset(r, 0, sizeof(*r));
}

void cn__pipe_free(struct cn_pipe *pp)
{
    if (pp == NULL)
        return;
    for (int i = 0; i < PIPE_SLOTS; i++) {
        for (size_t k = 0; pp->slots[i].recs != NULL && k < PIPE_RECS; k++)
            rec_dispose(&pp->slots[i].recs[k]);
        free(pp->slots[i].recs);
        if (pp->slots[i].old_et != NULL) /* (cn__pipe_run leaves none) */
            cn_enrich_thread_free(pp->slots[i].old_et);
        cn_enrich_unref(pp->slots[i].next);
    }
    if (pp->et != NULL)
        cn_enrich_thread_free(pp->et);
    free(pp->guess);
    pthread_mutex_destroy(&pp->mu);
    pthread_cond_destroy(&pp->cv);
    free(pp);
}

static struct cn_pipe *pipe_new(cn_process_t *p)
{
    struct cn_pipe *pp = cn_xcalloc(1, sizeof(*pp));
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->cv, NULL);
    for (int i = 0; i < PIPE_SLOTS; i++)
        pp->slots[i].recs = cn_xcalloc(PIPE_RECS, sizeof(cn_prec_t));
    if (p->enrich != NULL)
        pp->et = cn_enrich_thread_new(p->enrich);
    pp->enrich = p->enrich;
    pp->guess = cn_xcalloc(PIPE_GUESS, sizeof(*pp->guess));
    return pp;
}

/*
 * True when hit h most likely continues a visit of suite sc (index si): its
 * visitor's last hit is within the visit timeout. Remembers the hit.
 */
static bool continues_visit(struct cn_pipe *pp, size_t si, const cn_suite_conf_t *sc,
                            const cn_rawhit_t *raw, const cn_dhit_t *h)
{
    if (sc->new_visit_on_campaign || sc->new_visit_on_referrer)
        return false; /* the rules look at every hit's campaign and referrer */
    int64_t ts = h->ts_us ? h->ts_us : raw->recv_us;
    uint64_t k;
    if (h->visitor_id.len > 0)
        k = XXH3_64bits_withSeed(h->visitor_id.ptr, h->visitor_id.len, si + 1);
    else
        k = XXH3_64bits_withSeed(raw->ip.ptr, raw->ip.len, si + 1) * 0x9e3779b97f4a7c15ULL ^
            XXH3_64bits(raw->ua.ptr, raw->ua.len);
    guess_t *g = &pp->guess[k & (PIPE_GUESS - 1)];
    bool cont = g->key == k && ts - g->ts <= sc->visit_timeout_us;
    if (g->key != k || ts > g->ts) {
        g->key = k;
        g->ts = ts;
    }
    return cont;
}

/* The worker's part for one record: copy, decode, enrich. */
static void prepare(struct cn_pipe *pp, cn_prec_t *r, const void *rec, size_t len,
                    cn_hitlog_pos_t pos)
{
    const cn_process_t *p = pp->p;
    if (r->init && (r->rec.cap > PIPE_KEEP_BYTES || cn_dbatch_grown(&r->b) || r->pe_cap > 64))
        rec_dispose(r); /* a big raw hit grew them: give the memory back */
    if (!r->init) {
        cn_buf_init(&r->rec);
        cn_buf_reserve(&r->rec, 1024);
        cn_dbatch_init_small(&r->b); /* the records in flight close together (both threads) */
        r->init = true;
    }
    cn_buf_clear(&r->rec);
    cn_buf_append(&r->rec, rec, len);
    r->pos = pos;
    r->rec_ok = cn__decode_record(p, r->rec.ptr, len, &r->raw, &r->b, &r->reason, &r->err);
    if (!r->rec_ok || r->reason != 0 || pp->et == NULL || r->b.hit_count == 0)
        return;
    size_t hc = r->b.hit_count, need = p->suite_count * hc;
    if (need > r->pe_cap) {
        r->pe_cap = need;
        r->pe = cn_xrealloc(r->pe, need * sizeof(*r->pe));
    }
    for (size_t i = 0; i < need; i++)
        r->pe[i].ok = false;
    /* every configured suite of the list that the state stage may process */
    cn_str_t rest = r->b.suites, id;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &id);
        id = cn_str_trim(id);
        if (id.len == 0)
            continue;
        if (p->only_suite != NULL && !cn_str_eq_c(id, p->only_suite))
            continue;
        for (size_t si = 0; si < p->suite_count; si++) {
            if (!cn_str_eq(p->suites[si].id, id))
                continue;
            for (size_t i = 0; i < hc; i++) {
                cn_penrich_t *pe = &r->pe[si * hc + i];
                cn_dhit_t *h = &r->b.hits[i];
                if (!pe->ok && !continues_visit(pp, si, p->suites[si].conf, &r->raw, h)) {
                    if (h->referrer_raw) { /* decoded once, for the state stage too */
                        h->referrer = cn_decode_referrer(&r->b, h);
                        h->referrer_raw = false;
                    }
                    cn__penrich(pp->et, p->suites[si].conf, &r->raw, h, &r->b.arena, pe);
                }
            }
            break;
        }
    }
}

/*
 * One line's prefetch. On x86-64 it is written out: GCC 12 at -O2/-O3 drops
 * __builtin_prefetch from these loops once they are inlined (no prefetch
 * was left in pipe.o), and the baseline ISA turns the builtin's write hint
 * into a read prefetch, which leaves the line shared with the other core so
 * that the first store still waits for it. PREFETCHW asks for ownership; it
 * is used only where CPUID says the CPU has it (some older x86-64 CPUs fault
 * on the opcode), else a read prefetch. Prefetches never fault.
 */
#if defined(__x86_64__) && defined(__GNUC__)
static bool have_prefetchw(void)
{
    static atomic_int have = -1; /* every thread that races here computes the same answer */
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (h < 0) {
        /* CPUID leaf 0x80000001, ECX bit 8 (clang's __builtin_cpu_supports has no "prfchw") */
        unsigned a, b, c, d;
        h = __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_PRFCHW) != 0;
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    return h != 0;
}
#endif

static inline void prefetch_line(const char *c, bool write)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (write && have_prefetchw())
        __asm__ volatile("prefetchw %0" : : "m"(*c));
    else
        __asm__ volatile("prefetcht0 %0" : : "m"(*c));
#else
    if (write) /* (the builtin wants constants) */
        __builtin_prefetch(c, 1, 3);
    else
        __builtin_prefetch(c, 0, 3);
#endif
}

/* Asks for the cache lines of p[0..n), at most 8 KiB, to read or to write. */
static void prefetch_lines(const void *p, size_t n, bool write)
{
    const char *c = p;
    if (c == NULL)
        return;
    if (n > 8192)
        n = 8192;
    for (size_t o = 0; o < n; o += 64)
        prefetch_line(c + o, write);
}

static void prefetch(const void *p, size_t n)
{
    prefetch_lines(p, n, false);
}

/*
 * The worker's side: the next record's buffers, to be written, last read by
 * the other core. Their first 2 KiB at most: what the record before used is
 * only a guess of what the next one writes, and prefetches past what is
 * written cost more than they save (measured on bench/process).
 */
static void prefetch_w(const void *p, size_t n)
{
    prefetch_lines(p, n > 2048 ? 2048 : n, true);
}

static void prefetch_reuse(const cn_prec_t *r)
{
    prefetch_w(r, offsetof(cn_prec_t, err));
    if (!r->init)
        return;
    prefetch_w(r->rec.ptr, r->rec.len);
    prefetch_w(r->b.hits, r->b.hit_count * sizeof(*r->b.hits));
    prefetch_w(r->b.vars, r->b.var_count * sizeof(*r->b.vars));
    prefetch_w(r->b.arena.buf, r->b.arena.len);
    prefetch_w(r->pe, r->pe_cap * sizeof(*r->pe)); /* its ok flags are cleared first */
}

/*
 * The worker's reload point, before it fills slot sl (a batch boundary): a snapshot handed to
 * cn_process_set_enrich is taken, and the slot's records are enriched with a new handle on it.
 * The old handle stays with the slot until the state stage takes it: the slots before still
 * hold names it interned.
 */
static void worker_enrich_switch(struct cn_pipe *pp, slot_t *sl)
{
    cn_process_t *p = pp->p;
    if (atomic_load_explicit(&p->enrich_next, memory_order_relaxed) == NULL)
        return;
    cn_enrich_t *e = atomic_exchange(&p->enrich_next, NULL);
    if (e == NULL)
        return;
    sl->next = e;
    sl->old_et = pp->et;
    pp->et = cn_enrich_thread_new(e);
    pp->enrich = e;
}

/* The state stage's side, when it takes slot sl, or at the end of a run for a slot not taken. */
static void state_enrich_switch(struct cn_pipe *pp, slot_t *sl)
{
    if (sl->next == NULL)
        return;
    if (sl->old_et != NULL)
        cn_enrich_thread_free(sl->old_et);
    sl->old_et = NULL;
    cn__process_enrich_use(pp->p, sl->next);
    sl->next = NULL;
}

/* Fills one slot from the reader: up to PIPE_RECS records, or fewer at the end of the log. */
static void fill(struct cn_pipe *pp, slot_t *sl)
{
    const cn_process_t *p = pp->p;
    worker_enrich_switch(pp, sl);
    sl->count = 0;
    sl->at_end = sl->last = false;
    sl->rc = 0;
    while (sl->count < PIPE_RECS) {
        const void *rec;
        size_t len;
        cn_hitlog_pos_t pos;
        cn_err_clear(&sl->err);
        int rc = cn_hitlog_reader_next(pp->r, &rec, &len, &pos, &sl->err);
        if (rc < 0) {
            sl->rc = rc;
            sl->last = true;
            return;
        }
        if (rc == 0) {
            sl->at_end = true;
            return;
        }
        if (p->only_suite != NULL && p->has_limit && !cn__pos_le(pos, p->limit)) {
            sl->last = true; /* reprocessing stops where the live pass's checkpoint is */
            return;
        }
        /* two records ahead: a record has many lines to bring back from the other core */
        if (sl->count == 0)
            prefetch_reuse(&sl->recs[1]);
        if (sl->count + 2 < PIPE_RECS)
            prefetch_reuse(&sl->recs[sl->count + 2]);
        prepare(pp, &sl->recs[sl->count++], rec, len, pos);
    }
}

static void wait_ms(struct cn_pipe *pp, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&pp->mu);
    if (!pp->quit)
        pthread_cond_timedwait(&pp->cv, &pp->mu, &ts);
    pthread_mutex_unlock(&pp->mu);
}

static void *worker(void *arg)
{
    struct cn_pipe *pp = arg;
    for (size_t wi = 0;; wi++) {
        slot_t *sl = &pp->slots[wi % PIPE_SLOTS];
        pthread_mutex_lock(&pp->mu);
        while (sl->full && !pp->quit)
            pthread_cond_wait(&pp->cv, &pp->mu);
        bool quit = pp->quit;
        pthread_mutex_unlock(&pp->mu);
        if (quit)
            break;
        fill(pp, sl);
        pthread_mutex_lock(&pp->mu);
        sl->full = true;
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
        if (sl->last || (sl->at_end && !pp->follow))
            break;
        if (sl->at_end)
            wait_ms(pp, 20); /* following the log: look again soon */
    }
    return NULL;
}

/*
 * The records come from the other core's cache: ask for the lines of the
 * next ones while this one is processed (a record takes microseconds, its
 * lines' transfer as long otherwise). Stage 1: the record itself; stage 2,
 * one record later: what it points to.
 */
static void prefetch_rec(const cn_prec_t *r)
{
    prefetch(r, offsetof(cn_prec_t, err));
}

static void prefetch_data(const cn_prec_t *r)
{
    prefetch(r->rec.ptr, r->rec.len);
    prefetch(r->b.hits, r->b.hit_count * sizeof(*r->b.hits));
    prefetch(r->b.vars, r->b.var_count * sizeof(*r->b.vars));
    prefetch(r->b.events, r->b.event_count * sizeof(*r->b.events));
    prefetch(r->b.prods, r->b.prod_count * sizeof(*r->b.prods));
    prefetch(r->b.ctx, r->b.ctx_count * sizeof(*r->b.ctx));
    prefetch(r->b.arena.buf, r->b.arena.len);
    if (r->pe != NULL && r->reason == 0)
        prefetch(r->pe, r->b.hit_count * sizeof(*r->pe)); /* the first suite's */
}

int cn__pipe_run(cn_process_t *p, cn_hitlog_reader_t *r, atomic_bool *stop, cn_err_t *err)
{
    if (p->pipe == NULL)
        p->pipe = pipe_new(p);
    struct cn_pipe *pp = p->pipe;
    if (pp->enrich != p->enrich) { /* p took a reload between two runs: the worker's too */
        if (pp->et != NULL && p->enrich != NULL)
            cn_enrich_thread_rebind(pp->et, p->enrich);
        else if (pp->et == NULL)
            pp->et = cn_enrich_thread_new(p->enrich);
        pp->enrich = p->enrich;
    }
    for (int i = 0; i < PIPE_SLOTS; i++)
        pp->slots[i].full = false;
    pp->quit = false;
    pp->p = p;
    pp->r = r;
    pp->follow = stop != NULL;
    pthread_t th;
    if (pthread_create(&th, NULL, worker, pp) != 0)
        return 1;
    int64_t last_ck = cn_time_mono_us(), ck_every = p->checkpoint_us;
    int rc = 0;
    size_t ri = 0;
    for (;; ri++) {
        slot_t *sl = &pp->slots[ri % PIPE_SLOTS];
        bool stopped = false;
        pthread_mutex_lock(&pp->mu);
        while (!sl->full && !(stopped = stop != NULL && atomic_load(stop))) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&pp->cv, &pp->mu, &ts);
        }
        pthread_mutex_unlock(&pp->mu);
        if (stopped)
            break;
        state_enrich_switch(pp, sl); /* the worker took a reload before this slot */
        if (sl->count > 0) {
            prefetch_rec(&sl->recs[0]);
            prefetch_data(&sl->recs[0]);
        }
        if (sl->count > 1)
            prefetch_rec(&sl->recs[1]);
        for (size_t i = 0; i < sl->count && rc == 0; i++) {
            if (i + 2 < sl->count)
                prefetch_rec(&sl->recs[i + 2]);
            if (i + 1 < sl->count)
                prefetch_data(&sl->recs[i + 1]);
            if (stop != NULL && atomic_load(stop)) {
                stopped = true;
                break;
            }
            cn_prec_t *pr = &sl->recs[i];
            if ((rc = cn__process_prec(p, pr)) != 0) {
                cn_err_set(err, rc, "processing the record at %u:%llu: %s", pr->pos.segment,
                           (unsigned long long)pr->pos.offset, cn_process_why(p, rc));
                break;
            }
            if (i % CN_CK_EVERY_RECS == CN_CK_EVERY_RECS - 1 || i + 1 == sl->count)
                rc = cn__process_ck_maybe(p, &last_ck, &ck_every, err);
        }
        if (rc != 0 || stopped)
            break;
        if (sl->rc < 0) {
            rc = sl->rc;
            if (err != NULL)
                *err = sl->err;
            break;
        }
        if (sl->count == 0 && (rc = cn__process_ck_maybe(p, &last_ck, &ck_every, err)) != 0)
            break;
        bool done = sl->last || (sl->at_end && stop == NULL);
        pthread_mutex_lock(&pp->mu);
        sl->full = false;
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
        if (done)
            break;
    }
    pthread_mutex_lock(&pp->mu);
    pp->quit = true;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
    pthread_join(th, NULL);
    /* reloads the worker took for slots not processed: in the order it filled them */
    for (size_t k = 0; k < PIPE_SLOTS; k++)
        state_enrich_switch(pp, &pp->slots[(ri + k) % PIPE_SLOTS]);
    pp->r = NULL;
    return rc;
}
