package dev.popdns.wire;

/**
 * What the server says about itself: NSID (RFC 5001) and the CHAOS TXT names {@code id.server},
 * {@code hostname.bind}, {@code version.bind}, {@code version.server}. A null field is off.
 *
 * @param nsid     bytes sent in the NSID option, or null to ignore NSID requests
 * @param identity answer to {@code id.server} and {@code hostname.bind}, or null to refuse them
 * @param version  answer to {@code version.bind} and {@code version.server}, or null to refuse them
 */
public record ServerIdentity(byte[] nsid, String identity, String version) {
    public static ServerIdentity none() {
        return new ServerIdentity(null, null, null);
    }
}
