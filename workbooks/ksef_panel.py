"""Called by the Uruchom button of ksef_panel.xlsm (xlwings RunPython). Do not rename."""

from ksef_sheets.excel import main as _main


def main() -> None:
    _main()
