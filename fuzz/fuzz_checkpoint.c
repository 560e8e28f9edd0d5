/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: processing's checkpoint file (<data>/process/checkpoint, bytes
 * from disk), read by cn_process_new. An input that starts with the file's
 * magic is written as it is (a torn or damaged file: the CRC check); any
 * other input is the body of a checkpoint, written between the magic and a
 * correct CRC, so that the decoder behind the CRC is fuzzed too. Whatever
 * the bytes, cn_process_new ends in 0, CN_ECORRUPT or CN_EVERSION with a
 * message naming the file, never a crash or a read past the end. A
 * checkpoint that loads is written back (cn_process_checkpoint) and that
 * file must load again: state a load accepts is state processing can keep.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/crc32c.h"
#include "process/internal.h"
#include "process/process.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAGIC "CNPROCK1"

/* Two suites (a checkpoint may also hold one no longer configured): eVars,
 * merchandising eVars and list variables with a lowered max, all of which a
 * checkpoint carries. */
static const char CONF[] = "[suite shop]\n"
                           "currency = USD\n"
                           "evar1 = name=Campaign; allocation=original; expiry=30d\n"
                           "evar6 = name=Size; expiry=2d\n"
                           "list1 = name=Interests; delimiter=|; expiry=visit\n"
                           "list2 = name=Filters; expiry=2d; max=3\n"
                           "[suite other]\n"
                           "currency = USD\n"
                           "list1 = expiry=never; max=2\n";

static cn_conf_t *conf;
static const char *dir;
static char path[128];

static void free_conf(void)
{
    cn_conf_free(conf);
}

/* Rows of the state a checkpoint loads are not the subject here: they are dropped. */
static int null_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud, (void)suite;
    *out = cn__null_sink;
    return 0;
}

static void setup(void)
{
    cn_err_t err;
    dir = fuzz_tmpdir("ckpt", "process");
    if (cn_conf_parse("f", CONF, sizeof(CONF) - 1, &conf, &err) != 0)
        abort();
    snprintf(path, sizeof(path), "%s/process/checkpoint", dir);
    atexit(free_conf);
}

static void write_file(const uint8_t *data, size_t size, bool wrap)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    uint32_t crc = 0;
    if (wrap) {
        fwrite(MAGIC, 1, 8, f);
        crc = cn_crc32c(0, MAGIC, 8);
        crc = cn_crc32c(crc, data, size);
    }
    if (size > 0 && fwrite(data, 1, size, f) != size)
        abort();
    if (wrap) {
        uint8_t le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                         (uint8_t)(crc >> 24)};
        fwrite(le, 1, 4, f);
    }
    if (fclose(f) != 0)
        abort();
}

static const cn_sink_factory_t factory = {NULL, null_open, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (conf == NULL)
        setup();
    write_file(data, size, size < 8 || memcmp(data, MAGIC, 8) != 0);
    /* dry run: nothing written while loading */
    cn_process_opts_t dry = {.dry_run = true};
    cn_process_t *p = NULL;
    cn_err_t err = {0};
    int rc = cn_process_new(conf, NULL, dir, &factory, &dry, &p, &err);
    if (rc != 0) {
        if ((rc != CN_ECORRUPT && rc != CN_EVERSION) || strstr(err.msg, "checkpoint") == NULL)
            abort();
        return 0;
    }
    cn_process_free(p);
    /* accepted: written back by a live process, it must load again */
    cn_process_opts_t live = {0};
    if (cn_process_new(conf, NULL, dir, &factory, &live, &p, &err) != 0)
        abort();
    if (cn_process_checkpoint(p) != 0)
        abort();
    cn_process_free(p);
    if (cn_process_new(conf, NULL, dir, &factory, &dry, &p, &err) != 0) {
        fprintf(stderr, "a checkpoint written back does not load: %s\n", err.msg);
        abort();
    }
    cn_process_free(p);
    return 0;
}
