#!/usr/bin/env bash
# `npm run up` (DESIGN.md §9): on a fresh machine, from the repository root, sets Portico up and runs it.
#
#   1 dependencies   npm ci when node_modules is missing or older than package-lock.json
#   2 configuration  .env from .env.example (SESSION_SECRET and ENCRYPTION_KEY generated; a new .env gets
#                    GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true: the demo upstream is on loopback), then loaded
#   3 PostgreSQL     answers at DATABASE_URL's host, or the local cluster is started, or: what to run
#   4 Redis          answers at REDIS_URL, or a local redis-server is started, or: what to run
#   5 database       the database named in DATABASE_URL is created when missing
#   6 build          npm run build (skipped when dist/ is newer than every source)
#   7 migrations     node dist/apps/cli/main.js migrate run
#   8 admin          node dist/apps/cli/main.js seed-admin (ADMIN_EMAIL / ADMIN_PASSWORD)
#   9 demo           node dist/apps/cli/main.js seed-demo (demo provider, listings, plans, consumer)
#   then             node dist/apps/standalone/main.js: api + gateway + worker (+ demo upstream
#                    when DEMO=true) in one process
#
# UP_SEPARATE=1 npm run up, or npm run up -- --separate: three processes (scripts/start-separate.sh).
# UP_REBUILD=1 forces the build. Command output goes to .portico/up.log; failures print its tail.
set -euo pipefail
cd "$(dirname "$0")/.."

separate="${UP_SEPARATE:-0}"
for arg in "$@"; do
  case "$arg" in
    --separate) separate=1 ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "npm run up: unknown option '$arg' (try --separate or --help)" >&2
      exit 2
      ;;
  esac
done

mkdir -p .portico
LOG=.portico/up.log
: >"$LOG"
TOTAL=9
step() { printf '[%d/%d] %-14s … ' "$1" "$TOTAL" "$2"; }
ok() { echo "${1:-ok}"; }
# fail <message lines…>: ends the step line, explains, exits 1
fail() {
  echo "failed"
  printf '\n' >&2
  printf '  %s\n' "$@" >&2
  exit 1
}
# quietly <command…>: runs it with its output in the log; on failure shows the log's tail and exits
quietly() {
  if ! "$@" >>"$LOG" 2>&1; then
    echo "failed"
    echo "  \$ $*" >&2
    tail -n 30 "$LOG" | sed 's/^/  | /' >&2
    echo "  (full output: $LOG)" >&2
    exit 1
  fi
}
is_root() { [ "$(id -u)" = 0 ]; }
# as_root <command…>: directly as root, else through passwordless sudo; false when neither is possible
as_root() {
  if is_root; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}
is_local() { case "$1" in 127.0.0.1 | localhost | ::1 | '[::1]' | '') return 0 ;; *) return 1 ;; esac; }
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# wait_until <seconds> <command…>
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

# ---- 1. dependencies -----------------------------------------------------------------------------
step 1 dependencies
command -v node >/dev/null || fail "Node.js is not installed: install Node 20.19 or newer (https://nodejs.org, or: apt-get install nodejs npm)."
# 20.19: the web UI's build tool (Vite) needs it
node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' ||
  fail "Node $(node -v) is too old: Portico needs Node 20.19 or newer."
installed_marker=node_modules/.package-lock.json
[ -f "$installed_marker" ] || installed_marker=node_modules
if [ ! -d node_modules ] || [ package-lock.json -nt "$installed_marker" ]; then
  quietly npm ci --no-audit --no-fund
  deps_note="installed"
else
  deps_note="up to date"
fi
# argon2's prebuilt binary crashes on some CPUs; build it from source when it does not load
if ! node -e "require('argon2')" >/dev/null 2>&1; then
  quietly npm rebuild argon2
  node -e "require('argon2')" >>"$LOG" 2>&1 || fail "argon2 (password hashing) does not load even after 'npm rebuild argon2': see $LOG." \
    "Building it needs python3, make and g++ (apt-get install python3 make g++)."
  deps_note="$deps_note, argon2 rebuilt"
fi
ok "ok ($deps_note)"

# ---- 2. configuration ----------------------------------------------------------------------------
step 2 configuration
new_secret() { openssl rand -base64 48 2>/dev/null | tr -d '\n' || node -p "require('node:crypto').randomBytes(48).toString('base64')"; }
config_note="using .env"
if [ ! -f .env ]; then
  cp .env.example .env
  chmod 600 .env
  config_note="created .env from .env.example"
  # the local embedded default: the demo listings' upstream (apps/demo-upstream) is 127.0.0.1, which
  # the SSRF policy refuses unless this is true. Only in a .env created here: an operator's choice stays.
  sed -i 's|^GATEWAY_ALLOW_PRIVATE_UPSTREAMS=.*$|GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true|' .env
