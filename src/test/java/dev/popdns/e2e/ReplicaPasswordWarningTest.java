package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code popdns check} on the repository's zones: the bundled replica check verifies the server
 * (sslmode verify-full) and passes quietly; without sslmode it sends its password to every PoP's
 * address with pgjdbc's default (prefer), which authenticates no server, so each PoP gets a
 * warning; {@code sslmode: verify-full} or a loopback probe address silences it; a
 * misspelt sslmode is an error at its line.
 */
class ReplicaPasswordWarningTest {
    /** The bundled check, which verifies the replica. */
    private static final String VERIFIED =
            "  replica: { postgres-replica: \"//{address}:5432/mastodon_production\", user: popdns,\n"
                    + "             password-file: /run/credentials/popdns.service/popdns-pg, max-lag: 30s,\n"
                    + "             sslmode: verify-full, sslrootcert: /etc/popdns/pg-ca.pem }\n";
    /** The same without sslmode and sslrootcert: pgjdbc's default, prefer. */
    private static final String REPLICA =
            "  replica: { postgres-replica: \"//{address}:5432/mastodon_production\", user: popdns,\n"
                    + "             password-file: /run/credentials/popdns.service/popdns-pg, max-lag: 30s }\n";

    @Test
    void aPasswordToAnUnverifiedServerIsWarnedAbout(@TempDir Path dir) throws Exception {
        Path root = Path.of("../..");
        Files.copy(root.resolve("zones/hachyderm.io.zone"), dir.resolve("hachyderm.io.zone"));
        String bundled = Files.readString(root.resolve("zones/pops.yaml"));
        assertTrue(bundled.contains(VERIFIED), "the replica check of zones/pops.yaml changed:\n" + bundled);
        Files.writeString(dir.resolve("pops.yaml"), bundled);
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().contains("warning"), r.out());

        String pops = bundled.replace(VERIFIED, REPLICA);
        Files.writeString(dir.resolve("pops.yaml"), pops);
        r = JarCommand.run("check", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> warnings =
                r.out().lines().filter(l -> l.startsWith("warning: ")).toList();
        assertEquals(5, warnings.size(), r.out());
        assertEquals(
                "warning: " + dir.resolve("pops.yaml") + ": check replica of PoP eu-west sends its password to"
                        + " 192.0.2.4 with sslmode prefer (the default), which does not authenticate the server"
                        + " (expected: sslmode: verify-full with sslrootcert: CA-FILE, or a loopback address)",
                warnings.get(1));

        Files.writeString(
                dir.resolve("pops.yaml"),
                pops.replace(REPLICA, REPLICA.replace("max-lag: 30s }", "max-lag: 30s, sslmode: require }"))
                        .replace(
                                "    addresses: [192.0.2.4, \"2001:db8::4\"]\n",
                                "    addresses: [192.0.2.4, \"2001:db8::4\"]\n    probe-address: 127.0.0.1\n"));
        r = JarCommand.run("check", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(4, r.out().lines().filter(l -> l.startsWith("warning: ")).count(), r.out());
        assertTrue(r.out().contains("with sslmode require, which does not"), r.out());
        assertTrue(!r.out().contains("PoP eu-west"), r.out());

        Files.writeString(
                dir.resolve("pops.yaml"),
                pops.replace(
                        REPLICA,
                        REPLICA.replace(
                                "max-lag: 30s }",
                                "max-lag: 30s,\n             sslmode: verify-full, sslrootcert: /etc/popdns/pg-ca.pem }")));
        r = JarCommand.run("check", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(0, r.out().lines().filter(l -> l.startsWith("warning: ")).count(), r.out());

        Files.writeString(
                dir.resolve("pops.yaml"),
                pops.replace(
                        REPLICA, REPLICA.replace("max-lag: 30s }", "max-lag: 30s,\n             sslmode: verify }")));
        r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(
                r.err()
                        .contains("pops.yaml:27: checks.replica: sslmode: 'verify' (expected one of disable, allow,"
                                + " prefer, require, verify-ca, verify-full)"),
                r.err());
    }
}
