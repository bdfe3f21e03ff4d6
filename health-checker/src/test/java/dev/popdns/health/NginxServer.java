package dev.popdns.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real nginx in the foreground ({@code daemon off}) with its prefix, pid, logs and temp files in
 * a directory of the test's; {@link #close()} stops it.
 */
public final class NginxServer implements AutoCloseable {
    private final ExternalProcess process;

    private NginxServer(ExternalProcess process) {
        this.process = process;
    }

    /**
     * Starts nginx with {@code servers} (the {@code server} blocks of the {@code http} context)
     * and waits until it listens on 127.0.0.1:{@code readyPort}.
     */
    public static NginxServer start(Path dir, String servers, int readyPort) throws IOException {
        Path nginx = Programs.require("nginx", "nginx");
        String d = dir.toAbsolutePath().toString();
        Files.writeString(dir.resolve("nginx.conf"), """
                worker_processes 2;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    default_type text/plain;
                %2$s
                }
                """.formatted(d, servers));
        ExternalProcess process = ExternalProcess.start(
                "nginx",
                dir,
                dir.resolve("nginx.out"),
                List.of(
                        nginx.toString(),
                        "-p",
                        d,
                        "-c",
                        d + "/nginx.conf",
                        "-e",
                        d + "/error.log",
                        "-g",
                        "daemon off;"));
        try {
            process.awaitPort("127.0.0.1", readyPort, Duration.ofSeconds(10));
        } catch (AssertionError e) {
            process.close();
            throw new AssertionError(e.getMessage() + "\nerror.log:\n" + readQuietly(dir.resolve("error.log")), e);
        }
        return new NginxServer(process);
    }

    @Override
    public void close() {
        process.close();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
