"""A local KSeF 2.0 server (ASGI, Starlette) that behaves like the Ministry's TEST environment.

Mounted under ``/v2`` so a client's base URL is ``http://127.0.0.1:<port>/v2``. Start it with
``run_emulator(state_dir, seed=42, office=...)`` (tests, the default ``emulator`` environment) or
``ksef-sheets emulator``. See ``core.py`` for the services and ``docs/emulator.md`` for the knobs.
"""

from __future__ import annotations

from ksef_sheets.emulator.core import AccessContext, Emulator
from ksef_sheets.emulator.runner import RunningEmulator, SeedInfo, run_emulator
from ksef_sheets.emulator.seed import SeedClient, SeedOffice

__all__ = [
    "AccessContext",
    "Emulator",
    "RunningEmulator",
    "SeedClient",
    "SeedInfo",
    "SeedOffice",
    "run_emulator",
]
