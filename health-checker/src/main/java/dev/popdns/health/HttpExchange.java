package dev.popdns.health;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 request and its response over a fresh connection, all within one deadline.
 *
 * <p>Written on plain sockets rather than {@code java.net.http.HttpClient} because a check must
 * connect to an address while sending another name as {@code Host} and as TLS SNI, and verify the
 * certificate for that name; the client allows neither without global switches. Every blocking
 * step (connect, handshake, each read) gets the time left until the deadline as its timeout, so
 * the whole exchange, a trickling response included, ends by the deadline. Single use; the
 * {@link #phase()} names the step that was running when an exception came out.
 */
final class HttpExchange {
    private static final int MAX_LINE = 8 * 1024;
    private static final int MAX_HEADER_LINES = 100;

    /** Status, the one header a message needs ({@code Location}), and the body read so far. */
    record Response(int status, String location, byte[] body, int bodyLength) {}

    /** How the connection is secured: {@code null} for plain HTTP. */
    record Tls(SSLSocketFactory factory, String serverName, String peerHost, boolean verify) {}

    private final long deadlineNanos;
    private String phase = "connect";

    HttpExchange(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** The step in progress: connect, TLS handshake, request, response headers or response body. */
    String phase() {
        return phase;
    }

    Response run(InetSocketAddress address, Tls tls, byte[] request, boolean head, int maxBody) throws IOException {
        Socket raw = new Socket();
        Socket socket = raw;
        try {
            raw.setTcpNoDelay(true);
            raw.connect(address, remainingMillis());
            if (tls != null) {
                phase = "TLS handshake";
                SSLSocket secure = (SSLSocket) tls.factory().createSocket(raw, tls.peerHost(), address.getPort(), true);
                socket = secure;
                SSLParameters parameters = secure.getSSLParameters();
                if (tls.serverName() != null) {
                    parameters.setServerNames(List.of(new SNIHostName(tls.serverName())));
                }
                if (tls.verify()) {
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                }
                secure.setSSLParameters(parameters);
                secure.setSoTimeout(remainingMillis());
                secure.startHandshake();
            }
            phase = "request";
            OutputStream out = socket.getOutputStream();
            socket.setSoTimeout(remainingMillis());
            out.write(request);
            out.flush();
            phase = "response headers";
            InputStream in = new BufferedInputStream(new DeadlineInputStream(socket), 8 * 1024);
            return readResponse(in, head, maxBody);
        } finally {
            socket.close();
            raw.close();
        }
    }

    private Response readResponse(InputStream in, boolean head, int maxBody) throws IOException {
        String statusLine = readLine(in);
        int status = parseStatus(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        String location = null;
        for (int lines = 0; ; lines++) {
            if (lines == MAX_HEADER_LINES) {
                throw new IOException("more than " + MAX_HEADER_LINES + " header lines");
            }
            String line = readLine(in);
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line '" + line + "'");
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = parseLength(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
            } else if (name.equalsIgnoreCase("Location")) {
                location = value;
            }
        }
        phase = "response body";
        Body body = new Body(maxBody);
        // RFC 9112 §6.3: no body after HEAD, 1xx, 204 and 304.
        if (!head && status >= 200 && status != 204 && status != 304) {
            if (chunked) {
                readChunked(in, body);
            } else if (contentLength >= 0) {
                body.readFrom(in, contentLength, true);
            } else {
                body.readFrom(in, Long.MAX_VALUE, false);
            }
        }
        return new Response(status, location, body.bytes, body.length);
    }

    private void readChunked(InputStream in, Body body) throws IOException {
        while (!body.full()) {
            String line = readLine(in);
            int end = line.indexOf(';');
            long size = parseHex(end < 0 ? line.trim() : line.substring(0, end).trim());
            if (size == 0) {
                return;
            }
            if (body.readFrom(in, size, true) < size) {
                return; // the cap cut this chunk short
            }
            if (!readLine(in).isEmpty()) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
    }

    private static int parseStatus(String line) throws IOException {
        // "HTTP/1.1 200 OK": RFC 9112 §4, the reason phrase may be empty.
        if (line.length() >= 12 && line.startsWith("HTTP/1.") && line.charAt(8) == ' ') {
            int status = 0;
            for (int i = 9; i < 12; i++) {
                char c = line.charAt(i);
                if (c < '0' || c > '9') {
                    status = -1;
                    break;
                }
                status = status * 10 + (c - '0');
            }
            if (status >= 100 && (line.length() == 12 || line.charAt(12) == ' ')) {
                return status;
            }
        }
        throw new IOException("malformed status line '" + line + "' (expected: HTTP/1.x NNN reason)");
    }

    private static long parseLength(String value) throws IOException {
        try {
            long length = Long.parseLong(value);
            if (length >= 0) {
                return length;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException("Content-Length '" + value + "' (expected: a non-negative number)");
    }

    private static long parseHex(String value) throws IOException {
        try {
            long size = value.length() <= 15 ? Long.parseLong(value, 16) : -1;
            if (size >= 0) {
                return size;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException("chunk size '" + value + "' (expected: hexadecimal digits)");
    }

    /** Reads a CRLF- (or LF-) terminated line of at most 8 KiB as ISO-8859-1, without the terminator. */
    private static String readLine(InputStream in) throws IOException {
        byte[] line = new byte[128];
        int length = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed after " + length + " bytes of a line");
            }
            if (b == '\n') {
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                return new String(line, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (length == MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE + " bytes");
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[length++] = (byte) b;
        }
    }

    private int remainingMillis() throws SocketTimeoutException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        // Rounded up and at least 1: a socket timeout of 0 would mean "wait forever".
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000));
    }

    /** The body bytes kept, at most the cap; reading stops at the cap. */
    private static final class Body {
        private final int cap;
        private byte[] bytes = new byte[0];
        private int length;

        Body(int cap) {
            this.cap = cap;
        }

        boolean full() {
            return length == cap;
        }

        /**
         * Reads up to {@code count} bytes, fewer when the cap is reached, and returns how many
         * were read; at end of stream, fails when {@code exact}, else returns early.
         */
        long readFrom(InputStream in, long count, boolean exact) throws IOException {
            long read = 0;
            while (read < count && length < cap) {
                if (length == bytes.length) {
                    bytes = Arrays.copyOf(bytes, (int) Math.min(cap, Math.max(1024, bytes.length * 2L)));
                }
                int n = in.read(bytes, length, (int) Math.min(count - read, bytes.length - length));
                if (n < 0) {
                    if (exact) {
                        throw new EOFException("connection closed after " + read + " of " + count + " body bytes");
                    }
                    break;
                }
                length += n;
                read += n;
            }
            return read;
        }
    }

    /** Gives each read of the socket the time left until the deadline as its timeout. */
    private final class DeadlineInputStream extends InputStream {
        private final Socket socket;
        private final InputStream in;

        DeadlineInputStream(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        @Override
        public int read() throws IOException {
            socket.setSoTimeout(remainingMillis());
            return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            socket.setSoTimeout(remainingMillis());
            return in.read(buffer, offset, length);
        }
    }
}
