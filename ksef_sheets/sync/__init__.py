"""The office's invoice archive and the incremental fetch for many clients.

- ``ksef_sheets.sync.archive``: original XML files + the SQLite index (``ksef.sqlite``), the sync
  state (high-water mark per client per subject type), staff decisions and the audit log.
- ``ksef_sheets.sync.planner``: which windows to export next, within KSeF's limits.
- ``ksef_sheets.sync.fetch``: the fetch use case (``fetch_office``) the CLI and Excel call.
"""

from __future__ import annotations
