/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User-agent parsing with uap-core's regexes.yaml: three ordered lists
 * (user_agent_parsers, os_parsers, device_parsers), each regex compiled with
 * PCRE2 at load and JIT-compiled when it first runs (cn_lazy_re_t); in each
 * list the first regex that matches wins, and its replacement templates
 * ($1..$9 stand for capture groups) or, where a template is absent, the
 * default capture groups give the fields, as
 * uap-core's docs/specification.md says. Results are trimmed and an empty
 * result means "absent". The per-thread cache in enrich.c sits in front.
 */
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

enum { F_UA, F_OS, F_DEV };

typedef struct uap_rule {
    cn_lazy_re_t rx; /* JIT code made on its first run */
    char *repl[5];   /* UA: family, v1, v2, v3; OS: family, v1..v4; device: family, brand, model */
} uap_rule_t;

typedef struct uap_list {
    uap_rule_t *rules;
    size_t count;
    cn_litidx_t idx; /* literal prefilter (litidx.c) */
} uap_list_t;

struct cn_uap {
    uap_list_t lists[3];
    uint32_t max_groups;
};

static const char *const repl_keys[3][5] = {
    {"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", NULL},
    {"os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement",
     "os_v4_replacement"},
    {"device_replacement", "brand_replacement", "model_replacement", NULL, NULL},
};

static const char *const list_keys[3] = {"user_agent_parsers", "os_parsers", "device_parsers"};

static int load_list(cn_uap_t *u, yaml_document_t *doc, int which, const char *path, cn_err_t *err)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    yaml_node_t *seq = cn_enrich__yaml_get(doc, root, list_keys[which]);
    if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
        return cn_err_set(err, CN_EPARSE, "%s: no %s list", path, list_keys[which]);
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    uap_list_t *l = &u->lists[which];
    l->rules = cn_xcalloc(n ? n : 1, sizeof(*l->rules));
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *ent = yaml_document_get_node(doc, *it);
        cn_str_t rx = cn_enrich__yaml_str(cn_enrich__yaml_get(doc, ent, "regex"));
        if (rx.ptr == NULL)
            return cn_err_set(err, CN_EPARSE, "%s:%zu: %s entry without regex", path,
                              ent->start_mark.line + 1, list_keys[which]);
        cn_str_t flag = cn_enrich__yaml_str(cn_enrich__yaml_get(doc, ent, "regex_flag"));
        uint32_t opts = 0;
        if (cn_str_eq_c(flag, "i"))
            opts |= PCRE2_CASELESS;
        int ec;
        PCRE2_SIZE eo;
        uap_rule_t *r = &l->rules[l->count];
        r->rx.re = pcre2_compile((PCRE2_SPTR)rx.ptr, rx.len, opts, &ec, &eo, NULL);
        if (r->rx.re == NULL) {
            PCRE2_UCHAR msg[120];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            return cn_err_set(err, CN_EPARSE, "%s:%zu: regex: %s at offset %zu", path,
                              ent->start_mark.line + 1, (char *)msg, (size_t)eo);
        }
        cn_enrich__litidx_add(&l->idx, rx.ptr, rx.len, (uint32_t)l->count);
        l->count++;
        uint32_t groups = 0;
        pcre2_pattern_info(r->rx.re, PCRE2_INFO_CAPTURECOUNT, &groups);
        if (groups + 1 > u->max_groups)
            u->max_groups = groups + 1;
        for (int k = 0; k < 5 && repl_keys[which][k] != NULL; k++) {
            yaml_node_t *v = cn_enrich__yaml_get(doc, ent, repl_keys[which][k]);
            cn_str_t s = cn_enrich__yaml_str(v);
            if (s.ptr != NULL)
                r->repl[k] = cn_xstrndup(s.ptr, s.len);
        }
    }
    cn_enrich__litidx_build(&l->idx);
    return 0;
}

int cn_enrich__uap_load(const char *path, cn_uap_t **out, cn_err_t *err)
{
    yaml_document_t doc;
    int rc = cn_enrich__yaml_load(path, &doc, err);
    if (rc < 0)
        return rc;
    cn_uap_t *u = cn_xcalloc(1, sizeof(*u));
    for (int w = 0; w < 3 && rc == 0; w++)
        rc = load_list(u, &doc, w, path, err);
    yaml_document_delete(&doc);
    if (rc < 0) {
        cn_enrich__uap_free(u);
        return rc;
    }
    *out = u;
    return 0;
}

