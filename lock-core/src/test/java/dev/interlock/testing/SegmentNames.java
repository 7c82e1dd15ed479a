package dev.interlock.testing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Shared-memory segment names for tests, unique per process and call, so that builds running side
 * by side and segments left by an earlier failed run never collide.
 *
 * @author Interlock team
 */
public final class SegmentNames {

    private SegmentNames() {}

    /**
     * Returns a fresh segment name such as {@code /interlock-test-contract-1234-5f3a9c}.
     *
     * @param purpose a short word naming the test, part of the name so that a leftover segment
     *     tells which test left it
     * @return the segment name, with its leading slash
     */
    public static String unique(String purpose) {
        return "/interlock-test-" + purpose + "-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    }
}
