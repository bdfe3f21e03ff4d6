package dev.popdns.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin bearer token, read from its file and read again whenever the file changes (its
 * modification time, size or identity), so a token is rotated by rewriting the file, without a
 * restart. Only a SHA-256 digest is kept; a presented token is compared with it in constant time.
 * A file that becomes unreadable or too short disables admin calls until it is fixed: the old
 * token is not kept, since a rotation usually means the old one must stop working.
 *
 * <p>Threads: used on the HTTP event loop only (one {@code stat} per admin call; admin calls are rare).
 */
public final class AdminToken {
    private static final Logger LOG = LoggerFactory.getLogger(AdminToken.class);
    /** Shortest token accepted. */
    public static final int MIN_LENGTH = 16;

    private final Path file;
    private byte[] digest;
    private FileTime modified;
    private long size = -1;
    private Object key;

    /** What a presented token amounts to. */
    public enum Check {
        /** The token matches. */
        VALID,
        /** Missing or not the token. */
        WRONG,
        /** The token file cannot be read or holds no valid token now. */
        UNAVAILABLE
    }

    private AdminToken(Path file) {
        this.file = file;
    }

    /**
     * Reads the token file.
     *
     * @throws IOException when it cannot be read or holds fewer than {@value #MIN_LENGTH} characters
     */
    public static AdminToken load(Path file) throws IOException {
        AdminToken token = new AdminToken(file);
        String problem = token.reload();
        if (problem != null) {
            throw new IOException(problem);
        }
        return token;
    }

    /** Checks {@code presented} against the current token, reading the file again if it changed. */
    public Check check(String presented) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (!a.lastModifiedTime().equals(modified) || a.size() != size || !Objects.equals(a.fileKey(), key)) {
                String problem = reload();
                if (problem == null) {
                    LOG.info("http: {} changed: admin token read again", file);
                } else {
                    LOG.warn("http: {} changed: {}; admin calls refused until it is fixed", file, problem);
                }
            }
        } catch (IOException e) {
            if (digest != null) {
                LOG.warn("http: {}: {}; admin calls refused until it is readable", file, e.toString());
            }
            digest = null;
            modified = null;
        }
        if (digest == null) {
            return Check.UNAVAILABLE;
        }
        if (presented == null) {
            return Check.WRONG;
        }
        return MessageDigest.isEqual(digest, sha256(presented)) ? Check.VALID : Check.WRONG;
    }

    /** Reads the file; returns null when it holds a valid token, else the problem (and no token is valid). */
    private String reload() {
        digest = null;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            String token = Files.readString(file).strip();
            modified = a.lastModifiedTime();
            size = a.size();
            key = a.fileKey();
            if (token.length() < MIN_LENGTH) {
                return file + ": admin token of " + token.length() + " characters (expected: at least " + MIN_LENGTH
                        + ")";
            }
            digest = sha256(token);
            return null;
        } catch (IOException e) {
            modified = null;
            return file + ": cannot read: " + e;
        }
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
