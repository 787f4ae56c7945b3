#!/usr/bin/env bash
# Runs every test of Maillage on a fresh Debian machine: set-up, format, lints, unit, property,
# snapshot and integration tests on SQLite and PostgreSQL, the reference validator of the
# standard (frictionless) on real exports, and browser tests (Chromium + axe-core).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
SHARED="${MAILLAGE_SHARED:-$ROOT/../shared}"
export MAILLAGE_SHARED="$SHARED"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$TARGET"
# Each step says the time so far and the disk left where the builds go (a full run writes about
# 15 GB there; a machine that ran out of disk once failed in the linker with a bus error).
step() {
  printf '\n==> %s (%s s depuis le début, %s libres sur le disque des compilations)\n' \
    "$*" "$SECONDS" "$(df -h --output=avail "$TARGET" | tail -1 | tr -d ' ')"
}
# A clean build each time (CI): incremental compilation would only add gigabytes of caches.
export CARGO_INCREMENTAL=0

step "Installation (paquets, npm, référentiel, outils de test)"
scripts/setup.sh --test

WORK="$(mktemp -d)"
SERVER_PID=""
SINK_PID=""
# Servers started by later steps, stopped whatever happens.
EXTRA_PIDS=""
FUZZ_BUILD_PID=""
cleanup() {
  # The fuzzing's build, with its cargo and rustc (its own process group).
  [ -n "$FUZZ_BUILD_PID" ] && kill -- "-$FUZZ_BUILD_PID" 2>/dev/null || true
  for pid in $EXTRA_PIDS; do kill "$pid" 2>/dev/null || true; done
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The fuzzing's build (nightly, AddressSanitizer, its own target directory: some twenty
# minutes of both cores) starts now, in the background at the lowest priority: it takes the CPU
# the other steps leave idle — a crate at the top of the graph checked or compiled on one core,
# test binaries waiting for their databases, servers, Chromium and the loopback — without
# slowing them (started after the debug build, it was still building when every other step was
# done, the run's last seven minutes). In a process group of its own (job control for this one
# command), so that cleanup stops its cargo and rustc with it, but in this session: a new
# session (setsid) would be a scheduler autogroup of its own, sharing the CPU equally with the
# tests whatever its nice. Only with disk for both builds at once: a machine short of disk
# builds it at the end, after the debug builds are gone (below).
if [ "$(df --output=avail -B1G "$TARGET" | tail -1 | tr -d ' ')" -ge 25 ]; then
  set -m
  nice -n 19 scripts/fuzz.sh --court --construire > "$WORK/fuzz-build.log" 2>&1 &
  FUZZ_BUILD_PID=$!
  set +m
fi

step "Format et lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The booklet crate as the fuzz targets build it (without Typst), checked here rather than at
# the end of the run.
cargo clippy -p maillage-booklet --no-default-features --locked -- -D warnings

step "PostgreSQL jetable"
source scripts/lib/postgres.sh

step "Tests Rust (SQLite et PostgreSQL)"
export MAILLAGE_REQUIRE_REFERENTIAL=1
cargo test --workspace --locked
# The measure of commune resolution on the real files of ../shared/data (issue #10), printed.
cargo test --locked -q -p maillage-standard --test files communes_of_real_files -- --nocapture 2>&1 | grep "communes des fichiers réels"
# Duplicates found on the PACA files against the published outcome (issue #10), printed.
cargo test --locked -q -p maillage-standard --test files paca_duplicates -- --nocapture 2>&1 | grep "Doublons PACA"
# The diagnostic's agreement with field workers on the calibration set (issue #10), printed.
cargo test --locked -q -p maillage-domain --test calibration -- --nocapture 2>&1 | grep -A5 "Calibration du diagnostic"

step "Construction du binaire"
cargo build --locked -p maillage
BIN="$TARGET/debug/maillage"

step "CLI de bout en bout et validateur de référence (frictionless)"
DB="sqlite://$WORK/cli.sqlite"
"$BIN" --database "$DB" demo >/dev/null
# A real regional file (v0.1, JSON) imported with its defects reported, then exported.
"$BIN" --database "$DB" import lieux "$SHARED/data/dedup-paca/paca-792-before-dedup-v0.1.json" --source paca --skip-invalid > "$WORK/import.txt"
grep -q "Import terminé" "$WORK/import.txt"
# Re-import changes nothing.
"$BIN" --database "$DB" import lieux "$SHARED/data/dedup-paca/paca-792-before-dedup-v0.1.json" --source paca --skip-invalid | grep -q " 0 créé(s), 0 mis à jour"
"$BIN" --database "$DB" import lieux "$SHARED/standard/exemple-valide.csv" >/dev/null
# Duplicates: the JSON contract of `dedup lieux`, scripted against.
"$BIN" --database "$DB" dedup lieux --json --source-internal --threshold 80 > "$WORK/dedup.json"
node -e '
  const pairs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (pairs.length < 20) throw new Error(`trop peu de paires : ${pairs.length}`);
  for (const p of pairs) {
    for (const side of [p.a, p.b]) for (const k of ["id", "source_id", "nom"]) if (!(k in side)) throw new Error(`champ ${k} absent`);
    if (!(p.score >= 80 && p.score <= 100) || typeof p.scores.name !== "number" || !Array.isArray(p.vetoes) || p.vetoes.length) throw new Error(JSON.stringify(p));
  }' "$WORK/dedup.json"
"$BIN" --database "$DB" dedup lieux | head -1 | grep -q "doublon(s) probable(s)"
"$BIN" --database "$DB" export lieux --format csv --output "$WORK/export.csv"
"$BIN" --database "$DB" export lieux --format csv --departement 54 --output "$WORK/export-54.csv"
# frictionless only reads paths under the working directory.
cp "$SHARED/standard/schema-v1.0.2.json" "$WORK/schema.json"
for f in export.csv export-54.csv; do
  (cd "$WORK" && "$ROOT/.venv/bin/frictionless" validate --schema schema.json "$f" > frictionless.txt) \
    || { cat "$WORK/frictionless.txt"; echo "frictionless refuse $f" >&2; exit 1; }
done
# Round trip: the export re-imported into a new base is valid and complete.
"$BIN" --database "sqlite://$WORK/again.sqlite" import lieux "$WORK/export.csv" --source retour >/dev/null
for format in json geojson xlsx csv-excel; do
  "$BIN" --database "$DB" export lieux --format "$format" --output "$WORK/export.$format" 2>/dev/null
  test -s "$WORK/export.$format"
done
"$BIN" --database "$DB" search lieux mediatheque --near Nancy --radius-km 20 --json | grep -q '"total"'
# Printed booklet of a zone (CLI contract): a PDF that poppler opens, with its summary table.
"$BIN" --database "$DB" booklet --zone 54 --output "$WORK/livret.pdf"
# (poppler warns about the tagged-PDF MarkInfo dictionary; the text is what matters.)
pdfinfo "$WORK/livret.pdf" > "$WORK/livret-info.txt" 2>/dev/null
grep -q "Meurthe-et-Moselle (54)" "$WORK/livret-info.txt"
pdftotext "$WORK/livret.pdf" "$WORK/livret.txt" 2>/dev/null
grep -q "Sommaire récapitulatif" "$WORK/livret.txt"
grep -q "Index des communes" "$WORK/livret.txt"
if "$BIN" --database "$DB" booklet --zone 999 --output "$WORK/rien.pdf" 2> "$WORK/zone.txt"; then echo "zone inconnue acceptée" >&2; exit 1; fi
grep -q "zone « 999 »" "$WORK/zone.txt"
test ! -e "$WORK/rien.pdf"
# Invalid file: non-zero exit and a French message naming line and field.
printf 'id,nom,commune,code_postal,adresse,date_maj,telephone\nx,Lieu,Nancy,54000,1 rue,2026-01-01,12\n' > "$WORK/bad.csv"
if "$BIN" validate lieux "$WORK/bad.csv" > "$WORK/bad.txt"; then echo "fichier invalide accepté" >&2; exit 1; fi
grep -q "ligne 2, champ « telephone »" "$WORK/bad.txt"
# A file that cannot be read: non-zero exit and the file named, before anything else is said.
if "$BIN" validate lieux "$WORK/absent.csv" 2> "$WORK/absent.txt"; then echo "fichier absent accepté" >&2; exit 1; fi
grep -q "^Erreur : lecture de $WORK/absent.csv" "$WORK/absent.txt"
# Without its referential, the check says so first, before what it thinks of the file.
: > "$WORK/vide.csv"
if "$BIN" --referential "$WORK/absent.tsv" validate lieux "$WORK/vide.csv" 2> "$WORK/sans-referentiel.txt"; then echo "référentiel absent accepté" >&2; exit 1; fi
grep -q "^Erreur : référentiel des communes" "$WORK/sans-referentiel.txt"
# Workshops (CLI contract): the demo's calendar as iCalendar and CSV.
"$BIN" --database "$DB" export ateliers --format ics --output "$WORK/ateliers.ics"
grep -q "BEGIN:VEVENT" "$WORK/ateliers.ics"
"$BIN" --database "$DB" export ateliers --format csv > "$WORK/ateliers.csv"
grep -q ";debutant;" "$WORK/ateliers.csv"
# Resource library and watch (CLI contract): the demo's library comes from the field sheets.
"$BIN" --database "$DB" export ressources --format csv --output "$WORK/ressources.csv"
grep -q "lesbonsclics" "$WORK/ressources.csv"
"$BIN" --database "$DB" export ressources --format json > "$WORK/ressources.json"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (r.length < 45 || !r.every(x => x.titre && x.thematiques.length + x.pratique.length > 0)) throw new Error(r.length);' "$WORK/ressources.json"
"$BIN" --database "$DB" ressources contenu-initial | grep -q "déjà chargé"
"$BIN" --database "$DB" export veille --format csv | grep -q "france-travail"
# Orientation (CLI contract): each proposal carries its place and its reasons; free-only is
# honoured; a request typed in a person's words finds its catalogue entry; bad input is refused.
"$BIN" --database "$DB" orient --request compte-caf --near Nancy --level debutant --free-only --radius-km 15 --json > "$WORK/orient.json"
node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const r = Array.isArray(o) ? o : o.results;
if (!r.length) throw new Error("aucune proposition");
for (const p of r) {
  if (!p.lieu || !p.lieu.nom || !Array.isArray(p.reasons) || !p.reasons.length) throw new Error(JSON.stringify(p));
  if (!p.lieu.frais_a_charge.includes("Gratuit")) throw new Error("payant : " + p.lieu.nom);
  if (p.distance_m > 15000) throw new Error("trop loin : " + p.lieu.nom);
}' "$WORK/orient.json"
"$BIN" --database "$DB" orient --request "je dois m'inscrire à pôle emploi" --near 48.6921,6.1844 --level eloigne --equipment none --language fr --json | grep -q '"id": "inscription-france-travail"'
if "$BIN" --database "$DB" orient --request compte-caf --near Nullepart --level expert --json 2> "$WORK/orient-err.txt"; then echo "orientation invalide acceptée" >&2; exit 1; fi
grep -q -- "--near" "$WORK/orient-err.txt"
grep -q -- "--level" "$WORK/orient-err.txt"
# Activity records (CLI contract): the demo's year of activity; stats in JSON equal to the
# export's records; CSV and XLSX exports with filters; the indicators' documentation is current.
"$BIN" --database "$DB" stats --json > "$WORK/stats.json"
"$BIN" --database "$DB" export activites --format csv --output "$WORK/activites.csv"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const lines = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").length - 1;
if (s.chiffres.activites < 10000) throw new Error("année de démonstration : " + s.chiffres.activites);
if (s.chiffres.activites !== lines) throw new Error(s.chiffres.activites + " ≠ " + lines);
const kinds = s.tableaux.types.lignes.reduce((n, r) => n + r.valeur, 0);
if (kinds !== s.chiffres.activites) throw new Error("types " + kinds);' "$WORK/stats.json" "$WORK/activites.csv"
"$BIN" --database "$DB" stats --type collectif --du 2000-01-01 --json | grep -q '"activites"'
"$BIN" --database "$DB" export activites --format xlsx --type demarche --output "$WORK/activites.xlsx"
test "$(head -c 2 "$WORK/activites.xlsx")" = "PK"
if "$BIN" --database "$DB" stats --type pique-nique --json 2> "$WORK/stats-err.txt"; then echo "filtre invalide accepté" >&2; exit 1; fi
grep -q "type" "$WORK/stats-err.txt"
"$BIN" indicateurs | diff - docs/INDICATORS.md
# Diagnostic scoring (CLI contract): the level in `level`.
"$BIN" diagnostic score --answers crates/domain/tests/diagnostics/1-jeannine-eloignee.json --json > "$WORK/diag.json"
node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (a.level !== "eloigne" || a.need !== "assistance") throw new Error(JSON.stringify(a));' "$WORK/diag.json"
# Backup and restore (SQLite): a consistent copy of the demo base; restored elsewhere, every
# table is the same (row counts and hashes of the rows).
"$BIN" --database "$DB" backup --output "$WORK/sauvegarde.sqlite"
"$BIN" --database "$DB" empreinte > "$WORK/empreinte.txt"
test "$(wc -l < "$WORK/empreinte.txt")" -gt 30
"$BIN" --database "sqlite://$WORK/restauree.sqlite" restore "$WORK/sauvegarde.sqlite"
"$BIN" --database "sqlite://$WORK/restauree.sqlite" empreinte | diff - "$WORK/empreinte.txt"
printf 'pas une base' > "$WORK/faux.sqlite"
if "$BIN" --database "sqlite://$WORK/restauree.sqlite" restore "$WORK/faux.sqlite" 2> "$WORK/restore-err.txt"; then echo "fausse sauvegarde acceptée" >&2; exit 1; fi
"$BIN" --database "sqlite://$WORK/restauree.sqlite" empreinte | diff - "$WORK/empreinte.txt"
# PostgreSQL through the CLI too, with its backup (pg_dump) restored into another base.
PG_DB="maillage_cli_$$"
PG_BASE="${MAILLAGE_TEST_POSTGRES_URL%/*}"
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE $PG_DB"
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE ${PG_DB}_restauree"
"$BIN" --database "$PG_BASE/$PG_DB" import lieux "$SHARED/standard/exemple-valide.csv" | grep -q "1 créé(s)"
"$BIN" --database "$PG_BASE/$PG_DB" import lieux "$SHARED/data/dedup-paca/paca-792-before-dedup-v0.1.json" --source paca --skip-invalid > /dev/null
"$BIN" --database "$PG_BASE/$PG_DB" backup --output "$WORK/sauvegarde.pgdump"
"$BIN" --database "$PG_BASE/$PG_DB" empreinte > "$WORK/empreinte-pg.txt"
"$BIN" --database "$PG_BASE/${PG_DB}_restauree" restore "$WORK/sauvegarde.pgdump"
"$BIN" --database "$PG_BASE/${PG_DB}_restauree" empreinte | diff - "$WORK/empreinte-pg.txt"
# The journal of mandates (issue #19): the demo's verifies on SQLite, an empty one on
# PostgreSQL; a line altered behind the store's back (its guard dropped) is found and named.
"$BIN" --database "$DB" journal verifier | grep -q "Journal des mandats intact"
"$BIN" --database "$PG_BASE/$PG_DB" journal verifier | grep -q "intact : 0 ligne"
"$ROOT/.venv/bin/python" - "$WORK/cli.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER mandate_journal_no_update")
db.execute("UPDATE mandate_journal SET actor_id = 'quelqu-un' WHERE seq = 3")
db.commit()
PY
if "$BIN" --database "$DB" journal verifier > "$WORK/journal.txt"; then echo "journal altéré accepté" >&2; exit 1; fi
grep -q "ligne 3 : son contenu a été modifié" "$WORK/journal.txt"
# The register of processing (issue #19), written from the declarations of the code.
"$BIN" --database "$DB" export registre --output "$WORK/registre.md"
grep -q "^# Registre des activités de traitement" "$WORK/registre.md"
grep -q "^## Mandats" "$WORK/registre.md"
grep -q '`mandate_journal`' "$WORK/registre.md"
# Deadlines of persons' requests (counts, no names): none open in the demo; one received two
# months ago and never answered makes the command fail, naming its structure.
"$BIN" --database "$DB" demandes echeances | grep -q "Aucune demande sur les données à traiter"
"$BIN" --database "$PG_BASE/$PG_DB" demandes echeances --json | grep -q '^\[\]'
"$ROOT/.venv/bin/python" - "$WORK/cli.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
org = db.execute("SELECT id FROM organisations ORDER BY name LIMIT 1").fetchone()[0]
db.execute("INSERT INTO person_requests (id, organisation_id, kind, person_name, received_on, due_on, status, keep_until) VALUES ('en-retard', ?, 'acces', 'Personne en retard', '2026-01-05', '2026-02-05', 'ouverte', '2099-01-01')", (org,))
db.commit()
PY
if "$BIN" --database "$DB" demandes echeances > "$WORK/demandes.txt"; then echo "demande en retard non signalée" >&2; exit 1; fi
grep -q "1 demande(s) en retard" "$WORK/demandes.txt"
if grep -q "Personne en retard" "$WORK/demandes.txt"; then echo "nom dans les échéances" >&2; exit 1; fi
# The territory (issue #20): a département's coverage as JSON (on PostgreSQL too, whose base
# holds other places: the same communes and population), its communes as CSV — one line each, the same counts —, and a zone that does not exist refused.
"$BIN" --database "$DB" territoire --zone 54 --json > "$WORK/territoire.json"
"$BIN" --database "$PG_BASE/$PG_DB" territoire --zone Meurthe-et-Moselle --json > "$WORK/territoire-pg.json"
"$BIN" --database "$DB" export territoire --zone 54 --aide demarches --output "$WORK/territoire.csv"
"$ROOT/.venv/bin/python" - "$WORK/territoire.json" "$WORK/territoire-pg.json" "$WORK/territoire.csv" <<'PY'
import csv, json, sys
view, pg = (json.load(open(p)) for p in sys.argv[1:3])
assert view["codes"] == ["54"] and view["nombre_communes"] > 500, view["nombre_communes"]
assert (view["nombre_communes"], view["population"]) == (pg["nombre_communes"], pg["population"])
rows = list(csv.DictReader(open(sys.argv[3], encoding="utf-8-sig"), delimiter=";"))
assert len(rows) == view["nombre_communes"], (len(rows), view["nombre_communes"])
demarches = next(k for k in view["couverture"] if k["aide"] == "demarches")
for status, key in [("dans-la-commune", "communes_avec_lieu"), ("a-portee", "communes_a_portee"), ("plus-loin", "communes_plus_loin"), ("nulle-part", "communes_nulle_part")]:
    assert sum(r["acces"] == status for r in rows) == demarches[key], status
