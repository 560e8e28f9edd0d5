/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: an INI file (canton.conf.example documents every key)
 * parsed into an immutable snapshot that is passed to every module at init.
 * There are no globals: a module reads what it needs from cn_conf_t.
 *
 *   [server]            listen, data, durability, limits, trusted proxies
 *   [suite <id>]        one report suite per section: time zone, currency...
 *
 * Errors name the file, line and key: "canton.conf:12: [server] listen: ...".
 * Suite sections may also hold keys other modules define (eVar settings,
 * channel rules); they are kept as raw (key, value, line) entries that
 * modules read through cn_conf_suite_get() and check with their own
 * cn_<module>_check_suite_conf(): the command line runs those on every file it
 * loads (cn_pipeline_check_conf), so that a bad value is refused at once.
 */
#ifndef CN_CONF_CONF_H
#define CN_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/str.h"

typedef enum cn_durability {
    CN_DURABILITY_FSYNC = 0, /* answer after the record is on disk (default) */
    CN_DURABILITY_BUFFERED,  /* answer at once; the writer syncs in the background */
} cn_durability_t;

/* A CIDR range of trusted proxies, for X-Forwarded-For. */
typedef struct cn_cidr {
    uint8_t addr[16]; /* IPv4 mapped into IPv6 (::ffff:a.b.c.d) */
    uint8_t prefix;   /* bits, 0..128, counted on the 16-byte form */
} cn_cidr_t;

/* A raw key = value of a section, for keys that modules interpret. */
typedef struct cn_conf_kv {
    char *key;
    char *value;
    int line;
} cn_conf_kv_t;

typedef struct cn_suite_conf {
    char *id;           /* report suite id, [a-zA-Z0-9_.-]{1,64} */
    char *name;         /* display name; default: id */
    char *timezone;     /* IANA zone, default "UTC" */
    char *currency;     /* base currency (ISO 4217), default "USD" */
    char *home_country; /* ISO 3166-1 alpha-2, default "" (no cross-border) */
    char **domains;     /* the site's own domains (internal referrers) */
    size_t domain_count;
    int64_t visit_timeout_us; /* default 30 minutes */
    bool keep_ip;             /* keep full IPs; default false: anonymized after geo */
    cn_cidr_t *exclude_ips;   /* hits from these ranges become bad rows (excluded_ip) */
    size_t exclude_ip_count;
    bool new_visit_on_campaign; /* a hit with another campaign than its visit's starts a visit */
    bool new_visit_on_referrer; /* a page view from another external site starts a visit */
    char **tokens;              /* bearer tokens for the reporting API */
    size_t token_count;
    cn_conf_kv_t *kv; /* every key of the section, in file order */
    size_t kv_count;
} cn_suite_conf_t;

typedef struct cn_conf {
    char *path;      /* the file read, or NULL for the defaults */
    char *listen;    /* "127.0.0.1:8080" */
    char *data_dir;  /* "./data" */
    char *log_level; /* "info" */
    cn_durability_t durability;
    uint32_t group_commit_us;      /* group-commit window, default 1000 */
    uint64_t hitlog_segment_bytes; /* roll a hitlog segment past this size, default 256 MiB */
    uint32_t max_connections;      /* default 10000 */
    uint32_t max_uri_bytes;        /* request line limit → 414, default 65536 */
    uint32_t max_header_bytes;     /* request head limit → 431, default 65536 */
    uint64_t max_body_bytes;       /* request body limit → 413, default 2 MiB */
    uint32_t io_timeout_ms;        /* slow-client timeout, default 10000 */
    bool compress;                 /* gzip HTTP answers clients accept it for, default on */
    cn_cidr_t *trusted_proxies;
    size_t trusted_proxy_count;
    cn_suite_conf_t *suites;
    size_t suite_count;
} cn_conf_t;

/*
 * Reads the INI file at path into a new config. Returns 0 and *out (free
 * with cn_conf_free), or CN_ECONFIG / a negated errno with err naming the
 * file, line and key.
 */
int cn_conf_load(const char *path, cn_conf_t **out, cn_err_t *err);

/* Parses INI text (name is used in error messages). Same contract as cn_conf_load. */
int cn_conf_parse(const char *name, const char *text, size_t len, cn_conf_t **out, cn_err_t *err);

/* A config with every default and one suite, "demo". Free with cn_conf_free. */
cn_conf_t *cn_conf_default(void);

void cn_conf_free(cn_conf_t *conf);

/* Returns the suite with this id, or NULL. */
const cn_suite_conf_t *cn_conf_suite(const cn_conf_t *conf, const char *id, size_t id_len);

/* Returns the value of key in the suite's section, or NULL. */
const char *cn_conf_suite_get(const cn_suite_conf_t *suite, const char *key);

/* True when the textual IP (v4 or v6) lies in one of the trusted proxy ranges. */
bool cn_conf_is_trusted_proxy(const cn_conf_t *conf, const char *ip, size_t ip_len);

/* True when the textual IP (v4 or v6) lies in one of the suite's exclude_ips ranges. */
bool cn_conf_is_excluded_ip(const cn_suite_conf_t *suite, const char *ip, size_t ip_len);

/* Checks a listen address as the HTTP server binds it: ADDRESS:PORT with a numeric IPv4 or
 * IPv6 address (brackets optional: "[::1]:8080"), port 1..65535, or 0 too when allow_port0
 * (`canton serve --listen`: the kernel picks a free port). NULL when it is good, else what is
 * wrong (a static string). */
const char *cn_conf_listen_error(const char *value, bool allow_port0);

/* Parses "30m", "10s", "500ms", "2h", "1d" into µs. 0 or CN_EPARSE. */
int cn_conf_parse_duration(const char *s, int64_t *out_us);
/* Parses "64k", "2M", "1G", "512" (bytes, powers of 1024). 0 or CN_EPARSE. */
int cn_conf_parse_size(const char *s, uint64_t *out);

/*
 * Walks the attributes of a suite key's value ("name=Shipping; type=currency", the
 * evarN/listN/propN/eventN keys of docs/processing.md): parts split at ';', each "k=v" with
 * spaces trimmed; a bare word ("currency", "most_recent") comes with k empty. Calls
 * cb(ud, k, v, err) for each in order and stops at the first nonzero return, which it returns.
 */
int cn_conf_attrs(const char *value, int (*cb)(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err),
                  void *ud, cn_err_t *err);

/* N of a numbered suite key such as "evar12" or "event10" (prefix "evar", "event"...): 1..hi,
 * written without a leading zero; 0 when key is not prefix followed by such a number. */
unsigned cn_conf_key_num(const char *key, const char *prefix, unsigned hi);

#endif
