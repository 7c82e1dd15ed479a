/**
 * A lock manager whose locks are {@code flock(2)} locks on files in a directory, one file per lock ID.
 */
@NullMarked
package dev.interlock.file;

import org.jspecify.annotations.NullMarked;
