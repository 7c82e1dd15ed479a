package dev.interlock.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.testing.ChildJvm;
import dev.interlock.testing.CounterWorker;
import dev.interlock.testing.SharedCounter;
import dev.interlock.testing.TemporaryNameWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link FileLockManager} in the portable mode (the JDK's file locks) across real
 * processes, forced on Linux: through {@link FileLockManager.Options#withPortableLocking(boolean)}
 * in {@link CounterWorker}s, and through the system property {@value
 * FileLockManager.Options#PORTABLE_PROPERTY} in {@link FileLockChild}ren.
 *
 * @author Interlock team
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PortableFileLockManagerProcessTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    private Path lockDir;

    private FileLockManager manager;

    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void createLockDirectory() {
        lockDir = tempDir.resolve("locks");
        manager = FileLockManager.create(
                lockDir, FileLockManager.Options.defaults().withPortableLocking(true));
    }

    @AfterEach
    void cleanUp() {
        children.forEach(ChildJvm::close);
        manager.close();
    }

    private ChildJvm child() {
        ChildJvm child = ChildJvm.builder(FileLockChild.class)
                .jvmArgs("-D" + FileLockManager.Options.PORTABLE_PROPERTY + "=true")
                .args(lockDir.toString())
                .start();
        children.add(child);
        child.awaitLine("READY", WAIT);
        return child;
    }

    @Test
    void processesIncrementingUnderOneLockShouldLoseNoUpdate() throws IOException {
        Path counters = Files.createDirectory(tempDir.resolve("counters"));
        int processes = 3;
        int threads = 2;
        int iterations = 200;
        for (int p = 0; p < processes; p++) {
            children.add(ChildJvm.start(
                    CounterWorker.class,
                    PortableFileOpener.class.getName(),
                    lockDir.toString(),
                    String.valueOf(threads),
                    String.valueOf(iterations),
                    "1",
                    counters.toString()));
        }
        for (ChildJvm worker : children) {
            assertThat(worker.awaitSuccess(WAIT)).contains("DONE " + threads * iterations);
        }
        assertThat(new SharedCounter(counters.resolve("counter-0")).get())
                .isEqualTo((long) processes * threads * iterations);
    }

    /** Temporary names whose IDs move between processes constantly: allocation under the JDK's locks too. */
    @Test
    void processesUnderTemporaryNamesWhoseIdsMoveShouldLoseNoUpdate() throws IOException {
        Path counters = Files.createDirectory(tempDir.resolve("name-counters"));
        int processes = 3;
        int threads = 2;
        int iterations = 150;
        for (int p = 0; p < processes; p++) {
            children.add(ChildJvm.start(
                    TemporaryNameWorker.class,
                    PortableFileOpener.class.getName(),
                    lockDir.toString(),
                    String.valueOf(threads),
                    String.valueOf(iterations),
                    "3",
                    counters.toString()));
        }
        for (ChildJvm worker : children) {
            assertThat(worker.awaitSuccess(WAIT)).contains("DONE " + threads * iterations);
        }
        long total = 0;
        for (int k = 0; k < 3; k++) {
            total += new SharedCounter(counters.resolve("counter-" + k)).get();
        }
        assertThat(total).isEqualTo((long) processes * threads * iterations);
        assertThat(manager.allocatedLocks()).isZero();
    }

    @Test
    void killOfHolderShouldLetWaitingProcessAcquire() {
        ChildJvm holder = child();
        ChildJvm waiter = child();
        holder.send("lock 0");
        holder.awaitLine("LOCKED 0", WAIT);
        waiter.send("lock 0");
        waiter.awaitLine("LOCKING 0", WAIT);
        assertThat(manager.retrieveLock(0).tryLock()).as("held by the holder").isFalse();
        holder.kill();
        waiter.awaitLine("LOCKED 0", WAIT);
        assertThat(manager.retrieveLock(0).tryLock()).as("held by the waiter").isFalse();
        waiter.send("unlock 0");
        waiter.awaitLine("UNLOCKED 0", WAIT);
        assertThat(manager.retrieveLock(0).tryLock()).isTrue();
        manager.retrieveLock(0).unlock();
    }

    @Test
    void processesSharingTheDirectoryShouldAllocateDistinctIds() {
        ChildJvm first = child();
        ChildJvm second = child();
        first.send("allocate");
        second.send("allocate");
        String a = first.awaitLine("ALLOCATED", WAIT);
        String b = second.awaitLine("ALLOCATED", WAIT);
        assertThat(a).isNotEqualTo(b);
        assertThat(manager.allocatedLocks()).isEqualTo(2);
    }
}
