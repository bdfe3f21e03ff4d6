package dev.popdns.health;

/** The judged state of one (PoP, check) pair. */
public enum HealthState {
    /** No result yet: only before the pair's first probe, which sets the state directly. */
    UNKNOWN,
    /** Serving: the first result was a success, or {@code rise} consecutive successes since DOWN. */
    UP,
    /** Not serving: the first result was a failure, or {@code fall} consecutive failures since UP. */
    DOWN
}
