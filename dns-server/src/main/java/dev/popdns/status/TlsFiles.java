package dev.popdns.status;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
     * Loads the certificate chain and the private key (PEM; the key in PKCS#8).
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
        try {
            return SslContextBuilder.forServer(cert.toFile(), key.toFile()).build();
        } catch (IOException | RuntimeException e) {
            throw new IOException(
                    "http-tls: cannot use " + cert + " and " + key + " (expected: a PEM certificate"
                            + " chain and its PKCS#8 PEM private key): " + e.getMessage(),
                    e);
        }
    }
}
