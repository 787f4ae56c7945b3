#!/usr/bin/env bash
# Booklet generation time on the national-scale demo (50,000 places): the most and least
# furnished départements and a whole region's worth of codes. Usage: bench/booklet.sh [RUNS]
# Figures are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-3}"
WORK="$(mktemp -d /tmp/maillage-bench-booklet.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN=target/release/maillage
DB="sqlite://$WORK/national.sqlite"
"$BIN" --database "$DB" demo --scale national >/dev/null 2>&1

echo "| zone | essai | lieux | pages | Ko | temps (s) |"
echo "|---|---:|---:|---:|---:|---:|"
for zone in "75" "13" "54" "48" "13 83 84 04 05 06"; do
  for run in $(seq 1 "$RUNS"); do
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    line=$("$BIN" --database "$DB" booklet --zone $zone --output "$WORK/livret.pdf" 2>&1 | tail -1)
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    places=$(sed -E 's/.*: ([0-9]+) lieu.*/\1/' <<<"$line")
    pages=$(sed -E 's/.*, ([0-9]+) page.*/\1/' <<<"$line")
    size=$(sed -E 's/.*, ([0-9]+) Ko.*/\1/' <<<"$line")
    printf '| %s | %s | %s | %s | %s | %d.%02d |\n' "$zone" "$run" "$places" "$pages" "$size" $((elapsed / 1000)) $(((elapsed % 1000) / 10))
  done
done
