"""Which month an invoice belongs to: one rule (``workflows._periods``) for the client's list and JPK."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets import SIDE_PURCHASE, SIDE_SALE
from ksef_sheets.sync.archive import Archive
from ksef_sheets.workflows._periods import accepted_on, period_side
from ksef_sheets.workflows.client_export import collect_rows
from tests.archive_fixtures import archive_invoice
from tests.exports.conftest import CLIENT2, SUPPLIERS, party

# A batch session opened at 23:55 on 31 March (Warsaw): KSeF's invoicingDate is that evening, the
# number (the receipt, art. 106na ust. 3) is given on 1 April.
OPENED = datetime(2026, 3, 31, 21, 55, tzinfo=UTC)


def test_sale_by_issue_date_purchase_by_the_day_of_its_ksef_number(office: OfficeFolder) -> None:
    with Archive.open(office) as archive:
        bought, _ = archive_invoice(
            archive, CLIENT2.nip, seller=SUPPLIERS[0], buyer=party(CLIENT2), issue=date(2026, 3, 31),
            accepted=date(2026, 4, 1), number="FV/31/03", seed=501, invoicing=OPENED,
        )  # fmt: skip
        sold, _ = archive_invoice(
            archive, CLIENT2.nip, seller=party(CLIENT2), buyer=SUPPLIERS[1], issue=date(2026, 3, 31),
            accepted=date(2026, 4, 1), number="S/31/03", seed=502, invoicing=OPENED,
        )  # fmt: skip
        entries = {e.ksef_number: e for e in archive.list_invoices(CLIENT2.nip)}
        assert accepted_on(bought) == date(2026, 4, 1)
        assert period_side(entries[bought]) == ("purchase", (2026, 4))
        assert period_side(entries[sold]) == ("sale", (2026, 3))

        march, _ = collect_rows(archive, CLIENT2.nip, 2026, 3, "wszystkie")
        april, _ = collect_rows(archive, CLIENT2.nip, 2026, 4, "wszystkie")
    assert [(r.side, r.ksef_number) for r in march] == [(SIDE_SALE, sold)]
    assert [(r.side, r.ksef_number, r.ksef_date) for r in april] == [
        (SIDE_PURCHASE, bought, date(2026, 4, 1))
    ]
    # The list's "Data w KSeF" is the receipt day for a sale too, not the session's opening.
    assert march[0].ksef_date == date(2026, 4, 1)
