/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Report requests: parsing from JSON (POST /api/v1/report) and from URL
 * query parameters (GET /api/v1/report, `canton report`), date presets in
 * the suite's time zone, and validation with messages that say what is
 * wrong. docs/api.md documents every parameter.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"
#include "lib/xalloc.h"
#include "query/internal.h"

void cn_report_req_init(cn_report_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->sort_metric = 0;
    req->limit = 100;
    req->include_empty = true;
    req->from_day = req->to_day = INT32_MIN;
}

void cn_report_req_init_suite(cn_report_req_t *req, const cn_suite_conf_t *sc)
{
    cn_report_req_init(req);
    cn_query_events_init(&req->events, sc);
}

void cn_report_req_dispose(cn_report_req_t *req)
{
    cn_segment_free(req->segment);
    for (size_t i = 0; i < req->metric_count; i++)
        cn_calc_free(req->metrics[i].calc);
    memset(req, 0, sizeof(*req));
}

/* A day parameter (name: from, to): exactly YYYY-MM-DD, a day that exists, from 1970 on. */
static int parse_ymd(const char *name, const char *s, int32_t *out, cn_err_t *err)
{
    static const char shape[] = "dddd-dd-dd";
    bool ok = strlen(s) == sizeof(shape) - 1;
    for (size_t i = 0; ok && i < sizeof(shape) - 1; i++)
        ok = shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == shape[i];
    if (!ok)
        return cn_err_set(err, CN_EINVAL, "bad date %s='%.64s' (expected YYYY-MM-DD)", name, s);
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1970)
        return cn_err_set(err, CN_EINVAL, "date %s='%s' is before 1970-01-01, where reports begin",
                          name, s);
    int32_t day = cn_store_day_from_ymd(y, m, d);
    int y2, m2, d2;
    cn_store_day_to_ymd(day, &y2, &m2, &d2);
    if (m < 1 || m > 12 || d < 1 || y2 != y || m2 != m || d2 != d) /* 2026-02-30 */
        return cn_err_set(err, CN_EINVAL, "bad date %s='%s' (no such day)", name, s);
    *out = day;
    return 0;
}

static int32_t month_start(int32_t day, int back)
{
    int y, m, d;
    cn_store_day_to_ymd(day, &y, &m, &d);
    int a = y * 12 + (m - 1) - back;
    return cn_store_day_from_ymd(a / 12, a % 12 + 1, 1);
}

int cn_report_resolve_range(const cn_store_t *store, int64_t now_us, const char *preset,
                            const char *from, const char *to, int32_t *out_from, int32_t *out_to,
                            cn_err_t *err)
{
    int32_t today = cn_store_day_of(store, now_us);
    bool has_preset = preset != NULL && preset[0] != '\0';
    if (has_preset && (from != NULL || to != NULL)) {
        /* two answers to "which days": neither is taken over the other in silence */
        return cn_err_set(err, CN_EINVAL,
                          "give either range or from/to, not both (range=%.32s, %s%.32s%s%s%.32s)",
                          preset, from != NULL ? "from=" : "", from != NULL ? from : "",
                          from != NULL && to != NULL ? ", " : "", to != NULL ? "to=" : "",
                          to != NULL ? to : "");
    }
    if (has_preset) {
        int y, m, d;
        cn_store_day_to_ymd(today, &y, &m, &d);
        int32_t f, t = today;
        if (strcmp(preset, "today") == 0)
            f = today;
        else if (strcmp(preset, "yesterday") == 0)
            f = t = today - 1;
        else if (strcmp(preset, "last_7_days") == 0)
            f = today - 6;
        else if (strcmp(preset, "last_30_days") == 0)
            f = today - 29;
        else if (strcmp(preset, "last_90_days") == 0)
            f = today - 89;
        else if (strcmp(preset, "month_to_date") == 0 || strcmp(preset, "this_month") == 0)
            f = month_start(today, 0);
        else if (strcmp(preset, "last_month") == 0) {
            f = month_start(today, 1);
            t = month_start(today, 0) - 1;
        } else if (strcmp(preset, "year_to_date") == 0 || strcmp(preset, "this_year") == 0)
            f = cn_store_day_from_ymd(y, 1, 1);
        else if (strcmp(preset, "last_year") == 0) {
            f = cn_store_day_from_ymd(y - 1, 1, 1);
            t = cn_store_day_from_ymd(y, 1, 1) - 1;
        } else if (strcmp(preset, "last_12_months") == 0)
            f = month_start(today, 11);
        else
            return cn_err_set(err, CN_EINVAL,
                              "unknown range '%s' (today, yesterday, last_7_days, last_30_days, "
                              "last_90_days, month_to_date, last_month, year_to_date, last_year, "
                              "last_12_months)",
                              preset);
        *out_from = f;
        *out_to = t;
        return 0;
    }
    int32_t f = today - 29, t = today;
    int rc;
    if (from != NULL && (rc = parse_ymd("from", from, &f, err)) != 0)
        return rc;
    if (to != NULL && (rc = parse_ymd("to", to, &t, err)) != 0)
        return rc;
    if (from != NULL && to == NULL)
        t = today > f ? today : f;
    if (to != NULL && from == NULL)
        f = t - 29;
    if (f > t)
        return cn_err_set(err, CN_EINVAL, "from is after to");
    if (t - f > 366 * 20)
        return cn_err_set(err, CN_ETOOBIG, "the range is longer than 20 years");
    *out_from = f;
    *out_to = t;
    return 0;
}

