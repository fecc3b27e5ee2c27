"""An in-memory stand-in for the xlwings objects the toolkit uses, backed by a real workbook file.

Faithful to xlwings where the toolkit depends on it: ``Range.value`` is a scalar for one cell, a
flat list for one row or column and a list of rows otherwise (``options(ndim=2)`` forces rows);
numbers come back as floats; empty cells as None; ``Table.resize`` takes a Range; the status bar
is ``False`` when Excel owns it; ``App.alert`` records what staff would see.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries


class FakeRange:
    def __init__(
        self,
        sheet: FakeSheet,
        r1: int,
        c1: int,
        r2: int | None = None,
        c2: int | None = None,
        ndim: int | None = None,
    ) -> None:
        self.sheet, self.row, self.column = sheet, r1, c1
        self.last_row, self.last_column = r2 or r1, c2 or c1
        self._ndim = ndim

    @property
    def rows(self) -> Any:
        return type("Rows", (), {"count": self.last_row - self.row + 1})()

    @property
    def columns(self) -> Any:
        return type("Cols", (), {"count": self.last_column - self.column + 1})()

    def options(self, ndim: int | None = None, **_: Any) -> FakeRange:
        return FakeRange(self.sheet, self.row, self.column, self.last_row, self.last_column, ndim)

    def resize(self, row_size: int | None = None, column_size: int | None = None) -> FakeRange:
        rows = row_size or self.rows.count
        cols = column_size or self.columns.count
        return FakeRange(self.sheet, self.row, self.column, self.row + rows - 1, self.column + cols - 1)

    def _cell(self, r: int, c: int) -> Any:
        value = self.sheet.ws.cell(r, c).value
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return float(value)
        if value == "":
            return None
        return value

    @property
    def value(self) -> Any:
        grid = [
            [self._cell(r, c) for c in range(self.column, self.last_column + 1)]
            for r in range(self.row, self.last_row + 1)
        ]
        if self._ndim == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if all(len(r) == 1 for r in grid):
            return [r[0] for r in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, list):
            data = [[data]]
        elif data and not isinstance(data[0], list):
            data = [data]
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                self.sheet.ws.cell(self.row + i, self.column + j).value = v

    def clear_contents(self) -> None:
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                self.sheet.ws.cell(r, c).value = None

    @property
    def address(self) -> str:
        return f"${get_column_letter(self.column)}${self.row}:${get_column_letter(self.last_column)}${self.last_row}"


class FakeTable:
    def __init__(self, sheet: FakeSheet, name: str) -> None:
        self.sheet, self.name = sheet, name

    @property
    def _ref(self) -> tuple[int, int, int, int]:
        c1, r1, c2, r2 = range_boundaries(self.sheet.ws.tables[self.name].ref)
        return r1, c1, r2, c2  # type: ignore[return-value]

    @property
    def range(self) -> FakeRange:
        r1, c1, r2, c2 = self._ref
        return FakeRange(self.sheet, r1, c1, r2, c2)

    @property
    def header_row_range(self) -> FakeRange:
        r1, c1, _, c2 = self._ref
        return FakeRange(self.sheet, r1, c1, r1, c2)

    @property
    def data_body_range(self) -> FakeRange | None:
        r1, c1, r2, c2 = self._ref
        return None if r2 == r1 else FakeRange(self.sheet, r1 + 1, c1, r2, c2)

    def resize(self, rng: FakeRange) -> None:
        self.sheet.ws.tables[self.name].ref = rng.address.replace("$", "")


class FakeSheet:
    def __init__(self, book: FakeBook, ws: Any) -> None:
        self.book, self.ws, self.name = book, ws, ws.title

    @property
    def tables(self) -> list[FakeTable]:
        return [FakeTable(self, name) for name in self.ws.tables]

    def range(self, cell: Any) -> FakeRange:
        if isinstance(cell, tuple):
            return FakeRange(self, cell[0], cell[1])
        c1, r1, c2, r2 = range_boundaries(cell)
        return FakeRange(self, r1, c1, r2, c2)  # type: ignore[arg-type]


class FakeName:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book, self.name = book, name

    @property
    def refers_to_range(self) -> FakeRange:
        defined = self.book.wb.defined_names[self.name]
        (sheet_name, ref), *_ = list(defined.destinations)
        return self.book.sheets[sheet_name].range(ref.replace("$", ""))


class FakeNames:
    def __init__(self, book: FakeBook) -> None:
        self.book = book

    def __getitem__(self, name: str) -> FakeName:
        if name not in self.book.wb.defined_names:
            raise KeyError(name)
        return FakeName(self.book, name)


class FakeSheets(list):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for sheet in self:
                if sheet.name == key:
                    return sheet
            raise KeyError(key)
        return super().__getitem__(key)


class FakeApp:
    def __init__(self) -> None:
        self.books: list[FakeBook] = []
        self.status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.alerts: list[tuple[str, str | None, str | None]] = []
        self.active: FakeBook | None = None

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
        super().__setattr__(key, value)

    def alert(
        self,
        prompt: str,
        title: str | None = None,
        buttons: str = "ok",
        mode: str | None = None,
        callback: str | None = None,
    ) -> str:
        self.alerts.append((prompt, title, mode))
        return "ok"

    @property
    def selection(self) -> FakeRange | None:
        return self.active.selected if self.active else None


class FakeBook:
    """An open workbook; ``save()`` is what Excel's own Save would do (the toolkit never calls it)."""

    def __init__(self, path: Path, app: FakeApp | None = None) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.fullname = str(self.path)
        self.wb = load_workbook(self.path, keep_vba=self.path.suffix == ".xlsm")
        self.app = app or FakeApp()
        self.app.books.append(self)
        self.app.active = self
        self.sheets = FakeSheets(FakeSheet(self, ws) for ws in self.wb.worksheets)
        self.names = FakeNames(self)
        self.selected: FakeRange | None = None
        self.opened_at = datetime.now()

    def activate(self) -> None:
        self.app.active = self

    @property
    def selection(self) -> FakeRange | None:
        return self.app.selection if self.app.active is self else None

    def select(self, sheet: str, ref: str) -> None:
        self.selected = self.sheets[sheet].range(ref)

    def save(self, path: Path | None = None) -> None:
        self.wb.save(path or self.path)