print(f"territoire 54 : {view['nombre_communes']} communes, {view['couverture'][0]['habitants_hors_de_portee']} habitants hors de portée de toute aide")
PY
# The territorial diagnosis as a PDF that poppler reads, with the same figures as the JSON.
"$BIN" --database "$DB" export territoire --zone 54 --format pdf --output "$WORK/diagnostic.pdf"
pdftotext "$WORK/diagnostic.pdf" "$WORK/diagnostic.txt" 2>/dev/null
"$ROOT/.venv/bin/python" - "$WORK/territoire.json" "$WORK/diagnostic.txt" <<'PY'
import json, re, sys
view = json.load(open(sys.argv[1]))
text = re.sub(r"[\s\u00a0\u202f\u00ad]+", " ", open(sys.argv[2], encoding="utf-8").read())
def fr(v):
    whole, _, tenth = f"{v:.1f}".partition(".")
    groups = f"{int(whole):,}".replace(",", " ")
    return groups if tenth == "0" else f"{groups},{tenth}"
any_help = view["couverture"][0]
for label, value in [
    ("communes", fr(view["nombre_communes"])),
    ("habitants", fr(view["population"])),
    ("hors de portée", f"{fr(any_help['habitants_hors_de_portee'])} ({fr(any_help['part_habitants_hors_de_portee'])} %)"),
    ("indice de fragilité", fr(view["fragilite"]["indice"])),
    ("accompagnements pour 100", fr(view["besoins"]["pour_100_a_accompagner"])),
]:
    assert value in text, f"{label} : « {value} » absent du PDF"
