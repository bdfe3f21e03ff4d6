package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * TCP transport (RFC 7766): any number of length-prefixed queries on one connection, answered in
 * the order they were read, with the reading driven by the writing. The channel does not read on
 * its own (auto-read is off); this handler asks for the next message only while fewer than
 * {@code maxInFlight} answers wait to be written to the socket and the outbound buffer is below
 * its high-water mark. A client that pipelines queries and never reads its answers therefore
 * holds at most {@code maxInFlight} answers (or the high-water mark's bytes) of our memory, and,
 * with neither reads nor writes, is closed by the idle handler after the idle timeout; one that
 * stays above the high-water mark for that long is closed too, whatever trickles out meanwhile.
 *
 * <p>Pipeline: connection limits, idle handler (reads and writes), {@link TcpFrameDecoder} (the
 * length prefix, the largest query, a whole message within the timeout), Netty's
 * {@code FlowControlHandler} (one decoded message per {@code read()}), this handler.
 *
 * <p>Threads: one instance per connection, used only on its event loop. Asking for a message can
 * deliver one at once (from the flow control queue), which asks for the next: the loop in
 * {@link #readMore} runs those one after another instead of recursing.
 */
final class TcpHandler extends ChannelInboundHandlerAdapter {
    private final QueryHandler queries;
    private final int maxInFlight;
    /** How long the connection may stay above the high-water mark before it is closed. */
    private final long unwritableTimeoutNanos;

    private ChannelHandlerContext ctx;
    /** Answers written and not yet on the socket. */
    private int inFlight;
    /** A message was asked for and has not come yet. */
    private boolean reading;
    /** Answers written since the last flush. */
    private boolean unflushed;
    /** {@link #readMore} is running; a nested call only sets {@link #again}. */
    private boolean draining;
    /** Something happened during {@link #readMore} that may allow another read: loop once more. */
    private boolean again;
    /** A read cycle ended while {@link #readMore} ran: flush when it is done. */
    private boolean completed;
    /** Closes the connection unless it becomes writable first; null while writable. */
    private ScheduledFuture<?> unwritable;

    private final ChannelFutureListener written = future -> {
        inFlight--;
        readMore();
    };

    TcpHandler(QueryHandler queries, int maxInFlight, long unwritableTimeoutNanos) {
        this.queries = queries;
        this.maxInFlight = maxInFlight;
        this.unwritableTimeoutNanos = unwritableTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        readMore();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = false;
        ByteBuf frame = (ByteBuf) msg;
        try {
            ByteBuf answer = queries.handle(
                    frame, ctx.alloc(), true, ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            if (answer != null) {
                ByteBuf length = ctx.alloc().ioBuffer(2).writeShort(answer.readableBytes());
                ctx.write(length, ctx.voidPromise());
                inFlight++;
                unflushed = true;
                ctx.write(answer).addListener(written);
            }
        } finally {
            ReferenceCountUtil.release(frame);
        }
        readMore();
    }

    /**
     * The end of a read cycle: send what was answered. It also satisfies the read asked for
     * (Netty's flow control handler collapses outstanding reads into it), so ask again.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (draining) {
            completed = true; // flushed once the loop in readMore ends
            again = true;
            return;
        }
        flush();
        readMore();
    }

    /**
     * Above the high-water mark: a connection that stays there for the idle timeout is closed, even
     * if its client drains a few octets now and then. Below the low-water mark again: read on.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            if (unwritable == null) {
                unwritable = ctx.executor().schedule(() -> ctx.close(), unwritableTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        } else {
            cancelUnwritable();
            readMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelUnwritable();
        ctx.fireChannelInactive();
    }

    private void cancelUnwritable() {
        if (unwritable != null) {
            unwritable.cancel(false);
            unwritable = null;
        }
    }

    /**
     * Asks for the next message unless one is already asked for or the connection is saturated
     * (too many answers in flight, or the outbound buffer above its high-water mark); when
     * saturated, flushes first, which may complete writes and lift the limit.
     */
    private void readMore() {
        if (draining) {
            again = true;
            return;
        }
        draining = true;
        try {
            while (true) {
                again = false;
                if (reading || !ctx.channel().isActive()) {
                    return;
                }
                if (inFlight >= maxInFlight || !ctx.channel().isWritable()) {
                    if (!unflushed) {
                        return; // a completed write or a writability change calls again
                    }
                    flush();
                    continue;
                }
                reading = true;
                ctx.read(); // delivers a queued message at once (then again is set), or reads the socket
                if (!again) {
                    return;
                }
            }
        } finally {
            draining = false;
            if (completed) {
                completed = false;
                flush();
            }
        }
    }

    private void flush() {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close(); // no byte read and no answer written for the whole idle timeout
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a framing error, an oversized query or a reset ends this connection only
    }
}
