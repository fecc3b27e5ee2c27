"""Building the office's Excel panel from the register and the registered actions."""

from __future__ import annotations

from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets import panel_workbook as pw


def build_office_panel(folder: OfficeFolder, *, interpreter: str | None = None) -> Path:
    from ksef_sheets.excel import actions

    folder.load_config()  # a clear message when the folder is not an office yet
    clients: list[pw.PanelClient] = []
    if folder.office_workbook.exists():
        from ksef_sheets.office.register import load_clients

        clients = [pw.PanelClient(c.nip, c.name) for c in load_clients(folder)]
    choices = pw.PanelChoices(actions=list(actions()), document_kinds=document_kinds())
    return pw.build_panel(
        folder.root, office_dir=folder.root, choices=choices, clients=clients, interpreter=interpreter
    )


def document_kinds() -> list[str]:
    try:
        from ksef_sheets.documents import DOCUMENT_KINDS
    except ImportError:
        return []
    return list(DOCUMENT_KINDS)
