/**
 * Base classes that hold the semantics every backend shares; for backend implementations, not
 * for application code.
 */
@NullMarked
package dev.interlock.support;

import org.jspecify.annotations.NullMarked;