/* --- Fields shared by both forms --- */

typedef struct raw_req {
    char *suite, *range, *from, *to, *dims, *metrics, *segment, *segment_json, *gran, *sort, *limit,
        *offset, *compare, *bots, *empty;
    char *calc_names[CN_REPORT_MAX_METRICS], *calc_formulas[CN_REPORT_MAX_METRICS];
    size_t calc_count;
} raw_req_t;

static void raw_free(raw_req_t *r)
{
    char **f[] = {&r->suite,   &r->range,   &r->from,         &r->to,   &r->dims,
                  &r->metrics, &r->segment, &r->segment_json, &r->gran, &r->sort,
                  &r->limit,   &r->offset,  &r->compare,      &r->bots, &r->empty};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        free(*f[i]);
    for (size_t i = 0; i < r->calc_count; i++) {
        free(r->calc_names[i]);
        free(r->calc_formulas[i]);
    }
}

static int add_list(cn_report_req_t *req, const char *list, bool dims, const raw_req_t *raw,
                    cn_err_t *err)
{
    cn_str_t rest = cn_str_c(list), item;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &item);
        item = cn_str_trim(item);
        if (item.len == 0)
            continue;
        int arg;
        if (dims) {
            if (req->dim_count == CN_REPORT_MAX_DIMS)
                return cn_err_set(err, CN_EINVAL, "at most %d dimensions", CN_REPORT_MAX_DIMS);
            const cn_dim_def_t *d = cn_dim_find(item, &arg);
            if (d == NULL)
                return cn_err_set(err, CN_EINVAL,
                                  "unknown dimension '%.*s' (GET /api/v1/catalog lists them)",
                                  (int)(item.len > 64 ? 64 : item.len), item.ptr);
            req->dims[req->dim_count++] = (cn_req_dim_t){d, arg};
            continue;
        }
        if (req->metric_count == CN_REPORT_MAX_METRICS)
            return cn_err_set(err, CN_EINVAL, "at most %d metrics", CN_REPORT_MAX_METRICS);
        cn_req_metric_t *m = &req->metrics[req->metric_count];
        memset(m, 0, sizeof(*m));
        if (item.len >= sizeof(m->name))
            return cn_err_set(err, CN_EINVAL, "metric name too long");
        memcpy(m->name, item.ptr, item.len);
        m->def = cn_metric_find(item, &m->arg);
        if (m->def != NULL) {
            /* answered under the catalogue's spelling ("Revenue" is "revenue"; its names are
             * lowercase) */
            for (char *c = m->name; *c != 0; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        } else {
            /* a name is defined once (apply checks) */
            for (size_t i = 0; i < raw->calc_count && m->calc == NULL; i++) {
                if (strcmp(raw->calc_names[i], m->name) == 0) {
                    char cname[80];
                    snprintf(cname, sizeof(cname), "calc.%.64s", m->name);
                    int rc =
                        cn_calc_parse(cname, raw->calc_formulas[i], &req->events, &m->calc, err);
                    if (rc != 0)
                        return rc;
                }
            }
            if (m->calc == NULL)
                return cn_err_set(err, CN_EINVAL,
                                  "unknown metric '%s' (GET /api/v1/catalog lists them; define "
                                  "calculated metrics with calc.NAME=FORMULA)",
                                  m->name);
        }
        req->metric_count++;
    }
    return 0;
}

