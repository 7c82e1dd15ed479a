package dev.interlock.postgresql;

import dev.interlock.postgresql.PostgresConnectionException.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Opens the backend's own server sessions (never the application's pooled ones) with the
 * server-side bounds that make a lost session end on the server no sooner than the client gives
 * it up, and tells the failures apart.
 *
 * @author Interlock team
 */
final class Connections {

    /** The application_name prefix by which {@code locksHeld} recognises holder sessions. */
    static final String APPLICATION_NAME_PREFIX = "interlock pid=";

    private static final Pattern APPLICATION_NAME = Pattern.compile("^interlock pid=(\\d+) host=(.*)$");

    private static final Pattern PASSWORD_IN_URL = Pattern.compile("(?i)(password=)[^&;]*");

    private static final int MAX_APPLICATION_NAME_BYTES = 63;

    private final String url;

    private final PostgresLockManager.Options options;

    private final String applicationName;

    Connections(String url, PostgresLockManager.Options options) {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("The PostgreSQL backend needs a jdbc:postgresql: URL, but got '"
                    + redact(url) + "'; for example jdbc:postgresql://db.example.com:5432/app");
        }
        // The driver lets URL parameters win over properties; credentials from the options must win.
        this.url = options.user() == null ? url : withoutCredentials(url);
        this.options = options;
        this.applicationName = applicationName(ProcessHandle.current().pid(), localHostName());
    }

    /** The URL with any password replaced by {@code ***}, for messages. */
    String redactedUrl() {
        return redact(url);
    }

    static String withoutCredentials(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return url;
        }
        StringBuilder kept = new StringBuilder();
        for (String parameter : url.substring(query + 1).split("&")) {
            String key = parameter.split("=", 2)[0].toLowerCase(java.util.Locale.ROOT);
            if (!key.equals("user") && !key.equals("password") && !parameter.isEmpty()) {
                kept.append(kept.length() == 0 ? "" : "&").append(parameter);
            }
        }
        return url.substring(0, query) + (kept.length() == 0 ? "" : "?" + kept);
    }

    static String redact(String url) {
        return PASSWORD_IN_URL.matcher(url).replaceAll("$1***");
    }

    /**
     * Opens a session. A holder session gets {@code idle_session_timeout}; every session gets TCP
     * keepalives and {@code tcp_user_timeout} no shorter than the session timeout, so that the
     * server never ends a live client's session early, and {@code synchronous_commit=on} so that
     * fencing tokens are durable (see {@link Sql#TRY_LOCK}).
     *
     * @param holder whether this is a holder session (bounded idle time) or a waiter session
     * @return an autocommitting connection
     * @throws PostgresConnectionException if no session could be opened
     */
    Connection open(boolean holder) {
        Properties props = new Properties();
        if (options.user() != null) {
            props.setProperty("user", options.user());
        }
        if (options.password() != null) {
            props.setProperty("password", options.password());
        }
        props.setProperty("ApplicationName", applicationName);
        long connectSeconds = Math.max(1, ceilSeconds(options.connectTimeout()));
        props.setProperty("connectTimeout", Long.toString(connectSeconds));
        props.setProperty("loginTimeout", Long.toString(connectSeconds));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("prepareThreshold", "1");
        props.setProperty("options", serverOptions(holder));
        try {
            Connection connection = DriverManager.getConnection(url, props);
            connection.setAutoCommit(true);
            return connection;
        } catch (SQLException ex) {
            throw connectFailure(ex);
        }
    }

    /** The session timeout in milliseconds, the idle bound of a waiter session at a lock's queue. */
    long sessionTimeoutMillis() {
        return options.sessionTimeout().toMillis();
    }

    private String serverOptions(boolean holder) {
        Duration timeout = options.sessionTimeout();
        long timeoutMillis = timeout.toMillis();
        long seconds = Math.max(2, ceilSeconds(timeout));
        long keepaliveIdle = Math.max(1, seconds / 2);
        long keepaliveInterval = Math.max(1, seconds / 8);
        long keepaliveCount = Math.max(1, (seconds - keepaliveIdle + keepaliveInterval - 1) / keepaliveInterval);
        StringBuilder sb = new StringBuilder();
        sb.append("-c synchronous_commit=on");
        sb.append(" -c statement_timeout=0 -c lock_timeout=0");
        sb.append(" -c idle_in_transaction_session_timeout=").append(timeoutMillis);
        sb.append(" -c idle_session_timeout=").append(holder ? timeoutMillis : 0);
        sb.append(" -c tcp_keepalives_idle=").append(keepaliveIdle);
        sb.append(" -c tcp_keepalives_interval=").append(keepaliveInterval);
        sb.append(" -c tcp_keepalives_count=").append(keepaliveCount);
        sb.append(" -c tcp_user_timeout=").append(timeoutMillis);
        return sb.toString();
    }

    private static long ceilSeconds(Duration duration) {
        return (duration.toMillis() + 999) / 1000;
    }

    PostgresConnectionException connectFailure(SQLException ex) {
        String state = ex.getSQLState();
        String server = ex.getMessage();
        Reason reason;
        String remedy;
        if (state != null && state.startsWith("28")) {
            reason = Reason.AUTHENTICATION_FAILED;
            remedy = "check the user name and password (in the URL, or PostgresLockManager.Options.withCredentials)"
                    + " and the server's pg_hba.conf";
        } else if ("3D000".equals(state)) {
            reason = Reason.DATABASE_MISSING;
            remedy = "create the database, or name an existing one in the URL";
        } else if (state == null || state.startsWith("08")) {
            reason = Reason.UNREACHABLE;
            remedy = "check that PostgreSQL runs at that host and port and accepts TCP connections from this host"
                    + " (listen_addresses, firewall); the connect timeout was "
                    + options.connectTimeout().toMillis()
                    + " ms";
        } else {
            reason = Reason.REFUSED;
            remedy = "see the server's message; Interlock needs PostgreSQL 14 or later, and one connection per"
                    + " manager plus up to " + options.maxWaitingSessions() + " while threads wait";
        }
        return new PostgresConnectionException(
                redactedUrl(),
                reason,
                state,
                "Cannot open a PostgreSQL session at " + redactedUrl() + " (" + reason + ", SQLSTATE " + state + "): "
                        + server + "; " + remedy,
                ex);
    }

    static String localHostName() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException ex) {
            return "unknown";
        }
    }

    static String applicationName(long pid, String host) {
        String name = APPLICATION_NAME_PREFIX + pid + " host=" + host;
        while (name.getBytes(StandardCharsets.UTF_8).length > MAX_APPLICATION_NAME_BYTES) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    /** The holder's pid and host from an application_name set by {@link #applicationName}. */
    static String @Nullable [] parseApplicationName(@Nullable String applicationName) {
        if (applicationName == null) {
            return null;
        }
        Matcher m = APPLICATION_NAME.matcher(applicationName);
        return m.matches() ? new String[] {m.group(1), m.group(2)} : null;
    }

    /** Whether a failure means the session is gone, rather than that one statement failed. */
    static boolean endsSession(SQLException ex, Connection connection) {
        String state = ex.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            return true;
        }
        try {
            return connection.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }
}
