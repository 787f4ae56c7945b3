#!/usr/bin/env bash
# Search over HTTP on the national-scale demo (50,000 places) with `wrk` (Debian package), an
# independent load generator on loopback: the public search mix of bench/http-mix.lua as fast
# as the server answers, with and without the search cache; the server's memory (RSS, from
# /proc) once the directory is loaded, once the territory's layers are loaded, after the load.
# Usage: bench/http.sh [CONNECTIONS] [SECONDS]
# « Open now » answers differently by the hour (most places open in the day, a few overseas at
# night): MAILLAGE_BENCH_AT="2026-12-08 10:30:00" (UTC) runs the server with its clock started
# at that instant (libfaketime, Debian package `faketime`).
# Figures are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${1:-16}"
SECONDS_PER_RUN="${2:-20}"
PORT=18191
WORK="$(mktemp -d /tmp/maillage-bench-http.XXXXXX)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for tool in wrk:wrk time:/usr/bin/time curl:curl; do
  command -v "${tool#*:}" >/dev/null || apt-get install -y -qq "${tool%%:*}" >/dev/null
done
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ -n "${MAILLAGE_BENCH_AT:-}" ]; then
  [ -e "$FAKETIME_LIB" ] || apt-get install -y -qq faketime >/dev/null
  echo "horloge du serveur partie du $MAILLAGE_BENCH_AT UTC"
fi
scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN="${CARGO_TARGET_DIR:-target}/release/maillage"
DB="sqlite://$WORK/national.sqlite"

echo "== base nationale de démonstration"
/usr/bin/time -f "génération + écriture : %e s, %M Ko max" "$BIN" --database "$DB" demo --scale national 2>&1 | tail -2

rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d Mo  ", $1, $2/1024}' "/proc/$SERVER/status"; echo; }

start_server() {
  if [ -n "${MAILLAGE_BENCH_AT:-}" ]; then
    LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$MAILLAGE_BENCH_AT" TZ=UTC \
      MAILLAGE_LOG=warn "$BIN" --database "$DB" serve --addr "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  else
    MAILLAGE_LOG=warn "$BIN" --database "$DB" serve --addr "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  fi
  SERVER=$!
  local started
  started=$(date +%s%N)
  until curl -sf "http://127.0.0.1:$PORT/api/v1/lieux?limit=1" >/dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
    sleep 0.1
  done
  echo "serveur prêt (base lue, index construit) en $(( ($(date +%s%N) - started) / 1000000 )) ms"
  echo "mémoire après démarrage : $(rss)"
}

# The mix: each connection asks the six URLs of bench/http-mix.lua in turn (accepting gzip),
# one wrk thread so that the server keeps a core; a short warm-up first.
run_mix() {
  wrk -t1 -c "$CONNECTIONS" -d 3s -s bench/http-mix.lua "http://127.0.0.1:$PORT" >/dev/null
  wrk -t1 -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" --latency -s bench/http-mix.lua \
    "http://127.0.0.1:$PORT" >"$WORK/wrk.out"
  local line
  line=$(grep '^MIX ' "$WORK/wrk.out")
  echo
  echo "| connexions | requêtes | erreurs | req/s | p50 | p90 | p99 | max |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "$line" | awk -v c="$CONNECTIONS" '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s ms | %s ms | %s ms | %s ms |\n", c, v["requests"], v["errors"], v["rps"], v["p50"], v["p90"], v["p99"], v["max"]
  }'
  echo
  echo "mémoire après la charge : $(rss)"
}

echo
echo "== avec le cache des recherches récentes (réglage de production)"
start_server
run_mix
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true

echo
echo "== sans cache (chaque requête refait la recherche)"
start_server --no-search-cache
run_mix
