package dev.popdns.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A {@link TcpSpec tcp} check bound to one PoP address: UP when a connection is established
 * within the check's timeout. Immutable and thread-safe.
 */
public final class TcpProbe implements Probe {
    private final String target;
    private final InetSocketAddress address;
    private final Duration timeout;
    private final Clock clock;

    TcpProbe(TcpSpec spec, String address, Duration timeout, Clock clock) {
        this.target = Addresses.bind(spec.target(), address);
        this.address = TcpSpec.socketAddress(target);
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public ProbeResult probe() {
        Instant at = clock.instant();
        long start = System.nanoTime();
        String reason;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()), (int) timeout.toMillis());
            return new ProbeResult.Up(at, Duration.ofNanos(System.nanoTime() - start), Optional.empty());
        } catch (SocketTimeoutException e) {
            reason = Reasons.timedOut(timeout, "connect");
        } catch (IOException e) {
            reason = "connect: " + Reasons.describe(e);
        }
        return new ProbeResult.Down(
                at, Duration.ofNanos(System.nanoTime() - start), Reasons.clean(reason, null), Optional.empty());
    }

    @Override
    public String toString() {
        return "TcpProbe[" + target + "]";
    }
}
