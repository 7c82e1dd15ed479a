/**
 * Test support shipped in lock-core's test-jar: the contract suite every backend passes and the
 * child-JVM harness for multi-process tests.
 */
@NullMarked
package dev.interlock.testing;

import org.jspecify.annotations.NullMarked;
