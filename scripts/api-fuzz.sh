#!/usr/bin/env bash
# API fuzzing from the contract: schemathesis reads the OpenAPI document the running server
# generates from its handlers (/api/v1/openapi.json) and sends what it describes, and beyond,
# as an anonymous caller and as each demo account. A server error (5xx), a status, a content
# type, a header or a body that the contract does not describe fails the run.
#
#   scripts/api-fuzz.sh http://127.0.0.1:8080 "$MAILLAGE_DEMO_PASSWORD" [examples per operation]
#
# The server must run with the demo territory (serve --demo). Writes land in its database.
#
# The session cookie is ours (a real session per account, none for the anonymous caller), so
# schemathesis does not make up values for it (--generation-with-security-parameters false):
# in its negative mode it may build the cookies of a case as something other than a mapping and
# then stop on its own error (« 'tuple' object has no attribute 'items' », a Runtime Error
# rather than a verdict on the server). Made-up session cookies are the cookie reader's own
# tests (crates/web/src/auth.rs), stale ones crates/web/tests/trust/accounts.rs's.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:?adresse du serveur}"
PASSWORD="${2:?mot de passe des comptes de démonstration}"
EXAMPLES="${3:-30}"
ST=.venv/bin/schemathesis
[ -x "$ST" ] || { echo "schemathesis absent : lancez scripts/setup.sh --test" >&2; exit 1; }

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
for who in anonyme aidant coordination admin; do
  header=()
  if [ "$who" != anonyme ]; then
    cookie=$(curl -s -o /dev/null -D - --data-urlencode "email=$who@demo.maillage.example" \
      --data-urlencode "password=$PASSWORD" "$BASE/connexion" | grep -io 'maillage_session=[0-9a-f]*' || true)
    [ -n "$cookie" ] || { echo "connexion impossible pour $who" >&2; exit 1; }
    header=(-H "Cookie: $cookie")
  fi
  echo "--- schemathesis : $who"
  if ! "$ST" run "$BASE/api/v1/openapi.json" "${header[@]}" --checks "$CHECKS" \
      --max-examples "$EXAMPLES" --workers 2 --no-color \
      --generation-with-security-parameters false > "${TMPDIR:-/tmp}/schemathesis-$who.txt" 2>&1; then
    cat "${TMPDIR:-/tmp}/schemathesis-$who.txt"
    status=1
  else
    grep -E "^  [0-9]+ generated|^Seed" "${TMPDIR:-/tmp}/schemathesis-$who.txt" || true
  fi
done
exit $status
