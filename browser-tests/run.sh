#!/usr/bin/env bash
# Real-browser test of the Temporal Web UI against `./finetune dev` (the Temporal CLI's dev server).
#
# Installs what it needs (idempotently): Debian's chromium when /usr/bin/chromium is missing, the
# pinned playwright-core (npm ci), the pinned Temporal CLI (scripts/install-temporal-cli). Then
# starts `./finetune dev` on free loopback ports with a temporary FINETUNE_HOME, payload encryption
# keys and a codec endpoint token of its own, runs ui.test.mjs
# with node's test runner, and stops everything it started, also on failure or Ctrl-C.
#
# Environment:
#   FINETUNE_BUILD_LOCK   a file to flock around the first ./finetune call, which may run Maven
#                         (default /tmp/mvn.lock when flock exists; empty: no lock)
#   SCREENSHOTS_DIR       where the screenshots go (default docs/screenshots of this repository)
#   KEEP_HOME=1           keep the temporary FINETUNE_HOME (and its dev log) after the run
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
started=$SECONDS

log() { echo "[browser-tests $((SECONDS - started))s] $*" >&2; }

# Runs "$@" and fails if it has not finished within $1 seconds. In the background, waited for: a
# signal to this script then stops it at once (bash runs traps only between foreground commands),
# and cleanup stops its whole process group (timeout makes one), whatever it started included.
fg_pid=""
deadline() {
  local secs="$1" rc=0
  shift
  timeout --kill-after=10 "$secs" "$@" &
  fg_pid=$!
  wait "$fg_pid" || rc=$?
  fg_pid=""
  return "$rc"
}

home=""
dev_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$fg_pid" ]; then
    kill -TERM -- "-$fg_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$fg_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$fg_pid" 2>/dev/null || true
  fi
  if [ -n "$dev_pid" ] && kill -0 -- "-$dev_pid" 2>/dev/null; then
    log "stopping ./finetune dev (process group $dev_pid)"
    kill -TERM -- "-$dev_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$dev_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$dev_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -n "$home" ] && [ -f "$home/dev.log" ]; then
    echo "--- last lines of the ./finetune dev log ($home/dev.log) ---" >&2
    tail -n 40 "$home/dev.log" >&2
  fi
  if [ -z "$home" ]; then
    :
  elif [ "${KEEP_HOME:-}" = 1 ] || [ "$rc" -ne 0 ]; then
    log "kept $home"
  else
    rm -rf "$home"
  fi
  log "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- what it needs -------------------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  deadline 600 $sudo_cmd apt-get install -y chromium >/dev/null ||
    { deadline 300 $sudo_cmd apt-get update >/dev/null && deadline 600 $sudo_cmd apt-get install -y chromium >/dev/null; }
fi
command -v node >/dev/null || { echo "browser-tests: node (18+) is needed" >&2; exit 1; }

if ! cmp -s "$here/package-lock.json" "$here/node_modules/.finetune-lock" 2>/dev/null; then
  log "npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 deadline 300 npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
  cp "$here/package-lock.json" "$here/node_modules/.finetune-lock"
fi

log "the Temporal CLI"
deadline 300 "$repo/scripts/install-temporal-cli" >/dev/null

# The first ./finetune call builds when sources changed (Maven): do it up front, under the lock,
# and never hold the lock while `dev` runs.
lock="${FINETUNE_BUILD_LOCK-/tmp/mvn.lock}"
log "./finetune --version (builds on first use or after a source change)${lock:+, under the lock $lock}"
if [ -n "$lock" ] && command -v flock >/dev/null; then
  deadline 1200 flock "$lock" "$repo/finetune" --version >/dev/null
else
  deadline 1200 "$repo/finetune" --version >/dev/null
fi

# --- a dev environment of its own ----------------------------------------------------------------
home="$(mktemp -d -t finetune-browser-tests.XXXXXX)"

# A free loopback port P whose P+1000 (the Web UI) and P+2000 (the codec endpoint) are free too.
port="$(node -e '
const net = require("net");
const free = p => new Promise(ok => { const s = net.createServer(); s.once("error", () => ok(false));
  s.listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
(async () => { for (let i = 0; i < 200; i++) { const p = 20000 + Math.floor(Math.random() * 28000);
  if (await free(p) && await free(p + 1000) && await free(p + 2000)) { console.log(p); return; } }
  process.exit(1); })();')"
ui_port=$((port + 1000))

# Payloads encrypted, with a codec endpoint for those who hold its token (README "Security"): fresh
# secrets for this run only, in the environment of the worker and of the CLI alike.
FINETUNE_ENCRYPTION_KEYS="browser-test:$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
FINETUNE_CODEC_TOKEN="$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')"
FINETUNE_CODEC_PORT=$((port + 2000))
export FINETUNE_ENCRYPTION_KEYS FINETUNE_CODEC_TOKEN FINETUNE_CODEC_PORT

# The example spec with one model size (quick training), its paths made absolute.
example="$repo/examples/ticket-triage"
sed -E -e "s#^([[:space:]]*(path|alignment):[[:space:]]*)([^/[:space:]][^[:space:]]*)#\\1$example/\\3#" \
  -e 's#^([[:space:]]*sizes:).*#\1 [small]#' "$example/spec.yaml" >"$home/spec.yaml"
grep -q 'sizes: \[small\]' "$home/spec.yaml" || { echo "browser-tests: could not edit the spec's sizes" >&2; exit 1; }

log "starting ./finetune dev on 127.0.0.1:$port (Web UI $ui_port), FINETUNE_HOME=$home"
FINETUNE_HOME="$home" setsid "$repo/finetune" dev --port "$port" --home "$home" >"$home/dev.log" 2>&1 &
dev_pid=$!

ready_by=$((SECONDS + 180))
until grep -q "finetune dev is ready" "$home/dev.log" 2>/dev/null; do
  kill -0 "$dev_pid" 2>/dev/null || { echo "browser-tests: ./finetune dev exited early" >&2; exit 1; }
  [ "$SECONDS" -lt "$ready_by" ] || { echo "browser-tests: ./finetune dev not ready within 180 s" >&2; exit 1; }
  sleep 0.5
done
grep -q "Codec endpoint (Temporal remote codec): http://127.0.0.1:$FINETUNE_CODEC_PORT/" "$home/dev.log" ||
  { echo "browser-tests: the worker did not start the codec endpoint on $FINETUNE_CODEC_PORT" >&2; exit 1; }
grep -q "Web UI: http://127.0.0.1:$ui_port" "$home/dev.log" ||
  { echo "browser-tests: ./finetune dev did not start the Web UI on $ui_port (is the Temporal CLI installed?)" >&2; exit 1; }
log "ready"

# --- the test ------------------------------------------------------------------------------------
export FINETUNE_REPO_DIR="$repo"
export FINETUNE_HOME="$home"
export FINETUNE_SPEC="$home/spec.yaml"
export FINETUNE_UI="http://127.0.0.1:$ui_port"
export TEMPORAL_ADDRESS="127.0.0.1:$port"
export FINETUNE_CODEC_ENDPOINT="http://127.0.0.1:$FINETUNE_CODEC_PORT"
export TEMPORAL_CLI="$repo/.tools/temporal-cli/bin/temporal"
export SCREENSHOTS_DIR="${SCREENSHOTS_DIR:-$repo/docs/screenshots}"
deadline 600 node --test --test-reporter=spec "$here/ui.test.mjs"
