/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query engine (DESIGN.md "query"): a report request becomes scans over
 * the columns of one suite's store snapshot, with exact counts.
 *
 *   ranked/trended reports   cn_report_run()    dimensions x metrics, segment,
 *                                               sort, limit, compare period
 *   funnels (fallout)        cn_funnel_run()    ordered steps within a visit
 *                                               or a visitor
 *   paths (flow)             cn_paths_run()     next/previous values after a
 *                                               condition, top paths of length N
 *   realtime                 cn_realtime_run()  the last 30 minutes by minute
 *
 * Requests are built by cn_report_req_parse_json() / _parse_params() (the
 * API and the CLI share them); results are written as JSON by
 * cn_report_to_json() or walked directly (the CLI prints tables).
 *
 * The catalogue of dimensions and metrics is in catalog.c; docs/api.md lists
 * it, and GET /api/v1/catalog returns it.
 */
#ifndef CN_QUERY_QUERY_H
#define CN_QUERY_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"
#include "query/segment.h"
#include "store/store.h"

/* --- Query context --- */

/*
 * What the queries of one store share: a cache of columns decoded from
 * segment files (immutable, so valid for the segment's life), bounded by
 * cache_bytes (0: no cache), and the number of threads one query may use
 * (1..CN_QUERY_MAX_THREADS; a scan is split by segments and the partial
 * aggregates merged exactly). Thread-safe: any number of queries may use one
 * context at once. A NULL context means no cache and one thread. Free it
 * after the last query that uses it has returned.
 */
#define CN_QUERY_MAX_THREADS 8
/* The default cache budget (the API's suite key query_cache_mb overrides it). */
#define CN_QUERY_CACHE_DEFAULT ((size_t)1024 << 20)

typedef struct cn_query_ctx cn_query_ctx_t;
cn_query_ctx_t *cn_query_ctx_new(size_t cache_bytes, unsigned threads);
void cn_query_ctx_free(cn_query_ctx_t *ctx);
/* Bytes and entries held by the cache now. */
void cn_query_ctx_stats(cn_query_ctx_t *ctx, size_t *out_bytes, size_t *out_entries);

/* --- Catalogue --- */

typedef struct cn_dim_def cn_dim_def_t;
typedef struct cn_metric_def cn_metric_def_t;

/* Finds a dimension by name ("page", "country", "evar3"...), in any ASCII case ("eVar3", as
 * Adobe spells it); NULL when unknown. *out_arg gets the number of numbered dimensions (evarN,
 * propN), else 0. */
const cn_dim_def_t *cn_dim_find(cn_str_t name, int *out_arg);
/* Finds a metric by name ("pageviews", "revenue", "event5"...), in any ASCII case; NULL when
 * unknown. */
const cn_metric_def_t *cn_metric_find(cn_str_t name, int *out_arg);
/* Writes the catalogue as JSON: {"dimensions":[{name,title,scope,multi,paths}],
 * "metrics":[{name,title,type}]} (docs/api.md "GET /api/v1/catalog"). With a suite (sc not
 * NULL), the metrics go on with each event the suite defines (cn_query_events_json). */
void cn_catalog_to_json(const cn_suite_conf_t *sc, cn_buf_t *out);

/* --- A suite's events --- */

#define CN_QUERY_MAX_EVENT 1000 /* event1..event1000 */

/*
 * What reports need of a suite's event definitions (suite keys "eventN = name=TEXT;
 * type=counter|numeric|currency", docs/processing.md): which events are amounts of money.
 * Processing converts a currency event's values to the base currency as it converts revenue,
 * so reports write them as money, as they write revenue (docs/api.md "Numbers").
 */
typedef struct cn_query_events {
    uint64_t money[(CN_QUERY_MAX_EVENT + 64) / 64]; /* bit N: eventN is type=currency */
} cn_query_events_t;

/* Reads sc's eventN keys into out (all zero for NULL or a suite without currency events). A
 * key that processing would refuse (cn_process_check_suite_conf) is read as far as it goes. */
void cn_query_events_init(cn_query_events_t *out, const cn_suite_conf_t *sc);
/* Whether event n is money in ev (NULL: none is). */
bool cn_query_event_is_money(const cn_query_events_t *ev, int n);
/* Appends the events sc defines, in event order, as catalogue metrics:
 * {"name":"event10","title":"Shipping","type":"currency"} (title: its name=, else "Event 10";
 * type: "currency" for type=currency, else "count"), each after a comma unless first. */
