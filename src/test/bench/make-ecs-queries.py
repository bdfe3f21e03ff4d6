#!/usr/bin/env python3
"""Query files and checks for run-geo-dnsperf.sh: geo-routed questions where every query carries
EDNS Client Subnet (RFC 7871) for a different real network, drawn from a MaxMind GeoLite2/GeoIP2
City database with a fixed seed, in dnsperf's -B format (RFC 1035 4.2.2 framing: 2-byte length +
message). dnsperf's own -E adds one fixed option to every query; a raw wire file gives each query
its own.

usage:
  make-ecs-queries.py pops POPS.yaml
      prints the PoPs as TSV: id, hq (0/1), latitude, longitude, IPv4 addresses, IPv6 addresses
      (comma-separated), bias, state; then "#name" lines: name, ttl, whether it has overrides
  make-ecs-queries.py generate --db CITY.mmdb --pops POPS.yaml --origin ZONE --count N --seed S
                               --ecs OUT.bin --plain OUT.bin --meta OUT.tsv [--ecs-new OUT.bin]
                               [--v6-share 0.3]
      OUT.bin (--ecs): N queries, each with an ECS option (/24 for IPv4, /56 for IPv6) for a
      different network; OUT.bin (--plain): the same questions with EDNS but no ECS option;
      OUT.tsv: one line per query (name, type, ECS subnet, the GeoIP network and record that
      holds it, and the PoP that the routing rules of README "Geo routing" give for it);
      --ecs-new OUT.bin: as many ECS queries again, for subnets that are not in the first file.
      Prints a summary of what was drawn.
  make-ecs-queries.py compare --meta OUT.tsv --pops POPS.yaml --sample K --server NAME=PORT...
                              [--plain-sample M] [--max-seconds S] [--out DIFF.tsv]
      asks every server the same K queries of OUT.tsv (every N/K-th, over UDP to 127.0.0.1 only,
      one at a time, 1 s timeout, one retry) and reports how often the answers name the same PoP
      (by answer address), and how often each server agrees with the expected PoP of OUT.tsv;
      with --plain-sample, also M of the questions without ECS (both should answer the HQ: the
      resolver, 127.0.0.1, has no location). Stops after S seconds (default 120) in any case.

Networks are drawn uniformly over the database's networks (every network that has a record, as
the database's search tree lists them): pick a network, then a random /24 (IPv4) or /56 (IPv6)
inside it, or the /24 or /56 that holds it when it is smaller; each subnet is used once. The
reader of the search tree is below; records are decoded with the `maxminddb` module (Debian
python3-maxminddb).
"""
import argparse
import ipaddress
import math
import mmap
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "AAAA": 28}
EARTH_RADIUS_KM = 6371.0088  # as popdns's Distance


# ---------------------------------------------------------------- pops.yaml
def load_pops(path):
    try:
        import yaml
    except ImportError:
        sys.exit("make-ecs-queries.py: needs PyYAML (Debian python3-yaml) to read " + path)
    with open(path) as f:
        doc = yaml.safe_load(f)
    pops = []
    for pid, p in (doc.get("pops") or {}).items():
        addrs = [str(a) for a in p.get("addresses", [])]
        v4 = [a for a in addrs if ipaddress.ip_address(a).version == 4]
        v6 = [a for a in addrs if ipaddress.ip_address(a).version == 6]
        lat, lon = p["location"]
        pops.append({"id": pid, "hq": bool(p.get("hq", False)), "lat": float(lat), "lon": float(lon),
                     "v4": v4, "v6": v6, "bias": int(p.get("bias", 0)),
                     "drain": p.get("state", "active") == "drain"})
    names = []
    for name, n in (doc.get("names") or {}).items():
        n = n or {}
        names.append({"name": name, "ttl": int(n.get("ttl", 30)),
                      "countries": {k: v for k, v in (n.get("countries") or {}).items()},
                      "continents": {k: v for k, v in (n.get("continents") or {}).items()}})
    return pops, names


def cmd_pops(args):
    pops, names = load_pops(args.pops)
    for p in pops:
        print("\t".join([p["id"], "1" if p["hq"] else "0", repr(p["lat"]), repr(p["lon"]),
                         ",".join(p["v4"]) or "-", ",".join(p["v6"]) or "-", str(p["bias"]),
                         "drain" if p["drain"] else "active"]))
    for n in names:
        print("#name\t%s\t%d\t%s" % (n["name"], n["ttl"], "overrides" if n["countries"] or n["continents"] else "-"))


