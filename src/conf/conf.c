/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The INI reader and the typed configuration; see conf.h and
 * canton.conf.example (which documents every key).
 *
 * Syntax: `# ...` and `; ...` comment lines, `[server]`, `[suite ID]` (or
 * `[suite "ID"]`) section headers, `key = value` lines. Values are trimmed;
 * a value may be wrapped in double quotes to keep leading or trailing
 * spaces. Keys are case-sensitive and unique within a section (a key set
 * twice is an error), except a suite's `tokens` (`token`): each line adds.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define MAX_CONF_BYTES (4u << 20)
#define MAX_SUITES     4096

/* --- Values --- */

int cn_conf_parse_duration(const char *s, int64_t *out_us)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return CN_EPARSE;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return CN_EPARSE;
    int64_t mult;
    if (strcmp(end, "us") == 0)
        mult = 1;
    else if (strcmp(end, "ms") == 0)
        mult = 1000;
    else if (strcmp(end, "s") == 0 || strcmp(end, "") == 0)
        mult = 1000000;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60 * 1000000LL;
    else if (strcmp(end, "h") == 0)
        mult = 3600 * 1000000LL;
    else if (strcmp(end, "d") == 0)
        mult = 86400 * 1000000LL;
    else
        return CN_EPARSE;
    if (v > (unsigned long long)(INT64_MAX / mult))
        return CN_EPARSE;
    *out_us = (int64_t)v * mult;
    return 0;
}

unsigned cn_conf_key_num(const char *key, const char *prefix, unsigned hi)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] == 0 || key[n] == '0')
        return 0;
    unsigned v = 0;
    for (const char *p = key + n; *p; p++) {
        if (*p < '0' || *p > '9' || v > 10000)
            return 0;
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v <= hi ? v : 0;
}

int cn_conf_attrs(const char *value, int (*cb)(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err),
                  void *ud, cn_err_t *err)
{
    cn_str_t rest = cn_str_c(value), part;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ';', &part);
        part = cn_str_trim(part);
        if (part.len == 0)
            continue;
        cn_str_t k, v = cn_str_split(part, '=', &k);
        if (v.ptr == NULL) {
            v = k;
            k = CN_STR_LIT("");
        }
        int rc = cb(ud, cn_str_trim(k), cn_str_trim(v), err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cn_conf_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return CN_EPARSE;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return CN_EPARSE;
    uint64_t mult;
    if (*end == '\0' || strcmp(end, "B") == 0)
        mult = 1;
    else if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)
        mult = 1024;
    else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
        mult = 1024 * 1024;
    else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
        mult = 1024ULL * 1024 * 1024;
    else
        return CN_EPARSE;
    if (v > UINT64_MAX / mult)
        return CN_EPARSE;
    *out = v * mult;
    return 0;
}

/* What parse_bool() takes, for the error of a key that wants it. */
#define BOOL_EXPECTED "expected on or off (or yes/no, true/false, 1/0)"

static int parse_bool(const char *s, bool *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 ||
        strcmp(s, "1") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0 ||
             strcmp(s, "0") == 0)
        *out = false;
    else
        return CN_EPARSE;
    return 0;
}

/* Parses "a.b.c.d", "v6", optionally with "/prefix", into a 16-byte form. */
static int parse_cidr(const char *s, cn_cidr_t *out)
{
    char addr[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof(addr))
        return CN_EPARSE;
    memcpy(addr, s, len);
    addr[len] = '\0';
    int max;
    memset(out, 0, sizeof(*out));
    struct in_addr a4;
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        out->addr[10] = out->addr[11] = 0xff;
        memcpy(out->addr + 12, &a4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        max = 128;
    } else {
        return CN_EPARSE;
    }
    long prefix = max;
    if (slash) {
        char *end;
        errno = 0;
        prefix = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || errno || prefix < 0 || prefix > max)
            return CN_EPARSE;
    }
    out->prefix = (uint8_t)(prefix + (max == 32 ? 96 : 0));
    return 0;
}

static int ip_to16(const char *ip, size_t len, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (len == 0 || len >= sizeof(buf))
        return CN_EPARSE;
    memcpy(buf, ip, len);
    buf[len] = '\0';
    struct in_addr a4;
    memset(out, 0, 16);
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : CN_EPARSE;
}

