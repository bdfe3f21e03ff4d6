package dev.popdns.status;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS context of the HTTP listeners ({@code http-tls: { cert, key }}), reloaded when the files
 * change: on a new connection, at most once per {@link #CHECK_EVERY}, the files' modification
 * times are compared and, when either changed, a new context is built and used for the
 * connections from then on (open connections keep theirs). A replacement that does not load
 * (a half-written file, a key that does not match) is logged and the old context keeps serving,
 * until the files change again. Thread-safe; the check runs on the HTTP event loop and costs two
 * {@code stat} calls.
 */
public final class TlsFiles {
    private static final Logger LOG = LoggerFactory.getLogger(TlsFiles.class);
    static final Duration CHECK_EVERY = Duration.ofSeconds(2);

    private final Path cert;
    private final Path key;
    private final Clock clock;
    private volatile SslContext context;
    private FileTime certTime;
    private FileTime keyTime;
    private Instant nextCheck;

    /**
     * Loads the certificate chain and the private key (PEM; the key unencrypted, in PKCS#8, PKCS#1
     * RSA or SEC1 EC form: {@link PemKey}).
     *
     * @throws IOException naming the file and the problem when they cannot be used
     */
    public TlsFiles(Path cert, Path key, Clock clock) throws IOException {
        this.cert = cert;
        this.key = key;
        this.clock = clock;
        this.certTime = Files.getLastModifiedTime(cert);
        this.keyTime = Files.getLastModifiedTime(key);
        this.context = build();
        this.nextCheck = clock.instant().plus(CHECK_EVERY);
    }

    /** The context for a new connection, reloaded first when the files changed. */
    public synchronized SslContext current() {
        Instant now = clock.instant();
        if (now.isBefore(nextCheck)) {
            return context;
        }
        nextCheck = now.plus(CHECK_EVERY);
        try {
            FileTime c = Files.getLastModifiedTime(cert);
            FileTime k = Files.getLastModifiedTime(key);
            if (!c.equals(certTime) || !k.equals(keyTime)) {
                certTime = c;
                keyTime = k;
                context = build();
                LOG.info("http-tls: reloaded {} and {}", cert, key);
            }
        } catch (IOException e) {
            LOG.warn("http-tls: keeping the current certificate: {}", e.getMessage());
        }
        return context;
    }

    private SslContext build() throws IOException {
        PrivateKey privateKey;
        try {
            privateKey = PemKey.parse(Files.readString(key, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new IOException("http-tls: cannot use the key " + key + ": " + e.getMessage(), e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(cert)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IOException("http-tls: cannot use the certificate " + cert + ": " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IOException("http-tls: no certificate in " + cert + " (expected: a PEM certificate chain)");
        }
        try {
            return SslContextBuilder.forServer(privateKey, chain.toArray(new X509Certificate[0]))
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("http-tls: cannot use " + cert + " and " + key + ": " + e.getMessage(), e);
        }
    }
}
