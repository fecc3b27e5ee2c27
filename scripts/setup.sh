#!/usr/bin/env bash
# Creates .venv beside the project and installs ksef-sheets into it (with test tools when asked).
# Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Potrzebny jest Python 3.11 lub nowszy (znaleziono: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
else
  # With the Excel extra: xlwings' quickstart VBA goes into the panel workbook the demo builds.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[excel]'
fi
