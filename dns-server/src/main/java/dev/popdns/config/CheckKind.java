package dev.popdns.config;

import dev.popdns.health.CheckTiming;
import dev.popdns.health.HttpSpec;
import dev.popdns.health.ReplicaSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The check kinds of {@code pops.yaml}: each one's key (which holds the probe's target template),
 * its own fields in the order a reader expects them, and the {@link CheckFields} record it reads
 * into ({@link HttpCheck}, {@link TcpCheck}, {@link ReplicaCheck}), which holds the typed values,
 * the parser and the defaults. Every check also takes the {@link #TIMING} fields. The loader, the
 * health-config builder, the pops.yaml writer and differ and the Route 53 importer all read this.
 *
 * <p>Defaults are the health-checker's ({@link HttpSpec#of}: GET, expect [200], 64 KiB body;
 * {@link ReplicaSpec#of}: max-lag 30 s; {@link CheckTiming#DEFAULT}: 2 s, 1 s, rise 2, fall 3)
 * except {@link ReplicaCheck#DEFAULT_USER}.
 */
public enum CheckKind {
    /** {@code http: URL}: one HTTP/1.1 request. */
    HTTP("http", List.of("method", "host", "expect", "body", "max-body", "insecure", "ca-file"), HttpCheck::read),
    /** {@code tcp: ADDRESS:PORT}: a connection within the timeout. */
    TCP("tcp", List.of(), TcpCheck::read),
    /** {@code postgres-replica: //ADDRESS:PORT/DB}: a streaming replica within max-lag. */
    POSTGRES_REPLICA(
            "postgres-replica",
            List.of("user", "password-file", "password-env", "sslmode", "sslrootcert", "max-lag"),
            ReplicaCheck::read);

    /** The fields every check kind takes: when and how its results are judged. */
    public static final List<String> TIMING = List.of("interval", "timeout", "rise", "fall");
    /** Every key a check (or a PoP's override of one) may have, in reading order: the kinds, their fields, timing. */
    public static final List<String> FIELDS = allFields();

    private final String key;
    private final List<String> fields;
    private final Function<FieldReader, CheckFields> reader;

    CheckKind(String key, List<String> fields, Function<FieldReader, CheckFields> reader) {
        this.key = key;
        this.fields = fields;
        this.reader = reader;
    }

    /** The key that names the kind in pops.yaml and holds the probe's target. */
    public String key() {
        return key;
    }

    /** The keys a check of this kind may have, in reading order: its key, its own fields, timing. */
    public List<String> fields() {
        List<String> all = new ArrayList<>();
        all.add(key);
        all.addAll(fields);
        all.addAll(TIMING);
        return all;
    }

    /** The kind named {@code key}, or null. */
    public static CheckKind of(String key) {
        for (CheckKind kind : values()) {
            if (kind.key.equals(key)) {
                return kind;
            }
        }
        return null;
    }

    /** The kind keys, in declaration order: {@code http, tcp, postgres-replica}. */
    public static List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (CheckKind kind : values()) {
            keys.add(kind.key);
        }
        return keys;
    }

    /** The fields of a check of this kind (or of an override of one) from its mapping; keys of other kinds are not read. */
    CheckFields read(FieldReader f) {
        return reader.apply(f);
    }

    /** {@code fields}, when of this kind. */
    CheckFields check(CheckFields fields) {
        if (fields.kind() != this) {
            throw new IllegalArgumentException("fields of kind " + fields.kind().key + " for a check of kind " + key);
        }
        return fields;
    }

    private static List<String> allFields() {
        List<String> all = new ArrayList<>(keys());
        for (CheckKind kind : values()) {
            all.addAll(kind.fields);
        }
        all.addAll(TIMING);
        return List.copyOf(all);
    }
}
