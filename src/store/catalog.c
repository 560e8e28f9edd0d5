/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The column catalogue: hit/columns.def expanded into one table of every
 * column of every group, with its dictionary domain. The store, `canton
 * check` and `canton export` iterate this table, so a column added to
 * columns.def needs no change here.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/internal.h"
#include "store/store.h"

/* Dictionary domains: a DICT column uses the dictionary named after it,
 * except where a column holds values of another column's domain. */
static const struct {
    cn_store_group_t group;
    const char *column;
    const char *domain;
} dict_alias[] = {
    {CN_GROUP_VISIT, "entry_page", "page"},
};

/*
 * Key columns for the KEYED page encoding (docs/storage.md): a column whose
 * value is mostly a function of another column of its group is coded as
 * "the same value as the last row of the page with the same key", with the
 * other rows explicit. The key is recorded in each segment's footer, so this
 * table only guides the writer. Keys must not form cycles.
 */
static const struct {
    cn_store_col_t col;
    int key;
} col_keys[] = {
    {CN_COL_HIT_url, CN_COL_HIT_page},
    {CN_COL_HIT_section, CN_COL_HIT_page},
    {CN_COL_HIT_page_type, CN_COL_HIT_page},
    {CN_COL_HIT_server, CN_COL_HIT_page},
    {CN_COL_HIT_currency, CN_COL_HIT_visit},
    {CN_COL_HIT_link_url, CN_COL_HIT_link_name},
    {CN_COL_ITEM_category, CN_COL_ITEM_sku},
    {CN_COL_VISIT_ref_domain, CN_COL_VISIT_ref_url},
    {CN_COL_VISIT_search_term, CN_COL_VISIT_ref_url},
    {CN_COL_VISIT_region, CN_COL_VISIT_city},
    {CN_COL_VISIT_country, CN_COL_VISIT_region},
    {CN_COL_VISIT_utm_source, CN_COL_VISIT_campaign},
    {CN_COL_VISIT_utm_medium, CN_COL_VISIT_campaign},
    {CN_COL_VISIT_channel, CN_COL_VISIT_ref_domain},
    /* format 4: a user agent's parts follow each other (a browser version names
     * its browser and mostly its OS version), a country names its language.
     * Not visit.bot and visit.device: every report's bot filter reads them, and
     * a KEYED page decodes 3-4x slower than a bit-packed one */
    {CN_COL_VISIT_browser, CN_COL_VISIT_browser_ver},
    {CN_COL_VISIT_os, CN_COL_VISIT_browser},
    {CN_COL_VISIT_os_ver, CN_COL_VISIT_browser_ver},
    {CN_COL_VISIT_language, CN_COL_VISIT_country},
    {CN_COL_VISIT_cross_border, CN_COL_VISIT_country},
    {CN_COL_VISIT_ref_type, CN_COL_VISIT_ref_url},
    {CN_COL_VISIT_campaign, CN_COL_VISIT_channel},
    /* the value in force of an eVar mostly stays for the visit */
    {CN_COL_VAR_value, CN_STORE__KEY_VAR_VISIT},
    /* a hit re-emits the vars of the visit's previous hit, in the same order */
    {CN_COL_VAR_var, CN_STORE__KEY_VAR_SLOT},
    /* a product page's hit names its product */
    {CN_COL_ITEM_sku, CN_STORE__KEY_ITEM_PAGE},
    /* KEYED_NEXT: the visit's previous hit number + 1; a new visitor's ordinal
     * is the previous new visitor's + 1 */
    {CN_COL_HIT_hit_num, CN_COL_HIT_visit},
    {CN_COL_VISIT_visitor, CN_COL_VISIT_visit_num},
};

/* Derived keys: the one column each may key, and its footer name. */
static const struct {
    int key;
    cn_store_col_t col;
    const char *name;
} derived[] = {
    {CN_STORE__KEY_VAR_VISIT, CN_COL_VAR_value, CN_STORE__KEY_VAR_VISIT_NAME},
    {CN_STORE__KEY_VAR_SLOT, CN_COL_VAR_var, CN_STORE__KEY_VAR_SLOT_NAME},
    {CN_STORE__KEY_ITEM_PAGE, CN_COL_ITEM_sku, CN_STORE__KEY_ITEM_PAGE_NAME},
};

const char *cn_store__key_name(int key)
{
    for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
        if (derived[i].key == key)
            return derived[i].name;
    return "";
}

int cn_store__key_mode(int key)
{
    return key == CN_STORE__KEY_VAR_VISIT  ? CN_STORE__KMODE_ADAPTIVE
           : key == CN_STORE__KEY_VAR_SLOT ? CN_STORE__KMODE_CHAIN
                                           : CN_STORE__KMODE_PLAIN;
}

int cn_store__col_hints(cn_store_col_t col)
{
    /* a hit's visit is one of the visits in progress: mostly a recent row's */
    return col == CN_COL_HIT_visit ? CN_STORE__KMODE_TRY_REF : 0;
}

int cn_store__key_find(cn_store_col_t col, cn_str_t name)
{
    for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
        if (derived[i].col == col && cn_str_eq(name, cn_str_c(derived[i].name)))
            return derived[i].key;
    return CN_STORE__KEY_NONE;
}

