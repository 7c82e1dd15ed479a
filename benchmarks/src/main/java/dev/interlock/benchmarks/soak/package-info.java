/**
 * The kill soak behind {@code benchmarks/soak.sh}: worker processes hammer one lock, and a driver
 * kills the holder with {@code SIGKILL} at a random point of its critical section, trial after
 * trial, counting lost updates, wedges and recovery times.
 */
@NullMarked
package dev.interlock.benchmarks.soak;

import org.jspecify.annotations.NullMarked;
