"""The actions the KSeF panel offers, each a thin adapter over a use case of the toolkit.

The labels are Polish and are exactly what the panel's *Akcja* dropdown lists
(``panel_workbook.build_panel`` takes them from here), so every offered action exists in Python.
"""

from __future__ import annotations

from ksef_sheets.excel import ActionContext, action


@action("Odśwież listę klientów w panelu")
def refresh_client_list(ctx: ActionContext) -> str:
    from ksef_sheets.config import OfficeFolder
    from ksef_sheets.office.register import load_clients
    from ksef_sheets.sheets import panel_workbook as pw

    clients = load_clients(OfficeFolder.resolve(ctx.office_dir))
    previous = {str(r.get("NIP") or ""): r.get("Zaznacz") for r in ctx.panel.read_table(pw.CLIENTS_TABLE)}
    ctx.panel.write_table(
        pw.CLIENTS_TABLE,
        [{"NIP": c.nip, "Nazwa": c.name, "Zaznacz": previous.get(c.nip) or ""} for c in clients],
    )
    return f"Lista klientów odświeżona: {len(clients)}."
