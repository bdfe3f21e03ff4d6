package dev.popdns.wire;

import dev.popdns.routing.Decision;
import dev.popdns.routing.Eligibility;
import dev.popdns.zone.LookupResult;
import dev.popdns.zone.ZoneLookup;
import dev.popdns.zone.ZoneSet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Builds the answer to a query on a response-cache miss, as a dnsjava {@link Message}: header
 * flags, sections from the zone lookup, the OPT record. Runs on the query thread; never blocks.
 */
public final class Answerer {
    /** Our EDNS UDP payload size (the DNS flag day 2020 value; avoids IP fragmentation). */
    public static final int UDP_PAYLOAD = 1232;

    private static final Name ID_SERVER = Name.fromConstantString("id.server.");
    private static final Name HOSTNAME_BIND = Name.fromConstantString("hostname.bind.");
    private static final Name VERSION_BIND = Name.fromConstantString("version.bind.");
    private static final Name VERSION_SERVER = Name.fromConstantString("version.server.");

    private final ServerIdentity identity;

    public Answerer(ServerIdentity identity) {
        this.identity = identity;
    }

    /** The answer, and how many additional records must fit for it to be complete (RFC 9471). */
    public record Built(Message message, int requiredAdditional) {}

    /**
     * Builds the answer.
     *
     * @param route the routing of a geo name, or null for plain authoritative data
     * @param scope the ECS scope prefix to answer with (when the query had ECS)
     */
    public Built answer(Query query, ZoneSet zones, QueryHandler.Route route, int scope) {
        Name qname = questionName(query);
        Message message = new Message(query.id());
        Header header = message.getHeader();
        header.setFlag(Flags.QR);
        // RFC 1035 §4.1.1 copies RD; RFC 4035 §3.1.6 copies CD. RA, Z and AD stay clear.
        if ((query.flags() & Query.FLAG_RD) != 0) {
            header.setFlag(Flags.RD);
        }
        if ((query.flags() & Query.FLAG_CD) != 0) {
            header.setFlag(Flags.CD);
        }
        message.addRecord(Record.newRecord(qname, query.qtype(), query.qclass()), Section.QUESTION);
        int required = 0;
        boolean outside = false;
        int qtype = query.qtype();
        if (query.qclass() == DClass.CH) {
            chaos(message, qname, qtype);
        } else if (query.qclass() != DClass.IN) {
            header.setRcode(Rcode.REFUSED);
        } else if (qtype == Type.AXFR || qtype == Type.IXFR) {
            // geo answers differ per client, so no transfer could stand for them
            header.setRcode(Rcode.REFUSED);
        } else {
            LookupResult result = ZoneLookup.lookup(zones, qname, qtype);
            if (route != null) {
                result = routed(result, route, qtype);
            }
            outside = result instanceof LookupResult.Refused;
            required = fill(message, result);
        }
        Query.Edns edns = query.edns();
        if (edns != null) {
            // RFC 8914 §4.21: say why we refuse a name outside our zones
            int ede = outside ? ExtendedErrorCodeOption.NOT_AUTHORITATIVE : -1;
            OPTRecord opt = opt(edns, 0, ede);
            if (edns.subnet() != null) {
                opt = withSubnet(opt, edns.subnet(), scope);
            }
            message.addRecord(opt, Section.ADDITIONAL);
        }
        return new Built(message, required);
    }

    /** Fills the sections from a lookup; returns the count of additional records that must fit. */
    private static int fill(Message message, LookupResult result) {
        Header header = message.getHeader();
        switch (result) {
            case LookupResult.Answer a -> {
                header.setFlag(Flags.AA);
                add(message, a.answer(), Section.ANSWER);
                add(message, a.additional(), Section.ADDITIONAL);
            }
            case LookupResult.NoData n -> {
                header.setFlag(Flags.AA);
                add(message, n.answer(), Section.ANSWER);
                add(message, n.soa(), Section.AUTHORITY);
            }
            case LookupResult.NxDomain n -> {
                header.setFlag(Flags.AA);
                header.setRcode(Rcode.NXDOMAIN);
                add(message, n.answer(), Section.ANSWER);
                add(message, n.soa(), Section.AUTHORITY);
            }
            case LookupResult.Referral r -> {
                // RFC 1034 §4.3.2: a referral is not authoritative data, so AA stays clear
                // (unless a CNAME chain from our zone led here, which is ours to vouch for).
                if (!r.answer().isEmpty()) {
                    header.setFlag(Flags.AA);
                }
                add(message, r.answer(), Section.ANSWER);
                add(message, r.ns(), Section.AUTHORITY);
                add(message, r.requiredGlue(), Section.ADDITIONAL);
                add(message, r.optionalGlue(), Section.ADDITIONAL);
                int required = 0;
                for (RRset glue : r.requiredGlue()) {
                    required += glue.size();
                }
                return required;
            }
            case LookupResult.YxDomain y -> {
                header.setFlag(Flags.AA);
                header.setRcode(Rcode.YXDOMAIN);
                add(message, y.answer(), Section.ANSWER);
            }
            case LookupResult.Refused refused -> header.setRcode(Rcode.REFUSED);
        }
        return 0;
    }

