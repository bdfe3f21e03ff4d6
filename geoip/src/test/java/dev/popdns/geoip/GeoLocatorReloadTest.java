package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing the database file at run time, as geoipupdate does: write beside, then rename. */
class GeoLocatorReloadTest {

    @TempDir
    Path directory;

    private Path database;
    private InetAddress cambridge;

    @BeforeEach
    void installCity() throws IOException {
        database = directory.resolve("GeoLite2-City.mmdb");
        Files.copy(GeoLiteDatabases.city(), database);
        cambridge = InetAddress.getByName("131.111.1.1");
    }

    /** Installs {@code source} as the database the way geoipupdate does: copy, then rename. */
    private void replaceWith(Path source) throws IOException {
        Path staged = directory.resolve("staged.mmdb");
        Files.copy(source, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, database, StandardCopyOption.ATOMIC_MOVE);
    }

    private void replaceWith(byte[] content) throws IOException {
        Path staged = directory.resolve("staged.mmdb");
        Files.write(staged, content);
        Files.move(staged, database, StandardCopyOption.ATOMIC_MOVE);
    }

    private GeoLocator openLocator() throws IOException {
        return GeoLocator.open(GeoLocatorConfig.withDefaults(database));
    }

    @Test
    void replacementByRenameIsSwappedIn() throws IOException {
        try (GeoLocator locator = openLocator()) {
            assertTrue(locator.locate(cambridge).hasCoordinates());
            assertEquals(ReloadResult.UNCHANGED, locator.reloadIfChanged());

            replaceWith(GeoLiteDatabases.country());

            assertEquals(ReloadResult.RELOADED, locator.reloadIfChanged());
            assertEquals("GeoLite2-Country", locator.database().type());
            Location location = locator.locate(cambridge);
            assertEquals("GB", location.countryCode());
            assertFalse(location.hasCoordinates());
            assertEquals(ReloadResult.UNCHANGED, locator.reloadIfChanged());
            assertEquals(1, locator.stats().reloads());
        }
    }

    @Test
    void identicalCopyWithTheSameTimeStampIsSeenByItsInode() throws IOException {
        try (GeoLocator locator = openLocator()) {
            Path staged = directory.resolve("staged.mmdb");
            Files.copy(database, staged, StandardCopyOption.COPY_ATTRIBUTES);
            Files.move(staged, database, StandardCopyOption.ATOMIC_MOVE);

            assertEquals(ReloadResult.RELOADED, locator.reloadIfChanged());
        }
    }

    @Test
    void truncatedReplacementIsRejectedAndTheOldDatabaseKeepsAnswering() throws IOException {
        try (GeoLocator locator = openLocator()) {
            Location before = locator.locate(cambridge);

            replaceWith(Arrays.copyOf(Files.readAllBytes(GeoLiteDatabases.city()), 1 << 20));

            assertEquals(ReloadResult.REJECTED, locator.reloadIfChanged());
            assertEquals(ReloadResult.UNCHANGED, locator.reloadIfChanged(), "not retried until changed");
            assertEquals("GeoLite2-City", locator.database().type());
            assertEquals(before, locator.locate(cambridge));
            assertEquals(before, locator.locate(InetAddress.getByName("131.111.7.7")));
            assertEquals(1, locator.stats().rejectedReloads());

            replaceWith(GeoLiteDatabases.country());

            assertEquals(ReloadResult.RELOADED, locator.reloadIfChanged());
            assertEquals("GeoLite2-Country", locator.database().type());
        }
    }

    @Test
    void replacementWithACorruptSearchTreeFailsTheTestLookupAndIsRejected() throws IOException {
        try (GeoLocator locator = openLocator()) {
            byte[] corrupt = Files.readAllBytes(GeoLiteDatabases.city());
            // The tree starts at offset 0: node pointers of all ones point past the end of the file.
            Arrays.fill(corrupt, 0, 7 * 1024, (byte) 0xFF);
            replaceWith(corrupt);

            assertEquals(ReloadResult.REJECTED, locator.reloadIfChanged());
            assertEquals("GB", locator.locate(cambridge).countryCode());
            assertEquals(0, locator.stats().lookupErrors());
        }
    }

