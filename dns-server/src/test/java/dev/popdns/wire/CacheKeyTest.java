package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** What makes two queries share a cached answer, and what keeps them apart. */
class CacheKeyTest {
    private static Query query(String name, int type, OPTRecord opt, int id) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(id);
        if (opt != null) {
            m.addRecord(opt, Section.ADDITIONAL);
        }
        byte[] p = m.toWire();
        return assertInstanceOf(QueryDecoder.Decoded.class, QueryDecoder.decode(p, p.length))
                .query();
    }

    private static CacheKey key(Query q, int decision) {
        CacheKey probe = CacheKey.probe();
        probe.lowerName(q);
        return probe.finish(q, decision).copy();
    }

    @Test
    void letterCaseAndIdDoNotMatter() throws Exception {
        assertEquals(
                key(query("www.example.test.", Type.A, null, 1), 0),
                key(query("WwW.EXAMPLE.test.", Type.A, null, 2), 0));
    }

    @Test
    void typeEdnsAndDoKeepAnswersApart() throws Exception {
        CacheKey plain = key(query("www.example.test.", Type.A, null, 1), 0);
        assertNotEquals(plain, key(query("www.example.test.", Type.AAAA, null, 1), 0));
        assertNotEquals(plain, key(query("www.example.test.", Type.A, new OPTRecord(1232, 0, 0), 1), 0));
        assertNotEquals(
                key(query("www.example.test.", Type.A, new OPTRecord(1232, 0, 0), 1), 0),
                key(query("www.example.test.", Type.A, new OPTRecord(1232, 0, 0, org.xbill.DNS.Flags.DO), 1), 0));
    }

    /** Every routing decision a pops.yaml can produce (0, NODATA 1, PoP 0..253 as 2..255) is its own key. */
    @Test
    void everyDecisionIsItsOwnKey() throws Exception {
        Query q = query("geo.example.test.", Type.A, null, 1);
        java.util.Set<CacheKey> keys = new java.util.HashSet<>();
        for (int decision = 0; decision <= 255; decision++) {
            keys.add(key(q, decision));
        }
        assertEquals(256, keys.size());
    }

    /** A probe refilled by a shorter query leaves nothing of the longer one in its key. */
    @Test
    void aReusedProbeEqualsAFreshKey() throws Exception {
        CacheKey probe = CacheKey.probe();
        Query longer = query("a-much-longer-name.example.test.", Type.A, new OPTRecord(1232, 0, 0), 1);
        probe.lowerName(longer);
        probe.finish(longer, 7);
        Query shorter = query("WWW.example.test.", Type.A, null, 2);
        probe.lowerName(shorter);
        probe.finish(shorter, 0);
        assertEquals(key(query("www.example.test.", Type.A, null, 3), 0), probe);
        assertEquals(probe, key(query("www.example.test.", Type.A, null, 3), 0));
        assertEquals(key(query("www.example.test.", Type.A, null, 3), 0).hashCode(), probe.hashCode());
    }
}
