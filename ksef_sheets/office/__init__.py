"""The office's domain: the client register, scenarios, readiness, deadlines, checklist content.

Other parts use ``Client`` (one register row), ``ksef_sheets.office.scenarios`` (who does what, which
permissions each scenario needs) and ``ksef_sheets.office.register`` (``load_clients``,
``update_fetch_results``, ``FetchResult``).
"""

from ksef_sheets.office.model import Client
from ksef_sheets.office.scenarios import SCENARIOS, Scenario, missing_permissions, required_permissions

__all__ = ["SCENARIOS", "Client", "Scenario", "missing_permissions", "required_permissions"]
