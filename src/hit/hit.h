/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Processed rows: the visit, hit, item, var and event records that
 * processing emits and the store keeps. Their fields are generated from
 * columns.def; docs/hit.md describes them. Strings are borrowed slices,
 * valid until the emitting call returns (the store copies what it keeps).
 */
#ifndef CN_HIT_HIT_H
#define CN_HIT_HIT_H

#include <stdint.h>

#include "lib/str.h"

/* Column kinds; see columns.def. */
typedef enum cn_colk {
    CN_COLK_TS,
    CN_COLK_DICT,
    CN_COLK_U8,
    CN_COLK_U32,
    CN_COLK_MONEY,
} cn_colk_t;

#define CN_COLK_CTYPE_CN_COLK_TS    int64_t
#define CN_COLK_CTYPE_CN_COLK_DICT  cn_str_t
#define CN_COLK_CTYPE_CN_COLK_U8    uint8_t
#define CN_COLK_CTYPE_CN_COLK_U32   uint32_t
#define CN_COLK_CTYPE_CN_COLK_MONEY int64_t
#define CN_COLK_CTYPE(kind)         CN_COLK_CTYPE_##kind

#include "hit/columns.def"

#define CN__ROW_FIELD(name, kind, json, doc) CN_COLK_CTYPE(kind) name;

typedef struct cn_visit_row {
    CN_VISIT_COLUMNS(CN__ROW_FIELD)
} cn_visit_row_t;

typedef struct cn_hit_row {
    CN_HIT_COLUMNS(CN__ROW_FIELD)
} cn_hit_row_t;

typedef struct cn_item_row {
    CN_ITEM_COLUMNS(CN__ROW_FIELD)
} cn_item_row_t;

typedef struct cn_var_row {
    CN_VAR_COLUMNS(CN__ROW_FIELD)
} cn_var_row_t;

typedef struct cn_event_row {
    CN_EVENT_COLUMNS(CN__ROW_FIELD)
} cn_event_row_t;

/* Money: fixed point, 1/10000 of a unit. */
#define CN_MONEY_SCALE 10000

/* Hit types (cn_hit_row_t.type), on disk. */
typedef enum cn_hit_type {
    CN_HIT_PAGEVIEW = 0,
    CN_HIT_LINK = 1,     /* custom link (Adobe lnk_o), custom event */
    CN_HIT_DOWNLOAD = 2, /* Adobe lnk_d */
    CN_HIT_EXIT = 3,     /* outbound link, Adobe lnk_e */
    CN_HIT_REQUEST = 4,  /* other request of an imported log: static asset, error, redirect */
} cn_hit_type_t;

/* Commerce event flags (cn_hit_row_t.events), on disk. */
enum {
    CN_EV_PROD_VIEW = 1 << 0, /* prodView */
    CN_EV_CART_ADD = 1 << 1,  /* scAdd */
    CN_EV_CART_OPEN = 1 << 2, /* scOpen */
    CN_EV_CART_VIEW = 1 << 3, /* scView */
    CN_EV_CART_REMOVE = 1 << 4,
    CN_EV_CHECKOUT = 1 << 5, /* scCheckout */
    CN_EV_PURCHASE = 1 << 6, /* purchase, counted once per purchase id */
};

/* Referrer types (cn_visit_row_t.ref_type), on disk. */
typedef enum cn_ref_type {
    CN_REF_NONE = 0, /* typed/bookmarked: no referrer */
    CN_REF_INTERNAL = 1,
    CN_REF_SEARCH = 2,
    CN_REF_SOCIAL = 3,
    CN_REF_EMAIL = 4,
    CN_REF_PAID = 5,
    CN_REF_OTHER = 6, /* any other website */
} cn_ref_type_t;

/* Device types (cn_visit_row_t.device), on disk. */
typedef enum cn_device {
    CN_DEVICE_OTHER = 0,
    CN_DEVICE_DESKTOP = 1,
    CN_DEVICE_MOBILE = 2,
    CN_DEVICE_TABLET = 3,
    CN_DEVICE_BOT = 4,
} cn_device_t;

/* Variable families (cn_var_row_t.var = family | number). */
enum {
    CN_VAR_EVAR = 0x10000,  /* eVar1..eVar250 */
    CN_VAR_PROP = 0x20000,  /* prop1..prop75 */
    CN_VAR_LIST = 0x30000,  /* list1..list3 */
    CN_VAR_HIER = 0x40000,  /* hier1..hier5 */
    CN_VAR_MERCH = 0x50000, /* merchandising eVar bound to one item row of the hit: below */
    CN_VAR_FAMILY_MASK = 0xff0000,
};

/*
 * A merchandising eVar given in the products string (product syntax:
 * "Cat;SKU;1;9.99;;eVar5=blue") is bound to that product: the var row
 * has var = CN_VAR_MERCH | n | item index, where n (1..250) is in bits 0-7
 * and the 0-based index of the item among the hit's item rows (in products
 * order) is split over bits 8-15 (low byte) and 24-31 (high byte), so that
 * the family stays in bits 16-23. docs/hit.md.
 */
static inline uint32_t cn_var_merch(unsigned evar, unsigned item)
{
    return CN_VAR_MERCH | (evar & 0xffu) | (item & 0xffu) << 8 | (item >> 8 & 0xffu) << 24;
}

static inline unsigned cn_var_merch_evar(uint32_t var)
{
    return var & 0xffu;
}

static inline unsigned cn_var_merch_item(uint32_t var)
{
    return (var >> 8 & 0xffu) | (var >> 24) << 8;
}

#endif