/* True when the textual IP lies in one of the n ranges. */
static bool ip_in_ranges(const cn_cidr_t *ranges, size_t n, const char *ip, size_t ip_len)
{
    uint8_t a[16];
    if (n == 0 || ip_to16(ip, ip_len, a) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        const cn_cidr_t *c = &ranges[i];
        unsigned bits = c->prefix, full = bits / 8, rest = bits % 8;
        if (memcmp(a, c->addr, full) != 0)
            continue;
        if (rest != 0) {
            uint8_t mask = (uint8_t)(0xff << (8 - rest));
            if ((a[full] & mask) != (c->addr[full] & mask))
                continue;
        }
        return true;
    }
    return false;
}

bool cn_conf_is_trusted_proxy(const cn_conf_t *conf, const char *ip, size_t ip_len)
{
    return ip_in_ranges(conf->trusted_proxies, conf->trusted_proxy_count, ip, ip_len);
}

bool cn_conf_is_excluded_ip(const cn_suite_conf_t *suite, const char *ip, size_t ip_len)
{
    return ip_in_ranges(suite->exclude_ips, suite->exclude_ip_count, ip, ip_len);
}

const char *cn_conf_listen_error(const char *value, bool allow_port0)
{
    const char *colon = strrchr(value, ':');
    if (colon == NULL || colon == value || colon[1] == '\0')
        return "expected ADDRESS:PORT, e.g. 127.0.0.1:8080";
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || errno != 0 || colon[1] < '0' || colon[1] > '9' ||
        port < (allow_port0 ? 0 : 1) || port > 65535)
        return allow_port0 ? "port must be 0..65535" : "port must be 1..65535";
    char host[INET6_ADDRSTRLEN + 2];
    size_t len = (size_t)(colon - value);
    if (len >= 2 && value[0] == '[' && value[len - 1] == ']') {
        value++;
        len -= 2;
    }
    uint8_t addr[16];
    if (len == 0 || len >= sizeof(host))
        return "the address must be a numeric IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1]";
    memcpy(host, value, len);
    host[len] = '\0';
    if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
        return "the address must be a numeric IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1]";
    return NULL;
}

/* Splits a comma-separated list into trimmed, non-empty, heap-allocated items. */
static char **split_list(const char *s, size_t *count)
{
    char **items = NULL;
    size_t n = 0;
    cn_str_t rest = cn_str_c(s), item;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &item);
        item = cn_str_trim(item);
        if (item.len == 0)
            continue;
        items = cn_xrealloc(items, (n + 1) * sizeof(*items));
        items[n++] = cn_xstrndup(item.ptr, item.len);
    }
    *count = n;
    return items;
}

