package dev.popdns.config;

import static dev.popdns.config.CheckFields.Values.or;
import static dev.popdns.config.CheckFields.Values.unless;

import dev.popdns.health.HttpSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An {@code http} check, {@code http: URL}: one HTTP/1.1 request per probe; see {@link HttpSpec},
 * whose defaults apply to the fields not set (GET, expect [200], 64 KiB of body). Null: not set.
 */
public record HttpCheck(
        String target,
        HttpSpec.Method method,
        String host,
        List<Integer> expect,
        String body,
        Integer maxBody,
        Boolean insecure,
        Path caFile,
        Timing timing)
        implements CheckFields {
    public HttpCheck {
        expect = expect == null ? null : List.copyOf(expect);
        timing = or(timing, Timing.NONE);
    }

    static HttpCheck read(FieldReader f) {
        return new HttpCheck(
                f.text("http"),
                f.method("method"),
                f.text("host"),
                f.integers("expect"),
                f.text("body"),
                f.integer("max-body"),
                f.bool("insecure"),
                f.path("ca-file"),
                Timing.read(f));
    }

    @Override
    public CheckKind kind() {
        return CheckKind.HTTP;
    }

    @Override
    public HttpSpec spec() {
        HttpSpec spec = HttpSpec.of(target);
        if (method != null) {
            spec = spec.withMethod(method);
        }
        if (host != null) {
            spec = spec.withHost(host);
        }
        if (caFile != null) {
            spec = spec.withCaFile(caFile);
        }
        if (insecure != null) {
            spec = spec.withInsecure(insecure);
        }
        if (expect != null) {
            spec = spec.withExpect(expect);
        }
        if (body != null) {
            spec = spec.withBody(body);
        }
        if (maxBody != null) {
            spec = spec.withMaxBodyBytes(maxBody);
        }
        return spec;
    }

    @Override
    public HttpCheck merge(CheckFields override) {
        HttpCheck o = (HttpCheck) kind().check(override);
        return new HttpCheck(
                or(o.target, target),
                or(o.method, method),
                or(o.host, host),
                or(o.expect, expect),
                or(o.body, body),
                or(o.maxBody, maxBody),
                or(o.insecure, insecure),
                or(o.caFile, caFile),
                timing.merge(o.timing));
    }

    @Override
    public HttpCheck except(CheckFields base) {
        HttpCheck b = (HttpCheck) kind().check(base);
        return new HttpCheck(
                unless(target, b.target),
                unless(method, b.method),
                unless(host, b.host),
                unless(expect, b.expect),
                unless(body, b.body),
                unless(maxBody, b.maxBody),
                unless(insecure, b.insecure),
                unless(caFile, b.caFile),
                timing.except(b.timing));
    }

    @Override
    public Map<String, Value> values() {
        return Values.of(this)
                .put("method", method)
                .put("host", host)
                .put("expect", expect)
                .put("body", body)
                .put("max-body", maxBody)
                .put("insecure", insecure)
                .put("ca-file", caFile)
                .map(timing);
    }
}
