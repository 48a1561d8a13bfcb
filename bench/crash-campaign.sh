#!/usr/bin/env bash
# Crash campaign against the real Temporal dev server (the same code as CrashCampaignIT):
# `finetune dev --no-worker` and a `finetune worker` in processes of their own; the worker is
# killed with SIGKILL at seeded random moments in every stage of a model's life and started again,
# and the dev server is stopped and started again once mid-run. Prints
#   crashes survived: X/N, duplicate jobs: J, duplicate versions: V, lost runs: L
# and the median time from a worker restart to the run's next progress. Exit 0 when every crash
# was survived with nothing duplicated or lost.
#
#   KILLS=20 SEED=7 bench/crash-campaign.sh      # defaults: KILLS=10, SEED=1
#   KEEP=1 ...                                    # keep the state and process logs afterwards
#
# Needs the Temporal CLI (./scripts/install-temporal-cli) and a build with test classes
# (done here when missing: mvn -B -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
if [ ! -f starter/target/classpath.txt ] || [ ! -f starter/target/test-classes/io/finetune/cli/CrashCampaign.class ]; then
  echo "crash-campaign: building (mvn -B -DskipTests package)" >&2
  mvn -B -q -DskipTests -Dspotless.check.skip=true package >&2
fi
dir="$(mktemp -d -t crash-campaign.XXXXXX)"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$dir"' EXIT; else echo "state and logs kept in $dir" >&2; fi
export FINETUNE_REPO="$repo"
exec_cp="starter/target/test-classes:starter/target/classes:$(cat starter/target/classpath.txt)"
java -cp "$exec_cp" io.finetune.cli.CrashCampaign --kills "${KILLS:-10}" --seed "${SEED:-1}" --dir "$dir"
