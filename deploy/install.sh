#!/usr/bin/env bash
# Install what the Border Referral Toolkit needs on Debian 12: system packages, then a virtualenv in .venv.
#   deploy/install.sh            what the app needs to run
#   deploy/install.sh --tests    also what the test suite needs (PostgreSQL server, poppler, ...)
# As root it installs missing Debian packages itself; otherwise it uses sudo, or prints the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

# Why each package is needed is written in README.md ("What gets installed").
packages=(python3 python3-venv python3-pip fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0
          libharfbuzz-subset0 graphviz)
if [ "$with_tests" = 1 ]; then
  packages+=(postgresql poppler-utils chromium valgrind)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt_get=(apt-get)
  elif command -v sudo >/dev/null 2>&1; then
    apt_get=(sudo apt-get)
  else
    echo "Not root and no sudo: ask an administrator to run" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${apt_get[@]}" update -qq
  "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
"$python" - <<'PY' || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

[ -x .venv/bin/python ] || "$python" -m venv .venv

extras=""
[ "$with_tests" = 1 ] && extras="[test,bench]"  # bench: what the benchmarks' references and gates need
# Reinstall only when pyproject.toml, the constraints or the extras change: a second run takes a second.
# deploy/constraints.txt pins every package to the versions the suite last passed with.
stamp=".venv/.installed-$(cat pyproject.toml deploy/constraints.txt | sha256sum | cut -c1-16)${extras:+-tests}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c deploy/constraints.txt -e ".${extras}"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Compiled catalogues are built, never committed.
if compgen -G "translations/*/LC_MESSAGES/messages.po" >/dev/null; then
  .venv/bin/pybabel compile -d translations >/dev/null
fi