def kilometres(lat1, lon1, lat2, lon2):
    """popdns's Distance.kilometres (haversine), term for term."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    s1, s2 = math.sin(half_dphi), math.sin(half_dlambda)
    a = s1 * s1 + math.cos(phi1) * math.cos(phi2) * s2 * s2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def expected(pops, name, qtype, loc):
    """(pop id, margin km) by README "Geo routing" with every PoP healthy: nearest by scaled distance
    (ties by order), a country (else continent) override first; unknown location: HQ first."""
    fam = "v4" if qtype == "A" else "v6"
    idx = {p["id"]: i for i, p in enumerate(pops)}
    pinned = -1
    if loc is not None:
        if loc["country"] and loc["country"] in name["countries"]:
            pinned = idx.get(name["countries"][loc["country"]], -1)
        elif loc["continent"] and loc["continent"] in name["continents"]:
            pinned = idx.get(name["continents"][loc["continent"]], -1)
    located = loc is not None and loc["lat"] is not None
    keys = []
    for i, p in enumerate(pops):
        if located:
            k = kilometres(loc["lat"], loc["lon"], p["lat"], p["lon"]) * (1 - p["bias"] / 100.0)
        else:
            k = -1 if p["hq"] else 0
        if i == pinned:
            k = float("-inf")
        keys.append((k, i))
    ranked = sorted(keys)  # stable on index for equal keys
    cands = [i for _, i in ranked if not pops[i]["drain"] and pops[i][fam]]
    if not cands:
        return "none", ""
    margin = ""
    if located and pinned < 0 and len(ranked) > 1:
        margin = "%.1f" % (ranked[1][0] - ranked[0][0])
    return pops[cands[0]]["id"], margin


# ---------------------------------------------------------------- the database's search tree
class Tree:
    """The search tree of a MaxMind DB file (maxmind.github.io/MaxMind-DB, "Search Tree Section")."""

    def __init__(self, path, node_count, record_size):
        self.f = open(path, "rb")
        self.mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        self.n = node_count
        self.rs = record_size
        self.nb = record_size * 2 // 8
        if record_size not in (24, 28, 32):
            sys.exit("make-ecs-queries.py: unsupported record size %d" % record_size)

    def node(self, i):
        o = i * self.nb
        b = self.mm[o:o + self.nb]
        if self.rs == 28:
            return (((b[3] & 0xF0) << 20) | (b[0] << 16) | (b[1] << 8) | b[2],
                    ((b[3] & 0x0F) << 24) | (b[4] << 16) | (b[5] << 8) | b[6])
        if self.rs == 24:
            return (b[0] << 16) | (b[1] << 8) | b[2], (b[3] << 16) | (b[4] << 8) | b[5]
        return int.from_bytes(b[0:4], "big"), int.from_bytes(b[4:8], "big")

    def networks(self, ip_version):
        """(v4 list, v6 list) of (network int, prefix length) with a record. IPv4 is the ::/96
        subtree of an IPv6 database; its aliases (::ffff:0:0/96, 2001::/32, 2002::/16) are skipped."""
        v4, v6 = [], []
        if ip_version == 4:
            stack, v4start = [(0, 0, 0)], 0
        else:
            node = 0
            for _ in range(96):
                node = self.node(node)[0]
                if node >= self.n:
                    break
            v4start = node if node < self.n else -1
            stack = [(0, 0, 0)]
        n = self.n
        while stack:
            node, depth, prefix = stack.pop()
            left, right = self.node(node)
            for bit, child in ((0, left), (1, right)):
                if child == n:
                    continue
                d, p = depth + 1, (prefix << 1) | bit
                if child < n:
                    if ip_version == 6 and child == v4start:
                        if d == 96 and p == 0:
                            stack.append((child, 96, 0))  # the IPv4 subtree, walked as ::/96
                        continue  # an alias of the IPv4 subtree
                    stack.append((child, d, p))
                elif ip_version == 4:
                    v4.append((p << (32 - d), d))
                elif node_is_v4(d, p):
                    v4.append((p << (128 - d), d - 96))
                else:
                    v6.append((p << (128 - d), d))
        return v4, v6


def node_is_v4(depth, prefix):
    # inside the IPv4 subtree the walk restarts the prefix at 0 at depth 96, so the bits above the
    # IPv4 part are all zero; a real IPv6 prefix that deep is never all zero (::/96 is the subtree)
    return depth >= 96 and (prefix >> (depth - 96)) == 0


def record_location(rec):
    if not rec:
        return None
    loc = rec.get("location") or {}
    lat, lon = loc.get("latitude"), loc.get("longitude")
    country = (rec.get("country") or {}).get("iso_code")
    continent = (rec.get("continent") or {}).get("code")
    if lat is None or lon is None:
        lat = lon = None
    if country is None and continent is None and lat is None:
        return None  # popdns reports such a record as no location
    return {"lat": lat, "lon": lon, "country": country, "continent": continent}


# ---------------------------------------------------------------- wire format
def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ecs_option(net):
    """RFC 7871 §6: family, source prefix, scope 0, the address cut to whole octets of the prefix."""
    family = 1 if net.version == 4 else 2
    plen = net.prefixlen
    addr = net.network_address.packed[:(plen + 7) // 8]
    data = struct.pack("!HBB", family, plen, 0) + addr
    return struct.pack("!HH", 8, len(data)) + data


def query(qid, name, qtype, net):
    header = struct.pack("!HHHHHH", qid & 0xffff, 0x0000, 1, 0, 0, 1)
    opts = ecs_option(net) if net is not None else b""
    # OPT: root owner, type 41, class = UDP size 1232, TTL = ext-rcode 0, version 0, no DO
    opt = b"\0" + struct.pack("!HHBBHH", 41, 1232, 0, 0, 0, len(opts)) + opts
    return header + encode_name(name) + struct.pack("!HH", TYPES[qtype], 1) + opt


# ---------------------------------------------------------------- generate
def cmd_generate(args):
    try:
        import maxminddb
    except ImportError:
        sys.exit("make-ecs-queries.py: needs the maxminddb module (Debian: apt-get install python3-maxminddb; "
                 "run with /usr/bin/python3)")
    t0 = time.time()
    pops, names = load_pops(args.pops)
    origin = args.origin.rstrip(".").lower() + "."
    geo = [n for n in names if n["name"].lower().rstrip(".") + "." in (origin, "media." + origin)]
    if not geo:
        geo = names[:2]
    if not geo:
        sys.exit("make-ecs-queries.py: %s has no geo names" % args.pops)
    reader = maxminddb.open_database(args.db)
    meta = reader.metadata()
    tree = Tree(args.db, meta.node_count, meta.record_size)
    v4nets, v6nets = tree.networks(meta.ip_version)
    rng = random.Random(args.seed)
    used = set()
    # weights of the questions: the site and its media host, A and AAAA
    mix = []
    for n in geo:
        w = 6 if n["name"].lower().rstrip(".") + "." == origin else 4
        mix += [(w * 55, n, "A"), (w * 45, n, "AAAA")]
    weights = [m[0] for m in mix]
    fails = [0]

    def draw(count):
        out = []
        while len(out) < count:
            if fails[0] > 50 * count:
                sys.exit("make-ecs-queries.py: could not draw %d distinct subnets" % count)
            v6 = v6nets and rng.random() < args.v6_share
            nets, bits, width = (v6nets, 56, 128) if v6 else (v4nets, 24, 32)
            netint, plen = nets[rng.randrange(len(nets))]
            if plen < bits:  # a random subnet of the ECS size inside the network
                sub = netint | (rng.getrandbits(bits - plen) << (width - bits))
            else:
                sub = netint & ~((1 << (width - bits)) - 1)
            if (v6, sub) in used:
                fails[0] += 1
                continue
            used.add((v6, sub))
            net = (ipaddress.IPv6Network if v6 else ipaddress.IPv4Network)((sub, bits))
            rec, found_plen = reader.get_with_prefix_len(net.network_address)
            loc = record_location(rec)
            _, name, qtype = rng.choices(mix, weights)[0]
            pop, margin = expected(pops, name, qtype, loc)
            drawn = (ipaddress.IPv6Network if v6 else ipaddress.IPv4Network)((netint, plen))
            out.append((name["name"], qtype, net, drawn, found_plen, loc, pop, margin))
        return out

    rows = draw(args.count)
    if args.ecs_new:
        # a second file of as many subnets again, none of them in the first
        with open(args.ecs_new, "wb") as fn:
            for i, (name, qtype, net, *_rest) in enumerate(draw(args.count)):
                m = query(i, name, qtype, net)
                fn.write(struct.pack("!H", len(m)) + m)
    with open(args.ecs, "wb") as fe, open(args.plain, "wb") as fp, open(args.meta, "w") as fm:
        fm.write("#idx\tname\ttype\tecs\tdrawn_network\tgeoip_prefix\tlat\tlon\tcountry\tcontinent\texpected_pop\tmargin_km\n")
        for i, (name, qtype, net, drawn, found_plen, loc, pop, margin) in enumerate(rows):
            m = query(i, name, qtype, net)
            fe.write(struct.pack("!H", len(m)) + m)
            m = query(i, name, qtype, None)
            fp.write(struct.pack("!H", len(m)) + m)
            fm.write("\t".join(str(x) for x in (
                i, name, qtype, net, drawn, found_plen,
                "" if loc is None or loc["lat"] is None else loc["lat"],
                "" if loc is None or loc["lon"] is None else loc["lon"],
                "" if loc is None else (loc["country"] or ""), "" if loc is None else (loc["continent"] or ""),
                pop, margin)) + "\n")
    # summary
    n = len(rows)
    fam4 = sum(1 for r in rows if r[2].version == 4)
    located = sum(1 for r in rows if r[5] is not None and r[5]["lat"] is not None)
    unknown = sum(1 for r in rows if r[5] is None)
    by_pop = {}
    for r in rows:
        by_pop[r[6]] = by_pop.get(r[6], 0) + 1
    by_q = {}
    for r in rows:
        k = "%s %s" % (r[0], r[1])
        by_q[k] = by_q.get(k, 0) + 1
    conts = {}
    for r in rows:
        c = (r[5] or {}).get("continent") or "-"
        conts[c] = conts.get(c, 0) + 1
    print("database: %s, %s, built %s; %d IPv4 and %d IPv6 networks in its tree"
          % (args.db.split("/")[-1], meta.database_type,
             time.strftime("%Y-%m-%d", time.gmtime(meta.build_epoch)), len(v4nets), len(v6nets)))
    print("queries: %d (seed %d), each with a different ECS subnet: %d IPv4 /24, %d IPv6 /56"
          % (n, args.seed, fam4, n - fam4))
    if args.ecs_new:
        print("second file (--ecs-new): %d more queries, each with a subnet in neither file before it" % args.count)
    print("subnets whose GeoIP record has coordinates: %d (%.1f%%); a record without: %d; no record: %d"
          % (located, 100.0 * located / n, n - located - unknown, unknown))
    print("questions: " + ", ".join("%s %d" % (k, v) for k, v in sorted(by_q.items())))
    print("continents: " + ", ".join("%s %d" % (k, v) for k, v in sorted(by_pop_sorted(conts))))
    print("expected PoP (README rules, every PoP healthy): "
          + ", ".join("%s %d (%.1f%%)" % (k, v, 100.0 * v / n) for k, v in by_pop_sorted(by_pop)))
    print("written in %.1f s" % (time.time() - t0))


def by_pop_sorted(d):
    return sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))


# ---------------------------------------------------------------- compare
def parse_answer(resp):
    """The A/AAAA addresses of the answer section and the rcode; None on a malformed message."""
    try:
        if len(resp) < 12:
            return None
        rcode = resp[3] & 0xF
        qd, an = struct.unpack("!HH", resp[4:8])
        off = 12
        for _ in range(qd):
            off = skip_name(resp, off) + 4
        addrs = []
        for _ in range(an):
            off = skip_name(resp, off)
            rtype, _, _, rdlen = struct.unpack("!HHIH", resp[off:off + 10])
            off += 10
            rdata = resp[off:off + rdlen]
            off += rdlen
            if rtype == 1 and rdlen == 4:
                addrs.append(str(ipaddress.IPv4Address(rdata)))
            elif rtype == 28 and rdlen == 16:
                addrs.append(str(ipaddress.IPv6Address(rdata)))
        return rcode, addrs
    except (struct.error, IndexError, ValueError):
        return None


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += n + 1


def cmd_compare(args):
    pops, _ = load_pops(args.pops)
    by_addr = {}
    for p in pops:
        for a in p["v4"] + p["v6"]:
            by_addr[str(ipaddress.ip_address(a))] = p["id"]
    rows = []
    with open(args.meta) as f:
        for line in f:
            if line.startswith("#"):
                continue
            rows.append(line.rstrip("\n").split("\t"))
    k = min(args.sample, len(rows))
    step = len(rows) / float(k)
    sample = [rows[int(i * step)] for i in range(k)]
    servers = []
    for s in args.server:
        name, port = s.split("=", 1)
        servers.append((name, int(port)))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    results = {name: [] for name, _ in servers}
    deadline = time.time() + args.max_seconds
    for qi, row in enumerate(sample):
        if time.time() > deadline:
            sample = sample[:qi]
            for name in results:
                results[name] = results[name][:qi]
            print("stopped after %d queries: the %d s limit" % (qi, args.max_seconds))
            break
        idx, name, qtype, ecs = int(row[0]), row[1], row[2], ipaddress.ip_network(row[3])
        msg = query(idx, name, qtype, ecs)
        for sname, port in servers:
            got = ask(sock, msg, port)
            results[sname].append("timeout" if got is None else answer_pops(got, by_addr))
    # without ECS every server locates the resolver, 127.0.0.1: no location, so the HQ
    plain = {name: {} for name, _ in servers}
    for row in sample[:args.plain_sample]:
        msg = query(int(row[0]), row[1], row[2], None)
        for sname, port in servers:
            got = ask(sock, msg, port)
            key = "timeout" if got is None else answer_pops(got, by_addr)
            plain[sname][key] = plain[sname].get(key, 0) + 1
    n = len(sample)
    names = [s for s, _ in servers]
    out = open(args.out, "w") if args.out else None
    if out:
        out.write("#idx\tname\ttype\tecs\tgeoip_prefix\tlat\tlon\tcountry\texpected\tmargin_km\t" + "\t".join(names) + "\n")
    print("sample: %d of %d queries (every %.0fth), asked one at a time over UDP on 127.0.0.1"
          % (n, len(rows), step))
    if n == 0:
        return
    for sname in names:
        ok = sum(1 for r, row in zip(results[sname], sample) if r == row[10])
        print("%s vs expected PoP (README rules in Python, same coordinates): %d/%d (%.2f%%)"
              % (sname, ok, n, 100.0 * ok / n))
    if len(names) >= 2:
        a, b = names[0], names[1]
        same = sum(1 for x, y in zip(results[a], results[b]) if x == y)
        print("%s vs %s, same PoP: %d/%d (%.2f%%)" % (a, b, same, n, 100.0 * same / n))
        diffs = [(row, [results[s][i] for s in names]) for i, row in enumerate(sample)
                 if len(set(results[s][i] for s in names)) > 1 or results[a][i] != row[10]]
        kinds = {}
        for row, got in diffs:
            if got[0] == got[1]:
                continue
            kind = "%s=%s %s=%s" % (a, got[0], b, got[1])
            kinds[kind] = kinds.get(kind, 0) + 1
        if kinds:
            print("disagreements by answer: " + ", ".join("%s: %d" % kv for kv in by_pop_sorted(kinds)))
        for row, got in diffs:
            if out:
                out.write("\t".join([row[0], row[1], row[2], row[3], row[5], row[6], row[7], row[8], row[10], row[11]]
                                    + got) + "\n")
    if args.plain_sample:
        for sname in names:
            print("%s without ECS (%d of the same questions, from 127.0.0.1): %s" % (
                sname, min(args.plain_sample, n), ", ".join("%s %d" % kv for kv in by_pop_sorted(plain[sname]))))
    if out:
        out.close()


def ask(sock, msg, port):
    """(rcode, addresses) of the answer from 127.0.0.1:port, or None after a timeout and one retry."""
    for _ in range(2):
        try:
            sock.sendto(msg, ("127.0.0.1", port))
            while True:
                resp, _ = sock.recvfrom(4096)
                if resp[:2] == msg[:2]:
                    return parse_answer(resp)
        except socket.timeout:
            continue
    return None


def answer_pops(got, by_addr):
    """The PoP (or PoPs) whose addresses an answer holds; rcodeN or nodata otherwise."""
    rcode, addrs = got
    ids = sorted(set(by_addr.get(a, "?" + a) for a in addrs))
    return "rcode%d" % rcode if rcode else ("+".join(ids) if ids else "nodata")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pops")
    p.add_argument("pops")
    g = sub.add_parser("generate")
    g.add_argument("--db", required=True)
    g.add_argument("--pops", required=True)
    g.add_argument("--origin", required=True)
    g.add_argument("--count", type=int, default=100000)
    g.add_argument("--seed", type=int, default=7871)
    g.add_argument("--v6-share", type=float, default=0.3)
    g.add_argument("--ecs", required=True)
    g.add_argument("--plain", required=True)
    g.add_argument("--meta", required=True)
    g.add_argument("--ecs-new")
    c = sub.add_parser("compare")
    c.add_argument("--meta", required=True)
    c.add_argument("--pops", required=True)
    c.add_argument("--sample", type=int, default=5000)
    c.add_argument("--server", action="append", required=True)
    c.add_argument("--max-seconds", type=int, default=120)
    c.add_argument("--plain-sample", type=int, default=0)
    c.add_argument("--out")
    args = ap.parse_args()
    {"pops": cmd_pops, "generate": cmd_generate, "compare": cmd_compare}[args.cmd](args)


if __name__ == "__main__":
    main()
