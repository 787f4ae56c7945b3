#!/usr/bin/env bash
# Throughput of the public search mix over PostgreSQL: the national-scale demo (50,000 places)
# in a throwaway PostgreSQL server (scripts/lib/postgres.sh), served by one instance, then by
# two instances over the same base, each driven by its own `wrk` (bench/http-mix.lua) at the
# same time, as a round-robin proxy would share the load. On a 2-core machine the instances
# and the load generators share the same cores: the figure says what the base and the change
# feed cost, not what a second machine would add.
# Usage: bench/instances.sh [CONNECTIONS_PER_INSTANCE] [SECONDS]
# Figures are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${1:-8}"
SECONDS_PER_RUN="${2:-20}"
WORK="$(mktemp -d /tmp/maillage-bench-instances.XXXXXX)"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
scripts/setup.sh --test >/dev/null
cargo build --release --locked -q -p maillage
BIN="${CARGO_TARGET_DIR:-target}/release/maillage"
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
set +e
BASE_URL="${MAILLAGE_TEST_POSTGRES_URL%/*}"
DBNAME="maillage_bench_$$"
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE $DBNAME" || exit 1
DB="$BASE_URL/$DBNAME"
"$BIN" --database "$DB" demo --scale national >/dev/null || exit 1

start() {
  MAILLAGE_LOG=warn MAILLAGE_LINK_CHECK=0 "$BIN" --database "$DB" serve --addr "127.0.0.1:$1" >"$WORK/serve-$1.log" 2>&1 &
  PIDS="$PIDS $!"
  until curl -sf "http://127.0.0.1:$1/api/v1/lieux?limit=1" >/dev/null; do sleep 0.2; done
}

# Each port given is driven by its own wrk at once; prints one line per instance and the sum.
drive() {
  for port in "$@"; do
    wrk -t1 -c "$CONNECTIONS" -d 3s -s bench/http-mix.lua "http://127.0.0.1:$port" >/dev/null &
  done
  wait_wrk
  for port in "$@"; do
    wrk -t1 -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" --latency -s bench/http-mix.lua \
      "http://127.0.0.1:$port" >"$WORK/wrk-$port.out" &
  done
  wait_wrk
  local total=0
  for port in "$@"; do
    line=$(grep '^MIX ' "$WORK/wrk-$port.out")
    echo "instance :$port — $line"
    rps=$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/')
    total=$((total + rps))
  done
  echo "total : $total req/s"
}
wait_wrk() { while pgrep -x wrk >/dev/null; do sleep 0.2; done; }

echo "== une instance sur PostgreSQL ($CONNECTIONS connexions)"
start 18401
drive 18401
echo
echo "== deux instances sur la même base ($CONNECTIONS connexions chacune)"
start 18402
drive 18401 18402
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "DROP DATABASE $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true
