/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The var group stored as changes (format 4, docs/storage.md "Var group").
 * Processing emits, on every page view or event hit, a row per eVar in
 * force, and most hits repeat the props of the visit's previous hit; nearly
 * all of those rows repeat the visit's previous hit. A segment stores, per
 * hit, its other rows as they are and, for each of its two runs (its props,
 * then its eVars: below), only what differs from the same run of the
 * previous hit of the same visit in the same segment that had one (SET and
 * DEL rows), plus the hit's run flags (hit column "runs"). The logical rows,
 * the ones every reader sees, are rebuilt exactly from that; the segment
 * stays self-contained, so any segment expands on its own.
 *
 * A hit's prop run is the longest run of CN_VAR_PROP rows starting its rows
 * whose vars strictly ascend (processing writes props first, in number
 * order); its eVar run the longest such run of CN_VAR_EVAR rows ending its
 * rows (processing keeps eVars in force in ascending order). Its other rows,
 * between the runs, are stored as they are.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/internal.h"

#define NRUN 2 /* run 0: props, run 1: eVars */

/* The run a var may belong to (0, 1), or -1. */
static int run_of(uint32_t var)
{
    uint32_t f = var & CN_VAR_FAMILY_MASK;
    return f == CN_VAR_PROP ? 0 : f == CN_VAR_EVAR ? 1 : -1;
}

/* The stored op is the op minus its likely value (SET for a var of a run,
 * ROW for any other), modulo 3: nearly all zeros. */
static uint8_t op_pred(uint32_t var)
{
    return run_of(var) >= 0 ? CN_STORE__VOP_SET : CN_STORE__VOP_ROW;
}

/* Per visit: where its last run of each kind is among the logical rows
 * (open addressing, grown at half full). */
typedef struct vstate {
    uint64_t key; /* visit + 1; 0: empty */
    uint64_t start[NRUN];
    uint32_t count[NRUN];
    uint8_t flags; /* of the visit's last hit */
} vstate_t;

/*
 * The likely run flags of a hit: the flags of the last hit in the segment
 * with the same context (its type, whether it has commerce events, whether
 * its visit had an eVar run, and the flags of its visit's previous hit); at
 * first, props on a page view and eVars on a page view or commerce event
 * once the visit had some. The "runs" column stores the flags XOR these.
 */
#define CTX_N 256
typedef struct fpred {
    uint8_t last[CTX_N]; /* 0xff: not seen */
} fpred_t;

static unsigned fp_ctx(const vstate_t *vs, uint8_t type, uint8_t events)
{
    return (type & 7u) | (events != 0) << 3 | (vs->count[1] > 0) << 4 | (unsigned)vs->flags << 5;
}

static uint8_t fp_guess(const fpred_t *fp, unsigned ctx, const vstate_t *vs, uint8_t type,
                        uint8_t events)
{
    if (fp->last[ctx] != 0xff)
        return fp->last[ctx];
    bool pv = type == CN_HIT_PAGEVIEW;
    return (uint8_t)((pv ? 1 : 0) | ((pv || events != 0) && vs->count[1] > 0 ? 2 : 0));
}

typedef struct vmap {
    uint64_t mask, used;
    vstate_t *e;
    bool dense; /* e is indexed by visit - base */
    uint32_t base;
} vmap_t;

static void vm_init(vmap_t *m, uint64_t cap)
{
    m->mask = cap - 1;
    m->used = 0;
    m->e = cn_xcalloc(cap, sizeof(vstate_t));
    m->dense = false;
    m->base = 0;
}

/* The map for the visits visit[0..hits): an array when their ordinals are
 * dense enough (they are: a segment's hits belong to recent visits). */
static void vm_for(vmap_t *m, const uint32_t *visit, uint64_t hits)
{
    uint32_t lo = hits ? visit[0] : 0, hi = lo;
    for (uint64_t h = 1; h < hits; h++) {
        lo = visit[h] < lo ? visit[h] : lo;
        hi = visit[h] > hi ? visit[h] : hi;
    }
    if ((uint64_t)hi - lo < 4 * hits + 1024) {
        m->e = cn_xcalloc((uint64_t)hi - lo + 1, sizeof(vstate_t));
        m->dense = true;
        m->base = lo;
        return;
    }
    vm_init(m, 1024);
}

static vstate_t *vm_slot(vmap_t *m, uint64_t k)
{
    uint64_t i = (k * 0x9E3779B97F4A7C15ull >> 20) & m->mask;
    while (m->e[i].key != 0 && m->e[i].key != k)
        i = (i + 1) & m->mask;
    return &m->e[i];
}

