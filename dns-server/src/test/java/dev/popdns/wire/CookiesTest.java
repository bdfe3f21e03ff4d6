package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Server cookies against RFC 9018 Appendix A, and the lifetime rules of its §4.3. */
class CookiesTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf";

    /** RFC 9018 Appendix A: secret, client address, the COOKIE data of the query, time, the COOKIE data answered. */
    static Stream<Arguments> appendixA() {
        return Stream.of(
                Arguments.of(
                        "A.1 learning a new server cookie",
                        SECRET,
                        "198.51.100.100",
                        "2464c4abcf10c957",
                        1559731985L,
                        "2464c4abcf10c957010000005cf79f111f8130c3eee29480"),
                Arguments.of(
                        "A.2 the same client, 40 minutes later, gets a renewed one",
                        SECRET,
                        "198.51.100.100",
                        "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
                        1559734385L,
                        "2464c4abcf10c957010000005cf7a871d4a564a1442aca77"),
                Arguments.of(
                        "A.3 another client whose cookie has expired",
                        SECRET,
                        "203.0.113.203",
                        "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
                        1559734700L,
                        "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e"),
                Arguments.of(
                        "A.4 an IPv6 client after the secret rolled over",
                        "445536bcd2513298075a5d379663c962",
                        "2001:db8:220:1:59de:d0f4:8769:82b8",
                        "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
                        1559741961L,
                        "22681ab97d52c298010000005cf7c609a6bb79d16625507a"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("appendixA")
    void answersAsTheRfcDoes(String name, String secret, String client, String query, long now, String answer)
            throws Exception {
        Cookies cookies = new Cookies(HEX.parseHex(secret), () -> now);
        byte[] packet = HEX.parseHex(query);
        InetAddress address = InetAddress.getByName(client);
        int status = cookies.check(packet, 0, packet.length, address);
        ByteBuf out = Unpooled.buffer();
        cookies.write(out, packet, 0, status, address);
        assertEquals(Cookies.OPTION_CODE, out.readUnsignedShort());
        assertEquals(24, out.readUnsignedShort());
        byte[] data = new byte[24];
        out.readBytes(data);
        assertEquals(answer, HEX.formatHex(data));
    }

    @Test
    void theCookieOfTheOldSecretIsValidUnderIt() throws Exception {
        Cookies old = new Cookies(HEX.parseHex("dd3bdf9344b678b185a6f5cb60fca715"), () -> 1559741961L);
        byte[] packet = HEX.parseHex("22681ab97d52c298010000005cf7c57926556bd0934c72f8");
        InetAddress client = InetAddress.getByName("2001:db8:220:1:59de:d0f4:8769:82b8");
        assertEquals(Cookies.VALID, old.check(packet, 0, packet.length, client));
        Cookies rolled = new Cookies(HEX.parseHex("445536bcd2513298075a5d379663c962"), () -> 1559741961L);
        assertEquals(Cookies.INVALID, rolled.check(packet, 0, packet.length, client));
    }

    @Test
    void aValidCookieIsEchoedUntilItIsHalfAnHourOld() throws Exception {
        AtomicLong now = new AtomicLong(1_700_000_000L);
        Cookies cookies = new Cookies(HEX.parseHex(SECRET), now::get);
        InetAddress client = InetAddress.getByName("192.0.2.7");
        byte[] packet = cookieFrom(cookies, client, now.get());
        now.addAndGet(1799);
        assertEquals(Cookies.VALID, cookies.check(packet, 0, packet.length, client));
        ByteBuf out = Unpooled.buffer();
        cookies.write(out, packet, 0, Cookies.VALID, client);
        assertEquals(HEX.formatHex(packet), HEX.formatHex(out.array(), 4, 28));
        now.addAndGet(1);
        assertEquals(Cookies.VALID_WORN, cookies.check(packet, 0, packet.length, client));
    }

    /** RFC 9018 §4.3: valid for an hour, accepted from five minutes ahead, serial arithmetic across the wrap. */
    static Stream<Arguments> ages() {
        return Stream.of(
                Arguments.of(1_700_000_000L, 0L, Cookies.VALID),
                Arguments.of(1_700_000_000L, 3600L, Cookies.VALID_WORN),
                Arguments.of(1_700_000_000L, 3601L, Cookies.INVALID),
                Arguments.of(1_700_000_000L, -300L, Cookies.VALID),
                Arguments.of(1_700_000_000L, -301L, Cookies.INVALID),
                Arguments.of(4_294_966_000L, 2000L, Cookies.VALID_WORN));
    }

    @ParameterizedTest(name = "stamped {0}, checked {1} s later: {2}")
    @MethodSource("ages")
    void lifetime(long stamped, long later, int expected) throws Exception {
        AtomicLong now = new AtomicLong(stamped);
        Cookies cookies = new Cookies(HEX.parseHex(SECRET), now::get);
        InetAddress client = InetAddress.getByName("192.0.2.7");
        byte[] packet = cookieFrom(cookies, client, stamped);
        now.set(stamped + later);
        assertEquals(expected, cookies.check(packet, 0, packet.length, client));
    }

    @Test
    void aCookieIsBoundToTheClientAddressAndCookie() throws Exception {
        Cookies cookies = new Cookies(HEX.parseHex(SECRET), () -> 1_700_000_000L);
        InetAddress client = InetAddress.getByName("192.0.2.7");
        byte[] packet = cookieFrom(cookies, client, 1_700_000_000L);
        assertEquals(Cookies.INVALID, cookies.check(packet, 0, packet.length, InetAddress.getByName("192.0.2.8")));
        packet[0] ^= 1;
        assertEquals(Cookies.INVALID, cookies.check(packet, 0, packet.length, client));
    }

    @Test
    void lengthsOfRfc7873() {
        for (int length = 0; length <= 48; length++) {
            boolean expected = length == 8 || (length >= 16 && length <= 40);
            assertEquals(expected, Cookies.wellFormed(length), "length " + length);
        }
    }

    /** Client cookie 0102030405060708 and the server cookie {@code cookies} issues for it at {@code at}. */
    private static byte[] cookieFrom(Cookies cookies, InetAddress client, long at) {
        byte[] packet = new byte[24];
        for (int i = 0; i < 8; i++) {
            packet[i] = (byte) (i + 1);
        }
        System.arraycopy(cookies.fresh(packet, 0, at, client), 0, packet, 8, 16);
        return packet;
    }
}
