package dev.popdns.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A test CA and a server certificate it signed for one DNS name, made with the openssl CLI. */
record Certificates(Path caFile, Path certificate, Path key) {
    static Certificates generate(Path dir, String dnsName) throws IOException {
        return generate(dir, dnsName, "DNS:" + dnsName);
    }

    /**
     * A CA and a server certificate with common name {@code name} and {@code subjectAltName}
     * (openssl's syntax, e.g. {@code IP:127.0.0.1}).
     */
    static Certificates generate(Path dir, String name, String subjectAltName) throws IOException {
        String dnsName = name;
        String openssl = Programs.require("openssl", "openssl").toString();
        Duration timeout = Duration.ofSeconds(30);
        Programs.run(
                dir,
                timeout,
                List.of(
                        openssl,
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        "ca.key",
                        "-out",
                        "ca.pem",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=popdns test CA",
                        "-addext",
                        "basicConstraints=critical,CA:TRUE",
                        "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign"));
        Programs.run(
                dir,
                timeout,
                List.of(
                        openssl,
                        "req",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        "server.key",
                        "-out",
                        "server.csr",
                        "-subj",
                        "/CN=" + dnsName));
        Files.writeString(
                dir.resolve("server.ext"),
                "subjectAltName=" + subjectAltName + "\n"
                        + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
        Programs.run(
                dir,
                timeout,
                List.of(
                        openssl,
                        "x509",
                        "-req",
                        "-in",
                        "server.csr",
                        "-CA",
                        "ca.pem",
                        "-CAkey",
                        "ca.key",
                        "-CAcreateserial",
                        "-out",
                        "server.pem",
                        "-days",
                        "2",
                        "-extfile",
                        "server.ext"));
        return new Certificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"));
    }
}
