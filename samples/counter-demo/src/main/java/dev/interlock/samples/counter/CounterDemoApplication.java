package dev.interlock.samples.counter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The counter demo: by default a job that starts several worker processes of this application,
 * which increment one counter file under {@link dev.interlock.spring.WithLock @WithLock}, kills
 * one of them while it holds the lock, and exits with 0 only if the count is exact. With the
 * {@code service} profile it runs as a long-lived web application instead.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@SpringBootApplication
@EnableConfigurationProperties(DemoProperties.class)
public class CounterDemoApplication {

    /** The counter file's name inside {@code demo.work-dir}. */
    static final String COUNTER_FILE = "counter";

    /**
     * Starts the demo; in job and worker mode the process then exits with the job's outcome.
     *
     * @param args Spring Boot arguments, such as {@code --interlock.backend=file} or {@code
     *     --demo.workers=6}; with {@code --interlock.backend=postgresql} and no database URL, an
     *     embedded PostgreSQL is started for the run
     */
    public static void main(String[] args) {
        ConfigurableApplicationContext context =
                SpringApplication.run(CounterDemoApplication.class, EmbeddedDatabase.withDatabase(args));
        DemoProperties.Mode mode = context.getBean(DemoProperties.class).getMode();
        if (mode != DemoProperties.Mode.SERVICE) {
            System.exit(SpringApplication.exit(context));
        }
    }

    @Bean
    CounterFile counterFile(DemoProperties properties) {
        return new CounterFile(properties.getWorkDir().resolve(COUNTER_FILE));
    }
}
