#!/usr/bin/env bash
# Builds and runs the Interlock benchmarks, then prints tables of absolute figures and ratios
# against the baselines (docs/benchmarks.md shows such runs).
#
#   benchmarks/run.sh              everything: the local backends (about 5 minutes on 2 cores), then the
#                                  PostgreSQL part (about 3 minutes)
#   benchmarks/run.sh local        the local backends only (memory, file, shm, the C reference)
#   benchmarks/run.sh postgresql   the PostgreSQL part only: Interlock's backend against a bare advisory-lock
#                                  pair (JMH) and against Spring Integration's JdbcLockRegistry and ShedLock
#                                  (4 processes on one lock), and kill -9 takeover times
#   QUICK=1 benchmarks/run.sh      smoke test: a few seconds per part, figures meaningless
#
# Settings (environment): ROUNDS (multi-process rounds, default 10), DURATION_MS (length of one
# multi-process run, default 250), JMH_ARGS (extra JMH options for the local part, e.g. "-p backend=SHM");
# for the PostgreSQL part PG_JMH_ROUNDS (JMH rounds of one fork, 2 x 1 s warm-up, 2 x 1 s measured;
# default 8), PG_ROUNDS (multi-process rounds, default 5), PG_DURATION_MS (default 2000), KILL_TRIALS
# (default 20).
# PostgreSQL server: INTERLOCK_BENCH_POSTGRES_URL, else INTERLOCK_TEST_POSTGRES_URL, else the one at
# 127.0.0.1:5432 (database test, user postgres), else an embedded one started from Maven artifacts.
# Results and logs go to benchmarks/target/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
results=benchmarks/target/results
jar=benchmarks/target/benchmarks.jar

parts=${1:-all}
case "$parts" in
  all | local | postgresql) ;;
  *) echo "Usage: $0 [all|local|postgresql]" >&2; exit 2 ;;
esac

rounds=${ROUNDS:-10}
duration_ms=${DURATION_MS:-250}
jmh_args=${JMH_ARGS:-}
pg_jmh_rounds=${PG_JMH_ROUNDS:-8}
pg_rounds=${PG_ROUNDS:-5}
pg_duration_ms=${PG_DURATION_MS:-2000}
kill_trials=${KILL_TRIALS:-20}
pg_jmh_options="-f 1 -wi 2 -w 1s -i 2 -r 1s"
if [[ -n "${QUICK:-}" ]]; then
  rounds=${ROUNDS:-2}
  duration_ms=${DURATION_MS:-100}
  jmh_args="-f 1 -wi 1 -w 200ms -i 1 -r 200ms $jmh_args"
  pg_jmh_rounds=${PG_JMH_ROUNDS:-1}
  pg_jmh_options="-f 1 -wi 1 -w 200ms -i 1 -r 200ms"
  pg_rounds=${PG_ROUNDS:-1}
  pg_duration_ms=${PG_DURATION_MS:-500}
  kill_trials=${KILL_TRIALS:-3}
fi

# CPU time of the whole machine (busy ticks in /proc/stat) and of this script's finished children
# (cutime + cstime in /proc/self/stat): the difference at the end is what other processes used.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
# Seconds of CPU that other processes used since the given busy and own tick counts.
other_seconds() {
  local ticks=$(( $(busy_ticks) - $1 - ($(own_ticks) - $2) ))
  echo $(( (ticks > 0 ? ticks : 0) / $(getconf CLK_TCK) ))
}
busy_before=$(busy_ticks)
own_before=$(own_ticks)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== Machine: $(nproc) cores, kernel $(uname -r), load average $load_before"
java -version 2>&1 | sed 's/^/   /'

echo "== Building (./mvnw -B -q -pl benchmarks -am package -DskipTests)"
./mvnw -B -q -pl benchmarks -am package -DskipTests
rm -rf "$results"
mkdir -p "$results"

if [[ "$parts" != postgresql ]]; then
  lockref_args=()
  if command -v gcc > /dev/null; then
    echo "== Compiling the C reference (gcc -O2 -pthread)"
    gcc -O2 -Wall -pthread -o benchmarks/target/lockref benchmarks/src/main/c/lockref.c -lrt
    lockref_args=(--lockref benchmarks/target/lockref)
  else
    echo "== gcc not found: skipping the C reference; the multi-process table will have no C rows or ratios"
  fi

  echo "== JMH (one process), log in $results/jmh.log"
  # The PostgreSQL benchmark runs in rounds in the PostgreSQL part below.
  # shellcheck disable=SC2086 # JMH_ARGS is a list of options.
  if ! java -jar "$jar" -e PostgresLockBenchmark $jmh_args -rf csv -rff "$results/jmh.csv" > "$results/jmh.log" 2>&1; then
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
  other=$(other_seconds "$busy_before" "$own_before")
  echo
  java -cp "$jar" dev.interlock.benchmarks.report.Report \
    --jmh "$results/jmh.csv" --multiprocess "$results/multiprocess.tsv" \
    --load-before "$load_before" --run-seconds "$elapsed" --other-cpu-seconds "$other" \
    | tee "$results/report.md"
