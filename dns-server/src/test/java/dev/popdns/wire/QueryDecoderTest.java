package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@link QueryDecoder} on raw packets: what it answers, what it drops, what it reads. Packets are
 * built with dnsjava and then bent by hand where a client could send something dnsjava would not.
 */
class QueryDecoderTest {
    private static byte[] query(String name, int type, OPTRecord opt) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(0x1234);
        if (opt != null) {
            m.addRecord(opt, Section.ADDITIONAL);
        }
        return m.toWire();
    }

    private static QueryDecoder.Outcome decode(byte[] packet) {
        return QueryDecoder.decode(packet, packet.length);
    }

    @Test
    void aPlainQueryIsDecoded() throws Exception {
        Query q = assertInstanceOf(QueryDecoder.Decoded.class, decode(query("WWW.Example.test.", Type.AAAA, null)))
                .query();
        assertEquals(0x1234, q.id());
        assertEquals(Type.AAAA, q.qtype());
        assertEquals(DClass.IN, q.qclass());
        assertEquals(0, q.opcode());
        assertEquals(null, q.edns());
        assertEquals(18, q.nameLength(), "the question name in wire form, letter case kept");
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 11})
    void shorterThanAHeaderIsDropped(int length) throws Exception {
        assertSame(QueryDecoder.Drop.INSTANCE, QueryDecoder.decode(new byte[12], length));
    }

    @Test
    void aResponseIsDropped() throws Exception {
        byte[] p = query("example.test.", Type.A, null);
        p[2] |= (byte) 0x80; // QR
        assertSame(QueryDecoder.Drop.INSTANCE, decode(p));
    }

    @ParameterizedTest(name = "QDCOUNT {0}")
    @ValueSource(ints = {0, 2})
    void notExactlyOneQuestionIsFormerr(int qdcount) throws Exception {
        byte[] p = query("example.test.", Type.A, null);
        p[5] = (byte) qdcount;
        assertEquals(
                Rcode.FORMERR,
                assertInstanceOf(QueryDecoder.Error.class, decode(p)).rcode());
    }

    @Test
    void aTruncatedQuestionIsFormerr() throws Exception {
        byte[] p = query("example.test.", Type.A, null);
        assertEquals(
                Rcode.FORMERR,
                assertInstanceOf(QueryDecoder.Error.class, decode(Arrays.copyOf(p, p.length - 3)))
                        .rcode());
    }

    @Test
    void anAnswerRecordInAQueryIsFormerr() throws Exception {
        byte[] p = query("example.test.", Type.A, null);
        p[7] = 1; // ANCOUNT
        assertEquals(
                Rcode.FORMERR,
                assertInstanceOf(QueryDecoder.Error.class, decode(p)).rcode());
    }

    @Test
    void anotherOpcodeIsNotimp() throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.A, DClass.IN));
        m.getHeader().setOpcode(Opcode.NOTIFY);
        assertEquals(
                Rcode.NOTIMP,
                assertInstanceOf(QueryDecoder.Error.class, decode(m.toWire())).rcode());
    }

    @Test
    void ednsIsRead() throws Exception {
        OPTRecord opt = new OPTRecord(
                4096,
                0,
                0,
                Flags.DO,
                List.<EDNSOption>of(
                        new GenericEDNSOption(EDNSOption.Code.NSID, new byte[0]),
                        new ClientSubnetOption(24, InetAddress.getByName("192.0.2.0"))));
        Query.Edns edns = assertInstanceOf(QueryDecoder.Decoded.class, decode(query("example.test.", Type.A, opt)))
                .query()
                .edns();
        assertEquals(0, edns.version());
        assertEquals(4096, edns.udpSize());
        assertEquals(true, edns.dnssecOk());
        assertEquals(true, edns.nsidRequested());
        assertEquals(1, edns.subnet().family());
        assertEquals(24, edns.subnet().sourcePrefix());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2}, edns.subnet().address());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 0}, edns.subnet().fullAddress());
    }

    @Test
    void aSmallUdpSizeCountsAs512() throws Exception {
        Query.Edns edns = assertInstanceOf(
                        QueryDecoder.Decoded.class, decode(query("example.test.", Type.A, new OPTRecord(100, 0, 0))))
                .query()
                .edns();
        assertEquals(512, edns.udpSize());
    }

    @Test
    void ednsVersionOneIsBadvers() throws Exception {
        QueryDecoder.Error e = assertInstanceOf(
                QueryDecoder.Error.class, decode(query("example.test.", Type.A, new OPTRecord(1232, 0, 1))));
        assertEquals(Rcode.BADVERS, e.rcode());
        assertEquals(1, e.edns().version());
    }

    @Test
    void twoOptRecordsAreFormerr() throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.A, DClass.IN));
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        assertEquals(
                Rcode.FORMERR,
                assertInstanceOf(QueryDecoder.Error.class, decode(m.toWire())).rcode());
    }

    @Test
    void aQuestionOfTypeOptIsFormerr() throws Exception {
        assertEquals(
                Rcode.FORMERR,
                assertInstanceOf(QueryDecoder.Error.class, decode(query("example.test.", Type.OPT, null)))
                        .rcode());
    }
}
