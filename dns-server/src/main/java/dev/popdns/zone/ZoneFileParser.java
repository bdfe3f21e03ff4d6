package dev.popdns.zone;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TTL;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Tokenizer;
import org.xbill.DNS.Type;

/**
 * Reads one RFC 1035 master file into records, remembering the line each record starts on.
 *
 * <p>dnsjava's {@code Master} parses records but does not say where they came from, and every
 * validation error must name {@code file:line}. So this loop does what {@code Master} does for
 * owner, TTL, class and type ($ORIGIN and $TTL included) and hands the RDATA to dnsjava's
 * {@link Record#fromString}. $INCLUDE and $GENERATE are refused: one reviewed file per zone.
 */
final class ZoneFileParser {
    private static final Pattern TOKENIZER_LINE = Pattern.compile("^<none>:(\\d+): ");
    private static final long MAX_TTL = 0x7fffffffL; // RFC 2181 §8

    private final String displayName;
    private final Name origin;
    private final List<ZoneProblem> problems;

    ZoneFileParser(String displayName, Name origin, List<ZoneProblem> problems) {
        this.displayName = displayName;
        this.origin = origin;
        this.problems = problems;
    }

    /** Parses the file; parse errors go to the problem list, and parsing stops at the first one. */
    List<SourcedRecord> parse(Path file) {
        List<SourcedRecord> records = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file);
                Tokenizer st = new Tokenizer(in)) {
            parse(st, records);
        } catch (TextParseException e) {
            problems.add(fromTokenizer(e.getMessage(), "syntax"));
        } catch (IOException e) {
            problems.add(new ZoneProblem(displayName, 0, "io", "cannot read: " + e.getMessage()));
        }
        return records;
    }

    private void parse(Tokenizer st, List<SourcedRecord> out) throws IOException {
        Name currentOrigin = origin;
        Name lastOwner = null;
        long defaultTtl = -1;
        long lastTtl = -1;
        while (true) {
            Tokenizer.Token token = st.get(true, false);
            Name owner;
            if (token.type() == Tokenizer.WHITESPACE) {
                Tokenizer.Token next = st.get();
                if (next.type() == Tokenizer.EOL) {
                    continue;
                }
                if (next.type() == Tokenizer.EOF) {
                    return;
                }
                st.unget();
                if (lastOwner == null) {
                    throw st.exception("record with no owner name and no previous owner");
                }
                owner = lastOwner;
            } else if (token.type() == Tokenizer.EOL) {
                continue;
            } else if (token.type() == Tokenizer.EOF) {
                return;
            } else if (token.value().charAt(0) == '$') {
                String directive = token.value().toUpperCase(java.util.Locale.ROOT);
                switch (directive) {
                    case "$TTL" -> {
                        defaultTtl = parseTtl(st, st.getString());
                        st.getEOL();
                    }
                    case "$ORIGIN" -> {
                        currentOrigin = st.getName(Name.root);
                        st.getEOL();
                    }
                    default ->
                        throw st.exception(token.value() + " is not supported (one self-contained file per zone)");
                }
                continue;
            } else {
                owner = token.value().equals("@") ? currentOrigin : parseName(st, token.value(), currentOrigin);
                lastOwner = owner;
            }
            int line = currentLine(st);

            long ttl = -1;
            int dclass = DClass.IN;
            boolean sawClass = false;
            String word = st.getString();
            for (int i = 0; i < 2; i++) {
                if (ttl < 0 && Character.isDigit(word.charAt(0))) {
                    ttl = parseTtl(st, word);
                    word = st.getString();
                } else if (!sawClass && DClass.value(word) >= 0) {
                    dclass = DClass.value(word);
                    sawClass = true;
                    word = st.getString();
                }
            }
            int type = Type.value(word);
            if (type < 0) {
                throw st.exception("unknown record type '" + word + "'");
            }
            if (dclass != DClass.IN) {
                throw st.exception("class " + DClass.string(dclass) + " is not served (only IN)");
            }
            if (ttl < 0) {
                ttl = defaultTtl >= 0 ? defaultTtl : lastTtl;
            }
            if (ttl < 0) {
                throw st.exception("no TTL on the record and no $TTL before it");
            }
            lastTtl = ttl;
            Record record = Record.fromString(owner, type, dclass, ttl, st, currentOrigin);
            out.add(new SourcedRecord(record, line));
        }
    }

    private static Name parseName(Tokenizer st, String text, Name base) throws TextParseException {
        try {
            return Name.fromString(text, base);
        } catch (TextParseException e) {
            throw st.exception("bad owner name '" + text + "': " + e.getMessage());
        }
    }

    /** Parses a TTL (seconds or BIND units); dnsjava would silently clamp values above 2^31-1. */
    private static long parseTtl(Tokenizer st, String text) throws TextParseException {
        long ttl;
        try {
            ttl = TTL.parse(text, false);
        } catch (NumberFormatException e) {
            throw st.exception("bad TTL '" + text + "'");
        }
        if (ttl < 0 || ttl > MAX_TTL) {
            throw st.exception("TTL " + ttl + " (expected: 0.." + MAX_TTL + ", RFC 2181 §8)");
        }
        return ttl;
    }

    /** dnsjava's Tokenizer keeps its line private; its exception text is the one place it shows. */
    private static int currentLine(Tokenizer st) {
        Matcher m = TOKENIZER_LINE.matcher(st.exception("").getMessage());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private ZoneProblem fromTokenizer(String message, String rule) {
        Matcher m = TOKENIZER_LINE.matcher(message);
        if (m.find()) {
            return new ZoneProblem(displayName, Integer.parseInt(m.group(1)), rule, message.substring(m.end()));
        }
        return new ZoneProblem(displayName, 0, rule, message);
    }
}
