#!/usr/bin/env bash
# The dataset stages at scale (issue 11): a seeded ticket-triage-shaped JSONL, then import, split
# and the data report as the worker runs them, in one JVM with a small heap. A stage that held the
# dataset in memory runs out of it and this script fails. Writes bench/results/dataset-streaming.md
# (rows, rows per second and peak heap per stage); timings are printed, never asserted.
#
#   bench/dataset-streaming.sh           # 1 GB at -Xmx256m: ~3 minutes on 2 cores, build included
#   QUICK=1 bench/dataset-streaming.sh   # 100 MB at -Xmx64m: the check CI runs (~20 s)
#   SKIP_BUILD=1 ...                     # use the classes already built
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "dataset-streaming: building (mvn -DskipTests package -pl bench -am)" >&2
  flock /tmp/mvn.lock mvn -o -B -q -DskipTests -Dspotless.check.skip=true package -pl bench -am >&2
fi
if [ -n "${QUICK:-}" ]; then mb=100; heap=64m; else mb=1024; heap=256m; fi
dir="$(mktemp -d -t dataset-streaming.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
java "-Xmx$heap" -cp "$cp" io.finetune.bench.DatasetStreaming "$dir" "$mb" | tee "$dir/out.txt"
if [ -z "${QUICK:-}" ]; then
  mkdir -p bench/results
  {
    echo "# Dataset stages at scale"
    echo
    echo "\`bench/dataset-streaming.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, Java $(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p'), heap -Xmx$heap:"
    echo "$(grep '^generated' "$dir/out.txt" | sed "s#$dir/##")."
    echo
    echo "| stage | rows | seconds | rows/s | peak heap (MB) |"
    echo "|---|---|---|---|---|"
    grep '^STAGE' "$dir/out.txt" | sed -E 's/^STAGE ([a-z]+) rows=([0-9]+) seconds=([0-9.]+) rows_per_s=([0-9]+) peak_heap_mb=([0-9]+)$/| \1 | \2 | \3 | \4 | \5 |/'
    echo
    grep '^split:' "$dir/out.txt"
  } > bench/results/dataset-streaming.md
  echo "wrote bench/results/dataset-streaming.md" >&2
fi