static void free_list(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

/* --- Defaults --- */

static void server_defaults(cn_conf_t *c)
{
    c->listen = cn_xstrdup("127.0.0.1:8080");
    c->data_dir = cn_xstrdup("./data");
    c->log_level = cn_xstrdup("info");
    c->durability = CN_DURABILITY_FSYNC;
    c->group_commit_us = 1000;
    c->hitlog_segment_bytes = 256ULL << 20;
    c->max_connections = 10000;
    c->max_uri_bytes = 65536;
    c->max_header_bytes = 65536;
    c->max_body_bytes = 2ULL << 20;
    c->io_timeout_ms = 10000;
    c->compress = true;
}

static cn_suite_conf_t *add_suite(cn_conf_t *c, const char *id, size_t id_len)
{
    c->suites = cn_xrealloc(c->suites, (c->suite_count + 1) * sizeof(*c->suites));
    cn_suite_conf_t *s = &c->suites[c->suite_count++];
    memset(s, 0, sizeof(*s));
    s->id = cn_xstrndup(id, id_len);
    s->timezone = cn_xstrdup("UTC");
    s->currency = cn_xstrdup("USD");
    s->home_country = cn_xstrdup("");
    s->visit_timeout_us = 30 * 60 * 1000000LL;
    return s;
}

cn_conf_t *cn_conf_default(void)
{
    /* The local demo trusts loopback proxies, so that `canton gen --url` (which
     * sends each visitor's IP in X-Forwarded-For) gives realistic geography. */
    static const char demo[] = "[server]\n"
                               "trusted_proxies = 127.0.0.1, ::1\n"
                               "[suite demo]\n"
                               "name = Demo shop\n"
                               "timezone = Asia/Shanghai\n"
                               "currency = CNY\n"
                               "home_country = CN\n"
                               "domains = shop.canton.test\n"
                               "event1 = name=Newsletter signups\n"
                               "event10 = name=Shipping; type=currency\n";
    cn_conf_t *c;
    cn_err_t err;
    if (cn_conf_parse("(defaults)", demo, sizeof(demo) - 1, &c, &err) != 0)
        cn_panic("built-in configuration is invalid: %s", err.msg);
    return c;
}

void cn_conf_free(cn_conf_t *c)
{
    if (c == NULL)
        return;
    free(c->path);
    free(c->listen);
    free(c->data_dir);
    free(c->log_level);
    free(c->trusted_proxies);
    for (size_t i = 0; i < c->suite_count; i++) {
        cn_suite_conf_t *s = &c->suites[i];
        free(s->id);
        free(s->name);
        free(s->timezone);
        free(s->currency);
        free(s->home_country);
        free_list(s->domains, s->domain_count);
        free_list(s->tokens, s->token_count);
        free(s->exclude_ips);
        for (size_t k = 0; k < s->kv_count; k++) {
            free(s->kv[k].key);
            free(s->kv[k].value);
        }
        free(s->kv);
    }
    free(c->suites);
    free(c);
}

const cn_suite_conf_t *cn_conf_suite(const cn_conf_t *conf, const char *id, size_t id_len)
{
    for (size_t i = 0; i < conf->suite_count; i++) {
        if (strlen(conf->suites[i].id) == id_len && memcmp(conf->suites[i].id, id, id_len) == 0)
            return &conf->suites[i];
    }
    return NULL;
}

const char *cn_conf_suite_get(const cn_suite_conf_t *suite, const char *key)
{
    for (size_t i = suite->kv_count; i > 0; i--) {
        if (strcmp(suite->kv[i - 1].key, key) == 0)
            return suite->kv[i - 1].value;
    }
    return NULL;
}

/* --- Keys --- */

typedef struct parse_ctx {
    const char *name;
    int line;
    const char *section;
    cn_err_t *err;
} parse_ctx_t;

static int bad_value(parse_ctx_t *ctx, const char *key, const char *why)
{
    return cn_err_set(ctx->err, CN_ECONFIG, "%s:%d: [%s] %s: %s", ctx->name, ctx->line,
                      ctx->section, key, why);
}

/* Parses a comma-separated list of IPs and CIDR ranges into *out (replacing it). */
static int cidr_list(parse_ctx_t *ctx, const char *key, const char *value, cn_cidr_t **out,
                     size_t *out_count)
{
    size_t n;
    char **items = split_list(value, &n);
    cn_cidr_t *cidrs = cn_xcalloc(n ? n : 1, sizeof(*cidrs));
    for (size_t i = 0; i < n; i++) {
        if (parse_cidr(items[i], &cidrs[i]) != 0) {
            int rc = cn_err_set(ctx->err, CN_ECONFIG,
                                "%s:%d: [%s] %s: '%s' is not an IP address or CIDR range",
                                ctx->name, ctx->line, ctx->section, key, items[i]);
            free(cidrs);
            free_list(items, n);
            return rc;
        }
    }
    free_list(items, n);
    free(*out);
    *out = cidrs;
    *out_count = n;
    return 0;
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = cn_xstrdup(value);
}

static int server_key(cn_conf_t *c, parse_ctx_t *ctx, const char *key, const char *value)
{
    int64_t us;
    uint64_t size;
    if (strcmp(key, "listen") == 0) {
        const char *why = cn_conf_listen_error(value, false);
        if (why != NULL)
            return bad_value(ctx, key, why);
        set_str(&c->listen, value);
    } else if (strcmp(key, "data") == 0) {
        if (value[0] == '\0')
            return bad_value(ctx, key, "must not be empty");
        set_str(&c->data_dir, value);
    } else if (strcmp(key, "log_level") == 0) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") &&
            strcmp(value, "error"))
            return bad_value(ctx, key, "expected debug, info, warn or error");
        set_str(&c->log_level, value);
    } else if (strcmp(key, "durability") == 0) {
        if (strcmp(value, "fsync") == 0)
            c->durability = CN_DURABILITY_FSYNC;
        else if (strcmp(value, "buffered") == 0)
            c->durability = CN_DURABILITY_BUFFERED;
        else
            return bad_value(ctx, key, "expected fsync or buffered");
    } else if (strcmp(key, "group_commit") == 0) {
        if (cn_conf_parse_duration(value, &us) != 0 || us > 1000000)
            return bad_value(ctx, key, "expected a duration up to 1s, e.g. 1ms");
        c->group_commit_us = (uint32_t)us;
    } else if (strcmp(key, "hitlog_segment_size") == 0) {
        if (cn_conf_parse_size(value, &size) != 0 || size < 65536)
            return bad_value(ctx, key, "expected a size of at least 64k, e.g. 256M");
        c->hitlog_segment_bytes = size;
    } else if (strcmp(key, "max_connections") == 0) {
        if (cn_conf_parse_size(value, &size) != 0 || size < 1 || size > 1000000)
            return bad_value(ctx, key, "expected a number from 1 to 1000000");
        c->max_connections = (uint32_t)size;
    } else if (strcmp(key, "max_uri_size") == 0 || strcmp(key, "max_header_size") == 0) {
        if (cn_conf_parse_size(value, &size) != 0 || size < 1024 || size > (64u << 20))
            return bad_value(ctx, key, "expected a size from 1k to 64M");
        if (key[4] == 'u')
            c->max_uri_bytes = (uint32_t)size;
        else
            c->max_header_bytes = (uint32_t)size;
    } else if (strcmp(key, "max_body_size") == 0) {
        if (cn_conf_parse_size(value, &size) != 0 || size < 1024 || size > (1ULL << 30))
            return bad_value(ctx, key, "expected a size from 1k to 1G");
        c->max_body_bytes = size;
    } else if (strcmp(key, "io_timeout") == 0) {
        if (cn_conf_parse_duration(value, &us) != 0 || us < 1000 || us > 3600 * 1000000LL)
            return bad_value(ctx, key, "expected a duration from 1ms to 1h, e.g. 10s");
        c->io_timeout_ms = (uint32_t)(us / 1000);
    } else if (strcmp(key, "compress") == 0) {
        if (parse_bool(value, &c->compress) != 0)
            return bad_value(ctx, key, BOOL_EXPECTED);
    } else if (strcmp(key, "trusted_proxies") == 0) {
        int rc = cidr_list(ctx, key, value, &c->trusted_proxies, &c->trusted_proxy_count);
        if (rc != 0)
            return rc;
    } else {
        return cn_err_set(ctx->err, CN_ECONFIG, "%s:%d: [server] %s: unknown key", ctx->name,
                          ctx->line, key);
    }
    return 0;
}

