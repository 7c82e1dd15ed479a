/**
 * Auto-configuration for Interlock: properties, the lock manager, {@code @WithLock}, metrics,
 * the {@code locks} endpoint, health and the analysis of startup failures.
 */
@NullMarked
package dev.interlock.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
