#!/usr/bin/env bash
# Runs the api, the gateway and the worker as three processes (the production shape, on one machine),
# each line of output prefixed with its process name. Ctrl-C or SIGTERM stops all three (each gets
# SIGTERM and drains; SIGKILL after STOP_TIMEOUT seconds, default 30); if one exits on its own, the
# others are stopped too and the script exits non-zero. Needs a build (npm run build) and a migrated
# database; `UP_SEPARATE=1 npm run up` does both first. Also: npm run start:separate.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/load-env.sh
. scripts/load-env.sh
load_env_file .env

APPS=(api gateway worker)
for app in "${APPS[@]}"; do
  if [ ! -f "dist/apps/$app/main.js" ]; then
    echo "dist/apps/$app/main.js is missing: run 'npm run build' (or 'npm run up -- --separate')." >&2
    exit 1
  fi
done

if [ -t 1 ]; then COLORS=(36 35 33); else COLORS=(); fi
declare -A NAME_OF=()
PIDS=()
for i in "${!APPS[@]}"; do
  app="${APPS[$i]}"
  label="$(printf '%-7s|' "$app")"
  [ "${#COLORS[@]}" -gt 0 ] && label=$'\e['"${COLORS[$i]}m${label}"$'\e[0m'
  # node's own pid is $! (the prefixer runs in a process substitution)
  # each app's node flags are those of its `npm run start:<app>` in package.json (docs/adr/0006, 0012)
  read -r -a flags <<< "$(APP="$app" node -p \
    "(/^node((?: --\\S+)*) /.exec(require('./package.json').scripts['start:' + process.env.APP]) || ['', ''])[1]")"
  node "${flags[@]}" "dist/apps/$app/main.js" > >(sed -u "s/^/${label//\//\\/} /") 2>&1 &
  PIDS+=("$!")
  NAME_OF[$!]="$app"
done

stopping=0
# stop <exit code>: SIGTERM to every process still running, wait for them (bounded), then exit
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo "stopping ${APPS[*]} …"
  kill -TERM "${PIDS[@]}" 2>/dev/null
  local deadline=$((SECONDS + ${STOP_TIMEOUT:-30})) pid alive
  while :; do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "still running after ${STOP_TIMEOUT:-30} s: SIGKILL" >&2
      kill -KILL "${PIDS[@]}" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  wait 2>/dev/null
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

# returns as soon as one process exits (or a signal arrives: the trap then runs stop)
wait -n "${PIDS[@]}"
code=$?
for pid in "${PIDS[@]}"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "${NAME_OF[$pid]} exited (status $code): stopping the others" >&2
    break
  fi
done
[ "$code" = 0 ] && code=1
stop "$code"
