#!/usr/bin/env bash
# Crash safety (issue #8): the server is killed with SIGKILL in the middle of an import of
# places, of a batch of activity records and of merges of duplicates, then restarted; what was
# committed is all there and nothing half-written is — on SQLite and on PostgreSQL.
#
# Usage: scripts/crash-safety.sh BINARY [sqlite] [postgres]
#   PostgreSQL needs MAILLAGE_TEST_POSTGRES_URL (scripts/lib/postgres.sh starts a server).
# Called by scripts/test.sh; prints one line per check and fails on the first broken one.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="$(realpath "$1")"
shift
BACKENDS=("${@:-sqlite}")
PORT="${MAILLAGE_CRASH_PORT:-18190}"
URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/maillage-crash.XXXXXX)"
SERVER_PID=""
export MAILLAGE_DEMO_PASSWORD="crash-$$-mot-de-passe"
export MAILLAGE_LINK_CHECK=0 MAILLAGE_TILES_URL=aucun MAILLAGE_LOG=warn

cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "ÉCHEC : $*" >&2; exit 1; }

start_server() {
  "$BIN" --database "$DB" serve --demo --addr "127.0.0.1:$PORT" >> "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -fs "$URL/" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; fail "le serveur ne démarre pas"; }
    sleep 0.5
  done
  fail "le serveur ne répond pas"
}

