/**
 * The shared-memory lock manager: robust multiprocess locks in a POSIX shared-memory segment
 * (Linux), lock-free when uncontended, with futex waiting and recovery from dead holders.
 */
@NullMarked
package dev.interlock.shm;

import org.jspecify.annotations.NullMarked;
