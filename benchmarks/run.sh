#!/usr/bin/env bash
# Builds and runs every Interlock benchmark, then prints one table of absolute figures and ratios
# against the baselines (docs/benchmarks.md shows one such run). Takes about 5 minutes on 2 cores.
#
#   benchmarks/run.sh            full run
#   QUICK=1 benchmarks/run.sh    smoke test: a few seconds per part, figures meaningless
#
# Settings (environment): ROUNDS (multi-process rounds, default 10), DURATION_MS (length of one
# multi-process run, default 250), JMH_ARGS (extra JMH options, e.g. "-p backend=SHM").
# Results and logs go to benchmarks/target/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
results=benchmarks/target/results
jar=benchmarks/target/benchmarks.jar

rounds=${ROUNDS:-10}
duration_ms=${DURATION_MS:-250}
jmh_args=${JMH_ARGS:-}
if [[ -n "${QUICK:-}" ]]; then
  rounds=${ROUNDS:-2}
  duration_ms=${DURATION_MS:-100}
  jmh_args="-f 1 -wi 1 -w 200ms -i 1 -r 200ms $jmh_args"
fi

# CPU time of the whole machine (busy ticks in /proc/stat) and of this script's finished children
# (cutime + cstime in /proc/self/stat): the difference at the end is what other processes used.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
busy_before=$(busy_ticks)
own_before=$(own_ticks)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== Machine: $(nproc) cores, kernel $(uname -r), load average $load_before"
java -version 2>&1 | sed 's/^/   /'

echo "== Building (./mvnw -B -q -pl benchmarks -am package -DskipTests)"
./mvnw -B -q -pl benchmarks -am package -DskipTests
rm -rf "$results"
mkdir -p "$results"

lockref_args=()
if command -v gcc > /dev/null; then
  echo "== Compiling the C reference (gcc -O2 -pthread)"
  gcc -O2 -Wall -pthread -o benchmarks/target/lockref benchmarks/src/main/c/lockref.c -lrt
  lockref_args=(--lockref benchmarks/target/lockref)
else
  echo "== gcc not found: skipping the C reference; the multi-process table will have no C rows or ratios"
fi

echo "== JMH (one process), log in $results/jmh.log"
# shellcheck disable=SC2086 # JMH_ARGS is a list of options.
if ! java -jar "$jar" $jmh_args -rf csv -rff "$results/jmh.csv" > "$results/jmh.log" 2>&1; then
  tail -40 "$results/jmh.log"
  echo "JMH failed; the whole log is in $results/jmh.log" >&2
  exit 1
fi
sed -n '/^Benchmark /,$p' "$results/jmh.log"
if grep -q '<failure>' "$results/jmh.log"; then
  echo "WARNING: some JMH benchmarks failed and show as 'not measured'; see $results/jmh.log" >&2
fi

echo "== Multi-process: $rounds rounds of ${duration_ms} ms runs, children's stderr in $results/children.log"
java -cp "$jar" dev.interlock.benchmarks.multiprocess.MultiProcessBenchmark \
  --rounds "$rounds" --duration-ms "$duration_ms" --processes 1,2,4 --threads 1,2 \
  "${lockref_args[@]}" --out "$results/multiprocess.tsv" --log "$results/children.log"

elapsed=$(( $(date +%s) - started ))
other_ticks=$(( $(busy_ticks) - busy_before - ($(own_ticks) - own_before) ))
other_seconds=$(( (other_ticks > 0 ? other_ticks : 0) / $(getconf CLK_TCK) ))

echo
java -cp "$jar" dev.interlock.benchmarks.report.Report \
  --jmh "$results/jmh.csv" --multiprocess "$results/multiprocess.tsv" \
  --load-before "$load_before" --run-seconds "$elapsed" --other-cpu-seconds "$other_seconds" \
  | tee "$results/report.md"
echo "== run.sh took $(( $(date +%s) - started )) s; the table above is also in $results/report.md"
