package dev.interlock.spring.autoconfigure;

import dev.interlock.spring.aop.WithLockAdvisor;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for Interlock, under {@code interlock}.
 *
 * @author Interlock team
 * @since 0.1.0
 */
@ConfigurationProperties("interlock")
public class InterlockProperties {

    /** Lock count of the shm and memory backends unless configured: podman's default. */
    static final int DEFAULT_NUM_LOCKS = 2048;

    /** Mode of new lock storage unless configured: owner read and write only. */
    static final String DEFAULT_MODE = "600";

    /**
     * Where locks live: shm (a shared-memory segment, Linux), file (one lock file per lock in a
     * directory), postgresql (advisory locks of a PostgreSQL server, across hosts; needs
     * dev.interlock:lock-postgresql) or memory (this JVM only, for tests). Defaults to shm on Linux
     * and file elsewhere.
     */
    private Backend backend = Backend.platformDefault();

    /** Whether the Interlock starter configures anything at all; false switches every part of it off. */
    private boolean enabled = true;

    private final Shm shm = new Shm();

    private final File file = new File();

    private final Memory memory = new Memory();

    private final Postgresql postgresql = new Postgresql();

    private final Aspect aspect = new Aspect();

    /**
     * Returns {@code interlock.enabled}.
     *
     * @return the value
     * @since 0.2.0
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Sets {@code interlock.enabled}.
     *
     * @param enabled the value
     * @since 0.2.0
     */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * Returns {@code interlock.backend}.
     *
     * @return the value
     */
    public Backend getBackend() {
        return backend;
    }

    /**
     * Sets {@code interlock.backend}.
     *
     * @param backend the value
     */
    public void setBackend(Backend backend) {
        this.backend = backend;
    }

    /**
     * Returns the {@code interlock.shm.*} settings.
     *
     * @return the settings
     */
    public Shm getShm() {
        return shm;
    }

    /**
     * Returns the {@code interlock.file.*} settings.
     *
     * @return the settings
     */
    public File getFile() {
        return file;
    }

    /**
     * Returns the {@code interlock.memory.*} settings.
     *
     * @return the settings
     */
    public Memory getMemory() {
        return memory;
    }

    /**
     * Returns the {@code interlock.postgresql.*} settings.
     *
     * @return the settings
     * @since 0.2.0
     */
    public Postgresql getPostgresql() {
        return postgresql;
    }

    /**
     * Returns the {@code interlock.aspect.*} settings.
     *
     * @return the settings
     */
    public Aspect getAspect() {
        return aspect;
    }

    /**
     * The lock storage backends.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public enum Backend {

        /** A POSIX shared-memory segment holding every lock: the fastest, Linux only. */
        SHM,

        /** One lock file per lock in a directory, locked with file locks: any platform. */
        FILE,

        /** Locks of this JVM only, not shared with other processes: for tests. */
        MEMORY,

        /**
         * Session-level advisory locks of a PostgreSQL server: shared by every process on every
         * host that uses the same database and lock space. Needs {@code dev.interlock:lock-postgresql}
         * on the classpath.
         *
         * @since 0.2.0
         */
        POSTGRESQL;