void cn_enrich__uap_free(cn_uap_t *u)
{
    if (u == NULL)
        return;
    for (int w = 0; w < 3; w++) {
        for (size_t i = 0; i < u->lists[w].count; i++) {
            cn_enrich__lazy_free(&u->lists[w].rules[i].rx);
            for (int k = 0; k < 5; k++)
                free(u->lists[w].rules[i].repl[k]);
        }
        free(u->lists[w].rules);
        cn_enrich__litidx_dispose(&u->lists[w].idx);
    }
    free(u);
}

uint32_t cn_enrich__uap_max_groups(const cn_uap_t *u)
{
    return u->max_groups;
}

size_t cn_enrich__uap_count(const cn_uap_t *u, size_t *os_count, size_t *dev_count)
{
    if (os_count != NULL)
        *os_count = u->lists[F_OS].count;
    if (dev_count != NULL)
        *dev_count = u->lists[F_DEV].count;
    return u->lists[F_UA].count;
}

size_t cn_enrich__uap_jit_count(const cn_uap_t *u)
{
    size_t n = 0;
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < u->lists[w].count; i++)
            n += cn_enrich__lazy_is_made(&u->lists[w].rules[i].rx);
    return n;
}

/* --- Matching --- */

const pcre2_code *cn_enrich__lazy_code(cn_lazy_re_t *l)
{
    pcre2_code *c = atomic_load_explicit(&l->jit, memory_order_acquire);
    if (c != NULL)
        return c;
    c = pcre2_code_copy(l->re);
    if (c == NULL)
        return l->re; /* out of memory: the interpreter, as for a pattern the JIT refuses */
    /* a pattern the JIT cannot compile stays a plain copy: cn_enrich__match then falls back to
     * the interpreter, as it did when the JIT ran at load */
    (void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    pcre2_code *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&l->jit, &expected, c, memory_order_acq_rel,
                                                memory_order_acquire))
        return c;
    pcre2_code_free(c); /* another thread published its copy first */
    return expected;
}

void cn_enrich__lazy_free(cn_lazy_re_t *l)
{
    pcre2_code_free(atomic_load_explicit(&l->jit, memory_order_relaxed));
    pcre2_code_free(l->re);
    atomic_store_explicit(&l->jit, NULL, memory_order_relaxed);
    l->re = NULL;
}

bool cn_enrich__lazy_is_made(const cn_lazy_re_t *l)
{
    return atomic_load_explicit(&l->jit, memory_order_acquire) != NULL;
}

void cn_enrich__matcher_init(cn_matcher_t *m, uint32_t max_groups)
{
    m->md = pcre2_match_data_create(max_groups ? max_groups : 1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    m->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    CN_ASSERT(m->md != NULL && m->mctx != NULL && m->jit != NULL);
    pcre2_jit_stack_assign(m->mctx, NULL, m->jit);
    m->scratch_used = 0;
}

void cn_enrich__matcher_dispose(cn_matcher_t *m)
{
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->jit);
}

int cn_enrich__match(cn_matcher_t *m, const pcre2_code *re, cn_str_t s)
{
    /* the JIT fast path (no option checks; no UTF mode, so no subject check is skipped) */
    PCRE2_SPTR subj = (PCRE2_SPTR)(s.ptr ? s.ptr : "");
    int rc = pcre2_jit_match(re, subj, s.len, 0, 0, m->md, m->mctx);
    if (rc == PCRE2_ERROR_JIT_BADOPTION) /* not JIT-compiled: the interpreter */
        rc = pcre2_match(re, subj, s.len, 0, 0, m->md, m->mctx);
    return rc;
}

static cn_str_t group(cn_matcher_t *m, int rc, cn_str_t subj, uint32_t g)
{
    if (rc <= 0 || g >= (uint32_t)rc)
        return CN_STR_NULL;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[2 * g] == PCRE2_UNSET)
        return CN_STR_NULL;
    return cn_str(subj.ptr + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* Writes s to scratch (cut at what fits) and returns the stored slice. */
static cn_str_t scratch_put(cn_matcher_t *m, const char *p, size_t len)
{
    size_t room = sizeof(m->scratch) - m->scratch_used;
    if (len > room)
        len = room;
    char *dst = m->scratch + m->scratch_used;
    memcpy(dst, p, len);
    m->scratch_used += len;
    return cn_str(dst, len);
}

/* Expands a template: "$N" is capture group N (empty when unset). Trimmed. */
static cn_str_t expand(cn_matcher_t *m, int rc, cn_str_t subj, const char *tpl)
{
    size_t start = m->scratch_used;
    for (const char *p = tpl; *p != '\0'; p++) {
        if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
            cn_str_t g = group(m, rc, subj, (uint32_t)(p[1] - '0'));
            if (g.len > 0)
                scratch_put(m, g.ptr, g.len);
            p++;
        } else {
            scratch_put(m, p, 1);
        }
    }
    cn_str_t s = cn_str_trim(cn_str(m->scratch + start, m->scratch_used - start));
    return s.len > 0 ? s : CN_STR_NULL;
}

