#!/usr/bin/env bash
# The server's memory (RSS and its peak, read from /proc) with the national-scale demo
# (50,000 places): once started, then once the territory's layers are loaded — the coverage of
# the whole country and a département's interactive map, asked by a signed-in administrator.
# Usage: bench/memory.sh. Figures are recorded in docs/PERFORMANCE.md (« Memory »).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=18192
WORK="$(mktemp -d /tmp/maillage-bench-memory.XXXXXX)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v curl >/dev/null || apt-get install -y -qq curl >/dev/null
scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN="${CARGO_TARGET_DIR:-target}/release/maillage"
DB="sqlite://$WORK/national.sqlite"
BASE="http://127.0.0.1:$PORT"

"$BIN" --database "$DB" demo --scale national >/dev/null
PASSWORD="mesure-de-la-memoire-$$"
MAILLAGE_PASSWORD="$PASSWORD" "$BIN" --database "$DB" user add --admin \
  --email mesure@exemple.fr --name "Mesure" >/dev/null

rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d Mo  ", $1, $2/1024}' "/proc/$SERVER/status"; echo; }

MAILLAGE_LOG=warn "$BIN" --database "$DB" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
until curl -sf "$BASE/api/v1/lieux?limit=1" >/dev/null; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
sleep 1
echo "annuaire national chargé : $(rss)"

JAR="$WORK/cookies"
curl -sf -c "$JAR" -b "$JAR" -o /dev/null "$BASE/connexion"
curl -sf -c "$JAR" -b "$JAR" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode "email=mesure@exemple.fr" --data-urlencode "password=$PASSWORD" "$BASE/connexion"
for path in "/territoire?zone=FR" "/carte?couche=acces&zone=54" "/territoire?zone=84"; do
  code=$(curl -s -b "$JAR" -o "$WORK/page" -w '%{http_code}' "$BASE$path")
  [ "$code" = 200 ] || { echo "$path : HTTP $code" >&2; exit 1; }
  echo "après $path ($(wc -c <"$WORK/page") octets) : $(rss)"
done
