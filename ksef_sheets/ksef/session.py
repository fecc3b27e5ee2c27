"""``KsefSession``: one login in one client's context with every call the toolkit makes in it.

The calls live by job in ``queries.py`` (metadata, invoices, permissions, limits), ``exports.py``
(export packages) and ``sending.py`` (online and batch sessions); tokens and the authenticated
request in ``session_base.py``.
"""

from __future__ import annotations

from ksef_sheets.ksef.exports import ExportCalls
from ksef_sheets.ksef.queries import QueryCalls
from ksef_sheets.ksef.sending import SendingCalls


class KsefSession(QueryCalls, ExportCalls, SendingCalls):
    """One login in one client's context. Tokens are refreshed automatically before they expire."""