/* A field: the template when present, else the default group (0 = none). */
static cn_str_t field(cn_matcher_t *m, int rc, cn_str_t subj, const char *tpl, uint32_t g)
{
    if (tpl != NULL)
        return expand(m, rc, subj, tpl);
    if (g == 0)
        return CN_STR_NULL;
    cn_str_t s = group(m, rc, subj, g);
    return s.len > 0 ? s : CN_STR_NULL;
}

static const uap_rule_t *first_match_slow(const uap_list_t *l, cn_matcher_t *m, cn_str_t ua,
                                          int *rc)
{
    for (size_t i = 0; i < l->count; i++) {
        *rc = cn_enrich__match(m, cn_enrich__lazy_code(&l->rules[i].rx), ua);
        if (*rc > 0) /* 0 (ovector too small) cannot happen: sized for max_groups */
            return &l->rules[i];
    }
    return NULL;
}

/* m->lower holds the lowered UA (lower_len bytes). */
static const uap_rule_t *first_match(const uap_list_t *l, cn_matcher_t *m, cn_str_t ua,
                                     size_t lower_len, int *rc)
{
    size_t cap = sizeof(m->cand) / sizeof(m->cand[0]);
    size_t nc = cn_enrich__litidx_candidates(&l->idx, cn_str(m->lower, lower_len), m->cand, cap);
    if (nc == SIZE_MAX)
        return first_match_slow(l, m, ua, rc);
    for (size_t i = 0; i < nc; i++) {
        uap_rule_t *r = &l->rules[m->cand[i]];
        *rc = cn_enrich__match(m, cn_enrich__lazy_code(&r->rx), ua);
        if (*rc > 0)
            return r;
    }
    return NULL;
}

size_t cn_enrich__uap_always_count(const cn_uap_t *u, int list)
{
    return u->lists[list].idx.always_count;
}

static void parse(const cn_uap_t *u, cn_matcher_t *m, cn_str_t ua, cn_uap_result_t *out, bool slow)
{
    memset(out, 0, sizeof(*out));
    m->scratch_used = 0;
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    if (ua.len > CN_ENRICH_UA_MAX)
        ua.len = CN_ENRICH_UA_MAX;
    size_t ll = slow ? 0 : cn_enrich__lower(ua, m->lower, sizeof(m->lower));
#define first_match(l, m, ua, rc)                                                                  \
    (slow ? first_match_slow(l, m, ua, rc) : first_match(l, m, ua, ll, rc))
    int rc;
    const uap_rule_t *r = first_match(&u->lists[F_UA], m, ua, &rc);
    if (r != NULL) {
        out->ua_family = field(m, rc, ua, r->repl[0], 1);
        out->ua_major = field(m, rc, ua, r->repl[1], 2);
        out->ua_minor = field(m, rc, ua, r->repl[2], 3);
        out->ua_patch = field(m, rc, ua, r->repl[3], 4);
    }
    if (out->ua_family.len == 0)
        out->ua_family = CN_STR_LIT("Other");
    r = first_match(&u->lists[F_OS], m, ua, &rc);
    if (r != NULL) {
        out->os_family = field(m, rc, ua, r->repl[0], 1);
        out->os_major = field(m, rc, ua, r->repl[1], 2);
        out->os_minor = field(m, rc, ua, r->repl[2], 3);
        out->os_patch = field(m, rc, ua, r->repl[3], 4);
        out->os_patch_minor = field(m, rc, ua, r->repl[4], 5);
    }
    if (out->os_family.len == 0)
        out->os_family = CN_STR_LIT("Other");
    r = first_match(&u->lists[F_DEV], m, ua, &rc);
    if (r != NULL) {
        out->dev_family = field(m, rc, ua, r->repl[0], 1);
        out->dev_brand = field(m, rc, ua, r->repl[1], 0);
        out->dev_model = field(m, rc, ua, r->repl[2], 1);
    }
    if (out->dev_family.len == 0)
        out->dev_family = CN_STR_LIT("Other");
#undef first_match
}

void cn_enrich__uap_parse(const cn_uap_t *u, cn_matcher_t *m, cn_str_t ua, cn_uap_result_t *out)
{
    parse(u, m, ua, out, false);
}

