#!/usr/bin/env bash
# Runs Maillage: sets up what is missing, builds, and serves the demo territory on an embedded
# SQLite base (data/maillage.sqlite). Extra arguments go to `maillage serve`.
# Without MAILLAGE_SMTP_URL, e-mail goes to a local sink that writes it to
# data/courriels-demo.jsonl (campaign links, workshop confirmations…): nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p maillage
if [ -z "${MAILLAGE_SMTP_URL:-}" ]; then
  port="${MAILLAGE_DEMO_SMTP_PORT:-2525}"
  mkdir -p data
  MAILLAGE_E2E_SMTP_PORT="$port" MAILLAGE_E2E_MAILBOX="data/courriels-demo.jsonl" node scripts/smtp-sink.mjs &
  sink=$!
  trap 'kill "$sink" 2>/dev/null || true' EXIT
  export MAILLAGE_SMTP_URL="smtp://127.0.0.1:$port"
  echo "Courriels de démonstration : data/courriels-demo.jsonl (aucun courriel ne sort de la machine)"
fi
target/release/maillage serve --demo "$@"