/* Suite keys that other modules interpret (read with cn_conf_suite_get). A
 * key is accepted here when it equals one of these; its value is checked by
 * the module that reads it, through its cn_<module>_check_suite_conf(), which
 * the command line runs on every file it loads (cn_pipeline_check_conf in
 * src/cli/pipeline.c). Add a module's keys here, its rules to its check
 * function, and document them in canton.conf.example. */
static const char *const module_suite_keys[] = {
    "channel_rules",       "campaign_params", "referer_list",
    "salt_retention",      "retention_days",  "unconverted_currency",
    "store_flush_seconds", "query_cache_mb",  "import_static_extensions",
};

/* Numbered suite keys that processing reads (src/process/process.c): eVar,
 * prop, event and list variable definitions, numbered as Adobe numbers them
 * (1..max, no leading zero). Their attributes are checked as above
 * (cn_process_check_suite_conf). */
static const struct {
    const char *prefix;
    unsigned max;
    const char *hint; /* for an unknown key with the prefix */
} numbered_suite_keys[] = {
    {"evar", 250, " (eVars are evar1..evar250)"},
    {"prop", 75, " (props are prop1..prop75)"},
    {"event", 1000, " (events are event1..event1000)"},
    {"list", 3, " (list variables are list1..list3)"},
};

/* The number N of PREFIXN, or 0. */
static unsigned key_number(const char *key, const char *prefix, unsigned max)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] < '1' || key[n] > '9')
        return 0;
    unsigned v = 0;
    for (const char *p = key + n; *p; p++) {
        if (*p < '0' || *p > '9' || v > max)
            return 0;
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v <= max ? v : 0;
}