static int apply(cn_report_req_t *req, raw_req_t *raw, const cn_store_t *store, int64_t now_us,
                 cn_err_t *err)
{
    int rc;
    if (raw->suite != NULL)
        snprintf(req->suite, sizeof(req->suite), "%s", raw->suite);
    if ((rc = cn_report_resolve_range(store, now_us, raw->range, raw->from, raw->to, &req->from_day,
                                      &req->to_day, err)) != 0)
        return rc;
    for (size_t i = 0; i < raw->calc_count; i++) {
        /* metrics=pageviews&calc.pageviews=...: the catalogue's metric would win unseen */
        int arg;
        if (cn_metric_find(cn_str_c(raw->calc_names[i]), &arg) != NULL)
            return cn_err_set(err, CN_EINVAL,
                              "calculated metric '%.64s': the catalogue has a metric of that "
                              "name; give the formula another name",
                              raw->calc_names[i]);
        /* calc.x=a&calc.x=b (or --calc twice): which formula was meant? */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(raw->calc_names[j], raw->calc_names[i]) == 0)
                return cn_err_set(err, CN_EINVAL, "'calc.%.64s' is given twice (give it once)",
                                  raw->calc_names[i]);
        }
    }
    if (raw->dims != NULL && (rc = add_list(req, raw->dims, true, raw, err)) != 0)
        return rc;
    if ((rc = add_list(req, raw->metrics ? raw->metrics : "pageviews,visits,visitors", false, raw,
                       err)) != 0)
        return rc;
    if (req->metric_count == 0)
        return cn_err_set(err, CN_EINVAL, "no metrics");
    for (size_t i = 0; i < raw->calc_count; i++) {
        /* a formula no metric asks for would be left unread: say so, not a report without it */
        bool used = false;
        for (size_t j = 0; j < req->metric_count && !used; j++)
            used = strcmp(req->metrics[j].name, raw->calc_names[i]) == 0;
        if (!used)
            return cn_err_set(err, CN_EINVAL,
                              "calc.%.64s is not in metrics: add it (metrics=...,%.64s) or leave "
                              "the formula out",
                              raw->calc_names[i], raw->calc_names[i]);
    }
    if (raw->gran != NULL && raw->gran[0] != '\0') {
        static const char *const names[] = {"none", "hour", "day", "week", "month"};
        int g = -1;
        for (int i = 0; i < 5; i++) {
            if (strcmp(raw->gran, names[i]) == 0)
                g = i;
        }
        if (g < 0)
            return cn_err_set(err, CN_EINVAL, "unknown granularity '%s' (hour, day, week, month)",
                              raw->gran);
        req->gran = (cn_gran_t)g;
        if (req->gran != CN_GRAN_NONE) {
            if (req->dim_count == CN_REPORT_MAX_DIMS)
                return cn_err_set(err, CN_EINVAL, "a trend takes at most one dimension");
            req->sort_metric = -1;
            if (req->gran == CN_GRAN_HOUR && req->to_day - req->from_day > 92)
                return cn_err_set(err, CN_ETOOBIG, "hourly trends cover at most 93 days");
        }
    }
    if (raw->sort != NULL && raw->sort[0] != '\0') {
        /* NAME, NAME:asc or NAME:desc; without a direction, keys go up and
         * metrics down */
        char *s = raw->sort;
        size_t n = strlen(s);
        int dir = 0; /* 1 asc, -1 desc, 0 not given */
        if (n > 4 && strcmp(s + n - 4, ":asc") == 0) {
            dir = 1;
            s[n - 4] = '\0';
        } else if (n > 5 && strcmp(s + n - 5, ":desc") == 0) {
            dir = -1;
            s[n - 5] = '\0';
        }
        if (strcmp(s, "key") == 0 || strcmp(s, "time") == 0) {
            req->sort_metric = -1;
            req->sort_asc = dir >= 0;
        } else {
            req->sort_asc = dir > 0;
            req->sort_metric = -2;
            for (size_t i = 0; i < req->metric_count; i++) {
                if (strcmp(req->metrics[i].name, s) == 0)
                    req->sort_metric = (int)i;
            }
            /* key:up, visits:descending: the direction was misspelled, not the metric */
            if (req->sort_metric == -2 && dir == 0 && strchr(s, ':') != NULL)
                return cn_err_set(err, CN_EINVAL,
                                  "sort '%s': the direction after ':' is asc or desc", s);
            if (req->sort_metric == -2)
                return cn_err_set(err, CN_EINVAL, "sort by '%s': not one of the metrics asked for",
                                  s);
        }
    } else if (req->gran != CN_GRAN_NONE) {
        req->sort_asc = true;
    }
    if (raw->limit != NULL) {
        int64_t v;
        if (cn_str_to_i64(cn_str_c(raw->limit), &v) != 0 || v < 0 || v > CN_REPORT_MAX_LIMIT)
            return cn_err_set(err, CN_EINVAL, "limit must be 0..%d (0: all)", CN_REPORT_MAX_LIMIT);
        req->limit = (size_t)v;
    }
    if (raw->offset != NULL) {
        int64_t v;
        if (cn_str_to_i64(cn_str_c(raw->offset), &v) != 0 || v < 0 || v > 100000000)
            return cn_err_set(err, CN_EINVAL, "offset must be a number >= 0");
        req->offset = (size_t)v;
    }
    if (raw->compare != NULL && raw->compare[0] != '\0' && strcmp(raw->compare, "none") != 0) {
        if (strcmp(raw->compare, "previous_period") == 0)
            req->compare = CN_COMPARE_PREVIOUS_PERIOD;
        else if (strcmp(raw->compare, "previous_year") == 0)
            req->compare = CN_COMPARE_PREVIOUS_YEAR;
        else if (strcmp(raw->compare, "previous_bucket") == 0 && req->gran != CN_GRAN_NONE)
            req->compare = CN_COMPARE_PREVIOUS_BUCKET;
        else if (strcmp(raw->compare, "previous_bucket") == 0)
            return cn_err_set(err, CN_EINVAL,
                              "compare=previous_bucket needs a trend: give a granularity (hour, "
                              "day, week or month), or compare with previous_period or "
                              "previous_year");
        else
            return cn_err_set(err, CN_EINVAL,
                              "unknown compare '%s' (previous_period, previous_year, or "
                              "previous_bucket with a granularity)",
                              raw->compare);
    }
    if ((rc = cn_query__flag("bots", raw->bots, &req->include_bots, err)) != 0 ||
        (rc = cn_query__flag("empty", raw->empty, &req->include_empty, err)) != 0)
        return rc;
    if (raw->segment != NULL && raw->segment[0] != '\0') {
        size_t pos;
        if ((rc = cn_segment_parse(cn_str_c(raw->segment), &req->segment, &pos, err)) != 0)
            return rc;
    } else if (raw->segment_json != NULL) {
        if ((rc = cn_segment_parse_json(cn_str_c(raw->segment_json), &req->segment, err)) != 0)
            return rc;
    }
    return 0;
}