kill_server() {
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

sign_in() {
  local jar="$WORK/$1.cookies"
  curl -fs -c "$jar" -o /dev/null -X POST "$URL/connexion" \
    --data-urlencode "email=$1" --data-urlencode "password=$MAILLAGE_DEMO_PASSWORD" \
    || fail "connexion de $1"
  echo "$jar"
}

# Rows of a table, through the CLI (the base is shared with the running server).
rows() {
  "$BIN" --database "$DB" empreinte 2>/dev/null | awk -F '\t' -v t="$1" '$1 == t { print $2 }'
}

# Merged places: a merge removes the absorbed places and records them in `merges`; after any
# crash, places + merged-away records is what it was.
merged_records() {
  "$BIN" --database "$DB" empreinte 2>/dev/null | awk -F '\t' '$1 == "place_aliases" { print $2 }'
}

# 20,000 new places of Nancy, valid, in the standard's CSV.
python3 - "$WORK/lieux.csv" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("id,nom,commune,code_postal,code_insee,adresse,date_maj,services\n")
    for i in range(20000):
        f.write(f"crash-{i},Point numérique {i},Nancy,54000,54395,{i} rue de la Paix,2026-01-01,Aide aux démarches administratives\n")
PY
PLACES_IN_FILE=20000

for backend in "${BACKENDS[@]}"; do
  case "$backend" in
    sqlite) DB="sqlite://$WORK/crash.sqlite" ;;
    postgres)
      [ -n "${MAILLAGE_TEST_POSTGRES_URL:-}" ] || fail "MAILLAGE_TEST_POSTGRES_URL absent"
      name="maillage_crash_$$"
      psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE $name"
      DB="${MAILLAGE_TEST_POSTGRES_URL%/*}/$name"
      ;;
    *) fail "base inconnue : $backend" ;;
  esac
  echo "--- $backend"
  : > "$WORK/server.log"
  start_server
  coord="$(sign_in coordination@demo.maillage.example)"
  helper="$(sign_in aidant@demo.maillage.example)"
  # The activity batch: a year of the demo's records exported, imported again (valid rows).
  "$BIN" --database "$DB" export activites --format csv --output "$WORK/activites.csv" 2>/dev/null
  structure="$(curl -fs -b "$helper" "$URL/activites/import" | grep -o 'name="structure" value="[^"]*"\|<option value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')"
  [ -n "$structure" ] || fail "structure de l'aidant introuvable"

  # 1. Merges of the demo's duplicates, the server killed while they go.
  places_before="$(rows places)"
  aliases_before="$(merged_records)"
  merges_before="$(rows merges)"
  "$BIN" --database "$DB" dedup lieux --json --threshold 85 2>/dev/null > "$WORK/paires.json"
  coord="$(sign_in coordination@demo.maillage.example)"
  node -e '
    const pairs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const p of pairs.slice(0, 5)) console.log(`${p.a.id} ${p.b.id}`);' "$WORK/paires.json" > "$WORK/paires.txt"
  [ -s "$WORK/paires.txt" ] || fail "aucun doublon à fusionner"
  (
    while read -r a b; do
      curl -s -b "$coord" -o /dev/null -X POST "$URL/doublons/fusion" \
        --data-urlencode "a=$a" --data-urlencode "b=$b" --data-urlencode "garder=$a" || true
    done < "$WORK/paires.txt"
  ) &
  sleep 0.3
  kill_server
  wait || true
  start_server
  places_after="$(rows places)"
  aliases_after="$(merged_records)"
  merges=$(( $(rows merges) - merges_before ))
  # Each pair merged removed exactly one place and kept its records as aliases of the kept one.
  removed=$(( places_before - places_after ))
  [ "$aliases_after" -ge "$aliases_before" ] || fail "fusions : des alias ont disparu"
  [ "$removed" -eq "$merges" ] || fail "fusions : $removed lieu(x) disparu(s) pour $merges fusion(s) enregistrée(s)"
  echo "fusions interrompues : $removed lieu(x) absorbé(s), $merges fusion(s) enregistrée(s), base cohérente"

  # 2. A batch of activity records killed midway: none of it or all of it.
  before="$(rows activities)"
  curl -s -b "$helper" -o /dev/null -X POST "$URL/activites/import" \
    -F "structure=$structure" -F "partiel=oui" -F "fichier=@$WORK/activites.csv;type=text/csv" &
  sleep 1.5
  kill_server
  wait || true
  start_server
  killed="$(rows activities)"
  helper="$(sign_in aidant@demo.maillage.example)"
  curl -s -b "$helper" -o /dev/null -X POST "$URL/activites/import" \
    -F "structure=$structure" -F "partiel=oui" -F "fichier=@$WORK/activites.csv;type=text/csv"
  whole="$(rows activities)"
  batch=$(( whole - killed ))
  [ "$batch" -gt 0 ] || fail "le lot d'activités n'a rien écrit une fois mené à terme"
  if [ "$killed" != "$before" ] && [ "$killed" != "$((before + batch))" ]; then
    fail "lot d'activités tué : $before → $killed (lot complet : $batch)"
  fi
  echo "lot d'activités tué : $(( killed - before )) compte(s) rendu(s) écrit(s) sur $batch (rien ou tout)"

  # 3. Import of places killed at several moments: none of the file or all of it.
  before="$(rows places)"
  for delay in 0.4 1.2 2.5; do
    curl -s -b "$coord" -o /dev/null -X POST "$URL/api/v1/import?source=crash" \
      -H 'Content-Type: text/csv' --data-binary "@$WORK/lieux.csv" &
    sleep "$delay"
    kill_server
    wait || true
    start_server
    after="$(rows places)"
    if [ "$after" != "$before" ] && [ "$after" != "$((before + PLACES_IN_FILE))" ]; then
      fail "import tué après ${delay} s : $before → $after lieux (ni rien ni tout)"
    fi
    echo "import tué après ${delay} s : $(( after - before )) lieu(x) écrit(s) sur $PLACES_IN_FILE (rien ou tout)"
    coord="$(sign_in coordination@demo.maillage.example)"
    helper="$(sign_in aidant@demo.maillage.example)"
    before="$after"
  done

  # The base is sound: it opens, its digest reads every table, the server serves.
  "$BIN" --database "$DB" empreinte > /dev/null || fail "base illisible après les arrêts brutaux"
  curl -fs "$URL/api/v1/lieux?limit=1" > /dev/null || fail "le serveur ne sert plus"
  kill_server
done
echo "Arrêts brutaux : rien de perdu, rien d'à moitié écrit."
