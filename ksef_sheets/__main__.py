from ksef_sheets.cli import run

run()
