package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of one listen address on the JDK's sockets, used where the system-call path
 * ({@code NativeUdpListener}) is not: on Java 21, off Linux, or when asked for with
 * {@code -Dpopdns.udp=jdk}. {@code threads} sockets bound with SO_REUSEPORT (the kernel spreads
 * datagrams over them), each served by a platform thread of its own that blocks in receive. A query
 * costs two system calls, one recvfrom and one sendto, and the thread sleeps in the first one; no
 * selector, no task queue, no wake-up without a datagram.
 *
 * <p>Written on the JDK's blocking {@link DatagramChannel} rather than Netty's epoll datagram
 * channel, which the server used before: at a steady rate (one datagram per wake-up, how a
 * nameserver lives) Netty's event loop spent 1.7 µs more user time per query (an epoll_wait, a
 * recvmmsg marshalled through JNI, a 128 KiB read buffer from the pool arena, the pipeline, a
 * sendmmsg; 19.4 against 17.1 µs of CPU per query at 20k qps with ECS, BENCHMARKS.md "UDP without
 * Netty"). At full speed Netty's batching (up to 32 datagrams per system call) saves system calls
 * this path makes one by one; there the two measured within this machine's noise of each other.
 *
 * <p>The JDK opens IPv6 sockets dual-stack and cannot make them IPv6-only: a datagram from an
 * IPv4 client on an IPv6 address's socket (which Linux delivers only when no IPv4 socket is bound
 * to the port, as for {@code [::]:53} alone) is dropped, so an IPv6 address answers IPv6 clients
 * only, as its IPV6_V6ONLY TCP listener does. Nor can the JDK tell a wildcard socket's
 * destination address: on {@code 0.0.0.0} an answer leaves from the route's preferred source,
 * which on a host with several addresses is not always the one a query was sent to.
 */
final class JdkUdpListener implements UdpListener {
    private static final Logger LOG = LoggerFactory.getLogger(JdkUdpListener.class);

    private final List<DatagramChannel> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int receiveBuffer;

    /**
     * Binds {@code count} sockets to {@code address} (one when the platform has no SO_REUSEPORT)
     * and starts a thread on each; closes what it opened when any bind fails.
     *
     * @param bufferSize SO_RCVBUF and SO_SNDBUF asked for
     */
    JdkUdpListener(InetSocketAddress address, int count, int bufferSize, QueryHandler queries, ByteBufAllocator alloc)
            throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        int granted = Integer.MAX_VALUE;
        try {
            for (int i = 0; i < count; i++) {
                DatagramChannel socket =
                        DatagramChannel.open(v4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
                sockets.add(socket);
                boolean reusePort = socket.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
                if (reusePort) {
                    socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                socket.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize);
                socket.setOption(StandardSocketOptions.SO_SNDBUF, bufferSize);
                socket.bind(address);
                granted = Math.min(granted, socket.getOption(StandardSocketOptions.SO_RCVBUF));
                if (!reusePort) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        this.receiveBuffer = granted;
        for (int i = 0; i < sockets.size(); i++) {
            DatagramChannel socket = sockets.get(i);
            threads.add(UdpListener.start(new Serve(socket, queries, alloc, !v4), address, i));
        }
    }

    @Override
    public int receiveBuffer() {
        return receiveBuffer;
    }

    /** Closes the sockets, which ends the threads' receives, and waits for the threads briefly. */
    @Override
    public void close() {
        for (DatagramChannel socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("udp: closing a socket: {}", e.toString());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One socket's loop: receive a datagram, answer it, send the answer to where it came from. */
    private record Serve(DatagramChannel socket, QueryHandler queries, ByteBufAllocator alloc, boolean v6)
            implements Runnable {
        @Override
        public void run() {
            ByteBuffer in = ByteBuffer.allocateDirect(MAX_QUERY);
            ByteBuf query = Unpooled.wrappedBuffer(in);
            while (true) {
                InetSocketAddress sender;
                try {
                    in.clear();
                    sender = (InetSocketAddress) socket.receive(in);
                } catch (ClosedChannelException e) {
                    return; // closed: the server stops
                } catch (IOException e) {
                    if (!socket.isOpen()) {
                        return;
                    }
                    LOG.debug("udp: receive: {}", e.toString());
                    continue;
                }
                if (v6 && sender.getAddress() instanceof Inet4Address) {
                    continue; // an IPv4 client on a dual-stack socket: see the class comment
                }
                query.setIndex(0, in.position());
                ByteBuf answer = queries.handle(query, alloc, false, sender.getAddress());
                if (answer != null) {
                    send(answer, sender);
                }
            }
        }

        private void send(ByteBuf answer, InetSocketAddress to) {
            try {
                socket.send(answer.internalNioBuffer(answer.readerIndex(), answer.readableBytes()), to);
            } catch (IOException e) {
                // one client's failure (a full buffer, a refused address) must not stop the socket
                LOG.debug("udp: send to {}: {}", to, e.toString());
            } finally {
                answer.release();
            }
        }
    }
}