int cn_store__col_key(cn_store_col_t col)
{
    for (size_t i = 0; i < sizeof(col_keys) / sizeof(col_keys[0]); i++)
        if (col_keys[i].col == col)
            return col_keys[i].key;
    return CN_STORE__KEY_NONE;
}

static const char *domain_of(cn_store_group_t g, const char *name)
{
    for (size_t i = 0; i < sizeof(dict_alias) / sizeof(dict_alias[0]); i++)
        if (dict_alias[i].group == g && strcmp(dict_alias[i].column, name) == 0)
            return dict_alias[i].domain;
    return name;
}

static cn_store_col_info_t cols[CN_COL_COUNT] = {
#define XX_VISIT(n, k, j, d) {CN_GROUP_VISIT, k, #n, j, d, -1, offsetof(cn_visit_row_t, n)},
#define XX_HIT(n, k, j, d)   {CN_GROUP_HIT, k, #n, j, d, -1, offsetof(cn_hit_row_t, n)},
#define XX_ITEM(n, k, j, d)  {CN_GROUP_ITEM, k, #n, j, d, -1, offsetof(cn_item_row_t, n)},
#define XX_VAR(n, k, j, d)   {CN_GROUP_VAR, k, #n, j, d, -1, offsetof(cn_var_row_t, n)},
#define XX_EVENT(n, k, j, d) {CN_GROUP_EVENT, k, #n, j, d, -1, offsetof(cn_event_row_t, n)},
    CN_VISIT_COLUMNS(XX_VISIT) CN_HIT_COLUMNS(XX_HIT) CN_ITEM_COLUMNS(XX_ITEM)
        CN_VAR_COLUMNS(XX_VAR) CN_EVENT_COLUMNS(XX_EVENT)
#undef XX_VISIT
#undef XX_HIT
#undef XX_ITEM
#undef XX_VAR
#undef XX_EVENT
};

static const char *dict_names[CN_COL_COUNT];
static size_t dict_count;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static cn_store_col_t group_first[CN_GROUP_COUNT];
static size_t group_count[CN_GROUP_COUNT];

static void init_catalog(void)
{
    for (size_t g = 0; g < CN_GROUP_COUNT; g++)
        group_first[g] = CN_COL_COUNT;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (group_count[cols[c].group]++ == 0)
            group_first[cols[c].group] = (cn_store_col_t)c;
    }
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (cols[c].kind != CN_COLK_DICT)
            continue;
        const char *dom = domain_of(cols[c].group, cols[c].name);
        size_t i;
        for (i = 0; i < dict_count; i++)
            if (strcmp(dict_names[i], dom) == 0)
                break;
        if (i == dict_count)
            dict_names[dict_count++] = dom;
        cols[c].dict = (int)i;
    }
    /* The segment limits table holds 64 domains. */
    CN_ASSERT(dict_count <= 64);
}

const cn_store_col_info_t *cn_store_col(cn_store_col_t col)
{
    pthread_once(&once, init_catalog);
    CN_ASSERT((size_t)col < CN_COL_COUNT);
    return &cols[col];
}

cn_store_col_t cn_store_col_find(cn_store_group_t group, cn_str_t name)
{
    pthread_once(&once, init_catalog);
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        if (cols[c].group == group && cn_str_eq_c(name, cols[c].name))
            return (cn_store_col_t)c;
    return CN_COL_COUNT;
}

/* Columns of a group are consecutive in the catalogue (group_first, group_count). */
cn_store_col_t cn_store_group_first(cn_store_group_t group)
{
    pthread_once(&once, init_catalog);
    return (size_t)group < CN_GROUP_COUNT ? group_first[group] : CN_COL_COUNT;
}

size_t cn_store_group_cols(cn_store_group_t group)
{
    pthread_once(&once, init_catalog);
    return (size_t)group < CN_GROUP_COUNT ? group_count[group] : 0;
}

const char *cn_store_group_name(cn_store_group_t group)
{
    static const char *names[] = {"visit", "hit", "item", "var", "event"};
    return (size_t)group < CN_GROUP_COUNT ? names[group] : "?";
}

size_t cn_store_dict_count(void)
{
    pthread_once(&once, init_catalog);
    return dict_count;
}

const char *cn_store_dict_name(int dict)
{
    pthread_once(&once, init_catalog);
    CN_ASSERT(dict >= 0 && (size_t)dict < dict_count);
    return dict_names[dict];
}

size_t cn_store__kind_size(cn_colk_t kind)
{
    switch (kind) {
    case CN_COLK_TS:
    case CN_COLK_MONEY:
        return 8;
    case CN_COLK_DICT:
    case CN_COLK_U32:
        return 4;
    case CN_COLK_U8:
        return 1;
    }
    return 8;
}

void cn_store__kind_range(cn_colk_t kind, int64_t *min, int64_t *max)
{
    switch (kind) {
    case CN_COLK_TS:
    case CN_COLK_MONEY:
        *min = INT64_MIN;
        *max = INT64_MAX;
        return;
    case CN_COLK_DICT:
    case CN_COLK_U32:
        *min = 0;
        *max = UINT32_MAX;
        return;
    case CN_COLK_U8:
        *min = 0;
        *max = UINT8_MAX;
        return;
    }
    *min = *max = 0;
}