/* The state of visit (zeroed when new). */
static vstate_t *vm_get(vmap_t *m, uint32_t visit)
{
    if (m->dense)
        return &m->e[visit - m->base]; /* zeroed at first */
    uint64_t k = (uint64_t)visit + 1;
    vstate_t *s = vm_slot(m, k);
    if (s->key != 0)
        return s;
    if (2 * (m->used + 1) > m->mask + 1) {
        vmap_t g;
        vm_init(&g, 2 * (m->mask + 1));
        for (uint64_t i = 0; i <= m->mask; i++)
            if (m->e[i].key != 0)
                *vm_slot(&g, m->e[i].key) = m->e[i];
        g.used = m->used;
        free(m->e);
        *m = g;
        s = vm_slot(m, k);
    }
    m->used++;
    memset(s, 0, sizeof(*s));
    s->key = k;
    return s;
}

void cn_store__vrows_alloc(cn_store__vrows_t *r, uint64_t n, bool op)
{
    size_t k = n ? (size_t)n : 1;
    r->n = n;
    r->hit = cn_xmalloc(k * sizeof(uint32_t));
    r->var = cn_xmalloc(k * sizeof(uint32_t));
    r->value = cn_xmalloc(k * sizeof(uint32_t));
    r->op = op ? cn_xmalloc(k) : NULL;
}

void cn_store__vrows_dispose(cn_store__vrows_t *r)
{
    free(r->hit);
    free(r->var);
    free(r->value);
    free(r->op);
    memset(r, 0, sizeof(*r));
}

static void put(cn_store__vrows_t *p, uint64_t *n, uint32_t hit, uint32_t var, uint32_t value,
                uint8_t op)
{
    p->hit[*n] = hit;
    p->var[*n] = var;
    p->value[*n] = value;
    p->op[*n] = (uint8_t)((op + 3 - op_pred(var)) % 3);
    (*n)++;
}

/* The start of the longest strictly ascending run of vars of run r ending at end. */
static uint64_t run_start(const uint32_t *var, uint64_t from, uint64_t end, int r)
{
    uint64_t t = end;
    while (t > from && run_of(var[t - 1]) == r && (t == end || var[t - 1] < var[t]))
        t--;
    return t;
}

bool cn_store__vars_diff(const cn_store__vrows_t *lg, const cn_store__vhits_t *vh, uint64_t hits,
                         uint64_t first_row, cn_store__vrows_t *phys, uint8_t *runs)
{
    for (uint64_t i = 0; i < lg->n; i++)
        if (lg->hit[i] < first_row || lg->hit[i] - first_row >= hits ||
            (i > 0 && lg->hit[i] < lg->hit[i - 1]))
            return false;
    /* at most one DEL per logical row before it, so never more rows than 2 * n */
    cn_store__vrows_alloc(phys, 2 * lg->n, true);
    vmap_t vm;
    vm_for(&vm, vh->visit, hits);
    fpred_t fp;
    memset(fp.last, 0xff, sizeof(fp.last));
    uint64_t np = 0, i = 0;
    for (uint64_t h = 0; h < hits; h++) {
        uint32_t hr = (uint32_t)(first_row + h);
        uint64_t j = i;
        while (j < lg->n && lg->hit[j] == hr)
            j++;
        vstate_t *vs = vm_get(&vm, vh->visit[h]);
        unsigned ctx = fp_ctx(vs, vh->type[h], vh->events[h]);
        uint8_t pred = fp_guess(&fp, ctx, vs, vh->type[h], vh->events[h]);
        /* [i, pe) props, [pe, es) as they are, [es, j) eVars */
        uint64_t es = run_start(lg->var, i, j, 1), pe = i;
        while (pe < es && run_of(lg->var[pe]) == 0 && (pe == i || lg->var[pe - 1] < lg->var[pe]))
            pe++;
        uint64_t b[NRUN][2] = {{i, pe}, {es, j}};
        uint8_t flags = 0;
        for (int r = 0; r < NRUN; r++) {
            if (r == 1) /* the plain rows go between the runs' changes */
                for (uint64_t k = pe; k < es; k++)
                    put(phys, &np, hr, lg->var[k], lg->value[k], CN_STORE__VOP_ROW);
            uint64_t t = b[r][0], te = b[r][1];
            if (t == te)
                continue;
            flags |= (uint8_t)(1u << r);
            uint64_t a = vs->start[r], ae = a + vs->count[r];
            while (a < ae || t < te) {
                if (t == te || (a < ae && lg->var[a] < lg->var[t])) {
                    put(phys, &np, hr, lg->var[a], lg->value[a], CN_STORE__VOP_DEL);
                    a++;
                } else if (a == ae || lg->var[t] < lg->var[a]) {
                    put(phys, &np, hr, lg->var[t], lg->value[t], CN_STORE__VOP_SET);
                    t++;
                } else {
                    if (lg->value[a] != lg->value[t])
                        put(phys, &np, hr, lg->var[t], lg->value[t], CN_STORE__VOP_SET);
                    a++;
                    t++;
                }
            }
            vs->start[r] = b[r][0];
            vs->count[r] = (uint32_t)(b[r][1] - b[r][0]);
        }
        runs[h] = flags ^ pred;
        fp.last[ctx] = flags;
        vs->flags = flags;
        i = j;
    }
    phys->n = np;
    free(vm.e);
    return true;
}