assert "Diagnostic territorial" in text and "Définitions" in text
print("diagnostic territorial du 54 : mêmes chiffres que le JSON")
PY
if "$BIN" --database "$DB" territoire --zone Atlantide 2> "$WORK/territoire.err"; then echo "zone inconnue acceptée" >&2; exit 1; fi
grep -q "« Atlantide » n'est ni une région" "$WORK/territoire.err"
# Communes' indicators (issue #20): a file with a wrong cell refused whole (line, column,
# reason; exit 1), then a right one imported on PostgreSQL and scored there.
printf 'code_insee;taux_pauvrete;part_65_ans_et_plus\n54395;22,4;19\n54528;beaucoup;24\n' > "$WORK/indicateurs-faux.csv"
if "$BIN" --database "$DB" import indicateurs "$WORK/indicateurs-faux.csv" --source Essai > "$WORK/indicateurs.txt"; then echo "fichier d'indicateurs faux accepté" >&2; exit 1; fi
grep -q "ligne 3, colonne « taux_pauvrete » : « beaucoup » n'est pas un nombre" "$WORK/indicateurs.txt"
grep -q "Rien n'a été enregistré" "$WORK/indicateurs.txt"
printf 'code_insee;taux_pauvrete;part_65_ans_et_plus\n54395;22,4;19\n54528;18;24\n' > "$WORK/indicateurs.csv"
"$BIN" --database "$PG_BASE/$PG_DB" import indicateurs "$WORK/indicateurs.csv" --source Essai | grep -q "2 commune(s) importée(s)"
"$BIN" --database "$PG_BASE/$PG_DB" territoire --zone 54395 54528 --json > "$WORK/territoire-indicateurs.json"
"$ROOT/.venv/bin/python" - "$WORK/territoire-indicateurs.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
scores = {c["code_insee"]: c["indice_fragilite"] for c in v["communes"]}
# Two communes: deciles 1 and 6 on each indicator; Nancy is poorer, Toul older.
assert scores == {"54395": 3.5, "54528": 3.5}, scores
assert v["fragilite"]["sources"] == ["Essai (2 communes)"], v["fragilite"]["sources"]
PY

