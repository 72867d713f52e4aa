#!/usr/bin/env bash
# Prepare a demonstration installation on SQLite and serve it on 127.0.0.1 (port: REFERRAL_PORT, default 5000)
# with gunicorn (`referral serve`). The data folder is REFERRAL_DATA_DIR (default: ./instance).
# Everything here is fictional and the passwords are printed: nothing here is fit for real cases.
# Safe to run again: it adds only what is missing and changes no password.
set -euo pipefail
cd "$(dirname "$0")/.."
export REFERRAL_DATA_DIR=${REFERRAL_DATA_DIR:-$PWD/instance}
mkdir -p "$REFERRAL_DATA_DIR"

.venv/bin/referral guidelines check

# Keys, database and the administrator 'admin' (this password is for the demonstration only).
export REFERRAL_ADMIN_PASSWORD=${REFERRAL_ADMIN_PASSWORD:-demo-admin-password}
.venv/bin/referral init
unset REFERRAL_ADMIN_PASSWORD

# A post in every country with a pathway, one account per role (printed), a few fictional cases.
.venv/bin/referral demo seed

port=${REFERRAL_PORT:-5000}
echo "Open http://127.0.0.1:$port/ and sign in with one of the accounts above. Stop with Ctrl-C."
exec .venv/bin/referral serve --host 127.0.0.1 --port "$port"