static int bad(const char **why, uint64_t *at, const char *what, uint64_t row)
{
    *why = what;
    *at = row;
    return CN_ECORRUPT;
}

int cn_store__vars_expand(const cn_store__vrows_t *phys, const cn_store__vhits_t *vh,
                          const uint8_t *runs, uint64_t hits, uint64_t first_row,
                          cn_store__vrows_t *out, const char **why, uint64_t *at)
{
    const cn_store__vrows_t *p = phys;
    uint64_t o = 0, q = 0, cap = out->n;
    vmap_t vm;
    vm_for(&vm, vh->visit, hits);
    fpred_t fp;
    memset(fp.last, 0xff, sizeof(fp.last));
    int rc = 0;
    for (uint64_t h = 0; h < hits && rc == 0; h++) {
        uint64_t hr = first_row + h;
        if (runs[h] >= 1u << NRUN) {
            rc = bad(why, at, "hit run flags out of range", q);
            break;
        }
        if (q < p->n && p->hit[q] < hr) {
            rc = bad(why, at, "var rows out of hit order", q);
            break;
        }
        vstate_t *vs = vm_get(&vm, vh->visit[h]);
        unsigned ctx = fp_ctx(vs, vh->type[h], vh->events[h]);
        uint8_t flags = runs[h] ^ fp_guess(&fp, ctx, vs, vh->type[h], vh->events[h]);
        fp.last[ctx] = flags;
        vs->flags = flags;
        for (int r = 0; r < NRUN && rc == 0; r++) {
            for (; r == 1 && q < p->n && p->hit[q] == hr; q++) {
                /* the plain rows, between the runs */
                if (p->op[q] > 2) {
                    rc = bad(why, at, "var row op out of range", q);
                    break;
                }
                if ((p->op[q] + op_pred(p->var[q])) % 3 != CN_STORE__VOP_ROW)
                    break;
                if (o == cap) {
                    rc = bad(why, at, "more var rows than the group holds", q);
                    break;
                }
                out->hit[o] = (uint32_t)hr;
                out->var[o] = p->var[q];
                out->value[o++] = p->value[q];
            }
            /* the changes of run r: [q0, q) */
            uint64_t q0 = q;
            for (; rc == 0 && q < p->n && p->hit[q] == hr && run_of(p->var[q]) == r; q++) {
                if (p->op[q] > 2) {
                    rc = bad(why, at, "var row op out of range", q);
                    break;
                }
                if ((p->op[q] + op_pred(p->var[q])) % 3 == CN_STORE__VOP_ROW)
                    break;
                if (!(flags & (1u << r)))
                    rc = bad(why, at, "var change on a hit without that run", q);
                else if (q > q0 && p->var[q] <= p->var[q - 1])
                    rc = bad(why, at, "var changes of a hit not in ascending var order", q);
                if (rc != 0)
                    break;
            }
            if (rc != 0 || !(flags & (1u << r)))
                continue;
            /* merge the visit's last run r (earlier in out) with the changes */
            uint64_t a = vs->start[r], ae = a + vs->count[r], b = q0, start = o;
            while ((a < ae || b < q) && rc == 0) {
                uint32_t var, value;
                if (b == q || (a < ae && out->var[a] < p->var[b])) {
                    var = out->var[a];
                    value = out->value[a++];
                } else if (a < ae && out->var[a] == p->var[b]) {
                    bool del = (p->op[b] + op_pred(p->var[b])) % 3 == CN_STORE__VOP_DEL;
                    if (del && out->value[a] != p->value[b]) {
                        rc = bad(why, at, "removal of a var with another value", b);
                        break;
                    }
                    var = p->var[b];
                    value = p->value[b++];
                    a++;
                    if (del)
                        continue;
                } else {
                    if ((p->op[b] + op_pred(p->var[b])) % 3 == CN_STORE__VOP_DEL) {
                        rc = bad(why, at, "removal of a var not in force", b);
                        break;
                    }
                    var = p->var[b];
                    value = p->value[b++];
                }
                if (o == cap) {
                    rc = bad(why, at, "more var rows than the group holds", b ? b - 1 : 0);
                    break;
                }
                out->hit[o] = (uint32_t)hr;
                out->var[o] = var;
                out->value[o++] = value;
            }
            if (rc == 0 && o == start)
                rc = bad(why, at, "a hit flagged with a run has none", q0);
            if (rc == 0 && o - start > UINT32_MAX)
                rc = bad(why, at, "run too long", q0);
            vs->start[r] = start;
            vs->count[r] = (uint32_t)(o - start);
        }
        if (rc == 0 && q < p->n && p->hit[q] == hr)
            rc = bad(why, at, "var row out of place in its hit", q);
    }
    if (rc == 0 && q != p->n)
        rc = bad(why, at, "var rows after the segment's hits", q);
    if (rc == 0 && o != cap)
        rc = bad(why, at, "fewer var rows than the group holds", q);
    free(vm.e);
    return rc;
}
