/**
 * A lock manager whose locks live in one JVM, for tests and single-process use.
 */
@NullMarked
package dev.interlock.memory;

import org.jspecify.annotations.NullMarked;
