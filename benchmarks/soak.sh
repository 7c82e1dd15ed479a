#!/usr/bin/env bash
# The kill soak (issue 13): on the shm and on the file backend, TRIALS rounds each killing the
# holder of one lock with SIGKILL at a random point of its critical section while 3 other
# processes wait, then checking the counter the lock protects. Not part of ./mvnw verify.
# Every standby JVM has finished starting before the next kill (warm standby), so no JVM start-up
# competes with the recovering waiters; each trial therefore lasts about one JVM start.
#
#   benchmarks/soak.sh                 1000 trials per backend (about 2 x 20 min on 2 busy cores)
#   TRIALS=50 benchmarks/soak.sh       a short run
#   BACKENDS=file benchmarks/soak.sh   one backend only
#   SKIP_BUILD=1 benchmarks/soak.sh    use benchmarks/target/benchmarks.jar as it is
#
# Ends with one line per backend, exactly:
#   soak shm: 1000 trials, 0 lost updates, 0 wedged, recovery p50 N ms, p99 N ms, max N ms
# and exits with 1 if any backend lost an update or wedged. Progress and the load average go to
# standard error every 100 trials.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${TRIALS:-1000}
backends=${BACKENDS:-shm file}
jar=benchmarks/target/benchmarks.jar
if [[ -z "${SKIP_BUILD:-}" ]]; then
  ./mvnw -B -q -pl benchmarks -am package -DskipTests
fi
# Run from a copy of the jar, so that a build during the soak cannot change the workers' classes.
copy=$(mktemp -d /tmp/interlock-soak-XXXXXX)
trap 'rm -rf "$copy"' EXIT
cp "$jar" "$copy/benchmarks.jar"
jar="$copy/benchmarks.jar"
echo "== soak: $trials trials per backend ($backends), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
status=0
lines=()
for backend in $backends; do
  started=$(date +%s)
  line=$(java -cp "$jar" dev.interlock.benchmarks.soak.SoakDriver "$backend" "$trials") || status=1
  echo "== $backend took $(( $(date +%s) - started )) s, load average now $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  lines+=("$line")
done
printf '%s\n' "${lines[@]}"
exit $status
