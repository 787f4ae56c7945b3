#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (Debian packages, no Docker) and exports
# MAILLAGE_TEST_POSTGRES_URL. Sourced by scripts/test.sh.
set -euo pipefail

PG_PORT="${MAILLAGE_PG_PORT:-55432}"
PG_DIR="${MAILLAGE_PG_DIR:-/tmp/maillage-pg}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$PG_BIN" ]; then
  echo "PostgreSQL introuvable : lancez scripts/setup.sh" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
fi
export MAILLAGE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${PG_PORT}/postgres"
export MAILLAGE_REQUIRE_POSTGRES=1
