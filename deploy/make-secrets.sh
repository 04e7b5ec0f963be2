#!/bin/sh
# Writes the three Docker secrets docker-compose.yml reads, into DIR (default ./secrets):
#   postgres_password  a random password for the compose PostgreSQL
#   state_url          postgresql://ocop:<that password>@postgres:5432/ocop
#   secret_key         a Fernet key for the OAuth token store (OCOP_SYNC_SECRET_KEY_FILE)
#   session_key        signs the console's session cookies (OCOP_SYNC_CONSOLE__SESSION_KEY_FILE)
# Existing files are kept (re-running never changes a password or a key in use).
# Files are readable by their owner only: back them up with the database backups.
set -eu
dir=${1:-./secrets}
umask 077
mkdir -p "$dir"
random() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
if [ ! -s "$dir/postgres_password" ]; then
  random 24 | tr -d '/+=' >"$dir/postgres_password"
fi
if [ ! -s "$dir/state_url" ]; then
  printf 'postgresql://ocop:%s@postgres:5432/ocop' "$(cat "$dir/postgres_password")" >"$dir/state_url"
fi
if [ ! -s "$dir/secret_key" ]; then
  # Fernet key: 32 random bytes, URL-safe base64 (what Fernet.generate_key() returns).
  random 32 | tr '+/' '-_' >"$dir/secret_key"
fi
if [ ! -s "$dir/session_key" ]; then
  random 32 >"$dir/session_key"
fi
# The containers run as uid 1000 and read the files as Docker secrets (bind mounts).
chmod 0444 "$dir"/postgres_password "$dir"/state_url "$dir"/secret_key "$dir"/session_key

chmod 0700 "$dir"
echo "secrets in $dir: postgres_password state_url secret_key session_key"
