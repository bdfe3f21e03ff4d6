package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

/**
 * UDP transport: one answer datagram per query datagram. Writes are flushed once per read batch
 * so that the epoll transport can send them with one sendmmsg.
 */
@ChannelHandler.Sharable
final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final QueryHandler queries;

    UdpHandler(QueryHandler queries) {
        this.queries = queries;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf answer = queries.handle(
                packet.content(), ctx.alloc(), false, packet.sender().getAddress());
        if (answer != null) {
            ctx.write(new DatagramPacket(answer, packet.sender(), packet.recipient()), ctx.voidPromise());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a send error for one client (ICMP unreachable, full buffer) must not close the socket
    }
}