step "Échanges : data·inclusion v1, vérifié par les modèles du paquet de référence"
# The directory (the demo and the PACA file, whose unknown dates data·inclusion refuses) as
# data·inclusion structures and services, checked by the package's own pydantic models,
# warnings included (scripts/check-data-inclusion.py).
"$BIN" --database "$DB" export data-inclusion --output "$WORK/di" --source maillage-test 2> "$WORK/di.txt"
"$ROOT/.venv/bin/python" scripts/check-data-inclusion.py "$WORK/di" --at-least 700
# Read back into an empty base (SQLite) and into one that has other places (PostgreSQL):
# every structure is a place again, with the usual report.
"$BIN" --database "sqlite://$WORK/di.sqlite" import data-inclusion "$WORK/di" > "$WORK/di-import.txt"
"$ROOT/.venv/bin/python" - "$WORK/di/structures.json" "$WORK/di-import.txt" <<'PY'
import json, re, sys
structures = len(json.load(open(sys.argv[1])))
report = open(sys.argv[2]).read()
created = int(re.search(r"Import terminé : (\d+) créé", report).group(1))
assert created == structures, (created, structures)
print(f"data·inclusion relu : {created} lieux recréés sur {structures} structures")
PY
"$BIN" --database "$PG_BASE/$PG_DB" import data-inclusion "$WORK/di" --source data-inclusion-test | grep -q "Import terminé"
# A source pulled from a local web server (Python's): the first version of a real file
# imported; the same file again is not fetched (304); the second version's changes reported.
mkdir -p "$WORK/hub"
"$ROOT/.venv/bin/python" - "$SHARED/data/dedup-paca/paca-646-after-dedup-v0.1.json" "$WORK/hub/lieux.json" <<'PY'
import json, sys
places = json.load(open(sys.argv[1]))
json.dump(places[:100], open(sys.argv[2], "w"), ensure_ascii=False)
PY
(cd "$WORK/hub" && exec "$ROOT/.venv/bin/python" -m http.server 18397 --bind 127.0.0.1 > "$WORK/hub.log" 2>&1) &
HUB_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $HUB_PID"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18397/lieux.json -o /dev/null && break; sleep 0.2; done
export MAILLAGE_SOURCES_LOCALES=1
"$BIN" --database "sqlite://$WORK/sources.sqlite" demo > /dev/null 2>&1
"$BIN" --database "sqlite://$WORK/sources.sqlite" sources ajouter --compte admin@demo.maillage.example --nom "Hub PACA" --adresse http://127.0.0.1:18397/lieux.json --lignes-valides > /dev/null
"$BIN" --database "sqlite://$WORK/sources.sqlite" sources moissonner > "$WORK/moisson-1.txt" 2>/dev/null
grep -q "1 source(s) moissonnée(s)" "$WORK/moisson-1.txt"
grep -q "^« Hub PACA » : [1-9][0-9]* créé(s)" "$WORK/moisson-1.txt"
"$BIN" --database "sqlite://$WORK/sources.sqlite" sources moissonner --toutes > "$WORK/moisson-2.txt" 2>/dev/null
grep -q "fichier inchangé depuis la dernière fois" "$WORK/moisson-2.txt"
"$ROOT/.venv/bin/python" - "$SHARED/data/dedup-paca/paca-646-after-dedup-v0.1.json" "$WORK/hub/lieux.json" <<'PY'
import json, sys
places = json.load(open(sys.argv[1]))[2:110]
places[0]["nom"] = "Espace numérique renommé"
places[0]["date_maj"] = "2026-11-30"
json.dump(places, open(sys.argv[2], "w"), ensure_ascii=False)
PY
touch -d "+1 minute" "$WORK/hub/lieux.json"
"$BIN" --database "sqlite://$WORK/sources.sqlite" sources moissonner --toutes > "$WORK/moisson-3.txt" 2>/dev/null
grep -q "^- Modifié : Espace numérique renommé .* — nom, date_maj" "$WORK/moisson-3.txt"
grep -q "^- Nouveau : " "$WORK/moisson-3.txt"
grep -q "^- Absent du fichier : " "$WORK/moisson-3.txt"
unset MAILLAGE_SOURCES_LOCALES
echo "source moissonnée : première version importée, la même non rechargée, la seconde et ses changements rapportés"
# The national demo (50,000 places) exported and checked the same way.
"$BIN" --database "sqlite://$WORK/national.sqlite" demo --scale national >/dev/null
"$BIN" --database "sqlite://$WORK/national.sqlite" export data-inclusion --output "$WORK/di-national" 2>/dev/null
"$ROOT/.venv/bin/python" scripts/check-data-inclusion.py "$WORK/di-national" --at-least 50000
rm -rf "$WORK/national.sqlite"* "$WORK/di-national"

