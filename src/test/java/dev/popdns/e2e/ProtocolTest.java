package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSIDOption;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Header flags, EDNS, truncation, identity and malformed input, over real sockets. */
class ProtocolTest {
    private static ServerProcess server;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "identity: ns-test-1\nversion: popdns-test\n");
        server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void copiesRdAndCdAndNeverSetsRaZOrAd(Transport transport) throws Exception {
        Message q = DnsClient.query("example.test.", Type.A);
        q.getHeader().setFlag(Flags.RD);
        q.getHeader().setFlag(Flags.CD);
        q.getHeader().setFlag(Flags.AD);
        for (int round = 0; round < 2; round++) { // miss, then cache hit
            byte[] wire = transport == Transport.UDP
                    ? DnsClient.udp(server.v4(), q.toWire())
                    : DnsClient.tcp(server.v4(), q.toWire());
            assertEquals(0, wire[3] & 0x40, "Z never");
            Message r = new Message(wire);
            assertTrue(r.getHeader().getFlag(Flags.RD), "RD copied");
            assertTrue(r.getHeader().getFlag(Flags.CD), "CD copied");
            assertFalse(r.getHeader().getFlag(Flags.RA), "RA never");
            assertFalse(r.getHeader().getFlag(Flags.AD), "AD never");
        }
        Message plain = DnsClient.ask(transport, server.v4(), DnsClient.query("example.test.", Type.A));
        assertFalse(plain.getHeader().getFlag(Flags.RD), "RD clear when the query had it clear (same cache entry)");
        assertFalse(plain.getHeader().getFlag(Flags.CD));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echoesTheQuestionInTheClientsLetterCase(Transport transport) throws Exception {
        for (String name : List.of("example.test.", "EXAMPLE.TEST.", "ExAmPlE.tEsT.", "mAiL.ExAmPlE.TeSt.")) {
            byte[] query = DnsClient.query(name, Type.A).toWire();
            byte[] reply =
                    transport == Transport.UDP ? DnsClient.udp(server.v4(), query) : DnsClient.tcp(server.v4(), query);
            byte[] sent = java.util.Arrays.copyOfRange(query, 12, 12 + name.length() + 1);
            byte[] echoed = java.util.Arrays.copyOfRange(reply, 12, 12 + name.length() + 1);
            assertArrayEquals(sent, echoed, "question bytes of " + name);
        }
    }

    @Test
    void ednsIsEchoedWithOurPayloadAndDo() throws Exception {
        Message r = DnsClient.ask(
                Transport.UDP,
                server.v4(),
                DnsClient.withEdns(DnsClient.query("example.test.", Type.A), 4096, ExtendedFlags.DO));
        OPTRecord opt = r.getOPT();
        assertNotNull(opt, "OPT echoed");
        assertEquals(1232, opt.getPayloadSize());
        assertEquals(0, opt.getVersion());
        assertTrue((opt.getFlags() & ExtendedFlags.DO) != 0, "DO echoed");
        Message noEdns = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("example.test.", Type.A));
        assertNull(noEdns.getOPT(), "no OPT without EDNS in the query");
    }

    @Test
    void unknownEdnsVersionIsBadvers() throws Exception {
        Message q = DnsClient.query("example.test.", Type.A);
        q.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message r = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.BADVERS, r.getRcode());
        assertEquals(0, r.getSection(Section.ANSWER).size());
        assertEquals(0, r.getOPT().getVersion());
    }

    @Test
    void unknownEdnsOptionsAreIgnored() throws Exception {
        Message q = DnsClient.query("example.test.", Type.A);
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new GenericEDNSOption(65001, new byte[] {1, 2, 3}))),
                Section.ADDITIONAL);
        Message r = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals(1, r.getSection(Section.ANSWER).size());
        assertTrue(r.getOPT().getOptions().isEmpty(), "unknown option not echoed");
    }

    @Test
    void nsidAndChaosNamesComeFromConfig() throws Exception {
        Message q = DnsClient.query("example.test.", Type.SOA);
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new NSIDOption(new byte[0]))), Section.ADDITIONAL);
        Message r = DnsClient.ask(Transport.UDP, server.v4(), q);
        List<EDNSOption> nsid = r.getOPT().getOptions(EDNSOption.Code.NSID);
        assertEquals(1, nsid.size());
        assertEquals(
                "ns-test-1",
                new String(
                        java.util.Arrays.copyOfRange(
                                nsid.get(0).toWire(), 4, nsid.get(0).toWire().length),
                        StandardCharsets.US_ASCII));
        assertEquals("ns-test-1", chaos("id.server."));
        assertEquals("ns-test-1", chaos("hostname.bind."));
        assertEquals("popdns-test", chaos("version.bind."));
        assertEquals("popdns-test", chaos("version.server."));
    }

    private static String chaos(String name) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.TXT, DClass.CH));
        Message r = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOERROR, r.getRcode(), name);
        return ((TXTRecord) r.getSection(Section.ANSWER).get(0)).getStrings().get(0);
    }

    @Test
    void refusedOutsideOurZonesSaysWhy() throws Exception {
        Message r = DnsClient.ask(
                Transport.UDP, server.v4(), DnsClient.withEdns(DnsClient.query("example.com.", Type.A), 1232, 0));
        assertEquals(Rcode.REFUSED, r.getRcode());
        List<EDNSOption> ede = r.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR);
        assertEquals(ExtendedErrorCodeOption.NOT_AUTHORITATIVE, ((ExtendedErrorCodeOption) ede.get(0)).getErrorCode());
    }

    @Test
    void opcodesOtherThanQueryAreNotImplemented() throws Exception {
        Message q = DnsClient.query("example.test.", Type.SOA);
        q.getHeader().setOpcode(Opcode.NOTIFY);
        Message r = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOTIMP, r.getRcode());
        q.getHeader().setOpcode(Opcode.STATUS);
        assertEquals(Rcode.NOTIMP, DnsClient.ask(Transport.UDP, server.v4(), q).getRcode());
    }

    @Test
    void udpAnswerTooLargeIsTruncatedWithoutPartialRrsets() throws Exception {
        // 30 TXT records of ~75 octets: fit neither 512 nor 1232 bytes
        Message plain = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("large.example.test.", Type.TXT));
        assertTrue(plain.getHeader().getFlag(Flags.TC), "TC at 512");
        assertEquals(0, plain.getSection(Section.ANSWER).size(), "no partial RRset at 512");
        Message edns = DnsClient.ask(
                Transport.UDP,
                server.v4(),
                DnsClient.withEdns(DnsClient.query("large.example.test.", Type.TXT), 4096, 0));
        assertTrue(edns.getHeader().getFlag(Flags.TC), "TC at our 1232 even when the client offers 4096");
        assertEquals(0, edns.getSection(Section.ANSWER).size(), "no partial RRset at 1232");
        assertNotNull(edns.getOPT(), "OPT kept in a truncated answer");
        Message tcp = DnsClient.ask(Transport.TCP, server.v4(), DnsClient.query("large.example.test.", Type.TXT));
        assertFalse(tcp.getHeader().getFlag(Flags.TC));
        assertEquals(30, tcp.getSection(Section.ANSWER).size(), "TCP gets the whole answer");
    }

    @Test
    void referralWhoseInDomainGlueDoesNotFitSetsTc() throws Exception {
        // RFC 9471 §3: the 17 AAAA glue records of big.example.test. need more than 512 bytes
        Message small = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("big.example.test.", Type.A));
        assertTrue(small.getHeader().getFlag(Flags.TC), "TC when in-domain glue is left out");
        assertEquals(8, small.getSection(Section.AUTHORITY).size(), "the NS RRset itself is complete");
        Message fits = DnsClient.ask(
                Transport.UDP, server.v4(), DnsClient.withEdns(DnsClient.query("big.example.test.", Type.A), 1232, 0));
        assertFalse(fits.getHeader().getFlag(Flags.TC), "no TC when all glue fits");
        assertEquals(17, fits.getSection(Section.ADDITIONAL).size() - 1);
        Message sub = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("sub.example.test.", Type.A));
        assertFalse(sub.getHeader().getFlag(Flags.TC), "small referral is whole");
    }

    @Test
    void malformedPacketsGetFormerrOrSilence() throws Exception {
        byte[] good = DnsClient.query("example.test.", Type.A).toWire();
        // QDCOUNT 2 with one question -> FORMERR
        byte[] twoQuestions = good.clone();
        twoQuestions[5] = 2;
        assertEquals(Rcode.FORMERR, rcode(DnsClient.udp(server.v4(), twoQuestions)));
        // QDCOUNT 0 -> FORMERR
        byte[] noQuestion = java.util.Arrays.copyOf(good, 12);
        noQuestion[5] = 0;
        assertEquals(Rcode.FORMERR, rcode(DnsClient.udp(server.v4(), noQuestion)));
        // question cut short -> FORMERR, header read
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
        byte[] reply = DnsClient.udp(server.v4(), cut);
        assertEquals(Rcode.FORMERR, rcode(reply));
        assertEquals(good[0], reply[0]);
        assertEquals(good[1], reply[1]);
        // label longer than 63 -> FORMERR
        byte[] longLabel = good.clone();
        longLabel[12] = 64;
        assertEquals(Rcode.FORMERR, rcode(DnsClient.udp(server.v4(), longLabel)));
        // shorter than a header -> silence
        assertNull(DnsClient.udp(server.v4(), new byte[] {1, 2, 3}, 500));
        // a response (QR=1) -> silence
        byte[] response = good.clone();
        response[2] |= (byte) 0x80;
        assertNull(DnsClient.udp(server.v4(), response, 500));
        // and the server still answers
        assertEquals(
                Rcode.NOERROR,
                DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("example.test.", Type.A))
                        .getRcode());
    }

    private static int rcode(byte[] reply) {
        assertNotNull(reply, "expected an answer");
        assertTrue((reply[2] & 0x80) != 0, "QR set");
        return reply[3] & 0x0f;
    }
}
