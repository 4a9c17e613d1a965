#!/bin/sh
# hra-secrets COMMAND [ARGS…] — export the secrets the app can only read from environment variables,
# taken from files (compose mounts its secrets under /run/secrets), then exec COMMAND.
#
# The keys need no help: HRA_FEEDBACK__PSEUDONYM_KEY_FILE and HRA_FEEDBACK__AUDIT_KEY_FILE are paths,
# and PostgreSQL's password is read by libpq from PGPASSFILE. The bearer tokens, the subjects and the
# LLM API key have no *_FILE setting: this shim reads them so they never sit in compose.yaml, .env or
# `docker inspect`. A missing or empty file leaves its variable unset (the app then says what is
# missing: HRA_ENV=prod refuses to start without tokens).
set -eu

dir="${HRA_SECRETS_DIR:-/run/secrets}"

for pair in hra_auth_tokens:HRA_AUTH__TOKENS hra_auth_subjects:HRA_AUTH__SUBJECTS llm_api_key:HRA_LLM__API_KEY; do
  file="$dir/${pair%%:*}"
  var="${pair#*:}"
  if [ -r "$file" ]; then
    value="$(cat "$file")"  # command substitution drops the trailing newline(s)
    if [ -n "$value" ]; then
      export "$var=$value"
    fi
  fi
done

exec "$@"
