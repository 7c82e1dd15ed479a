package dev.interlock.shm;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Unique segment names for tests, so that parallel builds and earlier failed runs never collide.
 *
 * @author Interlock team
 */
final class TestSegments {

    private TestSegments() {}

    /** Returns a fresh segment name such as {@code /interlock-test-contract-1234-5f3a9c}. */
    static String uniqueName(String purpose) {
        return "/interlock-test-" + purpose + "-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    }
}
