package dev.interlock.file;

import java.nio.file.Path;

/**
 * Child-JVM main that runs one allocation-table update of a lock directory and stops at a named
 * {@link CrashPoints crash point}, printing {@code AT <point>} and waiting there until the test
 * kills it with {@code SIGKILL}. Arguments: {@code <lock directory> <point> <operation> [id]},
 * where the operation is {@code free <id>}, {@code freeAll} or {@code allocate}. If the update
 * ends without reaching the point, it prints {@code MISSED <point>} and exits with 2.
 *
 * @author Interlock team
 */
public final class CrashingChild {

    private CrashingChild() {}

    /**
     * Runs the child.
     *
     * @param args {@code <lock directory> <point> <operation> [id]}
     */
    public static void main(String[] args) {
        String point = args[1];
        try (FileLockManager manager = FileLockManager.open(Path.of(args[0]))) {
            CrashPoints.hook = reached -> {
                if (reached.equals(point)) {
                    System.out.println("AT " + point);
                    System.out.flush();
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                    // Never killed: the test is broken; do not finish the update.
                    Runtime.getRuntime().halt(3);
                }
            };
            switch (args[2]) {
                case "free":
                    manager.retrieveLock(Integer.parseInt(args[3])).free();
                    break;
                case "freeAll":
                    manager.freeAllLocks();
                    break;
                case "allocate":
                    manager.allocateLock();
                    break;
                default:
                    throw new IllegalArgumentException("Unknown operation " + args[2]);
            }
        }
        System.out.println("MISSED " + point);
        System.exit(2);
    }
}
