package dev.interlock.support;

/**
 * The hold of a temporary name lock ({@link AbstractManager#lockName(String)}): closing it frees
 * the ID and the name's binding while still holding the lock, then unlocks.
 *
 * @author Interlock team
 */
final class TemporaryNameHold extends Hold {

    private final String name;

    TemporaryNameHold(AbstractLocker locker, String name, long stamp) {
        super(locker, stamp);
        this.name = name;
    }

    @Override
    void end() {
        locker.unlockFreeing(stamp);
    }

    @Override
    public String toString() {
        return "temporary name '" + name + "' (" + locker + ")";
    }
}
