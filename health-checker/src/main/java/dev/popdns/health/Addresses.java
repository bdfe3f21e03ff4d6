package dev.popdns.health;

/** Puts a PoP's address into a check's template. */
final class Addresses {
    /** Stands in for a PoP address when a template is validated before it is bound to a PoP. */
    static final String SAMPLE = "192.0.2.1";

    private Addresses() {}

    /**
     * Replaces every {@code {address}} in {@code template} with {@code address}, bracketed when it
     * is an IPv6 literal ({@code [2001:db8::1]}), as URLs and {@code host:port} forms need.
     */
    static String bind(String template, String address) {
        String host = address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
        return template.replace(ProbeSpec.ADDRESS, host);
    }
}
