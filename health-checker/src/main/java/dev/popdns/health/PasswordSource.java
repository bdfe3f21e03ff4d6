package dev.popdns.health;

import java.nio.file.Path;

/**
 * Where a probe reads a database password: never the configuration itself. The password is read
 * on every probe (so a rotated secret is picked up), held only for that probe, and replaced by
 * {@code *****} in every error text the probe reports.
 */
public sealed interface PasswordSource {
    /**
     * The whole content of {@code path} with trailing line breaks removed ({@code password-file}).
     */
    record File(Path path) implements PasswordSource {
        public File {
            Validation.requirePresent("password-file", path);
        }
    }

    /** The value of the environment variable {@code name} ({@code password-env}). */
    record Environment(String name) implements PasswordSource {
        public Environment {
            Validation.requireText("password-env", name);
        }
    }
}
