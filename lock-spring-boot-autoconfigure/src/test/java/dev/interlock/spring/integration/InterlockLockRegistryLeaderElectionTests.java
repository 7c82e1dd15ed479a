package dev.interlock.spring.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.interlock.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link InterlockLockRegistry} under Spring Integration's own {@code
 * LockRegistryLeaderInitiator}, across two processes ({@link LeaderApplication} in child JVMs on
 * one lock directory): exactly one is leader, and when the leader is killed with {@code SIGKILL}
 * the other takes over within a bound (the kernel drops the dead holder's lock at once; the
 * survivor notices at its next attempt, every 100 ms heartbeat plus 50 ms busy wait).
 *
 * @author Interlock team
 */
@EnabledOnOs(OS.LINUX)
class InterlockLockRegistryLeaderElectionTests {

    private static final Duration STARTUP = Duration.ofSeconds(60);

    /** Generous for two loaded CPUs: the initiator alone needs at most about 0.2 s. */
    private static final Duration TAKEOVER = Duration.ofSeconds(5);

    @TempDir
    private Path temp;

    @Test
    void killedLeaderShouldBeReplacedByTheOtherProcess() {
        String[] properties = {"--interlock.backend=file", "--interlock.file.directory=" + temp.resolve("locks")};
        try (ChildJvm first = ChildJvm.start(LeaderApplication.class, properties);
                ChildJvm second = ChildJvm.start(LeaderApplication.class, properties)) {
            first.awaitLine("READY", STARTUP);
            second.awaitLine("READY", STARTUP);
            ChildJvm leader = awaitLeader(first, second);
            ChildJvm follower = leader == first ? second : first;
            // Several heartbeats of the follower: it must not become leader while the leader lives.
            sleep(Duration.ofSeconds(1));
            assertThat(grantedLines(follower)).as("follower never granted").isEmpty();
            assertThat(grantedLines(leader)).as("leader granted once").hasSize(1);

            long killed = System.nanoTime();
            leader.kill();
            String granted = follower.awaitLine("GRANTED", STARTUP);
            long grantedAt = Long.parseLong(granted.substring(granted.lastIndexOf(' ') + 1));
            assertThat(Duration.ofNanos(grantedAt - killed))
                    .as("from SIGKILL of the leader to the other process leading")
                    .isLessThan(TAKEOVER);
        }
    }

    private static ChildJvm awaitLeader(ChildJvm first, ChildJvm second) {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            boolean firstLeads = !grantedLines(first).isEmpty();
            boolean secondLeads = !grantedLines(second).isEmpty();
            assertThat(firstLeads && secondLeads)
                    .as("both processes leading at once")
                    .isFalse();
            if (firstLeads || secondLeads) {
                return firstLeads ? first : second;
            }
            sleep(Duration.ofMillis(20));
        }
        throw new AssertionError(
                "No leader within " + STARTUP + "; outputs:\n" + first.output() + "\n" + second.output());
    }

    private static List<String> grantedLines(ChildJvm child) {
        return child.output().lines().filter(line -> line.startsWith("GRANTED")).toList();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }
}
