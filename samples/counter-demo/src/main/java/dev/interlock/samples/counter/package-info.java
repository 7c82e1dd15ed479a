/**
 * A runnable Spring Boot app in which several processes of itself increment one counter file
 * under an Interlock lock, and one of them is killed while it holds the lock.
 */
@NullMarked
package dev.interlock.samples.counter;

import org.jspecify.annotations.NullMarked;
