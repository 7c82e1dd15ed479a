/**
 * Turns the JMH and multi-process results of one run into the table of absolute figures and ratios
 * against the baselines that {@code benchmarks/run.sh} prints and {@code docs/benchmarks.md} shows.
 */
@NullMarked
package dev.interlock.benchmarks.report;

import org.jspecify.annotations.NullMarked;
