#!/bin/sh
# make-secrets.sh [DIR] — write the secret files compose.yaml mounts (default: deploy/secrets/).
# A file that exists is kept, never overwritten: a new pseudonym key splits every agent's pseudonym
# in two, a new audit key signs checkpoints nobody can match to the published public key.
#
# Environment: POSTGRES_USER (default hra) for the pgpass line; APP_UID (default 10001, the image's
# user) that the files are given to when run as root — the app reads them as that UID, and libpq
# ignores a pgpass file that group or others may read, so they stay mode 600.
set -eu

dir="${1:-$(dirname "$0")/secrets}"
user="${POSTGRES_USER:-hra}"
app_uid="${APP_UID:-10001}"
umask 077
mkdir -p "$dir"

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

write() {  # NAME CONTENT
  if [ -e "$dir/$1" ]; then
    echo "kept   $dir/$1 (exists)"
    return
  fi
  printf '%s\n' "$2" > "$dir/$1"
  chmod 600 "$dir/$1"
  echo "wrote  $dir/$1"
}

write pseudonym_key "$(hex 32)"   # HMAC key of the agents' pseudonyms (hex, 32 bytes)
write audit_key "$(hex 32)"       # Ed25519 seed signing audit checkpoints (hex, 32 bytes)
write postgres_password "$(hex 24)"
# libpq's password file (hostname:port:database:username:password), for the app and the jobs.
write pgpass "postgres:5432:*:$user:$(cat "$dir/postgres_password")"
# One bearer token per role (64 hex characters; prod refuses tokens under 32 or starting with dev-).
write hra_auth_tokens "$(printf '{"agent": ["%s"], "lead": ["%s"], "rep": ["%s"], "admin": ["%s"]}' \
  "$(hex 32)" "$(hex 32)" "$(hex 32)" "$(hex 32)")"
# Who is behind which token ({"m.martin": ["<token>", …]}); {} = every token is its own subject.
write hra_auth_subjects '{}'
# The LLM provider's API key; empty = no LLM drafter (the offline drafter answers).
write llm_api_key ''

if [ "$(id -u)" = 0 ]; then
  chown "$app_uid:$app_uid" "$dir"/*
  echo "owner  $app_uid:$app_uid (the image's user)"
else
  echo "now:   sudo chown $app_uid:$app_uid $dir/*   (the container reads them as UID $app_uid)"
fi
