"""The office's domain: the client register, scenarios, readiness, deadlines, checklist content.

Other parts use ``Client`` (one register row), ``ksef_sheets.office.scenarios`` (who does what, which
permissions each scenario needs) and ``ksef_sheets.office.register`` (``load_clients``,
``update_fetch_results``, ``FetchResult``). Every deadline uses the business-day calendar
(``ksef_sheets.office.calendar``: ``is_business_day``, ``next_business_day``, ``add_business_days``,
``move_to_business_day``, ``holidays``) and ``offline_deadline`` for offline invoices.
"""

from ksef_sheets.office.calendar import (
    add_business_days,
    format_day,
    holidays,
    is_business_day,
    move_to_business_day,
    next_business_day,
)
from ksef_sheets.office.deadlines import (
    FAILURE,
    OFFLINE24,
    OFFLINE_KIND_LABELS,
    TOTAL_FAILURE,
    UNAVAILABILITY,
    offline_deadline,
)
from ksef_sheets.office.model import Client
from ksef_sheets.office.scenarios import SCENARIOS, Scenario, missing_permissions, required_permissions

__all__ = [
    "FAILURE",
    "OFFLINE24",
    "OFFLINE_KIND_LABELS",
    "SCENARIOS",
    "TOTAL_FAILURE",
    "UNAVAILABILITY",
    "Client",
    "Scenario",
    "add_business_days",
    "format_day",
    "holidays",
    "is_business_day",
    "missing_permissions",
    "move_to_business_day",
    "next_business_day",
    "offline_deadline",
    "required_permissions",
]
