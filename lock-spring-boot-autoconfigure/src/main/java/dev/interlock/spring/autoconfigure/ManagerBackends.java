package dev.interlock.spring.autoconfigure;

import dev.interlock.Manager;
import dev.interlock.file.FileLockManager;
import dev.interlock.memory.InMemoryManager;
import dev.interlock.shm.SHMLockManager;
import dev.interlock.spring.autoconfigure.InterlockProperties.Backend;
import java.util.Locale;
import org.springframework.util.ClassUtils;

/**
 * Names the backend of a manager bean, for the {@code backend} metric tag, the endpoint and the
 * health details; it also works for a manager the application defined itself.
 *
 * @author Interlock team
 */
final class ManagerBackends {

    private static final boolean POSTGRES_PRESENT =
            ClassUtils.isPresent(PostgresBackend.MANAGER_CLASS, ManagerBackends.class.getClassLoader());

    private ManagerBackends() {}

    /**
     * Returns the backend's name.
     *
     * @param manager the manager bean
     * @return {@code shm}, {@code file}, {@code memory} or {@code postgresql}, or the lower-case simple class name of
     *     another implementation
     */
    static String nameOf(Manager manager) {
        if (manager instanceof SHMLockManager) {
            return Backend.SHM.propertyValue();
        }
        if (manager instanceof FileLockManager) {
            return Backend.FILE.propertyValue();
        }
        if (manager instanceof InMemoryManager) {
            return Backend.MEMORY.propertyValue();
        }
        if (POSTGRES_PRESENT && PostgresBackend.isPostgres(manager)) {
            return Backend.POSTGRESQL.propertyValue();
        }
        return manager.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
}
