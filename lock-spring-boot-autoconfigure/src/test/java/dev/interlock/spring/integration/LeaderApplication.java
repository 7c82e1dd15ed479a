package dev.interlock.spring.integration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * A Spring Boot application with the starter and a {@link LockRegistryLeaderInitiator} over the
 * auto-configured {@link InterlockLockRegistry}, run in child JVMs by {@link
 * InterlockLockRegistryLeaderElectionTests}. Arguments are Spring properties such as {@code
 * --interlock.backend=file}. It prints {@code READY} once started, {@code GRANTED <pid>} and
 * {@code REVOKED <pid>} as leadership changes, and runs until standard input ends.
 *
 * @author Interlock team
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class LeaderApplication {

    @Bean
    LockRegistryLeaderInitiator leaderInitiator(LockRegistry registry) {
        long pid = ProcessHandle.current().pid();
        LockRegistryLeaderInitiator initiator =
                new LockRegistryLeaderInitiator(registry, new DefaultCandidate("interlock-" + pid, "interlock-test") {
                    @Override
                    public void onGranted(Context context) {
                        super.onGranted(context);
                        System.out.println("GRANTED " + pid + " " + System.nanoTime());
                    }

                    @Override
                    public void onRevoked(Context context) {
                        super.onRevoked(context);
                        System.out.println("REVOKED " + pid);
                    }
                });
        initiator.setHeartBeatMillis(100);
        initiator.setBusyWaitMillis(50);
        return initiator;
    }

    /**
     * Runs the application until standard input ends.
     *
     * @param args Spring properties
     * @throws IOException if reading standard input fails
     */
    public static void main(String[] args) throws IOException {
        SpringApplication application = new SpringApplication(LeaderApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = application.run(args)) {
            System.out.println("READY");
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (stdin.readLine() != null) {
                // Run until the parent closes standard input or kills this process.
            }
        }
    }
}
