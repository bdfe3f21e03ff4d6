package dev.popdns.tools;

import java.net.Inet6Address;
import java.net.InetAddress;

/** Addresses as people write them: IPv6 in the RFC 5952 short form ({@code 2001:db8::1}), not Java's long one. */
public final class AddressText {
    private AddressText() {}

    /** The canonical text of {@code address} (RFC 5952 §4 for IPv6: lower case, longest run of zero groups as {@code ::}). */
    public static String of(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // RFC 5952 §4.2: the longest run of two or more zero groups, the first one on a tie
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }
}