step "Déploiement : le binaire seul dans un dossier vide (référentiel, contours, gabarits et bibliothèques intégrés)"
# Copied alone into an empty directory, away from the checkout: it loads the demo, serves it
# (the map's libraries, the open data, readiness) and analyses a territory with its contours.
ALONE="$(mktemp -d)"
cp "$BIN" "$ALONE/maillage"
(
  cd "$ALONE"
  unset MAILLAGE_REFERENTIAL MAILLAGE_ASSETS MAILLAGE_DATA_DIR MAILLAGE_DATABASE_URL
  # A fresh base: every migration pending, shown without being applied.
  ./maillage --database "sqlite://$ALONE/demo.sqlite" migrate --dry-run > migrations.txt
  grep -q "0 migration(s) appliquée(s), 2[0-9] en attente" migrations.txt
  grep -q "Rien n'a été appliqué" migrations.txt
  ./maillage --database "sqlite://$ALONE/demo.sqlite" demo > demo.txt
  ./maillage --database "sqlite://$ALONE/demo.sqlite" territoire --zone 54 > territoire.txt
  grep -q "Meurthe-et-Moselle (54) : 5[0-9][0-9] communes" territoire.txt
  # The configuration file: checked (secrets hidden, mistakes named in French), then served.
  printf '[base]\nurl = "sqlite://%s/demo.sqlite"\n[serveur]\nadresse = "127.0.0.1:18391"\nurl_publique = "https://annuaire.exemple.fr"\n[courriel]\nsmtp = "smtps://reseau:motdepasse-secret@smtp.exemple.fr"\n[journal]\nformat = "json"\n' "$ALONE" > maillage.toml
  ./maillage --config maillage.toml config check > config.txt
  grep -q "Configuration correcte" config.txt
  grep -q "smtps://reseau:\*\*\*@smtp.exemple.fr" config.txt
  if grep -q "motdepasse-secret" config.txt; then echo "secret affiché par config check" >&2; exit 1; fi
  printf '[serveur]\nurl_publique = "annuaire"\n[serveurs]\nadresse = "x"\n' > faux.toml
  if ./maillage --config faux.toml config check > config-faux.txt; then echo "configuration fausse acceptée" >&2; exit 1; fi
  grep -q "clé « serveurs.adresse » inconnue" config-faux.txt
  grep -q "« serveur.url_publique » : une adresse web complète est attendue" config-faux.txt
  if ./maillage --config faux.toml serve 2> serve-faux.txt; then echo "serveur démarré avec une configuration fausse" >&2; exit 1; fi
  ./maillage --config maillage.toml serve > serve.txt 2>&1 &
  PID=$!
  trap 'kill "$PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18391/pret > pret.json 2>/dev/null && break; sleep 0.2; done
  grep -q '"pret":true' pret.json
  # (Each answer to a file: `grep -q` stopping early would make curl fail under pipefail.)
  curl -sf http://127.0.0.1:18391/sante -o sante.txt && grep -q ok sante.txt
  curl -sf "http://127.0.0.1:18391/?q=mediatheque" -o recherche.html && grep -q "Médiathèque" recherche.html
  curl -sf http://127.0.0.1:18391/static/vendor/leaflet.js -o leaflet.js && grep -q "Leaflet" leaflet.js
  curl -sf http://127.0.0.1:18391/donnees/lieux.csv -o lieux.csv && head -1 lieux.csv | grep -q "^id,pivot,nom"
  # /metrics: to the machine itself (no token configured), never to a request a proxy forwards.
  curl -sf http://127.0.0.1:18391/metrics -o metrics.txt
  grep -q '^maillage_http_requetes_total{route="/",methode="GET",statut="2xx"}' metrics.txt
  grep -q '^maillage_lieux_indexes 15[0-9]' metrics.txt
  test "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' http://127.0.0.1:18391/metrics)" = 403
  curl -sf http://127.0.0.1:18391/donnees/data-inclusion/structures.json -o structures.json
  grep -q '"lien_source":"https://annuaire.exemple.fr/lieux/' structures.json
  kill "$PID"
  # The journal in JSON (journal.format), one object per line.
  grep '^{' serve.txt | head -1 | "$ROOT/.venv/bin/python" -c 'import json, sys; assert json.loads(sys.stdin.readline())["level"] in ("INFO", "WARN")'
)
rm -rf "$ALONE"
echo "binaire seul : démo chargée et servie depuis un dossier vide"

