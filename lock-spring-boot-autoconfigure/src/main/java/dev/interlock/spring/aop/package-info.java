/**
 * The Spring AOP advisor that applies {@link dev.interlock.spring.WithLock @WithLock} to methods.
 */
@NullMarked
package dev.interlock.spring.aop;

import org.jspecify.annotations.NullMarked;
