package dev.interlock.postgresql;

import dev.interlock.Locker;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A focused measurement, not a test: the uncontended {@code lock()}+{@code unlock()} pair of a
 * {@link PostgresLockManager} against the floor, a bare {@code pg_advisory_lock} +
 * {@code pg_advisory_unlock} pair of prepared statements on one JDBC connection, interleaved round
 * by round in one JVM against one server, so that load on a shared machine hits both alike.
 *
 * <p>Run: {@code java -cp <test classpath> dev.interlock.postgresql.PostgresLockPairMeasurement
 * [jdbcUrl] [rounds] [pairsPerRound]}.
 *
 * @author Interlock team
 */
public final class PostgresLockPairMeasurement {

    private PostgresLockPairMeasurement() {}

    /**
     * Runs the measurement and prints per-round figures and medians.
     *
     * @param args {@code [jdbcUrl] [rounds] [pairsPerRound]}
     * @throws Exception if the server fails
     */
    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : TestServers.local();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        String space = TestServers.uniqueSpace("measure");
        List<Double> bare = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> fenced = new ArrayList<>();
        List<Double> eager = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_lock(?, ?)");
                PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)");
                PostgresLockManager manager = PostgresLockManager.create(url, space, 8, TestServers.options());
                PostgresLockManager eagerManager = PostgresLockManager.open(
                        url, space, 8, TestServers.options().withTokenAtAcquisition(true))) {
            Locker locker = manager.retrieveLock(0);
            Locker eagerLocker = eagerManager.retrieveLock(1);
            for (int round = -3; round < rounds; round++) {
                long start = System.nanoTime();
                for (int i = 0; i < pairs; i++) {
                    run(lock, 987654, 0);
                    run(unlock, 987654, 0);
                }
                double bareMicros = (System.nanoTime() - start) / 1000.0 / pairs;
                start = System.nanoTime();
                for (int i = 0; i < pairs; i++) {
                    locker.lock();
                    locker.unlock();
                }
                double oursMicros = (System.nanoTime() - start) / 1000.0 / pairs;
                start = System.nanoTime();
                for (int i = 0; i < pairs; i++) {
                    locker.lock();
                    locker.fencingToken();
                    locker.unlock();
                }
                double fencedMicros = (System.nanoTime() - start) / 1000.0 / pairs;
                start = System.nanoTime();
                for (int i = 0; i < pairs; i++) {
                    eagerLocker.lock();
                    eagerLocker.fencingToken();
                    eagerLocker.unlock();
                }
                double eagerMicros = (System.nanoTime() - start) / 1000.0 / pairs;
                if (round >= 0) {
                    fenced.add(fencedMicros);
                    eager.add(eagerMicros);
                    bare.add(bareMicros);
                    ours.add(oursMicros);
                    ratios.add(oursMicros / bareMicros);
                    System.out.printf(
                            "round %2d: bare pair %7.1f us, Interlock pair %7.1f us, ratio %.3f;"
                                    + " with fencingToken(): on demand %7.1f us, at acquisition %7.1f us%n",
                            round, bareMicros, oursMicros, oursMicros / bareMicros, fencedMicros, eagerMicros);
                }
            }
        } finally {
            PostgresLockManager.drop(url, space, TestServers.options());
        }
        System.out.printf(
                "median over %d rounds of %d pairs: bare %.1f us, Interlock %.1f us, ratio (median of per-round"
                        + " ratios) %.3f%n",
                rounds, pairs, median(bare), median(ours), median(ratios));
        System.out.printf(
                "lock + fencingToken() + unlock: token on demand %.1f us, token at acquisition %.1f us%n",
                median(fenced), median(eager));
    }

    private static void run(PreparedStatement statement, int key1, int key2) throws Exception {
        statement.setInt(1, key1);
        statement.setInt(2, key2);
        try (ResultSet rs = statement.executeQuery()) {
            rs.next();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
