package dev.interlock.spring.autoconfigure;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the {@code interlock.*.mode} properties: an octal mode ({@code 600}, {@code 0660}) or a
 * permission string ({@code rw-rw----}).
 *
 * @author Interlock team
 */
final class PosixModes {

    private static final Pattern OCTAL = Pattern.compile("0?[0-7]{3}");

    /** Permission bits from the highest (owner read, 0400) to the lowest (others execute, 0001). */
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE,
        PosixFilePermission.GROUP_READ,
        PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ,
        PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_EXECUTE
    };

    private PosixModes() {}

    /**
     * Parses a mode.
     *
     * @param property the property the value comes from, for the error
     * @param value the mode as written
     * @return the permissions
     * @throws InvalidInterlockPropertyException if the value is neither form
     */
    static Set<PosixFilePermission> parse(String property, String value) {
        String mode = value.strip();
        if (OCTAL.matcher(mode).matches()) {
            int bits = Integer.parseInt(mode, 8);
            Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
            for (int i = 0; i < BITS.length; i++) {
                if ((bits & (0400 >> i)) != 0) {
                    permissions.add(BITS[i]);
                }
            }
            return permissions;
        }
        try {
            return PosixFilePermissions.fromString(mode);
        } catch (IllegalArgumentException ex) {
            throw new InvalidInterlockPropertyException(
                    property,
                    value,
                    "it is neither an octal mode such as 600 or 0660 nor a permission string such as rw-rw----.",
                    "Set " + property + " to one of those forms, or remove it to keep the default (600: owner"
                            + " read and write only).");
        }
    }
}
