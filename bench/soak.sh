#!/usr/bin/env bash
# Soak under abuse (issue #8): 60 s of mixed public and signed-in traffic at a fixed rate on
# loopback (hey, Debian package), while an attacker loop sends the inputs of the review (2,000
# words typed, a booklet of 3,000 zones, oversized bodies, password spraying, guessed resume
# codes, a forged referral journey, anonymous uploads). Reports errors per URL, latencies, what
# the attacker got back, and the server's memory sampled every 5 s.
# Usage: bench/soak.sh [RATE_PER_S] [SECONDS]   (defaults: 500, 60)
# Figures are recorded in docs/PERFORMANCE.md. Traffic goes to 127.0.0.1 only, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE="${1:-500}"
SECONDS_RUN="${2:-60}"
PORT=18192
URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/maillage-soak.XXXXXX)"
trap 'kill "${SERVER:-0}" "${ATTACKER:-0}" "${SAMPLER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for tool in hey:hey curl:curl; do
  command -v "${tool#*:}" >/dev/null || apt-get install -y -qq "${tool%%:*}" >/dev/null
done
scripts/setup.sh >/dev/null
cargo build --release --locked -q -p maillage
BIN="${CARGO_TARGET_DIR:-target}/release/maillage"
DB="sqlite://$WORK/soak.sqlite"
export MAILLAGE_DEMO_PASSWORD="soak-$$-mot-de-passe" MAILLAGE_LINK_CHECK=0 MAILLAGE_TILES_URL=aucun MAILLAGE_LOG=warn

MAILLAGE_LOG=warn "$BIN" --database "$DB" serve --demo --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
until curl -sf "$URL/api/v1/lieux?limit=1" >/dev/null; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.2
done
sign_in() {
  curl -s -c - -o /dev/null -X POST "$URL/connexion" \
    --data-urlencode "email=$1" --data-urlencode "password=$MAILLAGE_DEMO_PASSWORD" \
    | awk '$6 ~ /maillage_session/ { print $6 "=" $7 }'
}
HELPER_COOKIE="$(sign_in aidant@demo.maillage.example)"
COORD_COOKIE="$(sign_in coordination@demo.maillage.example)"
[ -n "$HELPER_COOKIE" ] && [ -n "$COORD_COOKIE" ] || { echo "connexion impossible" >&2; exit 1; }
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$SERVER/status"; }
echo "mémoire au départ : $(rss) Mo"

# Memory, every 5 s.
( while kill -0 "$SERVER" 2>/dev/null; do rss >> "$WORK/rss"; sleep 5; done ) &
SAMPLER=$!

# The attacker: the review's inputs, in a loop bounded by time.
attack() {
  local end=$(( $(date +%s) + SECONDS_RUN ))
  local words zone
  words="$(seq 1 2000 | sed 's/^/zxq/' | paste -sd+)"
  zone="$(printf '54%%2C+%.0s' $(seq 1 3000))"
  { printf 'message='; head -c 300000 /dev/zero | tr '\0' a; } > "$WORK/big.txt"
  local n=0
  while [ "$(date +%s)" -lt "$end" ]; do
    n=$((n + 1))
    {
      curl -s -o /dev/null -w '%{http_code} recherche-2000-mots\n' "$URL/?q=$words"
      curl -s -o /dev/null -w '%{http_code} api-2000-mots\n' "$URL/api/v1/lieux?q=$words"
      curl -s -o /dev/null -w '%{http_code} orientation-2000-mots\n' "$URL/api/v1/orientation?demande=$words&pres_de=Nancy"
      curl -s -o /dev/null -w '%{http_code} livret-3000-zones\n' -X POST "$URL/livret" --data "zone=$zone"
      curl -s -o /dev/null -w '%{http_code} corps-300-Kio\n' -X POST "$URL/lieux/x/signaler" --data-binary "@$WORK/big.txt"
      curl -s -o /dev/null -w '%{http_code} connexion-pulverisee\n' -X POST "$URL/connexion" \
        --data-urlencode "email=compte$n@exemple.fr" --data-urlencode "password=essai"
      curl -s -o /dev/null -w '%{http_code} code-de-reprise\n' -X POST "$URL/diagnostic/reprendre" --data "code=AAAA-$n"
      curl -s -o /dev/null -w '%{http_code} parcours-force\n' -X POST "$URL/orientations/nouvelle" -H "Cookie: $HELPER_COOKIE" \
        --data "lieu=demo-00089&demande=compte-caf&parcours=parcours-d-une-autre-structure&prenom=X&consentement=orale&explique=x&confirme=oui"
      curl -s -o /dev/null -w '%{http_code} import-anonyme\n' -X POST "$URL/import" -F "fichier=@$WORK/serve.log"
    } >> "$WORK/attack" || true
  done
}
attack &
ATTACKER=$!

