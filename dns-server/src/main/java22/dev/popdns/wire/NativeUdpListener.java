package dev.popdns.wire;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of one listen address on Linux's own system calls, called through the Foreign
 * Function API (final in Java 22, so this file alone compiles for 22; {@link UdpListener#best()}
 * loads it by name). Each of {@code threads} SO_REUSEPORT sockets is read by a thread of its own
 * that sleeps in {@code recvmmsg(MSG_WAITFORONE)}: it wakes for the first datagram and takes every
 * other one already queued, up to {@value #BATCH}, in the same call; the answers leave together
 * in one {@code sendmmsg}. At a steady rate that is the two system calls a query of the JDK path
 * costs; at full speed a batch shares them, as gdnsd's and NSD's loops do.
 *
 * <p>Hand-written rather than the JDK's DatagramChannel ({@link JdkUdpListener}) because the JDK
 * cannot batch, cannot make an IPv6 socket IPv6-only and cannot tell a wildcard socket's
 * destination address. In three interleaved rounds at full speed with ECS this path took 6.07,
 * 5.27 and 5.28 µs of CPU per query, the JDK path 6.34, 6.18 and 5.86, gdnsd 4.95, 4.74 and 5.01
 * (BENCHMARKS.md "recvmmsg"). The structures are Linux's LP64 layout (x86-64 and arm64);
 * {@link NativeFactory} refuses other platforms.
 *
 * <p>IPv6 sockets are IPV6_V6ONLY, as the TCP listeners are: {@code [::]:53} alone answers no
 * IPv4 client. On {@code 0.0.0.0} and {@code [::]} each answer leaves from the address its query
 * was sent to (IP_PKTINFO, IPV6_RECVPKTINFO), as NSD and Knot do.
 */
@SuppressWarnings("restricted") // Linker downcalls: the launcher and units pass --enable-native-access
final class NativeUdpListener implements UdpListener {
    private static final Logger LOG = LoggerFactory.getLogger(NativeUdpListener.class);

    /** Datagrams taken by one recvmmsg and answers sent by one sendmmsg. */
    static final int BATCH = 16;
    /** Largest answer a slot holds; UDP answers are at most 1232 octets (Answerer.UDP_PAYLOAD). */
    private static final int MAX_ANSWER = 4096;

    // Linux constants, the same on x86-64 and arm64 (socket.h, in.h, in6.h, errno.h)
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_REUSEPORT = 15;
    private static final int IPPROTO_IP = 0;
    private static final int IP_PKTINFO = 8;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int IPV6_RECVPKTINFO = 49;
    private static final int IPV6_PKTINFO = 50;
    private static final int MSG_WAITFORONE = 0x10000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final int EADDRINUSE = 98;
    private static final int EADDRNOTAVAIL = 99;

    // struct iovec, struct msghdr and struct mmsghdr in the LP64 layout
    private static final long IOV_BASE = 0;
    private static final long IOV_LEN = 8;
    private static final long IOV_SIZE = 16;
    private static final long MSG_NAME = 0;
    private static final long MSG_NAMELEN = 8;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MMSG_LEN = 56;
    private static final long MMSG_SIZE = 64;
    /** Room for a sockaddr_in6 (28 octets), rounded up. */
    private static final long NAME_SIZE = 32;
    // struct cmsghdr (length 8, level 4, type 4, then the data at 16), in_pktinfo (interface 4,
    // local address 4, destination 4) and in6_pktinfo (address 16, interface 4)
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;
    private static final long CMSG_DATA = 16;
    private static final long PKTINFO4_LENGTH = CMSG_DATA + 12;
    private static final long PKTINFO6_LENGTH = CMSG_DATA + 20;
    /** Room for the control messages of one datagram: one pktinfo, 8-aligned, with slack. */
    private static final long CONTROL_SIZE = 64;

    private static final ValueLayout.OfShort NET_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET =
            call("socket", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle SETSOCKOPT = call(
            "setsockopt",
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT);
    private static final MethodHandle GETSOCKOPT = call(
            "getsockopt",
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.ADDRESS);
    private static final MethodHandle BIND =
            call("bind", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
    private static final MethodHandle RECVMMSG = call(
            "recvmmsg",
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS);
    private static final MethodHandle SENDMMSG = call(
            "sendmmsg",
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT);
    private static final MethodHandle SHUTDOWN =
            call("shutdown", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle CLOSE = call("close", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private final List<Integer> fds = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int receiveBuffer;
    private volatile boolean closed;

    /** Made by {@link UdpListener#best()}; its constructor fails when the system calls cannot be linked. */
    static final class NativeFactory implements Factory {
        NativeFactory() {
            if (ValueLayout.ADDRESS.byteSize() != 8) {
                throw new UnsupportedOperationException("not a 64-bit JVM");
            }
            String arch = System.getProperty("os.arch", "");
            if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
                throw new UnsupportedOperationException("structure layouts unknown for " + arch);
            }
            // the first use of a handle initialises NativeUdpListener, which links every call:
            // a missing symbol fails here, not at the first bind
            Objects.requireNonNull(RECVMMSG);
        }

        @Override
        public UdpListener open(
                InetSocketAddress address, int count, int bufferSize, QueryHandler queries, ByteBufAllocator alloc)
                throws IOException {
            return new NativeUdpListener(address, count, bufferSize, queries);
        }

        @Override
        public String describe() {
            return "recvmmsg/sendmmsg, " + BATCH + " datagrams a call";
        }
    }

    /** Answers are written straight into the send slots ({@link SlotAllocator}): no pooled buffer. */
    private NativeUdpListener(InetSocketAddress address, int count, int bufferSize, QueryHandler queries)
            throws IOException {
        boolean v4 = address.getAddress() instanceof Inet4Address;
        boolean wildcard = address.getAddress().isAnyLocalAddress();
        int granted = Integer.MAX_VALUE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment name = arena.allocate(NAME_SIZE);
            int nameLength = sockaddr(address, name);
            for (int i = 0; i < count; i++) {
                int fd = (int) SOCKET.invokeExact(state, v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                check(fd, state, "socket");
                fds.add(fd);
                setOption(arena, state, fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
                setOption(arena, state, fd, SOL_SOCKET, SO_RCVBUF, bufferSize, "SO_RCVBUF");
                setOption(arena, state, fd, SOL_SOCKET, SO_SNDBUF, bufferSize, "SO_SNDBUF");
                if (!v4) {
                    setOption(arena, state, fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
                }
                if (wildcard) {
                    // the kernel tells each datagram's destination address, and the answer leaves
                    // from it: on a host with several addresses the route's preferred source
                    // would differ for a query to another one, and resolvers drop such answers
                    if (v4) {
                        setOption(arena, state, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
                    } else {
                        setOption(arena, state, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
                    }
                }
                int bound = (int) BIND.invokeExact(state, fd, name, nameLength);
                if (bound < 0) {
                    int errno = errno(state);
                    String message = "bind " + address + ": " + strerror(errno);
                    throw errno == EADDRINUSE || errno == EADDRNOTAVAIL
                            ? new BindException(message)
                            : new IOException(message);
                }
                MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
                length.set(ValueLayout.JAVA_INT, 0, 4);
                check(
                        (int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVBUF, value, length),
                        state,
                        "SO_RCVBUF");
                granted = Math.min(granted, value.get(ValueLayout.JAVA_INT, 0));
            }
        } catch (IOException | RuntimeException | Error e) {
            close();
            throw e;
        } catch (Throwable e) {
            close();
            throw new IllegalStateException(e);
        }
        this.receiveBuffer = granted;
        for (int i = 0; i < fds.size(); i++) {
            threads.add(UdpListener.start(new Serve(this, fds.get(i), queries, v4, wildcard), address, i));
        }
    }

    @Override
    public int receiveBuffer() {
        return receiveBuffer;
    }

    /**
     * Shuts the sockets down, which wakes every thread sleeping in recvmmsg (Linux wakes the
     * readers of an unconnected UDP socket on shutdown), waits for the threads briefly, then
     * closes the descriptors.
     */
    @Override
    public void close() {
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            for (int fd : fds) {
                int ignored = (int) SHUTDOWN.invokeExact(state, fd, SHUT_RDWR);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (Thread thread : threads) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            for (int fd : fds) {
                int ignored = (int) CLOSE.invokeExact(state, fd);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            LOG.debug("udp: closing: {}", e.toString());
        }
        fds.clear();
    }

    /**
     * The allocator a UDP thread hands the query handler: its buffers are the send slots
     * themselves, so an answer is written once, where {@code sendmmsg} reads it, with no pooled
     * buffer to take, copy out of and give back. Each call returns slot {@link #next}, emptied: a handler that
     * starts an answer over (an error after a failure) gets the same slot again. A slot buffer
     * released by the handler (a dropped answer) is wrapped anew. Answers over UDP are at most
     * 1,232 octets plus a cookie, well inside a slot; a larger one would fail as a full buffer.
     * Confined to its thread.
     */
    private static final class SlotAllocator extends AbstractByteBufAllocator {
        private final ByteBuffer[] memory;
        private final ByteBuf[] buffers;
        /** The send slot the next answer goes to. */
        int next;

        SlotAllocator(ByteBuffer[] memory) {
            super(true);
            this.memory = memory;
            this.buffers = new ByteBuf[memory.length];
        }

        void wrap(int slot) {
            buffers[slot] = Unpooled.wrappedBuffer(memory[slot].duplicate().clear());
        }

        /** Whether {@code answer} is slot {@code slot}'s buffer, from its first octet. */
        boolean holds(ByteBuf answer, int slot) {
            return answer == buffers[slot] && answer.readerIndex() == 0;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (buffers[next].refCnt() == 0) {
                wrap(next);
            }
            return buffers[next].clear();
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return Unpooled.buffer(initialCapacity, maxCapacity);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return directBuffer(initialCapacity);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            return directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    /** One socket's loop: take a batch of datagrams, answer each, send the answers together. */
    private static final class Serve implements Runnable {
        private final NativeUdpListener owner;
        private final int fd;
        private final QueryHandler queries;
        private final boolean v4;
        /** Bound to 0.0.0.0 or [::]: each answer is sent from the address its query came to. */
        private final boolean pktinfo;
        /** The last sender, kept so that a resolver sending many queries costs one InetAddress. */
        private InetAddress lastPeer;

        private long lastHigh;
        private long lastLow;
        private int lastScope;

        Serve(NativeUdpListener owner, int fd, QueryHandler queries, boolean v4, boolean pktinfo) {
            this.owner = owner;
            this.fd = fd;
            this.queries = queries;
            this.v4 = v4;
            this.pktinfo = pktinfo;
        }

        @Override
        public void run() {
            try (Arena arena = Arena.ofConfined()) {
                loop(arena);
            } catch (Throwable e) {
                if (e instanceof Error error) {
                    throw error;
                }
                if (!owner.closed) {
                    throw new IllegalStateException(e);
                }
            }
        }

        private void loop(Arena arena) throws Throwable {
            MemorySegment state = arena.allocate(CALL_STATE);
            // receive side: BATCH messages, each one iovec onto its own 4 KiB buffer and a sender
            MemorySegment rx = arena.allocate(MMSG_SIZE * BATCH, 8);
            MemorySegment rxIov = arena.allocate(IOV_SIZE * BATCH, 8);
            MemorySegment names = arena.allocate(NAME_SIZE * BATCH, 8);
            MemorySegment rxData = arena.allocate((long) MAX_QUERY * BATCH, 64);
            // send side: the answers, packed from the first slot, each addressed to its sender
            MemorySegment tx = arena.allocate(MMSG_SIZE * BATCH, 8);
            MemorySegment txIov = arena.allocate(IOV_SIZE * BATCH, 8);
            MemorySegment txData = arena.allocate((long) MAX_ANSWER * BATCH, 64);
            // control messages (pktinfo), used on a wildcard address only
            MemorySegment rxControl = arena.allocate(pktinfo ? CONTROL_SIZE * BATCH : 8, 8);
            MemorySegment txControl = arena.allocate(pktinfo ? CONTROL_SIZE * BATCH : 8, 8);
            ByteBuf[] query = new ByteBuf[BATCH];
            ByteBuffer[] answerSlot = new ByteBuffer[BATCH];
            SlotAllocator slots = new SlotAllocator(answerSlot);
            MemorySegment[] name = new MemorySegment[BATCH];
            for (int i = 0; i < BATCH; i++) {
                MemorySegment in = rxData.asSlice((long) MAX_QUERY * i, MAX_QUERY);
                rxIov.set(ValueLayout.ADDRESS, IOV_SIZE * i + IOV_BASE, in);
                rxIov.set(ValueLayout.JAVA_LONG, IOV_SIZE * i + IOV_LEN, MAX_QUERY);
                name[i] = names.asSlice(NAME_SIZE * i, NAME_SIZE);
                rx.set(ValueLayout.ADDRESS, MMSG_SIZE * i + MSG_NAME, name[i]);
                rx.set(ValueLayout.ADDRESS, MMSG_SIZE * i + MSG_IOV, rxIov.asSlice(IOV_SIZE * i));
                rx.set(ValueLayout.JAVA_LONG, MMSG_SIZE * i + MSG_IOVLEN, 1);
                query[i] = Unpooled.wrappedBuffer(in.asByteBuffer());
                MemorySegment out = txData.asSlice((long) MAX_ANSWER * i, MAX_ANSWER);
                answerSlot[i] = out.asByteBuffer();
                slots.wrap(i);
                txIov.set(ValueLayout.ADDRESS, IOV_SIZE * i + IOV_BASE, out);
                tx.set(ValueLayout.ADDRESS, MMSG_SIZE * i + MSG_IOV, txIov.asSlice(IOV_SIZE * i));
                tx.set(ValueLayout.JAVA_LONG, MMSG_SIZE * i + MSG_IOVLEN, 1);
                if (pktinfo) {
                    rx.set(ValueLayout.ADDRESS, MMSG_SIZE * i + MSG_CONTROL, rxControl.asSlice(CONTROL_SIZE * i));
                    tx.set(ValueLayout.ADDRESS, MMSG_SIZE * i + MSG_CONTROL, txControl.asSlice(CONTROL_SIZE * i));
                }
            }
            // the kernel overwrites the address and control lengths of the slots it fills: before
            // each call those are set back to their room, the first time all of them
            int filled = BATCH;
            while (!owner.closed) {
                for (int i = 0; i < filled; i++) {
                    rx.set(ValueLayout.JAVA_INT, MMSG_SIZE * i + MSG_NAMELEN, (int) NAME_SIZE);
                    if (pktinfo) {
                        rx.set(ValueLayout.JAVA_LONG, MMSG_SIZE * i + MSG_CONTROLLEN, CONTROL_SIZE);
                    }
                }
                filled = 0;
                int received = (int) RECVMMSG.invokeExact(state, fd, rx, BATCH, MSG_WAITFORONE, MemorySegment.NULL);
                if (owner.closed) {
                    return; // shut down: the server stops
                }
                if (received < 0) {
                    filled = BATCH; // nothing is known of what a failed call wrote
                    int errno = errno(state);
                    if (errno != EINTR) {
                        LOG.debug("udp: recvmmsg: {}", strerror(errno));
                    }
                    continue;
                }
                filled = received;
                int answers = 0;
                for (int i = 0; i < received; i++) {
                    int length = rx.get(ValueLayout.JAVA_INT, MMSG_SIZE * i + MMSG_LEN);
                    slots.next = answers;
                    ByteBuf answer = queries.handle(query[i].setIndex(0, length), slots, false, sender(names, i));
                    if (answer == null) {
                        continue;
                    }
                    boolean inSlot = slots.holds(answer, answers);
                    try {
                        int size = answer.readableBytes();
                        if (!inSlot) {
                            if (size > MAX_ANSWER) {
                                LOG.debug("udp: an answer of {} octets does not fit a slot; dropped", size);
                                continue;
                            }
                            ByteBuffer slot = answerSlot[answers];
                            slot.clear().limit(size);
                            answer.getBytes(answer.readerIndex(), slot);
                        }
                        txIov.set(ValueLayout.JAVA_LONG, IOV_SIZE * answers + IOV_LEN, size);
                        tx.set(ValueLayout.ADDRESS, MMSG_SIZE * answers + MSG_NAME, name[i]);
                        tx.set(
                                ValueLayout.JAVA_INT,
                                MMSG_SIZE * answers + MSG_NAMELEN,
                                rx.get(ValueLayout.JAVA_INT, MMSG_SIZE * i + MSG_NAMELEN));
                        if (pktinfo) {
                            long control = replyFrom(rx, rxControl, i, txControl, answers);
                            tx.set(ValueLayout.JAVA_LONG, MMSG_SIZE * answers + MSG_CONTROLLEN, control);
                        }
                        answers++;
                    } finally {
                        if (!inSlot) {
                            answer.release();
                        }
                    }
                }
                send(state, tx, answers);
            }
        }

        /**
         * Sends answers {@code 0..count-1}; a message the kernel refuses (an unreachable or
         * forbidden address) is skipped so the others still leave.
         */
        private void send(MemorySegment state, MemorySegment tx, int count) throws Throwable {
            int from = 0;
            while (from < count) {
                MemorySegment batch = from == 0 ? tx : tx.asSlice(MMSG_SIZE * from);
                int sent = (int) SENDMMSG.invokeExact(state, fd, batch, count - from, 0);
                if (sent > 0) {
                    from += sent;
                    continue;
                }
                int errno = errno(state);
                if (errno == EINTR) {
                    continue;
                }
                if (LOG.isDebugEnabled()) {
                    LOG.debug("udp: send to {}: {}", senderOf(tx, from), strerror(errno));
                }
                from++;
            }
        }

        /**
         * Writes into send slot {@code to}'s control buffer a pktinfo that makes the answer leave
         * from the address datagram {@code from} was sent to; returns the control length, 0 when
         * the kernel gave no pktinfo (then the route picks the source).
         */
        private long replyFrom(MemorySegment rx, MemorySegment rxControl, int from, MemorySegment txControl, int to) {
            long length = rx.get(ValueLayout.JAVA_LONG, MMSG_SIZE * from + MSG_CONTROLLEN);
            long base = CONTROL_SIZE * from;
            long out = CONTROL_SIZE * to;
            for (long at = 0; at + CMSG_DATA <= length; ) {
                long cmsgLength = rxControl.get(ValueLayout.JAVA_LONG, base + at);
                if (cmsgLength < CMSG_DATA || at + cmsgLength > length) {
                    return 0;
                }
                int level = rxControl.get(ValueLayout.JAVA_INT, base + at + CMSG_LEVEL);
                int type = rxControl.get(ValueLayout.JAVA_INT, base + at + CMSG_TYPE);
                long data = base + at + CMSG_DATA;
                if (v4 && level == IPPROTO_IP && type == IP_PKTINFO) {
                    // in_pktinfo out: no interface (the route picks it), the local address is
                    // the query's destination, the destination field unused
                    txControl.set(ValueLayout.JAVA_LONG, out, PKTINFO4_LENGTH);
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_LEVEL, IPPROTO_IP);
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_TYPE, IP_PKTINFO);
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_DATA, 0);
                    txControl.set(
                            ValueLayout.JAVA_INT, out + CMSG_DATA + 4, rxControl.get(ValueLayout.JAVA_INT, data + 8));
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_DATA + 8, 0);
                    return align(PKTINFO4_LENGTH);
                }
                if (!v4 && level == IPPROTO_IPV6 && type == IPV6_PKTINFO) {
                    // in6_pktinfo out as it came in: the query's destination and its interface
                    // (which a link-local destination needs)
                    txControl.set(ValueLayout.JAVA_LONG, out, PKTINFO6_LENGTH);
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_LEVEL, IPPROTO_IPV6);
                    txControl.set(ValueLayout.JAVA_INT, out + CMSG_TYPE, IPV6_PKTINFO);
                    MemorySegment.copy(rxControl, data, txControl, out + CMSG_DATA, 20);
                    return align(PKTINFO6_LENGTH);
                }
                at += align(cmsgLength);
            }
            return 0;
        }

        private String senderOf(MemorySegment tx, int index) {
            MemorySegment name =
                    tx.get(ValueLayout.ADDRESS, MMSG_SIZE * index + MSG_NAME).reinterpret(NAME_SIZE);
            try {
                return peer(name, 0).getHostAddress();
            } catch (UnknownHostException e) {
                return "?";
            }
        }

        /** The address datagram {@code i} came from; the previous sender's object when it is the same. */
        private InetAddress sender(MemorySegment names, int i) throws UnknownHostException {
            long at = NAME_SIZE * i;
            if (v4) {
                long address = names.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4) & 0xffff_ffffL;
                if (lastPeer == null || address != lastLow) {
                    lastPeer = peer(names, at);
                    lastLow = address;
                }
                return lastPeer;
            }
            long high = names.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 8);
            long low = names.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 16);
            int scope = names.get(ValueLayout.JAVA_INT_UNALIGNED, at + 24);
            if (lastPeer == null || high != lastHigh || low != lastLow || scope != lastScope) {
                lastPeer = peer(names, at);
                lastHigh = high;
                lastLow = low;
                lastScope = scope;
            }
            return lastPeer;
        }
    }

    /** {@code length} rounded up to the 8-octet alignment of control messages (CMSG_ALIGN). */
    private static long align(long length) {
        return (length + 7) & ~7L;
    }

    /** The address of the sockaddr at {@code at}. */
    private static InetAddress peer(MemorySegment names, long at) throws UnknownHostException {
        short family = names.get(ValueLayout.JAVA_SHORT_UNALIGNED, at);
        if (family == AF_INET) {
            byte[] address = new byte[4];
            MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 4, address, 0, 4);
            return InetAddress.getByAddress(address);
        }
        byte[] address = new byte[16];
        MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 8, address, 0, 16);
        int scope = names.get(ValueLayout.JAVA_INT_UNALIGNED, at + 24);
        return scope == 0 ? InetAddress.getByAddress(address) : Inet6Address.getByAddress(null, address, scope);
    }

    /** Writes {@code address} as a sockaddr_in or sockaddr_in6 into {@code name}; returns its length. */
    private static int sockaddr(InetSocketAddress address, MemorySegment name) {
        name.fill((byte) 0);
        name.set(NET_SHORT, 2, (short) address.getPort());
        if (address.getAddress() instanceof Inet6Address v6) {
            name.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) AF_INET6);
            MemorySegment.copy(v6.getAddress(), 0, name, ValueLayout.JAVA_BYTE, 8, 16);
            name.set(ValueLayout.JAVA_INT_UNALIGNED, 24, v6.getScopeId());
            return 28;
        }
        name.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) AF_INET);
        MemorySegment.copy(address.getAddress().getAddress(), 0, name, ValueLayout.JAVA_BYTE, 4, 4);
        return 16;
    }

    private static void setOption(
            Arena arena, MemorySegment state, int fd, int level, int option, int value, String what) throws Throwable {
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, value);
        check((int) SETSOCKOPT.invokeExact(state, fd, level, option, v, 4), state, what);
    }

    private static void check(int result, MemorySegment state, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + ": " + strerror(errno(state)));
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    /** A downcall that records errno, for a libc function returning int. */
    private static MethodHandle call(String name, ValueLayout.OfInt result, MemoryLayout... arguments) {
        return LINKER.downcallHandle(
                LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)),
                FunctionDescriptor.of(result, arguments),
                Linker.Option.captureCallState("errno"));
    }
}
