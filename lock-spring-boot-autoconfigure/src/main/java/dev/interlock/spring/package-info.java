/**
 * Spring integration of Interlock: the {@link dev.interlock.spring.WithLock @WithLock} annotation.
 */
@NullMarked
package dev.interlock.spring;

import org.jspecify.annotations.NullMarked;