void cn_query_events_json(const cn_suite_conf_t *sc, bool first, cn_buf_t *out);

/* --- Requests --- */

#define CN_REPORT_MAX_DIMS    2
#define CN_REPORT_MAX_METRICS 32
#define CN_REPORT_MAX_LIMIT   100000

typedef enum cn_gran {
    CN_GRAN_NONE = 0,
    CN_GRAN_HOUR,
    CN_GRAN_DAY,
    CN_GRAN_WEEK, /* weeks start on Monday */
    CN_GRAN_MONTH,
} cn_gran_t;

typedef enum cn_compare {
    CN_COMPARE_NONE = 0,
    CN_COMPARE_PREVIOUS_PERIOD,
    CN_COMPARE_PREVIOUS_YEAR,
    CN_COMPARE_PREVIOUS_BUCKET, /* trends: each bucket against the one before it */
} cn_compare_t;

typedef struct cn_req_dim {
    const cn_dim_def_t *def;
    int arg; /* N of evarN/propN/listN */
} cn_req_dim_t;

typedef struct cn_req_metric {
    const cn_metric_def_t *def; /* NULL for a calculated metric */
    int arg;                    /* N of eventN */
    char name[64];              /* as requested, e.g. "revenue" or "rpv" */
    struct cn_calc *calc;       /* a calculated metric's formula, or NULL */
} cn_req_metric_t;

typedef struct cn_report_req {
    char suite[65];
    int32_t from_day, to_day; /* local days, inclusive */
    cn_req_dim_t dims[CN_REPORT_MAX_DIMS];
    size_t dim_count;
    cn_gran_t gran; /* a trend: time buckets as the first key */
    cn_req_metric_t metrics[CN_REPORT_MAX_METRICS];
    size_t metric_count;
    cn_segment_t *segment; /* owned; may be NULL */
    int sort_metric;       /* index into metrics; -1: by key (the default for trends) */
    bool sort_asc;         /* default: descending by metric, ascending by key */
    size_t limit, offset;
    cn_compare_t compare;
    bool include_bots;        /* default false: bot visits excluded */
    bool include_empty;       /* default true: the "" key (shown as "(none)") is a row */
    cn_query_events_t events; /* the suite's currency events: money (cn_report_req_init_suite) */
} cn_report_req_t;

void cn_report_req_init(cn_report_req_t *req);
/* cn_report_req_init, then the events of suite sc (NULL: none) that are money, so that a
 * report writes them, and calculated metrics over them, as money. Call it before parsing. */
void cn_report_req_init_suite(cn_report_req_t *req, const cn_suite_conf_t *sc);
void cn_report_req_dispose(cn_report_req_t *req);

/*
 * Resolves a date range to local days in the suite's zone at now_us:
 * presets "today", "yesterday", "last_7_days", "last_30_days", "last_90_days",
 * "month_to_date" (= "this_month"), "last_month", "year_to_date" (= "this_year"),
 * "last_year", "last_12_months", or from/to as YYYY-MM-DD. Errors name the bad value.
 */
int cn_report_resolve_range(const cn_store_t *store, int64_t now_us, const char *preset,
                            const char *from, const char *to, int32_t *out_from, int32_t *out_to,
                            cn_err_t *err);

/*
 * Parses a request from a JSON object ({"suite":..., "dimensions":[...],
 * "metrics":[...], "from":..., "to":..., "range":..., "segment": text or
 * JSON, "granularity":..., "sort":..., "limit":..., "offset":...,
 * "compare":"previous_period|previous_year", "calculated":{"name":"formula"}})
 * or from URL query parameters (dimension=page&metrics=pageviews,visits&...).
 * Returns 0, or CN_EPARSE / CN_EINVAL / CN_ETOOBIG with err saying what is
 * wrong ("unknown dimension 'pagez'", "segment: expected ')' at position 9").
 * store gives the time zone for date presets.
 */
int cn_report_req_parse_json(cn_report_req_t *req, cn_str_t json, const cn_store_t *store,
                             int64_t now_us, cn_err_t *err);
