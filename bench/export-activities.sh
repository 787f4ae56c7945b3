#!/usr/bin/env bash
# Exports about a million activity records (CSV, then XLSX) from the 5-million-record base the
# activity benchmark builds (`cargo bench -p maillage --bench activity`), sampling the process's
# resident memory every 100 ms: the export streams, memory stays flat whatever the volume.
# Usage: bench/export-activities.sh [DATABASE_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${1:-sqlite://$PWD/target/bench-data/activity-5000000.sqlite}"
BIN=target/release/maillage
cargo build -q --release -p maillage
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# Seventy-three days of a year of five million records: about a million rows.
FROM="$(date -d '2026-11-23 - 72 days' +%F)"

run() {
  local format="$1"
  local start end peak=0
  start=$(date +%s.%N)
  "$BIN" --database "$DB" export activites --format "$format" --du "$FROM" --au 2026-11-23 \
    --output "$OUT/activites.$format" 2> "$OUT/err.txt" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.1
  done
  wait "$pid"
  end=$(date +%s.%N)
  printf '%-5s %s — %.1f s, mémoire résidente max %d Mo, fichier %d Mo\n' "$format" \
    "$(tail -1 "$OUT/err.txt")" "$(awk "BEGIN {print $end - $start}")" "$((peak / 1024))" \
    "$(( $(stat -c %s "$OUT/activites.$format") / 1048576 ))"
}
run csv
run xlsx
