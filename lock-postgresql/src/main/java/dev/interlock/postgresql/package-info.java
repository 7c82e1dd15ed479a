/**
 * The PostgreSQL lock manager: the {@link dev.interlock.Manager} API across hosts, on PostgreSQL
 * session-level advisory locks, with fencing tokens drawn from a sequence and notice of locks lost
 * when a server session ends.
 */
@NullMarked
package dev.interlock.postgresql;

import org.jspecify.annotations.NullMarked;
