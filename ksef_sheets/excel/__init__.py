"""Excel: the KSeF panel for office staff — the top layer beside ``cli/`` and ``demo.py``.

Modules, bottom to top (each imports only those before it):

- ``registry`` — ``ActionContext``, the ``@action`` decorator, ``PanelIO`` (what an action may touch);
- ``panel_file`` — ``ksef_panel.xlsm``: its names, building it (XlsxWriter + xlwings' VBA) and
  ``FilePanel`` (the file without Excel);
- ``xlwings_io`` — the panel and invoice workbooks open in Excel, through xlwings;
- ``panel_actions`` — the actions the dropdown offers, thin adapters over the use cases;
- ``runner`` — dispatching: ``run_panel`` (button), ``run_panel_file`` (``excel run``), ``main``
  (what the generated ``ksef_panel.py`` calls), ``build_office_panel`` (``excel panel``).

Nothing below the command line / demo layer imports this package.
"""

from ksef_sheets.excel.panel_file import (
    PANEL_NAME,
    FilePanel,
    PanelChoices,
    PanelClient,
    build_panel,
)
from ksef_sheets.excel.registry import ActionContext, ActionSpec, PanelIO, action
from ksef_sheets.excel.runner import (
    actions,
    build_office_panel,
    check_action,
    document_kinds,
    main,
    run_panel,
    run_panel_file,
    selected_clients,
    unknown_action_message,
)
from ksef_sheets.excel.xlwings_io import XlwingsPanel, XlwingsTables

__all__ = [
    "PANEL_NAME",
    "ActionContext",
    "ActionSpec",
    "FilePanel",
    "PanelChoices",
    "PanelClient",
    "PanelIO",
    "XlwingsPanel",
    "XlwingsTables",
    "action",
    "actions",
    "build_office_panel",
    "build_panel",
    "check_action",
    "document_kinds",
    "main",  # ksef_panel.py beside every panel imports ksef_sheets.excel.main: keep this name
    "run_panel",
    "run_panel_file",
    "selected_clients",
    "unknown_action_message",
]
