#!/usr/bin/env bash
# Runs Maillage: sets up what is missing, builds, and serves the demo territory on an embedded
# SQLite base (data/maillage.sqlite). Extra arguments go to `maillage serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p maillage
exec target/release/maillage serve --demo "$@"
