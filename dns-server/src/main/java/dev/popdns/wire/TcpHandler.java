package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * TCP transport (RFC 7766): any number of length-prefixed queries on one connection, answered in
 * the order they were read. The frame decoder before it strips the length; the idle handler
 * before it closes connections that go quiet, including one stalled in the middle of a message.
 */
final class TcpHandler extends ChannelInboundHandlerAdapter {
    private final QueryHandler queries;

    TcpHandler(QueryHandler queries) {
        this.queries = queries;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            ByteBuf answer = queries.handle(
                    frame,
                    ctx.alloc(),
                    true,
                    ((java.net.InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            if (answer == null) {
                return;
            }
            ByteBuf length = ctx.alloc().ioBuffer(2).writeShort(answer.readableBytes());
            ctx.write(length, ctx.voidPromise());
            ctx.write(answer, ctx.voidPromise());
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a framing error or reset ends this connection only
    }
}
