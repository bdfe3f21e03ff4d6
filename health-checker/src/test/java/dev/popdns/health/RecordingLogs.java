package dev.popdns.health;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The slf4j binding of the tests (registered in {@code META-INF/services}): keeps every log line
 * as {@code "LEVEL logger: message"} so tests can assert what was logged, how often, and that no
 * secret was. With {@code -Dpopdns.test.echoLogs=true} every line is also echoed to standard error.
 */
public final class RecordingLogs implements SLF4JServiceProvider {
    private static final List<String> LINES = new ArrayList<>();
    private static final boolean ECHO = Boolean.getBoolean("popdns.test.echoLogs");

    private final ILoggerFactory loggers = RecordingLogger::new;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new BasicMDCAdapter();

    /** Every line logged since the last {@link #clear()}. */
    static List<String> lines() {
        synchronized (LINES) {
            return List.copyOf(LINES);
        }
    }

    /** The lines that contain every one of {@code parts}. */
    static List<String> matching(String... parts) {
        List<String> found = new ArrayList<>();
        for (String line : lines()) {
            boolean all = true;
            for (String part : parts) {
                all &= line.contains(part);
            }
            if (all) {
                found.add(line);
            }
        }
        return found;
    }

    static void clear() {
        synchronized (LINES) {
            LINES.clear();
        }
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {}

    private static final class RecordingLogger extends LegacyAbstractLogger {
        RecordingLogger(String name) {
            this.name = name;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return false;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
            String message = MessageFormatter.basicArrayFormat(pattern, arguments);
            String line = level + " " + name.substring(name.lastIndexOf('.') + 1) + ": " + message
                    + (throwable == null ? "" : " " + throwable);
            synchronized (LINES) {
                LINES.add(line);
            }
            if (ECHO) {
                System.err.println(line);
            }
        }
    }
}
