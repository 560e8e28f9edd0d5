/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: import rows, from the NDJSON line to processing's decoders
 * (import/rows.c and ndjson.c; process/import_row.c, import_log.c).
 * The bytes are an NDJSON line, parsed by the import as it runs (the fast
 * scanner, import/ndjson.c, and jansson for the lines it leaves) and by
 * jansson alone (the reference): both must give the same result, the same
 * raw hit byte for byte (its hitlog record) or the same bad-line reason and
 * column. That hit is decoded as below. Then the bytes are an import row's
 * canonical query string (with export's JSON and packed items/vars/events
 * cells inside), then the headers of an imported log line. Invariants of
 * the decoders: on success there is one hit, of a known type; a page view
 * has a URL or a page; items have a sku and a non-negative quantity; vars
 * are of a known family; numbered events are 1..1000; a currency is 3
 * letters; a hit marked a duplicate purchase is a purchase; a failure is
 * one of the bad-row reasons.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/internal.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const cn_dbatch_t *b, int rc)
{
    if (rc < 0 || rc >= CN_BADROW__COUNT)
        abort();
    if (rc != 0)
        return;
    if (b->hit_count != 1)
        abort();
    const cn_dhit_t *h = &b->hits[0];
    if (h->type > CN_HIT_REQUEST)
        abort();
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0 && h->page_name.len == 0)
        abort();
    if (h->currency.len != 0 && h->currency.len != 3)
        abort();
    if (h->dup_purchase && !(h->events & CN_EV_PURCHASE))
        abort();
    for (uint32_t k = 0; k < h->prod_count; k++) {
        const cn_dprod_t *p = &b->prods[h->prod_first + k];
        if (p->sku.len == 0 || p->qty < 0)
            abort();
    }
    for (uint32_t k = 0; k < h->var_count; k++) {
        uint32_t v = b->vars[h->var_first + k].var, fam = v & CN_VAR_FAMILY_MASK;
        if ((fam != CN_VAR_EVAR && fam != CN_VAR_PROP && fam != CN_VAR_LIST &&
             fam != CN_VAR_HIER) ||
            (v & 0xffff) == 0 || (v & 0xffff) > 250)
            abort();
        /* a product binding (export's "evarN@K") is an eVar's, within the products limit */
        int32_t product = b->vars[h->var_first + k].product;
        if (product >= 0 && (fam != CN_VAR_EVAR || product >= CN_DEC_MAX_PRODUCTS))
            abort();
    }
    for (uint32_t k = 0; k < h->ev_count; k++) {
        const cn_devent_t *e = &b->events[h->ev_first + k];
        if (e->num > CN_DEC_MAX_EVENT_NUM)
            abort();
    }
}

/* The NDJSON parser as the import runs it (ref false) or with jansson alone (ref true), with
 * a --map rename so that mapped names are compared too. */
static cn_import_parser_t *ndjson_parser(bool ref)
{
    cn_import_opts_t o = {.format = "ndjson", .suite = "fz", .map = "page_title=title"};
    cn_import_parser_t *p = NULL;
    if (cn_import_parser_new(&o, &p, NULL) != 0)
        abort();
    if (ref)
        cn_import__rowfmt_use_jansson(p->row);
    return p;
}

/* The line through both NDJSON parsers: the same answer, raw hit and bad line. The hit is
 * decoded by processing into b. */
static void ndjson_line(cn_str_t line, cn_dbatch_t *b)
{
    static cn_import_parser_t *fast, *ref;
    if (fast == NULL) {
        fast = ndjson_parser(false);
        ref = ndjson_parser(true);
    }
    /* the runner never passes a '\n' inside a line */
    if (line.len > 0 && memchr(line.ptr, '\n', line.len) != NULL)
        return;
    cn_import_ctx_t cf, cr;
    cn_import_ctx_init(&cf);
    cn_import_ctx_init(&cr);
    cn_rawhit_t hf, hr;
    cn_import_info_t inf = {0}, inr = {0};
    int rf = cn_import_parse_line(fast, &cf, line, &hf, &inf);
    int rr = cn_import_parse_line(ref, &cr, line, &hr, &inr);
    if (rf != rr || inf.is_page != inr.is_page || inf.status != inr.status)
        abort();
    if (rf == CN_EPARSE && (inf.bad != inr.bad || inf.column != inr.column))
        abort();
    if (rf == 0) {
        cn_buf_t ef = CN_BUF_INIT, er = CN_BUF_INIT;
        cn_rawhit_encode(&hf, &ef);
        cn_rawhit_encode(&hr, &er);
        if (ef.len != er.len || memcmp(ef.ptr, er.ptr, ef.len) != 0)
            abort();
        cn_buf_dispose(&ef);
        cn_buf_dispose(&er);
        cn_err_t err;
        check(b, cn_decode_raw(&hf, b, &err));
    }
    cn_import_ctx_dispose(&cf);
    cn_import_ctx_dispose(&cr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_err_t err;
    ndjson_line(cn_str((const char *)data, size), &b);
    cn_str_t in = cn_str((const char *)data, size);
    cn_rawhit_t row = {.proto = CN_PROTO_IMPORT_ROW, .suite = CN_STR_LIT("s"), .query = in};
    check(&b, cn_decode_raw(&row, &b, &err));
    cn_rawhit_t log = {.proto = CN_PROTO_IMPORT_LOG,
                       .suite = CN_STR_LIT("s"),
                       .path = CN_STR_LIT("/a/b.html"),
                       .query = CN_STR_LIT("utm_source=x"),
                       .headers = in};
    check(&b, cn_decode_raw(&log, &b, &err));
    cn_dbatch_dispose(&b);
    return 0;
}