int cn_report_req_parse_params(cn_report_req_t *req, cn_str_t query, const cn_store_t *store,
                               int64_t now_us, cn_err_t *err);

/* --- Results --- */

typedef struct cn_report_row {
    cn_str_t keys[CN_REPORT_MAX_DIMS + 1]; /* labels (trend bucket first when gran is set) */
    double *values;                        /* metric_count values */
    double *compare;                       /* metric_count compared values, or NULL */
} cn_report_row_t;

typedef struct cn_report {
    size_t key_count; /* labels per row */
    const char *key_names[CN_REPORT_MAX_DIMS + 1];
    size_t metric_count;
    const char *metric_names[CN_REPORT_MAX_METRICS];
    cn_report_row_t *rows; /* after sort, offset and limit */
    size_t row_count;
    size_t total_rows;      /* before offset and limit */
    double *totals;         /* metric_count values over the whole selection */
    double *compare_totals; /* or NULL */
    int32_t from_day, to_day, cmp_from_day, cmp_to_day;
    double elapsed_ms;
    void *priv;
} cn_report_t;

/*
 * Runs a report on a snapshot of store. Returns 0 and *out (free with
 * cn_report_free), or a negative code with err set. Thread-safe: several
 * reports may run on one snapshot at once.
 */
int cn_report_run(const cn_store_t *store, const cn_store_snap_t *snap, const cn_report_req_t *req,
                  cn_report_t **out, cn_err_t *err);
/* The same with a query context (NULL: none). */
int cn_report_run_ctx(cn_query_ctx_t *ctx, const cn_store_t *store, const cn_store_snap_t *snap,
                      const cn_report_req_t *req, cn_report_t **out, cn_err_t *err);
void cn_report_free(cn_report_t *r);

/* Writes the report as JSON (docs/api.md "report"). */
void cn_report_to_json(const cn_report_t *r, const cn_report_req_t *req, cn_buf_t *out);

/* Appends metric m's value v as the API's JSON writes it, for CSV and TSV: whole counts as
 * integers, money to 4 decimals without trailing zeros (the store keeps 4), other values to 10
 * significant digits; nothing for a value that is not finite (JSON's null). A currency event
 * (the request's events) and a calculated metric that is an amount of money (revenue / visits,
 * event10 / orders) are money. */
void cn_metric_text(const cn_report_t *r, size_t m, double v, cn_buf_t *out);

/* Formats a metric value for people (the table): counts as integers (a numeric event's sum
 * with its decimals, as cn_metric_text writes it: 2.5), money with the same 4 decimals as every
 * other format (padded: 12.5000; a currency event too), rates in percent, durations as minutes
 * and seconds, other values to 2 decimals. */
void cn_metric_format(const cn_report_t *r, size_t m, double v, cn_buf_t *out);

/* --- Funnels, paths, realtime (flow.c) --- */

/*
 * These take their request as JSON (is_json) or URL parameters and write the
 * JSON answer to out (docs/api.md "funnel", "paths", "realtime"):
 *
 *   funnel:   step=<condition> (2..10, in order; JSON "steps":[...]),
 *             within=visit|visitor, range/from/to, segment, bots
 *   paths:    condition=<condition>, direction=next|previous, dimension (default
 *             page; one with one value per hit: listN, product, category and
 *             merchN are refused), limit; or length=2 for the top pairs of pages;
 *             repeats=exclude (default: consecutive page views with the same value
 *             are one step) or include (each page view is a step)
 *   realtime: minutes (default 30, at most 180)
 *
 * A condition is segment syntax evaluated on page-view hits (funnels: any
 * hit). Returns 0, or an error with err set (400-class for bad requests).
 */
typedef int (*cn_query_fn_t)(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                             const char *suite, cn_str_t input, bool is_json, int64_t now_us,
                             cn_buf_t *out, cn_err_t *err);
int cn_funnel_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                   const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                   cn_err_t *err);
int cn_paths_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                  const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                  cn_err_t *err);
int cn_realtime_json(cn_query_ctx_t *ctx, cn_store_t *store, const cn_store_snap_t *snap,
                     const char *suite, cn_str_t input, bool is_json, int64_t now_us, cn_buf_t *out,
                     cn_err_t *err);

#endif
