package dev.popdns.status;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
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
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side (status page, JSON API, metrics, admin calls) on its own event loop thread, apart
 * from the DNS loops, so a slow or hostile HTTP client cannot delay answers. Requests are limited
 * in size (16 KiB body, 4 KiB line, 8 KiB headers) and in time (30 s to send one); keep-alive is
 * honoured. What to answer is the {@link Handler}'s business.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final int MAX_REQUEST = 16 * 1024;
    private static final int READ_TIMEOUT_SECONDS = 30;

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private Channel channel;

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

    public void start(InetSocketAddress address, Handler handler) throws InterruptedException {
        start(address, handler, null);
    }

    /** As above, serving HTTPS with {@code tls} when it is not null. */
    public void start(InetSocketAddress address, Handler handler, TlsFiles tls) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.current().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST))
                                .addLast(new Dispatcher(handler));
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

    private static final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Handler handler;

        Dispatcher(Handler handler) {
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Response response;
            if (!request.decoderResult().isSuccess()) {
                response = Response.text(400, "bad request\n");
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

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // read timeout, oversized request, reset: this connection only
        }
    }
}
