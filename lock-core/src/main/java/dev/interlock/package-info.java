/**
 * The multiprocess lock API: {@link dev.interlock.Manager}, {@link dev.interlock.Locker} and the
 * exceptions rooted at {@link dev.interlock.LockException}.
 */
@NullMarked
package dev.interlock;

import org.jspecify.annotations.NullMarked;
