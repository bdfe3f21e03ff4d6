package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two-octet length prefix of DNS over TCP (RFC 1035 §4.2.2), done by Netty's decoder, with
 * two limits of our own: a query longer than {@code maxMessage} octets closes the connection as
 * soon as its length is read (failFast: nothing of it is buffered), and a message must arrive
 * whole within {@code timeoutNanos} of its first octet, so a client cannot keep a connection by
 * trickling one octet per idle period.
 *
 * <p>One instance per connection, used on its event loop only.
 */
final class TcpFrameDecoder extends LengthFieldBasedFrameDecoder {
    private final long timeoutNanos;
    /** When the first octet of the message being received came (nanoTime), or 0 between messages. */
    private long messageStart;

    private ScheduledFuture<?> deadline;

    TcpFrameDecoder(int maxMessage, long timeoutNanos) {
        super(maxMessage + 2, 0, 2, 0, 2, true);
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        Object frame = super.decode(ctx, in);
        if (frame != null) {
            messageStart = 0;
        } else if (in.isReadable() && messageStart == 0) {
            messageStart = System.nanoTime();
            if (deadline == null) {
                deadline = ctx.executor().schedule(() -> check(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        return frame;
    }

    /** Closes the connection when the message being received is late; else waits for the next one's deadline. */
    private void check(ChannelHandlerContext ctx) {
        deadline = null;
        if (messageStart == 0 || !ctx.channel().isActive()) {
            return;
        }
        long late = System.nanoTime() - messageStart - timeoutNanos;
        if (late >= 0) {
            ctx.close();
        } else {
            deadline = ctx.executor().schedule(() -> check(ctx), -late, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
