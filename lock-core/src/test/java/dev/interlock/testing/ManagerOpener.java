package dev.interlock.testing;

import dev.interlock.Manager;

/**
 * Opens a manager over existing storage inside a child JVM. A backend's multi-process tests pass
 * the name of an implementing class (with a public no-argument constructor) and a storage
 * location to child mains such as {@link CounterWorker}, so the children need no
 * backend-specific code of their own.
 *
 * @author Interlock team
 */
public interface ManagerOpener {

    /**
     * Opens a manager over the storage at {@code location}.
     *
     * @param location a segment name, directory or whatever the backend's storage is named by
     * @return the opened manager
     */
    Manager open(String location);

    /**
     * Instantiates the opener class named {@code className}.
     *
     * @param className a class implementing this interface
     * @return the opener
     */
    static ManagerOpener forClassName(String className) {
        try {
            return (ManagerOpener)
                    Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException ex) {
            throw new IllegalArgumentException(
                    "Cannot instantiate ManagerOpener " + className + ": it needs a public no-argument constructor",
                    ex);
        }
    }
}
