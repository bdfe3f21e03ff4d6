package dev.popdns.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipal;

/**
 * A temporary directory under /tmp that {@link #close()} deletes with everything in it. Unlike
 * JUnit's, it can be handed to another user (PostgreSQL refuses to run as root).
 */
final class TempDir implements AutoCloseable {
    private final Path path;

    TempDir(String prefix) {
        try {
            path = Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path path() {
        return path;
    }

    Path resolve(String name) {
        return path.resolve(name);
    }

    /** Makes {@code user} the owner of the directory and of everything in it. */
    void chown(String user) throws IOException {
        UserPrincipal owner =
                path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
        try (var all = Files.walk(path)) {
            for (Path each : (Iterable<Path>) all::iterator) {
                Files.setOwner(each, owner);
            }
        }
    }

    @Override
    public void close() {
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
