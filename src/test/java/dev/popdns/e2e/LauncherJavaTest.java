package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which JDK the launcher runs: the one JAVA_HOME names when it is new enough (the operator's
 * choice), else the newest it finds, so that a machine with Java 21 first on PATH and a newer JDK
 * in /usr/lib/jvm gets the recvmmsg UDP path. A fake {@code java} first on PATH claims to be Java
 * 21, notes that it ran, and hands over to the JDK running these tests, which must be a newer one
 * in /usr/lib/jvm (as on the CI machine; elsewhere the test is skipped and says why).
 */
class LauncherJavaTest {
    @Test
    void theNewestJdkRunsUnlessJavaHomeNamesOne(@TempDir Path dir) throws Exception {
        Path testJdk = Path.of(System.getProperty("java.home")).toRealPath();
        Assumptions.assumeTrue(
                Runtime.version().feature() > 21
                        && testJdk.startsWith("/usr/lib/jvm")
                        && Files.isExecutable(testJdk.resolve("bin/javac")),
                "needs the tests' JDK to be newer than 21 and in /usr/lib/jvm (it is " + testJdk + ")");
        Path fakeHome = dir.resolve("jdk21");
        Path bin = Files.createDirectories(fakeHome.resolve("bin"));
        Path marker = dir.resolve("ran");
        Path fake = bin.resolve("java");
        Files.writeString(fake, """
                #!/bin/sh
                for a in "$@"; do
                  if [ "$a" = "-XshowSettings:properties" ]; then echo "    java.specification.version = 21" >&2; exit 0; fi
                done
                echo ran >> "%s"
                exec "%s" "$@"
                """.formatted(marker, testJdk.resolve("bin/java")));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = bin + ":" + System.getenv("PATH");

        String out = check(Map.of("PATH", path), null);
        assertFalse(Files.exists(marker), "without JAVA_HOME a newer JDK runs, not the 21 first on PATH:\n" + out);

        out = check(Map.of("PATH", path), fakeHome.toString());
        assertTrue(
                Files.exists(marker), "JAVA_HOME=" + fakeHome + " (21) runs, though a newer JDK is installed:\n" + out);
    }

    /**
     * The launcher asks the JVM to trim glibc's heap only on a JDK that has the flag as a product
     * flag (21.0.4, 22.0.2, 23 on): an older one refuses to start with it. A fake Java 21 in
     * JAVA_HOME reports each version, notes the flags it was given and hands over to the tests' JDK.
     */
    @Test
    void nativeHeapTrimOnlyWhereTheJdkHasIt(@TempDir Path dir) throws Exception {
        Path testJdk = Path.of(System.getProperty("java.home")).toRealPath();
        Assumptions.assumeTrue(
                Runtime.version().feature() >= 23, "needs the tests' JDK to know the flag (it is " + testJdk + ")");
        Path args = dir.resolve("args");
        for (String version : List.of("21.0.3", "21.0.4", "21.0.10", "22.0.1", "22.0.2", "23", "25.0.3")) {
            Path home = dir.resolve("jdk-" + version);
            Path fake = Files.createDirectories(home.resolve("bin")).resolve("java");
            Files.writeString(
                    fake, """
                    #!/bin/sh
                    for a in "$@"; do
                      if [ "$a" = "-XshowSettings:properties" ]; then
                        echo "    java.specification.version = %s" >&2
                        echo "    java.version = %s" >&2
                        echo "    java.version.date = 2026-10-20" >&2
                        exit 0
                      fi
                    done
                    echo "$@" > "%s"
                    exec "%s" "$@"
                    """.formatted(version.replaceAll("\\..*", ""), version, args, testJdk.resolve("bin/java")));
            Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.deleteIfExists(args);
            String out = check(Map.of(), home.toString());
            boolean expected = !version.equals("21.0.3") && !version.equals("22.0.1");
            assertEquals(
                    expected,
                    List.of(Files.readString(args).trim().split(" ")).contains("-XX:TrimNativeHeapInterval=10000"),
                    "Java " + version + " trims the native heap: " + expected + "\n" + Files.readString(args) + out);
        }
    }

    /** {@code ./popdns check zones} with {@code env} and JAVA_HOME set or removed; returns its output. */
    private static String check(Map<String, String> env, String javaHome) throws Exception {
        JarCommand.Result r = JarCommand.launcher(
                e -> {
                    e.putAll(env);
                    e.remove("JAVA_HOME");
                    if (javaHome != null) {
                        e.put("JAVA_HOME", javaHome);
                    }
                },
                "check",
                JarCommand.root().resolve("zones").toString());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().startsWith("ok: "), r.out());
        return r.out();
    }
}
