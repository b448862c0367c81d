# shellcheck shell=bash
# Sourced by scripts/up.sh and scripts/start-separate.sh: exports the KEY=VALUE lines of a .env file.
#
# The file is parsed, not executed (unlike `set -a; . ./.env`): a value is taken literally, so `$`,
# backticks or spaces in a secret cannot run anything. Like dotenv and @nestjs/config, a variable
# already set in the environment wins over the file (`DATABASE_URL=… npm run up` works), and an
# empty value means "not set". Surrounding quotes are removed; `# comments` after unquoted values too.
load_env_file() {
  local file="${1:-.env}" line key value
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    if [[ "$value" =~ ^\"(.*)\"[[:space:]]*$ || "$value" =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%%[[:space:]]#*}"
      value="${value%"${value##*[![:space:]]}"}"
    fi
    [ -n "${!key+set}" ] && continue
    [ -z "$value" ] && continue
    export "$key=$value"
  done <"$file"
}
