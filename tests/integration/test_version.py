"""`canton version`: the first line is "canton X.Y.Z"; then one line per library
the binary is linked with, each with the version it was built against and,
where the library can tell, the version it runs with.

Cross-checks: every shared library the binary needs directly (readelf -d,
NEEDED) is listed; the "built against" versions equal pkg-config's (when
pkg-config knows the package); the "runs" versions equal what the same
shared library says when Python loads it with ctypes."""
import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
c = canton_test.Checks()

# listed name: (soname prefix in NEEDED, pkg-config package or None, (ctypes lib, function) or None)
LIBS = {
    "jansson": ("libjansson.so", "jansson", ("jansson", "jansson_version_str")),
    "zstd": ("libzstd.so", "libzstd", ("zstd", "ZSTD_versionString")),
    "h2o": ("libh2o-evloop.so", None, None),  # pkg-config gives the library's own 0.13.x
    "libmaxminddb": ("libmaxminddb.so", "libmaxminddb", ("maxminddb", "MMDB_lib_version")),
    "pcre2": ("libpcre2-8.so", "libpcre2-8", None),
    "libyaml": ("libyaml-0.so", "yaml-0.1", ("yaml", "yaml_get_version_string")),
    "isa-l": ("libisal.so", "libisal", None),
    "libsodium": ("libsodium.so", "libsodium", ("sodium", "sodium_version_string")),
    "xxhash": ("libxxhash.so", "libxxhash", None),
    "zlib": ("libz.so", "zlib", ("z", "zlibVersion")),
    "libcurl": ("libcurl.so", "libcurl", ("curl", "curl_version")),
    "glibc": ("libc.so", None, None),
}
# needed but not a library of their own (glibc's libm; sanitizer runtimes)
# the C library's parts and the compilers' runtimes (clang's sanitizers need libgcc_s)
NOT_LISTED = ("libm.so", "libasan.so", "libubsan.so", "libgcc_s.so", "libpthread.so", "libdl.so",
              "ld-linux")

r = subprocess.run([BIN, "version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
out = r.stdout.decode()
print("# " + out.replace("\n", "\n# "))
c.check(r.returncode == 0, "exit 0: %r" % r.stderr)
lines = out.splitlines()
c.check(bool(lines) and re.fullmatch(r"canton \d+\.\d+\.\d+", lines[0]) is not None,
        "first line 'canton X.Y.Z': %r" % lines[:1])

listed = {}
for line in lines[1:]:
    m = re.fullmatch(r"  (\S+) +(\d+(?:\.\d+)+) +(?:runs (\d+(?:\.\d+)+)(?: \(differs from the build\))?"
                     r"|\(cannot report the version it runs with\))", line)
    if m:
        listed[m.group(1)] = (m.group(2), m.group(3))
for name in LIBS:
    c.check(name in listed, "%s listed with a version: %r" % (name, out))

# every directly needed shared library is listed
if shutil.which("readelf"):
    d = subprocess.run(["readelf", "-d", BIN], stdout=subprocess.PIPE, timeout=30).stdout.decode()
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", d)
    c.check(len(needed) >= 10, "readelf found the needed libraries: %r" % needed)
    for so in needed:
        if so.startswith(NOT_LISTED):
            continue
        names = [n for n, v in LIBS.items() if so.startswith(v[0])]
        c.check(len(names) == 1 and names[0] in listed, "%s (needed by canton) is listed" % so)
else:
    print("# no readelf: the NEEDED cross-check is skipped")

# built against: pkg-config's version of the same package
if shutil.which("pkg-config"):
    for name, (_, pkg, _) in LIBS.items():
        if pkg is None or name not in listed:
            continue
        p = subprocess.run(["pkg-config", "--modversion", pkg], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=30)
        if p.returncode != 0:
            continue
        want = p.stdout.decode().strip()
        c.check(listed[name][0] == want, "%s built against %s, pkg-config says %s"
                % (name, listed[name][0], want))

# runs with: what the shared library itself says
for name, (_, _, probe) in LIBS.items():
    if probe is None or name not in listed:
        continue
    c.check(listed[name][1] is not None, "%s says which version it runs with" % name)
    path = ctypes.util.find_library(probe[0])
    if not path or listed[name][1] is None:
        continue
    fn = getattr(ctypes.CDLL(path), probe[1])
    fn.restype = ctypes.c_char_p
    got = fn().decode()
    if name == "libcurl":  # "libcurl/7.88.1 OpenSSL/..."
        got = got.split()[0].split("/")[1]
    c.check(listed[name][1] == got, "%s runs %s, the library says %s" % (name, listed[name][1], got))

c.finish()
