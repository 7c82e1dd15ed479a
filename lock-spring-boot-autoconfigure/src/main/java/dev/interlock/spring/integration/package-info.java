/**
 * Spring Integration support: {@link dev.interlock.spring.integration.InterlockLockRegistry}, a
 * {@code LockRegistry} over an Interlock {@link dev.interlock.Manager}.
 */
@NullMarked
package dev.interlock.spring.integration;

import org.jspecify.annotations.NullMarked;