    private void chaos(Message message, Name qname, int qtype) {
        String text = null;
        if (qname.equals(ID_SERVER) || qname.equals(HOSTNAME_BIND)) {
            text = identity.identity();
        } else if (qname.equals(VERSION_BIND) || qname.equals(VERSION_SERVER)) {
            text = identity.version();
        }
        if (text == null) {
            message.getHeader().setRcode(Rcode.REFUSED);
            return;
        }
        if (qtype == Type.TXT || qtype == Type.ANY) {
            message.addRecord(new TXTRecord(qname, DClass.CH, 0, text), Section.ANSWER);
        }
    }

    /**
     * Our OPT record: payload {@value #UDP_PAYLOAD}, DO echoed (RFC 3225 §3), NSID when asked,
     * an extended DNS error when {@code ede} is not -1.
     */
    OPTRecord opt(Query.Edns edns, int extendedRcode, int ede) {
        List<EDNSOption> options = new ArrayList<>(2);
        if (edns.nsidRequested() && identity.nsid() != null) {
            options.add(new GenericEDNSOption(EDNSOption.Code.NSID, identity.nsid()));
        }
        if (ede >= 0) {
            options.add(new ExtendedErrorCodeOption(ede));
        }
        int flags = edns.dnssecOk() ? ExtendedFlags.DO : 0;
        return new OPTRecord(UDP_PAYLOAD, extendedRcode, 0, flags, options);
    }

    /**
     * Puts the chosen PoP's records where the zone has the geo name's placeholder (the HQ's), at
     * the end of any CNAME chain; the decision NO_DATA turns the answer into NODATA.
     */
    static LookupResult routed(LookupResult result, QueryHandler.Route route, int qtype) {
        int pop = route.decision().pop();
        RRset chosen = pop == Decision.NO_DATA ? null : route.name().records(pop, qtype);
        if (chosen != null && route.ttl() != Eligibility.OWN_TTL) {
            chosen = withTtl(chosen, route.ttl());
        }
        Name geo = route.name().name();
        RRset soa = route.name().zone().negativeSoa();
        return switch (result) {
            case LookupResult.Answer a -> {
                List<RRset> chain = new ArrayList<>(a.answer().size());
                for (RRset set : a.answer()) {
                    if (!(set.getType() == qtype && set.getName().equals(geo))) {
                        chain.add(set);
                    }
                }
                if (chosen == null) {
                    yield new LookupResult.NoData(chain, soa);
                }
                chain.add(chosen);
                yield new LookupResult.Answer(chain, List.of());
            }
            case LookupResult.NoData n -> {
                if (chosen == null) {
                    yield n;
                }
                List<RRset> chain = new ArrayList<>(n.answer());
                chain.add(chosen);
                yield new LookupResult.Answer(chain, List.of());
            }
            default -> result;
        };
    }

    /** A copy of {@code set} with every record's TTL set to {@code ttl} (a drain ahead: {@code DrainSchedule}). */
    private static RRset withTtl(RRset set, long ttl) {
        RRset copy = new RRset();
        for (Record r : set.rrs(false)) {
            copy.addRR(Record.newRecord(r.getName(), r.getType(), r.getDClass(), ttl, r.rdataToWireCanonical()));
        }
        return copy;
    }

    /** The OPT with the client subnet echoed as its last option (RFC 7871 §7.2.1). */
    private static OPTRecord withSubnet(OPTRecord opt, Query.ClientSubnet subnet, int scope) {
        List<EDNSOption> options = new ArrayList<>(opt.getOptions());
        try {
            options.add(new ClientSubnetOption(
                    subnet.sourcePrefix(), scope, InetAddress.getByAddress(subnet.fullAddress())));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 octets never fail", e);
        }
        return new OPTRecord(opt.getPayloadSize(), opt.getExtendedRcode(), opt.getVersion(), opt.getFlags(), options);
    }

    private static void add(Message message, List<RRset> sets, int section) {
        for (int i = 0; i < sets.size(); i++) {
            add(message, sets.get(i), section);
        }
    }

    private static void add(Message message, RRset set, int section) {
        for (Record r : set.rrs(false)) {
            message.addRecord(r, section);
        }
    }

    /** The question name as the client wrote it (letter case kept, RFC 4343 §4.1). */
    static Name questionName(Query query) {
        try {
            DNSInput in = new DNSInput(query.packet());
            in.jump(query.nameOffset());
            return new Name(in);
        } catch (IOException e) {
            throw new IllegalStateException("question name was validated by QueryDecoder", e);
        }
    }
}