static bool is_module_suite_key(const char *key)
{
    for (size_t i = 0; i < sizeof(module_suite_keys) / sizeof(module_suite_keys[0]); i++) {
        if (strcmp(key, module_suite_keys[i]) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof(numbered_suite_keys) / sizeof(numbered_suite_keys[0]); i++) {
        if (key_number(key, numbered_suite_keys[i].prefix, numbered_suite_keys[i].max) != 0)
            return true;
    }
    return false;
}

/* What to add to "unknown key" for a key that looks like a numbered one. */
static const char *unknown_key_hint(const char *key)
{
    if (strncmp(key, "hier", 4) == 0)
        return " (hierarchies are kept whole and take no settings, see docs/configuration.md)";
    for (size_t i = 0; i < sizeof(numbered_suite_keys) / sizeof(numbered_suite_keys[0]); i++) {
        const char *prefix = numbered_suite_keys[i].prefix;
        if (strncmp(key, prefix, strlen(prefix)) == 0)
            return numbered_suite_keys[i].hint;
    }
    return "";
}

static bool is_valid_id(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

static bool is_upper_code(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    }
    return true;
}

static bool timezone_exists(const char *tz)
{
    struct stat st;
    char path[512];
    if (strcmp(tz, "UTC") == 0)
        return true;
    if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL)
        return false;
    if (stat("/usr/share/zoneinfo", &st) != 0)
        return true; /* no tz database to check against; the store will say */
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int suite_key(cn_suite_conf_t *s, parse_ctx_t *ctx, const char *key, const char *value)
{
    int64_t us;
    if (strcmp(key, "name") == 0) {
        set_str(&s->name, value);
    } else if (strcmp(key, "timezone") == 0) {
        if (!timezone_exists(value))
            return bad_value(ctx, key,
                             "unknown time zone (expected an IANA name such as "
                             "Asia/Shanghai or UTC)");
        set_str(&s->timezone, value);
    } else if (strcmp(key, "currency") == 0) {
        if (!is_upper_code(value, 3))
            return bad_value(ctx, key, "expected an ISO 4217 code such as CNY");
        set_str(&s->currency, value);
    } else if (strcmp(key, "home_country") == 0) {
        if (value[0] != '\0' && !is_upper_code(value, 2))
            return bad_value(ctx, key, "expected an ISO 3166-1 alpha-2 code such as CN");
        set_str(&s->home_country, value);
    } else if (strcmp(key, "domains") == 0) {
        free_list(s->domains, s->domain_count);
        s->domains = split_list(value, &s->domain_count);
    } else if (strcmp(key, "visit_timeout") == 0) {
        if (cn_conf_parse_duration(value, &us) != 0 || us < 60 * 1000000LL ||
            us > 24 * 3600 * 1000000LL)
            return bad_value(ctx, key, "expected a duration from 1m to 24h, e.g. 30m");
        s->visit_timeout_us = us;
    } else if (strcmp(key, "keep_ip") == 0) {
        if (parse_bool(value, &s->keep_ip) != 0)
            return bad_value(ctx, key, BOOL_EXPECTED);
    } else if (strcmp(key, "exclude_ips") == 0) {
        int rc = cidr_list(ctx, key, value, &s->exclude_ips, &s->exclude_ip_count);
        if (rc != 0)
            return rc;
    } else if (strcmp(key, "new_visit_on_campaign") == 0) {
        if (parse_bool(value, &s->new_visit_on_campaign) != 0)
            return bad_value(ctx, key, BOOL_EXPECTED);
    } else if (strcmp(key, "new_visit_on_referrer") == 0) {
        if (parse_bool(value, &s->new_visit_on_referrer) != 0)
            return bad_value(ctx, key, BOOL_EXPECTED);
    } else if (strcmp(key, "tokens") == 0 || strcmp(key, "token") == 0) {
        size_t n;
        char **items = split_list(value, &n);
        for (size_t i = 0; i < n; i++) {
            if (strlen(items[i]) < 16) {
                free_list(items, n);
                return bad_value(ctx, key, "a token must be at least 16 characters");
            }
        }
        s->tokens = cn_xrealloc(s->tokens, (s->token_count + n + 1) * sizeof(char *));
        if (n > 0) /* "tokens =" adds none; items is NULL then */
            memcpy(s->tokens + s->token_count, items, n * sizeof(char *));
        s->token_count += n;
        free(items);
    } else if (!is_module_suite_key(key)) {
        return cn_err_set(ctx->err, CN_ECONFIG, "%s:%d: [%s] %s: unknown key%s", ctx->name,
                          ctx->line, ctx->section, key, unknown_key_hint(key));
    }
    s->kv = cn_xrealloc(s->kv, (s->kv_count + 1) * sizeof(*s->kv));
    s->kv[s->kv_count++] = (cn_conf_kv_t){cn_xstrdup(key), cn_xstrdup(value), ctx->line};
    return 0;
}

/* --- The reader --- */

/* A key of the section being read and its line, for the check that no key is set twice. */
typedef struct seen_key {
    cn_str_t key; /* into the configuration's text */
    int line;
} seen_key_t;

static int seen_cmp(const void *a, const void *b)
{
    const seen_key_t *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);
    if (c == 0)
        c = (x->key.len > y->key.len) - (x->key.len < y->key.len);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/*
 * A section's keys, each once: a key set twice is an error at the first line that sets one
 * again (a later value silently winning would hide the earlier one). Sorted, so that a long
 * section costs n log n. Empties the list.
 */
static int keys_unique(const char *name, const char *section, seen_key_t *keys, size_t *n,
                       cn_err_t *err)
{
    if (*n < 2) {
        *n = 0;
        return 0;
    }
    qsort(keys, *n, sizeof(*keys), seen_cmp);
    /* in a run of one key (by line), the first is its first setting, the second its first
     * setting again; of all runs, the one set again first in the file is reported */
    const seen_key_t *again = NULL, *first = NULL;
    for (size_t i = 1; i < *n; i++) {
        if (!cn_str_eq(keys[i - 1].key, keys[i].key) ||
            (i >= 2 && cn_str_eq(keys[i - 2].key, keys[i].key)))
            continue;
        if (again == NULL || keys[i].line < again->line) {
            again = &keys[i];
            first = &keys[i - 1];
        }
    }
    *n = 0;
    if (again == NULL)
        return 0;
    return cn_err_set(err, CN_ECONFIG, "%s:%d: [%s] %.*s is set twice (first at line %d)", name,
                      again->line, section, CN_STR_FMT(again->key), first->line);
}

int cn_conf_parse(const char *name, const char *text, size_t len, cn_conf_t **out, cn_err_t *err)
{
    cn_conf_t *c = cn_xcalloc(1, sizeof(*c));
    server_defaults(c);
    parse_ctx_t ctx = {.name = name, .line = 0, .section = "", .err = err};
    enum { NONE, SERVER, SUITE } where = NONE;
    int server_line = 0; /* the [server] header's line: one per file */
    cn_suite_conf_t *suite = NULL;
    char section[128] = "";
    char *key = NULL, *value = NULL;
    seen_key_t *keys = NULL;
    size_t nkeys = 0, keys_cap = 0;
    int rc = 0;

    if (len > MAX_CONF_BYTES) {
        rc = cn_err_set(err, CN_ECONFIG, "%s: larger than %u bytes", name, MAX_CONF_BYTES);
        goto fail;
    }
    if (memchr(text, '\0', len) != NULL) {
        rc = cn_err_set(err, CN_ECONFIG, "%s: contains a NUL byte; not a text file", name);
        goto fail;
    }
    cn_str_t rest = cn_str(text, len), line;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        ctx.line++;
        line = cn_str_trim(line);
        if (line.len == 0 || line.ptr[0] == '#' || line.ptr[0] == ';')
            continue;
        if (line.ptr[0] == '[') {
            if ((rc = keys_unique(name, section, keys, &nkeys, err)) != 0)
                goto fail;
            if (line.ptr[line.len - 1] != ']') {
                rc = cn_err_set(err, CN_ECONFIG, "%s:%d: section header without ']'", name,
                                ctx.line);
                goto fail;
            }
            cn_str_t inner = cn_str_trim(cn_str(line.ptr + 1, line.len - 2)), kind;
            cn_str_t arg = cn_str_trim(cn_str_split(inner, ' ', &kind));
            if (arg.len >= 2 && arg.ptr[0] == '"' && arg.ptr[arg.len - 1] == '"')
                arg = cn_str(arg.ptr + 1, arg.len - 2);
            if (cn_str_eq_c(kind, "server") && arg.len == 0) {
                /* a second [server] would let its keys win over the first's in silence */
                if (server_line != 0) {
                    rc = cn_err_set(err, CN_ECONFIG,
                                    "%s:%d: [server] is defined twice (first at line %d)", name,
                                    ctx.line, server_line);
                    goto fail;
                }
                server_line = ctx.line;
                where = SERVER;
            } else if (cn_str_eq_c(kind, "suite")) {
                if (!is_valid_id(arg.ptr, arg.len)) {
                    rc = cn_err_set(err, CN_ECONFIG,
                                    "%s:%d: [suite ID]: the id must be 1-64 letters, digits, "
                                    "'_', '-' or '.'",
                                    name, ctx.line);
                    goto fail;
                }
                if (cn_conf_suite(c, arg.ptr, arg.len) != NULL) {
                    rc = cn_err_set(err, CN_ECONFIG, "%s:%d: suite '%.*s' is defined twice", name,
                                    ctx.line, CN_STR_FMT(arg));
                    goto fail;
                }
                if (c->suite_count >= MAX_SUITES) {
                    rc = cn_err_set(err, CN_ECONFIG, "%s:%d: more than %d suites", name, ctx.line,
                                    MAX_SUITES);
                    goto fail;
                }
                suite = add_suite(c, arg.ptr, arg.len);
                where = SUITE;
            } else {
                rc = cn_err_set(err, CN_ECONFIG,
                                "%s:%d: unknown section [%.*s] (expected [server] or [suite ID])",
                                name, ctx.line, (int)(inner.len > 60 ? 60 : inner.len), inner.ptr);
                goto fail;
            }
            snprintf(section, sizeof(section), "%.*s", (int)(inner.len > 100 ? 100 : inner.len),
                     inner.ptr);
            ctx.section = section;
            continue;
        }
        cn_str_t k, v;
        v = cn_str_split(line, '=', &k);
        if (v.ptr == NULL) {
            rc = cn_err_set(err, CN_ECONFIG, "%s:%d: expected 'key = value'", name, ctx.line);
            goto fail;
        }
        k = cn_str_trim(k);
        v = cn_str_trim(v);
        if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
            v = cn_str(v.ptr + 1, v.len - 2);
        if (k.len == 0) {
            rc = cn_err_set(err, CN_ECONFIG, "%s:%d: missing key before '='", name, ctx.line);
            goto fail;
        }
        key = cn_xstrndup(k.ptr, k.len);
        value = cn_xstrndup(v.ptr, v.len);
        if (nkeys == keys_cap) {
            keys_cap = keys_cap ? 2 * keys_cap : 64;
            keys = cn_xrealloc(keys, keys_cap * sizeof(*keys));
        }
        /* a suite's token lines add up (suite_key): the one key that may come again */
        if (!cn_str_eq_c(k, "tokens") && !cn_str_eq_c(k, "token"))
            keys[nkeys++] = (seen_key_t){k, ctx.line};
        if (where == NONE) {
            rc = cn_err_set(err, CN_ECONFIG, "%s:%d: %s: key outside a section", name, ctx.line,
                            key);
            goto fail;
        }
        rc = where == SERVER ? server_key(c, &ctx, key, value) : suite_key(suite, &ctx, key, value);
        if (rc != 0)
            goto fail;
        free(key);
        free(value);
        key = value = NULL;
    }
    if ((rc = keys_unique(name, section, keys, &nkeys, err)) != 0)
        goto fail;
    free(keys);
    for (size_t i = 0; i < c->suite_count; i++) {
        if (c->suites[i].name == NULL)
            c->suites[i].name = cn_xstrdup(c->suites[i].id);
    }
    *out = c;
    return 0;

fail:
    free(key);
    free(value);
    free(keys);
    cn_conf_free(c);
    return rc;
}

int cn_conf_load(const char *path, cn_conf_t **out, cn_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    cn_buf_t b = CN_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        cn_buf_append(&b, chunk, n);
        if (b.len > MAX_CONF_BYTES)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        cn_buf_dispose(&b);
        return cn_err_set(err, -EIO, "%s: read error", path);
    }
    int rc = cn_conf_parse(path, b.ptr ? b.ptr : "", b.len, out, err);
    cn_buf_dispose(&b);
    if (rc == 0)
        (*out)->path = cn_xstrdup(path);
    return rc;
}
