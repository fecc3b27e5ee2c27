#!/usr/bin/env bash
# One command for the demo: sets up .venv and runs `ksef-sheets demo` on the embedded KSeF emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/ksef-sheets demo "$@"
