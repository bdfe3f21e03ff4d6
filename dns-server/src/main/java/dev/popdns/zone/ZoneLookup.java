package dev.popdns.zone;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

/**
 * Answers a question from a {@link ZoneSet}: finds the zone and follows CNAME chains (including
 * those synthesized from DNAME) inside that zone. A chain stops at the zone edge, at a loop, or
 * after {@value #MAX_CHAIN} links; the client's resolver continues from there.
 */
public final class ZoneLookup {
    static final int MAX_CHAIN = 12;

    private ZoneLookup() {}

    public static LookupResult lookup(ZoneSet zones, Name qname, int qtype) {
        Zone zone = zones.find(qname);
        if (zone == null) {
            return new LookupResult.Refused();
        }
        if (qtype == Type.DS && qname.equals(zone.origin()) && qname.labels() > 1) {
            // RFC 4035 §3.1.4.1: DS lives on the parent side of a cut; answer it from the parent
            // zone when we serve that too
            Zone parent = zones.find(new Name(qname, 1));
            if (parent != null) {
                zone = parent;
            }
        }
        LookupResult first = zone.lookup(qname, qtype);
        if (!continues(first, qtype)) {
            return first;
        }
        List<RRset> chain = new ArrayList<>(4);
        Set<Name> visited = new HashSet<>();
        visited.add(qname);
        LookupResult step = first;
        for (int link = 0; link < MAX_CHAIN; link++) {
            List<RRset> answer = ((LookupResult.Answer) step).answer();
            chain.addAll(answer);
            Name target = ((CNAMERecord) answer.get(answer.size() - 1).first()).getTarget();
            if (!target.subdomain(zone.origin()) || !visited.add(target)) {
                break; // RFC 1034 §4.3.2: the resolver continues outside the zone; a loop ends here
            }
            step = zone.lookup(target, qtype);
            if (!continues(step, qtype)) {
                return withChain(chain, step);
            }
        }
        return new LookupResult.Answer(chain, List.of());
    }

    /**
     * True when the step answered with a CNAME that the question did not ask for. ANY stops at a
     * CNAME the name owns (RFC 8482 lets one RRset stand for the name) but follows one that a
     * DNAME synthesized, since the name itself owns nothing (as Knot DNS does).
     */
    private static boolean continues(LookupResult result, int qtype) {
        if (qtype == Type.CNAME || !(result instanceof LookupResult.Answer a)) {
            return false;
        }
        List<RRset> answer = a.answer();
        if (answer.get(answer.size() - 1).getType() != Type.CNAME) {
            return false;
        }
        return qtype != Type.ANY || answer.get(0).getType() == Type.DNAME;
    }

    private static LookupResult withChain(List<RRset> chain, LookupResult last) {
        return switch (last) {
            case LookupResult.Answer a -> new LookupResult.Answer(concat(chain, a.answer()), a.additional());
            case LookupResult.NoData n -> new LookupResult.NoData(concat(chain, n.answer()), n.soa());
            case LookupResult.NxDomain n -> new LookupResult.NxDomain(concat(chain, n.answer()), n.soa());
            case LookupResult.Referral r ->
                new LookupResult.Referral(concat(chain, r.answer()), r.ns(), r.requiredGlue(), r.optionalGlue());
            case LookupResult.YxDomain y -> new LookupResult.YxDomain(concat(chain, y.answer()));
            case LookupResult.Refused r -> r;
        };
    }

    private static List<RRset> concat(List<RRset> a, List<RRset> b) {
        List<RRset> all = new ArrayList<>(a.size() + b.size());
        all.addAll(a);
        all.addAll(b);
        return all;
    }
}
