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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The HTTP side: {@code /healthz}, {@code /readyz} and JSON documents registered by path. Runs on
 * its own event loop thread, apart from the DNS loops, so a slow HTTP client cannot delay answers.
 */
public final class HttpServer implements AutoCloseable {
    private static final int MAX_REQUEST = 16 * 1024;
    private static final int READ_TIMEOUT_SECONDS = 30;

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private Channel channel;

    /** A GET endpoint: returns the body and its content type. */
    public record Endpoint(String contentType, Supplier<String> body) {
    }

    /**
     * Binds the server.
     *
     * @param ready      whether {@code /readyz} says ready
     * @param endpoints  further GET paths
     */
    public void start(InetSocketAddress address, Supplier<Boolean> ready, Map<String, Endpoint> endpoints)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST))
                                .addLast(new Router(ready, endpoints));
                    }
                });
        channel = b.bind(address).sync().channel();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Supplier<Boolean> ready;
        private final Map<String, Endpoint> endpoints;

        Router(Supplier<Boolean> ready, Map<String, Endpoint> endpoints) {
            this.ready = ready;
            this.endpoints = endpoints;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = new QueryStringDecoder(request.uri()).path();
            FullHttpResponse response;
            if (!request.decoderResult().isSuccess()) {
                response = text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else if (path.equals("/healthz")) {
                response = text(HttpResponseStatus.OK, "ok\n");
            } else if (path.equals("/readyz")) {
                response = ready.get() ? text(HttpResponseStatus.OK, "ready\n")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n");
            } else if (endpoints.containsKey(path)) {
                Endpoint e = endpoints.get(path);
                response = body(HttpResponseStatus.OK, e.contentType(), e.body().get());
            } else {
                response = text(HttpResponseStatus.NOT_FOUND, "not found\n");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (request.method().equals(HttpMethod.HEAD)) {
                response.content().clear();
            }
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body) {
            return body(status, "text/plain; charset=utf-8", body);
        }

        private static FullHttpResponse body(HttpResponseStatus status, String type, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            return r;
        }
    }
}
