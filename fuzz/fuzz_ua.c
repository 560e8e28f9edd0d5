/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the user-agent parser (uap-core regexes with the literal
 * prefilter, crawler patterns, device type, the UA cache). Invariants:
 *   - the prefiltered uap parse gives exactly what a plain first-match loop
 *     over every regex gives (the slow reference);
 *   - the prefiltered bot check finds the same first pattern as the joined
 *     PCRE2 alternation (for inputs up to 512 bytes: the reference is slow);
 *   - a cached answer equals the first answer, field by field;
 *   - families are never empty; a bot's device type is CN_DEVICE_BOT.
 * The data sets come from CANTON_SRC or the source tree canton was built in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_enrich_t *E;
static cn_enrich_thread_t *T;
static cn_matcher_t M;

static void init(void)
{
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, NULL);
    o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.ua_cache_entries = 64;
    cn_err_t err;
    if (cn_enrich_open(&o, &E, &err) != 0)
        cn_panic("fuzz_ua: %s", err.msg);
    T = cn_enrich_thread_new(E);
    cn_enrich__matcher_init(&M, E->max_groups);
}

static bool same(const cn_ua_info_t *a, const cn_ua_info_t *b)
{
    return cn_str_eq(a->browser, b->browser) && cn_str_eq(a->browser_ver, b->browser_ver) &&
           cn_str_eq(a->os, b->os) && cn_str_eq(a->os_ver, b->os_ver) &&
           cn_str_eq(a->device, b->device) && cn_str_eq(a->brand, b->brand) &&
           cn_str_eq(a->model, b->model) && a->type == b->type && a->is_bot == b->is_bot &&
           cn_str_eq(a->bot, b->bot);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (E == NULL)
        init();
    cn_str_t ua = cn_str((const char *)data, size);
    cn_uap_result_t fast, slow;
    cn_enrich__uap_parse(E->uap, &T->m, ua, &fast);
    cn_enrich__uap_parse_slow(E->uap, &M, ua, &slow);
    const cn_str_t *f = &fast.ua_family, *s = &slow.ua_family;
    for (size_t i = 0; i < sizeof(fast) / sizeof(cn_str_t); i++)
        if (!cn_str_eq(f[i], s[i]))
            abort();
    if (size <= 512 &&
        cn_enrich__bot_pattern(E->bots, &T->m, ua) != cn_enrich__bot_pattern_slow(E->bots, &M, ua))
        abort();
    cn_ua_info_t a, b;
    cn_enrich_ua(T, ua, &a);
    cn_enrich_ua(T, ua, &b);
    if (!same(&a, &b) || a.browser.len == 0 || a.os.len == 0 || a.device.len == 0)
        abort();
    if (a.is_bot != (a.type == CN_DEVICE_BOT) || a.is_bot != (a.bot.len > 0))
        abort();
    return 0;
}
