"""JPK_V7M(3) / JPK_V7K(3): reading the accounting program's VAT records and reconciling them with KSeF.

Public API:
- ``read_jpk(data, *, source) -> JpkFile`` — safe parsing (no DTD/entities/network, size cap), the
  official XSD (shipped in ``schemas/``, sources in ``schemas/SOURCES.md``), Polish messages;
- ``reconcile(jpk, invoices, *, failures=()) -> Reconciliation`` — pure; ``KsefInvoice`` is what it
  needs of each invoice in KSeF, ``FailurePeriod`` a KSeF failure the office knows of;
- ``build_jpk(...) -> bytes`` — an evidence-only JPK_V7 file valid against the XSD;
- ``KIND_LABELS`` — Polish names of the finding kinds.
"""

from ksef_sheets.jpk.builder import build_jpk
from ksef_sheets.jpk.model import SIDE_LABELS, JpkFile, JpkRow
from ksef_sheets.jpk.reader import MAX_SIZE, check_size, read_jpk
from ksef_sheets.jpk.reconcile import (
    KIND_LABELS,
    FailurePeriod,
    Finding,
    KsefInvoice,
    Reconciliation,
    reconcile,
)

__all__ = [
    "KIND_LABELS",
    "MAX_SIZE",
    "SIDE_LABELS",
    "FailurePeriod",
    "Finding",
    "JpkFile",
    "JpkRow",
    "KsefInvoice",
    "Reconciliation",
    "build_jpk",
    "check_size",
    "read_jpk",
    "reconcile",
]
