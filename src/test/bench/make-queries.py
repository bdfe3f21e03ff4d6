#!/usr/bin/env python3
"""Writes the dnsperf query file for run-dnsperf.sh: a fixed, seeded mix of questions for the
hachyderm.io zone in dnsperf's -B format (RFC 1035 4.2.2 TCP framing: 2-byte length + message),
so that one file mixes queries without EDNS, with EDNS and with EDNS+DO, which dnsperf's text
format cannot (its -e/-D apply to every query).

usage: make-queries.py ZONE_ORIGIN COUNT OUT.bin OUT.txt [SEED]
OUT.txt gets the same questions in text form ("name TYPE [edns|do]"), for reading.

       make-queries.py --bench-zone ZONE_ORIGIN IN.zone OUT.zone
writes IN.zone plus static placeholder A/AAAA records for the apex and media names when the zone
file has none for them (popdns answers those names from geo routing, zones/pops.yaml, which Knot
and NSD cannot do), so that all three servers answer the same questions from the same file; prints
what it added.
"""
import random
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28,
         "DS": 43, "DNSKEY": 48, "HTTPS": 65, "CAA": 257}


def mix(origin):
    """(weight, name, type) of a Mastodon-style zone's traffic; names relative to origin."""
    o = origin
    return [
        (200, o, "A"), (150, o, "AAAA"),                       # the site itself
        (110, "media." + o, "A"), (80, "media." + o, "AAAA"),   # media host
        (45, o, "HTTPS"), (20, "media." + o, "HTTPS"),          # browsers ask HTTPS: NODATA
        (40, "www." + o, "A"), (15, "www." + o, "AAAA"),        # CNAME to the apex, chased
        (8, "www." + o, "CNAME"), (8, "status." + o, "A"),
        (30, o, "MX"), (30, o, "TXT"), (15, o, "CAA"), (20, o, "NS"), (30, o, "SOA"),
        (15, "_dmarc." + o, "TXT"),
        (15, "mail." + o, "A"), (10, "mail." + o, "AAAA"),
        (10, "ns1." + o, "A"), (5, "ns1." + o, "AAAA"), (8, "ns2." + o, "A"),
        (4, "ns2." + o, "AAAA"), (8, "ns3." + o, "A"), (4, "ns3." + o, "AAAA"),
        (10, o, "DNSKEY"), (10, "media." + o, "MX"),            # NODATA
        (70, None, "A"), (20, None, "AAAA"),                    # NXDOMAIN: random names below
        (5, "example.com.", "A"),                               # not ours: REFUSED
    ]


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


PLACEHOLDERS = {"A": "192.0.2.1", "AAAA": "2001:db8::1"}  # RFC 5737 / RFC 3849 documentation addresses


def owners_with_types(text, origin):
    """{(owner, type)} of a simple master file: $ORIGIN, @, relative and blank owners, () groups."""
    found, owner, depth = set(), origin, 0
    for raw in text.splitlines():
        line = raw.split(";", 1)[0]
        if not line.strip():
            continue
        if depth > 0:  # inside a multi-line ( ... ) record
            depth += line.count("(") - line.count(")")
            continue
        if line.startswith("$ORIGIN"):
            origin = line.split()[1].lower()
            continue
        if line.startswith("$"):
            continue
        fields = line.split()
        if not line[0].isspace():
            name = fields.pop(0).lower()
            owner = origin if name == "@" else (name if name.endswith(".") else name + "." + origin)
        while fields and (fields[0].isdigit() or fields[0].upper() in ("IN", "CH", "HS")):
            fields.pop(0)
        if fields:
            found.add((owner, fields[0].upper()))
        depth += line.count("(") - line.count(")")
    return found


def bench_zone(origin, src, dst):
    origin = origin.rstrip(".").lower() + "."
    text = open(src).read()
    have = owners_with_types(text, origin)
    added = []
    for name in (origin, "media." + origin):
        for rtype, address in PLACEHOLDERS.items():
            if (name, rtype) not in have:
                added.append("%s 300 IN %s %s" % (name, rtype, address))
    with open(dst, "w") as out:
        out.write(text if text.endswith("\n") else text + "\n")
        if added:
            out.write("; added by make-queries.py --bench-zone: static stand-ins for geo-managed names\n")
            out.write("\n".join(added) + "\n")
    for line in added:
        print(line)


def main():
    if sys.argv[1] == "--bench-zone":
        bench_zone(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    origin, count, out_bin, out_txt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 53)
    origin = origin.rstrip(".") + "."
    table = mix(origin)
    weights = [w for w, _, _ in table]
    nx_names = ["%s%d.%s" % (rng.choice(["api", "cdn", "x", "mta-sts", "img", "test"]), i, origin)
                for i in range(1000)] + ["a.b.media." + origin, "autodiscover." + origin]
    with open(out_bin, "wb") as fb, open(out_txt, "w") as ft:
        for qid in range(count):
            _, name, qtype = rng.choices(table, weights)[0]
            if name is None:
                name = rng.choice(nx_names)
            if rng.random() < 0.05:  # some resolvers randomise the case (0x20)
                name = "".join(c.upper() if rng.random() < 0.5 else c for c in name)
            r = rng.random()
            edns = "plain" if r < 0.15 else ("edns" if r < 0.5 else "do")
            header = struct.pack("!HHHHHH", qid & 0xffff, 0x0000, 1, 0, 0, 0 if edns == "plain" else 1)
            msg = header + encode_name(name) + struct.pack("!HH", TYPES[qtype], 1)
            if edns != "plain":
                # OPT: root owner, type 41, class = UDP size 1232, TTL = ext-rcode 0, version 0, DO bit
                msg += b"\0" + struct.pack("!HHBBHH", 41, 1232, 0, 0, 0x8000 if edns == "do" else 0, 0)
            fb.write(struct.pack("!H", len(msg)) + msg)
            ft.write("%s %s%s\n" % (name, qtype, "" if edns == "plain" else " " + edns))


if __name__ == "__main__":
    main()
