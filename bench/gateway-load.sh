#!/usr/bin/env bash
# The gateway under load (issue 9): a stub provider with a fixed 20 ms latency, the gateway in a
# process of its own on an H2 file database (production migrations), and this load driver in a
# third; per case the same chat request straight to the stub and then through the gateway, at a
# fixed concurrency after a warm-up. Writes bench/results/gateway-load.md: the rate held, the
# latency the gateway adds (p50/p99) and the traces in the table after a clean stop against the
# requests sent (they must be equal, also when a slow database makes the gateway push back).
# Exit 1 when a request failed or a trace is missing; timings are printed, never asserted.
#
#   bench/gateway-load.sh            # ~2 minutes on 2 cores, build included
#   QUICK=1 bench/gateway-load.sh    # a tenth of the requests: a smoke run of the harness
#   SKIP_BUILD=1 ...                 # use the classes already built
#   KEEP=1 ...                       # keep the databases and process logs afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "gateway-load: building (mvn -DskipTests package -pl bench -am)" >&2
  # Other builds share this machine: one Maven at a time, and only for the build.
  flock /tmp/mvn.lock mvn -o -B -q -DskipTests -Dspotless.check.skip=true package -pl bench -am >&2
fi
dir="$(mktemp -d -t gateway-load.XXXXXX)"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$dir"' EXIT; else echo "state and logs kept in $dir" >&2; fi
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
args=("$dir")
[ -n "${QUICK:-}" ] && args+=(--quick)
out="$dir/table.md"
status=0
java -cp "$cp" io.finetune.bench.GatewayLoad "${args[@]}" | tee "$out" || status=$?
if [ -z "${QUICK:-}" ]; then
  mkdir -p bench/results
  {
    echo "# Gateway under load"
    echo
    echo "\`bench/gateway-load.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | sed -n 1p)."
    echo "Stub provider: 20 ms per answer. Rates are at a fixed concurrency (a closed loop);"
    echo "added latency is the gateway's percentile minus the direct one; traces are counted in"
    echo "the database after a clean stop, warm-up requests included in both counts."
    echo
    sed -n '/^| case/,$p' "$out"
  } > bench/results/gateway-load.md
  echo "gateway-load: wrote bench/results/gateway-load.md" >&2
fi
exit "$status"
