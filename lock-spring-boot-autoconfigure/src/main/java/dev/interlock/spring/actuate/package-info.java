/**
 * Actuator support for Interlock: the {@code locks} endpoint and the {@code interlock} health
 * indicator.
 */
@NullMarked
package dev.interlock.spring.actuate;

import org.jspecify.annotations.NullMarked;
