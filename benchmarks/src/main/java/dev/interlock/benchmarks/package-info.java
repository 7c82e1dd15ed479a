/**
 * JMH benchmarks of every lock manager against the JDK locks and file locks a user would pick
 * instead, run by {@code benchmarks/run.sh}.
 */
@NullMarked
package dev.interlock.benchmarks;

import org.jspecify.annotations.NullMarked;
