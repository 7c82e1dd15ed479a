/**
 * Micrometer metrics of Interlock locks and {@link dev.interlock.spring.WithLock @WithLock} calls.
 */
@NullMarked
package dev.interlock.spring.metrics;

import org.jspecify.annotations.NullMarked;
