package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.interlock.HeldLock;
import dev.interlock.Locker;
import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.CounterWorker;
import dev.interlock.testing.Jdks;
import dev.interlock.testing.SharedCounter;
import dev.interlock.testing.TemporaryNameWorker;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link FileLockManager} across real processes: child JVMs running {@link
 * FileLockChild} or {@link CounterWorker} over the same lock directory as this JVM.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileLockManagerProcessTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    private Path lockDir;

    private FileLockManager manager;

    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void createLockDirectory() {
        lockDir = tempDir.resolve("locks");
        manager = FileLockManager.create(lockDir);
    }

    @AfterEach
    void cleanUp() {
        children.forEach(ChildJvm::close);
        manager.close();
    }

    private ChildJvm child() {
        ChildJvm child = ChildJvm.start(FileLockChild.class, lockDir.toString());
        children.add(child);
        child.awaitLine("READY", WAIT);
        return child;
    }

    private static long nanosOf(String line) {
        return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void processesIncrementingUnderOneLockShouldLoseNoUpdate() {
        Path counters = tempDir.resolve("counters");
        int processes = 4;
        int threads = 2;
        int iterations = 300;
        List<ChildJvm> workers = new ArrayList<>();
        try {
            Files.createDirectory(counters);
            for (int p = 0; p < processes; p++) {
                workers.add(ChildJvm.start(
                        CounterWorker.class,
                        FileOpener.class.getName(),
                        lockDir.toString(),
                        String.valueOf(threads),
                        String.valueOf(iterations),
                        "1",
                        counters.toString()));
            }
            for (ChildJvm worker : workers) {
                assertThat(worker.awaitSuccess(WAIT)).contains("DONE " + threads * iterations);
            }
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        } finally {
            workers.forEach(ChildJvm::close);
        }
        assertThat(new SharedCounter(counters.resolve("counter-0")).get())
                .isEqualTo((long) processes * threads * iterations);
    }

    /**
     * Three processes of two threads hammer three temporary names on the file backend; releases
     * free the IDs, so the same few IDs move between the names across processes.
     */
    @Test
    void processesUnderTemporaryNamesWhoseIdsMoveShouldLoseNoUpdate() throws java.io.IOException {
        Path counters = Files.createDirectory(tempDir.resolve("name-counters"));
        int processes = 3;
        int threads = 2;
        int iterations = 200;
        List<ChildJvm> workers = new ArrayList<>();
        try {
            for (int p = 0; p < processes; p++) {
                workers.add(ChildJvm.start(
                        TemporaryNameWorker.class,
                        FileOpener.class.getName(),
                        lockDir.toString(),
                        String.valueOf(threads),
                        String.valueOf(iterations),
                        "3",
                        counters.toString()));
            }
            for (ChildJvm worker : workers) {
                assertThat(worker.awaitSuccess(WAIT)).contains("DONE " + threads * iterations);
            }
        } finally {
            workers.forEach(ChildJvm::close);
        }
        long total = 0;
        for (int k = 0; k < 3; k++) {
            total += new SharedCounter(counters.resolve("counter-" + k)).get();
        }
        assertThat(total).isEqualTo((long) processes * threads * iterations);
        assertThat(manager.allocatedLocks()).isZero();
        assertThat(manager.lockNames()).isEmpty();
    }

    private static ChildJvm virtualThreadWorker(int carriers, String... args) {
        Optional<Path> jdk21Plus = Jdks.atLeast(21);
        assumeThat(jdk21Plus).as("a JDK with virtual threads").isPresent();
        return ChildJvm.builder(VirtualThreadWorker.class)
                .javaHome(jdk21Plus.get())
                .jvmArgs(
                        "-Djdk.virtualThreadScheduler.parallelism=" + carriers,
                        "-Djdk.virtualThreadScheduler.maxPoolSize=" + carriers)
                .args(args)
                .start();
    }

    @Test
    void virtualThreadsOfTwoProcessesShouldLoseNoUpdate() {
        Path counter = tempDir.resolve("counter");
        List<ChildJvm> workers = new ArrayList<>();
        try {
            for (int p = 0; p < 2; p++) {
                workers.add(virtualThreadWorker(2, "count", lockDir.toString(), "200", "5", counter.toString()));
            }
            for (ChildJvm worker : workers) {
                assertThat(worker.awaitSuccess(WAIT)).contains("DONE 1000");
            }
        } finally {
            workers.forEach(ChildJvm::close);
        }
        assertThat(new SharedCounter(counter).get()).isEqualTo(2_000);
    }

    @Test
    void virtualThreadWaitingForAnotherProcessShouldLeaveItsCarrierFree() {
        Locker held = manager.retrieveLock(0);
        held.lock();
        try (ChildJvm worker = virtualThreadWorker(1, "wait", lockDir.toString())) {
            worker.awaitLine("WAITING 0", WAIT);
            worker.awaitLine("OTHER DONE", WAIT);
            assertThat(worker.output()).doesNotContain("ACQUIRED 0");
            held.unlock();
            worker.awaitLine("ACQUIRED 0", WAIT);
            worker.awaitSuccess(WAIT);
        }
    }

    @Test
    void killOfHolderShouldLetWaitingProcessAcquireWithinOneSecond() {
        ChildJvm holder = child();
        ChildJvm waiter = child();
        holder.send("lock 0");
        holder.awaitLine("LOCKED 0", WAIT);
        waiter.send("lock 0");
        waiter.awaitLine("LOCKING 0", WAIT);
        assertThat(manager.retrieveLock(0).tryLock()).as("held by the holder").isFalse();

        // Timed from before the signal: the kernel drops the lock as the holder exits, before kill() has reaped it.
        long killed = System.nanoTime();
        holder.kill();
        String locked = waiter.awaitLine("LOCKED 0", WAIT);
        Duration handOff = Duration.ofNanos(nanosOf(locked) - killed);
        assertThat(handOff).as("from SIGKILL to the waiter holding the lock").isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void releaseShouldWakeTheWaiterOfAnotherProcessOnlyWhenOneIsAsleep() throws Exception {
        Locker locker = manager.retrieveLock(5);
        locker.lock();
        locker.unlock();
        assertThat(wakeWord(5))
                .as("an uncontended release leaves the word alone")
                .isZero();
        locker.lock();
        ChildJvm waiter = childAsleepOn(5, WakeTable.SLEEPERS);
        locker.unlock();
        waiter.awaitLine("LOCKED 5", WAIT);
        waiter.send("unlock 5");
        waiter.awaitLine("UNLOCKED 5", WAIT);
        assertThat(wakeWord(5))
                .as("our release moved the word to sequence 1 and cleared the sleepers bit; the waiter's"
                        + " own release found nobody asleep and left it")
                .isEqualTo(1);
        assertThat(wakeWord(5 + WakeTable.SLOTS)).as("an ID of the same slot").isEqualTo(1);
    }

    @Test
    void waiterKilledWhileAsleepShouldCostOneWakeUpAndNothingElse() throws Exception {
        Locker locker = manager.retrieveLock(6);
        locker.lock();
        ChildJvm killed = childAsleepOn(6, WakeTable.SLEEPERS);
        killed.kill();
        locker.unlock();
        assertThat(wakeWord(6))
                .as("the release woke the slot once for the dead sleeper")
                .isEqualTo(1);
        locker.lock();
        ChildJvm waiter = childAsleepOn(6, 1 | WakeTable.SLEEPERS);
        locker.unlock();
        waiter.awaitLine("LOCKED 6", WAIT);
        waiter.send("unlock 6");
        waiter.awaitLine("UNLOCKED 6", WAIT);
        assertThat(wakeWord(6)).isEqualTo(2);
        assertThat(locker.tryLock()).isTrue();
        locker.unlock();
        assertThat(wakeWord(6)).as("nobody asleep: no wake-up, no change").isEqualTo(2);
    }

    /** Waits, at most {@link #WAIT}, until the wake word of {@code id}'s slot is {@code expected}. */
    /**
     * Starts a child that waits for lock {@code id}, held here, and returns once it has announced
     * itself asleep: the wake word of {@code id} reads {@code word}.
     */
    private ChildJvm childAsleepOn(int id, int word) throws java.io.IOException {
        ChildJvm child = child();
        child.send("lock " + id);
        child.awaitLine("LOCKING " + id, WAIT);
        awaitWord(id, word);
        return child;
    }

    private void awaitWord(int id, int expected) throws java.io.IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (wakeWord(id) != expected) {
            assertThat(System.nanoTime() - deadline)
                    .as("wake word of " + id + " becomes " + Integer.toHexString(expected) + " within " + WAIT)
                    .isNegative();
            Thread.onSpinWait();
        }
    }

    /** Returns the wake word of {@code id}'s slot, read from the file. */
    private int wakeWord(int id) throws java.io.IOException {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(Files.readAllBytes(lockDir.resolve("wake")))
                .order(java.nio.ByteOrder.nativeOrder());
        return bytes.getInt((id % WakeTable.SLOTS) * WakeTable.SLOT_LENGTH);
    }

    @Test
    void freeThenReallocateShouldStillExcludeTheOldHolder() throws Exception {
        ChildJvm oldHolder = child();
        oldHolder.send("allocate");
        assertThat(oldHolder.awaitLine("ALLOCATED", WAIT)).isEqualTo("ALLOCATED 0");
        oldHolder.send("lock 0");
        oldHolder.awaitLine("LOCKED 0", WAIT);
        Object inodeBefore = Files.getAttribute(lockDir.resolve("0.lock"), "unix:ino", LinkOption.NOFOLLOW_LINKS);
        // The interleaving that breaks podman: the holder frees its ID (podman deletes the file)...
        oldHolder.send("free 0");
        oldHolder.awaitLine("FREED 0", WAIT);
        // ...and another process allocates the same ID and locks it while the old holder still holds it.
        Locker reallocated = manager.allocateLock();
        assertThat(reallocated.id()).isZero();
        assertThat(reallocated.tryLock())
                .as("the old holder still holds lock 0")
                .isFalse();
        assertThat(reallocated.tryLock(Duration.ofMillis(50))).isFalse();
        assertThat(Files.getAttribute(lockDir.resolve("0.lock"), "unix:ino", LinkOption.NOFOLLOW_LINKS))
                .as("the same lock file")
                .isEqualTo(inodeBefore);
        oldHolder.send("unlock 0");
        oldHolder.awaitLine("UNLOCKED 0", WAIT);
        assertThat(reallocated.tryLock(WAIT)).isTrue();
        oldHolder.send("trylock 0");
        assertThat(oldHolder.awaitLine("TRYLOCK", WAIT)).isEqualTo("TRYLOCK 0 false");
        reallocated.unlock();
    }

    @Test
    void processesRacingOnNewNamesShouldBindOneIdEach() {
        ChildJvm first = child();
        ChildJvm second = child();
        int names = 50;
        first.send("names raced " + names);
        second.send("names raced " + names);
        String firstIds = first.awaitLine("NAMES", WAIT);
        String secondIds = second.awaitLine("NAMES", WAIT);
        assertThat(firstIds).isEqualTo(secondIds);
        assertThat(manager.allocatedLocks()).isEqualTo(names);
        assertThat(manager.namedLock("raced-7").id()).isEqualTo(Integer.parseInt(firstIds.split(" ")[8]));
    }

    @Test
    void lockNamesShouldShowWhatAnotherProcessBoundAndFreedWithoutAllocating() {
        Locker mine = manager.namedLock("mine");
        assertThat(manager.lockNames()).containsExactly(entry("mine", mine.id()));
        ChildJvm other = child();
        other.send("names theirs 3");
        String[] ids = other.awaitLine("NAMES", WAIT).split(" ");
        assertThat(manager.lockNames())
                .containsExactly(
                        entry("mine", mine.id()),
                        entry("theirs-0", Integer.parseInt(ids[1])),
                        entry("theirs-1", Integer.parseInt(ids[2])),
                        entry("theirs-2", Integer.parseInt(ids[3])));
        other.send("free " + ids[2]);
        other.awaitLine("FREED", WAIT);
        assertThat(manager.lockNames()).doesNotContainKey("theirs-1").hasSize(3);
        assertThat(manager.allocatedLocks()).as("reading allocated nothing").isEqualTo(3);
    }

    @Test
    void locksHeldShouldReportLocksOfOtherProcessesWithTheirPid() {
        ChildJvm holder = child();
        int namedId = manager.namedLock("visible").id();
        holder.send("lock 7");
        holder.awaitLine("LOCKED 7", WAIT);
        holder.send("lock " + namedId);
        holder.awaitLine("LOCKED " + namedId, WAIT);
        manager.retrieveLock(3).lock();
        assertThat(manager.locksHeld())
                .extracting(
                        HeldLock::id,
                        held -> held.ownerPid().getAsLong(),
                        held -> held.name().orElse(""))
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(namedId, holder.pid(), "visible"),
                        org.assertj.core.groups.Tuple.tuple(
                                3, ProcessHandle.current().pid(), ""),
                        org.assertj.core.groups.Tuple.tuple(7, holder.pid(), ""));
        holder.kill();
        manager.retrieveLock(3).unlock();
        assertThat(manager.locksHeld()).isEmpty();
    }
}
