package dev.interlock.spring.autoconfigure;

import dev.interlock.HeldLock;
import dev.interlock.Manager;
import dev.interlock.RecoveryListener;
import dev.interlock.file.FileLockManager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.spring.LostLockTracker;
import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The configuration of the {@link Manager} bean over the backend that {@code interlock.backend}
 * selects, unless the application defines a manager of its own. Storage is opened, or created
 * when missing; the manager bean is closed with the context, which releases the locks this
 * process still holds and leaves the storage in place for other processes.
 *
 * @author Interlock team
 */
final class InterlockBackendConfigurations {

    private static final Logger logger = LoggerFactory.getLogger(InterlockBackendConfigurations.class);

    /** What to do about a mode the backend rejects; PROPERTY stands for the property's name. */
    private static final String MODE_ACTION =
            "Set PROPERTY to a mode such as 600 or 660, or remove it to keep the default (600).";

    private InterlockBackendConfigurations() {}

    /**
     * The manager bean. The backend is chosen here, when the bean is created, and not by a
     * condition: with Spring AOT, conditions are evaluated once at build time and their outcome is
     * compiled into the application, so a backend chosen by a condition would ignore an {@code
     * interlock.backend} set at run time. To add a backend, add its constant to {@link Backend}
     * and its case to the switch below (the compiler asks for it), with a factory method next to
     * the others.
     */
    @Configuration(proxyBeanMethods = false)
    static class ManagerConfiguration implements BeanClassLoaderAware {

        private @Nullable ClassLoader classLoader;

        @Override
        public void setBeanClassLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(Manager.class)
        Manager interlockManager(
                InterlockProperties properties,
                Environment environment,
                ObjectProvider<RecoveryListener> listeners,
                ObjectProvider<LostLockTracker> lostLocks) {
            Manager manager = switch (properties.getBackend()) {
                case SHM -> shm(properties.getShm(), environment, listeners);
                case FILE -> file(properties.getFile(), environment);
                case MEMORY -> memory(properties.getMemory());
                case POSTGRESQL -> postgresql(properties.getPostgresql(), environment, lostLocks, classLoader);
            };
            logger.info("Interlock uses {}", manager);
            return manager;
        }
    }

    /**
     * Opens the PostgreSQL backend, whose classes are in an optional dependency: {@link
     * PostgresBackend} is loaded only once they are known to be present.
     */
    private static Manager postgresql(
            InterlockProperties.Postgresql postgresql,
            Environment environment,
            ObjectProvider<LostLockTracker> lostLocks,
            @Nullable ClassLoader classLoader) {
        if (!ClassUtils.isPresent(PostgresBackend.MANAGER_CLASS, classLoader)) {
            throw new InvalidInterlockPropertyException(
                    "interlock.backend",
                    Backend.POSTGRESQL.propertyValue(),
                    "the postgresql backend is in the module dev.interlock:lock-postgresql, which is not on the"
                            + " classpath (" + PostgresBackend.MANAGER_CLASS + " was not found).",
                    "Add the dependency dev.interlock:lock-postgresql (the version of the starter; the Interlock BOM"
                            + " manages it) to the application, or set interlock.backend to shm, file or memory.");
        }
        return PostgresBackend.open(postgresql, environment, lostLocks.getIfUnique());
    }

    private static SHMLockManager shm(
            InterlockProperties.Shm shm, Environment environment, ObjectProvider<RecoveryListener> listeners) {
        String path = (shm.getPath() != null) ? shm.getPath() : DefaultStorageNames.shmPath(environment);
        int numLocks = shm.getNumLocks();
        checked(
                "interlock.shm.num-locks",
                Integer.toString(numLocks),
                "Set interlock.shm.num-locks to a count in that range, or remove it to use the default ("
                        + InterlockProperties.DEFAULT_NUM_LOCKS + ").",
                () -> SHMLockManager.roundedLockCount(numLocks));
        SHMLockManager.Options options = checked(
                        "interlock.shm.mode",
                        shm.getMode(),
                        MODE_ACTION.replace("PROPERTY", "interlock.shm.mode"),
                        () -> SHMLockManager.Options.defaults().withMode(shm.permissions()))
                .withAllowForeignOwner(shm.isAllowForeignOwner())
                .withRecoveryListener(allOf(listeners.orderedStream().toList()));
        Duration recoveryTimeout = shm.getRecoveryTimeout();
        if (recoveryTimeout != null) {
            options = options.withRecoveryTimeout(recoveryTimeout);
        }
        SHMLockManager.Options opened = options;
        // Count and mode are checked above, so an IllegalArgumentException here is about the name.
        return checked(
                "interlock.shm.path",
                path,
                "Set interlock.shm.path to a name such as /interlock-orders, or remove it to use the default"
                        + " derived from the user and spring.application.name.",
                () -> SHMLockManager.openOrCreate(path, numLocks, opened));
    }

    /** Tells every listener bean about a recovery; one failing listener does not silence the others. */
    private static RecoveryListener allOf(List<RecoveryListener> listeners) {
        return deadHolder -> {
            for (RecoveryListener listener : listeners) {
                notify(listener, deadHolder);
            }
        };
    }

    private static void notify(RecoveryListener listener, HeldLock deadHolder) {
        try {
            listener.lockRecovered(deadHolder);
        } catch (RuntimeException ex) {
            logger.warn("RecoveryListener {} failed for recovered lock {}", listener, deadHolder.id(), ex);
        }
    }

    private static FileLockManager file(InterlockProperties.File file, Environment environment) {
        Path directory =
                (file.getDirectory() != null) ? file.getDirectory() : DefaultStorageNames.fileDirectory(environment);
        FileLockManager.Options options = checked(
                        "interlock.file.mode",
                        file.getMode(),
                        MODE_ACTION.replace("PROPERTY", "interlock.file.mode"),
                        () -> FileLockManager.Options.defaults().withMode(file.permissions()))
                .withAllowForeignOwner(file.isAllowForeignOwner());
        if (file.isPortableLocking()) {
            options = options.withPortableLocking(true);
        }
        FileLockManager manager = FileLockManager.openOrCreate(directory, options);
        if (manager.portableLocking()) {
            logger.info(
                    "Interlock's file backend locks with the JDK's file locks on {} ({}): waiters poll, and"
                            + " /actuator/locks lists only this process's holds; every process of {} must run in"
                            + " this mode",
                    System.getProperty("os.name"),
                    file.isPortableLocking() ? "interlock.file.portable-locking=true" : "flock needs Linux",
                    directory);
        }
        return manager;
    }

    private static InMemoryManager memory(InterlockProperties.Memory memory) {
        return InMemoryManager.create(memory.getNumLocks());
    }

    /**
     * Runs a backend step that validates a property's value, reporting its rejection as an
     * invalid property, with the backend's own explanation, rather than as a bare
     * IllegalArgumentException in a bean creation failure.
     */
    static <T> T checked(String property, String value, String action, Supplier<T> step) {
        try {
            return step.get();
        } catch (IllegalArgumentException ex) {
            throw new InvalidInterlockPropertyException(property, value, ex.getMessage() + ".", action);
        }
    }
}