    @Test
    void removedFileIsReportedOnceAndTheOldDatabaseKeepsAnswering() throws IOException {
        try (GeoLocator locator = openLocator()) {
            Files.delete(database);

            assertEquals(ReloadResult.REJECTED, locator.reloadIfChanged());
            assertEquals(ReloadResult.UNCHANGED, locator.reloadIfChanged());
            assertEquals("GB", locator.locate(cambridge).countryCode());

            replaceWith(GeoLiteDatabases.city());

            assertEquals(ReloadResult.RELOADED, locator.reloadIfChanged());
        }
    }

    @Test
    void lookupsDuringReloadsAlwaysAnswer() throws Exception {
        try (GeoLocator locator = openLocator()) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong unanswered = new AtomicLong();
            Thread[] readers = new Thread[2];
            for (int i = 0; i < readers.length; i++) {
                InetAddress[] addresses = {
                    cambridge, InetAddress.getByName("2001:638::" + i), InetAddress.getByName("10.0.0." + i)
                };
                readers[i] = Thread.ofPlatform().start(() -> {
                    while (!done.get()) {
                        if (locator.locate(addresses[0]) == null
                                || locator.locate(addresses[1]) == null
                                || locator.locate(addresses[2]) != null) {
                            unanswered.incrementAndGet();
                        }
                    }
                });
            }
            for (int swap = 0; swap < 10; swap++) {
                replaceWith(swap % 2 == 0 ? GeoLiteDatabases.country() : GeoLiteDatabases.city());
                assertEquals(ReloadResult.RELOADED, locator.reloadIfChanged());
            }
            done.set(true);
            for (Thread reader : readers) {
                reader.join();
            }

            assertEquals(0, unanswered.get());
            assertEquals(0, locator.stats().lookupErrors());
            assertEquals(10, locator.stats().reloads());
        }
    }

    @Test
    void watcherSwapsInAReplacement() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (GeoLocator locator =
                GeoLocator.open(new GeoLocatorConfig(database, GeoLocatorConfig.MIN_RELOAD_INTERVAL))) {
            locator.startWatching(scheduler);
            assertThrows(IllegalStateException.class, () -> locator.startWatching(scheduler));

            replaceWith(GeoLiteDatabases.country());

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (locator.stats().reloads() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1, locator.stats().reloads(), "reloaded within 10 s at a 1 s interval");
            assertFalse(locator.locate(cambridge).hasCoordinates());
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void closedLocatorNeitherWatchesNorReloads() throws IOException {
        GeoLocator locator = openLocator();
        locator.close();
        locator.close();
        replaceWith(GeoLiteDatabases.country());

        assertEquals(ReloadResult.UNCHANGED, locator.reloadIfChanged());
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            assertThrows(IllegalStateException.class, () -> locator.startWatching(scheduler));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void missingFileAtStartNamesThePath() {
        Path missing = directory.resolve("absent.mmdb");

        IOException e = assertThrows(IOException.class, () -> GeoLocator.open(GeoLocatorConfig.withDefaults(missing)));

        assertEquals(
                "GeoIP database " + missing + ": file not found"
                        + " (expected: a MaxMind GeoIP2/GeoLite2 City or Country .mmdb file)",
                e.getMessage());
    }

    @Test
    void corruptFileAtStartNamesThePath() throws IOException {
        Path corrupt = directory.resolve("corrupt.mmdb");
        Files.write(corrupt, "not a MaxMind DB".getBytes(StandardCharsets.US_ASCII));

        IOException e = assertThrows(IOException.class, () -> GeoLocator.open(GeoLocatorConfig.withDefaults(corrupt)));

        assertTrue(
                e.getMessage().startsWith("GeoIP database " + corrupt + ": not a readable MaxMind DB"), e.getMessage());
    }

    @Test
    void lookupOnADamagedMappingAnswersNoLocationAndCountsTheError() throws IOException {
        try (GeoLocator locator = openLocator()) {
            // Writing into the mapped file instead of replacing it, which the README warns against.
            byte[] garbage = new byte[7 * 1024];
            Arrays.fill(garbage, (byte) 0xFF);
            try (RandomAccessFile file = new RandomAccessFile(database.toFile(), "rw")) {
                file.write(garbage);
            }

            assertNull(locator.locate(InetAddress.getByName("2001:4860:4860::8888")));
            assertEquals(1, locator.stats().lookupErrors());
        }
    }
}
