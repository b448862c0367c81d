#!/usr/bin/env bash
# Generates a migration from the difference between the entities and a freshly migrated scratch database.
# Usage: npm run migration:generate -- <kebab-name>
set -euo pipefail
name="${1:?usage: npm run migration:generate -- <kebab-name>}"
admin="${TEST_ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="portico_migration_$$"
psql "$admin" -qc "CREATE DATABASE \"$db\"" >/dev/null
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null' EXIT
url="${admin%/*}/$db"
run() { DATABASE_URL="$url" SESSION_SECRET="${SESSION_SECRET:-generate-only-secret-0123456789abcdef}" npx ts-node -r tsconfig-paths/register --transpile-only apps/cli/src/main.ts "$@"; }
run migrate run >/dev/null
run migrate generate "$name"
