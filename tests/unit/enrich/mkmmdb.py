#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a tiny MaxMind DB (format 2.0) in the GeoLite2-City record layout,
for testing canton's reading of that layout without shipping MaxMind data.
Usage: mkmmdb.py OUT.mmdb. Networks (IPv4 database):
  1.2.3.0/24   AU, New South Wales, Sydney
  5.6.0.0/16   DE, Berlin, Berlin
  9.9.9.9/32   FR (country only)
Follows https://maxmind.github.io/MaxMind-DB/ (search tree with 24-bit
records, a 16-byte separator, the data section, then the metadata)."""
import struct
import sys
import time


def ctrl(type_, size):
    out = b""
    if type_ <= 7:
        first = type_ << 5
    else:
        first = 0
        out_ext = bytes([type_ - 7])
    if size < 29:
        first |= size
        extra = b""
    elif size < 29 + 256:
        first |= 29
        extra = bytes([size - 29])
    else:
        first |= 30
        extra = struct.pack(">H", size - 285)
    out = bytes([first])
    if type_ > 7:
        out += out_ext
    return out + extra


class U:
    """An unsigned integer of a given MMDB type (5 uint16, 6 uint32, 9 uint64)."""

    def __init__(self, type_, v):
        self.type_, self.v = type_, v


def enc(v):
    if isinstance(v, U):
        b = v.v.to_bytes((v.v.bit_length() + 7) // 8, "big") if v.v else b""
        return ctrl(v.type_, len(b)) + b
    if isinstance(v, str):
        b = v.encode()
        return ctrl(2, len(b)) + b
    if isinstance(v, bool):
        return ctrl(14, 1 if v else 0)
    if isinstance(v, int):
        if v < 0:
            raise ValueError(v)
        b = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
        if v < 1 << 16:
            return ctrl(5, len(b)) + b
        if v < 1 << 32:
            return ctrl(6, len(b)) + b
        return ctrl(9, len(b)) + b
    if isinstance(v, float):
        return ctrl(3, 8) + struct.pack(">d", v)
    if isinstance(v, dict):
        out = ctrl(7, len(v))
        for k, x in v.items():
            out += enc(k) + enc(x)
        return out
    if isinstance(v, list):
        out = ctrl(11, len(v))
        for x in v:
            out += enc(x)
        return out
    raise TypeError(type(v))


def rec(cc, region=None, city=None):
    r = {"country": {"iso_code": cc, "names": {"en": cc}}}
    if region:
        r["subdivisions"] = [{"iso_code": "XX", "names": {"en": region}}]
    if city:
        r["city"] = {"names": {"en": city, "de": city + "-de"}}
    return r


NETS = [
    ("1.2.3.0", 24, rec("AU", "New South Wales", "Sydney")),
    ("5.6.0.0", 16, rec("DE", "Berlin", "Berlin")),
    ("9.9.9.9", 32, rec("FR")),
]


def main():
    data = b""
    nodes = [[None, None]]  # child: None, ("node", i) or ("data", offset)
    for ip, plen, r in NETS:
        off = len(data)
        data += enc(r)
        bits = int.from_bytes(bytes(int(x) for x in ip.split(".")), "big")
        n = 0
        for i in range(plen):
            bit = (bits >> (31 - i)) & 1
            if i == plen - 1:
                nodes[n][bit] = ("data", off)
            else:
                if nodes[n][bit] is None:
                    nodes.append([None, None])
                    nodes[n][bit] = ("node", len(nodes) - 1)
                n = nodes[n][bit][1]
    count = len(nodes)

    def val(c):
        if c is None:
            return count
        if c[0] == "node":
            return c[1]
        return count + 16 + c[1]

    tree = b"".join(val(l).to_bytes(3, "big") + val(r).to_bytes(3, "big") for l, r in nodes)
    meta = {
        "node_count": U(6, count),
        "record_size": U(5, 24),
        "ip_version": U(5, 4),
        "database_type": "GeoLite2-City",
        "languages": ["en"],
        "binary_format_major_version": U(5, 2),
        "binary_format_minor_version": U(5, 0),
        "build_epoch": U(9, 1700000000),
        "description": {"en": "canton test data in the GeoLite2-City layout"},
    }
    with open(sys.argv[1], "wb") as f:
        f.write(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + enc(meta))


main()
