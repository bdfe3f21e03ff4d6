package dev.popdns.zone;

import java.util.List;
import org.xbill.DNS.RRset;

/**
 * The outcome of looking a question up in the served zones. {@code answer} always holds the
 * CNAME/DNAME chain that led to the outcome (empty when there was none), in order.
 */
public sealed interface LookupResult {
    /** The records asked for (after any chain), with optional additional data. */
    record Answer(List<RRset> answer, List<RRset> additional) implements LookupResult {}

    /** The name exists but has no data of the type. RFC 2308 §2.2; {@code soa} carries the negative TTL. */
    record NoData(List<RRset> answer, RRset soa) implements LookupResult {}

    /** The name does not exist. RFC 2308 §2.1; after a chain this is RFC 6604's NXDOMAIN for the last name. */
    record NxDomain(List<RRset> answer, RRset soa) implements LookupResult {}

    /**
     * The name lies at or below a zone cut: NS of the child, glue that must fit (in-domain, RFC 9471)
     * and glue that may be left out.
     */
    record Referral(List<RRset> answer, RRset ns, List<RRset> requiredGlue, List<RRset> optionalGlue)
            implements LookupResult {}

    /** DNAME substitution made a name longer than 255 octets. RFC 6672 §2.2. */
    record YxDomain(List<RRset> answer) implements LookupResult {}

    /** No served zone holds the name. */
    record Refused() implements LookupResult {}
}
