package dev.interlock;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Exceptions cross process boundaries (RMI, remote test runners, serialized job results): each must
 * survive a serialization round trip with its message and the fields callers read.
 */
class ExceptionSerializationTests {

    @Test
    void invalidLockIdShouldKeepItsCountOrItsAbsence() throws Exception {
        InvalidLockIdException bounded = roundTrip(new InvalidLockIdException(9, OptionalInt.of(4)));
        assertThat(bounded.id()).isEqualTo(9);
        assertThat(bounded.numLocks()).hasValue(4);
        assertThat(bounded.getMessage()).contains("0 to 3");
        assertThat(roundTrip(new InvalidLockIdException(-1, OptionalInt.empty()))
                        .numLocks())
                .isEmpty();
    }

    @Test
    void exceptionsWithFieldsShouldKeepThem() throws Exception {
        assertThat(roundTrip(new LockTimeoutException("invoices", Duration.ofSeconds(3)))
                        .getMessage())
                .contains("invoices");
        assertThat(roundTrip(new LocksExhaustedException(16, "raise num-locks")).getMessage())
                .contains("16");
        assertThat(roundTrip(new LockCountMismatchException("/seg", 8, 16, "use 16"))
                        .getMessage())
                .contains("8")
                .contains("16");
        assertThat(roundTrip(new LockNotAllocatedException(5)).getMessage()).contains("5");
    }

    @SuppressWarnings("unchecked")
    private static <T extends Exception> T roundTrip(T exception) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(exception);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            T copy = (T) in.readObject();
            assertThat(copy.getMessage()).isEqualTo(exception.getMessage());
            return copy;
        }
    }
}
