#!/usr/bin/env bash
# Search over HTTP on the national-scale demo (50,000 places), with `hey` (Debian package) at a
# fixed rate on loopback, and the server's memory (RSS) once the directory is loaded and after
# the load. Usage: bench/http.sh [RATE_PER_S] [SECONDS_PER_URL]
# Figures are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE="${1:-2000}"
SECONDS_PER_URL="${2:-20}"
PORT=18191
WORK="$(mktemp -d /tmp/maillage-bench-http.XXXXXX)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for tool in hey:hey time:/usr/bin/time curl:curl; do
  command -v "${tool#*:}" >/dev/null || apt-get install -y -qq "${tool%%:*}" >/dev/null
done
scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN=target/release/maillage
DB="sqlite://$WORK/national.sqlite"

echo "== base nationale de démonstration"
/usr/bin/time -f "génération + écriture : %e s, %M Ko max" "$BIN" --database "$DB" demo --scale national 2>&1 | tail -2

rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d Mo  ", $1, $2/1024}' "/proc/$SERVER/status"; echo; }

start_server() {
  MAILLAGE_LOG=warn "$BIN" --database "$DB" serve --addr "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
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

# A mix of searches as people make them: one `hey` per URL, all at once, sharing the rate.
URLS=(
  "/api/v1/lieux?q=m%C3%A9diath%C3%A8que"
  "/api/v1/lieux?q=num%C3%A9rique"
  "/api/v1/lieux?pres_de=Lyon&rayon=20&service=demarches"
  "/api/v1/lieux?departement=54&ouvert=maintenant"
  "/?q=france+services&pres_de=Nancy"
  "/?q=atelier&ouvert=maintenant"
)
run_mix() {
  local workers=10 per_worker=$(( (RATE + ${#URLS[@]} * 10 - 1) / (${#URLS[@]} * 10) ))
  local i=0
  for path in "${URLS[@]}"; do
    hey -z "${SECONDS_PER_URL}s" -c "$workers" -q "$per_worker" "http://127.0.0.1:$PORT$path" >"$WORK/hey.$i" &
    i=$((i + 1))
  done
  wait $(jobs -p | grep -v "^$SERVER$") 2>/dev/null || true
  echo
  echo "| URL | requêtes | erreurs | req/s | p50 | p99 |"
  echo "|---|---:|---:|---:|---:|---:|"
  local sum=0
  i=0
  for path in "${URLS[@]}"; do
    out="$WORK/hey.$i"
    ok=$(awk '/^  \[200\]/ {print $2}' "$out"); ok=${ok:-0}
    all=$(awk '/^  \[[0-9]+\]\t/ && /responses/ {n+=$2} END {print n+0}' "$out")
    errs=$(awk '/^Error distribution/ {e=1; next} e && /\[[0-9]+\]/ {gsub(/[\[\]]/,"",$1); n+=$1} END {print n+0}' "$out")
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out")
    p50=$(awk '/ 50% in / {printf "%.1f ms", $3*1000}' "$out")
    p99=$(awk '/ 99% in / {printf "%.1f ms", $3*1000}' "$out")
    echo "| \`$path\` | $all | $(( all - ok + errs )) | $rps | $p50 | $p99 |"
    sum=$(( sum + ${rps:-0} ))
    i=$((i + 1))
  done
  echo
  echo "débit total : $sum req/s ; mémoire : $(rss)"
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
