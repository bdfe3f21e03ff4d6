package dev.popdns.status;

import dev.popdns.config.AddressLiteral;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side (status page, JSON API, metrics, admin calls) on its own event loop thread, apart
 * from the DNS loops, so a slow or hostile HTTP client cannot delay answers. Requests are limited
 * in size (16 KiB body, 4 KiB line, 8 KiB headers) and in time (a whole request, headers and
 * body, within the deadline of its connection's start or of the previous response; an idle
 * keep-alive connection is closed by the same rule); connections are limited in number. A request
 * whose {@code Host:} is not one of ours gets 421 before any handler sees it: a browser page of
 * another site whose name an attacker points at this address (DNS rebinding) cannot read the API.
 * What to answer is the {@link Handler}'s business.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final int MAX_REQUEST = 16 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private Channel channel;

    /**
     * Limits of the HTTP side.
     *
     * @param maxConnections  connections open at once; more are closed at accept
     * @param requestDeadline time for a whole request, from the connection's start or the previous response
     * @param hosts           names a {@code Host:} header may carry besides the address the connection
     *                        arrived on (lower case, no port)
     */
    public record Settings(int maxConnections, Duration requestDeadline, Set<String> hosts) {
        public static final int DEFAULT_MAX_CONNECTIONS = 256;
        public static final Duration DEFAULT_REQUEST_DEADLINE = Duration.ofSeconds(10);

        public Settings {
            Set<String> lower = new HashSet<>();
            for (String h : hosts) {
                lower.add(h.toLowerCase(Locale.ROOT));
            }
            hosts = Set.copyOf(lower);
        }
    }

    /**
     * One request.
     *
     * @param authorization the Authorization header, or null
     * @param remote        the client's address
     */
    public record Request(
            String method,
            String path,
            Map<String, List<String>> params,
            String body,
            String authorization,
            InetAddress remote) {
        /** The first value of query parameter {@code name}, or null. */
        public String param(String name) {
            List<String> values = params.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** A response; {@code headers} are extra headers such as {@code Allow}. */
    public record Response(int status, String contentType, String body, Map<String, String> headers) {
        public static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body, Map.of());
        }

        public static Response text(int status, String body) {
            return of(status, "text/plain; charset=utf-8", body);
        }
    }

    /** Answers requests; runs on the HTTP event loop, so it must not block for long. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request);
    }

    /** Serves {@code handler} on {@code address} within {@code settings}; HTTPS with {@code tls} when it is not null. */
    public void start(InetSocketAddress address, Settings settings, Handler handler, TlsFiles tls)
            throws InterruptedException {
        ConnectionLimit limit = new ConnectionLimit(settings.maxConnections());
        long deadline = settings.requestDeadline().toNanos();
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // the DNS channels' allocator (wire.DnsTransport), not Netty 4.2's adaptive default:
                // one buffer pool in the process
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(limit);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.current().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST))
                                .addLast(new RequestDeadline(deadline))
                                .addLast(new Dispatcher(handler, settings.hosts()));
                    }
                });
        channel = b.bind(address).sync().channel();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Closes connections beyond the limit as soon as they are accepted (one event loop: no atomics needed, but cheap). */
    @ChannelHandler.Sharable
    private static final class ConnectionLimit extends ChannelInboundHandlerAdapter {
        private final AtomicInteger open = new AtomicInteger();
        private final int max;

        ConnectionLimit(int max) {
            this.max = max;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (open.incrementAndGet() > max) {
                ctx.close();
                return;
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            ctx.fireChannelInactive();
        }
    }

    /**
     * Closes a connection on which no whole request arrived within the deadline, counted from the
     * connection's start and again from the end of each response (a slow client, a stalled body, an
     * idle keep-alive connection). Sits after the aggregator, so it sees whole requests only.
     */
    private static final class RequestDeadline extends ChannelDuplexHandler {
        private final long nanos;
        private ScheduledFuture<?> timer;

        RequestDeadline(long nanos) {
            this.nanos = nanos;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            arm(ctx);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            cancel();
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof LastHttpContent) {
                ChannelPromise done = promise.unvoid();
                done.addListener(f -> arm(ctx));
                ctx.write(msg, done);
            } else {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        private void arm(ChannelHandlerContext ctx) {
            if (timer == null && ctx.channel().isActive()) {
                timer = ctx.executor().schedule(() -> ctx.close(), nanos, TimeUnit.NANOSECONDS);
            }
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }

    private static final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Handler handler;
        private final Set<String> hosts;

        Dispatcher(Handler handler, Set<String> hosts) {
            this.handler = handler;
            this.hosts = hosts;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Response response;
            String host = request.headers().get(HttpHeaderNames.HOST);
            if (!request.decoderResult().isSuccess()) {
                response = Response.text(400, "bad request\n");
            } else if (host == null && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                response = Response.text(400, "Host: missing (required by HTTP/1.1)\n");
            } else if (host != null
                    && !servedHost(host, (InetSocketAddress) ctx.channel().localAddress())) {
                // RFC 9110 §15.5.20: not a name this server answers for
                response = Response.text(421, "misdirected request: this server does not answer for that Host\n");
            } else {
                QueryStringDecoder uri = new QueryStringDecoder(request.uri());
                InetAddress remote = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
                String method = request.method().name();
                Request r = new Request(
                        method.equals("HEAD") ? "GET" : method,
                        uri.path(),
                        uri.parameters(),
                        request.content().toString(StandardCharsets.UTF_8),
                        request.headers().get(HttpHeaderNames.AUTHORIZATION),
                        remote);
                try {
                    response = handler.handle(r);
                } catch (RuntimeException e) {
                    LOG.error("http: {} {} failed", method, uri.path(), e);
                    response = Response.text(500, "internal error\n");
                }
            }
            byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
            boolean head = request.method().equals(HttpMethod.HEAD);
            FullHttpResponse out = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            out.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            out.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            out.headers().set("X-Content-Type-Options", "nosniff");
            response.headers().forEach((k, v) -> out.headers().set(k, v));
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(out, keepAlive);
            var future = ctx.writeAndFlush(out);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        /**
         * Whether {@code host} (a {@code Host:} value, with or without a port) names this server: the
         * address the connection arrived on, or one of the configured names. Literal addresses are
         * parsed, never resolved.
         */
        boolean servedHost(String host, InetSocketAddress local) {
            String name = host.strip();
            if (name.startsWith("[")) {
                int close = name.indexOf(']');
                name = close < 0 ? "" : name.substring(1, close);
            } else if (name.indexOf(':') == name.lastIndexOf(':') && name.indexOf(':') >= 0) {
                name = name.substring(0, name.indexOf(':'));
            }
            InetAddress literal = AddressLiteral.parse(name);
            if (literal != null) {
                return literal.equals(local.getAddress());
            }
            if (name.endsWith(".")) {
                name = name.substring(0, name.length() - 1);
            }
            return hosts.contains(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // oversized request, reset: this connection only
        }
    }
}