        /**
         * Returns the backend used when {@code interlock.backend} is not set: {@link #SHM} on
         * Linux, {@link #FILE} elsewhere.
         *
         * @return the default backend for the running platform
         */
        public static Backend platformDefault() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            return os.startsWith("linux") ? SHM : FILE;
        }

        /**
         * Returns the value as written in properties and metric tags.
         *
         * @return {@code shm}, {@code file}, {@code memory} or {@code postgresql}
         */
        public String propertyValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Settings of the shared-memory backend.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static class Shm {

        /**
         * Name of the shared-memory segment, such as /interlock-orders (a leading slash and up to
         * 255 characters without another slash). Processes that use the same name share locks.
         * Defaults to /interlock-USER-APP, from the OS user and spring.application.name.
         */
        private @Nullable String path;

        /**
         * Number of locks in the segment, rounded up to a whole 64-lock word. Must match the
         * count the segment was created with.
         */
        private int numLocks = DEFAULT_NUM_LOCKS;

        /**
         * Permissions of a new segment, octal (600, 0660) or symbolic (rw-rw----). Give the group
         * read and write to share locks between users of one group.
         */
        private String mode = DEFAULT_MODE;

        private Set<PosixFilePermission> permissions = PosixModes.parse("interlock.shm.mode", DEFAULT_MODE);

        /**
         * Longest time a waiter takes to notice that the lock's holder died and take the lock
         * over. Defaults to the backend's bound (250 ms).
         */
        private @Nullable Duration recoveryTimeout;

        /**
         * Whether to use a segment that belongs to another user. Off by default, because another
         * user could then hold or corrupt every lock.
         */
        private boolean allowForeignOwner;

        /**
         * Returns {@code interlock.shm.path}.
         *
         * @return the value
         */
        public @Nullable String getPath() {
            return path;
        }

        /**
         * Sets {@code interlock.shm.path}.
         *
         * @param path the value
         */
        public void setPath(@Nullable String path) {
            this.path = path;
        }

        /**
         * Returns {@code interlock.shm.num-locks}.
         *
         * @return the value
         */
        public int getNumLocks() {
            return numLocks;
        }

        /**
         * Sets {@code interlock.shm.num-locks}.
         *
         * @param numLocks the value
         * @throws IllegalArgumentException if the count is below 1
         */
        public void setNumLocks(int numLocks) {
            this.numLocks = requirePositiveLockCount("interlock.shm.num-locks", numLocks);
        }

        /**
         * Returns {@code interlock.shm.mode}.
         *
         * @return the value
         */
        public String getMode() {
            return mode;
        }

        /**
         * Sets {@code interlock.shm.mode}.
         *
         * @param mode the value
         * @throws IllegalArgumentException if the mode is neither octal nor a permission string
         */
        public void setMode(String mode) {
            this.permissions = PosixModes.parse("interlock.shm.mode", mode);
            this.mode = mode;
        }

        Set<PosixFilePermission> permissions() {
            return permissions;
        }

        /**
         * Returns {@code interlock.shm.recovery-timeout}.
         *
         * @return the value
         */
        public @Nullable Duration getRecoveryTimeout() {
            return recoveryTimeout;
        }

        /**
         * Sets {@code interlock.shm.recovery-timeout}.
         *
         * @param recoveryTimeout the value
         * @throws IllegalArgumentException if the duration is zero or negative
         */
        public void setRecoveryTimeout(@Nullable Duration recoveryTimeout) {
            if (recoveryTimeout != null && (recoveryTimeout.isZero() || recoveryTimeout.isNegative())) {
                throw new InvalidInterlockPropertyException(
                        "interlock.shm.recovery-timeout",
                        recoveryTimeout.toString(),
                        "a waiter needs a positive time before it checks whether the holder died.",
                        "Set interlock.shm.recovery-timeout to a positive duration such as 250ms, or remove it to"
                                + " keep the backend's default.");
            }
            this.recoveryTimeout = recoveryTimeout;
        }

        /**
         * Returns {@code interlock.shm.allow-foreign-owner}.
         *
         * @return the value
         */
        public boolean isAllowForeignOwner() {
            return allowForeignOwner;
        }

        /**
         * Sets {@code interlock.shm.allow-foreign-owner}.
         *
         * @param allowForeignOwner the value
         */
        public void setAllowForeignOwner(boolean allowForeignOwner) {
            this.allowForeignOwner = allowForeignOwner;
        }
    }

    /**
     * Settings of the file backend.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static class File {

        /**
         * Directory holding the lock files. Processes that use the same directory share locks.
         * Defaults to interlock-USER-APP under java.io.tmpdir, from the OS user and
         * spring.application.name.
         */
        private @Nullable Path directory;

        /** Permissions of new lock files, octal (600, 0660) or symbolic (rw-rw----). */
        private String mode = DEFAULT_MODE;

        private Set<PosixFilePermission> permissions = PosixModes.parse("interlock.file.mode", DEFAULT_MODE);

        /**
         * Whether to use a lock directory that belongs to another user. Off by default, because
         * another user could then hold or corrupt every lock.
         */
        private boolean allowForeignOwner;

        /**
         * Whether to lock with the JDK's file locks instead of flock on Linux too, as every other
         * platform does; every process of one directory must use the same mode.
         */
        private boolean portableLocking;

        /**
         * Returns {@code interlock.file.directory}.
         *
         * @return the value
         */
        public @Nullable Path getDirectory() {
            return directory;
        }

        /**
         * Sets {@code interlock.file.directory}.
         *
         * @param directory the value
         */
        public void setDirectory(@Nullable Path directory) {
            this.directory = directory;
        }

        /**
         * Returns {@code interlock.file.mode}.
         *
         * @return the value
         */
        public String getMode() {
            return mode;
        }

        /**
         * Sets {@code interlock.file.mode}.
         *
         * @param mode the value
         * @throws IllegalArgumentException if the mode is neither octal nor a permission string
         */
        public void setMode(String mode) {
            this.permissions = PosixModes.parse("interlock.file.mode", mode);
            this.mode = mode;
        }

        Set<PosixFilePermission> permissions() {
            return permissions;
        }

        /**
         * Returns {@code interlock.file.allow-foreign-owner}.
         *
         * @return the value
         */
        public boolean isAllowForeignOwner() {
            return allowForeignOwner;
        }

        /**
         * Sets {@code interlock.file.allow-foreign-owner}.
         *
         * @param allowForeignOwner the value
         */
        public void setAllowForeignOwner(boolean allowForeignOwner) {
            this.allowForeignOwner = allowForeignOwner;
        }

        /**
         * Returns {@code interlock.file.portable-locking}.
         *
         * @return the value
         */
        public boolean isPortableLocking() {
            return portableLocking;
        }

        /**
         * Sets {@code interlock.file.portable-locking}.
         *
         * @param portableLocking the value
         */
        public void setPortableLocking(boolean portableLocking) {
            this.portableLocking = portableLocking;
        }
    }

    /**
     * Settings of the in-memory backend.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static class Memory {

        /** Number of locks. */
        private int numLocks = DEFAULT_NUM_LOCKS;

        /**
         * Returns {@code interlock.memory.num-locks}.
         *
         * @return the value
         */
        public int getNumLocks() {
            return numLocks;
        }

        /**
         * Sets {@code interlock.memory.num-locks}.
         *
         * @param numLocks the value
         * @throws IllegalArgumentException if the count is below 1
         */
        public void setNumLocks(int numLocks) {
            this.numLocks = requirePositiveLockCount("interlock.memory.num-locks", numLocks);
        }
    }

    /**
     * Settings of the PostgreSQL backend ({@code interlock.backend=postgresql}). The backend opens
     * connections of its own with these settings (one per application, plus one per lock that
     * threads wait for, up to {@code max-waiting-sessions}); it never uses the application's
     * connection pool.
     *
     * @author Interlock team
     * @since 0.2.0
     */
    public static class Postgresql {

        /**
         * JDBC URL of the database that holds the locks, such as
         * jdbc:postgresql://db:5432/app. Defaults to spring.datasource.url.
         */
        private @Nullable String url;

        /** Login user of the backend's own connections. Defaults to spring.datasource.username. */
        private @Nullable String username;

        /** Login password of the backend's own connections. Defaults to spring.datasource.password. */
        private @Nullable String password;

        /**
         * Name of the lock space: the set of lock IDs and names that every process using the same
         * name shares in this database. Defaults to spring.application.name.
         */
        private @Nullable String lockSpace;

        /** Number of lock IDs in the lock space. Must match the count it was created with. */
        private int numLocks = DEFAULT_NUM_LOCKS;

        /**
         * Schema of the backend's tables, created on first use unless it exists. Defaults to
         * interlock.
         */
        private @Nullable String schema;

        /**
         * How long the server keeps a silent session (and its locks): a holder that was frozen or
         * cut off loses its locks after this time, and learns it within 0.8 of it. Defaults to the
         * backend's 8s.
         */
        private @Nullable Duration sessionTimeout;

        /**
         * How often an idle holder session is checked with a query. Defaults to a quarter of the
         * session timeout.
         */
        private @Nullable Duration heartbeatInterval;

        /** Longest wait for the server when opening a connection. Defaults to the backend's 10s. */
        private @Nullable Duration connectTimeout;

        /**
         * Most connections that wait on the server for locks held elsewhere, one per lock being
         * waited for. Defaults to the backend's 4.
         */
        private @Nullable Integer maxWaitingSessions;

        /**
         * Most consecutive acquisitions of one lock by this application ahead of other processes
         * queued for it; then it hands the lock to the first of them. Defaults to the backend's
         * 200.
         */
        private @Nullable Integer handOffAcquisitions;

        /**
         * Longest time from the first of consecutive acquisitions of one lock by this application
         * until it hands the lock to the first process queued for it; a queued process waits about
         * this long for each process ahead of it. Defaults to the backend's 20ms.
         */
        private @Nullable Duration handOffTime;

        /**
         * Returns {@code interlock.postgresql.url}.
         *
         * @return the value
         */
        public @Nullable String getUrl() {
            return url;
        }

        /**
         * Sets {@code interlock.postgresql.url}.
         *
         * @param url the value
         */
        public void setUrl(@Nullable String url) {
            this.url = url;
        }

        /**
         * Returns {@code interlock.postgresql.username}.
         *
         * @return the value
         */
        public @Nullable String getUsername() {
            return username;
        }

        /**
         * Sets {@code interlock.postgresql.username}.
         *
         * @param username the value
         */
        public void setUsername(@Nullable String username) {
            this.username = username;
        }

        /**
         * Returns {@code interlock.postgresql.password}.
         *
         * @return the value
         */
        public @Nullable String getPassword() {
            return password;
        }

        /**
         * Sets {@code interlock.postgresql.password}.
         *
         * @param password the value
         */
        public void setPassword(@Nullable String password) {
            this.password = password;
        }

        /**
         * Returns {@code interlock.postgresql.lock-space}.
         *
         * @return the value
         */
        public @Nullable String getLockSpace() {
            return lockSpace;
        }

        /**
         * Sets {@code interlock.postgresql.lock-space}.
         *
         * @param lockSpace the value
         */
        public void setLockSpace(@Nullable String lockSpace) {
            this.lockSpace = lockSpace;
        }

        /**
         * Returns {@code interlock.postgresql.num-locks}.
         *
         * @return the value
         */
        public int getNumLocks() {
            return numLocks;
        }

        /**
         * Sets {@code interlock.postgresql.num-locks}.
         *
         * @param numLocks the value
         * @throws IllegalArgumentException if the count is below 1
         */
        public void setNumLocks(int numLocks) {
            this.numLocks = requirePositiveLockCount("interlock.postgresql.num-locks", numLocks);
        }

        /**
         * Returns {@code interlock.postgresql.schema}.
         *
         * @return the value
         */
        public @Nullable String getSchema() {
            return schema;
        }

        /**
         * Sets {@code interlock.postgresql.schema}.
         *
         * @param schema the value
         */
        public void setSchema(@Nullable String schema) {
            this.schema = schema;
        }

        /**
         * Returns {@code interlock.postgresql.session-timeout}.
         *
         * @return the value
         */
        public @Nullable Duration getSessionTimeout() {
            return sessionTimeout;
        }

        /**
         * Sets {@code interlock.postgresql.session-timeout}.
         *
         * @param sessionTimeout the value
         */
        public void setSessionTimeout(@Nullable Duration sessionTimeout) {
            this.sessionTimeout = sessionTimeout;
        }

        /**
         * Returns {@code interlock.postgresql.heartbeat-interval}.
         *
         * @return the value
         */
        public @Nullable Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        /**
         * Sets {@code interlock.postgresql.heartbeat-interval}.
         *
         * @param heartbeatInterval the value
         */
        public void setHeartbeatInterval(@Nullable Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
        }

        /**
         * Returns {@code interlock.postgresql.connect-timeout}.
         *
         * @return the value
         */
        public @Nullable Duration getConnectTimeout() {
            return connectTimeout;
        }

        /**
         * Sets {@code interlock.postgresql.connect-timeout}.
         *
         * @param connectTimeout the value
         */
        public void setConnectTimeout(@Nullable Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        /**
         * Returns {@code interlock.postgresql.max-waiting-sessions}.
         *
         * @return the value
         */
        public @Nullable Integer getMaxWaitingSessions() {
            return maxWaitingSessions;
        }

        /**
         * Sets {@code interlock.postgresql.max-waiting-sessions}.
         *
         * @param maxWaitingSessions the value
         */
        public void setMaxWaitingSessions(@Nullable Integer maxWaitingSessions) {
            this.maxWaitingSessions = maxWaitingSessions;
        }

        /**
         * Returns {@code interlock.postgresql.hand-off-acquisitions}.
         *
         * @return the value
         */
        public @Nullable Integer getHandOffAcquisitions() {
            return handOffAcquisitions;
        }

        /**
         * Sets {@code interlock.postgresql.hand-off-acquisitions}.
         *
         * @param handOffAcquisitions the value
         */
        public void setHandOffAcquisitions(@Nullable Integer handOffAcquisitions) {
            this.handOffAcquisitions = handOffAcquisitions;
        }

        /**
         * Returns {@code interlock.postgresql.hand-off-time}.
         *
         * @return the value
         */
        public @Nullable Duration getHandOffTime() {
            return handOffTime;
        }

        /**
         * Sets {@code interlock.postgresql.hand-off-time}.
         *
         * @param handOffTime the value
         */
        public void setHandOffTime(@Nullable Duration handOffTime) {
            this.handOffTime = handOffTime;
        }
    }

    /**
     * Settings of {@link dev.interlock.spring.WithLock @WithLock}.
     *
     * @author Interlock team
     * @since 0.1.0
     */
    public static class Aspect {

        /** Whether methods annotated with @WithLock are advised. */
        private boolean enabled = true;

        /**
         * Order of the @WithLock advisor among other advice; lower runs first (outside). The
         * default runs outside @Transactional, whose advisor has the lowest precedence unless
         * configured otherwise.
         */
        private int order = WithLockAdvisor.DEFAULT_ORDER;

        /**
         * Returns {@code interlock.aspect.enabled}.
         *
         * @return the value
         */
        public boolean isEnabled() {
            return enabled;
        }

        /**
         * Sets {@code interlock.aspect.enabled}.
         *
         * @param enabled the value
         */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /**
         * Returns {@code interlock.aspect.order}.
         *
         * @return the value
         */
        public int getOrder() {
            return order;
        }

        /**
         * Sets {@code interlock.aspect.order}.
         *
         * @param order the value
         */
        public void setOrder(int order) {
            this.order = order;
        }
    }

    private static int requirePositiveLockCount(String property, int numLocks) {
        if (numLocks < 1) {
            throw new InvalidInterlockPropertyException(
                    property,
                    Integer.toString(numLocks),
                    "a lock manager needs at least 1 lock.",
                    "Set " + property + " to a positive lock count, or remove it to use the default ("
                            + DEFAULT_NUM_LOCKS + ").");
        }
        return numLocks;
    }
}
