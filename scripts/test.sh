#!/usr/bin/env bash
# One command for the tests: installs what they need (LibreOffice from Debian's packages when this
# runs as root and it is missing, the package with its dev tools into .venv), then lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== instaluję LibreOffice (renderowanie skoroszytów i dokumentów w testach)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    libreoffice-calc libreoffice-writer fonts-dejavu-core fonts-liberation poppler-utils >/dev/null
fi
bash scripts/setup.sh --dev
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
# The benchmarks too: a renamed field or argument must not leave them broken.
.venv/bin/mypy bench
echo "== pytest"
.venv/bin/python -m pytest "$@"
