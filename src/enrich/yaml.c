/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML loading for the data sets in YAML form (uap-core regexes.yaml,
 * Snowplow referers.yml): libyaml's document API, so that the loaders walk
 * a tree instead of an event stream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "enrich/internal.h"

int cn_enrich__yaml_load(const char *path, yaml_document_t *doc, cn_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        return cn_err_set(err, CN_EPARSE, "%s: cannot initialize the YAML parser", path);
    }
    yaml_parser_set_input_file(&p, f);
    int rc = 0;
    if (!yaml_parser_load(&p, doc)) {
        rc = cn_err_set(err, CN_EPARSE, "%s:%zu: %s", path, p.problem_mark.line + 1,
                        p.problem ? p.problem : "YAML error");
    } else if (yaml_document_get_root_node(doc) == NULL) {
        yaml_document_delete(doc);
        rc = cn_err_set(err, CN_EPARSE, "%s: empty YAML document", path);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}

yaml_node_t *cn_enrich__yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    size_t klen = strlen(key);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
            memcmp(k->data.scalar.value, key, klen) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

cn_str_t cn_enrich__yaml_str(yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return CN_STR_NULL;
    return cn_str((const char *)n->data.scalar.value, n->data.scalar.length);
}