/* --- JSON --- */

/* A list given as an array of strings or as one comma-separated string; NULL for any other
 * value, or an array with an item that is not a string. */
static char *jdup_list(json_t *v)
{
    if (json_is_string(v))
        return cn_xstrdup(json_string_value(v));
    if (!json_is_array(v))
        return NULL;
    cn_buf_t b = CN_BUF_INIT;
    size_t i;
    json_t *x;
    cn_buf_append_c(&b, "");
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x)) {
            cn_buf_dispose(&b);
            return NULL;
        }
        if (b.len)
            cn_buf_putc(&b, ',');
        cn_buf_append_c(&b, json_string_value(x));
    }
    return b.ptr;
}

/* A string, a whole number or a boolean as text; NULL for any other value. */
static char *jdup_scalar(json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        return cn_xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
        return cn_xstrdup(tmp);
    }
    if (json_is_boolean(v))
        return cn_xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

int cn_report_req_parse_json(cn_report_req_t *req, cn_str_t json, const cn_store_t *store,
                             int64_t now_us, cn_err_t *err)
{
    if (json.len > (1u << 20))
        return cn_err_set(err, CN_ETOOBIG, "request body larger than 1 MiB");
    json_error_t jerr;
    /* a key given twice would leave one of its values unread: an error, as in a query string */
    json_t *j = json_loadb(json.ptr ? json.ptr : "", json.len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL)
        return cn_err_set(err, CN_EPARSE, "bad JSON at line %d column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return cn_err_set(err, CN_EPARSE, "the request must be a JSON object");
    }
    raw_req_t raw = {0};
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(j, key, v)
    {
        /* null is a key left out */
        if (json_is_null(v))
            continue;
        char **slot = NULL;
        bool list = false;
        if (strcmp(key, "suite") == 0)
            slot = &raw.suite;
        else if (strcmp(key, "range") == 0)
            slot = &raw.range;
        else if (strcmp(key, "from") == 0)
            slot = &raw.from;
        else if (strcmp(key, "to") == 0)
            slot = &raw.to;
        else if (strcmp(key, "dimensions") == 0 || strcmp(key, "dimension") == 0) {
            slot = &raw.dims;
            list = true;
        } else if (strcmp(key, "metrics") == 0) {
            slot = &raw.metrics;
            list = true;
        } else if (strcmp(key, "segment") == 0) {
            if (json_is_object(v)) {
                raw.segment_json = json_dumps(v, JSON_COMPACT);
                continue;
            }
            slot = &raw.segment;
        } else if (strcmp(key, "granularity") == 0)
            slot = &raw.gran;
        else if (strcmp(key, "sort") == 0)
            slot = &raw.sort;
        else if (strcmp(key, "limit") == 0)
            slot = &raw.limit;
        else if (strcmp(key, "offset") == 0)
            slot = &raw.offset;
        else if (strcmp(key, "compare") == 0)
            slot = &raw.compare;
        else if (strcmp(key, "bots") == 0)
            slot = &raw.bots;
        else if (strcmp(key, "empty") == 0)
            slot = &raw.empty;
        else if (strcmp(key, "calculated") == 0) {
            if (!json_is_object(v)) {
                rc = cn_err_set(
                    err, CN_EINVAL,
                    "'calculated' must be an object of formulas: {\"NAME\": \"FORMULA\"}");
                break;
            }
            const char *ck;
            json_t *cv;
            json_object_foreach(v, ck, cv)
            {
                if (!json_is_string(cv)) {
                    rc = cn_err_set(err, CN_EINVAL,
                                    "calculated metric '%.64s': the formula must be a string", ck);
                    break;
                }
                if (raw.calc_count == CN_REPORT_MAX_METRICS) {
                    rc = cn_err_set(err, CN_EINVAL, "at most %d calculated metrics",
                                    CN_REPORT_MAX_METRICS);
                    break;
                }
                raw.calc_names[raw.calc_count] = cn_xstrdup(ck);
                raw.calc_formulas[raw.calc_count++] = cn_xstrdup(json_string_value(cv));
            }
            if (rc != 0)
                break;
            continue;
        } else {
            rc = cn_err_set(err, CN_EINVAL, "unknown request key '%s'", key);
            break;
        }
        if (*slot != NULL) {
            /* JSON keys are unique, so this is "dimension" and "dimensions" both, the two
             * spellings of one list: one of the lists would be left out */
            if (slot == &raw.dims)
                rc = cn_err_set(err, CN_EINVAL,
                                "both 'dimension' and 'dimensions' are given (they are one list: "
                                "give one of them)");
            else
                rc = cn_err_set(err, CN_EINVAL, "'%s' is given twice (give '%s' once)", key, key);
            break;
        }
        *slot = list ? jdup_list(v) : jdup_scalar(v);
        if (*slot == NULL) {
            rc = cn_err_set(err, CN_EINVAL,
                            list ? "'%s' must be a string or an array of strings"
                                 : "'%s' must be a string, a whole number or true/false",
                            key);
            break;
        }
    }
    if (rc == 0)
        rc = apply(req, &raw, store, now_us, err);
    raw_free(&raw);
    json_decref(j);
    return rc;
}

