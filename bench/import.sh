#!/usr/bin/env bash
# Import + validation of a 50,000-row standard CSV (the national-scale demo exported in the
# standard), side by side in one run with the reference TypeScript library of the standard
# (parse + validation of the same file). Usage: bench/import.sh [RUNS]
# Figures are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-3}"
WORK="$(mktemp -d /tmp/maillage-bench-import.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN="${CARGO_TARGET_DIR:-target}/release/maillage"

"$BIN" --database "sqlite://$WORK/source.sqlite" demo --scale national >/dev/null 2>&1
"$BIN" --database "sqlite://$WORK/source.sqlite" export lieux --format csv --output "$WORK/lieux.csv"
rows=$(( $(wc -l <"$WORK/lieux.csv") - 1 ))
echo "fichier : $rows lignes, $(du -h "$WORK/lieux.csv" | cut -f1)"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# Peak memory of a command (GNU time, Debian package `time`), in MB.
peak() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$WORK/peak" "$@" >/dev/null 2>&1 || true
    echo "$(( $(cat "$WORK/peak") / 1024 )) Mo"
  else
    "$@" >/dev/null 2>&1 || true
    echo "—"
  fi
}

echo
echo "| essai | Maillage validate (ms) | Maillage import SQLite (ms) | bibliothèque de référence (ms) | rapport |"
echo "|---:|---:|---:|---:|---:|"
for run in $(seq 1 "$RUNS"); do
  t=$(date +%s%N)
  "$BIN" validate lieux "$WORK/lieux.csv" >/dev/null
  validate=$(ms "$t")

  rm -f "$WORK/target.sqlite"*
  t=$(date +%s%N)
  "$BIN" --database "sqlite://$WORK/target.sqlite" import lieux "$WORK/lieux.csv" --source bench >/dev/null 2>&1
  import=$(ms "$t")

  t=$(date +%s%N)
  reference=$(node bench/reference-parse.mjs "$WORK/lieux.csv")
  node_total=$(ms "$t")
  echo "| $run | $validate | $import | $node_total (dont analyse + validation $(echo "$reference" | sed 's/.*"ms":\([0-9]*\).*/\1/')) | ×$(( node_total / (validate > 0 ? validate : 1) )) |"
done
echo
echo "bibliothèque de référence, dernier essai : $reference"
rm -f "$WORK/target.sqlite"*
echo "mémoire de pointe : validate $(peak "$BIN" validate lieux "$WORK/lieux.csv"), import $(peak "$BIN" --database "sqlite://$WORK/target.sqlite" import lieux "$WORK/lieux.csv" --source bench), référence $(peak node bench/reference-parse.mjs "$WORK/lieux.csv")"
