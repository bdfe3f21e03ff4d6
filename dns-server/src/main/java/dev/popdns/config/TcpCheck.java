package dev.popdns.config;

import static dev.popdns.config.CheckFields.Values.or;
import static dev.popdns.config.CheckFields.Values.unless;

import dev.popdns.health.TcpSpec;
import java.util.Map;

/** A {@code tcp} check, {@code tcp: ADDRESS:PORT}: a connection within the timeout; see {@link TcpSpec}. Null: not set. */
public record TcpCheck(String target, Timing timing) implements CheckFields {
    public TcpCheck {
        timing = or(timing, Timing.NONE);
    }

    static TcpCheck read(FieldReader f) {
        return new TcpCheck(f.text("tcp"), Timing.read(f));
    }

    @Override
    public CheckKind kind() {
        return CheckKind.TCP;
    }

    @Override
    public TcpSpec spec() {
        return new TcpSpec(target);
    }

    @Override
    public TcpCheck merge(CheckFields override) {
        TcpCheck o = (TcpCheck) kind().check(override);
        return new TcpCheck(or(o.target, target), timing.merge(o.timing));
    }

    @Override
    public TcpCheck except(CheckFields base) {
        TcpCheck b = (TcpCheck) kind().check(base);
        return new TcpCheck(unless(target, b.target), timing.except(b.timing));
    }

    @Override
    public Map<String, Value> values() {
        return Values.of(this).map(timing);
    }
}
