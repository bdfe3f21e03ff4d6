package dev.popdns.health;

import java.util.Arrays;

/**
 * Decides whether the prober is cut off: every (PoP, check) pair has failed at least once since
 * the latest success of any pair. Any success clears it.
 *
 * <p>Counts only, no time: in steady probing every pair reports once per interval, so "every pair
 * failed since the latest success" becomes true within one (longest) interval of a total outage.
 * Disabled with fewer than two PoPs that have checks, where there is nothing to compare. Not
 * thread-safe: the monitor calls it under its lock.
 */
final class CutOffDetector {
    /** What one result did to the alarm. */
    enum Change {
        NONE,
        RAISED,
        CLEARED
    }

    private final boolean enabled;
    private final boolean[] failedSinceSuccess;
    private int failedPairs;
    private boolean cutOff;

    CutOffDetector(int pairs, boolean enabled) {
        this.enabled = enabled;
        this.failedSinceSuccess = new boolean[pairs];
    }

    Change record(int pair, boolean up) {
        if (up) {
            if (failedPairs > 0) {
                Arrays.fill(failedSinceSuccess, false);
                failedPairs = 0;
            }
            if (cutOff) {
                cutOff = false;
                return Change.CLEARED;
            }
            return Change.NONE;
        }
        if (!failedSinceSuccess[pair]) {
            failedSinceSuccess[pair] = true;
            failedPairs++;
        }
        if (enabled && !cutOff && failedPairs == failedSinceSuccess.length) {
            cutOff = true;
            return Change.RAISED;
        }
        return Change.NONE;
    }

    boolean cutOff() {
        return cutOff;
    }
}