step "Déploiement : transfert SQLite → PostgreSQL → SQLite, mêmes pages servies"
# The demo moved to PostgreSQL, then back to a new SQLite file: every table's digest equal to the
# original's; the SQLite and PostgreSQL instances serve the same pages.
"$BIN" --database "sqlite://$WORK/transfert.sqlite" demo > /dev/null
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE ${PG_DB}_transfert"
"$BIN" transfer --from "sqlite://$WORK/transfert.sqlite" --to "$PG_BASE/${PG_DB}_transfert" 2> /dev/null | grep -q "Transfert terminé"
"$BIN" transfer --from "$PG_BASE/${PG_DB}_transfert" --to "sqlite://$WORK/retour.sqlite" 2> /dev/null | grep -q "Transfert terminé"
"$BIN" --database "sqlite://$WORK/transfert.sqlite" empreinte > "$WORK/empreinte-avant.txt"
"$BIN" --database "sqlite://$WORK/retour.sqlite" empreinte | diff - "$WORK/empreinte-avant.txt"
# A target that is not empty is refused.
if "$BIN" transfer --from "sqlite://$WORK/transfert.sqlite" --to "$PG_BASE/${PG_DB}_transfert" 2> "$WORK/transfert-err.txt"; then echo "transfert vers une base pleine accepté" >&2; exit 1; fi
grep -q "n'est pas vide" "$WORK/transfert-err.txt"
# (One public address for both: links written in the pages and files name it.)
MAILLAGE_PUBLIC_URL=https://annuaire.exemple.fr "$BIN" --database "sqlite://$WORK/transfert.sqlite" serve --addr 127.0.0.1:18393 > "$WORK/serve-sqlite.txt" 2>&1 &
SQLITE_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $SQLITE_PID"
MAILLAGE_PUBLIC_URL=https://annuaire.exemple.fr "$BIN" --database "$PG_BASE/${PG_DB}_transfert" serve --addr 127.0.0.1:18394 > "$WORK/serve-pg.txt" 2>&1 &
PG_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $PG_PID"
for port in 18393 18394; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/pret" > /dev/null 2>&1 && break; sleep 0.2; done
done
PLACE_ID="$(curl -sf "http://127.0.0.1:18393/donnees/lieux.csv" | sed -n 2p | cut -d, -f1)"
for path in "/?q=mediatheque" "/?q=caf&pres_de=Nancy" "/lieux/$PLACE_ID" "/donnees/lieux.csv" "/donnees/data-inclusion/services.json" "/api/v1/lieux?q=numerique" "/orienter?demande=compte-caf&pres_de=Toul" "/ateliers"; do
  curl -sf "http://127.0.0.1:18393$path" -o "$WORK/page-sqlite"
  curl -sf "http://127.0.0.1:18394$path" -o "$WORK/page-pg"
  cmp -s "$WORK/page-sqlite" "$WORK/page-pg" || { diff "$WORK/page-sqlite" "$WORK/page-pg" | head -20; echo "page différente après transfert : $path" >&2; exit 1; }