/* --- URL parameters --- */

int cn_report_req_parse_params(cn_report_req_t *req, cn_str_t query, const cn_store_t *store,
                               int64_t now_us, cn_err_t *err)
{
    if (query.len > 65536)
        return cn_err_set(err, CN_ETOOBIG, "query string longer than 64 KiB");
    raw_req_t raw = {0};
    cn_str_t rest = query, name, value;
    bool has_eq;
    int rc = 0;
    while (rc == 0 && cn_query_next(&rest, &name, &value, &has_eq)) {
        char *n = cn_xmalloc(name.len + 1), *v = cn_xmalloc(value.len + 1);
        size_t nl = cn_url_decode_to(name, n), vl = cn_url_decode_to(value, v);
        n[nl] = '\0';
        v[vl] = '\0';
        if (memchr(n, '\0', nl) != NULL || memchr(v, '\0', vl) != NULL) {
            /* as funnels and paths: %00 would cut the text where C strings end */
            rc = cn_err_set(err, CN_EINVAL,
                            "parameter '%.64s' holds a NUL byte (%%00): parameters are text", n);
            free(n);
            free(v);
            break;
        }
        char **slot = NULL;
        if (strcmp(n, "suite") == 0)
            slot = &raw.suite;
        else if (strcmp(n, "range") == 0)
            slot = &raw.range;
        else if (strcmp(n, "from") == 0)
            slot = &raw.from;
        else if (strcmp(n, "to") == 0)
            slot = &raw.to;
        else if (strcmp(n, "dimension") == 0 || strcmp(n, "dimensions") == 0)
            slot = &raw.dims;
        else if (strcmp(n, "metrics") == 0 || strcmp(n, "metric") == 0)
            slot = &raw.metrics;
        else if (strcmp(n, "segment") == 0)
            slot = &raw.segment;
        else if (strcmp(n, "granularity") == 0)
            slot = &raw.gran;
        else if (strcmp(n, "sort") == 0)
            slot = &raw.sort;
        else if (strcmp(n, "limit") == 0)
            slot = &raw.limit;
        else if (strcmp(n, "offset") == 0)
            slot = &raw.offset;
        else if (strcmp(n, "compare") == 0)
            slot = &raw.compare;
        else if (strcmp(n, "bots") == 0)
            slot = &raw.bots;
        else if (strcmp(n, "empty") == 0)
            slot = &raw.empty;
        else if (strncmp(n, "calc.", 5) == 0 && n[5] != '\0') {
            if (raw.calc_count == CN_REPORT_MAX_METRICS) {
                rc = cn_err_set(err, CN_EINVAL, "at most %d calculated metrics",
                                CN_REPORT_MAX_METRICS);
            } else {
                raw.calc_names[raw.calc_count] = cn_xstrdup(n + 5);
                raw.calc_formulas[raw.calc_count++] = v;
                v = NULL;
            }
        } else if (strcmp(n, "token") != 0) {
            /* anything else, format=csv too (the API answers JSON only): unknown, not ignored */
            rc = cn_err_set(err, CN_EINVAL, "unknown parameter '%.64s'", n);
        }
        if (slot != NULL) {
            if (*slot != NULL && (slot == &raw.dims || slot == &raw.metrics)) {
                /* repeated list parameters add up: metrics=a&metrics=b */
                size_t a = strlen(*slot), b = strlen(v);
                *slot = cn_xrealloc(*slot, a + b + 2);
                (*slot)[a] = ',';
                memcpy(*slot + a + 1, v, b + 1);
            } else if (*slot != NULL) {
                /* limit=1&limit=2: which one was meant? */
                rc = cn_err_set(err, CN_EINVAL, "'%.64s' is given twice (give it once)", n);
            } else {
                *slot = v;
                v = NULL;
            }
        }
        free(n);
        free(v);
    }
    if (rc == 0)
        rc = apply(req, &raw, store, now_us, err);
    raw_free(&raw);
    return rc;
}
