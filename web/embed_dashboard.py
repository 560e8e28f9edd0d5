#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Embeds the dashboard (web/dashboard/ plus uPlot from node_modules) into C.

Usage: embed_dashboard.py EMBED_PY OUT.c SYMBOL INDEX.html [NAME FILE]...

Each asset NAME ("app.js", "uplot.css"...) is served as
/assets/<stem>.<hash>.<ext>, where hash is the first 10 hex digits of the
SHA-256 of its content: a changed file gets a new name, so assets can be
cached for a year. Every "{{NAME}}" in INDEX.html is replaced by that URL
and the result is served at "/" (never cached without revalidation). A NAME
"inline:boot.js" is not an asset: its text replaces "{{inline:boot.js}}".
Writes OUT.c with the cn_http_static_t table SYMBOL through the functions of
src/http/embed.py (gzip copy, ETag). Python stdlib only.
"""
import hashlib
import importlib.util
import os
import sys
import tempfile

CTYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


def hashed_url(name, data):
    stem, ext = os.path.splitext(name)
    return "/assets/%s.%s%s" % (stem, hashlib.sha256(data).hexdigest()[:10], ext)


def main(argv):
    if len(argv) < 5 or (len(argv) - 5) % 2 != 0:
        sys.stderr.write(__doc__)
        return 2
    embed_py, out_path, symbol, index_path, pairs = argv[1], argv[2], argv[3], argv[4], argv[5:]
    spec = importlib.util.spec_from_file_location("cn_embed", embed_py)
    embed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(embed)

    triples = []
    with open(index_path, encoding="utf-8") as f:
        index = f.read()
    for i in range(0, len(pairs), 2):
        name, path = pairs[i], pairs[i + 1]
        with open(path, "rb") as f:
            data = f.read()
        if name.startswith("inline:"):
            # Its text goes into index.html itself (boot.js: it must run before any asset arrives).
            placeholder = "{{%s}}" % name
            text = data.decode("utf-8")
            if placeholder not in index or "</script" in text.lower():
                sys.stderr.write("embed_dashboard: cannot inline %s into %s\n" % (path, index_path))
                return 1
            index = index.replace(placeholder, text.strip())
            continue
        url = hashed_url(name, data)
        placeholder = "{{%s}}" % name
        if placeholder not in index:
            sys.stderr.write("embed_dashboard: %s does not use %s\n" % (index_path, placeholder))
            return 1
        index = index.replace(placeholder, url)
        triples += [url, path, CTYPES[os.path.splitext(name)[1]]]
    if "{{" in index:
        sys.stderr.write("embed_dashboard: %s has an unknown {{...}} placeholder\n" % index_path)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        index_out = os.path.join(tmp, "index.html")
        with open(index_out, "w", encoding="utf-8") as f:
            f.write(index)
        return embed.main(["embed.py", out_path, symbol, "/", index_out, CTYPES[".html"]] + triples)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