void cn_enrich__uap_parse_slow(const cn_uap_t *u, cn_matcher_t *m, cn_str_t ua,
                               cn_uap_result_t *out)
{
    parse(u, m, ua, out, true);
}

/* --- Device type --- */

static bool contains(cn_str_t s, const char *needle)
{
    return cn_enrich__contains(s, needle, strlen(needle));
}

static bool eq_any(cn_str_t s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (cn_str_eq_c(s, *list))
            return true;
    return false;
}

static const char *const mobile_os[] = {
    "iOS",        "Android",  "Windows Phone", "BlackBerry OS",  "Symbian OS", "KaiOS",
    "Firefox OS", "webOS",    "Tizen",         "Windows Mobile", "Bada",       "MeeGo",
    "Maemo",      "Sailfish", "HarmonyOS",     "Ubuntu Touch",   "Windows CE", NULL};

static const char *const desktop_os[] = {
    "Windows",    "Mac OS X",      "Mac OS",     "macOS",      "Linux",
    "Ubuntu",     "Chrome OS",     "ChromeOS",   "Fedora",     "Debian",
    "FreeBSD",    "OpenBSD",       "NetBSD",     "Solaris",    "SUSE",
    "openSUSE",   "Red Hat",       "Mandriva",   "Gentoo",     "Slackware",
    "Linux Mint", "Arch Linux",    "CentOS",     "Kubuntu",    "Xubuntu",
    "Mint",       "elementary OS", "Windows 95", "Windows 98", "Windows 2000",
    "Windows XP", "Windows Vista", "Windows 7",  "Windows 8",  "Windows 8.1",
    "Windows 10", "Windows NT",    "Windows ME", "BeOS",       "Haiku",
    "OS/2",       "AmigaOS",       "GNU/Linux",  "Darwin",     NULL};

static const char *const tablet_devices[] = {"iPad",    "Kindle",  "Kindle Fire", "Generic Tablet",
                                             "Nexus 7", "Nexus 9", "Nexus 10",    "Galaxy Tab",
                                             "Surface", NULL};

static const char *const mobile_devices[] = {
    "iPhone",          "iPod",        "iPod touch", "Generic Smartphone", "Generic Feature Phone",
    "Generic_Android", "Apple Watch", NULL};

/* TVs, set-top boxes and game consoles: device type "other", whatever their OS. */
static const char *const tv_console_markers[] = {
    "SMART-TV",    "SmartTV",    "Smart-TV",  "SMARTTV", "HbbTV",   "AppleTV", "Apple TV", "CrKey",
    "GoogleTV",    "Android TV", "AndroidTV", "BRAVIA",  "NetCast", "Web0S",   "webOS.TV", "Roku",
    "PlayStation", "Xbox",       "Nintendo",  "AFTB",    "AFTM",    "AFTS",    "AFTT",     NULL};

cn_device_t cn_enrich__device_type(cn_str_t ua, const cn_uap_result_t *r, bool is_bot)
{
    if (is_bot || cn_str_eq_c(r->dev_family, "Spider"))
        return CN_DEVICE_BOT;
    for (const char *const *m = tv_console_markers; *m != NULL; m++)
        if (contains(ua, *m))
            return CN_DEVICE_OTHER;
    if (contains(r->dev_family, " TV") || contains(r->dev_family, "SMART-TV"))
        return CN_DEVICE_OTHER;
    if (eq_any(r->dev_family, tablet_devices) || contains(r->dev_family, "Tablet") ||
        contains(r->dev_model, "Tablet") || contains(ua, "Tablet") || contains(ua, "iPad") ||
        contains(ua, "Silk/") || contains(ua, "Kindle"))
        return CN_DEVICE_TABLET;
    if (cn_str_eq_c(r->os_family, "Android") && !contains(ua, "Mobile") && !contains(ua, "Mobi") &&
        contains(ua, "Android"))
        return CN_DEVICE_TABLET; /* Google's rule: Android without "Mobile" is a tablet */
    if (eq_any(r->dev_family, mobile_devices) || eq_any(r->os_family, mobile_os) ||
        contains(ua, "Mobile") || contains(ua, "Mobi") || contains(ua, "Opera Mini"))
        return CN_DEVICE_MOBILE;
    if (cn_str_eq_c(r->dev_family, "Other") || cn_str_eq_c(r->dev_family, "Mac")) {
        if (eq_any(r->os_family, desktop_os) ||
            cn_str_starts_with(r->os_family, CN_STR_LIT("Windows")))
            return CN_DEVICE_DESKTOP;
    }
    return CN_DEVICE_OTHER;
}
