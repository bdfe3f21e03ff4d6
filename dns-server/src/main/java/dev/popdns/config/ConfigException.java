package dev.popdns.config;

/** A configuration that cannot be used; the message names where and what. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
