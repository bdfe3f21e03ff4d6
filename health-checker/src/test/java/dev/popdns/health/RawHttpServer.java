package dev.popdns.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback server that answers every request with whatever bytes a test writes, for the wire
 * cases nginx will not produce on demand: chunked bodies, trickling responses, garbage.
 */
final class RawHttpServer implements AutoCloseable {
    /** Writes the response; may sleep between writes. */
    @FunctionalInterface
    interface Responder {
        void respond(OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    RawHttpServer(Responder responder) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("raw-http-server").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    sockets.add(socket);
                    Thread.ofVirtual().start(() -> serve(socket, responder));
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    /** The request heads received, as text. */
    List<String> requests() {
        return requests;
    }

    private void serve(Socket socket, Responder responder) {
        try (socket) {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
            }
            requests.add(head.toString(StandardCharsets.ISO_8859_1));
            responder.respond(socket.getOutputStream());
        } catch (IOException | InterruptedException e) {
            // the client went away: fine for a test server
        }
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