done
kill "$SQLITE_PID" "$PG_PID"
echo "transfert : mêmes tables, mêmes pages sur SQLite et PostgreSQL"

step "Deux instances sur une base PostgreSQL : écrire sur l'une, lire sur l'autre"
# Two processes over one base, as behind a round-robin proxy (issue #22): a session opened on
# one works on the other, a place created on one is found by the other (delay printed), a merge
# of duplicates disappears from both, and the hourly round both run at start-up runs each job
# once in all (scripts/two-instances.py).
psql -q "$MAILLAGE_TEST_POSTGRES_URL" -c "CREATE DATABASE ${PG_DB}_deux"
TWO_DB="$PG_BASE/${PG_DB}_deux"
TWO_PASSWORD="deux-instances-$$-mot-de-passe"
MAILLAGE_DEMO_PASSWORD="$TWO_PASSWORD" "$BIN" --database "$TWO_DB" demo > "$WORK/deux-demo.txt"
TWO_PIDS=""
for port in 18395 18396; do
  MAILLAGE_LINK_CHECK=0 "$BIN" --database "$TWO_DB" serve --addr "127.0.0.1:$port" > "$WORK/deux-$port.txt" 2>&1 &
  TWO_PIDS="$TWO_PIDS $!"
  EXTRA_PIDS="$EXTRA_PIDS $!"
done
for port in 18395 18396; do
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/pret" > /dev/null 2>&1 && break; sleep 0.2; done
done
"$ROOT/.venv/bin/python" scripts/two-instances.py http://127.0.0.1:18395 http://127.0.0.1:18396 admin@demo.maillage.example "$TWO_PASSWORD"
# shellcheck disable=SC2086
kill $TWO_PIDS

step "Paquet Debian : construit (cargo-deb), installé, unité vérifiée, service lancé comme l'unité le dit, redémarré, purgé"
# Built from the binary of this run (cargo-deb strips it); a release is `cargo deb -p maillage`.
SUDO=""
[ "$(id -u)" != "0" ] && SUDO="sudo"
cargo deb -p maillage --no-build --profile dev --fast -o "$WORK/deb/" 2> "$WORK/deb-build.txt"
DEB="$(ls "$WORK"/deb/maillage_*.deb)"
dpkg-deb -c "$DEB" > "$WORK/deb-contents.txt"
for f in ./usr/bin/maillage ./usr/lib/systemd/system/maillage.service ./etc/maillage/maillage.toml ./usr/share/doc/maillage/DEPLOY.md; do
  grep -q " $f\$" "$WORK/deb-contents.txt" || { echo "absent du paquet : $f" >&2; exit 1; }
