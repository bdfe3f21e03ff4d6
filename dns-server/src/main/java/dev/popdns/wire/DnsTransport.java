package dev.popdns.wire;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DNS sockets: per listen address, {@code threads} UDP sockets bound with SO_REUSEPORT, each
 * read by a thread of its own ({@link UdpListener}: recvmmsg on Java 22+ and Linux, the JDK's
 * sockets elsewhere), and one TCP listener on Netty's event loops
 * ({@code threads} of them, shared by the addresses). TCP uses the native epoll transport on
 * Linux, NIO elsewhere.
 */
public final class DnsTransport implements AutoCloseable {
    /** Socket buffer size asked for; Linux doubles the value for its bookkeeping when it grants it. */
    public static final int SOCKET_BUFFER = 4 << 20;

    private final EventLoopGroup group;
    private final int threads;
    private final boolean epoll;
    private final List<Channel> channels = new ArrayList<>();
    private final UdpListener.Factory udp = UdpListener.best();
    private final List<UdpListener> udpListeners = new ArrayList<>();
    private final AtomicInteger tcpConnections = new AtomicInteger();

    /** Largest TCP query message: queries are small; UPDATE and transfers are refused anyway. */
    public static final int MAX_TCP_QUERY = 4096;
    /**
     * Outbound bytes queued on one TCP connection above which it stops reading, and below which it
     * reads again (Netty's write-buffer water marks; its defaults, written out).
     */
    static final int WRITE_HIGH_WATER = 64 * 1024;

    static final int WRITE_LOW_WATER = 32 * 1024;
    /** Bytes taken from a TCP socket per read. */
    static final int TCP_READ = 4096;
    /**
     * Buffers for reads and answers: Netty's pooled allocator with its per-thread caches. Netty 4.2
     * defaults to its adaptive allocator, which under our small heap (-Xmx128m: its low-memory mode,
     * no per-thread magazines) cost about 1.35 µs more CPU per query at 20k qps (20.42 against 19.07, BENCHMARKS.md).
     */
    static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;
    /**
     * {@code IPV6_V6ONLY} ({@code IPPROTO_IPV6} 41, option 26 in Linux's in6.h), which Netty names
     * for no transport; set on the IPv6 sockets.
     */
    private static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

    /**
     * Settings of the TCP side (RFC 7766 §6.2).
     *
     * @param idleTimeoutSeconds       a connection with no byte read and no answer written for this
     *                                 long is closed; a message must arrive whole within it too
     * @param maxConnections           connections open at once, over all clients
     * @param maxConnectionsPerClient  connections open at once from one address (/32, /128)
     * @param maxInFlight              answers waiting to be written before the connection stops reading
     */
    public record TcpSettings(
            int idleTimeoutSeconds, int maxConnections, int maxConnectionsPerClient, int maxInFlight) {}

    public DnsTransport(int threads) {
        this.epoll = Epoll.isAvailable();
        this.threads = threads;
        this.group = new MultiThreadIoEventLoopGroup(
                threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    public boolean nativeTransport() {
        return epoll;
    }

    /** How UDP datagrams are read and written, for the start-up log. */
    public String udpPath() {
        return udp.describe();
    }

    /**
     * Binds UDP and TCP on {@code address}; throws when any socket cannot be bound. Returns the
     * receive buffer the kernel granted the UDP sockets, in bytes (it caps the request at
     * {@code net.core.rmem_max}; a small buffer drops datagrams in bursts).
     */
    public int bind(InetSocketAddress address, QueryHandler queries, TcpSettings tcp)
            throws IOException, InterruptedException {
        // Each address gets sockets of its own family, UDP and TCP alike: an IPv4 address an
        // AF_INET socket (an IPv6 one answering IPv4-mapped clients takes the longer IPv6 send
        // path, and Netty turns 0.0.0.0 on it into [::]), an IPv6 address an IPv6-only TCP
        // listener and IPv6-only UDP sockets (dual-stack ones that drop IPv4 clients on the JDK's
        // path), so that "0.0.0.0:53" and "[::]:53" are bound side by side, as NSD and Knot do.
        boolean v4 = address.getAddress() instanceof Inet4Address;
        SocketProtocolFamily family = v4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        UdpListener listener = udp.open(address, threads, SOCKET_BUFFER, queries, ALLOCATOR);
        udpListeners.add(listener);
        ConnectionLimit limit =
                new ConnectionLimit(tcpConnections, tcp.maxConnections(), tcp.maxConnectionsPerClient());
        long messageTimeout = TimeUnit.SECONDS.toNanos(tcp.idleTimeoutSeconds());
        ServerBootstrap sb = new ServerBootstrap().group(group);
        if (epoll) {
            sb.channelFactory(() -> new EpollServerSocketChannel(family));
            if (!v4) {
                sb.option(IPV6_V6ONLY, 1);
            }
        } else {
            sb.channel(NioServerSocketChannel.class);
        }
        sb.option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.ALLOCATOR, ALLOCATOR)
                .childOption(ChannelOption.ALLOCATOR, ALLOCATOR)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // TcpHandler asks for each message itself: reading follows writing (backpressure)
                .childOption(ChannelOption.AUTO_READ, false)
                // one read takes at most this much (about 100 queries): a client that pipelines
                // thousands holds its event loop for one read at a time, not for all of them
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(TCP_READ))
                .childOption(
                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(WRITE_LOW_WATER, WRITE_HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(limit)
                                // all-idle: neither a read nor a completed write; a client that
                                // reads nothing while we have answers for it goes quiet too
                                .addLast(new IdleStateHandler(0, 0, tcp.idleTimeoutSeconds(), TimeUnit.SECONDS))
                                .addLast(new TcpFrameDecoder(MAX_TCP_QUERY, messageTimeout))
                                .addLast(new FlowControlHandler())
                                .addLast(new TcpHandler(queries, tcp.maxInFlight(), messageTimeout));
                    }
                });
        channels.add(sb.bind(address).sync().channel());
        return listener.receiveBuffer();
    }

    /** TCP connections open now. */
    public int tcpConnections() {
        return tcpConnections.get();
    }

    @Override
    public void close() {
        for (UdpListener udp : udpListeners) {
            udp.close();
        }
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Closes connections beyond the global limit, or beyond the limit per client address, as soon
     * as they are accepted. Shared by the connections of one listener; accepts run on every event
     * loop, so the counts are atomic.
     */
    @ChannelHandler.Sharable
    private static final class ConnectionLimit extends ChannelInboundHandlerAdapter {
        private final AtomicInteger open;
        private final int max;
        private final int maxPerClient;
        private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

        ConnectionLimit(AtomicInteger open, int max, int maxPerClient) {
            this.open = open;
            this.max = max;
            this.maxPerClient = maxPerClient;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            int total = open.incrementAndGet();
            int fromClient = perClient.merge(client(ctx), 1, Integer::sum);
            if (total > max || fromClient > maxPerClient) {
                ctx.close();
                return;
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            perClient.computeIfPresent(client(ctx), (a, n) -> n == 1 ? null : n - 1);
            ctx.fireChannelInactive();
        }

        private static InetAddress client(ChannelHandlerContext ctx) {
            return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        }
    }
}
