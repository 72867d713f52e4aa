#!/usr/bin/env bash
# Prepare a demonstration installation on SQLite and serve it on 127.0.0.1 (port: REFERRAL_PORT, default 5000).
# The data folder is REFERRAL_DATA_DIR (default: ./instance); nothing here is fit for real cases.
set -euo pipefail
cd "$(dirname "$0")/.."
export REFERRAL_DATA_DIR=${REFERRAL_DATA_DIR:-$PWD/instance}
mkdir -p "$REFERRAL_DATA_DIR"

.venv/bin/referral guidelines check
exec .venv/bin/referral run --host 127.0.0.1 --port "${REFERRAL_PORT:-5000}"
