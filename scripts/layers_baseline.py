"""Rewrite tests/foundation/layers_baseline.txt with today's layer violations and print the count per kind.

Run it after fixing violations (the file may only shrink; see CONTRIBUTING.md, "Layers"):

    .venv/bin/python scripts/layers_baseline.py

It prints the lines it removed and, if any, the lines it added — added lines are new violations:
fix them instead of committing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.foundation.test_layers import (  # the repository root is on the path now
    BASELINE,
    current_violations,
    read_baseline,
    render_baseline,
    summary,
)


def main() -> int:
    before = set(read_baseline())
    violations = current_violations()
    after = {v.line for v in violations}
    BASELINE.write_text(render_baseline(violations), encoding="utf-8")
    for line in sorted(before - after):
        print(f"- {line}")
    for line in sorted(after - before):
        print(f"+ {line}")
    print(f"tests/foundation/layers_baseline.txt: {summary(violations)}")
    if after - before and before:
        print("New violations were added to the baseline: fix them rather than commit them.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
