#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds the dashboard's world map (web/dashboard/app.js draws it) at build time.

Usage: build_map.py COUNTRIES-50M.json CODES.json EN.json OUT.json

Reads Natural Earth country shapes from npm `world-atlas` (TopoJSON, ISO
3166-1 numeric ids), the numeric -> alpha-2 table and the English country
names of npm `i18n-iso-countries` (codes.json, langs/en.json), decodes the TopoJSON arcs, projects them
with the Equal Earth projection into a 1000-unit-wide box, simplifies each
ring (Douglas-Peucker, 0.4 units) and writes only what the dashboard needs,
paths in relative SVG commands with one decimal:

  {"w": 1000, "h": H, "countries": [["US", "United States of America", "m..z"], ...],
   "dots": [["SG", "Singapore", x, y], ...]}

Countries too small to see at that size (Singapore, Hong Kong, Malta...) get
a dot as well, so that they can be hovered and clicked, and so do the codes
Natural Earth has no shape of their own for (Réunion, Gibraltar...). Antarctica is left
out. Keys are the alpha-2 codes canton's `country` dimension uses. Python
stdlib only.
"""
import json
import math
import sys

WIDTH = 1000.0
EPS = 0.4
# Shapes without an ISO numeric id in Natural Earth that have an alpha-2 code in use.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}
# Codes Natural Earth draws inside another country's shape (France's overseas
# departments, Svalbard, the Caribbean Netherlands...) or not at all: a dot at
# (longitude, latitude), so that every code the IP databases give can be shown.
DOTS = {
    "GF": (-53.1, 3.9), "GP": (-61.55, 16.25), "MQ": (-61.0, 14.65), "RE": (55.5, -21.1),
    "YT": (45.15, -12.8), "GI": (-5.35, 36.14), "TV": (179.2, -8.5), "TK": (-171.85, -9.2),
    "BQ": (-68.27, 12.18), "SJ": (16.0, 78.5), "CC": (96.87, -12.16), "CX": (105.67, -10.48),
    "BV": (3.4, -54.4), "UM": (-160.0, 5.9),
}

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(M * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = lam * math.cos(t) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def decode_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring_points(arcs, ring):
    pts = []
    for i in ring:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    # A ring across the antimeridian (Russia's Chukotka, Fiji) is made continuous
    # (longitudes past 180); what lies past the map's edge is clipped by the SVG.
    out, shift = [], 0.0
    for k, (lon, lat) in enumerate(pts):
        if k:
            d = lon + shift - out[-1][0]
            if d > 180:
                shift -= 360
            elif d < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


def simplify(pts, eps):
    if len(pts) < 4:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        ax, ay = pts[a]
        bx, by = pts[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        best, idx = -1.0, -1
        for i in range(a + 1, b):
            px, py = pts[i]
            d = abs(dy * (px - ax) - dx * (py - ay)) / norm if norm > 0 else math.hypot(px - ax, py - ay)
            if d > best:
                best, idx = d, i
        if idx >= 0 and best > eps:
            keep[idx] = True
            stack.append((a, idx))
            stack.append((idx, b))
    return [p for p, k in zip(pts, keep) if k]


def num(v):
    """Tenths as the shortest decimal text: 12 -> "1.2", -5 -> "-.5", 30 -> "3"."""
    s = "%g" % (v / 10.0)
    return s.replace("0.", ".", 1) if s.startswith("0.") else s.replace("-0.", "-.", 1)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        topo = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        alpha2 = {row[2]: row[0] for row in json.load(f)}
    with open(argv[3], encoding="utf-8") as f:
        english = {k: (v[0] if isinstance(v, list) else v) for k, v in json.load(f)["countries"].items()}
    arcs = decode_arcs(topo)
    # The map's extent: longitudes -180..180, latitudes -58..84 (Antarctica is left out).
    x0, _ = equal_earth(-180, 0)
    x1, _ = equal_earth(180, 0)
    _, ytop = equal_earth(0, 84)
    _, ybot = equal_earth(0, -58)
    k = WIDTH / (x1 - x0)
    height = round((ytop - ybot) * k)

    def proj(lon, lat):
        x, y = equal_earth(lon, lat)
        return (x - x0) * k, (ytop - y) * k

    shapes = {}  # code -> [name, paths, bbox area, (centre, its ring's area)]
    for g in topo["objects"]["countries"]["geometries"]:
        ne_name = g.get("properties", {}).get("name", "")
        code = alpha2.get(g.get("id")) or BY_NAME.get(ne_name)
        if not code or code == "AQ" or g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        # Natural Earth's short name ("China"), or the ISO one where it abbreviates ("Dem. Rep. Congo").
        name = ne_name if ne_name and "." not in ne_name and code not in BY_NAME.values() else english.get(code, ne_name)
        entry = shapes.setdefault(code, [name, [], 0.0, (None, -1.0)])
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        for poly in polys:
            for ri, ring in enumerate(poly):
                pts = [proj(lon, lat) for lon, lat in ring_points(arcs, ring)]
                if ri == 0:
                    rx = [p[0] for p in pts]
                    ry = [p[1] for p in pts]
                    area = (max(rx) - min(rx)) * (max(ry) - min(ry))
                    entry[2] += area
                    if area > entry[3][1]:
                        entry[3] = (((max(rx) + min(rx)) / 2, (max(ry) + min(ry)) / 2), area)
                # Rounded to tenths, the first point absolute, then relative moves: "M12.3 45.6l.4-1.2 ...z".
                q = []
                for x, y in simplify(pts, EPS):
                    p = (round(x * 10), round(y * 10))
                    if not q or p != q[-1]:
                        q.append(p)
                if len(q) < 3:
                    continue
                parts = ["M%s %s" % (num(q[0][0]), num(q[0][1]))]
                for (ax, ay), (bx, by) in zip(q, q[1:]):
                    parts.append("%s%s%s" % (num(bx - ax), "" if by - ay < 0 else " ", num(by - ay)))
                entry[1].append(parts[0] + "l" + " ".join(parts[1:]) + "z")
    countries, dots = [], []
    for code in sorted(shapes):
        name, d, area, (centre, _) = shapes[code]
        if d:
            countries.append([code, name, "".join(d)])
        if area < 12 and centre is not None:
            dots.append([code, name, round(centre[0], 1), round(centre[1], 1)])
    for code, (lon, lat) in sorted(DOTS.items()):
        if code not in shapes:
            x, y = proj(lon, lat)
            dots.append([code, english.get(code, code), round(x, 1), round(y, 1)])
    out = {"w": round(WIDTH), "h": height, "countries": countries, "dots": dots}
    with open(argv[4], "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
