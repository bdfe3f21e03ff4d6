package dev.popdns.health;

/** A PoP's {@code state} in {@code pops.yaml}, reviewed by PR. */
public enum AdminState {
    /** Serves when its checks are UP. */
    ACTIVE,
    /** Probed and reported as usual, but never routed to (unless forced up by an override). */
    DRAIN
}
