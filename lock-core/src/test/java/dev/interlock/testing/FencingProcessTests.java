package dev.interlock.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.Locker;
import dev.interlock.Manager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing tokens across real processes, for every backend whose storage processes share: child
 * JVMs ({@link FencingWorker}) take one lock many times and record their tokens, and a holder is
 * killed with {@code SIGKILL} so that the taker-over's token can be compared with the dead
 * holder's. A backend's test class extends this and names its storage.
 *
 * @author Interlock team
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class FencingProcessTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final List<ChildJvm> children = new ArrayList<>();

    /** Scratch directory for the protected resource and the children's token files. */
    @TempDir
    protected Path work;

    /**
     * Returns the {@link ManagerOpener} class that children use to open the storage.
     *
     * @return an opener class with a public no-argument constructor
     */
    protected abstract Class<? extends ManagerOpener> openerClass();

    /**
     * Returns where the storage is, as the opener expects it; it exists before each test.
     *
     * @return the storage location
     */
    protected abstract String location();

    /**
     * Opens a manager over the storage in this JVM, as another process would.
     *
     * @return a manager, closed by the test
     */
    protected abstract Manager openHere();

    @AfterEach
    void stopChildren() {
        children.forEach(ChildJvm::close);
    }

    private ChildJvm start(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = openerClass().getName();
        all[1] = location();
        System.arraycopy(args, 0, all, 2, args.length);
        ChildJvm child = ChildJvm.start(FencingWorker.class, all);
        children.add(child);
        return child;
    }

    @Test
    void threeProcessesTakingOneLockShouldDrawDistinctTokensIncreasingInEachProcess() throws IOException {
        int processes = 3;
        int holds = 1000;
        Path resource = work.resolve("resource");
        List<ChildJvm> workers = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            workers.add(start(
                    "count",
                    String.valueOf(holds),
                    resource.toString(),
                    work.resolve("tokens-" + p).toString()));
        }
        for (ChildJvm worker : workers) {
            worker.awaitLine("READY", WAIT);
        }
        workers.forEach(worker -> worker.send("go"));
        for (ChildJvm worker : workers) {
            assertThat(worker.awaitSuccess(WAIT)).as("refused writes").contains("DONE 0");
        }
        Set<Long> all = new HashSet<>();
        for (int p = 0; p < processes; p++) {
            List<Long> tokens = Files.readAllLines(work.resolve("tokens-" + p)).stream()
                    .map(Long::valueOf)
                    .toList();
            assertThat(tokens)
                    .as("tokens of process %d", p)
                    .hasSize(holds)
                    .isSorted()
                    .doesNotHaveDuplicates();
            all.addAll(tokens);
        }
        assertThat(all).as("tokens of all processes").hasSize(processes * holds);
        FencedFile fenced = new FencedFile(resource);
        assertThat(fenced.value()).as("every fenced increment accepted").isEqualTo(processes * holds);
        assertThat(fenced.lastToken())
                .isEqualTo(all.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void takerOverFromAKilledHolderShouldDrawAGreaterTokenAndFenceOutTheDeadHoldersWrite() throws Exception {
        ChildJvm holder = start("hold");
        long deadToken = Long.parseLong(holder.awaitLine("HOLDING ", WAIT).substring("HOLDING ".length()));
        FencedFile resource = new FencedFile(work.resolve("resource"));
        try (Manager manager = openHere()) {
            Locker locker = manager.retrieveLock(0);
            assertThat(locker.tryLock()).as("held by the child").isFalse();
            holder.kill();
            assertThat(locker.tryLock(WAIT)).as("taken over after the kill").isTrue();
            try {
                assertThat(locker.fencingToken()).isGreaterThan(deadToken);
                assertThat(resource.write(locker.fencingToken(), 1)).isTrue();
            } finally {
                locker.unlock();
            }
            assertThat(resource.write(deadToken, 2))
                    .as("a late write of the dead holder, delivered after the taker-over wrote")
                    .isFalse();
            assertThat(resource.value()).isEqualTo(1);
        }
    }
}
