package dev.interlock.spring;

import dev.interlock.testing.SharedCounter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A small Spring Boot application using the starter, run in child JVMs by {@link
 * WithLockMultiProcessTests}. Its first argument picks what it does; the rest are Spring
 * properties such as {@code --interlock.backend=shm}.
 *
 * <ul>
 *   <li>{@code count <file> <threads> <iterations> [properties]}: prints {@code READY}, waits for
 *       {@code GO} on standard input, then has each thread call {@link
 *       CounterService#increment} {@code iterations} times and prints {@code DONE}.
 *   <li>{@code hold [properties]}: enters {@link CounterService#hold}, prints {@code HOLDING} with
 *       the lock held, and waits for standard input to end (or to be killed).
 * </ul>
 *
 * @author Interlock team
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class CounterApplication {

    @Bean
    CounterService counterService() {
        return new CounterService();
    }

    /**
     * Runs the application.
     *
     * @param args the mode, its arguments, then Spring properties
     * @throws Exception if a worker fails, which exits with a stack trace and a non-zero code
     */
    public static void main(String[] args) throws Exception {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean count = args[0].equals("count");
        String[] properties = Arrays.copyOfRange(args, count ? 4 : 1, args.length);
        SpringApplication application = new SpringApplication(CounterApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = application.run(properties)) {
            CounterService service = context.getBean(CounterService.class);
            if (count) {
                count(service, stdin, Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            } else {
                service.hold(stdin);
            }
        }
    }

    private static void count(CounterService service, BufferedReader stdin, Path file, int threads, int iterations)
            throws Exception {
        System.out.println("READY");
        if (!"GO".equals(stdin.readLine())) {
            throw new IllegalStateException("expected GO on standard input");
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < iterations; i++) {
                        service.increment(file);
                    }
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println("DONE");
    }

    /**
     * The locked operations.
     *
     * @author Interlock team
     */
    public static class CounterService {

        /**
         * Increments the counter in {@code file} by read-modify-write under the lock.
         *
         * @param file the counter file
         * @return the new value
         */
        @WithLock(name = "'counter-' + #file.fileName")
        public long increment(Path file) {
            return new SharedCounter(file).increment();
        }

        /**
         * Holds the lock {@code held} until standard input ends.
         *
         * @param stdin the standard input
         * @throws IOException if reading fails
         */
        @WithLock(name = "held")
        public void hold(BufferedReader stdin) throws IOException {
            System.out.println("HOLDING");
            while (stdin.readLine() != null) {
                // Hold until the parent closes standard input or kills this process.
            }
        }
    }
}