fi
if grep -qE '^SESSION_SECRET=[[:space:]]*$' .env; then
  secret="$(new_secret)"
  # base64 has no '|', so it is a safe sed delimiter
  sed -i "s|^SESSION_SECRET=[[:space:]]*\$|SESSION_SECRET=${secret}|" .env
  config_note="$config_note, generated SESSION_SECRET"
fi
# ENCRYPTION_KEY (32 bytes, base64) encrypts secrets at rest; an older .env may lack the line entirely
new_encryption_key() { openssl rand -base64 32 2>/dev/null | tr -d '\n' || node -p "require('node:crypto').randomBytes(32).toString('base64')"; }
if ! grep -qE '^ENCRYPTION_KEY=' .env; then
  printf '\n# Encrypts secrets at rest (see .env.example); back it up with the database.\nENCRYPTION_KEY=\n' >>.env
fi
if grep -qE '^ENCRYPTION_KEY=[[:space:]]*$' .env; then
  encryption_key="$(new_encryption_key)"
  sed -i "s|^ENCRYPTION_KEY=[[:space:]]*\$|ENCRYPTION_KEY=${encryption_key}|" .env
  config_note="$config_note, generated ENCRYPTION_KEY"
fi
# shellcheck source=scripts/load-env.sh
. scripts/load-env.sh
load_env_file .env
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portico}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
# host, port and database of DATABASE_URL, and the same server's `postgres` database (to create ours)
read -r pg_host pg_port pg_db pg_admin_url < <(node -e '
  const u = new URL(process.argv[1]);
  const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const db = decodeURIComponent(u.pathname.slice(1)) || "portico";
  u.pathname = "/postgres";
  console.log(host, u.port || 5432, db, u.toString());
' "$DATABASE_URL") || fail "DATABASE_URL is not a URL: $DATABASE_URL"
read -r redis_host redis_port < <(node -e '
  const u = new URL(process.argv[1]);
  console.log(u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", u.port || 6379);
' "$REDIS_URL") || fail "REDIS_URL is not a URL: $REDIS_URL"
ok "ok ($config_note)"

# ---- 3. PostgreSQL -------------------------------------------------------------------------------
step 3 PostgreSQL
pg_answers() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h "$pg_host" -p "$pg_port" -t 2; else tcp_open "$pg_host" "$pg_port"; fi
}
pg_note="answers at $pg_host:$pg_port"
if ! pg_answers; then
  cluster="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  if is_local "$pg_host" && [ -n "$cluster" ] && command -v pg_ctlcluster >/dev/null &&
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start >>"$LOG" 2>&1 &&
    wait_until 30 pg_answers; then
    pg_note="started the local PostgreSQL $cluster cluster"
  else
    fail "PostgreSQL does not answer at $pg_host:$pg_port (DATABASE_URL). Start one, then run 'npm run up' again:" \
      "" \
      "  Debian/Ubuntu:  sudo apt-get install -y postgresql" \
      "                  sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" \
      "  Docker:         docker compose --env-file .env -f docker/docker-compose.yml up -d postgres redis" \
      "                  and in .env: DATABASE_URL=postgres://postgres:portico@127.0.0.1:5432/portico"
  fi
fi
ok "ok ($pg_note)"

# ---- 4. Redis ------------------------------------------------------------------------------------
step 4 Redis
redis_answers() {
  if command -v redis-cli >/dev/null; then [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; else tcp_open "$redis_host" "$redis_port"; fi
}
redis_note="answers at $redis_host:$redis_port"
if ! redis_answers; then
  if is_local "$redis_host" && command -v redis-server >/dev/null &&
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
      --maxmemory-policy noeviction --dir "${TMPDIR:-/tmp}" >>"$LOG" 2>&1 &&
    wait_until 15 redis_answers; then
    redis_note="started redis-server on 127.0.0.1:$redis_port"
  else
    fail "Redis does not answer at $redis_host:$redis_port (REDIS_URL). Start one, then run 'npm run up' again:" \
      "" \
      "  Debian/Ubuntu:  sudo apt-get install -y redis-server" \
      "                  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no" \
      "  Docker:         docker compose --env-file .env -f docker/docker-compose.yml up -d postgres redis"
  fi
fi
if command -v redis-cli >/dev/null; then
  policy="$(redis-cli -u "$REDIS_URL" config get maxmemory-policy 2>/dev/null | tail -n 1 || true)"
  if [ -n "$policy" ] && [ "$policy" != noeviction ]; then
    redis_note="$redis_note; WARNING: maxmemory-policy is $policy, BullMQ needs noeviction (docs/operations.md)"
  fi
fi
ok "ok ($redis_note)"

# ---- 5. database ---------------------------------------------------------------------------------
step 5 database
db_note="$(node -e '
  const { Client } = require("pg");
  const [adminUrl, db] = process.argv.slice(1);
  (async () => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
      if (found.rowCount > 0) return console.log(`"${db}" exists`);
      await client.query(`CREATE DATABASE "${db.replace(/"/g, "\"\"")}"`);
      console.log(`created "${db}"`);
    } finally {
      await client.end();
    }
  })().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
' "$pg_admin_url" "$pg_db" 2>>"$LOG")" || fail "Could not check or create the database \"$pg_db\": $(tail -n 1 "$LOG")" \
  "If this is an authentication error, put the password in DATABASE_URL (postgres://user:password@host:port/db)," \
  "or, as the postgres OS user: psql -c \"ALTER USER postgres PASSWORD 'choose-one'\"."
ok "ok ($db_note)"

# ---- 6. build ------------------------------------------------------------------------------------
step 6 build
stamp=dist/.up-build-stamp
needs_build=0
if [ "${UP_REBUILD:-0}" = 1 ] || [ ! -f "$stamp" ]; then
  needs_build=1
else
  for app in api gateway worker standalone cli demo-upstream; do [ -f "dist/apps/$app/main.js" ] || needs_build=1; done
  [ -f dist/web/index.html ] || needs_build=1
  if [ -n "$(find apps libs migrations openapi package-lock.json tsconfig.json tsconfig.build.json nest-cli.json \
    -newer "$stamp" -not -path 'apps/web/node_modules/*' -not -path 'apps/web/src/api/schema.gen.ts' -print -quit 2>/dev/null)" ]; then
    needs_build=1
  fi
fi
if [ "$needs_build" = 1 ]; then
  started=$SECONDS
  quietly npm run build
  touch "$stamp"
  ok "ok (built in $((SECONDS - started)) s)"
else
  ok "ok (dist/ is up to date)"
fi

# ---- 7. migrations -------------------------------------------------------------------------------
step 7 migrations
migrate_out="$(node dist/apps/cli/main.js migrate run 2>&1)" || fail "Migrations failed:" "$migrate_out"
echo "$migrate_out" >>"$LOG"
applied="$(grep -c '^applied ' <<<"$migrate_out" || true)"
if [ "$applied" -gt 0 ]; then ok "ok (applied $applied)"; else ok "ok (up to date)"; fi

# ---- 8. admin account ----------------------------------------------------------------------------
step 8 'admin account'
seed_status=0
seed_out="$(node dist/apps/cli/main.js seed-admin 2>&1)" || seed_status=$?
if [ "$seed_status" = 2 ] && grep -q '^Usage: portico' <<<"$seed_out"; then
  # a cli built before seed-admin existed answers with its usage
  ok "skipped (this build of the cli has no seed-admin command)"
  seed_out=""
elif [ "$seed_status" != 0 ]; then
  fail "seed-admin failed (check ADMIN_EMAIL / ADMIN_PASSWORD in .env):" "$seed_out"
else
  ok "ok"
fi
# it may print a generated password, exactly once: show everything it says
[ -n "$seed_out" ] && sed 's/^/      /' <<<"$seed_out"

# ---- 9. demo marketplace ------------------------------------------------------------------------
step 9 'demo marketplace'
demo_status=0
demo_out="$(node dist/apps/cli/main.js seed-demo 2>&1)" || demo_status=$?
if [ "$demo_status" = 2 ] && grep -q '^Usage: portico' <<<"$demo_out"; then
  ok "skipped (this build of the cli has no seed-demo command)"
  demo_out=""
elif [ "$demo_status" != 0 ]; then
  fail "seed-demo failed:" "$demo_out"
elif grep -q '^seed-demo: skipped' <<<"$demo_out"; then
  ok "skipped"
else
  ok "ok"
fi
# generated passwords and the demo test key are printed once, on the run that creates them
[ -n "$demo_out" ] && sed 's/^/      /' <<<"$demo_out"

# ---- start ---------------------------------------------------------------------------------------
echo
if [ "$separate" = 1 ]; then
  echo "Starting api, gateway and worker as three processes (Ctrl-C stops all) …"
  exec bash scripts/start-separate.sh
fi
echo "Starting Portico (api + gateway + worker in one process; Ctrl-C stops it) …"
exec node dist/apps/standalone/main.js
