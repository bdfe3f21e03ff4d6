package dev.popdns.config;

/** A configuration that cannot be used; the message names where and what. */
public final class ConfigException extends Exception {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
