#!/usr/bin/env bash
# Prepare a demonstration installation on SQLite and serve it on 127.0.0.1 (port: REFERRAL_PORT, default 5000).
# The data folder is REFERRAL_DATA_DIR (default: ./instance); nothing here is fit for real cases.
set -euo pipefail
cd "$(dirname "$0")/.."
export REFERRAL_DATA_DIR=${REFERRAL_DATA_DIR:-$PWD/instance}
mkdir -p "$REFERRAL_DATA_DIR"

.venv/bin/referral guidelines check

# Keys, database and the administrator. The password is for this demonstration only, and shown for that reason.
first_run=0
[ -f "$REFERRAL_DATA_DIR/referral.sqlite3" ] || first_run=1
export REFERRAL_ADMIN_PASSWORD=${REFERRAL_ADMIN_PASSWORD:-demo-admin-password}
.venv/bin/referral init
if [ "$first_run" = 1 ]; then
  echo "Demonstration administrator: user 'admin', password '$REFERRAL_ADMIN_PASSWORD' (demonstration only)"
  # A few fictional cases, so that lists and statistics are not empty.
  .venv/bin/referral cases import deploy/demo-cases.json
fi
unset REFERRAL_ADMIN_PASSWORD
exec .venv/bin/referral run --host 127.0.0.1 --port "${REFERRAL_PORT:-5000}"
