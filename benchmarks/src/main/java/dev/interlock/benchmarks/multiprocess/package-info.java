/**
 * The multi-process benchmark: several processes, Java or the C reference, hammering locks for a
 * fixed time in interleaved rounds, each reporting pairs, wait times and CPU time.
 */
@NullMarked
package dev.interlock.benchmarks.multiprocess;

import org.jspecify.annotations.NullMarked;
