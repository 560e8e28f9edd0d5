/* SPDX-License-Identifier: Apache-2.0 */
/* `canton version`: the version and the library versions built in. */
#include <jansson.h>
#include <stdio.h>
#include <zstd.h>

#include "cli/cli.h"

int cn_cmd_version(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        printf("Usage: canton version\n\nPrints canton's version and the versions of the "
               "libraries it was built with.\n");
        return CN_EXIT_OK;
    }
    printf("canton %s\n", CN_VERSION);
    printf("jansson %s, zstd %s\n", JANSSON_VERSION, ZSTD_versionString());
    return CN_EXIT_OK;
}
