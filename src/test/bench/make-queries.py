#!/usr/bin/env python3
"""Writes the dnsperf query file for run-dnsperf.sh: a fixed, seeded mix of questions for the
hachyderm.io zone in dnsperf's -B format (RFC 1035 4.2.2 TCP framing: 2-byte length + message),
so that one file mixes queries without EDNS, with EDNS and with EDNS+DO, which dnsperf's text
format cannot (its -e/-D apply to every query).

usage: make-queries.py ZONE_ORIGIN COUNT OUT.bin OUT.txt [SEED]
OUT.txt gets the same questions in text form ("name TYPE [edns|do]"), for reading.
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


def main():
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
