/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton version`: the version, then each library canton is linked with:
 * the version its headers said at build time and, where the library can
 * tell, the version of the copy loaded now (a shared library may have been
 * upgraded since the build).
 */
#include <curl/curl.h>
#include <gnu/libc-version.h>
#include <h2o/version.h>
#include <isa-l.h>
#include <jansson.h>
#include <maxminddb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include <yaml.h>
#include <zlib.h>
#include <zstd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cli/cli.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

/* libmaxminddb's and libyaml's headers carry no version on Linux: src/cli/meson.build
 * passes the ones pkg-config found at configure time. */
#ifndef CN_BUILT_MAXMINDDB
#define CN_BUILT_MAXMINDDB "unknown"
#endif
#ifndef CN_BUILT_YAML
#define CN_BUILT_YAML "unknown"
#endif

/* One line: name, the build's version, and the loaded one (NULL: the library cannot say). */
static void lib_line(const char *name, const char *built, const char *runs)
{
    printf("  %-13s %-10s", name, built);
    if (runs)
        printf(" runs %s%s\n", runs, strcmp(built, runs) == 0 ? "" : " (differs from the build)");
    else
        printf(" (cannot report the version it runs with)\n");
}

static const char *xxh_version(unsigned n, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u", n / 10000, n / 100 % 100, n % 100);
    return buf;
}

int cn_cmd_version(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        printf("Usage: canton version\n\nPrints canton's version, then each library canton was "
               "built with:\nthe version it was built against and, where the library can tell, "
               "the version\nit runs with now.\n");
        return CN_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "canton version: unexpected argument '%s' (it takes none)\n", argv[1]);
        return CN_EXIT_USAGE;
    }
    printf("canton %s\n", CN_VERSION);
    printf("libraries (built against, runs with):\n");
    lib_line("jansson", JANSSON_VERSION, jansson_version_str());
    lib_line("zstd", ZSTD_VERSION_STRING, ZSTD_versionString());
    lib_line("h2o", H2O_VERSION, NULL);
    lib_line("libmaxminddb", CN_BUILT_MAXMINDDB, MMDB_lib_version());
    /* "10.42 2022-12-11": the version without the date */
    char pcre[64] = "";
    if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) > 0)
        pcre[strcspn(pcre, " ")] = '\0';
    lib_line("pcre2", STR(PCRE2_MAJOR) "." STR(PCRE2_MINOR), pcre[0] ? pcre : NULL);
    lib_line("libyaml", CN_BUILT_YAML, yaml_get_version_string());
    lib_line("isa-l",
             STR(ISAL_MAJOR_VERSION) "." STR(ISAL_MINOR_VERSION) "." STR(ISAL_PATCH_VERSION), NULL);
    lib_line("libsodium", SODIUM_VERSION_STRING, sodium_version_string());
    char xb[32], xr[32];
    lib_line("xxhash", xxh_version(XXH_VERSION_NUMBER, xb, sizeof(xb)),
             xxh_version(XXH_versionNumber(), xr, sizeof(xr)));
    lib_line("zlib", ZLIB_VERSION, zlibVersion());
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    lib_line("libcurl", LIBCURL_VERSION, cv ? cv->version : NULL);
    lib_line("glibc", STR(__GLIBC__) "." STR(__GLIBC_MINOR__), gnu_get_libc_version());
    return CN_EXIT_OK;
}
