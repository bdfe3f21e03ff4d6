package dev.popdns.wire;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of one listen address: {@code threads} sockets bound with SO_REUSEPORT (the kernel
 * spreads datagrams over them), each read by a platform thread of its own that sleeps in the
 * kernel until a datagram comes. Two ways to it: {@code NativeUdpListener}, which calls
 * recvmmsg/sendmmsg through the Foreign Function API (Java 22 and newer on Linux, the default
 * there), and {@link JdkUdpListener} on the JDK's DatagramChannel everywhere else.
 */
interface UdpListener extends AutoCloseable {
    /** Largest query datagram read; a larger one is cut and then fails to decode (FORMERR or silence). */
    int MAX_QUERY = 4096;

    /** The receive buffer the kernel granted, in bytes (Linux reports twice what it allows). */
    int receiveBuffer();

    /** Stops the threads and closes the sockets; waits for the threads briefly. */
    @Override
    void close();

    /**
     * Starts the thread that serves socket {@code index} of {@code address}: a FastThreadLocalThread,
     * so that the query path's per-thread scratch and the pooled allocator's per-thread cache take
     * their fast path; named by address, so that 0.0.0.0:53 and [::]:53 are told apart in a thread
     * dump. QueryHandler turns every failure of a query into a counted internal error, so only a
     * JVM error (out of memory) can end one; then its socket stops being read, and the log says so.
     */
    static Thread start(Runnable serve, InetSocketAddress address, int index) {
        String name = "popdns-udp-" + address.getAddress().getHostAddress() + "-" + address.getPort() + "-" + index;
        Thread thread = new FastThreadLocalThread(serve, name);
        thread.setDaemon(true);
        thread.setUncaughtExceptionHandler((t, e) -> LoggerFactory.getLogger(UdpListener.class)
                .error("udp: {} stopped; its socket's share of queries is lost", t.getName(), e));
        thread.start();
        return thread;
    }

    /** Opens the listeners of one kind. */
    interface Factory {
        /**
         * Binds {@code count} sockets to {@code address} (one when the platform has no
         * SO_REUSEPORT) and starts a thread on each; closes what it opened when any bind fails.
         *
         * @param bufferSize SO_RCVBUF and SO_SNDBUF asked for
         */
        UdpListener open(
                InetSocketAddress address, int count, int bufferSize, QueryHandler queries, ByteBufAllocator alloc)
                throws IOException;

        /** A few words for the start-up log: how datagrams are read and written. */
        String describe();
    }

    /** The JDK's DatagramChannel. */
    Factory JDK = new Factory() {
        @Override
        public UdpListener open(
                InetSocketAddress address, int count, int bufferSize, QueryHandler queries, ByteBufAllocator alloc)
                throws IOException {
            return new JdkUdpListener(address, count, bufferSize, queries, alloc);
        }

        @Override
        public String describe() {
            return "JDK sockets, recvfrom/sendto";
        }
    };

    /**
     * The system-call path when this JVM and platform can run it and {@code -Dpopdns.udp=jdk} does
     * not turn it off, else {@link #JDK}. Logs why when the system-call path was wanted and failed.
     */
    static Factory best() {
        String wanted = System.getProperty("popdns.udp", "native").toLowerCase(Locale.ROOT);
        if (wanted.equals("jdk")) {
            return JDK;
        }
        if (!wanted.equals("native")) {
            throw new IllegalArgumentException("-Dpopdns.udp=" + wanted + ": expected native or jdk");
        }
        if (Runtime.version().feature() < 22
                || !System.getProperty("os.name", "").equals("Linux")) {
            return JDK;
        }
        Logger log = LoggerFactory.getLogger(UdpListener.class);
        try {
            // loaded by name: its class file is Java 22's (the Foreign Function API is final there)
            // and the rest of the project compiles for Java 21, which cannot name it
            Class<?> type = Class.forName("dev.popdns.wire.NativeUdpListener$NativeFactory");
            return (Factory) type.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            log.info("udp: this jar was built without the recvmmsg path (by Java 21); using the JDK's sockets");
        } catch (InvocationTargetException e) {
            log.warn(
                    "udp: the recvmmsg path cannot start ({}); using the JDK's sockets",
                    e.getCause().toString());
        } catch (ReflectiveOperationException | LinkageError e) {
            log.warn("udp: the recvmmsg path cannot load ({}); using the JDK's sockets", e.toString());
        }
        return JDK;
    }
}