done
$SUDO dpkg -i "$DEB" > /dev/null
UNIT=/usr/lib/systemd/system/maillage.service
systemd-analyze verify "$UNIT"
getent passwd maillage > /dev/null
test "$(stat -c %U "$(sed -n 's/^WorkingDirectory=//p' "$UNIT")")" = maillage
test "$(stat -c '%G %a' /etc/maillage/maillage.toml)" = "maillage 640"
# The unit's own command line, user and directory (systemd is not PID 1 here). The port comes
# from the environment, which overrides the configuration file.
EXEC="$(sed -n 's/^ExecStart=//p' "$UNIT")"
RUN_AS="$(sed -n 's/^User=//p' "$UNIT")"
RUN_IN="$(sed -n 's/^WorkingDirectory=//p' "$UNIT")"
start_unit() {
  (cd "$RUN_IN" && MAILLAGE_ADDR=127.0.0.1:18396 $SUDO runuser -u "$RUN_AS" -- $EXEC >> "$WORK/deb-serve.txt" 2>&1 &)
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18396/pret -o "$WORK/deb-pret.json" 2>/dev/null && return 0; sleep 0.2; done
  cat "$WORK/deb-serve.txt" >&2; return 1
}
stop_unit() { $SUDO pkill -u "$RUN_AS" -f "$EXEC" || true; sleep 1; }
start_unit
grep -q '"lieux_en_base":0' "$WORK/deb-pret.json"
$SUDO runuser -u "$RUN_AS" -- /usr/bin/maillage --config /etc/maillage/maillage.toml config check > "$WORK/deb-config.txt"
grep -q "Configuration correcte" "$WORK/deb-config.txt"
cp "$SHARED/standard/exemple-valide.csv" "$WORK/exemple-paquet.csv" && chmod a+rx "$WORK" && chmod a+r "$WORK/exemple-paquet.csv"
$SUDO runuser -u "$RUN_AS" -- /usr/bin/maillage --config /etc/maillage/maillage.toml import lieux "$WORK/exemple-paquet.csv" 2>/dev/null | grep -q "1 créé(s)"
# A restart keeps the data.
stop_unit
start_unit
grep -q '"lieux_en_base":1,"lieux_indexes":1' "$WORK/deb-pret.json"
curl -sf "http://127.0.0.1:18396/?q=Anonymal" -o "$WORK/deb-recherche.html" && grep -q "Anonymal" "$WORK/deb-recherche.html"
stop_unit
$SUDO dpkg --purge maillage > /dev/null
if getent passwd maillage > /dev/null; then echo "utilisateur maillage resté après la purge" >&2; exit 1; fi
for f in /usr/bin/maillage /etc/maillage /var/lib/maillage "$UNIT"; do
  if [ -e "$f" ]; then echo "resté après la purge : $f" >&2; exit 1; fi
done
echo "paquet Debian : installé, servi, redémarré avec ses données, purgé"

step "Arrêts brutaux (SIGKILL) pendant un import, un lot d'activités et des fusions (SQLite et PostgreSQL)"
scripts/crash-safety.sh "$BIN" sqlite postgres

step "Tests navigateur (Chromium, axe-core)"
export MAILLAGE_DEMO_PASSWORD="demo-password-$$-e2e"
PORT="${MAILLAGE_E2E_PORT:-18090}"
# E-mail of the e2e server goes to a local SMTP sink that writes a mailbox the tests read.
SMTP_PORT="${MAILLAGE_E2E_SMTP_PORT:-18025}"
export MAILLAGE_E2E_MAILBOX="$WORK/mailbox.jsonl"
: > "$MAILLAGE_E2E_MAILBOX"
MAILLAGE_E2E_SMTP_PORT="$SMTP_PORT" node scripts/smtp-sink.mjs &
SINK_PID=$!
MAILLAGE_LINK_CHECK=0 MAILLAGE_TILES_URL=aucun MAILLAGE_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" MAILLAGE_PUBLIC_URL="http://127.0.0.1:$PORT" \
  "$BIN" --database "sqlite://$WORK/e2e.sqlite" serve --demo --addr "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  sleep 1
done
MAILLAGE_E2E_URL="http://127.0.0.1:$PORT" node --test e2e/

step "API : fuzzing depuis le contrat OpenAPI généré (schemathesis), anonyme et chaque compte"
scripts/api-fuzz.sh "http://127.0.0.1:$PORT" "$MAILLAGE_DEMO_PASSWORD"

# The fuzzing builds into its own directory; the debug builds are not needed any more: on a
# machine short of disk (under 20 GB left), they go.
if [ "$(df --output=avail -B1G "$TARGET" | tail -1 | tr -d ' ')" -lt 20 ]; then
  echo "Moins de 20 Go libres : les compilations de test ($TARGET/debug) sont effacées avant le fuzzing."
  rm -rf "$TARGET/debug"
fi
step "Fuzzing court : chaque lecteur d'entrée extérieure 20 s, sur le corpus du dépôt (cargo-fuzz)"
if [ -n "$FUZZ_BUILD_PID" ]; then
  if ! wait "$FUZZ_BUILD_PID"; then
    FUZZ_BUILD_PID=""
    echo "construction des cibles de fuzzing en échec :" >&2
    tail -40 "$WORK/fuzz-build.log" >&2
    exit 1
  fi
  FUZZ_BUILD_PID=""
  echo "cibles construites pendant les étapes précédentes ($(grep -o 'Finished.*' "$WORK/fuzz-build.log" | tail -1))"
fi
scripts/fuzz.sh --court

step "Tout est vert"