fi

if [[ "$parts" != local ]]; then
  pg_started=$(date +%s)
  pg_busy_before=$(busy_ticks)
  pg_own_before=$(own_ticks)
  pg_load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  if [[ -n "${INTERLOCK_BENCH_POSTGRES_URL:-}" ]]; then
    # The takeover trials below are lock-postgresql's test, which reads this variable.
    export INTERLOCK_TEST_POSTGRES_URL="$INTERLOCK_BENCH_POSTGRES_URL"
  fi

  echo "== PostgreSQL, JMH: $pg_jmh_rounds rounds of PostgresLockBenchmark, log in $results/pg-jmh.log"
  pg_jmh_files=()
  for round in $(seq 1 "$pg_jmh_rounds"); do
    # shellcheck disable=SC2086 # a list of options.
    if ! java -jar "$jar" PostgresLockBenchmark $pg_jmh_options \
        -rf csv -rff "$results/pg-jmh-$round.csv" >> "$results/pg-jmh.log" 2>&1; then
      tail -40 "$results/pg-jmh.log"
      echo "PostgreSQL JMH round $round failed; the whole log is in $results/pg-jmh.log" >&2
      exit 1
    fi
    pg_jmh_files+=("$results/pg-jmh-$round.csv")
    echo "   round $round/$pg_jmh_rounds done"
  done

  echo "== PostgreSQL, 4 processes on one lock: Interlock, JdbcLockRegistry, ShedLock; $pg_rounds rounds of" \
    "${pg_duration_ms} ms runs, children's stderr in $results/pg-children.log"
  # A failed run keeps the rounds it finished (the file is written round by round); the report says how many.
  if ! java -cp "$jar" dev.interlock.benchmarks.multiprocess.MultiProcessBenchmark \
      --rounds "$pg_rounds" --duration-ms "$pg_duration_ms" --processes 4 --threads 1 --patterns ONE \
      --backends "" --postgres POSTGRESQL,JDBC_LOCK_REGISTRY,SHEDLOCK \
      --out "$results/pg-multiprocess.tsv" --log "$results/pg-children.log" 2>&1 | tee "$results/pg-multiprocess.log"; then
    echo "WARNING: the multi-process run failed; the report has only the rounds it finished." \
      "See $results/pg-multiprocess.log and $results/pg-children.log" >&2
  fi
  server=$(sed -n 's/^PostgreSQL subjects on //p' "$results/pg-multiprocess.log")

  echo "== PostgreSQL, kill -9 takeover: $kill_trials trials (lock-postgresql's PostgresLockManagerProcessTests)," \
    "log in $results/pg-takeover.log"
  if ! ./mvnw -B -q -pl lock-postgresql -am test -Dtest='PostgresLockManagerProcessTests#killedHolder*' \
      -Dsurefire.failIfNoSpecifiedTests=false -Dinterlock.pg.killTrials="$kill_trials" \
      > "$results/pg-takeover.log" 2>&1; then
    echo "WARNING: the takeover trials failed (a takeover over 1 s, or an error); see $results/pg-takeover.log" >&2
  fi
  takeover=$(sed -n 's/^kill -9 -> waiter acquisition.*all \[\(.*\)\]$/\1/p' "$results/pg-takeover.log" \
    | head -1 | tr -d ' ')

  pg_elapsed=$(( $(date +%s) - pg_started ))
  pg_other=$(other_seconds "$pg_busy_before" "$pg_own_before")
  echo
  java -cp "$jar" dev.interlock.benchmarks.report.PostgresReport \
    --jmh-rounds "$(IFS=,; echo "${pg_jmh_files[*]}")" --multiprocess "$results/pg-multiprocess.tsv" \
    --takeover-ms "$takeover" --server "$server" \
    --load-before "$pg_load_before" --run-seconds "$pg_elapsed" --other-cpu-seconds "$pg_other" \
    | tee "$results/pg-report.md"
fi
echo "== run.sh took $(( $(date +%s) - started )) s; the tables above are also in $results/*report.md"
