package dev.interlock.samples.counter;

import dev.interlock.spring.WithLock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Service mode: increments the shared counter now and then, keeping the lock for {@code
 * demo.service-hold} each time and pausing {@code demo.service-pause} (100 ms) in between, so that two instances take turns and {@code /actuator/locks} and
 * the {@code interlock.lock.wait} timer show it. The increments are scheduled by {@link Schedule}
 * only when the process runs in service mode, decided at run time so that it holds with Spring AOT.
 *
 * @author Interlock team
 */
@Component
@EnableScheduling
class ServiceIncrements {

    private static final Logger logger = LoggerFactory.getLogger(ServiceIncrements.class);

    private final CounterFile counter;

    private final Duration hold;

    ServiceIncrements(CounterFile counter, DemoProperties properties) {
        this.counter = counter;
        this.hold = properties.getServiceHold();
    }

    /**
     * Adds one to the counter, taking {@code demo.service-hold} for it while holding the lock.
     *
     * @throws InterruptedException if the application shuts down meanwhile
     */
    @WithLock(name = LockedCounter.LOCK_NAME)
    public void increment() throws InterruptedException {
        long value = counter.read() + 1;
        // Stands for real work done under the lock; it makes the other instance wait visibly.
        Thread.sleep(hold.toMillis());
        counter.write(value);
        logger.info("Counter in {} is now {}", counter.path(), value);
    }

    /**
     * Schedules {@link #increment()} every {@code demo.service-pause} (100 ms) after the last one
     * ended, in service mode only.
     *
     * @author Interlock team
     */
    @Component
    static class Schedule implements SchedulingConfigurer {

        private final DemoProperties properties;

        private final ServiceIncrements increments;

        private final Duration pause;

        Schedule(DemoProperties properties, ServiceIncrements increments, Environment environment) {
            this.properties = properties;
            this.increments = increments;
            this.pause = DurationStyle.detectAndParse(environment.getProperty("demo.service-pause", "100ms"));
        }

        @Override
        public void configureTasks(ScheduledTaskRegistrar registrar) {
            if (properties.getMode() == DemoProperties.Mode.SERVICE && DemoRunner.jobPid() == null) {
                registrar.addFixedDelayTask(this::increment, pause);
            }
        }

        private void increment() {
            try {
                increments.increment();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
