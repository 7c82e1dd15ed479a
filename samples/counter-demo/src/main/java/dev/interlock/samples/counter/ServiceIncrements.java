package dev.interlock.samples.counter;

import dev.interlock.spring.WithLock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Service mode: increments the shared counter now and then, keeping the lock for {@code
 * demo.service-hold} each time and pausing {@code demo.service-pause} (100 ms) in between, so that two instances take turns and {@code /actuator/locks} and
 * the {@code interlock.lock.wait} timer show it.
 *
 * @author Interlock team
 */
@Component
@EnableScheduling
@ConditionalOnProperty(name = "demo.mode", havingValue = "service")
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
    @Scheduled(fixedDelayString = "${demo.service-pause:100ms}")
    @WithLock(name = LockedCounter.LOCK_NAME)
    public void increment() throws InterruptedException {
        long value = counter.read() + 1;
        // Stands for real work done under the lock; it makes the other instance wait visibly.
        Thread.sleep(hold.toMillis());
        counter.write(value);
        logger.info("Counter in {} is now {}", counter.path(), value);
    }
}
