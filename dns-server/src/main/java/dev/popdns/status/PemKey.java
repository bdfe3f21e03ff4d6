package dev.popdns.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An unencrypted PEM private key in any of the forms certificate tools write: PKCS#8
 * ({@code BEGIN PRIVATE KEY}: openssl 3, certbot), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}:
 * {@code openssl genrsa -traditional}, older tools) and SEC1 EC ({@code BEGIN EC PRIVATE KEY}:
 * {@code openssl ecparam -genkey}, acme.sh, lego). The JDK and Netty read PKCS#8 only, so the
 * other two are wrapped in a PKCS#8 structure first (RFC 5208 §5, RFC 5915 §3) — a few DER
 * headers, no cryptography.
 */
final class PemKey {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
    /** AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };
    /** OBJECT IDENTIFIER id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemKey() {}

    /**
     * The private key in {@code pem}.
     *
     * @throws IOException saying what the text holds and what it should, e.g. for an encrypted key
     */
    static PrivateKey parse(String pem) throws IOException {
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String type = m.group(1);
            String body = m.group(2);
            if (!type.endsWith("PRIVATE KEY")) {
                continue;
            }
            if (type.equals("ENCRYPTED PRIVATE KEY") || body.contains("ENCRYPTED")) {
                throw new IOException("the private key is encrypted, and popdns has no passphrase to open it"
                        + " (expected: an unencrypted key; openssl pkey -in KEY -out KEY.plain writes one)");
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(body.replaceAll("(?m)^[A-Za-z-]+:.*$", ""));
            } catch (IllegalArgumentException e) {
                throw new IOException("the " + type + " block is not base64: " + e.getMessage(), e);
            }
            return switch (type) {
                case "PRIVATE KEY" -> pkcs8(der);
                case "RSA PRIVATE KEY" ->
                    key("RSA", sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, octets(der))));
                case "EC PRIVATE KEY" ->
                    key(
                            "EC",
                            sequence(concat(
                                    new byte[] {0x02, 0x01, 0x00},
                                    sequence(concat(EC_PUBLIC_KEY, curve(der))),
                                    octets(der))));
                default ->
                    throw new IOException(
                            "a " + type + " block (expected: PRIVATE KEY, RSA PRIVATE KEY or EC" + " PRIVATE KEY)");
            };
        }
        throw new IOException(
                "no PEM private key in it (expected: -----BEGIN PRIVATE KEY-----, or the RSA or EC form)");
    }

    /** A PKCS#8 key of any algorithm the JDK knows. */
    private static PrivateKey pkcs8(byte[] der) throws IOException {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // another algorithm
            }
        }
        throw new IOException("the PRIVATE KEY block is not an RSA, EC or EdDSA key this JVM can read");
    }

    private static PrivateKey key(String algorithm, byte[] pkcs8) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    "the " + algorithm + " PRIVATE KEY block does not hold a valid key: " + e.getMessage(), e);
        }
    }

    /**
     * The named curve of a SEC1 ECPrivateKey: SEQUENCE { version, privateKey OCTET STRING,
     * [0] parameters, [1] publicKey }; the OBJECT IDENTIFIER inside [0], whole.
     */
    private static byte[] curve(byte[] der) throws IOException {
        int[] at = {0};
        expect(der, at, 0x30);
        int end = length(der, at) + at[0];
        while (at[0] < end) {
            int tag = der[at[0]++] & 0xff;
            int len = length(der, at);
            if (tag == 0xa0 && len > 2 && der[at[0]] == 0x06) {
                return Arrays.copyOfRange(der, at[0], at[0] + len);
            }
            at[0] += len;
        }
        throw new IOException(
                "the EC PRIVATE KEY block names no curve (expected: its parameters, as openssl writes them)");
    }

    private static void expect(byte[] der, int[] at, int tag) throws IOException {
        if (at[0] >= der.length || (der[at[0]++] & 0xff) != tag) {
            throw new IOException("the EC PRIVATE KEY block is not DER as expected");
        }
    }

    /** A DER length at {@code at}, which moves past it. */
    private static int length(byte[] der, int[] at) throws IOException {
        if (at[0] >= der.length) {
            throw new IOException("the EC PRIVATE KEY block ends early");
        }
        int first = der[at[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int bytes = first & 0x7f;
        if (bytes > 3 || at[0] + bytes > der.length) {
            throw new IOException("the EC PRIVATE KEY block is not DER as expected");
        }
        int len = 0;
        for (int i = 0; i < bytes; i++) {
            len = (len << 8) | (der[at[0]++] & 0xff);
        }
        if (at[0] + len > der.length) {
            throw new IOException("the EC PRIVATE KEY block ends early");
        }
        return len;
    }

    private static byte[] sequence(byte[] content) {
        return tagged(0x30, content);
    }

    private static byte[] octets(byte[] content) {
        return tagged(0x04, content);
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