# Legitimate traffic: the public mix and the signed-in mix, sharing the rate (4 : 1).
PUBLIC=(
  "/"
  "/?q=m%C3%A9diath%C3%A8que&pres_de=Nancy"
  "/api/v1/lieux?q=num%C3%A9rique"
  "/lieux/demo-00089"
  "/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant"
  "/ateliers"
  "/ressources?q=smartphone"
  "/diagnostic"
)
SIGNED=(
  "/activites|$HELPER_COOKIE"
  "/statistiques|$HELPER_COOKIE"
  "/orientations|$HELPER_COOKIE"
  "/qualite|$COORD_COOKIE"
)
public_rate=$(( RATE * 4 / 5 / ${#PUBLIC[@]} ))
signed_rate=$(( RATE / 5 / ${#SIGNED[@]} ))
i=0
for path in "${PUBLIC[@]}"; do
  hey -z "${SECONDS_RUN}s" -c 4 -q $(( (public_rate + 3) / 4 )) "$URL$path" >"$WORK/hey.$i" &
  i=$((i + 1))
done
for entry in "${SIGNED[@]}"; do
  hey -z "${SECONDS_RUN}s" -c 2 -q $(( (signed_rate + 1) / 2 )) -H "Cookie: ${entry#*|}" "$URL${entry%%|*}" >"$WORK/hey.$i" &
  i=$((i + 1))
done
wait $(jobs -p | grep -v -e "^$SERVER$" -e "^$SAMPLER$" -e "^$ATTACKER$") 2>/dev/null || true
wait "$ATTACKER" 2>/dev/null || true

echo
echo "| URL | requêtes | hors 2xx/3xx | erreurs réseau | req/s | p50 | p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
i=0
for path in "${PUBLIC[@]}" "${SIGNED[@]}"; do
  f="$WORK/hey.$i"
  total=$(awk '/Status code distribution/ { on = 1; next } /Error distribution/ { on = 0 } on && /\[[0-9]+\]/ { s += $2 } END { print s + 0 }' "$f")
  bad=$(awk '/Status code distribution/ { on = 1; next } /Error distribution/ { on = 0 } on && /\[[0-9]+\]/ { if ($1 !~ /^\[[23]/) s += $2 } END { print s + 0 }' "$f")
  neterr=$(awk '/Error distribution/ { on = 1; next } on && /\[/ { gsub(/[^0-9 ]/, " ", $1); s += $1 } END { print s + 0 }' "$f")
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$f")
  p50=$(awk '/50%/ { printf "%.1f ms", $3 * 1000 }' "$f")
  p99=$(awk '/99%/ { printf "%.1f ms", $3 * 1000 }' "$f")
  echo "| \`${path%%|*}\` | $total | $bad | $neterr | $rps | $p50 | $p99 |"
  i=$((i + 1))
done
echo
echo "Attaquant (réponses reçues, par entrée) :"
sort "$WORK/attack" | uniq -c | awk '{ printf "  %s × %s %s\n", $1, $2, $3 }'
echo
echo "Mémoire (Mo, toutes les 5 s) : $(paste -sd' ' "$WORK/rss")"
echo "Serveur vivant : $(kill -0 "$SERVER" 2>/dev/null && echo oui || echo NON)"
