/**
 * Spring AOT and native-image support for Interlock: runtime hints, and a startup check that
 * refuses settings that AOT processing fixed at build time.
 */
@NullMarked
package dev.interlock.spring.aot;

import org.jspecify.annotations.NullMarked;
